"""Running the sandbox: a threaded WSGI server, in-process (`Sandbox`) or as a subprocess.

with start_sandbox(speed=100) as sandbox:
    requests.get(f"{sandbox.url}/v1/numbers", headers=sandbox.headers)

with start_sandbox_process(speed=100) as sandbox:   # python -m drenfax_portal.sandbox
    ...
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

import requests

from .app import AbortConnection, SandboxApp, resolve_endpoint
from .config import SandboxConfig
from .core import SandboxCore
from .faxes import TERMINAL

log = logging.getLogger("drenfax_portal.sandbox")


# --- the HTTP server ------------------------------------------------------------------------------
class _ServerHandler(ServerHandler):
    aborted = False

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], AbortConnection):
            self.aborted = True  # answer nothing; the request handler drops the connection
            return
        super().handle_error()

    def log_exception(self, exc_info) -> None:
        log.error("sandbox request failed", exc_info=exc_info)


class _RequestHandler(WSGIRequestHandler):
    # A client that stops sending (a body shorter than its Content-Length) frees its thread.
    timeout = 60

    def get_environ(self) -> dict:
        environ = super().get_environ()
        if self.headers.get("Content-Type") is None:
            environ["CONTENT_TYPE"] = ""  # wsgiref would claim text/plain
        return environ

    def log_message(self, format: str, *args) -> None:
        """The app logs one line per request itself; wsgiref's stderr log stays quiet."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        if self.headers.get("Expect", "").lower() == "100-continue":
            # curl asks before uploading a file; answering at once spares it a 1 s wait.
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        handler = _ServerHandler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True
        )
        handler.request_handler = self
        handler.run(self.server.get_app())
        if handler.aborted:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which may wait on DNS; skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
        self.setup_environ()

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # clients that hang up (timeouts, stalled requests) are expected
        log.exception("sandbox connection error from %s", client_address)


class _IPv6Server(_ThreadingServer):
    address_family = socket.AF_INET6


