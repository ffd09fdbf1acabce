"""Why a plan looks the way it does, and why none exists.

- :func:`precheck` finds the plain reasons before any solver runs (no eligible offering,
  a client out of reach of every site within the SLO, a deadline no option meets, ...).
- :func:`diagnose` runs an *elastic* relaxation of an infeasible MILP: every demand,
  option, capacity, budget and minimum row gets a penalised slack; the rows that need
  slack are the ones that cannot hold together. Budgets are then compared with the
  cheapest plan that meets every other rule, so the message carries both numbers.
- :func:`bindings` reports the budgets and capacities that moved the plan: a budget at its
  limit, with a non-zero shadow price (from the LP with the integer decisions fixed), or
  whose lifting would make the plan cheaper (a budget can move whole instances and end
  well under its limit); a full capacity only when one more instance would save money.
- :func:`slo_bindings` reports latency SLOs that keep a workload off a cheaper site.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import (
    Binding,
    Budget,
    InferenceWorkload,
    Period,
    Scenario,
    TrainingWorkload,
    Workload,
)
from ..periods import span
from ..units import MONTH_HOURS
from .candidates import EPS, InferenceCandidates, TrainingCandidates, Universe
from .formulation import Formulation, build
from .milp import INF, Milp
from .solvers import Backend

__all__ = ["bindings", "diagnose", "is_tight", "precheck", "slo_bindings", "usd"]


def usd(value: float) -> str:
    return f"${value:,.2f}"


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if abs(value - round(value)) < 0.05 else f"{value:.1f} ms"


# --------------------------------------------------------------------------- pre-checks


def precheck(
    u: Universe, inference: Sequence[InferenceCandidates], training: Sequence[TrainingCandidates]
) -> list[str]:
    reasons: list[str] = []
    for cand in inference:
        reasons.extend(_inference_reasons(u, cand))
    for tcand in training:
        reasons.extend(_training_reasons(u, tcand))
    return reasons


def _no_offering(u: Universe, w: Workload) -> str:
    admitted = u.admitted_sites(w)
    keys = ", ".join(w.accelerators)
    if not admitted:
        f = w.filters
        parts = [f"{name} {list(v)}" for name, v in (("tiers", f.tiers), ("providers", f.providers),
                 ("sites", f.sites), ("jurisdictions", f.jurisdictions)) if v is not None]
        if w.datasets:
            parts.append(f"the jurisdictions of datasets {list(w.datasets)}")
        rules = ", ".join(parts) or "its rules"
        return f"{w.name}: no site is admitted by {rules}; widen the filters or add a site"
    extra = ""
    if isinstance(w, TrainingWorkload) and w.min_accelerators > 1:
        extra = f" with at least {w.min_accelerators} accelerators per node"
    return (f"{w.name}: none of its accelerators ({keys}) is offered{extra} at the "
            f"{len(admitted)} admitted site(s); add an offering or another accelerator")


def _inference_reasons(u: Universe, cand: InferenceCandidates) -> list[str]:
    w = cand.workload
    if not cand.eligible_sites:
        return [_no_offering(u, w)] if w.total_demand > 0 or w.min_instances > 0 else []
    out = []
    reached = {ci for g in cand.groups for ci, _ in g.reach}
    for client, rps in w.demand_rps.items():
        ci = u.client_index[client]
        if ci in reached or rps <= 0:
            continue
        nearest = _nearest(u, w, ci, cand.eligible_sites)
        msg = f"{w.name}: no eligible offering is within {_ms(w.latency_slo_ms)} of client {client}"
        if nearest:
            total, site, service = nearest
            msg += (f"; nearest is {u.sites[site].name} at {_ms(total)} incl. "
                    f"{_ms(service)} service")
        out.append(msg)
    if w.min_sites > len(cand.eligible_sites):
        names = ", ".join(u.sites[s].name for s in cand.eligible_sites)
        out.append(f"{w.name}: min_sites is {w.min_sites} but only {len(cand.eligible_sites)} "
                   f"site(s) have an eligible offering ({names})")
    return out


def _nearest(u: Universe, w: InferenceWorkload, ci: int,
             sites: Sequence[int]) -> tuple[float, int, float] | None:
    best: tuple[float, int, float] | None = None
    for si in sites:
        for key, profile in w.accelerators.items():
            if any(u.offers[k][1].available != 0 for k in u.by_key[si].get(key, ())):
                total = u.rtt[ci][si] + profile.latency_ms
                if best is None or total < best[0]:
                    best = (total, si, profile.latency_ms)
    return best


def _window_words(sc: Scenario, w: TrainingWorkload) -> str:
    """The time a job has, as the user set it: "its deadline of 816 h", or with a release
    "its window of 72 h (2027-02-01..02-04, release to deadline)"."""
    horizon = sc.horizon_hours
    end = min(horizon, w.deadline_hours) if w.deadline_hours is not None else horizon
    until = "deadline" if w.deadline_hours is not None and w.deadline_hours < horizon else "horizon"
    if w.release_hours <= 0:
        return f"its deadline of {end:g} h" if until == "deadline" else f"the horizon of {end:g} h"
    when = span(sc.start, Period(w.release_hours, end - w.release_hours))
    return f"its window of {end - w.release_hours:g} h ({when}, release to {until})"


def _training_reasons(u: Universe, cand: TrainingCandidates) -> list[str]:
    w = cand.workload
    if cand.eligible_offers == 0:
        return [_no_offering(u, w)]
    if not cand.options:
        unlimited = u.training(w, (), limit=math.inf, prune=False).options
        what = _window_words(u.scenario, w)
        if not unlimited:
            return [f"{w.name}: no eligible offering has capacity for it"]
        fastest = min(unlimited, key=lambda o: o.compute_hours + o.transfer_hours)
        site = u.sites[fastest.site].name
        offering = u.offers[fastest.offer][1].name
        return [f"{w.name}: no option finishes within {what}; the fastest is {fastest.nodes} x "
                f"{offering} at {site}, {fastest.compute_hours:.2f} h compute + "
                f"{fastest.transfer_hours:.2f} h moving data = "
                f"{fastest.compute_hours + fastest.transfer_hours:.2f} h"]
    if w.budget_usd is not None:
        cheapest = min(cand.options, key=lambda o: o.cost)
        if cheapest.cost > w.budget_usd + 0.005:
            return [f"{w.name}: budget_usd ({usd(w.budget_usd)}) is below its cheapest option "
                    f"({usd(cheapest.cost)}: {cheapest.nodes} x "
                    f"{u.offers[cheapest.offer][1].name} at {u.sites[cheapest.site].name})"
                    f"{_over_horizon(u)}"]
    return []


# ---------------------------------------------------------------------- elastic diagnosis


def diagnose(
    u: Universe, form: Formulation, backend: Backend, budgets: Sequence[Budget],
    time_limit: float,
) -> list[str]:
    inference = [v.cand for v in form.inference]
    training = [t.cand for t in form.training]
    total = sum(c.workload.total_demand for c in inference) or 1.0
    elastic = build(u, inference, training, budgets, total, elastic=True)
    m = elastic.milp
    result = backend.solve(m, m.penalty, None, time_limit, 1e-6)
    if result.x is None:
        return ["the solver reports no plan exists, and the elastic relaxation did not finish; "
                "raise --time-limit to get a diagnosis"]
    x = result.x
    messages: list[str] = []
    for j, tag in enumerate(m.col_tags):
        if tag[0] != "slack" or x[j] <= 1e-6:
            continue
        messages.append(_slack_message(u, form.milp, tag[1:], x[j], budgets, backend, time_limit))
    return messages or ["no plan meets every rule at once, but no single rule explains it; "
                        "relax budgets, SLOs or capacity limits one at a time to find it"]


def _slack_message(u: Universe, m: Milp, tag: tuple[object, ...], slack: float,
                   budgets: Sequence[Budget], backend: Backend, time_limit: float) -> str:
    kind = tag[0]
    if kind == "demand":
        return (f"{tag[1]}: {slack:.2f} rps of the demand from client {tag[2]} cannot be served "
                f"within its SLO with the capacity and budgets available")
    if kind == "choose":
        return (f"{tag[1]}: no option can be chosen for this training job together with the "
                f"capacity and budgets the other workloads need")
    if kind == "capacity":
        si, offering = u.offers[int(str(tag[1]))]
        available = offering.available or 0
        return (f"{u.sites[si].name}/{offering.name}: available is {available} but the "
                f"plan needs {available + slack:.2f} instances (averaged over the "
                f"horizon); raise available or admit other sites")
    if kind == "min_instances":
        return f"{tag[1]}: min_instances cannot be met ({slack:.0f} instance(s) short)"
    if kind == "min_sites":
        return f"{tag[1]}: min_sites cannot be met ({slack:.0f} site(s) short)"
    row = next(r for r, t in enumerate(m.row_tags) if t == tag)
    cheapest = _cheapest(m, row, backend, time_limit)
    if kind == "budget":
        b = budgets[int(str(tag[1]))]
        name, limit = f"budget {b.name}", b.limit_usd
    else:
        name, limit = f"{tag[1]}: budget_usd", m.row_upper[row]
    if cheapest is not None and cheapest > limit + 0.005:
        return (f"{name} ({usd(limit)}) is below the cheapest plan that meets every SLO "
                f"({usd(cheapest)}){_over_horizon(u)}")
    return (f"{name} ({usd(limit)}) cannot be met together with the other budgets and "
            f"capacity limits; it needs about {usd(slack)} more{_over_horizon(u)}")


def _over_horizon(u: Universe) -> str:
    """Budgets are written over the horizon, and so are the amounts compared with them."""
    return f" (amounts over the {u.scenario.horizon_hours:g} h horizon)"


def _cheapest(m: Milp, row: int, backend: Backend, time_limit: float) -> float | None:
    """Minimum of one budget row's expression with every budget lifted."""
    relaxed = _copy(m)
    for r, tag in enumerate(relaxed.row_tags):
        if tag[0] in ("budget", "workload_budget"):
            relaxed.row_upper[r] = INF
    objective = [0.0] * relaxed.num_cols
    index, value = relaxed.row(row)
    for j, v in zip(index, value, strict=True):
        objective[j] += v
    result = backend.solve(relaxed, objective, None, time_limit, 1e-6)
    return result.objective if result.x is not None else None


