"""The mixed-integer program of SPEC section 2, over prepared candidates.

Notation: H horizon hours; w workloads; g routing groups (offerings of one site with one
service latency, see :mod:`.candidates`); u units (offerings) of a group; c clients;
t training options; o capacity-limited offerings; b budgets.

Variables
    n[w,g,u] in Z+        instances of offering u for inference workload w
                          (upper bound: enough for all traffic the group can reach, or
                          min_instances, capped by ``available``)
    y[w,g,c] >= 0         rps of client c served by group g (only where rtt + service <= SLO)
    z[w,s]   in {0,1}     site s hosts workload w (only when min_sites > 1)
    x[w,t]   in {0,1}     training option t is chosen

Constraints
    demand        sum_g y[w,g,c] = demand[w,c]                      for every client with demand
    group cap     sum_c y[w,g,c] <= sum_u cap[u] * n[w,g,u]         cap = units * rps * max_util
    route cap     y[w,g,c] <= sum_u min(cap[u], demand[w,c]) * n[w,g,u]   (valid cut, see below)
    cover         sum_{g reaching S,u} min(cap[u], d_S) * n[w,g,u] >= d_S
                  for S = all clients and each single client (valid cuts, see cuts.cover_cuts)
    min instances sum_{g,u} n[w,g,u] >= min_instances
    min sites     z[w,s] <= sum_{g at s,u} n[w,g,u];  sum_s z[w,s] >= min_sites
    one option    sum_t x[w,t] = 1                                  for every training workload
    capacity      sum_w n[w,.,o] + sum_{w,t on o} x[w,t] * nodes*hours / H <= available[o]
                  (this is SPEC's  n*H + instance-hours <= available*H  divided by H; it also
                  implies n <= available because instance-hours >= 0)
    budgets       cost of w <= budget_usd[w];  sum of matching costs <= limit[b]

Churn (only when the planner is given the instances running now, cur[w,u], and a
penalty P per instance started or stopped, as the autoscaler does)
    d[w,u] >= 0           d >= n - cur,  d >= cur - n   (so d = |n - cur|), cost + P * d
                          where cur = 0 the penalty goes straight onto n (d = n);
                          budgets and reported costs never include it

Objective coefficients (two vectors; the planner orders them lexicographically)
    cost          n: usd_per_hour * H;  y: 3600 * H * payload_kb * 1e-6 * egress_usd_per_gb(s);
                  x: k * price * compute_hours + transfer USD
    latency       y: (rtt + service) / total demand   (sum = demand-weighted mean, ms)

With ``elastic=True`` every demand, option, capacity, budget and minimum row gets a
non-negative slack column with a normalised penalty; minimising the penalties tells which
constraints cannot hold together and by how much.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from ..errors import InputError
from ..model import Budget, Objective
from ..units import LARGEST
from .candidates import (
    EPS,
    InferenceCandidates,
    TrainingCandidates,
    Universe,
    budget_matches,
)
from .cuts import cover_cuts, route_cuts
from .milp import INF, Milp

__all__ = ["Formulation", "InferenceVars", "TrainingVars", "build", "extend", "join",
           "objectives"]


@dataclass
class InferenceVars:
    cand: InferenceCandidates
    # per group, per unit: column (None when bound to 0); tuples, which the garbage
    # collector stops tracking (~70k of them at 1,000 workloads)
    n: list[tuple[int | None, ...]]
    y: list[dict[int, int]]  # per group: client index -> column


@dataclass
class TrainingVars:
    cand: TrainingCandidates
    x: list[int]


@dataclass
class Formulation:
    milp: Milp
    inference: list[InferenceVars] = field(default_factory=list)
    training: list[TrainingVars] = field(default_factory=list)


def objectives(form: Formulation, objective: Objective) -> tuple[list[float], list[float]]:
    """The model's (primary, tie-break) objective vectors under ``objective``."""
    m = form.milp
    return (m.cost, m.latency) if objective == "cost" else (m.latency, m.cost)


