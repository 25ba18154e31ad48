"""The sync asks the history for tags: a history row without them would empty them."""

from __future__ import annotations

import pytest

from drenfax_portal.api import get_client
from faxes.models import Fax, Submission
from faxes.services.sync import sync_faxes_step
from tests.send.helpers import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _documents(settings, tmp_path):
    settings.FAX_DOCUMENTS_DIR = tmp_path / "documents"


def test_the_sync_does_not_wipe_the_tags_of_a_fax_sent_with_tags(sandbox, alice_client):
    # A fax sent from the portal with tags: the send's answer carries them.
    alice_client.post("/faxes/send/", form_data(tags="urgent, billing"))
    submission = Submission.objects.get()
    assert submission.state == Submission.State.DONE, submission.error
    fax = Fax.objects.get()
    assert fax.tags == ["urgent", "billing"]
    # The history (GET /v1/fax/history) lists tags only with `include=tags`; the sync does
    # not ask for them, and its row with "tags": [] replaces the cached tags.
    with get_client() as client:
        sync_faxes_step(client=client, account_id=sandbox.account_id)
    fax.refresh_from_db()
    assert fax.tags == ["urgent", "billing"], fax.tags
    assert fax.tag_list == "|urgent|billing|", fax.tag_list
