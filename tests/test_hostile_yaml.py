"""Hostile YAML (issue 26 items 1-3): every file that tierplan reads as YAML is refused
with exit code 2, the file and the line named, quickly and in bounded memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from conftest import run_cli
from tierplan.errors import InputError, ScenarioError
from tierplan.safeyaml import DEFAULT_MAX_MIB, MAX_DEPTH, SIZE_VARIABLE, load_yaml, max_bytes, read_yaml

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


# ------------------------------------------------------------------------ the size cap


@pytest.mark.parametrize("surface", SURFACES)
def test_a_yaml_file_over_the_size_limit_is_refused_naming_the_file_and_the_variable(
        tmp_path, capsys, monkeypatch, surface):
    monkeypatch.setenv(SIZE_VARIABLE, "0.01")  # 10,485 bytes
    path = tmp_path / "long.yaml"
    path.write_text("values:\n" + "  - 1\n" * 2000)  # 12,008 bytes of a valid document
    code, out, err = run_cli(capsys, *SURFACES[surface][:1], path, *SURFACES[surface][1:])
    assert code == 2 and "Traceback" not in err + out
    assert err == (f"tierplan: error: {path}: the file is larger than 0.01 MiB, the limit for a YAML "
                   f"input (parsing takes ~10 s a MiB); if it is meant to be this large, raise the "
                   f"limit, e.g. {SIZE_VARIABLE}=0.02\n")


def test_the_limit_is_the_variable_or_the_default(tmp_path, monkeypatch):
    path = tmp_path / "f.yaml"
    path.write_text("values:\n" + "  - 1\n" * 2000)
    monkeypatch.setenv(SIZE_VARIABLE, "0.02")  # raised past the file's size: read as usual
    assert len(read_yaml(path)["values"]) == 2000
    monkeypatch.setenv(SIZE_VARIABLE, str(12_008 / 2**20))  # exactly the file's size
    assert len(read_yaml(path)["values"]) == 2000
    monkeypatch.setenv(SIZE_VARIABLE, str(12_007 / 2**20))
    with pytest.raises(ScenarioError, match="larger than"):
        read_yaml(path)
    with pytest.raises(ScenarioError, match="larger than"):  # text given whole, too
        load_yaml(path.read_text(), str(path))
    monkeypatch.delenv(SIZE_VARIABLE)
    assert max_bytes() == DEFAULT_MAX_MIB * 2**20
    for bad in ("", " "):
        assert max_bytes({SIZE_VARIABLE: bad}) == DEFAULT_MAX_MIB * 2**20
    for bad in ("lots", "0", "-1", "nan", "inf"):
        with pytest.raises(InputError, match=f"{SIZE_VARIABLE}=.*not a size"):
            max_bytes({SIZE_VARIABLE: bad})


def test_a_huge_file_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:  # sparse: 1 GiB that takes no disk
        fh.truncate(2**30)
    tracemalloc.start()
    try:
        began = time.perf_counter()
        with pytest.raises(ScenarioError, match=f"larger than {DEFAULT_MAX_MIB} MiB"):
            read_yaml(path)
        took = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * DEFAULT_MAX_MIB * 2**20 and took < 5
