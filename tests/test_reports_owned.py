"""What owned hardware's money is in the reports (SPEC 5.3), and per-period budgets shown
per period: the cost by tier under owned_cost: sunk says committed cost (used and idle,
like OpenCost's __idle__) plus power, not "amortised"; a per-period budget's limit is a
limit per period, never a monthly rate of the horizon."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from conftest import inference, offering, scenario, site, solve
from tierplan.reports.document import plan_document, tier_parts
from tierplan.reports.render import render

L4 = {"L4": {"rps": 10, "latency_ms": 20}}  # 8 rps per instance


def _case(owned_cost: str = "sunk", demand: list[float] | None = None, available: int = 2,
          workloads_extra: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    """Two owned L4 boxes ($0.50/h fixed, $0.10/h power) over 2 x 365 h; 8 rps then 24
    rps: one box in period 1, both and one rented ($1/h) in period 2."""
    own = site("onprem/fra", tier="onprem", offerings=[
        {"name": "l4-box", "accelerator": "L4", "accelerator_count": 1, "available": available,
         "fixed_usd_per_hour": 0.5, "usd_per_hour": 0.1}])
    return scenario([own, site("aws/fra", provider="aws", offerings=[offering("g6", 1.0)])],
                    [inference("svc", accelerators=L4, demand={"munich": demand or [8, 24]}),
                     *(workloads_extra or [])],
                    **{"horizon_hours": 730, "periods": "365h", "owned_cost": owned_cost, **extra})


def test_cost_by_tier_under_sunk_says_committed_idle_and_power():
    result = solve(_case())
    doc = plan_document(result)
    # committed 2 x 0.50 x 730 = $730; used 365 + 730 = 1,095 of 1,460 instance-hours:
    # idle 365 x 0.50 = $182.50; power 1,095 x 0.10 = $109.50
    parts = dict(tier_parts(doc, "onprem"))
    assert parts == {"owned hardware, used hours (committed)": pytest.approx(547.50),
                     "owned hardware, idle (committed, __idle__)": pytest.approx(182.50),
                     "power of the used hours": pytest.approx(109.50)}
    assert sum(parts.values()) == pytest.approx(doc["cost"]["by_tier"]["onprem"])
    for fmt in ("table", "markdown", "html"):
        text = render(result, fmt)
        assert "onprem (amortised)" not in text and "On-prem (amortised)" not in text, fmt
        assert "onprem (committed + power)" in text, fmt
        assert "idle (committed, " in text and "power of the used hours" in text, fmt
    assert "at its amortised rate" not in render(result, "markdown")
    (idle,) = [line for line in render(result, "table").splitlines() if "__idle__" in line]
    assert idle.split()[-3:] == ["$182.50", "$0.25", "15.2%"]  # per month, per hour, share


def test_cost_by_tier_under_amortised_keeps_the_amortised_label():
    result = solve(_case("amortised"))
    assert tier_parts(plan_document(result), "onprem") == []
    for fmt in ("table", "markdown"):
        assert "onprem (amortised)" in render(result, fmt)


def test_a_per_period_budget_reads_per_period_in_the_table_and_the_html():
    """$2,000 a period over two 730 h periods: no monthly rate of it (a horizon budget
    of $2,000 over 1,460 h would read $1,000 per month; this one allows $4,000 over the
    horizon). Period 2 is the fullest: committed $730, power $146, one rented $730."""
    result = solve(_case(horizon_hours=1460, periods="730h",
                         budgets=[{"name": "cap", "limit_usd": 2000, "per_period": True}]))
    assert result.status == "optimal"
    html = render(result, "html")
    table = render(result, "table")
    for text in (html, table):
        assert "$2,000.00 per period" in text
        assert "$1,606.00 (fullest period)" in text
        assert "$4,000.00" in text  # its limit over the 1460 h horizon
        assert "$1,000.00" not in text  # the limit as a monthly rate of the horizon
    assert "$1,606.00 of $2,000.00 per period (the fullest)" in html  # the chart and the card


def test_the_wrote_line_and_the_headline_agree_to_the_cent(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The quarter's total, $35,051.55 (from $35,051.547...): per month $11,846.13 from
    the cents the plan document carries, on the `wrote` line as in the headline."""
    from conftest import EXAMPLES, run_cli

    out = tmp_path / "plan.table"
    code, _, err = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke-quarter.yaml", "-o", out)
    assert code == 0
    headline = out.read_text().splitlines()[0]
    monthly = headline.split("total ")[1].split("/month")[0]
    assert f"{monthly}/month" in err and monthly == "$11,846.13"


