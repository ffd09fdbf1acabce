"""Solve workloads apart, and join only those whose shared limits actually bind.

Workloads are coupled only through *coupling rows*: a capacity-limited offering that
several may use, or a filtered budget that several count toward. tierplan starts with
every workload in a block of its own. Inside a block a coupling row keeps only the
block's own terms; since every term is non-negative, that partial row is implied by the
full one, so each block's MILP is a relaxation of its share of the whole problem.

After the blocks are solved, every coupling row is checked over all blocks together:

- none violated: the union of the block optima is feasible, and it attains the sum of the
  block optima, a lower bound of the whole problem; it is therefore optimal. The
  lexicographic tie-break decomposes the same way (each block's first objective is held
  at its own minimum, which no other block can make up for).
- some violated: the blocks that use a violated row are merged into one block, which is
  re-solved with their full share of the row; the other blocks keep their solutions. Each round merges
  at least two blocks, so the loop ends, at worst with the connected components.

A block with one training workload and nothing else is a choice among its options: it is
solved exactly by enumeration, in the order the solver would break ties.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..model import Budget, Objective
from .backend import Basis
from .candidates import (
    InferenceCandidates,
    TrainingCandidates,
    Universe,
    budget_matches,
    by_kind,
)
from .formulation import Formulation, build, objectives
from .milp import Milp
from .solvers import SolveResult

__all__ = ["Block", "Blocks", "Key", "StartPlan", "Step", "World", "contested", "coupling_key",
           "coupling_keys", "placing_order", "priced", "sequential_start", "solve_choice", "split"]

Key = tuple[str, int]
TOLERANCE = 1e-6


_COUPLING = ("budget", "capacity")


def coupling_key(tag: Sequence[object]) -> Key | None:
    """The coupling row a MILP row tag names (a capacity or a filtered budget), or None."""
    if tag[0] in _COUPLING:
        return str(tag[0]), int(str(tag[1]))
    return None


def coupling_keys(
    universe: Universe, cand: InferenceCandidates | TrainingCandidates, budgets: Sequence[Budget]
) -> set[Key]:
    """The coupling rows a workload's candidates have terms in."""
    offers = universe.offers
    keys: set[Key] = set()
    if isinstance(cand, InferenceCandidates):
        units = [u.offer for g in cand.groups for u in g.units]
        sites = {g.site for g in cand.groups}
    else:
        units = [o.offer for o in cand.options]
        sites = {o.site for o in cand.options}
    keys.update(("capacity", k) for k in units if offers[k][1].available is not None)
    for b, budget in enumerate(budgets):
        if any(budget_matches(budget, cand.workload, universe.sites[s]) for s in sites):
            keys.add(("budget", b))
    return keys


@dataclass
class Block:
    members: list[int]
    form: Formulation | None = None
    result: SolveResult | None = None
    relaxed: float | None = None  # the optimum of its LP relaxation, when it was solved
    dual: float | None = None  # its Lagrangian bound at the LP's prices, when it was found
    prices: dict[Key, float] | None = None  # its shared rows' prices in that LP, once solved
    lp: list[float] | None = None  # and that LP's solution (None when it has none)
    basis: Basis | None = None  # that LP's last basis (its merged parts' before it is solved)


@dataclass
class Blocks:
    """A partition of the workloads (members) into blocks, merged on demand."""

    keys: list[set[Key]]
    parent: list[int] = field(init=False)
    blocks: dict[int, Block] = field(init=False)
    broken: set[Key] = field(init=False, default_factory=set)  # by the last violated()

    def __post_init__(self) -> None:
        self.parent = list(range(len(self.keys)))
        self.blocks = {i: Block([i]) for i in range(len(self.keys))}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def unsolved(self) -> list[Block]:
        return [b for b in self.blocks.values() if b.result is None]

    def merge(self, members: Sequence[int]) -> None:
        roots = sorted({self.find(m) for m in members})
        if len(roots) < 2:
            return
        head = roots[0]
        # The merged block's LP starts from its parts' bases (largest first).
        basis = Basis.joined(self.blocks[r].basis for r in sorted(
            roots, key=lambda r: -len(self.blocks[r].members)))
        for r in roots[1:]:
            self.parent[r] = head
            self.blocks[head].members.extend(self.blocks.pop(r).members)
        self.blocks[head].members.sort()
        head_block = self.blocks[head]
        head_block.form = head_block.result = head_block.relaxed = head_block.dual = None
        head_block.prices = head_block.lp = None
        head_block.basis = basis

    def violated(self) -> list[list[int]]:
        """For every coupling row the blocks break together, the members to join.

        Only blocks that use the row are joined: a block enforces its own share of the row,
        so a broken row always involves at least two of them.
        """
        used: dict[Key, float] = {}
        limit: dict[Key, float] = {}
        users: dict[Key, list[int]] = {}
        for block in self.blocks.values():
            for key, activity, upper in _usage(block):
                used[key] = used.get(key, 0.0) + activity
                limit[key] = upper
                if activity > TOLERANCE:
                    users.setdefault(key, []).extend(block.members)
        self.broken = {key for key, total in used.items() if _over(total, limit[key])}
        return [users[key] for key in self.broken]


