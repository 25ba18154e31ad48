"""Webhook ingest under gunicorn (2 workers), loaded by wrk, against a bare Django view.

python -m bench.webhooks --db URL --label SQLite [--seconds 10] [--rounds 5]

The two are loaded in alternating rounds (bare, webhook, bare, ...), so that the machine's
noise weighs on both alike; the rates are over all rounds, the p99 is the worst round's.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import BASE_DIR, BENCH_VAR, Row, django_setup, emit

AUTH = "bench:webhook-secret"
LUA = r"""
local counter = 0
local thread_id = 0
local round = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  thread_id = tid
  round = tonumber(args[1]) or 0
end
request = function()
  counter = counter + 1
  -- A new fax each time: unique per thread, round and request.
  local id = string.format("%08x-%04x-4000-8000-%012x", thread_id, round, counter)
  local body = '{"messageId":"' .. id .. '","direction":"inbound","status":"success",'
    .. '"faxNumber":"+12065550100","faxCallerId":"3125550199","faxCsid":"BENCH",'
    .. '"pagesCount":2,"pagesComplete":2,"resultCode":"0","resultInfo":"OK",'
    .. '"createdAt":"2026-11-01T10:00:00.000Z","resolvedDate":"2026-11-01T10:01:00.000Z"}'
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Basic AUTH_HEADER",
  }, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def run_wrk(url: str, script: Path, seconds: int, round_: int = 0) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c8",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
            "--",
            str(round_),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": requests,
        "rate": rate,
        "p99_ms": float(p99.group(1)) * scale,
        "errors": int(errors.group(1)) if errors else 0,
    }


def run_rounds(urls: dict[str, str], script: Path, seconds: int, rounds: int) -> dict[str, dict]:
    """Load each URL in turn, `rounds` times; totals per URL (p99: the worst round's)."""
    totals = {name: {"requests": 0, "seconds": 0.0, "p99_ms": 0.0, "errors": 0} for name in urls}
    each = max(1, round(seconds / rounds))
    for round_ in range(rounds):
        for name, url in urls.items():
            result = run_wrk(url, script, each, round_)
            total = totals[name]
            total["requests"] += result["requests"]
            total["seconds"] += result["requests"] / result["rate"] if result["rate"] else each
            total["p99_ms"] = max(total["p99_ms"], result["p99_ms"])
            total["errors"] += result["errors"]
    for total in totals.values():
        total["rate"] = total["requests"] / total["seconds"] if total["seconds"] else 0.0
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--seconds", type=int, default=10, help="per URL, over all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    section = f"Webhook ingest, gunicorn 2 workers ({args.label})"
    if not shutil.which("wrk"):
        emit(
            [
                Row(
                    section,
                    "not measured: wrk is missing (apt install wrk)",
                    None,
                    None,
                    "",
                    "",
                    kind="info",
                )
            ]
        )
        return
    if args.db.startswith("sqlite"):
        path = Path(args.db.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    env_extra = {"DRENFAX_WEBHOOK_AUTH": AUTH, "PORTAL_VAR_DIR": str(BENCH_VAR / "webhooks")}
    django_setup(args.db, **env_extra)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from faxes.models import Fax, WebhookDelivery

    WebhookDelivery.objects.all().delete()
    Fax.objects.filter(fax_csid="BENCH").delete()

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "drenfax_portal.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env={**os.environ, **env_extra},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/accounts/login/")
        header = base64.b64encode(AUTH.encode()).decode()
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "post.lua"
            script.write_text(LUA.replace("AUTH_HEADER", header))
            results = run_rounds(
                {"bare": f"{base}/bench/bare/", "hooks": f"{base}/webhooks/drenfax/"},
                script,
                args.seconds,
                args.rounds,
            )
            bare, hooks = results["bare"], results["hooks"]
    finally:
        server.terminate()
        server.wait(timeout=30)

    deliveries = WebhookDelivery.objects.exclude(event="bench.bare")
    recorded = deliveries.count()
    distinct = deliveries.values("message_id").distinct().count()
    faxes = Fax.objects.filter(fax_csid="BENCH").count()
    # wrk stops mid-flight: up to one request per connection and round may be recorded
    # uncounted.
    exactly_once = (
        hooks["errors"] == 0
        and recorded == distinct == faxes
        and hooks["requests"] <= recorded <= hooks["requests"] + 8 * args.rounds
    )
    emit(
        [
            Row(
                section,
                "accepted deliveries per second",
                hooks["rate"],
                bare["rate"],
                "req/s",
                "≥ 0.5× a bare view storing the body",
                kind="ratio_min",
                limit=0.5,
                note=(
                    "baseline: a Django view that INSERTs the body and answers 200; "
                    f"{args.rounds} alternating rounds"
                ),
            ),
            Row(
                section,
                "p99 latency of a delivery (the worst round's)",
                hooks["p99_ms"],
                bare["p99_ms"],
                "ms",
                "< 100 ms",
                kind="max",
                limit=100,
            ),
            Row(
                section,
                "deliveries recorded exactly once",
                float(recorded),
                float(hooks["requests"]),
                "deliveries",
                "each sent delivery stored once, none failed",
                kind="bool",
                limit=1 if exactly_once else 0,
                note=f"{hooks['errors']} non-2xx; {distinct} distinct message ids; {faxes} faxes",
            ),
        ]
    )


if __name__ == "__main__":
    main()
