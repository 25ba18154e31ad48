"""The startup checks warn loudly when the webhook cannot authenticate the provider."""

from __future__ import annotations

from django.core import checks

from faxes.checks import check_webhook_credentials


def ids() -> list[str]:
    return [message.id for message in check_webhook_credentials()]


def test_it_warns_in_production_without_webhook_credentials(settings):
    settings.DEBUG = False
    settings.DRENFAX_SANDBOX = False
    settings.DRENFAX_WEBHOOK_AUTH = ""
    (warning,) = check_webhook_credentials()
    assert warning.id == "faxes.W001" and warning.level == checks.WARNING
    assert "DRENFAX_WEBHOOK_AUTH" in warning.msg and "503" in warning.msg


def test_it_is_quiet_with_credentials_in_debug_or_in_sandbox_mode(settings):
    settings.DEBUG, settings.DRENFAX_SANDBOX = False, False
    settings.DRENFAX_WEBHOOK_AUTH = "drenfax:secret"
    assert ids() == []
    settings.DRENFAX_WEBHOOK_AUTH = ""
    settings.DEBUG = True
    assert ids() == []
    settings.DEBUG, settings.DRENFAX_SANDBOX = False, True
    assert ids() == []


def test_it_warns_about_credentials_without_a_colon(settings):
    settings.DRENFAX_WEBHOOK_AUTH = "onlyonepart"
    assert ids() == ["faxes.W002"]


def test_the_check_is_registered():
    assert check_webhook_credentials in checks.registry.registry.get_checks()
