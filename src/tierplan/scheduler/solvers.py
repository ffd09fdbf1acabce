"""Solver back-ends: HiGHS (highspy, default) and CBC (through PuLP).

Both solve a :class:`~.milp.Milp` lexicographically: first the primary objective, then,
with the primary held at its optimum, the secondary one (the tie-break of SPEC section 2).
Both can re-solve the LP with the integer columns fixed to read shadow prices.

Why HiGHS is not driven through ``pulp.HiGHS``: that adapter adds rows one at a time,
reports a time limit as "Optimal" and returns zero duals on a MIP. Handing HiGHS the
whole CSR matrix in one ``passModel`` call is several times faster (see bench/) and
lets us read the true model status. CBC has no such shortcut, so it gets a PuLP model;
PuLP also writes the model to an LP/MPS file on request.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple, Protocol

from ..errors import SolverError
from .budget import Guard, check_limit, node_limit, work_of
from .milp import INF, Milp, value_of

__all__ = [
    "SOLVERS", "Backend", "CbcBackend", "HighsBackend", "SolveResult", "Solver", "get_backend",
    "solve_task", "solver_name",
]

Status = Literal["optimal", "time_limit", "infeasible", "no_solution"]


@dataclass(frozen=True)
class SolveResult:
    """A solve's answer. ``seconds``: wall time (reported, never used to decide);
    ``work``: work seconds (see :mod:`.budget`), deterministic; ``cut``: the wall-clock
    guard stopped it, so the answer may differ between runs."""

    status: Status
    x: list[float] | None
    objective: float | None
    gap: float
    seconds: float
    work: float = 0.0
    cut: bool = False


class Backend(Protocol):
    name: str

    def solve(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        work: float, gap: float, start: Sequence[float] | None = None,
        presolve: bool = True,
    ) -> SolveResult:
        """Minimise ``primary``, then ``secondary`` with the first held (lexicographic).

        ``work``: work seconds allotted (see :mod:`.budget`; a deterministic limit, and
        the root is always finished). ``start``: a feasible solution to begin from (a
        MIP start), if one is known.
        ``presolve=False`` leaves HiGHS's presolve out: a single workload's model is
        solved faster without it (see alone.solve_alone); CBC ignores it.
        """
        ...

    def polish(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        x: Sequence[float],
    ) -> tuple[list[float], list[float] | None]:
        """Re-solve the LP with the integer columns fixed at ``x``.

        Returns clean vertex values (the MIP's are only feasible to its tolerance), chosen
        lexicographically like :meth:`solve`, and the row duals of the primary LP
        (d objective / d row bound), or None when the LP gives none.
        """
        ...

    def relax(self, milp: Milp, primary: Sequence[float],
              ) -> tuple[list[float], list[float]] | None:
        """The LP relaxation under ``primary``: its solution and row duals, or None when
        it has no optimum (or no duals)."""
        ...


def lexicographic_tolerance(value: float) -> float:
    """How far the primary objective may move in the tie-break phase.

    Any slack here is spent by the tie-break (e.g. shifting 4e-6 rps to a faster site
    for 1e-4 USD), so it is kept near the solvers' own feasibility tolerance.
    """
    return 1e-9 * max(1.0, abs(value))


def fixed_bounds(milp: Milp, x: Sequence[float]) -> tuple[list[float], list[float]]:
    lower, upper = list(milp.col_lower), list(milp.col_upper)
    for j, integer in enumerate(milp.col_integer):
        if integer:
            lower[j] = upper[j] = float(round(x[j]))
    return lower, upper


# ------------------------------------------------------------------------------ HiGHS

#: Models up to this many columns are solved without HiGHS's primal heuristics.
LIGHT_COLUMNS = 5_000
LIGHT_OFF = ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
             "mip_heuristic_run_root_reduced_cost", "mip_heuristic_run_feasibility_jump")


# LP relaxations are solved by the dual simplex without presolve and with Devex
# pricing: on the 1,000-workload benchmark the merged block's LP (99k columns, 74k rows)
# takes 1.3-1.4 s instead of 1.9 s, and 324 of its workloads' LPs 0.26 s instead of
# 0.6 s; presolve finds little to remove in them. (A model with its integers fixed is
# another matter: presolve removes them, and polishing is faster with it.)
LP_OPTIONS: dict[str, object] = {"presolve": "off", "simplex_dual_edge_weight_strategy": 1}

_BANNER_LOCK = threading.Lock()
_banner_done = False


def new_highs() -> Any:
    """A silent ``highspy.Highs``.

    highspy 1.16 prints a copyright banner from C++ straight to file descriptor 1 when
    the first Highs object of a process is made, before any option can turn output
    off; on a pipe that would corrupt ``--format json``. The first construction in a
    process therefore runs with descriptor 1 pointed at /dev/null (once, under a lock;
    later objects print nothing until a solve, and ``output_flag`` is off for those).
    """
    global _banner_done
    import highspy as module

    highspy: Any = module  # typed in some releases, not in others

    if _banner_done:
        h = highspy.Highs()
    else:
        with _BANNER_LOCK:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    return h


class HighsBackend:
    name = "HiGHS"

    def __init__(self, guard: Guard | None = None) -> None:
        try:
            import highspy
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise SolverError("highspy is not installed: pip install highspy") from exc
        self.hs: Any = highspy
        self.guard = guard or Guard()

    def _highs(self, nodes: int | None = None, gap: float | None = None,
               light: bool = False) -> Any:
        h = new_highs()
        # One thread and a fixed seed: HiGHS is then deterministic (the same answer for
        # the same model and limits on any machine).
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        wall = self.guard.seconds_left()
        if wall is not None:
            h.setOptionValue("time_limit", wall)
        if light:
            # Small models: branch-and-bound finds incumbents itself; the primal heuristics
            # (RINS, RENS, feasibility jump, ...) cost more than they save (bench: ~2x).
            for option in LIGHT_OFF:
                h.setOptionValue(option, False)
            h.setOptionValue("mip_heuristic_effort", 0.0)
        if nodes is not None:
            h.setOptionValue("mip_max_nodes", nodes)
        if gap is not None:
            h.setOptionValue("mip_rel_gap", gap)
        return h

    def _lp(self, milp: Milp, objective: Sequence[float], lower: Sequence[float] | None = None,
            upper: Sequence[float] | None = None, integer: bool = True) -> Any:
        hs = self.hs
        lp = hs.HighsLp()
        lp.num_col_ = milp.num_cols
        lp.num_row_ = milp.num_rows
        lp.col_cost_ = list(objective)
        lp.col_lower_ = list(lower if lower is not None else milp.col_lower)
        lp.col_upper_ = [min(v, hs.kHighsInf) for v in (upper if upper is not None else milp.col_upper)]
        lp.row_lower_ = [max(v, -hs.kHighsInf) for v in milp.row_lower]
        lp.row_upper_ = [min(v, hs.kHighsInf) for v in milp.row_upper]
        lp.a_matrix_.format_ = hs.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = milp.row_start
        lp.a_matrix_.index_ = milp.row_index
        lp.a_matrix_.value_ = milp.row_value
        if integer and any(milp.col_integer):
            kint, kcont = hs.HighsVarType.kInteger, hs.HighsVarType.kContinuous
            lp.integrality_ = [kint if i else kcont for i in milp.col_integer]
        return lp

    def solve(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        work: float, gap: float, start: Sequence[float] | None = None,
        presolve: bool = True,
    ) -> SolveResult:
        began = time.perf_counter()
        if milp.num_cols == 0:
            return SolveResult("optimal", [], 0.0, 0.0, 0.0)
        nnz = len(milp.row_value)
        h = self._highs(node_limit(work, nnz), gap, light=milp.num_cols <= LIGHT_COLUMNS)
        if not presolve:
            h.setOptionValue("presolve", "off")
        h.passModel(self._lp(milp, primary))
        if start is not None:
            self._set_start(h, start)
        checks = self._interrupt(h, check_limit(work, nnz))
        status, x, value, reached = self._run(h, primary)
        used, cut = self._work(h, milp, checks[0])
        if status in ("infeasible", "no_solution") or x is None or value is None:
            return SolveResult(status, None, None, math.inf, time.perf_counter() - began,
                               used, cut)
        left = work - used
        if secondary is not None and status == "optimal" and left > 0 and any(secondary):
            self._hold_primary(h, primary, value, secondary)
            h.setOptionValue("mip_max_nodes", node_limit(left, nnz))
            wall = self.guard.seconds_left()
            if wall is not None:
                h.setOptionValue("time_limit", wall)
            self._set_start(h, x)
            checks[:] = [0, check_limit(left, nnz)]
            status2, x2, _, _ = self._run(h, secondary)
            more, cut2 = self._work(h, milp, checks[0])
            used, cut = used + more, cut or cut2
            if x2 is not None:
                x = x2
                if status2 == "time_limit":
                    status = "time_limit"
        return SolveResult(status, x, value, reached, time.perf_counter() - began, used, cut)

    def _interrupt(self, h: Any, limit: int) -> list[int]:
        """Stop the MIP at its ``limit``-th interrupt check: HiGHS checks at fixed
        points of its search (also inside the root, which no node limit bounds), so
        the count is a deterministic measure of work. Returns [checks so far, limit]
        (the caller may reset both for a second run)."""
        checks = [0, limit]

        def check(kind: Any, message: Any, out: Any, into: Any, user: Any) -> None:
            checks[0] += 1
            if checks[0] >= checks[1]:
                into.user_interrupt = True

        h.setCallback(check, None)
        h.startCallback(self.hs.cb.HighsCallbackType.kCallbackMipInterrupt)
        return checks

    def _work(self, h: Any, milp: Milp, checks: int) -> tuple[float, bool]:
        """The work seconds of the run just ended, and whether the guard stopped it."""
        info = h.getInfo()
        used = work_of(milp.num_rows, milp.num_cols, len(milp.row_value),
                       max(info.simplex_iteration_count, 0), max(info.mip_node_count, 0),
                       checks)
        return used, h.getModelStatus() == self.hs.HighsModelStatus.kTimeLimit

    def _set_start(self, h: Any, x: Sequence[float]) -> None:
        sol = self.hs.HighsSolution()
        sol.col_value = list(x)
        sol.value_valid = True
        h.setSolution(sol)

    def _hold_primary(self, h: Any, primary: Sequence[float], value: float,
                      secondary: Sequence[float]) -> None:
        """Keep the primary objective within tolerance of ``value``; minimise the secondary."""
        nz = [(j, c) for j, c in enumerate(primary) if c]
        if nz:  # a constant primary holds by itself
            h.addRow(-self.hs.kHighsInf, value + lexicographic_tolerance(value), len(nz),
                     [j for j, _ in nz], [c for _, c in nz])
        h.changeColsCost(len(primary), list(range(len(primary))), list(secondary))

    def _run(self, h: Any, objective: Sequence[float],
             ) -> tuple[Status, list[float] | None, float | None, float]:
        """Run HiGHS and read its answer; ``objective``: the costs it minimises.

        HiGHS 1.16 can report the optimum's value while handing back the MIP start as
        its solution, when presolve solves the model with a start given (seen on a
        14-column block: value $1,000, solution worth $1,200, both "optimal"). The
        value of the solution is therefore checked against the reported one, and on
        a mismatch the model is solved again without presolve, which returns both."""
        status, x, value, reached = self._read(h)
        if x is not None and value is not None and not _agrees(objective, x, value):
            h.setOptionValue("presolve", "off")
            status, x, value, reached = self._read(h)
            h.setOptionValue("presolve", "choose")
            if x is not None and value is not None and not _agrees(objective, x, value):
                raise SolverError("HiGHS returned a solution whose objective is not the one "
                                  "it reported; try --solver cbc")
        return status, x, value, reached

    def _read(self, h: Any) -> tuple[Status, list[float] | None, float | None, float]:
        hs = self.hs
        h.run()
        model_status = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        S = hs.HighsModelStatus
        if model_status == S.kOptimal:
            status: Status = "optimal"
        elif model_status in (S.kInfeasible, S.kUnboundedOrInfeasible):
            return "infeasible", None, None, math.inf
        elif model_status in (S.kTimeLimit, S.kInterrupt, S.kIterationLimit, S.kSolutionLimit,
                              S.kObjectiveBound, S.kObjectiveTarget):
            status = "time_limit" if has_solution else "no_solution"
        else:
            raise SolverError(f"HiGHS stopped with status {h.modelStatusToString(model_status)}")
        if not has_solution:
            return "no_solution", None, None, math.inf
        x = list(h.getSolution().col_value)
        reached = info.mip_gap if math.isfinite(info.mip_gap) else (0.0 if status == "optimal" else math.inf)
        return status, x, info.objective_function_value, max(0.0, reached)

    def polish(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        x: Sequence[float],
    ) -> tuple[list[float], list[float] | None]:
        lower, upper = fixed_bounds(milp, x)
        return self._linear(milp, primary, secondary, x, lower, upper)

    def relax(self, milp: Milp, primary: Sequence[float],
              ) -> tuple[list[float], list[float]] | None:
        x, duals = self._linear(milp, primary, None, [0.0] * milp.num_cols, milp.col_lower,
                                milp.col_upper, LP_OPTIONS)
        return None if duals is None else (x, duals)

    def _linear(self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
                x: Sequence[float], lower: Sequence[float], upper: Sequence[float],
                options: Mapping[str, object] | None = None,
                ) -> tuple[list[float], list[float] | None]:
        """The LP of ``milp`` within column bounds ``lower``/``upper`` (``x`` when it has
        no optimum), lexicographically, and its row duals: see :meth:`polish`."""
        hs = self.hs
        h = self._highs()
        for option, value in (options or {}).items():
            h.setOptionValue(option, value)
        h.passModel(self._lp(milp, primary, lower, upper, integer=False))
        h.run()
        if h.getModelStatus() != hs.HighsModelStatus.kOptimal:
            return list(x), None
        sol = h.getSolution()
        duals = list(sol.row_dual) if sol.dual_valid else None
        clean = list(sol.col_value)
        if secondary is not None and any(secondary):
            value = h.getInfo().objective_function_value
            self._hold_primary(h, primary, value, secondary)
            h.run()
            if h.getModelStatus() == hs.HighsModelStatus.kOptimal:
                clean = list(h.getSolution().col_value)
        return clean, duals


def _agrees(objective: Sequence[float], x: Sequence[float], value: float) -> bool:
    """The solution ``x`` is worth the ``value`` the solver reported (to 1e-6, relative)."""
    return abs(value_of(objective, x) - value) <= 1e-6 * max(1.0, abs(value))


# -------------------------------------------------------------------------- CBC (PuLP)


class CbcBackend:
    name = "CBC"

    def __init__(self, guard: Guard | None = None) -> None:
        import pulp

        self.guard = guard or Guard()

        self.pulp: Any = pulp
        # PuLP 3.3 deprecates its bundled binary (PULP_CBC_CMD) in favour of COIN_CMD with
        # the cbc that the `pulp[cbc]` extra (cbcbox) installs; use the bundled one only
        # when that is missing.
        self.command = pulp.COIN_CMD if pulp.COIN_CMD().available() else pulp.PULP_CBC_CMD
        if not self.command().available():
            raise SolverError("CBC is not available: pip install 'pulp[cbc]'")

    def to_pulp(self, milp: Milp, objective: Sequence[float], lower: Sequence[float] | None = None,
                upper: Sequence[float] | None = None, integer: bool = True) -> tuple[Any, list[Any]]:
        """Build a PuLP problem from prepared coefficient lists (no per-term ``lpSum``)."""
        pulp = self.pulp
        lower = milp.col_lower if lower is None else lower
        upper = milp.col_upper if upper is None else upper
        prob = pulp.LpProblem("tierplan", pulp.LpMinimize)
        cols = [
            prob.add_variable(
                f"x{j}", lower[j], None if upper[j] == INF else upper[j],
                pulp.LpInteger if integer and milp.col_integer[j] else pulp.LpContinuous,
            )
            for j in range(milp.num_cols)
        ]
        prob.setObjective(self._objective(cols, objective))
        for r in range(milp.num_rows):
            index, value = milp.row(r)
            expr = pulp.LpAffineExpression([(cols[j], v) for j, v in zip(index, value, strict=True)])
            lo, hi = milp.row_lower[r], milp.row_upper[r]
            if lo == hi:
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{r}", lo))
                continue
            if hi < INF:
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}", hi))
            if lo > -INF:
                name = f"r{r}" if hi == INF else f"r{r}_lo"
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, name, lo))
        return prob, cols

    def _objective(self, cols: list[Any], coefficients: Sequence[float]) -> Any:
        """The objective as PuLP needs it: never empty. PuLP stands in a ``__dummy``
        column for an empty objective and then cannot solve the problem a second time
        (the lexicographic phase, or the polish after it); a zero coefficient keeps the
        problem solvable again and changes nothing."""
        terms = [(cols[j], c) for j, c in enumerate(coefficients) if c]
        return self.pulp.LpAffineExpression(terms or [(cols[0], 0.0)] if cols else [])

    def _cbc(self, nodes: int | None, gap: float | None, warm: bool = False) -> Any:
        # A node limit (deterministic) and the guard's wall time (CBC counts whole seconds).
        wall = self.guard.seconds_left()
        return self.command(
            msg=False, timeLimit=None if wall is None else max(1, math.ceil(wall)),
            gapRel=gap, warmStart=warm, maxNodes=nodes, threads=1,
        )

    def solve(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        work: float, gap: float, start: Sequence[float] | None = None,
        presolve: bool = True,
    ) -> SolveResult:
        began = time.perf_counter()
        if milp.num_cols == 0:
            return SolveResult("optimal", [], 0.0, 0.0, 0.0)
        nodes = node_limit(work, len(milp.row_value))
        prob, cols = self.to_pulp(milp, primary)
        if start is not None:
            self._set_start(milp, cols, start)
        prob.solve(self._cbc(nodes, gap, warm=start is not None))
        status = self._status(prob)
        # CBC reports no counts through PuLP: each run is charged its fixed cost only.
        used = work_of(milp.num_rows, milp.num_cols, len(milp.row_value), 0, 0)
        if status in ("infeasible", "no_solution"):
            return SolveResult(status, None, None, math.inf, time.perf_counter() - began, used)
        x = [v.varValue or 0.0 for v in cols]
        # value(objective) can be stale when CBC found nothing; recompute from x instead.
        value = value_of(primary, x)
        if secondary is not None and status == "optimal" and any(secondary):
            self._hold_primary(prob, cols, primary, value, secondary)
            self._set_start(milp, cols, x)
            prob.solve(self._cbc(nodes, gap, warm=True))
            status2 = self._status(prob)
            if status2 in ("optimal", "time_limit"):
                x = [v.varValue or 0.0 for v in cols]
                if status2 == "time_limit":
                    status = "time_limit"
        # CBC stops at the relative gap it was given and PuLP does not pass its bound on,
        # so an optimum is proven only to that gap (exactly, when nothing is integer).
        exact = not any(milp.col_integer)
        reached = (0.0 if exact else gap) if status == "optimal" else math.inf
        return SolveResult(status, x, value, reached, time.perf_counter() - began, used)

    def _set_start(self, milp: Milp, cols: list[Any], x: Sequence[float]) -> None:
        for j, (v, val) in enumerate(zip(cols, x, strict=True)):
            # CBC's start must lie within the bounds exactly (it may be -1e-12 here).
            val = min(max(val, milp.col_lower[j]), milp.col_upper[j])
            v.setInitialValue(float(round(val)) if milp.col_integer[j] else val)

    def _hold_primary(self, prob: Any, cols: list[Any], primary: Sequence[float],
                      value: float, secondary: Sequence[float]) -> None:
        """Keep the primary objective within tolerance of ``value``; minimise the secondary."""
        pulp = self.pulp
        terms = [(cols[j], c) for j, c in enumerate(primary) if c]
        if terms:  # a constant primary holds by itself (and CBC fails on an empty row)
            prob.addConstraint(pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintLE, "lexicographic",
                value + lexicographic_tolerance(value)))
        prob.setObjective(self._objective(cols, secondary))

    def _status(self, prob: Any) -> Status:
        pulp = self.pulp
        sol = prob.sol_status
        if sol == pulp.LpSolutionOptimal:
            return "optimal"
        if sol == pulp.LpSolutionIntegerFeasible:
            return "time_limit"
        if sol in (pulp.LpSolutionInfeasible, pulp.LpSolutionUnbounded):
            return "infeasible"
        if prob.status == pulp.LpStatusInfeasible:
            return "infeasible"
        return "no_solution"

    def polish(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        x: Sequence[float],
    ) -> tuple[list[float], list[float] | None]:
        lower, upper = fixed_bounds(milp, x)
        prob, cols = self.to_pulp(milp, primary, lower, upper, integer=False)
        prob.solve(self._cbc(None, None))
        if self._status(prob) != "optimal":
            return list(x), None
        by_name = prob.get_constraint_by_name
        duals = []
        for r in range(milp.num_rows):
            pis = [k.pi for k in (by_name(f"r{r}"), by_name(f"r{r}_lo"))
                   if k is not None and k.pi is not None]
            duals.append(float(sum(pis)))
        clean = [v.varValue or 0.0 for v in cols]
        if secondary is not None and any(secondary):
            value = sum(c * clean[j] for j, c in enumerate(primary) if c)
            self._hold_primary(prob, cols, primary, value, secondary)
            prob.solve(self._cbc(None, None))
            if self._status(prob) == "optimal":
                clean = [v.varValue or 0.0 for v in cols]
        return clean, duals

    def relax(self, milp: Milp, primary: Sequence[float],
              ) -> tuple[list[float], list[float]] | None:
        relaxed = replace(milp, col_integer=[False] * milp.num_cols)
        x, duals = self.polish(relaxed, primary, None, [0.0] * milp.num_cols)
        return None if duals is None else (x, duals)


SOLVERS: dict[str, Callable[[Guard], Backend]] = {"highs": HighsBackend, "cbc": CbcBackend}


class Solver(NamedTuple):
    """Which back-end solves, as tasks carry it to worker processes: a name of
    :data:`SOLVERS` with the plan's wall-clock guard, or a back-end given by the caller
    (``PlanOptions.backend``; such a plan solves in its own process)."""

    name: str = "highs"
    guard: Guard = Guard()
    backend: Backend | None = None


# (solver, model, primary, secondary, work seconds, gap, start)
Task = tuple[Solver | str, Milp, list[float], list[float] | None, float, float,
             list[float] | None]


def solve_task(task: Task) -> SolveResult:
    """Solve in a worker process: (solver, model, primary, secondary, work, gap, start)."""
    solver, milp, primary, secondary, work, gap, start = task
    return get_backend(solver).solve(milp, primary, secondary, work, gap, start)


def solver_name(solver: Solver | str) -> str:
    return solver if isinstance(solver, str) else solver.name


def get_backend(solver: Solver | str) -> Backend:
    if isinstance(solver, str):
        solver = Solver(solver)
    if solver.backend is not None:
        return solver.backend
    try:
        factory = SOLVERS[solver.name]
    except KeyError:
        raise SolverError(f"unknown solver {solver.name!r}; choose one of "
                          f"{', '.join(SOLVERS)}") from None
    return factory(solver.guard)
