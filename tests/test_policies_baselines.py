"""Greedy baselines and training placement, checked against hand-sized answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tierplan.policies import make_policy
from tierplan.policies.base import JobRequest, Observation, observed_peak, window_peak
from tierplan.policies.greedy import cheapest_job_choice
from tierplan.simulations import load_simulation
from tierplan.simulations.world import World, build_world


def world(tmp_path: Path, min_sites: int = 1, demand: float = 15.0) -> World:
    def gpu(acc: str, usd: float, **extra: Any) -> dict[str, Any]:
        return {"name": "gpu", "accelerator": acc, "accelerator_count": 1, "usd_per_hour": usd, **extra}

    scen = {
        "name": "tiers",
        "network": {"latency_ms": [{"client": "c", "site": s, "ms": 10}
                                   for s in ("cloud/a", "cloud/b", "edge/x", "onprem/dc")]},
        "sites": [
            {"name": "cloud/a", "tier": "cloud", "offerings": [gpu("L4", 1.0)]},  # $0.10 per rps
            {"name": "cloud/b", "tier": "cloud", "offerings": [gpu("L4", 2.0)]},  # $0.20 per rps
            {"name": "edge/x", "tier": "edge", "offerings": [gpu("Orin", 0.5, available=2)]},  # $0.25 per rps
            {"name": "onprem/dc", "tier": "onprem", "offerings": [
                {"name": "dgx", "accelerator": "A100", "accelerator_count": 8, "usd_per_hour": 10.0,
                 "available": 1}]},
        ],
        "clients": [{"name": "c"}],
        "workloads": [
            {"name": "web", "kind": "inference", "latency_slo_ms": 100, "max_utilization": 1.0,
             "min_sites": min_sites, "demand_rps": {"c": demand},
             "accelerators": {"L4": {"rps": 10, "latency_ms": 20}, "Orin": {"rps": 2, "latency_ms": 30}}},
            {"name": "train", "kind": "training", "accelerators": {"A100": 1.0, "L4": 0.25},
             "work_hours": 8, "min_accelerators": 1, "deadline_hours": 4},
        ],
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scen))
    (tmp_path / "sim.yaml").write_text(yaml.safe_dump({"name": "t", "scenario": "s.yaml", "duration": "1h",
                                                       "step": "60s", "policies": [{"kind": "greedy"}]}))
    return build_world(load_simulation(tmp_path / "sim.yaml"))


def start(w: World, step: int = 0, down: frozenset[str] = frozenset()) -> Observation:
    return Observation(step, step * w.step_s, {}, tuple(w.available), down)


@pytest.mark.parametrize(("kind", "expected"), [
    # 15 rps: two 10-rps instances at the cheapest capacity per rps
    ("greedy", {("web", "cloud/a", "gpu"): 2}),
    ("cloud_only", {("web", "cloud/a", "gpu"): 2}),
    # the edge first, both Orins (4 rps), then 11 rps on cloud/a: two instances
    ("edge_first", {("web", "edge/x", "gpu"): 2, ("web", "cloud/a", "gpu"): 2}),
])
def test_greedy_kinds_size_by_hand(tmp_path: Path, kind: str, expected: dict[Any, int]) -> None:
    w = world(tmp_path)
    assert make_policy(kind, kind, {}).decide(w, start(w)) == expected


def test_greedy_meets_min_sites_and_avoids_down_sites(tmp_path: Path) -> None:
    w = world(tmp_path, min_sites=2)
    policy = make_policy("greedy", "g", {"interval": 1 / 60})
    # one more instance at the cheapest other site (cloud/b)
    assert policy.decide(w, start(w)) == {("web", "cloud/a", "gpu"): 2, ("web", "cloud/b", "gpu"): 1}
    assert policy.decide(w, start(w, 1, frozenset({"cloud/a"}))) == {
        ("web", "cloud/b", "gpu"): 2, ("web", "edge/x", "gpu"): 1}


def test_greedy_decides_on_its_interval_only(tmp_path: Path) -> None:
    w = world(tmp_path)
    policy = make_policy("greedy", "g", {"interval": 5 / 60})
    assert policy.decide(w, start(w, 0)) is not None
    assert policy.decide(w, start(w, 3)) is None
    assert policy.decide(w, start(w, 5)) is not None


def test_observed_demand_looks_back_and_forecast_ahead(tmp_path: Path) -> None:
    w = world(tmp_path)
    w.demand["web", "c"][:] = range(w.steps)  # 0, 1, 2, ... rps
    obs = start(w, 10)
    assert observed_peak(w, obs, 5) == {("web", "c"): 9.0}  # steps 5..9
    assert window_peak(w, 10, 15) == {("web", "c"): 14.0}
    assert observed_peak(w, start(w, 0), 5) == {("web", "c"): 0.0}


def test_training_goes_to_the_cheapest_option_that_meets_the_deadline(tmp_path: Path) -> None:
    w = world(tmp_path)
    job = JobRequest(0, w.training("train"), 8.0, 0.0, 4 * 3600.0)
    # DGX: 8 A100-h / 8 = 1 h for $10; one L4 at 0.25: 32 h, too slow for the deadline
    choice = cheapest_job_choice(w, job, start(w))
    assert choice is not None and (choice.site, choice.offering, choice.nodes) == ("onprem/dc", "dgx", 1)
    # the DGX is taken: nothing meets the deadline, so the fastest option (an L4 at cloud/a, the
    # cheaper of the two at the same speed) is used
    busy = Observation(0, 0.0, {}, tuple(0 if a == 1 else a for a in w.available), frozenset())
    choice = cheapest_job_choice(w, job, busy)
    assert choice is not None and (choice.site, choice.nodes) == ("cloud/a", 1)
    assert cheapest_job_choice(w, job, busy, tiers=("edge",)) is None
