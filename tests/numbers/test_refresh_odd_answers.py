"""Refreshing the numbers list from a 2xx answer that is not a numbers page."""

from __future__ import annotations

import pytest

from fax_numbers.models import FaxNumber
from tests.conftest import API_URL
from tests.numbers.payloads import number_payload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "answer",
    [{}, {"error": "InvalidInputError: bad accountId"}, {"result": [], "limit": 100}],
    ids=["empty", "error-envelope", "other-shape"],
)
def test_a_2xx_without_rows_changes_nothing(staff_client, api, alice_number, bob_number, answer):
    api.get(f"{API_URL}/v1/numbers", json=answer)
    response = staff_client.post("/numbers/refresh/", follow=True)
    states = set(FaxNumber.objects.values_list("state", flat=True))
    assert FaxNumber.State.REMOVED not in states, "every number was marked removed"
    assert "The list was not refreshed" in response.content.decode()


def test_a_row_without_a_uuid_is_not_a_500(staff_client, api, alice_number):
    row = number_payload("5094570051")
    del row["uuid"]
    api.get(f"{API_URL}/v1/numbers", json={"rows": [row], "count": 1, "limit": 100})
    response = staff_client.post("/numbers/refresh/", follow=True)
    assert response.status_code == 200


def test_a_provisioned_number_with_a_malformed_uuid_is_not_a_500(staff_client, api):
    from fax_numbers.models import Provisioning
    from tests.numbers.test_provision import PROVISION_URL, confirm_form, review

    api.post(PROVISION_URL, json=[{**number_payload("8440000000"), "uuid": "8440000000"}])
    data = confirm_form(review(staff_client, kind="local", quantity="1"))
    response = staff_client.post("/numbers/provision/", data, follow=True)
    assert response.status_code == 200
    assert Provisioning.objects.get().state != Provisioning.State.SUBMITTING
