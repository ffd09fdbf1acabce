"""The CBC back-end, through PuLP (which also writes a model to an LP/MPS file)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..errors import SolverError
from .backend import SolveResult, Status, fixed_bounds, lexicographic_tolerance
from .budget import Guard, node_limit, work_of
from .milp import INF, Milp, value_of

__all__ = ["CbcBackend"]



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
