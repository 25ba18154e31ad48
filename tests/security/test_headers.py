"""Every response carries the CSP and the security headers; PDFs may be framed by the portal
only; templates hold no inline script, style or event handler for the CSP to refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.portal.test_login_required import app_urls

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, _, value = part.partition(" ")
        directives[name] = value
    return directives


def assert_security_headers(response, *, frame: str = "DENY") -> None:
    policy = csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == ("'none'" if frame == "DENY" else "'self'")
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert response["X-Frame-Options"] == frame
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize(("name", "url"), app_urls())
def test_every_page_answers_with_the_csp_and_security_headers(staff_client, api, name, url):
    from tests.conftest import API_URL

    api.get(f"{API_URL}/v1/coverpages", json=[])
    response = staff_client.get(url)
    frame = "SAMEORIGIN" if name in ("faxes:pdf", "faxes:send_preview") else "DENY"
    if response.status_code == 404 and frame == "SAMEORIGIN":
        frame = "DENY"  # no document: an ordinary page
    assert_security_headers(response, frame=frame)


def test_the_login_page_and_errors_carry_the_headers_too(client):
    assert_security_headers(client.get("/accounts/login/"))
    assert_security_headers(client.get("/no-such-page/"))


def test_a_fax_document_may_be_framed_by_the_portal_only(alice_client, api, alice):
    from tests.conftest import API_URL
    from tests.factories import make_fax, make_number

    make_number("+12065550100", alice)
    fax = make_fax(direction="outbound", status="success", faxCallerId="+12065550100")
    api.get(
        f"{API_URL}/v1/fax/{fax.message_id}/download",
        body=b"%PDF-1.4\n%%EOF\n",
        content_type="application/pdf",
    )
    response = alice_client.get(f"/faxes/{fax.message_id}/pdf")
    assert response.status_code == 200
    assert_security_headers(response, frame="SAMEORIGIN")
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="fax-{fax.message_id}.pdf"'


def test_htmx_is_configured_to_stay_on_the_site_and_never_eval(client):
    body = client.get("/accounts/login/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', body).group(1)
    assert '"selfRequestsOnly": true' in config
    assert '"allowEval": false' in config
    assert '"allowScriptTags": false' in config
    assert '"includeIndicatorStyles": false' in config  # htmx would inject a <style>
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts and all(re.search(r'src="/static/', tag) for tag in scripts)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\shx-on", re.I), "hx-on attribute (evaluated code)"),
    (re.compile(r"\shx-vars\s*=|\shx-vals\s*=\s*['\"]js:", re.I), "hx-vars/js: values"),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=str)
def test_templates_hold_nothing_the_csp_would_block(template):
    text = template.read_text()
    for pattern, what in INLINE:
        assert not pattern.search(text), f"{template.relative_to(TEMPLATES)}: {what}"
