"""The PDF writer and attachment analysis, without a server."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from pypdf import PdfReader

from drenfax_portal.sandbox.coverpages import DEFAULT_COVER_PAGE_ID, SAMPLE_TOKENS
from drenfax_portal.sandbox.documents import analyse_upload, paginate_text, render_fax
from drenfax_portal.sandbox.errors import InvalidInput
from drenfax_portal.sandbox.request import Upload, parse_multipart

from .conftest import jpeg_bytes, pdf_bytes, png_bytes


def _upload(name: str, data: bytes):
    return analyse_upload(Upload("attachments", name, "application/octet-stream", data))


def test_drawn_pages_are_a_pdf_that_pypdf_reads_strictly():
    attachments = [
        _upload("a.txt", "Hello (world) \\ caf\u00e9 \u2603".encode()),
        _upload("b.jpg", jpeg_bytes(40, 20)),
        _upload("c.png", png_bytes(5, 5)),
    ]
    cover = {"id": DEFAULT_COVER_PAGE_ID, "tokens": SAMPLE_TOKENS}
    reader = PdfReader(
        io.BytesIO(render_fax(cover=cover, attachments=attachments, title="Test (with parens)")),
        strict=True,
    )
    assert len(reader.pages) == 4
    assert "Comments: Notes from the sender appear here." in reader.pages[0].extract_text()
    assert "Hello (world) \\ caf\u00e9 ?" in reader.pages[1].extract_text()  # cp1252 fonts
    assert [len(page.images) for page in reader.pages] == [0, 0, 1, 1]
    assert reader.metadata.title == "Test (with parens)"
    assert {(page.mediabox.width, page.mediabox.height) for page in reader.pages} == {(612, 792)}


def test_a_cover_page_too_long_for_one_page_is_cut():
    tokens = {**SAMPLE_TOKENS, "notes": "word " * 800}
    pdf = render_fax(cover={"id": DEFAULT_COVER_PAGE_ID, "tokens": tokens}, attachments=[])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert "[...]" in reader.pages[0].extract_text()


def test_text_pagination_honours_form_feeds_and_blank_files():
    assert len(paginate_text("a\fb\fc")) == 3
    assert paginate_text("") == [[]]
    assert len(paginate_text("\n".join(["x"] * 54))) == 1
    assert len(paginate_text("\n".join(["x"] * 55))) == 2


def _tiff(pages: int) -> bytes:
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for i in range(pages):
        offset = len(out)
        next_ifd = offset + 2 + 12 + 4 if i < pages - 1 else 0
        out += (
            struct.pack("<H", 1) + struct.pack("<HHII", 256, 4, 1, 8) + struct.pack("<I", next_ifd)
        )
    return bytes(out)


def _docx(pages: int | None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        if pages is not None:
            archive.writestr(
                "docProps/app.xml",
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                f"<Pages>{pages}</Pages></Properties>",
            )
    return out.getvalue()


@pytest.mark.parametrize(
    "name,data,kind,pages",
    [
        ("a.pdf", pdf_bytes(3), "pdf", 3),
        ("scan.tif", _tiff(4), "tiff", 4),
        ("report.docx", _docx(7), "docx", 7),
        ("memo.docx", _docx(None), "docx", 1),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "doc", 1),
        ("anim.gif", b"GIF89a....", "gif", 1),
        ("notes", b"plain words", "text", 1),
    ],
)
def test_uploads_are_identified_and_their_pages_counted(name, data, kind, pages):
    content_type = "text/plain" if name == "notes" else "application/octet-stream"
    attachment = analyse_upload(Upload("attachments", name, content_type, data))
    assert (attachment.kind, attachment.pages) == (kind, pages)


def test_described_formats_render_one_page_per_counted_page():
    attachments = [analyse_upload(Upload("attachments", "scan.tif", "image/tiff", _tiff(3)))]
    pdf = render_fax(cover=None, attachments=attachments)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    assert "Page 3 of 3" in reader.pages[2].extract_text()


def test_a_password_protected_pdf_is_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(InvalidInput, match="password-protected"):
        analyse_upload(Upload("attachments", "locked.pdf", "application/pdf", out.getvalue()))


def test_multipart_parsing_keeps_order_utf8_names_and_binary_bodies():
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="recipientFax"\r\n\r\n2125550123\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="attachments"; filename="b.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n\x00\r\n--Xy binary\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="attachments"; '
        b'filename="na\xc3\xafve.txt"\r\n\r\n'  # raw UTF-8, as browsers and requests send it
        b"text\r\n--XyZ--\r\n"
    )
    form = parse_multipart(body, "multipart/form-data; boundary=XyZ")
    assert form.get("recipientFax") == "2125550123"
    assert [(f.filename, f.data) for f in form.files] == [
        ("b.pdf", b"\x00\r\n--Xy binary"),
        ("na\u00efve.txt", b"text"),
    ]


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"--XyZ\r\n", "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary=XyZ"),
        (
            b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end',
            "multipart/form-data; boundary=XyZ",
        ),
    ],
)
def test_malformed_multipart_bodies_are_refused(body, content_type):
    with pytest.raises(InvalidInput, match="multipart/form-data body"):
        parse_multipart(body, content_type)
