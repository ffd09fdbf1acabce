"""``optimal`` with ``scaling: track`` (the default): a planner paired with a fast loop.

The way production systems pair a slow planner with a fast autoscaler:

- **Planner, every ``interval``** (and at once when availability, a price or an outage
  changes): :func:`tierplan.scheduler.plan` on the interval's peak demand (observed, or
  forecast ahead by the provisioning delay), times ``headroom``. The plan fixes the
  *mix*: which (site, offering) keys each inference workload may use, and how many
  instances of each limited offering (``available`` set: edge, on-prem, a quota) it may
  hold. Beyond the plan, each client gets a *spill* key: its cheapest unlimited offering
  within the SLO, so that demand above the plan still finds capacity.
- **How much, every step**: target tracking per deployment
  (:mod:`tierplan.policies.deployments`, Kubernetes HPA arithmetic: ``tolerance``, the
  highest recommendation of the last ``scale_down_window``, ``target_utilization`` of
  ``plan_cap_rps`` per replica) on each client's load (the last step's rps; with
  ``lead: trend`` plus the rise of its mean over the last provisioning delay; with
  ``demand: forecast`` the peak up to the delay ahead). With ``deployments: peak`` (the
  default) the deployments are those ``hpa`` runs: the plan for the run's peak demand
  lays out their keys, traffic shares and starting counts once, so the loop holds what
  ``hpa`` holds; with ``deployments: plan`` they follow each interval's plan.
- **Where, every step** (:mod:`tierplan.policies.placement`): whole instances move to
  cheaper keys of the mix (merit order: USD per rps-hour, price in force plus response
  egress), never leaving a client less capacity; while a workload scales up, also to free
  units that boot faster and serve what the instance is sized to carry though they carry
  less (:func:`tierplan.policies.placement.place`), undone at its next scale-down; units
  that serve less than the instance is sized to carry (one box for an L4) only where the
  capacity left covers the load plus the largest rise the load has been seen to make
  within their boot (:func:`rises`). Units
  of a limited offering that the layout gives a deployment, as many as it wanted within
  its scale-down window, are its claim; other workloads use only what no deployment
  claims, and moves leave it room to grow (:mod:`tierplan.policies.reserve`). Moves onto
  an offering whose availability changed
  during the run stop where losing all of them would leave less than the load. While a
  workload scales down, a move starts nothing (the engine keeps the instances it stops
  until what it starts is ready).
  ``min_instances`` and ``min_sites`` are met with the cheapest keys of the mix.

Against ``hpa`` (the same deployments on fixed keys) this keeps owned and edge capacity
busy while it is there, and sends to the cloud only what it cannot carry. Training jobs
are placed as by ``optimal`` (a plan of the job alone).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import Key, Observation, observed_peak, window_peak
from .deployments import Deployments
from .greedy import _meet_minimums
from .hpa import HpaSettings
from .placement import Limits, Option, place
from .planned import PlanSettings, PlanView, _Planned, lead_steps
from .reserve import Recent

if TYPE_CHECKING:
    from ..model import InferenceWorkload
    from ..simulations.world import Slot, World

__all__ = ["TrackingPolicy", "rises"]



@dataclass(frozen=True)
class Mix:
    """What the last plan fixed for one workload: the keys it may use (the plan's and the
    spill keys) and the rps per client the plan routed to each key (slot index)."""

    keys: tuple[Slot, ...]
    traffic: Mapping[int, Mapping[str, float]]


GRID = 2 ** (1 / 8)  # demand within one step of this grid (9 %) reuses a plan
REUSE = 2  # see _reuse


def _grid(rps: float) -> float:
    """``rps`` rounded up to the demand grid. A plan only fixes the mix (the loop sizes
    from the real load): an interval whose peaks fall on the same grid points as an
    earlier one reuses that plan, so days that peak alike plan once."""
    if rps <= 0:
        return 0.0
    return float(GRID ** math.ceil(math.log(rps, GRID) - 1e-9))


def rises(load: np.ndarray, boots: Sequence[int]) -> dict[int, np.ndarray]:
    """boot -> per step t, the largest rise of ``load`` within ``boot`` + 1 steps that
    ended at t or before: what a unit booting in ``boot`` steps, started on the last
    step's load, must have had spare to cover (history only: a running maximum)."""
    out: dict[int, np.ndarray] = {}
    for boot in sorted(set(boots)):
        rise = np.zeros(len(load))
        for d in range(1, min(boot + 1, len(load) - 1) + 1):
            np.maximum(rise[d:], load[d:] - load[:-d], out=rise[d:])
        out[boot] = np.maximum.accumulate(rise)
    return out