def contested(milp: Milp, x: Sequence[float]) -> list[tuple[Key, set[str], set[str]]]:
    """The coupling rows that ``x`` fills to their limit, each with the workloads (names)
    that use it and those that could (a column in the row, none in use): the
    neighbourhoods a search frees together, as the row's capacity or budget can only
    move from the first to the second."""
    out: list[tuple[Key, set[str], set[str]]] = []
    for r, tag in enumerate(milp.row_tags):
        key = coupling_key(tag)
        upper = milp.row_upper[r]
        if key is None or milp.activity(r, x) < upper - TOLERANCE * max(1.0, abs(upper)):
            continue
        index, value = milp.row(r)
        users = {str(milp.col_tags[j][1]) for j, a in zip(index, value, strict=True)
                 if a * x[j] > TOLERANCE}
        others = {str(milp.col_tags[j][1]) for j in index} - users
        out.append((key, users, others))
    return out


def split(block: Block, names: Mapping[str, int]) -> dict[int, tuple[dict[tuple[object, ...], float],
                                                                     set[Key]]]:
    """A solved block's solution per member (``names``: workload name -> member): its
    non-zero columns by tag, and the coupling rows it uses."""
    parts: dict[int, tuple[dict[tuple[object, ...], float], set[Key]]] = {}
    if block.form is None or block.result is None or block.result.x is None:
        return parts
    m, x = block.form.milp, block.result.x
    owner = [names.get(str(tag[1]), -1) for tag in m.col_tags]
    for j, (tag, v) in enumerate(zip(m.col_tags, x, strict=True)):
        if owner[j] >= 0 and v:
            parts.setdefault(owner[j], ({}, set()))[0][tag] = v
    for member, key, used in coupled_use(m, x, owner):
        if used > TOLERANCE:
            parts.setdefault(member, ({}, set()))[1].add(key)
    return parts


def coupled_use(milp: Milp, x: Sequence[float], owners: Sequence[int],
                ) -> Iterator[tuple[int, Key, float]]:
    """(member, coupling row, the column's use of it) for every non-zero column of a
    member in the plan ``x`` (``owners``: the member of each column, -1 for none), in
    row order."""
    for r, tag in enumerate(milp.row_tags):
        key = coupling_key(tag)
        if key is None:
            continue
        index, value = milp.row(r)
        for j, a in zip(index, value, strict=True):
            if owners[j] >= 0 and x[j]:
                yield owners[j], key, a * x[j]


def _usage(block: Block) -> Iterator[tuple[Key, float, float]]:
    """(coupling row, the block's use of it, its limit) for a solved block."""
    if block.form is None or block.result is None or block.result.x is None:
        return
    m, x = block.form.milp, block.result.x
    for r, tag in enumerate(m.row_tags):
        if tag[0] in _COUPLING:  # coupling_key's test, inline: every row of every block
            yield (str(tag[0]), int(str(tag[1]))), m.activity(r, x), m.row_upper[r]


Step = tuple[Formulation, Sequence[float] | None]  # a workload's model and its column prices


@dataclass(frozen=True)
class World:
    """What every step of a start is written against: the plan's universe, its
    workloads' candidates (by index), the budgets and the total demand."""

    universe: Universe
    members: Sequence[InferenceCandidates | TrainingCandidates]
    budgets: Sequence[Budget]
    total_demand: float


