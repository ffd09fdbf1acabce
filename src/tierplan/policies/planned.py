"""Policies built on the optimal planner, and HPA target tracking on a planned placement.

- ``optimal``: every ``interval``, :func:`tierplan.scheduler.plan` on the scenario with
  each inference workload's ``demand_rps`` replaced (``dataclasses.replace``) by the
  peak of the last interval (``demand: observed``) or of the next one plus the longest
  provisioning delay (``demand: forecast``, a perfect forecast: what starts now is ready
  only after booting, and must carry the load until the next plan's instances are
  ready; the bound forecasting can reach), times ``headroom``. Sites that are down offer
  nothing, offerings with ``available`` offer what jobs leave free, and prices are the
  ones in force. With ``churn_usd`` the planner is told what runs now
  (``PlanOptions.current_instances``) and charges every instance started or stopped.
  It also re-plans at once when availability, a price or an outage changes
  (``World.changed``).
  When a plan is infeasible (``plan_failures``), it is re-planned with ``min_sites: 1``
  and without budgets (a site is down, most often: serving comes first); when that
  fails too, the last plan stays.
- ``static``: one plan at the start for the peak demand of the whole run (per client).
- ``hpa``: the ``static`` plan (peak demand) fixes where each workload runs and which
  share of each client's traffic each (site, offering) gets; it starts at that size,
  then every step each (site, offering) is scaled by Kubernetes HPA arithmetic
  (:mod:`tierplan.policies.hpa`) on the load of the last step against
  ``plan_cap_rps * target_utilization`` per replica.

Training jobs (``optimal``, ``static``): a plan of the job alone, its work set to what is
left and its deadline to the time left, with the capacity free now, unless a cheaper
limited offering that the policy's own jobs free in time is worth waiting for
(:mod:`tierplan.policies.waiting`); ``hpa`` places jobs like ``greedy``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from ..model import InferenceWorkload, Plan, Scenario, Site
from ..scheduler import PlanOptions, plan
from .base import JobChoice, JobRequest, Key, Observation, observed_peak, window_peak
from .greedy import cheapest_job_choice
from .hpa import HpaSettings, Stabiliser, desired_replicas
from .waiting import OwnedQueue

if TYPE_CHECKING:
    from ..simulations.world import World

__all__ = ["HpaPolicy", "OptimalPolicy", "PlanSettings", "StaticPolicy", "scenario_now"]

_HAS_CHURN = {"current_instances", "churn_usd"} <= {f.name for f in fields(PlanOptions)}


def scenario_now(world: World, obs: Observation, demand: Mapping[tuple[str, str], float],
                 headroom: float = 1.0, workloads: tuple[Any, ...] | None = None) -> Scenario:
    """The scenario as it stands at ``obs``: demand replaced, capacity and prices now."""
    step = min(obs.step, world.steps - 1)
    held: dict[tuple[str, str], int] = {}
    for (_, site_name, offering), n in obs.running.items():
        held[site_name, offering] = held.get((site_name, offering), 0) + n
    sites: list[Site] = []
    for site in world.scenario.sites:
        offerings = []
        for o in site.offerings:
            i = world.offer_ix[site.name, o.name]
            free = obs.free[i]
            available = o.available if free is None else free + held.get((site.name, o.name), 0)
            if site.name in obs.down:
                available = 0
            spot = None if math.isnan(world.spot_price[step, i]) else float(world.spot_price[step, i])
            if world.spot_blocked[step, i]:
                spot = None
            offerings.append(replace(o, usd_per_hour=float(world.price[step, i]), spot_usd_per_hour=spot,
                                     available=available))
        sites.append(replace(site, offerings=tuple(offerings)))
    if workloads is None:
        workloads = tuple(
            replace(w, demand_rps={c: demand.get((w.name, c), 0.0) * headroom
                                   for (wn, c) in world.demand if wn == w.name})
            for w in world.inference
        )
    return replace(world.scenario, sites=tuple(sites), workloads=workloads)


def _options(obs: Observation, churn_usd: float, time_limit: float, gap: float = 1e-4) -> PlanOptions:
    # One worker: sweeps already run points in parallel, and a pool per call costs more
    # than the small plans of a simulation gain from it.
    if churn_usd > 0 and _HAS_CHURN:
        return PlanOptions(explain=False, workers=1, time_limit=time_limit, gap=gap,
                           current_instances=dict(obs.running), churn_usd=churn_usd)
    return PlanOptions(explain=False, workers=1, time_limit=time_limit, gap=gap)


def _targets(result: Plan) -> dict[Key, int] | None:
    view = _decode(result)
    return None if view is None else view.targets


@dataclass(frozen=True)
class PlanView:
    """What a plan says about inference: instances per key and the rps per client each
    key serves."""

    targets: dict[Key, int]
    traffic: dict[Key, dict[str, float]]


def _decode(result: Plan) -> PlanView | None:
    if result.status == "infeasible" or (result.status == "time_limit" and not result.placements):
        return None
    out: dict[Key, int] = {}
    traffic: dict[Key, dict[str, float]] = {}
    for p in result.placements:
        if p.kind == "inference":
            key = (p.workload, p.site, p.offering)
            out[key] = out.get(key, 0) + p.instances
            mine = traffic.setdefault(key, {})
            for c, rps in p.traffic_rps.items():
                mine[c] = mine.get(c, 0.0) + rps
    return PlanView(out, traffic)


@dataclass(frozen=True)
class PlanSettings:
    """How a planner policy plans (``optimal`` in both ``scaling`` modes): every
    ``interval`` hours, for the ``demand`` peak (``observed`` or ``forecast``) times
    ``headroom``; ``churn_usd`` per instance started or stopped; each solve bounded by
    ``time_limit`` seconds and the relative ``gap``."""

    interval: float = 1.0
    demand: str = "observed"
    headroom: float = 1.0
    churn_usd: float = 0.0
    time_limit: float = 30.0
    gap: float = 1e-4

    @property
    def forecast(self) -> bool:
        return self.demand == "forecast"


class _Planned:
    def __init__(self, name: str, planner: PlanSettings | None = None) -> None:
        self.name = name
        self.planner = planner or PlanSettings()
        self.plan_calls = 0
        self.plan_seconds = 0.0
        self.plan_failures = 0
        self._cache: dict[Any, PlanView | None] = {}
        self._queue = OwnedQueue()

    def _plan(self, world: World, obs: Observation, demand: Mapping[tuple[str, str], float],
              headroom: float, churn_usd: float) -> dict[Key, int] | None:
        view = self._plan_view(world, obs, demand, headroom, churn_usd)
        return None if view is None else view.targets

    @staticmethod
    def _state(world: World, obs: Observation, churn_usd: float) -> tuple[Any, ...]:
        """Everything but demand that a plan depends on (its cache key)."""
        step = min(obs.step, world.steps - 1)
        # What inference may use is what is free plus what it holds (see scenario_now).
        held = [0] * len(world.offers)
        for (_, site_name, offering), n in obs.running.items():
            held[world.offer_ix[site_name, offering]] += n
        usable = tuple(None if f is None else f + h for f, h in zip(obs.free, held, strict=True))
        return (usable, obs.down, world.price[step].tobytes(), world.spot_blocked[step].tobytes(),
                tuple(sorted(obs.running.items())) if churn_usd > 0 else ())

    def _plan_view(self, world: World, obs: Observation, demand: Mapping[tuple[str, str], float],
                   headroom: float, churn_usd: float,
                   same: Mapping[tuple[str, str], float] | None = None) -> PlanView | None:
        """The plan for ``demand``; ``same`` (default: ``demand``) is what must match for an
        earlier plan to be reused."""
        if not world.inference:
            return None
        # Same inputs, same plan: a flat demand or a repeated pattern skips the solver.
        rounded = tuple(sorted((k, round(v, 9)) for k, v in (demand if same is None else same).items()))
        key = (rounded, *self._state(world, obs, churn_usd))
        if key in self._cache:
            return self._cache[key]
        started = time.perf_counter()
        scenario = scenario_now(world, obs, demand, headroom)
        result = plan(scenario, _options(obs, churn_usd, self.planner.time_limit, self.planner.gap))
        self.plan_calls += 1
        view = _decode(result)
        if view is None:
            self.plan_failures += 1
            # Most often a site is down and min_sites or a budget cannot hold: serving the
            # traffic from what is up comes first.
            relaxed = replace(scenario, budgets=(), workloads=tuple(
                replace(w, min_sites=1, budget_usd=None) if isinstance(w, InferenceWorkload) else w
                for w in scenario.workloads))
            view = _decode(plan(relaxed, _options(obs, churn_usd, self.planner.time_limit, self.planner.gap)))
            self.plan_calls += 1
        self.plan_seconds += time.perf_counter() - started
        self._cache[key] = view
        return view

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        # A cheaper limited offering that this policy's own jobs free in time is waited for
        # (tierplan.policies.waiting); otherwise the plan of the job alone.
        choice = None if self._queue.wait(world, job, obs) else self._job_choice(world, job, obs)
        self._queue.placed(world, job, choice, obs)
        return choice

    def _job_choice(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        left_h = (job.deadline_s - obs.time_s) / 3600 if job.deadline_s is not None else None
        if left_h is not None and left_h > 0:
            w = replace(job.workload, work_hours=job.remaining_hours, deadline_hours=left_h, budget_usd=None)
            scenario = replace(scenario_now(world, obs, {}, workloads=(w,)), budgets=(),
                               horizon_hours=max(left_h, 1e-6))
            result = plan(scenario, PlanOptions(explain=False, workers=1, time_limit=self.planner.time_limit))
            self.plan_calls += 1
            for p in result.placements:
                return JobChoice(p.site, p.offering, p.instances, p.purchase == "spot")
        # No deadline, or none can be met any more: the cheapest (else fastest) option.
        return cheapest_job_choice(world, job, obs)


def lead_steps(world: World) -> int:
    """The longest provisioning delay (in steps) of a tier some workload can run on."""
    return max((world.delay_steps[s.tier] for s in world.slots), default=0)


class OptimalPolicy(_Planned):
    def __init__(self, name: str, **planner: Any) -> None:
        super().__init__(name, PlanSettings(**planner))

    def decide(self, world: World, obs: Observation) -> Mapping[Key, int] | None:
        p = self.planner
        every = max(1, round(p.interval * 3600 / world.step_s))
        # Re-plan on schedule, and at once when availability, a price or an outage changes.
        if obs.step % every and not world.changed[min(obs.step, world.steps - 1)]:
            return None
        if p.forecast:
            # What starts now is ready after the provisioning delay and serves until the
            # next plan's instances are ready: plan for the peak of all of that.
            demand = window_peak(world, obs.step, obs.step + every + lead_steps(world))
        else:
            demand = observed_peak(world, obs, every)
        return self._plan(world, obs, demand, p.headroom, p.churn_usd)


class StaticPolicy(_Planned):
    def __init__(self, name: str, headroom: float = 1.0) -> None:
        super().__init__(name, PlanSettings(headroom=headroom))

    def decide(self, world: World, obs: Observation) -> Mapping[Key, int] | None:
        if obs.step:
            return None
        return self._plan(world, obs, window_peak(world, 0, world.steps), self.planner.headroom, 0.0)


class HpaPolicy(_Planned):
    def __init__(self, name: str, tolerance: float = 0.1, scale_down_window: float = 300 / 3600,
                 scale_up_window: float = 0.0, target_utilization: float = 1.0,
                 max_step: int | None = None) -> None:
        super().__init__(name)
        self.tolerance = tolerance
        self.target_utilization = target_utilization
        self.settings = HpaSettings(tolerance=tolerance, scale_up_window_s=scale_up_window * 3600,
                                    scale_down_window_s=scale_down_window * 3600, min_replicas=1,
                                    max_step=max_step)
        # key -> client -> share of that client's demand, from the first plan
        self.shares: dict[Key, dict[str, float]] = {}
        self._stabilisers: dict[Key, Stabiliser] = {}
        self._per_replica: dict[Key, float] = {}

    def decide(self, world: World, obs: Observation) -> Mapping[Key, int] | None:
        if obs.step == 0:
            return self._fix_placement(world, obs)
        out: dict[Key, int] = {}
        for key, shares in self.shares.items():
            load = sum(share * float(world.demand[key[0], c][obs.step - 1]) for c, share in shares.items())
            current = obs.running.get(key, 0)
            per_replica = self._per_replica[key]
            wanted = desired_replicas(current, load, per_replica, self.tolerance)
            out[key] = self._stabilisers[key].apply(obs.time_s, current, wanted)
        return out

    def _fix_placement(self, world: World, obs: Observation) -> dict[Key, int] | None:
        demand = window_peak(world, 0, world.steps)
        started = time.perf_counter()
        result = plan(scenario_now(world, obs, demand), _options(obs, 0.0, self.planner.time_limit))
        self.plan_seconds += time.perf_counter() - started
        self.plan_calls += 1
        targets = _targets(result)
        if targets is None:
            self.plan_failures += 1
            return None
        totals: dict[tuple[str, str], float] = {}
        for p in result.placements:
            for c, rps in p.traffic_rps.items():
                totals[p.workload, c] = totals.get((p.workload, c), 0.0) + rps
        for p in result.placements:
            if p.kind != "inference":
                continue
            key = (p.workload, p.site, p.offering)
            shares = self.shares.setdefault(key, {})
            for c, rps in p.traffic_rps.items():
                if totals[p.workload, c] > 0:
                    shares[c] = shares.get(c, 0.0) + rps / totals[p.workload, c]
            slot = next(s for s in world.slots if s.key == key)
            self._per_replica[key] = slot.plan_cap_rps * self.target_utilization
            self._stabilisers[key] = Stabiliser(self.settings)
            self._stabilisers[key].apply(obs.time_s, 0, targets[key])
        # Clients the first plan did not see (no demand at step 0) follow the workload's
        # other clients: they go to every key of the workload in equal parts.
        for (wn, c) in world.demand:
            keys = [k for k in self.shares if k[0] == wn]
            if keys and not any(c in self.shares[k] for k in keys):
                for k in keys:
                    self.shares[k][c] = 1.0 / len(keys)
        return targets

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        return cheapest_job_choice(world, job, obs)
