"""The HiGHS back-end (highspy, the default): the whole CSR matrix handed over in one
``passModel`` call, one thread and a fixed seed, limits from the work budget."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..errors import SolverError
from .backend import (
    Basis,
    Relaxation,
    SolveResult,
    Status,
    fixed_bounds,
    lexicographic_tolerance,
    tied_costs,
)
from .budget import Guard, check_limit, node_limit, work_of
from .milp import Milp, optimal_face, value_of

__all__ = ["LIGHT_COLUMNS", "LP_OPTIONS", "HighsBackend", "new_highs"]


#: Models up to this many columns are solved without HiGHS's primal heuristics.
LIGHT_COLUMNS = 5_000
LIGHT_OFF = ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
             "mip_heuristic_run_root_reduced_cost", "mip_heuristic_run_feasibility_jump")


# LP relaxations are solved by the dual simplex without presolve and with Devex
# pricing: presolve finds little to remove in them, and both are faster so (measured in
# docs/planner-design.md). A model with its integers fixed keeps presolve: it removes them.
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
        inf = hs.kHighsInf
        lp.col_cost_ = objective
        lp.col_lower_ = lower if lower is not None else milp.col_lower
        lp.col_upper_ = _within(upper if upper is not None else milp.col_upper, inf)
        lp.row_lower_ = _within(milp.row_lower, inf)
        lp.row_upper_ = _within(milp.row_upper, inf)
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

    def relax_from(self, milp: Milp, primary: Sequence[float], basis: Basis | None,
                   tie: Sequence[float] | None = None, ended: bool = True,
                   ) -> Relaxation | None:
        """The LP relaxation under ``primary`` (as :meth:`relax`), its simplex started
        from ``basis`` where its tags match this model's: a merged block grown by a few
        workloads re-solves its LP in a few hundred iterations instead of tens of
        thousands. With a ``tie``, first solved with it added (see
        :func:`.backend.tied_costs`), then under ``primary`` from the basis that ends in.
        ``ended``: whether to return the basis it ends in (reading it by tag costs about
        0.1 s at 100k columns), else its basis is None."""
        hs = self.hs
        h = self._highs()
        for option, value in LP_OPTIONS.items():
            h.setOptionValue(option, value)
        tied = tied_costs(primary, tie) if tie is not None else None
        lp = self._lp(milp, tied if tied is not None else primary, integer=False)
        h.passModel(lp)
        if basis is not None:
            h.setBasis(self._basis(milp, lp, basis))  # HiGHS starts cold if it refuses it
        h.run()
        iterations = max(h.getInfo().simplex_iteration_count, 0)
        if tied is not None and h.getModelStatus() == hs.HighsModelStatus.kOptimal:
            h.changeColsCost(len(primary), list(range(len(primary))), list(primary))
            h.run()
            iterations += max(h.getInfo().simplex_iteration_count, 0)
        if h.getModelStatus() != hs.HighsModelStatus.kOptimal:
            return None
        sol = h.getSolution()
        if not sol.dual_valid:
            return None
        last = None
        if ended:
            final = h.getBasis()
            last = Basis(dict(zip(milp.col_tags, _values(final.col_status), strict=True)),
                         dict(zip(milp.row_tags, _values(final.row_status), strict=True)))
        return Relaxation(list(sol.col_value), list(sol.row_dual), last, iterations)

    def _basis(self, milp: Milp, lp: Any, hint: Basis) -> Any:
        """``hint`` mapped onto ``milp`` by tag: a column it does not know is at a finite
        bound (or zero), a row it does not know basic; then as many basic statuses as
        rows (HiGHS refuses a basis with another count): missing ones from the rows'
        slacks, extra ones moved to a finite bound, both from the end."""
        hs = self.hs
        S = hs.HighsBasisStatus
        basic, lower, upper, zero = int(S.kBasic), int(S.kLower), int(S.kUpper), int(S.kZero)
        inf = hs.kHighsInf
        col_lower, col_upper = list(lp.col_lower_), list(lp.col_upper_)

        def at_bound(low: float, up: float) -> int:
            return lower if low > -inf else upper if up < inf else zero

        # The test of a hint inline (no call per column: a merged block's LP has ~10^5);
        # at_bound only for the few the hint does not fit.
        cols: list[int] = []
        add = cols.append
        for status, low, up in zip(map(hint.cols.get, milp.col_tags), col_lower, col_upper,
                                   strict=True):
            if status == basic or (status == lower and low > -inf) or (
                    status == upper and up < inf):
                add(status)  # basic, or at a bound that is finite
            else:
                add(at_bound(low, up))
        rows: list[int] = []
        add = rows.append
        known_row = hint.rows.get
        for tag, low, up in zip(milp.row_tags, lp.row_lower_, lp.row_upper_, strict=True):
            status = known_row(tag, basic)
            if status == basic or (status == lower and low > -inf) or (
                    status == upper and up < inf):
                add(status)
            else:
                add(basic if low <= -inf and up >= inf else at_bound(low, up))
        extra = cols.count(basic) + rows.count(basic) - milp.num_rows
        for r in range(milp.num_rows - 1, -1, -1):
            if extra >= 0:
                break
            if rows[r] != basic:
                rows[r], extra = basic, extra + 1
        for j in range(milp.num_cols - 1, -1, -1):
            if extra <= 0:
                break
            if cols[j] == basic:
                cols[j] = at_bound(col_lower[j], col_upper[j])
                extra -= 1
        statuses = [S(v) for v in range(4)]  # by value, without a conversion per entry
        out = hs.HighsBasis()
        out.col_status = list(map(statuses.__getitem__, cols))
        out.row_status = list(map(statuses.__getitem__, rows))
        out.valid = True
        return out

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
            if duals is not None:
                held = replace(milp, col_lower=list(lower), col_upper=list(upper))
                face = optimal_face(held, primary, clean, duals, list(sol.col_dual))
                tied = self._on_face(face, primary, secondary, value)
                if tied is not None:
                    return tied, duals
            self._hold_primary(h, primary, value, secondary)
            h.run()
            if h.getModelStatus() == hs.HighsModelStatus.kOptimal:
                clean = list(h.getSolution().col_value)
        return clean, duals

    def _on_face(self, face: Milp, primary: Sequence[float], secondary: Sequence[float],
                 value: float) -> list[float] | None:
        """The LP's optimum under ``secondary`` on the primary's optimal ``face`` (see
        :func:`.milp.optimal_face`), when it holds the primary at ``value``; else None.
        With presolve, which removes the columns and rows the face holds: at 1,000
        workloads under latency half the CPU of the tie-break with the primary held
        by one more row, and no slack for the tie-break to spend (see
        :func:`.backend.lexicographic_tolerance`)."""
        h = self._highs()
        h.passModel(self._lp(face, secondary, integer=False))
        h.run()
        if h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return None
        x = list(h.getSolution().col_value)
        if value_of(primary, x) > value + lexicographic_tolerance(value):
            return None
        return x


def _values(statuses: Sequence[Any]) -> list[int]:
    """HiGHS basis statuses as their int values (``.value`` is the quickest read)."""
    return [status.value for status in statuses]


def _within(values: Sequence[float], inf: float) -> Sequence[float]:
    """``values`` clamped to +-``inf`` (HiGHS's infinity): as they are when that is
    math.inf (highspy 1.16), as clamping would then change nothing."""
    if inf == math.inf:
        return values
    return [min(max(v, -inf), inf) for v in values]


def _agrees(objective: Sequence[float], x: Sequence[float], value: float) -> bool:
    """The solution ``x`` is worth the ``value`` the solver reported (to 1e-6, relative)."""
    return abs(value_of(objective, x) - value) <= 1e-6 * max(1.0, abs(value))