@dataclass(frozen=True)
class StartPlan:
    """How one start places a block's workloads (see :func:`sequential_start`)."""

    # Solves the steps it is given as they come (it may hand each to a worker process
    # while the next is written), and returns their results in order.
    solve: Callable[[Iterable[Step]], list[SolveResult]]
    objective: Objective = "cost"
    known: Mapping[int, Mapping[tuple[object, ...], float]] | None = None
    prices: Mapping[Key, float] | None = None
    optimal: Mapping[int, Mapping[tuple[object, ...], float]] | None = None
    models: Mapping[int, Formulation] | None = None
    keep: Collection[int] = ()
    promoted: Sequence[int] = ()
    batch: int = 1
    placed: Callable[[Sequence[int], Mapping[tuple[object, ...], float]], None] | None = None


def sequential_start(world: World, block: Block, others: Iterable[Block], how: StartPlan,
                     failed: list[int] | None = None) -> list[float] | None:
    """A feasible MIP start for a merged block, or None when a step finds no plan.

    The block's workloads are placed one after another, most constrained first, each
    within the capacity and budget that the other blocks and the workloads before it
    left, so together they break no shared row. A workload whose ``known`` solo optimum
    (column tag -> value) still fits keeps it: it is optimal for the restricted step too,
    and most workloads of a merged block are in it for one contested row that the earlier
    ones did not exhaust. The others are re-solved as small single-workload models; the
    merged MILP then starts from an incumbent instead of searching for one.

    The fields of ``how`` (:class:`StartPlan`): ``prices`` (shadow prices of the
    block's shared rows in its LP relaxation) make the
    steps greedy with foresight: each step minimises its objective plus the price of
    the shared capacity and budget it takes (``solve`` gets each column's price with
    its model), so a workload that gains little from a contested GPU leaves it to a
    later one that gains more. The start's value is still its true objective. A solo
    optimum that uses no priced row stays optimal under the prices (they only add to
    other plans), so it is kept.

    ``keep``: members placed first, each keeping its ``known`` solution as it is when it
    fits (priced or not). When two merged blocks break a row together, their members
    that do not use that row keep what the blocks' own MILPs found; together they
    break nothing, so only the members on the broken rows are placed again.

    ``batch`` steps are solved together (``solve`` may hand them to worker processes),
    each within what the steps before the batch left. A step's answer is then optimal
    for a looser model than the one-by-one order would give it; when it also fits in
    what the batch's earlier steps took, it is optimal for that one too and is kept. From
    the first that does not fit, the rest of the batch is placed again, so the start is
    the one-by-one start (up to ties) whatever the batch size.

    ``optimal``: solutions of members' own models at the prices, not restricted by what
    the others take (see pricing.price_members); one that fits what is left is
    optimal for the step too. ``models``: members' own models, to check those
    solutions against without writing each step's model (see :func:`_step`).
    ``placed(members, values)``: told after each batch which members it placed, with
    the start's values so far by column tag (to polish their parts meanwhile, see
    polishing.Early). ``promoted``: members placed first after ``keep`` (a start tried
    again, see planner). ``failed`` is told the member that found no plan.
    """
    if block.form is None:
        return None
    universe, members, budgets = world.universe, world.members, world.budgets
    keep = how.keep
    used: dict[Key, float] = {}
    for other in others:
        for key, activity, _ in _usage(other):
            used[key] = used.get(key, 0.0) + activity
    values: dict[tuple[object, ...], float] = {}
    queue = deque(placing_order(block, members, keep, how.promoted))
    while queue:
        take = [queue.popleft() for _ in range(min(how.batch, len(queue)))]
        steps: list[tuple[Formulation, list[float] | None, SolveResult | None]] = []
        results = iter(how.solve(_written(world, take, used, how, steps)))
        assert len(steps) == len(take)  # the solver took every step
        done = 0
        for pos, (i, (form, _, fixed)) in enumerate(zip(take, steps, strict=True)):
            step = Block([i], form, fixed or next(results))
            if step.result is None or step.result.x is None:
                if failed is not None:
                    failed.append(i)
                return None  # no plan even with the room the batch started from
            usage = list(_usage(step))
            if pos and any(_over(used.get(key, 0.0) + activity, _limit(universe, budgets, key))
                           for key, activity, _ in usage):
                queue.extendleft(reversed(take[pos:]))
                break
            for key, activity, _ in usage:
                used[key] = used.get(key, 0.0) + activity
            values.update(zip(form.milp.col_tags, step.result.x, strict=True))
            done += 1
        if how.placed is not None and done:
            how.placed(take[:done], values)
    return [values.get(tag, 0.0) for tag in block.form.milp.col_tags]


