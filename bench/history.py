"""History at a million faxes: server time of the fax history, against rendering its template.

    python -m bench.history --db URL --label SQLite [--faxes 1000000]

Run by `bench/run.py`, once per database. The database is seeded once with
`manage.py seed_demo --faxes N` and reused while the migrations and N stay the same.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import BENCH_VAR, Row, django_setup, emit, median_ms, p95_ms

GENERATOR_VERSION = 3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--faxes", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    emit(measure(args, ensure_seeded(args)))


def ensure_seeded(args) -> float | None:
    """Set Django up on `args.db`, seeded with `args.faxes` faxes and `args.users` users
    (needs `label` too); the seconds the seeding took, None if the database was reused."""
    fresh = _reset_if_stale(args)
    django_setup(args.db)
    return _seed(args) if fresh else None


def _fingerprint(args) -> dict:
    migrations = sorted(
        f"{app}/{p.name}"
        for app in ("faxes", "fax_numbers", "drenfax_portal/accounts")
        for p in (Path(__file__).resolve().parents[1] / app / "migrations").glob("0*.py")
    )
    return {
        "faxes": args.faxes,
        "users": args.users,
        "migrations": migrations,
        "generator": GENERATOR_VERSION,
    }


def _stamp(args) -> Path:
    """What the last seeding of this database was, one file per database."""
    name = Path(urlsplit(args.db).path).stem
    return BENCH_VAR / f"history-{args.label.lower()}-{name}.json"


def _reset_if_stale(args) -> bool:
    """Start from an empty database unless the last run built the same one."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    stamp = _stamp(args)
    wanted = _fingerprint(args)
    pending = stamp.with_suffix(".pending")
    if stamp.exists() and not pending.exists() and json.loads(stamp.read_text()) == wanted:
        return False
    if args.db.startswith("sqlite"):
        path = Path(urlsplit(args.db).path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        parts = urlsplit(args.db)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    stamp.write_text(json.dumps(wanted))
    pending.write_text("")  # removed once seeded: an interrupted seeding starts over
    return True


def _seed(args) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", faxes=args.faxes, users=args.users, force=True, verbosity=0)
    _stamp(args).with_suffix(".pending").unlink(missing_ok=True)
    return time.perf_counter() - started


def interleaved(fn, baseline, *, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds per call of `fn` and of `baseline`, measured turn about."""
    for _ in range(3):
        fn()
        baseline()
    samples: list[float] = []
    base: list[float] = []
    for _ in range(repeat):
        for target, out in ((fn, samples), (baseline, base)):
            started = time.perf_counter()
            target()
            out.append(time.perf_counter() - started)
    return samples, base


def measure(args, seed_time: float | None) -> list[Row]:
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import get_token
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory
    from django.utils import timezone

    from faxes.models import Fax
    from faxes.selectors import encode_cursor, filter_faxes
    from faxes.views.history import history_context

    users = get_user_model().objects
    people = {"member": users.get(username="alice"), "staff": users.get(username="manager")}
    today = timezone.localdate()
    filters = (
        f"status=success&direction=outbound&date_from={today - timedelta(days=60)}"
        f"&date_to={today - timedelta(days=30)}"
    )
    rows: list[Row] = []
    section = f"History, {Fax.objects.count():,} faxes ({args.label})"

    # Baseline: the template of the staff's first page, rendering its 25 rows held in memory
    # (the context the view builds, so no query for the page and no request handling).
    request = RequestFactory().get("/faxes/")
    request.user = people["staff"]
    get_token(request)
    context = history_context(request)

    def template_alone() -> None:
        render_to_string("faxes/history.html", context, request=request)

    for who, user in people.items():
        client = Client()
        client.force_login(user)
        visible = filter_faxes(user, {}).order_by("-created_at", "-id")
        deep_row = visible[2000 * 25 - 1 : 2000 * 25].first() or visible.last()
        scenarios = [
            ("first page", "/faxes/", 2.0),
            ("page 2,000", f"/faxes/?before={encode_cursor(deep_row)}", 2.0),
            ("status + direction + dates", f"/faxes/?{filters}", 2.0),
            ("search, a name", "/faxes/?q=patel", 5.0),
            ("search, a number", f"/faxes/?q={deep_row.other_party.lstrip('+')[-7:]}", 5.0),
            ("team: my faxes", "/faxes/?team=mine", 2.0),
            ("team: unassigned", "/faxes/?team=unassigned", 2.0),
            ("team: done", "/faxes/?team=done", 2.0),
        ]
        for name, url, limit in scenarios:
            assert client.get(url).status_code == 200, url
            # The request and the baseline alternate, so that whatever else the machine does
            # weighs on both alike.
            samples, base = interleaved(
                lambda url=url, c=client: c.get(url), template_alone, repeat=args.repeat
            )
            rows.append(
                Row(
                    section,
                    f"{who}: {name} (median; p95 {p95_ms(samples):.1f} ms)",
                    median_ms(samples),
                    median_ms(base),
                    "ms",
                    f"≤ {limit:g}× the template alone",
                    limit=limit,
                )
            )
        if who == "member":
            first_ms = rows[-len(scenarios)].figure
            versus = Row(
                "Versus the API",
                f"history page views per minute, from the cache ({args.label})",
                60_000 / first_ms,
                8,
                "views/min",
                "more than the API's 8 history calls a minute",
                kind="min",
                limit=8,
            )
    if seed_time is not None:
        rows[0].note = f"database seeded in {seed_time:.0f} s"
    return [*rows, versus]


if __name__ == "__main__":
    main()
