"""Edges of the access and caching rules: a lost authenticator, an unknown send settled from
the cache, the contacts export, fragments under a page's URL."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.security.test_two_factor import enrol, password_sign_in

pytestmark = pytest.mark.django_db


def test_after_staff_delete_the_authenticator_the_user_is_not_stuck_in_a_redirect_loop(alice):
    """README: someone who lost their phone -> staff delete their "Authenticator app" in the
    admin (OTP_TOTP -> TOTP devices) and the user sets it up again. The recovery-codes
    StaticDevice stays, so the middleware keeps sending the user to the code page, which
    (no authenticator) sends them straight back: an endless redirect loop."""
    enrol(alice)
    TOTPDevice.objects.filter(user=alice).delete()  # what the admin's delete does
    client = password_sign_in()
    first = client.get("/faxes/")
    hops = [first["Location"]] if first.status_code == 302 else []
    response = first
    for _ in range(5):
        if response.status_code != 302:
            break
        response = client.get(response["Location"])
        if response.status_code == 302:
            hops.append(response["Location"])
    # Either the page opens (no second factor left) or the user lands on a page that is not
    # a redirect (set-up / verify form): never a loop.
    assert response.status_code == 200, f"redirect loop: {hops}"


def test_reconciling_an_unknown_send_never_gives_the_sender_someone_elses_fax(alice, bob):
    """An unknown send is settled from any outbound fax to the same number in its window:
    a fax Bob sent from his own number (outside the portal, or by a send whose answer named
    no fax, so it has no sender yet) is attributed to Alice, who then sees it (access rule:
    a member sees faxes *they* sent)."""
    import uuid as _uuid

    from django.utils import timezone

    from faxes.models import Submission
    from faxes.selectors import visible_faxes
    from faxes.services.submissions import submission_settle_from_cache
    from tests.factories import make_fax, make_number

    make_number("+12065550100", alice)
    make_number("+13125550100", bob)
    recipient = "+17185550123"  # a pharmacy both of them fax
    submission = Submission.objects.create(
        key=_uuid.uuid4(),
        user=alice,
        kind=Submission.Kind.SEND,
        recipients=[recipient],
        state=Submission.State.UNKNOWN,
        started_at=timezone.now(),
        summary={"caller_id": "+12065550100"},
    )
    bobs = make_fax(
        direction="outbound",
        status="success",
        faxNumber=recipient,
        faxCallerId="+13125550100",  # Bob's number: not Alice's
        createdAt=timezone.now().isoformat(),
    )
    assert not visible_faxes(alice).filter(pk=bobs.pk).exists()

    submission_settle_from_cache(submission)

    bobs.refresh_from_db()
    assert not visible_faxes(alice).filter(pk=bobs.pk).exists(), (
        f"Bob's fax now has sent_by={bobs.sent_by} and submission={bobs.submission_id}"
    )


def test_the_contacts_export_is_never_cached(staff_client):
    """The contacts book (names, organisations, notes) as CSV is served like the other
    exports (faxes, audit: `private, no-store`), so no proxy or browser cache keeps it."""
    from contacts.models import Contact

    Contact.objects.create(name="Dr. Asha Patel", fax_number="+12065550142", notes="Pt. J. Doe")
    response = staff_client.get("/contacts/export.csv")
    assert response.status_code == 200
    assert "no-store" in response.get("Cache-Control", ""), dict(response.headers)


def test_the_history_says_its_answer_depends_on_hx_request(alice_client, alice):
    """/faxes/ answers a whole page, or (htmx, hx-push-url) only its #results fragment, under
    one URL. Without `Vary: HX-Request` (which `htmx_fragment` adds to the count and row
    fragments) a browser's Back button or any cache serves the bare fragment as the page."""
    from tests.factories import make_fax, make_number

    make_number("+12065550100", alice)
    make_fax(direction="inbound", status="success", faxNumber="+12065550100")
    fragment = alice_client.get(
        "/faxes/?direction=inbound", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in fragment.content.decode()  # the fragment alone
    assert "HX-Request" in fragment.get("Vary", ""), fragment.get("Vary")
