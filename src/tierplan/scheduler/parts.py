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
from .gaps import relative_gap, solver_bound
from .milp import Milp, value_of
from .period_pool import CUT, PartTask, Runner
from .solvers import Backend, SolveResult
from .unionfind import find

__all__ = ["Pending", "collect", "hand_over", "solve_by_parts"]

# Parts up to this many columns are solved without HiGHS's presolve (faster for
# single-workload models; see alone.solve_alone).
NO_PRESOLVE_COLUMNS = 1000


def _horizon_row(tag: tuple[object, ...]) -> bool:
    return tag[0] == "workload_budget" or (tag[0] == "budget" and len(tag) > 2 and tag[2] is None)


def _parts(m: Milp, skip: set[int]) -> list[tuple[list[int], list[int]]]:
    """The model's independent parts without the ``skip`` rows: each one's columns and
    rows (ascending), in the order of their first column. (A union-find over the rows'
    columns: at 13 periods this runs on ~100k columns per plan, so it keeps no list
    per column, which would leave the garbage collector many objects to walk.)"""
    starts, index = m.row_start, m.row_index
    parent = list(range(m.num_cols))
    for r in range(m.num_rows):
        if r in skip:
            continue
        a, b = starts[r], starts[r + 1]
        if b - a > 1:
            first = find(parent, index[a])
            for j in index[a + 1:b]:
                top = find(parent, j)
                if top != first:
                    parent[top] = first
    cols: dict[int, list[int]] = {}
    for j in range(m.num_cols):
        cols.setdefault(find(parent, j), []).append(j)
    rows: dict[int, list[int]] = {}
    for r in range(m.num_rows):
        if r not in skip and starts[r] < starts[r + 1]:
            rows.setdefault(find(parent, index[starts[r]]), []).append(r)
    # (columns and rows are met in ascending order, and the parts by their first column)
    return [(cs, rows.get(top, [])) for top, cs in cols.items()]


def _sub(m: Milp, cols: Sequence[int], rows: Sequence[int]) -> Milp:
    local = {j: k for k, j in enumerate(cols)}
    sub = Milp([m.col_lower[j] for j in cols], [m.col_upper[j] for j in cols],
               [m.col_integer[j] for j in cols], [m.cost[j] for j in cols],
               [m.latency[j] for j in cols], [m.penalty[j] for j in cols],
               [m.col_tags[j] for j in cols])
    starts, index, value = m.row_start, m.row_index, m.row_value
    for r in rows:
        a, b = starts[r], starts[r + 1]
        sub.row_index.extend([local[j] for j in index[a:b]])
        sub.row_value.extend(value[a:b])
        sub.row_start.append(len(sub.row_index))
        sub.row_lower.append(m.row_lower[r])
        sub.row_upper.append(m.row_upper[r])
        sub.row_tags.append(m.row_tags[r])
    return sub


# Work seconds a part gets at least, however late it is handed over: a merged group's
# members at its LP's prices and its start's steps get no more (their periods' search,
# rins.py, repairs what a step leaves).
PART_LEAST = 0.25


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
    asked: list[PartTask | None]  # each part's task, None when remembered (not solved)
    began: float
    runner: Runner


def _objectives(model: Milp, latency: bool, tie: bool) -> tuple[list[float], list[float] | None]:
    first, second = (model.latency, model.cost) if latency else (model.cost, model.latency)
    return first, second if tie else None


