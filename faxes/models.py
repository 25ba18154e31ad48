from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class FaxStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PROCESSING = "processing", "Processing"
    TRANSMITTING = "transmitting", "Transmitting"
    SUCCESS = "success", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATUSES = frozenset({FaxStatus.SUCCESS, FaxStatus.FAILED, FaxStatus.CANCELLED})
OPEN_STATUSES = frozenset(FaxStatus) - TERMINAL_STATUSES
# Statuses only move forward along this order; a terminal status never changes.
STATUS_RANK = {FaxStatus.SCHEDULED: 0, FaxStatus.PROCESSING: 1, FaxStatus.TRANSMITTING: 2}
STATUS_RANK |= dict.fromkeys(TERMINAL_STATUSES, 3)


class PdfState(models.TextChoices):
    """Where a fax's PDF stands: webhooks mark an inbound fax "wanted", the worker claims it."""

    NONE = "", "Not needed"
    WANTED = "wanted", "To fetch"
    CLAIMED = "claimed", "Being fetched"
    DONE = "done", "Stored"
    FAILED = "failed", "Could not be fetched"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class TeamState(models.TextChoices):
    """Where a received fax is in the team's hands (faxes.services.inbox)."""

    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    DONE = "done", "Done"


class Fax(models.Model):
    """A fax as the provider reports it, cached locally, plus what the portal knows about it."""

    message_id = models.UUIDField(unique=True)
    account_id = models.UUIDField(null=True, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    status = models.CharField(max_length=12, choices=FaxStatus.choices)
    # Outbound: the recipient. Inbound: the receiving number (ours). E.164.
    fax_number = models.CharField(max_length=20, blank=True)
    fax_csid = models.CharField("CSID", max_length=100, blank=True)
    fax_caller_id = models.CharField("caller id", max_length=32, blank=True)
    pages_count = models.PositiveIntegerField(null=True, blank=True)
    pages_complete = models.PositiveIntegerField(null=True, blank=True)
    result_code = models.CharField(max_length=32, blank=True)
    result_info = models.CharField(max_length=255, blank=True)
    error_info = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    duration = models.PositiveIntegerField("duration (ms)", null=True, blank=True)
    fax_speed = models.PositiveIntegerField("speed (bps)", null=True, blank=True)
    fax_ecm = models.PositiveIntegerField("ECM", null=True, blank=True)
    fax_protocol = models.PositiveIntegerField("protocol", null=True, blank=True)
    fax_attempt = models.PositiveIntegerField("attempt", null=True, blank=True)
    fax_detected = models.BooleanField(null=True, blank=True)
    is_archived = models.BooleanField(default=False)
    is_file_purged = models.BooleanField(default=False)
    subject = models.CharField(max_length=255, blank=True)
    recipient_name = models.CharField(max_length=255, blank=True)
    message_number = models.CharField(max_length=64, blank=True)
    channel_type = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set when the provider deleted the fax (deletedAt, or a 404 on lookup); hidden everywhere.
    deleted_at = models.DateTimeField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # Lower-cased text the history search looks in, and "|tag|tag|" for the tag filter.
    search_text = models.TextField(blank=True, editable=False)
    tag_list = models.CharField(max_length=1000, blank=True, editable=False)

    # Portal-side fields. The foreign keys have no index of their own: the listing indexes
    # below start with them.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sent_faxes",
        db_index=False,
    )
    # Inbound: the number that received it. Outbound: the number it was sent from (caller id).
    number = models.ForeignKey(
        "numbers.FaxNumber",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="faxes",
        db_index=False,
    )
    submission = models.ForeignKey(
        "Submission",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="faxes",
        db_index=False,  # a partial index below: most faxes have no submission
    )
    pdf_path = models.CharField(max_length=255, blank=True)  # relative to FAX_DOCUMENTS_DIR
    pdf_fetched_at = models.DateTimeField(null=True, blank=True)
    # The PDF fetch queue (faxes.services.pdf_fetch).
    pdf_state = models.CharField(max_length=8, choices=PdfState.choices, blank=True, default="")
    pdf_claimed_at = models.DateTimeField(null=True, blank=True)
    pdf_attempts = models.PositiveSmallIntegerField(default=0)
    pdf_retry_at = models.DateTimeField(null=True, blank=True)  # not before this time
    pdf_error = models.CharField(max_length=255, blank=True)
    # When the sync last reconciled this open fax with the provider.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The team's handling of a received fax, which the provider knows nothing of: the sync
    # and the webhooks never write these.
    team_state = models.CharField(
        max_length=8, choices=TeamState.choices, default=TeamState.NEW, db_default=TeamState.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below
    )
    team_changed_at = models.DateTimeField(null=True, blank=True)
    team_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name_plural = "faxes"
        ordering = ["-created_at", "-id"]
        indexes = [
            # Newest-first listings, alone and per filter; the default view hides archived.
            models.Index(fields=["is_archived", "-created_at", "-id"], name="fax_archived_created"),
            models.Index(fields=["number", "-created_at", "-id"], name="fax_number_created"),
            # Partial indexes leave out the faxes they never find (fewer pages to write).
            models.Index(
                fields=["sent_by", "-created_at", "-id"],
                name="fax_sender_created",
                condition=Q(sent_by__isnull=False),
            ),
            models.Index(
                fields=["submission"], name="fax_submission", condition=Q(submission__isnull=False)
            ),
            models.Index(fields=["status", "-created_at", "-id"], name="fax_status_created"),
            models.Index(
                fields=["direction", "status", "-created_at", "-id"], name="fax_dir_status_created"
            ),
            models.Index(fields=["-created_at", "-id"], name="fax_created"),
            # Faxes waiting for their number to be known (faxes.services.sync.faxes_link_numbers).
            models.Index(
                fields=["fax_number"], name="fax_unlinked_faxnumber", condition=Q(number=None)
            ),
            models.Index(
                fields=["fax_caller_id"], name="fax_unlinked_callerid", condition=Q(number=None)
            ),
            models.Index(fields=["status", "last_checked_at"], name="fax_status_checked"),
            models.Index(fields=["pdf_state", "pdf_retry_at"], name="fax_pdf_state"),
            # The history's team filters: "My faxes" (only the faxes still assigned: a done
            # fax keeps its assignee), "Unassigned" and "Done".
            models.Index(
                fields=["assignee", "-created_at", "-id"],
                name="fax_assigned_created",
                condition=Q(team_state="assigned"),
            ),
            models.Index(
                fields=["team_state", "-created_at", "-id"],
                name="fax_team_created",
                condition=Q(direction="inbound"),
            ),
            # Faxes that finished recently (the notification worker's scan).
            models.Index(
                fields=["direction", "status", "resolved_at"], name="fax_dir_status_resolved"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} fax {self.message_id}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def reason(self) -> str:
        """Why a fax failed (or was cancelled), in the provider's words."""
        if self.status == FaxStatus.FAILED:
            return self.error_info or self.result_info or "Failed"
        if self.status == FaxStatus.CANCELLED:
            return self.error_info or "Cancelled"
        return ""

    @property
    def can_cancel(self) -> bool:
        return self.status in (FaxStatus.PROCESSING, FaxStatus.SCHEDULED)

    @property
    def other_party(self) -> str:
        """The recipient's number, or for an inbound fax the sender's number or CSID."""
        if self.direction == Direction.INBOUND:
            return self.fax_caller_id or self.fax_csid
        return self.fax_number

    @property
    def team_seen(self) -> str:
        """The team state a page shows; its team forms send it back, so that a change made
        meanwhile by someone else is not overwritten (`fax_set_team_state`)."""
        return f"{self.team_state}:{self.assignee_id or ''}"

    @property
    def our_number(self) -> str:
        return self.fax_number if self.direction == Direction.INBOUND else self.fax_caller_id


class Submission(models.Model):
    """One send the portal made, written down before the API call. Its `key` comes from
    the rendered form, so a double click or a retry finds the same row and never sends twice.
    """

    class Kind(models.TextChoices):
        SEND = "send", "Send"
        RESEND = "resend", "Resend"
        BLAST = "blast", "Blast"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SUBMITTING = "submitting", "Sending to Drenfax"
        DONE = "done", "Accepted by Drenfax"
        FAILED = "failed", "Refused; nothing was sent"
        UNKNOWN = "unknown", "Outcome unknown; checking with Drenfax"
        NOT_SENT = "not_sent", "Not sent (Drenfax has no record of it)"

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.SUBMITTING)
    # E.164 recipients, in order; used to reconcile an unknown outcome.
    recipients = models.JSONField(default=list)
    # What was asked for, for the result page (subject, files, cover page...). No documents.
    summary = models.JSONField(default=dict, blank=True)
    # One entry per recipient: {"recipient", "message_id"} or {"recipient", "error"}.
    results = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    # A queued send's API call, for the task that makes it (documents by their stored path).
    request = models.JSONField(default=dict, blank=True)
    # Faxes of the provider's answer recorded in the cache so far (progress of a long send).
    recorded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the API call began (a queued send's task may start long after created_at): the
    # reconciler looks for its faxes from then on.
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reconcile_attempts = models.PositiveSmallIntegerField(default=0)
    # A forward of a received fax: its document went out again with this send.
    forwarded_from = models.ForeignKey(
        Fax, null=True, blank=True, on_delete=models.SET_NULL, related_name="forwards"
    )

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="submission_state_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.SUBMITTING, self.State.UNKNOWN)


class StagedFile(models.Model):
    """A document kept for the send form, reached only by its owner through its opaque
    `token`, never a URL of its own: an upload (so a re-rendered form need not ask again),
    a preview Drenfax rendered, or a blast's recipient list. Purged after retention."""

    class Kind(models.TextChoices):
        UPLOAD = "upload", "Upload"
        PREVIEW = "preview", "Preview"
        RECIPIENT_LIST = "list", "Blast recipient list"

    token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staged_files"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Shown to the user and sent to Drenfax; its ending matches `file_type`.
    filename = models.CharField(max_length=255)
    # What the bytes are (pdf, tiff, ..., xlsx), whatever the name said.
    file_type = models.CharField(max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=255)  # relative to FAX_DOCUMENTS_DIR
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "created_at"], name="stagedfile_kind_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename} ({self.token})"


