"""Check a plan against its scenario, independently of the solver and the formulation.

This re-derives every rule of SPEC sections 2 and 5 from the scenario alone (it shares
only the unit helpers with the planner), so tests can trust it to catch a wrong
formulation. ``check_plan`` returns the violations in words; an empty list means the
plan is valid. Periods, owned hardware, bought units and committed cost are checked as
5.2 and 5.3 define them; a plan without per-period entries is read as one period.
"""

from __future__ import annotations

from collections import defaultdict

from ..model import (
    CPU,
    Budget,
    InferenceWorkload,
    Offering,
    Period,
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


def _periods(scenario: Scenario) -> list[Period]:
    return list(scenario.periods) or [Period(0.0, scenario.horizon_hours)]


def _instances(p: Placement, count: int) -> list[int]:
    return list(p.instances_by_period) if p.instances_by_period else [p.instances] * count


def _traffic(p: Placement, count: int) -> list[dict[str, float]]:
    return [dict(t) for t in p.traffic_by_period] if p.traffic_by_period else (
        [dict(p.traffic_rps)] * count)


def _hours(p: Placement, count: int) -> list[float]:
    if p.hours_by_period:
        return list(p.hours_by_period)
    return [p.instances * (p.compute_hours or 0.0)] + [0.0] * (count - 1)


def _arrival(periods: list[Period], o: Offering) -> int | None:
    if o.buy_max <= 0:
        return None
    return next((i for i, q in enumerate(periods) if q.start_hour >= o.buy_lead_hours - 1e-9), None)


class _Capacity:
    """A[o,p] per offering and period, from the plan's bought units (checked here)."""

    def __init__(self, scenario: Scenario, plan: Plan, problems: list[str]) -> None:
        self.periods = _periods(scenario)
        self.bought: dict[tuple[str, str], int] = {}
        for u in plan.owned:
            self.bought[(u.site, u.offering)] = u.bought
        for site in scenario.sites:
            for o in site.offerings:
                b = self.bought.get((site.name, o.name), 0)
                if b and (b > o.buy_max or _arrival(self.periods, o) is None or b < 0):
                    problems.append(f"{site.name}/{o.name}: buys {b}, allowed 0..{o.buy_max} "
                                    "(arriving within the horizon)")

    def available(self, site: str, o: Offering, p: int) -> int:
        t = _arrival(self.periods, o)
        extra = self.bought.get((site, o.name), 0) if t is not None and p >= t else 0
        return (o.available or 0) + extra


def check_plan(scenario: Scenario, plan: Plan) -> list[str]:
    problems: list[str] = []
    periods = _periods(scenario)
    count = len(periods)
    sites = {s.name: s for s in scenario.sites}
    cap = _Capacity(scenario, plan, problems)
    by_workload: dict[str, list[Placement]] = defaultdict(list)
    used_hours: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * count)
    used_instances: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * count)
    for p in plan.placements:
        by_workload[p.workload].append(p)
        site = sites[p.site]
        offering = next(o for o in site.offerings if o.name == p.offering)
        w = next(x for x in scenario.workloads if x.name == p.workload)
        why = _eligible(scenario, w, site, offering)
        if why:
            problems.append(f"{p.workload} on {p.site}/{p.offering} is not eligible: {why}")
        if p.kind == "inference":
            for i, n in enumerate(_instances(p, count)):
                used_hours[(p.site, p.offering)][i] += n * periods[i].hours
                used_instances[(p.site, p.offering)][i] += n
        else:
            for i, h in enumerate(_hours(p, count)):
                used_hours[(p.site, p.offering)][i] += h
                if h > 1e-9 and offering.available is not None and (
                        p.instances > cap.available(p.site, offering, i)):
                    problems.append(f"{p.workload}: {p.instances} nodes in period {i + 1} > "
                                    f"{cap.available(p.site, offering, i)} available")
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
            hours = used_hours.get((site.name, o.name), [0.0] * count)
            inst = used_instances.get((site.name, o.name), [0] * count)
            for i, q in enumerate(periods):
                a = cap.available(site.name, o, i)
                if hours[i] > a * q.hours * (1 + REL) + 1e-6:
                    problems.append(f"{site.name}/{o.name}: {hours[i]:.3f} instance-hours > "
                                    f"available {a} x {q.hours:g} h in period {i + 1}")
                if inst[i] > a:
                    problems.append(f"{site.name}/{o.name}: {inst[i]} inference instances > "
                                    f"{a} available in period {i + 1}")
    problems += _check_money(scenario, plan, cap, used_hours)
    return problems


