"""Examples run from a clone alone: every file an example names is inside the repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLES, ROOT, SHARED_DATA

TRACE = SHARED_DATA / "traces" / "azure_llm_2023" / "AzureLLMInferenceTrace_conv.csv"

FILE_KEYS = {"scenario", "path", "kubeconfig"}


def _named_files(node: Any) -> list[str]:
    """Values of the keys that name a file, anywhere in a loaded YAML document."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in FILE_KEYS and isinstance(value, str):
                found.append(value)
            else:
                found += _named_files(value)
    elif isinstance(node, list):
        for item in node:
            found += _named_files(item)
    return found


@pytest.mark.parametrize("example", sorted(EXAMPLES.rglob("*.yaml")),
                         ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_file_an_example_names_is_in_the_repository(example: Path):
    for name in _named_files(yaml.safe_load(example.read_text(encoding="utf-8"))):
        target = (example.parent / Path(name).expanduser()).resolve()
        assert target.is_relative_to(ROOT), f"{example.name}: {name} is outside the repository"
        assert target.is_file(), f"{example.name}: {name} does not exist"


def test_the_check_sees_a_path_outside_the_repository(tmp_path):
    names = _named_files({"demand": [{"trace": {"path": "../../../shared/x.csv"}}], "scenario": "a.yaml"})
    assert names == ["../../../shared/x.csv", "a.yaml"]


def test_the_shipped_trace_names_its_source_and_licence():
    notice = (ROOT / "examples" / "data" / "README.md").read_text(encoding="utf-8")
    assert "AzurePublicDataset" in notice and "CC-BY-4.0" in notice


@pytest.mark.skipif(not TRACE.exists(), reason="the original Azure trace is not here (project data)")
def test_the_shipped_trace_files_are_what_the_tool_derives_from_the_original():
    import importlib.util

    spec = importlib.util.spec_from_file_location("derive", ROOT / "tools" / "derive_azure_trace.py")
    assert spec and spec.loader
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    offsets = derive.arrivals(TRACE)
    assert len(offsets) == 19366
    assert derive.SIM_OUT.read_text() == derive.sim_csv(offsets)
    assert derive.AUTOSCALE_OUT.read_text() == derive.autoscale_csv(offsets)


@pytest.mark.skipif(not TRACE.exists(), reason="the original Azure trace is not here (project data)")
def test_the_shipped_counts_give_the_demand_of_the_per_request_trace():
    import numpy as np

    from tierplan.autoscaler.metrics.replay import ReplaySource
    from tierplan.simulations import schema as s
    from tierplan.simulations.demand import trace_rates

    requests = s.TraceIn(path="t", format="requests", time_column="TIMESTAMP")
    rates = s.TraceIn(path="t", format="rates", time_column="seconds", rate_column="rps")
    shipped = EXAMPLES / "data" / "azure-llm-conversation-15s.csv"
    assert np.array_equal(trace_rates(TRACE, requests, 15.0, 720, "f", "w"),
                          trace_rates(shipped, rates, 15.0, 720, "f", "w"))
    arrivals = ReplaySource(str(TRACE), loop=True, start=0.0, fmt="arrivals", window=60.0,
                            split={"chat-eu": {"paris": 0.6, "berlin": 0.4}}, scale=2.0)
    replay = ReplaySource(str(EXAMPLES / "autoscale" / "azure-trace-demand.csv"), loop=True, start=0.0)
    assert arrivals.length == replay.length
    for key, (times, values) in arrivals.series.items():
        assert replay.series[key][0][:-1] == times and replay.series[key][1][:-1] == values
