"""A merged group's plan over periods improved where it differs from the group's LP
relaxation (RINS, relaxation induced neighbourhood search, one period at a time).

In each period, the workloads whose instances differ there from the LP's optimum are
freed in that period: their instances that differ, and all their traffic; every other
column (their instances that agree with the LP, the other workloads, the other periods,
the training jobs' choices) is held (:meth:`.milp.Matrix.restrict`). Where plan and LP agree
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
from dataclasses import dataclass

from .budget import WorkClock
from .gaps import relative_gap
from .milp import Milp, Part, value_of
from .period_pool import PartTask, Runner
from .period_repair import Frame
from .solvers import SolveResult

__all__ = ["MOST_WORK", "ROUNDS", "SHRINK", "STEP", "Search", "rins_periods", "worth_another"]


@dataclass(frozen=True)
class Search:
    """What the search works on: the group (``frame``), its LP optimum (``relaxed``),
    the objective it lowers (``primary``), and its aim: a plan within ``gap`` of
    ``bound``."""

    frame: Frame
    relaxed: Sequence[float]
    primary: Sequence[float]
    gap: float
    bound: float


def rins_periods(search: Search, x: list[float], clock: WorkClock, runner: Runner,
                 ) -> list[float]:
    """``x`` improved by rounds of RINS by period (see the module docstring) until a
    round gains nothing, :data:`ROUNDS` rounds, or the plan is within the search's gap
    of its bound."""
    frame, relaxed, primary, gap = search.frame, search.relaxed, search.primary, search.gap
    m, owners = frame.milp, frame.owners
    by_period: dict[int, list[int]] = {}
    for j, p in enumerate(owners.period):
        if p is not None and owners.workload[j] is not None:
            by_period.setdefault(p, []).append(j)
    # Another period's answer can break only the rows that span periods; a period's
    # own rows hold its answer (the others' columns in them are held where they were).
    spanning = _spanning(m, owners.period)
    value = value_of(primary, x)
    began = clock.now()
    gains: list[float] = []
    for _ in range(ROUNDS):
        if relative_gap(value, search.bound) <= gap:
            break
        if not worth_another(gains):
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
            part = frame.matrix.restrict(free, x)
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
        gains.append(before - value)
    return x


def worth_another(gains: Sequence[float]) -> bool:
    """Whether the search goes on after rounds that gained ``gains``: not once the last
    gained less than :data:`SHRINK` of the one before (the next would gain less still)."""
    return len(gains) < 2 or gains[-1] >= SHRINK * gains[-2]


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


# Rounds at most (each gains less than the one before), and the work all rounds may
# take at most, counting each part handed over at its full STEP.
ROUNDS = 3
MOST_WORK = 80.0
# A round follows two others only when the last gained at least this share of what the
# one before it gained (at 100 workloads x 4 and 13 periods the second gains 1/7-1/10 of
# the first and the third 0-0.2k of the ~6k left to the bound, for ~1.5 CPU s).
SHRINK = 0.25
# Work seconds per period's neighbourhood: HiGHS needs about this to pass its root on
# one of a few thousand columns (with much less, most find nothing).
STEP = 2.0
# How close an integer's value must be to the LP's to count as agreeing.
AGREE = 1e-6
# A smaller gain (relative to the objective) is taken as none.
GAIN = 1e-9
