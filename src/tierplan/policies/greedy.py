"""Greedy baselines: cheapest capacity first, cloud only, edge first.

Every ``interval`` the policy sizes each inference workload for the peak demand it saw
in the last interval (times ``headroom``):

1. clients with the fewest reachable slots go first (they have the least choice);
2. each client's demand goes to its reachable slots in order of rank, filling a slot up
   to ``available`` before the next; the rank is
   - ``greedy``: USD per hour per rps of planning capacity (``plan_cap_rps``), then latency;
   - ``cloud_only``: the same, over cloud slots only;
   - ``edge_first``: tier (edge, onprem, cloud), then the same;
3. a slot gets ``ceil(load / plan_cap_rps)`` instances (load is pooled over clients);
   ``min_instances`` and ``min_sites`` are then met with the cheapest slots left.

It ignores egress and budgets: that is what makes it a baseline. Training jobs go to the
cheapest option (current prices) that meets the remaining deadline; without one, to
the fastest option.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from .base import JobChoice, JobRequest, Key, Observation, observed_peak

if TYPE_CHECKING:
    from ..model import Offering, Site
    from ..scheduler.candidates import TrainOption
    from ..simulations.world import Slot, World

__all__ = ["GreedyPolicy", "PricedOption", "cheapest_job_choice", "priced_training_options"]

_TIER_RANK = {"edge": 0, "onprem": 1, "cloud": 2}


class GreedyPolicy:
    """``kind``: greedy | cloud_only | edge_first (see the module docstring)."""

    def __init__(self, name: str, kind: str = "greedy", interval: float = 1 / 12,
                 headroom: float = 1.0) -> None:
        self.name = name
        self.kind = kind
        self.interval_h = interval
        self.headroom = headroom
        self._interval_steps = 0

    def _allowed(self, slot: Slot) -> bool:
        return self.kind != "cloud_only" or slot.tier == "cloud"

    def _rank(self, world: World, slot: Slot, step: int) -> tuple[float, ...]:
        price = float(world.price[min(step, world.steps - 1), slot.offer]) / slot.plan_cap_rps
        tier = float(_TIER_RANK.get(slot.tier, 3)) if self.kind == "edge_first" else 0.0
        return (tier, price, slot.service_ms, float(slot.index))

    def decide(self, world: World, obs: Observation) -> Mapping[Key, int] | None:
        if not self._interval_steps:
            self._interval_steps = max(1, round(self.interval_h * 3600 / world.step_s))
        if obs.step % self._interval_steps:
            return None
        demand = observed_peak(world, obs, self._interval_steps)
        return size_greedily(world, obs, demand, self.headroom,
                             lambda slot: self._rank(world, slot, obs.step), self._allowed)

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        tiers = ("cloud",) if self.kind == "cloud_only" else None
        return cheapest_job_choice(world, job, obs, tiers, edge_first=self.kind == "edge_first")


def size_greedily(world: World, obs: Observation, demand: Mapping[tuple[str, str], float], headroom: float,
                  rank: Callable[[Slot], tuple[float, ...]],
                  allowed: Callable[[Slot], bool]) -> dict[Key, int]:
    # offer -> instances left for inference (inf: unlimited); what inference holds now is
    # given back, since this sizing replaces it.
    held: dict[int, int] = defaultdict(int)
    for k, n in obs.running.items():
        held[world.offer_ix[k[1], k[2]]] += n
    free = {i: math.inf if left is None else float(left + held[i]) for i, left in enumerate(obs.free)}
    out: dict[Key, int] = {}
    for w in world.inference:
        slots = sorted((world.slots[i] for i in world.slots_of[w.name]
                        if allowed(world.slots[i]) and world.slots[i].site not in obs.down), key=rank)
        load: dict[int, float] = defaultdict(float)
        clients = sorted((c for (wn, c) in demand if wn == w.name),
                         key=lambda c: (sum(c in s.reach for s in slots), c))
        for c in clients:
            rest = demand[w.name, c] * headroom
            for slot in slots:
                if rest <= 1e-12 or c not in slot.reach:
                    continue
                room = free[slot.offer] * slot.plan_cap_rps - load[slot.index]
                take = min(rest, max(0.0, room))
                load[slot.index] += take
                rest -= take
        counts: dict[int, int] = {}
        for slot in slots:
            n = math.ceil(load[slot.index] / slot.plan_cap_rps - 1e-9)
            n = int(min(n, free[slot.offer]))
            if n > 0:
                counts[slot.index] = n
                free[slot.offer] -= n
        _meet_minimums(w.min_instances, w.min_sites, slots, counts, free)
        for i, n in counts.items():
            out[world.slots[i].key] = n
    return out


def _meet_minimums(min_instances: int, min_sites: int, slots: list[Slot], counts: dict[int, int],
                   free: dict[int, float]) -> None:
    sites = {s.site for s in slots if counts.get(s.index)}
    for slot in slots:
        if len(sites) >= min_sites:
            break
        if slot.site not in sites and free[slot.offer] >= 1:
            counts[slot.index] = counts.get(slot.index, 0) + 1
            free[slot.offer] -= 1
            sites.add(slot.site)
    while sum(counts.values()) < min_instances:
        spare = next((s for s in slots if free[s.offer] >= 1), None)
        if spare is None:
            return
        counts[spare.index] = counts.get(spare.index, 0) + 1
        free[spare.offer] -= 1


class PricedOption(NamedTuple):
    """A training option of a job with the price per node-hour in force at this step."""

    option: TrainOption
    site: Site
    offering: Offering
    offer: int  # the world's offer index
    price: float  # USD per node-hour now (NaN: not offered now)


def priced_training_options(world: World, job: JobRequest, obs: Observation) -> Iterator[PricedOption]:
    """Every (offering, nodes, purchase) the job's remaining work can run on, with the
    price in force at this step."""
    w = replace(job.workload, work_hours=job.remaining_hours, deadline_hours=None)
    step = min(obs.step, world.steps - 1)
    for opt in world.universe.training(w, (), limit=1e12, prune=False).options:
        site = world.scenario.sites[opt.site]
        offering = world.universe.offers[opt.offer][1]
        offer = world.offer_ix[site.name, offering.name]
        price = float(world.spot_price[step, offer] if opt.spot else world.price[step, offer])
        yield PricedOption(opt, site, offering, offer, price)


def cheapest_job_choice(world: World, job: JobRequest, obs: Observation, tiers: tuple[str, ...] | None = None,
                        edge_first: bool = False) -> JobChoice | None:
    """The cheapest option at current prices that finishes by the deadline, else the fastest."""
    left_h = (job.deadline_s - obs.time_s) / 3600 if job.deadline_s is not None else math.inf
    step = min(obs.step, world.steps - 1)
    options = []
    for opt, site, offering, offer, price in priced_training_options(world, job, obs):
        free = obs.free[offer]
        if site.name in obs.down or (tiers and site.tier not in tiers):
            continue
        if free is not None and free < opt.nodes:
            continue
        if opt.spot and (world.spot_blocked[step, offer] or math.isnan(price)):
            continue
        hours = opt.transfer_hours + opt.compute_hours
        cost = opt.nodes * price * opt.compute_hours + opt.transfer_usd
        tier = _TIER_RANK.get(site.tier, 3) if edge_first else 0
        # Every k >= 2 nodes costs the same: equal costs go to fewer nodes (less to boot,
        # less capacity held), so costs are compared to the micro-dollar.
        options.append((hours <= left_h + 1e-9, tier, round(cost, 6), opt.nodes, hours, site.name,
                        offering.name, opt))
    if not options:
        return None
    meets = [o for o in options if o[0]]
    # Meets the deadline: (tier rank), cost, nodes, hours, names; else the fastest.
    best = min(meets, key=lambda o: o[1:7]) if meets else min(options, key=lambda o: (o[4], o[2], o[5], o[6]))
    opt = best[7]
    return JobChoice(best[5], best[6], opt.nodes, opt.spot)