# Elastic weights: demand and jobs are what users need; budgets and capacity limits are
# what they can change, so the relaxation blames those first.
_SOFT_WEIGHT = {
    "budget": 1.0, "workload_budget": 1.0, "capacity": 1.0,
    "demand": 1000.0, "choose": 1000.0, "min_instances": 1000.0, "min_sites": 1000.0,
}


class _Writer:
    def __init__(self, universe: Universe, elastic: bool, capacity: Mapping[int, float]) -> None:
        self.u = universe
        self.left = capacity
        self.m = Milp()
        self.elastic = elastic
        self.H = universe.scenario.horizon_hours
        # Per row family: (column, coefficient) lists gathered while columns are created.
        self.capacity: dict[int, list[tuple[int, float]]] = defaultdict(list)
        self.budget_terms: dict[int, list[tuple[int, float]]] = defaultdict(list)

    def limit(self, offer: int) -> float:
        """Instances of a limited offering this model may use (never below 0)."""
        available = self.u.offers[offer][1].available
        return max(0.0, self.left.get(offer, float(available or 0)))

    def row(
        self, tag: tuple[object, ...], terms: Sequence[tuple[int, float]],
        lower: float = -INF, upper: float = INF, scale: float = 1.0,
    ) -> None:
        index = [c for c, _ in terms]
        value = [v for _, v in terms]
        if self.elastic and tag[0] in _SOFT_WEIGHT:
            # Slack relaxes the row in the direction that makes it easier to satisfy.
            sign = 1.0 if lower > -INF else -1.0
            weight = _SOFT_WEIGHT[str(tag[0])]
            slack = self.m.add_col(("slack", *tag), penalty=weight / max(scale, 1.0))
            index.append(slack)
            value.append(sign)
        self.m.add_row(tag, index, value, lower, upper)


def build(
    universe: Universe,
    inference: Sequence[InferenceCandidates],
    training: Sequence[TrainingCandidates],
    budgets: Sequence[Budget],
    total_demand: float,
    elastic: bool = False,
    capacity: Mapping[int, float] | None = None,
) -> Formulation:
    """Write the MILP for one set of workloads (a block, or the whole scenario).

    ``capacity`` overrides ``available`` per limited offering (what other workloads left).
    """
    wr = _Writer(universe, elastic, capacity or {})
    f = Formulation(wr.m)
    for cand in inference:
        f.inference.append(_inference(wr, cand, budgets, total_demand))
    for tcand in training:
        f.training.append(_training(wr, tcand, budgets))
    for offer, terms in sorted(wr.capacity.items()):
        limit = wr.limit(offer)
        wr.row(("capacity", offer), terms, upper=limit, scale=limit)
    for b, terms in sorted(wr.budget_terms.items()):
        wr.row(("budget", b), terms, upper=budgets[b].limit_usd, scale=budgets[b].limit_usd)
    _check_magnitudes(wr.m, universe)
    return f


def join(forms: Sequence[Formulation]) -> Formulation:
    """The model :func:`build` writes for a block, from its workloads' own models (each
    written by :func:`build` for that one workload, with the same budgets and total
    demand and no ``capacity``), in the order build takes them: inference workloads
    first.

    A workload's rows hold only its own columns, but for the shared ones (capacity and
    budget rows), which its own model holds with its terms alone; those are summed, and
    come after the others as build writes them. Copying is cheaper than writing again
    (a 546-workload block of the benchmark: 0.1 s instead of 0.7 s)."""
    joined = Formulation(Milp())
    shared: dict[tuple[object, ...], _Terms] = {}
    for form in sorted(forms, key=lambda f: not f.inference):  # stable: inference first
        _append(joined, form, shared)
    _write_shared(joined.milp, shared)
    return joined


