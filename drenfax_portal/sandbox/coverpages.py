"""Cover pages: the provider's default and two more, with `${tokens.*}` placeholders."""

from __future__ import annotations

import re

from fpdf import FPDF

DEFAULT_COVER_PAGE_ID = "00000000-0000-0000-0000-000000000000"

TOKENS = (
    "recipientName",
    "senderName",
    "recipientFax",
    "callerId",
    "subject",
    "date",
    "pages",
    "notes",
)

COVER_PAGES = [
    {
        "uuid": DEFAULT_COVER_PAGE_ID,
        "name": "Default",
        "template": (
            "Fax Transmission\n\n"
            "To: ${tokens.recipientName}\nFrom: ${tokens.senderName}\n\n"
            "Fax: ${tokens.recipientFax}\nFax: ${tokens.callerId}\n\n"
            "RE: ${tokens.subject}\nDate: ${tokens.date}\n\n"
            "Pages: ${tokens.pages}\n\n"
            "Comments: ${tokens.notes}"
        ),
    },
    {
        "uuid": "6d3f0c4e-2b1a-4f7e-9c55-0a1b2c3d4e01",
        "name": "Confidential",
        "template": (
            "CONFIDENTIAL FAX\n\n"
            "Date: ${tokens.date}\nPages (including this one): ${tokens.pages}\n\n"
            "To: ${tokens.recipientName}\nTo fax: ${tokens.recipientFax}\n\n"
            "From: ${tokens.senderName}\nFrom fax: ${tokens.callerId}\n\n"
            "Subject: ${tokens.subject}\n\n"
            "${tokens.notes}\n\n"
            "This facsimile contains confidential information intended only for the recipient "
            "named above. If you received it in error, please notify the sender at once and "
            "destroy all copies."
        ),
    },
    {
        "uuid": "6d3f0c4e-2b1a-4f7e-9c55-0a1b2c3d4e02",
        "name": "Urgent",
        "template": (
            "URGENT: PLEASE DELIVER IMMEDIATELY\n\n"
            "For: ${tokens.recipientName} (${tokens.recipientFax})\n"
            "From: ${tokens.senderName} (${tokens.callerId})\n"
            "Sent: ${tokens.date}\nPages: ${tokens.pages}\n\n"
            "Regarding: ${tokens.subject}\n\n"
            "Message: ${tokens.notes}"
        ),
    },
]

_BY_ID = {page["uuid"]: page for page in COVER_PAGES}
_TOKEN_RE = re.compile(r"\$\{tokens\.(\w+)\}")

SAMPLE_TOKENS = {
    "recipientName": "Recipient Name",
    "senderName": "Sender Name",
    "recipientFax": "+1 (212) 555-0100",
    "callerId": "(509) 457-0051",
    "subject": "Subject of the fax",
    "date": "2025-01-01",
    "pages": "2",
    "notes": "Notes from the sender appear here.",
}


def get_cover_page(cover_page_id: str) -> dict | None:
    return _BY_ID.get(cover_page_id.strip().lower())


def cover_page_list(base_url: str) -> list[dict]:
    """The `GET /coverpages` answer; previews are served by the sandbox itself."""
    return [
        {
            "uuid": page["uuid"],
            "name": page["name"],
            "template": page["template"],
            "accountId": None,
            "userId": None,
            "isPublic": True,
            "previewLink": f"{base_url}/_sandbox/coverpages/{page['uuid']}.pdf",
        }
        for page in COVER_PAGES
    ]


def fill(template: str, tokens: dict[str, str]) -> str:
    return _TOKEN_RE.sub(lambda m: str(tokens.get(m.group(1)) or ""), template)


def draw_cover_page(pdf: FPDF, cover_page_id: str, tokens: dict[str, str]) -> None:
    """A page with the filled template: the first line as a title, the rest as wrapped text."""
    title, *body = fill(_BY_ID[cover_page_id]["template"], tokens).split("\n")
    pdf.add_page()
    left, right, bottom = pdf.l_margin, pdf.w - pdf.r_margin, pdf.h - pdf.b_margin
    size = 26
    pdf.set_font("Helvetica", "B", size)
    while pdf.get_string_width(title) > pdf.epw and size > 12:
        size -= 1
        pdf.set_font_size(size)
    y = pdf.t_margin + 20
    pdf.text(left, y, title)
    pdf.set_line_width(1.5)
    pdf.line(left, y + 16, right, y + 16)
    y += 46
    for line in body:
        if not line.strip():
            y += 10
            continue
        label, sep, _ = line.partition(": ")
        pdf.set_font("Helvetica", "", 12)
        for i, part in enumerate(pdf.multi_cell(pdf.epw, 17, line, dry_run=True, output="LINES")):
            if y > bottom - 14:
                pdf.text(left, bottom, "[...]")
                return
            if i == 0 and sep and len(label) < 30:
                pdf.set_font(style="B")
                pdf.text(left, y, label + ":")
                indent = pdf.get_string_width(label + ": ")
                pdf.set_font(style="")
                pdf.text(left + indent, y, part[len(label) + 2 :])
            else:
                pdf.text(left, y, part)
            y += 17
    pdf.set_line_width(0.5)
    pdf.line(left, bottom + 20, right, bottom + 20)
    pdf.set_font(size=8)
    pdf.text(left, bottom + 34, "Sent with Drenfax")