def _written(world: World, take: Sequence[int], used: Mapping[Key, float], how: StartPlan,
             steps: list[tuple[Formulation, list[float] | None, SolveResult | None]],
             ) -> Iterator[Step]:
    """The steps of ``take`` (see :func:`_step`), each appended to ``steps``; those to
    solve are yielded as soon as they are written, so that the workers solve a batch's
    first steps while this thread writes the rest."""
    known, prices, optimal = how.known, how.prices, how.optimal
    for i in take:
        if i in how.keep:  # kept as it is when it fits
            check, previous = None, (known or {}).get(i)
        elif optimal is not None and i in optimal:  # optimal when it fits (waits for it)
            check, previous = None, optimal[i]
        else:  # a solo optimum: kept when it fits and stays optimal under the prices
            check, previous = prices, (known or {}).get(i)
        steps.append(_step(world, i, used, check, previous, how))
        form, weights, fixed = steps[-1]
        if fixed is None:
            yield form, weights


def _step(world: World, i: int, used: Mapping[Key, float], check: Mapping[Key, float] | None,
          previous: Mapping[tuple[object, ...], float] | None, how: StartPlan,
          ) -> tuple[Formulation, list[float] | None, SolveResult | None]:
    """Member ``i``'s model within what ``used`` leaves, its column prices (``how``'s),
    and its ``previous`` solution when that still fits and pays none of the prices in
    ``check`` (else None: solve it).

    ``own`` (from ``how.models``): the workload's own model (the step's, but with every shared row at its
    full limit). ``previous`` is then checked against it with the shared rows cut to
    what ``used`` leaves, and the step's model is only written when it must be solved:
    the two checks agree, as the step's model differs only in those limits, the column
    bounds they imply and cuts that every integer solution within them satisfies."""
    universe, budgets, prices, objective = world.universe, world.budgets, how.prices, how.objective
    own = (how.models or {}).get(i)
    room = {key: max(0.0, _limit(universe, budgets, key) - v) for key, v in used.items()}
    if previous is not None and own is not None:
        fixed = _kept(own, previous, check, objective, room)
        if fixed is not None:
            return own, None, fixed
        previous = None
    capacity = {key[1]: v for key, v in room.items() if key[0] == "capacity"}
    left = [replace(b, limit_usd=room.get(("budget", j), b.limit_usd))
            for j, b in enumerate(budgets)]
    form = build(universe, *by_kind([world.members[i]]), left, world.total_demand,
                 capacity=capacity)
    weights = priced(form.milp, prices) if prices else None
    fixed = None if previous is None else _kept(form, previous, check, objective)
    return form, weights, fixed


def _kept(form: Formulation, previous: Mapping[tuple[object, ...], float],
          check: Mapping[Key, float] | None, objective: Objective,
          room: Mapping[Key, float] | None = None) -> SolveResult | None:
    """``previous`` as the step's answer when it fits ``form`` (within ``room``, see
    :func:`_fits`) and stays optimal under the prices in ``check``; else None."""
    if not _fits(form.milp, previous, room):
        return None
    x = [previous.get(t, 0.0) for t in form.milp.col_tags]
    charged = priced(form.milp, check) if check else None
    if charged is not None and not _still_optimal(objectives(form, objective)[0], charged, x):
        return None
    return SolveResult("optimal", x, None, 0.0, 0.0)


def _still_optimal(primary: Sequence[float], charged: Sequence[float],
                   x: Sequence[float]) -> bool:
    """Whether ``x``, optimal for ``primary`` over a model that contains the step's,
    stays optimal once the step adds the column prices ``charged`` (all >= 0).

    It does when the prices split as ``charged = lam * primary + rest`` with lam >= 0,
    rest >= 0 and rest = 0 wherever x is non-zero: for any feasible x',
    (primary + charged) x' >= (1 + lam) primary x' >= (1 + lam) primary x
    = (primary + charged) x. Two cases matter: x pays no price at all (lam = 0), and a
    budget that covers all of a workload's columns, whose price is lam times each
    column's cost (a team budget under the cost objective), so its solo optimum keeps.
    """
    used = [j for j, v in enumerate(x) if v > TOLERANCE]
    if any(primary[j] < 0 for j in range(len(primary))):
        return all(charged[j] <= TINY_PRICE for j in used)
    ratios = [charged[j] / primary[j] for j in used if primary[j] > 0]
    if any(charged[j] > TINY_PRICE for j in used if primary[j] == 0):
        return False
    lam = min(ratios, default=0.0)
    if ratios and max(ratios) - lam > RATIO_TOLERANCE * max(1.0, lam):
        return False
    return all(charged[j] >= lam * primary[j] * (1 - RATIO_TOLERANCE) - TINY_PRICE
               for j in range(len(primary)))


