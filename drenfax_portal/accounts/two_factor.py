"""Two-factor sign-in: an authenticator app (TOTP) plus single-use recovery codes (django-otp).

A user has at most one of each device. The first correct code confirms a new authenticator
and creates the recovery codes; a recovery code is used up. django-otp throttles wrong codes
per device and refuses a TOTP code already used.
"""

from __future__ import annotations

import base64
import math
import re

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR = "Authenticator app"
RECOVERY = "Recovery codes"
_SEPARATORS = re.compile(r"[\s-]+")


def totp_device(user: AbstractBaseUser, *, confirmed: bool = True) -> TOTPDevice | None:
    devices = TOTPDevice.objects.filter(user=user, name=AUTHENTICATOR, confirmed=confirmed)
    return devices.order_by("-id").first()


def recovery_device(user: AbstractBaseUser) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY, confirmed=True).first()


def is_enrolled(user: AbstractBaseUser) -> bool:
    return totp_device(user) is not None


@transaction.atomic
def totp_setup_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator this user is setting up (the same one until confirmed,
    so reloading the page keeps the QR code the app scanned)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it by hand: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The setup QR code as inline SVG (rendered here: the key never leaves the portal)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5,
        dark="#000",
        light="#fff",
        omitsize=True,
        title="QR code for your authenticator app",
    )


def normalise(token: str) -> str:
    return _SEPARATORS.sub("", token or "").lower()


@transaction.atomic
def totp_setup_confirm(*, user: AbstractBaseUser, token: str) -> list[str] | None:
    """Confirm the authenticator being set up with a code from the app: the new recovery
    codes (shown once; earlier devices are replaced), or None if the code is wrong."""
    device = totp_device(user, confirmed=False)
    if device is None or not device.verify_token(normalise(token)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_replace(user=user)


@transaction.atomic
def recovery_codes_replace(*, user: AbstractBaseUser) -> list[str]:
    """A new set of single-use recovery codes; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODES_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes(user: AbstractBaseUser) -> list[str]:
    device = recovery_device(user)
    if device is None:
        return []
    return list(device.token_set.order_by("id").values_list("token", flat=True))


@transaction.atomic
def token_check(*, user: AbstractBaseUser, token: str) -> Device | None:
    """The device that accepts this code (the authenticator for six digits, else a recovery
    code, which is then used up), or None."""
    token = normalise(token)
    if not token:
        return None
    is_totp = token.isdigit() and len(token) == 6
    device = totp_device(user) if is_totp else recovery_device(user)
    if device is None:
        return None
    # Lock the row: two requests with one recovery code must not both pass.
    device = type(device).objects.select_for_update().get(pk=device.pk)
    return device if device.verify_token(token) else None


def wait_seconds(user: AbstractBaseUser) -> int:
    """Seconds repeated wrong codes make the user wait (django-otp doubles it each time;
    the first waits are too short to mention, so 0)."""
    wait = 0.0
    for device in (totp_device(user), recovery_device(user)):
        if device is None:
            continue
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("failure_count", 0) >= 3 and info.get("locked_until"):
            wait = max(wait, (info["locked_until"] - timezone.now()).total_seconds())
    return max(0, math.ceil(wait))


@transaction.atomic
def two_factor_disable(*, user: AbstractBaseUser) -> None:
    """Remove the user's authenticator and recovery codes."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