# --- helpers shared by both handles ---------------------------------------------------------------
class _Handle:
    """HTTP helpers for tests: a running sandbox at `url` with `api_key` and `account_id`."""

    url: str
    api_key: str
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        """The auth header the API wants: `Authorization: Basic <key>` (the key as is)."""
        return {"Authorization": f"Basic {self.api_key}"}

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(self.headers)
        return session

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", 10)
        return requests.request(method, self.url + path, headers=headers, timeout=timeout, **kwargs)

    def _json(self, method: str, path: str, **kwargs) -> dict:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def add_fault(self, **spec) -> dict:
        """Inject a fault: `add_fault(endpoint="POST /v1/faxes", fault="503", count=2)`."""
        return self._json("POST", "/_sandbox/faults", json=spec)["faults"][0]

    def clear_faults(self) -> int:
        return self._json("DELETE", "/_sandbox/faults")["cleared"]

    def stats(self) -> dict:
        return self._json("GET", "/_sandbox/stats")

    def reset_stats(self) -> None:
        self._json("POST", "/_sandbox/reset-stats")

    def seed(self, count: int, *, days: float = 30, seed: int | None = None) -> int:
        body = {"count": count, "days": days, **({"seed": seed} if seed is not None else {})}
        return self._json("POST", "/_sandbox/seed", json=body, timeout=120)["created"]

    def inbound(
        self,
        *,
        to: str | None = None,
        sender: str | None = None,
        csid: str | None = None,
        pages: int = 1,
    ) -> dict:
        body = {
            "pages": pages,
            **({"to": to} if to else {}),
            **({"from": sender} if sender else {}),
            **({"csid": csid} if csid is not None else {}),
        }
        return self._json("POST", "/_sandbox/inbound", json=body)

    def advance(self, seconds: float) -> None:
        self._json("POST", "/_sandbox/clock", json={"advance": seconds})

    def set_webhook(
        self, url: str | None, *, auth: str | None = None, format: str = "json"
    ) -> None:
        self._json("POST", "/_sandbox/webhooks", json={"url": url, "auth": auth, "format": format})

    def webhook_log(self) -> list[dict]:
        return self._json("GET", "/_sandbox/webhooks?limit=1000")["log"]

    def info(self) -> dict:
        return self._json("GET", "/_sandbox/info")

    def fax(self, message_id: str) -> dict:
        return self._json("GET", f"/v1/fax/{message_id}/info")

    def wait_for_fax(
        self, message_id: str, statuses: set[str] | frozenset[str] = TERMINAL, timeout: float = 15.0
    ) -> dict:
        """Poll /info until the fax reaches one of `statuses`; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            fax = self.fax(message_id)
            if fax["status"] in statuses:
                return fax
            if time.monotonic() > deadline:
                raise TimeoutError(f"fax {message_id} is still {fax['status']} after {timeout} s")
            time.sleep(0.02)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


# --- in-process -----------------------------------------------------------------------------------
class Sandbox(_Handle):
    """The sandbox running in this process: a server thread plus its background workers.

    `Sandbox(**options).start()` or `start_sandbox(**options)`; options are those of
    SandboxConfig (the CLI's, with underscores). Stop it with `stop()` or a `with` block.
    """

    def __init__(self, config: SandboxConfig | None = None, **options) -> None:
        self.config = config or SandboxConfig(**options)
        self.core: SandboxCore | None = None
        self._server: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    def start(self) -> Sandbox:
        self.core = SandboxCore(self.config, resolve_route=resolve_endpoint)
        server_class = _IPv6Server if ":" in self.config.host else _ThreadingServer
        try:
            self._server = server_class((self.config.host, self.config.port), _RequestHandler)
        except OSError:
            self.core.stop()
            raise
        self._port = self._server.server_address[1]
        self._server.set_app(SandboxApp(self.core))
        self.core.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sandbox-http",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", ""):  # noqa: S104
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        return self.core.api_key

    @property
    def account_id(self) -> str:
        return self.core.account_id

    def wait_webhooks_idle(self, timeout: float = 10.0) -> bool:
        """Block until no webhook is queued or in flight (in-process only)."""
        return self.core.webhooks.wait_idle(timeout)

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        self.core.stopping.set()  # wakes stalled requests first
        server.shutdown()
        server.server_close()
        self.core.stop()
        if self._thread:
            self._thread.join(timeout=2)


def start_sandbox(**options) -> Sandbox:
    """Start an in-process sandbox on a free port (unless `port` is given) and return it."""
    options.setdefault("port", 0)
    return Sandbox(**options).start()


# --- as a subprocess ------------------------------------------------------------------------------
class SandboxProcess(_Handle):
    """`python -m drenfax_portal.sandbox` in a child process, for tests that need isolation."""

    def __init__(
        self, *, python: str = sys.executable, startup_timeout: float = 20.0, **options
    ) -> None:
        options.setdefault("port", 0)
        self.config = SandboxConfig(**options)
        args = [python, "-m", "drenfax_portal.sandbox"]
        for name in SandboxConfig.option_names():
            value = getattr(self.config, name)
            if name in ("log_requests", "webhook_timeout"):
                continue
            flag = f"--{name.replace('_', '-')}"
            if isinstance(value, bool):
                args.append(flag if value else f"--no-{flag[2:]}")
            elif value is not None and value != "":
                args += [flag, str(value)]
        if not self.config.log_requests:
            args.append("--quiet")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.output: list[str] = []
        found: dict[str, str] = {}
        deadline = time.monotonic() + startup_timeout
        patterns = {
            "url": r"running at (\S+)",
            "api_key": r"API key:\s+(\S+)",
            "account_id": r"Account id:\s+(\S+)",
        }
        while len(found) < len(patterns):
            line = self.process.stdout.readline()
            if not line:
                self.process.wait(timeout=5)
                raise RuntimeError("the sandbox process exited:\n" + "".join(self.output))
            self.output.append(line)
            for key, pattern in patterns.items():
                if m := re.search(pattern, line):
                    found[key] = m.group(1)
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox process did not start:\n" + "".join(self.output))
        self.url, self.api_key, self.account_id = (
            found["url"],
            found["api_key"],
            found["account_id"],
        )
        # Keep draining the child's output so it never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait (SIGKILL after `timeout`); answers the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_sandbox_process(**options) -> SandboxProcess:
    """Start `python -m drenfax_portal.sandbox` on a free port and wait until it serves."""
    return SandboxProcess(**options)
