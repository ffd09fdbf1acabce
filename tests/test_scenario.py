"""Scenario validation: every error names the file, the field path and what to fix."""

import textwrap

import pytest

from conftest import EXAMPLES, inference, offering, scenario, site
from tierplan import ScenarioError, load_scenario


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


BASE = """
name: t
sites:
  - name: a
    tier: cloud
    location: {lat: 1, lon: 2}
    offerings:
      - {name: l4, accelerator: L4, usd_per_hour: 1}
clients:
  - {name: c, location: {lat: 1, lon: 2}}
workloads:
  - name: w0
    kind: training
    accelerators: {L4: 1}
    work_hours: 2h
  - name: w1
    kind: inference
    accelerators: {L4: {rps: 10, latency_ms: 20}}
    demand_rps: {c: 5}
    latency_slo_ms: 80
"""


def error(tmp_path, text):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    return info.value


def test_examples_are_valid():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert load_scenario(path).workloads


def test_valid_scenario_defaults(tmp_path):
    sc = load_scenario(write(tmp_path, BASE))
    assert sc.horizon_hours == 730 and sc.objective == "cost"
    train, infer = sc.workloads
    assert train.work_hours == 2.0 and train.max_nodes == 1 and train.spot_overhead == 0.1
    assert infer.max_utilization == 0.8 and infer.min_instances == 1 and infer.min_sites == 1
    assert sc.sites[0].offerings[0].accelerator_count == 1
    assert sc.sites[0].bandwidth_gbps == 10 and sc.sites[0].egress_usd_per_gb == 0


def test_bad_number_names_the_path(tmp_path):
    err = error(tmp_path, BASE.replace("latency_slo_ms: 80", "latency_slo_ms: -5"))
    assert err.file.endswith("s.yaml")
    assert err.path == "workloads[1].latency_slo_ms"
    assert "greater than 0" in err.message


def test_unknown_key_suggests_the_right_one(tmp_path):
    err = error(tmp_path, BASE.replace("latency_slo_ms: 80", "latency_slo: 80"))
    assert err.path == "workloads[1].latency_slo"
    assert "did you mean 'latency_slo_ms'" in err.message


def test_unknown_key_in_an_offering(tmp_path):
    err = error(tmp_path, BASE.replace("usd_per_hour: 1}", "usd_per_hour: 1, gpu: 2}"))
    assert err.path == "sites[0].offerings[0].gpu"
    assert "unknown key" in err.message


def test_missing_reference_is_named(tmp_path):
    err = error(tmp_path, BASE.replace("demand_rps: {c: 5}", "demand_rps: {berlin: 5}"))
    assert err.path == "workloads[1].demand_rps.berlin"
    assert "unknown client 'berlin'" in err.message


def test_duplicate_names(tmp_path):
    err = error(tmp_path, BASE.replace("name: w1", "name: w0"))
    assert err.path == "workloads[1].name" and "already used" in err.message


def test_duplicate_yaml_key(tmp_path):
    err = error(tmp_path, BASE.replace("work_hours: 2h", "work_hours: 2h\n    work_hours: 3h"))
    assert "appears twice" in err.message and "line" in err.path


def test_bad_duration(tmp_path):
    err = error(tmp_path, BASE.replace("work_hours: 2h", "work_hours: soon"))
    assert err.path == "workloads[0].work_hours" and "'90s'" in err.message


def test_bad_kind(tmp_path):
    err = error(tmp_path, BASE.replace("kind: training", "kind: trainig"))
    assert err.path.startswith("workloads[0]") and "training" in err.message


def test_invalid_yaml_gives_line(tmp_path):
    err = error(tmp_path, "name: [unclosed\n")
    assert "invalid YAML" in err.message and "line" in err.path


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_site_without_location_needs_every_latency():
    with pytest.raises(ScenarioError) as info:
        scenario([site("a", location=None, offerings=[offering("l4", 1)])], [inference()])
    assert info.value.path == "sites[0].location"
    sc = scenario([site("a", location=None, offerings=[offering("l4", 1)])], [inference()],
                  network={"latency_ms": [{"client": "munich", "site": "a", "ms": 3}]})
    assert sc.network.measured[("munich", "a")] == 3




@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_infinite_and_nan_numbers_are_refused(tmp_path, value):
    err = error(tmp_path, BASE.replace("usd_per_hour: 1", f"usd_per_hour: {value}"))
    assert err.path == "sites[0].offerings[0].usd_per_hour"
    assert "finite number" in err.message


def test_numbers_too_large_together_exit_2_naming_the_workload(capsys, tmp_path):
    # Each number is finite and in range, but 1e12 rps at 1e-3 rps per L4 asks for
    # 1e15 instances: no solver can count that exactly.
    from conftest import run_cli

    path = write(tmp_path, BASE.replace("rps: 10,", "rps: 0.001,").replace("{c: 5}", "{c: 1e12}"))
    code, out, err = run_cli(capsys, "plan", path)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"tierplan: error: {path}: w1: an instance count of 1.25e+15 is too large")
    assert "demand_rps" in err


def test_a_value_of_the_wrong_shape_says_what_the_file_must_hold(tmp_path):
    err = error(tmp_path, BASE.replace("location: {lat: 1, lon: 2}\n    offerings",
                                       "location: 5\n    offerings"))
    assert err.path == "sites[0].location"
    assert err.message == "expected a mapping of keys to values (got 5)"
    err = error(tmp_path, BASE.replace("clients:\n  - {name: c, location: {lat: 1, lon: 2}}",
                                       "clients: {c: 1}"))
    assert err.path == "clients" and err.message == "expected a list (got {'c': 1})"


def test_numbers_that_overflow_to_infinity_together_exit_2(capsys, tmp_path):
    # 1e300 KB per request at $1e300 per GB: the egress cost overflows to inf, which
    # HiGHS once met as "stopped with status Unknown" (exit 1).
    from conftest import run_cli

    text = BASE.replace("location: {lat: 1, lon: 2}\n    offerings",
                        "location: {lat: 1, lon: 2}\n    egress_usd_per_gb: 1.0e+300\n    offerings")
    path = write(tmp_path, text.replace("latency_slo_ms: 80", "latency_slo_ms: 80\n    payload_kb: 1.0e+300"))
    code, out, err = run_cli(capsys, "plan", path)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"tierplan: error: {path}: w1: a cost of inf is too large")
