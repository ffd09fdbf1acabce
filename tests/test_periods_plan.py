"""Plans over periods (SPEC 5.2-5.5): capacity per period, training windows, owned
hardware as committed cost, buying, per-period budgets and diagnoses naming periods.
Every plan here is also verified by the independent checker (conftest.solve)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from conftest import FRANKFURT, inference, offering, scenario, site, solve, training
from tierplan import PlanOptions, plan
from tierplan.reports.document import plan_document
from tierplan.scheduler.budget import WorkClock
from tierplan.scheduler.check import check_plan
from tierplan.scheduler.periodic import plan_periods
from tierplan.scheduler.strategy import Problem

DGX = {"name": "dgx", "accelerator": "H100", "accelerator_count": 8, "available": 4,
       "fixed_usd_per_hour": 10.27, "usd_per_hour": 2.652}


def _owned(**extra: Any) -> dict[str, Any]:
    return site("onprem/fra", tier="onprem", offerings=[{**DGX, **extra}])


def _cloud(price: float = 55.0, spot: float | None = None) -> dict[str, Any]:
    extra = {"spot_usd_per_hour": spot} if spot is not None else {}
    return site("aws/fra", provider="aws", offerings=[
        offering("p5", price, accelerator="H100", count=8, **extra)])


H100 = {"H100": {"rps": 2, "latency_ms": 50}}


def test_one_period_is_the_version_1_model():
    """The model over periods with one period has the decomposition's optimum."""
    cases = [
        scenario([_owned(), _cloud()], [inference(accelerators=H100, demand={"munich": 30}),
                                        training(accelerators={"H100": 1.0}, work_hours=800,
                                                 max_nodes=4)]),
        scenario([_owned(available=1), _cloud(spot=20.0)],
                 [training("a", accelerators={"H100": 1.0}, work_hours=600, spot=True),
                  training("b", accelerators={"H100": 1.0}, work_hours=500)],
                 budgets=[{"name": "all", "limit_usd": 8000}]),
    ]
    for sc in cases:
        options = PlanOptions()
        whole = plan_periods(Problem(sc, options), WorkClock(options.work_seconds))
        split = solve(sc)
        assert whole.status == split.status == "optimal"
        assert whole.total_cost_usd == pytest.approx(split.total_cost_usd, abs=0.01)
        assert check_plan(sc, whole) == []


def test_serving_and_training_never_book_more_servers_than_exist():
    """The issue's case: 4 owned servers, pretraining on 4 nodes, serving on 1 all the
    time. Over one period the instance-hours fit on average; over weekly periods the
    pretraining must leave a server free for serving in every week it runs."""
    workloads = [inference("chat", accelerators=H100, demand={"munich": 10}),
                 training("pretrain", accelerators={"H100": 1.0}, work_hours=4 * 8 * 100,
                          max_nodes=4, deadline_hours=600)]
    sc = scenario([_owned(), _cloud(price=80.0)], workloads, horizon_hours=672, periods="7d")
    result = solve(sc)
    train = next(p for p in result.placements if p.kind == "training")
    serve = [p for p in result.placements if p.kind == "inference" and p.site == "onprem/fra"]
    for i, h in enumerate(train.hours_by_period if train.site == "onprem/fra" else ()):
        serving = sum(p.instances_by_period[i] for p in serve)
        assert h <= (4 - serving) * 168 + 1e-6  # and k=... nodes, checked by check_plan
    assert len(result.periods) == 4
    assert sum(q.cost_usd for q in result.periods) == pytest.approx(result.total_cost_usd)


def test_sunk_owned_hardware_runs_training_before_renting():
    # Power ($2.65/h) is below the spot rent ($20/h): the job runs on the owned servers.
    job = training("pretrain", accelerators={"H100": 1.0}, work_hours=1600, max_nodes=4,
                   spot=True)
    sunk = solve(scenario([_owned(), _cloud(spot=20.0)], [job]))
    assert sunk.placements[0].site == "onprem/fra"
    assert sunk.committed_usd == pytest.approx(4 * 10.27 * 100)
    (owned,) = sunk.owned
    used = 1600 / (4 * 8 * 0.9) * 4  # 4 nodes at 90 % efficiency
    assert owned.used_instance_hours == pytest.approx(used)
    assert owned.idle_usd == pytest.approx(10.27 * (400 - used))
    # Amortised (version 1): an hour costs $12.92 on-prem against $20 x 1.1 on spot.
    amortised = solve(scenario([_owned(), _cloud(spot=10.0)], [job], owned_cost="amortised"))
    assert amortised.placements[0].site == "aws/fra" and amortised.committed_usd == 0


