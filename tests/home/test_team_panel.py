"""The home page's team panel: what is assigned to me, and what nobody has taken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from faxes.models import Fax, TeamState
from tests.factories import make_fax, make_number

pytestmark = pytest.mark.django_db


def test_home_lists_my_faxes_and_the_unassigned_received_lately(alice_client, alice, bob):
    make_number("+12065550100", alice)
    make_number("+13125550100", bob)
    now = timezone.now()

    def received(number="+12065550100", days=0, **fields):
        fax = make_fax(
            direction="inbound",
            status="success",
            faxNumber=number,
            faxCsid=fields.pop("csid"),
            createdAt=(now - timedelta(days=days)).isoformat(),
        )
        Fax.objects.filter(pk=fax.pk).update(**fields)
        return fax

    received(csid="MINE", team_state=TeamState.ASSIGNED, assignee=alice)
    # Archived, it is out of My faxes in the history too, where "All my faxes" leads.
    received(csid="PUT AWAY", team_state=TeamState.ASSIGNED, assignee=alice, is_archived=True)
    received(csid="WAITING")
    received(csid="OLD WAITING", days=20)
    received(csid="BOBS", number="+13125550100")
    received(csid="FINISHED", team_state=TeamState.DONE)
    page = alice_client.get("/").text
    mine, unassigned = page.split('id="team-title"')[1].split("Unassigned inbound")
    assert "MINE" in mine and "WAITING" not in mine and "PUT AWAY" not in mine
    unassigned = unassigned.split("</section>")[0]
    assert "WAITING" in unassigned
    for absent in ("OLD WAITING", "BOBS", "FINISHED", "MINE"):
        assert absent not in unassigned, absent


def test_the_team_panel_refreshes_alone(alice_client, alice):
    response = alice_client.get("/", headers={"HX-Request": "true", "HX-Target": "team"})
    assert response.text.lstrip().startswith('<section id="team"')
