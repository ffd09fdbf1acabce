"""A solution vector as placements: what runs where, for whom, at what cost."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Placement, TrainingWorkload
from .candidates import TrainOption, Universe
from .formulation import Formulation

__all__ = ["TINY", "decode", "training_placement"]

TINY = 1e-9  # traffic below this (rps) is a solver's zero


def decode(universe: Universe, form: Formulation, x: Sequence[float]) -> list[Placement]:
    """Turn a solution vector into placements (traffic split in proportion to capacity)."""
    H = universe.scenario.horizon_hours
    out: list[Placement] = []
    for v in form.inference:
        w = v.cand.workload
        for gi, g in enumerate(v.cand.groups):
            used = [(unit, round(x[col])) for unit, col in zip(g.units, v.n[gi], strict=True)
                    if col is not None and round(x[col]) > 0]
            if not used:  # no instances, so no traffic either (most groups)
                continue
            site = universe.sites[g.site]
            flows = {ci: x[col] for ci, col in v.y[gi].items() if x[col] > TINY}
            capacity = sum(unit.cap * n for unit, n in used)
            egress_per_rps = 3600 * H * w.payload_kb * 1e-6 * site.egress_usd_per_gb
            for unit, n in used:
                share = unit.cap * n / capacity
                traffic = {universe.clients[ci].name: rps * share for ci, rps in flows.items()}
                offering = universe.offers[unit.offer][1]
                compute = n * offering.usd_per_hour * H
                transfer = sum(traffic.values()) * egress_per_rps
                out.append(Placement(
                    workload=w.name, kind="inference", site=site.name, tier=site.tier,
                    provider=site.provider, offering=offering.name,
                    accelerator=offering.accelerator, instances=n, purchase="on-demand",
                    usd_per_hour=offering.usd_per_hour, cost_usd=compute + transfer,
                    compute_usd=compute, transfer_usd=transfer, team=w.team,
                    traffic_rps=traffic, instances_by_period=(n,), traffic_by_period=(traffic,),
                    cost_by_period=(compute + transfer,), price_source=offering.price_source,
                    price_as_of=offering.price_as_of,
                ))
    for t in form.training:
        tw = t.cand.workload
        chosen = [opt for opt, col in zip(t.cand.options, t.x, strict=True) if x[col] > 0.5]
        for opt in chosen:
            out.append(training_placement(universe, tw, opt, (opt.instance_hours,), (opt.cost,)))
    return out


def training_placement(universe: Universe, tw: TrainingWorkload, opt: TrainOption,
                       hours_by_period: Sequence[float], cost_by_period: Sequence[float]) -> Placement:
    """The placement of a chosen training option, with its hours and cost per period."""
    site = universe.sites[opt.site]
    offering = universe.offers[opt.offer][1]
    return Placement(
        workload=tw.name, kind="training", site=site.name, tier=site.tier,
        provider=site.provider, offering=offering.name,
        accelerator=offering.accelerator, instances=opt.nodes,
        purchase="spot" if opt.spot else "on-demand", usd_per_hour=opt.usd_per_hour,
        cost_usd=opt.cost, compute_usd=opt.compute_usd, transfer_usd=opt.transfer_usd,
        team=tw.team, compute_hours=opt.compute_hours, transfer_hours=opt.transfer_hours,
        hours_by_period=tuple(hours_by_period), cost_by_period=tuple(cost_by_period),
        price_source=offering.price_source, price_as_of=offering.price_as_of,
    )
