"""The guards between the planner's answer and an action, per (endpoint, site).

For each site, on the current replica count c and the planner's count p:
1. tolerance: keep c when |p / c - 1| <= tolerance (``policies.hpa.desired_replicas``
   with the planned count as the load and 1 replica as the target per replica);
2. stabilisation windows, max change per decision and min/max replicas
   (``policies.hpa.Stabiliser``); an active scheduled floor raises min_replicas;
3. budgets: while the endpoint's (then the whole config's) compute cost per hour,
   sum of replicas x usd_per_hour, is above its budget, remove one replica from the site
   with the highest price per rps of capacity, never below the site's min_replicas.
A site without a recent recommendation (first tick, restart after a long stop) counts its
current replicas as recommended now: a fresh start never scales down at once.
A site whose current count is unknown (controller read failed) or whose endpoint is held
(metrics down or partial, no plan at all) keeps its count and is not acted on. A held site
still records its count as this tick's recommendation: the scale-down window after a hold
then counts from the end of the hold, as if the count had been recommended throughout,
instead of letting the first tick after it scale down at once.
Nothing here reads the clock: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from ..policies.hpa import Stabiliser, desired_replicas
from .config import AutoscaleConfig, EndpointSpec, SiteSpec
from .floors import Floors

__all__ = ["Guards", "SiteDecision"]

Key = tuple[str, str]  # (endpoint, site)


@dataclass(frozen=True)
class SiteDecision:
    endpoint: str
    site: str
    offering: str
    current: int | None
    planned: int | None
    recommended: int | None  # after the tolerance
    floor: int
    target: int | None  # None: no action possible (current unknown)
    reason: str
    usd_per_hour: float

    @property
    def changes(self) -> bool:
        return self.target is not None and self.current is not None and self.target != self.current

    def as_dict(self) -> dict[str, object]:
        return {"endpoint": self.endpoint, "site": self.site, "offering": self.offering,
                "current": self.current, "planned": self.planned, "recommended": self.recommended,
                "floor": self.floor, "target": self.target, "reason": self.reason}


class Guards:
    """Holds the stabiliser of every site; its history is what a restart must restore."""

    def __init__(self, config: AutoscaleConfig) -> None:
        self.config = config
        self.stabilisers: dict[Key, Stabiliser] = {}
        self.floors: dict[str, Floors] = {}
        for e in config.endpoints:
            self.floors[e.workload] = Floors(e.floors)
            for spec in e.sites:
                self.stabilisers[(e.workload, spec.site)] = Stabiliser(spec.settings)

    def restore(self, history: Mapping[Key, Iterable[tuple[float, int]]]) -> None:
        """Refill the stabilisation windows from recorded recommendations (oldest first)."""
        for key, rows in history.items():
            stab = self.stabilisers.get(key)
            if stab is not None:
                stab._history.clear()
                stab._history.extend(rows)

    def decide(self, now: float, current: Mapping[Key, int | None], planned: Mapping[Key, int],
               held: Mapping[str, str], unknown: Mapping[Key, str] | None = None) -> list[SiteDecision]:
        """``planned`` holds every site of the endpoints that were planned (0 = unused);
        ``held`` maps an endpoint to the reason it keeps its replicas this tick; ``unknown``
        says why a site's current count (None) could not be read."""
        out: list[SiteDecision] = []
        for e in self.config.endpoints:
            for spec in e.sites:
                key = (e.workload, spec.site)
                out.append(self._site(now, e, spec, current.get(key), planned, held.get(e.workload),
                                      (unknown or {}).get(key)))
        for e in self.config.endpoints:
            if e.budget_usd_per_hour is not None:
                out = _clamp(out, e.budget_usd_per_hour, {e.workload}, self.config)
        if self.config.budget_usd_per_hour is not None:
            out = _clamp(out, self.config.budget_usd_per_hour, {e.workload for e in self.config.endpoints},
                         self.config)
        return out

    def _site(self, now: float, e: EndpointSpec, spec: SiteSpec, current: int | None,
              planned: Mapping[Key, int], held: str | None, unknown: str | None) -> SiteDecision:
        key = (e.workload, spec.site)
        base = dict(endpoint=e.workload, site=spec.site, offering=spec.offering,
                    usd_per_hour=spec.usd_per_hour)
        floor = self.floors[e.workload].minimum(spec.site, now)
        if current is None:
            return SiteDecision(**base, current=None, planned=planned.get(key), recommended=None,  # type: ignore[arg-type]
                                floor=floor, target=None, reason="hold: current replicas unknown"
                                + (f" ({unknown})" if unknown else ""))
        if held is not None or key not in planned:
            _remember(self.stabilisers[key], now, current)
            return SiteDecision(**base, current=current, planned=None, recommended=current,  # type: ignore[arg-type]
                                floor=floor, target=current, reason=f"hold: {held or 'not planned'}")
        p = planned[key]
        settings = spec.settings
        stab = self.stabilisers[key]
        if not stab._history:
            # No recent recommendation (first tick, or a restart after a long stop): count
            # the current replicas as recommended just before the scale-up window, so they
            # hold scale-down for its window but never hold back a scale-up.
            stab._history.append((now - settings.scale_up_window_s - 1e-3, current))
        recommended = desired_replicas(current, float(p), 1.0, settings.tolerance)
        low = max(settings.min_replicas, floor)
        if settings.max_replicas is not None:
            low = min(low, settings.max_replicas)
        if stab.settings.min_replicas != low:
            stab.settings = replace(settings, min_replicas=low)
        target = stab.apply(now, current, recommended)
        return SiteDecision(**base, current=current, planned=p, recommended=recommended,  # type: ignore[arg-type]
                            floor=floor, target=target,
                            reason=_why(current, p, recommended, target, floor, spec))


