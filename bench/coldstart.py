"""Cold start: `make run` on an existing venv until the login page answers.

python -m bench.coldstart
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from bench.common import BASE_DIR, BENCH_VAR, Row, emit, free_port


def start_and_time(command: list[str], url: str, env: dict[str, str]) -> float:
    """Seconds from starting `command` until `url` answers 200; then stops it all."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = started + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"{' '.join(command)} did not serve {url}")
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    portal, sandbox = free_port(), free_port()
    env = {
        **os.environ,
        "PORTAL_ADDR": f"127.0.0.1:{portal}",
        "SANDBOX_PORT": str(sandbox),
        "PORTAL_VAR_DIR": str(BENCH_VAR / "coldstart"),
    }
    env.pop("DATABASE_URL", None)  # make run's own default: SQLite under the var directory
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = f"http://127.0.0.1:{portal}/accounts/login/"
    first = start_and_time(["make", "run"], url, env)  # sets up var/ the first time
    again = start_and_time(["make", "run"], url, env)
    alone = start_and_time(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{portal}"], url, env
    )
    emit(
        [
            Row(
                "Cold start",
                "make run (existing venv and var/) to the login page",
                again,
                alone,
                "s",
                "≤ 10 s",
                kind="max",
                limit=10,
                note=f"baseline: runserver alone; first run with a new var/: {first:.1f} s",
            ),
        ]
    )


if __name__ == "__main__":
    main()
