"""Starting and stopping the sandbox, authentication, routing and the error shape."""

from __future__ import annotations

import base64
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from drenfax_portal.sandbox import SandboxConfig, start_sandbox, start_sandbox_process

from .conftest import Api, error_of


def test_it_starts_and_stops_in_process_well_under_a_second():
    started = time.monotonic()
    sandbox = start_sandbox(speed=100)
    try:
        assert time.monotonic() - started < 1.0
        response = requests.get(f"{sandbox.url}/v1/numbers", headers=sandbox.headers, timeout=5)
        assert response.status_code == 200
    finally:
        stopping = time.monotonic()
        sandbox.stop()
    assert time.monotonic() - stopping < 1.0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sandbox.url}/v1/numbers", headers=sandbox.headers, timeout=2)


def test_it_uses_the_given_key_and_account_id():
    account = "6c838c7c-cb48-4763-84d6-233b5f8cf782"
    with start_sandbox(api_key="secret-key", account_id=account) as sandbox:
        assert sandbox.api_key == "secret-key"
        assert sandbox.account_id == account
        response = requests.get(
            f"{sandbox.url}/v1/numbers", headers={"Authorization": "Basic secret-key"}, timeout=5
        )
        assert response.json()["rows"][0]["ownedBy"] == account


def test_it_generates_a_key_and_account_id_when_not_given(sandbox):
    assert len(sandbox.api_key) >= 20
    assert len(sandbox.account_id) == 36


def test_a_fresh_account_gets_the_same_three_numbers_for_the_same_account_id():
    account = "0b9a1f9e-8c55-4a53-9fb1-6a1f2b3c4d5e"
    with start_sandbox(account_id=account) as first, start_sandbox(account_id=account) as second:
        numbers = [Api(s).get("/v1/numbers").json()["rows"] for s in (first, second)]
    assert len(numbers[0]) == 3
    assert [n["number"] for n in numbers[0]] == [n["number"] for n in numbers[1]]
    assert [n["uuid"] for n in numbers[0]] == [n["uuid"] for n in numbers[1]]


def test_the_numbers_option_sets_how_many_numbers_a_fresh_account_gets(sandbox_factory):
    sandbox = sandbox_factory(numbers=0)
    assert Api(sandbox).get("/v1/numbers").json()["count"] == 0


def test_bad_options_are_refused_with_a_readable_message():
    for options, message in [
        ({"speed": 0}, "speed"),
        ({"history_rate": "eight"}, "history_rate"),
        ({"webhook_format": "xml"}, "webhook_format"),
        ({"webhook_auth": "nocolon"}, "webhook_auth"),
        ({"account_id": "not-a-uuid"}, "account_id"),
        ({"webhook_url": "ftp://x"}, "webhook_url"),
    ]:
        with pytest.raises(ValueError, match=message):
            SandboxConfig(**options)


def test_it_runs_as_a_subprocess_and_stops_cleanly_on_sigterm():
    with start_sandbox_process(speed=50, strict=True, retry_after=False) as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:")
        response = requests.get(f"{sandbox.url}/coverpages", headers=sandbox.headers, timeout=5)
        assert response.status_code == 200
        info = requests.get(f"{sandbox.url}/_sandbox/info", headers=sandbox.headers, timeout=5)
        assert info.json()["strict"] is True and info.json()["retryAfter"] is False
        code = sandbox.stop()
    assert code == 0
    assert "Drenfax sandbox stopped." in "".join(sandbox.output)


