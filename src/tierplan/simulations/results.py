"""Serving and accounting, vectorised over every step: trajectory -> results.

**Fluid serving** (no queues): in step t an instance of a slot serves up to ``cap_rps``
(``accelerator_count * rps``, full sustained throughput; ``max_utilization`` is planning
headroom). Demand no ready capacity within the SLO can take is *violating*: it counts as
unserved. What is served is the maximum flow from clients to ready slots within their
SLO, per step; for a workload with up to ``EXACT_CLIENTS`` clients it is computed
exactly by the max-flow min-cut theorem (the bipartite network source -> client ->
slot -> sink), vectorised over all steps:

    served = min over client sets A of  sum_{c not in A} demand_c + sum_{s reached by A} cap_s

(2^clients terms). The per-slot load, which prices response egress, comes from a greedy
routing: clients with the fewest reachable slots first, each to its slots in order of
latency. With more clients than ``EXACT_CLIENTS`` the greedy routing also gives what is
served (it can then undercount when clients compete for a slot).

**Cost** per step: billed instances x price in force x step hours, plus response egress
``served rps x step seconds x payload_kb x 1e-6 x egress_usd_per_gb`` of the serving
site, plus training nodes x (spot or on-demand) price x hours used, plus dataset moves.

**Metrics**: SLO attainment = requests served within the SLO / requests (100 % when there
are none); instance-hours include booting instances and training nodes; a scale event
is one change of one (workload, site, offering) count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .detail import StepRows, step_rows
from .engine import Trajectory
from .world import World

__all__ = ["PolicyResult", "summarise"]


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    total_cost_usd: float
    cost_by_tier: dict[str, float]
    cost_by_site: dict[str, float]
    cost_by_workload: dict[str, float]
    requests: float
    unserved_requests: float
    slo_attainment_pct: float
    instance_hours: float
    scale_events: int
    jobs: int
    jobs_finished: int
    jobs_missed_deadline: int
    preemptions: int
    plan_calls: int
    plan_seconds: float = field(compare=False)  # wall clock: timing only, never in summaries
    plan_failures: int
    series: dict[str, np.ndarray] = field(repr=False, compare=False, default_factory=dict)
    rows: StepRows | None = field(repr=False, compare=False, default=None)
    hours: float = 0.0  # simulated
    run_seconds: float = field(compare=False, default=0.0)  # wall clock: timing only

    @property
    def cost_per_month_usd(self) -> float:
        """The run's cost scaled to a month of 730 hours."""
        return self.total_cost_usd * 730 / self.hours if self.hours > 0 else 0.0

    def row(self) -> dict[str, Any]:
        """The summary numbers as one flat row (for tables, CSV and sweeps)."""
        return {
            "policy": self.policy, "total_cost_usd": round(self.total_cost_usd, 2),
            "cost_per_month_usd": round(self.cost_per_month_usd, 2),
            "slo_attainment_pct": round(self.slo_attainment_pct, 4),
            "unserved_requests": round(self.unserved_requests, 1), "requests": round(self.requests, 1),
            "instance_hours": round(self.instance_hours, 3), "scale_events": self.scale_events,
            "jobs": self.jobs, "jobs_missed_deadline": self.jobs_missed_deadline,
            "preemptions": self.preemptions, "plan_calls": self.plan_calls,
            "plan_failures": self.plan_failures,
        }


EXACT_CLIENTS = 12


def max_served(demand: list[np.ndarray], cap: np.ndarray, reach: list[list[int]]) -> np.ndarray:
    """Maximum rps servable per step (the min-cut formula of the module docstring).

    ``demand[c]``: rps per step of client c; ``cap[:, j]``: capacity per step of slot j;
    ``reach[c]``: the slots (columns of ``cap``) client c may use."""
    best = np.sum(demand, axis=0) if demand else np.zeros(len(cap))
    for mask in range(1, 1 << len(demand)):
        inside = [c for c in range(len(demand)) if mask >> c & 1]
        slots = sorted({j for c in inside for j in reach[c]})
        value = cap[:, slots].sum(axis=1) if slots else np.zeros(len(cap))
        for c in range(len(demand)):
            if not mask >> c & 1:
                value = value + demand[c]
        best = np.minimum(best, value)
    return np.asarray(best, dtype=float)


