"""Real sockets on 127.0.0.1 (no network): the transport errors that requests and urllib3
actually raise are classified right, and the session is owned correctly."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
import requests
import urllib3.util.connection

from drenfax_portal.client import DrenfaxClient, TransportError, default_retries

from . import examples


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def hanging_up_server() -> Iterator[tuple[int, list[bytes]]]:
    """Reads each request, then closes the connection without answering."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.05)  # so the thread notices `stop` promptly
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                received.append(conn.recv(65536))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def retry_after_server() -> Iterator[tuple[int, list[float]]]:
    """Answers 503 with `Retry-After: 1`, then 200 with a fax; records when requests came."""
    arrivals: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arrivals.append(time.monotonic())
            first = len(arrivals) == 1
            body = b"{}" if first else examples.FAX_INFO.encode()
            self.send_response(503 if first else 200)
            if first:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], arrivals
    server.shutdown()
    server.server_close()


@pytest.fixture
def connects(monkeypatch) -> list[tuple[str, int]]:
    """Every connection urllib3 tries to open."""
    opened: list[tuple[str, int]] = []
    create = urllib3.util.connection.create_connection

    def counting(address, *args, **kwargs):
        opened.append(address)
        return create(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    return opened


# No pauses between attempts here: the waits are urllib3's, tested with Retry-After below.
QUICK = default_retries().new(backoff_factor=0, backoff_jitter=0)


def make_client(port: int, **kwargs) -> DrenfaxClient:
    kwargs.setdefault("retries", QUICK)
    return DrenfaxClient(f"http://127.0.0.1:{port}", "key", **kwargs)


def test_refused_connection_was_not_sent_and_a_get_is_retried(connects):
    with make_client(free_port()) as client:
        with pytest.raises(TransportError) as caught:
            client.fax_info("m")
        assert caught.value.request_sent is False
        assert "could not connect" in str(caught.value)
    assert len(connects) == 4


def test_refused_connection_on_a_post_is_not_retried(connects):
    with make_client(free_port()) as client:
        with pytest.raises(TransportError) as caught:
            client.cancel_fax("m")
        assert caught.value.request_sent is False
    assert len(connects) == 1


def test_a_post_dropped_after_sending_may_have_been_sent_and_is_sent_once(hanging_up_server):
    port, received = hanging_up_server
    with make_client(port) as client, pytest.raises(TransportError) as caught:
        client.send_fax("+13125550100", cover_page=True)
    assert caught.value.request_sent is True
    assert "may have been processed" in str(caught.value)
    assert len(received) == 1
    assert received[0].startswith(b"POST /v1/faxes HTTP/1.1\r\n")


def test_a_post_without_answer_times_out_once_and_may_have_been_sent(silent_server, connects):
    with (
        make_client(silent_server, timeout=(1, 0.2)) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.cancel_fax("m")
    assert caught.value.request_sent is True
    assert "no answer in time" in str(caught.value)
    assert len(connects) == 1


def test_a_get_without_answer_is_not_retried(silent_server, connects):
    with make_client(silent_server, timeout=(1, 0.2)) as client, pytest.raises(TransportError):
        client.fax_info("m")
    assert len(connects) == 1


def test_a_get_waits_out_a_short_retry_after(retry_after_server):
    port, arrivals = retry_after_server
    with make_client(port, retries=None) as client:
        assert client.fax_info("m").message_id == json.loads(examples.FAX_INFO)["messageId"]
    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= 0.9


def test_closing_the_client_closes_its_own_session():
    client = DrenfaxClient("https://api.drenfax.test", "key")
    with mock.patch.object(client.session, "close") as close, client:
        pass
    close.assert_called_once()


def test_closing_the_client_leaves_a_shared_session_open():
    session = requests.Session()
    with mock.patch.object(session, "close") as close:
        with DrenfaxClient("https://api.drenfax.test", "key", session=session) as client:
            assert client.session is session
        close.assert_not_called()
