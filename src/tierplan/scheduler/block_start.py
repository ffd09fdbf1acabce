"""A merged block's feasible start (see :func:`.blocks.sequential_start`), as the
decomposition (:class:`.decomposition.PlanRun`) asks for it before the block's MILP:
its members priced by the block's LP, placed one after another (tried again with a
workload that found no room placed first), and under latency, when those tries fail,
a start from a reservation (see :mod:`.latency_start`).

Without one a merged block may end the run with no plan at all, so the start is
finished even past the deadline: its steps are single-workload models capped at a work
second each, and past the deadline at STEP_LATE_SECONDS (see :func:`.alone.alone_limits`).
With worker processes the steps go to them in batches."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

from ..model import Objective
from .alone import RELAX, STEP_LATE_SECONDS, Request
from .blocks import (
    Block,
    Blocks,
    Key,
    StartPlan,
    Step,
    World,
    placing_order,
    sequential_start,
)
from .budget import SOLVE_CAP, START_BATCH
from .candidates import by_kind
from .formulation import Formulation, build
from .latency_start import (
    CHOICE_LATE,
    CHOICE_SECONDS,
    RESERVE_PRICED,
    RESERVE_SCALE,
    choose_plans,
    overspent,
    reserved_start,
    scaled_plans,
)
from .latency_start import Plan as MemberPlan
from .milp import Milp
from .polishing import Ahead, polish_early
from .pool import Pool
from .pricing import Pricing, begin_pricing
from .solvers import Backend, SolveResult, Task

__all__ = ["START_TRIES", "StartContext", "block_start"]

Solution = dict[tuple[object, ...], float]  # a workload's values by column tag


@dataclass(frozen=True)
class StartContext:
    """What a merged block's start reads of the run that plans it: the run's own
    mappings (shared, not copied), the work clock's deadline for the merged blocks
    (``solve_by``, see budget.polish_work) and the plan's gap."""

    world: World
    blocks: Blocks
    objective: Objective
    pool: Pool
    backend: Backend
    own: Mapping[int, Formulation]  # the workloads' own models, first round
    alone: Mapping[int, float]  # each workload's bound alone
    estimated: Set[int]  # bounds in ``alone`` that are only LP optima
    known: Mapping[int, Solution]  # each workload's latest solution
    kept: Mapping[int, set[Key]]  # the shared rows those use (see blocks.split)
    ahead: Ahead | None  # polishing begun early (see polishing.polish_ahead)
    solve_by: float
    gap: float


def block_start(ctx: StartContext, block: Block) -> tuple[list[float] | None, list[int]]:
    """A feasible start for a merged block, and the columns of the members it kept as
    they were (see this module's docstring)."""
    blocks, members = ctx.blocks, ctx.world.members
    # Priced even past the deadline: without the LP and the members' priced models
    # the block has no bound beyond its solo optima and a worse plan. (Past the
    # deadline a member keeps its LP part's rounding: see pricing.BOX_LATE.)
    assert block.prices is not None  # solved before the starts, see rounds.relax_merged
    keep = [i for i in block.members if i in ctx.kept and not ctx.kept[i] & blocks.broken]
    forms: dict[int, Formulation] = {}
    optimal: Mapping[int, Solution] = {}
    pricing: Pricing | None = None
    if block.prices:
        world = ctx.world
        forms = {i: ctx.own[i] if i in ctx.own else
                 build(world.universe, *by_kind([members[i]]), world.budgets,
                       world.total_demand)
                 for i in block.members}
        solo = {i: b for i, b in ctx.alone.items() if i not in ctx.estimated}
        # The members are priced by the work that leaves room for the start's steps,
        # in the order the start places them: under cost it places each as soon as
        # its plan has come (under latency the start's checks read all the plans).
        pricing = begin_pricing(ctx.pool, block, forms, solo, ctx.objective, ctx.solve_by,
                                placing_order(block, members, keep))
        optimal = pricing if ctx.objective == "cost" else pricing.settle()
    start = _Start(ctx, block, forms, optimal)
    promoted: list[int] = []
    x: list[float] | None = None
    # Under latency past the deadline, when the members' priced plans together
    # overspend a budget, the latency-first steps (which may run out of it before
    # the last one) are not tried: the reserved start always ends with a plan.
    over = [] if ctx.objective == "cost" else overspent(
        ctx.world, block, start.others, {i: p for i in block.members
                                         if (p := optimal.get(i, ctx.known.get(i))) is not None})
    first = not over or ctx.pool.clock.left(ctx.solve_by) > 0
    failed: list[int] = []
    for _ in range(START_TRIES if first else 0):
        failed = []
        x = start.place(ctx.objective, keep, promoted, failed)
        if x is not None or not failed:
            break
        # What was placed before left a workload no room: place all again, that one
        # (and those of earlier tries) first.
        promoted.append(failed[0])
        keep = []
    if x is None and (failed or not first) and ctx.objective != "cost":
        x = start.reserved(over)
    if pricing is not None:
        pricing.settle()  # the block's bound, and the pricing's work charged
    assert block.form is not None
    held = {members[i].workload.name for i in keep}
    return x, [j for j, tag in enumerate(block.form.milp.col_tags) if tag[1] in held]


