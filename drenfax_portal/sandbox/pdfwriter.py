"""A minimal PDF writer: Letter pages with Helvetica/Courier text, rules and JPEG/PNG images.

Enough for the pages the sandbox renders itself (cover pages, text files, inbound faxes,
placeholder pages). Uploaded PDFs are never rewritten here; `documents.py` merges them with
pypdf. The output is plain PDF 1.4 with a correct cross-reference table.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

PAGE_WIDTH = 612.0  # US Letter, in points
PAGE_HEIGHT = 792.0
MARGIN = 72.0

FONTS = {
    "F1": "Helvetica",
    "F2": "Helvetica-Bold",
    "F3": "Courier",
}

# Helvetica advance widths (1/1000 em) for the printable ASCII range, from the standard AFM.
_HELVETICA_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]  # fmt: skip


def text_width(text: str, size: float, font: str = "F1") -> float:
    """Width of `text` in points; exact for Courier and ASCII Helvetica, close for the rest."""
    if font == "F3":
        return len(text) * 0.6 * size
    units = 0
    for ch in text:
        code = ord(ch)
        units += _HELVETICA_WIDTHS[code - 32] if 32 <= code <= 126 else 556
    scale = 1.05 if font == "F2" else 1.0  # bold runs slightly wider
    return units * size * scale / 1000


def wrap_text(text: str, width: float, size: float, font: str = "F1") -> list[str]:
    """Greedy word wrap of one paragraph to `width` points; long words are split."""
    words = text.split()
    if not words:
        return [""]
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while text_width(word, size, font) > width:
            cut = max(1, _fit(word, width, size, font))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


def _fit(word: str, width: float, size: float, font: str) -> int:
    for i in range(len(word), 0, -1):
        if text_width(word[:i], size, font) <= width:
            return i
    return 1


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    raw = raw.replace(b"\r", b"").replace(b"\n", b" ")
    return b"(" + raw + b")"


def _num(value: float) -> bytes:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return (text or "0").encode()


@dataclass
class _Image:
    width: int
    height: int
    data: bytes
    dictionary: bytes  # everything in the stream dictionary except /Length


@dataclass
class Page:
    """One page; coordinates are PDF points from the bottom-left corner."""

    ops: list[bytes] = field(default_factory=list)
    images: list[_Image] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, size: float = 11, font: str = "F1") -> None:
        self.ops.append(
            b"BT /" + font.encode() + b" " + _num(size) + b" Tf "
            + _num(x) + b" " + _num(y) + b" Td " + _pdf_string(text) + b" Tj ET"
        )  # fmt: skip

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 1) -> None:
        self.ops.append(
            _num(width) + b" w " + _num(x1) + b" " + _num(y1) + b" m "
            + _num(x2) + b" " + _num(y2) + b" l S"
        )  # fmt: skip

    def rect(self, x: float, y: float, w: float, h: float, width: float = 1) -> None:
        self.ops.append(_num(width) + b" w " + b" ".join(_num(v) for v in (x, y, w, h)) + b" re S")

    def image(self, image: _Image, x: float, y: float, w: float, h: float) -> None:
        self.images.append(image)
        name = f"Im{len(self.images)}".encode()
        self.ops.append(
            b"q " + b" ".join(_num(v) for v in (w, 0, 0, h, x, y)) + b" cm /" + name + b" Do Q"
        )

    def image_fit(self, image: _Image, top: float = PAGE_HEIGHT - MARGIN) -> None:
        """Draw `image` as large as fits inside the margins below `top`, keeping its aspect."""
        box_w, box_h = PAGE_WIDTH - 2 * MARGIN, top - MARGIN
        scale = min(box_w / image.width, box_h / image.height)
        w, h = image.width * scale, image.height * scale
        self.image(image, (PAGE_WIDTH - w) / 2, top - h, w, h)


class PdfDocument:
    """Collects pages and serialises them as a standalone PDF."""

    def __init__(self, title: str = "") -> None:
        self.title = title
        self.pages: list[Page] = []

    def add_page(self) -> Page:
        page = Page()
        self.pages.append(page)
        return page

    def to_bytes(self) -> bytes:
        if not self.pages:
            self.add_page()
        objects: list[bytes] = []  # objects[i] is object number i + 1

        def reserve() -> int:
            objects.append(b"")
            return len(objects)

        catalog, pages_ref = reserve(), reserve()
        font_refs = {}
        for name, base in FONTS.items():
            ref = reserve()
            objects[ref - 1] = (
                b"<< /Type /Font /Subtype /Type1 /BaseFont /" + base.encode()
                + b" /Encoding /WinAnsiEncoding >>"
            )  # fmt: skip
            font_refs[name] = ref
        fonts = b" ".join(f"/{n} {r} 0 R".encode() for n, r in font_refs.items())

        kids = []
        for page in self.pages:
            xobjects = []
            for i, image in enumerate(page.images, start=1):
                ref = reserve()
                objects[ref - 1] = _stream(image.dictionary, image.data)
                xobjects.append(f"/Im{i} {ref} 0 R".encode())
            content_ref = reserve()
            content = b"\n".join(page.ops)
            objects[content_ref - 1] = _stream(b"/Filter /FlateDecode", zlib.compress(content))
            page_ref = reserve()
            resources = b"<< /Font << " + fonts + b" >>"
            if xobjects:
                resources += b" /XObject << " + b" ".join(xobjects) + b" >>"
            resources += b" >>"
            objects[page_ref - 1] = (
                b"<< /Type /Page /Parent " + str(pages_ref).encode() + b" 0 R /MediaBox [0 0 "
                + _num(PAGE_WIDTH) + b" " + _num(PAGE_HEIGHT) + b"] /Resources " + resources
                + b" /Contents " + str(content_ref).encode() + b" 0 R >>"
            )  # fmt: skip
            kids.append(page_ref)

        objects[catalog - 1] = b"<< /Type /Catalog /Pages " + str(pages_ref).encode() + b" 0 R >>"
        objects[pages_ref - 1] = (
            b"<< /Type /Pages /Kids [" + b" ".join(f"{k} 0 R".encode() for k in kids)
            + b"] /Count " + str(len(kids)).encode() + b" >>"
        )  # fmt: skip
        info = reserve()
        objects[info - 1] = (
            b"<< /Producer (Drenfax sandbox) /Title " + _pdf_string(self.title) + b" >>"
        )

        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref_at = len(out)
        out += f"xref\n0 {len(objects) + 1}\n".encode()
        out += b"0000000000 65535 f \n"
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        out += (
            f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref_at}\n%%EOF\n"
        ).encode()
        return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return (
        b"<< " + dictionary + b" /Length " + str(len(data)).encode() + b" >>\nstream\n"
        + data + b"\nendstream"
    )  # fmt: skip


# --- images ---------------------------------------------------------------------------------------
class UnsupportedImage(ValueError):
    """The image cannot be embedded as is (the caller draws a description page instead)."""


def jpeg_image(data: bytes) -> _Image:
    """Embed a baseline or progressive JPEG unchanged, with DCTDecode."""
    width, height, components = jpeg_info(data)
    colorspace = {1: b"/DeviceGray", 3: b"/DeviceRGB", 4: b"/DeviceCMYK"}.get(components)
    if colorspace is None:
        raise UnsupportedImage(f"JPEG with {components} colour components")
    extra = b" /Decode [1 0 1 0 1 0 1 0]" if components == 4 else b""
    dictionary = (
        b"/Type /XObject /Subtype /Image /Width " + str(width).encode()
        + b" /Height " + str(height).encode() + b" /ColorSpace " + colorspace
        + b" /BitsPerComponent 8 /Filter /DCTDecode" + extra
    )  # fmt: skip
    return _Image(width, height, data, dictionary)


def jpeg_info(data: bytes) -> tuple[int, int, int]:
    """(width, height, components) from a JPEG's start-of-frame marker."""
    if not data.startswith(b"\xff\xd8"):
        raise UnsupportedImage("not a JPEG file")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
            if i + 10 > len(data):
                break
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            components = data[i + 9]
            if width == 0 or height == 0:
                break
            return width, height, components
        i += 2 + length
    raise UnsupportedImage("JPEG without a readable frame header")


