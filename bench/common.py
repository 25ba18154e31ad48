"""Shared pieces of the benchmarks: rows of the results table, timing, databases, Django."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_VAR = BASE_DIR / "bench" / "var"


@dataclass
class Row:
    """One line of the results table: a figure against its baseline and its target."""

    section: str
    name: str
    figure: float | None
    baseline: float | None
    unit: str
    target: str
    # "ratio"/"ratio_min": figure/baseline at most/at least `limit`; "max"/"min": the figure
    # itself; "bool": `limit` is 1 when the check held; "info": no target.
    kind: str = "ratio"
    limit: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.figure is None or not self.baseline:
            return None
        return self.figure / self.baseline

    @property
    def ok(self) -> bool | None:
        if self.kind == "info" or self.limit is None:
            return None
        if self.kind == "bool":
            return self.limit == 1
        value = self.ratio if self.kind.startswith("ratio") else self.figure
        if value is None:
            return False
        if self.kind in ("ratio", "max"):
            return value <= self.limit
        return value >= self.limit

    def to_json(self) -> dict:
        return asdict(self)


def emit(rows: list[Row]) -> None:
    """A sub-benchmark's results, as one JSON line the runner collects."""
    print("BENCH-ROWS " + json.dumps([r.to_json() for r in rows]), flush=True)


def run_sub(module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 900):
    """Run `python -m bench.<module>` and return its rows (it prints them with `emit`)."""
    process = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=BASE_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    rows: list[Row] = []
    for line in process.stdout.splitlines():
        if line.startswith("BENCH-ROWS "):
            rows.extend(Row(**item) for item in json.loads(line[len("BENCH-ROWS ") :]))
    if process.returncode != 0 or not rows:
        tail = (process.stderr or process.stdout)[-3000:]
        raise RuntimeError(f"bench.{module} {' '.join(args)} failed:\n{tail}")
    return rows


def timed(fn: Callable[[], object], *, repeat: int, warmup: int = 3) -> list[float]:
    """Seconds per call of `fn`, after a few warm-up calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def database_urls() -> list[tuple[str, str]]:
    """(label, URL) of the databases to benchmark: SQLite always, PostgreSQL when
    DATABASE_URL points at it (its own database beside the configured one)."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    urls = [("SQLite", f"sqlite:///{BENCH_VAR / 'bench.sqlite3'}")]
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(configured)
        urls.append(("PostgreSQL", urlunsplit(parts._replace(path="/drenfax_bench"))))
    return urls


def django_setup(database_url: str, **env: str) -> None:
    """Configure Django in this process for a benchmark database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("PORTAL_VAR_DIR", str(BENCH_VAR / "portal"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.update(env)
    if database_url.startswith("postgres"):
        _create_pg_database(database_url)
    import django

    django.setup()


def _create_pg_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
