"""`make run`: prepare files and the database, then start the sandbox, the portal and the
task consumer with honcho (`Procfile.dev`); Ctrl-C stops all.

`python -m drenfax_portal.devrun` prepares and starts honcho; honcho runs this module again as
`devrun sandbox` (the sandbox, with the portal's credentials), `devrun web` (waits for the
sandbox, seeds the demo data, then the dev server) and `devrun worker` (waits for the sandbox,
then the task consumer).
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import sys
import time
import urllib.request
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PORTAL_ADDR = os.environ.get("PORTAL_ADDR", "127.0.0.1:8000")


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drenfax_portal.settings")
    os.chdir(BASE_DIR)
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        if not argv:
            prepare_files()
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    from django.conf import settings

    if argv == ["sandbox"]:
        command = [*sandbox_command(settings), "--quiet"]
        os.execve(command[0], command, sandbox_env(settings))  # noqa: S606 - our own argv
    if argv == ["web"]:
        return web(settings)
    if argv == ["worker"]:
        return worker(settings)
    if argv:
        print("usage: python -m drenfax_portal.devrun [sandbox|web|worker]", file=sys.stderr)
        return 2
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    processes = ["sandbox", "web", "worker"] if settings.DRENFAX_SANDBOX else ["web", "worker"]
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    honcho = str(Path(bin_dir) / "honcho")
    os.execve(honcho, [honcho, "start", "-f", "Procfile.dev", *processes], env)  # noqa: S606
    return 0  # not reached


def web(settings) -> int:
    """Seed the demo data once the sandbox answers, then the dev server."""
    from django.core.management import call_command

    if settings.DRENFAX_SANDBOX:
        wait_for(f"{settings.DRENFAX_API_URL}/_sandbox/info", settings.DRENFAX_API_KEY)
        call_command("seed_demo")
        call_command("seed_sandbox")
    print(f"\n  Drenfax Portal: http://{PORTAL_ADDR}/  (Ctrl-C stops everything)\n", flush=True)
    manage = [sys.executable, str(BASE_DIR / "manage.py"), "runserver", PORTAL_ADDR]
    os.execv(manage[0], manage)  # noqa: S606 - our own argv
    return 0  # not reached


def worker(settings) -> int:
    """The task consumer, once the sandbox answers: its first sync would find nobody."""
    if settings.DRENFAX_SANDBOX:
        wait_for(f"{settings.DRENFAX_API_URL}/_sandbox/info", settings.DRENFAX_API_KEY)
    manage = [sys.executable, str(BASE_DIR / "manage.py"), "run_huey"]
    os.execv(manage[0], manage)  # noqa: S606 - our own argv
    return 0  # not reached


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
        "--speed",
        os.environ.get("SANDBOX_SPEED", "1"),
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