def test_diff_of_plans_with_periods_says_owned_committed_and_per_period():
    """tierplan diff reads owned hardware and per-period budgets as the plan reports do:
    an owned placement is priced `owned`, the tier is committed + power, and a budget
    of $2,000 per 730 h period over 1,460 h stays $2,000 per period (not $1,000 a month);
    with 16 rps in both periods nothing is rented: the fullest period falls from $1,606
    to $730 committed + 2 x 730 x $0.10 power = $876."""
    from tierplan.reports.diff import diff_plans
    from tierplan.reports.diffview import render_diff

    budgets = [{"name": "cap", "limit_usd": 2000, "per_period": True}]
    old = plan_document(solve(_case(horizon_hours=1460, periods="730h", budgets=budgets)))
    new = plan_document(solve(_steady(budgets)))
    d = diff_plans(old, new)
    (cap,) = d["budgets"]
    assert cap["per_period"] is True
    assert cap["old_limit_monthly_usd"] == 2000.0
    assert (cap["old_used_monthly_usd"], cap["new_used_monthly_usd"]) == (1606.0, 876.0)
    owned = [p for p in d["placements"] if p["site"] == "onprem/fra"]
    assert owned and all(p["pricing"] == "owned" for p in owned)
    text = render_diff(d, "table")
    assert "cap (per period)" in text and "$2,000.00 per period" in text
    assert "onprem (committed + power)" in text and "onprem (amortised)" not in text


def _steady(budgets: list[dict[str, Any]]) -> Any:
    """The same case with 16 rps in both periods: both owned boxes run all the time."""
    own = site("onprem/fra", tier="onprem", offerings=[
        {"name": "l4-box", "accelerator": "L4", "accelerator_count": 1, "available": 2,
         "fixed_usd_per_hour": 0.5, "usd_per_hour": 0.1}])
    return scenario([own, site("aws/fra", provider="aws", offerings=[offering("g6", 1.0)])],
                    [inference("svc", accelerators=L4, demand={"munich": [16, 16]})],
                    horizon_hours=1460, periods="730h", budgets=budgets)


def test_each_period_adds_up_to_the_cent_in_the_json_and_the_html_bars():
    """The periods' cents add up to the total, and each period's tiers and teams to its
    cost; the HTML bars split it into committed and
    usage from those figures, so the two parts add up to the period's cost too."""
    import re

    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    result = plan(load_scenario(EXAMPLES / "buy-or-rent.yaml"))
    doc = plan_document(result)
    for q in doc["periods"]:
        for group in ("by_tier", "by_team"):
            assert round(sum(q[group].values()), 2) == q["cost_usd"], (q["index"], group)
    html = render(result, "html")
    for q in doc["periods"]:
        bars = re.findall(rf"{q['index'] + 1}\. [0-9-]+ · [^:<]+: \$([0-9,.]+)", html)
        assert round(sum(float(b.replace(",", "")) for b in bars), 2) == q["cost_usd"]


def test_periods_committed_usage_teams_and_a_per_period_budget_agree_to_the_cent():
    """The hub-and-spoke quarter: raw period costs $11,657.672 / $11,526.561 /
    $11,867.314 round to a cent less than the total ($35,051.55). The committed shares add
    up to the committed cost and the usage to the rest, so no period shows a negative
    usage; each period's (committed) team is its committed share; the per-period budget
    over everything reads its fullest period's cents (it read $11,867.31 beside a period
    of $11,867.32)."""
    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    result = plan(load_scenario(EXAMPLES / "hub-and-spoke-quarter.yaml"))
    doc = plan_document(result)
    periods = doc["periods"]
    assert round(sum(q["cost_usd"] for q in periods), 2) == doc["total_cost_usd"]
    assert round(sum(q["committed_usd"] for q in periods), 2) == doc["cost"]["committed_usd"]
    for q, raw in zip(periods, result.periods, strict=True):
        assert abs(q["cost_usd"] - raw.cost_usd) < 0.02
        assert q["cost_usd"] - q["committed_usd"] >= 0
        assert q["by_team"]["(committed)"] == q["committed_usd"]
        assert round(sum(q["by_team"].values()), 2) == q["cost_usd"]
        assert round(sum(q["by_tier"].values()), 2) == q["cost_usd"]
    (monthly,) = [b for b in doc["budgets"] if b["name"] == "monthly"]
    assert monthly["used_usd"] == max(q["cost_usd"] for q in periods)
    table = render(result, "table")
    assert f"${monthly['used_usd']:,.2f} (fullest period)" in table


