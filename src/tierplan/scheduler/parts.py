"""Solve a model over periods by its independent parts (exact).

Over periods most rows hold one period: an inference workload's periods are separate
problems unless a horizon budget (its ``budget_usd``, or a budget entry that is not
per period) ties them. Those budget rows are set aside first: the model falls apart
into parts (one per period of each uncoupled workload, typically), each solved on its
own, as small as a version 1 model. When the parts' solution meets the budgets set
aside it is optimal (it is optimal for a relaxation); otherwise the whole model is
solved with them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from .budget import WorkClock
from .milp import Milp, value_of
from .solvers import Backend, SolveResult

__all__ = ["solve_by_parts"]

# Parts up to this many columns are solved without HiGHS's presolve (faster for
# single-workload models; see alone.solve_alone).
NO_PRESOLVE_COLUMNS = 1000


def _horizon_row(tag: tuple[object, ...]) -> bool:
    return tag[0] == "workload_budget" or (tag[0] == "budget" and len(tag) > 2 and tag[2] is None)


def _parts(m: Milp, skip: set[int]) -> list[tuple[list[int], list[int]]]:
    parent = list(range(m.num_cols))

    def find(j: int) -> int:
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    for r in range(m.num_rows):
        if r in skip:
            continue
        index = m.row_index[m.row_start[r]:m.row_start[r + 1]]
        if index:
            root = find(index[0])
            for j in index[1:]:
                other = find(j)
                if other != root:
                    parent[other] = root
    cols: dict[int, list[int]] = {}
    for j in range(m.num_cols):
        cols.setdefault(find(j), []).append(j)
    rows: dict[int, list[int]] = {}
    for r in range(m.num_rows):
        index = m.row_index[m.row_start[r]:m.row_start[r + 1]]
        if r not in skip and index:
            rows.setdefault(find(index[0]), []).append(r)
    return [(cs, rows.get(root, [])) for root, cs in cols.items()]


def _sub(m: Milp, cols: Sequence[int], rows: Sequence[int]) -> Milp:
    local = {j: k for k, j in enumerate(cols)}
    sub = Milp()
    for j in cols:
        sub.add_col(m.col_tags[j], m.col_lower[j], m.col_upper[j], m.col_integer[j], m.cost[j],
                    m.latency[j], m.penalty[j])
    for r in rows:
        index, value = m.row(r)
        sub.add_row(m.row_tags[r], [local[j] for j in index], value, m.row_lower[r], m.row_upper[r])
    return sub


def solve_by_parts(backend: Backend, m: Milp, latency: bool, tie: bool, clock: WorkClock,
                   gap: float) -> SolveResult:
    """Minimise cost (``latency``: latency), with the other objective as an exact
    tie-break when ``tie``; the result is the whole model's. Each solve is charged to
    ``clock`` (work seconds, deterministic: see budget)."""
    began = time.perf_counter()
    spent = clock.now()

    def objectives(model: Milp) -> tuple[list[float], list[float] | None]:
        first, second = (model.latency, model.cost) if latency else (model.cost, model.latency)
        return first, second if tie else None

    def whole() -> SolveResult:
        result = backend.solve(m, *objectives(m), max(clock.left(), 1.0), gap)
        clock.charge(result.work, result.cut)
        return result

    empty_broken = any(m.row_start[r] == m.row_start[r + 1] and not
                       m.row_lower[r] <= 0 <= m.row_upper[r] for r in range(m.num_rows))
    set_aside = {r for r, tag in enumerate(m.row_tags) if _horizon_row(tag)}
    parts = _parts(m, set_aside)
    if empty_broken or len(parts) <= 1:
        return whole()
    x = [0.0] * m.num_cols
    status = "optimal"
    reached = 0.0
    for cols, rows in sorted(parts, key=lambda p: p[0][0]):
        sub = _sub(m, cols, rows)
        result = backend.solve(sub, *objectives(sub), max(clock.left(), 0.5), gap,
                               presolve=sub.num_cols > NO_PRESOLVE_COLUMNS)
        clock.charge(result.work, result.cut)
        if result.x is None:
            # the relaxation has no plan (or none in time): neither has the model
            return whole() if set_aside else result
        for j, v in zip(cols, result.x, strict=True):
            x[j] = v
        if result.status == "time_limit":
            status = "time_limit"
        reached = max(reached, result.gap)
    for r in set_aside:
        activity = m.activity(r, x)
        if not m.row_lower[r] - 1e-6 <= activity <= m.row_upper[r] + 1e-6 * max(1.0, abs(m.row_upper[r])):
            return whole()
    first, _ = objectives(m)
    return SolveResult(status, x, value_of(first, x), reached,  # type: ignore[arg-type]
                       time.perf_counter() - began, clock.now() - spent)
