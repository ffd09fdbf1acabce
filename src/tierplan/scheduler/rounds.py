"""The planner's first round and merge rounds (see :mod:`.planner`): the blocks that the
workloads' first answers merge, their models joined from the members' own, and the
merged blocks' LP relaxations, whose plans may merge more blocks before any is started;
and, after the last round, the time it kept in reserve (:func:`spend_leftover`)."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from ..model import Objective
from . import gaps
from .alone import Request
from .blocks import Block, Blocks
from .budget import SOLVE_CAP, WorkClock
from .formulation import Formulation, extend, join, objectives
from .milp import Milp, rounded, value_of
from .neighbourhoods import SEARCH_FROM
from .pool import Pool
from .pricing import integral, shadow_prices
from .solvers import Backend, SolveResult, Status, Task

__all__ = ["first_round", "join_block", "relax_merged", "spend_leftover"]


def first_round(pool: Pool, blocks: Blocks, guesses: Sequence[SolveResult],
                relaxed: Collection[int], objective: Objective, deadline: float,
                ) -> tuple[dict[int, SolveResult], dict[frozenset[int], Formulation], float]:
    """Solve each workload alone, except those its LP relaxation says will be merged;
    merge those.

    ``guesses`` are each workload's first answers: its own solve, or for those in
    ``relaxed`` (inference workloads with a shared row, with HiGHS) its LP relaxation
    (:meth:`.pool.Pool.relax`). Where the answers break a shared row together, the
    workloads that use it are merged at once, as the first round would merge them, and
    their own MILPs are not solved: a merged block prices and solves its members again
    (see pricing.price_members), so those solves would be spent on bounds and solutions the
    block then finds again. The relaxations use the rows the MILPs use:
    on the 1,000-workload benchmark 536 of the 537 workloads the first round merges
    were found so, with 9 more, and their solo MILPs were 80 % of the round's solver
    time. The others are solved alone, unless their relaxation is integral: it is their
    optimum then (when no exact tie-break follows; about half of the benchmark's
    workloads, a sixth of their solver time). A workload whose optimum then breaks a row
    together with the rest (the one of the 537) joins too, so no further round comes of
    it. Merging more than needed only makes a block larger: the blocks' plans are
    still checked against every shared row afterwards.

    While the workers solve those alone, this thread joins the models of the blocks the
    relaxations merge (:func:`.formulation.join`; 0.35 s at 1,000 workloads, the wait
    0.5 s): the same blocks, unless a solo optimum adds to one.

    Returns the results of the workloads solved alone (whether merged or not), the
    joined models by their members, and the CPU seconds of joining them."""
    heads = list(blocks.blocks)
    exact = {i: guesses[i] for i in heads if i not in relaxed}
    for i in heads:
        blocks.blocks[i].result = guesses[i]
    groups = blocks.violated()
    ahead = {i for users in groups for i in users}
    for i in heads:
        if i not in exact and i not in ahead and not pool.exact_ties(objective):
            x = guesses[i].x
            form = blocks.blocks[i].form
            if x is not None and form is not None and integral(form.milp, x):
                exact[i] = _rounded(form.milp, guesses[i])
    # Each starts from the rounding of its relaxation's plan (see alone.solve_alone).
    futures = {i: pool.submit(form, objective, deadline, Request(hint=guesses[i].x)) for i in heads
               if i not in exact and i not in ahead and (form := blocks.blocks[i].form) is not None}
    began = time.thread_time()
    joined = _joined(blocks, groups)
    written = time.thread_time() - began
    solved = exact | {i: pool.result(f) for i, f in futures.items()}
    if groups:
        for i in futures:
            blocks.blocks[i].result = solved[i]
        groups += blocks.violated()
    for i in heads:
        blocks.blocks[i].result = None
    for users in groups:
        blocks.merge(users)
    return solved, joined, written


def join_block(block: Block, own: Mapping[int, Formulation],
               prejoined: dict[frozenset[int], Formulation]) -> Formulation:
    """A merged block's model from its members' own ones (``own``), or from one joined
    in the first round (``prejoined``, see first_round) for some of them, extended
    with the rest (see formulation.extend): at 1,000 workloads one workload's solo
    optimum adds it to the 545 that the relaxations merged."""
    members = set(block.members)
    base = next((key for key in prejoined if key <= members), None)
    if base is None:
        return join([own[i] for i in block.members])
    return extend(prejoined.pop(base), [own[i] for i in block.members if i not in base])


def _joined(blocks: Blocks, groups: Sequence[Sequence[int]]) -> dict[frozenset[int], Formulation]:
    """The models of the blocks that merging ``groups`` of single-workload blocks makes
    (groups that share a member make one block), joined from theirs."""
    merged: list[set[int]] = []
    for users in groups:
        members = set(users)
        for other in [m for m in merged if m & members]:
            merged.remove(other)
            members |= other
        merged.append(members)
    forms = {i: blocks.blocks[i].form for members in merged for i in members}
    return {frozenset(members): join([f for i in sorted(members) if (f := forms[i]) is not None])
            for members in merged if all(forms[i] is not None for i in members)}


def relax_merged(backend: Backend, blocks: Blocks, objective: Objective,
                 clock: WorkClock) -> list[list[int]]:
    """Solve the LP relaxation of every merged block still to be solved (its prices for
    the start, see pricing.shadow_prices; each charged to ``clock`` by its work) and
    return the members to join where those LPs break a shared row together with the
    other blocks' plans.

    As in the first round (see first_round), such blocks are joined before their
    starts and MILPs are spent on plans that would break the row: a block's plan moves
    the workloads it cannot fit on a contested row to their next best rows, and those
    may be full with another block's. The rows found so count as broken ones for the
    start (see ``keep`` in _plan), with those that caused the merge."""
    fresh = [b for b in blocks.unsolved() if len(b.members) > 1]
    for block in fresh:
        if block.prices is None:
            block.prices, block.lp = shadow_prices(backend, block, objective, clock)
        if block.lp is not None:
            block.result = SolveResult("optimal", block.lp, None, 0.0, 0.0)
    before = blocks.broken
    joined = blocks.violated() if fresh else []
    blocks.broken = before | blocks.broken
    for block in fresh:
        block.result = None
    return joined


def _rounded(milp: Milp, relaxed: SolveResult) -> SolveResult:
    """An integral LP optimum as the MILP's: integer columns rounded (it is optimal for
    the MILP, whose optimum the LP's bounds)."""
    assert relaxed.x is not None
    x = rounded(milp.col_integer, relaxed.x)
    return SolveResult("optimal", x, relaxed.objective, 0.0, 0.0)  # timed as the LP


