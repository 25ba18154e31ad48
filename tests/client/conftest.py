"""Shared fixtures of the client tests: `responses` as the API, a client, and readers for
what went over the wire."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from drenfax_portal import __version__
from drenfax_portal.client import DrenfaxClient

BASE = "https://api.drenfax.test"
API_KEY = "k3y-Abc123/+="
USER_AGENT = f"drenfax-portal/{__version__} (+python-requests)"
MESSAGE_ID = "027012f1-80c9-4be5-b093-1f54783dfa3b"
NUMBER_ID = "7cd0224e-ee05-4f32-9f56-9a4ebf83a38c"
USER_ID = "fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de"
ACCOUNT_ID = "6c838c7c-cb48-4763-84d6-233b5f8cf782"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\r\n1 0 obj\n<<>>\r\nendobj\n\x00\xff%%EOF\n"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    """The provider: every request must match a registered answer, and every registered
    answer must be requested."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client() -> Iterator[DrenfaxClient]:
    with DrenfaxClient(BASE, API_KEY) as drenfax:
        yield drenfax


# --- reading requests ---------------------------------------------------------------------


def assert_sent(call: responses.Call, method: str, path: str) -> requests.PreparedRequest:
    """The request went to `path` with `method`, the key as is and our User-Agent."""
    request = call.request
    assert request.method == method
    assert urlsplit(request.url).path == path
    assert request.headers["Authorization"] == f"Basic {API_KEY}"
    assert request.headers["User-Agent"] == USER_AGENT
    return request


def query(request: requests.PreparedRequest) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(request.url).query, keep_blank_values=True)


def form(request: requests.PreparedRequest) -> list[tuple[str, str]]:
    """The fields of an `application/x-www-form-urlencoded` body."""
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = request.body or ""
    body = body.decode() if isinstance(body, bytes) else body
    return parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body))


def assert_no_body(request: requests.PreparedRequest) -> None:
    assert not request.body
    assert "Content-Type" not in request.headers


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode()


def multipart(request: requests.PreparedRequest) -> list[Part]:
    """The parts of a `multipart/form-data` body, in order, byte for byte."""
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    delimiter = b"--" + content_type.split("boundary=", 1)[1].encode()
    body = request.body
    assert isinstance(body, bytes)
    preamble, *sections, epilogue = body.split(delimiter)
    assert preamble == b""
    assert epilogue == b"--\r\n"
    parts = []
    for section in sections:
        assert section.startswith(b"\r\n") and section.endswith(b"\r\n")
        head, separator, data = section[2:-2].partition(b"\r\n\r\n")
        assert separator
        headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
        assert headers.get_content_disposition() == "form-data"
        parts.append(
            Part(
                name=headers.get_param("name", header="content-disposition"),
                filename=headers.get_filename(),
                content_type=headers["Content-Type"],
                data=data,
            )
        )
    return parts


def fields(parts: list[Part]) -> list[tuple[str, str]]:
    """The text fields (parts without a file name), in order."""
    for part in parts:
        if part.filename is None:
            assert part.content_type is None
    return [(part.name, part.text) for part in parts if part.filename is None]


def files(parts: list[Part]) -> list[tuple[str, str, str | None, bytes]]:
    """The file parts as (field, filename, content type, data), in order."""
    return [(p.name, p.filename, p.content_type, p.data) for p in parts if p.filename is not None]
