"""Fax documents: what an upload is, how many pages it makes, and the PDF that gets faxed.

Supported uploads: PDF (pages counted and kept byte for byte), plain text (paginated in
Courier 10 pt, 54 lines of 78 characters a page), JPEG and PNG (one page each, embedded),
TIFF (one page per image in the file), GIF, DOC and DOCX (DOCX pages from its metadata).
TIFF, GIF, DOC and DOCX are faxed by the sandbox as pages that describe the attachment:
rendering office documents is out of its scope. The sandbox draws its pages with fpdf2 and
merges them with uploaded PDFs with pypdf.
"""

from __future__ import annotations

import io
import logging
import struct
import zipfile
from dataclasses import dataclass

from fpdf import FPDF
from PIL import Image

from .coverpages import draw_cover_page
from .errors import InvalidInput
from .request import Upload

log = logging.getLogger(__name__)

TEXT_LINES_PER_PAGE = 54
TEXT_COLUMNS = 78
MAX_PAGES_PER_FILE = 1000

KIND_LABELS = {
    "pdf": "PDF document",
    "text": "text file",
    "jpeg": "JPEG image",
    "png": "PNG image",
    "tiff": "TIFF image",
    "gif": "GIF image",
    "doc": "Word document (DOC)",
    "docx": "Word document (DOCX)",
}
SUPPORTED = "PDF, TXT, JPEG, PNG, TIFF, GIF, DOC, DOCX"

_EXTENSIONS = {
    "pdf": "pdf",
    "txt": "text",
    "text": "text",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "tif": "tiff",
    "tiff": "tiff",
    "gif": "gif",
    "doc": "doc",
    "docx": "docx",
}


@dataclass
class Attachment:
    filename: str
    kind: str
    pages: int
    data: bytes


def analyse_upload(upload: Upload) -> Attachment:
    """Identify an uploaded file and count its pages; a readable 400 when it cannot be faxed."""
    name = upload.filename or "attachment"
    if not upload.data:
        raise InvalidInput(f"the file '{name}' is empty")
    kind = detect_kind(name, upload.content_type, upload.data)
    if kind is None:
        raise InvalidInput(f"unsupported file type for '{name}' (supported: {SUPPORTED})")
    pages = count_pages(name, kind, upload.data)
    return Attachment(filename=name, kind=kind, pages=pages, data=upload.data)


def detect_kind(filename: str, content_type: str, data: bytes) -> str | None:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    by_ext = _EXTENSIONS.get(ext)
    head = data[:16]
    if b"%PDF-" in data[:1024]:
        magic = "pdf"
    elif head.startswith(b"\xff\xd8\xff"):
        magic = "jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        magic = "png"
    elif head.startswith((b"II*\x00", b"MM\x00*")):
        magic = "tiff"
    elif head.startswith((b"GIF87a", b"GIF89a")):
        magic = "gif"
    elif head.startswith(b"PK\x03\x04") and by_ext == "docx":
        magic = "docx"
    elif head.startswith(b"\xd0\xcf\x11\xe0") and by_ext == "doc":
        magic = "doc"
    else:
        magic = None
    if magic:
        return magic
    if by_ext == "text" or content_type.split(";")[0].strip().lower() == "text/plain":
        return "text"
    if by_ext:
        raise InvalidInput(f"'{filename}' is not a valid {KIND_LABELS[by_ext]}")
    return None


def count_pages(filename: str, kind: str, data: bytes) -> int:
    if kind == "pdf":
        pages = len(_pdf_reader(filename, data).pages)
    elif kind == "text":
        pages = len(paginate_text(decode_text(filename, data)))
    elif kind == "jpeg":
        try:
            Image.open(io.BytesIO(data))  # reads the header only
        except Exception as exc:
            raise InvalidInput(f"'{filename}' is not a valid JPEG image ({exc})") from None
        pages = 1
    elif kind == "tiff":
        pages = _tiff_pages(filename, data)
    elif kind == "docx":
        pages = _docx_pages(filename, data)
    else:
        pages = 1
    if pages > MAX_PAGES_PER_FILE:
        raise InvalidInput(f"'{filename}' has {pages} pages; at most {MAX_PAGES_PER_FILE} a file")
    return pages