def png_image(data: bytes) -> _Image:
    """Embed a non-interlaced PNG without alpha by handing its zlib data to FlateDecode.

    PDF's PNG predictors decode PNG scanline filters natively, so no pixel is touched here.
    PNGs with an alpha channel or interlacing raise UnsupportedImage.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise UnsupportedImage("not a PNG file")
    pos, idat, palette = 8, bytearray(), b""
    width = height = depth = color = interlace = None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk[:13])
        elif kind == b"PLTE":
            palette = chunk
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
        pos += 12 + length
    if not width or not height or not idat:
        raise UnsupportedImage("PNG without image data")
    if interlace:
        raise UnsupportedImage("interlaced PNG")
    if color == 0:
        colorspace, colors = b"/DeviceGray", 1
    elif color == 2:
        colorspace, colors = b"/DeviceRGB", 3
    elif color == 3 and palette:
        count = len(palette) // 3
        colorspace = b"[/Indexed /DeviceRGB " + str(count - 1).encode() + b" <"
        colorspace += palette[: count * 3].hex().encode() + b">]"
        colors = 1
    else:
        raise UnsupportedImage("PNG with an alpha channel")
    dictionary = (
        b"/Type /XObject /Subtype /Image /Width " + str(width).encode()
        + b" /Height " + str(height).encode() + b" /ColorSpace " + colorspace
        + b" /BitsPerComponent " + str(depth).encode() + b" /Filter /FlateDecode"
        + b" /DecodeParms << /Predictor 15 /Colors " + str(colors).encode()
        + b" /BitsPerComponent " + str(depth).encode() + b" /Columns " + str(width).encode()
        + b" >>"
    )  # fmt: skip
    return _Image(width, height, bytes(idat), dictionary)
