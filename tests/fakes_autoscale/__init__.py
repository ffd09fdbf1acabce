"""Fixtures for the autoscaler tests: a small scenario, configs, and fake servers.

The scenario: one inference endpoint ``detector`` for client munich, an edge site with
Jetson boxes (4.8 rps per replica at $0.05/h, at most 3) and a cloud site with L4s
(32 rps per replica at $1.00/h). Everything is within the 80 ms SLO.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SCENARIO: dict[str, Any] = {
    "name": "autoscale-test",
    "horizon_hours": 730,
    "sites": [
        {"name": "edge/munich", "tier": "edge", "location": {"lat": 48.14, "lon": 11.58},
         "jurisdiction": "DE",
         "offerings": [{"name": "orin", "accelerator": "Jetson-AGX-Orin", "usd_per_hour": 0.05,
                        "available": 3}]},
        {"name": "aws/eu-central-1", "tier": "cloud", "provider": "aws",
         "location": {"lat": 50.11, "lon": 8.68}, "jurisdiction": "DE",
         "offerings": [{"name": "g6.xlarge", "accelerator": "L4", "usd_per_hour": 1.0},
                       {"name": "p4d.24xlarge", "accelerator": "A100", "accelerator_count": 8,
                        "usd_per_hour": 40.0}]},
    ],
    "clients": [{"name": "munich", "location": {"lat": 48.14, "lon": 11.58}},
                {"name": "berlin", "location": {"lat": 52.52, "lon": 13.40}}],
    "workloads": [
        {"name": "detector", "kind": "inference",
         "accelerators": {"L4": {"rps": 40, "latency_ms": 25}, "A100": {"rps": 300, "latency_ms": 10},
                          "Jetson-AGX-Orin": {"rps": 6, "latency_ms": 40}},
         "demand_rps": {"munich": 10, "berlin": 5}, "latency_slo_ms": 80},
        {"name": "trainer", "kind": "training", "accelerators": {"A100": 1.0}, "work_hours": 10},
    ],
}

EDGE, CLOUD = "edge/munich", "aws/eu-central-1"


def config_dict(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "scenario": "scenario.yaml",
        "interval": "30s",
        "metrics": {"source": "file", "path": "demand.csv"},
        "endpoints": [{
            "workload": "detector",
            "sites": [
                {"site": EDGE, "controller": {"type": "dry-run"}},
                {"site": CLOUD, "offering": "g6.xlarge", "controller": {"type": "dry-run"}},
            ],
        }],
        "ops": {"port": None},
    }
    config.update(overrides)
    return config


def write_setup(folder: Path, config: dict[str, Any] | None = None,
                scenario: dict[str, Any] | None = None,
                demand: list[tuple[float, str, str, float]] | None = None) -> Path:
    """Write scenario.yaml, demand.csv and autoscale.yaml into ``folder``; return the config path."""
    (folder / "scenario.yaml").write_text(yaml.safe_dump(copy.deepcopy(scenario or SCENARIO)))
    rows = demand if demand is not None else [(0, "detector", "munich", 10), (0, "detector", "berlin", 5)]
    (folder / "demand.csv").write_text(
        "seconds,endpoint,client,rps\n" + "".join(f"{t},{e},{c},{r}\n" for t, e, c, r in rows))
    path = folder / "autoscale.yaml"
    path.write_text(yaml.safe_dump(config if config is not None else config_dict()))
    return path
