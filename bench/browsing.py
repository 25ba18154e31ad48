"""Members browsing the fax history at once, on PostgreSQL under gunicorn (4 workers).

python -m bench.browsing --db URL --label PostgreSQL [--faxes 1000000] [--members 50]

The database is bench/history.py's, seeded the same way (and reused). Every member signs
in (a session made here) and opens their history pages in turns: the first page, the Inbox
tab, status and dates, page 2, a search.

- The target row: locust (bench/locustfile.py) plays `--members` people who read each page
  for 1 to 3 s before the next click, and reports the p95 of a page.
- The capacity row (information): wrk keeps as many requests in flight with no pause at
  all, which measures how many pages a second the two cores serve, not what members feel.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

from bench.common import Row, emit, gunicorn, run_wrk
from bench.history import ensure_seeded

LUA = r"""
local pages = PAGES
local counter = 0
request = function()
  counter = counter + 1
  -- Threads start at different places, so members and pages mix across connections.
  local page = pages[(counter * 7 + tid * 13) % #pages + 1]
  return wrk.format("GET", page[2], {["Cookie"] = page[1]})
end
"""
WARMUP_SECONDS = 3


def member_pages() -> list[tuple[str, str]]:
    """(Cookie header, path) of each member's history pages, each checked to answer 200."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from faxes.selectors import encode_cursor, filter_faxes

    today = timezone.localdate()
    dates = (
        f"status=success&direction=outbound&date_from={today - timedelta(days=60)}"
        f"&date_to={today - timedelta(days=30)}"
    )
    pages = []
    for user in get_user_model().objects.filter(is_staff=False, is_active=True):
        client = Client()
        client.force_login(user)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        newest = filter_faxes(user, {}).order_by("-created_at", "-id")
        last_of_first = newest[24:25].first()
        paths = ["/faxes/", "/faxes/?direction=inbound", f"/faxes/?{dates}", "/faxes/?q=patel"]
        if last_of_first is not None:
            paths.append(f"/faxes/?before={encode_cursor(last_of_first)}")
        for path in paths:
            response = client.get(path)  # also settles the session (time zone, activity)
            assert response.status_code == 200, (user.username, path, response.status_code)
            pages.append((cookie, path))
    if not pages:
        raise SystemExit("no member to sign in")
    return pages


def run_locust(base: str, pages: list[tuple[str, str]], *, users: int, seconds: int) -> dict:
    """The figures of the locust run (its Aggregated row) and its failures."""
    by_member: dict[str, list[str]] = {}
    for cookie, path in pages:
        by_member.setdefault(cookie, []).append(path)
    with tempfile.TemporaryDirectory() as tmp:
        members = Path(tmp) / "members.json"
        members.write_text(json.dumps(by_member))
        command = [
            *(sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py"))),
            *("--headless", "--only-summary", "--loglevel", "WARNING", "--host", base),
            # Members arrive over 5 s, rather than all clicking in the same millisecond.
            *("--users", str(users), "--spawn-rate", str(users / 5), "--run-time", f"{seconds}s"),
            *("--csv", f"{tmp}/run"),
        ]
        env = {**os.environ, "BENCH_MEMBERS": str(members)}
        subprocess.run(command, env=env, check=False, capture_output=True, timeout=seconds + 60)
        with open(f"{tmp}/run_stats.csv", newline="") as stats:
            (total,) = [r for r in csv.DictReader(stats) if r["Name"] == "Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rate": float(total["Requests/s"]),
        **{f"p{q}_ms": float(total[f"{q}%"]) for q in (50, 95, 99)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--label", default="PostgreSQL")
    parser.add_argument("--faxes", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    missing = ["wrk"] * (not shutil.which("wrk")) + ["locust"] * (not find_spec("locust"))
    if missing:
        note = f"not measured: {' and '.join(missing)} missing (apt install wrk; make bench)"
        emit([Row("Browsing", note, None, None, "", "", kind="info")])
        return
    seed_time = ensure_seeded(args)
    from django.db import connection

    from faxes.models import Fax

    total = Fax.objects.count()
    pages = member_pages()
    signed_in = len({cookie for cookie, _ in pages})
    connection.close()
    lua_pages = "{" + ", ".join(f"{{{json.dumps(c)}, {json.dumps(p)}}}" for c, p in pages) + "}"
    script = LUA.replace("PAGES", lua_pages)
    load = os.getloadavg()[0]

    with gunicorn({}, workers=args.workers) as base:
        run_wrk(base, script, seconds=WARMUP_SECONDS, connections=args.members)
        time.sleep(2)  # the warm-up's last requests leave the workers
        members = run_locust(base, pages, users=args.members, seconds=args.seconds)
        flat_out = run_wrk(base, script, seconds=15, connections=args.members)

    section = (
        f"Browsing the history, {total:,} faxes, gunicorn {args.workers} workers ({args.label})"
    )
    note = (
        f"{signed_in} accounts, {args.seconds} s; p50 {members['p50_ms']:.0f} ms, "
        f"p99 {members['p99_ms']:.0f} ms; {members['rate']:.0f} pages/s; "
        f"load average {load:.1f} before"
    )
    if seed_time is not None:
        note += f"; database seeded in {seed_time:.0f} s"
    failed = flat_out["non2xx"] + flat_out["socket_errors"] + flat_out["timeouts"]
    emit(
        [
            Row(
                section,
                f"p95 latency of a page, {args.members} members reading 1-3 s a page",
                members["p95_ms"],
                None,
                "ms",
                "< 250 ms",
                kind="max",
                limit=250,
                note=note,
            ),
            Row(
                section,
                "answers other than 200",
                float(members["failures"] + failed),
                None,
                "responses",
                "none",
                kind="max",
                limit=0,
                note=f"of {members['requests'] + flat_out['requests']:,} requests, both runs",
            ),
            Row(
                section,
                f"capacity: pages a second with {args.members} requests always in flight",
                flat_out["ok2xx"] / flat_out["seconds"],
                None,
                "pages/s",
                "(information: wrk, no pause)",
                kind="info",
                note=f"p95 {flat_out['p95_ms']:.0f} ms, the time a page waits for a core",
            ),
        ]
    )


if __name__ == "__main__":
    main()
