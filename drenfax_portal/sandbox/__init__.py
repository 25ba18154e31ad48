"""The Drenfax sandbox: a standalone HTTP server that simulates the whole Drenfax API.

Run it with `python -m drenfax_portal.sandbox --help`, or in-process from tests:

    from drenfax_portal.sandbox import start_sandbox

    with start_sandbox(speed=50, history_rate="8/2") as sandbox:
        sandbox.url, sandbox.api_key, sandbox.account_id, sandbox.headers

No Django here: the sandbox shares nothing with the portal but HTTP.
"""

from __future__ import annotations

from .config import SandboxConfig
from .server import Sandbox, SandboxProcess, start_sandbox, start_sandbox_process

__all__ = ["Sandbox", "SandboxConfig", "SandboxProcess", "start_sandbox", "start_sandbox_process"]
