"""`tierplan simulate` inputs: every mistake in a simulation file or the data files it
names is exit 2 with the file and the field, never a traceback, a hang or a blow-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simfiles import cli_run, run, scenario, write
from tierplan.errors import ScenarioError
from tierplan.simulations import load_simulation

# ------------------------------------------------------------------ the simulation file


@pytest.mark.parametrize(("change", "where", "message"), [
    ({"policies": [{"kind": "greedy"}, {"kind": "optimal", "intervall": "1h"}]},
     "policies[1].intervall", "did you mean 'interval'"),
    ({"policies": [{"kind": "optimum"}]}, "policies[0].kind", "did you mean 'optimal'"),
    ({"events": [{"kind": "outage", "site": "cloud/c", "start": 0, "end": 1}]}, "events[0].site",
     "did you mean"),
    ({"events": [{"kind": "outage", "site": "cloud/a", "start": 2, "end": 1}]}, "events[0].end", "after"),
    ({"demand": [{"workload": "web", "trace": {"path": "missing.csv"}}]}, "demand[0].trace.path",
     "not found"),
    ({"demand": [{"workload": "webb", "pattern": {"kind": "diurnal", "mean_rps": 1}}]}, "demand[0].workload",
     "did you mean 'web'"),
    ({"duration": "1m", "step": "2m"}, "step", "longer than the duration"),
    ({"duration": "7d", "step": "0.1s"}, "step", "6,048,000 steps; at most 5,000,000"),
    ({"duration": 1e300, "step": 1e-300}, "step", "inf steps; at most 5,000,000"),
    ({"duration": 1e250, "step": "1s"}, "step", "3.6e+253 steps; at most 5,000,000"),
    ({"scenario": "nope.yaml"}, "scenario", "not found"),
    ({"training": [{"workload": "web", "at": [0]}]}, "training[0].workload", "not a training"),
    ({"events": [{"kind": "availability", "site": "cloud/a", "offering": "gpu"}]}, "events[0]",
     "exactly one of 'points' or 'path'"),
    ({"events": [{"kind": "availability", "site": "cloud/a", "offering": "cpu", "points": []}]},
     "events[0].offering", "has no offering 'cpu'"),
])
def test_validation_names_file_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         change: dict[str, Any], where: str, message: str) -> None:
    sim = {"duration": "1h", "policies": [{"kind": "greedy"}], **change}
    path = write(tmp_path, sim)
    with pytest.raises(ScenarioError) as err:
        load_simulation(path)
    assert err.value.path == where
    assert message in err.value.message
    code, out, err = cli_run(capsys, "simulate", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"tierplan: error: {path}: {where}: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_training_arrivals_every_interval_and_their_limit(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    scen = scenario(workloads=[{"name": "train", "kind": "training", "accelerators": {"A100": 1.0},
                                "work_hours": 1}])
    path = write(tmp_path, {"duration": "6h", "policies": [{"kind": "greedy"}],
                            "training": [{"workload": "train", "every": "2h", "start": "1h"}]}, scen)
    # From 1 h every 2 h, before 6 h: 1, 3 and 5 h.
    assert [a.at_s / 3600 for a in load_simulation(path).jobs] == [1, 3, 5]
    # An interval of 1e-300 h once looped for ever (adding it to the clock changed nothing).
    path = write(tmp_path, {"duration": "6h", "policies": [{"kind": "greedy"}],
                            "training": [{"workload": "train", "every": 1e-300}]}, scen)
    code, out, err = cli_run(capsys, "simulate", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"tierplan: error: {path}: training[0].every: ") and "at most 100,000" in err


def test_a_negative_seed_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"duration": "1h", "seed": -1, "policies": [{"kind": "greedy"}]})
    code, out, err = cli_run(capsys, "simulate", str(path))
    assert code == 2 and out == "" and err.startswith(f"tierplan: error: {path}: seed: ")
    assert "greater than or equal to 0" in err


SPOT_HEAD = "Timestamp,Region,AvailabilityZone,InstanceType,ProductDescription,SpotPrice\n"
GPU_SITE = {"name": "cloud/gpu", "tier": "cloud", "offerings": [
    {"name": "p4d", "accelerator": "A100", "accelerator_count": 8, "usd_per_hour": 30.0,
     "spot_usd_per_hour": 10.0}]}


@pytest.mark.parametrize(("data", "entry", "where", "message"), [
    ("", {"kind": "spot_series"}, "events[0].path", "cannot read"),
    (b"\xff\xfe\x00binary", {"kind": "spot_series"}, "events[0].path", "cannot read"),
    (SPOT_HEAD + "yesterday,r,r-a,p3,Linux/UNIX,5.0\n", {"kind": "spot_series"}, "events[0].path",
     "cannot read the timestamps"),
    (SPOT_HEAD + "2020-01-01T00:00:00Z,r,r-a,p3,Linux/UNIX,cheap\n", {"kind": "spot_series"},
     "events[0].path", "line 2: SpotPrice values (USD per hour) must be finite numbers from 0 to "
     "1,000,000,000; 'cheap' is not a number"),
    (SPOT_HEAD + "2020-01-01T00:00:00Z,r,r-a,p3,Linux/UNIX,-5\n", {"kind": "spot_series"},
     "events[0].path", "line 2: SpotPrice values (USD per hour) must be finite numbers from 0 to "
     "1,000,000,000; -5 is negative"),
    ("time,available\n0,4\n,1\n", {"kind": "availability"}, "events[0].time_column",
     "every row needs a time"),
    ("TIMESTAMP\n0\ninf\n", {"trace": True}, "demand[0].trace.time_column", "every row needs a time"),
])
def test_unreadable_data_files_name_the_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              data: str | bytes, entry: dict[str, Any], where: str,
                                              message: str) -> None:
    csv_path = tmp_path / "data.csv"
    if isinstance(data, bytes):
        csv_path.write_bytes(data)
    else:
        csv_path.write_text(data)
    sim: dict[str, Any] = {"duration": "1h", "policies": [{"kind": "greedy"}]}
    if entry.get("kind") == "spot_series":
        sim["events"] = [{"kind": "spot_series", "site": "cloud/gpu", "offering": "p4d",
                          "path": "data.csv", "instance_type": "p3", "region": "r",
                          "bid_usd_per_hour": 20}]
    elif entry.get("kind") == "availability":
        sim["events"] = [{"kind": "availability", "site": "cloud/a", "offering": "gpu",
                          "path": "data.csv"}]
    else:
        sim["demand"] = [{"workload": "web", "client": "c", "trace": {"path": "data.csv"}}]
    path = write(tmp_path, sim, scenario(extra_sites=[GPU_SITE]))
    code, out, err = cli_run(capsys, "simulate", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"tierplan: error: {path}: {where}: ") and message in err, err
    assert "You might want" not in err  # pandas' advice about its own arguments


def test_a_request_trace_far_in_the_future_is_cut_to_the_simulation(tmp_path: Path) -> None:
    # A request at 1e15 s once asked numpy for a 121 TiB array of minute buckets; it is
    # refused now (more than a century), and a request 30 years later is cut.
    (tmp_path / "req.csv").write_text("TIMESTAMP\n0\n30\n1e9\n")
    out = run(tmp_path, {"duration": "2m", "demand": [
        {"workload": "web", "client": "c", "trace": {"path": "req.csv", "loop": False}}],
        "policies": [{"kind": "static"}]})["static"]
    assert list(out.series["demand_rps"]) == [2 / 60, 0]


def test_a_user_policy_that_raises_is_reported_with_its_entry(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"duration": "1h", "policies": [
        {"kind": "python", "name": "mine", "object": "json:loads"}]})
    code, out, err = cli_run(capsys, "simulate", str(path), "--allow-python")  # json is not tierplan's
    assert code == 2 and out == ""
    assert err.startswith(f"tierplan: error: {path}: policies[0].params: json:loads(name, **params) "
                          "failed: JSONDecodeError: ")


def test_a_model_too_large_to_plan_names_the_simulation_and_its_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 1e14 rps of demand on 10-rps instances: 1e13 instances, each figure fine alone.
    path = write(tmp_path, {"duration": "2m", "policies": [{"kind": "optimal"}], "demand": [
        {"workload": "web", "pattern": {"kind": "step", "base_rps": 1e14}}]})
    code, out, err = cli_run(capsys, "simulate", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"tierplan: error: {path} (scenario {tmp_path / 'scenario.yaml'}): web: ")
    assert "too large to plan exactly" in err
