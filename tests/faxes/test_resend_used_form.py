"""A resend form posted again with its used key: nothing is sent twice, and the page says
which number got nothing."""

from __future__ import annotations

import re

import pytest

from faxes.models import Submission
from tests.conftest import API_URL
from tests.faxes.test_detail import fax, resend_answer, url  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_resend_to_another_number_with_a_used_form_is_not_shown_as_the_first_result(
    alice_client,
    api,
    fax,  # noqa: F811
):
    """Resend to (312) 555-0111, then the same form again (a browser showing the page from
    its cache, despite no-store), with (617) 555-0199: nothing is sent twice, and the page
    says that this number got nothing."""
    api.post(f"{API_URL}/v1/fax/resend", json=resend_answer(faxNumber="+13125550111"))
    page = alice_client.get(url(fax))
    assert "no-store" in page["Cache-Control"]  # the browser should not keep it
    key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page.content.decode())[1]
    alice_client.post(url(fax, "resend/"), {"submission_key": key, "recipient": "(312) 555-0111"})

    again = alice_client.post(
        url(fax, "resend/"), {"submission_key": key, "recipient": "(617) 555-0199"}, follow=True
    )
    assert len(api.calls) == 1 and Submission.objects.count() == 1
    body = again.content.decode()
    assert "+16175550199" not in Submission.objects.get().recipients
    told = "This form was used already, to resend to (312) 555-0111, so nothing was sent to"
    assert f"{told} (617) 555-0199." in body.replace("\n", " ")
    assert 'value="(617) 555-0199"' in body  # what was typed is kept