class FaxEvent(models.Model):
    """One entry in a fax's timeline: a status change, a stale report, or a user action."""

    class Source(models.TextChoices):
        SYNC = "sync", "Sync"
        WEBHOOK = "webhook", "Webhook"
        USER = "user", "User action"
        PORTAL = "portal", "Portal"

    fax = models.ForeignKey(Fax, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    status = models.CharField(max_length=12, choices=FaxStatus.choices, blank=True)
    pages_complete = models.PositiveIntegerField(null=True, blank=True)
    # False when the report was older than what the cache already knew (kept for the record).
    applied = models.BooleanField(default=True)
    note = models.CharField(max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # a partial index below: the provider's events have no user
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["user"], name="faxevent_user", condition=Q(user__isnull=False))
        ]

    def __str__(self) -> str:
        return f"{self.fax_id} {self.status or self.note} ({self.source})"


NOTE_MAX = 1000


class FaxNote(models.Model):
    """A note the team keeps on a fax; never sent anywhere."""

    fax = models.ForeignKey(Fax, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField(max_length=NOTE_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on {self.fax_id} by {self.author_id}"


class WebhookDelivery(models.Model):
    """One authenticated webhook call, stored raw with its outcome in the transaction of its
    effect; a `failed` one can be replayed with `manage.py reprocess_webhooks`."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        DUPLICATE = "duplicate", "Duplicate (nothing new)"
        STALE = "stale", "Stale (recorded, not applied)"
        IGNORED = "ignored", "Ignored (not a fax event)"
        FAILED = "failed", "Failed"

    class BodyKind(models.TextChoices):
        JSON = "json", "JSON body"
        FORM = "form", "The data field of a form"
        UNPARSED = "unparsed", "A form that could not be parsed (the start of it)"

    received_at = models.DateTimeField(default=timezone.now)
    event = models.CharField(max_length=100, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    # The headers worth keeping (user agent, client address, ...); never Authorization.
    headers = models.JSONField(default=dict, blank=True)
    body_kind = models.CharField(max_length=8, choices=BodyKind.choices, default=BodyKind.JSON)
    body = models.TextField(blank=True)
    # A PDF that came with it, relative to FAX_DOCUMENTS_DIR (the fax links the same file).
    attachment_path = models.CharField(max_length=255, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)
    message_id = models.UUIDField(null=True, blank=True)
    fax = models.ForeignKey(
        Fax, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    # Why it failed; for a delivery that was applied, a remark (e.g. an attachment ignored).
    error = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="webhook_outcome_received"),
            models.Index(fields=["-received_at", "-id"], name="webhook_received"),
        ]

    def __str__(self) -> str:
        return f"webhook delivery {self.pk} ({self.event or 'no event'}): {self.outcome}"


class FaxRead(models.Model):
    """A user opened this fax: it no longer counts as unread for them. Faxes older than
    `Profile.inbox_read_before` count as read without a mark; see `faxes.services.reads`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fax = models.ForeignKey(Fax, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "fax"], name="faxread_once_per_user")
        ]

    def __str__(self) -> str:
        return f"fax {self.fax_id} read by user {self.user_id}"