# ------------------------------------------------------------------------------ binding


@dataclass(frozen=True)
class Relaxer:
    """Re-solves a MILP with one row's limit raised, to say what relaxing it would save."""

    backend: Backend
    objective: Sequence[float]
    value: float
    gap: float
    time_limit: float
    max_columns: int = 5_000  # larger blocks: no re-solve (reported as unknown)
    max_seconds: float = 5.0  # per re-solve
    # Lifting a budget is asked of every scenario budget, not only those at their limit:
    # only in blocks this small, where a re-solve takes milliseconds, not seconds.
    max_lift_columns: int = 1_000

    def saving(self, m: Milp, row: int, delta: float,
               start: Sequence[float] | None = None) -> float | None:
        """What raising the row's limit by ``delta`` would save (``start``: the plan,
        feasible under the raised limit too, if given)."""
        if m.num_cols > self.max_columns:
            return None
        relaxed = _copy(m)
        relaxed.row_upper[row] += delta
        index, value = m.row(row)
        for j, v in zip(index, value, strict=True):
            # instance counts are also bounded by the limit itself; a column that gives
            # capacity (units bought, coefficient -1) keeps its own bound
            if relaxed.col_integer[j] and v > 0:
                relaxed.col_upper[j] += delta
        return self._resolve(relaxed, start)

    def lifted(self, m: Milp, rows: Sequence[int], start: Sequence[float],
               small_only: bool = True) -> float | None:
        """What the plan would save without the rows' limits at all (a budget lifted);
        ``start``, the plan itself, is feasible without them too. ``small_only``: only
        in blocks of at most ``max_lift_columns`` (else up to ``max_columns``)."""
        if m.num_cols > (self.max_lift_columns if small_only else self.max_columns):
            return None
        relaxed = _copy(m)
        for row in rows:
            relaxed.row_upper[row] = INF
        return self._resolve(relaxed, start)

    def moved(self, saving: float | None) -> bool:
        """Whether a re-solve's saving is real: more than half a cent, and more than
        the MIP gap both solves were allowed (a better solution within the gap is no
        evidence that the limit moved the plan)."""
        return saving is not None and saving >= max(SAVES_NOTHING, self.gap * abs(self.value))

    def _resolve(self, relaxed: Milp, start: Sequence[float] | None = None) -> float | None:
        limit = min(self.time_limit, self.max_seconds)
        result = self.backend.solve(relaxed, self.objective, None, limit, self.gap, start)
        if result.objective is None or result.status != "optimal":
            return None
        return max(self.value - result.objective, 0.0)