def _pdf_reader(filename: str, data: bytes):
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InvalidInput(f"'{filename}' is a password-protected PDF")
        if len(reader.pages) == 0:
            raise InvalidInput(f"'{filename}' is a PDF without pages")
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"'{filename}' could not be read as a PDF ({exc})") from None
    return reader


def decode_text(filename: str, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise InvalidInput(f"'{filename}' is not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def paginate_text(text: str) -> list[list[str]]:
    """Split text into pages of wrapped lines; a form feed starts a new page."""
    pages: list[list[str]] = []
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\f"):
        lines: list[str] = []
        for raw in block.expandtabs(8).split("\n"):
            raw = raw.rstrip()
            while len(raw) > TEXT_COLUMNS:
                lines.append(raw[:TEXT_COLUMNS])
                raw = raw[TEXT_COLUMNS:]
            lines.append(raw)
        while lines and not lines[-1]:
            lines.pop()
        for start in range(0, max(len(lines), 1), TEXT_LINES_PER_PAGE):
            pages.append(lines[start : start + TEXT_LINES_PER_PAGE])
    return pages or [[]]


def _tiff_pages(filename: str, data: bytes) -> int:
    """Count the image file directories (one per page) of a TIFF."""
    fmt = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(fmt + "I", data[4:8])
        pages, seen = 0, set()
        while offset and offset not in seen and pages < MAX_PAGES_PER_FILE + 1:
            seen.add(offset)
            (entries,) = struct.unpack(fmt + "H", data[offset : offset + 2])
            pages += 1
            (offset,) = struct.unpack(
                fmt + "I", data[offset + 2 + entries * 12 : offset + 6 + entries * 12]
            )
    except struct.error:
        raise InvalidInput(f"'{filename}' is not a valid TIFF image") from None
    if pages == 0:
        raise InvalidInput(f"'{filename}' is a TIFF without images")
    return pages


def _docx_pages(filename: str, data: bytes) -> int:
    from defusedxml import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise InvalidInput(f"'{filename}' is not a valid Word document (DOCX)")
            try:
                app = archive.read("docProps/app.xml")
            except KeyError:
                return 1
    except zipfile.BadZipFile:
        raise InvalidInput(f"'{filename}' is not a valid Word document (DOCX)") from None
    try:
        root = ElementTree.fromstring(app)
    except Exception:
        return 1
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "Pages" and (element.text or "").strip().isdigit():
            return max(1, int(element.text.strip()))
    return 1


# --- rendering ------------------------------------------------------------------------------------
class Pdf(FPDF):
    """US Letter in points (y from the top), 1-inch margins, no automatic page breaks."""

    def __init__(self, title: str) -> None:
        super().__init__(unit="pt", format="letter")
        self.set_margins(72, 72)
        self.set_auto_page_break(False, margin=72)
        self.core_fonts_encoding = "windows-1252"
        self.set_title(title)
        self.set_producer("Drenfax sandbox")

    def normalize_text(self, text: str) -> str:
        # The core fonts are cp1252: other characters become '?' (fpdf2 would raise).
        return text.encode("cp1252", errors="replace").decode("latin-1")


def render_fax(*, cover: dict | None, attachments: list[Attachment], title: str = "Fax") -> bytes:
    """The fax as sent: the filled cover page (if any), then each attachment's pages."""
    from pypdf import PdfReader, PdfWriter

    parts: list[bytes] = []
    pending = Pdf(title)  # consecutive sandbox-drawn pages share one document

    def flush() -> None:
        nonlocal pending
        if pending.page:
            parts.append(bytes(pending.output()))
            pending = Pdf(title)

    if cover:
        draw_cover_page(pending, cover["id"], cover["tokens"])
    for attachment in attachments:
        if attachment.kind == "pdf":
            flush()
            parts.append(attachment.data)
        else:
            _draw_attachment(pending, attachment)
    flush()
    if len(parts) == 1:
        return parts[0]
    writer = PdfWriter()
    for part in parts:
        reader = PdfReader(io.BytesIO(part), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        writer.append(reader)
    writer.add_metadata({"/Producer": "Drenfax sandbox", "/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _draw_attachment(pdf: Pdf, attachment: Attachment) -> None:
    if attachment.kind == "text":
        pdf.set_font("Courier", size=10)
        for lines in paginate_text(decode_text(attachment.filename, attachment.data)):
            pdf.add_page()
            for i, line in enumerate(lines):
                pdf.text(pdf.l_margin, pdf.t_margin + 10 + 12 * i, line)
    elif attachment.kind in ("jpeg", "png"):
        pdf.add_page()
        try:
            box = (pdf.l_margin, pdf.t_margin, pdf.epw, pdf.eph)
            pdf.image(io.BytesIO(attachment.data), *box, keep_aspect_ratio=True)
        except Exception as exc:  # an image Pillow cannot decode
            _describe(pdf, attachment, 1, f"not embedded: {exc}")
    else:
        for number in range(1, attachment.pages + 1):
            pdf.add_page()
            _describe(pdf, attachment, number)


def _describe(pdf: Pdf, attachment: Attachment, number: int, why: str = "") -> None:
    y = pdf.t_margin + 20
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(pdf.l_margin, y, f"Attachment: {attachment.filename}")
    lines = [
        f"Type: {KIND_LABELS.get(attachment.kind, attachment.kind)}",
        f"Size: {len(attachment.data):,} bytes",
        f"Page {number} of {attachment.pages}",
        "",
        "The Drenfax sandbox does not render this format; the real service faxes",
        "the document's own content on this page.",
    ]
    if why:
        lines.append(f"({why})")
    pdf.set_font("Helvetica", size=12)
    y += 30
    for line in lines:
        pdf.text(pdf.l_margin, y, line)
        y += 17
    pdf.set_line_width(0.5)
    pdf.rect(pdf.l_margin, y + 10, pdf.epw, pdf.h - pdf.b_margin - y - 10)


def text_pages_pdf(title: str, pages: list[list[str]], header: str = "") -> bytes:
    """A PDF with one page per list of lines (inbound faxes, seeded faxes, previews)."""
    pdf = Pdf(title)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            pdf.set_font("Courier", size=8)
            pdf.text(36, 40, f"{header}    Page {number}/{len(pages)}")
            pdf.set_line_width(0.5)
            pdf.line(36, 46, pdf.w - 36, 46)
        y = pdf.t_margin + 20
        for i, line in enumerate(lines):
            pdf.set_font("Helvetica", "B" if i == 0 else "", 18 if i == 0 else 12)
            pdf.text(pdf.l_margin, y, line)
            y += 30 if i == 0 else 17
    return bytes(pdf.output())


_PROSE = (
    "Please find the requested records attached to this transmission.",
    "Kindly review the enclosed documents and return a signed copy at your convenience.",
    "This order confirms the quantities and delivery dates discussed on our last call.",
    "The referral below includes the patient history and the latest lab results.",
    "Our invoice for the current period is attached; payment terms are net 30 days.",
    "Call us if any page of this fax is missing or illegible.",
)


def inbound_fax_pdf(
    *, message_id: str, sender: str, csid: str, receiver: str, pages: int, date: str
) -> bytes:
    header = f"{date}  FROM {csid or sender}  TO {receiver}"
    body = []
    for number in range(1, pages + 1):
        seed = int(message_id.replace("-", "")[:8], 16) + number
        lines = [
            f"Incoming fax: page {number} of {pages}",
            f"From: {sender}" + (f" ({csid})" if csid else ""),
            f"To: {receiver}",
            f"Received: {date}",
            "",
        ]
        lines += [_PROSE[(seed + k) % len(_PROSE)] for k in range(4)]
        body.append(lines)
    return text_pages_pdf(f"Fax {message_id}", body, header=header)


def placeholder_fax_pdf(*, fax: dict) -> bytes:
    """For faxes created without documents (`/_sandbox/seed`): pages that describe the fax."""
    count = max(1, int(fax.get("pagesCount") or 1))
    pages = [
        [
            f"Drenfax sandbox fax, page {number} of {count}",
            f"Message id: {fax['messageId']}",
            f"Direction: {fax['direction']}",
            f"Fax number: {fax.get('faxNumber') or ''}",
            f"Caller id: {fax.get('faxCallerId') or ''}",
            f"Created: {fax.get('createdAt')}",
        ]
        for number in range(1, count + 1)
    ]
    return text_pages_pdf(f"Fax {fax['messageId']}", pages)
