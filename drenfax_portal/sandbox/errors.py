"""The sandbox's error responses, in either of the provider's two JSON shapes.

- nested (the default, as independent clients of the service see it):
  `{"error": {"name": "<Type>", "message": "<message>"}}`;
- flat (`--error-format flat`, the reference's style, which shows
  `"InvalidInputError: No files and cover page in to send."`):
  `{"error": "<Type>: <message>", "message": "<message>", "status": <code>}`.
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

    def body(self, error_format: str = "nested") -> dict[str, object]:
        if error_format == "flat":
            return {
                "error": f"{self.kind}: {self.message}",
                "message": self.message,
                "status": self.status,
            }
        return {"error": {"name": self.kind, "message": self.message}}


class InvalidInput(ApiError):
    status = 400
    kind = "InvalidInputError"


class Unauthorized(ApiError):
    status = 401
    kind = "AuthenticationError"


class Forbidden(ApiError):
    status = 403
    kind = "NotAllowedError"


class NotFound(ApiError):
    status = 404
    kind = "NotFoundError"


class MethodNotAllowed(ApiError):
    status = 405
    kind = "MethodNotAllowedError"


class RequestTimeout(ApiError):
    status = 408
    kind = "RequestTimeoutError"


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
