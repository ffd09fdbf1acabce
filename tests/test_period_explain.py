"""Explanations over periods (SPEC 5.4): binding capacity and budget rows name their
period and say what relaxing them saves, measured by re-solving (the LP with the
integer decisions fixed prices these rows at 0); diagnoses name the period and the
numbers."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import inference, offering, scenario, site, solve, training
from tierplan import plan
from tierplan.reports.document import plan_document
from tierplan.reports.render import render

L4 = {"L4": {"rps": 10, "latency_ms": 20}}  # 10 x 0.8 = 8 rps per instance


def _owned_l4(available: int = 1) -> dict[str, Any]:
    return site("onprem/fra", tier="onprem", offerings=[
        {"name": "l4-box", "accelerator": "L4", "accelerator_count": 1,
         "available": available, "fixed_usd_per_hour": 0.5, "usd_per_hour": 0.1}])


def test_a_full_owned_server_binds_in_the_period_where_one_more_saves():
    """8 rps then 16 rps over two 50 h periods: the owned box carries 8 rps in both;
    in period 2 a rented one ($1/h) takes the rest. One more owned box in period 2
    saves the rent less power, (1.00 - 0.10) x 50 = $45; in period 1 it saves nothing,
    so only period 2's row binds."""
    sc = scenario([_owned_l4(), site("aws/fra", provider="aws", offerings=[offering("g6", 1.0)])],
                  [inference("svc", accelerators=L4, demand={"munich": [8, 16]})],
                  horizon_hours=100, periods="50h")
    result = solve(sc)
    capacity = [b for b in result.binding if b.kind == "capacity"]
    assert [(b.name, b.period) for b in capacity] == [("onprem/fra/l4-box [period 2 (50-100 h)]", 1)]
    (row,) = capacity
    assert row.relax_saving == pytest.approx(45.0, abs=0.01)
    assert row.shadow_price == pytest.approx(-45.0 / 50)  # per instance-hour of period 2
    assert row.detail == "all 1 available instance in use: 50 instance-hours"
    doc = plan_document(result)
    (entry,) = [b for b in doc["binding"] if b["kind"] == "capacity"]
    assert entry["period"] == 1
    assert "$45.00 per instance in period 2" in render(result, "table")


def test_a_per_period_budget_that_moves_the_plan_names_its_period():
    """aws at $1/h, gcp at $1.50/h; the aws budget allows $60 a period (48 h). Period 2
    needs two instances (16 rps): both on aws would cost $96, so one goes to gcp. The
    budget is not at its limit ($48 of $60) but moved the plan: lifting it in period 2
    saves (1.50 - 1.00) x 48 = $24; period 1 ($48, one instance either way) does not
    bind."""
    sc = scenario([site("aws/fra", provider="aws", offerings=[offering("g6", 1.0)]),
                   site("gcp/fra", provider="gcp", offerings=[offering("g2", 1.5)])],
                  [inference("svc", accelerators=L4, demand={"munich": [8, 16]})],
                  horizon_hours=96, periods="48h", start="2027-01-01",
                  budgets=[{"name": "aws", "provider": "aws", "limit_usd": 60, "per_period": True}])
    result = solve(sc)
    (row,) = [b for b in result.binding if b.kind == "budget"]
    assert row.name == "aws [period 2 (2027-01-03..01-05)]" and row.period == 1
    assert row.relax_saving == pytest.approx(24.0, abs=0.01)
    assert row.detail == "80% used: $48.00 of $60.00"
    assert "$24.00 if lifted in period 2" in render(result, "table")


def test_a_budget_row_states_the_users_limit_with_the_committed_cost_it_covers():
    """Over the horizon: the owned box is committed $50 ($0.50/h x 100 h) and costs $10
    of power; period 2 rents two more, one on aws ($50, the aws budget's limit) and one
    on gcp ($60). The budget over everything holds $170 of its $170: its detail is the
    user's limit and use, committed cost included, not the model row's room ($120)."""
    sc = scenario([_owned_l4(), site("aws/fra", provider="aws", offerings=[offering("g6", 1.0)]),
                   site("gcp/fra", provider="gcp", offerings=[offering("g2", 1.2)])],
                  [inference("svc", accelerators=L4, demand={"munich": [8, 24]})],
                  horizon_hours=100, periods="50h",
                  budgets=[{"name": "all", "limit_usd": 170},
                           {"name": "aws", "provider": "aws", "limit_usd": 50}])
    result = solve(sc)
    assert result.total_cost_usd == pytest.approx(170.0)
    details = {b.name: b.detail for b in result.binding if b.kind == "budget"}
    assert details["all"] == "100% used: $170.00 (incl. $50.00 committed) of $170.00"
    assert details["aws"] == "100% used: $50.00 of $50.00"
    (aws,) = [b for b in result.binding if b.name == "aws"]
    assert aws.period is None and aws.relax_saving == pytest.approx(0.2 * 50, abs=0.01)


