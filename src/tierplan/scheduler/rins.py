"""A merged group's plan over periods improved where it differs from the group's LP
relaxation (RINS, relaxation induced neighbourhood search, one period at a time).

In each period, the workloads whose instances differ there from the LP's optimum are
freed in that period: their instances that differ, and all their traffic; every other
column (their instances that agree with the LP, the other workloads, the other periods,
the training jobs' choices) is held (:func:`.milp.restrict`). Where plan and LP agree
the LP is usually right, so the neighbourhood is small enough to solve in a couple of
work seconds and large enough to move contested owned capacity between many workloads
at once, which the neighbourhoods of one contested row (:func:`.period_repair.improve`)
do only a few workloads at a time.

The periods' neighbourhoods share only the rows that span periods (horizon budgets, a
workload's budget, training hours): a round solves them side by side from the same plan
(in the workers) and takes each answer, in period order, that lowers the objective and
still meets every row. Each part's work is fixed when it is handed over and charged in
period order, so the plan does not depend on the number of workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from .budget import WorkClock
from .gaps import relative_gap
from .milp import Milp, Part, value_of
from .period_pool import PartTask, Runner
from .period_repair import Frame
from .solvers import SolveResult

__all__ = ["MOST_WORK", "ROUNDS", "STEP", "rins_periods"]


def rins_periods(frame: Frame, x: list[float], relaxed: Sequence[float],
                 primary: Sequence[float], clock: WorkClock, runner: Runner, gap: float,
                 bound: float) -> list[float]:
    """``x`` improved by rounds of RINS by period (see the module docstring) until a
    round gains nothing, :data:`ROUNDS` rounds, or the plan is within ``gap`` of
    ``bound``. ``relaxed``: the group's LP optimum."""
    m, owners = frame.milp, frame.owners
    by_period: dict[int, list[int]] = {}
    for j, p in enumerate(owners.period):
        if p is not None and owners.workload[j] is not None:
            by_period.setdefault(p, []).append(j)
    matrix = _Matrix(m)
    # Another period's answer can break only the rows that span periods; a period's
    # own rows hold its answer (the others' columns in them are held where they were).
    spanning = _spanning(m, owners.period)
    value = value_of(primary, x)
    began = clock.now()
    for _ in range(ROUNDS):
        if relative_gap(value, bound) <= gap:
            break
        handed: list[tuple[Part, Future[SolveResult]]] = []
        for p in sorted(by_period):
            if runner.expired():
                clock.charge(0.0, True)  # the plan says the guard cut it short
                return x
            if clock.now() - began + (len(handed) + 1) * STEP > MOST_WORK:
                break  # (many periods: the first ones only)
            free = _free(m.col_integer, owners.workload, by_period[p], x, relaxed)
            if not free:
                continue
            part = matrix.restrict(free, x, frame.rows_of)
            task = PartTask(runner.solver, part.milp, [primary[j] for j in free], None, STEP,
                            gap, True, [x[j] for j in free])
            handed.append((part, runner.submit(task)))
        before = value
        for part, future in handed:
            result = future.result()
            clock.charge(result.work, result.cut)
            if result.x is None:
                continue
            old = [x[j] for j in part.cols]
            for j, v in zip(part.cols, result.x, strict=True):
                x[j] = v
            new = value + sum(primary[j] * (x[j] - o) for j, o in zip(part.cols, old, strict=True))
            if new < value - GAIN * max(1.0, abs(value)) and not any(
                    m.outside(r, m.activity(r, x)) for r in part.rows if r in spanning):
                value = new
            else:  # no better, or another period's answer of this round took the room
                for j, o in zip(part.cols, old, strict=True):
                    x[j] = o
        if value >= before:
            break
    return x


def _free(integer: Sequence[bool], workload: Sequence[str | None], cols: Sequence[int],
          x: Sequence[float], relaxed: Sequence[float]) -> list[int]:
    """Of one period's ``cols``: the workloads with an integer column whose value in
    ``x`` is not the LP's; their continuous columns and their integers that differ."""
    differ = {j for j in cols if integer[j] and abs(x[j] - relaxed[j]) > AGREE}
    names = {workload[j] for j in differ}
    return [j for j in cols if workload[j] in names and (j in differ or not integer[j])]


def _spanning(m: Milp, period: Sequence[int | None]) -> set[int]:
    """The rows whose columns belong to more than one period (a column of no period, a
    training job's choice, counts as its own)."""
    out = set()
    for r in range(m.num_rows):
        index = m.row_index[m.row_start[r]:m.row_start[r + 1]]
        if index and (period[index[0]] is None or
                      any(period[j] != period[index[0]] for j in index)):
            out.add(r)
    return out


class _Matrix:
    """The group's rows as arrays, to hold many columns at once (:meth:`restrict`)."""

    def __init__(self, m: Milp) -> None:
        self.m = m
        self.start = np.asarray(m.row_start, dtype=np.int64)
        self.index = np.asarray(m.row_index, dtype=np.int64)
        self.value = np.asarray(m.row_value, dtype=np.float64)

    def restrict(self, free: Sequence[int], x: Sequence[float],
                 rows_of: Sequence[Sequence[int]]) -> Part:
        """:func:`.milp.restrict` (the same model), its held terms summed by numpy."""
        m = self.m
        local = np.full(m.num_cols, -1, dtype=np.int64)
        local[np.asarray(free, dtype=np.int64)] = np.arange(len(free))
        rows = sorted({r for j in free for r in rows_of[j]})
        sub = Milp([m.col_lower[j] for j in free], [m.col_upper[j] for j in free],
                   [m.col_integer[j] for j in free], [m.cost[j] for j in free],
                   [m.latency[j] for j in free], [m.penalty[j] for j in free],
                   [m.col_tags[j] for j in free])
        if not rows:
            return Part(list(free), rows, sub)
        r = np.asarray(rows, dtype=np.int64)
        first, last = self.start[r], self.start[r + 1]
        length = last - first
        at = np.repeat(first - np.cumsum(length) + length, length) + np.arange(length.sum())
        cols, vals = self.index[at], self.value[at]
        mine = local[cols]
        kept = mine >= 0
        xs = np.asarray(x, dtype=np.float64)[cols]
        held = np.zeros(len(rows))
        np.add.at(held, np.repeat(np.arange(len(rows)), length)[~kept],
                  (vals * xs)[~kept])
        owner = np.repeat(np.arange(len(rows)), length)[kept]
        counts = np.bincount(owner, minlength=len(rows))
        sub.row_index = mine[kept].tolist()
        sub.row_value = vals[kept].tolist()
        sub.row_start = [0, *np.cumsum(counts).tolist()]
        sub.row_lower = [m.row_lower[q] - h for q, h in zip(rows, held.tolist(), strict=True)]
        sub.row_upper = [m.row_upper[q] - h for q, h in zip(rows, held.tolist(), strict=True)]
        sub.row_tags = [m.row_tags[q] for q in rows]
        return Part(list(free), rows, sub)


# Rounds at most (each gains less than the one before), and the work all rounds may
# take at most, counting each part handed over at its full STEP.
ROUNDS = 3
MOST_WORK = 80.0
# Work seconds per period's neighbourhood: HiGHS needs about this to pass its root on
# one of a few thousand columns (with much less, most find nothing).
STEP = 2.0
# How close an integer's value must be to the LP's to count as agreeing.
AGREE = 1e-6
# A smaller gain (relative to the objective) is taken as none.
GAIN = 1e-9
