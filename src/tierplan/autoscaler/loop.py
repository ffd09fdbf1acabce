"""One tick, resuming after a restart, and the scheduled loop.

A tick (``Autoscaler.tick``), in order:
1. record the tick as started (an unfinished tick in the store marks a crash);
2. read demand per endpoint; ``partial`` or ``down`` holds that endpoint;
3. read the current replicas of every site (retried); unknown -> that site holds;
4. predictive mode: plan for max(observed, Holt forecast ``lead`` ahead);
5. size the endpoints: the exact fast path for independent ones, else the planner
   (churn against the current counts); demand beyond what an endpoint can carry gets its
   best plan and a warning with the rps left unserved;
6. apply the guards (:mod:`.decide`) and remember the recommendations (held sites too);
7. act: each decision is logged (``decision``, the intent), each change gets a request id
   ``<tick>/<endpoint>/<site>``, is written as ``pending``, applied with retries (re-read
   before each retry), then ``done``, ``already``, ``failed`` or (``--dry-run``)
   ``dry-run``, and logged again (``action``, the result);
8. write the whole record (inputs, plan, decisions, actions) and update /metrics.

``resume`` (on start) rebuilds the stabilisation windows from the store, finishes the
pending actions a crash left (re-read first: never applied twice) and continues the tick
numbering. ``run`` drives ticks with APScheduler 3 (``BackgroundScheduler``, interval
trigger, ``max_instances=1``, ``coalesce=True``); SIGTERM or SIGINT stops retries and
lets the running tick finish for up to ``stop_grace`` seconds (default 20 s, inside
Kubernetes' 30 s termination grace period), then stops without it: a call that hangs
past its timeout cannot keep the process alive, and an action it leaves ``pending`` is
finished (re-read first) on the next start.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .clock import Clock
from .config import AutoscaleConfig
from .controllers import Controller, ReadOnly, Retrier, apply
from .decide import Guards, SiteDecision
from .forecast import Holt
from .metrics import MetricsSource, Reading
from .ops import OpsMetrics
from .sizing import Sizer, Sizing
from .store import Store

__all__ = ["Autoscaler", "Runner"]

log = logging.getLogger("tierplan.autoscale")
Key = tuple[str, str]
SizeFn = Callable[[AutoscaleConfig, Mapping[str, Mapping[str, float]], Mapping[Key, int | None]], Sizing]


class Autoscaler:
    def __init__(self, config: AutoscaleConfig, controllers: Mapping[Key, Controller], source: MetricsSource,
                 store: Store, clock: Clock, retrier: Retrier | None = None,
                 metrics: OpsMetrics | None = None, sizer: SizeFn | None = None) -> None:
        self.config = config
        self.controllers = dict(controllers)
        self.source = source
        self.store = store
        self.clock = clock
        self.retrier = retrier or Retrier(config.retry, clock)
        self.metrics = metrics or OpsMetrics(clock.now, config.interval_s)
        self.sizer: SizeFn = sizer if sizer is not None else Sizer()
        self.guards = Guards(config)
        self.holt = Holt(config.predictive.alpha, config.predictive.beta) if config.predictive else None
        self.next_tick = 1
        self.specs = {(e.workload, s.site): s for e in config.endpoints for s in e.sites}

    # ------------------------------------------------------------------------ restart
    def resume(self) -> list[dict[str, Any]]:
        """Continue from the store: windows, numbering, and actions a crash left pending."""
        now = self.clock.now()
        self.guards.restore(self.store.recommendations_since(now - self._window() - 1))
        last = self.store.last_tick()
        self.next_tick = last[0] + 1 if last else 1
        finished = []
        for action in self.store.actions("pending"):
            key = (action["endpoint"], action["site"])
            controller = self.controllers.get(key)
            if controller is None:
                continue
            if isinstance(controller, ReadOnly):  # a dry run leaves a real run's action to it
                log.warning("leaving an action a restart left pending to a run without --dry-run",
                            extra={"event": "resume", "request_id": action["request_id"],
                                   "status": "pending"})
                continue
            result = apply(controller, int(action["to_replicas"]), action["request_id"], self.retrier,
                           read_first=True)
            self.store.put_action(action["request_id"], action["tick"], key[0], key[1],
                                  action["from_replicas"], action["to_replicas"], result.status,
                                  action["attempts"] + result.attempts, result.error, self.clock.now())
            log.warning("finished an action left pending by a restart",
                        extra={"event": "resume", "request_id": action["request_id"],
                               "status": result.status})
            finished.append({**action, "status": result.status})
        if last and last[1] is None:
            note = {"note": "the process stopped during this tick", "resumed_actions": finished}
            self.store.finish_tick(last[0], now, "interrupted", note)
        return finished

    def _window(self) -> float:
        """The longest stabilisation window of any site, in seconds."""
        return max(max(s.settings.scale_down_window_s, s.settings.scale_up_window_s)
                   for s in self.specs.values())

    # ------------------------------------------------------------------------- a tick
    def tick(self) -> dict[str, Any]:
        n = self.next_tick
        self.next_tick += 1
        now = self.clock.now()
        self.store.start_tick(n, now)
        started = time.perf_counter()
        record: dict[str, Any] = {"tick": n, "time": now}
        try:
            record.update(self._tick(n, now))
            status = "ok" if not record.get("held") else "held"
        except Exception as exc:  # a tick must never take the loop down; it is recorded
            self.metrics.error("tick")
            log.exception("tick failed", extra={"event": "tick_failed", "tick": n})
            record["error"] = f"{type(exc).__name__}: {exc}"
            status = "error"
        record["seconds"] = round(time.perf_counter() - started, 6)
        self.store.finish_tick(n, self.clock.now(), status, record)
        return record

    def _tick(self, n: int, now: float) -> dict[str, Any]:
        held: dict[str, str] = {}
        readings: dict[str, Reading] = {}
        for e in self.config.endpoints:
            try:
                reading = self.source.read(e, now)
            except Exception as exc:  # a source bug holds the endpoint instead of stopping
                reading = Reading("down", {}, f"metrics source error: {exc}")
            readings[e.workload] = reading
            if reading.status != "ok":
                held[e.workload] = f"metrics {reading.status}: {reading.detail}"
                self.metrics.error("metrics")
                log.warning("holding replicas of %s: metrics %s", e.workload, reading.status,
                            extra={"event": "hold", "tick": n, "endpoint": e.workload,
                                   "detail": reading.detail})
        current: dict[Key, int | None] = {}
        unknown: dict[Key, str] = {}
        for key, controller in self.controllers.items():
            try:
                current[key] = self.retrier.call(controller.get_replicas)
            except Exception as exc:
                current[key] = None
                unknown[key] = str(exc)
                self.metrics.error("controller")
                log.error("cannot read replicas of %s", controller.description,
                          extra={"event": "read_failed", "tick": n, "endpoint": key[0], "site": key[1],
                                 "controller": controller.description, "error": str(exc)})
        demand: dict[str, dict[str, float]] = {}
        planned_for: dict[str, dict[str, float]] = {}
        for e in self.config.endpoints:
            if e.workload in held:
                continue
            observed = dict(readings[e.workload].demand)
            demand[e.workload] = observed
            if self.holt is not None and self.config.predictive is not None:
                lead = self.config.predictive.lead_s
                planned_for[e.workload] = self.holt.ahead(e.workload, now, observed, lead)
            else:
                planned_for[e.workload] = observed
        try:
            sizing = self.sizer(self.config, planned_for, current)
        except Exception as exc:
            self.metrics.error("planner")
            log.exception("planner failed; holding every endpoint", extra={"event": "planner_failed"})
            sizing = Sizing({}, 0.0, {}, 0.0, "failed")
            for name in planned_for:
                held[name] = f"planner failed: {exc}"
        if sizing.guard_cut:
            log.warning("planner_time_limit (%gs) stopped the planner before its effort was spent: "
                        "this tick's plan may differ between runs", self.config.planner_time_limit,
                        extra={"event": "planner_cut", "tick": n})
        for endpoint, why in sizing.infeasible.items():
            held[endpoint] = f"no feasible plan: {why}"
            self.metrics.error("planner")
            log.warning("holding replicas of %s: no feasible plan", endpoint,
                        extra={"event": "hold", "tick": n, "endpoint": endpoint, "detail": why})
        unmet = {e: sum(sizing.unmet.get(e, {}).values()) for e in planned_for if e not in held}
        self.metrics.observe_unmet(unmet)
        for endpoint, rps in unmet.items():
            if rps > 0:
                log.warning("%s: %.6g rps of demand beyond what its sites carry; scaling to the best "
                            "plan there is", endpoint, rps,
                            extra={"event": "demand_unmet", "tick": n, "endpoint": endpoint,
                                   "unmet_rps": round(rps, 6), "by_client": dict(sizing.unmet[endpoint]),
                                   "detail": sizing.unmet_why.get(endpoint, "")})
        decisions = self.guards.decide(now, current, sizing.replicas, held, unknown)
        self.store.add_recommendations(
            (now, d.endpoint, d.site, d.recommended) for d in decisions if d.recommended is not None)
        if n % 100 == 0:
            self.store.prune(now - self._window() - 3600)
        changes = [d for d in decisions if d.changes]
        for d in decisions:  # the intent, before any request is sent
            if d.changes or d.reason.startswith("hold"):
                request = {"request_id": f"{n}/{d.endpoint}/{d.site}"} if d.changes else {}
                log.info("%s %s: %s -> %s (%s)", d.endpoint, d.site, d.current, d.target, d.reason,
                         extra={"event": "decision", "tick": n, **request, **d.as_dict()})
        actions = self._act_all(n, changes)
        seen: dict[Key, int] = {}
        for d in decisions:
            if d.current is not None:
                seen[(d.endpoint, d.site)] = d.current
        for a in actions:
            if a["status"] in ("done", "already"):
                seen[(a["endpoint"], a["site"])] = a["to"]
        cost = sum(n_ * self.specs[k].usd_per_hour for k, n_ in seen.items())
        self.metrics.observe_tick(self.clock.now(), seen,
                                  [(d.endpoint, d.site, _action(d)) for d in decisions], cost)
        return {
            "demand": {e: dict(r.demand) for e, r in readings.items()},
            "metrics": {e: {"status": r.status, "detail": r.detail} for e, r in readings.items()},
            "planned_demand": planned_for,
            "current": {f"{k[0]}@{k[1]}": v for k, v in sorted(current.items())},
            "sizing": sizing.as_dict(),
            "held": held,
            "unmet_rps": {e: round(v, 6) for e, v in sorted(unmet.items()) if v > 0},
            "decisions": [d.as_dict() for d in decisions],
            "actions": actions,
            "cost_usd_per_hour": round(cost, 6),
        }

    def _act_all(self, n: int, changes: list[SiteDecision]) -> list[dict[str, Any]]:
        """Record every change as pending (one transaction), apply each, record the results.

        All pending rows are written before the first call, so a crash at any point leaves
        each change either pending (finished on restart) or with its result."""
        ids = {(d.endpoint, d.site): f"{n}/{d.endpoint}/{d.site}" for d in changes}
        now = self.clock.now()
        # A dry run's changes are never pending: a later real run must not finish them.
        self.store.put_actions((ids[(d.endpoint, d.site)], n, d.endpoint, d.site, d.current,
                                int(d.target or 0), "pending", 0, None, now) for d in changes
                               if not isinstance(self.controllers[(d.endpoint, d.site)], ReadOnly))
        out = []
        rows = []
        for d in changes:
            assert d.target is not None
            request_id = ids[(d.endpoint, d.site)]
            controller = self.controllers[(d.endpoint, d.site)]
            result = apply(controller, d.target, request_id, self.retrier)
            if isinstance(controller, ReadOnly) and result.status == "done":
                result = replace(result, status="dry-run")  # recorded, not applied
            rows.append((request_id, n, d.endpoint, d.site, d.current, d.target, result.status,
                         result.attempts, result.error, self.clock.now()))
            fields = {"tick": n, "request_id": request_id, "endpoint": d.endpoint, "site": d.site,
                      "from": d.current, "to": d.target, "status": result.status,
                      "attempts": result.attempts}
            if result.status == "failed":
                self.metrics.error("controller")
                log.error("action %s failed: %s", request_id, result.error,
                          extra={"event": "action", **fields, "error": result.error})
            else:
                log.info("action %s: %s", request_id, result.status, extra={"event": "action", **fields})
            out.append({"request_id": request_id, "endpoint": d.endpoint, "site": d.site, "from": d.current,
                        "to": d.target, "status": result.status, "attempts": result.attempts,
                        "error": result.error})
        self.store.put_actions(rows)
        return out


def _action(d: SiteDecision) -> str:
    if d.reason.startswith("hold"):
        return "hold"
    if d.changes and d.target is not None and d.current is not None:
        return "scale_up" if d.target > d.current else "scale_down"
    return "none"


class Runner:
    """Drives ``Autoscaler.tick`` with APScheduler until stopped (SIGTERM, SIGINT, ``stop``).

    Each tick runs in a daemon thread that the scheduler's job waits for, so at most one
    runs (``max_instances=1``) and a stop can leave one that hangs behind after
    ``grace_s`` seconds without keeping the process alive."""

    def __init__(self, autoscaler: Autoscaler, interval_s: float, grace_s: float = 20.0) -> None:
        self.autoscaler = autoscaler
        self.interval_s = interval_s
        self.grace_s = grace_s
        self.stopping = threading.Event()
        self.ticks = 0
        self.abandoned = False  # a tick was still running when the grace period ended
        self._leave = threading.Event()
        self._running: threading.Event | None = None  # set when the running tick is done
        self._lock = threading.Lock()

    def _job(self) -> None:
        done = threading.Event()

        def work() -> None:
            try:
                self.autoscaler.tick()
                self.ticks += 1
            finally:
                done.set()

        with self._lock:  # against run()'s stop: a tick starts before it looks, or not at all
            if self.stopping.is_set():
                return
            self._running = done
            threading.Thread(target=work, name="tierplan-tick", daemon=True).start()
        while not done.wait(0.05):
            if self._leave.is_set():
                return

    def stop(self, *_: object) -> None:
        self.stopping.set()
        self.autoscaler.retrier.cancel.set()  # no further retries or backoff once stopping

    def run(self, install_signals: bool = True, max_ticks: int | None = None) -> None:
        from .extras import require

        background = require("apscheduler.schedulers.background", None, "the autoscale loop")
        interval = require("apscheduler.triggers.interval", None, "the autoscale loop")
        if install_signals and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        scheduler = background.BackgroundScheduler(timezone="UTC")
        scheduler.add_job(self._job, interval.IntervalTrigger(seconds=self.interval_s), id="tick",
                          max_instances=1, coalesce=True, misfire_grace_time=None,
                          next_run_time=datetime.now(UTC))
        scheduler.start()
        try:
            while not self.stopping.wait(0.1):
                if max_ticks is not None and self.ticks >= max_ticks:
                    break
        finally:
            self.stop()
            scheduler.shutdown(wait=False)
            with self._lock:
                running = self._running
            # The running tick finishes (its actions recorded) unless it outlasts the grace.
            if running is not None and not running.wait(self.grace_s):
                self.abandoned = True
                log.warning("stopping with a tick still running after the %gs grace period; an "
                            "action it left pending is finished (re-read first) on the next start",
                            self.grace_s, extra={"event": "stop_abandoned_tick",
                                                 "grace_s": self.grace_s})
            self._leave.set()
