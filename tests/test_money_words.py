"""One money vocabulary: every amount a person reads is a monthly rate (730 h) or says
it is over the horizon, alike in the table, Markdown, HTML and the "wrote ..." line."""

from __future__ import annotations

import re

import yaml

from conftest import EXAMPLES, run_cli


def _quarter(tmp_path):
    """hub-and-spoke over 3mo (2,190 h), its budgets three times as large: every figure
    over the horizon is three months'."""
    data = yaml.safe_load((EXAMPLES / "hub-and-spoke.yaml").read_text())
    data["horizon_hours"] = "3mo"
    for budget in data["budgets"]:
        budget["limit_usd"] *= 3
    path = tmp_path / "quarter.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_wrote_line_gives_the_monthly_rate(capsys, tmp_path):
    code, _, err = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml", "-o", tmp_path / "plan.json")
    assert code == 0
    assert err.strip() == f"wrote {tmp_path / 'plan.json'} (optimal, $5,863.43/month, $8.03/h)"


def test_over_another_horizon_the_horizon_total_is_labelled(capsys, tmp_path):
    path = _quarter(tmp_path)
    code, _, err = run_cli(capsys, "plan", path, "-o", tmp_path / "plan.json")
    assert code == 0
    (line,) = err.strip().splitlines()
    match = re.fullmatch(r"wrote .*plan\.json \(optimal, (\$[\d,.]+)/month, \$[\d,.]+/h, "
                         r"(\$[\d,.]+) over 2190 h\)", line)
    assert match
    month, over = (float(g.strip("$").replace(",", "")) for g in match.groups())
    assert abs(over - 3 * month) <= 0.02


def test_budgets_read_per_month_everywhere_with_the_limit_as_written_beside(capsys, tmp_path):
    path = _quarter(tmp_path)
    _, table, _ = run_cli(capsys, "plan", path)
    header = next(line for line in table.splitlines() if line.strip().startswith("budget"))
    assert header.split()[:8] == ["budget", "used", "per", "month", "limit", "per", "month", "limit"]
    assert "limit over 2190 h" in header
    # the edge budget: $600 over the quarter is $200 a month
    budgets = table[table.index("\nBudgets\n"):]
    edge = next(line for line in budgets.splitlines() if line.strip().startswith("edge "))
    assert "$200.00" in edge and "$600.00" in edge
    _, md, _ = run_cli(capsys, "plan", path, "--format", "markdown")
    assert "| budget | used per month | limit per month | limit over 2190 h | share |" in md
    _, html, _ = run_cli(capsys, "plan", path, "--format", "html")
    card = re.search(r"Tightest budget.*?budgets binding", html, re.S)
    assert card and "of $200.00 per month" in card.group(0)
    assert "limit over 2190 h" in html