def _committed_matches(b: Budget, site: Site) -> bool:
    return (b.team is None and b.kind is None and b.tier in (None, site.tier)
            and b.provider in (None, site.provider))


def _check_money(scenario: Scenario, plan: Plan, cap: _Capacity,
                 used_hours: dict[tuple[str, str], list[float]]) -> list[str]:
    """Committed and idle cost (5.3), budgets with the committed cost they cover, and
    periods that sum to the total."""
    out: list[str] = []
    periods = cap.periods
    count = len(periods)
    sunk = scenario.owned_cost == "sunk"
    committed_by_period = [0.0] * count
    idle = 0.0
    owned_sites: list[tuple[Site, list[float]]] = []
    for site in scenario.sites:
        for o in site.offerings:
            if o.fixed_usd_per_hour is None:
                continue
            paid = [o.fixed_usd_per_hour * cap.available(site.name, o, i) * q.hours
                    for i, q in enumerate(periods)]
            owned_sites.append((site, paid if sunk else [0.0] * count))
            hours = used_hours.get((site.name, o.name), [0.0] * count)
            idle += sum(o.fixed_usd_per_hour * max(0.0, cap.available(site.name, o, i) * q.hours
                                                   - hours[i]) for i, q in enumerate(periods))
            if sunk:
                committed_by_period = [a + b for a, b in zip(committed_by_period, paid, strict=True)]
    if not _close(plan.committed_usd, sum(committed_by_period)):
        out.append(f"committed_usd {plan.committed_usd:.2f} != {sum(committed_by_period):.2f}")
    if not _close(plan.idle_usd, idle):
        out.append(f"idle_usd {plan.idle_usd:.2f} != {idle:.2f}")
    usage = [[0.0] * count for _ in plan.placements]
    for j, p in enumerate(plan.placements):
        usage[j] = _period_costs(scenario, p, periods)
        if not _close(sum(usage[j]), p.cost_usd):
            out.append(f"{p.workload} at {p.site}/{p.offering}: periods cost {sum(usage[j]):.2f}, "
                       f"placement {p.cost_usd:.2f}")
    total = sum(p.cost_usd for p in plan.placements) + sum(committed_by_period)
    if plan.placements and not _close(plan.total_cost_usd, total):
        out.append(f"total_cost_usd {plan.total_cost_usd:.2f} != {total:.2f}")
    if plan.periods and not _close(sum(q.cost_usd for q in plan.periods), plan.total_cost_usd):
        out.append("periods do not sum to total_cost_usd")
    for b in scenario.budgets:
        per = [sum(usage[j][i] for j, p in enumerate(plan.placements) if placement_matches(b, p))
               + sum(paid[i] for site, paid in owned_sites if _committed_matches(b, site))
               for i in range(count)]
        used = max(per) if b.per_period else sum(per)
        if used > b.limit_usd + 0.01:
            span = "in a period" if b.per_period else ""
            out.append(f"budget {b.name}: {used:.2f} > limit {b.limit_usd:.2f} {span}".strip())
    return out


def _period_costs(scenario: Scenario, p: Placement, periods: list[Period]) -> list[float]:
    """The placement's cost in each period, from its own figures and the scenario."""
    count = len(periods)
    site = scenario.site(p.site)
    o = next(x for x in site.offerings if x.name == p.offering)
    w = next(x for x in scenario.workloads if x.name == p.workload)
    if isinstance(w, InferenceWorkload):
        return [n * o.usd_per_hour * q.hours + sum(t.values()) * 3600 * q.hours * w.payload_kb
                * 1e-6 * site.egress_usd_per_gb
                for n, t, q in zip(_instances(p, count), _traffic(p, count), periods, strict=True)]
    price = p.usd_per_hour
    out = [price * h for h in _hours(p, count)]
    begin = w.release_hours + (p.transfer_hours or 0.0)
    first = next((i for i, q in enumerate(periods) if begin < q.end_hour - 1e-9), count - 1)
    out[first] += p.transfer_usd
    return out


