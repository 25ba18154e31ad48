"""`parse_uuid`: a UUID from a form field, a URL or the provider's JSON, or None."""

from __future__ import annotations

import uuid
from typing import Any


def parse_uuid(value: Any) -> uuid.UUID | None:
    """The UUID `value` spells, or None when it is empty or malformed."""
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
