"""The API key, the webhook credentials and storage passwords never reach a page, a log line
or an error report."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.views.debug import get_exception_reporter_class

from drenfax_portal.security import REDACTED, redact
from fax_numbers.models import StorageCredential
from tests.conftest import API_URL
from tests.numbers.payloads import cached_number
from tests.portal.test_login_required import app_urls
from tests.portal.test_settings import BASE_DIR

pytestmark = pytest.mark.django_db

API_KEY = "live-drenfax-key-7f3a9c1e5b2d4f60"
WEBHOOK_PASSWORD = "hook-password-91c2e8d7"
WEBHOOK_AUTH = f"drenfax-hooks:{WEBHOOK_PASSWORD}"
STORAGE_PASSWORD = "sftp-password-a1b2c3d4e5"


@pytest.fixture
def secrets_set(settings, api):
    settings.DRENFAX_API_KEY = API_KEY
    settings.DRENFAX_WEBHOOK_AUTH = WEBHOOK_AUTH
    return api


def assert_clean(text: str) -> None:
    for secret in (API_KEY, WEBHOOK_PASSWORD, STORAGE_PASSWORD):
        assert secret not in text


def test_no_page_shows_a_secret(secrets_set, staff_client, alice):
    number = cached_number("2065550100", alice)
    StorageCredential.objects.create(number=number, password=STORAGE_PASSWORD)
    secrets_set.get(f"{API_URL}/v1/coverpages", json=[])
    for _name, url in app_urls():
        response = staff_client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert_clean(body.decode(errors="replace"))
    assert_clean(staff_client.get(f"/numbers/{number.uuid}/").content.decode())


def test_log_lines_are_redacted_wherever_they_are_captured(secrets_set, caplog):
    log = logging.getLogger("faxes.client")
    with caplog.at_level(logging.INFO):
        log.warning("call failed; headers %s", {"Authorization": f"Basic {API_KEY}"})
        log.info("webhook from %s", WEBHOOK_AUTH)
        log.info("storage saved: password=%s host=ftp.example.com", STORAGE_PASSWORD)
        try:
            raise RuntimeError(f"refused key {API_KEY}")
        except RuntimeError:
            log.exception("sync failed")
    assert_clean(caplog.text)
    assert REDACTED in caplog.text and "host=ftp.example.com" in caplog.text


def test_a_failing_api_call_logs_no_key(secrets_set, caplog, alice):
    from drenfax_portal.api import get_client
    from faxes.services.sync import sync_faxes_step

    secrets_set.get(f"{API_URL}/v1/fax/history", status=401, json={"error": "bad key"})
    with caplog.at_level(logging.DEBUG), get_client() as client:
        sync_faxes_step(client=client, account_id="acct")
    assert_clean(caplog.text)


def test_the_webhook_logs_no_credentials(settings, client, caplog):
    settings.DRENFAX_WEBHOOK_AUTH = WEBHOOK_AUTH
    import base64

    wrong = base64.b64encode(f"drenfax-hooks:{WEBHOOK_PASSWORD}x".encode()).decode()
    with caplog.at_level(logging.DEBUG):
        client.post(
            "/webhooks/drenfax/",
            data="{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {wrong}",
        )
    assert_clean(caplog.text)
    assert wrong not in caplog.text


def boom(request):
    api_key = API_KEY  # noqa: F841 (a local the error report would show)
    headers = {"Authorization": f"Basic {API_KEY}"}  # noqa: F841
    raise RuntimeError(f"upstream refused {WEBHOOK_AUTH}")


def test_an_error_report_carries_no_secret(secrets_set):
    request = RequestFactory().post(
        f"/faxes/?token={API_KEY}",
        {"password": STORAGE_PASSWORD, "note": "hello"},
        HTTP_AUTHORIZATION=f"Basic {API_KEY}",
    )
    try:
        boom(request)
    except RuntimeError:
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())
    text, html = reporter.get_traceback_text(), reporter.get_traceback_html()
    assert_clean(text)
    assert_clean(html)
    assert "hello" in text  # ordinary fields stay readable


def test_a_500_logs_and_mails_admins_without_secrets(secrets_set, settings, caplog, monkeypatch):
    settings.ADMINS = [("Ops", "ops@example.com")]

    def broken(*args, **kwargs):
        boom(None)

    monkeypatch.setattr("faxes.views.history.filter_faxes", broken)
    client = Client(raise_request_exception=False)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("carol"))
    with caplog.at_level(logging.ERROR):
        response = client.get("/faxes/", HTTP_AUTHORIZATION=f"Basic {API_KEY}")
    assert response.status_code == 500
    assert_clean(response.content.decode())
    assert "Internal Server Error: /faxes/" in caplog.text
    assert_clean(caplog.text)
    assert mail.outbox, "the admins got no error email"
    message = mail.outbox[0]
    assert_clean(message.subject + message.body)
    for body, _type in message.alternatives:
        assert_clean(body)


def test_redact_knows_the_forms_secrets_take(settings):
    settings.DRENFAX_API_KEY = API_KEY
    settings.DRENFAX_WEBHOOK_AUTH = WEBHOOK_AUTH
    import base64

    encoded = base64.b64encode(WEBHOOK_AUTH.encode()).decode()
    text = redact(
        f"key={API_KEY} basic {encoded} pw {WEBHOOK_PASSWORD} "
        "postgres://drenfax:s3cr3t-db@db/x Authorization: Bearer abc.def"
    )
    assert API_KEY not in text and encoded not in text and WEBHOOK_PASSWORD not in text
    assert "s3cr3t-db" not in text and "abc.def" not in text
    assert "postgres://drenfax:[redacted]@db/x" in text


@pytest.mark.parametrize(
    "name", ["SECRET_KEY", "DRENFAX_API_KEY", "DRENFAX_WEBHOOK_AUTH", "DATABASE_URL"]
)
def test_every_secret_can_come_from_a_file(tmp_path, name):
    values = {
        "SECRET_KEY": "k" * 50,
        "DRENFAX_API_KEY": API_KEY,
        "DRENFAX_WEBHOOK_AUTH": WEBHOOK_AUTH,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}",
    }
    secret_file = tmp_path / "secret"
    secret_file.write_text(values[name] + "\n")
    setting = "DATABASES['default']['NAME']" if name == "DATABASE_URL" else name
    result = subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "manage.py"),
            "shell",
            "-c",
            f"from django.conf import settings; print(settings.{setting})",
        ],
        cwd=BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            f"{name}_FILE": str(secret_file),
            "DRENFAX_API_URL": "https://api.drenfax.example",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    expected = str(tmp_path / "other.sqlite3") if name == "DATABASE_URL" else values[name]
    assert result.stdout.strip().splitlines()[-1] == expected


def test_the_admin_never_shows_an_authenticator_key(alice):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from drenfax_portal.accounts.two_factor import totp_secret

    device = TOTPDevice.objects.create(user=alice, name="Authenticator app")
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-1234")
    client = Client()
    client.force_login(root)
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in page and totp_secret(device) not in page
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