def reference_shares(view: PlanView, keys: Sequence[Slot],
                     clients: Sequence[str]) -> dict[int, dict[str, float]]:
    """slot -> client -> share of the client's traffic, as ``view`` routed it over ``keys``
    (``hpa``'s rule: a client it routed nothing goes to every key in equal parts)."""
    out: dict[int, dict[str, float]] = {s.index: {} for s in keys}
    for c in clients:
        routed = {s.index: view.traffic.get(s.key, {}).get(c, 0.0) for s in keys}
        total = sum(routed.values())
        if total <= 0:
            routed, total = dict.fromkeys(out, 1.0), float(len(out))
        for i, rps in routed.items():
            if rps > 0:
                out[i][c] = rps / total
    return out


class TrackingPolicy(_Planned):
    def __init__(self, name: str, target_utilization: float = 1.0, scale_down_window: float = 300 / 3600,
                 lead: str = "none", tolerance: float = 0.1, deployments: str = "peak",
                 **planner: Any) -> None:
        super().__init__(name, PlanSettings(**planner))
        if deployments not in ("peak", "plan"):
            raise ValueError(f"deployments must be 'peak' or 'plan', not {deployments!r}")
        self.layout = deployments
        self._reference: PlanView | None = None  # deployments: peak, the plan they follow
        self._peak: dict[tuple[str, str], float] = {}  # and the demand it was made for
        # deployments: peak; workload -> slot on a limited offering -> (offer, units laid out there)
        self._laid: dict[str, dict[int, tuple[int, int]]] = {}
        self.target_utilization = target_utilization
        self.trend = lead == "trend"
        self.settings = HpaSettings(tolerance=tolerance, scale_down_window_s=scale_down_window * 3600)
        self._mix: dict[str, Mix] = {}  # workload -> [(slot, instance cap)]
        self._deployments: dict[str, Deployments] = {}  # workload -> what target tracking holds
        self._every = 0
        self._lead = 0
        self._rates: np.ndarray | None = None  # [steps, slots], see _rate
        self._made: dict[Any, list[tuple[Mapping[tuple[str, str], float], PlanView | None]]] = {}
        self._order: dict[str, list[Slot]] = {}  # workload -> its mix's keys up, cheapest first
        # The same keys as the loop sees them: prices and outages change only where the
        # world says so, and a plan follows, so they hold until the next plan.
        self._options: dict[str, list[Option]] = {}
        self._offers: dict[str, tuple[int, ...]] = {}  # the offers of those keys
        # (replicas, usable on those offers, held when scaling down) -> (instances per slot,
        # units used per offer), until the next plan
        self._placed: dict[str, dict[Any, tuple[dict[int, int], tuple[float, ...]]]] = {}
        self._clients: dict[str, list[str]] = {}
        self._series: dict[str, list[tuple[str, np.ndarray]]] = {}  # workload -> (client, demand)
        self._rises: dict[str, dict[int, np.ndarray]] = {}  # workload -> boot -> rises seen (see rises)
        # the last observation's free and running; instances free per offer then, and what
        # each workload held per offer
        self._seen: tuple[Any, Any] = (None, None)
        self._free: dict[int, float] = {}
        self._mine: dict[str, dict[int, int]] = {}
        self._inference: tuple[InferenceWorkload, ...] = ()
        self._keys: list[Key] = []  # slot index -> (workload, site, offering)
        self._offer_of: list[int] = []  # slot index -> offer index
        self._fast: set[int] = set()  # slots that boot faster than the slowest key
        self._slot: dict[Key, int] = {}
        self._total: dict[str, int] = {}  # workload -> replicas its deployments held last step
        self._swap: dict[str, bool] = {}  # workload -> partial moves stand (see decide)
        self._recent: Recent | None = None  # what deployments on limited offerings wanted lately
        self._limited: dict[str, tuple[int, ...]] = {}  # workload -> its slots on limited offerings
        self._volatile: np.ndarray | None = None  # per offer: its availability has changed

    # ------------------------------------------------------------------ planner

    def _replan(self, world: World, obs: Observation) -> None:
        if self.planner.forecast:
            demand = window_peak(world, obs.step, obs.step + self._every + self._lead)
        elif obs.step == 0:
            demand = window_peak(world, 0, self._every)  # see _load
        else:
            demand = observed_peak(world, obs, self._every)
        if self.layout == "peak" and self._reference is None:
            self._lay_out(world, obs)
        gridded = {k: _grid(v) for k, v in demand.items()}
        view = self._reuse(world, obs, gridded)
        if view is None:
            if (obs.step == 0 and demand == self._peak and self.planner.headroom == 1.0
                    and not self.planner.churn_usd):
                view = self._reference  # the first interval peaks at the run's peak: the same plan
            else:
                view = self._plan_view(world, obs, demand, self.planner.headroom, self.planner.churn_usd,
                                       same=gridded)
            state = self._state(world, obs, self.planner.churn_usd)
            self._made.setdefault(state, []).append((gridded, view))
        if view is None:
            if self._mix:
                return  # the last mix stays
            view = PlanView({}, {})
        self._mix = self._build_mix(world, obs, view)
        if self.layout == "peak":
            return  # the deployments stay as laid out; only the mix they may move into changes
        for w in world.inference:
            mix = self._mix[w.name]
            self._deployments.setdefault(w.name, Deployments(self.settings)).retarget(
                obs.time_s, self._shares(world, w.name, mix, view),
                {s.index: (s.plan_cap_rps * self.target_utilization, s.cap_rps) for s in mix.keys},
                {s.index: view.targets.get(s.key, 0) for s in mix.keys})

    def _lay_out(self, world: World, obs: Observation) -> None:
        """``deployments: peak``: the deployments an operator runs, as ``hpa`` runs them: the
        plan for the run's peak demand fixes the keys, their traffic shares and their
        starting counts, for the whole run. How much they hold is HPA arithmetic on them,
        so capacity per client is what ``hpa`` holds; the planner's mix only decides where
        whole instances of it run (cheaper keys, never less capacity than they are sized
        to carry)."""
        self._peak = window_peak(world, 0, world.steps)
        view = self._plan_view(world, obs, self._peak, 1.0, 0.0)
        self._reference = view = view if view is not None else PlanView({}, {})
        self._laid = {w.name: {s.index: (s.offer, view.targets[s.key]) for s in world.slots
                               if s.workload == w.name and s.key in view.targets
                               and world.available[s.offer] is not None} for w in world.inference}
        for w in world.inference:
            keys = [world.slots[i] for i in world.slots_of[w.name] if world.slots[i].key in view.targets]
            self._deployments[w.name] = deployments = Deployments(self.settings)
            sizes = {s.index: (s.plan_cap_rps * self.target_utilization, s.cap_rps) for s in keys}
            deployments.retarget(obs.time_s, reference_shares(view, keys, self._clients[w.name]), sizes,
                                 {s.index: view.targets[s.key] for s in keys})

    def _shares(self, world: World, workload: str, mix: Mix, view: PlanView) -> dict[int, dict[str, float]]:
        """slot -> client -> share of the client's traffic, as the plan routed it. A client
        the plan routed nothing (no demand then) goes to the planned keys that reach it in
        equal parts, or to its spill key."""
        planned = [s for s in mix.keys if view.targets.get(s.key, 0) > 0]
        out: dict[int, dict[str, float]] = {}
        for c in self._clients[workload]:
            routed = {s.index: mix.traffic[s.index].get(c, 0.0) for s in planned}
            total = sum(routed.values())
            if total <= 0:
                reach = [s.index for s in planned if c in s.reach] or [
                    s.index for s in mix.keys if c in s.reach and world.available[s.offer] is None][:1]
                routed, total = dict.fromkeys(reach, 1.0), float(len(reach))
            for i, rps in routed.items():
                if rps > 0:
                    out.setdefault(i, {})[c] = rps / total
        return out

    def _reuse(self, world: World, obs: Observation,
               gridded: Mapping[tuple[str, str], float]) -> PlanView | None:
        """An earlier plan made in the same state for demand from one grid step below to
        ``REUSE`` steps above this one on every client: the loop cuts what is not needed
        from the dearest keys and pours the rest into the cheapest keys with room (the
        spill keys included). The closest one wins."""
        best: tuple[float, PlanView | None] = (math.inf, None)
        for made, view in self._made.get(self._state(world, obs, self.planner.churn_usd), []):
            if made.keys() != gridded.keys():
                continue
            ratios = [made[k] / v if v > 0 else (1.0 if made[k] == 0 else math.inf)
                      for k, v in gridded.items()]
            if ratios and min(ratios) >= 1 / GRID - 1e-9 and max(ratios) <= GRID ** REUSE + 1e-9:
                score = sum(ratios)
                if score < best[0]:
                    best = (score, view)
        return best[1]

    def _build_mix(self, world: World, obs: Observation, view: PlanView) -> dict[str, Mix]:
        mix: dict[str, Mix] = {}
        for w in world.inference:
            slots = [world.slots[i] for i in world.slots_of[w.name]]
            keys = [s for s in slots if view.targets.get(s.key, 0) > 0]
            # Spill: each client's cheapest unlimited key, for demand above the plan.
            for c in sorted({c for (wn, c) in world.demand if wn == w.name}):
                spill = [s for s in slots if c in s.reach and world.available[s.offer] is None
                         and s.site not in obs.down]
                if spill:
                    best = min(spill, key=lambda s: (self._rate(world, s, obs.step), s.index))
                    if best not in keys:
                        keys.append(best)
            if self._reference is not None:
                # the deployments' own keys: their instances stay there unless cheaper keys take them
                keys += [s for s in slots if s.key in self._reference.targets and s not in keys
                         and s.site not in obs.down]
            traffic = {s.index: dict(view.traffic.get(s.key, {})) for s in keys}
            mix[w.name] = Mix(tuple(keys), traffic)
        return mix

    def _see_availability(self, world: World, step: int) -> None:
        """Offers whose availability changed at some step up to ``step`` (seen, not
        foreseen): a pool that grew or shrank once may shrink again."""
        seen = world.capacity[:step + 1]
        changed = np.asarray((seen != seen[:1]).any(axis=0), dtype=bool)
        self._volatile = changed if self._volatile is None else self._volatile | changed

    def _rate(self, world: World, slot: Slot, step: int) -> float:
        """USD per hour per rps of planning capacity: the price in force plus egress."""
        if self._rates is None:
            payload = {w.name: w.payload_kb for w in world.inference}
            cap = np.array([s.plan_cap_rps for s in world.slots])
            sites = world.scenario.sites
            egress = np.array([sites[s.site_ix].egress_usd_per_gb * payload[s.workload] * 1e-6 * 3600
                               for s in world.slots])
            offers = np.array([s.offer for s in world.slots], dtype=np.int64)
            self._rates = world.price[:, offers] / cap + egress if world.slots else np.zeros((world.steps, 0))
        return float(self._rates[min(step, world.steps - 1), slot.index])

    # ---------------------------------------------------------------- fast loop

    def _load(self, world: World, w: str, c: str, step: int) -> float:
        series = world.demand[w, c]
        if self.planner.forecast:
            return float(series[min(step, world.steps - 1):min(world.steps, step + self._lead + 1)].max())
        if step == 0:
            # The system ran before the simulation started: the first interval's peak
            # stands in for the history its operator had (hpa starts from the run's peak).
            return float(series[:self._every].max())
        last = float(series[step - 1])
        k = self._lead + 1
        if self.trend and self._lead and step >= 2 * k:
            # The rise of the last k steps' mean over the k before, carried on for the k
            # steps until what starts now is ready (means: noise is not extrapolated).
            rise = float(series[step - k:step].mean() - series[step - 2 * k:step - k].mean())
            last += max(0.0, rise)
        return last

    def _loads(self, world: World, workload: str, step: int) -> dict[str, float]:
        """:meth:`_load` of every client of ``workload``."""
        if self.planner.forecast or step == 0 or (self.trend and self._lead and step >= 2 * (self._lead + 1)):
            return {c: self._load(world, workload, c, step) for c in self._clients[workload]}
        return {c: float(series[step - 1]) for c, series in self._series[workload]}  # the last step's

    def decide(self, world: World, obs: Observation) -> Mapping[Key, int] | None:
        if not self._every:
            self._every = max(1, round(self.planner.interval * 3600 / world.step_s))
            self._lead = lead_steps(world)
            self._clients = {w.name: sorted(c for (wn, c) in world.demand if wn == w.name)
                             for w in world.inference}
            self._series = {w.name: [(c, world.demand[w.name, c]) for c in self._clients[w.name]]
                            for w in world.inference}
            self._inference = world.inference
            self._recent = Recent(self.settings.scale_down_window_s, self._lead)
            self._limited = {w.name: tuple(i for i in world.slots_of[w.name]
                                           if world.available[world.slots[i].offer] is not None)
                             for w in world.inference}
            self._keys = [s.key for s in world.slots]
            self._offer_of = [s.offer for s in world.slots]
            # room for the owner matters where its own units boot faster than the cloud
            # capacity a displaced move waits for (a quota on a cloud key does not)
            self._fast = {s.index for s in world.slots if world.delay_steps[s.tier] < self._lead}
            self._slot = {s.key: s.index for s in world.slots}
            self._rises = {
                w.name: rises(sum((series for _, series in self._series[w.name]), np.zeros(world.steps)),
                              [world.delay_steps[world.slots[i].tier] for i in self._limited[w.name]])
                for w in world.inference}
        step = min(obs.step, world.steps - 1)
        if obs.step % self._every == 0 or world.changed[step] or not self._mix:
            self._replan(world, obs)
            self._see_availability(world, step)
            # Prices and outages change only where the world says so, and a plan follows:
            # the merit order of each mix holds until the next plan.
            self._order = {name: sorted((s for s in mix.keys if s.site not in obs.down),
                                        key=lambda s: (self._rate(world, s, step), s.index))
                           for name, mix in self._mix.items()}
            volatile = self._volatile
            self._options = {name: [Option(s.index, s.offer, s.site, s.plan_cap_rps * self.target_utilization,
                                           frozenset(s.reach), self._rate(world, s, step),
                                           self._rate(world, s, step) * s.plan_cap_rps, s.cap_rps,
                                           volatile is not None and bool(volatile[s.offer]),
                                           world.delay_steps[s.tier]) for s in keys]
                             for name, keys in self._order.items()}
            self._offers = {name: tuple(dict.fromkeys(s.offer for s in keys))
                            for name, keys in self._order.items()}
            self._placed = {name: {} for name in self._order}
        if obs.free is not self._seen[0]:  # else as last step
            self._free = {i: math.inf if left is None else float(left) for i, left in enumerate(obs.free)}
        if obs.running is not self._seen[1]:
            # What each workload holds of each offer (its own units count as usable to it).
            mine: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            for k, n in obs.running.items():
                mine[k[0]][world.offer_ix[k[1], k[2]]] += n
            self._mine = mine
        self._seen = (obs.free, obs.running)
        # What a workload may use of a limited offering: what is free now plus what it holds
        # itself. Units another workload holds are not counted even when the plan moved
        # them: that workload keeps them until its own replacements have booted.
        free = dict(self._free)
        out: dict[Key, int] = {}
        wanted = {w.name: self._deployments[w.name].replicas(obs.time_s, self._loads(world, w.name, obs.step))
                  for w in self._inference if w.name in self._mix}
        recent = self._recent
        assert recent is not None
        for name, mine_w in wanted.items():
            deps = self._deployments[name]
            for i in self._limited[name]:
                if i in mine_w:
                    recent.update(i, obs.time_s, mine_w[i], deps.key_load(i), deps.per_replica(i))
        # A limited offering's units laid out for a workload's deployment, as many as that
        # deployment wanted within its scale-down window, are its claim: another workload
        # may not take them (else the owner's growth finds them taken and goes to a slower,
        # dearer key), but may use what no deployment claims now.
        most = recent.most
        claims = {name: {o: min(n, most.get(i, 0)) for i, (o, n) in laid.items()}
                  for name, laid in self._laid.items()}
        claimed: dict[int, int] = defaultdict(int)
        for mine_c in claims.values():
            for o, n in mine_c.items():
                claimed[o] += n
        for w in self._inference:
            mix = self._mix.get(w.name)
            if mix is None:
                continue
            keys = self._order[w.name]
            deployments = self._deployments[w.name]
            replicas = wanted[w.name]
            # Placing depends only on the replicas and on what this workload may use of the
            # mix's offers (the rest holds until the next plan): most steps repeat an answer.
            offers = self._offers[w.name]
            own = self._mine.get(w.name, {})
            usable = {o: free[o] + own.get(o, 0) for o in offers}
            if claimed:
                capacity, mine_c = world.capacity[step], claims.get(w.name, {})
                for o, n in claimed.items():
                    if o in usable:
                        usable[o] = max(0.0, min(usable[o], float(capacity[o]) - n + mine_c.get(o, 0)))
            total = sum(replicas.values())
            hold: dict[int, int] | None = None
            if total < self._total.get(w.name, 0):
                # Scaling down: the engine keeps every instance of a workload that is
                # stopping until what it starts is ready, so a move that starts something
                # now would keep the whole cut running for a boot; moves wait a step.
                hold = {self._slot[k]: n for k, n in obs.running.items() if k[0] == w.name}
            # Partial moves (cheaper units that boot faster but carry less than the one they
            # replace) are made when the workload scales up, and stand until it scales down:
            # started with a rise they serve before the dear instance would have booted;
            # after a scale-down capacity is closest to the load, and what they lack is not
            # lent.
            if total != self._total.get(w.name, total):
                self._swap[w.name] = total > self._total[w.name]
            partial = self._swap.get(w.name, False)
            self._total[w.name] = total
            # the rises seen up to the last step (none before one is seen)
            rise = {b: float(r[step - 1]) for b, r in self._rises[w.name].items()} if step else None
            keep: dict[int, float] = defaultdict(float)
            for i in self._limited[w.name]:
                if i in replicas:
                    keep[self._offer_of[i]] += recent.kept[i] if i in self._fast else recent.lately[i]
            memo = (tuple(replicas.items()), tuple(usable.values()),
                    None if hold is None else tuple(sorted(hold.items())), tuple(sorted(keep.items())),
                    partial, None if rise is None else tuple(rise.values()))
            placed = self._placed[w.name].get(memo)
            if placed is None:
                before = tuple(usable.values())
                counts = place(self._options[w.name], replicas, deployments, usable, w.min_sites,
                               Limits(hold, keep, partial, rise))
                _meet_minimums(w.min_instances, w.min_sites, keys, counts, usable)
                placed = self._placed[w.name][memo] = (counts, tuple(
                    b - left for b, left in zip(before, usable.values(), strict=True)))
            counts = placed[0]
            for o, used in zip(offers, placed[1], strict=True):  # what it newly takes is gone
                free[o] -= max(0.0, used - own.get(o, 0))
            for i, n in counts.items():
                out[self._keys[i]] = n
        return out
