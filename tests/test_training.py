"""Training options on tiny scenarios (horizon 100 h unless said otherwise)."""

import pytest

from conftest import FRANKFURT, offering, placements, scenario, site, solve, training

A100 = {"A100": 1.0, "L4": 0.3}


def sites_a100_l4(**l4_extra):
    return [site("a", offerings=[offering("a100", 4.0, accelerator="A100"),
                                 offering("l4", 0.8, **l4_extra)])]


def only(result):
    (p,) = result.placements
    return p


def test_slow_cheap_accelerator_wins_without_deadline(solver):
    # A100: 30 h * $4 = $120.  L4: 30 / 0.3 = 100 h * $0.8 = $80 (fits the 100 h horizon).
    p = only(solve(scenario(sites_a100_l4(), [training(accelerators=A100, work_hours=30)]),
                   solver=solver))
    assert (p.offering, p.instances, p.compute_hours) == ("l4", 1, pytest.approx(100.0))
    assert p.cost_usd == pytest.approx(80.0)


def test_deadline_picks_multi_node(solver):
    # Deadline 50 h. L4 x1 takes 100 h: too slow. L4 x3: speed 3 * 0.3 * 0.9 = 0.81 ->
    # 37.04 h * 3 * $0.8 = $88.89 < A100 $120. L4 x2: 30 / 0.54 = 55.6 h: too slow.
    sc = scenario(sites_a100_l4(),
                  [training(accelerators=A100, work_hours=30, deadline_hours=50, max_nodes=3)])
    p = only(solve(sc, solver=solver))
    assert (p.offering, p.instances) == ("l4", 3)
    assert p.compute_hours == pytest.approx(30 / 0.81)
    assert p.cost_usd == pytest.approx(3 * 0.8 * 30 / 0.81)


def test_deadline_as_duration_string(solver):
    sc = scenario(sites_a100_l4(),
                  [training(accelerators=A100, work_hours=30, deadline_hours="2h")])
    result = solve(sc, solver=solver)
    assert result.status == "infeasible"
    assert "deadline of 2 h" in result.diagnosis[0]
    assert "30.00 h compute" in result.diagnosis[0]  # fastest: A100, 30 h


def test_spot_adds_overhead_and_uses_spot_price(solver):
    # L4 spot $0.3: 1 node 100 h * 1.1 = 110 h > horizon 100 -> not allowed.
    # 2 nodes: 30 / 0.54 = 55.56 h * 1.1 = 61.11 h, cost 2 * 0.3 * 61.11 = $36.67.
    sc = scenario(sites_a100_l4(spot_usd_per_hour=0.3),
                  [training(accelerators=A100, work_hours=30, spot=True, max_nodes=2)])
    p = only(solve(sc, solver=solver))
    assert (p.offering, p.instances, p.purchase) == ("l4", 2, "spot")
    assert p.compute_hours == pytest.approx(30 / 0.54 * 1.1)
    assert p.cost_usd == pytest.approx(2 * 0.3 * 30 / 0.54 * 1.1)


def test_spot_only_when_allowed(solver):
    sc = scenario(sites_a100_l4(spot_usd_per_hour=0.3),
                  [training(accelerators=A100, work_hours=30)])
    assert only(solve(sc, solver=solver)).purchase == "on-demand"


def test_min_accelerators_per_node(solver):
    sc = scenario([site("a", offerings=[offering("a100x1", 4.0, accelerator="A100"),
                                        offering("a100x8", 40.0, accelerator="A100", count=8)])],
                  [training(accelerators={"A100": 1.0}, work_hours=80, min_accelerators=8)])
    p = only(solve(sc, solver=solver))
    assert (p.offering, p.compute_hours, p.cost_usd) == ("a100x8", 10.0, pytest.approx(400.0))


def test_dataset_transfer_time_and_egress(solver):
    # 150 GB from a (egress $0.09, 10 Gbps) to b (1 Gbps): 150 * 8 / (1 * 3600) = 0.333 h,
    # $13.50. Train at a: 10 h * $2 = $20; at b: 10 h * $0.5 + $13.50 = $18.50 -> b.
    sc = scenario(
        [site("a", egress_usd_per_gb=0.09, offerings=[offering("l4", 2.0)]),
         site("b", location=FRANKFURT, bandwidth_gbps=1, offerings=[offering("l4", 0.5)])],
        [training(work_hours=10, datasets=["data"])],
        datasets=[{"name": "data", "size_gb": 150, "site": "a"}],
    )
    p = only(solve(sc, solver=solver))
    assert p.site == "b"
    assert p.transfer_hours == pytest.approx(150 * 8 / 3600)
    assert p.transfer_usd == pytest.approx(13.5)
    assert p.cost_usd == pytest.approx(18.5)


def test_transfer_time_counts_against_the_deadline(solver):
    # Same as above with a 10.2 h deadline: b needs 10.33 h -> a.
    sc = scenario(
        [site("a", egress_usd_per_gb=0.09, offerings=[offering("l4", 2.0)]),
         site("b", location=FRANKFURT, bandwidth_gbps=1, offerings=[offering("l4", 0.5)])],
        [training(work_hours=10, datasets=["data"], deadline_hours=10.2)],
        datasets=[{"name": "data", "size_gb": 150, "site": "a"}],
    )
    assert only(solve(sc, solver=solver)).site == "a"


def test_dataset_jurisdiction_keeps_data_home(solver):
    sc = scenario(
        [site("us", jurisdiction="US", offerings=[offering("l4", 0.1)]),
         site("de", jurisdiction="DE", offerings=[offering("l4", 1.0)])],
        [training(work_hours=10, datasets=["eu-data"])],
        datasets=[{"name": "eu-data", "size_gb": 1, "site": "de", "jurisdictions": ["EU"]}],
    )
    assert only(solve(sc, solver=solver)).site == "de"


def test_max_nodes_respects_available(solver):
    # available 2 caps nodes at 2 even with max_nodes 4; deadline 6 h needs >= 2 nodes.
    sc = scenario([site("a", offerings=[offering("l4", 1.0, available=2)])],
                  [training(work_hours=10, max_nodes=4, deadline_hours=6)])
    p = only(solve(sc, solver=solver))
    assert p.instances == 2 and p.compute_hours == pytest.approx(10 / 1.8)
    assert placements(solve(sc, solver=solver)) == [("a", "l4", 2)]


def test_latency_objective_on_jobs_alone_breaks_ties_by_cost(solver):
    # Latency counts inference traffic only, so with two jobs and no inference the first
    # objective is empty and everything is decided by the cost tie-break. Each job needs
    # 60 h of the one cheap L4 ($1/h, 100 instance-hours in the 100 h horizon): they
    # cannot both have it and are solved together; the other goes to the $2/h site.
    # Cost: 60 x $1 + 60 x $2 = $180.
    sc = scenario([site("cheap", offerings=[offering("l4", 1.0, available=1)]),
                   site("dear", offerings=[offering("l4", 2.0)])],
                  [training("a", work_hours=60), training("b", work_hours=60)], objective="latency")
    result = solve(sc, solver=solver)
    assert result.status == "optimal"
    assert sorted(p.site for p in result.placements) == ["cheap", "dear"]
    assert result.total_cost_usd == pytest.approx(180.0)
