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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from .blocks import (
    Block,
    Key,
    StartPlan,
    World,
    _freedom,
    _limit,
    _over,
    _step,
    _usage,
    coupling_key,
)
from .milp import Milp

__all__ = ["member_usage", "reserved_start"]


def member_usage(milp: Milp, x: Sequence[float], owners: Sequence[int],
                 ) -> dict[int, dict[Key, float]]:
    """Each member's use of the block's shared rows in the plan ``x`` (``owners``: the
    member of each column, -1 for none)."""
    usage: dict[int, dict[Key, float]] = {}
    for r, tag in enumerate(milp.row_tags):
        key = coupling_key(tag)
        if key is None:
            continue
        index, value = milp.row(r)
        for j, a in zip(index, value, strict=True):
            if owners[j] >= 0 and x[j]:
                share = usage.setdefault(owners[j], {})
                share[key] = share.get(key, 0.0) + a * x[j]
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
    known, prices, optimal, models, keep = how.known, how.prices, how.optimal, how.models, how.keep
    values: dict[tuple[object, ...], float] = {}
    first = [i for i in block.members if i in keep]
    queue = deque([*first, *sorted((i for i in block.members if i not in first),
                                   key=lambda i: _freedom(members[i]))])
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
            steps.append(_step(universe, members[i], room, budgets, world.total_demand, check,
                               previous, prices, how.objective, (models or {}).get(i)))
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
