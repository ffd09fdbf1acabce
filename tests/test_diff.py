"""`tierplan diff`: hub-and-spoke against changed scenarios, deltas worked out by hand."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLES
from conftest import run_cli as run
from tierplan import PlanOptions, parse_scenario, plan
from tierplan.reports import write_atomic
from tierplan.reports.diff import diff_plans, exceeds
from tierplan.reports.diffview import diff_markdown, diff_table
from tierplan.reports.document import plan_document
from tierplan.reports.planfile import PlanFileError, validate_plan

HUB = EXAMPLES / "hub-and-spoke.yaml"


def offering_of(data: dict[str, Any], site: str, name: str) -> dict[str, Any]:
    s = next(s for s in data["sites"] if s["name"] == site)
    return next(o for o in s["offerings"] if o["name"] == name)


def plan_file(data: dict[str, Any], path: Path) -> Path:
    doc = plan_document(plan(parse_scenario(copy.deepcopy(data), str(HUB)), PlanOptions()))
    write_atomic(path, json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, Path]:
    """The example and three changed copies, planned and saved as plan JSON."""
    tmp = tmp_path_factory.mktemp("diff")
    base = yaml.safe_load(HUB.read_text())
    out = {"base": plan_file(base, tmp / "base.json")}
    # L4 in Frankfurt $0.978 -> $1.078/h: the one L4 stays (nothing else meets the SLO).
    dearer = copy.deepcopy(base)
    offering_of(dearer, "aws/eu-central-1", "g6.xlarge")["usd_per_hour"] = 1.078
    out["dearer"] = plan_file(dearer, tmp / "dearer.json")
    # p4d spot in us-east-1 $13.10 -> $20/h: pretraining moves to Frankfurt's $16.40 spot.
    moved = copy.deepcopy(base)
    offering_of(moved, "aws/us-east-1", "p4d.24xlarge")["spot_usd_per_hour"] = 20.0
    out["moved"] = plan_file(moved, tmp / "moved.json")
    # Edge budget $200 -> $100: only two Orins fit ($36.50 each), one store's traffic goes to the L4.
    tight = copy.deepcopy(base)
    next(b for b in tight["budgets"] if b["name"] == "edge")["limit_usd"] = 100
    out["tight"] = plan_file(tight, tmp / "tight.json")
    return out


def diff_json(capsys, old: Path, new: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run(capsys, "diff", old, new, "--format", "json", *extra)
    return code, json.loads(out), err


def test_price_rise_changes_one_placement_cost(capsys, plans):
    code, d, _ = diff_json(capsys, plans["base"], plans["dearer"])
    assert code == 0
    # one L4 for the whole month: +$0.10/h * 730 h = +$73.00 a month, +$0.10 an hour
    assert d["total"]["old_monthly_usd"] == pytest.approx(5863.43)
    assert d["total"]["delta_monthly_usd"] == pytest.approx(73.00)
    assert d["total"]["delta_hourly_usd"] == pytest.approx(0.10, abs=1e-4)
    assert d["total"]["delta_percent"] == pytest.approx(73 / 5863.43 * 100, abs=0.01)
    assert d["moves"] == []
    [change] = d["placements"]
    assert (change["change"], change["workload"], change["site"]) == ("cost_changed", "defect-detector",
                                                                       "aws/eu-central-1")
    assert (change["old_instances"], change["new_instances"]) == (1, 1)
    assert change["old_monthly_usd"] == pytest.approx(917.35)
    assert change["new_monthly_usd"] == pytest.approx(990.35)
    assert d["unchanged_placements"] == 4
    for group, name in (("by_tier", "cloud"), ("by_provider", "aws"), ("by_site", "aws/eu-central-1"),
                        ("by_team", "vision"), ("by_workload", "defect-detector")):
        [row] = d["groups"][group]
        assert row["name"] == name and row["delta_monthly_usd"] == pytest.approx(73.00)
    budgets = {b["name"]: b for b in d["budgets"]}
    assert set(budgets) == {"total", "vision"}
    assert budgets["vision"]["new_used_monthly_usd"] == pytest.approx(1060.10 + 73)


def test_moved_training_and_thresholds(capsys, plans):
    code, d, _ = diff_json(capsys, plans["base"], plans["moved"])
    assert code == 0
    # Frankfurt: 3 nodes * $16.40 * 2400 / (3 * 8 * 0.9) * 1.1 h = $6,013.33 compute
    # + 2,000 GB web-corpus * $0.09 egress out of us-east-1 = $180; before: 3 * $13.10 * 122.22 h
    new_cost = 3 * 16.4 * 2400 / 21.6 * 1.1 + 2000 * 0.09
    old_cost = 3 * 13.1 * 2400 / 21.6 * 1.1
    assert d["moves"] == [{"workload": "vision-pretrain", "from": ["aws/us-east-1/p4d.24xlarge"],
                           "to": ["aws/eu-central-1/p4d.24xlarge"]}]
    changes = {(c["change"], c["site"]): c for c in d["placements"]}
    assert set(changes) == {("added", "aws/eu-central-1"), ("removed", "aws/us-east-1")}
    assert changes[("added", "aws/eu-central-1")]["new_monthly_usd"] == pytest.approx(new_cost, abs=0.01)
    assert changes[("removed", "aws/us-east-1")]["old_monthly_usd"] == pytest.approx(old_cost, abs=0.01)
    delta = new_cost - old_cost  # $1,390.00
    assert d["total"]["delta_monthly_usd"] == pytest.approx(delta, abs=0.01)
    pct = delta / 5863.43 * 100  # 23.71 %
    assert d["total"]["delta_percent"] == pytest.approx(pct, abs=0.01)
    sites = {g["name"]: g["delta_monthly_usd"] for g in d["groups"]["by_site"]}
    assert sites == pytest.approx({"aws/eu-central-1": new_cost, "aws/us-east-1": -old_cost}, abs=0.01)

    base, moved = plans["base"], plans["moved"]
    assert run(capsys, "diff", base, moved, "--fail-above-usd", "1389")[0] == 4
    assert run(capsys, "diff", base, moved, "--fail-above-usd", "1391")[0] == 0
    code, _, err = run(capsys, "diff", base, moved, "--fail-above-percent", "23")
    assert code == 4 and "more than --fail-above-percent 23" in err
    assert run(capsys, "diff", base, moved, "--fail-above-percent", "24")[0] == 0
    assert run(capsys, "diff", base, moved, "--fail-above-percent", "24", "--fail-above-usd", "100")[0] == 4
    # a fall in cost never trips the gate
    assert run(capsys, "diff", moved, base, "--fail-above-usd", "0", "--fail-above-percent", "0")[0] == 0


def test_tighter_budget_removes_an_orin(capsys, plans):
    code, d, _ = diff_json(capsys, plans["base"], plans["tight"])
    assert code == 0
    # One Orin ($0.05/h * 730 h = $36.50) goes; its 4.8 rps move to the L4 in Frankfurt, which
    # has room (40 rps * 0.8 = 32 > 8.6 + 4.8) and bills 4.8 rps * 3600 s * 730 h * 100 KB
    # * $0.09/GB = $113.53 egress: +$77.03, what the binding constraint promised.
    egress = 4.8 * 3600 * 730 * 100e-6 * 0.09
    assert d["total"]["delta_monthly_usd"] == pytest.approx(egress - 36.50, abs=0.01)
    tiers = {g["name"]: g["delta_monthly_usd"] for g in d["groups"]["by_tier"]}
    assert tiers == pytest.approx({"edge": -36.50, "cloud": egress}, abs=0.01)
    resized = [c for c in d["placements"] if c["tier"] == "edge"]
    assert sum(c["old_instances"] - c["new_instances"] for c in resized) == 1
    edge = next(b for b in d["budgets"] if b["name"] == "edge")
    assert (edge["old_limit_monthly_usd"], edge["new_limit_monthly_usd"]) == (200.0, 100.0)
    assert edge["new_used_monthly_usd"] == pytest.approx(73.0)


def test_table_and_markdown(capsys, plans):
    code, out, _ = run(capsys, "diff", plans["base"], plans["moved"])
    assert code == 0
    assert "Monthly cost will increase by $1,390.00 (+23.7%): $5,863.43 → $7,253.43 per month" in out
    for title in ("Moved", "Placements changed (4 unchanged)", "Cost by tier", "Cost by site", "Budgets"):
        assert title in out
    code, out, _ = run(capsys, "diff", plans["base"], plans["moved"], "--format", "markdown")
    assert code == 0 and out.startswith("### tierplan diff: hub-and-spoke")
    assert "#### Moved" in out and "| vision-pretrain | aws/us-east-1/p4d.24xlarge |" in out
    assert "<details>" in out and "</details>" in out
    code, out, _ = run(capsys, "diff", plans["base"], plans["base"])
    assert code == 0 and "Monthly cost is unchanged" in out and "No placement, group or budget changed" in out
    # files, pipes and --wide get every column in full; a terminal a fitted view (test_fit.py)
    for new in ("moved", "tight", "base"):
        d = diff_plans(json.loads(plans["base"].read_text()), json.loads(plans[new].read_text()))
        assert diff_table(d) == diff_table(d, width=80, wide=True)


def test_bad_plan_files_exit_2_naming_file_and_field(capsys, plans, tmp_path):
    good = json.loads(plans["base"].read_text())
    cases = {
        "not-json.json": ("name: x\n", "not valid JSON"),
        "scenario.json": (json.dumps({"name": "x"}), "schema: missing"),
        "list.json": ("[]", "expected a plan JSON object"),
    }
    broken = copy.deepcopy(good)
    broken["placements"][2]["cost_usd"] = "12"
    cases["cost.json"] = (json.dumps(broken), 'placements[2].cost_usd: expected a number, got a string "12"')
    broken = copy.deepcopy(good)
    del broken["cost"]["by_team"]
    cases["group.json"] = (json.dumps(broken), "cost.by_team: missing")
    broken = copy.deepcopy(good)
    broken["budgets"][1]["limit_usd"] = None
    cases["budget.json"] = (json.dumps(broken), "budgets[1].limit_usd: expected a number, got null")
    broken = copy.deepcopy(good)
    broken["placements"][0]["instances"] = 1.5
    cases["inst.json"] = (json.dumps(broken), "placements[0].instances: expected a whole number")
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        code, out, err = run(capsys, "diff", plans["base"], path)
        assert code == 2 and out == "", name
        assert err.startswith(f"tierplan: error: {path}: ") and message in err, err
        assert "Traceback" not in err
    code, _, err = run(capsys, "diff", tmp_path / "missing.json", plans["base"])
    assert code == 2 and "missing.json: no such file" in err


def test_validate_plan_accepts_the_spec_example_shape():
    doc = {"schema": "tierplan.plan/v1", "scenario": "s", "status": "infeasible", "objective": "cost",
           "horizon_hours": 730, "total_cost_usd": 0,
           "cost": {k: {} for k in ("by_tier", "by_provider", "by_site", "by_workload", "by_team")},
           "placements": [], "budgets": [], "binding": [], "diagnosis": ["x"]}
    assert validate_plan(doc, "f.json") is doc
    with pytest.raises(PlanFileError, match=r"f.json: horizon_hours: must be at least a minute"):
        validate_plan({**doc, "horizon_hours": 0}, "f.json")


def _doc(placements: list[dict[str, Any]], horizon: float = 730.0) -> dict[str, Any]:
    groups: dict[str, dict[str, float]] = {k: {} for k in ("by_tier", "by_provider", "by_site",
                                                           "by_workload", "by_team")}
    for p in placements:
        groups["by_site"][p["site"]] = groups["by_site"].get(p["site"], 0) + p["cost_usd"]
    return {"schema": "tierplan.plan/v1", "scenario": "s", "status": "optimal", "horizon_hours": horizon,
            "total_cost_usd": sum(p["cost_usd"] for p in placements), "cost": groups,
            "placements": placements, "budgets": []}


def _p(site: str, instances: int, cost: float, workload: str = "w") -> dict[str, Any]:
    return {"workload": workload, "site": site, "offering": "o", "tier": "cloud", "purchase": "on-demand",
            "instances": instances, "cost_usd": cost}


def test_diff_rules_on_small_documents():
    old = _doc([_p("a", 2, 100.0), _p("b", 1, 50.0, "v")])
    new = _doc([_p("a", 3, 150.0), _p("c", 1, 40.0, "v")], horizon=365.0)
    d = diff_plans(old, new)
    kinds = {(c["change"], c["site"]) for c in d["placements"]}
    assert kinds == {("resized", "a"), ("removed", "b"), ("added", "c")}
    # the new plan is over half a month: its costs count double as monthly rates
    assert d["total"]["new_monthly_usd"] == pytest.approx(380.0)
    assert d["total"]["delta_monthly_usd"] == pytest.approx(230.0)
    assert d["moves"] == [{"workload": "v", "from": ["b/o"], "to": ["c/o"]}]
    assert exceeds(d, 229.0, None) and not exceeds(d, 230.0, None)
    zero = diff_plans(_doc([]), _doc([_p("a", 1, 1.0)]))
    assert zero["total"]["delta_percent"] is None and exceeds(zero, None, 1000.0)


def test_long_diffs_fit_a_github_comment():
    old = _doc([_p(f"s{i:03d}", 1, 10.0) for i in range(200)])
    new = _doc([_p(f"s{i:03d}", 2, 10.0 + i) for i in range(200)])
    md = diff_markdown(diff_plans(old, new))
    assert len(md) < 65_536
    assert "_160 more rows not shown; `--format json` lists them all._" in md
    assert "| resized | w | s199 |" in md and "| resized | w | s000 |" not in md  # largest first


def test_plan_files_with_unusable_numbers_or_nesting_exit_2(capsys, plans, tmp_path):
    good = json.loads(plans["base"].read_text())
    cases = {}
    for name, (key, value, message) in {
        "nan": ("total_cost_usd", float("nan"), "total_cost_usd: expected a finite number"),
        "huge": ("total_cost_usd", 1e308, "expected a finite number of at most 1e+13, got 1e+308"),
        "tiny": ("horizon_hours", 1e-300, "horizon_hours: must be at least a minute (0.01667 h)"),
        "int": ("scenario", 5, "scenario: expected a string, got a number"),
    }.items():
        broken = copy.deepcopy(good)
        broken[key] = value
        cases[f"{name}.json"] = (json.dumps(broken), message)
    cases["deep.json"] = ("[" * 100_000 + "]" * 100_000, "nested too deeply to be a plan")
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        code, out, err = run(capsys, "diff", plans["base"], path)
        assert code == 2 and out == "" and "Traceback" not in err, name
        assert err.startswith(f"tierplan: error: {path}: ") and message in err, err
