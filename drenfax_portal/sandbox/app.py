"""The sandbox's WSGI application: routing, authentication, faults, stats and the endpoints."""

from __future__ import annotations

import hmac
import json
import logging
import math
import random
import re
import time
from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers

from . import blast, faxes, numbers
from .core import SandboxCore
from .coverpages import SAMPLE_TOKENS, cover_page_list, get_cover_page
from .documents import render_fax
from .errors import (
    ApiError,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
)
from .people import contacts
from .request import Request, parse_int, parse_json

log = logging.getLogger("drenfax_portal.sandbox")

HISTORY_ROUTE = "GET /v1/fax/history"
# Sends answer only after the configured --send-latency (the fax exists by then).
SEND_ROUTES = frozenset(
    {"POST /v1/faxes", "POST /v1/faxes/multiple", "POST /v1/fax/resend", "POST /v1/fax/blast"}
)


class AbortConnection(Exception):
    """Raised by the app to make the server drop the connection without an answer."""


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: object, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode())


def text_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8")


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        200,
        data,
        "application/pdf",
        {"Content-Disposition": f'attachment; filename="{filename}"'},
    )


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    kind: str = "api"  # api | sandbox | public
    regex: re.Pattern = field(init=False)
    params: int = field(init=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.regex = re.compile(pattern + r"\Z")
        self.params = self.template.count("{")

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


# --- fax endpoints --------------------------------------------------------------------------------
def send_fax(core: SandboxCore, req: Request) -> Response:
    now = core.clock.now()
    spec = faxes.parse_send(
        req.form, account_id=core.account_id, now=now, recipients="single", strict=core.strict
    )
    if len(spec.recipients) > 1:
        raise InvalidInput(
            f"POST /v1/faxes sends to one destination; use /v1/faxes/multiple for "
            f"{len(spec.recipients)} recipients"
        )
    faxes.normalise_destination(spec.recipients[0].raw)  # a bad number is a 400 here
    with core.write() as (conn, events):
        result = faxes.send(conn, core, spec=spec, now=now)
        events += [(fax, "fax.outbound.extended") for fax in result["success"]]
    core.wake()
    return json_response(result["success"][0])


def send_multiple(core: SandboxCore, req: Request) -> Response:
    now = core.clock.now()
    spec = faxes.parse_send(req.form, account_id=core.account_id, now=now, strict=core.strict)
    with core.write() as (conn, events):
        result = faxes.send(conn, core, spec=spec, now=now)
        events += [(fax, "fax.outbound.extended") for fax in result["success"]]
    core.wake()
    return json_response(result)


def resend_fax(core: SandboxCore, req: Request) -> Response:
    with core.write() as (conn, events):
        result = faxes.resend(conn, core, form=req.form, now=core.clock.now())
        events += [(fax, "fax.outbound.extended") for fax in result["success"]]
    core.wake()
    return json_response(result)


def preview_fax(core: SandboxCore, req: Request) -> Response:
    now = core.clock.now()
    spec = faxes.parse_send(req.form, account_id=core.account_id, now=now, recipients=None)
    cover = None
    if spec.cover_id:
        with core.store.read() as conn:
            caller_id = spec.fields.get("callerId") or faxes.default_caller_id(
                conn, core.account_id
            )
        recipient = req.form.get("recipientFax") or req.form.get("faxNumber") or ""
        tokens = faxes.cover_tokens(
            spec.fields, recipient=recipient, caller_id=caller_id, pages=spec.pages, when=now
        )
        cover = {"id": spec.cover_id, "tokens": tokens}
    return pdf_response(
        render_fax(cover=cover, attachments=spec.attachments, title="Preview"), "preview.pdf"
    )


def fax_blast(core: SandboxCore, req: Request) -> Response:
    now = core.clock.now()
    uploads = req.form.uploads("recipient")
    rows, errors = blast.read_recipients(uploads[0] if uploads else None)
    spec = faxes.parse_send(req.form, account_id=core.account_id, now=now, recipients=None)
    success = []
    with core.write() as (conn, events):
        for row in rows:
            fields = dict(spec.fields)
            fields["recipientName"] = row.name or fields.get("recipientName")
            row_spec = faxes.SendSpec(
                attachments=spec.attachments,
                cover_id=spec.cover_id,
                fields=fields,
                cf=spec.cf,
                tags=spec.tags,
                scheduled_at=spec.scheduled_at,
            )
            recipient = faxes.Recipient(raw=row.raw)
            fax = faxes.create_outbound(
                conn,
                core,
                spec=row_spec,
                recipient=recipient,
                e164=row.e164,
                region=row.region,
                now=now,
            )
            success.append(fax)
            events.append((fax, "fax.outbound.extended"))
    core.wake()
    return json_response({"success": success, "errors": errors})


def cancel_fax(core: SandboxCore, req: Request, messageId: str) -> Response:
    with core.write() as (conn, events):
        fax = faxes.cancel(conn, account_id=core.account_id, message_id=messageId)
        events.append((fax, "fax.outbound"))
    return json_response(fax)


def update_fax(core: SandboxCore, req: Request, messageId: str) -> Response:
    with core.store.tx() as conn:
        fax = faxes.set_archived(
            conn, account_id=core.account_id, message_id=messageId, form=req.form
        )
    return json_response(fax)


def delete_fax(core: SandboxCore, req: Request, messageId: str) -> Response:
    with core.store.tx() as conn:
        faxes.delete(conn, account_id=core.account_id, message_id=messageId, now=core.clock.now())
    return text_response("OK")


def download_fax(core: SandboxCore, req: Request, messageId: str) -> Response:
    fmt = (req.query.get("format") or "pdf").lower()
    if fmt != "pdf":
        raise InvalidInput(f"format must be pdf, not '{fmt}'")
    pdf = core.render_pdf(messageId)
    return pdf_response(pdf, f"{messageId.lower()}.pdf")


def fax_info(core: SandboxCore, req: Request, messageId: str) -> Response:
    with core.store.read() as conn:
        fax, _ = faxes.load_fax(conn, account_id=core.account_id, message_id=messageId)
    return json_response(fax)


def fax_history(core: SandboxCore, req: Request) -> Response:
    with core.store.read() as conn:
        return json_response(faxes.history(conn, account_id=core.account_id, query=req.query))


def list_cover_pages(core: SandboxCore, req: Request) -> Response:
    return json_response(cover_page_list(req.base_url))


# --- number endpoints -----------------------------------------------------------------------------
def list_numbers(core: SandboxCore, req: Request) -> Response:
    with core.store.tx() as conn:
        result = numbers.list_numbers(
            conn, account_id=core.account_id, query=req.query, now=core.clock.now()
        )
    return json_response(result)


def add_number_user(core: SandboxCore, req: Request, numberId: str, userId: str) -> Response:
    with core.store.tx() as conn:
        number = numbers.add_user(
            conn,
            account_id=core.account_id,
            number_id=numberId,
            user_id=userId,
            now=core.clock.now(),
        )
    return json_response(number)


def remove_number_user(core: SandboxCore, req: Request, numberId: str, userId: str) -> Response:
    with core.store.tx() as conn:
        numbers.remove_user(
            conn,
            account_id=core.account_id,
            number_id=numberId,
            user_id=userId,
            now=core.clock.now(),
        )
    return text_response("OK")


def provision_numbers(core: SandboxCore, req: Request) -> Response:
    with core.store.tx() as conn:
        result = numbers.provision(
            conn, account_id=core.account_id, form=req.form, now=core.clock.now()
        )
    return json_response(result)


def search_numbers(core: SandboxCore, req: Request) -> Response:
    with core.store.tx() as conn:
        result = numbers.search(
            conn, account_id=core.account_id, query=req.query, now=core.clock.now()
        )
    return json_response(result)


def number_settings(core: SandboxCore, req: Request, numberId: str) -> Response:
    with core.store.tx() as conn:
        result = numbers.update_settings(
            conn,
            account_id=core.account_id,
            number_id=numberId,
            form=req.form,
            now=core.clock.now(),
        )
    return json_response(result)


def release_number(core: SandboxCore, req: Request, numberId: str) -> Response:
    with core.store.tx() as conn:
        result = numbers.release(
            conn, account_id=core.account_id, number_id=numberId, now=core.clock.now()
        )
    return json_response(result)


def validate_number(core: SandboxCore, req: Request) -> Response:
    return json_response(numbers.validate(req.query))


# --- sandbox-only endpoints -----------------------------------------------------------------------
def sandbox_info(core: SandboxCore, req: Request) -> Response:
    return json_response({"url": req.base_url, **core.info()})


def sandbox_inbound(core: SandboxCore, req: Request) -> Response:
    data = req.json_or_form()
    pages = parse_int("pages", str(data.get("pages", 1)), 1, 1, 200)
    csid = data.get("csid")
    fax = core.create_inbound(
        to=str(data["to"]) if data.get("to") else None,
        sender=str(data["from"]) if data.get("from") else None,
        csid=str(csid) if csid is not None else None,
        pages=pages,
    )
    return json_response(fax)


def sandbox_faults_list(core: SandboxCore, req: Request) -> Response:
    return json_response({"faults": core.faults.list()})


def sandbox_faults_add(core: SandboxCore, req: Request) -> Response:
    data = parse_json("the body", (req.body or b"null").decode("utf-8", "replace"))
    specs = data if isinstance(data, list) else [data]
    added = [core.faults.add(spec).as_dict() for spec in specs]
    return json_response({"faults": added}, 201)


def sandbox_faults_clear(core: SandboxCore, req: Request) -> Response:
    return json_response({"cleared": core.faults.clear()})


def sandbox_stats(core: SandboxCore, req: Request) -> Response:
    with core.store.read() as conn:
        counts = faxes.fax_counts(conn, core.account_id)
        active = len(numbers.active_numbers(conn, core.account_id))
    return json_response(
        {
            **core.stats.snapshot(),
            "faxes": counts,
            "numbers": {"active": active},
            "webhooks": core.webhooks.snapshot(),
        }
    )


def sandbox_reset_stats(core: SandboxCore, req: Request) -> Response:
    core.stats.reset()
    core.history_limiter.reset()
    return json_response({"reset": True})


def sandbox_seed(core: SandboxCore, req: Request) -> Response:
    data = req.json_or_form()
    count = parse_int("count", str(data.get("count", 100)), 100, 1, 200000)
    days = data.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, int | float | str):
        raise InvalidInput("days must be a number")
    try:
        days = float(days)
    except ValueError:
        raise InvalidInput("days must be a number") from None
    if not 0 < days <= 3650:
        raise InvalidInput("days must be between 0 and 3650")
    seed_value = data.get("seed")
    if not isinstance(seed_value, int | float | str | None):
        raise InvalidInput("seed must be a number or a string")
    rng = random.Random(seed_value if seed_value is not None else time.time_ns())
    regulars = _correspondents(data.get("correspondents", []))
    started = time.monotonic()
    with core.store.read() as conn:
        active = numbers.active_numbers(conn, core.account_id)
    rows = faxes.seed_rows(
        active,
        account_id=core.account_id,
        count=count,
        days=days,
        now=core.clock.now(),
        rng=rng,
        correspondents=regulars,
    )
    with core.store.tx() as conn:
        faxes.insert_seed_rows(conn, rows)
    return json_response(
        {"created": len(rows), "seconds": round(time.monotonic() - started, 3)}, 201
    )


