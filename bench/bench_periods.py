"""How the model over periods (SPEC 5, plan v2) grows with the number of periods.

    python bench/bench_periods.py [--sizes 100,1000] [--periods 1,4,13,52]
                                  [--time-limit 300] [--gap 1e-4] [--out FILE]

Each case takes the benchmark scenario of ``generate.py`` (seed 0, 2,000 offerings) over
a quarter of 13 weeks (2,184 h, budgets scaled to it) cut into P equal periods (13 =
weekly); every inference workload's demand grows linearly from 70 % in the first period
to its full rate in the last, so every period is different. One period is planned by the
decomposition of section 2 (the same as plan v1); two or more by the groups over periods
(``scheduler/periodic.py``: each workload's parts per period, merged groups repaired).

Columns: workloads, periods, vars and rows of the model(s), build_s (writing the models,
wall), solve_s (the rest of the solving, wall), plan_s (wall time of plan(), explanations
off), cpu_s (CPU seconds of the process and its worker processes: the steadier figure on
a shared machine), status, gap, plan_json_kb (the plan v2 JSON), peak_mb (peak resident
memory of the process or its largest worker). Each case runs in its own subprocess. Writes
bench/results/periods.json. This prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tierplan import PlanOptions, plan
from tierplan.model import InferenceWorkload, Scenario
from tierplan.periods import make_periods
from tierplan.reports import render

HERE = Path(__file__).resolve().parent
WEEK = 168.0


def quarter(workloads: int, periods: int) -> Scenario:
    """The benchmark scenario of ``workloads`` over a quarter in ``periods`` periods."""
    sys.path.insert(0, str(HERE))
    from generate import generate

    base = generate(workloads)
    horizon = 13 * WEEK
    scale = horizon / base.horizon_hours
    grown = []
    for w in base.workloads:
        if isinstance(w, InferenceWorkload) and periods > 1 and w.demand_rps:
            steps = [0.7 + 0.3 * p / (periods - 1) for p in range(periods)]
            w = replace(w, demand_by_period={c: tuple(d * f for f in steps)
                                             for c, d in w.demand_rps.items()})
        if w.budget_usd is not None:
            w = replace(w, budget_usd=w.budget_usd * scale)
        grown.append(w)
    sc = replace(base, workloads=tuple(grown), horizon_hours=horizon,
                 periods=make_periods(horizon, horizon / periods, None),
                 budgets=tuple(replace(b, limit_usd=b.limit_usd * scale) for b in base.budgets))
    return sc


def case(workloads: int, periods: int, time_limit: float, gap: float) -> dict[str, Any]:
    sc = quarter(workloads, periods)
    began = time.perf_counter()
    cpu = _cpu()
    result = plan(sc, PlanOptions(time_limit=time_limit, gap=gap, explain=False))
    wall = time.perf_counter() - began
    s = result.solver
    return {"workloads": workloads, "periods": periods, "vars": s.variables,
            "rows": s.constraints, "build_s": round(s.build_seconds, 3),
            "solve_s": round(s.seconds, 3), "plan_s": round(wall, 3),
            "cpu_s": round(_cpu() - cpu, 3), "status": result.status,
            "gap": s.gap, "total_usd": round(result.total_cost_usd, 2),
            "placements": len(result.placements),
            "plan_json_kb": round(len(render(result, "json")) / 1024, 1),
            "peak_mb": round(_peak_mb(), 1), "load": os.getloadavg()[0]}


def _peak_mb() -> float:
    """Peak resident memory of this process or its largest worker process, in MB."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the worker processes)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--periods", default="1,4,13,52")
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", default=str(HERE / "results" / "periods.json"))
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        w, p = (int(x) for x in args.case.split(","))
        print(json.dumps(case(w, p, args.time_limit, args.gap)))
        return
    rows = []
    print(f"{'workloads':>9} {'periods':>7} {'vars':>9} {'rows':>9} {'build_s':>8} {'solve_s':>8} "
          f"{'plan_s':>8} {'cpu_s':>8} {'status':>10} {'gap':>8} {'json_kb':>8} {'peak_mb':>8}")
    for w in (int(x) for x in args.sizes.split(",")):
        for p in (int(x) for x in args.periods.split(",")):
            cmd = [sys.executable, __file__, "--case", f"{w},{p}", "--time-limit",
                   str(args.time_limit), "--gap", str(args.gap)]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                                     check=True).stdout
                row = json.loads(out.strip().splitlines()[-1])
            except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
                row = {"workloads": w, "periods": p, "status": f"failed: {type(exc).__name__}"}
            rows.append(row)
            print(f"{w:>9} {p:>7} {row.get('vars', 0):>9} {row.get('rows', 0):>9} "
                  f"{row.get('build_s', 0):>8.2f} {row.get('solve_s', 0):>8.2f} "
                  f"{row.get('plan_s', 0):>8.2f} {row.get('cpu_s', 0):>8.2f} {row['status']:>10} "
                  f"{row.get('gap', 0):>8.1e} {row.get('plan_json_kb', 0):>8.1f} "
                  f"{row.get('peak_mb', 0):>8.1f}",
                  flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
