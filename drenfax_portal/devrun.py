"""`make run`: migrate, start the sandbox, the sync worker and the portal; Ctrl-C stops all.

Run with the project's virtualenv Python: `python -m drenfax_portal.devrun`.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PORTAL_ADDR = os.environ.get("PORTAL_ADDR", "127.0.0.1:8000")

Procs = list[tuple[str, subprocess.Popen[bytes]]]


def manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drenfax_portal.settings")
    os.chdir(BASE_DIR)
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        prepare_files()
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2

    from django.core.management import call_command
    from django.db import connections

    # In this process rather than as `manage.py` subprocesses: each would boot Django again.
    call_command("migrate", interactive=False, verbosity=0)
    procs: Procs = []
    try:
        if settings.DRENFAX_SANDBOX:
            procs.append(("sandbox", start_sandbox(settings)))
            wait_for(f"{settings.DRENFAX_API_URL}/_sandbox/info", settings.DRENFAX_API_KEY)
            call_command("seed_demo")
            call_command("seed_sandbox")
        connections.close_all()
        # A step every 8 s stays under the provider's 8 history calls a minute.
        procs.append(("worker", subprocess.Popen(manage("sync_faxes", "--interval", "8"))))
        procs.append(("portal", subprocess.Popen(manage("runserver", PORTAL_ADDR))))
    except BaseException:
        stop(procs)
        raise
    print(f"\n  Drenfax Portal: http://{PORTAL_ADDR}/  (Ctrl-C stops everything)\n", flush=True)
    return supervise(procs)


def prepare_files() -> None:
    """What settings read but never write: the var/ and static folders and, for the embedded
    sandbox, its credentials (generated once per checkout, readable only by you)."""
    from drenfax_portal import settings as project

    project.VAR_DIR.mkdir(parents=True, exist_ok=True)
    project.STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns without it
    path = project.VAR_DIR / "sandbox.json"
    if project.DRENFAX_SANDBOX and not path.exists():
        creds = {
            "api_key": secrets.token_urlsafe(24),
            "account_id": str(uuid.uuid4()),
            "webhook_auth": f"drenfax:{secrets.token_urlsafe(18)}",
        }
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(creds, indent=2))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        importlib.reload(project)  # read again, with the credentials


def start_sandbox(settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*sandbox_command(settings), "--quiet"], env=sandbox_env(settings))


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
        # Refuse what the real service may refuse, so that `make run` shows it first.
        "--strict",
    ]


def sandbox_env(settings) -> dict[str, str]:
    # Secrets go through the environment, not argv (which `ps` shows to every local user).
    return {
        **os.environ,
        "SANDBOX_API_KEY": settings.DRENFAX_API_KEY,
        "SANDBOX_WEBHOOK_AUTH": settings.DRENFAX_WEBHOOK_AUTH,
    }


def wait_for(url: str, api_key: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {api_key}"})  # noqa: S310
    while True:
        try:
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - our own sandbox
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"The sandbox did not answer at {url}") from None
            time.sleep(0.2)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def supervise(procs: Procs) -> int:
    """Wait until Ctrl-C (or SIGTERM) or until one process dies, then stop them all."""
    signal.signal(signal.SIGTERM, _interrupt)
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
    stop(procs)
    return code


def stop(procs: Procs) -> None:
    for _, proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for _, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
