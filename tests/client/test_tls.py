"""A TLS failure after the whole request was written: the fax may have been sent."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator

import pytest
import requests

from drenfax_portal.client import DrenfaxClient, TransportError, default_retries


@pytest.fixture
def tls_server_breaking_after_the_request(tmp_path) -> Iterator[tuple[int, str, list[bytes]]]:
    """A TLS server that reads a whole request, then answers with bytes that are not TLS
    (what a broken middlebox or a corrupted record looks like to the client)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        try:
            tls = context.wrap_socket(conn, server_side=True)
        except ssl.SSLError:
            return  # the client refused the certificate
        with tls:
            tls.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += tls.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(
                line.split(b":", 1)[1] for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ))  # fmt: skip
            while len(body) < length:
                body += tls.recv(65536)
            received.append(head + b"\r\n\r\n" + body)
            # The provider has the whole request; the answer is garbled on the wire.
            os.write(tls.fileno(), b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], str(cert), received
    thread.join(timeout=5)
    server.close()


def test_a_tls_error_after_the_request_was_sent_may_have_been_sent(
    tls_server_breaking_after_the_request,
):
    port, cert, received = tls_server_breaking_after_the_request
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace `verify`
    session.verify = cert
    client = DrenfaxClient(
        f"https://127.0.0.1:{port}", "key", session=session, retries=default_retries()
    )
    with pytest.raises(TransportError) as caught:
        client.send_fax("+13125550100", cover_page=True)
    session.close()

    assert received and b"faxNumber" in received[0]  # the provider got the whole send
    # So the portal must reconcile it ("unknown"), not offer to send it again ("failed").
    assert caught.value.request_sent is True, str(caught.value)


def test_a_certificate_that_fails_verification_means_nothing_was_sent(
    tls_server_breaking_after_the_request,
):
    port, _, received = tls_server_breaking_after_the_request
    session = requests.Session()
    session.trust_env = False
    client = DrenfaxClient(f"https://127.0.0.1:{port}", "key", session=session)
    with pytest.raises(TransportError) as caught:
        client.send_fax("+13125550100", cover_page=True)  # self-signed: refused in handshake
    session.close()
    assert not received
    assert caught.value.request_sent is False, str(caught.value)
