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
from concurrent.futures import Future
from dataclasses import dataclass

from .budget import WorkClock
from .milp import Milp, value_of
from .period_pool import PartTask, Runner
from .solvers import Backend, SolveResult

__all__ = ["Pending", "collect", "hand_over", "solve_by_parts"]

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


# Work seconds a part gets at least, however late it is handed over.
PART_LEAST = 0.5


@dataclass
class Pending:
    """A model whose parts were handed over: what :func:`collect` needs to finish it."""

    milp: Milp
    latency: bool
    tie: bool
    gap: float
    least: float  # work seconds the whole model gets at least, if it is solved whole
    set_aside: set[int]
    parts: list[tuple[list[int], list[int]]]
    futures: list[Future[SolveResult]] | None  # None: the model is solved whole
    began: float


def _objectives(model: Milp, latency: bool, tie: bool) -> tuple[list[float], list[float] | None]:
    first, second = (model.latency, model.cost) if latency else (model.cost, model.latency)
    return first, second if tie else None


def hand_over(runner: Runner, m: Milp, latency: bool, tie: bool, work: float,
              gap: float, least: float = 2 * PART_LEAST) -> Pending:
    """Split ``m`` into its parts and give each to ``runner`` with ``work`` seconds
    (the same for each, fixed now: the plan does not depend on which ends first).
    Solved whole, the model gets the work left then, at least ``least``."""
    began = time.perf_counter()
    empty_broken = any(m.row_start[r] == m.row_start[r + 1] and not
                       m.row_lower[r] <= 0 <= m.row_upper[r] for r in range(m.num_rows))
    set_aside = {r for r, tag in enumerate(m.row_tags) if _horizon_row(tag)}
    parts = sorted(_parts(m, set_aside), key=lambda p: p[0][0])
    if empty_broken or len(parts) <= 1:
        return Pending(m, latency, tie, gap, least, set_aside, parts, None, began)
    futures = []
    for cols, rows in parts:
        sub = _sub(m, cols, rows)
        futures.append(runner.submit(PartTask(
            runner.solver, sub, *_objectives(sub, latency, tie), work, gap,
            sub.num_cols > NO_PRESOLVE_COLUMNS)))
    return Pending(m, latency, tie, gap, least, set_aside, parts, futures, began)


def collect(pending: Pending, backend: Backend, clock: WorkClock) -> SolveResult:
    """The handed-over model's solution: its parts' work charged to ``clock`` in order,
    and the whole model solved here when the parts do not answer for it."""
    m = pending.milp
    spent = clock.now()

    def whole() -> SolveResult:
        result = backend.solve(m, *_objectives(m, pending.latency, pending.tie),
                               max(clock.left(), pending.least), pending.gap)
        clock.charge(result.work, result.cut)
        return result

    if pending.futures is None:
        return whole()
    results = [f.result() for f in pending.futures]
    x = [0.0] * m.num_cols
    status = "optimal"
    reached = 0.0
    for (cols, _), result in zip(pending.parts, results, strict=True):
        clock.charge(result.work, result.cut)
        if result.x is None:
            # the relaxation has no plan (or none in time): neither has the model
            return whole() if pending.set_aside else result
        for j, v in zip(cols, result.x, strict=True):
            x[j] = v
        if result.status == "time_limit":
            status = "time_limit"
        reached = max(reached, result.gap)
    for r in pending.set_aside:
        activity = m.activity(r, x)
        if not m.row_lower[r] - 1e-6 <= activity <= m.row_upper[r] + 1e-6 * max(1.0, abs(m.row_upper[r])):
            return whole()
    first, _ = _objectives(m, pending.latency, pending.tie)
    return SolveResult(status, x, value_of(first, x), reached,  # type: ignore[arg-type]
                       time.perf_counter() - pending.began, clock.now() - spent)


def solve_by_parts(backend: Backend, m: Milp, latency: bool, tie: bool, clock: WorkClock,
                   gap: float, runner: Runner, least: float = PART_LEAST) -> SolveResult:
    """Minimise cost (``latency``: latency), with the other objective as an exact
    tie-break when ``tie``; the result is the whole model's. Each solve is charged to
    ``clock`` (work seconds, deterministic: see budget); every part gets the work left
    when the model is handed over, at least ``least`` (the whole model twice that)."""
    return collect(hand_over(runner, m, latency, tie, max(clock.left(), least), gap,
                             2 * least), backend, clock)
