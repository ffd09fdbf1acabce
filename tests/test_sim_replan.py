"""`optimal` re-plans at once when availability, a price or an outage changes, not only
on its schedule; `demand: forecast` looks ahead by the provisioning time."""

from __future__ import annotations

from pathlib import Path

import pytest

from simfiles import run, scenario, write
from tierplan.simulations import load_simulation
from tierplan.simulations.world import build_world


def test_a_drop_in_availability_is_replanned_at_once(tmp_path: Path) -> None:
    # 15 rps: two instances at the cheap cloud/a until its pool shrinks to none at 30 min
    out = run(tmp_path, {
        "duration": "1h", "provisioning": {"cloud": 0},
        "demand": [{"workload": "web", "client": "c", "pattern": {"kind": "step", "base_rps": 15}}],
        "events": [{"kind": "availability", "site": "cloud/a", "offering": "gpu",
                    "points": [{"at": 0, "available": 2}, {"at": "30m", "available": 0}]}],
        "policies": [{"kind": "optimal", "interval": "1h"}]})["optimal"]
    # the hourly plan would wait for step 60; the change at step 30 moves the load to cloud/b
    assert out.unserved_requests == 0.0
    assert out.total_cost_usd == pytest.approx(2 * 1.0 * 0.5 + 2 * 2.0 * 0.5)
    assert out.plan_calls == 2


def test_a_price_change_is_replanned_at_once(tmp_path: Path) -> None:
    out = run(tmp_path, {
        "duration": "1h", "provisioning": {"cloud": 0},
        "events": [{"kind": "price_change", "site": "cloud/a", "at": "30m", "factor": 3}],
        "policies": [{"kind": "optimal", "interval": "1h"}]})["optimal"]
    # 5 rps, one instance: $1/h at cloud/a, then cloud/a costs $3/h and cloud/b $2/h
    assert out.total_cost_usd == pytest.approx(0.5 * 1.0 + 0.5 * 2.0)
    assert out.slo_attainment_pct == 100.0


def test_changes_are_flagged_per_step(tmp_path: Path) -> None:
    path = write(tmp_path, {
        "duration": "1h", "policies": [{"kind": "static"}],
        "events": [{"kind": "price_change", "site": "cloud/a", "at": "10m", "factor": 2},
                   {"kind": "outage", "site": "cloud/b", "start": "20m", "end": "25m"},
                   {"kind": "availability", "site": "cloud/a", "offering": "gpu",
                    "points": [{"at": 0, "available": 3}, {"at": "40m", "available": 1}]}]},
        scenario(extra_sites=[{"name": "cloud/s", "tier": "cloud", "offerings": [
            {"name": "gpu", "accelerator": "L4", "accelerator_count": 1, "usd_per_hour": 1.0,
             "spot_usd_per_hour": 0.3}]}]))
    world = build_world(load_simulation(path))
    assert [int(t) for t in world.changed.nonzero()[0]] == [10, 20, 25, 40]


def test_forecast_with_a_boot_longer_than_the_interval_reaches_the_slo(tmp_path: Path) -> None:
    # demand doubles every 10 minutes for an hour; 5-minute boot, 5-minute plans
    levels = [{"at": f"{10 * i}m", "rps": 5 * 2 ** min(i, 3)} for i in range(1, 6)]
    out = run(tmp_path, {
        "duration": "1h", "provisioning": {"cloud": "5m"},
        "demand": [{"workload": "web", "client": "c",
                    "pattern": {"kind": "step", "base_rps": 5, "levels": levels}}],
        "policies": [{"kind": "optimal", "name": "forecast", "interval": "5m", "demand": "forecast"}]})
    assert out["forecast"].slo_attainment_pct == 100.0