def _correspondents(value: object) -> list[tuple[str, str]]:
    """`[{"number": E.164, "name": CSID}]`: the offices a seeded history mostly deals with."""
    if not isinstance(value, list) or len(value) > 100:
        raise InvalidInput("correspondents must be a list of at most 100 objects")
    out = []
    for item in value:
        number = item.get("number") if isinstance(item, dict) else None
        name = item.get("name", "") if isinstance(item, dict) else None
        if not isinstance(number, str) or not isinstance(name, str) or len(name) > 40:
            raise InvalidInput("each correspondent needs a number and a name of at most 40")
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(number))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid or not number.startswith("+1"):
            raise InvalidInput(f"correspondent number {number!r} is not a valid +1 number")
        out.append((number, name))
    return out


def sandbox_contacts(core: SandboxCore, req: Request) -> Response:
    return json_response({"rows": contacts(core.account_id)})


def sandbox_webhook_get(core: SandboxCore, req: Request) -> Response:
    limit = parse_int("limit", req.query.get("limit"), 100, 1, 1000)
    return json_response({**core.webhooks.snapshot(), "log": list(core.webhooks.log)[-limit:]})


def sandbox_webhook_set(core: SandboxCore, req: Request) -> Response:
    data = req.json_object()
    url = data.get("url") or None
    auth = data.get("auth") or None
    fmt = data.get("format") or "json"
    if url is not None and (not isinstance(url, str) or not re.match(r"https?://", url)):
        raise InvalidInput("url must be an http(s) URL or null")
    if auth is not None and (not isinstance(auth, str) or ":" not in auth):
        raise InvalidInput("auth must be user:password or null")
    if fmt not in ("json", "multipart"):
        raise InvalidInput("format must be json or multipart")
    core.webhooks.configure(url=url, auth=auth, fmt=fmt)
    return json_response(core.webhooks.snapshot())


