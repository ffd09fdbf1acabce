"""Plans over periods pause Python's cyclic garbage collector while they are made and
leave the caller's setting as it was (see :func:`tierplan.scheduler.periodic.plan_periods`)."""

from __future__ import annotations

import gc

import pytest

from conftest import inference, offering, scenario, site
from tierplan import PlanOptions, plan
from tierplan.model import Scenario
from tierplan.scheduler import periodic


def _two_periods() -> Scenario:
    return scenario([site("aws/fra", provider="aws", offerings=[offering("g6", 1.2)])],
                    [inference(demand={"munich": [10, 20]})], horizon_hours=48, periods="24h")


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_off_while_planning_and_as_it_was_after(monkeypatch, enabled):
    seen = []
    real = periodic._plan_periods

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(periodic, "_plan_periods", spy)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        result = plan(_two_periods(), PlanOptions(explain=False))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert seen == [False]
    assert result.status == "optimal"
