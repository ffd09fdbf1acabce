"""The fast path is exact: on random endpoints it reaches the planner's optimum.

Each case is one inference endpoint over up to 8 sites with random prices, capacities,
egress, reachability (SLO), limits, budgets, min_sites and running instances (churn).
The fast answer must be feasible, and its objective (cost + churn x instances moved) must
equal the planner's; replica counts may differ only between equal-cost optima.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from fakes_autoscale import CLOUD, EDGE, config_dict, write_setup
from tierplan import PlanOptions, parse_scenario, plan
from tierplan.autoscaler.config import load_config
from tierplan.autoscaler.fastpath import FastSizer
from tierplan.autoscaler.sizing import Sizer, churn_supported, size

CITIES = [(48.14, 11.58), (52.52, 13.40), (50.11, 8.68), (48.86, 2.35), (40.42, -3.70), (59.33, 18.07),
          (41.90, 12.50), (53.35, -6.26)]


def random_case(rng: random.Random):
    n_sites = rng.randint(1, 8)
    sites = []
    for i in range(n_sites):
        lat, lon = CITIES[i]
        accel = rng.choice(["L4", "A10G", "Jetson"])
        offering = {"name": "box", "accelerator": accel, "accelerator_count": rng.choice([1, 1, 2, 4]),
                    "usd_per_hour": round(rng.uniform(0.05, 3.0), 3)}
        if rng.random() < 0.3:
            offering["available"] = rng.randint(0, 4)
        sites.append({"name": f"s{i}", "tier": "cloud", "location": {"lat": lat, "lon": lon},
                      "egress_usd_per_gb": round(rng.choice([0, 0.02, 0.09]), 3), "offerings": [offering]})
    clients = [{"name": f"c{j}", "location": {"lat": CITIES[j][0], "lon": CITIES[j][1]}} for j in range(3)]
    workload = {"name": "ep", "kind": "inference",
                "accelerators": {"L4": {"rps": rng.choice([10, 25, 40]), "latency_ms": 20},
                                 "A10G": {"rps": rng.choice([15, 30]), "latency_ms": 25},
                                 "Jetson": {"rps": 6, "latency_ms": 40}},
                "demand_rps": {c["name"]: round(rng.uniform(0, 60), 1) for c in clients},
                "latency_slo_ms": rng.choice([45, 60, 80, 200]),
                "payload_kb": rng.choice([0, 20, 200]),
                "min_sites": rng.choice([1, 1, 1, 2]),
                "max_utilization": rng.choice([0.6, 0.8, 1.0])}
    if rng.random() < 0.3:
        workload["budget_usd"] = round(rng.uniform(1, 15), 2)
    scenario = replace(parse_scenario({"name": "r", "horizon_hours": 1, "sites": sites, "clients": clients,
                                       "workloads": [workload]}), horizon_hours=1.0)
    current = {s["name"]: rng.choice([0, 0, 1, 2, 3]) for s in sites}
    churn = rng.choice([0.0, 0.0, 0.02, 0.3])
    return scenario, current, churn


def objective(scenario, counts, cost, current, churn):
    return cost + churn * sum(abs(counts.get(s.name, 0) - current.get(s.name, 0)) for s in scenario.sites)


def feasible(scenario, counts) -> bool:
    """Capacity of the counts can carry every client's demand within the SLO (checked by an LP)."""
    w = scenario.workloads[0]
    fixed = replace(scenario, sites=tuple(
        replace(s, offerings=tuple(replace(o, available=counts.get(s.name, 0)) for o in s.offerings))
        for s in scenario.sites))
    return plan(fixed, PlanOptions(explain=False)).status != "infeasible" or not w.demand_rps


@pytest.mark.skipif(not churn_supported(), reason="the planner has no churn option to compare with")
@pytest.mark.parametrize("seed", range(60))
def test_fast_path_reaches_the_planners_optimum(seed):
    rng = random.Random(seed)
    scenario, current, churn = random_case(rng)
    w = scenario.workloads[0]
    fast = FastSizer().size(scenario, w, current, churn)
    running = {("ep", s, "box"): n for s, n in current.items()} if churn else {}
    options = PlanOptions(explain=False, gap=1e-9, churn_usd=churn, current_instances=running)
    slow = plan(scenario, options)
    if slow.status == "infeasible":
        assert fast.status == "infeasible"
        return
    assert fast.status == "optimal"
    planned: dict[str, int] = {}
    for p in slow.placements:
        planned[p.site] = planned.get(p.site, 0) + p.instances
    want = objective(scenario, planned, slow.total_cost_usd, current, churn)
    got = objective(scenario, fast.replicas, fast.cost_usd_per_hour, current, churn)
    assert got == pytest.approx(want, rel=1e-6, abs=1e-6)
    assert feasible(scenario, fast.replicas)
    if w.budget_usd is not None:
        assert fast.cost_usd_per_hour <= w.budget_usd + 1e-6
    assert sum(fast.replicas.values()) >= w.min_instances
    assert sum(1 for n in fast.replicas.values() if n > 0) >= (w.min_sites if w.demand_rps else 0)


