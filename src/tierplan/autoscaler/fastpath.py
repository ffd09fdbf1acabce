"""Exact fast sizing of one independent endpoint: its MILP handed to HiGHS directly.

The common case of a tick is many endpoints that share nothing: no capacity-limited
offering with another endpoint and no budget across endpoints. Each is then the
inference MILP of SPEC section 2 on its own, over its fixed sites (horizon 1 h):

    min  sum_s p_s n_s + sum_{c,s} g_s y_cs + churn * sum_s |n_s - cur_s|
    s.t. sum_s y_cs = D_c                       every client with demand
         sum_c y_cs <= cap_s n_s                every site
         y_cs = 0 unless rtt(c, s) + service_s <= SLO
         sum_s n_s >= min_instances;  at least min_sites sites with n_s > 0 (z_s <= n_s)
         sum_s p_s n_s + sum g_s y_cs <= budget_usd (the workload's, per hour)
         0 <= n_s <= min(available_s, max(ceil(reachable demand / cap_s), min_instances, cur_s))

with p_s the price per hour, g_s = 3600 payload_kb 1e-6 egress_usd_per_gb(s) per rps and
|n - cur| split into two non-negative parts. Before solving, a site A is dropped when an
unlimited site B is at least as good in every respect (p_B <= p_A, cap_B >= cap_A,
g_B <= g_A, B reaches every client A reaches, A runs nothing now, min_sites = 1): any
replica at A can then move to B without raising the cost, so the optimum is unchanged.
The model is built as flat arrays and solved by one reused ``highspy.Highs`` instance at
gap 0: ~1 ms an endpoint against ~10 ms through the full planner, whose decomposition,
lexicographic tie-break and explanations serve whole scenarios. Among equal-cost answers
the planner prefers lower latency and this path takes whichever HiGHS finds: counts can
differ only when costs tie exactly.
Tests compare both on random instances (tests/test_autoscale_fastpath.py).

``saturate`` is the same model where each client's demand may be served in part (an
unserved-rps column per client): the best plan when no plan serves everything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Client, InferenceWorkload, Scenario, Site
from ..scheduler.solvers import new_highs

__all__ = ["FastResult", "FastSizer"]

EPS = 1e-9


@dataclass(frozen=True)
class FastResult:
    status: str  # optimal | infeasible
    replicas: Mapping[str, int]  # site -> count
    cost_usd_per_hour: float  # compute + egress, without the churn penalty
    unmet: Mapping[str, float] = field(default_factory=dict)  # saturate: client -> rps left


@dataclass(frozen=True)
class _Site:
    name: str
    price: float
    cap: float
    egress: float
    reach: frozenset[str]
    upper: int
    running: int
    limited: bool


class FastSizer:
    """One per config: it caches round trips by (client, site) name, which only demand
    changes between ticks leave valid."""

    def __init__(self) -> None:
        import highspy

        self.hs: Any = highspy
        self._rtts: dict[tuple[str, str], float] = {}
        self.h = new_highs()
        self.h.setOptionValue("threads", 1)
        self.h.setOptionValue("mip_rel_gap", 0.0)
        self.h.setOptionValue("mip_abs_gap", 1e-9)
        # Tiny models: the primal heuristics cost more than they save (as in the planner).
        self.h.setOptionValue("mip_heuristic_effort", 0.0)
        for option in ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
                       "mip_heuristic_run_root_reduced_cost", "mip_heuristic_run_feasibility_jump"):
            self.h.setOptionValue(option, False)

    def _rtt(self, scenario: Scenario, client: Client, site: Site) -> float:
        key = (client.name, site.name)
        rtt = self._rtts.get(key)
        if rtt is None:
            rtt = self._rtts[key] = scenario.network.rtt_ms(client, site)
        return rtt

    def size(self, scenario: Scenario, w: InferenceWorkload, current: Mapping[str, int],
             churn_usd: float, budget: bool = True) -> FastResult:
        """The cheapest counts that serve all of ``w``'s demand (``infeasible`` when none do)."""
        model = self._model(scenario, w, current, churn_usd, budget, saturate=False)
        if model is None:
            return FastResult("infeasible", {}, 0.0)
        x = self._solve(model)
        if x is None:
            return FastResult("infeasible", {}, 0.0)
        return model.result(x)

    def saturate(self, scenario: Scenario, w: InferenceWorkload, current: Mapping[str, int],
                 churn_usd: float, budget: bool = True) -> FastResult:
        """The best counts when not all of the demand can be served (capacity, SLO, budget).

        Lexicographic, in two solves: first the least demand left unserved (each client's
        demand may be served in part, every site up to its limit), then the cheapest counts
        that serve that much. ``unmet`` says what is left per client."""
        model = self._model(scenario, w, current, churn_usd, budget, saturate=True)
        if model is None:
            return FastResult("infeasible", {}, 0.0)
        costs = model.col_cost
        model.col_cost = [1.0 if j in model.unmet_cols.values() else 0.0 for j in range(len(costs))]
        x = self._solve(model)
        if x is None:
            return FastResult("infeasible", {}, 0.0)
        least = sum(x[j] for j in model.unmet_cols.values())
        model.col_cost = costs
        cols = list(model.unmet_cols.values())
        model.rows.append((cols, [1.0] * len(cols), -self.hs.kHighsInf, least + 1e-7 * (1 + least)))
        x = self._solve(model)
        if x is None:  # numerically marginal: the first answer is feasible and nearly as good
            model.rows.pop()
            model.col_cost = [1.0 if j in cols else 0.0 for j in range(len(costs))]
            x = self._solve(model)
            if x is None:
                return FastResult("infeasible", {}, 0.0)
        return model.result(x)

    def _model(self, scenario: Scenario, w: InferenceWorkload, current: Mapping[str, int],
               churn_usd: float, budget: bool, saturate: bool) -> _Model | None:
        """The MILP as flat arrays; None when a client has no site and all must be served."""
        inf = self.hs.kHighsInf
        clients = {c.name: c for c in scenario.clients}
        demand = {c: d for c, d in w.demand_rps.items() if d > 0}
        m = _Model()
        col = m.col
        rows = m.rows

        sites: list[_Site] = []
        for site in scenario.sites:
            if not w.filters.admit(site):
                continue
            offers = [o for o in site.offerings if o.speed_key in w.accelerators]
            if not offers:
                continue
            o = offers[0]  # config validation leaves one eligible offering per site
            profile = w.accelerators[o.speed_key]
            cap = o.units * profile.rps * w.max_utilization
            reach = frozenset(c for c in demand if self._rtt(scenario, clients[c], site)
                              + profile.latency_ms <= w.latency_slo_ms + EPS)
            running = current.get(site.name, 0) if churn_usd > 0 else 0
            upper = max(math.ceil(sum(demand[c] for c in reach) / cap - EPS), w.min_instances, running)
            if o.available is not None:
                upper = min(upper, o.available)
            if upper > 0:
                sites.append(_Site(site.name, o.usd_per_hour, cap,
                                  3600 * w.payload_kb * 1e-6 * site.egress_usd_per_gb,
                                  reach, upper, running, o.available is not None))
        if w.min_sites == 1:
            sites = [a for a in sites if a.running or not any(
                b is not a and not b.limited and b.price <= a.price and b.cap >= a.cap
                and b.egress <= a.egress and b.reach >= a.reach
                and (b.price, -b.cap, b.egress, b.name) < (a.price, -a.cap, a.egress, a.name)
                for b in sites)]
        y_by_client: dict[str, list[int]] = {c: [] for c in demand}
        for st in sites:
            running = st.running
            n = col(st.price + (churn_usd if churn_usd > 0 and not running else 0.0), st.upper, True)
            m.n_cols[st.name] = n
            m.spend.append((n, st.price))
            if running:
                d = col(churn_usd, inf, False)
                rows.append(([d, n], [1.0, -1.0], -running, inf))   # d >= n - cur
                rows.append(([d, n], [1.0, 1.0], running, inf))     # d >= cur - n
            ys = []
            for c in st.reach:
                y = col(st.egress, demand[c], False)
                y_by_client[c].append(y)
                ys.append(y)
                if st.egress:
                    m.spend.append((y, st.egress))
            if ys:
                rows.append(([*ys, n], [1.0] * len(ys) + [-st.cap], -inf, 0.0))
        for c, ys in y_by_client.items():
            if saturate:
                u = col(0.0, demand[c], False)  # demand left unserved
                m.unmet_cols[c] = u
                ys = [*ys, u]
            elif not ys:
                return None
            rows.append((ys, [1.0] * len(ys), demand[c], demand[c]))
        if w.min_instances > 0:
            rows.append((list(m.n_cols.values()), [1.0] * len(m.n_cols), w.min_instances, inf))
        if w.min_sites > 1:
            zs = []
            for n in m.n_cols.values():
                z = col(0.0, 1.0, True)
                rows.append(([z, n], [1.0, -1.0], -inf, 0.0))
                zs.append(z)
            rows.append((zs, [1.0] * len(zs), w.min_sites, inf))
        if budget and w.budget_usd is not None and m.spend:
            rows.append(([j for j, _ in m.spend], [v for _, v in m.spend], -inf, w.budget_usd))
        return m

    def _solve(self, m: _Model) -> list[float] | None:
        hs = self.hs
        lp = hs.HighsLp()
        lp.num_col_ = len(m.col_cost)
        lp.num_row_ = len(m.rows)
        lp.col_cost_ = m.col_cost
        lp.col_lower_ = [0.0] * len(m.col_cost)
        lp.col_upper_ = m.col_hi
        lp.row_lower_ = [r[2] for r in m.rows]
        lp.row_upper_ = [r[3] for r in m.rows]
        starts = [0]
        index: list[int] = []
        value: list[float] = []
        for r in m.rows:
            index.extend(r[0])
            value.extend(r[1])
            starts.append(len(index))
        lp.a_matrix_.format_ = hs.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        kint, kcont = hs.HighsVarType.kInteger, hs.HighsVarType.kContinuous
        lp.integrality_ = [kint if i else kcont for i in m.integer]
        self.h.clearModel()
        self.h.passModel(lp)
        self.h.run()
        if self.h.getModelStatus() != hs.HighsModelStatus.kOptimal:
            return None
        return list(self.h.getSolution().col_value)


@dataclass
class _Model:
    col_cost: list[float] = field(default_factory=list)
    col_hi: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)
    n_cols: dict[str, int] = field(default_factory=dict)  # site -> replicas column
    unmet_cols: dict[str, int] = field(default_factory=dict)  # client -> unserved rps column
    spend: list[tuple[int, float]] = field(default_factory=list)  # (column, USD per hour per unit)

    def col(self, cost: float, hi: float, is_int: bool) -> int:
        self.col_cost.append(cost)
        self.col_hi.append(hi)
        self.integer.append(is_int)
        return len(self.col_cost) - 1

    def result(self, x: list[float]) -> FastResult:
        replicas = {s: round(x[j]) for s, j in self.n_cols.items()}
        cost = sum(x[j] * v for j, v in self.spend)
        # to 1e-4 rps: the second solve may leave up to its tolerance more than the least
        unmet = {c: round(x[j], 4) for c, j in self.unmet_cols.items() if round(x[j], 4) > 0}
        return FastResult("optimal", replicas, cost, unmet)
