"""Infeasible scenarios say why, with the numbers; binding constraints are reported."""

from conftest import VIRGINIA, inference, offering, scenario, site, solve, training


def test_client_out_of_reach_names_the_nearest_site(solver):
    sc = scenario([site("aws/us-east-1", location=VIRGINIA, offerings=[offering("l4", 1)])],
                  [inference("defect-detector", slo=80)])
    result = solve(sc, solver=solver)
    assert result.status == "infeasible"
    (reason,) = result.diagnosis
    assert reason.startswith("defect-detector: no eligible offering is within 80 ms of client "
                             "munich; nearest is aws/us-east-1 at ")
    assert "incl. 20 ms service" in reason


def test_budget_below_cheapest_plan_names_both_numbers(solver):
    # 70 rps / 8 -> 9 instances * $1 * 100 h = $900 > $500.
    sc = scenario([site("a", offerings=[offering("l4", 1.0)])],
                  [inference(demand={"munich": 70})],
                  budgets=[{"name": "total", "limit_usd": 500}])
    result = solve(sc, solver=solver)
    assert result.status == "infeasible"
    assert result.diagnosis == (
        "budget total ($500.00) is below the cheapest plan that meets every SLO ($900.00) "
        "(amounts over the 100 h horizon)",)


def test_workload_budget_below_cheapest(solver):
    sc = scenario([site("a", offerings=[offering("l4", 1.0)])],
                  [inference(demand={"munich": 70}, budget_usd=100)])
    result = solve(sc, solver=solver)
    assert result.diagnosis == ("svc: budget_usd ($100.00) is below the cheapest plan that "
                                "meets every SLO ($900.00) (amounts over the 100 h horizon)",)


def test_training_budget_below_cheapest_option(solver):
    sc = scenario([site("a", offerings=[offering("l4", 1.0)])],
                  [training(work_hours=10, budget_usd=5)])
    (reason,) = solve(sc, solver=solver).diagnosis
    assert reason == ("job: budget_usd ($5.00) is below its cheapest option ($10.00: 1 x l4 at a) "
                      "(amounts over the 100 h horizon)")


def test_capacity_shortfall_is_quantified(solver):
    # Two jobs need 60 h each of the one L4 that exists for 100 h: 1.2 instances on average.
    sc = scenario([site("onprem", tier="onprem", offerings=[offering("l4", 1.0, available=1)])],
                  [training("j1", work_hours=60), training("j2", work_hours=60)])
    result = solve(sc, solver=solver)
    assert result.status == "infeasible"
    assert result.diagnosis == ("onprem/l4: available is 1 but the plan needs 1.20 instances "
                                "(averaged over the horizon); raise available or admit other "
                                "sites",)


def test_no_eligible_offering(solver):
    sc = scenario([site("a", offerings=[offering("t4", 1.0, accelerator="T4")])], [inference()])
    (reason,) = solve(sc, solver=solver).diagnosis
    assert reason == ("svc: none of its accelerators (L4) is offered at the 1 admitted site(s); "
                      "add an offering or another accelerator")


def test_filters_admit_no_site(solver):
    sc = scenario([site("a", tier="cloud", offerings=[offering("l4", 1.0)])],
                  [inference(tiers=["edge"])])
    (reason,) = solve(sc, solver=solver).diagnosis
    assert "no site is admitted by tiers ['edge']" in reason


def test_min_sites_more_than_sites(solver):
    sc = scenario([site("a", offerings=[offering("l4", 1.0)])], [inference(min_sites=2)])
    (reason,) = solve(sc, solver=solver).diagnosis
    assert reason == "svc: min_sites is 2 but only 1 site(s) have an eligible offering (a)"
