"""Whatever an authenticated caller posts: no 500, one stored delivery, no invariant broken."""

from __future__ import annotations

import json
import uuid
from datetime import UTC

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faxes.models import STATUS_RANK, TERMINAL_STATUSES, Fax, FaxStatus, WebhookDelivery
from tests.webhooks.helpers import PDF, WEBHOOK_URL

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# A few message ids shared by all examples of a test, so that deliveries meet known faxes.
POOL = [str(uuid.uuid4()) for _ in range(3)]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
numbers = (
    st.text(alphabet="+0123456789 ()-x", max_size=40)
    | st.from_regex(r"\+?[0-9]{9,40}", fullmatch=True)
    | scalars
)
counts = st.integers(min_value=-3, max_value=40) | st.integers() | st.text(max_size=12) | scalars
optional_fields = {
    "pagesComplete": counts,
    "pagesCount": counts,
    "faxNumber": numbers,
    "faxCallerId": numbers,
    "faxCsid": scalars,
    "createdAt": st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()) | scalars,
    "resolvedDate": st.text(max_size=30) | scalars,
    "deletedAt": st.none() | st.text(max_size=30),
    "subject": st.text(max_size=300) | json_values,
    "resultCode": scalars,
    "duration": counts,
    "faxDetected": scalars,
    "isArchived": scalars,
    "isFilePurged": scalars,
    "tags": st.lists(st.text(max_size=120) | json_values, max_size=12) | json_values,
    "cf": st.dictionaries(st.text(max_size=10), json_values, max_size=3) | json_values,
    "accountId": st.uuids().map(str) | scalars,
}
# Mostly fax objects the merge accepts (odd optional fields), sometimes anything at all.
valid_core = {
    "messageId": st.sampled_from(POOL),
    "status": st.sampled_from(FaxStatus.values),
    "direction": st.sampled_from(["inbound", "outbound"]),
}
junk_core = {
    "messageId": st.sampled_from(POOL) | scalars,
    "status": st.sampled_from(FaxStatus.values) | scalars,
    "direction": st.sampled_from(["inbound", "outbound"]) | scalars,
}
fax_objects = st.one_of(
    st.fixed_dictionaries(valid_core, optional=optional_fields),
    st.fixed_dictionaries(valid_core, optional=optional_fields),
    st.fixed_dictionaries(valid_core, optional=optional_fields),
    st.fixed_dictionaries(junk_core, optional=optional_fields),
)
envelopes = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["fax.inbound", "fax.outbound.extended", "fax.v1.number.add"])
        | scalars,
        "data": st.one_of(fax_objects, fax_objects, fax_objects.map(json.dumps), json_values),
    }
)


def snapshot() -> dict:
    return {
        str(f.message_id): (f.status, f.pages_complete)
        for f in Fax.objects.filter(message_id__in=POOL)
    }


def check(before: dict, response, deliveries_before: int) -> None:
    assert response.status_code in (200, 400, 422), (response.status_code, response.content)
    assert WebhookDelivery.objects.count() == deliveries_before + 1
    after = snapshot()
    for message_id, (status, pages) in before.items():
        new_status, new_pages = after[message_id]
        if status in TERMINAL_STATUSES:
            assert new_status == status
        assert STATUS_RANK[new_status] >= STATUS_RANK[status]
        if pages is not None:
            assert new_pages is not None and new_pages >= pages


def deliver(client, post) -> None:
    before, count = snapshot(), WebhookDelivery.objects.count()
    check(before, post(), count)


@FUZZ
@given(body=st.one_of(fax_objects, fax_objects, envelopes, json_values))
def test_random_json_never_breaks_anything(webhook, body):
    text = json.dumps(body)
    deliver(webhook, lambda: webhook.post(WEBHOOK_URL, text, content_type="application/json"))


@FUZZ
@given(
    data=fax_objects.map(json.dumps) | envelopes.map(json.dumps) | st.text(max_size=200),
    extra=st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=50), max_size=3),
    attachment=st.none() | st.binary(max_size=200) | st.binary(max_size=200).map(PDF.__add__),
    data_as_file=st.booleans(),
)
def test_random_multipart_forms_never_break_anything(
    webhook, data, extra, attachment, data_as_file
):
    form: dict = {**extra}
    form["data"] = SimpleUploadedFile("data.json", data.encode()) if data_as_file else data
    if attachment is not None:
        form["attachment"] = SimpleUploadedFile("fax.pdf", attachment, "application/pdf")
    deliver(webhook, lambda: webhook.post(WEBHOOK_URL, form))


@FUZZ
@given(
    body=st.binary(max_size=400)
    | fax_objects.map(lambda o: json.dumps(o).encode())
    | st.builds(
        lambda head, obj, tail: (
            head
            + b'Content-Disposition: form-data; name="data"\r\n\r\n'
            + json.dumps(obj).encode()
            + tail
        ),
        st.sampled_from([b"--B\r\n", b"--B \r\n", b"junk\r\n--B\r\n", b"--C\r\n", b""]),
        fax_objects,
        st.sampled_from([b"\r\n--B--\r\n", b"\r\n--B--", b"--B--", b"\r\n--B\r\n", b""]),
    ),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/octet-stream",
            "multipart/form-data",
            "multipart/form-data; boundary=B",
            'multipart/form-data; boundary="B"',
            "multipart/form-data; boundary=" + "x" * 80,
            "application/x-www-form-urlencoded",
            "",
        ]
    ),
)
def test_random_bytes_with_any_content_type_never_break_anything(webhook, body, content_type):
    deliver(webhook, lambda: webhook.post(WEBHOOK_URL, body, content_type=content_type))
