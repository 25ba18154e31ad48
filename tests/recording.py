"""A recording HTTP server: what really went over the wire, byte for byte.

`responses` sees requests inside `requests`; this sees them as a server does, so a test of
the field names the provider receives cannot be fooled by how the client builds them.
Each request is answered from `answers` (first matching `(method, path regex)`), or 200 with
an empty JSON object.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def form(self) -> list[tuple[str, str]]:
        """The body's fields as (name, value) in order: a file part's value is its filename."""
        if self.content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {self.content_type}\r\n\r\n".encode() + self.body
            )
            pairs = []
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                value = filename if filename is not None else part.get_content()
                pairs.append((name, value))
            return pairs
        if self.content_type.startswith("application/x-www-form-urlencoded"):
            return parse_qsl(self.body.decode(), keep_blank_values=True)
        return []

    def field_names(self) -> list[str]:
        """Every name the provider receives: query parameters and body fields."""
        return [name for name, _ in self.query] + [name for name, _ in self.form()]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"


@dataclass
class RecordingServer:
    answers: list[tuple[str, str, Answer]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str, body: object = None, **kwargs) -> None:
        """Answer `method` on paths matching the regex `path` (JSON `body` or `Answer` args)."""
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.answers.insert(0, (method, path, Answer(body=body or b"{}", **kwargs)))

    def _answer_for(self, method: str, path: str) -> Answer:
        for wanted_method, pattern, answer in self.answers:
            if wanted_method == method and re.fullmatch(pattern, path):
                return answer
        return Answer()


@pytest.fixture
def recorder() -> Iterator[RecordingServer]:
    server_state = RecordingServer()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            server_state.requests.append(
                Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qsl(parts.query, keep_blank_values=True),
                    headers=dict(self.headers),
                    body=body,
                )
            )
            answer = server_state._answer_for(self.command, parts.path)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PATCH = do_DELETE = _handle

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield server_state
    server.shutdown()
    server.server_close()
