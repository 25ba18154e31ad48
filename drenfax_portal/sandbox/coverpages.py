"""Cover pages: the provider's default and two more, with `${tokens.*}` placeholders."""

from __future__ import annotations

import re

from .pdfwriter import MARGIN, PAGE_HEIGHT, PAGE_WIDTH, Page, text_width, wrap_text

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


def draw_cover_page(page: Page, cover_page_id: str, tokens: dict[str, str]) -> None:
    """Draw the filled template: the first line as a title, the rest as wrapped text."""
    template = _BY_ID[cover_page_id]["template"]
    lines = fill(template, tokens).split("\n")
    title, body = lines[0], lines[1:]
    width = PAGE_WIDTH - 2 * MARGIN
    y = PAGE_HEIGHT - MARGIN - 20
    size = 26.0
    while text_width(title, size, "F2") > width and size > 12:
        size -= 1
    page.text(MARGIN, y, title, size=size, font="F2")
    y -= 16
    page.line(MARGIN, y, PAGE_WIDTH - MARGIN, y, width=1.5)
    y -= 30
    for line in body:
        if not line.strip():
            y -= 10
            continue
        label, sep, _ = line.partition(": ")
        for i, part in enumerate(wrap_text(line, width, 12)):
            if y < MARGIN + 14:
                page.text(MARGIN, MARGIN, "[...]", size=12)
                return
            if i == 0 and sep and len(label) < 30:
                page.text(MARGIN, y, label + ":", size=12, font="F2")
                page.text(MARGIN + text_width(label + ": ", 12, "F2"), y, part[len(label) + 2 :])
            else:
                page.text(MARGIN, y, part, size=12)
            y -= 17
    page.line(MARGIN, MARGIN - 20, PAGE_WIDTH - MARGIN, MARGIN - 20, width=0.5)
    page.text(MARGIN, MARGIN - 34, "Sent with Drenfax", size=8)
