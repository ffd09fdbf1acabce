"""Shared capacity, budgets and independent components: whole plans."""

import pytest

from conftest import (
    FRANKFURT,
    inference,
    offering,
    placements,
    scenario,
    site,
    solve,
    training,
)
from tierplan import PlanOptions, plan


def test_inference_and_training_share_limited_capacity(solver):
    # onprem has 1 L4 for the whole 100 h horizon. Inference (8 rps, one instance)
    # takes all 100 instance-hours, so training must go to the dearer cloud.
    # Inference on cloud would cost 100 * $2 = $200, training 10 h * $2 = $20 -> keep
    # inference on-prem: $10 + $20 = $30 against $200 + $1 = $201.
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=1)]),
             site("cloud", offerings=[offering("l4", 2.0)])]
    sc = scenario(sites, [inference(demand={"munich": 8}), training(work_hours=10)])
    result = solve(sc, solver=solver)
    assert placements(result, "svc") == [("onprem", "l4", 1)]
    assert placements(result, "job") == [("cloud", "l4", 1)]
    assert result.total_cost_usd == pytest.approx(30.0)


def test_training_uses_leftover_instance_hours(solver):
    # available 2: inference holds one instance for 100 h; the other runs the job.
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=2)]),
             site("cloud", offerings=[offering("l4", 2.0)])]
    sc = scenario(sites, [inference(demand={"munich": 8}), training(work_hours=10)])
    result = solve(sc, solver=solver)
    assert placements(result, "job") == [("onprem", "l4", 1)]
    assert result.total_cost_usd == pytest.approx(10.0 + 1.0)


def test_two_jobs_share_instance_hours(solver):
    # One L4 on-prem for 100 h: two 60 h jobs cannot both fit; one goes to the cloud.
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=1)]),
             site("cloud", offerings=[offering("l4", 2.0)])]
    sc = scenario(sites, [training("j1", work_hours=60), training("j2", work_hours=60)])
    result = solve(sc, solver=solver)
    assert sorted(p.site for p in result.placements) == ["cloud", "onprem"]
    assert result.total_cost_usd == pytest.approx(6.0 + 120.0)


def test_filtered_budget_by_tier_moves_work(solver):
    # Edge is cheapest, but the edge budget ($50) only pays for 1 of the 2 instances.
    sites = [site("edge", tier="edge", offerings=[offering("l4", 0.5)]),
             site("cloud", location=FRANKFURT, offerings=[offering("l4", 1.0)])]
    sc = scenario(sites, [inference(demand={"munich": 16})],
                  budgets=[{"name": "edge", "tier": "edge", "limit_usd": 50}])
    result = solve(sc, solver=solver)
    assert placements(result) == [("cloud", "l4", 1), ("edge", "l4", 1)]
    assert result.total_cost_usd == pytest.approx(150.0)
    (use,) = result.budgets
    assert use.binding and use.used_usd == pytest.approx(50.0)


def test_team_and_kind_budgets_match_their_placements(solver):
    sites = [site("a", offerings=[offering("l4", 1.0)])]
    sc = scenario(sites, [inference(team="vision"), training(team="nlp", work_hours=10)],
                  budgets=[{"name": "vision", "team": "vision", "limit_usd": 1000},
                           {"name": "training", "kind": "training", "limit_usd": 1000}])
    result = solve(sc, solver=solver)
    used = {b.name: b.used_usd for b in result.budgets}
    assert used == {"vision": pytest.approx(200.0), "training": pytest.approx(10.0)}


def test_workloads_are_joined_only_when_a_shared_limit_binds(solver):
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=1)]),
             site("cloud", offerings=[offering("l4", 2.0)])]
    services = [inference("s1", demand={}), inference("s2", demand={})]
    # A loose total budget couples everything on paper but binds nothing: 4 blocks.
    loose = solve(scenario(sites, [*services, training("j1", work_hours=40),
                                   training("j2", work_hours=40)],
                           budgets=[{"name": "total", "limit_usd": 10_000}]), solver=solver)
    assert loose.solver.components == 4
    assert loose.total_cost_usd == pytest.approx(8.0)  # both jobs fit the on-prem L4
    # Two 60 h jobs both want the one on-prem L4 (100 h): alone, each takes it; together
    # they break its capacity, so they are joined and re-solved: one moves to the cloud.
    tight = solve(scenario(sites, [*services, training("j1", work_hours=60),
                                   training("j2", work_hours=60)],
                           budgets=[{"name": "total", "limit_usd": 10_000}]), solver=solver)
    assert tight.solver.components == 3
    assert tight.total_cost_usd == pytest.approx(6.0 + 120.0)


def test_a_binding_budget_joins_the_workloads_it_covers(solver):
    # Latency objective: alone, each service takes the near site ($200 each). Together
    # they break the $300 total budget, so they are solved jointly: one moves to "mid".
    sites = [site("near", offerings=[offering("l4", 2.0)]),
             site("mid", location=FRANKFURT, offerings=[offering("l4", 1.0)])]
    sc = scenario(sites, [inference("s1", demand={"munich": 8}),
                          inference("s2", demand={"munich": 8})],
                  objective="latency", budgets=[{"name": "total", "limit_usd": 300}])
    result = solve(sc, solver=solver)
    assert result.solver.components == 1
    assert sorted(p.site for p in result.placements) == ["mid", "near"]
    assert result.total_cost_usd == pytest.approx(300.0)


def test_budget_shadow_price_under_latency_objective():
    # Latency objective with a binding budget: the fixed-integer LP prices the budget.
    # min_sites 2: one instance at each site, $200. All 8 rps at "near" would add
    # 8 * 3600 * 100 * 10 KB = 28.8 GB * $1 = $28.80 of egress; the $210 budget allows
    # $10 of it (2.78 rps), so one more dollar buys lower latency: a negative price.
    sites = [site("near", egress_usd_per_gb=1.0, offerings=[offering("l4", 1.0)]),
             site("mid", location=FRANKFURT, offerings=[offering("l4", 1.0)])]
    sc = scenario(sites, [inference(demand={"munich": 8}, payload_kb=10, min_sites=2,
                                    budget_usd=210)], objective="latency")
    result = plan(sc, PlanOptions())
    (b,) = [b for b in result.binding if b.kind == "workload_budget"]
    assert b.shadow_price is not None and b.shadow_price < 0  # more budget, less latency
    near = next(p for p in result.placements if p.site == "near")
    assert near.traffic_rps["munich"] == pytest.approx(8 * 10 / 28.8)
