"""`-o FILE` picks the format from a known extension; a contradicting --format is exit 2."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, run_cli

SCENARIO = EXAMPLES / "hub-and-spoke.yaml"


@pytest.mark.parametrize(("name", "check"), [
    ("plan.json", lambda text: json.loads(text)["schema"] == "tierplan.plan/v2"),
    ("plan.csv", lambda text: text.startswith("workload,kind,site,")),
    ("plan.md", lambda text: text.lstrip().startswith("#")),
    ("plan.html", lambda text: text.lstrip().lower().startswith("<!doctype html")),
    ("plan.txt", lambda text: "Placements" in text and not text.lstrip().startswith(("{", "#", "<"))),
])
def test_the_extension_picks_the_format(capsys, tmp_path, name, check):
    path = tmp_path / name
    code, out, _ = run_cli(capsys, "plan", SCENARIO, "-o", path)
    assert code == 0 and out == ""
    assert check(path.read_text())


def test_an_explicit_format_agreeing_with_the_extension_is_fine(capsys, tmp_path):
    path = tmp_path / "PLAN.JSON"
    code, _, _ = run_cli(capsys, "plan", SCENARIO, "--format", "json", "-o", path)
    assert code == 0 and json.loads(path.read_text())


@pytest.mark.parametrize(("fmt", "name"), [("table", "plan.html"), ("json", "plan.csv"),
                                           ("markdown", "plan.json")])
def test_a_format_contradicting_the_extension_is_exit_2_naming_both(capsys, tmp_path, fmt, name):
    path = tmp_path / name
    code, out, err = run_cli(capsys, "plan", SCENARIO, "--format", fmt, "-o", path)
    assert code == 2 and out == "" and not path.exists()
    assert err.startswith(f"tierplan: error: --format {fmt} contradicts -o {path}")
    assert "Traceback" not in err


def test_diff_picks_markdown_from_md_and_refuses_what_it_cannot_write(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    assert run_cli(capsys, "plan", SCENARIO, "-o", plan)[0] == 0
    md = tmp_path / "diff.md"
    code, _, _ = run_cli(capsys, "diff", plan, plan, "-o", md)
    assert code == 0 and md.read_text().lstrip().startswith("#")
    code, _, err = run_cli(capsys, "diff", plan, plan, "-o", tmp_path / "diff.html")
    assert code == 2 and "does not write" in err and "--format table|markdown|json" in err
    code, _, err = run_cli(capsys, "diff", plan, plan, "--format", "json", "-o", md)
    assert code == 2 and "--format json contradicts" in err
