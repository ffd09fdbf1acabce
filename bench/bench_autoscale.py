"""Decision time per autoscaler tick: 100 endpoints x 10 sites (target: under 200 ms).

Builds a scenario with 10 sites (one L4 offering each at different prices and egress,
spread over Europe and the US) and 6 clients, and 100 inference endpoints with their own
demand, every endpoint on all 10 sites with a dry-run controller. One tick = read demand
(file replay), read replicas, size, guard, record in SQLite. Reports the median and p95
tick time, split into sizing (planner or fast path) and the rest, for both sizing paths.

    python bench/bench_autoscale.py [--endpoints 100] [--sites 10] [--ticks 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from tierplan.autoscaler import Autoscaler, FakeClock, load_config, open_store
from tierplan.autoscaler.controllers import DryRunController
from tierplan.autoscaler.metrics.replay import ReplaySource
from tierplan.autoscaler.sizing import Sizer

PLACES = [("eu-central-1", 50.11, 8.68, "DE"), ("eu-west-1", 53.35, -6.26, "IE"),
          ("eu-west-3", 48.86, 2.35, "FR"), ("eu-north-1", 59.33, 18.07, "SE"),
          ("eu-south-1", 45.46, 9.19, "IT"), ("us-east-1", 38.9, -77.4, "US"),
          ("us-east-2", 39.96, -83.0, "US"), ("us-west-2", 45.52, -122.68, "US"),
          ("ca-central-1", 45.5, -73.57, "CA"), ("eu-central-2", 47.37, 8.54, "CH")]
CLIENTS = [("munich", 48.14, 11.58), ("paris", 48.86, 2.35), ("london", 51.5, -0.13),
           ("stockholm", 59.33, 18.07), ("new-york", 40.71, -74.0), ("chicago", 41.88, -87.63)]


def world(n_endpoints: int, n_sites: int, seed: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = random.Random(seed)
    sites = []
    for i in range(n_sites):
        region, lat, lon, code = PLACES[i % len(PLACES)]
        sites.append({"name": f"aws/{region}-{i}", "tier": "cloud", "provider": "aws",
                      "location": {"lat": lat, "lon": lon}, "jurisdiction": code,
                      "egress_usd_per_gb": round(rng.uniform(0.02, 0.09), 3),
                      "offerings": [{"name": "g6.xlarge", "accelerator": "L4",
                                     "usd_per_hour": round(rng.uniform(0.8, 1.2), 3)}]})
    workloads = []
    for k in range(n_endpoints):
        demand = {c: round(rng.uniform(0, 40), 1) for c, *_ in rng.sample(CLIENTS, 3)}
        workloads.append({"name": f"ep{k:03d}", "kind": "inference",
                          "accelerators": {"L4": {"rps": rng.choice([20, 40, 80]), "latency_ms": 25}},
                          "demand_rps": demand, "latency_slo_ms": 250, "payload_kb": 20})
    scenario = {"name": "bench-autoscale", "sites": sites,
                "clients": [{"name": c, "location": {"lat": lat, "lon": lon}} for c, lat, lon in CLIENTS],
                "workloads": workloads}
    config = {"scenario": "scenario.yaml", "interval": "30s",
              "metrics": {"source": "file", "path": "demand.csv"}, "churn_usd": 0.05, "ops": {"port": None},
              "endpoints": [{"workload": w["name"],
                             "sites": [{"site": s["name"], "controller": {"type": "dry-run"}} for s in sites]}
                            for w in workloads]}
    return scenario, config


def demand_rows(scenario: dict[str, Any], ticks: int, step: float, seed: int = 2) -> str:
    rng = random.Random(seed)
    lines = ["seconds,endpoint,client,rps"]
    for t in range(ticks):
        for w in scenario["workloads"]:
            for client, rps in w["demand_rps"].items():
                lines.append(f"{t * step},{w['name']},{client},{max(0.0, rps * rng.uniform(0.6, 1.4)):.2f}")
    return "\n".join(lines) + "\n"


def run(n_endpoints: int, n_sites: int, ticks: int, method: str) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-autoscale-"))
    scenario, config = world(n_endpoints, n_sites)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario))
    (folder / "demand.csv").write_text(demand_rows(scenario, ticks, 30.0))
    if method != "auto":
        config["sizing"] = method
    (folder / "autoscale.yaml").write_text(yaml.safe_dump(config))
    loaded = load_config(folder / "autoscale.yaml")
    clock = FakeClock()
    store = open_store(str(folder / "state.db"))
    controllers = {(e.workload, s.site): DryRunController() for e in loaded.endpoints for s in e.sites}
    source = ReplaySource(str(folder / "demand.csv"), start=lambda: store.first_tick_time() or clock.now())
    sizing_times: list[float] = []
    sizer = Sizer()

    def timed_size(*args: Any) -> Any:
        t0 = time.perf_counter()
        result = sizer(*args)
        sizing_times.append(time.perf_counter() - t0)
        return result

    scaler = Autoscaler(loaded, controllers, source, store, clock, sizer=timed_size)
    scaler.resume()
    tick_times = []
    for _ in range(ticks):
        t0 = time.perf_counter()
        scaler.tick()
        tick_times.append(time.perf_counter() - t0)
        clock.advance(30.0)
    store.close()
    q = statistics.quantiles
    return {"tick_median_ms": statistics.median(tick_times) * 1e3,
            "tick_p95_ms": q(tick_times, n=20)[-1] * 1e3,
            "sizing_median_ms": statistics.median(sizing_times) * 1e3,
            "rest_median_ms": (statistics.median(tick_times) - statistics.median(sizing_times)) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--method", choices=["auto", "planner", "both"], default="both")
    args = parser.parse_args()
    methods = ["planner", "auto"] if args.method == "both" else [args.method]
    print(f"{args.endpoints} endpoints x {args.sites} sites, {args.ticks} ticks")
    for method in methods:
        r = run(args.endpoints, args.sites, args.ticks, method)
        print(f"  sizing={method:8s} tick median {r['tick_median_ms']:8.1f} ms  "
              f"p95 {r['tick_p95_ms']:8.1f} ms  (sizing {r['sizing_median_ms']:8.1f} ms, "
              f"the rest {r['rest_median_ms']:6.1f} ms)")


if __name__ == "__main__":
    main()
