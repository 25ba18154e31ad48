"""`make run`: migrate, seed the demo team, start the sandbox and the portal; Ctrl-C stops all.

Run with the project's virtualenv Python: `python -m drenfax_portal.devrun`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PORTAL_ADDR = os.environ.get("PORTAL_ADDR", "127.0.0.1:8000")


def manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drenfax_portal.settings")
    os.chdir(BASE_DIR)
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2

    subprocess.run(manage("migrate", "--noinput", "-v", "0"), check=True)
    if settings.DRENFAX_SANDBOX:
        subprocess.run(manage("seed_demo"), check=True)

    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    if settings.DRENFAX_SANDBOX:
        procs.append(
            ("sandbox", subprocess.Popen(sandbox_command(settings), env=sandbox_env(settings)))
        )
    procs.append(("portal", subprocess.Popen(manage("runserver", PORTAL_ADDR))))
    print(f"\n  Drenfax Portal: http://{PORTAL_ADDR}/  (Ctrl-C stops everything)\n", flush=True)
    return supervise(procs)


def sandbox_command(settings) -> list[str]:
    """The embedded sandbox: state under var/, webhooks to the portal with its credentials."""
    return [
        sys.executable,
        "-m",
        "drenfax_portal.sandbox",
        "--port",
        str(settings.SANDBOX_PORT),
        "--account-id",
        settings.DRENFAX_ACCOUNT_ID,
        "--state",
        str(settings.VAR_DIR / "sandbox.sqlite3"),
        "--webhook-url",
        f"http://{PORTAL_ADDR}/webhooks/drenfax/",
        "--inbound-every",
        os.environ.get("SANDBOX_INBOUND_EVERY", "300"),
    ]


def sandbox_env(settings) -> dict[str, str]:
    # Secrets go through the environment, not argv (which `ps` shows to every local user).
    return {
        **os.environ,
        "SANDBOX_API_KEY": settings.DRENFAX_API_KEY,
        "SANDBOX_WEBHOOK_AUTH": settings.DRENFAX_WEBHOOK_AUTH,
    }


def supervise(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> int:
    """Wait until Ctrl-C or until one process dies, then stop them all."""
    code = 0
    try:
        while True:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping.", file=sys.stderr)
                    code = proc.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    for _, proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for _, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
