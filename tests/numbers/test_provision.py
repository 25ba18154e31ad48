"""Provisioning: a confirmation step, one API call per confirmation, the result or the error."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs

import pytest
from django.contrib.auth import get_user_model

from fax_numbers.models import FaxNumber, Provisioning
from tests.conftest import API_URL
from tests.numbers.payloads import number_payload

pytestmark = pytest.mark.django_db

PROVISION_URL = f"{API_URL}/v1/numbers/provision"
PICKED = ["+12065550123", "+12065550124"]


def review(client, follow=False, **data):
    data.setdefault("search", "npa=206")
    return client.post("/numbers/provision/", data, follow=follow)


def confirm_form(response) -> dict:
    """The confirmation page's hidden form, as the browser would post it back."""
    body = response.content.decode()
    form = body[body.index('<form method="post" action="/numbers/provision/"') :]
    form = form[: form.index("</form>")]
    data: dict = {}
    for name, value in re.findall(r'name="([a-z]+)" value="([^"]*)"', form):
        if name == "csrfmiddlewaretoken":
            continue
        data.setdefault(name, []).append(value.replace("&amp;", "&"))
    return data


def sent(call) -> dict:
    return parse_qs(call.request.body)


def test_the_confirmation_lists_exactly_the_ticked_numbers(staff_client, api):
    response = review(staff_client, kind="order", numbers=[*PICKED, "+12065550123"])
    body = response.content.decode()
    assert "Add 2 numbers to the account?" in body
    assert "(206) 555-0123" in body and "(206) 555-0124" in body
    assert body.count('type="hidden" name="numbers"') == 2
    assert 'href="/numbers/search/?npa=206"' in body
    assert len(api.calls) == 0 and not Provisioning.objects.exists()


def test_nothing_ticked_goes_back_to_the_search_with_a_message(staff_client, api):
    response = review(staff_client, kind="order")
    assert response.status_code == 302 and response["Location"] == "/numbers/search/?npa=206"
    body = staff_client.get("/numbers/search/").content.decode()
    assert "Tick at least one number to provision." in body
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    "forged",
    ["not a number", "+\u0661\u0662\u0660\u0666\u0665\u0665\u0665\u0660\u0661\u0662\u0663"],
)
def test_a_forged_number_is_refused_before_anything_is_sent(staff_client, api, forged):
    response = staff_client.post(
        "/numbers/provision/",
        {"kind": "order", "numbers": [forged], "key": str(uuid.uuid4())},
        follow=True,
    )
    assert "is not a number from the search" in response.content.decode()
    assert len(api.calls) == 0 and not Provisioning.objects.exists()


def test_confirming_provisions_the_numbers_and_lists_them(staff_client, staff, api):
    new = [number_payload(n[2:]) for n in PICKED]
    api.post(PROVISION_URL, json=new)
    page = review(staff_client, kind="order", numbers=PICKED)
    response = staff_client.post("/numbers/provision/", confirm_form(page))
    key = confirm_form(page)["key"][0]
    assert response.status_code == 302 and response["Location"] == f"/numbers/provision/{key}/"
    assert len(api.calls) == 1
    assert sent(api.calls[0]) == {"type": ["order"], "numbers": [",".join(PICKED)]}
    provisioning = Provisioning.objects.get(key=key)
    assert provisioning.state == Provisioning.State.DONE and provisioning.user == staff
    assert set(FaxNumber.objects.values_list("number", flat=True)) == set(PICKED)
    body = staff_client.get(response["Location"]).content.decode()
    assert "2 numbers added" in body
    for payload in new:
        assert f"/numbers/{payload['uuid']}/" in body
    assert "(206) 555-0123" in body and "+12065550124" in body


def test_a_double_submit_provisions_once(staff_client, api):
    api.post(PROVISION_URL, json=[number_payload("2065550123")])
    data = confirm_form(review(staff_client, kind="order", numbers=PICKED[:1]))
    first = staff_client.post("/numbers/provision/", data)
    second = staff_client.post("/numbers/provision/", data)
    assert first["Location"] == second["Location"]
    assert len(api.calls) == 1
    assert Provisioning.objects.count() == 1 and FaxNumber.objects.count() == 1


