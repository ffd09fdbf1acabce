"""How well the work model (scheduler/budget.py) tracks CPU seconds: fits its coefficients.

    python bench/bench_work.py [--sizes 100,250,1000] [--objectives cost,latency]
                               [--seed 0] [--results FILE]

Plans bench/generate.py scenarios with one process (``workers=1``) under each objective,
records every HiGHS MILP run (its size, simplex iterations, nodes and interrupt
checks), every LP relaxation (a merged block's with its simplex iterations) and every
polishing LP with the thread CPU seconds each took, and fits by least squares:

- MILP runs: seconds = a x runs + b x iterations x (rows + columns) + c x nodes x nonzeros
  (budget.PER_SOLVE, PER_ITERATION_ENTRY, PER_NODE_NONZERO), and seconds per interrupt
  check against nonzeros, for runs with five checks or more (PER_CHECK);
- LP relaxations: seconds per nonzero (LP_PER_NONZERO); a merged block's LP, whose
  iterations are known: seconds per iteration x (rows + columns)
  (LP_PER_ITERATION_ENTRY, by objective); polishing: per column, by objective
  (POLISH_PER_COLUMN).

It prints the fitted values beside the ones budget.py uses and the ratio of the work
the planner charged to the CPU seconds measured (1.0: a work second is a CPU second,
which on a quiet machine is a wall second). CPU seconds, not wall: the machine may be
shared. Writes a results JSON (default bench/results/work-<UTC time>.json). This
prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def record(n: int, seed: int, objective: str) -> list[dict[str, Any]]:
    from generate import generate
    from tierplan import PlanOptions, plan
    from tierplan.scheduler import highs
    from tierplan.scheduler.budget import lp_iteration_work

    runs: list[dict[str, Any]] = []
    parts: list[tuple[int, int, int]] = []
    real_work, real_solve, real_linear = (highs.HighsBackend._work, highs.HighsBackend.solve,
                                          highs.HighsBackend._linear)
    real_relax_from = highs.HighsBackend.relax_from

    def work(self: Any, h: Any, milp: Any, checks: int) -> Any:
        info = h.getInfo()
        parts.append((max(info.simplex_iteration_count, 0), max(info.mip_node_count, 0), checks))
        return real_work(self, h, milp, checks)

    def solve(self: Any, milp: Any, *args: Any, **kwargs: Any) -> Any:
        parts.clear()
        began = time.thread_time()
        result = real_solve(self, milp, *args, **kwargs)
        runs.append({"kind": "mip", "rows": milp.num_rows, "cols": milp.num_cols,
                     "nnz": len(milp.row_value), "parts": list(parts),
                     "cpu": time.thread_time() - began, "work": result.work,
                     "objective": objective})
        return result

    def relax_from(self: Any, milp: Any, *args: Any, **kwargs: Any) -> Any:
        began = time.thread_time()
        out = real_relax_from(self, milp, *args, **kwargs)
        iterations = out.iterations or 0 if out is not None else 0
        runs.append({"kind": "merged_lp", "rows": milp.num_rows, "cols": milp.num_cols,
                     "nnz": len(milp.row_value), "iterations": iterations,
                     "cpu": time.thread_time() - began, "objective": objective,
                     "work": lp_iteration_work(milp.num_rows, milp.num_cols,
                                               len(milp.row_value), iterations, objective)})
        return out

    def linear(self: Any, milp: Any, *args: Any, **kwargs: Any) -> Any:
        began = time.thread_time()
        out = real_linear(self, milp, *args, **kwargs)
        runs.append({"kind": "lp" if len(args) > 5 and args[5] else "polish",
                     "rows": milp.num_rows, "cols": milp.num_cols, "nnz": len(milp.row_value),
                     "cpu": time.thread_time() - began, "objective": objective})
        return out

    highs.HighsBackend._work, highs.HighsBackend.solve = work, solve  # type: ignore[method-assign]
    highs.HighsBackend._linear = linear  # type: ignore[method-assign]
    highs.HighsBackend.relax_from = relax_from  # type: ignore[method-assign]
    try:
        plan(generate(n, 2000, 20, seed, False),
             PlanOptions(workers=1, time_limit=None, objective=objective))  # type: ignore[arg-type]
    finally:
        highs.HighsBackend._work, highs.HighsBackend.solve = real_work, real_solve  # type: ignore[method-assign]
        highs.HighsBackend._linear = real_linear  # type: ignore[method-assign]
        highs.HighsBackend.relax_from = real_relax_from  # type: ignore[method-assign]
    return runs


def fit(runs: list[dict[str, Any]]) -> dict[str, float]:
    import numpy as np

    mips = [r for r in runs if r["kind"] == "mip" and r["parts"]]
    x = np.array([[len(r["parts"]), sum(p[0] for p in r["parts"]) * (r["rows"] + r["cols"]),
                   sum(p[1] for p in r["parts"]) * r["nnz"]] for r in mips], float)
    y = np.array([r["cpu"] for r in mips])
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    checked = [(r["nnz"], sum(max(p[2] - 1, 0) for p in r["parts"]), r["cpu"]) for r in mips]
    checked = [c for c in checked if c[1] >= 5]
    per_check = (sum(cpu for _, _, cpu in checked)
                 / max(sum(k * nnz / 55_000 for nnz, k, _ in checked), 1e-12))
    lps = [r for r in runs if r["kind"] == "lp"]
    polish = [r for r in runs if r["kind"] == "polish"]
    merged = [r for r in runs if r["kind"] == "merged_lp"]
    # merged LPs: seconds = a x nonzeros + b[objective] x iterations x (rows + columns)
    # (an iteration of the latency LP costs several times one of the cost LP's)
    kinds = sorted({r["objective"] for r in merged})
    xm = np.array([[r["nnz"]] + [r["iterations"] * (r["rows"] + r["cols"])
                                 * (r["objective"] == k) for k in kinds] for r in merged], float)
    ym = np.array([r["cpu"] for r in merged])
    lp_coef = np.linalg.lstsq(xm, ym, rcond=None)[0] if merged else np.zeros(1 + len(kinds))
    return {
        "runs": len(mips), "cpu_s": float(y.sum()), "charged_s": sum(r["work"] for r in mips),
        "correlation": float(np.corrcoef(x @ coef, y)[0, 1]),
        "PER_SOLVE": float(coef[0]), "PER_ITERATION_ENTRY": float(coef[1]),
        "PER_NODE_NONZERO": float(coef[2]), "PER_CHECK": per_check,
        "LP_PER_NONZERO": sum(r["cpu"] for r in lps) / max(sum(r["nnz"] for r in lps), 1),
        "POLISH_PER_COLUMN": {k: (sum(r["cpu"] for r in polish if r["objective"] == k)
                                  / max(sum(r["cols"] for r in polish if r["objective"] == k), 1))
                              for k in sorted({r["objective"] for r in polish})},
        "LP_SETUP_PER_NONZERO": float(lp_coef[0]),
        "LP_PER_ITERATION_ENTRY": {k: float(c) for k, c in zip(kinds, lp_coef[1:], strict=True)},
        "merged_lps": [{k: r[k] for k in ("objective", "cols", "rows", "nnz", "iterations",
                                          "cpu", "work")} for r in merged],
    }


def ratios(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Work charged against CPU seconds measured, by objective and kind of run."""
    from tierplan.scheduler.budget import lp_work, polish_work

    out: dict[str, dict[str, float]] = {}
    for r in runs:
        work = (r["work"] if "work" in r else lp_work(r["nnz"]) if r["kind"] == "lp"
                else polish_work(r["cols"], r["objective"]))
        key = f"{r['objective']} {r['kind']}"
        row = out.setdefault(key, {"runs": 0, "cpu_s": 0.0, "work_s": 0.0})
        row["runs"] += 1
        row["cpu_s"] += r["cpu"]
        row["work_s"] += work
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,250,1000")
    parser.add_argument("--objectives", default="cost,latency")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tierplan.scheduler import budget

    runs: list[dict[str, Any]] = []
    for objective in (o.strip() for o in args.objectives.split(",") if o.strip()):
        for n in (int(s) for s in args.sizes.split(",") if s.strip()):
            runs += record(n, args.seed, objective)
    fitted = fit(runs)
    by_kind = ratios(runs)
    print(f"{fitted['runs']} MILP runs: {fitted['cpu_s']:.2f} CPU s, charged "
          f"{fitted['charged_s']:.2f} work s (ratio {fitted['charged_s'] / fitted['cpu_s']:.2f}); "
          f"fit correlation {fitted['correlation']:.3f}")
    for name in ("PER_SOLVE", "PER_ITERATION_ENTRY", "PER_NODE_NONZERO", "PER_CHECK",
                 "LP_PER_NONZERO", "LP_SETUP_PER_NONZERO"):
        print(f"{name:>22} fitted {fitted[name]:.3g}  budget.py {getattr(budget, name):.3g}")
    for name in ("LP_PER_ITERATION_ENTRY", "POLISH_PER_COLUMN"):
        for objective, value in fitted[name].items():
            print(f"{name:>22} {objective}: fitted {value:.3g}  budget.py "
                  f"{getattr(budget, name)[objective]:.3g}")
    for key, row in by_kind.items():
        print(f"{key:>22}: {row['runs']} runs, {row['cpu_s']:.2f} CPU s, charged "
              f"{row['work_s']:.2f} work s (ratio {row['work_s'] / max(row['cpu_s'], 1e-9):.2f})")
    target = args.results or (Path(__file__).resolve().parent / "results" /
                              time.strftime("work-%Y%m%dT%H%MZ.json", time.gmtime()))
    target.write_text(json.dumps({"args": vars(args) | {"results": str(target)},
                                  "fitted": fitted, "by_kind": by_kind}, indent=2) + "\n")
    print(f"results: {target}")


if __name__ == "__main__":
    main()
