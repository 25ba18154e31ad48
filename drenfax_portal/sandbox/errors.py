"""The sandbox's error responses: one JSON shape for every failure.

Every error answers `{"error": "<Type>: <message>", "message": "<message>", "status": <code>}`.
`error` follows the provider's own style (the reference shows
`"InvalidInputError: No files and cover page in to send."`); `message` is the readable part
alone and `status` repeats the HTTP status code.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answered to the client as JSON with `status`."""

    status = 500
    kind = "InternalServerError"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {
            "error": f"{self.kind}: {self.message}",
            "message": self.message,
            "status": self.status,
        }


class InvalidInput(ApiError):
    status = 400
    kind = "InvalidInputError"


class Unauthorized(ApiError):
    status = 401
    kind = "AuthenticationError"


class Forbidden(ApiError):
    status = 403
    kind = "ForbiddenError"


class NotFound(ApiError):
    status = 404
    kind = "NotFoundError"


class MethodNotAllowed(ApiError):
    status = 405
    kind = "MethodNotAllowedError"


class LengthRequired(ApiError):
    status = 411
    kind = "LengthRequiredError"


class PayloadTooLarge(ApiError):
    status = 413
    kind = "PayloadTooLargeError"


class RateLimited(ApiError):
    status = 429
    kind = "RateLimitError"


class ServiceUnavailable(ApiError):
    status = 503
    kind = "ServiceUnavailableError"