def extend(joined: Formulation, forms: Sequence[Formulation]) -> Formulation:
    """``joined`` (a model from :func:`join`) with more workloads' own models added, in
    place: its shared rows are taken off the end and written again with the new terms,
    so only those and the new models are copied (a block that one more workload joins
    is not copied again). The new workloads' columns come after the others, so the
    model is :func:`join`'s up to the order of its columns and rows."""
    m = joined.milp
    shared: dict[tuple[object, ...], _Terms] = {}
    first = len(m.row_tags)
    while first and m.row_tags[first - 1][0] in _SHARED:
        first -= 1
    for r in range(first, len(m.row_tags)):
        a, b = m.row_start[r], m.row_start[r + 1]
        shared[m.row_tags[r]] = (m.row_index[a:b], m.row_value[a:b], m.row_lower[r],
                                 m.row_upper[r])
    cut = m.row_start[first]
    del m.row_index[cut:], m.row_value[cut:], m.row_start[first + 1:]
    del m.row_lower[first:], m.row_upper[first:], m.row_tags[first:]
    for form in forms:
        _append(joined, form, shared)
    _write_shared(m, shared)
    return joined


_Terms = tuple[list[int], list[float], float, float]  # a shared row: index, value, bounds


def _append(joined: Formulation, form: Formulation,
            shared: dict[tuple[object, ...], _Terms]) -> None:
    """Copy ``form``'s columns, its own rows and its variables into ``joined``; gather its
    terms of the shared rows in ``shared``."""
    m = joined.milp
    src, shift = form.milp, m.num_cols
    m.col_lower.extend(src.col_lower)
    m.col_upper.extend(src.col_upper)
    m.col_integer.extend(src.col_integer)
    m.cost.extend(src.cost)
    m.latency.extend(src.latency)
    m.penalty.extend(src.penalty)
    m.col_tags.extend(src.col_tags)
    starts, tags = src.row_start, src.row_tags
    # build writes the shared rows last: the own rows before them are copied in bulk.
    own = len(tags)
    while own and tags[own - 1][0] in _SHARED:
        own -= 1
    if any(tag[0] in _SHARED for tag in tags[:own]):
        own = 0  # not build's order: every row on its own below
    m.copy_rows(src, 0, own, shift)
    for r in range(own, len(tags)):
        tag = tags[r]
        index = [j + shift for j in src.row_index[starts[r]:starts[r + 1]]]
        value = src.row_value[starts[r]:starts[r + 1]]
        if tag[0] in _SHARED:
            terms = shared.setdefault(tag, ([], [], src.row_lower[r], src.row_upper[r]))
            terms[0].extend(index)
            terms[1].extend(value)
        else:
            m.add_row(tag, index, value, src.row_lower[r], src.row_upper[r])
    for iv in form.inference:
        joined.inference.append(InferenceVars(
            iv.cand, [tuple([None if j is None else j + shift for j in units]) for units in iv.n],
            [{c: j + shift for c, j in ys.items()} for ys in iv.y]))
    for tv in form.training:
        joined.training.append(TrainingVars(tv.cand, [j + shift for j in tv.x]))


def _write_shared(m: Milp, shared: Mapping[tuple[object, ...], _Terms]) -> None:
    """The shared rows, after the others, as :func:`build` writes them."""
    for kind in _SHARED:
        for tag in sorted((t for t in shared if t[0] == kind), key=lambda t: cast(int, t[1])):
            index, value, lower, upper = shared[tag]
            m.add_row(tag, index, value, lower, upper)


# The rows build writes once for all the workloads of a model, in this order.
_SHARED = ("capacity", "budget")


