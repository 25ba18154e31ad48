"""Builders for the send form's tests: documents of every type, form data, API answers."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter

from tests.factories import fax_payload

COVER_ID = "5f0c2a4e-9d3b-4c55-8a6e-1f2d3c4b5a69"
COVER_PAGES = [
    {
        "uuid": "00000000-0000-0000-0000-000000000000",
        "name": "Default",
        "isPublic": True,
        "previewLink": "https://storage.example/coverpages/default.png",
    },
    {
        "uuid": COVER_ID,
        "name": "Confidential",
        "isPublic": True,
        "previewLink": "javascript:alert(1)",
    },
]


# --- documents -----------------------------------------------------------------------------


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def doc_bytes() -> bytes:
    return OLE2 + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 600


def xls_bytes() -> bytes:
    return OLE2 + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 600


def tiff_bytes(pages: int = 2) -> bytes:
    """A little-endian TIFF with `pages` image directories of one entry each."""
    data = bytearray(b"II*\x00" + (8).to_bytes(4, "little"))
    for page in range(pages):
        offset = len(data)
        next_offset = 0 if page == pages - 1 else offset + 2 + 12 + 4
        data += (1).to_bytes(2, "little") + b"\x00" * 12 + next_offset.to_bytes(4, "little")
    return bytes(data)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- the form and the API ------------------------------------------------------------------


def form_data(**overrides: Any) -> dict[str, Any]:
    """A complete, valid send form (one recipient, a cover page, no files)."""
    data: dict[str, Any] = {
        "submission_key": str(uuid.uuid4()),
        "action": "send",
        "recipients": "(206) 555-0111",
        "recipient_contacts": "",
        "cover_page": "default",
        "recipient_name": "",
        "sender_name": "",
        "subject": "",
        "notes": "",
        "caller_id": "",
        "tags": "",
        "cf_key": [""],
        "cf_value": [""],
        "scheduled_at": "",
    }
    data.update(overrides)
    return data


def post(client: Client, **overrides: Any):
    return client.post("/faxes/send/", form_data(**overrides))


def fax_answer(number: str = "+12065550111", **overrides: Any) -> dict[str, Any]:
    return fax_payload(
        **{"status": "processing", "direction": "outbound", "faxNumber": number, **overrides}
    )


def sent_once(api) -> list:
    """The send calls the API received (GET /coverpages aside)."""
    return [c for c in api.calls if c.request.method == "POST"]


def text(response) -> str:
    """A response's HTML with non-breaking spaces (filesizeformat's) as plain ones."""
    return response.content.decode().replace("\xa0", " ")
