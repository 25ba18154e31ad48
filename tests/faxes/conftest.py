"""Fixtures shared by the fax tests."""

from __future__ import annotations

import pytest

from tests.factories import make_fax, make_number


@pytest.fixture
def received(alice, bob):
    make_number("+12065550100", alice)
    make_number("+13125550100", bob)
    return make_fax(
        direction="inbound",
        status="success",
        faxNumber="+12065550100",
        faxCallerId="+17185550111",
        faxCsid="MERCY CLINIC",
    )