def spend_leftover(blocks: Blocks, objective: Objective, deadline: float, pool: Pool) -> None:
    """Give the time kept in reserve for further merges, when none came, to the largest
    block that stopped at its time limit: its neighbourhood search when it is that
    large (SEARCH_FROM), else more time for its MILP, from its plan.

    A block's MILP counts only its own share of the rows it shares with other blocks,
    so a better plan for it may break one of them together with another block: the
    better plan is kept only when nothing breaks (else the block keeps its own). A
    better bound from the MILP holds either way: it bounds the block's own model."""
    left = pool.clock.left(deadline)
    limited = [b for b in blocks.blocks.values() if b.form is not None and b.result is not None
               and b.result.x is not None and b.result.status == "time_limit"
               and len(b.members) > 1]
    if left < SOLVE_CAP or not limited or pool.guard_passed():
        return  # (past the wall-clock guard its solves would each be cut at once)
    block = max(limited, key=lambda b: b.form.milp.num_cols if b.form else 0)
    assert block.form is not None and block.result is not None and block.result.x is not None
    before, plan_x = block.result, block.result.x
    primary, _ = objectives(block.form, objective)
    old = value_of(primary, plan_x)
    bound = gaps.solver_bound(before)
    status: Status = "time_limit"
    if block.form.milp.num_cols >= SEARCH_FROM:
        x = pool.search(block.form.milp, primary, plan_x, pool.clock.now() + left)
    else:
        again = pool.run([Task(pool.solver, block.form.milp, primary, None, left,
                               pool.options.gap, plan_x)])[0]
        x = again.x if again.x is not None else plan_x
        bound = max(bound, gaps.solver_bound(again))
        status = again.status if again.x is not None else status
    value = value_of(primary, x)
    if value >= old:
        x, value, status = plan_x, old, "time_limit"
    block.result = _bounded(status, x, value, bound, before)
    if x is not plan_x and blocks.violated():
        block.result = _bounded("time_limit", plan_x, old, bound, before)
    blocks.broken = set()


def _bounded(status: Status, x: list[float], value: float, bound: float,
             before: SolveResult) -> SolveResult:
    """A block's result with its gap from ``bound`` (a lower bound of its objective)."""
    return replace(before, status=status, x=x, objective=value,
                   gap=gaps.relative_gap(value, bound))