def test_an_idle_plan_has_no_negative_usage_in_any_period():
    """Infeasible (the per-period budget is below the committed cost plus the cheapest
    usage): the plan is the committed cost alone, and every period's usage is $0.00."""
    import re

    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    sc = load_scenario(EXAMPLES / "hub-and-spoke-quarter.yaml")
    sc = replace(sc, budgets=tuple(replace(b, limit_usd=11000) if b.per_period else b
                                   for b in sc.budgets))
    result = plan(sc)
    assert result.status == "infeasible"
    doc = plan_document(result)
    assert [q["cost_usd"] - q["committed_usd"] for q in doc["periods"]] == [0.0, 0.0, 0.0]
    # the HTML legends name only money there is: committed cost, no usage or compute
    legends = set(re.findall(r'data-series="([^"]+)"', render(result, "html")))
    assert "committed (owned)" in legends
    assert not {"compute", "onprem usage", "edge usage", "data transfer"} & legends


def test_a_training_job_shows_what_it_burns_while_running():
    """The money columns spread a job over the horizon; its detail says what it costs per
    hour while it runs: pretrain on 4 owned DGX at $2.652/h of power = $10.61/h."""
    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    table = render(plan(load_scenario(EXAMPLES / "buy-or-rent.yaml")), "table")
    (row,) = [line for line in table.splitlines() if line.lstrip().startswith("pretrain ")
              and "compute" in line]
    assert row.rstrip().endswith("694.44 h compute at $10.61/h, 0.00 h transfer")


def test_html_cost_bars_split_committed_compute_and_transfer_as_the_plan_has_them():
    """The hub-and-spoke quarter: on-prem's $31,593.30 is $30,575.34 committed (the two
    DGX), the jobs' power and $180.00 of dataset transfer. The bars split a group into
    the committed cost, compute and transfer; they read on-prem's transfer as $1,888/month
    when they split the committed cost in the placements' compute : transfer ratio."""
    import re

    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.reports.document import group_split
    from tierplan.scenario import load_scenario

    result = plan(load_scenario(EXAMPLES / "hub-and-spoke-quarter.yaml"))
    doc = plan_document(result)
    committed, compute, transfer = group_split(doc, "by_tier")["onprem"]
    assert committed == pytest.approx(30575.34)
    assert transfer == pytest.approx(180.0)
    assert committed + compute + transfer == pytest.approx(doc["cost"]["by_tier"]["onprem"])
    team = group_split(doc, "by_team")["(committed)"]
    assert team == pytest.approx((doc["cost"]["committed_usd"], 0.0, 0.0))
    html = render(result, "html")
    # $180.00 over 2160 h is $60.83 a month
    assert re.search(r"onprem \(committed \+ power\) · data transfer: \$60\.83/mo", html)
    assert re.search(r"onprem \(committed \+ power\) · committed \(owned\): \$10,333\.33/mo", html)


def test_html_training_gantt_names_its_periods_and_what_a_job_runs():
    """Each period's column carries its start date, and a job's bar says its instance-
    hours, nodes and share of the period (vision-pretrain: 333.3 instance-hours on 2 DGX
    in February's 672 h, 25 %)."""
    import re

    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    html = render(plan(load_scenario(EXAMPLES / "hub-and-spoke-quarter.yaml")), "html")
    gantt = html[html.index("<title>Training by period"):]
    gantt = gantt[:gantt.index("</svg>")]
    assert re.findall(r'text-anchor="middle">([0-9-]+)</text>', gantt) == [
        "2027-01-01", "2027-02-01", "2027-03-01"]
    assert ("vision-pretrain: 333.3 instance-hours on 2 node(s) in period 2 (2027-02-01), "
            "25% of the period") in gantt


def test_diff_over_periods_lists_the_periods_a_placement_changed_in():
    """Same periods: the rented L4 runs in period 2 only (8 then 24 rps), then in both
    (24 rps in both): its maximum stays 1, so only the period shows the change. A job
    due in period 1, then released in period 2 (8 rps: a box is free in both), moves its
    10 instance-hours between periods at the same cost. A third owned box (and nothing
    rented) shows as owned 2 -> 3 with its committed cost."""
    from tierplan.reports.diff import diff_plans
    from tierplan.reports.diffview import render_diff

    old = plan_document(solve(_case()))
    d = diff_plans(old, plan_document(solve(_case(demand=[24, 24]))))
    (rented,) = [p for p in d["placements"] if p["site"] == "aws/fra"]
    assert (rented["change"], rented["old_instances"], rented["new_instances"]) == ("resized", 1, 1)
    assert rented["period_changes"] == [{"period": 1, "old": 0, "new": 1, "unit": "instances"}]
    assert "p1: 0 → 1" in render_diff(d, "table")

    job = {"name": "ft", "kind": "training", "accelerators": {"L4": 1.0}, "work_hours": 10}
    early = _case(demand=[8, 8], workloads_extra=[{**job, "deadline_hours": 365}])
    late = _case(demand=[8, 8], workloads_extra=[{**job, "release_hours": 365}])
    d = diff_plans(plan_document(solve(early)), plan_document(solve(late)))
    (moved,) = d["placements"]
    assert (moved["workload"], moved["change"]) == ("ft", "rescheduled")
    assert [(c["period"], c["old"], c["new"]) for c in moved["period_changes"]] == [
        (1, 10.0, 0.0), (2, 0.0, 10.0)]
    assert "p1: 10 → 0 h, p2: 0 → 10 h" in render_diff(d, "table")

    third = diff_plans(old, plan_document(solve(_case(demand=[24, 24], available=3))))
    (box,) = third["owned"]
    assert (box["old_available"], box["new_available"]) == (2, 3)
    assert box["new_committed_monthly_usd"] == pytest.approx(3 * 0.5 * 730)
    assert "2 → 3" in render_diff(third, "table")


