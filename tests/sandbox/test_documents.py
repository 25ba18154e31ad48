"""The PDF writer and attachment analysis, without a server."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from pypdf import PdfReader

from drenfax_portal.sandbox.documents import analyse_upload, paginate_text, render_fax
from drenfax_portal.sandbox.errors import InvalidInput
from drenfax_portal.sandbox.pdfwriter import (
    PdfDocument,
    jpeg_image,
    png_image,
    text_width,
    wrap_text,
)
from drenfax_portal.sandbox.request import Upload, parse_multipart

from .conftest import jpeg_bytes, pdf_bytes, png_bytes


def test_the_writer_produces_a_pdf_that_pypdf_reads_strictly():
    doc = PdfDocument("Test (with parens)")
    page = doc.add_page()
    page.text(72, 700, "Hello (world) \\ caf\u00e9 \u2603", size=14, font="F2")
    page.line(72, 690, 540, 690)
    page.rect(72, 72, 100, 100)
    page.image_fit(jpeg_image(jpeg_bytes(40, 20)))
    doc.add_page().image_fit(png_image(png_bytes(5, 5)))
    data = doc.to_bytes()
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 2
    assert "Hello (world) \\ caf\u00e9 ?" in reader.pages[0].extract_text()
    assert reader.metadata.title == "Test (with parens)"
    xref_at = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[xref_at:].startswith(b"xref\n")


def test_images_that_cannot_be_embedded_are_refused():
    with pytest.raises(ValueError):
        png_image(png_bytes(alpha=True))
    with pytest.raises(ValueError):
        jpeg_image(b"\xff\xd8\xff\xd9")


def test_helvetica_wrapping_fits_the_width():
    lines = wrap_text("word " * 200 + "x" * 300, 468, 12)
    assert all(text_width(line, 12) <= 468 for line in lines)
    assert "".join(lines).replace(" ", "") == ("word" * 200 + "x" * 300)


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
