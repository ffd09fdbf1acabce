"""`tierplan init` writes a commented starter scenario that validates and plans as written."""

from __future__ import annotations

import pytest
import yaml

from conftest import run_cli

COMBINATIONS = [
    ("cloud,onprem,edge", "aws,gcp,azure"),
    ("cloud,onprem,edge", "aws"),
    ("cloud", "gcp"),
    ("cloud", "azure"),
    ("cloud,edge", "aws,azure"),
    ("onprem", "aws"),
    ("edge", "aws"),
    ("onprem,edge", "gcp"),
]


@pytest.mark.parametrize(("tiers", "clouds"), COMBINATIONS)
def test_the_starter_validates_and_plans_as_written(tmp_path, capsys, tiers, clouds):
    path = tmp_path / "starter.yaml"
    code, _, err = run_cli(capsys, "init", path, "--tiers", tiers, "--clouds", clouds)
    assert code == 0 and f"wrote {path}" in err
    text = path.read_text()
    assert text.count("\n#") + text.count("  #") > 10  # commented for a new user
    data = yaml.safe_load(text)
    site_tiers = {s["tier"] for s in data["sites"]} | ({"cloud"} if "catalog" in data else set())
    assert site_tiers == set(tiers.split(","))
    if "catalog" in data:
        assert data["catalog"]["providers"] == clouds.split(",")
    assert run_cli(capsys, "validate", path)[0] == 0
    code, out, err = run_cli(capsys, "plan", path, "--format", "json")
    assert code == 0, err
    assert '"status": "optimal"' in out


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text("name: precious\n")
    code, _, err = run_cli(capsys, "init", path)
    assert code == 2 and "exists" in err and "--force" in err
    assert path.read_text() == "name: precious\n"
    code, _, _ = run_cli(capsys, "init", path, "--force")
    assert code == 0 and yaml.safe_load(path.read_text())["name"] == "mine"


@pytest.mark.parametrize(("args", "message"), [
    (["--tiers", "cloud,fog"], "--tiers: unknown value 'fog'"),
    (["--tiers", ""], "--tiers: give at least one tier"),
    (["--clouds", "aws,ibm"], "--clouds: unknown value 'ibm'"),
    (["--tiers", "cloud", "--clouds", ","], "--clouds: the cloud tier needs at least one cloud"),
])
def test_bad_flags_are_input_errors(tmp_path, capsys, args, message):
    path = tmp_path / "s.yaml"
    code, _, err = run_cli(capsys, "init", path, *args)
    assert code == 2 and message in err
    assert not path.exists()
