"""Replica counts per (endpoint, site) from the planner, for one tick's demand.

The narrowed scenario (config.narrow: one-hour horizon, endpoint workloads, controlled
sites) gets the tick's demand per client; the planner's placements give the counts and
its total cost is USD per hour. When the planner takes ``current_instances`` and
``churn_usd`` (PlanOptions fields), every instance added or removed against the current
state costs ``churn_usd`` in the objective only, so a plan that moves replicas between
sites must save more than the move costs.

When budgets make the plan infeasible the tick plans again without them (the budget guard
in :mod:`.decide` then cuts replicas to the budget). An endpoint that is infeasible even so
(more demand than its sites carry at their max_replicas, or a client no site reaches
within the SLO) gets the best plan that exists instead of none, as Kubernetes' HPA goes to
maxReplicas: the least demand left unserved, then the lowest cost, within the endpoint's
budget (:meth:`.fastpath.FastSizer.saturate`); ``unmet`` says what it leaves unserved per
client. Only an endpoint without any plan at all (its min_instances or min_sites cannot
be placed) is held.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..model import InferenceWorkload, Plan, Scenario
from ..scheduler import PlanOptions, plan
from .config import AutoscaleConfig
from .fastpath import FastResult, FastSizer

__all__ = ["Sizer", "Sizing", "churn_supported", "size"]

Key = tuple[str, str]


@dataclass(frozen=True)
class Sizing:
    replicas: Mapping[Key, int]  # every site of every planned endpoint (0 = not used)
    cost_usd_per_hour: float
    infeasible: Mapping[str, str]  # endpoint -> why it has no plan at all (held)
    seconds: float
    method: str  # planner | fast
    budgets_relaxed: bool = False
    churn: bool = False
    # endpoint -> client -> rps its plan leaves unserved (demand beyond what it can carry)
    unmet: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    unmet_why: Mapping[str, str] = field(default_factory=dict)  # endpoint -> the planner's diagnosis
    guard_cut: bool = False  # planner_time_limit stopped the planner: the plan may vary by run

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "seconds": round(self.seconds, 6),
                "cost_usd_per_hour": round(self.cost_usd_per_hour, 6),
                "replicas": {f"{e}@{s}": n for (e, s), n in sorted(self.replicas.items())},
                "infeasible": dict(self.infeasible), "budgets_relaxed": self.budgets_relaxed,
                "churn": self.churn,
                "unmet_rps": {e: {c: round(v, 6) for c, v in sorted(u.items())}
                              for e, u in sorted(self.unmet.items())},
                "unmet_why": dict(self.unmet_why), "guard_cut": self.guard_cut}


def churn_supported() -> bool:
    names = {f.name for f in dataclasses.fields(PlanOptions)}
    return {"current_instances", "churn_usd"} <= names


class Sizer:
    """``size`` with the exact fast path (:mod:`.fastpath`) for independent endpoints.

    With ``sizing: auto`` (the default) an endpoint is sized on its own by the fast path
    when nothing couples it to another endpoint planned in the same tick: the scenario has
    no budgets and none of its capacity-limited offerings is used by another endpoint.
    The others (and any the fast path finds infeasible, for the planner's diagnosis) go to
    the planner together. ``sizing: planner`` sends everything to the planner.
    """

    def __init__(self) -> None:
        self.fast: FastSizer | None = None

    def __call__(self, config: AutoscaleConfig, demand: Mapping[str, Mapping[str, float]],
                 current: Mapping[Key, int | None]) -> Sizing:
        started = time.perf_counter()
        independent = _independent(config, demand) if config.sizing == "auto" else set()
        if self.fast is None:
            self.fast = FastSizer()
        if not independent:
            return size(config, demand, current, self.fast)
        scenario = _with_demand(config, {e: demand[e] for e in independent}, current)
        replicas: dict[Key, int] = {}
        cost = 0.0
        rest = {e: d for e, d in demand.items() if e not in independent}
        for w in scenario.workloads:
            assert isinstance(w, InferenceWorkload)
            spec = config.endpoint(w.name)
            now = {s.site: current.get((w.name, s.site)) or 0 for s in spec.sites}
            result = self.fast.size(scenario, w, now, config.churn_usd)
            if result.status != "optimal":
                rest[w.name] = demand[w.name]  # the planner relaxes budgets or says why
                continue
            for s in spec.sites:
                replicas[(w.name, s.site)] = result.replicas.get(s.site, 0)
            cost += result.cost_usd_per_hour
        slow = size(config, rest, current, self.fast) if rest else None
        if slow is not None:
            replicas.update(slow.replicas)
            cost += slow.cost_usd_per_hour
        method = "fast" if not rest else f"fast+planner ({len(rest)} by the planner)"
        return Sizing(replicas, cost, slow.infeasible if slow else {}, time.perf_counter() - started,
                      method, slow.budgets_relaxed if slow else False, config.churn_usd > 0,
                      slow.unmet if slow else {}, slow.unmet_why if slow else {},
                      slow.guard_cut if slow else False)


def _independent(config: AutoscaleConfig, demand: Mapping[str, Mapping[str, float]]) -> set[str]:
    """Endpoints in ``demand`` that share no budget and no limited offering with another."""
    scenario = config.scenario
    if scenario.budgets:
        return set()
    limited = {(site.name, o.name) for site in scenario.sites for o in site.offerings
               if o.available is not None}
    users: dict[tuple[str, str], int] = {}
    for e in config.endpoints:
        if e.workload in demand:
            for spec in e.sites:
                users[(spec.site, spec.offering)] = users.get((spec.site, spec.offering), 0) + 1
    return {e.workload for e in config.endpoints if e.workload in demand
            and all(users[(s.site, s.offering)] == 1 or (s.site, s.offering) not in limited for s in e.sites)}


def size(config: AutoscaleConfig, demand: Mapping[str, Mapping[str, float]],
         current: Mapping[Key, int | None], fast: FastSizer | None = None) -> Sizing:
    """Plan the endpoints in ``demand`` (endpoint -> client -> rps) with the planner;
    others are not planned. ``fast`` sizes the endpoints no plan serves in full (one is
    made when needed).

    Capacity that held endpoints keep (their current replicas) is taken out of shared
    offerings first, so the plan never counts on it.
    """
    started = time.perf_counter()
    scenario = _with_demand(config, demand, current)
    if not scenario.workloads:
        return Sizing({}, 0.0, {}, time.perf_counter() - started, "planner")
    options = _options(config, current)
    result = plan(scenario, options)
    relaxed = False
    if result.status == "infeasible" and (scenario.budgets or _has_workload_budget(scenario)):
        relaxed = True
        scenario = _without_budgets(scenario)
        result = plan(scenario, options)
    short: dict[str, str] = {}  # endpoint -> diagnosis: no plan serves all its demand
    plans: list[Plan] = [result]
    if result.status == "infeasible":
        # Find the endpoints at fault by planning each alone; the others still get a plan.
        plans = []
        for w in scenario.workloads:
            alone = plan(replace(scenario, workloads=(w,)), options)
            if alone.status == "infeasible":
                short[w.name] = "; ".join(alone.diagnosis) or "no feasible plan"
            else:
                plans.append(alone)
    placements = [p for one in plans for p in one.placements]
    cut = [one for one in plans if one.status == "time_limit"]
    # The wall-clock guard stopped the planner before it found any plan: hold, never read
    # "no placements" as "no replicas".
    lost = {w.name: "; ".join(cut[0].diagnosis) for w in scenario.workloads
            if cut and sum(demand[w.name].values()) > 0 and not any(p.workload == w.name for p in placements)}
    replicas: dict[Key, int] = {}
    for e in config.endpoints:
        if e.workload in demand and e.workload not in short and e.workload not in lost:
            for spec in e.sites:
                replicas[(e.workload, spec.site)] = 0
    for p in placements:
        if (p.workload, p.site) in replicas:
            replicas[(p.workload, p.site)] += p.instances
    cost = sum(p.cost_usd for p in placements)
    infeasible: dict[str, str] = dict(lost)
    unmet: dict[str, dict[str, float]] = {}
    if short:
        # What the other endpoints' plans take from a limited offering is not there for these.
        used: dict[tuple[str, str], int] = {}
        for p in placements:
            used[(p.site, p.offering)] = used.get((p.site, p.offering), 0) + p.instances
        rest = _without_use(_with_demand(config, demand, current), used)
        fast = fast or FastSizer()
        for name in short:
            best = _best_there_is(config, rest, name, current, fast)
            if best is None:
                infeasible[name] = short[name]
                continue
            for site, n in best.replicas.items():
                replicas[(name, site)] = n
            cost += best.cost_usd_per_hour
            unmet[name] = dict(best.unmet)
    return Sizing(replicas, cost, infeasible, time.perf_counter() - started, "planner", relaxed,
                  churn_supported() and config.churn_usd > 0, unmet,
                  {name: why for name, why in short.items() if name in unmet}, bool(cut))


def _best_there_is(config: AutoscaleConfig, scenario: Scenario, name: str,
                   current: Mapping[Key, int | None], fast: FastSizer) -> FastResult | None:
    """The most demand an endpoint can serve, at the least cost, within its budget when its
    floors fit the budget (else without it: the guard cuts); None when nothing fits.
    ``replicas`` has every site of the endpoint."""
    endpoint = config.endpoint(name)
    w = next(x for x in scenario.workloads if x.name == name)
    assert isinstance(w, InferenceWorkload)
    now = {s.site: current.get((name, s.site)) or 0 for s in endpoint.sites}
    best = fast.saturate(scenario, w, now, config.churn_usd)
    if best.status != "optimal":
        best = fast.saturate(scenario, w, now, config.churn_usd, budget=False)
    if best.status != "optimal":
        return None
    return replace(best, replicas={s.site: best.replicas.get(s.site, 0) for s in endpoint.sites})


def _options(config: AutoscaleConfig, current: Mapping[Key, int | None]) -> PlanOptions:
    # Deterministic: the effort is a work budget (the same plan on any machine and load);
    # the time limit only guards the tick, and a plan it cuts is flagged (guard_cut).
    kwargs: dict[str, Any] = {"explain": False, "time_limit": config.planner_time_limit, "workers": 1,
                              "effort": config.planner_effort}
    if churn_supported() and config.churn_usd > 0:
        offering = {(e.workload, s.site): s.offering for e in config.endpoints for s in e.sites}
        kwargs["current_instances"] = {(w, site, offering[(w, site)]): n
                                       for (w, site), n in current.items() if n is not None}
        kwargs["churn_usd"] = config.churn_usd
    return PlanOptions(**kwargs)


def _with_demand(config: AutoscaleConfig, demand: Mapping[str, Mapping[str, float]],
                 current: Mapping[Key, int | None]) -> Scenario:
    base = config.scenario
    held_use: dict[tuple[str, str], int] = {}  # (site, offering) -> replicas kept by held endpoints
    for e in config.endpoints:
        if e.workload not in demand:
            for spec in e.sites:
                n = current.get((e.workload, spec.site)) or 0
                held_use[(spec.site, spec.offering)] = held_use.get((spec.site, spec.offering), 0) + n
    sites = base.sites
    if held_use:
        sites = tuple(replace(site, offerings=tuple(
            replace(o, available=max(0, o.available - held_use.get((site.name, o.name), 0)))
            if o.available is not None else o for o in site.offerings)) for site in base.sites)
    workloads = []
    for w in base.workloads:
        if w.name in demand and isinstance(w, InferenceWorkload):
            rps = {c: float(v) for c, v in demand[w.name].items() if v > 0}
            workloads.append(replace(w, demand_rps=rps))
    return replace(base, sites=sites, workloads=tuple(workloads))


def _without_use(scenario: Scenario, used: Mapping[tuple[str, str], int]) -> Scenario:
    """``scenario`` with ``used`` instances (site, offering) -> n taken from limited offerings."""
    if not used:
        return scenario
    return replace(scenario, sites=tuple(replace(site, offerings=tuple(
        replace(o, available=max(0, o.available - used.get((site.name, o.name), 0)))
        if o.available is not None else o for o in site.offerings)) for site in scenario.sites))


def _has_workload_budget(scenario: Scenario) -> bool:
    return any(w.budget_usd is not None for w in scenario.workloads)


def _without_budgets(scenario: Scenario) -> Scenario:
    return replace(scenario, budgets=(), workloads=tuple(replace(w, budget_usd=None)
                                                         for w in scenario.workloads))
