"""The command line: exit codes, messages, formats and atomic output."""

import csv
import io
import json
import subprocess
import sys

import pytest

from conftest import EXAMPLES
from conftest import run_cli as run

HUB = str(EXAMPLES / "hub-and-spoke.yaml")


def test_plan_json_follows_the_schema(capsys):
    code, out, _ = run(capsys, "plan", HUB, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "tierplan.plan/v2" and doc["status"] == "optimal"
    for key in ("scenario", "objective", "horizon_hours", "total_cost_usd", "cost", "placements",
                "latency", "budgets", "binding", "diagnosis", "solver"):
        assert key in doc
    assert set(doc["cost"]) >= {"compute_usd", "transfer_usd", "by_tier", "by_provider",
                                "by_site", "by_workload", "by_team"}
    assert doc["total_cost_usd"] == pytest.approx(sum(p["cost_usd"] for p in doc["placements"]),
                                                  abs=0.02)
    training = next(p for p in doc["placements"] if p["kind"] == "training")
    assert {"compute_hours", "transfer_hours", "instances", "purchase"} <= set(training)


def test_table_is_the_default(capsys):
    code, out, _ = run(capsys, "plan", HUB)
    assert code == 0
    for title in ("Placements", "Cost by tier", "Cost by provider", "Cost by site",
                  "Cost by team", "Cost by workload", "Budgets", "Latency"):
        assert title in out


def test_markdown_and_csv(capsys):
    code, out, _ = run(capsys, "plan", HUB, "--format", "markdown")
    assert code == 0 and out.startswith("### tierplan: hub-and-spoke")
    assert "| workload | kind | site |" in out
    code, out, _ = run(capsys, "plan", HUB, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 5 and rows[0]["workload"] == "vision-pretrain"


def test_output_file_is_written_atomically(capsys, tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("previous")
    code, out, err = run(capsys, "plan", HUB, "--format", "json", "-o", str(target))
    assert code == 0 and out == "" and "wrote" in err
    assert json.loads(target.read_text())["status"] == "optimal"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary left over


def test_bad_input_keeps_existing_output(capsys, tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("previous")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nworkloads: []\nsites: []\nbogus: 1\n")
    code, _, err = run(capsys, "plan", str(bad), "-o", str(target))
    assert code == 2
    assert err == f"tierplan: error: {bad}: bogus: unknown key 'bogus'; remove it or check its spelling\n"
    assert target.read_text() == "previous"


def test_infeasible_exits_3_with_diagnosis(capsys):
    code, out, _ = run(capsys, "plan", str(EXAMPLES / "infeasible-slo.yaml"), "--format", "json")
    assert code == 3
    doc = json.loads(out)
    assert doc["status"] == "infeasible" and doc["placements"] == []
    assert "virginia" in doc["diagnosis"][0]


def test_objective_and_solver_options(capsys):
    code, out, _ = run(capsys, "plan", HUB, "--format", "json", "--objective", "latency",
                       "--solver", "cbc", "--gap", "0.001", "--time-limit", "30",
                       "--tie-break", "exact", "--workers", "1")
    doc = json.loads(out)
    assert code == 0 and doc["objective"] == "latency" and doc["solver"]["name"] == "CBC"


def test_usage_error_exits_2(capsys):
    code, _, err = run(capsys, "plan", HUB, "--format", "pdf")
    assert code == 2 and "pdf" in err


def test_validate(capsys, tmp_path):
    code, out, _ = run(capsys, "validate", HUB)
    assert code == 0 and "valid: 5 sites, 7 offerings, 2 clients, 3 workloads" in out
    missing = tmp_path / "missing.yaml"
    code, _, err = run(capsys, "validate", str(missing))
    assert code == 2 and "file not found" in err


def test_real_process_exit_codes_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsites:\n  - {name: a, tier: moon}\nworkloads: []\n")
    proc = subprocess.run([sys.executable, "-m", "tierplan", "validate", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "sites[0].tier" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "tierplan", "plan", HUB, "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stderr == ""  # quiet when piped
    # Nothing but the plan on stdout: highspy 1.16 prints a banner there from C++ when
    # the first Highs object is made, which would break `| jq`.
    assert json.loads(proc.stdout)["status"] == "optimal"


def test_a_run_past_the_time_limit_says_so(capsys, monkeypatch):
    import time

    from tierplan.cli import plan as plan_cli

    real = plan_cli.plan

    def slow(scenario, options):  # a plan whose feasible start outlasts the limit
        time.sleep(0.7)
        return real(scenario, options)

    code, _, err = run(capsys, "plan", HUB, "--format", "json")
    assert code == 0 and "past --time-limit" not in err
    monkeypatch.setattr(plan_cli, "plan", slow)
    code, out, err = run(capsys, "plan", HUB, "--format", "json", "--time-limit", "0.1")
    assert code == 0 and json.loads(out)["placements"]
    assert "past --time-limit 0.1 s: steps that cannot stop part-way were finished" in err
    assert "docs/plan-semantics.md" in err  # where the rule is written down
