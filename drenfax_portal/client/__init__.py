"""The Drenfax API client: every endpoint of the reference, typed results and typed errors.

No Django in here: the portal passes its settings in, and tests mock HTTP with `responses`.
"""

from __future__ import annotations

from .core import USER_AGENT, DrenfaxClient, GetRetry, default_retries
from .errors import (
    AuthenticationError,
    DrenfaxError,
    InvalidInputError,
    MalformedResponseError,
    NotAllowedError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from .models import (
    TERMINAL_STATUSES,
    Account,
    AvailableNumber,
    BatchError,
    BatchResult,
    CoverPage,
    Fax,
    FaxBridge,
    FaxNumber,
    HistoryPage,
    NumbersPage,
    User,
)
from .wire import Attachment, FaxPages, SendOptions

__all__ = [
    "TERMINAL_STATUSES",
    "USER_AGENT",
    "Account",
    "Attachment",
    "AuthenticationError",
    "AvailableNumber",
    "BatchError",
    "BatchResult",
    "CoverPage",
    "DrenfaxClient",
    "DrenfaxError",
    "Fax",
    "FaxBridge",
    "FaxNumber",
    "FaxPages",
    "GetRetry",
    "HistoryPage",
    "InvalidInputError",
    "MalformedResponseError",
    "NotAllowedError",
    "NotFoundError",
    "NumbersPage",
    "RateLimitedError",
    "SendOptions",
    "ServerError",
    "TransportError",
    "User",
    "default_retries",
]
