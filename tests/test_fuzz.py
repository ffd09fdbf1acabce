"""Fuzzing every file surface (issue 26): mutants of valid scenario, simulation and
autoscale files, and the hand-made hostile corpus in tests/hostile/, must end in exit
0, 2 or 3 (an InputError for the loaders), never a traceback, in bounded memory.

Hypothesis is derandomized, so the suite draws the same mutants every run. Mutants go
through the loading path (YAML, schema, the checks that build the model), which is
where a file's content is interpreted; the corpus goes through the full commands.
"""

from __future__ import annotations

import copy
import os
import pickle
import resource
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simfiles
from conftest import EXAMPLES, run_cli
from fakes_autoscale import config_dict, write_setup
from tierplan.autoscaler.config import load_config
from tierplan.errors import InputError
from tierplan.simulations import load_simulation

pytestmark = pytest.mark.integration  # long hypothesis runs over every input file

HOSTILE = Path(__file__).resolve().parent / "hostile"
PEAK_BYTES = 200 * 2**20  # resident growth per input; the alias bomb alone took gigabytes
CHILD_HEADROOM = 2 * 2**30  # address space a child may add: numpy's thread pools reserve some

HOSTILE_TEXT = ["[/]", "[/bold]", "[red]x[/red]", "\x1b]0;t\x07\x1b[2J", "\u202eevil", "=HYPERLINK(\"x\")",
                "+SUM(1,2)", "@SUM(1,2)", "-2+3", "NO", "nan", "inf", "1e308", "-1", "0", "", " ",
                "x" * 5000, "../../etc/passwd", "os:system", "{{7*7}}", "${HOME}", "7d", "1e9h"]
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e300, -1e300, 1e-300, 0.0, -0.0]),
    st.text(max_size=20), st.sampled_from(HOSTILE_TEXT),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _containers(node: Any, out: list[Any]) -> list[Any]:
    if isinstance(node, dict | list):
        out.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, out)
    return out


@st.composite
def mutants(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with one to four random edits: a value replaced, a key dropped or added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(_containers(doc, [])))
        op = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if isinstance(target, dict):
            if op == "add" or not target:
                target[draw(st.text(max_size=12) | st.sampled_from(sorted(map(str, target)) or ["x"]))] = \
                    draw(VALUES)
                continue
            key = draw(st.sampled_from(sorted(target, key=str)))
            if op == "drop":
                del target[key]
            else:
                target[key] = draw(VALUES)
        elif target:
            i = draw(st.integers(0, len(target) - 1))
            if op == "drop":
                del target[i]
            else:
                target[i] = draw(VALUES)
        else:
            target.append(draw(VALUES))
    return doc


@st.composite
def damaged_text(draw: st.DrawFn, text: str) -> bytes:
    """The YAML text cut short, with random bytes written over or into it."""
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        chunk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
            [b"&a [*a, *a]", b"? [a]\n: 1", b"!!python/object/apply:os.system ['true']", b"\t", b"\x00",
             b"\xff\xfe", b"{", b"- ", b": :", b"*undefined"]))
        data[at:at + draw(st.integers(0, 4))] = chunk
    return bytes(data[:draw(st.integers(0, len(data)))] if draw(st.booleans()) else data)


def _vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize in /proc/self/status")


