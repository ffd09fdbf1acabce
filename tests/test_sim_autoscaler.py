"""`{kind: autoscaler, config: autoscale.yaml}`: the autoscaler's decision code (sizing,
guards, stabilisation, floors, budgets, forecast) run in simulated time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simfiles import cli_run, run, scenario, write


def config(tmp_path: Path, **changes: Any) -> str:
    (tmp_path / "demand.csv").write_text("time,client,rps\n0,c,5\n")
    data: dict[str, Any] = {
        "scenario": "scenario.yaml", "interval": "1m",
        "metrics": {"source": "file", "path": "demand.csv"},
        "hpa": {"tolerance": 0.1, "scale_down_window": "5m"},
        "endpoints": [{"workload": "web", "sites": [
            {"site": "cloud/a", "controller": {"type": "dry-run"}},
            {"site": "cloud/b", "controller": {"type": "dry-run"}}]}],
        **changes}
    (tmp_path / "autoscale.yaml").write_text(yaml.safe_dump(data))
    return "autoscale.yaml"


STEP_UP = {"workload": "web", "client": "c", "pattern": {
    "kind": "step", "base_rps": 5, "levels": [{"at": "30m", "rps": 25}, {"at": "1h", "rps": 5}]}}


def test_the_autoscaler_config_follows_demand_with_its_windows(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(scenario()))
    out = run(tmp_path, {"duration": "2h", "provisioning": {"cloud": 0}, "demand": [STEP_UP],
                         "policies": [{"kind": "autoscaler", "config": config(tmp_path)}]})["autoscaler"]
    # one $1 instance; three from step 31 (a tick reads the last minute), and back to one
    # when the last recommendation of 3 (step 60's) is 5 minutes old: steps 31-65
    assert out.unserved_requests == pytest.approx((25 - 10) * 60)
    assert out.total_cost_usd == pytest.approx(1.0 * 2 + 2 * 1.0 * 35 / 60)
    assert out.plan_calls == 120


def test_a_cron_floor_and_a_budget_are_kept(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(scenario()))
    # a floor of 2 replicas at cloud/a from 00:30 for 15 minutes (the run starts at midnight)
    floors = [{"cron": "30 0 * * *", "duration": "15m", "min_replicas": 2, "site": "cloud/a"}]
    name = config(tmp_path, budget_usd_per_hour=2.0)
    data = yaml.safe_load((tmp_path / name).read_text())
    data["endpoints"][0]["floors"] = floors
    (tmp_path / name).write_text(yaml.safe_dump(data))
    out = run(tmp_path, {"duration": "1h", "provisioning": {"cloud": 0},
                         "demand": [{"workload": "web", "client": "c",
                                     "pattern": {"kind": "step", "base_rps": 5,
                                                 "levels": [{"at": "50m", "rps": 45}]}}],
                         "policies": [{"kind": "autoscaler", "config": name}]})["autoscaler"]
    # 1 instance; 2 during the floor (+ the 5-minute window after it); 45 rps want 5 but
    # the $2/h budget allows 2
    series = out.series["instances"].astype(int).tolist()
    assert series[:30] == [1] * 30 and series[30:45] == [2] * 15
    assert max(series[51:]) == 2


def test_a_config_controlling_what_the_scenario_lacks_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(scenario(extra_sites=[
        {"name": "cloud/z", "tier": "cloud", "offerings": [
            {"name": "gpu", "accelerator": "L4", "accelerator_count": 1, "usd_per_hour": 1.0}]}])))
    name = config(tmp_path)
    data = yaml.safe_load((tmp_path / name).read_text())
    data["endpoints"][0]["sites"].append({"site": "cloud/z", "controller": {"type": "dry-run"}})
    (tmp_path / name).write_text(yaml.safe_dump(data))
    path = write(tmp_path, {"duration": "1h", "policies": [{"kind": "autoscaler", "config": name}]})
    code, _, err = cli_run(capsys, "simulate", str(path))
    assert code == 2 and "policies[0].config" in err and "cloud/z" in err and "Traceback" not in err
    code, _, err = cli_run(capsys, "simulate", str(write(tmp_path, {
        "duration": "1h", "policies": [{"kind": "autoscaler", "config": "missing.yaml"}]})))
    assert code == 2 and "policies[0].config" in err and "not found" in err
