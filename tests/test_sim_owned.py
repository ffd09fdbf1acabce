"""The simulator and the autoscaler read owned hardware as the planner does (SPEC 5.3): under
owned_cost: sunk an owned instance-hour costs its power, so the optimal policy (and
greedy, by price) uses an owned box already paid for before renting; under amortised
it costs fixed + power and the cheaper rent wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from simfiles import run, scenario

STEP_H = 1 / 60
OWNED = {"name": "onprem/x", "tier": "onprem", "offerings": [
    {"name": "box", "accelerator": "L4", "accelerator_count": 1, "available": 1,
     "fixed_usd_per_hour": 3.0, "usd_per_hour": 0.5}]}
SIM = {"duration": "2h",
       "demand": [{"workload": "web", "client": "c",
                   "pattern": {"kind": "step", "base_rps": 5, "levels": []}}],
       "policies": [{"kind": "optimal", "interval": "1h"}, {"kind": "greedy", "interval": "1m"}]}


@pytest.mark.parametrize(("owned_cost", "site", "usd_per_hour"),
                         [("sunk", "onprem/x", 0.5), ("amortised", "cloud/a", 1.0)])
def test_optimal_prefers_owned_capacity_already_paid_for(
        tmp_path: Path, owned_cost: str, site: str, usd_per_hour: float) -> None:
    # 5 rps fits one 10-rps instance: the owned box at $0.50/h of power (sunk), or
    # cloud/a at $1/h against the box's $3.50/h amortised rate.
    scen = {**scenario(extra_sites=[OWNED]), "owned_cost": owned_cost}
    for policy, out in run(tmp_path, SIM, scen).items():
        assert list(out.series[f"instances:{site}"]) == [1.0] * 120, policy
        assert out.total_cost_usd == pytest.approx(2 * usd_per_hour), policy


@pytest.mark.parametrize(("owned_cost", "usd_per_hour"), [("sunk", 0.01), ("amortised", 0.05)])
def test_the_autoscaler_prices_an_owned_replica_at_its_power_under_sunk(
        tmp_path: Path, owned_cost: str, usd_per_hour: float) -> None:
    """The autoscaler's sites read the scenario as the planner does: an owned Jetson
    ($0.04/h fixed, $0.01/h power) costs its power per replica-hour under sunk, fixed +
    power under amortised."""
    import copy

    from fakes_autoscale import EDGE, SCENARIO, write_setup
    from tierplan.autoscaler.config import load_config

    scenario = copy.deepcopy(SCENARIO)
    scenario["owned_cost"] = owned_cost
    scenario["sites"][0]["offerings"][0] = {
        "name": "orin", "accelerator": "Jetson-AGX-Orin", "available": 3,
        "fixed_usd_per_hour": 0.04, "usd_per_hour": 0.01}
    config = load_config(write_setup(tmp_path, scenario=scenario))
    (edge,) = [s for s in config.endpoints[0].sites if s.site == EDGE]
    assert edge.usd_per_hour == pytest.approx(usd_per_hour)
