"""The same MILP handed to HiGHS three ways: what does going through PuLP cost?

    python bench/bench_pulp_baseline.py [--workloads 50] [--offerings 500] [--clients 10]
                                        [--seed 0] [--gap 1e-7] [--time-limit 300]

The MILP is the one tierplan builds: the scenario from :mod:`generate` goes through
``Universe`` (candidates) and ``formulation.build``, like ``planner.plan`` does, except
that every workload goes into one MILP instead of one per block the planner solves
separately: the whole problem, whose optimum the planner's blocks reach. Only the primary
objective (cost) is solved; tierplan's tie-break phase is left out of all three.

(a) tierplan   ``HighsBackend``: arrays into one ``HighsLp``, one ``passModel`` call
(b) to_pulp    ``CbcBackend.to_pulp`` (an ``LpAffineExpression`` per row from prepared
               coefficient lists), solved with ``pulp.HiGHS`` (PuLP's highspy adapter)
(c) naive      ``LpVariable`` per column, ``lpSum(v * x[j] ...)`` per row and
               ``prob += expr <= hi``, solved with ``pulp.HiGHS``

For (b) and (c) "build" is the PuLP model plus PuLP's copy of it into HiGHS (one
``addCol`` per variable, one ``addRow`` per row); "solve" is ``Highs.run`` alone, as for
(a). All three run single-threaded with the same gap and time limit. PuLP orders columns
by name ("x0, x1, x10, x100, ..."), so (b) and (c) hand HiGHS the same model with the
columns permuted; that can change the MIP search path and its time, not the optimum.
(a) uses HiGHS's default options like (b) and (c), not the lighter heuristics tierplan may
choose for small blocks.

The objective check needs proven optima, so the gap defaults to 1e-7 and the default
size is one HiGHS proves optimal in seconds; HiGHS does not prove the 100-workload MILP
optimal within minutes (see bench_planner.py). The check is skipped when a solver stops
at the time limit.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

import pulp

from bench_planner import candidates, source_state
from generate import generate
from tierplan.scheduler import explain
from tierplan.scheduler.candidates import Universe
from tierplan.scheduler.formulation import build
from tierplan.scheduler.milp import INF, Milp
from tierplan.scheduler.solvers import CbcBackend, HighsBackend


class TimedHiGHS(pulp.HiGHS):
    """``pulp.HiGHS`` that times its copy into HiGHS and the HiGHS run separately."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transfer_seconds = 0.0
        self.run_seconds = 0.0

    def buildSolverModel(self, lp: Any) -> None:
        t0 = time.perf_counter()
        super().buildSolverModel(lp)
        self.transfer_seconds += time.perf_counter() - t0

    def callSolver(self, lp: Any) -> None:
        t0 = time.perf_counter()
        super().callSolver(lp)
        self.run_seconds += time.perf_counter() - t0


def the_milp(n: int, offerings: int, clients: int, seed: int) -> tuple[Milp, float]:
    """tierplan's MILP for a generated scenario, and the seconds it took to make."""
    scenario = generate(n, offerings, clients, seed)
    t0 = time.perf_counter()
    universe = Universe(scenario)
    inference, training = candidates(universe, scenario.objective)
    reasons = explain.precheck(universe, inference, training)
    if reasons:
        raise SystemExit(f"generated scenario fails the pre-checks: {reasons[:3]}")
    total_demand = sum(c.workload.total_demand for c in inference) or 1.0
    form = build(universe, inference, training, scenario.budgets, total_demand)
    return form.milp, time.perf_counter() - t0


# ----------------------------------------------------------------------------- (a)


def solve_tierplan(milp: Milp, gap: float, time_limit: float) -> dict[str, Any]:
    backend = HighsBackend()
    t0 = time.perf_counter()
    h = backend._highs(time_limit, gap)
    h.passModel(backend._lp(milp, milp.cost))
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    status, x, _, reached = backend._run(h)
    solve_s = time.perf_counter() - t0
    return {"build_s": build_s, "solve_s": solve_s, "status": status, "x": x, "gap": reached}


# ------------------------------------------------------------------------- (b), (c)


def solve_pulp(prob: Any, cols: list[Any], build_s: float, gap: float,
               time_limit: float) -> dict[str, Any]:
    solver = TimedHiGHS(msg=False, gapRel=gap, threads=1, timeLimit=time_limit)
    t0 = time.perf_counter()
    prob.solve(solver)
    total = time.perf_counter() - t0
    if prob.sol_status == pulp.LpSolutionOptimal:
        status = "optimal"
    elif prob.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "time_limit"
    else:
        status = pulp.LpStatus[prob.status]
    x = [v.varValue if v.varValue is not None else 0.0 for v in cols]
    return {"build_s": build_s + solver.transfer_seconds, "solve_s": solver.run_seconds,
            "pulp_model_s": build_s, "transfer_s": solver.transfer_seconds,
            "other_s": total - solver.transfer_seconds - solver.run_seconds,
            "status": status, "x": x, "gap": None, "pulp_vars": len(prob.variables())}


