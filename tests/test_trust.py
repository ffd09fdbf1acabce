"""Simulation files are code-trusted only on request (issue 26 item 11): `object:` outside
tierplan's own policies needs --allow-python and is refused before any import; a sweep
over the point limit is refused before any point is built."""

from __future__ import annotations

import sys
import time
import tracemalloc

import pytest

import simfiles

DEMAND = [{"workload": "web", "client": "c", "pattern": {"kind": "step", "base_rps": 5}}]


@pytest.fixture
def evil_module(tmp_path, monkeypatch):
    """A module whose import leaves a marker file: proof that code ran."""
    marker = tmp_path / "ran"
    (tmp_path / "evil_policy.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n"
        "def make(name, **params):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "evil_policy", raising=False)
    return marker


@pytest.mark.parametrize("obj", ["os:system", "evil_policy:make", "subprocess:call",
                                 "tierplan_evil.policies:X"])
def test_python_objects_are_refused_without_allow_python(tmp_path, capsys, evil_module, obj):
    path = simfiles.write(tmp_path, {"duration": "10m", "demand": DEMAND,
                                     "policies": [{"kind": "python", "object": obj,
                                                   "params": {"command": "touch pwned"}}]})
    code, out, err = simfiles.cli_run(capsys, "simulate", str(path))
    assert code == 2 and out == ""
    assert f"policies[0].object: {obj!r} would import and run Python code" in err
    assert "--allow-python" in err
    assert not evil_module.exists()


def test_allow_python_lets_the_file_run_code(tmp_path, capsys, evil_module):
    path = simfiles.write(tmp_path, {"duration": "10m", "demand": DEMAND,
                                     "policies": [{"kind": "python", "object": "evil_policy:make"}]})
    code, _, err = simfiles.cli_run(capsys, "simulate", str(path), "--allow-python")
    assert evil_module.exists()  # imported, as asked
    assert code == 2 and "did not build a policy" in err


def test_tierplan_policies_need_no_flag(tmp_path, capsys):
    policy = {"kind": "python", "name": "mine", "object": "tierplan.policies.greedy:GreedyPolicy",
              "params": {"kind": "cloud_only"}}
    path = simfiles.write(tmp_path, {"duration": "10m", "demand": DEMAND, "policies": [policy]})
    code, out, err = simfiles.cli_run(capsys, "simulate", str(path))
    assert code == 0, err
    assert "mine" in out


def test_a_sweep_over_the_limit_is_refused_before_it_starts(tmp_path, capsys):
    axis = [round(1 + i / 100, 2) for i in range(30)]
    sweep = {"demand_scale": axis, "price_scale": axis, "latency_slo_ms": [100 + i for i in range(30)],
             "budget_usd": [1000 + i for i in range(30)]}  # 810,000 points
    path = simfiles.write(tmp_path, {"duration": "10m", "demand": DEMAND, "policies": [{"kind": "static"}],
                                     "sweep": sweep})
    began = time.perf_counter()
    tracemalloc.start()
    try:
        code, _, err = simfiles.cli_run(capsys, "simulate", str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < 20 and peak < 100 * 2**20
    assert code == 2
    assert "sweep: 810,000 points (the product of the axes' lengths); at most 10,000 run" in err


def test_the_sweep_limit_can_be_set(tmp_path, capsys):
    path = simfiles.write(tmp_path, {"duration": "10m", "demand": DEMAND, "policies": [{"kind": "static"}],
                                     "sweep": {"demand_scale": [1.0, 2.0], "price_scale": [1.0, 2.0]}})
    code, _, err = simfiles.cli_run(capsys, "simulate", str(path), "--max-sweep-points", "3")
    assert code == 2 and "4 points" in err and "at most 3 run" in err
    code, _, err = simfiles.cli_run(capsys, "simulate", str(path), "--max-sweep-points", "4",
                                      "--workers", "1")
    assert code == 0, err
