"""Check a plan against its scenario, independently of the solver and the formulation.

This re-derives every rule of SPEC section 2 from the scenario alone (it shares only the
unit helpers with the planner), so tests can trust it to catch a wrong formulation.
``check_plan`` returns the violations in words; an empty list means the plan is valid.
"""

from __future__ import annotations

from collections import defaultdict

from ..model import (
    CPU,
    InferenceWorkload,
    Offering,
    Placement,
    Plan,
    Scenario,
    Site,
    TrainingWorkload,
    Workload,
)
from ..units import jurisdiction_matches
from .summary import placement_matches, rtt_ms

__all__ = ["check_plan"]

REL = 1e-6


def _close(a: float, b: float, tol: float = 0.01) -> bool:
    return abs(a - b) <= tol + REL * max(abs(a), abs(b))


def _eligible(scenario: Scenario, w: Workload, site: Site, o: Offering) -> str | None:
    key = o.accelerator or CPU
    if key not in w.accelerators:
        return f"accelerator {key} is not one of the workload's"
    f = w.filters
    if f.tiers is not None and site.tier not in f.tiers:
        return "tier filter"
    if f.providers is not None and site.provider not in f.providers:
        return "provider filter"
    if f.sites is not None and site.name not in f.sites:
        return "site filter"
    if not jurisdiction_matches(site.jurisdiction, f.jurisdictions):
        return "jurisdiction filter"
    datasets = {d.name: d for d in scenario.datasets}
    for name in w.datasets:
        if not jurisdiction_matches(site.jurisdiction, datasets[name].jurisdictions):
            return f"dataset {name} may not be processed there"
    count = o.accelerator_count if o.accelerator else o.vcpus
    if isinstance(w, TrainingWorkload) and count < w.min_accelerators:
        return "fewer accelerators than min_accelerators"
    return None


def check_plan(scenario: Scenario, plan: Plan) -> list[str]:
    problems: list[str] = []
    H = scenario.horizon_hours
    sites = {s.name: s for s in scenario.sites}
    by_workload: dict[str, list[Placement]] = defaultdict(list)
    used_hours: dict[tuple[str, str], float] = defaultdict(float)
    used_instances: dict[tuple[str, str], int] = defaultdict(int)
    for p in plan.placements:
        by_workload[p.workload].append(p)
        site = sites[p.site]
        offering = next(o for o in site.offerings if o.name == p.offering)
        w = next(x for x in scenario.workloads if x.name == p.workload)
        why = _eligible(scenario, w, site, offering)
        if why:
            problems.append(f"{p.workload} on {p.site}/{p.offering} is not eligible: {why}")
        if p.kind == "inference":
            used_hours[(p.site, p.offering)] += p.instances * H
            used_instances[(p.site, p.offering)] += p.instances
        else:
            used_hours[(p.site, p.offering)] += p.instances * (p.compute_hours or 0.0)
    for w in scenario.workloads:
        placed = by_workload.get(w.name, [])
        if isinstance(w, InferenceWorkload):
            problems += _check_inference(scenario, w, placed)
        else:
            problems += _check_training(scenario, w, placed)
        total = sum(p.cost_usd for p in placed)
        if w.budget_usd is not None and total > w.budget_usd + 0.01:
            problems.append(f"{w.name}: cost {total:.2f} exceeds budget_usd {w.budget_usd:.2f}")
    for site in scenario.sites:
        for o in site.offerings:
            if o.available is None:
                continue
            hours = used_hours.get((site.name, o.name), 0.0)
            if hours > o.available * H * (1 + REL) + 1e-6:
                problems.append(f"{site.name}/{o.name}: {hours:.3f} instance-hours > "
                                f"available {o.available} x {H:g} h")
            if used_instances.get((site.name, o.name), 0) > o.available:
                problems.append(f"{site.name}/{o.name}: more inference instances than available")
    for b in scenario.budgets:
        used = sum(p.cost_usd for p in plan.placements if placement_matches(b, p))
        if used > b.limit_usd + 0.01:
            problems.append(f"budget {b.name}: {used:.2f} > limit {b.limit_usd:.2f}")
    return problems


