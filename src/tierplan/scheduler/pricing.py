"""A merged block's prices: the shadow prices of its shared rows in its LP relaxation,
and its members' own models solved at those prices (their solutions for the start,
their bounds for the block's Lagrangian bound, see :func:`.gaps.lagrangian`)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

from ..model import Objective
from . import gaps
from .blocks import TINY_PRICE, TOLERANCE, Block, Key, coupling_key, priced
from .formulation import Formulation, objectives
from .milp import Milp, by_tag, rounded, value_of
from .pool import Pool
from .solvers import Backend

__all__ = ["PRICED_FLOOR", "PRICED_SHARE", "PRICE_MARKUP", "integral", "price_members",
           "shadow_prices"]


def price_members(pool: Pool, block: Block, forms: Mapping[int, Formulation],
                  prices: Mapping[Key, float], alone: Mapping[int, float],
                  objective: Objective, deadline: float, lp: Sequence[float] | None = None,
                  ) -> dict[int, dict[tuple[object, ...], float]]:
    """Solve each member's own model (``forms``: the block's rows but the shared ones)
    at the shared rows' prices, side by side in the workers: their bounds give the
    block's Lagrangian bound (``block.dual``, see gaps.lagrangian), and their
    solutions, by column tag, are the start's steps where they fit what it leaves.

    Two kinds of member need no solve. One that pays no price has its solo optimum
    already (``alone``: its bound). One whose part of the block's LP solution ``lp`` is
    integral has it: at the LP's own prices (``prices`` / PRICE_MARKUP) that part is
    optimal for the member's LP (LP duality), so for its MILP too; its value there is
    a lower bound at the marked-up prices as well, as prices only add to a plan (less
    the LP's tolerance, as for ``block.relaxed``). The others start from the rounding
    of their part of the LP (its hint, see pool.solve_alone)."""
    assert block.form is not None
    extras = {i: priced(forms[i].milp, prices) for i in block.members}
    bounds: dict[int, float] = {}
    optimal: dict[int, dict[tuple[object, ...], float]] = {}
    at_lp = dict(zip(block.form.milp.col_tags, lp, strict=True)) if lp is not None else {}
    hints: dict[int, list[float]] = {}  # members' parts of the LP, to round (see below)
    for i in block.members:
        extra = extras[i]
        if extra is None and i in alone:
            bounds[i] = alone[i]
            continue
        m = forms[i].milp
        x = [at_lp.get(t, math.nan) for t in m.col_tags]
        if lp is not None and integral(m, x):
            x = rounded(m.col_integer, x)
            primary = objectives(forms[i], objective)[0]
            value = sum((c + e / PRICE_MARKUP) * v for c, e, v in
                        zip(primary, extra or [0.0] * len(x), x, strict=True))
            bounds[i] = gaps.lp_bound(value)
            optimal[i] = by_tag(m, x)
        elif lp is not None and not any(map(math.isnan, x)):
            hints[i] = x
    todo = [i for i in block.members if i not in bounds]
    per = (deadline - time.time()) * pool.workers / max(len(todo), 1)
    cap = min(1.0, max(PRICED_SHARE * per, PRICED_FLOOR))
    solved = pool.alone([(forms[i], extras[i]) for i in todo], objective, deadline, cap,
                        PRICED_FLOOR, [hints.get(i) for i in todo])
    for i, result in zip(todo, solved, strict=True):
        if result.x is None or result.objective is None:
            return optimal  # no bound from this member, so none for the block
        value = result.objective + value_of(extras[i] or [0.0] * len(result.x), result.x)
        bounds[i] = gaps.solver_bound(result, value)
        optimal[i] = by_tag(forms[i].milp, result.x)
    block.dual = gaps.lagrangian(block.form.milp, prices, [bounds[i] for i in block.members])
    return optimal



# A member's priced solve gets at most a second, and less when time is short: PRICED_SHARE
# times its even share of the workers' time left, but at least PRICED_FLOOR, which is
# also what one gets past the limit. Most take a few milliseconds, so the cap only
# stops the hardest early; with 60 s at 1,000 workloads it stays 1 s. Each starts from
# the rounding of its LP part (pool.solve_alone), so one stopped early keeps a plan
# near the LP's: without that its plan was its first rounding (the 80 hardest of 322
# at 1,000 workloads: $1.79M at 0.05 s against $0.50M at 0.2 s), and a floor below
# 0.2 s saved nothing. With it, at 1,000 workloads and a 10 s limit: 0.05 s against
# 0.1 s, three runs each back to back, 9.95-10.47 s and gap 1.39-1.47 % against
# 10.09-10.99 s and 1.30-1.36 %; against 0.2 s without the rounding, 11.2-11.6 s
# instead of 14.5-14.6 s in a slow hour, gap 1.7 % instead of 1.25 %.
PRICED_SHARE = 4.0
PRICED_FLOOR = 0.05


def integral(milp: Milp, x: Sequence[float]) -> bool:
    """``x`` (NaN where a column is missing) has every column and whole integers."""
    return all(not math.isnan(v) and (not integer or abs(v - round(v)) <= TOLERANCE)
               for v, integer in zip(x, milp.col_integer, strict=True))



def shadow_prices(backend: Backend, block: Block, objective: Objective
                  ) -> tuple[dict[Key, float], list[float] | None]:
    """The shared rows' prices in the block's LP relaxation (what one more unit of the
    row's limit would save, times PRICE_MARKUP), for :func:`.blocks.sequential_start`,
    and the LP's solution (None when it has none). The LP's optimum is kept as
    ``block.relaxed``: a lower bound of the block that HiGHS may not reach in the time
    a large block gets."""
    if block.form is None:
        return {}, None
    m = block.form.milp
    primary, _ = objectives(block.form, objective)
    solved = backend.relax(m, primary)
    if solved is None:
        return {}, None
    x, duals = solved
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
