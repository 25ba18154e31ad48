"""A backfill against the sandbox at the provider's real history limit (8 calls a minute):
the calls it uses, and none refused.

python -m bench.sync [--faxes 5000] [--rate 8/60]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from bench.common import BENCH_VAR, Row, django_setup, emit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faxes", type=int, default=5_000)
    parser.add_argument("--rate", default="8/60")
    args = parser.parse_args()
    calls_per, window = args.rate.split("/")
    rate, per = int(calls_per), float(window)
    db = BENCH_VAR / "sync.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    django_setup(f"sqlite:///{db}", DRENFAX_HISTORY_RATE=args.rate)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    from drenfax_portal.api import get_client
    from drenfax_portal.sandbox import start_sandbox_process
    from faxes.models import Fax
    from faxes.services.ratelimit import history_limiter
    from faxes.services.sync import sync_faxes_step

    with start_sandbox_process(speed=50, history_rate=args.rate, numbers=3) as sandbox:
        sandbox.seed(args.faxes, days=60, seed=3)
        sandbox.reset_stats()
        settings.DRENFAX_API_URL = sandbox.url
        settings.DRENFAX_API_KEY = sandbox.api_key
        settings.DRENFAX_ACCOUNT_ID = sandbox.account_id
        started = time.perf_counter()
        with get_client() as client:
            while True:  # what the worker does, without its other chores
                report = sync_faxes_step(
                    client=client,
                    account_id=sandbox.account_id,
                    limiter=history_limiter(),
                    max_calls=rate,
                )
                if report.error:
                    raise SystemExit(f"sync failed: {report.error}")
                if report.retry_after:
                    time.sleep(report.retry_after)
                elif report.backfill_done:
                    break
        wall = time.perf_counter() - started
        stats = sandbox.stats()
    calls = stats["calls"].get("GET /v1/fax/history", 0)
    refused = stats["responses"].get("GET /v1/fax/history", {}).get("429", 0)
    needed = math.ceil(args.faxes / 500)
    # The fastest any client can make `needed` calls at `rate` per `per` seconds.
    bound = (math.ceil(needed / rate) - 1) * per
    section = f"Sync of {args.faxes:,} faxes, history limit {args.rate} s"
    emit(
        [
            Row(
                section,
                "history calls used",
                float(calls),
                float(needed),
                "calls",
                "= ceil(n / 500)",
                limit=1.0,
                note=f"{Fax.objects.count():,} faxes cached",
            ),
            Row(
                section,
                "calls refused with 429",
                float(refused),
                None,
                "calls",
                "none",
                kind="max",
                limit=0,
            ),
            Row(
                section,
                "wall time of the backfill",
                wall,
                bound,
                "s",
                "(the rate-limit bound is the baseline)",
                kind="info",
            ),
        ]
    )


if __name__ == "__main__":
    main()
