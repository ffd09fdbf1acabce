"""The static side of a simulation: scenario indexed for fast lookups, demand and events
laid out per step. Built once per run and shared (read-only) by the engine and policies.

Indexing:
- an *offer* is one (site, offering) of the scenario; ``price[t, offer]`` and
  ``spot_price[t, offer]`` hold the price in force during step t (price changes and spot
  series applied), ``spot_blocked[t, offer]`` is True while a spot series is above the bid;
- ``capacity[t, offer]``: instances of the offer that exist in step t (``available``,
  changed by availability events; inf: unlimited);
- a *slot* is one (inference workload, offer) pair the workload is eligible for
  (accelerator, filters, datasets as in SPEC section 2);
- ``down[t, site]`` is True while the site is out;
- ``changed[t]`` is True when any of those differs from step t - 1 (policies re-plan then).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..model import InferenceWorkload, Scenario, TrainingWorkload
from ..scheduler.candidates import Universe
from .demand import build_demand
from .spec import JobArrival, Simulation

__all__ = ["Slot", "World", "build_world"]

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Slot:
    """One offering an inference workload may run on.

    ``cap_rps``: what one instance serves (accelerator_count x rps, per vCPU for CPU);
    ``plan_cap_rps``: the same times ``max_utilization``, what policies size for.
    ``reach``: client -> round trip + service latency, for clients within the SLO."""

    index: int
    workload: str
    site: str
    site_ix: int
    offering: str
    offer: int
    tier: str
    provider: str | None
    cap_rps: float
    plan_cap_rps: float
    usd_per_hour: float
    service_ms: float
    reach: Mapping[str, float]

    @property
    def key(self) -> Key:
        return (self.workload, self.site, self.offering)


@dataclass(frozen=True)
class World:
    sim: Simulation
    scenario: Scenario
    universe: Universe
    steps: int
    step_s: float
    demand: Mapping[tuple[str, str], np.ndarray]
    slots: tuple[Slot, ...]
    slots_of: Mapping[str, tuple[int, ...]]  # inference workload -> slot indices
    offers: tuple[tuple[str, str], ...]  # (site, offering)
    offer_ix: Mapping[tuple[str, str], int]
    available: tuple[int | None, ...]  # per offer, as the scenario says
    capacity: np.ndarray  # [steps, offers]: instances that exist in step t (inf: unlimited)
    price: np.ndarray  # [steps, offers]
    spot_price: np.ndarray  # [steps, offers], NaN: no spot price
    spot_blocked: np.ndarray  # [steps, offers] bool
    down: np.ndarray  # [steps, sites] bool
    preempt: Mapping[int, tuple[int, ...]]  # step -> offers whose spot instances are lost
    delay_steps: Mapping[str, int]  # tier -> provisioning delay in steps
    jobs: tuple[JobArrival, ...]
    changed: np.ndarray  # [steps] bool: availability, a price, spot blocking or an outage changed

    @property
    def inference(self) -> tuple[InferenceWorkload, ...]:
        return tuple(w for w in self.scenario.workloads if isinstance(w, InferenceWorkload))

    def training(self, name: str) -> TrainingWorkload:
        for w in self.scenario.workloads:
            if w.name == name and isinstance(w, TrainingWorkload):
                return w
        raise KeyError(name)


def build_world(sim: Simulation, demand_scale: float = 1.0) -> World:
    scenario = sim.scenario
    universe = Universe(scenario)
    steps, step_s = sim.steps, sim.step_s
    offers = tuple((site.name, o.name) for site in scenario.sites for o in site.offerings)
    offer_ix = {k: i for i, k in enumerate(offers)}
    site_ix = {site.name: i for i, site in enumerate(scenario.sites)}
    offerings = [o for site in scenario.sites for o in site.offerings]
    price = np.tile(np.array([o.usd_per_hour for o in offerings], dtype=float), (steps, 1))
    spot = np.tile(np.array([np.nan if o.spot_usd_per_hour is None else o.spot_usd_per_hour
                             for o in offerings], dtype=float), (steps, 1))
    blocked = np.zeros((steps, len(offers)), dtype=bool)
    capacity = np.tile(np.array([np.inf if o.available is None else float(o.available) for o in offerings]),
                       (steps, 1))
    down = np.zeros((steps, len(scenario.sites)), dtype=bool)
    preempt: dict[int, list[int]] = {}
    world_steps = np.arange(steps) * step_s

    def first(seconds: float) -> int:
        return min(steps, max(0, math.ceil(seconds / step_s - 1e-9)))

    # Events apply in file order, so a later price change overrides an earlier one.
    for e in sim.events:
        if e.kind == "outage":
            down[first(e.start_s):first(e.end_s), site_ix[e.site]] = True
        elif e.kind == "price_change":
            cols = [offer_ix[e.site, e.offering]] if e.offering else [
                i for i, (site, _) in enumerate(offers) if site == e.site]
            target = spot if e.spot else price
            for col in cols:
                row = first(e.start_s)
                target[row:, col] = e.usd_per_hour if e.usd_per_hour is not None else target[row:, col] * (
                    e.factor or 1.0)
        elif e.kind == "preemption":
            assert e.offering is not None
            preempt.setdefault(first(e.start_s), []).append(offer_ix[e.site, e.offering])
        elif e.kind == "availability":
            assert e.offering is not None
            col = offer_ix[e.site, e.offering]
            for at, count in e.series:
                capacity[first(at):, col] = count
        elif e.kind == "spot_series":
            assert e.offering is not None and e.bid_usd_per_hour is not None
            col = offer_ix[e.site, e.offering]
            t = np.array([p[0] for p in e.series])
            v = np.array([p[1] for p in e.series])
            values = v[np.maximum(np.searchsorted(t, world_steps, side="right") - 1, 0)]
            spot[:, col] = values
            blocked[:, col] = values > e.bid_usd_per_hour
            # A preemption is the moment the price crosses the bid.
            for crossing in np.flatnonzero(blocked[:, col] & ~np.concatenate(([False], blocked[:-1, col]))):
                preempt.setdefault(int(crossing), []).append(col)

    slots: list[Slot] = []
    slots_of: dict[str, list[int]] = {}
    clients = {c.name: c for c in scenario.clients}
    for w in scenario.workloads:
        if not isinstance(w, InferenceWorkload):
            continue
        slots_of[w.name] = []
        workload_clients = sorted({c for (wn, c) in _demand_keys(sim, w)} | set(w.demand_rps))
        for si in universe.admitted_sites(w):
            site = scenario.sites[si]
            for o in site.offerings:
                profile = w.accelerators.get(o.speed_key)
                if profile is None or o.units * profile.rps <= 0:
                    continue
                reach: dict[str, float] = {}
                for name in workload_clients:
                    ms = scenario.network.rtt_ms(clients[name], site) + profile.latency_ms
                    if ms <= w.latency_slo_ms + 1e-9:
                        reach[name] = ms
                cap = o.units * profile.rps
                slots_of[w.name].append(len(slots))
                slots.append(Slot(len(slots), w.name, site.name, si, o.name, offer_ix[site.name, o.name],
                                  site.tier, site.provider, cap, cap * w.max_utilization,
                                  o.usd_per_hour, profile.latency_ms, reach))
    delay = {tier: math.ceil(seconds / step_s - 1e-9) for tier, seconds in sim.provisioning_s.items()}
    return World(
        sim=sim, scenario=scenario, universe=universe, steps=steps, step_s=step_s,
        demand=build_demand(sim, demand_scale), slots=tuple(slots),
        slots_of={k: tuple(v) for k, v in slots_of.items()}, offers=offers, offer_ix=offer_ix,
        available=tuple(o.available for o in offerings), capacity=capacity, price=price, spot_price=spot,
        spot_blocked=blocked, down=down, preempt={k: tuple(v) for k, v in preempt.items()},
        delay_steps=delay, jobs=sim.jobs,
        changed=_changes(capacity, price, spot, blocked, down),
    )


def _changes(*arrays: np.ndarray) -> np.ndarray:
    """Steps where any row differs from the row before (NaN equals NaN: no spot price)."""
    out = np.zeros(len(arrays[0]), dtype=bool)
    for a in arrays:
        if len(a) > 1 and a.shape[1]:
            same = (a[1:] == a[:-1]) | (np.isnan(a[1:]) & np.isnan(a[:-1]) if a.dtype.kind == "f" else False)
            out[1:] |= ~np.all(same, axis=1)
    return out


def _demand_keys(sim: Simulation, w: InferenceWorkload) -> set[tuple[str, str]]:
    return {(d.workload, d.client) for d in sim.demand if d.workload == w.name and d.client is not None}