def test_training_runs_inside_its_window_only():
    job = training("ft", accelerators={"H100": 1.0}, work_hours=8 * 30, release_hours=48,
                   deadline_hours=96)
    result = solve(scenario([_owned()], [job], horizon_hours=120, periods="1d"))
    hours = result.placements[0].hours_by_period
    assert hours[0] == hours[1] == 0 and hours[4] == 0
    assert sum(hours) == pytest.approx(30)
    # a release that leaves too little room: no option fits the window
    late = training("ft", accelerators={"H100": 1.0}, work_hours=8 * 30, release_hours=80,
                    deadline_hours=96)
    bad = plan(scenario([_owned()], [late], horizon_hours=120, periods="1d"))
    assert bad.status == "infeasible"


def test_growing_demand_takes_more_instances_later():
    one = site("aws/fra", provider="aws", offerings=[offering("g", 55.0, accelerator="H100")])
    # one H100 carries 2 x 0.8 = 1.6 rps
    result = solve(scenario([one], [inference(accelerators=H100, demand={"munich": [1, 4, 9]})],
                            horizon_hours=90, periods="30h"))
    (p,) = result.placements
    assert p.instances_by_period == (1, 3, 6) and p.instances == 6
    assert p.cost_usd == pytest.approx(55 * 30 * (1 + 3 + 6))


def _buy_case(fixed: float) -> Any:
    """Serving needs 3 servers from hour 240 on; 1 is owned, up to 2 may be bought with a
    lead time of 100 h (they arrive with the period starting at 120 h)."""
    own = _owned(available=1, fixed_usd_per_hour=fixed, buy={"max": 2, "lead_time_hours": 100})
    return scenario([own, _cloud(price=20.0)],
                    [inference("chat", accelerators=H100, demand={"munich": [3, 3, 38, 38]})],
                    horizon_hours=480, periods="120h")


def test_a_buy_that_pays_and_one_that_does_not():
    pays = solve(_buy_case(fixed=5.0))
    (owned,) = pays.owned
    assert owned.bought == 2 and owned.arrival_hour == 120
    # committed: 1 x 5 x 480 + 2 x 5 x (480 - 120)
    assert pays.committed_usd == pytest.approx(5 * 480 + 2 * 5 * 360)
    assert owned.saving_usd is not None and owned.saving_usd > 0
    no = solve(_buy_case(fixed=19.0))
    assert no.owned[0].bought == 0


def test_per_period_budget_counts_committed_share_and_names_its_period():
    sc = scenario([_owned(available=1), _cloud(price=20.0)],
                  [inference("chat", accelerators=H100, demand={"munich": [1, 30]})],
                  horizon_hours=100, periods="50h",
                  budgets=[{"name": "monthly", "limit_usd": 2000, "per_period": True}])
    # period 2: 3 servers, 1 owned ($513.50 committed + $132.60 power) and 2 rented ($2,000)
    result = plan(sc)
    assert result.status == "infeasible"
    assert any("period 2" in reason and "monthly" in reason for reason in result.diagnosis)


def test_diagnosis_names_the_period_and_the_numbers():
    sc = scenario([_owned(available=2)],
                  [inference("chat", accelerators=H100, demand={"munich": [10, 34]})],
                  horizon_hours=336, periods="7d", start="2027-02-26")
    result = plan(sc)
    assert result.status == "infeasible"
    (reason,) = result.diagnosis
    assert reason.startswith("chat: period 2 (2027-03-05..03-12): needs 34 rps for munich, "
                             "the offerings within its SLO can carry 25.6 at most")


def test_plan_json_v2_periods_sum_to_the_total():
    sc = _buy_case(fixed=5.0)
    doc = plan_document(solve(sc))
    assert doc["schema"] == "tierplan.plan/v2"
    assert sum(q["cost_usd"] for q in doc["periods"]) == pytest.approx(doc["total_cost_usd"], abs=1e-9)
    assert doc["cost"]["committed_usd"] == pytest.approx(5 * 480 + 2 * 5 * 360)
    (owned,) = doc["owned"]
    assert owned["bought"] == 2 and 0 <= owned["utilisation"] <= 1
    (p,) = [p for p in doc["placements"] if p["site"] == "onprem/fra"]
    assert len(p["instances_by_period"]) == 4 and len(p["traffic_rps_by_period"]) == 4
    assert sum(doc["cost"]["by_tier"].values()) == pytest.approx(doc["total_cost_usd"], abs=0.02)


