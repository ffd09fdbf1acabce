"""A merged block's prices: the shadow prices of its shared rows in its LP relaxation,
and its members' own models solved at those prices (their solutions for the start,
their bounds for the block's Lagrangian bound, see :func:`.gaps.lagrangian`)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

from ..model import Objective
from . import gaps
from .alone import Request
from .backend import relax_warm
from .backlog import Backlog
from .blocks import TINY_PRICE, TOLERANCE, Block, Key, coupling_key, priced
from .budget import LANES, LEAST, SOLVE_CAP, WorkClock, lp_work
from .formulation import Formulation, objectives
from .latency_start import LATE_PRICED
from .milp import Milp, by_tag, rounded, value_of
from .pool import Pool
from .solvers import Backend

__all__ = ["BOX_LATE", "PRICED_FLOOR", "PRICED_SHARE", "PRICE_MARKUP", "Pricing",
           "begin_pricing", "integral", "price_members", "rounding_risk", "shadow_prices"]


def price_members(pool: Pool, block: Block, forms: Mapping[int, Formulation],
                  alone: Mapping[int, float], objective: Objective, deadline: float,
                  ) -> dict[int, Solution]:
    """The members' plans at the block's prices, all solved, and the block's bound: see
    :func:`begin_pricing`."""
    return begin_pricing(pool, block, forms, alone, objective, deadline).settle()


def begin_pricing(pool: Pool, block: Block, forms: Mapping[int, Formulation],
                  alone: Mapping[int, float], objective: Objective, deadline: float,
                  order: Sequence[int] = ()) -> Pricing:
    """Solve each member's own model (``forms``: the block's rows but the shared ones)
    at the shared rows' prices (``block.prices``, from its LP relaxation ``block.lp``:
    see :func:`shadow_prices`), side by side in the workers: their bounds give the
    block's Lagrangian bound (``block.dual``, see gaps.lagrangian), and their
    solutions, by column tag, are the start's steps where they fit what it leaves.
    They are handed to the workers in ``order`` (members; the others after them), and
    the returned :class:`Pricing` maps each member to its plan as it comes: the start
    places its first members while the workers price the rest (see
    :meth:`.pool.Pool.hand_over`). A member whose solve gives no plan has none there,
    and the block no bound.

    Two kinds of member need no solve. One that pays no price has its solo optimum
    already (``alone``: its bound). One whose part of the block's LP solution ``lp`` is
    integral has it: at the LP's own prices (``prices`` / PRICE_MARKUP) that part is
    optimal for the member's LP (LP duality), so for its MILP too; its value there is
    a lower bound at the marked-up prices as well, as prices only add to a plan (less
    the LP's tolerance, as for ``block.relaxed``). The others start from the rounding
    of their part of the LP (its hint, see alone.solve_alone). That part's value is a
    bound for them too (their LP's optimum at the LP's prices), kept when their solve
    gives a weaker one or none: one that starts past ``deadline`` keeps its rounding's
    plan without searching further (BOX_LATE)."""
    assert block.form is not None
    prices, lp = block.prices or {}, block.lp
    extras = {i: priced(forms[i].milp, prices) for i in block.members}
    bounds: dict[int, float] = {}
    optimal: dict[int, Solution] = {}
    at_lp = dict(zip(block.form.milp.col_tags, lp, strict=True)) if lp is not None else {}
    hints: dict[int, list[float]] = {}  # members' parts of the LP, to round (see below)
    risk: dict[int, float] = {}
    for i in block.members:
        extra = extras[i]
        if extra is None and i in alone:
            bounds[i] = alone[i]
            continue
        m = forms[i].milp
        x = [at_lp.get(t, math.nan) for t in m.col_tags]
        if lp is None or any(map(math.isnan, x)):
            continue
        primary = objectives(forms[i], objective)[0]
        # the member's LP optimum at the LP's prices (see above): a bound in any case
        bounds[i] = gaps.lp_bound(sum((c + e / PRICE_MARKUP) * v for c, e, v in
                                      zip(primary, extra or [0.0] * len(x), x, strict=True)))
        if integral(m, x):
            optimal[i] = by_tag(m, rounded(m.col_integer, x))
        else:
            hints[i] = x
            risk[i] = rounding_risk(m, primary, x)
    # Their work is charged in this fixed order, riskiest rounding first (they are
    # handed to the workers in the start's order).
    todo = sorted((i for i in block.members
                   if i not in optimal and (extras[i] is not None or i not in alone)),
                  key=lambda i: -risk.get(i, math.inf))
    per = pool.clock.left(deadline) * LANES / max(len(todo), 1)
    cap = min(SOLVE_CAP, max(PRICED_SHARE * per, PRICED_FLOOR))
    request = Request(cap=cap, late=PRICED_FLOOR, box_late=BOX_LATE)
    if objective == "latency" and per <= 0:
        # Past the deadline under latency the members are solved all the same, to the
        # plan's gap: their bounds are the block's Lagrangian bound, and their plans
        # its start (see latency_start.LATE_PRICED).
        request, deadline = Request(cap=LATE_PRICED), math.inf
    place = {i: k for k, i in enumerate(todo)}
    backlog = pool.hand_over([(forms[i], extras[i]) for i in todo], objective, deadline,
                             request, [hints.get(i) for i in todo],
                             [place[i] for i in order if i in place])
    if not pool.exact_ties(objective):  # then the start's fill follows (see block_solve.solve_blocks)
        pool.read_ahead(block.form.milp, objectives(block.form, objective)[0])
    return Pricing(block, forms, place, optimal, bounds, extras, backlog)


Solution = dict[tuple[object, ...], float]  # a member's values by column tag


class Pricing(Mapping[int, Solution]):
    """A block's members being priced (see :func:`begin_pricing`): as a mapping, each
    member's plan at the prices (waiting for it), for the start; :meth:`settle` for
    the block's bound."""

    def __init__(self, block: Block, forms: Mapping[int, Formulation], place: Mapping[int, int],
                 optimal: dict[int, Solution], bounds: dict[int, float],
                 extras: Mapping[int, list[float] | None], backlog: Backlog) -> None:
        self.block, self.forms = block, forms
        # ``place``: each member priced, by its position in the backlog (the order in
        # which their work is charged)
        self.place, self.optimal, self.bounds, self.extras = place, optimal, bounds, extras
        self.backlog = backlog
        self.read: dict[int, Solution | None] = {}
        self.settled: dict[int, Solution] | None = None

    def __getitem__(self, i: int) -> Solution:
        if i in self.optimal:
            return self.optimal[i]
        k = self.place.get(i)
        if k is None:
            raise KeyError(i)
        if i not in self.read:
            result = self.backlog.peek(k)
            self.read[i] = (None if result.x is None or result.objective is None
                            else by_tag(self.forms[i].milp, result.x))
        plan = self.read[i]
        if plan is None:  # no plan from its solve
            raise KeyError(i)
        return plan

    def __iter__(self) -> Iterator[int]:
        yield from self.optimal
        yield from (i for i in self.place if i in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def settle(self) -> dict[int, Solution]:
        """Every member's plan (waiting for all), their work charged to the clock; the
        block's Lagrangian bound (``block.dual``) when every member has one."""
        if self.settled is not None:
            return self.settled
        solved = self.backlog.settle()  # (the pool lets go of a settled backlog)
        bounded = True
        for i, result in zip(self.place, solved, strict=True):
            if result.x is None or result.objective is None:
                bounded = False  # no bound from this member, so none for the block
                continue
            extra = self.extras[i]
            value = result.objective + value_of(extra or [0.0] * len(result.x), result.x)
            self.bounds[i] = max(gaps.solver_bound(result, value),
                                 self.bounds.get(i, -math.inf))
        if bounded:
            assert self.block.form is not None
            self.block.dual = gaps.lagrangian(self.block.form.milp, self.block.prices or {},
                                              [self.bounds[i] for i in self.block.members])
        self.settled = dict(self.items())
        return self.settled


# A member's priced solve gets at most SOLVE_CAP, and less when work is short:
# PRICED_SHARE times its even share of the work left over LANES, but at least
# PRICED_FLOOR, which is also what one gets past the limit (for its rounding box alone:
# see BOX_LATE). Most take a few milliseconds, so the cap only stops the hardest; their
# plans are the start's steps, so a cap that stops them early costs the start more than
# it saves (docs/planner-design.md). Each starts from the rounding of its LP part
# (alone.solve_alone), so one stopped early keeps a plan near the LP's.
PRICED_SHARE = 8.0
PRICED_FLOOR = LEAST

# Whether a member priced past the deadline keeps the plan of its LP part's rounding
# box (see alone.solve_alone) instead of solving its whole model from it; its bound is
# then its LP part's value. The box takes a fraction of a whole solve; measured in
# docs/planner-design.md. (All of a block's members get their limits from the same
# clock reading, so they are late together or not at all.)
BOX_LATE = True


def rounding_risk(milp: Milp, primary: Sequence[float], x: Sequence[float]) -> float:
    """How much rounding ``x`` (an LP solution) is at stake: each integer column's
    distance to its nearest whole number, at its cost. It fixes the order in which the
    priced members' work is charged to the clock (see price_members)."""
    return sum(abs(c) * abs(v - round(v)) for c, v, whole in
               zip(primary, x, milp.col_integer, strict=True) if whole)


def integral(milp: Milp, x: Sequence[float]) -> bool:
    """``x`` (NaN where a column is missing) has every column and whole integers."""
    return all(not math.isnan(v) and (not integer or abs(v - round(v)) <= TOLERANCE)
               for v, integer in zip(x, milp.col_integer, strict=True))



def shadow_prices(backend: Backend, block: Block, objective: Objective,
                  clock: WorkClock | None = None,
                  ) -> tuple[dict[Key, float], list[float] | None]:
    """The shared rows' prices in the block's LP relaxation (what one more unit of the
    row's limit would save, times PRICE_MARKUP), for :func:`.blocks.sequential_start`,
    and the LP's solution (None when it has none); the LP's work is charged to
    ``clock``. The LP's optimum is kept as ``block.relaxed``: a lower bound of the block
    that HiGHS may not reach in the time a large block gets. The LP starts from
    ``block.basis`` (its merged parts' bases, see Blocks.merge) and leaves its own
    there."""
    if block.form is None:
        return {}, None
    m = block.form.milp
    primary, secondary = objectives(block.form, objective)
    solved = relax_warm(backend, m, primary, objective, block.basis, secondary)
    if clock is not None:
        clock.charge(lp_work(len(m.row_value)) if solved is None else solved.work)
    if solved is None:
        return {}, None
    x, duals = solved.x, solved.duals
    block.basis = solved.basis
    block.relaxed = value_of(primary, x)
    prices: dict[Key, float] = {}
    for tag, dual in zip(m.row_tags, duals, strict=True):
        key = coupling_key(tag)
        if key is not None and dual < -TINY_PRICE:
            prices[key] = -dual * PRICE_MARKUP
    return prices, x


# The LP leaves the marginal workload of a contested row indifferent between it and its
# next best option; the markup breaks that tie towards leaving the row to later steps.
PRICE_MARKUP = 1.001