@pytest.mark.parametrize("seed", range(40))
def test_saturate_serves_the_most_there_is_then_at_the_least_cost(seed):
    rng = random.Random(seed)
    scenario, current, churn = random_case(rng)
    w = scenario.workloads[0]
    w = replace(w, demand_rps={c: d * rng.choice([1, 3, 10]) for c, d in w.demand_rps.items()})
    scenario = replace(scenario, workloads=(w,))
    sizer = FastSizer()
    best = sizer.saturate(scenario, w, current, churn)
    whole = sizer.size(scenario, w, current, churn)
    if whole.status == "optimal":  # everything can be served: the same answer as size
        assert best.status == "optimal" and best.unmet == {}
        assert objective(scenario, best.replicas, best.cost_usd_per_hour, current, churn) == pytest.approx(
            objective(scenario, whole.replicas, whole.cost_usd_per_hour, current, churn), rel=1e-6, abs=1e-6)
        return
    if best.status != "optimal":  # min_sites or the budget cannot be met even at no demand
        assert sizer.saturate(replace(scenario, workloads=(replace(w, demand_rps={}),)),
                              replace(w, demand_rps={}), current, churn).status != "optimal"
        return
    assert best.unmet  # some demand is left, and what is served fits the counts found
    served = {c: d - best.unmet.get(c, 0.0) for c, d in w.demand_rps.items()}
    assert all(v >= -1e-6 for v in served.values())
    rest = replace(w, demand_rps={c: max(0.0, v - 1e-3) for c, v in served.items()})
    assert feasible(replace(scenario, workloads=(rest,)), best.replicas)
    # and no plan serves more: one more rps for a client with demand left is infeasible
    for c in best.unmet:
        more = replace(w, demand_rps={**served, c: served[c] + min(1.0, best.unmet[c])})
        assert sizer.size(replace(scenario, workloads=(more,)), more, current, churn).status != "optimal"


def test_the_sizer_uses_the_fast_path_and_agrees_with_the_planner(tmp_path):
    config = load_config(write_setup(tmp_path))
    sizer = Sizer()
    for demand in ({"munich": 6, "berlin": 4}, {"munich": 10, "berlin": 5}, {"munich": 30, "berlin": 10}):
        fast = sizer(config, {"detector": demand}, {})
        slow = size(config, {"detector": demand}, {})
        assert fast.method == "fast" and slow.method == "planner"
        assert fast.replicas == slow.replicas
        assert fast.cost_usd_per_hour == pytest.approx(slow.cost_usd_per_hour)
    assert set(fast.replicas) == {("detector", EDGE), ("detector", CLOUD)}


def test_budgets_or_shared_limited_offerings_send_endpoints_to_the_planner(tmp_path):
    config = load_config(write_setup(tmp_path, config_dict(budget_usd_per_hour=5)))
    assert Sizer()(config, {"detector": {"munich": 5, "berlin": 0}}, {}).method == "planner"
    config = load_config(write_setup(tmp_path, config_dict(sizing="planner")))
    assert Sizer()(config, {"detector": {"munich": 5, "berlin": 0}}, {}).method == "planner"


def test_demand_beyond_max_replicas_gets_every_site_at_its_max_and_the_unmet_rps(tmp_path):
    config = config_dict()
    for s in config["endpoints"][0]["sites"]:
        s["max_replicas"] = 1
    loaded = load_config(write_setup(tmp_path, config))
    assert {o.available for s in loaded.scenario.sites for o in s.offerings} == {1}
    # far more than a Jetson (4.8 rps) and an L4 (32 rps) carry: both at their maximum, the
    # rest reported as unmet with the planner's diagnosis; the endpoint is not held
    result = Sizer()(loaded, {"detector": {"munich": 500, "berlin": 0}}, {})
    assert result.replicas == {("detector", EDGE): 1, ("detector", CLOUD): 1}
    assert result.infeasible == {} and "munich" in result.unmet_why["detector"]
    assert result.unmet == {"detector": {"munich": pytest.approx(500 - 4.8 - 32)}}
    assert result.cost_usd_per_hour == pytest.approx(1.05)


def test_keeping_running_replicas_can_be_cheaper_than_the_churn_of_removing_them():
    # 25 rps needs 4 replicas of 8 rps; 6 run now. Removing two costs 2 x $1 of churn,
    # keeping them $0.10/h each: the optimum keeps all six (objective 0.6 against 2.4).
    sc = replace(parse_scenario({
        "name": "keep", "horizon_hours": 1,
        "sites": [{"name": "s0", "tier": "cloud", "location": {"lat": 48.1, "lon": 11.6},
                   "offerings": [{"name": "g", "accelerator": "L4", "usd_per_hour": 0.1}]}],
        "clients": [{"name": "munich", "location": {"lat": 48.1, "lon": 11.6}}],
        "workloads": [{"name": "svc", "kind": "inference",
                       "accelerators": {"L4": {"rps": 10, "latency_ms": 20}},
                       "demand_rps": {"munich": 25}, "latency_slo_ms": 100}]}), horizon_hours=1.0)
    result = FastSizer().size(sc, sc.workloads[0], {"s0": 6}, 1.0)
    assert result.replicas == {"s0": 6} and result.cost_usd_per_hour == pytest.approx(0.6)
    assert FastSizer().size(sc, sc.workloads[0], {"s0": 6}, 0.05).replicas == {"s0": 4}