def bounded(fn: Callable[[], Any]) -> Any:
    """``fn()`` in a forked child whose address space may grow by at most CHILD_HEADROOM
    (so a bomb fails fast instead of eating the machine) and whose resident memory may
    grow by at most PEAK_BYTES; its result (or traceback) comes back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read)
            limit = _vm_bytes() + CHILD_HEADROOM
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                outcome: tuple[str, Any] = ("ok", fn())
            except BaseException:  # reported to the parent, which fails the test
                outcome = ("raised", traceback.format_exc())
            grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
            with os.fdopen(write, "wb") as out:
                pickle.dump((outcome, grew), out)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as inp:
        data = inp.read()
    os.waitpid(pid, 0)
    assert data, "the child died without an answer"
    (kind, value), grew = pickle.loads(data)
    assert kind == "ok", value
    assert grew < PEAK_BYTES, f"resident memory grew by {grew / 2**20:.0f} MiB"
    return value


def test_the_memory_bound_can_fail():
    assert bounded(lambda: len(bytearray(PEAK_BYTES // 2))) == PEAK_BYTES // 2
    with pytest.raises(AssertionError, match="resident memory grew"):
        bounded(lambda: len(bytearray(PEAK_BYTES + 2**20)))  # zero-filled: resident
    with pytest.raises(AssertionError, match="MemoryError"):
        bounded(lambda: bytearray(CHILD_HEADROOM + 2**30))


def loads_or_refuses(load: Callable[[Path], Any], path: Path) -> None:
    """Loaded (exit 0) or an InputError naming the file (exit 2); anything else fails."""
    def attempt() -> None:
        try:
            load(path)
        except InputError as exc:
            assert str(path) in str(exc)

    bounded(attempt)


SCENARIO = yaml.safe_load((EXAMPLES / "hub-and-spoke.yaml").read_text())
SIMULATION = {"name": "t", "scenario": "scenario.yaml", "step": "60s", "duration": "10m",
              "demand": [{"workload": "web", "client": "c",
                          "pattern": {"kind": "step", "base_rps": 5, "levels": [{"at": "5m", "rps": 8}]}}],
              "events": [{"kind": "outage", "site": "cloud/a", "start": "2m", "end": "4m"}],
              "policies": [{"kind": "greedy"}, {"kind": "hpa", "tolerance": 0.2}],
              "sweep": {"demand_scale": [0.5, 1.0]}}
AUTOSCALE = config_dict()
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def _validate(capsys: pytest.CaptureFixture[str]) -> Callable[[Path], None]:
    def run(path: Path) -> None:
        code, out, err = run_cli(capsys, "validate", path)
        assert code in (0, 2, 3), err
        assert "Traceback" not in out + err
    return run


@FUZZ
@given(doc=mutants(SCENARIO))
def test_scenario_mutants(tmp_path, capsys, doc):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    loads_or_refuses(_validate(capsys), path)


@FUZZ
@given(data=damaged_text(yaml.safe_dump(SCENARIO)))
def test_damaged_scenario_text(tmp_path, capsys, data):
    path = tmp_path / "scenario.yaml"
    path.write_bytes(data)
    loads_or_refuses(_validate(capsys), path)


@FUZZ
@given(doc=mutants(SIMULATION))
def test_simulation_mutants(tmp_path, doc):
    path = simfiles.write(tmp_path, {})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    loads_or_refuses(load_simulation, path)


@FUZZ
@given(data=damaged_text(yaml.safe_dump(SIMULATION)))
def test_damaged_simulation_text(tmp_path, data):
    path = simfiles.write(tmp_path, {})
    path.write_bytes(data)
    loads_or_refuses(load_simulation, path)


@FUZZ
@given(doc=mutants(AUTOSCALE))
def test_autoscale_mutants(tmp_path, doc):
    path = write_setup(tmp_path)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    loads_or_refuses(load_config, path)


@FUZZ
@given(data=damaged_text(yaml.safe_dump(AUTOSCALE)))
def test_damaged_autoscale_text(tmp_path, data):
    path = write_setup(tmp_path)
    path.write_bytes(data)
    loads_or_refuses(load_config, path)


# The corpus: each file through each command that reads its kind of file.
COMMANDS = {"scenario": ("validate",), "simulation": ("simulate",),
            "autoscale": ("autoscale", "--once", "--dry-run")}
GENERATED = {  # too large to keep in the repository
    "huge-string.yaml": lambda: "name: " + "x" * 2**20 + "\n",
    "many-keys.yaml": lambda: "".join(f"k{i}: {i}\n" for i in range(5_000)),  # once quadratic
    "long-key.yaml": lambda: "k" * 100_000 + ": 1\n",
    "long-list.yaml": lambda: "name: [" + ", ".join(["1"] * 5_000) + "]\n",
}


@pytest.mark.parametrize("name", sorted([*(p.name for p in HOSTILE.glob("*.yaml")), *GENERATED]))
@pytest.mark.parametrize("surface", COMMANDS)
def test_hostile_corpus(tmp_path, capsys, monkeypatch, surface, name):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # anything a file manages to write lands here
    path = HOSTILE / name
    if name in GENERATED:
        path = tmp_path / name
        path.write_text(GENERATED[name]())
    command = COMMANDS[surface]
    state = ["--state", str(tmp_path / "s.db")] if surface == "autoscale" else []
    code, out, err = bounded(lambda: run_cli(capsys, command[0], path, *command[1:], *state))
    assert code in (0, 2, 3), err
    assert "Traceback" not in out + err
    assert list(work.iterdir()) == []