class _Start:
    """One merged block's start: its members' priced plans (``optimal``, at the
    block's LP prices) and the ways to place them."""

    def __init__(self, ctx: StartContext, block: Block, forms: Mapping[int, Formulation],
                 optimal: Mapping[int, Solution]) -> None:
        assert block.prices is not None
        self.ctx, self.block, self.forms, self.optimal = ctx, block, forms, optimal
        self.prices: Mapping[Key, float] = block.prices
        self.others = [b for b in ctx.blocks.blocks.values() if b is not block]
        self.models = {i: ctx.own[i] for i in block.members if i in ctx.own}
        # (A part the early polish took at one try's values and a later try changes is
        # polished again at the end: see polishing.Early.found.)
        self.placed = polish_early(block, ctx.ahead, ctx.objective, ctx.backend,
                                   ctx.world.members)

    def place(self, goal: Objective, keep: Sequence[int], promoted: Sequence[int] = (),
              failed: list[int] | None = None,
              reservation: list[float] | None = None,
              at: tuple[Mapping[Key, float], Mapping[int, MemberPlan]] | None = None,
              ) -> list[float] | None:
        """The start with its steps solved under ``goal``: with the known solutions
        and the prices (``at``: other prices and the members' plans at them) when
        that is the plan's objective, without them otherwise; with a
        ``reservation``, steps that keep room for the others (see latency_start)."""
        ctx = self.ctx
        ours = goal == ctx.objective
        step_prices, step_plans = at if at is not None else (self.prices, self.optimal)

        def steps(chunk: Iterable[Step]) -> list[SolveResult]:
            return ctx.pool.alone(chunk, goal, ctx.solve_by,
                                  Request(cap=SOLVE_CAP, late=STEP_LATE_SECONDS[ctx.objective],
                                          hint=RELAX))

        how = StartPlan(steps, goal, ctx.known if ours else None,
                        step_prices if ours else None, step_plans if ours else None,
                        self.models, keep, promoted, START_BATCH, self.placed)
        if reservation is not None:
            return reserved_start(ctx.world, self.block, self.others, how, reservation)
        return sequential_start(ctx.world, self.block, self.others, how, failed)

    def reserved(self, over: Sequence[Key]) -> list[float] | None:
        """Steps that put latency first can spend a shared budget before the last
        workloads find a plan within it: a start whose steps pay dearer prices
        (or, when even that finds no room, the cheapest start) is feasible, and
        its steps' use of the shared rows is held for the workloads not yet
        placed (see latency_start). ``over``: the budgets the priced plans overspend."""
        ctx, block, objective, pool = self.ctx, self.block, self.ctx.objective, self.ctx.pool
        # The budgets the priced plans overspend (all priced rows when none does:
        # the tries then failed for want of capacity) are made dearer.
        dear_rows = set(over) or set(self.prices)
        dearer = {key: p * RESERVE_SCALE if key in dear_rows else p
                  for key, p in self.prices.items()}

        def solve(chunk: Sequence[Step], hints: Sequence[list[float] | None],
                  ) -> list[SolveResult]:
            # Solved to the plan's gap even past the deadline, as the priced members
            # are (see pricing.price_members), with less work (RESERVE_PRICED).
            return pool.alone(chunk, objective, math.inf, Request(cap=RESERVE_PRICED), hints)

        dear = {**self.optimal, **scaled_plans(block, self.forms, dearer, solve, dear_rows)}
        start = self.place(objective, (), at=(dearer, dear))
        cheapest = start is None
        if cheapest:
            start = self.place("cost", ())
            if start is None:
                return None
        assert start is not None
        # Each member's best of that plan, its priced optimum, its plan at the
        # dearer prices and its own optimum that fit together (see
        # latency_start.choose_plans) reserves more wisely.
        plans = {i: [p for p in (self.optimal.get(i), dear.get(i), ctx.known.get(i)) if p]
                 for i in block.members}
        work = min(CHOICE_SECONDS, max(pool.clock.left(ctx.solve_by), CHOICE_LATE))

        def select(m: Milp, primary: list[float], secondary: list[float],
                   x0: list[float]) -> SolveResult:
            return pool.run([Task(pool.solver, m, primary, secondary, work, ctx.gap, x0)])[0]

        chosen = choose_plans(ctx.world, block, self.others, objective, start, plans, select)
        if not cheapest:  # the choice is the start (steps from it measured worse)
            return chosen
        return self.place(objective, (), reservation=chosen)


# How often a merged block's start is tried (see block_start).
START_TRIES = 2
