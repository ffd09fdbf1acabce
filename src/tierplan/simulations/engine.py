"""The deterministic engine: one policy on a virtual clock, step by step.

At the start of step t (time ``t * step``), in this order:

1. events: an outage that starts drops every instance and job node at the site; a
   preemption (or a spot price rising above the bid) drops the spot nodes of the offering;
   when fewer instances of an offering exist than are held (availability events), the
   excess is lost: booting instances first, then running inference instances, then
   training nodes;
2. instances whose provisioning delay is over become ready;
3. the policy's ``decide`` may set new targets; training jobs that arrive, or lost their
   nodes, are offered to ``place_job``;
4. the engine reconciles every key towards its target: stopping is immediate (starting
   instances are cancelled first), starting takes the tier's delay (``ceil(delay /
   step)`` steps; the first decision at t = 0 is ready at once: the system was running
   before the simulation started). Nothing starts at a site that is down, and no offering
   goes past ``available``. Ready instances of a workload are stopped only once none of
   its new instances is still starting (make before break).

Instances are billed from the step they are asked for (booting included) until they
stop. Serving is worked out afterwards for all steps at once (:mod:`.serving`), as it does
not feed back into the policies. Training jobs progress at ``nodes * units * speed``
(``* multi_node_efficiency`` for several nodes) work-hours per hour once their nodes are
ready and their datasets moved; a job that loses its nodes keeps its progress (it
checkpoints) and is placed again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..errors import TierplanError
from ..policies.base import JobRequest, Key, Observation, Policy
from .world import World

__all__ = ["JobRecord", "Trajectory", "run_policy"]


@dataclass
class JobRecord:
    """One training job over its life. Times in seconds from the start."""

    job: int
    workload: str
    arrival_s: float
    deadline_s: float | None
    work_hours: float
    remaining_hours: float
    finished_s: float | None = None
    placements: int = 0
    preemptions: int = 0
    cost_usd: float = 0.0
    cost_by_site: dict[str, float] = field(default_factory=dict)
    # current placement
    site: str | None = None
    offer: int = -1
    nodes: int = 0
    spot: bool = False
    rate: float = 0.0  # work-hours per hour
    start_step: int = 0  # first step it computes

    @property
    def missed_deadline(self) -> bool:
        if self.deadline_s is None:
            return False
        return self.finished_s is None or self.finished_s > self.deadline_s + 1e-6


@dataclass
class Trajectory:
    """What happened under one policy: per-step arrays and the jobs.

    ``ready[t, slot]``: instances serving in step t; ``billed[t, slot]``: instances paid
    for in step t (ready or booting); ``train_nodes[t, offer]``, ``train_offer_usd[t, offer]``
    and ``train_usd[t]``: training nodes held and their cost."""

    policy: str
    ready: np.ndarray
    billed: np.ndarray
    train_nodes: np.ndarray
    train_usd: np.ndarray
    scale_events: int
    jobs: list[JobRecord]
    plan_calls: int = 0
    plan_seconds: float = 0.0
    plan_failures: int = 0
    train_offer_usd: np.ndarray | None = None
    run_seconds: float = 0.0  # wall clock of the whole run, planning included (timing only)


def run_policy(world: World, policy: Policy, on_step: Callable[[int], None] | None = None) -> Trajectory:
    """Run ``policy`` over the whole simulation. ``on_step(t)`` reports progress."""
    started = time.perf_counter()
    traj = _Engine(world, policy).run(on_step)
    traj.run_seconds = time.perf_counter() - started
    return traj


class _Engine:
    def __init__(self, world: World, policy: Policy) -> None:
        self.w = world
        self.policy = policy
        k, o = len(world.slots), len(world.offers)
        self.slot_offer = np.array([s.offer for s in world.slots], dtype=np.int64)
        self.slot_offers = [s.offer for s in world.slots]
        self.slot_site = [s.site for s in world.slots]
        self.slot_tier = [s.tier for s in world.slots]
        self.slot_workload = [s.workload for s in world.slots]
        self.workload_slots = {name: np.array(ix, dtype=np.int64) for name, ix in world.slots_of.items()}
        self.slot_keys = [s.key for s in world.slots]
        self.key_slot = {s.key: s.index for s in world.slots}
        self.ready = np.zeros(k, dtype=np.int64)
        self.pending: list[list[tuple[int, int]]] = [[] for _ in range(k)]  # slot -> [(ready step, n)]
        self.pend = np.zeros(k, dtype=np.int64)  # instances booting per slot (sum of pending)
        self.target = np.zeros(k, dtype=np.int64)
        self.train_hold = np.zeros(o, dtype=np.int64)  # training nodes per offer
        self.site_names = [s.name for s in world.scenario.sites]
        self.scale_events = 0
        self.t = 0  # the step being run
        self.jobs: list[JobRecord] = []
        self.waiting: list[JobRecord] = []  # arrived (or lost their nodes), not placed
        self.active: list[JobRecord] = []  # placed, not finished
        self._offers_of: dict[str, tuple[int, ...]] = {}  # training workload -> offers it can use
        self.due = math.inf  # no booting instance is ready before this step
        self.caps: list[int | None] = []  # capacity per offer in step t (None: unlimited)
        self._held_state = b""  # counts and training nodes the last held() answer is for
        self._held_caps: list[int | None] | None = None
        self._held_view: tuple[Mapping[Key, int], tuple[int | None, ...]] = (MappingProxyType({}), ())
        self._wanted: dict[Key, int] | None = None  # the policy's last answer, as self.target holds it

    # ----------------------------------------------------------------- capacity

    def running(self, slot: int) -> int:
        return int(self.ready[slot] + self.pend[slot])

    def used(self) -> np.ndarray:
        """Instances held per offer: inference (ready or booting) and training nodes."""
        return self.train_hold + np.bincount(self.slot_offer, weights=self.ready + self.pend,
                                             minlength=len(self.train_hold)).astype(np.int64)

    def free(self) -> tuple[int | None, ...]:
        return self.held()[1]

    def held(self) -> tuple[Mapping[Key, int], tuple[int | None, ...]]:
        """Instances running per key, and free per offer (None: unlimited). Most steps
        change no count: the last answer is kept until one does."""
        counts = self.ready + self.pend
        state = counts.tobytes() + self.train_hold.tobytes()
        if state != self._held_state or self.caps is not self._held_caps:
            held, keys = counts.tolist(), self.slot_keys
            running = MappingProxyType({keys[i]: held[i] for i in counts.nonzero()[0].tolist()})
            used = (self.train_hold + np.bincount(self.slot_offer, weights=counts, minlength=len(self.caps))
                    .astype(np.int64)).tolist()
            free = tuple(None if a is None else max(0, a - u) for a, u in zip(self.caps, used, strict=True))
            self._held_state, self._held_caps, self._held_view = state, self.caps, (running, free)
        return self._held_view

    def observation(self, t: int, down: frozenset[str]) -> Observation:
        running, free = self.held()
        return Observation(t, t * self.w.step_s, running, free, down)

    # ---------------------------------------------------------------------- run

    def run(self, on_step: Callable[[int], None] | None) -> Trajectory:
        w = self.w
        steps, k = w.steps, len(w.slots)
        ready_hist = np.zeros((steps, k), dtype=np.int32)
        billed_hist = np.zeros((steps, k), dtype=np.int32)
        train_nodes = np.zeros((steps, len(w.offers)), dtype=np.int32)
        train_usd = np.zeros(steps)
        train_offer_usd = np.zeros((steps, len(w.offers)))
        arrivals = list(w.jobs)
        down_prev: frozenset[str] = frozenset()
        down = down_prev
        step_h = w.step_s / 3600
        # Outages and capacity change only where the world says so (``changed``).
        changed = w.changed.tolist()
        shrinks = set((np.flatnonzero((w.capacity[1:] < w.capacity[:-1]).any(axis=1)) + 1).tolist())
        key_slot = self.key_slot
        for t in range(steps):
            self.t = t
            if t == 0 or changed[t]:
                down = frozenset(self.site_names[i] for i in np.flatnonzero(w.down[t]))
                self.caps = [None if math.isinf(a) else int(a) for a in w.capacity[t].tolist()]
            if down is not down_prev:
                for site in down - down_prev:
                    self._outage(site, t)
                down_prev = down
            for offer in w.preempt.get(t, ()):
                self._preempt(offer, t)
            if t in shrinks:
                self._shed(t)
            if t >= self.due:
                self._boot(t)
            obs = self.observation(t, down)
            wanted = self.policy.decide(w, obs)
            if wanted is not None and wanted != self._wanted:  # the same answer: the same targets
                self._wanted = dict(wanted)
                target = [0] * k
                for key, n in wanted.items():
                    slot = key_slot.get(key)
                    if slot is None:
                        raise TierplanError(f"policy {self.policy.name!r} asked for {key}, which the "
                                            "workload cannot use")
                    target[slot] = max(0, int(n))
                self.target[:] = target
            while arrivals and arrivals[0].at_s <= t * w.step_s + 1e-9:
                a = arrivals.pop(0)
                tw = w.training(a.workload)
                deadline = a.at_s + tw.deadline_hours * 3600 if tw.deadline_hours is not None else None
                rec = JobRecord(len(self.jobs), a.workload, a.at_s, deadline, tw.work_hours, tw.work_hours)
                self.jobs.append(rec)
                self.waiting.append(rec)
            if self.waiting:
                self._place_waiting(t, obs if wanted is None else self.observation(t, down), down)
            self._reconcile(t, down, initial=t == 0)
            ready_hist[t] = self.ready
            billed_hist[t] = self.ready + self.pend
            train_usd[t] = self._train_step(t, step_h, train_nodes[t], train_offer_usd[t])
            if on_step is not None:
                on_step(t)
        calls = getattr(self.policy, "plan_calls", 0)
        return Trajectory(self.policy.name, ready_hist, billed_hist, train_nodes, train_usd,
                          self.scale_events, self.jobs, plan_calls=calls, train_offer_usd=train_offer_usd,
                          plan_seconds=getattr(self.policy, "plan_seconds", 0.0),
                          plan_failures=getattr(self.policy, "plan_failures", 0))

    def _boot(self, t: int) -> None:
        """Instances whose provisioning delay is over become ready."""
        due = math.inf
        for i in self.pend.nonzero()[0].tolist():
            if min(s for s, _ in self.pending[i]) <= t:
                done = sum(n for s, n in self.pending[i] if s <= t)
                self.ready[i] += done
                self.pend[i] -= done
                self.pending[i] = [(s, n) for s, n in self.pending[i] if s > t]
            due = min(due, min((s for s, _ in self.pending[i]), default=due))
        self.due = due

    def _reconcile(self, t: int, down: frozenset[str], initial: bool) -> None:
        counts = self.ready + self.pend
        changes = (self.target != counts).nonzero()[0].tolist()
        if not changes:
            return
        free = list(self.free())
        target, running = self.target.tolist(), counts.tolist()
        for i in changes:
            if target[i] <= running[i] or self.slot_site[i] in down:
                continue
            offer = self.slot_offers[i]
            add = target[i] - running[i]
            if free[offer] is not None:
                add = min(add, int(free[offer] or 0))
                free[offer] = int(free[offer] or 0) - add
            if add <= 0:
                continue
            delay = self.w.delay_steps[self.slot_tier[i]]
            if initial or delay == 0:
                self.ready[i] += add
            else:
                self.pending[i].append((t + delay, add))
                self.pend[i] += add
                self.due = min(self.due, t + delay)
            self.scale_events += 1
        for i in changes:
            if target[i] >= running[i]:
                continue
            cut = running[i] - target[i]
            while cut and self.pending[i]:  # cancel the latest starts first
                s, n = self.pending[i].pop()
                if n > cut:
                    self.pending[i].append((s, n - cut))
                    n = cut
                cut -= n
                self.pend[i] -= n
            # Make before break: ready instances of a workload stop only once the
            # instances it is starting elsewhere are ready (billed meanwhile).
            if cut and self.pend[self.workload_slots[self.slot_workload[i]]].any():
                continue
            self.ready[i] -= cut
            self.scale_events += 1

    # ------------------------------------------------------------------ events

    def _outage(self, site: str, t: int) -> None:
        for i, s in enumerate(self.slot_site):
            if s == site:
                self.ready[i] = 0
                self.pend[i] = 0
                self.pending[i] = []
        for job in list(self.active):
            if job.site == site:
                self._unplace(job, preempted=False)

    def _preempt(self, offer: int, t: int) -> None:
        for job in list(self.active):
            if job.offer == offer and job.spot:
                self._unplace(job, preempted=True)

    def _shed(self, t: int) -> None:
        """Fewer instances exist than are held: booting instances go first, then running
        inference instances, then training nodes (their jobs are preempted)."""
        excess = self.used() - self.w.capacity[t]
        for offer in np.flatnonzero(excess > 0):
            over = int(excess[offer])
            slots = np.flatnonzero(self.slot_offer == offer)
            for i in slots:
                while over and self.pending[i]:
                    s, n = self.pending[i].pop()
                    take = min(n, over)
                    if n > take:
                        self.pending[i].append((s, n - take))
                    self.pend[i] -= take
                    over -= take
            for i in slots:
                take = min(int(self.ready[i]), over)
                self.ready[i] -= take
                over -= take
            for job in list(self.active):
                if over > 0 and job.offer == offer:
                    over -= job.nodes
                    self._unplace(job, preempted=True)

    def _unplace(self, job: JobRecord, preempted: bool) -> None:
        self.train_hold[job.offer] -= job.nodes
        job.preemptions += int(preempted)
        job.site, job.offer, job.nodes, job.rate = None, -1, 0, 0.0
        self.active.remove(job)
        self.waiting.append(job)

    # ---------------------------------------------------------------- training

    def _place_waiting(self, t: int, obs: Observation, down: frozenset[str]) -> None:
        """Offer each waiting job to the policy, in arrival order. The policy sees what is
        free now: after a placement on a limited offering the observation is taken
        again. A job is not offered when no choice could be accepted, because every
        offering it could run on (:meth:`_job_offers`) is limited and full, or at a site
        that is down: a burst of jobs waiting for the same few nodes then costs one check
        per job and step, not a policy call (a plan) each."""
        w = self.w
        for job in list(self.waiting):
            if not any(obs.free[k] != 0 and w.offers[k][0] not in down  # None: unlimited
                       for k in self._job_offers(job.workload)):
                continue
            tw = w.training(job.workload)
            request = JobRequest(job.job, tw, job.remaining_hours, job.arrival_s, job.deadline_s)
            choice = self.policy.place_job(w, request, obs)
            if choice is None or choice.site in down:
                continue
            offer = w.offer_ix.get((choice.site, choice.offering))
            if offer is None:
                raise TierplanError(f"policy {self.policy.name!r} placed a job on an unknown offering "
                                    f"{choice.site}/{choice.offering}")
            free = self.free()[offer]
            if (free is not None and free < choice.nodes) or choice.nodes < 1:
                continue
            if choice.spot and (w.spot_blocked[t, offer] or math.isnan(w.spot_price[t, offer])):
                continue
            site_ix = self.site_names.index(choice.site)
            site = w.scenario.sites[site_ix]
            offering = next(o for o in site.offerings if o.name == choice.offering)
            speed = tw.accelerators.get(offering.speed_key, 0.0)
            efficiency = 1.0 if choice.nodes == 1 else tw.multi_node_efficiency
            rate = choice.nodes * offering.units * speed * efficiency
            if rate <= 0:
                continue
            transfer_h, transfer_usd = w.universe.transfer(tw, site_ix)
            job.site, job.offer, job.nodes, job.spot = choice.site, offer, choice.nodes, choice.spot
            job.rate = rate
            delay = w.delay_steps[site.tier] + math.ceil(transfer_h * 3600 / w.step_s - 1e-9)
            job.start_step = t + delay
            job.placements += 1
            job.cost_usd += transfer_usd
            job.cost_by_site[choice.site] = job.cost_by_site.get(choice.site, 0.0) + transfer_usd
            self.train_hold[offer] += choice.nodes
            self.waiting.remove(job)
            self.active.append(job)
            if free is not None:  # only a limited offering's free count changed
                obs = self.observation(t, down)

    def _job_offers(self, workload: str) -> tuple[int, ...]:
        """The offerings a training workload's job could run on: those of an accelerator
        it has a speed for (any other placement is refused, as its rate would be 0)."""
        offers = self._offers_of.get(workload)
        if offers is None:
            speeds = self.w.training(workload).accelerators
            offers = self._offers_of[workload] = tuple(  # the universe's order is the world's
                k for k, (_, o) in enumerate(self.w.universe.offers)
                if o.units * speeds.get(o.speed_key, 0.0) > 0)
        return offers

    def _train_step(self, t: int, step_h: float, nodes_row: np.ndarray, usd_row: np.ndarray) -> float:
        total = 0.0
        for job in list(self.active):
            nodes_row[job.offer] += job.nodes
            price = self.w.spot_price[t, job.offer] if job.spot else self.w.price[t, job.offer]
            if t >= job.start_step:
                need_h = job.remaining_hours / job.rate
                used_h = min(step_h, need_h)
                job.remaining_hours -= used_h * job.rate
                if need_h <= step_h + 1e-12:
                    job.remaining_hours = 0.0
                    job.finished_s = t * self.w.step_s + used_h * 3600
                    self.train_hold[job.offer] -= job.nodes
                    self.active.remove(job)
            else:
                used_h = step_h
            cost = float(job.nodes * price * used_h)
            usd_row[job.offer] += cost
            job.cost_usd += cost
            assert job.site is not None
            job.cost_by_site[job.site] = job.cost_by_site.get(job.site, 0.0) + cost
            total += cost
        return total
