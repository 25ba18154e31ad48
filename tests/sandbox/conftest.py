"""Fixtures for the sandbox tests: an in-process sandbox, an API session, a webhook receiver."""

from __future__ import annotations

import io
import json
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from drenfax_portal.sandbox import Sandbox, start_sandbox


class Api:
    """requests bound to one sandbox: `api.post("/v1/faxes", data=...)`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = sandbox.session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.sandbox.url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def send(
        self, recipient: str = "2125550123", *, files=None, timeout: float = 10, **fields
    ) -> requests.Response:
        """POST /v1/faxes as multipart; a cover page unless files are given."""
        data = {"faxNumber": recipient, **fields}
        if files is None and "coverPage" not in data:
            data["coverPage"] = "true"
        files = files or {"_": ("", b"")}
        return self.post("/v1/faxes", data=data, files=files, timeout=timeout)


def error_of(response: requests.Response) -> dict[str, str]:
    """The sandbox's error, in its default (nested) shape: {"name": ..., "message": ...}."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"name", "message"}, body
    return body["error"]


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def factory(**options) -> Sandbox:
        options.setdefault("speed", 200)
        options.setdefault("strict", True)  # as the real service reads requests
        sandbox = start_sandbox(**options)
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(sandbox_factory) -> Sandbox:
    return sandbox_factory()


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox)


# --- documents ------------------------------------------------------------------------------------
def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes(width: int = 4, height: int = 3, *, alpha: bool = False) -> bytes:
    channels = 4 if alpha else 3
    raw = b"".join(b"\x00" + bytes([120] * width * channels) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes(width: int = 8, height: int = 6) -> bytes:
    """A structurally valid baseline JPEG header (SOI, SOF0, EOI): enough to place and count."""
    sof = (
        b"\xff\xc0"
        + struct.pack(">HBHHB", 17, 8, height, width, 3)
        + b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    )
    return b"\xff\xd8" + sof + b"\xff\xd9"


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data), strict=True).pages)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def xlsx_bytes(rows: list[list[object]], *, extra_sheet: bool = False) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("Other").append(["Fax", "Name"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- webhook receiver -----------------------------------------------------------------------------
class Receiver:
    """A local HTTP server that records webhook calls and answers from a script of statuses."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.statuses: list[int] = []  # answered in order; 200 once exhausted
        self.delay = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.calls.append(
                        {
                            "headers": dict(self.headers),
                            "body": body,
                            "status": status,
                            "at": time.monotonic(),
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/drenfax/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def json_events(self, message_id: str | None = None) -> list[dict]:
        with self._lock:
            calls = [c for c in self.calls if c["status"] < 300]
        events = []
        for call in calls:
            if call["headers"].get("Content-Type", "").startswith("application/json"):
                fax = json.loads(call["body"])
            else:
                fax = json.loads(multipart_fields(call)["data"][1])
            if message_id is None or fax["messageId"] == message_id:
                # New-style webhooks name the event in the body; legacy ones do not.
                events.append({"event": fax.pop("event", None), "fax": fax, "call": call})
        return events

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def multipart_fields(call: dict) -> dict[str, tuple[dict, bytes]]:
    """{name: (part headers, raw value)} of a multipart webhook call."""
    content_type = call["headers"]["Content-Type"]
    boundary = content_type.split("boundary=")[1].encode()
    fields = {}
    for part in call["body"].split(b"--" + boundary)[1:-1]:
        head, _, value = part.strip(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        name = headers["Content-Disposition"].split('name="')[1].split('"')[0]
        fields[name] = (headers, value)
    return fields


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()
