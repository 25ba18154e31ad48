"""Request parsing for the sandbox's WSGI app: query strings, form bodies, multipart uploads."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl

import multipart

from .errors import InvalidInput, LengthRequired, PayloadTooLarge, RequestTimeout

MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Form:
    """Fields of a form body (or a query string), keeping repeated names and upload order."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else default

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def uploads(self, *names: str) -> list[Upload]:
        return [f for f in self.files if f.field in names]


class Request:
    """A parsed WSGI request. The body is read once, eagerly, bounded by MAX_BODY_BYTES."""

    def __init__(self, environ: dict) -> None:
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = environ.get("PATH_INFO", "/") or "/"
        self.query_string = environ.get("QUERY_STRING", "")
        self.content_type = environ.get("CONTENT_TYPE", "") or ""
        self.body = self._read_body(environ)
        self.params: dict[str, str] = {}

    @staticmethod
    def _read_body(environ: dict) -> bytes:
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            raise LengthRequired("chunked request bodies are not supported; send Content-Length")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"request body larger than {MAX_BODY_BYTES // (1024 * 1024)} MB")
        if length <= 0:
            return b""
        try:
            return environ["wsgi.input"].read(length)
        except TimeoutError:
            raise RequestTimeout("the request body stopped before its Content-Length") from None

    @property
    def base_url(self) -> str:
        host = self.environ.get("HTTP_HOST") or (
            f"{self.environ.get('SERVER_NAME', '127.0.0.1')}:{self.environ.get('SERVER_PORT')}"
        )
        scheme = self.environ.get("wsgi.url_scheme", "http")
        return f"{scheme}://{host}"

    @cached_property
    def query(self) -> Form:
        form = Form()
        for key, value in parse_qsl(self.query_string, keep_blank_values=True):
            form.fields.setdefault(key, []).append(value)
        return form

    @cached_property
    def form(self) -> Form:
        """The body as a form: multipart/form-data or application/x-www-form-urlencoded.

        An empty body is an empty form. JSON and other bodies are refused with a readable 400,
        because the provider's endpoints take form bodies only.
        """
        mime = self.content_type.split(";")[0].strip().lower()
        if not self.body and mime in ("", "application/x-www-form-urlencoded"):
            return Form()
        if mime == "multipart/form-data":
            return parse_multipart(self.body, self.content_type)
        if mime == "application/x-www-form-urlencoded" or (
            not mime and self.body.lstrip()[:1] not in (b"{", b"[")
        ):  # a body without Content-Type is read as urlencoded, as curl -d sends it
            form = Form()
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput("the form body is not valid UTF-8") from None
            for key, value in parse_qsl(text, keep_blank_values=True):
                form.fields.setdefault(key, []).append(value)
            return form
        if not self.body:
            return Form()
        raise InvalidInput(
            f"expected a form body (multipart/form-data or application/x-www-form-urlencoded), "
            f"got {mime or 'no Content-Type'}"
        )

    def json_or_form(self) -> dict[str, str]:
        """Sandbox-only endpoints accept a JSON object or a form; returns flat values."""
        mime = self.content_type.split(";")[0].strip().lower()
        form_types = ("multipart/form-data", "application/x-www-form-urlencoded")
        if mime == "application/json" or (
            mime not in form_types and self.body.lstrip()[:1] in (b"{", b"[")
        ):
            data = self.json_object()
            return {k: v for k, v in data.items() if v is not None}
        return {k: v[-1] for k, v in self.form.fields.items()}

    def json_object(self) -> dict:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise InvalidInput(f"the body is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InvalidInput("the JSON body must be an object")
        return data


def parse_multipart(body: bytes, content_type: str) -> Form:
    boundary = multipart.parse_options_header(content_type)[1].get("boundary")
    if not boundary:
        raise InvalidInput("multipart/form-data body without a boundary")
    # The body is in memory already: so are its parts (no spooling to temporary files).
    parser = multipart.MultipartParser(
        io.BytesIO(body), boundary, spool_limit=MAX_BODY_BYTES, memory_limit=MAX_BODY_BYTES
    )
    form = Form()
    try:
        for part in parser:
            if part.filename is None:
                form.fields.setdefault(part.name, []).append(part.raw.decode("utf-8", "replace"))
            else:
                form.files.append(Upload(part.name, part.filename, part.content_type, part.raw))
    except multipart.MultipartError as exc:
        raise InvalidInput(f"malformed multipart/form-data body ({exc})") from None
    return form


# --- value parsers shared by the endpoints --------------------------------------------------------
def parse_bool(name: str, value: str | None, default: bool | None = None) -> bool | None:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise InvalidInput(f"{name} must be true or false, not '{value}'")


SQLITE_MAX = 2**63 - 1  # the largest integer SQLite stores (and takes as an OFFSET)


def parse_int(name: str, value: str | None, default: int, low: int, high: int | None) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, not '{value}'") from None
    if high is None:
        high = SQLITE_MAX if number > SQLITE_MAX else None
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidInput(f"{name} must be {bounds}, not {number}")
    return number


def parse_json(name: str, text: str, *, kind: str = "JSON") -> object:
    """A form field holding JSON, as strict parsers read it: no NaN or Infinity, and not
    nested beyond what Python's parser can follow."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except RecursionError:
        raise InvalidInput(f"{name} must be {kind} (this one is nested too deeply)") from None
    except ValueError as exc:
        raise InvalidInput(f"{name} must be {kind} ({exc})") from None


def parse_uuid(name: str, value: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        raise InvalidInput(f"{name} must be a UUID, not '{value}'") from None


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(value) == 36


def split_list(value: str | None) -> list[str]:
    """A comma-separated list parameter (the provider's encoding of String[])."""
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]
