"""`DrenfaxClient`: one method per endpoint of the Drenfax API reference.

A thin layer over one `requests.Session`: a timeout on every call, typed results and errors.
Only GETs are retried: a POST, PATCH or DELETE is sent once, so no fax goes out twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import IO, Any, Unpack, overload
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from drenfax_portal import __version__

from . import wire
from .errors import (
    InvalidInputError,
    error_from_response,
    malformed_response,
    transport_error,
)
from .limits import HISTORY_LIMIT_MAX, NAME_MAX, NOTES_MAX, PROVISION_MAX, SUBJECT_MAX
from .models import (
    AvailableNumber,
    BatchResult,
    CoverPage,
    Fax,
    FaxNumber,
    HistoryPage,
    NumbersPage,
)

USER_AGENT = f"drenfax-portal/{__version__} (+python-requests)"


class GetRetry(Retry):
    """urllib3's `Retry`, but only a GET is ever retried (urllib3 would retry any method
    whose connection never opened), and a `Retry-After` over `longest_wait` seconds is
    raised at once for the caller (the sync) to schedule."""

    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})
    longest_wait = 10.0

    def increment(self, method=None, url=None, response=None, error=None, *args, **kwargs):
        if method != "GET":
            return _NO_RETRY.increment(method, url, response, error, *args, **kwargs)
        wait = self.get_retry_after(response) if response is not None else None
        if wait is not None and wait > self.longest_wait:
            raise MaxRetryError(kwargs.get("_pool"), url, ResponseError("Retry-After too long"))
        return super().increment(method, url, response, error, *args, **kwargs)


_NO_RETRY = Retry(0, read=False)  # requests' own default: nothing is retried


def default_retries() -> GetRetry:
    """Up to 3 retries of a GET after a 502/503/504, a short Retry-After or a connection
    that never opened; not after a read timeout (a history call costs a quota token)."""
    return GetRetry(
        total=3,
        read=0,
        other=0,
        status_forcelist=(502, 503, 504),
        allowed_methods=("GET",),
        backoff_factor=0.5,
        backoff_max=8.0,
        backoff_jitter=0.5,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def _api_key_auth(api_key: str) -> Callable[[requests.PreparedRequest], Any]:
    """`Authorization: Basic <key>` with the key as is (not base64 of user:password); an
    auth hook rather than a header, so a `~/.netrc` entry can never replace it (and a
    closure, whose repr never shows the key)."""

    def auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Basic {api_key}"
        return request

    return auth


class DrenfaxClient:
    """The Drenfax API, one method per endpoint; each raises a `DrenfaxError` on failure.

    `timeout` is requests' `(connect, read)` for every call. A `session` passed in is
    shared and not closed by `close()`; `retries` replaces `default_retries()`. No rate
    limit is kept here: callers take a token first, and a 429 is a `RateLimitedError`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | tuple[float, float] = (5, 60),
        session: requests.Session | None = None,
        retries: GetRetry | None = None,
    ) -> None:
        parts = urlsplit(base_url if isinstance(base_url, str) else "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if not isinstance(api_key, str) or not api_key.strip() or not api_key.isprintable():
            raise ValueError("api_key must be a non-empty single-line string")
        if not _valid_timeout(timeout):
            # requests reads None as "wait forever"; every call must have a deadline.
            raise ValueError(f"timeout must be seconds or (connect, read) seconds, got {timeout!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self._owns_session = session is None
        # Mounted for this API's URLs only, so a shared session's other adapters stay as they are.
        adapter = HTTPAdapter(max_retries=retries if retries is not None else default_retries())
        self.session.mount(self.base_url + "/", adapter)
        self._auth = _api_key_auth(api_key)

    def __repr__(self) -> str:
        return f"DrenfaxClient({self.base_url!r})"

    def close(self) -> None:
        """Close the session, if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> DrenfaxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- faxes ---------------------------------------------------------------------------

    def send_fax(self, fax_number: str, **options: Unpack[wire.SendOptions]) -> Fax:
        """Send a fax to one number (`POST /v1/faxes`, multipart). Never retried.

        The field is `faxNumber`, as the reference's example and every other client send
        (its table's `recipientFax` is a copy slip, see API-NOTES). On a `TransportError`
        with `request_sent`, or a `ServerError`, look the fax up before sending again.
        """
        fax_number = wire.required_text("fax_number", fax_number)
        if "," in fax_number:
            raise InvalidInputError(
                "fax_number is one destination; use send_multiple for several",
                field="fax_number",
            )
        parts = _send_parts([("faxNumber", fax_number)], options, wire.SendOptions)
        return Fax.from_api(self._call("POST", "/v1/faxes", files=parts))

    def send_multiple(
        self,
        recipients: Sequence[str],
        *,
        recipient_contacts: Sequence[str] = (),
        **options: Unpack[wire.SendOptions],
    ) -> BatchResult:
        """Send one fax to each recipient number and contact (`POST /v1/faxes/multiple`).
        Never retried; recipients the provider refused are in the result's `errors`."""
        numbers = wire.strings("recipients", recipients)
        contacts = wire.strings("recipient_contacts", recipient_contacts)
        if not numbers and not contacts:
            raise InvalidInputError(
                "recipients or recipient_contacts is required", field="recipients"
            )
        destinations = [("recipientFax", numbers), ("recipientContacts", contacts)]
        parts = _send_parts(destinations, options, wire.SendOptions)
        return BatchResult.from_api(self._call("POST", "/v1/faxes/multiple", files=parts))

    def resend_fax(self, message_id: str, *, recipient_fax: str | None = None) -> BatchResult:
        """Send a previous fax again, optionally to another number. Never retried."""
        form = wire.pairs(
            ("messageId", wire.required_text("message_id", message_id)),
            ("recipientFax", wire.optional_id("recipient_fax", recipient_fax)),
        )
        return BatchResult.from_api(self._call("POST", "/v1/fax/resend", form=form))

    def preview_fax(self, **pages: Unpack[wire.FaxPages]) -> bytes:
        """Render a fax without sending it (`POST /v1/fax/preview`, multipart): the PDF."""
        return self._pdf("POST", "/v1/fax/preview", files=_send_parts([], pages, wire.FaxPages))

    def send_blast(
        self,
        recipients_file: wire.Attachment,
        *,
        cover_page: bool = False,
        cover_page_id: str | None = None,
    ) -> BatchResult:
        """Send to every recipient of an Excel file (`POST /v1/fax/blast`). Never retried."""
        file = wire.attachment("recipients_file", recipients_file)
        fields = wire.pairs(
            ("coverPage", wire.boolean("cover_page", cover_page)),
            ("coverPageId", wire.optional_id("cover_page_id", cover_page_id)),
        )
        parts = _multipart(fields, "recipient", [file])
        return BatchResult.from_api(self._call("POST", "/v1/fax/blast", files=parts))

    def cancel_fax(self, message_id: str) -> Fax:
        """Cancel a `processing` or `scheduled` fax; answers it with status `cancelled`."""
        return Fax.from_api(self._call("POST", _fax_path(message_id, "/cancel")))

    def update_fax(self, message_id: str, *, is_archived: bool) -> Fax:
        """Archive or unarchive a fax (`PATCH /v1/fax/{messageId}`, urlencoded)."""
        form = wire.pairs(("isArchived", wire.boolean("is_archived", is_archived)))
        return Fax.from_api(self._call("PATCH", _fax_path(message_id), form=form))

    @overload
    def download_fax(self, message_id: str, *, to: None = None) -> bytes: ...

    @overload
    def download_fax(self, message_id: str, *, to: IO[bytes]) -> int: ...

    def download_fax(self, message_id: str, *, to: IO[bytes] | None = None) -> bytes | int:
        """The fax as PDF: the bytes, or streamed into `to` and the number of bytes written
        (a broken stream raises `TransportError` and may leave part of the file in `to`)."""
        if to is not None and not callable(getattr(to, "write", None)):
            raise InvalidInputError("to must be a binary file object", field="to")
        return self._pdf("GET", _fax_path(message_id, "/download"), to)

    def fax_history(
        self,
        account_id: str,
        *,
        offset: int = 0,
        limit: int = 10,
        direction: str = "all",
        status: str = "all",
        from_date: date | None = None,
        to_date: date | None = None,
        user_id: str | None = None,
        query: str | None = None,
        tags: Sequence[str] = (),
        is_archived: bool | None = None,
        include: Sequence[str] = (),
    ) -> HistoryPage:
        """One page of the account's faxes, newest first (8 calls a minute per account)."""
        account_id = wire.required_text("account_id", account_id)
        from_date = wire.day("from_date", from_date)
        to_date = wire.day("to_date", to_date)
        if from_date and to_date and from_date > to_date:
            raise InvalidInputError("from_date must not be after to_date", field="from_date")
        archived = None if is_archived is None else wire.boolean("is_archived", is_archived)
        params = wire.pairs(
            ("accountId", account_id),
            ("offset", wire.integer("offset", offset, minimum=0)),
            ("limit", wire.integer("limit", limit, minimum=1, maximum=HISTORY_LIMIT_MAX)),
            ("direction", wire.choice("direction", direction, ("all", "inbound", "outbound"))),
            ("status", wire.required_text("status", status)),
            ("fromDate", from_date),
            ("toDate", to_date),
            ("userId", wire.optional_id("user_id", user_id)),
            ("query", wire.text("query", query)),
            ("tags", wire.strings("tags", tags)),
            ("isArchived", archived),
            ("include", wire.strings("include", include)),
        )
        # A 2xx without its rows (an error envelope, another shape) is no empty page.
        answer = self._call("GET", "/v1/fax/history", params=params, needs=("rows", list))
        return HistoryPage.from_api(answer)

    def fax_info(self, message_id: str) -> Fax:
        """One fax (`GET /v1/fax/{messageId}/info`)."""
        return Fax.from_api(self._call("GET", _fax_path(message_id, "/info")))

    def delete_fax(self, message_id: str) -> None:
        """Remove a fax (`DELETE /v1/fax/{messageId}`, no body). Never retried."""
        self._call("DELETE", _fax_path(message_id), expect=None)

    def cover_pages(self) -> list[CoverPage]:
        """The cover pages available to the key (`GET /coverpages`, no `/v1`)."""
        return CoverPage.from_api_list(self._call("GET", "/coverpages", expect=list))

    # --- numbers -------------------------------------------------------------------------

    def list_numbers(
        self,
        *,
        account_id: str | None = None,
        type: str | None = None,
        offset: int = 0,
        limit: int = 30,
        query: str | None = None,
    ) -> NumbersPage:
        """One page of the account's fax numbers; `type`: available, assigned or pending."""
        params = wire.pairs(
            ("accountId", wire.optional_id("account_id", account_id)),
            ("type", wire.text("type", type)),
            ("offset", wire.integer("offset", offset, minimum=0)),
            ("limit", wire.integer("limit", limit, minimum=1)),
            ("query", wire.text("query", query)),
        )
        answer = self._call("GET", "/v1/numbers", params=params, needs=("rows", list))
        return NumbersPage.from_api(answer)

    def add_number_user(self, number_id: str, user_id: str) -> FaxNumber:
        """Give a user access to a number's faxes; answers the number."""
        path = self._number_user_path(number_id, user_id)
        return FaxNumber.from_api(self._call("POST", path))

    def remove_number_user(self, number_id: str, user_id: str) -> None:
        """Take a user off a number."""
        self._call("DELETE", self._number_user_path(number_id, user_id), expect=None)

    def provision_numbers(
        self,
        type: str,
        *,
        numbers: Sequence[str] = (),
        quantity: int | None = None,
        account_id: str | None = None,
        storage: Mapping[str, Any] | None = None,
    ) -> list[FaxNumber]:
        """Acquire numbers. Never retried. `"order"` provisions `numbers` (found by a
        search in the last 24 hours); `"local"` and `"toll-free"` `quantity` random ones."""
        type = wire.choice("type", type, ("order", "local", "toll-free"))
        numbers = wire.strings("numbers", numbers, max_items=PROVISION_MAX)
        if type == "order" and not numbers:
            raise InvalidInputError("numbers is required when type is order", field="numbers")
        form = wire.pairs(
            ("type", type),
            ("numbers", numbers),
            ("quantity", wire.integer("quantity", quantity, minimum=1, maximum=PROVISION_MAX)),
            ("accountId", wire.optional_id("account_id", account_id)),
            ("storage", wire.json_object("storage", storage)),
        )
        data = self._call("POST", "/v1/numbers/provision", form=form, expect=list)
        return FaxNumber.from_api_list(data)

    def search_numbers(
        self,
        *,
        npa: str | None = None,
        nxx: str | None = None,
        state: str | None = None,
        city: str | None = None,
        zipcode: str | None = None,
        limit: int | None = None,
    ) -> list[AvailableNumber]:
        """Numbers available to provision; needs `npa` (area code), `city` or `zipcode`."""
        params = wire.pairs(
            ("npa", wire.digits("npa", npa, length=3)),
            ("nxx", wire.digits("nxx", nxx, length=3)),
            ("state", wire.text("state", state)),
            ("city", wire.text("city", city)),
            ("zipcode", wire.text("zipcode", zipcode)),
            ("limit", wire.integer("limit", limit, minimum=1)),
        )
        if not any(value and value.strip() for value in (npa, city, zipcode)):
            raise InvalidInputError("npa, city or zipcode is required to search", field="npa")
        path = "/v1/numbers/provision/search"
        result = self._call("GET", path, params=params, expect=list, key="result")
        return AvailableNumber.from_api_list(result)

    def update_number(
        self,
        number_id: str,
        *,
        storage: Mapping[str, Any] | None = None,
        managed_by: str | None = None,
    ) -> FaxNumber:
        """Change a number's storage settings or manager account."""
        path = f"/v1/numbers/{wire.path_segment('number_id', number_id)}"
        form = wire.pairs(
            ("storage", wire.json_object("storage", storage)),
            ("managedBy", wire.optional_id("managed_by", managed_by)),
        )
        return FaxNumber.from_api(self._call("PATCH", path, form=form))

    def release_number(self, number_id: str) -> None:
        """Release a number; it becomes `pending`. Never retried."""
        path = f"/v1/numbers/{wire.path_segment('number_id', number_id)}/release"
        self._call("DELETE", path, expect=None)

    def validate_number(self, number: str, country: str = "US") -> bool:
        """Whether the provider considers `number` a valid fax number in `country`."""
        number = wire.required_text("number", number)
        country = wire.required_text("country", country)
        if not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise InvalidInputError(
                f"country must be a two-letter country code (got {country!r})", field="country"
            )
        params = [("number", number), ("country", country)]
        return self._call("GET", "/v1/numbers/validate", params=params, expect=bool, key="isValid")

    # --- plumbing --------------------------------------------------------------------------

    def _number_user_path(self, number_id: str, user_id: str) -> str:
        number = wire.path_segment("number_id", number_id)
        user = wire.path_segment("user_id", user_id)
        return f"/v1/numbers/{number}/user/{user}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        expect: type[dict | list | bool] | None = dict,
        key: str | None = None,
        needs: tuple[str, type] | None = None,
        **kwargs: Any,
    ) -> Any:
        """The answer's JSON body, or its member `key`, checked to be an `expect` (None: the
        body is ignored); `needs`: a member the object must have, and its type."""
        with self._request(method, path, **kwargs) as response:
            if expect is None:
                return None
            data = _json(response, method, path, expect, key)
            if needs and not isinstance(data.get(needs[0]), needs[1]):
                expected = f"an object with {needs[0]!r}"
                raise malformed_response(response, method=method, path=path, expected=expected)
            return data

    def _pdf(self, method: str, path: str, to: IO[bytes] | None = None, **kwargs: Any) -> Any:
        """The PDF answer, or the number of its bytes streamed into `to`."""
        with self._request(method, path, stream=True, **kwargs) as response:
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            # A 2xx that declares JSON or text is an error in disguise.
            if content_type.startswith("text/") or content_type.endswith(("/json", "+json")):
                raise malformed_response(response, method=method, path=path, expected="a PDF")
            try:
                if to is None:
                    content = response.content
                    size = len(content)
                else:
                    size = 0
                    for chunk in response.iter_content(chunk_size=64 * 1024):
                        to.write(chunk)
                        size += len(chunk)
            except requests.RequestException as exc:
                raise transport_error(exc, method=method, path=path) from exc
            # PDF readers take the header anywhere in the first 1024 bytes (a file streamed
            # into `to` is checked by its caller).
            if size == 0 or (to is None and b"%PDF-" not in content[:1024]):
                raise malformed_response(response, method=method, path=path, expected="a PDF")
            return content if to is None else size

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        form: list[tuple[str, str]] | None = None,
        files: list[tuple[str, tuple[Any, ...]]] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send the request (a GET retried per the session's `GetRetry`); a 2xx response."""
        headers = {"User-Agent": USER_AGENT}
        body: str | None = None
        if form is not None:
            body = urlencode(form)
            # Set even for an empty form, so the endpoint always sees the documented type.
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                data=body,
                files=files,
                headers=headers,
                auth=self._auth,
                timeout=self.timeout,
                stream=stream,
                # A redirected POST may be replayed as a GET by requests; never follow.
                allow_redirects=method == "GET",
            )
        except requests.RequestException as exc:
            raise transport_error(exc, method=method, path=path) from exc
        if not 200 <= response.status_code < 300:
            with response:
                raise error_from_response(response, method=method, path=path)
        return response


def _fax_path(message_id: str, action: str = "") -> str:
    return f"/v1/fax/{wire.path_segment('message_id', message_id)}{action}"


def _valid_timeout(timeout: Any) -> bool:
    values = timeout if isinstance(timeout, tuple) and len(timeout) == 2 else (timeout,)
    return all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in values)


def _send_parts(
    destinations: list[tuple[str, Any]], options: Mapping[str, Any], allowed: type
) -> list[tuple[str, tuple[Any, ...]]]:
    """The checked multipart parts of a send or preview, after its destination fields."""
    if unknown := sorted(options.keys() - allowed.__optional_keys__):
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    get = options.get
    cover_page = wire.boolean("cover_page", get("cover_page", False))
    fields = wire.pairs(
        *destinations,
        ("tags", wire.strings("tags", get("tags"))),
        ("coverPage", cover_page),
        ("coverPageId", wire.optional_id("cover_page_id", get("cover_page_id"))),
        ("recipientName", wire.text("recipient_name", get("recipient_name"), max_length=NAME_MAX)),
        ("senderName", wire.text("sender_name", get("sender_name"), max_length=NAME_MAX)),
        ("subject", wire.text("subject", get("subject"), max_length=SUBJECT_MAX)),
        ("callerId", wire.caller_id(get("caller_id"))),
        ("notes", wire.text("notes", get("notes"), max_length=NOTES_MAX)),
        ("cf", wire.json_object("custom_fields", get("custom_fields"))),
        ("scheduledDate", wire.aware_datetime("scheduled_date", get("scheduled_date"))),
        ("webhookId", wire.optional_id("webhook_id", get("webhook_id"))),
    )
    files = wire.attachments("attachments", get("attachments"))
    if not files and not cover_page:
        raise InvalidInputError(
            "attachments is required unless cover_page is True (a fax needs a page)",
            field="attachments",
        )
    return _multipart(fields, "attachments", files)


def _multipart(
    fields: list[tuple[str, str]], file_field: str, files: list[wire.Attachment]
) -> list[tuple[str, tuple[Any, ...]]]:
    """requests `files=` parts: the text fields first (so a streaming parser has them
    before the files), as parts rather than `data=` so a cover-only fax is multipart too."""
    parts: list[tuple[str, tuple[Any, ...]]] = [(name, (None, value)) for name, value in fields]
    parts += [(file_field, (name, content, ctype)) for name, content, ctype in files]
    return parts


def _json(
    response: requests.Response,
    method: str,
    path: str,
    expect: type[dict | list | bool],
    key: str | None,
) -> Any:
    """The JSON body of a 2xx answer, or its member `key`, which must be an `expect`."""
    try:
        data = response.json()
    except (ValueError, RecursionError):  # not JSON, empty, undecodable, or nested too deeply
        data = None
    if key is not None:
        data = data.get(key) if isinstance(data, dict) else None
    if not isinstance(data, expect):
        expected = {dict: "a JSON object", list: "a JSON array", bool: "a boolean"}[expect]
        expected += f" in {key!r}" if key else ""
        raise malformed_response(response, method=method, path=path, expected=expected)
    return data
