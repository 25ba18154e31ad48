"""Real sockets on 127.0.0.1 (no network): the transport errors that requests and urllib3
actually raise are classified right, and the session is owned correctly."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from unittest import mock

import pytest
import requests

from drenfax_portal.client import DrenfaxClient, RetryPolicy, TransportError

from .conftest import FakeClock


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
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock):
    def make(port: int, **kwargs) -> DrenfaxClient:
        url = f"http://127.0.0.1:{port}"
        return DrenfaxClient(url, "key", sleep=clock.sleep, clock=clock, **kwargs)

    return make


def test_refused_connection_was_not_sent_and_a_get_is_retried(make_client, clock):
    with make_client(free_port()) as client:
        with pytest.raises(TransportError) as caught:
            client.fax_info("m")
        assert caught.value.request_sent is False
        assert "could not connect" in str(caught.value)
        assert len(clock.sleeps) == 3  # 4 attempts


def test_refused_connection_on_a_post_is_not_retried(make_client, clock):
    with make_client(free_port()) as client:
        with pytest.raises(TransportError) as caught:
            client.cancel_fax("m")
        assert caught.value.request_sent is False
        assert clock.sleeps == []


def test_a_post_dropped_after_sending_may_have_been_sent_and_is_sent_once(
    make_client, hanging_up_server
):
    port, received = hanging_up_server
    with make_client(port) as client, pytest.raises(TransportError) as caught:
        client.send_fax("+13125550100", cover_page=True)
    assert caught.value.request_sent is True
    assert "may have been processed" in str(caught.value)
    assert len(received) == 1
    assert received[0].startswith(b"POST /v1/faxes HTTP/1.1\r\n")


def test_a_post_without_answer_times_out_once_and_may_have_been_sent(make_client, silent_server):
    with (
        make_client(silent_server, timeout=(1, 0.2)) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.cancel_fax("m")
    assert caught.value.request_sent is True
    assert "no answer in time" in str(caught.value)


def test_a_get_without_answer_is_not_retried(make_client, clock, silent_server):
    with make_client(silent_server, timeout=(1, 0.2), retry=RetryPolicy()) as client:
        with pytest.raises(TransportError):
            client.fax_info("m")
        assert clock.sleeps == []


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
