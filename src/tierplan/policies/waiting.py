"""Training jobs that wait for owned capacity (``optimal``, ``static``).

A job that arrives while the owned (or edge, or any limited) offering it would run on
most cheaply is busy goes, by the plan of the job alone, to what is free now: often the
cloud. When the units are held by jobs this policy placed itself, it knows when they
should free: the engine runs a job at ``nodes x units x speed`` (``x
multi_node_efficiency`` for several nodes) once booted and its datasets moved. The job
then waits when

- the limited offering, started once those units free, finishes it by its deadline and
  costs less than the cheapest option free now, and no other job waits for it (two
  would count on the same units); and
- an on-demand option of an unlimited offering (no ``available``: nothing can take its
  room), started then (at least a step from now), still meets the deadline, so a wrong
  guess (a preemption, an outage, inference taking the units) costs money, not the
  deadline. A site that is down is not waited for. (A limited fallback, a cloud quota,
  was tried: jobs placed meanwhile took its room and waiting jobs missed deadlines.)

It is asked again every step while it waits, and is placed as before once the units are
free or waiting no longer pays. Estimates use the prices in force now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import JobChoice, JobRequest, Observation
from .greedy import priced_training_options

if TYPE_CHECKING:
    from ..simulations.world import World

__all__ = ["OwnedQueue"]


@dataclass(frozen=True, slots=True)
class _Option:
    offer: int
    site: str
    nodes: int
    spot: bool
    hours: float  # from placement to the end: boot, dataset move, compute
    usd: float  # what it bills: nodes x price x hours, plus the dataset move


class OwnedQueue:
    """The jobs this policy placed on limited offerings, and when each should end."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[int, int, float]] = {}  # job -> (offer, nodes, end in s)
        self._waiting: dict[int, int] = {}  # job -> the offer it waits for

    def placed(self, world: World, job: JobRequest, choice: JobChoice | None, obs: Observation) -> None:
        """Record where ``job`` was placed now (``None``: it waits, nothing held)."""
        self._held.pop(job.job, None)
        if choice is None:
            return
        self._waiting.pop(job.job, None)
        offer = world.offer_ix.get((choice.site, choice.offering))
        if offer is None or world.available[offer] is None:
            return
        for o in _options(world, job, obs):
            if o.offer == offer and o.nodes == choice.nodes and o.spot == choice.spot:
                self._held[job.job] = (offer, choice.nodes, obs.time_s + o.hours * 3600)
                return

    def wait(self, world: World, job: JobRequest, obs: Observation) -> bool:
        """Whether ``job`` should wait for a cheaper limited offering (module docstring)."""
        self._waiting.pop(job.job, None)
        if job.deadline_s is None:
            return False
        left_h = (job.deadline_s - obs.time_s) / 3600
        step = min(obs.step, world.steps - 1)
        options = _options(world, job, obs)
        now = [o for o in options if _free_now(world, obs, o, step) and o.hours <= left_h + 1e-9]
        if not now:
            return False
        best_now = min(o.usd for o in now)
        # One job waits for an offering at a time (a second would count on the same units);
        # the fallback is on demand on an unlimited offering: nothing can take its room.
        awaited = set(self._waiting.values())
        fallback = [o for o in now if not o.spot and world.available[o.offer] is None]
        for o in options:
            if (world.available[o.offer] is None or o.usd >= best_now - 1e-9 or o in now
                    or o.offer in awaited or o.site in obs.down):
                continue
            free_at = self._frees_at(o, obs)
            if free_at is None:
                continue
            start_h = (max(free_at, obs.time_s + world.step_s) - obs.time_s) / 3600
            if start_h + o.hours > left_h + 1e-9:
                continue
            if any(start_h + f.hours <= left_h + 1e-9 for f in fallback):
                self._waiting[job.job] = o.offer
                return True
        return False

    def _frees_at(self, option: _Option, obs: Observation) -> float | None:
        """When enough units of the option's offer are free, counting only this policy's
        own jobs ending there (None: they never will be)."""
        free = obs.free[option.offer]
        have = 0 if free is None else free
        # a job past its end has ended (its units are in ``free``) or runs late: no guess
        ends = sorted(end for offer, nodes, end in self._held.values()
                      if offer == option.offer and end > obs.time_s for _ in range(nodes))
        need = option.nodes - have
        if need <= 0:
            return obs.time_s
        if need > len(ends):
            return None
        return ends[need - 1]


def _free_now(world: World, obs: Observation, o: _Option, step: int) -> bool:
    free = obs.free[o.offer]
    if o.site in obs.down or (free is not None and free < o.nodes):
        return False
    return not (o.spot and (world.spot_blocked[step, o.offer] or math.isnan(world.spot_price[step, o.offer])))


def _options(world: World, job: JobRequest, obs: Observation) -> list[_Option]:
    """Every (offering, nodes, purchase) the job can run on, costed as the engine bills it
    at the prices in force now."""
    w = job.workload
    out = []
    for opt, site, offering, offer, price in priced_training_options(world, job, obs):
        rate = opt.nodes * offering.units * w.accelerators.get(offering.speed_key, 0.0) * (
            1.0 if opt.nodes == 1 else w.multi_node_efficiency)
        if math.isnan(price) or rate <= 0:
            continue
        boot = world.delay_steps[site.tier] + math.ceil(opt.transfer_hours * 3600 / world.step_s - 1e-9)
        hours = boot * world.step_s / 3600 + job.remaining_hours / rate
        usd = opt.nodes * price * hours + opt.transfer_usd
        out.append(_Option(offer, site.name, opt.nodes, opt.spot, hours, usd))
    return out
