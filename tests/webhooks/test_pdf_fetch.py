"""The worker fetches the PDFs webhooks asked for, one claim per fax, never in a request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from faxes.models import Fax, PdfState
from faxes.services import pdf_fetch
from faxes.services.documents import open_document
from faxes.services.pdf_fetch import fetch_wanted_pdfs
from tests.factories import make_fax
from tests.webhooks.helpers import PDF, inbound, post_form, stored_files

pytestmark = pytest.mark.django_db


class ApiError(Exception):
    """Shaped like the client's DrenfaxError (`permanent`, `status_code`)."""

    def __init__(self, message, *, status_code=None, permanent=True, retry_after=None):
        super().__init__(message)
        self.status_code, self.permanent, self.retry_after = status_code, permanent, retry_after


class FakeClient:
    """`download_fax(message_id, *, to=file)` as the API client has it."""

    def __init__(self, content=PDF, error=None, during=None):
        self.content, self.error, self.during = content, error, during
        self.calls: list[str] = []

    def download_fax(self, message_id, *, to):
        self.calls.append(message_id)
        if self.during:
            self.during()
        if self.error:
            raise self.error
        to.write(self.content)
        return len(self.content)


def wanted_fax(**overrides) -> Fax:
    fax = make_fax(**inbound(**overrides))
    Fax.objects.filter(pk=fax.pk).update(pdf_state=PdfState.WANTED)
    fax.refresh_from_db()
    return fax


def test_a_wanted_pdf_is_fetched_and_stored():
    fax = wanted_fax()
    client = FakeClient()
    assert fetch_wanted_pdfs(client=client) == 1
    assert client.calls == [str(fax.message_id)]
    fax.refresh_from_db()
    assert fax.pdf_state == PdfState.DONE and fax.pdf_fetched_at and fax.pdf_attempts == 1
    with open_document(fax.pdf_path) as stored:
        assert stored.read() == PDF


def test_the_webhook_queues_and_the_worker_fetches(webhook):
    payload = inbound()
    post_form(webhook, payload)  # no attachment
    assert fetch_wanted_pdfs(client=FakeClient()) == 1
    assert Fax.objects.get().pdf_state == PdfState.DONE


def test_faxes_not_wanted_are_left_alone():
    make_fax(**inbound())
    make_fax(direction="outbound", status="success")
    client = FakeClient()
    assert fetch_wanted_pdfs(client=client) == 0
    assert client.calls == []


def test_a_claimed_fax_is_not_fetched_by_a_second_worker():
    wanted_fax()
    second = FakeClient()
    first = FakeClient(during=lambda: fetch_wanted_pdfs(client=second))
    assert fetch_wanted_pdfs(client=first) == 1
    assert len(first.calls) == 1 and second.calls == []


def test_an_abandoned_claim_is_taken_over_but_a_fresh_one_is_not():
    fax = wanted_fax()
    Fax.objects.filter(pk=fax.pk).update(
        pdf_state=PdfState.CLAIMED, pdf_claimed_at=timezone.now() - timedelta(minutes=1)
    )
    assert fetch_wanted_pdfs(client=FakeClient()) == 0
    Fax.objects.filter(pk=fax.pk).update(
        pdf_claimed_at=timezone.now() - pdf_fetch.CLAIM_TTL - timedelta(seconds=1)
    )
    assert fetch_wanted_pdfs(client=FakeClient()) == 1


def test_a_fax_the_provider_does_not_know_is_marked_failed():
    fax = wanted_fax()
    fetch_wanted_pdfs(client=FakeClient(error=ApiError("no such fax", status_code=404)))
    fax.refresh_from_db()
    assert fax.pdf_state == PdfState.FAILED and "not found" in fax.pdf_error


def test_a_transient_error_retries_later_and_ends_the_round():
    first, second = wanted_fax(), wanted_fax()
    client = FakeClient(error=ApiError("timeout", permanent=False))
    assert fetch_wanted_pdfs(client=client) == 0
    assert len(client.calls) == 1
    retried = Fax.objects.get(message_id=client.calls[0])
    assert retried.pdf_state == PdfState.WANTED and retried.pdf_retry_at > timezone.now()
    assert retried.pdf_error == "timeout"
    # The next round skips the fax that is waiting and tries the other one.
    ok = FakeClient()
    assert fetch_wanted_pdfs(client=ok) == 1
    assert ok.calls == [str(({first.message_id, second.message_id} - {retried.message_id}).pop())]


def test_a_rate_limit_is_honoured():
    fax = wanted_fax()
    fetch_wanted_pdfs(client=FakeClient(error=ApiError("429", permanent=False, retry_after=900)))
    fax.refresh_from_db()
    assert fax.pdf_retry_at > timezone.now() + timedelta(minutes=14)