def _check_magnitudes(m: Milp, universe: Universe) -> None:
    """Refuse a model whose numbers no solver can plan with exactly (each input is
    finite, but products such as price x horizon or demand / per-instance rps can still
    be astronomically large, or overflow to infinity), naming the workload whose
    numbers to check. Only bounds may be infinite: that is no bound."""
    cost = _first_large(m.cost)
    if cost is not None:
        _too_large(str(m.col_tags[cost][1]), "a cost", m.cost[cost])
    upper = _first_large(m.col_upper, bound=True)
    if upper is not None:
        _too_large(str(m.col_tags[upper][1]), "an instance count", m.col_upper[upper])
    for values, row_of, bound in ((m.row_value, lambda k: bisect_right(m.row_start, k) - 1, False),
                                  (m.row_lower, int, True), (m.row_upper, int, True)):
        k = _first_large(values, bound)
        if k is not None:
            tag = m.row_tags[row_of(k)]
            who = (f"budgets[{tag[1]}]" if tag[0] == "budget" else
                   f"offering {universe.offer_names[cast(int, tag[1])]}" if tag[0] == "capacity"
                   else str(tag[1]))
            _too_large(who, f"a {tag[0]} figure", values[k])


def _first_large(values: Sequence[float], bound: bool = False) -> int | None:
    """The index of the first value above LARGEST in size, infinite or NaN (a ``bound``
    may be infinite)."""
    if bound:  # the common case first, at C speed
        fine = (max(map(abs, filter(math.isfinite, values)), default=0.0) <= LARGEST
                and not any(map(math.isnan, values)))
    else:
        fine = max(map(abs, values), default=0.0) <= LARGEST and not math.isnan(sum(values))
    if fine:
        return None
    return next((k for k, v in enumerate(values)
                 if not abs(v) <= LARGEST and not (bound and abs(v) == INF)), None)


def _too_large(workload: str, what: str, value: float) -> None:
    raise InputError(
        f"{workload}: {what} of {value:.3g} is too large to plan exactly (limit {LARGEST:g}); "
        "check the numbers it is made of: prices, horizon_hours, demand (demand_rps, or a "
        "simulation's demand, headroom and scale), the accelerators' rps, payload_kb, "
        "egress_usd_per_gb, available, budgets, churn_usd")


