"""A 2xx history answer that is not a page of faxes must not end the backfill."""

from __future__ import annotations

import pytest

from drenfax_portal.api import get_client
from faxes.models import SyncState
from faxes.services.sync import sync_faxes_step
from tests.conftest import ACCOUNT_ID, API_URL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "answer",
    [{}, {"error": "InternalError: try again"}, {"count": "1234"}],
    ids=["empty", "error-envelope", "no-rows"],
)
def test_a_history_answer_without_rows_does_not_finish_the_backfill(api, answer):
    api.get(f"{API_URL}/v1/fax/history", json=answer)
    with get_client() as client:
        report = sync_faxes_step(client=client, account_id=ACCOUNT_ID, max_calls=1)
    # The account's history was never read; a finished backfill is never started again.
    assert not SyncState.objects.get().backfill_done
    assert report.error
