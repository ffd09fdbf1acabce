"""Tables fitted to a terminal: at 80-160 columns no line is longer than the terminal,
no number wraps, no name is cut, and what is hidden is said (reports.fit through
to_table's ``width`` seam, which renders with Rich's Console(width=...))."""

from __future__ import annotations

import json
import re

import pytest

from conftest import EXAMPLES, run_cli
from tierplan.cli import common
from tierplan.reports.document import plan_document
from tierplan.reports.render import to_table
from tierplan.reports.tables import plan_tables
from tierplan.scenario import load_scenario
from tierplan.scheduler import PlanOptions, plan

WIDTHS = (80, 100, 120, 160)
MONEY = re.compile(r"\$[\d,]+\.\d\d")


@pytest.fixture(scope="module")
def hub() -> dict:
    return plan_document(plan(load_scenario(EXAMPLES / "hub-and-spoke.yaml"), PlanOptions()))


@pytest.fixture(scope="module")
def big(hub) -> dict:
    """Long names and seven-figure amounts: the cells a narrow terminal once split."""
    doc = json.loads(json.dumps(hub))
    for i, p in enumerate(doc["placements"]):
        p.update(workload=f"customer-facing-llm-inference-{i}", site="gcp/europe-west4",
                 offering="a3-highgpu-8g", cost_usd=1_234_567.89 * (i + 1), instances=128)
    doc["total_cost_usd"] = sum(p["cost_usd"] for p in doc["placements"])
    return doc


def _words(doc: dict) -> set[str]:
    return {p[k] for p in doc["placements"] for k in ("workload", "site", "offering")}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["hub", "big"])
def test_the_default_table_fits_and_keeps_numbers_and_names_whole(request, which, width):
    doc = request.getfixturevalue(which)
    out = to_table(doc, width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    # Every monthly figure of the placements table is on one line, whole.
    placements = plan_tables(doc)[0]
    month = placements.header.index("per month")
    for row in placements.rows:
        assert row[month] in out
    # Names are never cut short: whole, or (too long for the room) folded onto the next line.
    assert "…" not in out
    if width >= 100:
        assert all(name in out for name in _words(doc))
    # Money never breaks across lines: each line's "$..." ends in cents.
    assert all(MONEY.fullmatch(m) for line in lines for m in re.findall(r"\$[\d,.]+", line)
               if not m.endswith(","))


def test_the_default_keeps_workload_site_offering_n_and_month_at_100(hub):
    out = to_table(hub, 100)
    header = next(line for line in out.splitlines() if line.strip().startswith("workload") and "site" in line)
    assert header.split() == ["workload", "site", "offering", "n", "pricing", "$/month"]
    assert "Hidden to fit 100 columns: kind, tier, accel, $/h, detail" in out
    assert "--wide (or a pipe) shows every column." in " ".join(out.split())


def test_a_wide_terminal_shows_more_and_says_less(hub):
    out = to_table(hub, 160)
    header = next(line for line in out.splitlines() if line.strip().startswith("workload") and "site" in line)
    assert {"accel", "$/h", "detail"} <= set(header.split())
    assert "Hidden to fit 160 columns: kind, tier." in out


@pytest.mark.parametrize("width", WIDTHS)
def test_wide_and_pipes_show_every_column_whatever_the_width(hub, width):
    wide = to_table(hub, width, wide=True)
    assert wide == to_table(hub)
    header = next(line for line in wide.splitlines()
                  if line.strip().startswith("workload") and "kind" in line)
    assert header.split()[:4] == ["workload", "kind", "site", "tier"] and "Hidden" not in wide


def test_the_cli_fits_a_terminal_and_wide_undoes_it(capsys, monkeypatch):
    from tierplan.cli import plan as plan_cli

    monkeypatch.setattr(plan_cli, "table_width", lambda output: 100)
    code, out, _ = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml")
    assert code == 0 and max(map(len, out.splitlines())) <= 100 and "Hidden to fit 100" in out
    code, out, _ = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml", "--wide")
    assert code == 0 and "Hidden" not in out and " kind " in out


@pytest.mark.parametrize("width", WIDTHS)
def test_catalog_offerings_never_cut_a_region(capsys, monkeypatch, width):
    monkeypatch.setattr(common, "table_width", lambda output: width)
    code, out, _ = run_cli(capsys, "catalog", "offerings", "--region", "europe-west4")
    assert code == 0 and max(map(len, out.splitlines())) <= width
    rows = [line for line in out.splitlines() if line.strip().startswith("gcp")]
    assert rows and all(line.split()[1] == "europe-west4" for line in rows)
    assert "…" not in out
    if width < 160:
        assert "--wide (or a pipe) shows every column." in " ".join(out.split())


def test_catalog_in_a_pipe_is_plain_and_complete(capsys):
    code, out, _ = run_cli(capsys, "catalog", "offerings", "--region", "europe-west4")
    assert code == 0 and "Hidden" not in out
    assert out.splitlines()[2].split()[:3] == ["provider", "region", "instance"]
    assert "as of" in out.splitlines()[2]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_diff_table_fits(capsys, monkeypatch, tmp_path, width):
    base, tight = tmp_path / "base.json", tmp_path / "tight.json"
    assert run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml", "-o", base)[0] == 0
    doc = json.loads(base.read_text())
    for p in doc["placements"]:
        p["cost_usd"] *= 3
    doc["total_cost_usd"] *= 3
    tight.write_text(json.dumps(doc))
    from tierplan.cli import diff as diff_cli

    monkeypatch.setattr(diff_cli, "table_width", lambda output: width)
    code, out, _ = run_cli(capsys, "diff", base, tight)
    assert code == 0 and max(map(len, out.splitlines())) <= width
    assert all(MONEY.fullmatch(m.lstrip("+-")) for line in out.splitlines()
               for m in re.findall(r"[+-]?\$[\d,.]+", line) if not m.endswith(","))


def test_a_pipe_gets_the_same_bytes_every_time(capsys):
    first = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml")[1]
    second = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml")[1]
    assert first == second and "Hidden" not in first
    assert first.splitlines()[0].endswith("HiGHS, gap 0")  # no solver timing


def test_hostile_names_are_shown_as_written_in_a_fitted_table(hub):
    doc = json.loads(json.dumps(hub))
    doc["placements"][0]["workload"] = "[/]x\x1b[2J"
    doc["scenario"] = "[red]s[/red]"
    out = to_table(doc, 100)
    assert "[/]x\\x1b[2J" in out and "\x1b" not in out
    assert out.startswith("[red]s[/red]: optimal")
