"""Webhook endpoints, outside the login-protected pages (mounted at /webhooks/)."""

from __future__ import annotations

from django.urls import re_path

from faxes.views import webhooks

app_name = "webhooks"

urlpatterns = [
    # With or without the trailing slash: a POST cannot follow APPEND_SLASH's redirect.
    re_path(r"^drenfax/?$", webhooks.drenfax_webhook, name="drenfax"),
]