def test_checker_catches_a_plan_that_overbooks_a_period():
    sc = scenario([_owned(available=1)],
                  [inference("chat", accelerators=H100, demand={"munich": [1, 1]})],
                  horizon_hours=100, periods="50h")
    good = solve(sc)
    (p,) = good.placements
    bad = replace(good, placements=(replace(p, instances=2, instances_by_period=(1, 2),
                                            cost_by_period=(p.cost_by_period[0],
                                                            2 * p.cost_by_period[1]),
                                            cost_usd=p.cost_usd + p.cost_by_period[1]),))
    assert any("period 2" in v for v in check_plan(sc, bad))


del FRANKFURT


def test_reports_show_periods_owned_hardware_and_the_training_schedule():
    from tierplan.reports.render import render

    sc = scenario([_owned(available=2, buy={"max": 2, "lead_time_hours": 100}), _cloud()],
                  [inference("chat", accelerators=H100, demand={"munich": [3, 30, 30]}),
                   training("ft", accelerators={"H100": 1.0}, work_hours=8 * 100, release_hours=130)],
                  horizon_hours=360, periods="120h", start="2027-01-01")
    result = solve(sc)
    csv = render(result, "csv").splitlines()
    assert len(csv) == 1 + 3 * len(result.placements)  # long form: a row per period
    assert csv[0].endswith("period,period_start,period_hours,period_instances,"
                           "period_instance_hours,period_traffic_rps,period_cost_usd")
    table = render(result, "table")
    for title in ("Cost by period", "Owned hardware", "Training schedule"):
        assert title in table
    assert "pays for itself at" in table
    html = render(result, "html")
    assert "Cost by period" in html and "Training by period" in html and "Owned hardware" in html
    markdown = render(result, "markdown")
    assert "Cost by period" in markdown


def test_diff_shows_periods_committed_and_owned_changes():
    from tierplan.reports.diff import diff_plans
    from tierplan.reports.diffview import render_diff

    old = plan_document(solve(_buy_case(fixed=19.0)))
    new = plan_document(solve(_buy_case(fixed=5.0)))
    d = diff_plans(old, new)
    # committed: 1 x 19 x 480 before; 1 x 5 x 480 + 2 bought x 5 x 360 after (monthly rates)
    assert d["committed"]["old_committed_monthly_usd"] == pytest.approx(19 * 480 / 480 * 730)
    assert d["committed"]["new_committed_monthly_usd"] == pytest.approx((5 * 480 + 10 * 360) / 480 * 730)
    assert [p["period"] for p in d["periods"]] == [1, 2, 3, 4]
    (owned,) = d["owned"]
    assert (owned["old_bought"], owned["new_bought"]) == (0, 2)
    text = render_diff(d, "table")
    assert "Periods changed" in text and "Owned hardware" in text and "0 → 2" in text


def test_a_job_solved_apart_keeps_to_the_period_its_milp_solution_left_free():
    """Serving fills both owned L4 boxes in period 2 (8 then 24 rps, 8 per box); a
    10-hour job, solved apart, fits only in period 1. Its LP polish (integers fixed, its
    own model only) found period 2 as cheap and moved the hours there: 740 instance-
    hours on 730 available. The polish now keeps each shared row to the MILP's use."""
    own = site("onprem/fra", tier="onprem", offerings=[
        {"name": "l4-box", "accelerator": "L4", "accelerator_count": 1, "available": 2,
         "fixed_usd_per_hour": 0.5, "usd_per_hour": 0.1}])
    sc = scenario([own, site("aws/fra", provider="aws", offerings=[offering("g6", 1.0)])],
                  [inference("svc", accelerators={"L4": {"rps": 10, "latency_ms": 20}},
                             demand={"munich": [8, 24]}),
                   training("ft", accelerators={"L4": 1.0}, work_hours=10)],
                  horizon_hours=730, periods="365h")
    result = plan(sc, PlanOptions(strategy="auto"))
    assert check_plan(sc, result) == []
    (job,) = [p for p in result.placements if p.workload == "ft"]
    assert job.site == "onprem/fra"
    assert list(job.hours_by_period) == pytest.approx([10.0, 0.0], abs=1e-6)
