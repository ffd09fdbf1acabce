"""A solution of a model over periods as placements (SPEC 5.5): instances, traffic and
cost per period for inference, instance-hours per period for training."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Placement
from ..periods import period_of
from .candidates import Universe
from .decoding import TINY, training_placement
from .period_model import PeriodModel

__all__ = ["decode_periods"]


def decode_periods(universe: Universe, model: PeriodModel, x: Sequence[float]) -> list[Placement]:
    """``x``, a solution of ``model``, as placements with one entry per period."""
    sc = universe.scenario
    periods = sc.timeline
    out: list[Placement] = []
    for v in model.inference:
        w = v.cand.workload
        for gi, g in enumerate(v.cand.groups):
            site = universe.sites[g.site]
            for ui, unit in enumerate(g.units):
                counts = [round(x[c]) if (c := v.n[p][gi][ui]) is not None else 0
                          for p in range(len(periods))]
                if not any(counts):
                    continue
                offering = universe.offers[unit.offer][1]
                traffic: list[dict[str, float]] = []
                costs: list[float] = []
                compute = transfer = 0.0
                for p, period in enumerate(periods):
                    n = counts[p]
                    used = [(u2, round(x[c])) for u2, c in zip(g.units, v.n[p][gi], strict=True)
                            if c is not None and round(x[c]) > 0]
                    capacity = sum(u2.cap * k for u2, k in used)
                    share = unit.cap * n / capacity if n else 0.0
                    flows = {universe.clients[ci].name: x[c] * share
                             for ci, c in v.y[p][gi].items() if x[c] > TINY and share}
                    traffic.append(flows)
                    c_p = n * offering.usd_per_hour * period.hours
                    t_p = sum(flows.values()) * 3600 * period.hours * w.payload_kb * 1e-6 * (
                        site.egress_usd_per_gb)
                    compute += c_p
                    transfer += t_p
                    costs.append(c_p + t_p)
                H = sc.horizon_hours
                mean = {c: sum(t.get(c, 0.0) * q.hours for t, q in zip(traffic, periods,
                                                                      strict=True)) / H
                        for c in sorted({c for t in traffic for c in t})}
                out.append(Placement(
                    workload=w.name, kind="inference", site=site.name, tier=site.tier,
                    provider=site.provider, offering=offering.name,
                    accelerator=offering.accelerator, instances=max(counts),
                    purchase="on-demand", usd_per_hour=offering.usd_per_hour,
                    cost_usd=compute + transfer, compute_usd=compute, transfer_usd=transfer,
                    team=w.team, traffic_rps=mean, instances_by_period=tuple(counts),
                    traffic_by_period=tuple(traffic), cost_by_period=tuple(costs),
                    price_source=offering.price_source, price_as_of=offering.price_as_of))
    for t in model.training:
        tw = t.cand.workload
        for ti, opt in enumerate(t.cand.options):
            col = t.x[ti]
            if col is None or x[col] <= 0.5:
                continue
            hours = _schedule(t.h[ti], t.hours[ti], opt.instance_hours, x)
            costs = [opt.usd_per_hour * h for h in hours]
            begin = tw.release_hours + opt.transfer_hours
            costs[period_of(periods, begin)] += opt.transfer_usd
            out.append(training_placement(universe, tw, opt, hours, costs))
    return out


def _schedule(cols: Sequence[int | None], most: Sequence[float], total: float,
              x: Sequence[float]) -> list[float]:
    """Instance-hours per period: the model's h, or (an option no row limits) as early
    as its window allows."""
    if any(c is not None for c in cols):
        hours = [max(0.0, x[c]) if c is not None else 0.0 for c in cols]
        scale = total / sum(hours) if sum(hours) > 0 else 1.0
        return [h * scale for h in hours]  # the solver's tolerance off, the sum exact
    out, left = [], total
    for top in most:
        take = min(top, left)
        out.append(take)
        left -= take
    return out