class SyncState(models.Model):
    """Where the fax and numbers sync stand, per account (one row per key)."""

    key = models.CharField(max_length=100, unique=True)
    # Newest provider createdAt seen; the next incremental run starts before it.
    newest_created_at = models.DateTimeField(null=True, blank=True)
    backfill_done = models.BooleanField(default=False)
    backfill_offset = models.PositiveIntegerField(default=0)
    # An incremental walk cut short (a 429, an error, the call cap): the offset it resumes
    # at and the newest createdAt it has read. newest_created_at moves only when a walk
    # ends, so the faxes it has not read yet stay inside its window.
    walk_offset = models.PositiveIntegerField(default=0)
    walk_newest = models.DateTimeField(null=True, blank=True)
    # The history's `count` when the offset above was saved: fewer faxes on the next page
    # means some were deleted among those read, so the offset goes back by as many.
    history_count = models.PositiveIntegerField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class RateLimitBucket(models.Model):
    """A lock row per rate-limited key, plus a pause the provider imposed with a 429."""

    key = models.CharField(max_length=100, unique=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class RateLimitToken(models.Model):
    """One call taken from a bucket; a key holds at most `rate` tokens per window."""

    key = models.CharField(max_length=100)
    taken_at = models.DateTimeField()
    waited = models.FloatField(default=0.0)

    class Meta:
        indexes = [models.Index(fields=["key", "taken_at"], name="ratelimit_key_taken")]

    def __str__(self) -> str:
        return f"{self.key} at {self.taken_at}"
