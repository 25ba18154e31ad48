"""Send answers that leave the outcome uncertain: the fax may be out, so it is reconciled."""

from __future__ import annotations

import pytest
import requests

from faxes.models import Submission
from tests.conftest import API_URL
from tests.send.helpers import form_data, text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "answer", [{}, {"resultInfo": "OK"}, {"error": "InvalidInputError: No files to send"}]
)
def test_a_2xx_naming_no_fax_is_unknown_like_an_empty_batch(alice_client, covers, answer):
    covers.post(f"{API_URL}/v1/faxes", json=answer)
    alice_client.post("/faxes/send/", form_data(), follow=True)
    submission = Submission.objects.get()
    # As for a multi-send answer naming no fax: look it up, do not claim it is done.
    assert submission.state == Submission.State.UNKNOWN


def test_a_tls_error_while_reading_the_answer_is_unknown(alice_client, covers):
    covers.post(
        f"{API_URL}/v1/faxes",
        body=requests.exceptions.SSLError(
            "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac"
        ),
    )
    page = text(alice_client.post("/faxes/send/", form_data(), follow=True))
    assert "Nothing was sent" not in page
    assert Submission.objects.get().state == Submission.State.UNKNOWN
