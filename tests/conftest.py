from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client

from tests.recording import recorder  # noqa: F401 - a fixture for every test

PASSWORD = "correct horse battery staple"


def pytest_configure(config) -> None:
    # What `make run` prepares and settings never write: the test database's folder and
    # STATIC_ROOT (whitenoise warns without it).
    from django.conf import settings

    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    if settings.DRENFAX_SANDBOX and not settings.DRENFAX_API_KEY:
        # Credentials as `make run` would have generated them (tests start their own sandboxes).
        settings.DRENFAX_API_KEY = "tests-sandbox-key"
        settings.DRENFAX_ACCOUNT_ID = "0b6f3c1e-4a8d-4f3b-9d2e-7c5a1b9e8f00"
        settings.DRENFAX_WEBHOOK_AUTH = "drenfax:tests-webhook-password"


@pytest.fixture
def staff(db) -> AbstractUser:
    return get_user_model().objects.create_user(
        "staffer", email="staffer@example.com", password=PASSWORD, is_staff=True
    )


@pytest.fixture
def alice(db) -> AbstractUser:
    return get_user_model().objects.create_user(
        "alice", email="alice@example.com", password=PASSWORD
    )


@pytest.fixture
def bob(db) -> AbstractUser:
    return get_user_model().objects.create_user("bob", email="bob@example.com", password=PASSWORD)


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


class TaskQueue:
    """The task queue, in memory: what requests enqueue waits until a test runs it."""

    def __init__(self) -> None:
        from huey.contrib.djhuey import HUEY
        from huey.storage import MemoryStorage

        self.huey = HUEY
        HUEY.storage = MemoryStorage(HUEY.name)

    def __len__(self) -> int:
        return self.huey.pending_count()

    def names(self) -> list[str]:
        return [task.name for task in self.huey.pending()]

    def run(self) -> int:
        """Run every queued task (and those they enqueue) here, as a consumer would, but in
        the test's database transaction (a consumer closes its connection around a task)."""
        from unittest import mock

        done = 0
        with mock.patch("huey.contrib.djhuey.close_old_connections"):
            while (task := self.huey.dequeue()) is not None:
                self.huey.execute(task)
                done += 1
        return done


@pytest.fixture(autouse=True)
def tasks() -> TaskQueue:
    return TaskQueue()


@pytest.fixture
def tasks_at_once(tasks):
    """Tasks run as soon as they are enqueued, in the request that enqueued them (for tests
    of what a send does rather than of how it is queued)."""
    from huey.storage import MemoryStorage

    tasks.huey.immediate = True
    yield tasks
    tasks.huey._immediate = False  # the setter would open the configured store
    tasks.huey.storage = MemoryStorage(tasks.huey.name)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default PBKDF2 work factor costs a third of a second per user created.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


API_URL = "https://api.drenfax.test"
ACCOUNT_ID = "6c838c7c-cb48-4763-84d6-233b5f8cf782"


@pytest.fixture
def api(settings):
    """The Drenfax API mocked at the HTTP layer (the portal's one mock point)."""
    import responses

    settings.DRENFAX_API_URL = API_URL
    settings.DRENFAX_API_KEY = "test-key"
    settings.DRENFAX_ACCOUNT_ID = ACCOUNT_ID
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sandbox(settings):
    """A fresh Drenfax sandbox in this process, with the portal's settings pointed at it."""
    from drenfax_portal.sandbox import start_sandbox

    with start_sandbox(strict=True, speed=50, history_rate="8/60") as running:
        settings.DRENFAX_API_URL = running.url
        settings.DRENFAX_API_KEY = running.api_key
        settings.DRENFAX_ACCOUNT_ID = running.account_id
        settings.DRENFAX_HISTORY_RATE = (8, 60.0)
        yield running


def history_calls(sandbox, status: str | None = None) -> int:
    """How many history calls the sandbox answered (with that status, if given)."""
    stats = sandbox.stats()
    if status is None:
        return stats["calls"].get("GET /v1/fax/history", 0)
    return stats["responses"].get("GET /v1/fax/history", {}).get(status, 0)
