"""Files for the send form: typed by their bytes, refused while read when too large, kept
for their owner behind an opaque token, deleted in time."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from drenfax_portal.uuids import parse_uuid
from faxes.models import StagedFile, Submission
from faxes.services.documents import (
    delete_document,
    delete_stray_files,
    documents_dir,
    open_document,
    write_document,
)

log = logging.getLogger(__name__)

MB = 1024 * 1024
UPLOADS_FOLDER = "uploads"
PREVIEWS_FOLDER = "previews"
# A preview is shown right away and holds a patient's pages: it does not stay long.
PREVIEW_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


FILE_TYPES: dict[str, FileType] = {
    "pdf": FileType("PDF", "application/pdf", (".pdf",)),
    "tiff": FileType("TIFF image", "image/tiff", (".tif", ".tiff")),
    "png": FileType("PNG image", "image/png", (".png",)),
    "jpeg": FileType("JPEG image", "image/jpeg", (".jpg", ".jpeg")),
    "doc": FileType("Word document (DOC)", "application/msword", (".doc",)),
    "docx": FileType(
        "Word document (DOCX)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "txt": FileType("Plain text", "text/plain", (".txt",)),
}
ACCEPTED_TYPES = "PDF, TIFF, PNG, JPEG, Word (DOC, DOCX) or plain text (UTF-8)"
# For the file picker only (a hint to the browser); the server decides by the bytes.
ACCEPT_ATTRIBUTE = ",".join(
    [ext for t in FILE_TYPES.values() for ext in t.extensions]
    + [t.content_type for t in FILE_TYPES.values()]
)

_SIGNATURES = (
    ("tiff", b"II*\x00"),
    ("tiff", b"MM\x00*"),
    ("png", b"\x89PNG\r\n\x1a\n"),
    ("jpeg", b"\xff\xd8\xff"),
    ("ole2", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    ("zip", b"PK\x03\x04"),
)
# Every Word 97-2003 file holds a stream of this name (in the OLE2 directory, UTF-16).
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_CHUNK = 1024 * 1024


class RefusedFile(ValueError):
    """A file that cannot be faxed; `str()` says why, in plain words, without its name."""


@dataclass(frozen=True)
class Inspection:
    file_type: str
    pages: int | None  # None when only Drenfax can tell (Word, text)


def limits() -> dict[str, Any]:
    """The caps of one send, from settings, in bytes and as the form states them."""
    max_file = int(settings.SEND_MAX_FILE_MB * MB)
    max_total = int(settings.SEND_MAX_TOTAL_MB * MB)
    return {
        "max_files": settings.SEND_MAX_FILES,
        "max_pages": settings.SEND_MAX_PAGES,
        "max_file": max_file,
        "max_total": max_total,
        "max_file_text": filesizeformat(max_file),
        "max_total_text": filesizeformat(max_total),
        "accepted": ACCEPTED_TYPES,
        "accept": ACCEPT_ATTRIBUTE,
    }


def file_signature(head: bytes) -> str | None:
    """A container's kind by its first bytes (pdf, tiff, png, jpeg, ole2, zip), or None."""
    if b"%PDF-" in head:  # readers accept the header anywhere in the first 1024 bytes
        return "pdf"
    for kind, magic in _SIGNATURES:
        if head.startswith(magic):
            return kind
    return None


def inspect_file(handle: IO[bytes]) -> Inspection:
    """What a file is, by its bytes; raises RefusedFile for anything we cannot fax."""
    handle.seek(0)
    head = handle.read(1024)
    handle.seek(0)
    if not head:
        raise RefusedFile("it is empty")
    kind = file_signature(head)
    if kind == "pdf":
        return Inspection("pdf", _pdf_pages(handle))
    if kind == "tiff":
        return Inspection("tiff", _tiff_pages(handle))
    if kind in ("png", "jpeg"):
        return Inspection(kind, 1)
    if kind == "ole2":
        if contains_bytes(handle, _WORD_STREAM):
            return Inspection("doc", None)
        raise RefusedFile("it is an Office file but not a Word document (save it as PDF to fax it)")
    if kind == "zip":
        if _is_docx(handle):
            return Inspection("docx", None)
        raise RefusedFile("it is a ZIP archive, not a Word document")
    if is_utf8_text(handle):
        return Inspection("txt", None)
    raise RefusedFile(
        f"its content is not {ACCEPTED_TYPES}, whatever its name says, so it cannot be faxed"
    )


def _pdf_pages(handle: IO[bytes]) -> int:
    # pypdf is imported here: only uploads need it, and it is slow to import.
    from pypdf import PdfReader

    try:
        reader = PdfReader(handle)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception as exc:  # a damaged file can make any parser fail in any way
        log.info("unreadable PDF upload: %r", exc)
        raise RefusedFile("it is a damaged PDF that cannot be read") from None
    if encrypted:
        raise RefusedFile(
            "it is a password-protected (encrypted) PDF; save or print an unprotected copy "
            "and upload that"
        )
    if pages == 0:
        raise RefusedFile("it is a PDF without any pages")
    return pages