def _copy(m: Milp) -> Milp:
    return Milp(**{k: list(v) if isinstance(v, list) else v for k, v in vars(m).items()})


def is_tight(m: Milp, row: int, x: Sequence[float], duals: Sequence[float] | None) -> bool:
    """A capacity or budget row at its limit (a cent's slack for money, none for
    instances) or with a shadow price."""
    tolerance = 1e-6 if m.row_tags[row][0] == "capacity" else 0.005
    dual = duals[row] if duals is not None else None
    return m.activity(row, x) >= m.row_upper[row] - tolerance or bool(dual and abs(dual) > EPS)


def bindings(
    u: Universe, form: Formulation, x: Sequence[float], duals: Sequence[float] | None,
    budgets: Sequence[Budget], relaxer: Relaxer | None = None,
) -> list[Binding]:
    m = form.milp
    out = []
    for r, tag in enumerate(m.row_tags):
        kind = tag[0]
        if kind not in ("budget", "workload_budget", "capacity"):
            continue
        used = m.activity(r, x)
        limit = m.row_upper[r]
        tight = is_tight(m, r, x, duals)
        dual = duals[r] if duals is not None else None
        if kind == "capacity":
            if not tight:
                continue
            saving = relaxer.saving(m, r, 1.0) if relaxer else None
            if relaxer and saving is not None and not relaxer.moved(saving):
                continue  # full, but one more instance would not change the plan's cost
            si, offering = u.offers[int(str(tag[1]))]
            name = f"{u.sites[si].name}/{offering.name}"
            detail = f"all {offering.available} available instances are in use"
            out.append(Binding("capacity", name, detail, None, "objective per instance", saving))
            continue
        # Scenario budgets are few: each is re-solved without its limit, since one can
        # move whole instances elsewhere and end well under it. A workload's own
        # budget_usd (one per workload, too many to re-solve) only when it is at its limit.
        if not tight and kind != "budget":
            continue
        saving = relaxer.lifted(m, [r], x) if relaxer and kind == "budget" else None
        if not tight and not (relaxer and relaxer.moved(saving)):
            continue
        name = budgets[int(str(tag[1]))].name if kind == "budget" else str(tag[1])
        out.append(Binding(kind, name, _budget_detail(u, used, limit), dual, "objective per USD", saving))
    return out