def _inference(
    wr: _Writer, cand: InferenceCandidates, budgets: Sequence[Budget], total_demand: float
) -> InferenceVars:
    w = cand.workload
    m, u, H = wr.m, wr.u, wr.H
    egress_factor = 3600 * H * w.payload_kb * 1e-6
    matching = {si: [b for b, bud in enumerate(budgets) if budget_matches(bud, w, u.sites[si])]
                for si in {g.site for g in cand.groups}}
    demand_of = {u.client_index[c]: d for c, d in w.demand_rps.items()}
    own_terms: list[tuple[int, float]] = []
    all_n: list[tuple[int, float]] = []
    by_site: dict[int, list[tuple[int, float]]] = defaultdict(list)
    per_client: dict[int, list[tuple[int, float]]] = defaultdict(list)
    need_site_vars = w.min_sites > 1
    v = InferenceVars(cand, [], [])
    for gi, g in enumerate(cand.groups):
        site = u.sites[g.site]
        reach_demand = sum(demand_of[ci] for ci, _ in g.reach)
        floor = max(w.min_instances, 1 if need_site_vars else 0)
        cols: list[int | None] = []
        cap_terms: list[tuple[int, float]] = []
        budgets_here = matching[g.site]
        for unit in g.units:
            limited = u.offers[unit.offer][1].available is not None
            running = u.current[w.name].get(unit.offer, 0) if u.churn_usd else 0
            # Keeping more than demand needs can be cheaper than the churn of stopping them.
            need = reach_demand / unit.cap
            if not need <= LARGEST:
                _too_large(w.name, "an instance count", need)
            upper = max(math.ceil(need - EPS), floor, running)
            if limited:
                upper = min(upper, math.floor(wr.limit(unit.offer) + EPS))
            if upper <= 0:
                cols.append(None)
                continue
            cost = unit.usd_per_hour * H
            churn = u.churn_usd if u.churn_usd and not running else 0.0
            col = m.add_col(("n", w.name, gi, unit.offer), 0, upper, True, cost + churn)
            if running:
                d = m.add_col(("churn", w.name, gi, unit.offer), 0, INF, False, u.churn_usd)
                m.add_row(("churn_up", w.name, gi, unit.offer), [d, col], [1.0, -1.0], -running, INF)
                m.add_row(("churn_down", w.name, gi, unit.offer), [d, col], [1.0, 1.0], running, INF)
            cols.append(col)
            cap_terms.append((col, -unit.cap))
            all_n.append((col, 1.0))
            by_site[g.site].append((col, 1.0))
            own_terms.append((col, cost))
            for b in budgets_here:
                wr.budget_terms[b].append((col, cost))
            if limited:
                wr.capacity[unit.offer].append((col, 1.0))
        ys: dict[int, int] = {}
        egress = egress_factor * site.egress_usd_per_gb
        for ci, latency_ms in g.reach:
            demand = demand_of[ci]
            col = m.add_col(("y", w.name, gi, ci), 0, demand, False, egress,
                            latency_ms / total_demand)
            ys[ci] = col
            per_client[ci].append((col, 1.0))
            cap_terms.append((col, 1.0))
            if egress:
                own_terms.append((col, egress))
                for b in budgets_here:
                    wr.budget_terms[b].append((col, egress))
        if ys:
            m.add_row(("group_capacity", w.name, gi), [c for c, _ in cap_terms],
                      [x for _, x in cap_terms], -INF, 0.0)
            route_cuts(m, w.name, gi, g, cols, ys, demand_of)
        v.n.append(tuple(cols))
        v.y.append(ys)
    if not wr.elastic:  # the cuts restate demand, which the elastic model may relax
        cover_cuts(m, w.name, cand, v.n, {ci: demand_of[ci] for g in cand.groups
                                         for ci, _ in g.reach})
    for client, demand in w.demand_rps.items():
        ci = u.client_index[client]
        wr.row(("demand", w.name, client), per_client.get(ci, []), demand, demand, scale=demand)
    if w.min_instances > 0:
        wr.row(("min_instances", w.name), all_n, lower=w.min_instances, scale=w.min_instances)
    if need_site_vars:
        z_terms = []
        for si, terms in sorted(by_site.items()):
            z = m.add_col(("z", w.name, si), 0, 1, True)
            wr.row(("site_used", w.name, si), [(z, 1.0)] + [(c, -1.0) for c, _ in terms], upper=0)
            z_terms.append((z, 1.0))
        wr.row(("min_sites", w.name), z_terms, lower=w.min_sites, scale=w.min_sites)
    if w.budget_usd is not None:
        wr.row(("workload_budget", w.name), own_terms, upper=w.budget_usd, scale=w.budget_usd)
    return v


def _training(wr: _Writer, cand: TrainingCandidates, budgets: Sequence[Budget]) -> TrainingVars:
    w = cand.workload
    m, u = wr.m, wr.u
    cols = []
    own_terms = []
    for ti, opt in enumerate(cand.options):
        cost = opt.cost
        col = m.add_col(("x", w.name, ti), 0, 1, True, cost)
        cols.append(col)
        own_terms.append((col, cost))
        site = u.sites[opt.site]
        for b, bud in enumerate(budgets):
            if budget_matches(bud, w, site):
                wr.budget_terms[b].append((col, cost))
        if u.offers[opt.offer][1].available is not None:
            wr.capacity[opt.offer].append((col, opt.instance_hours / wr.H))
    wr.row(("choose", w.name), [(c, 1.0) for c in cols], 1.0, 1.0)
    if w.budget_usd is not None:
        wr.row(("workload_budget", w.name), own_terms, upper=w.budget_usd, scale=w.budget_usd)
    return TrainingVars(cand, cols)