def sandbox_clock(core: SandboxCore, req: Request) -> Response:
    data = req.json_or_form()
    try:
        seconds = float(data.get("advance", 0))
    except (TypeError, ValueError):
        raise InvalidInput("advance must be a number of seconds") from None
    if not 0 <= seconds <= 10 * 365 * 86400:
        raise InvalidInput("advance must be between 0 and ten years, in seconds")
    core.advance_clock(seconds)
    return json_response({"offset": core.clock.offset, "now": core.clock.now()})


def cover_page_preview(core: SandboxCore, req: Request, coverPageId: str) -> Response:
    if get_cover_page(coverPageId) is None:
        raise NotFound(f"cover page {coverPageId} not found")
    pdf = render_fax(cover={"id": coverPageId.lower(), "tokens": SAMPLE_TOKENS}, attachments=[])
    return Response(200, pdf, "application/pdf")


ROUTES = [
    Route("POST", "/v1/faxes", send_fax),
    Route("POST", "/v1/faxes/multiple", send_multiple),
    Route("POST", "/v1/fax/resend", resend_fax),
    Route("POST", "/v1/fax/preview", preview_fax),
    Route("POST", "/v1/fax/blast", fax_blast),
    Route("POST", "/v1/fax/{messageId}/cancel", cancel_fax),
    Route("PATCH", "/v1/fax/{messageId}", update_fax),
    Route("GET", "/v1/fax/{messageId}/download", download_fax),
    Route("GET", "/v1/fax/history", fax_history),
    Route("GET", "/v1/fax/{messageId}/info", fax_info),
    Route("DELETE", "/v1/fax/{messageId}", delete_fax),
    Route("GET", "/coverpages", list_cover_pages),
    Route("GET", "/v1/numbers", list_numbers),
    Route("POST", "/v1/numbers/{numberId}/user/{userId}", add_number_user),
    Route("DELETE", "/v1/numbers/{numberId}/user/{userId}", remove_number_user),
    Route("POST", "/v1/numbers/provision", provision_numbers),
    Route("GET", "/v1/numbers/provision/search", search_numbers),
    Route("PATCH", "/v1/numbers/{numberId}", number_settings),
    Route("DELETE", "/v1/numbers/{numberId}/release", release_number),
    Route("GET", "/v1/numbers/validate", validate_number),
    Route("GET", "/_sandbox/info", sandbox_info, "sandbox"),
    Route("POST", "/_sandbox/inbound", sandbox_inbound, "sandbox"),
    Route("GET", "/_sandbox/faults", sandbox_faults_list, "sandbox"),
    Route("POST", "/_sandbox/faults", sandbox_faults_add, "sandbox"),
    Route("DELETE", "/_sandbox/faults", sandbox_faults_clear, "sandbox"),
    Route("GET", "/_sandbox/stats", sandbox_stats, "sandbox"),
    Route("POST", "/_sandbox/reset-stats", sandbox_reset_stats, "sandbox"),
    Route("POST", "/_sandbox/seed", sandbox_seed, "sandbox"),
    Route("GET", "/_sandbox/contacts", sandbox_contacts, "sandbox"),
    Route("GET", "/_sandbox/webhooks", sandbox_webhook_get, "sandbox"),
    Route("POST", "/_sandbox/webhooks", sandbox_webhook_set, "sandbox"),
    Route("POST", "/_sandbox/clock", sandbox_clock, "sandbox"),
    Route("GET", "/_sandbox/coverpages/{coverPageId}.pdf", cover_page_preview, "public"),
]
API_ROUTE_KEYS = [r.key for r in ROUTES if r.kind == "api"]


