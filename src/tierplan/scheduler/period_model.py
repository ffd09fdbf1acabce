"""The mixed-integer program of SPEC section 5.2 over periods p (lengths L_p).

It is section 2's model (:mod:`.formulation`) written once per period, with training
spread over the periods and owned hardware that may be bought:

    n[w,g,u,p] in Z+   instances in period p        y[w,g,c,p] >= 0   rps in period p
    x[w,t] in {0,1}    training option t            h[w,t,p] >= 0     its instance-hours in p
    b[o] in Z+         instances of o bought (0..buy.max), there from period T[o] on

    demand      sum_g y[w,g,c,p] = d[w,c,p]
    group cap   sum_c y[w,g,c,p] <= sum_u cap[u] n[w,g,u,p]   (and the cuts of formulation)
    minimums    min_instances / min_sites in every period with demand
    hours       sum_p h[w,t,p] = k compute_hours x[w,t];  h[w,t,p] <= k x overlap(window, p)
    nodes       k x[w,t] - b[o] <= available[o]           (an option that needs bought units;
                                                           its h is 0 before T[o])
    capacity    sum n[.,o,p] + sum h[.,o,p] / L_p - [p >= T] b[o] <= available[o]
    budgets     horizon: usage + fixed (H - t_T) b[o] <= limit - committed it covers
                per period: usage in p + [p >= T] fixed L_p b[o] <= limit - committed in p

Cost: n price L_p, y egress L_p, x the option's cost, b fixed (H - t_T) under sunk.
With one period and nothing to buy this is the model of :mod:`.formulation`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from ..model import Budget, InferenceWorkload, Scenario, TrainingWorkload
from . import ledger
from .candidates import (
    EPS,
    InferenceCandidates,
    TrainingCandidates,
    TrainOption,
    Universe,
    budget_matches,
)
from .cuts import cover_cuts, route_cuts
from .formulation import _SOFT_WEIGHT
from .milp import INF, Milp

__all__ = ["PeriodModel", "build_periods", "join_periods", "overlap_hours"]


@dataclass
class PeriodInference:
    cand: InferenceCandidates
    # per period, group, unit (a group's as a tuple: the collector stops walking those,
    # and a plan of 100 workloads x 13 periods keeps ~30k of them)
    n: list[list[tuple[int | None, ...]]]
    y: list[list[dict[int, int]]]  # per period, group: client -> column


@dataclass
class PeriodTraining:
    cand: TrainingCandidates
    x: list[int | None]  # None: the option cannot fit its window
    h: list[list[int | None]]  # per option, per period (None: no hours there)
    hours: list[list[float]]  # per option: k x overlap per period (the most it can run)


@dataclass
class PeriodModel:
    milp: Milp
    inference: list[PeriodInference] = field(default_factory=list)
    training: list[PeriodTraining] = field(default_factory=list)
    bought: dict[int, int] = field(default_factory=dict)  # offer -> b column
    demand_hours: float = 0.0  # what the latency objective is weighted by (rps x hours)


def overlap_hours(scenario: Scenario, w: TrainingWorkload, opt: TrainOption,
                  first: int = 0) -> list[float]:
    """Hours each period shares with the option's window (release + transfer to
    deadline or H), from period ``first`` on."""
    end = min(scenario.horizon_hours, w.deadline_hours or scenario.horizon_hours)
    begin = w.release_hours + opt.transfer_hours
    return [max(0.0, min(end, p.end_hour) - max(begin, p.start_hour)) if i >= first else 0.0
            for i, p in enumerate(scenario.timeline)]


class _Writer:
    def __init__(self, universe: Universe, budgets: Sequence[Budget], elastic: bool) -> None:
        self.u = universe
        self.sc = universe.scenario
        self.periods = self.sc.timeline
        self.budgets = budgets
        self.elastic = elastic
        self.m = Milp()
        self.capacity: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
        self.budget_terms: dict[tuple[int, int | None], list[tuple[int, float]]] = defaultdict(list)
        self.arrival = {k: ledger.arrival(self.sc, o) for k, (_, o) in enumerate(universe.offers)}
        self.bought: dict[int, int] = {}  # offer -> b column
        self.matches: dict[tuple[str, int], list[tuple[int, bool]]] = {}  # see charge

    def row(self, tag: tuple[object, ...], terms: Sequence[tuple[int, float]],
            lower: float = -INF, upper: float = INF, scale: float = 1.0) -> None:
        index = [c for c, _ in terms]
        value = [v for _, v in terms]
        if self.elastic and tag[0] in _SOFT_WEIGHT:
            sign = 1.0 if lower > -INF else -1.0
            slack = self.m.add_col(("slack", *tag), penalty=_SOFT_WEIGHT[str(tag[0])] / max(scale, 1.0))
            index.append(slack)
            value.append(sign)
        self.m.add_row(tag, index, value, lower, upper)

    def charge(self, w: InferenceWorkload | TrainingWorkload, site: int, col: int,
               usd: float, period: int | None) -> None:
        """Add a cost term to the budgets it counts in: horizon budgets, and the
        per-period ones of ``period`` (None: a cost whose period the caller charges)."""
        key = (w.name, site)
        matches = self.matches.get(key)
        if matches is None:  # a workload's columns at a site count in the same budgets
            matches = self.matches[key] = [
                (b, bud.per_period) for b, bud in enumerate(self.budgets)
                if budget_matches(bud, w, self.u.sites[site])]
        for b, per_period in matches:
            if not per_period:
                self.budget_terms[(b, None)].append((col, usd))
            elif period is not None:
                self.budget_terms[(b, period)].append((col, usd))

    def limit(self, offer: int) -> float:
        return float(self.u.offers[offer][1].available or 0)


def build_periods(universe: Universe, inference: Sequence[InferenceCandidates],
                  training: Sequence[TrainingCandidates], budgets: Sequence[Budget],
                  elastic: bool = False) -> PeriodModel:
    wr = _Writer(universe, budgets, elastic)
    model = PeriodModel(wr.m)
    used = {unit.offer for c in inference for g in c.groups for unit in g.units}
    used |= {o.offer for c in training for o in c.options}
    _buy_columns(wr, used)
    model.bought = wr.bought
    model.demand_hours = sum(c.workload.demand_in(cl, p) * q.hours for c in inference
                             for cl in c.workload.demand_rps for p, q in enumerate(wr.periods))
    weight = model.demand_hours or 1.0
    for cand in inference:
        model.inference.append(_inference(wr, cand, weight))
    for tcand in training:
        model.training.append(_training(wr, tcand))
    _buy_terms(wr)
    for (offer, p), terms in sorted(wr.capacity.items()):
        limit = wr.limit(offer)
        wr.row(("capacity", offer, p), terms, upper=limit, scale=limit)
    sc = universe.scenario
    for (b, when), terms in sorted(wr.budget_terms.items(),
                                   key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1])):
        bud = budgets[b]
        room = bud.limit_usd - ledger.budget_committed(sc, bud, when)
        wr.row(("budget", b, when), terms, upper=room, scale=bud.limit_usd)
    return model


def _buy_columns(wr: _Writer, used: set[int]) -> None:
    """b[o] for every offering the model's workloads may use that can be bought in time:
    paid from its arrival."""
    H = wr.sc.horizon_hours
    for k, (_, o) in enumerate(wr.u.offers):
        t = wr.arrival[k]
        if t is None or o.fixed_usd_per_hour is None or k not in used:
            continue
        start = wr.periods[t].start_hour
        wr.bought[k] = wr.m.add_col(("b", k), 0, o.buy_max, True,
                                    o.fixed_usd_per_hour * (H - start))


def _buy_terms(wr: _Writer) -> None:
    """b[o] in the capacity rows from its arrival on, and in the budgets that cover it."""
    H = wr.sc.horizon_hours
    for k, b in wr.bought.items():
        si, o = wr.u.offers[k]
        t = wr.arrival[k]
        assert t is not None and o.fixed_usd_per_hour is not None
        fixed = o.fixed_usd_per_hour
        start = wr.periods[t].start_hour
        for p in range(t, len(wr.periods)):
            if (k, p) in wr.capacity:
                wr.capacity[(k, p)].append((b, -1.0))
        site = wr.u.sites[si]
        for bi, bud in enumerate(wr.budgets):
            if not (bud.team is None and bud.kind is None and
                    (bud.tier is None or bud.tier == site.tier) and
                    (bud.provider is None or bud.provider == site.provider)):
                continue
            if bud.per_period:
                for p in range(t, len(wr.periods)):
                    wr.budget_terms[(bi, p)].append((b, fixed * wr.periods[p].hours))
            else:
                wr.budget_terms[(bi, None)].append((b, fixed * (H - start)))


def _inference(wr: _Writer, cand: InferenceCandidates, weight: float) -> PeriodInference:
    w = cand.workload
    m, u = wr.m, wr.u
    v = PeriodInference(cand, [], [])
    clients = {ci: u.clients[ci].name for g in cand.groups for ci, _ in g.reach}
    always = w.total_demand <= 0  # no demand at all: the minimums hold in every period
    own_terms: list[tuple[int, float]] = []
    for p, period in enumerate(wr.periods):
        L = period.hours
        demand = {ci: w.demand_in(name, p) for ci, name in clients.items()}
        active = always or w.period_demand(p) > 0
        floor = max(w.min_instances, 1 if w.min_sites > 1 else 0) if active else 0
        egress_factor = 3600 * L * w.payload_kb * 1e-6
        ns: list[tuple[int | None, ...]] = []
        ys_all: list[dict[int, int]] = []
        all_n: list[tuple[int, float]] = []
        by_site: dict[int, list[int]] = defaultdict(list)
        per_client: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for gi, g in enumerate(cand.groups):
            site = u.sites[g.site]
            reach_demand = sum(demand[ci] for ci, _ in g.reach)
            cols: list[int | None] = []
            cap_terms: list[tuple[int, float]] = []
            for unit in g.units:
                upper = max(math.ceil(reach_demand / unit.cap - EPS), floor)
                o = u.offers[unit.offer][1]
                if o.available is not None:
                    upper = min(upper, o.available + u.buyable[unit.offer])
                if upper <= 0:
                    cols.append(None)
                    continue
                cost = unit.usd_per_hour * L
                col = m.add_col(("n", w.name, gi, unit.offer, p), 0, upper, True, cost)
                cols.append(col)
                cap_terms.append((col, -unit.cap))
                all_n.append((col, 1.0))
                by_site[g.site].append(col)
                own_terms.append((col, cost))
                wr.charge(w, g.site, col, cost, p)
                if o.available is not None:
                    wr.capacity[(unit.offer, p)].append((col, 1.0))
            ys: dict[int, int] = {}
            egress = egress_factor * site.egress_usd_per_gb
            for ci, latency_ms in g.reach:
                if demand[ci] <= 0:
                    continue
                col = m.add_col(("y", w.name, gi, ci, p), 0, demand[ci], False, egress,
                                latency_ms * L / weight)
                ys[ci] = col
                per_client[ci].append((col, 1.0))
                cap_terms.append((col, 1.0))
                if egress:
                    own_terms.append((col, egress))
                    wr.charge(w, g.site, col, egress, p)
            if ys:
                m.add_row(("group_capacity", w.name, gi, p), [c for c, _ in cap_terms],
                          [x for _, x in cap_terms], -INF, 0.0)
                route_cuts(m, f"{w.name}@{p}", gi, g, cols, ys, demand)
            ns.append(tuple(cols))
            ys_all.append(ys)
        if not wr.elastic:
            cover_cuts(m, f"{w.name}@{p}", cand, ns,
                        {ci: d for ci, d in demand.items() if d > 0})
        for client in w.demand_rps:
            d = w.demand_in(client, p)
            if d > 0:
                ci = u.client_index[client]
                wr.row(("demand", w.name, client, p), per_client.get(ci, []), d, d, scale=d)
        if active and w.min_instances > 0:
            wr.row(("min_instances", w.name, p), all_n, lower=w.min_instances,
                   scale=w.min_instances)
        if active and w.min_sites > 1:
            z_terms = []
            for si, cols_at in sorted(by_site.items()):
                z = m.add_col(("z", w.name, si, p), 0, 1, True)
                wr.row(("site_used", w.name, si, p), [(z, 1.0)] + [(c, -1.0) for c in cols_at],
                       upper=0)
                z_terms.append((z, 1.0))
            wr.row(("min_sites", w.name, p), z_terms, lower=w.min_sites, scale=w.min_sites)
        v.n.append(ns)
        v.y.append(ys_all)
    if w.budget_usd is not None:
        wr.row(("workload_budget", w.name), own_terms, upper=w.budget_usd, scale=w.budget_usd)
    return v


def _training(wr: _Writer, cand: TrainingCandidates) -> PeriodTraining:
    w = cand.workload
    m, u, sc = wr.m, wr.u, wr.sc
    per_period_budget = any(b.per_period for b in wr.budgets)
    v = PeriodTraining(cand, [], [], [])
    chosen: list[tuple[int, float]] = []
    own_terms: list[tuple[int, float]] = []
    for ti, opt in enumerate(cand.options):
        o = u.offers[opt.offer][1]
        limited = o.available is not None
        needs_bought = limited and opt.nodes > (o.available or 0)
        first = wr.arrival[opt.offer] if needs_bought else 0
        span = overlap_hours(sc, w, opt, first if first is not None else len(wr.periods))
        most = [opt.nodes * s for s in span]
        if sum(most) < opt.instance_hours - 1e-6:  # it cannot fit once bought units arrive
            v.x.append(None)
            v.h.append([None] * len(wr.periods))
            v.hours.append(most)
            continue
        cost = opt.cost
        x = m.add_col(("x", w.name, ti), 0, 1, True, cost)
        v.x.append(x)
        v.hours.append(most)
        chosen.append((x, 1.0))
        own_terms.append((x, cost))
        # Horizon budgets take the whole cost; per-period ones its hours and its transfer.
        wr.charge(w, opt.site, x, cost, None)
        hs: list[int | None] = []
        if limited or per_period_budget:
            for p, top in enumerate(most):
                hs.append(m.add_col(("h", w.name, ti, p), 0, top, False) if top > 0 else None)
            terms = [(h, 1.0) for h in hs if h is not None]
            m.add_row(("hours", w.name, ti), [c for c, _ in terms] + [x],
                      [1.0] * len(terms) + [-opt.instance_hours], 0.0, 0.0)
            for p, h in enumerate(hs):
                if h is None:
                    continue
                if limited:
                    wr.capacity[(opt.offer, p)].append((h, 1.0 / wr.periods[p].hours))
                _charge_period(wr, w, opt.site, h, opt.usd_per_hour, p)
            if opt.transfer_usd and per_period_budget:
                start = next((p for p, s in enumerate(span) if s > 0), 0)
                _charge_period(wr, w, opt.site, x, opt.transfer_usd, start)
        else:
            hs = [None] * len(wr.periods)
        v.h.append(hs)
        if needs_bought:  # k <= available + b where it runs (its h is 0 before T)
            m.add_row(("nodes", w.name, ti), [x, wr.bought[opt.offer]],
                      [float(opt.nodes), -1.0], -INF, float(o.available or 0))
    wr.row(("choose", w.name), chosen, 1.0, 1.0)
    if w.budget_usd is not None:
        wr.row(("workload_budget", w.name), own_terms, upper=w.budget_usd, scale=w.budget_usd)
    return v


def _charge_period(wr: _Writer, w: TrainingWorkload, site: int, col: int, usd: float,
                   period: int) -> None:
    for b, bud in enumerate(wr.budgets):
        if bud.per_period and budget_matches(bud, w, wr.u.sites[site]):
            wr.budget_terms[(b, period)].append((col, usd))


_SHARED_ROWS = ("capacity", "budget")


def join_periods(models: Sequence[PeriodModel]) -> PeriodModel:
    """One model of several groups' models (a merged group), as :func:`build_periods`
    would write it for all their workloads, without writing it again: their columns side
    by side, their own rows, and each shared row (a capacity or budget of the same tag)
    summed into one. The latency objective is weighted again by the joint demand."""
    m = Milp()
    out = PeriodModel(m, demand_hours=sum(model.demand_hours for model in models))
    weight = out.demand_hours or 1.0
    shared: dict[tuple[object, ...], tuple[list[int], list[float], float, float]] = {}
    # A shared row's tag, or a run of own rows (model, first, last, column offset).
    order: list[tuple[object, ...] | tuple[Milp, int, int, int]] = []
    offset = 0
    for model in models:
        src = model.milp
        scale = (model.demand_hours or 1.0) / weight
        m.col_lower += src.col_lower
        m.col_upper += src.col_upper
        m.col_integer += src.col_integer
        m.cost += src.cost
        m.latency += [v * scale for v in src.latency]
        m.penalty += src.penalty
        m.col_tags += src.col_tags
        run = 0  # the first own row not yet in order
        for r, tag in enumerate(src.row_tags):
            if tag[0] in _SHARED_ROWS:
                if run < r:
                    order.append((src, run, r, offset))
                run = r + 1
                index, value = src.row(r)
                if tag not in shared:
                    shared[tag] = ([], [], src.row_lower[r], src.row_upper[r])
                    order.append(tag)
                shared[tag][0].extend([j + offset for j in index])
                shared[tag][1].extend(value)
        if run < src.num_rows:
            order.append((src, run, src.num_rows, offset))
        out.inference += [PeriodInference(
            v.cand, [[tuple([c + offset if c is not None else None for c in unit])
                      for unit in group] for group in v.n],
            [[{ci: c + offset for ci, c in ys.items()} for ys in group] for group in v.y])
            for v in model.inference]
        out.training += [PeriodTraining(
            t.cand, [c + offset if c is not None else None for c in t.x],
            [[c + offset if c is not None else None for c in hs] for hs in t.h], t.hours)
            for t in model.training]
        for k, col in model.bought.items():
            assert k not in out.bought, "an offering that can be bought is in one group only"
            out.bought[k] = col + offset
        offset += src.num_cols
    for item in order:
        if isinstance(item[0], Milp):  # own rows copied in bulk (milp.copy_rows)
            m.copy_rows(*cast(tuple[Milp, int, int, int], item))
        else:
            index, value, lower, upper = shared[item]
            m.add_row(item, index, value, lower, upper)
    return out
