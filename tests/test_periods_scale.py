"""Plans over periods at scale (issue 23): merged groups get a plan, it passes the
independent checker, it is the same on every run, and on small cases it is the optimum
of one model of the whole scenario (``--strategy monolithic``, the oracle)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import offering, scenario, site
from tierplan import PlanOptions, plan
from tierplan.model import InferenceWorkload, Plan, Scenario
from tierplan.reports.document import plan_document
from tierplan.scheduler.check import check_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_periods import quarter

L4 = {"L4": {"rps": 10, "latency_ms": 20}}


def _contested(seed: int) -> Scenario:
    """A few services and jobs over 4 periods that all want the same two cheap edge
    servers: each one's own plan overbooks them, so the groups are merged and repaired."""
    rng = random.Random(seed)
    workloads: list[dict[str, Any]] = []
    for i in range(rng.randint(3, 5)):
        base = rng.uniform(4, 16)
        workloads.append({
            "name": f"svc{i}", "kind": "inference", "accelerators": L4,
            "demand_rps": {"munich": [round(base * (1 + 0.3 * p), 2) for p in range(4)]},
            "latency_slo_ms": 100, "team": rng.choice(["a", "b"])})
    for i in range(rng.randint(1, 2)):
        release = rng.choice([0, 25])
        workloads.append({
            "name": f"job{i}", "kind": "training", "accelerators": {"L4": 1.0},
            "work_hours": rng.randint(20, 60), "max_nodes": 2,
            "release_hours": release, "deadline_hours": release + rng.choice([50, 75]),
            "team": "a"})
    sites = [site("edge/munich", tier="edge", offerings=[
                 offering("l4", 0.4, available=2), offering("l4x", 0.9, available=1)]),
             site("aws/fra", provider="aws", offerings=[offering("g6", rng.uniform(1.0, 1.6))])]
    budgets = [{"name": "team-a", "team": "a", "limit_usd": rng.choice([700, 10_000])}]
    return scenario(sites, workloads, periods="25h", budgets=budgets)


@pytest.mark.integration
@pytest.mark.parametrize(("seed", "objective"), [*((s, "cost") for s in range(8)),
                                                 *((s, "latency") for s in range(4))])
def test_merged_groups_reach_the_optimum_of_one_model(seed: int, objective: str) -> None:
    sc = _contested(seed)
    oracle = plan(sc, PlanOptions(objective=objective, strategy="monolithic",  # type: ignore[arg-type]
                                  effort="high", explain=False))
    result = plan(sc, PlanOptions(objective=objective, explain=False))  # type: ignore[arg-type]
    assert oracle.status in ("optimal", "infeasible")
    assert result.status == oracle.status, result.diagnosis
    if oracle.status == "infeasible":
        return
    assert check_plan(sc, result) == []
    if objective == "latency":
        assert _latency(sc, result) == pytest.approx(_latency(sc, oracle), rel=2e-4)
    else:
        assert result.total_cost_usd == pytest.approx(oracle.total_cost_usd, rel=2e-4,
                                                       abs=0.01)


def _latency(sc: Scenario, result: Plan) -> float:
    """The plan's demand-weighted mean latency (the latency objective)."""
    demand = {(w.name, c): sum(w.demand_in(c, p) for p in range(len(sc.timeline)))
              for w in sc.workloads if isinstance(w, InferenceWorkload) for c in w.demand_rps}
    total = sum(demand.values())
    return sum(s.mean_ms * demand[(s.workload, s.client)] for s in result.latency) / total


def test_the_contested_cases_are_merged() -> None:
    """The cases above would test nothing if every workload planned alone fit: at least
    one of them has a group of several workloads."""
    merged = [plan(_contested(seed), PlanOptions(explain=False)).solver.components
              for seed in range(8)]
    assert any(c < len(_contested(s).workloads) for s, c in zip(range(8), merged, strict=True))


@pytest.mark.integration
def test_fifty_workloads_over_four_periods_get_a_checked_plan_the_same_every_run() -> None:
    """The benchmark's 50 workloads x 4 periods: one model of the merged group found no
    plan within the default effort; the repaired groups do, within a few per cent."""
    sc = quarter(50, 4)
    first = plan(sc, PlanOptions(explain=False, workers=1))
    assert first.status in ("optimal", "time_limit"), first.diagnosis
    assert first.placements
    assert check_plan(sc, first) == []
    assert first.solver.gap <= 0.05
    again = plan(sc, PlanOptions(explain=False, workers=2))
    assert _untimed(again) == _untimed(first)


def _untimed(result: Plan) -> str:
    """The plan as JSON, without its timing fields (wall seconds)."""
    doc = plan_document(result)
    for key in [k for k in doc["solver"] if "seconds" in k]:
        del doc["solver"][key]
    return json.dumps(doc, sort_keys=True)
