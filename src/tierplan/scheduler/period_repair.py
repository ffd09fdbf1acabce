"""A merged group's plan over periods without one MILP of the whole group.

A group is merged because its workloads' own plans overbook a capacity or budget they
share. Solving it as one model gets HiGHS nowhere at 50 workloads x 4 periods (no plan
within the effort), so the group is planned as the decomposition plans a merged block:

1. :func:`sequential_start`: the members' own plans, with those that use an overbooked
   row taken out in that row's periods and placed again one at a time, each as a model
   of those columns with the others held (:meth:`.milp.Matrix.restrict`: the capacity
   and budget they leave).
   That model falls apart by period again (:func:`.parts.solve_by_parts`), so each step
   is as cheap as a workload alone. A workload that finds no room is placed first in a
   second try.
2. :func:`improve`: for every shared row the plan fills, its users and a few that could
   use it are re-optimised together, only in that row's period (a few small MILPs),
   while they lower the cost and work is left.

Every decision reads the work clock (see :mod:`.budget`), so the plan is the same on
every run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .budget import WorkClock
from .milp import ROW_TOLERANCE, Matrix, Milp, Part, value_of
from .parts import solve_by_parts, submodel
from .period_pool import Runner
from .solvers import Backend

__all__ = ["LATE_IMPROVE", "NEIGHBOURS", "Frame", "GroupContext", "Owners", "broken_rows", "improve",
           "own_models", "price_of_limits", "priced", "sequential_start"]

TOLERANCE = ROW_TOLERANCE
SHARED = ("capacity", "budget")


@dataclass(frozen=True)
class Owners:
    """Which workload each column of a group's model belongs to (None: a purchase, which
    every user of the offering shares), and which period (None: all, as a training
    option's choice or a purchase)."""

    workload: list[str | None]
    period: list[int | None]
    by_workload: dict[str, list[int]]

    @classmethod
    def of(cls, m: Milp) -> Owners:
        names: list[str | None] = []
        periods: list[int | None] = []
        by: dict[str, list[int]] = {}
        for j, tag in enumerate(m.col_tags):
            kind = tag[0]
            name = None if kind == "b" else str(tag[1])
            names.append(name)
            periods.append(int(str(tag[-1])) if kind in ("n", "y", "z") else None)
            if name is not None:
                by.setdefault(name, []).append(j)
        return cls(names, periods, by)

    def columns(self, name: str) -> list[int]:
        return self.by_workload.get(name, [])


@dataclass(frozen=True)
class Frame:
    """A merged group's model with what its start and improvement look up in it: the
    owners of its columns and its matrix as arrays (read once per group)."""

    milp: Milp
    owners: Owners
    matrix: Matrix

    @classmethod
    def of(cls, m: Milp) -> Frame:
        return cls(m, Owners.of(m), Matrix(m))


@dataclass(frozen=True)
class GroupContext:
    """What a merged group's start, its members' pricing and its improvement share: the
    back-end, the group (``frame``), whether the objective is latency, the plan's work
    clock, the gap each solve aims for, and the runner (the worker processes and the
    wall-clock guard)."""

    backend: Backend
    frame: Frame
    latency: bool
    clock: WorkClock
    gap: float
    runner: Runner


def broken_rows(m: Milp, x: Sequence[float]) -> list[int]:
    """The shared rows (capacity, budgets) that ``x`` breaks."""
    return [r for r, tag in enumerate(m.row_tags)
            if tag[0] in SHARED and m.outside(r, m.activity(r, x))]


def _users(m: Milp, r: int, x: Sequence[float], owners: Owners) -> set[str]:
    index, value = m.row(r)
    return {w for j, a in zip(index, value, strict=True)
            if (w := owners.workload[j]) is not None and a * x[j] > TOLERANCE}


Order = Callable[[Sequence[str]], list[str]]


def own_models(m: Milp, owners: Owners) -> dict[str, Part]:
    """Every workload's own model in the group's: its columns and the rows that hold
    only them (the shared rows left out). None when a column belongs to no workload
    (a purchase: shared, so the group does not fall apart by workload)."""
    if any(w is None for w in owners.workload):
        return {}
    cols: dict[str, list[int]] = {}
    for j, w in enumerate(owners.workload):
        assert w is not None
        cols.setdefault(w, []).append(j)
    rows: dict[str, list[int]] = {w: [] for w in cols}
    for r, tag in enumerate(m.row_tags):
        index = m.row_index[m.row_start[r]:m.row_start[r + 1]]
        if tag[0] in SHARED or not index:
            continue
        w = owners.workload[index[0]]
        assert w is not None and all(owners.workload[j] == w for j in index), tag
        rows[w].append(r)
    return {w: Part(cs, rows[w], submodel(m, cs, rows[w])) for w, cs in cols.items()}


def price_of_limits(m: Milp, duals: Sequence[float]) -> float:
    """What the shared rows' limits are worth at their LP prices (sum of price x limit):
    the constant of the Lagrangian bound."""
    return sum(-duals[r] * m.row_upper[r] for r, tag in enumerate(m.row_tags)
               if tag[0] in SHARED and -duals[r] > PRICE_FLOOR)


def priced(m: Milp, primary: Sequence[float], duals: Sequence[float]) -> list[float]:
    """``primary`` with every shared row's LP price added to the columns in it: the
    cost of a column as the group sees it (a unit of contested capacity costs what it
    is worth to the others)."""
    out = list(primary)
    for r, tag in enumerate(m.row_tags):
        price = -duals[r]  # d objective / d bound <= 0 on a binding upper limit
        if tag[0] in SHARED and price > PRICE_FLOOR:
            index, value = m.row(r)
            for j, a in zip(index, value, strict=True):
                out[j] += price * a
    return out


def sequential_start(ctx: GroupContext, x0: Sequence[float], primary: Sequence[float],
                     order: Order) -> list[float] | None:
    """A plan of the group that breaks no row, from ``x0`` (its members' own plans, which
    may overbook shared rows); None when the workloads placed one at a time leave one
    without room twice. Each step minimises ``primary`` (the model's objective, or that
    objective priced: see :func:`priced`) over the room the others leave."""
    m, owners, matrix = ctx.frame.milp, ctx.frame.owners, ctx.frame.matrix
    backend, latency, clock, gap, runner = ctx.backend, ctx.latency, ctx.clock, ctx.gap, ctx.runner
    broken = broken_rows(m, x0)
    if not broken:
        return list(x0)
    # Only a user's periods with a broken row move (all of them for a row over the
    # horizon): its other periods keep their plan.
    moved: dict[str, set[int | None]] = {}
    for r in broken:
        p = row_period(m.row_tags[r])
        for w in _users(m, r, x0, owners):
            moved.setdefault(w, set()).add(p)
    first = order(sorted(moved))
    cols = {w: [j for j in owners.columns(w) if None in ps or owners.period[j] in (None, *ps)]
            for w, ps in moved.items()}
    for _ in range(START_TRIES):
        if runner.expired():
            return None
        x = list(x0)
        for w in first:
            for j in cols[w]:
                x[j] = 0.0
        failed: list[str] = []
        for w in first:
            # its own plan kept in each period where it still has room
            free = [j for cs in _by_period(cols[w], owners.period)
                    if not _fits(m, x, x0, cs, matrix) for j in cs]
            if not free:
                continue
            if runner.expired():
                return None
            part = matrix.restrict(free, x)
            sub = part.milp
            if latency:
                sub.latency = [primary[j] for j in part.cols]
            else:
                sub.cost = [primary[j] for j in part.cols]
            result = solve_by_parts(backend, sub, latency, False, clock, gap, runner)
            if result.status == "no_solution":  # out of work, not of room: once more
                result = solve_by_parts(backend, sub, latency, False, clock, gap, runner,
                                        RETRY_LEAST)
            if result.x is None:
                failed.append(w)
                continue
            for j, v in zip(part.cols, result.x, strict=True):
                x[j] = v
        if not failed:
            return x
        # Those placed before left a workload no room: place it (them) first.
        first = failed + [w for w in first if w not in failed]
    return None


def row_period(tag: tuple[object, ...]) -> int | None:
    """The period of a shared row (None: a row over the whole horizon)."""
    period = tag[2] if tag[0] == "capacity" or (len(tag) > 2 and tag[2] is not None) else None
    return int(str(period)) if period is not None else None


def _by_period(cols: Sequence[int], period: Sequence[int | None]) -> list[list[int]]:
    """``cols`` by their period, in order of their first column (those of no period,
    a training job's, together)."""
    out: dict[int | None, list[int]] = {}
    for j in cols:
        out.setdefault(period[j], []).append(j)
    return list(out.values())


def _fits(m: Milp, x: list[float], x0: Sequence[float], cols: Sequence[int],
          matrix: Matrix) -> bool:
    """Put ``x0``'s values of ``cols`` into ``x`` when that breaks no row (True);
    otherwise leave ``x`` as it was (False)."""
    for j in cols:
        x[j] = x0[j]
    if all(not m.outside(r, m.activity(r, x)) for r in matrix.rows_of(cols)):
        return True
    for j in cols:
        x[j] = 0.0
    return False


def improve(ctx: GroupContext, x: list[float], primary: Sequence[float], until: float,
            neighbours: int = 0) -> list[float]:
    """``x`` improved one contested row at a time (see the module docstring), while the
    work clock is before ``until``. Each neighbourhood is the row's users and up to
    ``neighbours`` of those that could use it (the dearest first), freed only in the
    row's period (a training job is freed whole: its hours move between periods)."""
    clock, frame = ctx.clock, ctx.frame
    if until - clock.now() <= LEAST:
        return x
    m, owners = frame.milp, frame.owners
    value = value_of(primary, x)
    tried: set[tuple[int | None, frozenset[str]]] = set()
    improved = True
    while improved and clock.now() < until:
        improved = False
        spend: dict[str, float] = {}
        for j, v in enumerate(x):
            w = owners.workload[j]
            if v and w is not None:
                spend[w] = spend.get(w, 0.0) + primary[j] * v
        for r, tag in enumerate(m.row_tags):
            if tag[0] not in SHARED:
                continue
            upper = m.row_upper[r]
            if m.activity(r, x) < upper - TOLERANCE * max(1.0, abs(upper)):
                continue
            p = row_period(tag)
            users = _users(m, r, x, owners)
            index, _ = m.row(r)
            others = sorted({w for j in index if (w := owners.workload[j]) is not None} - users,
                            key=lambda n: (-spend.get(n, 0.0), n))[:neighbours]
            names = frozenset(users | set(others))
            if len(names) < 2 or (p, names) in tried:
                continue
            tried.add((p, names))
            free = sorted(j for w in names for j in owners.columns(w)
                          if p is None or owners.period[j] in (None, p))
            if len(free) > MOST_COLUMNS:
                continue
            left = until - clock.now()
            if left <= LEAST:
                return x
            if ctx.runner.expired():
                clock.charge(0.0, True)  # the plan says the guard cut it short
                return x
            part = frame.matrix.restrict(free, x)
            result = ctx.backend.solve(part.milp, [primary[j] for j in free], None,
                                       min(STEP, left), ctx.gap, [x[j] for j in free])
            clock.charge(result.work, result.cut)
            if result.x is None:
                continue
            y = list(x)
            for j, v in zip(free, result.x, strict=True):
                y[j] = v
            if any(m.outside(q, m.activity(q, y)) for q in part.rows):
                continue
            new = value_of(primary, y)
            if new < value - 1e-9 * max(1.0, abs(value)):
                x, value, improved = y, new, True
                tried.clear()
    return x


# How often a group's start is tried (the second places the workloads that found no
# room first).
START_TRIES = 2
# Work seconds (at least) of a step that found no plan in its first work.
RETRY_LEAST = 5.0
# Prices below this (per unit of the row) are taken as none.
PRICE_FLOOR = 1e-9
# Workloads that could use a contested row freed beside its users, the dearest first,
# while a plan is within its work; past it only the users (smaller neighbourhoods: at
# 100 workloads x 13 periods 4.4k better in 6 work seconds, against 0.2k with 2).
NEIGHBOURS = 2
# Work seconds a merged group's plan is improved for at least, also past the plan's
# work (its start alone leaves it several per cent above its bound).
LATE_IMPROVE = 6.0
# Work seconds per neighbourhood, and below which none is solved.
STEP = 1.0
LEAST = 0.05
# Neighbourhoods larger than this are skipped (HiGHS would spend the step on its root).
MOST_COLUMNS = 20_000