def test_the_cli_prints_url_key_and_account_and_stops_on_sigint(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drenfax_portal.sandbox",
            "--port",
            "0",
            "--api-key",
            "k3y",
            "--state",
            str(tmp_path / "s.sqlite3"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("Drenfax sandbox running at http://127.0.0.1:")
        assert "API key:     k3y" in lines[1]
        assert "Account id:" in lines[2]
        url = lines[0].split()[-1]
        assert requests.get(
            f"{url}/v1/numbers", headers={"Authorization": "Basic k3y"}, timeout=5
        ).ok
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "GET /v1/numbers 200" in err  # one concise log line per request


def test_the_cli_refuses_bad_options():
    result = subprocess.run(
        [sys.executable, "-m", "drenfax_portal.sandbox", "--speed", "-1"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "speed must be positive" in result.stderr


# --- authentication -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/v1/numbers", "/coverpages", "/v1/fax/history", "/_sandbox/stats", "/_sandbox/faults"]
)
def test_it_refuses_a_missing_key(sandbox, path):
    response = requests.get(sandbox.url + path, timeout=5)
    assert response.status_code == 401
    assert error_of(response)["message"].startswith("missing Authorization header")


def test_it_refuses_a_wrong_key(sandbox):
    response = requests.get(
        f"{sandbox.url}/v1/numbers", headers={"Authorization": "Basic nope"}, timeout=5
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": {"name": "AuthenticationError", "message": "invalid API key"}
    }


def test_errors_come_flat_with_the_flat_error_format(sandbox_factory):
    sandbox = sandbox_factory(error_format="flat")
    response = requests.get(
        f"{sandbox.url}/v1/numbers", headers={"Authorization": "Basic nope"}, timeout=5
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "AuthenticationError: invalid API key",
        "message": "invalid API key",
        "status": 401,
    }


def test_it_explains_a_base64_encoded_key(sandbox):
    token = base64.b64encode(f"{sandbox.api_key}:".encode()).decode()
    response = requests.get(
        f"{sandbox.url}/v1/numbers", headers={"Authorization": f"Basic {token}"}, timeout=5
    )
    assert response.status_code == 401
    assert "not base64-encoded" in error_of(response)["message"]


def test_it_refuses_a_bearer_token(sandbox):
    response = requests.get(
        f"{sandbox.url}/v1/numbers",
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        timeout=5,
    )
    assert response.status_code == 401


# --- routing --------------------------------------------------------------------------------------
def test_unknown_paths_answer_404_json(api):
    response = api.get("/v2/whatever")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert error_of(response) == {"name": "NotFoundError", "message": "no endpoint /v2/whatever"}


def test_wrong_methods_answer_405_with_allow(api):
    response = api.request("PUT", "/v1/faxes")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert error_of(response)["name"] == "MethodNotAllowedError"


def test_a_literal_path_is_not_taken_for_a_message_id(api):
    response = api.delete("/v1/fax/history")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


def test_the_fax_path_allows_patch_and_delete_only(api):
    response = api.get("/v1/fax/027012f1-80c9-4be5-b093-1f54783dfa3b")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, PATCH"


def test_a_trailing_slash_is_tolerated(api):
    assert api.get("/v1/numbers/").status_code == 200


def test_json_bodies_on_form_endpoints_are_refused_readably(api):
    response = api.post("/v1/faxes", json={"recipientFax": "2125550123", "coverPage": True})
    assert response.status_code == 400
    assert "expected a form body" in error_of(response)["message"]


def test_the_sandbox_info_endpoint_describes_the_sandbox(sandbox, api):
    info = api.get("/_sandbox/info").json()
    assert info["url"] == sandbox.url
    assert info["accountId"] == sandbox.account_id
    assert len(info["numbers"]) == 3


def test_a_form_body_without_content_type_is_read_as_urlencoded(api):
    fax = api.send().json()
    response = api.patch(f"/v1/fax/{fax['messageId']}", data="isArchived=true")
    assert response.request.headers.get("Content-Type") is None
    assert response.status_code == 200
    assert response.json()["isArchived"] is True
    response = api.post("/v1/numbers/provision", data="type=order")
    assert (
        error_of(response)["message"]
        == "numbers is required for type=order (E.164, comma-separated)"
    )


def test_make_run_starts_the_sandbox_with_the_portals_credentials_out_of_argv(tmp_path):
    from types import SimpleNamespace

    from drenfax_portal.devrun import sandbox_command, sandbox_env

    settings = SimpleNamespace(
        SANDBOX_PORT=0,
        DRENFAX_ACCOUNT_ID="6c838c7c-cb48-4763-84d6-233b5f8cf782",
        DRENFAX_API_KEY="portal-key",
        DRENFAX_WEBHOOK_AUTH="drenfax:hook-secret",
        VAR_DIR=tmp_path,
    )
    command = sandbox_command(settings)
    assert command[command.index("--state") + 1] == str(tmp_path / "sandbox.sqlite3")
    assert command[command.index("--webhook-url") + 1].endswith("/webhooks/drenfax/")
    assert "portal-key" not in command and "drenfax:hook-secret" not in command
    process = subprocess.Popen(
        [*command, "--quiet"], env=sandbox_env(settings), stdout=subprocess.PIPE, text=True
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]
        assert "API key:     portal-key" in lines[1]
        assert "Account id:  6c838c7c-cb48-4763-84d6-233b5f8cf782" in lines[2]
        assert "Webhooks:    http://" in lines[4]
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0
    assert (tmp_path / "sandbox.sqlite3").exists()


def test_concurrent_requests_are_all_served_consistently(sandbox_factory):
    from concurrent.futures import ThreadPoolExecutor

    sandbox = sandbox_factory(speed=500, history_rate="1000/60")
    api = Api(sandbox)

    def work(i: int) -> list[int]:
        codes = [api.send(f"21255502{i:02d}").status_code for _ in range(5)]
        codes.append(api.get("/v1/fax/history", params={"limit": 50}).status_code)
        codes.append(api.post("/_sandbox/inbound", json={}).status_code)
        return codes

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(work, range(24)))
    assert {code for codes in results for code in codes} == {200}
    counts = api.get("/_sandbox/stats").json()["faxes"]
    assert counts["outbound"] == 24 * 5 and counts["inbound"] == 24
    rows = api.get("/v1/fax/history", params={"limit": 500}).json()["rows"]
    assert len({r["messageId"] for r in rows}) == 144


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_uploads_go_through_without_the_expect_100_wait(sandbox, tmp_path):
    document = tmp_path / "big.txt"
    document.write_text("words and more words\n" * 500)
    started = time.monotonic()
    result = subprocess.run(
        ["curl", "-s", "-H", f"Authorization: Basic {sandbox.api_key}",
         "-F", "faxNumber=2125550123", "-F", f"attachments=@{document};type=text/plain",
         f"{sandbox.url}/v1/faxes"],
        capture_output=True, text=True, timeout=20, check=True,
    )  # fmt: skip
    assert time.monotonic() - started < 0.9
    assert '"pagesCount": 10' in result.stdout


def test_a_client_that_stops_sending_its_body_is_let_go(monkeypatch):
    import socket
    from urllib.parse import urlsplit

    from drenfax_portal.sandbox import server

    monkeypatch.setattr(server._RequestHandler, "timeout", 0.5)
    with start_sandbox(speed=100) as sandbox:
        where = urlsplit(sandbox.url)
        with socket.create_connection((where.hostname, where.port), timeout=5) as conn:
            conn.sendall(
                b"POST /v1/faxes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b"
            )
            # The server gives up on the missing 90 bytes; without a timeout this read would
            # wait until its own 5 s timeout, the server's thread held meanwhile.
            started = time.monotonic()
            assert conn.recv(1024).startswith(b"HTTP/1.0 408")
            assert time.monotonic() - started < 4
