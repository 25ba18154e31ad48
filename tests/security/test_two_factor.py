"""Two-factor sign-in: enrolment with a QR code, the check after the password, recovery
codes used once, and REQUIRE_2FA holding every page until it is set up."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from drenfax_portal.accounts import two_factor
from drenfax_portal.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice) -> str:
    """The app's current code, usable once more (as if the next 30 seconds had begun)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = two_factor.totp_setup_start(user=user)
    codes = two_factor.totp_setup_confirm(user=user, token=code_for(device))
    device.refresh_from_db()
    return device, codes


def password_sign_in(username: str = "alice") -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- enrolment ----------------------------------------------------------------------------------


def test_the_setup_page_shows_an_inline_qr_code_and_the_key(alice_client, alice):
    response = alice_client.get("/accounts/two-factor/setup/")
    body = response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    qr = body[body.index("<svg") : body.index("</svg>")]
    assert "style=" not in qr and "<image" not in qr  # CSP-clean, nothing fetched
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    key = two_factor.totp_secret(device)
    assert key in body and len(key.replace(" ", "")) == 32
    assert "<img" not in body
    # Reloading keeps the same key (the app may have scanned it already).
    assert key in alice_client.get("/accounts/two-factor/setup/").content.decode()


def test_a_wrong_first_code_enrols_nothing(alice_client, alice):
    alice_client.get("/accounts/two-factor/setup/")
    response = alice_client.post("/accounts/two-factor/setup/", {"token": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    assert AuditEvent.objects.get(action="auth.2fa_failed").outcome == "failure"


def test_the_first_right_code_enrols_and_shows_ten_recovery_codes_once(alice_client, alice):
    alice_client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=alice)
    response = alice_client.post("/accounts/two-factor/setup/", {"token": code_for(device)})
    body = response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", body)
    assert len(codes) == 10
    assert sorted(codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    assert TOTPDevice.objects.get(user=alice).confirmed
    assert AuditEvent.objects.filter(action="auth.2fa_enabled", actor_id=alice.pk).exists()
    # This session counts as checked: the pages open without asking again.
    assert alice_client.get("/faxes/").status_code == 200


# --- signing in ---------------------------------------------------------------------------------


def test_an_enrolled_user_must_give_a_code_before_any_page(alice):
    device, _ = enrol(alice)
    client = password_sign_in()
    for url in ("/", "/faxes/", "/faxes/send/", "/numbers/", "/accounts/password/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/two-factor/verify/?next="), url
    htmx = client.get("/faxes/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/accounts/two-factor/verify/?next=%2Ffaxes%2F"
    assert AuditEvent.objects.get(action="auth.login").details == {"second_factor": "pending"}

    response = client.post(
        "/accounts/two-factor/verify/", {"token": code_for(device), "next": "/faxes/"}
    )
    assert response["Location"] == "/faxes/"
    assert client.get("/faxes/").status_code == 200
    assert AuditEvent.objects.get(action="auth.2fa_verified").details == {"with": "authenticator"}


def test_a_wrong_code_is_refused_and_audited(alice):
    enrol(alice)
    client = password_sign_in()
    response = client.post("/accounts/two-factor/verify/", {"token": "123456"})
    assert response.status_code == 200 and "not right" in response.content.decode()
    assert client.get("/faxes/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.2fa_failed", outcome="failure").count() == 1


def test_repeated_wrong_codes_make_even_the_right_one_wait(alice):
    device, _ = enrol(alice)
    client = password_sign_in()
    right = code_for(device)
    # As after three wrong codes in a row (django-otp doubles the wait each time).
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=3, throttling_failure_timestamp=timezone.now()
    )
    response = client.post("/accounts/two-factor/verify/", {"token": right})
    assert "Too many wrong codes: wait 4 seconds" in response.content.decode()
    assert client.get("/faxes/").status_code == 302


def test_sign_out_works_before_the_code(alice):
    enrol(alice)
    client = password_sign_in()
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_works_once(alice):
    _, codes = enrol(alice)
    first = password_sign_in()
    response = first.post("/accounts/two-factor/verify/", {"token": codes[0].upper()})
    assert response.status_code == 302
    assert first.get("/faxes/").status_code == 200
    assert AuditEvent.objects.get(action="auth.2fa_verified").details == {"with": "recovery code"}

    second = password_sign_in()
    response = second.post("/accounts/two-factor/verify/", {"token": codes[0]})
    assert "not right" in response.content.decode()
    assert second.get("/faxes/").status_code == 302
    assert len(two_factor.recovery_codes(alice)) == 9


def test_replacing_recovery_codes_voids_the_old_ones(alice):
    device, old = enrol(alice)
    client = password_sign_in()
    client.post("/accounts/two-factor/verify/", {"token": code_for(device)})
    page = client.get("/accounts/two-factor/recovery-codes/")
    assert page["Cache-Control"] == "private, no-store"
    assert all(code in page.content.decode() for code in old)
    new = re.findall(
        r"<code>([a-z2-7]{8})</code>",
        client.post("/accounts/two-factor/recovery-codes/").content.decode(),
    )
    assert len(new) == 10 and not set(new) & set(old)
    assert two_factor.token_check(user=alice, token=old[1]) is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"auth.recovery_codes_viewed", "auth.recovery_codes_regenerated"} <= actions


def test_turning_it_off_needs_a_current_code(alice):
    device, _ = enrol(alice)
    client = password_sign_in()
    client.post("/accounts/two-factor/verify/", {"token": code_for(device)})
    client.post("/accounts/two-factor/disable/", {"token": "999999"})
    assert TOTPDevice.objects.filter(user=alice).exists()
    client.post("/accounts/two-factor/disable/", {"token": code_for(device)})
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticToken.objects.exists()
    assert AuditEvent.objects.filter(action="auth.2fa_disabled").count() == 1
    assert password_sign_in().get("/faxes/").status_code == 200  # no second step any more


# --- REQUIRE_2FA --------------------------------------------------------------------------------


def test_without_require_2fa_users_without_an_authenticator_go_straight_in(settings, alice):
    assert settings.REQUIRE_2FA is False  # `make run`'s demo users sign in with a password
    assert password_sign_in().get("/faxes/").status_code == 200


def test_require_2fa_holds_every_page_until_set_up(settings, alice):
    settings.REQUIRE_2FA = True
    client = password_sign_in()
    for url in ("/", "/faxes/", "/faxes/send/", "/numbers/", "/numbers/team/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/two-factor/setup/?next="), url
    setup = client.get("/accounts/two-factor/setup/?next=/faxes/")
    assert setup.status_code == 200 and "requires a second step" in setup.content.decode()
    device = TOTPDevice.objects.get(user=alice)
    done = client.post(
        "/accounts/two-factor/setup/", {"token": code_for(device), "next": "/faxes/"}
    )
    assert 'href="/faxes/"' in done.content.decode()  # "Done" goes on to the page asked for
    assert client.get("/faxes/").status_code == 200


def test_require_2fa_holds_the_admin_and_force_login_sessions_too(settings, staff):
    settings.REQUIRE_2FA = True
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/")["Location"].startswith("/accounts/two-factor/setup/")
    assert client.get(f"/faxes/{uuid.uuid4()}/row/", headers={"HX-Request": "true"}).has_header(
        "HX-Redirect"
    )


def test_turning_it_off_under_require_2fa_leads_back_to_setup(settings, alice):
    settings.REQUIRE_2FA = True
    device, _ = enrol(alice)
    client = password_sign_in()
    client.post("/accounts/two-factor/verify/", {"token": code_for(device)})
    response = client.post("/accounts/two-factor/disable/", {"token": code_for(device)})
    assert response["Location"] == "/accounts/two-factor/setup/"
    assert client.get("/faxes/")["Location"].startswith("/accounts/two-factor/setup/")


def test_a_session_begun_before_enrolment_must_give_a_code_for_the_secrets(alice):
    stale = password_sign_in()
    assert stale.get("/").status_code == 200  # no authenticator yet: nothing to check
    _, codes = enrol(alice)  # set up from another browser
    for method, path in [
        ("get", "/accounts/two-factor/recovery-codes/"),
        ("post", "/accounts/two-factor/recovery-codes/"),
        ("post", "/accounts/two-factor/disable/"),
    ]:
        response = getattr(stale, method)(path, {"token": codes[0]} if "disable" in path else {})
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/two-factor/verify/"), path
    assert TOTPDevice.objects.filter(user=alice).exists()
    assert two_factor.recovery_codes(alice) == codes
