"""Every page requires sign-in, except an explicit allow-list."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# URL names anonymous visitors may reach (healthz: load balancers; it shows no data).
PUBLIC = {"login", "admin:login", "healthz"}
CONVERTER_VALUES = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "slug": "x", "path": "x"}


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if not isinstance(p.pattern, RoutePattern):
            continue  # admin's regex catch-alls; the admin index below covers the admin
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}{p.name or ''}", route


def _fill(route: str) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_VALUES[m.group(1) or "str"], route)


def app_urls() -> list[tuple[str, str]]:
    return [(name, _fill(route)) for name, route in _walk(get_resolver().url_patterns)]


def test_the_walk_finds_the_portal_pages():
    names = {name for name, _ in app_urls()}
    assert {"home", "login", "logout", "password_change"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), app_urls())
def test_anonymous_visitors_are_sent_to_sign_in(client, name, url):
    if name in PUBLIC:
        assert client.get(url).status_code in (200, 405)
        return
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, (name, url, response.status_code)
        location = response["Location"]
        assert location.startswith(("/accounts/login/?next=", "/admin/login/?next=")), location
