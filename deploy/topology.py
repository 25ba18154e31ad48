"""The production topology on one machine, without containers, and a smoke test through it.

Two web processes (gunicorn, 4 workers each) and two task consumers (run_huey) share one
PostgreSQL database and one Redis, with the sandbox as the provider; then a member signs in on
one web process, sends a fax (double-clicking), and sees it delivered, through the provider's
webhook to the other web process, on the first. `make topology`; CI runs it.

Needs PostgreSQL (TOPOLOGY_DATABASE_URL, a database it may drop and create) and Redis
(TOPOLOGY_TASKS_URL). DEBUG stays on: without TLS in front, the secure cookies of DEBUG=false
would never come back over plain HTTP.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis
import requests

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "TOPOLOGY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/drenfax_topology"
)
TASKS_URL = os.environ.get("TOPOLOGY_TASKS_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing answers at {url}") from None
            time.sleep(0.3)


def until(what: str, check, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"smoke test failed: {what}")
        time.sleep(0.5)
    print(f"ok: {what}", flush=True)
    return found


def fresh_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = ["psql", "-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username]
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run([*admin, "-d", "postgres", "-qc", sql], check=True)


def main() -> int:
    fresh_database()
    redis.Redis.from_url(TASKS_URL).flushdb()
    var = Path(tempfile.mkdtemp(prefix="drenfax-topology-"))
    webs = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(var),
        "DATABASE_URL": DATABASE_URL,
        "TASKS_URL": TASKS_URL,
        "SANDBOX_PORT": str(free_port()),
        "SANDBOX_SPEED": "20",
        "SANDBOX_INBOUND_EVERY": "0",
        # The sandbox's webhooks go to the second web process, the member uses the first.
        "PORTAL_ADDR": webs[1],
    }
    python = sys.executable
    run = lambda *args: subprocess.run([python, *args], cwd=BASE_DIR, env=env, check=True)  # noqa: E731
    run("-c", "from drenfax_portal.devrun import prepare_files; prepare_files()")
    run("manage.py", "migrate", "--verbosity", "0")
    processes: list[subprocess.Popen[bytes]] = []
    start = lambda *args: processes.append(subprocess.Popen([python, *args], cwd=BASE_DIR, env=env))  # noqa: E731
    try:
        start("-m", "drenfax_portal.devrun", "sandbox")
        wait_for(f"http://127.0.0.1:{env['SANDBOX_PORT']}/")
        run("manage.py", "seed_demo")
        run("manage.py", "seed_sandbox", "--faxes", "20")
        for bind in webs:
            start("-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "--bind", bind,
                  "drenfax_portal.wsgi")  # fmt: skip
        for _ in range(2):
            start("manage.py", "run_huey")
        for bind in webs:
            wait_for(f"http://{bind}/healthz")
        smoke(webs, var)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    print("topology smoke test passed", flush=True)
    return 0


def smoke(webs: list[str], var: Path) -> None:
    for bind in webs:
        health = requests.get(f"http://{bind}/healthz", timeout=5).json()
        assert health["ok"] and health["tasks"] == "ok", health
    print("ok: both web processes are healthy (database and Redis)", flush=True)
    users = (var / "demo-users.txt").read_text()
    password = re.search(r"^alice\s+(\S+)", users, re.M).group(1)
    member = requests.Session()
    first = f"http://{webs[0]}"
    page = member.get(f"{first}/accounts/login/", timeout=10)
    member.post(
        f"{first}/accounts/login/",
        data={"username": "alice", "password": password, "csrfmiddlewaretoken": csrf(page.text)},
        headers={"Referer": f"{first}/accounts/login/"},
        timeout=10,
    ).raise_for_status()
    form = member.get(f"{first}/faxes/send/", timeout=10)
    assert "Send fax" in form.text, "not signed in"
    print("ok: signed in", flush=True)
    caller = re.search(r'name="caller_id".*?<option value="([^"]+)"', form.text, re.S).group(1)
    fields = {
        "csrfmiddlewaretoken": csrf(form.text),
        "submission_key": re.search(r'name="submission_key" value="([^"]+)"', form.text).group(1),
        "recipients": "+12065550177",
        "cover_page": "default",
        "subject": "Topology smoke test",
        "caller_id": caller,
        "action": "send",
    }
    headers = {"Referer": f"{first}/faxes/send/"}
    answers = [
        member.post(f"{first}/faxes/send/", data=fields, headers=headers, timeout=30)
        for _ in range(2)  # a double click
    ]
    assert all(a.ok for a in answers), [a.status_code for a in answers]
    result = answers[0].url
    print(f"ok: sent ({result})", flush=True)
    until(
        "the provider's webhook made the fax delivered, seen on the other web process",
        lambda: "Topology smoke test" in delivered(member, first),
    )
    assert delivered(member, first).count("Topology smoke test") == 1, "the fax was sent twice"
    print("ok: the double click sent one fax", flush=True)


def delivered(member: requests.Session, site: str) -> str:
    return member.get(f"{site}/faxes/?q=Topology&status=success", timeout=10).text


def csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


if __name__ == "__main__":
    sys.exit(main())
