"""A merged block's start under the latency objective: greedy steps that keep room for
the workloads still to be placed.

A start (:func:`.blocks.sequential_start`) places a block's workloads one by one, each
within what the others left. Under the cost objective each step spends as little as it
can, so the last ones still find room. Under the latency objective each step buys the
lowest latency it can afford: even priced by the block's LP (whose prices make a step
pay for the budget it takes), its whole instances cost more than its fractional share of
the LP, the early steps spend a shared budget, and a late workload finds no plan within
what is left. The start then fell back to the cost objective's start: feasible, but its
latency is what the cheapest plan gives (at 1,000 benchmark workloads, 45.4 ms where
the block's bound is 21.0 ms).

:func:`reserved_start` makes every step feasible by construction. It starts from a
*reservation*: a feasible plan of the whole block (the cost start), whose use of each
shared row is held for every workload not yet placed. A step may use what the others
left less those reservations, and its own reservation fits that room, so it always has a
plan; when it takes it, the invariant (placed + reserved <= limit on every shared row)
holds for the next step. The steps are the priced steps of the ordinary start, so the
budget a workload takes beyond its reservation goes where the LP's prices say it buys
the most latency.

The reservation itself (see block_start) is a start whose steps pay
RESERVE_SCALE times the LP's prices of the budgets that the members' plans overspend
(:func:`scaled_plans`): each member's own plan at the dearer prices takes less of them,
so the steps leave room for the last ones (at 1,000 benchmark workloads the members'
plans at the LP's own prices together overspend the two team budgets by 8 and 11 %:
whole instances cost more than the LP's fractions). :func:`choose_plans` then picks,
per member, the best of that start's plan, its plan at the LP's prices and at the
dearer ones that fit together. When, past the deadline, the members' plans at the LP's
prices overspend a budget (:func:`overspent`), the plain latency-first start, which
would run out of budget before its last step, is not tried.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..model import Objective
from .blocks import (
    Block,
    Key,
    StartPlan,
    World,
    _limit,
    _over,
    _step,
    _usage,
    coupled_use,
    coupling_key,
    placing_order,
    priced,
)
from .budget import LATE_SOLVE, LEAST, SOLVE_CAP
from .formulation import Formulation, objectives
from .milp import Milp, by_tag
from .solvers import SolveResult

__all__ = ["CHOICE_LATE", "CHOICE_SECONDS", "LATE_PRICED", "RESERVE_PRICED", "RESERVE_SCALE",
           "Choice", "Plan", "Select", "choice_model", "choose_plans", "member_usage", "overspent",
           "reserved_start", "scaled_plans"]


def member_usage(milp: Milp, x: Sequence[float], owners: Sequence[int],
                 ) -> dict[int, dict[Key, float]]:
    """Each member's use of the block's shared rows in the plan ``x`` (``owners``: the
    member of each column, -1 for none)."""
    usage: dict[int, dict[Key, float]] = {}
    for member, key, used in coupled_use(milp, x, owners):
        share = usage.setdefault(member, {})
        share[key] = share.get(key, 0.0) + used
    return usage


def reserved_start(world: World, block: Block, others: Iterable[Block], how: StartPlan,
                   reservation: Sequence[float]) -> list[float] | None:
    """A feasible MIP start for a merged block whose steps keep, on every shared row,
    what the feasible plan ``reservation`` (the block's columns) gives the workloads
    not yet placed (this module's docstring). ``how`` as for
    :func:`.blocks.sequential_start` (``how.promoted`` is not used: no step fails).

    A step whose solve finds no plan in its work (it has one: its reservation) keeps
    its reservation."""
    if block.form is None:
        return None
    universe, members, budgets = world.universe, world.members, world.budgets
    milp = block.form.milp
    names = {members[i].workload.name: i for i in block.members}
    owners = [names.get(str(tag[1]), -1) for tag in milp.col_tags]
    held = member_usage(milp, reservation, owners)
    reserved_values: dict[int, dict[tuple[object, ...], float]] = {}
    for j, (tag, v) in enumerate(zip(milp.col_tags, reservation, strict=True)):
        if owners[j] >= 0 and v:
            reserved_values.setdefault(owners[j], {})[tag] = v
    used: dict[Key, float] = {}
    for other in others:
        for key, activity, _ in _usage(other):
            used[key] = used.get(key, 0.0) + activity
    for share in held.values():
        for key, v in share.items():
            used[key] = used.get(key, 0.0) + v
    known, prices, optimal, keep = how.known, how.prices, how.optimal, how.keep
    values: dict[tuple[object, ...], float] = {}
    queue = deque(placing_order(block, members, keep))
    while queue:
        take = [queue.popleft() for _ in range(min(how.batch, len(queue)))]
        steps = []
        for i in take:
            room = _without(used, held.get(i, {}))
            if i in keep:
                check, previous = None, (known or {}).get(i)
            elif optimal and i in optimal:
                check, previous = None, optimal[i]
            else:
                check, previous = prices, (known or {}).get(i)
            steps.append(_step(world, i, room, check, previous, how))
        results = iter(how.solve([(form, weights) for form, weights, fixed in steps
                                  if fixed is None]))
        done = 0
        for pos, (i, (form, _, fixed)) in enumerate(zip(take, steps, strict=True)):
            result = fixed or next(results)
            base = _without(used, held.get(i, {}))
            if result.x is None:  # its reservation fits by construction: it keeps that
                plan = reserved_values.get(i, {})
                usage = held.get(i, {})
            else:
                step = Block([i], form, result)
                plan = dict(zip(form.milp.col_tags, result.x, strict=True))
                usage = {key: activity for key, activity, _ in _usage(step)}
                if pos and any(_over(base.get(key, 0.0) + v, _limit(universe, budgets, key))
                               for key, v in usage.items()):
                    queue.extendleft(reversed(take[pos:]))
                    break
            for key, v in usage.items():
                base[key] = base.get(key, 0.0) + v
            used = base
            values.update(plan)
            held.pop(i, None)
            done += 1
        if how.placed is not None and done:
            how.placed(take[:done], values)
    return [values.get(tag, 0.0) for tag in milp.col_tags]


def _without(used: Mapping[Key, float], share: Mapping[Key, float]) -> dict[Key, float]:
    """``used`` less a member's reservation ``share``."""
    out = dict(used)
    for key, v in share.items():
        out[key] = out.get(key, 0.0) - v
    return out


Plan = Mapping[tuple[object, ...], float]  # a member's columns by tag (non-zero only)


@dataclass(frozen=True)
class Choice:
    """The selection problem of :func:`choose_plans`: one binary column per (member,
    candidate plan), one row per member (pick one) and per shared row (within what the
    other blocks left)."""

    milp: Milp
    picks: list[tuple[int, Plan]]  # per column: the member and its plan


def choice_model(block_milp: Milp, owners: Sequence[int], candidates: Mapping[int, Sequence[Plan]],
                 room: Mapping[Key, float], goal: Sequence[float], tie: Sequence[float],
                 ) -> Choice:
    """The model that picks one of ``candidates`` (plans by column tag, the first of
    each member feasible together) per member: minimise ``goal`` (the block's
    objective by column) with ``tie`` second, each shared row of the block within
    ``room``."""
    position = {tag: j for j, tag in enumerate(block_milp.col_tags)}
    milp = Milp()
    picks: list[tuple[int, Plan]] = []
    for i in sorted(candidates):
        seen: list[Plan] = []
        for plan in candidates[i]:
            if any(plan == other for other in seen):
                continue
            seen.append(plan)
            cols = [position[tag] for tag in plan]
            milp.add_col(("pick", i, len(seen) - 1), 0.0, 1.0, True,
                         cost=sum(tie[j] * plan[block_milp.col_tags[j]] for j in cols),
                         latency=sum(goal[j] * plan[block_milp.col_tags[j]] for j in cols))
            picks.append((i, plan))
    first: dict[int, list[int]] = {}
    for k, (i, _) in enumerate(picks):
        first.setdefault(i, []).append(k)
    for i, ks in first.items():
        milp.add_row(("one", i), ks, [1.0] * len(ks), 1.0, 1.0)
    # Each pick's use of each shared row, from the rows of its plan's columns (a plan
    # touches a few of the block's rows; summed in the plan's order, as a row's would be).
    shared: list[tuple[Key, dict[int, float]]] = []
    in_rows: dict[int, list[tuple[dict[int, float], float]]] = {}
    for r, tag in enumerate(block_milp.row_tags):
        key = coupling_key(tag)
        if key is None or key not in room:
            continue
        index, value = block_milp.row(r)
        uses: dict[int, float] = {}
        shared.append((key, uses))
        for j, a in dict(zip(index, value, strict=True)).items():
            in_rows.setdefault(j, []).append((uses, a))
    for k, (_, plan) in enumerate(picks):
        for t, v in plan.items():
            for uses, a in in_rows.get(position[t], ()):
                uses[k] = uses.get(k, 0) + a * v
    for key, uses in shared:
        terms = [(k, a) for k, a in sorted(uses.items()) if a]
        if terms:
            milp.add_row(("shared", *key), [k for k, _ in terms], [a for _, a in terms],
                         upper=room[key])
    return Choice(milp, picks)


Select = Callable[[Milp, list[float], list[float], list[float]], SolveResult]


def choose_plans(world: World, block: Block, others: Iterable[Block], objective: Objective,
                 reservation: Sequence[float], plans: Mapping[int, Sequence[Plan]],
                 select: Select) -> list[float]:
    """The block's plan that takes, for each member, the best of its candidate plans
    that fit together: its part of ``reservation`` (a feasible plan of the block, so
    the choice always has one) or one of ``plans`` (by member). ``select(milp, primary,
    secondary, start)`` solves the choice model (:func:`choice_model`); without an
    answer the reservation stands."""
    assert block.form is not None
    milp = block.form.milp
    names = {world.members[i].workload.name: i for i in block.members}
    owners = [names.get(str(tag[1]), -1) for tag in milp.col_tags]
    own: dict[int, dict[tuple[object, ...], float]] = {i: {} for i in block.members}
    for j, (tag, v) in enumerate(zip(milp.col_tags, reservation, strict=True)):
        if owners[j] >= 0 and v:
            own[owners[j]][tag] = v
    tags = set(milp.col_tags)
    candidates = {i: [own[i], *(p for p in plans.get(i, ()) if all(t in tags for t in p))]
                  for i in block.members}
    used: dict[Key, float] = {}
    for other in others:
        for key, activity, _ in _usage(other):
            used[key] = used.get(key, 0.0) + activity
    shared = [k for k in map(coupling_key, milp.row_tags) if k is not None]
    room = {k: _limit(world.universe, world.budgets, k) - used.get(k, 0.0) for k in shared}
    goal, tie = objectives(block.form, objective)
    choice = choice_model(milp, owners, candidates, room, goal, tie)
    start = [0.0] * choice.milp.num_cols
    seen: set[int] = set()
    for k, (i, _) in enumerate(choice.picks):
        if i not in seen:
            start[k] = 1.0
            seen.add(i)
    m = choice.milp
    result = select(m, m.latency, m.cost, start)
    if result.x is None:
        return list(reservation)
    values: dict[tuple[object, ...], float] = {}
    for k, (_, plan) in enumerate(choice.picks):
        if result.x[k] > 0.5:
            values.update(plan)
    return [values.get(tag, 0.0) for tag in milp.col_tags]


# Work seconds for the choice of plans (choose_plans): at most CHOICE_SECONDS, and
# CHOICE_LATE past the deadline (SOLVE_CAP and LATE_SOLVE: the limits it was measured
# with, 1.0 and 0.2 in the work unit before it was fitted to CPU seconds).
CHOICE_SECONDS, CHOICE_LATE = SOLVE_CAP, LATE_SOLVE


def overspent(world: World, block: Block, others: Iterable[Block],
              plans: Mapping[int, Plan]) -> list[Key]:
    """The shared budgets that the members' ``plans`` together take more of than the
    other blocks leave (none when a member has no plan: then it cannot be told)."""
    if block.form is None or any(i not in plans for i in block.members):
        return []
    milp = block.form.milp
    position = {tag: j for j, tag in enumerate(milp.col_tags)}
    x = [0.0] * milp.num_cols
    for i in block.members:
        for tag, v in plans[i].items():
            if tag in position:
                x[position[tag]] = v
    used: dict[Key, float] = {}
    for other in others:
        for key, activity, _ in _usage(other):
            used[key] = used.get(key, 0.0) + activity
    over: list[Key] = []
    for r, tag in enumerate(milp.row_tags):
        row = coupling_key(tag)
        if row is not None and row[0] == "budget" and _over(
                used.get(row, 0.0) + milp.activity(r, x),
                _limit(world.universe, world.budgets, row)):
            over.append(row)
    return over


Solve = Callable[[Sequence[tuple[Formulation, Sequence[float] | None]],
                  Sequence[list[float] | None]], list[SolveResult]]


def scaled_plans(block: Block, forms: Mapping[int, Formulation], prices: Mapping[Key, float],
                 solve: Solve, rows: Collection[Key] | None = None) -> dict[int, Plan]:
    """Each member's plan of its own model (``forms``) at the shared rows' ``prices``,
    by column tag, for the members that pay one (and have a term in one of ``rows``,
    when given: the others' priced models are the same as at the prices before).
    ``solve(steps, hints)`` solves the models with their column prices, each from the
    rounding of its part of the block's LP solution (``block.lp``)."""
    if not prices:  # no member pays a price (its model need not have been written)
        return {}
    at_lp = dict(zip(block.form.milp.col_tags, block.lp, strict=True)) if (
        block.form is not None and block.lp is not None) else {}
    todo: list[tuple[int, list[float]]] = []
    for i in block.members:
        milp = forms[i].milp
        if rows is not None and not any(coupling_key(t) in rows for t in milp.row_tags):
            continue
        extra = priced(milp, prices)
        if extra is not None:
            todo.append((i, extra))
    hints = [[at_lp.get(t, 0.0) for t in forms[i].milp.col_tags] if at_lp else None
             for i, _ in todo]
    results = solve([(forms[i], extra) for i, extra in todo], hints)
    return {i: by_tag(forms[i].milp, r.x) for (i, _), r in zip(todo, results, strict=True)
            if r.x is not None}


# Past the deadline under the latency objective a merged block's members are priced
# with LATE_PRICED work seconds each (see pricing.price_members): their bounds are the
# block's Lagrangian bound, which their rounding boxes' LP parts left 4 % below the
# plan at 1,000 benchmark workloads.
LATE_PRICED = LATE_SOLVE

# The reservation's steps pay RESERVE_SCALE times the LP's prices (this module's
# docstring; measured in docs/planner-design.md).
RESERVE_SCALE = 1.5

# The members priced again at those dearer prices (scaled_plans) get RESERVE_PRICED work
# seconds each: only their plans are used (the block's bound comes from the members
# priced at the LP's own prices), and most of a priced solve's CPU is its root's cut
# rounds (measured in docs/planner-design.md).
RESERVE_PRICED = LEAST
