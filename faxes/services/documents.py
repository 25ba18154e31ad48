"""Fax documents (PDFs) on local disk under FAX_DOCUMENTS_DIR, with random names, outside
any static or media URL; only access-checked views read them. Fax PDFs sit in `YYYY/MM/`,
uploads and previews in their own subfolders.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.utils import timezone

from drenfax_portal.client import DrenfaxError
from faxes.models import Fax, PdfState


def documents_dir() -> Path:
    path = Path(settings.FAX_DOCUMENTS_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _new_path(folder: str = "", suffix: str = ".pdf") -> tuple[str, Path]:
    """A new random name (relative path, absolute path), its folder created."""
    prefix = f"{folder}/" if folder else ""
    relative = f"{prefix}{timezone.now():%Y/%m}/{secrets.token_hex(16)}{suffix}"
    target = documents_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return relative, target


def write_document(
    chunks: Iterable[bytes], *, folder: str = "", suffix: str = ".pdf"
) -> tuple[str, int]:
    """Write a document atomically under a random name in `folder` (a subfolder such as
    "uploads"), ending in `suffix`; returns (relative path, size)."""
    relative, target = _new_path(folder, suffix)
    tmp = target.with_suffix(".part")
    size = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return relative, size


def fax_set_pdf(fax: Fax, relative: str) -> str:
    """Point the cached fax at a stored PDF (deleting the copy it had before); a fetch the
    worker still had to make is no longer wanted."""
    old, now = fax.pdf_path, timezone.now()
    stored = {"pdf_state": PdfState.DONE, "pdf_error": "", "pdf_retry_at": None}
    Fax.objects.filter(pk=fax.pk).update(pdf_path=relative, pdf_fetched_at=now, **stored)
    fax.pdf_path, fax.pdf_fetched_at = relative, now
    if old and old != relative:
        delete_document(old)
    return relative


def link_document(relative: str) -> str:
    """A second name for a stored document, so two owners (a webhook delivery and its fax)
    can each delete theirs: a hard link, or a copy where the file system has none."""
    source = _resolve(relative)
    new, target = _new_path()
    try:
        os.link(source, target)
    except OSError:
        with open(source, "rb") as handle:
            new, _ = write_document(_read_chunks(handle))
    return new


def _resolve(relative: str) -> Path:
    base = documents_dir().resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise FileNotFoundError(relative)
    return path


class NotAPdf(DrenfaxError):
    """The provider answered a download with something that is not a PDF."""


def fetch_document(client: Any, message_id: object) -> str:
    """Download a fax's PDF from the provider into the documents directory; returns its
    relative path. Raises the client's errors, or NotAPdf; stores nothing then."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=documents_dir()) as spool:
        client.download_fax(str(message_id), to=spool)
        spool.seek(0)
        if spool.read(5) != b"%PDF-":
            raise NotAPdf("The provider's download was not a PDF document.")
        spool.seek(0)
        relative, _ = write_document(_read_chunks(spool))
    return relative


def _read_chunks(handle: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: handle.read(64 * 1024), b"")


def open_document(relative: str) -> BinaryIO:
    """Open a stored document for reading; refuses paths outside the documents directory."""
    return open(_resolve(relative), "rb")  # the caller (a FileResponse) closes it


def delete_document(relative: str) -> None:
    with contextlib.suppress(FileNotFoundError):  # gone already, or outside the directory
        _resolve(relative).unlink(missing_ok=True)


def delete_stray_files(root: Path, *, known: set[str], older_than: datetime) -> int:
    """Delete files under `root` that no row names (`known`: paths relative to the documents
    directory) and that are older than `older_than`: left by a crash between writing a file
    and recording it. Returns how many."""
    base = documents_dir()
    removed = 0
    for path in root.rglob("*"):
        if not path.is_file() or path.relative_to(base).as_posix() in known:
            continue
        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
            if path.stat().st_mtime < older_than.timestamp():
                path.unlink()
                removed += 1
    return removed
