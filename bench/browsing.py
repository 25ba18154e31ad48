"""Members browsing the fax history at once, on PostgreSQL under gunicorn (4 workers).

python -m bench.browsing --db URL --label PostgreSQL [--faxes 1000000] [--connections 50]

The database is bench/history.py's, seeded the same way (and reused). Every member signs
in (a session made here), then wrk keeps `--connections` requests in flight, each a
member's session and one of their history pages in turns: the first page, the Inbox tab,
status and dates, page 2, a search.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from datetime import timedelta

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--label", default="PostgreSQL")
    parser.add_argument("--faxes", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        missing = "not measured: wrk is missing (apt install wrk)"
        emit([Row("Browsing", missing, None, None, "", "", kind="info")])
        return
    seed_time = ensure_seeded(args)
    from django.db import connection

    from faxes.models import Fax

    total = Fax.objects.count()
    pages = member_pages()
    members = len({cookie for cookie, _ in pages})
    connection.close()
    lua_pages = "{" + ", ".join(f"{{{json.dumps(c)}, {json.dumps(p)}}}" for c, p in pages) + "}"
    script = LUA.replace("PAGES", lua_pages)
    load = os.getloadavg()[0]

    with gunicorn({}, workers=args.workers) as base:
        run_wrk(base, script, seconds=WARMUP_SECONDS, connections=args.connections)
        result = run_wrk(base, script, seconds=args.seconds, connections=args.connections)

    section = (
        f"Browsing the history, {total:,} faxes, gunicorn {args.workers} workers ({args.label})"
    )
    failed = result["non2xx"] + result["socket_errors"] + result["timeouts"]
    note = (
        f"{args.connections} connections, {members} members, {args.seconds} s; "
        f"p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms; "
        f"{result['ok2xx'] / result['seconds']:.0f} pages/s; load average {load:.1f} before"
    )
    if seed_time is not None:
        note += f"; database seeded in {seed_time:.0f} s"
    emit(
        [
            Row(
                section,
                f"p95 latency of a page, {args.connections} members at once",
                result["p95_ms"],
                None,
                "ms",
                "< 250 ms",
                kind="max",
                limit=250,
                note=note,
            ),
            Row(
                section,
                "answers other than 2xx (and socket errors, timeouts)",
                float(failed),
                None,
                "responses",
                "none",
                kind="max",
                limit=0,
                note=f"of {result['requests']:,} requests",
            ),
        ]
    )


if __name__ == "__main__":
    main()