def test_random_numbers_are_confirmed_then_provisioned_by_quantity(staff_client, api):
    api.post(PROVISION_URL, json=[number_payload("8440000000"), number_payload("8440000001")])
    page = review(staff_client, kind="toll-free", quantity="2", search="")
    assert "Add 2 random toll-free numbers to the account?" in page.content.decode()
    assert len(api.calls) == 0
    staff_client.post("/numbers/provision/", confirm_form(page))
    assert sent(api.calls[0]) == {"type": ["toll-free"], "quantity": ["2"]}
    assert FaxNumber.objects.filter(number__startswith="+1844").count() == 2


@pytest.mark.parametrize("quantity", ["0", "1001", "many"])
def test_a_quantity_outside_1_to_1000_is_refused(staff_client, api, quantity):
    response = review(staff_client, kind="local", quantity=quantity)
    assert response["Location"] == "/numbers/search/?npa=206"
    assert "msg-error" in staff_client.get("/numbers/search/").content.decode()
    assert len(api.calls) == 0 and not Provisioning.objects.exists()


def test_the_24_hour_rule_error_is_shown_and_nothing_is_added(staff_client, api):
    api.post(
        PROVISION_URL,
        status=400,
        json={
            "error": "InvalidInputError: +12065550123 did not appear in a number search in the "
            "last 24 hours"
        },
    )
    data = confirm_form(review(staff_client, kind="order", numbers=PICKED[:1]))
    response = staff_client.post("/numbers/provision/", data, follow=True)
    body = response.content.decode()
    assert "Nothing was added" in body
    assert "did not appear in a number search in the last 24 hours" in body
    assert "Search again" in body
    assert Provisioning.objects.get().state == Provisioning.State.FAILED
    assert not FaxNumber.objects.exists()


def test_a_server_error_leaves_the_outcome_unknown_and_never_retries(staff_client, api):
    api.post(PROVISION_URL, status=502, body="Bad gateway")
    data = confirm_form(review(staff_client, kind="local", quantity="1"))
    response = staff_client.post("/numbers/provision/", data, follow=True)
    staff_client.post("/numbers/provision/", data)
    body = response.content.decode()
    assert "We don't know yet whether numbers were added" in body
    assert "Drenfax had a problem on its side (error 502)." in body
    assert "Check the numbers list at Drenfax" in body
    assert len(api.calls) == 1
    assert Provisioning.objects.get().state == Provisioning.State.UNKNOWN


def test_a_request_still_in_flight_is_polled(staff_client, staff):
    provisioning = Provisioning.objects.create(
        key=uuid.uuid4(), user=staff, kind="local", quantity=1
    )
    body = staff_client.get(f"/numbers/provision/{provisioning.key}/").content.decode()
    assert "Adding numbers&hellip;" in body and "every 2s" in body
    partial = staff_client.get(
        f"/numbers/provision/{provisioning.key}/", headers={"HX-Request": "true"}
    ).content.decode()
    assert partial.lstrip().startswith('<section id="outcome"')


def test_another_staff_users_key_is_not_reused(staff_client, api):
    other = get_user_model().objects.create_user("other", is_staff=True)
    key = uuid.uuid4()
    Provisioning.objects.create(key=key, user=other, kind="local", quantity=1)
    response = staff_client.post(
        "/numbers/provision/", {"kind": "local", "quantity": "1", "key": str(key)}
    )
    assert response.status_code == 404
    assert len(api.calls) == 0


def test_an_expired_or_forged_key_is_refused(staff_client, api):
    response = staff_client.post(
        "/numbers/provision/", {"kind": "local", "quantity": "1", "key": "nope"}, follow=True
    )
    assert "The confirmation has expired" in response.content.decode()
    assert len(api.calls) == 0


def test_get_on_the_provision_url_goes_to_the_search(staff_client):
    response = staff_client.get("/numbers/provision/")
    assert response.status_code == 302 and response["Location"] == "/numbers/search/"