def serve(world: World, ready: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Per workload: served rps [steps]; and slot load [steps, slots], capacity [steps, slots]."""
    steps = world.steps
    cap = ready.astype(float) * np.array([s.cap_rps for s in world.slots])
    if world.slots:
        cap *= ~world.down[:, [s.site_ix for s in world.slots]]
    left = cap.copy()
    load = np.zeros_like(cap)
    served: dict[str, np.ndarray] = {}
    for w in world.inference:
        slots = [world.slots[i] for i in world.slots_of[w.name]]
        clients = sorted((c for (wn, c) in world.demand if wn == w.name),
                         key=lambda c: (sum(c in s.reach for s in slots), c))
        total = np.zeros(steps)
        for c in clients:
            demand = world.demand[w.name, c]
            rest = demand.copy()
            for slot in sorted((s for s in slots if c in s.reach), key=lambda s: (s.reach[c], s.index)):
                take = np.minimum(rest, left[:, slot.index])
                left[:, slot.index] -= take
                load[:, slot.index] += take
                rest -= take
            total += demand - rest
        if 1 < len(clients) <= EXACT_CLIENTS:
            columns = [s.index for s in slots]
            total = max_served([world.demand[w.name, c] for c in clients], cap[:, columns],
                               [[j for j, s in enumerate(slots) if c in s.reach] for c in clients])
        served[w.name] = total
    return served, load, cap


def summarise(world: World, traj: Trajectory) -> PolicyResult:
    step_h = world.step_s / 3600
    served, load, cap = serve(world, traj.ready)
    offers = np.array([s.offer for s in world.slots], dtype=np.int64)
    price = world.price[:, offers] if world.slots else np.zeros((world.steps, 0))
    compute = traj.billed * price * step_h
    workloads = {w.name: w for w in world.inference}
    egress_rate = np.array([
        world.scenario.sites[s.site_ix].egress_usd_per_gb * workloads[s.workload].payload_kb * 1e-6
        for s in world.slots])
    egress = load * world.step_s * egress_rate
    slot_cost = compute + egress  # [steps, slots]
    by_tier: dict[str, float] = defaultdict(float)
    by_site: dict[str, float] = defaultdict(float)
    by_workload: dict[str, float] = defaultdict(float)
    per_slot = slot_cost.sum(axis=0)
    for s in world.slots:
        by_tier[s.tier] += float(per_slot[s.index])
        by_site[s.site] += float(per_slot[s.index])
        by_workload[s.workload] += float(per_slot[s.index])
    tiers = {site.name: site.tier for site in world.scenario.sites}
    for job in traj.jobs:
        by_workload[job.workload] += job.cost_usd
        for site, usd in job.cost_by_site.items():
            by_site[site] += usd
            by_tier[tiers[site]] += usd
    demand_total = np.zeros(world.steps)
    for v in world.demand.values():
        demand_total += v
    served_total = np.zeros(world.steps)
    for v in served.values():
        served_total += v
    requests = float(demand_total.sum() * world.step_s)
    served_requests = float(served_total.sum() * world.step_s)
    step_cost = slot_cost.sum(axis=1) + traj.train_usd
    instances = traj.billed.sum(axis=1) + traj.train_nodes.sum(axis=1)
    series: dict[str, np.ndarray] = {
        "demand_rps": demand_total, "served_rps": served_total, "capacity_rps": cap.sum(axis=1),
        "instances": instances.astype(float), "cost_usd": step_cost,
    }
    for w in world.inference:
        series[f"demand:{w.name}"] = sum((v for (wn, _), v in world.demand.items() if wn == w.name),
                                         np.zeros(world.steps))
    site_names = [site.name for site in world.scenario.sites]
    for si, name in enumerate(site_names):
        cols = [s.index for s in world.slots if s.site_ix == si]
        offer_cols = [i for i, (site, _) in enumerate(world.offers) if site == name]
        series[f"instances:{name}"] = (traj.billed[:, cols].sum(axis=1)
                                       + traj.train_nodes[:, offer_cols].sum(axis=1)).astype(float)
    # Job costs hold compute (already in step_cost) and dataset moves (not per step).
    total = float(step_cost.sum()) + sum(j.cost_usd for j in traj.jobs) - float(traj.train_usd.sum())
    return PolicyResult(
        policy=traj.policy,
        total_cost_usd=total,
        cost_by_tier=dict(sorted(by_tier.items())), cost_by_site=dict(sorted(by_site.items())),
        cost_by_workload=dict(sorted(by_workload.items())),
        requests=requests, unserved_requests=max(0.0, requests - served_requests),
        slo_attainment_pct=100.0 * served_requests / requests if requests > 0 else 100.0,
        instance_hours=float(instances.sum() * step_h), scale_events=traj.scale_events,
        jobs=len(traj.jobs), jobs_finished=sum(j.finished_s is not None for j in traj.jobs),
        jobs_missed_deadline=sum(j.missed_deadline and (j.finished_s is not None or
                                                          (j.deadline_s or 0) <= world.steps * world.step_s)
                                 for j in traj.jobs),
        preemptions=sum(j.preemptions for j in traj.jobs),
        plan_calls=traj.plan_calls, plan_seconds=traj.plan_seconds, plan_failures=traj.plan_failures,
        series=series, rows=step_rows(world, traj, load, cap, compute, egress, served),
        hours=world.steps * step_h, run_seconds=traj.run_seconds,
    )
