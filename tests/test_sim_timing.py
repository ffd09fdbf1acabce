"""A simulation's files do not depend on how fast the machine is: wall-clock seconds go
only into ``timing.json``."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from simfiles import cli_run, write
from tierplan.policies import planned
from tierplan.simulations import engine


def _clock(tick: float) -> types.SimpleNamespace:
    """A ``time`` module whose perf_counter advances ``tick`` seconds per read."""
    reads: Iterator[int] = iter(range(10**9))
    return types.SimpleNamespace(perf_counter=lambda: next(reads) * tick)


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
         tick: float, name: str) -> Path:
    clock = _clock(tick)
    monkeypatch.setattr(planned, "time", clock)
    monkeypatch.setattr(engine, "time", clock)
    path = write(tmp_path, {"duration": "3h", "policies": [
        {"kind": "optimal", "interval": "1h"}, {"kind": "optimal", "name": "held", "scaling": "plan"},
        {"kind": "hpa"}],
        "demand": [{"workload": "web", "pattern": {"kind": "diurnal", "mean_rps": 12, "amplitude": 0.5,
                                                   "peak_hour": 1, "noise": 0.1}}]})
    out = tmp_path / name
    code, _, err = cli_run(capsys, "simulate", str(path), "-o", str(out))
    assert code == 0, err
    return out


def test_a_slow_machine_writes_the_same_files_but_timing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _run(tmp_path, capsys, monkeypatch, 1e-6, "fast")
    slow = _run(tmp_path, capsys, monkeypatch, 5.0, "slow")
    names = sorted(p.name for p in fast.iterdir())
    assert names == sorted(p.name for p in slow.iterdir())
    assert "timing.json" in names and "summary.json" in names
    for name in names:
        if name != "timing.json":
            assert (fast / name).read_bytes() == (slow / name).read_bytes(), name
    summary = (fast / "summary.json").read_text()
    assert "seconds" not in summary.replace("step_seconds", "")
    timing = {t["policy"]: t for t in json.loads((slow / "timing.json").read_text())["policies"]}
    assert set(timing) == {"optimal", "held", "hpa"}
    # every planner call reads the clock twice (5 s apart here); hpa plans once, at the start
    assert timing["optimal"]["plan_seconds"] >= 5.0 and timing["hpa"]["plan_seconds"] >= 5.0
    assert all(t["run_seconds"] >= t["plan_seconds"] for t in timing.values())
    quick = {t["policy"]: t for t in json.loads((fast / "timing.json").read_text())["policies"]}
    assert all(t["run_seconds"] < 1.0 for t in quick.values())
