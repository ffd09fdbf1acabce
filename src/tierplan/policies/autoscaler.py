"""``kind: autoscaler, config: autoscale.yaml``: the autoscaler's own decisions in
simulated time, so that the config one deploys can be costed against a traffic curve.

Every ``interval`` of the config (from step 0), in simulated time, the policy does what a
tick of :class:`tierplan.autoscaler.loop.Autoscaler` decides, with the same code:

1. demand per endpoint and client: the rps of the last completed step (the metrics a
   tick reads); at step 0 the first step's;
2. predictive mode: :class:`~tierplan.autoscaler.forecast.Holt`, max(observed, forecast
   ``lead`` ahead);
3. sizing: :class:`~tierplan.autoscaler.sizing.Sizer` (the exact fast path or the
   planner, churn against the current replicas);
4. guards: :class:`~tierplan.autoscaler.decide.Guards` (tolerance, stabilisation windows,
   max change, min/max replicas, cron floors, budgets); an endpoint the sizer finds
   infeasible is held, as the live loop holds it.

The current replicas are what the simulation runs (ready or booting); the targets go to
the simulation's engine, which boots them with the tier's provisioning delay. What the
live loop does around the decisions (metrics sources, controllers and their retries, the
state store, logging) is not simulated. Times given to the decision code are seconds
since ``EPOCH`` (2026-01-01T00:00:00Z, a Thursday) plus the simulated time: cron floors
fire on that calendar. Training jobs are placed as by ``greedy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .base import JobChoice, JobRequest, Key, Observation
from .greedy import cheapest_job_choice

if TYPE_CHECKING:
    from ..simulations.world import World

__all__ = ["EPOCH", "AutoscalerPolicy"]

EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class AutoscalerPolicy:
    def __init__(self, name: str, config: str) -> None:
        from ..autoscaler.config import load_config
        from ..autoscaler.decide import Guards
        from ..autoscaler.forecast import Holt
        from ..autoscaler.sizing import Sizer

        self.name = name
        self.config = load_config(config)
        self.sizer = Sizer()
        self.guards = Guards(self.config)
        p = self.config.predictive
        self.holt = Holt(p.alpha, p.beta) if p is not None else None
        self.plan_calls = 0
        self.plan_failures = 0
        self.plan_seconds = 0.0
        self._last_tick = -1

    def decide(self, world: World, obs: Observation) -> Mapping[Key, int] | None:
        tick = int(obs.time_s // self.config.interval_s + 1e-9)
        if tick == self._last_tick:
            return None
        self._last_tick = tick
        now = EPOCH + obs.time_s
        step = max(0, obs.step - 1)
        offering = {(e.workload, s.site): s.offering for e in self.config.endpoints for s in e.sites}
        current: dict[tuple[str, str], int | None] = {
            key: obs.running.get((key[0], key[1], off), 0) for key, off in offering.items()}
        planned_for: dict[str, dict[str, float]] = {}
        for e in self.config.endpoints:
            observed = {c: float(world.demand[e.workload, c][step]) for c in e.clients
                        if (e.workload, c) in world.demand}
            predictive = self.config.predictive
            if self.holt is not None and predictive is not None:
                planned_for[e.workload] = self.holt.ahead(e.workload, now, observed, predictive.lead_s)
            else:
                planned_for[e.workload] = observed
        sizing = self.sizer(self.config, planned_for, current)
        self.plan_calls += 1
        self.plan_seconds += sizing.seconds
        held = {e: f"no feasible plan: {why}" for e, why in sizing.infeasible.items()}
        self.plan_failures += len(held)
        out: dict[Key, int] = {}
        for d in self.guards.decide(now, current, sizing.replicas, held):
            target = d.target if d.target is not None else d.current
            if target:
                out[(d.endpoint, d.site, d.offering)] = target
        # Workloads the config does not control keep what they run.
        controlled = {e.workload for e in self.config.endpoints}
        for key, n in obs.running.items():
            if key[0] not in controlled:
                out[key] = n
        return out

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        return cheapest_job_choice(world, job, obs)