# Prices below TINY_PRICE count as none; price-to-cost ratios that differ by less than
# RATIO_TOLERANCE (relative) count as one.
TINY_PRICE, RATIO_TOLERANCE = 1e-9, 1e-9


def _over(total: float, limit: float) -> bool:
    """A shared row's total breaks its limit (beyond the shared tolerance)."""
    return total > limit + TOLERANCE * max(1.0, abs(limit))


def _limit(universe: Universe, budgets: Sequence[Budget], key: Key) -> float:
    """A shared row's limit: the budget's USD or the offering's ``available``."""
    kind, k = key
    if kind == "budget":
        return budgets[k].limit_usd
    return float(universe.offers[k][1].available or 0)


def priced(milp: Milp, prices: Mapping[Key, float]) -> list[float] | None:
    """What each column takes of the priced shared rows, at their prices (the sum of
    price times coefficient; None when no row of this model has a price)."""
    extra = [0.0] * milp.num_cols
    priced = False
    for r, tag in enumerate(milp.row_tags):
        key = coupling_key(tag)
        price = 0.0 if key is None else prices.get(key, 0.0)
        if price <= 0:
            continue
        priced = True
        index, value = milp.row(r)
        for j, a in zip(index, value, strict=True):
            extra[j] += price * a
    if not priced:
        return None
    return extra


def _fits(milp: Milp, values: Mapping[tuple[object, ...], float],
          room: Mapping[Key, float] | None = None) -> bool:
    """The solution (column tag -> value) has all its columns in ``milp`` and satisfies
    every bound and row there (to the shared tolerance); with ``room``, each shared row
    also within what ``room`` leaves of it."""
    tags = set(milp.col_tags)
    if any(v > TOLERANCE and t not in tags for t, v in values.items()):
        return False
    x = [values.get(t, 0.0) for t in milp.col_tags]
    upper = milp.row_upper
    if room:
        upper = [min(hi, room.get(key, hi)) if (key := coupling_key(tag)) else hi
                 for hi, tag in zip(upper, milp.row_tags, strict=True)]
    return all(lo - TOLERANCE <= v <= hi + TOLERANCE
               for lo, v, hi in zip(milp.col_lower, x, milp.col_upper, strict=True)) and all(
        lo - TOLERANCE <= v <= hi + TOLERANCE
        for lo, v, hi in zip(milp.row_lower, milp.activities(x), upper, strict=True))


def placing_order(block: Block, members: Sequence[InferenceCandidates | TrainingCandidates],
                  keep: Collection[int], promoted: Sequence[int] = ()) -> list[int]:
    """The order in which a start places a block's members: those it keeps, those
    promoted, then the most constrained first (see :func:`sequential_start`)."""
    first = [i for i in block.members if i in keep]
    first += [i for i in promoted if i not in keep]
    return [*first, *sorted((i for i in block.members if i not in first),
                            key=lambda i: _freedom(members[i]))]


def _freedom(cand: InferenceCandidates | TrainingCandidates) -> tuple[int, int]:
    """Most constrained first: training jobs with few options, then inference by groups."""
    if isinstance(cand, TrainingCandidates):
        return (0, len(cand.options))
    return (1, len(cand.groups))


def solve_choice(milp: Milp, objective: Sequence[float]) -> SolveResult:
    """Exact answer for a block that only picks one of its binary columns.

    Columns are tried cheapest first (ties by column order, i.e. the candidate order);
    the first one that satisfies every row is optimal.
    """
    start = time.perf_counter()
    zero = [0.0] * milp.num_cols
    for j in sorted(range(milp.num_cols), key=lambda j: (objective[j], j)):
        x = list(zero)
        x[j] = 1.0
        if all(milp.row_lower[r] - TOLERANCE <= milp.activity(r, x) <= milp.row_upper[r] + TOLERANCE
               for r in range(milp.num_rows)):
            return SolveResult("optimal", x, objective[j], 0.0, time.perf_counter() - start)
    return SolveResult("infeasible", None, None, float("inf"), time.perf_counter() - start)
