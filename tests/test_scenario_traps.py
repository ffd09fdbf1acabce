"""Scenario mistakes that used to pass silently (issue 26 item 10): an inference workload
without demand, and ISO codes that YAML 1.1 reads as booleans."""

from __future__ import annotations

import pytest
import yaml

from conftest import EXAMPLES, run_cli

HUB = EXAMPLES / "hub-and-spoke.yaml"


def hub() -> dict:
    return yaml.safe_load(HUB.read_text())


def inference_index(data: dict) -> int:
    return next(i for i, w in enumerate(data["workloads"]) if w["kind"] == "inference")


def test_inference_without_demand_rps_is_an_error(tmp_path, capsys):
    data = hub()
    i = inference_index(data)
    del data["workloads"][i]["demand_rps"]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, err = run_cli(capsys, "plan", path)
    assert code == 2 and out == ""
    assert f"s.yaml: workloads[{i}].demand_rps: an inference workload needs its demand" in err
    assert "demand_rps: {}" in err


def test_an_explicit_empty_demand_is_allowed(tmp_path, capsys):
    data = hub()
    data["workloads"][inference_index(data)]["demand_rps"] = {}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 0, err


@pytest.mark.parametrize("word, value", [("NO", "false"), ("No", "false"), ("OFF", "false"),
                                         ("ON", "true"), ("yes", "true")])
def test_iso_codes_read_as_booleans_say_so(tmp_path, capsys, word, value):
    data = hub()
    data["sites"][0]["jurisdiction"] = "@SITE@"
    data["clients"][0]["jurisdiction"] = "@CLIENT@"
    data["workloads"][0]["jurisdictions"] = ["DE", "@LIST@"]
    text = yaml.safe_dump(data)
    for marker in ("'@SITE@'", "'@CLIENT@'", "'@LIST@'"):
        text = text.replace(marker, word)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2
    for where in ("sites[0].jurisdiction", "clients[0].jurisdiction", "workloads[0].jurisdictions[1]"):
        assert f"{where}: got the boolean {value}: YAML reads an unquoted" in err
    assert "quote the code" in err
    if word == "NO":
        assert "NO (Norway)" in err


def test_a_quoted_no_is_norway(tmp_path, capsys):
    data = hub()
    data["sites"][0]["jurisdiction"] = "NO"  # safe_dump quotes it
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    assert "'NO'" in path.read_text()
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 0, err
