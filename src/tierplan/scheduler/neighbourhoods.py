"""Better plans for a merged block by re-optimising a few workloads at a time.

A block of hundreds of workloads is too large for HiGHS to improve in seconds, but the
same block with all but a few workloads held at their current plan is a MILP of those
few (:meth:`.milp.Matrix.restrict`), which it solves well. Two uses:

- :func:`repair`: a merged block's start kept some workloads' earlier solutions and
  placed the others again, one by one; the others are re-optimised together.
- :func:`fill`: a start priced by the block's LP leaves some priced rows with room;
  the workloads the LP put on them are re-optimised one at a time to use it.
- :func:`search`: for every shared row the plan fills, the workloads on it and a few
  that could use it are re-optimised together (a large-neighbourhood search).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from .blocks import TOLERANCE, Key, contested, coupling_key
from .budget import LEAST, SOLVE_CAP
from .milp import Matrix, Milp, Part, value_of
from .solvers import Solver, SolveResult, Task, solve_task

Run = Callable[[Sequence[Task]], list[SolveResult]]

__all__ = ["FILL_TRIES", "SEARCH_FROM", "Model", "apply", "fill", "freed", "repair", "search"]


@dataclass(frozen=True)
class Model:
    """A merged block's model to improve: who solves it, its MILP, the primary
    objective and the relative gap each neighbourhood is solved to."""

    solver: Solver | str
    milp: Milp
    primary: Sequence[float]
    gap: float

    @cached_property
    def matrix(self) -> Matrix:
        """The model's matrix as arrays (:class:`.milp.Matrix`): read once per model,
        however many neighbourhoods are cut from it (a tenth of a second at 100k
        columns)."""
        return Matrix(self.milp)


def repair(model: Model, start: list[float], free: Sequence[int], seconds: float,
           run: Run | None = None) -> list[float]:
    """A better plan for a block: its MILP over the ``free`` columns with the others
    held at ``start`` (a model of the free workloads' size, see milp.Matrix.restrict), from
    ``start``. A merged block's start kept some workloads' earlier solutions; only the
    ones placed again are free, which HiGHS solves well in the time a large block would
    spend on its root."""
    part, task = freed(model, start, free, seconds)
    result = run([task])[0] if run is not None else solve_task(task)
    return apply(model.milp, start, part, result) or start


def freed(model: Model, x: Sequence[float], free: Sequence[int], seconds: float,
          ) -> tuple[Part, Task]:
    """The MILP over the ``free`` columns with the rest held at ``x``, as a task."""
    part = model.matrix.restrict(free, x)
    return part, Task(model.solver, part.milp, [model.primary[j] for j in free], None, seconds,
                      model.gap, [x[j] for j in free])


def apply(milp: Milp, x: Sequence[float], part: Part, result: SolveResult) -> list[float] | None:
    """``x`` with the part's columns set to its solution, or None when it has none or,
    ``x`` having changed since the part was cut out, the result breaks one of its rows."""
    if result.x is None:
        return None
    y = list(x)
    for j, v in zip(part.cols, result.x, strict=True):
        y[j] = v
    for r in part.rows:
        activity = milp.activity(r, y)
        lower, upper = milp.row_lower[r], milp.row_upper[r]
        if activity < lower - 1e-6 * max(1.0, abs(lower)) or \
                activity > upper + 1e-6 * max(1.0, abs(upper)):
            return None
    return y


def fill(model: Model, x: list[float], prices: Mapping[Key, float], lp: Sequence[float],
         work: float, run: Run, width: int) -> list[float]:
    """A start priced by the block's LP (blocks.sequential_start) with the room it
    leaves on priced rows used.

    The LP prices a shared row because its capacity or budget is worth more than it
    costs, yet each step of the start pays that price, so the start often leaves part of
    such a row unused (at the prices, the Lagrangian bound counts that room as value
    given away). For each such row, by the price of its room, the FILL_TRIES workloads
    that the LP's solution puts on it most beyond the plan are re-optimised one at a
    time at their true costs, everything else held (:func:`freed`); ``width`` of them
    side by side (``run``), sharing ``work`` (each between LEAST and SOLVE_CAP), and
    each answer taken when it improves the plan and fits with those taken before it."""
    milp, primary = model.milp, model.primary
    owner = [str(tag[1]) for tag in milp.col_tags]
    cols: dict[str, list[int]] = {}
    for j, name in enumerate(owner):
        cols.setdefault(name, []).append(j)
    rooms: list[tuple[float, int]] = []
    for r, tag in enumerate(milp.row_tags):
        key = coupling_key(tag)
        if key is not None and key in prices:
            room = milp.row_upper[r] - milp.activity(r, x)
            if room > TOLERANCE * max(1.0, abs(milp.row_upper[r])):
                rooms.append((-prices[key] * room, r))
    tries: list[str] = []
    for _, r in sorted(rooms):
        index, value = milp.row(r)
        short: dict[str, float] = {}
        for j, a in zip(index, value, strict=True):
            short[owner[j]] = short.get(owner[j], 0.0) + a * (lp[j] - x[j])
        tries += [n for n in sorted(short, key=lambda n: (-short[n], n))
                  if short[n] > TOLERANCE and n not in tries][:FILL_TRIES]
    if not tries:
        return x
    seconds = max(LEAST, min(SOLVE_CAP, work / len(tries)))
    for at in range(0, len(tries), width):
        cuts = [freed(model, x, cols[name], seconds) for name in tries[at:at + width]]
        for (part, _), result in zip(cuts, run([task for _, task in cuts]), strict=True):
            y = apply(milp, x, part, result)
            if y is not None and _saves(primary, x, y, part.cols):
                x = y
    return x


def _saves(primary: Sequence[float], x: Sequence[float], y: Sequence[float],
           cols: Sequence[int]) -> bool:
    """``y``, which differs from ``x`` only in ``cols``, is worth less."""
    before = sum(primary[j] * x[j] for j in cols)
    after = sum(primary[j] * y[j] for j in cols)
    return after < before - 1e-9 * max(1.0, abs(before))


FILL_TRIES = 4  # workloads re-optimised per priced row with room left (see fill)


# Merged blocks of this many columns get a neighbourhood search instead of one MILP
# (see block_solve.solve_blocks): HiGHS does not finish their root (which no work limit stops)
# in their share. The 100-workload benchmark's 8,081-column block: its MILP left the
# plan at gap 2.4-2.9 %, the search at 0.8 % with less work.
SEARCH_FROM = 3_000
SEARCH_MEMBERS = 40  # largest neighbourhood (workloads freed at once)
SEARCH_OTHERS = 2  # workloads not on the row freed with its users (the dearest)
SEARCH_STEP = SOLVE_CAP  # work seconds per neighbourhood
SEARCH_LEAST = LEAST  # work seconds below which no neighbourhood is solved


def search(model: Model, x: list[float], until: float, run: Run, width: int,
           now: Callable[[], float], stop: Callable[[], bool] = lambda: False,
           ) -> list[float]:
    """Improve a large block's plan one contested row at a time.

    For every shared row that the plan fills to its limit, the workloads on it and the
    SEARCH_OTHERS dearest of those that could use it (up to SEARCH_MEMBERS) are freed and
    the rest held (:func:`freed`): a small MILP that can move the row's capacity or
    budget to the workloads that gain most from it. ``width`` of them are solved at once
    by ``run`` (the workers, which charges their work to the clock that ``now`` reads);
    each answer is taken when it improves the plan and still fits with the ones taken
    before it. Passes repeat while the work clock is before ``until``; after a pass
    that improves nothing the next frees twice as many of those who could use each
    row, until that passes SEARCH_MEMBERS (at 500 and 1,000 benchmark workloads the
    search used to stop there with 6-12 s of a 60 s limit left: gaps 0.71 -> 0.64 % and
    0.56 -> 0.52 %). ``stop()`` true (the wall-clock guard has passed) ends it before
    the next neighbourhoods: their solves would each be cut at once."""
    if until - now() <= SEARCH_LEAST:  # no time for a neighbourhood: skip the setup
        return x  # (0.1 s at 99k columns, mostly the model's Matrix)
    milp, primary = model.milp, model.primary
    value = value_of(primary, x)
    owner = [str(tag[1]) for tag in milp.col_tags]
    improved = True
    widest = SEARCH_OTHERS
    while now() < until:
        if not improved:  # nothing moved at this width: free more of those who could
            widest *= 2
            if widest > SEARCH_MEMBERS:
                break
        improved = False
        spend: dict[str, float] = {}
        for j, v in enumerate(x):
            if v:
                spend[owner[j]] = spend.get(owner[j], 0.0) + primary[j] * v
        chosen: list[set[str]] = []
        for _, users, others in sorted(contested(milp, x), key=lambda r: r[0]):
            room = min(SEARCH_MEMBERS - len(users), widest)
            if room > 0 and len(users) + min(room, len(others)) >= 2:
                chosen.append(users | set(sorted(others,
                                                 key=lambda n: (-spend.get(n, 0.0), n))[:room]))
        for at in range(0, len(chosen), width):
            left = until - now()
            if left <= SEARCH_LEAST or stop():
                return x
            cuts = [freed(model, x, [j for j, name in enumerate(owner) if name in names],
                          min(SEARCH_STEP, left))
                    for names in chosen[at:at + width]]
            for (part, _), result in zip(cuts, run([task for _, task in cuts]), strict=True):
                y = apply(milp, x, part, result)
                new = math.inf if y is None else value_of(primary, y)
                if y is not None and new < value - 1e-9 * max(1.0, abs(value)):
                    x, value, improved = y, new, True
    return x
