"""Sending one fax to 100 recipients through the portal's send form: API calls made.

python -m bench.send
"""

from __future__ import annotations

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

    from drenfax_portal.sandbox import start_sandbox_process
    from faxes.models import Fax, Submission

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
        calls = sandbox.stats()["calls"]
    sends = sum(n for name, n in calls.items() if name.startswith("POST /v1/faxes"))
    submission = Submission.objects.get(key=key)
    section = "Send to 100 recipients"
    emit(
        [
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


if __name__ == "__main__":
    main()
