"""Buy or rent (SPEC 5.3): when one more owned instance pays for itself.

An owned instance bought at hour T costs fixed_usd_per_hour for every hour from T to H,
used or not; each hour it runs instead of a rented instance saves the rent less its
power. It pays when used for more than fixed / (rent - power) of its hours: the
break-even utilisation. The rent is the cheapest offering that is not owned with the
same accelerator, scaled to the owned instance's accelerator count.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import Binding, Offering, Plan, Scenario
from .explain import usd

__all__ = ["break_even", "buy_explanations", "ordinal"]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _rent(scenario: Scenario, o: Offering) -> tuple[float, str] | None:
    """The cheapest rent of the same accelerators (per owned instance-hour), and where."""
    best: tuple[float, str] | None = None
    for site in scenario.sites:
        for r in site.offerings:
            if r.owned or r.accelerator != o.accelerator or r.units <= 0 or r.available == 0:
                continue
            rent = r.usd_per_hour / r.units * o.units
            if best is None or rent < best[0]:
                best = (rent, f"{site.name}/{r.name}")
    return best


def break_even(scenario: Scenario, o: Offering) -> tuple[float, float, str] | None:
    """(utilisation at which one more instance pays, the rent, where) or None when
    renting the same accelerators is not possible or never dearer than power."""
    if o.fixed_usd_per_hour is None or o.accelerator is None:
        return None
    rent = _rent(scenario, o)
    if rent is None or rent[0] <= o.usd_per_hour:
        return None
    return o.fixed_usd_per_hour / (rent[0] - o.usd_per_hour), rent[0], rent[1]


def buy_explanations(scenario: Scenario, plan: Plan,
                     extra: Mapping[tuple[str, str], float | None] | None = None,
                     ) -> list[Binding]:
    """For every offering that may be bought: what was bought, what it saves against
    renting, and the utilisation at which the next unit pays for itself; when none was
    bought, how much the owned units are used and what buying one would add (``extra``,
    from a re-solve with one bought)."""
    out = []
    offerings = {(s.name, o.name): o for s in scenario.sites for o in s.offerings}
    for u in plan.owned:
        o = offerings[(u.site, u.offering)]
        if o.buy_max <= 0:
            continue
        found = break_even(scenario, o)
        have = u.available + u.bought
        bought = (f"the plan buys {u.bought} (of at most {o.buy_max})" if u.bought else
                  f"the plan buys none: the {u.available} owned are used {u.utilisation:.0%} "
                  f"of their hours")
        more = (extra or {}).get((u.site, u.offering))
        if not u.bought and more is not None and more >= 0.005:
            bought += f", and buying one would add {usd(more)} to the plan's cost"
        if u.bought and u.saving_usd is not None:
            bought += f", saving {usd(u.saving_usd)} against renting"
        elif u.bought and u.required:
            bought += "; without them no plan meets every budget and capacity limit"
        if found is None:
            detail = f"{bought}; renting its accelerators is not dearer than its power"
        else:
            share, rent, where = found
            pays = (f"a {ordinal(have + 1)} {o.name} pays for itself at {share:.0%} utilisation"
                    if share <= 1 else f"a {ordinal(have + 1)} {o.name} never pays for itself "
                    f"(it would need {share:.0%} utilisation)")
            detail = (f"{pays} (fixed {usd(o.fixed_usd_per_hour or 0.0)}/h against renting "
                      f"{where} at {usd(rent)}/h less power {usd(o.usd_per_hour)}/h); {bought}")
        out.append(Binding("buy", f"{u.site}/{u.offering}", detail))
    return out