def _check_inference(scenario: Scenario, w: InferenceWorkload, placed: list[Placement]) -> list[str]:
    out = []
    H = scenario.horizon_hours
    served: dict[str, float] = defaultdict(float)
    for p in placed:
        site = scenario.site(p.site)
        o = next(x for x in site.offerings if x.name == p.offering)
        profile = w.accelerators[o.accelerator or CPU]
        units = o.accelerator_count if o.accelerator else o.vcpus
        cap = units * profile.rps * w.max_utilization
        load = sum(p.traffic_rps.values())
        if load > cap * p.instances * (1 + REL) + 1e-6:
            out.append(f"{w.name} at {p.site}/{p.offering}: {load:.3f} rps > capacity "
                       f"{cap * p.instances:.3f}")
        for client, rps in p.traffic_rps.items():
            served[client] += rps
            latency = rtt_ms(scenario, client, p.site) + profile.latency_ms
            if rps > 1e-9 and latency > w.latency_slo_ms + 1e-6:
                out.append(f"{w.name}: client {client} routed to {p.site} at {latency:.1f} ms "
                           f"> SLO {w.latency_slo_ms:g} ms")
        expected = p.instances * o.usd_per_hour * H + load * 3600 * H * w.payload_kb * 1e-6 * (
            site.egress_usd_per_gb)
        if not _close(p.cost_usd, expected):
            out.append(f"{w.name} at {p.site}/{p.offering}: cost {p.cost_usd:.4f} != {expected:.4f}")
        if p.purchase != "on-demand":
            out.append(f"{w.name}: inference must run on-demand")
    for client, demand in w.demand_rps.items():
        if not _close(served.get(client, 0.0), demand, 1e-6):
            out.append(f"{w.name}: client {client} served {served.get(client, 0.0):.6f} rps "
                       f"of {demand:g}")
    instances = sum(p.instances for p in placed)
    if instances < w.min_instances:
        out.append(f"{w.name}: {instances} instances < min_instances {w.min_instances}")
    n_sites = len({p.site for p in placed if p.instances > 0})
    if n_sites < w.min_sites and (w.total_demand > 0 or w.min_instances > 0):
        out.append(f"{w.name}: {n_sites} sites < min_sites {w.min_sites}")
    return out


def _check_training(scenario: Scenario, w: TrainingWorkload, placed: list[Placement]) -> list[str]:
    if len(placed) != 1:
        return [f"{w.name}: {len(placed)} training placements, expected exactly one"]
    p = placed[0]
    site = scenario.site(p.site)
    o = next(x for x in site.offerings if x.name == p.offering)
    out = []
    k = p.instances
    if not 1 <= k <= w.max_nodes or (o.available is not None and k > o.available):
        out.append(f"{w.name}: {k} nodes outside 1..max_nodes / available")
    units = o.accelerator_count if o.accelerator else o.vcpus
    speed = k * units * w.accelerators[o.accelerator or CPU] * (
        1 if k == 1 else w.multi_node_efficiency)
    hours = w.work_hours / speed
    price = o.usd_per_hour
    if p.purchase == "spot":
        if not w.spot or o.spot_usd_per_hour is None:
            out.append(f"{w.name}: spot not allowed or not priced")
            return out
        hours *= 1 + w.spot_overhead
        price = o.spot_usd_per_hour
    transfer_h = transfer_usd = 0.0
    datasets = {d.name: d for d in scenario.datasets}
    for name in w.datasets:
        d = datasets[name]
        if d.site != site.name:
            src = scenario.site(d.site)
            transfer_h += d.size_gb * 8 / (min(src.bandwidth_gbps, site.bandwidth_gbps) * 3600)
            transfer_usd += d.size_gb * src.egress_usd_per_gb
    if not _close(p.compute_hours or 0.0, hours, 1e-6):
        out.append(f"{w.name}: compute_hours {p.compute_hours} != {hours}")
    limit = min(scenario.horizon_hours, w.deadline_hours or scenario.horizon_hours)
    if transfer_h + hours > limit + 1e-6:
        out.append(f"{w.name}: {transfer_h + hours:.3f} h exceeds deadline/horizon {limit:g} h")
    expected = k * price * hours + transfer_usd
    if not _close(p.cost_usd, expected):
        out.append(f"{w.name}: cost {p.cost_usd:.4f} != {expected:.4f}")
    return out