def _check_inference(scenario: Scenario, w: InferenceWorkload, placed: list[Placement]) -> list[str]:
    out = []
    periods = _periods(scenario)
    count = len(periods)
    served: list[dict[str, float]] = [defaultdict(float) for _ in periods]
    for p in placed:
        site = scenario.site(p.site)
        o = next(x for x in site.offerings if x.name == p.offering)
        profile = w.accelerators[o.accelerator or CPU]
        units = o.accelerator_count if o.accelerator else o.vcpus
        cap = units * profile.rps * w.max_utilization
        instances, traffic = _instances(p, count), _traffic(p, count)
        if len(instances) != count or len(traffic) != count:
            out.append(f"{w.name} at {p.site}/{p.offering}: by-period lists of the wrong length")
            continue
        if p.instances != max(instances):
            out.append(f"{w.name} at {p.site}/{p.offering}: instances is not the peak")
        for i, (n, flows) in enumerate(zip(instances, traffic, strict=True)):
            load = sum(flows.values())
            if load > cap * n * (1 + REL) + 1e-6:
                out.append(f"{w.name} at {p.site}/{p.offering}: {load:.3f} rps > capacity "
                           f"{cap * n:.3f} in period {i + 1}")
            for client, rps in flows.items():
                served[i][client] += rps
                latency = rtt_ms(scenario, client, p.site) + profile.latency_ms
                if rps > 1e-9 and latency > w.latency_slo_ms + 1e-6:
                    out.append(f"{w.name}: client {client} routed to {p.site} at {latency:.1f} ms "
                               f"> SLO {w.latency_slo_ms:g} ms")
        expected = sum(_period_costs(scenario, p, periods))
        if not _close(p.cost_usd, expected):
            out.append(f"{w.name} at {p.site}/{p.offering}: cost {p.cost_usd:.4f} != {expected:.4f}")
        if p.purchase != "on-demand":
            out.append(f"{w.name}: inference must run on-demand")
    always = w.total_demand <= 0
    for i in range(count):
        for client in w.demand_rps:
            demand = w.demand_in(client, i)
            if not _close(served[i].get(client, 0.0), demand, 1e-6):
                out.append(f"{w.name}: client {client} served {served[i].get(client, 0.0):.6f} "
                           f"rps of {demand:g} in period {i + 1}")
        if not (always or w.period_demand(i) > 0):
            continue
        running = sum(_instances(p, count)[i] for p in placed)
        if running < w.min_instances:
            out.append(f"{w.name}: {running} instances < min_instances {w.min_instances} "
                       f"in period {i + 1}")
        n_sites = len({p.site for p in placed if _instances(p, count)[i] > 0})
        if n_sites < w.min_sites and (w.total_demand > 0 or w.min_instances > 0):
            out.append(f"{w.name}: {n_sites} sites < min_sites {w.min_sites} in period {i + 1}")
    return out


def _check_training(scenario: Scenario, w: TrainingWorkload, placed: list[Placement]) -> list[str]:
    if len(placed) != 1:
        return [f"{w.name}: {len(placed)} training placements, expected exactly one"]
    p = placed[0]
    site = scenario.site(p.site)
    o = next(x for x in site.offerings if x.name == p.offering)
    out = []
    k = p.instances
    if not 1 <= k <= w.max_nodes or (o.available is not None and k > o.available + o.buy_max):
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
    end = min(scenario.horizon_hours, w.deadline_hours or scenario.horizon_hours)
    begin = w.release_hours + transfer_h
    if begin + hours > end + 1e-6:
        out.append(f"{w.name}: {transfer_h + hours:.3f} h does not fit its window "
                   f"{w.release_hours:g}..{end:g} h")
    periods = _periods(scenario)
    spread = _hours(p, len(periods))
    if not _close(sum(spread), k * hours, 1e-4):
        out.append(f"{w.name}: {sum(spread):.4f} instance-hours over the periods != "
                   f"{k} x {hours:.4f}")
    for i, (h, q) in enumerate(zip(spread, periods, strict=True)):
        window = max(0.0, min(end, q.end_hour) - max(begin, q.start_hour))
        if h > k * window * (1 + REL) + 1e-6 or h < -1e-9:
            out.append(f"{w.name}: {h:.3f} instance-hours in period {i + 1}, at most "
                       f"{k} x {window:g} h of its window")
    expected = k * price * hours + transfer_usd
    if not _close(p.cost_usd, expected):
        out.append(f"{w.name}: cost {p.cost_usd:.4f} != {expected:.4f}")
    return out
