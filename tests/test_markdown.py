"""Markdown for pull requests, CSV and the terminal table: saved output, escaping, money columns.

tests/expected/hub-and-spoke.md is the Markdown of examples/hub-and-spoke.yaml; after a
deliberate change of the format, regenerate it with
``tierplan plan examples/hub-and-spoke.yaml --format markdown -o tests/expected/hub-and-spoke.md``
and review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from conftest import EXAMPLES, inference, offering, scenario, site, solve
from conftest import run_cli as run
from tierplan.reports import write_atomic
from tierplan.reports.document import plan_document
from tierplan.reports.markdown import md_escape, to_markdown
from tierplan.reports.render import to_csv, to_table

HUB = str(EXAMPLES / "hub-and-spoke.yaml")
EXPECTED = Path(__file__).parent / "expected" / "hub-and-spoke.md"


def cells(line: str) -> list[str]:
    """Split a GFM table row on unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_hub_markdown_matches_the_saved_file(capsys):
    code, out, _ = run(capsys, "plan", HUB, "--format", "markdown")
    assert code == 0
    assert out == EXPECTED.read_text()


def test_headline_tables_and_folds(capsys):
    _, out, _ = run(capsys, "plan", HUB, "--format", "markdown")
    lines = out.splitlines()
    assert lines[0] == "### tierplan: hub-and-spoke"
    assert lines[2].startswith("**$5,863.43 per month** ($8.03 per hour)")
    assert out.count("<details>") == out.count("</details>") == 3
    for i, line in enumerate(lines):
        if line.startswith("<summary>"):
            assert lines[i + 1] == ""  # GitHub renders Markdown inside <details> only after a blank line
    header = None
    for line in lines:  # every row of a table has as many cells as its header
        if not line.startswith("|"):
            header = None
            continue
        if header is None:
            header = len(cells(line))
        assert len(cells(line)) == header, line
    assert "| onprem (amortised) | $33.25 | $0.05 | 0.6% |" in out
    assert "| **total** |" in out


def test_names_are_escaped_in_cells():
    sc = scenario([site("cloud/a | b", offerings=[offering("g<6>", 1.0)], provider="x&y")],
                  [inference("<script>alert(1)</script>", team="a_b*c", budget_usd=1000)],
                  budgets=[{"name": "b|1", "limit_usd": 500}])
    md = to_markdown(plan_document(solve(sc)))
    assert "<script>" not in md and "g<6>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "x&amp;y" in md
    assert "cloud/a \\| b" in md and "b\\|1" in md and "a\\_b\\*c" in md
    row = next(line for line in md.splitlines() if line.startswith("| b\\|1 "))
    assert len(cells(row)) == 8  # the 100 h horizon adds the limit as written
    assert md_escape("x\ny") == "x y"


def test_other_horizons_add_an_over_horizon_column():
    # horizon 100 h: 10 rps / (10 rps * 0.8) -> 2 instances * $1/h * 100 h = $200;
    # per month 200 / 100 * 730 = $1,460, per hour $2
    sc = scenario([site("cloud/a", offerings=[offering("g", 1.0)])], [inference()])
    doc = plan_document(solve(sc))
    md = to_markdown(doc)
    assert "**$1,460.00 per month** ($2.00 per hour · $200.00 over 100 h)" in md
    assert "| tier | per month | per hour | over 100 h | share |" in md
    table = to_table(doc)
    assert "total $1,460.00/month ($2.00/h, $200.00 over 100 h)" in table
    assert "over 100 h" in table


def test_infeasible_markdown_says_why(capsys):
    code, out, _ = run(capsys, "plan", str(EXAMPLES / "infeasible-budget.yaml"), "--format", "markdown")
    assert code == 3
    assert "**No plan**" in out and "**Why no plan exists:**" in out
    assert "- budget total ($1,000.00) is below the cheapest plan" in out
    assert "Placements" not in out


def test_csv_has_one_row_per_placement_with_rates(capsys):
    code, out, _ = run(capsys, "plan", HUB, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 5
    by = {(r["workload"], r["site"]): r for r in rows}
    finetune = by[("resnet50-finetune", "onprem/fra-dc1")]
    assert finetune["pricing"] == "amortised" and finetune["monthly_usd"] == "33.25"
    assert float(finetune["hourly_usd"]) == pytest.approx(33.25 / 730, abs=1e-4)
    l4 = by[("defect-detector", "aws/eu-central-1")]
    assert l4["pricing"] == "on-demand" and l4["traffic_rps"] == "store-munich=4.4;store-hamburg=4.2"
    assert by[("vision-pretrain", "aws/us-east-1")]["pricing"] == "spot"
    assert to_csv({"horizon_hours": 730, "placements": []}).count("\n") == 1  # header only


def test_table_shows_monthly_and_hourly_side_by_side(capsys):
    _, out, _ = run(capsys, "plan", HUB)
    assert "total $5,863.43/month ($8.03/h)" in out.splitlines()[0]
    header = next(line for line in out.splitlines() if "workload" in line and "pricing" in line)
    assert header.index("per month") < header.index("per hour")
    assert "amortised" in out and "onprem (amortised)" in out


def test_written_reports_get_the_usual_file_mode(tmp_path):
    target = tmp_path / "plan.md"
    old = os.umask(0o022)
    try:
        write_atomic(target, "x")
        assert target.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600
        target.chmod(0o640)
        write_atomic(target, "y")
        assert target.stat().st_mode & 0o777 == 0o640 and target.read_text() == "y"
    finally:
        os.umask(old)


def test_plain_table_matches_rich_layout():
    """Files, pipes and --wide get every column in full, whatever the terminal's width."""
    sc = scenario([site("cloud/a | b", offerings=[offering("g<6>", 1.0)], provider="x&y")],
                  [inference("Ünïcødé 名前", team="a & b")])
    short = scenario([site("cloud/a", offerings=[offering("g", 1.0, available=1)])],
                     [inference(demand={"munich": 30})])  # infeasible: the diagnosis lines too
    for doc in (plan_document(solve(sc)), plan_document(solve(short))):
        assert to_table(doc) == to_table(doc, width=1000, wide=True)


def test_long_plans_fit_a_github_comment(capsys):
    _, out, _ = run(capsys, "plan", HUB, "--format", "json")
    doc = json.loads(out)
    template = doc["placements"][2]
    doc["placements"] = [{**template, "workload": f"w{i:03d}", "cost_usd": float(i + 1)} for i in range(300)]
    doc["cost"]["by_workload"] = {p["workload"]: p["cost_usd"] for p in doc["placements"]}
    doc["total_cost_usd"] = sum(p["cost_usd"] for p in doc["placements"])  # 45,150
    md = to_markdown(doc)
    assert len(md) < 65_536
    assert "_260 more placements (the total covers them) not shown;" in md
    assert "| w299 |" in md and "| w260 |" in md and "| w259 |" not in md  # the 40 dearest stay
    assert "**$45,150.00**" in md  # the total row still adds up every placement
    assert "_260 more workloads not shown;" in md