def hand_over(runner: Runner, m: Milp, latency: bool, tie: bool, work: float,
              gap: float, least: float = 2 * PART_LEAST, chain: bool = False) -> Pending:
    """Split ``m`` into its parts and give each to ``runner`` with ``work`` seconds
    (the same for each, fixed now: the plan does not depend on which ends first).
    Solved whole, the model gets the work left then, at least ``least``. ``chain``:
    the parts (one workload's periods) are solved in turn in one worker, the largest
    demand first, each starting from the plan of the one before (see
    :func:`.period_pool.solve_chain`): for many workloads handed over at once."""
    began = time.perf_counter()
    if runner.expired():  # past the wall-clock guard: not even split
        return Pending(m, latency, tie, gap, least, set(), [], [], [], began, runner)
    empty_broken = any(m.row_start[r] == m.row_start[r + 1] and not
                       m.row_lower[r] <= 0 <= m.row_upper[r] for r in range(m.num_rows))
    set_aside = {r for r, tag in enumerate(m.row_tags) if _horizon_row(tag)}
    parts = sorted(_parts(m, set_aside), key=lambda p: p[0][0])
    if empty_broken or len(parts) <= 1:
        return Pending(m, latency, tie, gap, least, set_aside, parts, None, [], began, runner)
    futures: list[Future[SolveResult]] = []
    asked: list[PartTask | None] = []
    for cols, rows in parts:
        sub = _sub(m, cols, rows)
        primary, secondary = _objectives(sub, latency, tie)
        known = runner.memo.answer(sub, primary, secondary, gap)
        done: Future[SolveResult] = Future()
        futures.append(done)
        if known is not None:
            done.set_result(known)
            asked.append(None)
            continue
        # The part's plan from an earlier round (under other prices) starts its search.
        asked.append(PartTask(runner.solver, sub, primary, secondary, work, gap,
                              sub.num_cols > NO_PRESOLVE_COLUMNS, runner.memo.start(sub)))
    todo = [i for i, task in enumerate(asked) if task is not None]
    if chain:
        todo.sort(key=lambda i: -_demand(_task(asked[i]).milp))
        # Only the first keeps its earlier plan: the one before, at the same prices,
        # is the better start for the others.
        tasks = [_task(asked[i]) if k == 0 else _task(asked[i])._replace(start=None)
                 for k, i in enumerate(todo)]
        for i, future in zip(todo, runner.submit_chain(tasks), strict=True):
            futures[i] = future
    else:
        for i in todo:
            futures[i] = runner.submit(_task(asked[i]))
    return Pending(m, latency, tie, gap, least, set_aside, parts, futures, asked, began,
                   runner)


def _task(task: PartTask | None) -> PartTask:
    assert task is not None
    return task


def _demand(m: Milp) -> float:
    return sum(m.row_lower[r] for r, tag in enumerate(m.row_tags) if tag[0] == "demand")


def collect(pending: Pending, backend: Backend, clock: WorkClock) -> SolveResult:
    """The handed-over model's solution: its parts' work charged to ``clock`` in order,
    and the whole model solved here when the parts do not answer for it."""
    m = pending.milp
    spent = clock.now()

    def whole() -> SolveResult:
        if pending.runner.expired():
            clock.charge(0.0, True)
            return CUT
        result = backend.solve(m, *_objectives(m, pending.latency, pending.tie),
                               max(clock.left(), pending.least), pending.gap)
        clock.charge(result.work, result.cut)
        return result

    if pending.futures is None:
        return whole()
    if not pending.futures and m.num_cols:  # handed over past the wall-clock guard
        return whole()
    results = [f.result() for f in pending.futures]
    for task, result in zip(pending.asked, results, strict=True):
        if task is not None:  # remembered here, in the order parts were handed over
            pending.runner.memo.add(task.milp, task.primary, task.secondary, task.gap, result)
    x = [0.0] * m.num_cols
    status = "optimal"
    bound = 0.0  # the parts are independent, so their lower bounds add up
    for (cols, _), result in zip(pending.parts, results, strict=True):
        clock.charge(result.work, result.cut)
        if result.x is None:
            # the relaxation has no plan (or none in time): neither has the model
            return whole() if pending.set_aside and not result.cut else result
        for j, v in zip(cols, result.x, strict=True):
            x[j] = v
        if result.status == "time_limit":
            status = "time_limit"
        bound += solver_bound(result)
    for r in pending.set_aside:
        activity = m.activity(r, x)
        if not m.row_lower[r] - 1e-6 <= activity <= m.row_upper[r] + 1e-6 * max(1.0, abs(m.row_upper[r])):
            return whole()
    first, _ = _objectives(m, pending.latency, pending.tie)
    value = value_of(first, x)
    # (not the largest part's gap applied to the whole: that gives away most of the bound)
    return SolveResult(status, x, value, relative_gap(value, bound),  # type: ignore[arg-type]
                       time.perf_counter() - pending.began, clock.now() - spent)


def solve_by_parts(backend: Backend, m: Milp, latency: bool, tie: bool, clock: WorkClock,
                   gap: float, runner: Runner, least: float = PART_LEAST) -> SolveResult:
    """Minimise cost (``latency``: latency), with the other objective as an exact
    tie-break when ``tie``; the result is the whole model's. Each solve is charged to
    ``clock`` (work seconds, deterministic: see budget); every part gets the work left
    when the model is handed over, at least ``least`` (the whole model twice that)."""
    return collect(hand_over(runner, m, latency, tie, max(clock.left(), least), gap,
                             2 * least), backend, clock)