def _tiff_pages(handle: IO[bytes]) -> int | None:
    """The number of images (IFDs) in a TIFF, or None if the chain cannot be followed."""
    data = handle.read()
    handle.seek(0)
    order = "little" if data[:2] == b"II" else "big"
    offset = int.from_bytes(data[4:8], order)
    seen: set[int] = set()
    while offset:
        if offset in seen or offset + 2 > len(data) or len(seen) > 10_000:
            return None
        seen.add(offset)
        entries = int.from_bytes(data[offset : offset + 2], order)
        next_at = offset + 2 + entries * 12
        if next_at + 4 > len(data):
            return None
        offset = int.from_bytes(data[next_at : next_at + 4], order)
    return len(seen) or None


def _chunks(handle: IO[bytes]) -> Iterable[bytes]:
    handle.seek(0)
    while chunk := handle.read(_CHUNK):
        yield chunk
    handle.seek(0)


def contains_bytes(handle: IO[bytes], needle: bytes) -> bool:
    """Whether the file holds these bytes anywhere (read in chunks; rewound after)."""
    tail = b""
    for chunk in _chunks(handle):
        if needle in tail + chunk:
            handle.seek(0)
            return True
        tail = chunk[-len(needle) :]
    return False


def _is_docx(handle: IO[bytes]) -> bool:
    try:
        with zipfile.ZipFile(handle) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        handle.seek(0)


def is_utf8_text(handle: IO[bytes]) -> bool:
    """UTF-8 text without NUL bytes (UTF-16 text and binaries have them)."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks(handle):
            if b"\x00" in chunk:
                return False
            utf8.decode(chunk)
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_filename(name: str, file_type: str, *, extensions: tuple[str, ...] = ()) -> str:
    """A file name safe to show and send, ending as its type does ("scan" -> "scan.png");
    `extensions` for a type outside FILE_TYPES (a blast's ".xlsx")."""
    name = unicodedata.normalize("NFC", name or "").strip()
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "document"
    extensions = extensions or FILE_TYPES[file_type].extensions
    if not name.lower().endswith(extensions):
        name = f"{name}{extensions[0]}"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 119 - len(ext)]}{dot}{ext}"
    return name


class CappedUploadHandler(FileUploadHandler):
    """Skips files over the per-file, total or count caps while the request is read, and
    notes them in `refused` as (file name, reason). Put first in `request.upload_handlers`.
    """

    what = "one send"
    per = "per send"

    def __init__(
        self, request: Any = None, *, max_file: int, max_total: int, max_files: int
    ) -> None:
        super().__init__(request)
        self.max_file = max_file
        self.max_total = max_total
        self.max_files = max_files
        self.refused: list[tuple[str, str]] = []
        self.count = 0
        self.total = 0
        self.size = 0

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        # SkipFile must not be raised here: Django would close the previous file's handle.
        super().new_file(field_name, file_name, *args, **kwargs)
        self.count += 1
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.size += len(raw_data)
        reason = None
        if self.count > self.max_files:
            many = f"{self.max_files} files" if self.max_files != 1 else "one file"
            reason = f"more than {many} were chosen for {self.what}"
        elif self.size > self.max_file:
            reason = f"it is larger than {filesizeformat(self.max_file)}, the limit per file"
        elif self.total + self.size > self.max_total:
            reason = (
                f"together with the other files it is over {filesizeformat(self.max_total)}, "
                f"the limit {self.per}"
            )
        if reason is not None:
            self.refused.append((self.file_name or "a file", reason))
            self.count -= 1
            raise SkipFile(reason)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        self.total += file_size


class SendUploadHandler(CappedUploadHandler):
    """The send form's caps (SEND_MAX_FILES, SEND_MAX_FILE_MB, SEND_MAX_TOTAL_MB)."""

    def __init__(self, request: Any = None) -> None:
        caps = limits()
        super().__init__(
            request,
            max_file=caps["max_file"],
            max_total=caps["max_total"],
            max_files=caps["max_files"],
        )


def staged_file_create(*, user: AbstractBaseUser, upload: UploadedFile) -> StagedFile:
    """Check an uploaded file and keep it for this user; raises RefusedFile."""
    inspection = inspect_file(upload.file)
    if upload.size > limits()["max_file"]:  # the handler's check, for uploads made elsewhere
        raise RefusedFile(f"it is larger than {limits()['max_file_text']}, the limit per file")
    if inspection.pages and inspection.pages > settings.SEND_MAX_PAGES:
        raise RefusedFile(
            f"it has {inspection.pages} pages; a send holds at most {settings.SEND_MAX_PAGES}"
        )
    return staged_file_store(
        user=user,
        kind=StagedFile.Kind.UPLOAD,
        chunks=upload.chunks(),
        filename=clean_filename(upload.name or "", inspection.file_type),
        file_type=inspection.file_type,
        content_type=FILE_TYPES[inspection.file_type].content_type,
        pages=inspection.pages,
    )