def match(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The most specific route for the path (literal segments beat placeholders).

    404 when no route has this path; 405 (with Allow) when the path exists for other methods.
    """
    if len(path) > 1:
        path = path.rstrip("/")
    candidates = [(r, m.groupdict()) for r in ROUTES if (m := r.regex.match(path))]
    if not candidates:
        raise NotFound(f"no endpoint {path}")
    fewest = min(r.params for r, _ in candidates)
    best = [(r, p) for r, p in candidates if r.params == fewest]
    for route, params in best:
        if route.method == method:
            return route, params
    allowed = ", ".join(sorted({r.method for r, _ in best}))
    raise MethodNotAllowed(
        f"{method} is not allowed on {path} (allowed: {allowed})", headers={"Allow": allowed}
    )


def resolve_endpoint(endpoint: str) -> str:
    """Fault endpoints: "*" or "METHOD /path" (METHOD may be "*") -> a normalised route key."""
    if endpoint == "*":
        return "*"
    method, _, path = endpoint.partition(" ")
    method = method.upper()
    path = path.strip()
    if not path.startswith("/"):
        raise InvalidInput(f'endpoint must look like "POST /v1/faxes", not "{endpoint}"')
    candidates = [r for r in ROUTES if r.kind == "api" and r.regex.match(path.rstrip("/") or "/")]
    if not candidates:
        raise InvalidInput(f"no API endpoint {path}; known: {', '.join(API_ROUTE_KEYS)}")
    fewest = min(r.params for r in candidates)
    candidates = [r for r in candidates if r.params == fewest]
    if method == "*":
        return f"* {candidates[0].template}"
    for route in candidates:
        if route.method == method:
            return route.key
    raise InvalidInput(f"no API endpoint {method} {path}; known: {', '.join(API_ROUTE_KEYS)}")


class SandboxApp:
    """The WSGI callable."""

    def __init__(self, core: SandboxCore) -> None:
        self.core = core

    def __call__(self, environ: dict, start_response):
        started = time.monotonic()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "/") or "/"
        key = "unmatched"
        try:
            route, params = match(method, path)
            key = route.key
            req = Request(environ)
            response = self._dispatch(route, params, req)
        except AbortConnection:
            self.core.stats.record(key, "closed")  # only API routes get here
            self._log(environ, "closed", started)
            raise
        except ApiError as exc:
            response = json_response(exc.body(self.core.config.error_format), exc.status)
            response.headers.update(exc.headers)
        except Exception as exc:
            log.exception("sandbox error on %s %s", method, path)
            error = ApiError(f"unexpected sandbox error: {type(exc).__name__}: {exc}")
            response = json_response(error.body(self.core.config.error_format), 500)
        if not key.split(" ", 1)[-1].startswith("/_sandbox/"):  # stats count API calls only
            self.core.stats.record(key, response.status)
        self._log(environ, response.status, started)
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
        ]
        headers += list(response.headers.items())
        start_response(f"{response.status} {_REASONS.get(response.status, 'Status')}", headers)
        return [response.body]

    def _dispatch(self, route: Route, params: dict[str, str], req: Request) -> Response:
        core = self.core
        if route.kind != "public":
            self._authenticate(req)
        fault = core.faults.take(route.key) if route.kind == "api" else None
        if fault and fault.fault in ("500", "503", "429", "close"):
            return self._fault_before(fault)
        if route.key == HISTORY_ROUTE:
            wait = core.history_limiter.hit(core.account_id)
            if wait:
                seconds = max(1, math.ceil(wait))
                raise RateLimited(
                    f"rate limit of {core.history_limiter.limit} requests per "
                    f"{core.history_limiter.window:g} seconds exceeded",
                    headers={"Retry-After": str(seconds)} if core.config.retry_after else {},
                )
        response = route.handler(core, req, **params)
        if route.key in SEND_ROUTES:
            core.stopping.wait(core.send_latency())
        if fault:
            return self._fault_after(fault, response)
        return response

    def _fault_before(self, fault) -> Response:
        if fault.fault == "close":
            raise AbortConnection
        if fault.fault == "429":
            raise RateLimited(
                "injected fault: too many requests",
                headers={"Retry-After": str(fault.retry_after)},
            )
        if fault.fault == "503":
            raise ServiceUnavailable("injected fault: service unavailable")
        raise ApiError("injected fault: internal server error")

    def _fault_after(self, fault, response: Response) -> Response:
        if fault.fault == "close_after_create":
            raise AbortConnection
        if fault.fault == "stall_after_create":
            self.core.stopping.wait(fault.stall_seconds)
            return response
        # malformed_json: a 200 whose JSON body is cut off half-way
        body = (
            response.body
            if response.content_type.startswith("application/json")
            else b'{"ok": true}'
        )
        return Response(
            200, body[: max(1, len(body) // 2)] + b"\x00}{", "application/json; charset=utf-8"
        )

    def _authenticate(self, req: Request) -> None:
        header = req.environ.get("HTTP_AUTHORIZATION", "").strip()
        if not header:
            raise Unauthorized(
                "missing Authorization header; send 'Authorization: Basic <API key>'"
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "basic" or not token:
            raise Unauthorized("the Authorization header must be 'Basic <API key>'")
        if hmac.compare_digest(token.encode(), self.core.api_key.encode()):
            return
        try:
            decoded = b64decode(token, validate=True).decode()
        except ValueError:
            decoded = ""
        if self.core.api_key in decoded.split(":"):
            raise Unauthorized(
                "invalid API key: send the key as is after 'Basic ', not base64-encoded"
            )
        raise Unauthorized("invalid API key")

    def _log(self, environ: dict, status: int | str, started: float) -> None:
        if not self.core.config.log_requests:
            return
        query = environ.get("QUERY_STRING")
        path = environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
        log.info(
            "%s %s %s %s %.0fms",
            environ.get("REMOTE_ADDR", "-"),
            environ.get("REQUEST_METHOD"),
            path,
            status,
            (time.monotonic() - started) * 1000,
        )


_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
