"""Sending through the portal: one fax to 100 recipients (API calls made), and a blast to
10,000 (the request answers at once; the task's result matches what Drenfax accepted).

python -m bench.send
"""

from __future__ import annotations

import io
import re
import time
import uuid
from pathlib import Path

from bench.common import BENCH_VAR, Row, django_setup, emit


def main() -> None:
    db = BENCH_VAR / "send.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    django_setup(f"sqlite:///{db}")
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    from drenfax_portal.sandbox import start_sandbox_process
    from faxes.models import Fax, Submission

    HUEY.storage = MemoryStorage(HUEY.name)  # the consumer's queue, drained below in-process
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("sender", password=str(uuid.uuid4()))
    recipients = [f"+1206555{n:04d}" for n in range(2000, 2100)]
    with start_sandbox_process(speed=50) as sandbox:
        settings.DRENFAX_API_URL = sandbox.url
        settings.DRENFAX_API_KEY = sandbox.api_key
        settings.DRENFAX_ACCOUNT_ID = sandbox.account_id
        client = Client()
        client.force_login(user)
        key = str(uuid.uuid4())
        form = {
            "submission_key": key,
            "action": "send",
            "recipients": "\n".join(recipients),
            "cover_page": "default",
            "subject": "Benchmark",
            "cf_key": [""],
            "cf_value": [""],
        }
        response = client.post("/faxes/send/", form)
        client.post("/faxes/send/", form)  # a double click: must call nothing
        run_tasks(HUEY)
        calls = sandbox.stats()["calls"]
        blast_rows = blast(client, sandbox, HUEY)
    sends = sum(n for name, n in calls.items() if name.startswith("POST /v1/faxes"))
    submission = Submission.objects.get(key=key)
    section = "Send to 100 recipients"
    emit(
        [
            *blast_rows,
            Row(
                section,
                "API calls made (one send, then a double click)",
                float(sends),
                100.0,
                "calls",
                "exactly 1",
                kind="max",
                limit=1,
                note=f"answer {response.status_code}; {submission.state}; "
                f"{Fax.objects.filter(submission=submission).count()} faxes cached",
            ),
        ]
    )


def run_tasks(huey) -> float:
    """What a consumer would do with the queue; returns the seconds it took."""
    started = time.perf_counter()
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    return time.perf_counter() - started


def blast(client, sandbox, huey) -> list[Row]:
    from openpyxl import Workbook

    from faxes.models import Fax, Submission

    rows = 10_000
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Fax number"])
    for n in range(rows):
        sheet.append([f"Office {n}", f"+1312{2_000_000 + n:07d}"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "offices.xlsx"
    uploaded = client.post("/faxes/blast/", {"workbook": data})
    if "Location" not in uploaded:
        found = re.search(r'class="msg msg-error"[^>]*>(.*?)<', uploaded.content.decode(), re.S)
        raise SystemExit(f"the list was refused: {found[1] if found else uploaded.status_code}")
    location = uploaded["Location"]
    page = client.get(location).content.decode()
    form = {
        "submission_key": re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)[1],
        "digest": re.search(r'name="digest" value="([0-9a-f]+)"', page)[1],
        "cover_page": "default",
        "action": "send",
    }
    started = time.perf_counter()
    answer = client.post(location, form)
    answered_ms = (time.perf_counter() - started) * 1000
    if "Location" not in answer:
        found = re.search(r'class="msg msg-error"[^>]*>(.*?)<', answer.content.decode(), re.S)
        raise SystemExit(f"the blast was refused: {found[1] if found else answer.status_code}")
    waiting = client.get(answer["Location"]).content.decode()
    seconds = run_tasks(huey)
    submission = Submission.objects.get(key=form["submission_key"])
    accepted = sum(1 for r in submission.results if r.get("message_id"))
    provider = sandbox.stats()["faxes"]["total"] - 100  # the 100-recipient send's faxes
    cached = Fax.objects.filter(submission=submission).count()
    matches = accepted == provider == cached and submission.state == "done"
    section = "Blast to 10,000 recipients"
    return [
        Row(section, "request answered in", answered_ms, None, "ms", "< 1000 ms", kind="max",
            limit=1000, note="written down and queued; a task makes the one API call"),
        Row(section, "progress shown while it waits", None, None, "", "yes", kind="bool",
            limit=1 if "Waiting to be sent" in waiting else 0),
        Row(section, "result page matches what Drenfax accepted", float(accepted), None,
            "faxes", "all recorded once", kind="bool", limit=1 if matches else 0,
            note=f"Drenfax {provider}, result page {accepted}, cache {cached}; the task took "
            f"{seconds:.1f} s"),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