SAVES_NOTHING = 0.005
"""A relaxation that saves less than half a cent over the horizon did not move the plan."""


def _budget_detail(u: Universe, used: float, limit: float) -> str:
    """Use against limit, as monthly rates like every amount a person reads."""
    h = u.scenario.horizon_hours
    share = f"{used / limit:.0%} used: " if limit > 0 else ""
    return f"{share}{usd(used / h * MONTH_HOURS)} of {usd(limit / h * MONTH_HOURS)} per month"


def slo_bindings(u: Universe, inference: Sequence[InferenceCandidates]) -> list[Binding]:
    """SLOs that keep a client's traffic off a cheaper site (by cost per served rps):
    they depend on the candidates only, not on the plan."""
    H = u.scenario.horizon_hours
    out = []
    cheapest: dict[tuple[int, str], int | None] = {}
    for cand in inference:
        w = cand.workload
        factor = 3600 * H * w.payload_kb * 1e-6
        best_in: dict[int, float] = {}
        for g in cand.groups:
            per_rps = min(unit.usd_per_hour * H / unit.cap for unit in g.units)
            per_rps += factor * u.sites[g.site].egress_usd_per_gb
            for ci, _ in g.reach:
                best_in[ci] = min(best_in.get(ci, INF), per_rps)
        for client in w.demand_rps:
            ci = u.client_index[client]
            if ci not in best_in:
                continue
            outside = _cheapest_outside(u, w, ci, cand.eligible_sites, factor, cheapest)
            if outside is None or outside[0] >= best_in[ci] * 0.99:
                continue
            per_rps, si, latency = outside
            out.append(Binding(
                "slo", f"{w.name}.latency_slo_ms",
                f"client {client}: {u.sites[si].name} serves at {usd(per_rps)} per rps over the "
                f"horizon against {usd(best_in[ci])} within the SLO, but takes {_ms(latency)} "
                f"(SLO {_ms(w.latency_slo_ms)})",
                None, "",
            ))
    return out


def _cheapest_outside(u: Universe, w: InferenceWorkload, ci: int, sites: Sequence[int],
                      factor: float, cheapest: dict[tuple[int, str], int | None],
                      ) -> tuple[float, int, float] | None:
    """The lowest cost per served rps for client ``ci`` at a site the SLO rules out:
    (cost per rps, site, latency), or None. ``cheapest``: the offering with the lowest
    price per accelerator unit of each site and accelerator (see _cheapest_unit), kept
    across the workloads: the cost per rps of an accelerator's offerings at one site
    is that price times a factor of the workload."""
    best: tuple[float, int, float] | None = None
    H = u.scenario.horizon_hours
    for si in sites:
        for key, profile in w.accelerators.items():
            latency = u.rtt[ci][si] + profile.latency_ms
            if latency <= w.latency_slo_ms + EPS or profile.rps * w.max_utilization <= 0:
                continue
            if (si, key) not in cheapest:
                cheapest[si, key] = _cheapest_unit(u, si, key)
            k = cheapest[si, key]
            if k is None:
                continue
            o = u.offers[k][1]
            cap = o.units * profile.rps * w.max_utilization
            per_rps = o.usd_per_hour * H / cap + factor * u.sites[si].egress_usd_per_gb
            if best is None or per_rps < best[0]:
                best = (per_rps, si, latency)
    return best


def _cheapest_unit(u: Universe, si: int, key: str) -> int | None:
    """The offering of accelerator ``key`` at site ``si`` with the lowest price per
    accelerator unit (the first of equals), among those with any available."""
    best: int | None = None
    ratio = INF
    for k in u.by_key[si].get(key, ()):
        o = u.offers[k][1]
        if o.available == 0 or o.units <= 0:
            continue
        if o.usd_per_hour / o.units < ratio:
            best, ratio = k, o.usd_per_hour / o.units
    return best
