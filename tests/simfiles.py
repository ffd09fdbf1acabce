"""Small simulation files for the `tierplan simulate` tests: one client, sites with
measured latency, 10-rps instances (``max_utilization: 1``), one-minute steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tierplan.cli import main
from tierplan.simulations import load_simulation, run_simulation


def scenario(*, cheap_available: int | None = None, workloads: list[dict[str, Any]] | None = None,
             extra_sites: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    cheap: dict[str, Any] = {"name": "gpu", "accelerator": "L4", "accelerator_count": 1, "usd_per_hour": 1.0}
    if cheap_available is not None:
        cheap["available"] = cheap_available
    sites = [
        {"name": "cloud/a", "tier": "cloud", "offerings": [cheap]},
        {"name": "cloud/b", "tier": "cloud", "offerings": [
            {"name": "gpu", "accelerator": "L4", "accelerator_count": 1, "usd_per_hour": 2.0}]},
        *(extra_sites or []),
    ]
    return {
        "name": "tiny",
        "network": {"latency_ms": [
            {"client": "c", "site": s["name"], "ms": 20 if s["name"] == "cloud/b" else 10} for s in sites]},
        "sites": sites,
        "clients": [{"name": "c"}],
        "workloads": workloads if workloads is not None else [{
            "name": "web", "kind": "inference", "accelerators": {"L4": {"rps": 10, "latency_ms": 20}},
            "demand_rps": {"c": 5}, "latency_slo_ms": 100, "max_utilization": 1.0}],
    }


def write(tmp_path: Path, sim: dict[str, Any], scen: dict[str, Any] | None = None) -> Path:
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(scen or scenario()))
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "scenario": "scenario.yaml", "step": "60s", **sim}))
    return path


def cli_run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The real entry point (errors mapped to exit codes at the boundary)."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def run(tmp_path: Path, sim: dict[str, Any], scen: dict[str, Any] | None = None) -> dict[str, Any]:
    result = run_simulation(load_simulation(write(tmp_path, sim, scen)))
    return {p.policy: p for p in result.policies}