def staged_file_store(
    *,
    user: AbstractBaseUser,
    kind: str,
    chunks: Iterable[bytes],
    filename: str,
    file_type: str,
    content_type: str,
    pages: int | None = None,
) -> StagedFile:
    """Keep a checked file for its owner under UPLOADS_FOLDER, reached by an opaque token."""
    relative, size = write_document(chunks, folder=UPLOADS_FOLDER, suffix=".upload")
    try:
        return StagedFile.objects.create(
            user=user,
            kind=kind,
            filename=filename,
            file_type=file_type,
            content_type=content_type,
            size=size,
            pages=pages,
            path=relative,
        )
    except BaseException:
        delete_document(relative)
        raise


def parse_tokens(values: Iterable[Any]) -> list[uuid.UUID]:
    """The valid, distinct tokens among posted values, in their order."""
    tokens = (parse_uuid(value) for value in values)
    return list(dict.fromkeys(token for token in tokens if token is not None))


def staged_uploads(user: AbstractBaseUser, tokens: Sequence[uuid.UUID]) -> list[StagedFile]:
    """The user's kept uploads for these tokens, in the tokens' order (someone else's token,
    a purged one or a preview's is not found)."""
    uploads = StagedFile.objects.filter(user_id=user.pk, kind=StagedFile.Kind.UPLOAD)
    found = {f.token: f for f in uploads.filter(token__in=tokens)}
    return [found[t] for t in tokens if t in found]


def staged_file_read(staged: StagedFile) -> bytes:
    """The kept file's bytes; FileNotFoundError if it was purged meanwhile."""
    with open_document(staged.path) as handle:
        return handle.read()


def preview_store(*, user: AbstractBaseUser, pdf: bytes) -> StagedFile:
    """Keep a rendered preview for its owner to view (until PREVIEW_TTL)."""
    relative, size = write_document([pdf], folder=PREVIEWS_FOLDER, suffix=".pdf")
    return StagedFile.objects.create(
        user=user,
        kind=StagedFile.Kind.PREVIEW,
        filename="preview.pdf",
        file_type="pdf",
        content_type="application/pdf",
        size=size,
        path=relative,
    )


def fresh_previews(user: AbstractBaseUser) -> QuerySet[StagedFile]:
    """The user's own previews younger than PREVIEW_TTL."""
    return StagedFile.objects.filter(
        user_id=user.pk, kind=StagedFile.Kind.PREVIEW, created_at__gt=timezone.now() - PREVIEW_TTL
    )


def upload_retention() -> timedelta:
    return timedelta(hours=settings.UPLOAD_RETENTION_HOURS)


@dataclass
class PurgeReport:
    uploads: int = 0
    previews: int = 0
    orphans: int = 0
    drafts: int = 0

    def __str__(self) -> str:
        return (
            f"{self.uploads} upload(s), {self.previews} preview(s), {self.orphans} stray "
            f"file(s) and {self.drafts} saved form(s) deleted"
        )


def staged_files_purge(*, now: Any = None) -> PurgeReport:
    """Delete uploads and recipient lists past retention, previews past PREVIEW_TTL, stray
    files no row names (a crash between writing and recording), and the saved form of
    sends past retention (without their files it cannot be restored)."""
    now = now or timezone.now()
    upload_cutoff = now - upload_retention()
    preview_cutoff = now - PREVIEW_TTL
    previews = StagedFile.objects.filter(kind=StagedFile.Kind.PREVIEW)
    uploads = StagedFile.objects.exclude(kind=StagedFile.Kind.PREVIEW)  # and recipient lists
    # The files of a send written down for a task: kept until it has made its call.
    waiting = Submission.objects.filter(
        state__in=[Submission.State.QUEUED, Submission.State.SUBMITTING]
    ).values_list("request", flat=True)
    needed = {token for request in waiting for token in parse_tokens(request.get("files", []))}
    uploads = uploads.exclude(token__in=needed)
    return PurgeReport(
        uploads=_delete_staged(uploads, before=upload_cutoff),
        previews=_delete_staged(previews, before=preview_cutoff),
        orphans=_purge_stray_files(older_than=min(upload_cutoff, preview_cutoff)),
        drafts=_forget_old_drafts(upload_cutoff),
    )


def _delete_staged(files: QuerySet[StagedFile], *, before: datetime) -> int:
    deleted = 0
    for pk, path in files.filter(created_at__lt=before).values_list("pk", "path").iterator():
        delete_document(path)
        StagedFile.objects.filter(pk=pk).delete()
        deleted += 1
    return deleted


def _purge_stray_files(*, older_than: Any) -> int:
    base = documents_dir()
    known = set(StagedFile.objects.values_list("path", flat=True))
    return sum(
        delete_stray_files(base / folder, known=known, older_than=older_than)
        for folder in (UPLOADS_FOLDER, PREVIEWS_FOLDER)
        if (base / folder).is_dir()
    )


def _forget_old_drafts(cutoff: Any) -> int:
    forgotten = 0
    old = Submission.objects.filter(created_at__lt=cutoff, summary__has_key="form")
    for submission in old.only("pk", "summary").iterator():
        del submission.summary["form"]
        submission.save(update_fields=["summary"])
        forgotten += 1
    return forgotten
