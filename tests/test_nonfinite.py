"""nan and inf are refused with a clear message, never accepted silently (issue 26 item 9):
command-line numbers, CSV inputs and every float field of the three file schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import simfiles
from conftest import EXAMPLES, run_cli
from fakes_autoscale import config_dict, write_setup

HUB = EXAMPLES / "hub-and-spoke.yaml"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
@pytest.mark.parametrize("option", ["--gap", "--time-limit"])
def test_plan_refuses_non_finite_numbers(capsys, option, value):
    code, out, err = run_cli(capsys, "plan", HUB, option, value)
    assert code == 2 and out == ""
    assert f"Invalid value for '{option}'" in err and "not a finite number" in err


@pytest.fixture(scope="module")
def doubled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two plans, the second costing twice the first."""
    folder = tmp_path_factory.mktemp("gate")
    data = yaml.safe_load(HUB.read_text())
    from tierplan.cli import main

    paths = []
    for name, factor in (("old", 1), ("new", 2)):
        for site in data["sites"]:
            for offer in site.get("offerings", []):
                offer["usd_per_hour"] = offer.get("usd_per_hour", 1.0) * factor
        scenario = folder / f"{name}.yaml"
        scenario.write_text(yaml.safe_dump(data))
        out = folder / f"{name}.json"
        with pytest.raises(SystemExit) as info:
            main(["plan", str(scenario), "--format", "json", "-o", str(out)])
        assert info.value.code in (0, None)
        data = yaml.safe_load(HUB.read_text())
        paths.append(out)
    return paths[0], paths[1]


@pytest.mark.parametrize("option", ["--fail-above-usd", "--fail-above-percent"])
def test_a_nan_threshold_cannot_turn_the_cost_gate_off(capsys, doubled, option):
    old, new = doubled
    assert json.loads(new.read_text())["total_cost_usd"] > json.loads(old.read_text())["total_cost_usd"]
    code, _, err = run_cli(capsys, "diff", old, new, option, "nan")
    assert code == 2 and "not a finite number" in err
    code, _, _ = run_cli(capsys, "diff", old, new, option, "1")
    assert code == 4  # the gate itself works


@pytest.mark.parametrize("value", ["nan", "inf"])
@pytest.mark.parametrize("column", ["seconds", "rps"])
def test_autoscale_demand_csv_refuses_non_finite(tmp_path, capsys, column, value):
    rows = [(0, "detector", "munich", 10), (0, "detector", "berlin", 5)]
    t, e, c, r = rows[1]
    rows[1] = (value, e, c, r) if column == "seconds" else (t, e, c, value)
    path = write_setup(tmp_path, demand=rows)  # type: ignore[arg-type]
    code, _, err = run_cli(capsys, "autoscale", path, "--once", "--dry-run", "--state", tmp_path / "s.db")
    assert code == 2, err
    assert "demand.csv: line 3: seconds and rps must be finite numbers" in err


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_simulation_availability_count_refuses_non_finite(tmp_path, capsys, value):
    (tmp_path / "available.csv").write_text(f"time,available\n0,2\n60,{value}\n")
    sim = {"duration": "10m", "demand": [{"workload": "web", "client": "c",
                                          "pattern": {"kind": "step", "base_rps": 5}}],
           "events": [{"kind": "availability", "site": "cloud/a", "offering": "gpu",
                       "path": "available.csv"}],
           "policies": [{"kind": "static"}]}
    code, _, err = simfiles.cli_run(capsys, "simulate", str(simfiles.write(tmp_path, sim)))
    assert code == 2, err
    # the message names the data file and line between the field and the problem
    assert "events[0].column: " in err and "available.csv line 3: counts must be finite numbers" in err


def _scenario_with(value: str) -> str:
    return HUB.read_text().replace("horizon_hours: 730", f"horizon_hours: {value}", 1)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "'nan'"])
def test_every_schema_refuses_non_finite_floats(tmp_path, capsys, value):
    # One float field per schema; the shared Strict base model refuses them all.
    data = yaml.safe_load(HUB.read_text())
    data["sites"][0]["offerings"][0]["usd_per_hour"] = "X"
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(data).replace("usd_per_hour: X", f"usd_per_hour: {value}"))
    code, _, err = run_cli(capsys, "validate", scenario)
    assert code == 2 and "usd_per_hour: must be a finite number" in err

    sim = simfiles.write(tmp_path, {"duration": "10m", "policies": [{"kind": "hpa", "tolerance": "X"}]})
    sim.write_text(sim.read_text().replace("tolerance: X", f"tolerance: {value}"))
    code, _, err = simfiles.cli_run(capsys, "simulate", str(sim))
    assert code == 2 and "policies[0].tolerance: must be a finite number" in err

    config = write_setup(tmp_path, config_dict(hpa={"tolerance": "X"}))
    config.write_text(config.read_text().replace("tolerance: X", f"tolerance: {value}"))
    code, _, err = run_cli(capsys, "autoscale", config, "--once", "--dry-run", "--state", tmp_path / "s.db")
    assert code == 2 and "hpa.tolerance: must be a finite number" in err