def build_to_pulp(milp: Milp) -> tuple[Any, list[Any], float]:
    backend = CbcBackend()
    t0 = time.perf_counter()
    prob, cols = backend.to_pulp(milp, milp.cost)
    return prob, cols, time.perf_counter() - t0


def build_naive(milp: Milp) -> tuple[Any, list[Any], float]:
    """The textbook PuLP model: one ``lpSum`` of products per row."""
    t0 = time.perf_counter()
    prob = pulp.LpProblem("naive", pulp.LpMinimize)
    x = [
        pulp.LpVariable(
            f"x{j}", lowBound=milp.col_lower[j],
            upBound=None if milp.col_upper[j] == INF else milp.col_upper[j],
            cat=pulp.LpInteger if milp.col_integer[j] else pulp.LpContinuous,
        )
        for j in range(milp.num_cols)
    ]
    prob += pulp.lpSum(c * x[j] for j, c in enumerate(milp.cost) if c)
    for r in range(milp.num_rows):
        index, value = milp.row(r)
        expr = pulp.lpSum(v * x[j] for j, v in zip(index, value, strict=True))
        lo, hi = milp.row_lower[r], milp.row_upper[r]
        if lo == hi:
            prob += expr == lo, f"r{r}"
            continue
        if hi < INF:
            prob += expr <= hi, f"r{r}"
        if lo > -INF:
            prob += expr >= lo, f"r{r}" if hi == INF else f"r{r}_lo"
    return prob, x, time.perf_counter() - t0


# ---------------------------------------------------------------------------- report


def objective(milp: Milp, result: dict[str, Any]) -> float:
    """Cost of a solve's answer, NaN when it has none."""
    x = result["x"]
    if x is None or result["status"] not in ("optimal", "time_limit"):
        return math.nan
    return sum(c * x[j] for j, c in enumerate(milp.cost) if c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", type=int, default=50)
    parser.add_argument("--offerings", type=int, default=500)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gap", type=float, default=1e-7, help="relative MIP gap, all three")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per solve")
    args = parser.parse_args()

    milp, make_s = the_milp(args.workloads, args.offerings, args.clients, args.seed)
    print(f"MILP of {args.workloads} workloads, {args.offerings} offerings, {args.clients} "
          f"clients (seed {args.seed}): {milp.num_cols} columns "
          f"({sum(milp.col_integer)} integer), {milp.num_rows} rows, "
          f"{len(milp.row_index)} nonzeros; candidates + formulation {make_s:.2f} s")
    print(f"HiGHS single-threaded, mip_rel_gap={args.gap:g}, time limit {args.time_limit:g} s, "
          f"pulp {pulp.__version__}, {source_state()}")
    print(flush=True)

    results: dict[str, dict[str, Any]] = {}
    results["(a) tierplan passModel"] = solve_tierplan(milp, args.gap, args.time_limit)
    prob, cols, seconds = build_to_pulp(milp)
    results["(b) to_pulp + pulp.HiGHS"] = solve_pulp(prob, cols, seconds, args.gap,
                                                     args.time_limit)
    del prob, cols
    prob, cols, seconds = build_naive(milp)
    results["(c) lpSum + pulp.HiGHS"] = solve_pulp(prob, cols, seconds, args.gap,
                                                   args.time_limit)
    del prob, cols

    base = results["(a) tierplan passModel"]
    print(f"{'':26} {'build_s':>9} {'solve_s':>9} {'total_s':>9} {'build x':>8} "
          f"{'solve x':>8} {'total x':>8} {'status':>10} {'objective':>16}")
    for name, r in results.items():
        total = r["build_s"] + r["solve_s"]
        base_total = base["build_s"] + base["solve_s"]
        r["objective"] = objective(milp, r)
        print(f"{name:26} {r['build_s']:9.3f} {r['solve_s']:9.3f} {total:9.3f} "
              f"{r['build_s'] / base['build_s']:8.1f} {r['solve_s'] / base['solve_s']:8.2f} "
              f"{total / base_total:8.2f} {r['status']:>10} {r['objective']:16.6f}")
    print()
    for name, r in results.items():
        if "pulp_model_s" in r:
            print(f"{name}: PuLP model {r['pulp_model_s']:.3f} s + copy into HiGHS "
                  f"{r['transfer_s']:.3f} s; PuLP's own bookkeeping around the solve "
                  f"{r['other_s']:.3f} s; {r['pulp_vars']} of {milp.num_cols} columns "
                  f"reached HiGHS")

    statuses = {r["status"] for r in results.values()}
    if statuses != {"optimal"}:
        print(f"objective check skipped: not every solve proved optimality ({statuses})")
        return
    ref = base["objective"]
    worst = max(abs(r["objective"] - ref) / max(1.0, abs(ref)) for r in results.values())
    verdict = "agree" if worst <= 1e-6 else "DISAGREE"
    print(f"objectives {verdict}: largest relative difference {worst:.2e} (tolerance 1e-6)")
    if worst > 1e-6:
        sys.exit(1)


if __name__ == "__main__":
    main()
