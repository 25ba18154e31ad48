"""Background tasks: one sync step at a time, backfills go on, chores run as tasks."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from huey.contrib.djhuey import HUEY

from faxes.models import Fax
from faxes.tasks import sync_periodic, sync_step
from tests.conftest import history_calls

pytestmark = pytest.mark.django_db


def test_sync_faxes_once_runs_a_step_each_time_it_is_called(sandbox):
    sandbox.seed(30, days=5)
    for _ in range(2):
        out = StringIO()
        call_command("sync_faxes", "--once", stdout=out)
        assert "history call(s)" in out.getvalue()
    assert Fax.objects.count() == 30


def test_a_step_does_nothing_while_another_one_runs(sandbox):
    with HUEY.lock_task("sync"):
        assert sync_step() is None
        with pytest.raises(CommandError, match="running elsewhere"):
            call_command("sync_faxes", "--once", stdout=StringIO())
    assert history_calls(sandbox) == 0
    assert sync_step() is not None


def test_a_backfill_longer_than_a_window_goes_on_in_a_scheduled_task(sandbox, settings, tasks):
    settings.DRENFAX_HISTORY_RATE = (1, 60.0)
    sandbox.seed(1200, days=20)
    sync_periodic.call_local()
    assert Fax.objects.count() == 500
    assert tasks.names() == ["sync_requested"]


def test_the_refresh_button_enqueues_a_step_and_returns_at_once(alice_client, sandbox, tasks):
    response = alice_client.post("/faxes/refresh/")
    assert response.status_code == 302
    assert history_calls(sandbox) == 0
    assert tasks.names() == ["sync_requested"]
    sandbox.seed(3, days=1)
    tasks.run()
    assert Fax.objects.count() == 3