def test_training_schedule_says_which_dates_a_job_runs_in():
    """buy-or-rent: pretrain works in January and February (1,488 then 1,289.8
    instance-hours on 4 DGX), so it runs in 2027-01-01..03-01; without a start date the
    span is in hours."""
    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    result = plan(load_scenario(EXAMPLES / "buy-or-rent.yaml"))
    table = render(result, "table")
    row = next(line for line in table.splitlines() if line.strip().startswith("pretrain ")
               and "p1-p2" in line)
    assert "2027-01-01..03-01" in row
    job = {"name": "ft", "kind": "training", "accelerators": {"L4": 1.0}, "work_hours": 10,
           "release_hours": 365}
    hours = render(solve(_case(demand=[8, 8], workloads_extra=[job])), "table")
    assert "365-730 h" in hours


def test_owned_hardware_says_when_bought_units_arrive():
    """buy-or-rent buys 2 DGX with a 720 h lead time: they arrive with the first period
    that starts after it, February (hour 744)."""
    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    result = plan(load_scenario(EXAMPLES / "buy-or-rent.yaml"))
    (dgx,) = [u for u in plan_document(result)["owned"] if u["offering"] == "dgx-h100"]
    assert (dgx["bought"], dgx["arrival_hour"]) == (2, 744.0)
    for fmt in ("table", "markdown", "html"):
        assert "2 from 2027-02-01" in render(result, fmt), fmt


def test_a_narrow_terminal_keeps_the_buy_explanation_and_the_owned_names():
    """At 100 columns the buy rows' detail (their whole explanation) wraps instead of
    hiding, and the owned hardware table drops its hour columns before it would fold an
    offering's name into 6-character pieces."""
    from conftest import EXAMPLES
    from tierplan import plan
    from tierplan.scenario import load_scenario

    out = render(plan(load_scenario(EXAMPLES / "buy-or-rent.yaml")), "table", width=100)
    assert max(map(len, out.splitlines())) <= 100
    words = " ".join(out.split())
    assert "a 7th dgx-h100 pays for itself at 20% utilisation" in words
    assert "buying one would add $4,389.60 to the plan's cost" in words
    assert "onprem/fra-dc1/dgx-h100 4 2 from 2027-02-01" in words


def test_diff_leaves_out_a_cent_moved_between_periods_by_the_rounding():
    """The same plan with a cent moved from period 1 to period 2 (as apportioning the
    cents of another plan's total can do) shows no period or per-period budget change;
    a change of 5 cents does."""
    import copy

    from tierplan.reports.diff import diff_plans

    budgets = [{"name": "cap", "limit_usd": 2000, "per_period": True}]
    old = plan_document(solve(_case(horizon_hours=1460, periods="730h", budgets=budgets)))
    new = copy.deepcopy(old)
    new["periods"][0]["cost_usd"] -= 0.01
    new["periods"][1]["cost_usd"] += 0.01
    (cap,) = [b for b in new["budgets"] if b["name"] == "cap"]
    cap["used_usd"] += 0.01
    d = diff_plans(old, new)
    assert d["periods"] == [] and d["budgets"] == []
    new["periods"][1]["cost_usd"] += 0.04
    assert [p["period"] for p in diff_plans(old, new)["periods"]] == [2]


def test_diff_says_when_the_plans_periods_differ():
    """Two periods of 365 h against three of 730/3 h: periods are not compared, and the
    diff says so (JSON, table and Markdown) instead of leaving the section out silently."""
    from tierplan.reports.diff import diff_plans
    from tierplan.reports.diffview import render_diff

    old = plan_document(solve(_case(demand=[8, 8])))
    new = plan_document(solve(_case(demand=[8, 8, 8], periods=f"{730 / 3}h")))
    d = diff_plans(old, new)
    assert d["periods"] == []
    assert d["periods_note"].startswith("The plans' periods differ (2 and 3 periods)")
    for fmt in ("table", "markdown"):
        assert "periods differ (2 and 3 periods)" in render_diff(d, fmt), fmt
    assert diff_plans(old, old)["periods_note"] is None
