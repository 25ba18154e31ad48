"""Production settings refuse to start without their secrets and pass `check --deploy`."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DRENFAX_", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="portal.example.com")
    assert result.returncode != 0
    assert result.stderr.strip() == "Configuration error: SECRET_KEY must be set when DEBUG is off"


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = run_manage("check", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(secrets.token_urlsafe(50))
    result = run_manage(
        "check", DEBUG="0", SECRET_KEY_FILE=str(key_file), ALLOWED_HOSTS="portal.example.com"
    )
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_under_production_variables():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_warns_in_production_without_webhook_credentials():
    result = run_manage(
        "check",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.com",
        DRENFAX_API_URL="https://api.drenfax.example",
        DRENFAX_API_KEY="key",
    )
    assert result.returncode != 0
    assert "faxes.W001" in result.stderr + result.stdout


def test_an_empty_variable_keeps_the_sandbox_default(tmp_path):
    # A .env copied from .env.example sets DRENFAX_WEBHOOK_AUTH= (empty).
    creds = {"api_key": "k", "account_id": "a", "webhook_auth": "drenfax:secret"}
    (tmp_path / "sandbox.json").write_text(json.dumps(creds))
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DRENFAX_WEBHOOK_AUTH)",
        DRENFAX_WEBHOOK_AUTH="",
        PORTAL_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "drenfax:secret"


def test_importing_the_settings_writes_nothing(tmp_path):
    var = tmp_path / "var"
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; settings.DATABASES",
        PORTAL_VAR_DIR=str(var),
    )
    assert result.returncode == 0, result.stderr
    assert not var.exists()


def settings_of(*names: str, **env: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print(repr(settings.{name}))" for name in names
    )
    result = run_manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-len(names) :]


def test_email_goes_to_the_console_by_default():
    assert settings_of("EMAIL_BACKEND", "NOTIFY_ATTACH_DOCUMENTS", EMAIL_URL="") == [
        "'django.core.mail.backends.console.EmailBackend'",
        "False",
    ]


def test_an_smtp_email_url_configures_every_smtp_setting():
    values = settings_of(
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "EMAIL_TIMEOUT",
        EMAIL_URL="smtp+tls://fax%40example.com:s3cr%2Ft@smtp.example.com:587",
    )
    assert values == [
        "'django.core.mail.backends.smtp.EmailBackend'",
        "'smtp.example.com'",
        "587",
        "'fax@example.com'",
        "'s3cr/t'",
        "True",
        "10",
    ]


def test_links_in_emails_default_to_the_first_allowed_host_in_production():
    values = settings_of(
        "PORTAL_BASE_URL",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.com,www.example.com",
    )
    assert values == ["'https://portal.example.com'"]
