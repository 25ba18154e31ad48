from __future__ import annotations

from django.conf import settings
from django.db import models


class Contact(models.Model):
    """Someone the team faxes: one fax number (E.164), known to the whole team."""

    name = models.CharField(max_length=100)
    organisation = models.CharField(max_length=100, blank=True)
    fax_number = models.CharField(max_length=16, unique=True)
    notes = models.TextField(max_length=1000, blank=True)
    # Comma-separated words ("cardiology, referrals"): a handful, matched by the search.
    tags = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "organisation", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in (t.strip() for t in self.tags.split(",")) if tag]
