"""Hostile YAML (issue 26 items 1-3): every file that tierplan reads as YAML is refused
with exit code 2, the file and the line named, quickly and in bounded memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from conftest import run_cli
from tierplan.errors import ScenarioError
from tierplan.safeyaml import MAX_DEPTH, load_yaml

HOSTILE = Path(__file__).resolve().parent / "hostile"

# One command per surface that reads a YAML file: scenario, simulation, autoscale config.
SURFACES = {
    "scenario": ("validate",),
    "simulation": ("simulate",),
    "autoscale": ("autoscale", "--once", "--dry-run"),
}

CASES = {
    "list-key.yaml": "a list cannot be a key",
    "mapping-key.yaml": "a mapping cannot be a key",
    "alias-bomb.yaml": "aliases expand to more than",
    "merge-key-bomb.yaml": "aliases expand to more than",
    "cyclic-anchor.yaml": "an alias refers to the anchor it is inside (a cycle)",
    "deep-lists.yaml": f"nested deeper than {MAX_DEPTH} levels",
    "deep-mappings.yaml": f"nested deeper than {MAX_DEPTH} levels",
}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("name", CASES)
def test_hostile_yaml_is_refused_on_every_surface(capsys, surface, name):
    path = HOSTILE / name
    began = time.perf_counter()
    code, out, err = run_cli(capsys, *SURFACES[surface][:1], path, *SURFACES[surface][1:])
    assert time.perf_counter() - began < 10
    assert code == 2, err
    assert err.startswith(f"tierplan: error: {path}: line ")
    assert CASES[name] in err
    assert "Traceback" not in err + out


def test_alias_bomb_is_refused_in_bounded_memory():
    text = (HOSTILE / "alias-bomb.yaml").read_text()
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match="aliases expand"):
            load_yaml(text, "bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_aliases_and_nesting_within_the_limits_still_load():
    shared = "defaults: &d {a: 1, b: [1, 2]}\nx: *d\ny: *d\n"
    assert load_yaml(shared, "f.yaml")["y"] == {"a": 1, "b": [1, 2]}
    depth = MAX_DEPTH - 1
    nested = load_yaml("[" * depth + "]" * depth, "f.yaml")
    for _ in range(depth - 1):
        nested = nested[0]
    assert nested == []


def test_duplicate_and_hashable_keys_keep_their_messages():
    with pytest.raises(ScenarioError, match=r"line 2, column 1: invalid YAML: key 'a' appears twice"):
        load_yaml("a: 1\na: 2\n", "f.yaml")
    assert load_yaml("1: x\n? !!null\n: y\n", "f.yaml") == {1: "x", None: "y"}


def test_a_huge_value_in_an_error_is_shown_cut_short(tmp_path, capsys):
    # Under the alias limit but large: the message must not render it whole.
    path = tmp_path / "big.yaml"
    path.write_text("name: [&l [" + ", ".join(["x" * 50] * 1000) + "], " + ", ".join(["*l"] * 500)
                    + "]\n")
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2 and "name:" in err and len(err) < 300
