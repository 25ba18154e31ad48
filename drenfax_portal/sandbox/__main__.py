"""`python -m drenfax_portal.sandbox`: run the Drenfax sandbox until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from .config import SandboxConfig
from .server import Sandbox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drenfax_portal.sandbox",
        description="A local simulator of the Drenfax fax API (see README, 'The Drenfax sandbox').",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    add("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    add(
        "--api-key",
        default=os.environ.get("SANDBOX_API_KEY") or None,
        help="API key clients must send (default: $SANDBOX_API_KEY, the one kept in --state, "
        "or a generated one)",
    )
    add("--account-id", help="the account's UUID (default: generated, or kept in --state)")
    add("--state", help="SQLite file that keeps the state across restarts (default: memory)")
    add("--webhook-url", help="POST every fax status change to this URL")
    add(
        "--webhook-auth",
        default=os.environ.get("SANDBOX_WEBHOOK_AUTH") or None,
        help="user:password for the webhooks' HTTP Basic auth (default: $SANDBOX_WEBHOOK_AUTH)",
    )
    add(
        "--webhook-format",
        choices=("json", "multipart"),
        default="json",
        help="json (the fax object) or legacy multipart (data + attachment); default json",
    )
    add(
        "--speed",
        type=float,
        default=1.0,
        help="time factor for fax progress and webhook retries (default 1; 10 = ten times faster)",
    )
    add(
        "--inbound-every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="receive a random inbound fax every SECONDS on the account's numbers (default off)",
    )
    add(
        "--history-rate",
        default="8/60",
        metavar="N/SECONDS",
        help="rate limit of GET /v1/fax/history per account (default 8/60)",
    )
    add(
        "--numbers",
        type=int,
        default=3,
        help="numbers a fresh account starts with (default 3, the same for the same account)",
    )
    add(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="refuse what the real service may refuse although the sandbox could read it "
        "(recipientFax on POST /v1/faxes, whose field is faxNumber); default off",
    )
    add(
        "--error-format",
        choices=("nested", "flat"),
        default="nested",
        help='errors as {"error": {"name", "message"}} (nested, the default) or '
        '{"error": "Name: message", "message", "status"} (flat)',
    )
    add(
        "--retry-after",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send Retry-After with the history rate limit's 429 (default on)",
    )
    add(
        "--send-latency",
        default="0",
        metavar="SECONDS|MIN-MAX",
        help="seconds a send (faxes, multiple, resend, blast) takes to answer after the fax "
        "exists, e.g. 5 or 0-90 (random); default 0",
    )
    add("--quiet", action="store_true", help="no per-request log lines")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s sandbox %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        config = SandboxConfig(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            account_id=args.account_id,
            state=args.state,
            webhook_url=args.webhook_url,
            webhook_auth=args.webhook_auth,
            webhook_format=args.webhook_format,
            speed=args.speed,
            inbound_every=args.inbound_every,
            history_rate=args.history_rate,
            numbers=args.numbers,
            strict=args.strict,
            error_format=args.error_format,
            retry_after=args.retry_after,
            send_latency=args.send_latency,
            log_requests=not args.quiet,
        )
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        sandbox = Sandbox(config).start()
    except OSError as exc:
        print(
            f"sandbox: cannot listen on {config.host}:{config.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    info = sandbox.core.info()
    webhook = f"{config.webhook_url} ({config.webhook_format})" if config.webhook_url else "off"
    print(f"Drenfax sandbox running at {sandbox.url}", flush=True)
    print(f"  API key:     {sandbox.api_key}", flush=True)
    print(f"  Account id:  {sandbox.account_id}", flush=True)
    print(f"  State:       {config.state or 'in memory'}", flush=True)
    print(f"  Webhooks:    {webhook}", flush=True)
    print(f"  Speed:       x{config.speed:g}", flush=True)
    if config.strict:
        print("  Strict:      aliases and lenient readings refused", flush=True)
    numbers = ", ".join(n["number"] for n in info["numbers"]) or "none"
    print(f"  Numbers:     {numbers}", flush=True)
    print("Ctrl-C stops it.", flush=True)
    while not stop.wait(0.5):
        pass
    sandbox.stop()
    print("Drenfax sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
