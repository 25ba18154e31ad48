"""Shared pieces of the benchmarks: rows of the results table, timing, databases, Django."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    DATABASE_URL points at it (its own database beside the configured one, named by
    BENCH_PG_DATABASE, `drenfax_bench` by default)."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    urls = [("SQLite", f"sqlite:///{BENCH_VAR / 'bench.sqlite3'}")]
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(configured)
        name = os.environ.get("BENCH_PG_DATABASE", "drenfax_bench")
        urls.append(("PostgreSQL", urlunsplit(parts._replace(path=f"/{name}"))))
    return urls


def sibling_database(url: str, suffix: str) -> str:
    """Another database on the same server (PostgreSQL) or in the same folder (SQLite)."""
    parts = urlsplit(url)
    path = Path(parts.path)
    if url.startswith("sqlite"):
        return urlunsplit(parts._replace(path=str(path.with_stem(f"{path.stem}_{suffix}"))))
    return urlunsplit(parts._replace(path=f"{parts.path}_{suffix}"))


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


# --- gunicorn and wrk --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: SIGTERM when the benchmark process dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 4) -> Iterator[str]:
    """The portal under gunicorn (sync workers, as the README deploys it), on a free port of
    the loopback; yields its base URL and always stops it."""
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "drenfax_portal.wsgi:application"),
            *("--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
            *("--log-level", "warning"),
        ],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        preexec_fn=_die_with_parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=5)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# Counts answers by status in every wrk thread and prints one JSON line when wrk is done:
# wrk's own summary counts a 3xx (a redirect to the login page) as a success.
WRK_COUNTERS = r"""
ok2xx, non2xx = 0, 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok2xx = ok2xx + 1 else non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("ok2xx")
    bad = bad + t:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-WRK {"requests": %d, "seconds": %.3f, "ok2xx": %d, "non2xx": %d, '
      .. '"socket_errors": %d, "timeouts": %d, "p50_ms": %.2f, "p95_ms": %.2f, '
      .. '"p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, ok, bad,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def run_wrk(
    url: str,
    script: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    args: tuple[str, ...] = (),
) -> dict[str, float]:
    """Load `url` with wrk and a Lua script (WRK_COUNTERS is appended to it); the figures
    its done() printed. A request slower than 10 s counts as a timeout."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load.lua"
        path.write_text(script + WRK_COUNTERS)
        out = subprocess.run(
            [
                *("wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"),
                *("--timeout", "10s", "-s", str(path), url, "--", *args),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    for line in out.splitlines():
        if line.startswith("BENCH-WRK "):
            return json.loads(line[len("BENCH-WRK ") :])
    raise RuntimeError(f"wrk printed no figures:\n{out[-2000:]}")