def _remember(stab: Stabiliser, now: float, replicas: int) -> None:
    """Record a recommendation without applying it (a held tick), dropping what has aged out."""
    s = stab.settings
    horizon = max(s.scale_up_window_s, s.scale_down_window_s)
    stab._history.append((now, replicas))
    while stab._history and stab._history[0][0] < now - horizon:
        stab._history.popleft()


def _why(current: int, planned: int, recommended: int, target: int, floor: int, spec: SiteSpec) -> str:
    s = spec.settings
    if target == planned == current:
        return "unchanged"
    if recommended == current and planned != current:
        return f"within tolerance ({s.tolerance:g}) of the plan"
    if target == planned:
        return "scale up" if target > current else "scale down"
    if floor and target == floor and planned < floor:
        return f"scheduled floor {floor}"
    if s.max_replicas is not None and target == s.max_replicas and planned > target:
        return f"max_replicas {s.max_replicas}"
    if target == s.min_replicas and planned < target:
        return f"min_replicas {s.min_replicas}"
    if s.max_step is not None and abs(target - current) == s.max_step:
        return f"max step {s.max_step}"
    if target > planned:
        return "held by the scale-down window"
    return "held by the scale-up window"


def _clamp(decisions: list[SiteDecision], budget: float, endpoints: set[str],
           config: AutoscaleConfig) -> list[SiteDecision]:
    def cost() -> float:
        return sum((d.target if d.target is not None else d.current or 0) * d.usd_per_hour
                   for d in decisions if d.endpoint in endpoints)

    specs = {(e.workload, s.site): s for e in config.endpoints for s in e.sites}
    over = cost() > budget + 1e-9
    while over:
        movable = [i for i, d in enumerate(decisions)
                   if d.endpoint in endpoints and d.target is not None and not d.reason.startswith("hold")
                   and d.target > specs[(d.endpoint, d.site)].settings.min_replicas]
        if not movable:
            break
        i = max(movable, key=lambda i: decisions[i].usd_per_hour
                / max(specs[(decisions[i].endpoint, decisions[i].site)].capacity_rps, 1e-9))
        d = decisions[i]
        assert d.target is not None
        decisions[i] = replace(d, target=d.target - 1, reason=f"budget ${budget:g}/h")
        over = cost() > budget + 1e-9
    return decisions
