"""How fast `tierplan simulate` runs: 30 days at 1-minute steps, 10 inference endpoints,
the optimal policy planning every hour (720 intervals; it reuses a plan that covers an
interval's demand, so it plans far fewer times).

    python bench/bench_simulate.py [--days 30] [--step 60s] [--endpoints 10]
                                   [--interval 1h] [--policies optimal,greedy,hpa] [--seed 0]

The world: 3 cloud regions (2 providers), 1 on-prem site with limited GPUs and 2 edge
sites with a few Jetson boxes; 6 clients; each endpoint serves 3 clients with diurnal
demand (its own peak hour, 5 % noise, so no two hours have exactly the same demand). A
cloud region goes down for 4 hours on day 10.

``--unlimited`` drops the ``available`` limits of the edge and on-prem offerings, so no
endpoint shares capacity with another and the planner solves each one apart.

Printed per policy: wall time, steps per second, and the split between the engine loop
(policy decisions and reconciliation), the planner calls inside it (count, total and per
call) and the vectorised serving and accounting, and the CPU seconds of the process for
them (the planner runs in it: ``workers=1``). This prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from tierplan.policies import make_policy
from tierplan.simulations.engine import run_policy
from tierplan.simulations.results import summarise
from tierplan.simulations.spec import load_simulation
from tierplan.simulations.world import build_world

CLIENTS = {
    "new-york": (40.71, -74.0), "chicago": (41.88, -87.63), "dallas": (32.78, -96.8),
    "seattle": (47.61, -122.33), "atlanta": (33.75, -84.39), "denver": (39.74, -104.99),
}


def scenario(endpoints: int, unlimited: bool = False) -> dict[str, Any]:
    def cloud(name: str, provider: str, lat: float, lon: float, price: float) -> dict[str, Any]:
        def gpu(name: str, acc: str, count: int, usd: float) -> dict[str, Any]:
            return {"name": name, "accelerator": acc, "accelerator_count": count, "usd_per_hour": usd}

        return {"name": name, "tier": "cloud", "provider": provider, "location": {"lat": lat, "lon": lon},
                "jurisdiction": "US", "egress_usd_per_gb": 0.09, "offerings": [
                    gpu("l4", "L4", 1, price), gpu("l40s", "L40S", 1, 2.6 * price),
                    gpu("l4x4", "L4", 4, 4.1 * price)]}

    def limit(n: int) -> dict[str, int]:
        # --unlimited drops the limits: no capacity is shared, every endpoint plans alone
        return {} if unlimited else {"available": n}

    sites = [
        cloud("aws/us-east-1", "aws", 38.9, -77.4, 0.805),
        cloud("aws/us-west-2", "aws", 45.6, -121.2, 0.85),
        cloud("gcp/us-central1", "gcp", 41.26, -95.86, 0.7068),
        {"name": "onprem/dal", "tier": "onprem", "location": {"lat": 32.8, "lon": -96.8},
         "jurisdiction": "US", "offerings": [{"name": "a100", "accelerator": "A100", "accelerator_count": 1,
                                              "usd_per_hour": 1.2, **limit(12)}]},
        {"name": "edge/chi", "tier": "edge", "location": {"lat": 41.88, "lon": -87.63}, "jurisdiction": "US",
         "offerings": [{"name": "orin", "accelerator": "Orin", "accelerator_count": 1, "usd_per_hour": 0.06,
                        **limit(6)}]},
        {"name": "edge/nyc", "tier": "edge", "location": {"lat": 40.71, "lon": -74.0}, "jurisdiction": "US",
         "offerings": [{"name": "orin", "accelerator": "Orin", "accelerator_count": 1, "usd_per_hour": 0.06,
                        **limit(6)}]},
    ]
    names = list(CLIENTS)
    workloads = []
    for i in range(endpoints):
        clients = [names[(i + k) % len(names)] for k in range(3)]
        workloads.append({
            "name": f"ep{i:02d}", "kind": "inference", "latency_slo_ms": 90 + 10 * (i % 4), "payload_kb": 4,
            "accelerators": {"L4": {"rps": 12, "latency_ms": 30}, "L40S": {"rps": 30, "latency_ms": 22},
                             "A100": {"rps": 40, "latency_ms": 18}, "Orin": {"rps": 3, "latency_ms": 45}},
            "demand_rps": {c: 10.0 + 5 * k for k, c in enumerate(clients)},
        })
    return {"name": "bench-simulate", "sites": sites,
            "clients": [{"name": n, "location": {"lat": a, "lon": b}, "jurisdiction": "US"}
                        for n, (a, b) in CLIENTS.items()],
            "workloads": workloads}


def simulation(days: float, step: str, endpoints: int, interval: str, policies: list[str],
               seed: int, optimal: dict[str, Any] | None = None) -> dict[str, Any]:
    demand = [{"workload": f"ep{i:02d}", "pattern": {
        "kind": "diurnal", "mean_rps": 30 + 3 * i, "amplitude": 0.6, "peak_hour": (9 + 2 * i) % 24,
        "noise": 0.05}} for i in range(endpoints)]
    pol: list[dict[str, Any]] = []
    for p in policies:
        pol.append({"kind": p, "interval": interval, **(optimal or {})} if p == "optimal" else {"kind": p})
    return {"name": "bench-simulate", "scenario": "scenario.yaml", "duration": f"{days}d", "step": step,
            "seed": seed, "demand": demand, "policies": pol,
            "events": [{"kind": "outage", "site": "aws/us-east-1", "start": "240h", "end": "244h"}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--step", default="60s")
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--interval", default="1h")
    parser.add_argument("--policies", default="optimal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gap", type=float, default=None, help="optimal's planner gap (default: its own)")
    parser.add_argument("--scaling", default=None, help="optimal's scaling: track (default) or plan")
    parser.add_argument("--out", default="bench-simulate.json", help="results JSON")
    parser.add_argument("--unlimited", action="store_true",
                        help="no 'available' limits on edge and on-prem (endpoints do not share capacity)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "scenario.yaml").write_text(yaml.safe_dump(scenario(args.endpoints, args.unlimited)))
        path = Path(tmp, "sim.yaml")
        extra: dict[str, Any] = {"gap": args.gap} if args.gap is not None else {}
        if args.scaling:
            extra["scaling"] = args.scaling
        path.write_text(yaml.safe_dump(simulation(args.days, args.step, args.endpoints, args.interval,
                                                  args.policies.split(","), args.seed, extra)))
        started = time.perf_counter()
        sim = load_simulation(path)
        world = build_world(sim)
        setup_s = time.perf_counter() - started
    print(f"{world.steps:,} steps of {world.step_s:g} s, {args.endpoints} endpoints, {len(world.slots)} "
          f"slots{', no shared capacity' if args.unlimited else ''}; load + world {setup_s:.2f} s")
    print(f"{'policy':<10} {'wall_s':>8} {'steps/s':>9} {'engine_s':>9} {'plan_n':>7} {'plan_s':>8} "
          f"{'ms/plan':>8} {'other_s':>8} {'serve_s':>8} {'cpu_s':>7} {'cost_usd':>12} {'slo_%':>8}")
    results: dict[str, Any] = {"args": vars(args), "steps": world.steps, "slots": len(world.slots),
                               "setup_s": round(setup_s, 3), "policies": {}}
    for spec in sim.policies:
        policy = make_policy(spec.kind, spec.name, spec.params)
        t0, c0 = time.perf_counter(), time.process_time()
        traj = run_policy(world, policy)
        t1 = time.perf_counter()
        result = summarise(world, traj)
        t2, cpu = time.perf_counter(), time.process_time() - c0
        wall = t2 - t0 + setup_s
        per_call = 1000 * traj.plan_seconds / traj.plan_calls if traj.plan_calls else 0.0
        print(f"{spec.name:<10} {wall:8.2f} {world.steps / wall:9,.0f} {t1 - t0:9.2f} {traj.plan_calls:7d} "
              f"{traj.plan_seconds:8.2f} {per_call:8.1f} {t1 - t0 - traj.plan_seconds:8.2f} {t2 - t1:8.2f} "
              f"{cpu:7.2f} {result.total_cost_usd:12,.2f} {result.slo_attainment_pct:8.3f}")
        results["policies"][spec.name] = {
            "wall_s": round(wall, 2), "engine_s": round(t1 - t0, 2), "plan_calls": traj.plan_calls,
            "plan_s": round(traj.plan_seconds, 2), "serve_s": round(t2 - t1, 2),
            "cpu_s": round(cpu, 2),
            "cost_usd": round(result.total_cost_usd, 2), "slo_pct": round(result.slo_attainment_pct, 4)}
    print("wall_s = load + world + engine + serving; other_s = engine time outside the planner; "
          "cpu_s = CPU seconds of this process for engine + serving")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
