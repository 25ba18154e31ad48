"""Answers that leave things out: a batch row without its fax's id, a send answer without the
subject and tags a webhook brought first."""

from __future__ import annotations

import uuid

import pytest

from faxes.models import Submission
from tests.conftest import API_URL
from tests.send.helpers import fax_answer, form_data, text

pytestmark = pytest.mark.django_db

TWO = "(206) 555-0111\n(206) 555-0112"


def test_a_batch_answer_whose_success_rows_name_no_fax_is_not_done(alice_client, covers):
    # A 2xx from /multiple listing "successes" without a messageId names no fax: like a
    # single send answering without one, the outcome must be looked up (unknown), not
    # recorded as done with no result for anybody.
    row = fax_answer("+12065550111")
    del row["messageId"]
    row2 = fax_answer("+12065550112")
    del row2["messageId"]
    covers.post(f"{API_URL}/v1/faxes/multiple", json={"success": [row, row2], "errors": []})
    alice_client.post("/faxes/send/", form_data(recipients=TWO), follow=True)
    submission = Submission.objects.get()
    assert submission.state == Submission.State.UNKNOWN, (submission.state, submission.results)


def test_a_recipient_whose_success_row_has_no_message_id_is_not_dropped(alice_client, covers):
    good = fax_answer("+12065550111")
    bad = fax_answer("+12065550112")
    del bad["messageId"]
    covers.post(f"{API_URL}/v1/faxes/multiple", json={"success": [good, bad], "errors": []})
    page = text(alice_client.post("/faxes/send/", form_data(recipients=TWO), follow=True))
    submission = Submission.objects.get()
    assert submission.state == Submission.State.DONE
    (named, unnamed) = submission.results
    assert named["recipient"] == "+12065550111" and named["message_id"]
    assert unnamed["recipient"] == "+12065550112" and "named no fax" in unnamed["unconfirmed"]
    assert "Not confirmed" in page


def test_a_webhook_before_the_send_answer_keeps_what_the_answer_leaves_out(
    alice_client, covers, settings
):
    # The provider's webhook (the fax as /info answers it) reaches the portal while the send
    # request is still waiting for its answer; the answer (like the reference's example:
    # "subject": null, "recipientName": null, "tags": [] although they were sent) then
    # overwrites what the webhook recorded, at the same status.
    import base64
    import json

    from django.test import Client

    from faxes.models import Fax

    settings.DRENFAX_WEBHOOK_AUTH = "drenfax:secret"
    settings.DEBUG = False
    message_id = str(uuid.uuid4())
    full = fax_answer(
        messageId=message_id, subject="Lab results", recipientName="Dr Who", tags=["urgent"]
    )
    bare = {**full, "subject": None, "recipientName": None, "tags": []}
    provider = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"drenfax:secret").decode())

    def answer(request):
        delivered = provider.post(
            "/webhooks/drenfax/", json.dumps(full), content_type="application/json"
        )
        assert delivered.status_code == 200
        return 200, {}, json.dumps(bare)

    covers.add_callback("POST", f"{API_URL}/v1/faxes", callback=answer)
    alice_client.post(
        "/faxes/send/",
        form_data(subject="Lab results", recipient_name="Dr Who", tags="urgent"),
    )
    assert Submission.objects.get().state == Submission.State.DONE
    fax = Fax.objects.get(message_id=message_id)
    assert (fax.subject, fax.recipient_name, fax.tags) == ("Lab results", "Dr Who", ["urgent"])