def test_it_gives_up_after_the_last_attempt():
    fax = wanted_fax()
    Fax.objects.filter(pk=fax.pk).update(pdf_attempts=pdf_fetch.MAX_ATTEMPTS - 1)
    fetch_wanted_pdfs(client=FakeClient(error=ApiError("server error", permanent=False)))
    fax.refresh_from_db()
    assert fax.pdf_state == PdfState.FAILED and fax.pdf_attempts == pdf_fetch.MAX_ATTEMPTS


def test_a_download_that_is_not_a_pdf_is_not_stored():
    fax = wanted_fax()
    assert fetch_wanted_pdfs(client=FakeClient(content=b"<html>login</html>")) == 0
    fax.refresh_from_db()
    assert fax.pdf_state == PdfState.WANTED and not fax.pdf_path
    assert not stored_files()


def test_an_unexpected_error_is_logged_and_retried(caplog):
    fax = wanted_fax()
    fetch_wanted_pdfs(client=FakeClient(error=OSError("disk full")))
    fax.refresh_from_db()
    assert fax.pdf_state == PdfState.WANTED and "disk full" in fax.pdf_error
    assert "fetching the PDF" in caplog.text


def test_an_attachment_arriving_during_the_fetch_wins(webhook):
    payload = inbound()
    post_form(webhook, payload)
    client = FakeClient(during=lambda: post_form(webhook, payload, attachment=PDF + b"%webhook"))
    assert fetch_wanted_pdfs(client=client) == 0
    fax = Fax.objects.get()
    with open_document(fax.pdf_path) as stored:
        assert stored.read().endswith(b"%webhook")
    # The fetched copy was discarded: the delivery's file and the fax's link remain.
    assert len(stored_files()) == 2


def test_at_most_limit_faxes_per_round():
    for _ in range(3):
        wanted_fax()
    client = FakeClient()
    assert fetch_wanted_pdfs(client=client, limit=2) == 2
    assert Fax.objects.filter(pdf_state=PdfState.WANTED).count() == 1


def test_the_pdf_task_fetches_the_fax_and_tries_again_when_the_fetch_set_a_time(monkeypatch, tasks):
    from faxes import tasks as task_module

    class Client(FakeClient):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    client = Client()
    monkeypatch.setattr(task_module, "get_client", lambda: client)
    fax, other = wanted_fax(), wanted_fax()
    task_module.pdf_wanted.call_local(fax.pk)
    fax.refresh_from_db()
    other.refresh_from_db()
    assert fax.pdf_state == PdfState.DONE and other.pdf_state == PdfState.WANTED
    assert not tasks.names()

    client.error = ApiError("server error", permanent=False)
    task_module.pdf_wanted.call_local(other.pk)
    other.refresh_from_db()
    assert other.pdf_state == PdfState.WANTED and other.pdf_retry_at is not None
    assert [t.args for t in tasks.huey.pending()] == [(other.pk,)]


def test_a_pdf_opened_on_its_page_is_no_longer_wanted(alice, alice_client, api, tasks):
    from faxes import tasks as task_module
    from tests.conftest import API_URL
    from tests.factories import make_number

    make_number("+12065550100", alice)
    fax = wanted_fax()
    # The worker's first try failed and set a time; the user opens the fax before it.
    Fax.objects.filter(pk=fax.pk).update(pdf_retry_at=timezone.now() - timedelta(seconds=1))
    api.get(f"{API_URL}/v1/fax/{fax.message_id}/download", body=PDF, content_type="application/pdf")
    assert alice_client.get(f"/faxes/{fax.message_id}/pdf").status_code == 200
    fax.refresh_from_db()
    assert fax.pdf_path and fax.pdf_state == PdfState.DONE and fax.pdf_retry_at is None
    task_module.pdf_wanted.call_local(fax.pk)
    assert not tasks.names()  # before, it scheduled itself again at once, for ever


def test_a_wanted_fax_that_has_its_pdf_already_is_not_fetched_again(tasks):
    from faxes import tasks as task_module
    from faxes.services.documents import write_document

    # As an earlier version left them: stored by a page view, still marked wanted.
    stuck = [wanted_fax() for _ in range(10)]
    for fax in stuck:
        relative, _ = write_document([PDF])
        Fax.objects.filter(pk=fax.pk).update(pdf_path=relative)
    waiting = wanted_fax()
    client = FakeClient()
    fetch_wanted_pdfs(client=client)
    assert client.calls == [str(waiting.message_id)]
    past = timezone.now() - timedelta(seconds=1)
    Fax.objects.filter(pk=stuck[0].pk).update(pdf_retry_at=past)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(task_module, "get_client", lambda: _Entered(client))
        task_module.pdf_wanted.call_local(stuck[0].pk)
    assert not tasks.names()


class _Entered:
    def __init__(self, client):
        self.client = client

    def __enter__(self):
        return self.client

    def __exit__(self, *exc):
        pass
