"""Answers the client must turn into a `DrenfaxError`, never into a wrong result or a crash."""

from __future__ import annotations

import pytest

from drenfax_portal.client import DrenfaxError, MalformedResponseError

from .conftest import ACCOUNT_ID, BASE, MESSAGE_ID


@pytest.mark.parametrize("answer", [{}, {"error": "InternalError: try again"}, {"count": "99"}])
def test_a_2xx_history_without_rows_is_malformed_not_an_empty_page(api, client, answer):
    api.get(f"{BASE}/v1/fax/history", json=answer)
    with pytest.raises(MalformedResponseError):
        client.fax_history(ACCOUNT_ID)


@pytest.mark.parametrize("answer", [{}, {"error": "InvalidInputError: bad accountId"}])
def test_a_2xx_numbers_list_without_rows_is_malformed_not_an_empty_page(api, client, answer):
    api.get(f"{BASE}/v1/numbers", json=answer)
    with pytest.raises(MalformedResponseError):
        client.list_numbers()


@pytest.mark.parametrize("status", [200, 500])
def test_a_deeply_nested_json_body_is_a_drenfax_error(api, client, status):
    api.get(
        f"{BASE}/v1/fax/{MESSAGE_ID}/info",
        status=status,
        body="[" * 100_000,
        content_type="application/json",
    )
    with pytest.raises(DrenfaxError):
        client.fax_info(MESSAGE_ID)
