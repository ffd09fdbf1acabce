"""Every schema problem of a scenario, simulation or autoscale file is reported at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLES, run_cli
from tierplan import ScenarioError, load_scenario
from tierplan.errors import ScenarioErrors

SCENARIO = """\
name: t
horizon_hours: 3x
sites:
  - name: a
    tier: cloud
    location: {lat: 1, lon: 2}
    offerings:
      - {name: l4, accelerator: L4, usd_per_hour: -1}
clients:
  - {name: c, location: {lat: 1, lon: 2}}
workloads:
  - name: w0
    kind: training
    accelerators: {L4: 1}
    work_hours: soon
  - name: w1
    kind: inference
    accelerators: {L4: {rps: 10, latency_ms: 20}}
    demand_rps: {c: 5}
    latency_slo: 80
"""


def test_a_scenario_reports_every_problem_with_file_and_path(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    with pytest.raises(ScenarioErrors) as info:
        load_scenario(path)
    found = {p.path: p.message for p in info.value.problems}
    assert set(found) == {"workloads[1].latency_slo", "horizon_hours", "sites[0].offerings[0].usd_per_hour",
                          "workloads[0].work_hours"}
    # The misspelt key is one mistake: no second "latency_slo_ms is required" line.
    assert "did you mean 'latency_slo_ms'" in found["workloads[1].latency_slo"]
    assert all(p.file == str(path) for p in info.value.problems)
    # The first problem still answers as a plain ScenarioError does.
    assert info.value.path == "workloads[1].latency_slo"


def test_the_cli_prints_them_all_and_exits_2(capsys, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"tierplan: error: 4 problems in {path}:"
    assert f"  {path}: workloads[0].work_hours: 'soon' is not a duration" in err
    assert f"  {path}: sites[0].offerings[0].usd_per_hour: must be greater than or equal to 0" in err
    assert len(lines) == 5


def test_one_problem_reads_as_before(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("3x", "3mo").replace("-1}", "1}").replace("soon", "3d6h")
                    .replace("latency_slo:", "latency_slo_ms:").replace("accelerators: {L4: 1}",
                                                                       "accelerators: {L4: fast}"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert not isinstance(info.value, ScenarioErrors)
    assert str(info.value) == f"{path}: workloads[0].accelerators.L4: must be a number (got 'fast')"


def test_past_twenty_problems_the_rest_are_counted(tmp_path):
    offerings = "\n".join(f"      - {{name: o{i}, accelerator: L4, usd_per_hour: -{i + 1}}}"
                          for i in range(25))
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("      - {name: l4, accelerator: L4, usd_per_hour: -1}", offerings))
    with pytest.raises(ScenarioErrors) as info:
        load_scenario(path)
    text = str(info.value).splitlines()
    assert len(info.value.problems) == 28
    assert text[0] == f"28 problems in {path}:"
    assert len(text) == 1 + 20 + 1 and text[-1] == "  ... and 8 more"


def test_a_simulation_file_reports_every_problem(capsys, tmp_path):
    for name in ("multicloud-llm.yaml",):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    sim = tmp_path / "sim.yaml"
    sim.write_text(Path(EXAMPLES / "simulations" / "region-outage.yaml").read_text()
                   .replace("../multicloud-llm.yaml", "multicloud-llm.yaml")
                   .replace("duration: 2d", "duration: 2x").replace("step: 60s", "stepp: 60s")
                   .replace("seed: 7", "seed: seven"))
    code, out, err = run_cli(capsys, "simulate", sim)
    assert code == 2 and out == ""
    assert f"3 problems in {sim}:" in err
    assert f"{sim}: duration: '2x' is not a duration" in err
    assert f"{sim}: stepp: unknown key 'stepp' (did you mean 'step'?)" in err
    assert f"{sim}: seed: must be a whole number (got 'seven')" in err


def test_an_autoscale_file_reports_every_problem(capsys, tmp_path):
    shutil.copy(EXAMPLES / "hub-and-spoke.yaml", tmp_path / "hub-and-spoke.yaml")
    shutil.copy(EXAMPLES / "autoscale" / "demand.csv", tmp_path / "demand.csv")
    config = tmp_path / "auto.yaml"
    config.write_text((EXAMPLES / "autoscale" / "dry-run.yaml").read_text()
                      .replace("../hub-and-spoke.yaml", "hub-and-spoke.yaml")
                      .replace("interval: 30s", "interval: -30s").replace("tolerance: 0.1", "tolerence: 0.1")
                      .replace("max_replicas: 4", "max_replicas: many"))
    code, out, err = run_cli(capsys, "autoscale", config, "--once", "--state", tmp_path / "s.db")
    assert code == 2 and out == ""
    assert f"3 problems in {config}:" in err
    assert f"{config}: interval: '-30s' is negative" in err
    assert f"{config}: hpa.tolerence: unknown key 'tolerence' (did you mean 'tolerance'?)" in err
    assert f"{config}: endpoints[0].sites[2].max_replicas: must be a whole number (got 'many')" in err


REFERENCES = """\
name: several-mistakes
clients:
  - {name: munich, location: {lat: 48.1, lon: 11.6}}
sites:
  - name: edge/a
    tier: edge
    location: {lat: 48.1, lon: 11.6}
    offerings:
      - {name: orin, accelerator: Jetson-AGX-Orin, accelerator_count: 0, usd_per_hour: 0.05}
  - {name: edge/a, tier: edge, location: {lat: 48.1, lon: 11.6}, offerings: []}
datasets:
  - {name: d, size_gb: 1, site: edge/nowhere}
workloads:
  - name: w1
    kind: inference
    accelerators: {Jetson-AGX-Orin: {rps: 5, latency_ms: 10}}
    demand_rps: {munchen: 3}
    latency_slo_ms: 80
  - {name: w2, kind: training, accelerators: {A100: 1.0}, work_hours: 3, datasets: [nope]}
"""


def test_mistakes_in_names_and_references_are_reported_at_once(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(REFERENCES)
    with pytest.raises(ScenarioErrors) as info:
        load_scenario(path)
    paths = [p.path for p in info.value.problems]
    assert paths == ["sites[1].name", "sites[0].offerings[0].accelerator_count",
                     "datasets[0].site", "workloads[0].demand_rps.munchen",
                     "workloads[1].datasets[0]"]
    assert "did you mean 'munich'" in str(info.value)
