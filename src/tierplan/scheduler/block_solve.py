"""The merged blocks' phase of a merge round: each block's start, the room it leaves
filled, a large block's neighbourhood search, and the MILPs from those starts, with the
work left shared between them (:func:`solve_blocks`). Where the solves run is the
pool's business (:mod:`.pool`); what each gets is decided here."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..model import Objective
from .blocks import Block
from .budget import LEAST, SEARCH_WIDTH
from .formulation import objectives
from .gaps import block_gap, relative_gap, solver_bound
from .milp import value_of
from .neighbourhoods import SEARCH_FROM, fill, repair
from .pool import Pool
from .solvers import SolveResult, Task

__all__ = ["MILP_SHARE", "RESERVE_STARTS", "no_worse", "solve_blocks"]

# The reserve kept when merged blocks are solved, in multiples of what their starts took
# (see solve_blocks): at 250 workloads and a 10 s limit, two blocks took 3.2 s for their
# starts, broke a row together, and the merged block's start took 2.6 s more.
RESERVE_STARTS = 1.2

# What the merged blocks' MILPs get at least of the work left after their starts, even
# when RESERVE_STARTS would keep more: a MILP starved by a slow start keeps its start and
# misses the plan that would have forced a further merge (measured in
# docs/planner-design.md).
MILP_SHARE = 1 / 3


def solve_blocks(pool: Pool, blocks: list[Block], objective: Objective, deadline: float,
                 start: Callable[[Block], tuple[list[float] | None, list[int]]],
                 slack: float = 0.0) -> list[SolveResult]:
    """Solve the blocks; ``start(block)`` gives merged blocks a feasible MIP start.

    Single workloads get the time left each (they mostly take milliseconds). Merged
    blocks first get their starts, then share what is left in proportion to their
    size, less a reserve in case they break a shared row together and must be merged
    and solved again: half the time left, or RESERVE_STARTS times what their starts
    took if that is more, as the merged block's start redoes their starts' work, but
    never more than 1 - MILP_SHARE of it.
    They share ``slack`` (see gaps.slack) the same way: a merged block may stop
    once its own absolute gap is within its share.
    """
    clock = pool.clock
    singles = {i: pool.submit(b.form, objective, deadline)
               for i, b in enumerate(blocks) if len(b.members) == 1 and b.form is not None}
    merged = [(i, b) for i, b in enumerate(blocks) if i not in singles]
    t0 = clock.now()
    initial = {i: start(b) for i, b in merged}
    pool.settle()  # a start's priced members (see hand_over), were it not done
    starts = clock.now() - t0
    size = sum(b.form.milp.num_cols for _, b in merged if b.form is not None) or 1
    left_now = clock.left(deadline)
    share = max(min(left_now / 2, left_now - RESERVE_STARTS * starts),
                MILP_SHARE * left_now, LEAST)
    tasks: list[tuple[int, Task]] = []
    begun: dict[int, tuple[list[float], list[float]]] = {}  # start and primary, by block
    skipped: dict[int, SolveResult] = {}  # MILPs not run (see no_worse)
    for i, block in merged:
        assert block.form is not None
        primary, secondary = objectives(block.form, objective)
        part = block.form.milp.num_cols / size
        left = max(share * part, LEAST)
        x0, held = initial[i]
        if x0 is not None and held:
            free = sorted(set(range(block.form.milp.num_cols)) - set(held))
            x0 = repair(pool.model(block.form.milp, primary), x0, free, left / 2,
                        pool.run)
            left /= 2
        if (x0 is not None and block.prices and block.lp is not None
                and not pool.exact_ties(objective)):
            # The room the priced start left on priced rows (half the block's share);
            # fill minds the primary objective alone, so not where ties are exact.
            before = clock.now()
            x0 = fill(pool.model(block.form.milp, primary), x0, block.prices, block.lp,
                      left / 2, pool.run, SEARCH_WIDTH)
            left = max(left - (clock.now() - before), LEAST)
        searched = x0 is not None and block.form.milp.num_cols >= SEARCH_FROM
        if searched:
            assert x0 is not None
            x0 = pool.search(block.form.milp, primary, x0, clock.now() + left)
        gap = block_gap(pool.options.gap, slack * part, primary, x0)
        if x0 is not None:
            begun[i] = (x0, primary)
            if searched:
                # A large block's MILP would not finish its root (which no work
                # limit stops) in its share: the searched start stands.
                skipped[i] = SolveResult("no_solution", None, None, math.inf, 0.0)
                continue
        tasks.append((i, Task(pool.solver, block.form.milp, primary,
                              secondary if pool.exact_ties(objective) else None, left, gap,
                              x0)))
    results = {i: pool.result(o) for i, o in singles.items()} | skipped
    solved = pool.solve_side_by_side([task for _, task in tasks])
    results.update(zip([i for i, _ in tasks], solved, strict=True))
    for i, (x0, primary) in begun.items():
        results[i] = no_worse(results[i], x0, primary)
    return [results[i] for i in range(len(blocks))]


def no_worse(result: SolveResult, start: list[float], primary: Sequence[float]) -> SolveResult:
    """A merged block's MILP result, or its start when the MILP found nothing better.

    HiGHS drops a start that breaks a row by more than its own tolerance (1e-7; the
    start is checked to 1e-6, and its steps' integers are HiGHS's values, not rounded).
    A large block has little time left for its MILP, and without the start HiGHS may
    end with a worse plan, or none (the run would then have no plan at all). The
    solver's bound still holds for the start."""
    value = value_of(primary, start)
    if (result.x is not None and result.objective is not None
            and result.objective <= value + 1e-9 * max(1.0, abs(value))):
        return result
    bound = solver_bound(result) if result.x is not None else -math.inf
    return SolveResult("time_limit", list(start), value, relative_gap(value, bound),
                       result.seconds, result.work, result.cut)