def test_diagnosis_of_a_per_period_budget_gives_the_period_and_the_numbers():
    dgx = {"name": "dgx", "accelerator": "H100", "accelerator_count": 8, "available": 1,
           "fixed_usd_per_hour": 10.27, "usd_per_hour": 2.652}
    sc = scenario([site("onprem/fra", tier="onprem", offerings=[dgx]),
                   site("aws/fra", provider="aws", offerings=[
                       offering("p5", 20.0, accelerator="H100", count=8)])],
                  [inference("chat", accelerators={"H100": {"rps": 2, "latency_ms": 50}},
                             demand={"munich": [1, 30]})],
                  horizon_hours=100, periods="50h",
                  budgets=[{"name": "monthly", "limit_usd": 2000, "per_period": True}])
    # period 2: 3 servers, the owned one ($513.50 committed + $132.60 power) and 2 rented
    # ($2,000): $2,646.10 against $2,000
    (reason,) = plan(sc).diagnosis
    assert reason == ("budget monthly ($2,000.00 per period): period 2 (50-100 h): needs about "
                      "$646.10 more to meet every SLO and job: the plan costs at least "
                      "$2,646.10 in that period, of which $513.50 is committed owned hardware")


def test_diagnosis_of_a_full_server_gives_the_period_and_the_instance_hours():
    """Serving holds both owned servers all the time (20 rps at 12.8 per server); a
    two-node fine-tune of 800 / (16 x 0.9) = 55.6 h must fit in hours 100-300."""
    dgx = {"name": "dgx", "accelerator": "H100", "accelerator_count": 8, "available": 2,
           "fixed_usd_per_hour": 10.27, "usd_per_hour": 2.652}
    sc = scenario([site("onprem/fra", tier="onprem", offerings=[dgx])],
                  [inference("chat", accelerators={"H100": {"rps": 2, "latency_ms": 50}},
                             demand={"munich": [20, 20]}),
                   {"name": "ft", "kind": "training", "accelerators": {"H100": 1.0},
                    "work_hours": 800, "max_nodes": 2, "release_hours": 100,
                    "deadline_hours": 300}],
                  horizon_hours=336, periods="7d", start="2027-02-26")
    (reason,) = plan(sc).diagnosis
    assert reason.startswith("onprem/fra/dgx: period 2 (2027-03-05..03-12): available is 2 "
                             "(336 instance-hours in 168 h) but the plan needs ")
    assert "instances on average over the period" in reason


def test_a_buy_that_does_not_pay_says_what_one_would_add():
    """One owned server ($19/h fixed, $2.652/h power), up to 2 more to buy, arriving for
    hour 120; serving needs 1 server in hours 0-240, 3 in hours 240-480 (38 rps at 12.8
    per server), else rented at $20/h. A bought unit costs 19 x 360 = $6,840 and replaces
    240 rented hours, saving (20 - 2.652) x 240 = $4,163.52: buying one adds $2,676.48.
    The break-even, 19 / (20 - 2.652) = 110 %, is never reached."""
    own = site("onprem/fra", tier="onprem", offerings=[
        {"name": "dgx", "accelerator": "H100", "accelerator_count": 8, "available": 1,
         "fixed_usd_per_hour": 19.0, "usd_per_hour": 2.652,
         "buy": {"max": 2, "lead_time_hours": 100}}])
    cloud = site("aws/fra", provider="aws", offerings=[
        offering("p5", 20.0, accelerator="H100", count=8)])
    sc = scenario([own, cloud], [inference("chat", accelerators={"H100": {"rps": 2, "latency_ms": 50}},
                                           demand={"munich": [3, 3, 38, 38]})],
                  horizon_hours=480, periods="120h")
    result = solve(sc)
    assert result.owned[0].bought == 0
    (buy,) = [b for b in result.binding if b.kind == "buy"]
    assert buy.detail.startswith("a 2nd dgx never pays for itself (it would need 110% utilisation)")
    assert buy.detail.endswith("the plan buys none: the 1 owned are used 100% of their hours, "
                               "and buying one would add $2,676.48 to the plan's cost")


def test_a_job_whose_window_is_too_short_names_the_window_not_the_deadline():
    """Released at 2027-02-01, due 2027-02-04: 72 h, though the deadline is 816 h from
    hour 0. 100 L4-hours on at most 1 node take 100 h: the message gives the window."""
    sc = scenario([site("aws/fra", provider="aws", offerings=[offering("g6", 1.0)])],
                  [training("ft", work_hours=100, release_hours="2027-02-01",
                            deadline_hours="2027-02-04")],
                  horizon_hours=2160, periods="month", start="2027-01-01")
    (reason,) = plan(sc).diagnosis
    assert reason.startswith("ft: no option finishes within its window of 72 h "
                             "(2027-02-01..02-04, release to deadline); the fastest is 1 x g6")
