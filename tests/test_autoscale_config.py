"""The autoscale config: validation with file and field path, narrowing of the scenario."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fakes_autoscale import CLOUD, EDGE, config_dict, write_setup
from tierplan.autoscaler.config import load_config
from tierplan.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent


def error_of(tmp_path: Path, config: dict) -> ScenarioError:
    path = write_setup(tmp_path, config)
    with pytest.raises(ScenarioError) as info:
        load_config(path)
    return info.value


def test_valid_config_is_narrowed_to_one_hour_and_the_controlled_offerings(tmp_path):
    config = load_config(write_setup(tmp_path))
    sc = config.scenario
    assert sc.horizon_hours == 1.0
    assert [w.name for w in sc.workloads] == ["detector"]  # the training workload is left out
    assert {s.name: [o.name for o in s.offerings] for s in sc.sites} == {
        EDGE: ["orin"], CLOUD: ["g6.xlarge"]}
    edge, cloud = config.endpoints[0].sites
    assert edge.offering == "orin" and edge.capacity_rps == pytest.approx(6 * 0.8)
    assert cloud.capacity_rps == pytest.approx(40 * 0.8)
    assert edge.settings.max_replicas == 3  # the offering's 'available'
    assert edge.settings.min_replicas == 0 and edge.settings.scale_down_window_s == 300
    assert config.interval_s == 30
    assert set(config.endpoints[0].clients) == {"munich", "berlin"}
    assert config.state_url == str(tmp_path / ".tierplan" / "state" / "autoscale.db")


def test_budgets_become_per_hour(tmp_path):
    from fakes_autoscale import SCENARIO
    scenario = {**SCENARIO, "budgets": [{"name": "all", "limit_usd": 730.0},
                                        {"name": "train", "kind": "training", "limit_usd": 1.0}]}
    config = load_config(write_setup(tmp_path, config_dict(budget_usd_per_hour=2.5), scenario))
    assert {b.name: b.limit_usd for b in config.scenario.budgets} == {"all": 1.0, "autoscale-hourly": 2.5}


@pytest.mark.parametrize(("change", "path", "words"), [
    (lambda c: c.update(intervall="1m"), "intervall", "did you mean 'interval'"),
    (lambda c: c["endpoints"][0]["sites"][1]["controller"].update(type="gke"),
     "endpoints[0].sites[1].controller.type", "type must be one of"),
    (lambda c: c["endpoints"][0]["sites"][1].update(controller={"type": "sagemaker", "variant": "x"}),
     "endpoints[0].sites[1].controller.endpoint", "required"),
    (lambda c: c["endpoints"][0]["sites"][0]["controller"].update(replicsa=2),
     "endpoints[0].sites[0].controller.replicsa", "did you mean 'replicas'"),
    (lambda c: c.update(interval="soon"), "interval", "not a duration"),
    (lambda c: c["endpoints"][0].update(workload="detektor"), "endpoints[0].workload",
     "did you mean 'detector'"),
    (lambda c: c["endpoints"][0].update(workload="trainer"), "endpoints[0].workload", "training workload"),
    (lambda c: c["endpoints"][0]["sites"][1].pop("offering"), "endpoints[0].sites[1].offering",
     "g6.xlarge"),
    (lambda c: c["endpoints"][0]["sites"][0].update(site="edge/munchen"), "endpoints[0].sites[0].site",
     "did you mean 'edge/munich'"),
    (lambda c: c["endpoints"][0]["sites"][0].update(min_replicas=4, max_replicas=2),
     "endpoints[0].sites[0].max_replicas", "below min_replicas"),
    (lambda c: c["endpoints"][0].update(floors=[{"cron": "0 25 * * *", "duration": "1h", "min_replicas": 1}]),
     "endpoints[0].floors[0].cron", "crontab"),
    # once "OverflowError: date value out of range" on every tick
    (lambda c: c["endpoints"][0].update(floors=[{"cron": "0 8 * * *", "duration": 1e12, "min_replicas": 1}]),
     "endpoints[0].floors[0].duration", "less than or equal to 31622400"),
    (lambda c: c.update(metrics={"source": "prometheus", "url": "http://x"}),
     "endpoints[0].demand.query", "query"),
    (lambda c: c.update(metrics={"source": "graphite"}), "metrics.source", "source must be one of"),
    (lambda c: c.update(scenario="nope.yaml"), "scenario", "not found"),
])
def test_bad_config_names_the_file_and_the_field(tmp_path, change, path, words):
    config = config_dict()
    change(config)
    err = error_of(tmp_path, config)
    assert err.file.endswith("autoscale.yaml")
    assert err.path == path
    assert words in err.message


def test_cli_exits_2_with_file_and_path_and_no_traceback(tmp_path):
    config = config_dict()
    config["endpoints"][0]["sites"][0]["max_replicas"] = -1
    path = write_setup(tmp_path, config)
    out = subprocess.run([sys.executable, "-m", "tierplan", "autoscale", str(path), "--once"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert f"{path}: endpoints[0].sites[0].max_replicas" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_bad_scenario_names_the_scenario_file(tmp_path):
    path = write_setup(tmp_path)
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump({"name": "x", "sites": [], "bogus": 1}))
    with pytest.raises(ScenarioError) as info:
        load_config(path)
    assert info.value.file.endswith("scenario.yaml") and info.value.path == "bogus"


def test_examples_load():
    for path in sorted((ROOT / "examples" / "autoscale").glob("*.yaml")):
        if path.name.startswith("scenario"):
            continue
        load_config(path)

