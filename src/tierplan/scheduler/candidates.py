"""What each workload could use: eligible offerings, routing groups and training options.

Everything here is exact pre-processing: it only removes choices that cannot be part of
an optimal plan (SPEC section 2), so the MILP built from it has the same optimum.

- Ineligible (workload, offering) pairs are never generated.
- Inference traffic is routed per *group*: the offerings of one site whose accelerators
  have the same service latency. Clients see the same round trip, the same egress price
  and the same service latency from every offering in a group, so routing to the group
  and splitting in proportion to capacity afterwards is exact.
- Inside a group an offering is dropped when k instances of an unlimited offering of the
  group give at least its capacity for no more than its price.
- Training options (offering x nodes x purchase): per offering and purchase only the
  smallest node count that meets the deadline is kept (every k >= 2 costs the same and
  uses the same instance-hours; k = 1 is cheaper still), and an option is dropped when an
  option on an unlimited offering costs no more and counts toward a subset of the same
  budgets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..model import (
    Budget,
    InferenceWorkload,
    Scenario,
    Site,
    TrainingWorkload,
    Workload,
)
from ..units import jurisdiction_matches

__all__ = [
    "Group",
    "InferenceCandidates",
    "TrainOption",
    "TrainingCandidates",
    "Unit",
    "Universe",
    "budget_matches",
    "by_kind",
]

EPS = 1e-9

# A group that may dominate others (see Universe._drop_dominated_groups): its egress
# price, cheapest unit price, largest capacity, latency per client and units (cap, price).
_Ruler = tuple[float, float, float, dict[int, float], tuple[tuple[float, float], ...]]


@dataclass(frozen=True, slots=True)
class Unit:
    """One offering as a workload sees it: capacity (rps per instance) and price."""

    offer: int
    cap: float
    usd_per_hour: float

    def __reduce__(self) -> tuple[type[Unit], tuple[int, float, float]]:
        # By the constructor: a slotted dataclass's own pickling looks its fields up for
        # every object, and a worker process sends tens of thousands of these back.
        return Unit, (self.offer, self.cap, self.usd_per_hour)


@dataclass(frozen=True, slots=True)
class Group:
    """Offerings at one site with the same service latency, and the clients they reach."""

    site: int
    service_ms: float
    units: tuple[Unit, ...]
    reach: tuple[tuple[int, float], ...]  # (client index, rtt + service ms), within the SLO

    def __reduce__(self) -> tuple[type[Group], tuple[int, float, tuple[Unit, ...],
                                                     tuple[tuple[int, float], ...]]]:
        return Group, (self.site, self.service_ms, self.units, self.reach)  # as Unit's


@dataclass(frozen=True, slots=True)
class TrainOption:
    offer: int
    site: int
    nodes: int
    spot: bool
    usd_per_hour: float
    compute_hours: float
    transfer_hours: float
    transfer_usd: float

    @property
    def compute_usd(self) -> float:
        return self.nodes * self.usd_per_hour * self.compute_hours

    @property
    def cost(self) -> float:
        return self.compute_usd + self.transfer_usd

    @property
    def instance_hours(self) -> float:
        return self.nodes * self.compute_hours


@dataclass(frozen=True, slots=True)
class InferenceCandidates:
    workload: InferenceWorkload
    groups: tuple[Group, ...]
    eligible_sites: tuple[int, ...]  # sites with at least one eligible offering


@dataclass(frozen=True, slots=True)
class TrainingCandidates:
    workload: TrainingWorkload
    options: tuple[TrainOption, ...]
    eligible_offers: int  # before the deadline and the horizon were applied


def by_kind(cands: Iterable[InferenceCandidates | TrainingCandidates],
            ) -> tuple[list[InferenceCandidates], list[TrainingCandidates]]:
    """Candidates split into inference and training (the formulation takes them apart)."""
    inference: list[InferenceCandidates] = []
    training: list[TrainingCandidates] = []
    for c in cands:
        if isinstance(c, InferenceCandidates):
            inference.append(c)
        else:
            training.append(c)
    return inference, training


def budget_matches(budget: Budget, workload: Workload, site: Site) -> bool:
    return (
        (budget.team is None or budget.team == workload.team)
        and (budget.kind is None or budget.kind == workload.kind)
        and (budget.tier is None or budget.tier == site.tier)
        and (budget.provider is None or budget.provider == site.provider)
    )


class Universe:
    """Flattened, indexed view of a scenario that every later stage shares."""

    def __init__(
        self, scenario: Scenario, current: Mapping[tuple[str, str, str], int] | None = None,
        churn_usd: float = 0.0,
    ) -> None:
        """``current`` (workload, site, offering) -> instances running now, and
        ``churn_usd`` the objective penalty per instance started or stopped (see
        :func:`.formulation.build`); without both, planning starts from nothing."""
        self.scenario = scenario
        self.sites = scenario.sites
        self.site_index = {s.name: i for i, s in enumerate(self.sites)}
        self.clients = scenario.clients
        self.client_index = {c.name: i for i, c in enumerate(self.clients)}
        self.datasets = {d.name: d for d in scenario.datasets}
        # Global offering index: (site index, offering).
        self.offers = [(i, o) for i, s in enumerate(self.sites) for o in s.offerings]
        self.offer_names = [f"{self.sites[si].name}/{o.name}" for si, o in self.offers]
        self.by_key: list[dict[str, list[int]]] = [defaultdict(list) for _ in self.sites]
        for k, (si, o) in enumerate(self.offers):
            self.by_key[si][o.speed_key].append(k)
        self.limited = [o.available is not None for _, o in self.offers]
        # Instances of each offering the plan may buy in time (SPEC 5.2), else 0.
        self.buyable = [o.buy_max if o.buy_max and any(
            p.start_hour >= o.buy_lead_hours - 1e-9 for p in scenario.timeline) else 0
            for _, o in self.offers]
        # Per site and accelerator: (offer, accelerator units, price) of what can run.
        self.priced: list[dict[str, list[tuple[int, float, float]]]] = [
            {key: [(k, self.offers[k][1].units, self.offers[k][1].usd_per_hour)
                   for k in ks if self.offers[k][1].available != 0 or self.buyable[k]]
             for key, ks in by_key.items()} for by_key in self.by_key]
        self.rtt = self._rtt_matrix()
        # Per site: the rtt from each client (the matrix read by sites).
        self.rtt_to = [[row[si] for row in self.rtt] for si in range(len(self.sites))]
        self._admitted: dict[tuple[object, ...], list[int]] = {}
        self.churn_usd = churn_usd if current else 0.0
        offer_ix = {(self.sites[si].name, o.name): k for k, (si, o) in enumerate(self.offers)}
        # workload -> offer index -> instances now (offerings no longer in the scenario drop out)
        self.current: dict[str, dict[int, int]] = defaultdict(dict)
        for (workload, site, offering), n in (current or {}).items():
            if n > 0 and (site, offering) in offer_ix:
                self.current[workload][offer_ix[site, offering]] = n

    def _rtt_matrix(self) -> list[list[float]]:
        net = self.scenario.network
        return [[net.rtt_ms(client, site) for site in self.sites] for client in self.clients]

    # ---------------------------------------------------------------- eligibility

    def admits(self, workload: Workload, site_ix: int) -> bool:
        """Workload filters and dataset jurisdictions admit the site."""
        site = self.sites[site_ix]
        if not workload.filters.admit(site):
            return False
        return all(
            jurisdiction_matches(site.jurisdiction, self.datasets[d].jurisdictions)
            for d in workload.datasets
        )

    def admitted_sites(self, workload: Workload) -> list[int]:
        key = (workload.filters, workload.datasets)
        sites = self._admitted.get(key)
        if sites is None:  # workloads share a few filters: the sites are found once each
            sites = self._admitted[key] = [i for i in range(len(self.sites))
                                           if self.admits(workload, i)]
        return sites

    # ------------------------------------------------------------------ inference

    def inference(
        self, w: InferenceWorkload, budgets: Sequence[Budget] = (), objective: str = "cost"
    ) -> InferenceCandidates:
        clients = [self.client_index[c] for c, d in w.demand_rps.items() if d > 0]
        groups: list[Group] = []
        eligible_sites: list[int] = []
        running = self.churn_usd > 0 and w.name in self.current
        # Groups that reach no client are dropped (see _drop_idle_groups) unless a
        # minimum or a running fleet needs them: those are not written at all.
        idle_dropped = not running and _idle_dropped(w)
        util, slo = w.max_utilization, w.latency_slo_ms + EPS
        profiles = [(key, p.rps, p.latency_ms) for key, p in w.accelerators.items()]
        for si in self.admitted_sites(w):
            priced = self.priced[si]
            by_latency: dict[float, list[tuple[int, float, float]]] = {}
            for key, rps, latency_ms in profiles:
                for k, units, price in priced.get(key, ()):
                    cap = units * rps * util
                    if cap > 0:
                        by_latency.setdefault(latency_ms, []).append((k, cap, price))
            if not by_latency:
                continue
            eligible_sites.append(si)
            rtt = self.rtt_to[si]
            for service_ms in sorted(by_latency):
                reach = tuple((ci, rtt[ci] + service_ms) for ci in clients
                              if rtt[ci] + service_ms <= slo)
                if idle_dropped and not reach:
                    continue
                lot = by_latency[service_ms]
                # Dominance ignores churn: a running instance may be worth keeping.
                kept = lot if running or len(lot) < 2 else self._pareto(lot)
                groups.append(Group(si, service_ms, tuple([Unit(*t) for t in kept]), reach))
        if running:
            return InferenceCandidates(w, tuple(groups), tuple(eligible_sites))
        groups = _drop_idle_groups(w, groups)
        if w.min_sites <= 1:
            groups = self._drop_dominated_groups(w, groups, budgets, objective)
        return InferenceCandidates(w, tuple(groups), tuple(eligible_sites))

    def _drop_dominated_groups(
        self, w: InferenceWorkload, groups: list[Group], budgets: Sequence[Budget], objective: str
    ) -> list[Group]:
        """Drop a group when another site's group serves its clients at least as well.

        A (kept) dominates B when A has only unlimited offerings, reaches every client B
        reaches, has egress and budget membership no worse, and offers for every unit of B
        a unit with at least its capacity at no higher price. Then B can be swapped for A
        without raising cost if A's latency is no worse for B's clients (exact for both
        objectives and their tie-breaks), or, under the cost objective, when each matched
        unit is strictly cheaper (B then appears in no optimal plan). Not used with
        min_sites > 1, where B's site itself may be needed.
        """
        egress = w.payload_kb > 0
        sites = self.sites
        def rank(g: Group) -> tuple[float, ...]:
            unit = min(u.usd_per_hour / u.cap for u in g.units)
            return (unit, sites[g.site].egress_usd_per_gb if egress else 0.0,
                    -len(g.reach), g.site, g.service_ms)

        # Only groups of unlimited offerings dominate, kept by (clients, budgets): a few
        # keys per workload, so most rulers that cannot apply are skipped a key at a time.
        rulers: dict[tuple[frozenset[int], frozenset[int]], list[_Ruler]] = {}
        signatures: dict[int, frozenset[int]] = {}
        dropped: set[int] = set()
        for b in sorted(groups, key=rank):
            b_clients = frozenset([ci for ci, _ in b.reach])
            b_sig = signatures.get(b.site)
            if b_sig is None:
                b_sig = signatures[b.site] = self.signature(w, b.site, budgets)
            b_egress = sites[b.site].egress_usd_per_gb if egress else 0.0
            b_cheapest = min(u.usd_per_hour for u in b.units)
            b_largest = max(u.cap for u in b.units) - EPS
            dominated = False
            for (a_clients, a_sig), same in rulers.items():
                if not b_clients <= a_clients or not a_sig <= b_sig:
                    continue
                for a_egress, a_cheapest, a_largest, a_latency, a_units in same:
                    # Necessary for domination: egress no dearer, a unit as cheap as
                    # B's cheapest and one as large as B's largest.
                    if a_egress > b_egress or a_cheapest > b_cheapest or a_largest < b_largest:
                        continue
                    strict = not all(a_latency[ci] <= ms + EPS for ci, ms in b.reach)
                    if strict and objective != "cost":
                        continue
                    if all(any(cap >= ub.cap - EPS and (price < ub.usd_per_hour if strict else
                                                        price <= ub.usd_per_hour)
                               for cap, price in a_units) for ub in b.units):
                        dominated = True
                        break
                if dominated:
                    break
            if dominated:
                dropped.add(id(b))
            elif not any(self.limited[u.offer] for u in b.units):
                units = tuple([(u.cap, u.usd_per_hour) for u in b.units])
                rulers.setdefault((b_clients, b_sig), []).append((
                    b_egress, b_cheapest, max(cap for cap, _ in units), dict(b.reach), units))
        return [g for g in groups if id(g) not in dropped]

    def _pareto(self, units: Sequence[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
        """Drop units (offer, cap, price) that unlimited units of the group replace at no
        higher price.

        Unit b goes when an unlimited unit a (cheaper, so seen first) satisfies
        k * cap_a >= cap_b and k * price_a <= price_b with k = ceil(cap_b / cap_a):
        k instances of a replace each instance of b. With near-linear GPU pricing this
        removes most equivalent size combinations (the symmetry that slows the search).
        """
        if len(units) < 2:
            return list(units)
        names = self.offer_names
        ordered = sorted(units, key=lambda u: (u[2], -u[1], names[u[0]]))
        kept: list[tuple[int, float, float]] = []
        unlimited: list[tuple[float, float]] = []
        limited = self.limited
        ceil = math.ceil
        for b in ordered:
            _, cap_b, price_b = b
            most = price_b + EPS
            for cap_a, price_a in unlimited:
                if ceil(cap_b / cap_a - EPS) * price_a <= most:
                    break
            else:
                kept.append(b)
                if not limited[b[0]]:
                    unlimited.append((cap_b, price_b))
        return kept

    # ------------------------------------------------------------------- training

    def training(
        self, w: TrainingWorkload, budgets: Sequence[Budget], limit: float | None = None,
        prune: bool = True,
    ) -> TrainingCandidates:
        """Options that finish within the deadline and the horizon (or within ``limit``).

        ``prune=False`` keeps dominated options too (diagnostics look for the fastest).
        """
        if limit is None:  # the window's length: release to deadline or horizon (SPEC 5.2)
            horizon = self.scenario.horizon_hours
            end = min(horizon, w.deadline_hours) if w.deadline_hours is not None else horizon
            limit = end - w.release_hours
        options: list[TrainOption] = []
        # Unlimited offerings: only the cheapest option per budget signature can be optimal,
        # so keep the best one on the fly instead of materialising every option.
        best: dict[frozenset[int], tuple[tuple[float, ...], TrainOption]] = {}
        eligible = 0
        signatures: dict[int, frozenset[int]] = {}  # per site, for _prune_training
        work, efficiency, spot_factor = w.work_hours, w.multi_node_efficiency, 1 + w.spot_overhead
        latest = limit + EPS
        for si in self.admitted_sites(w):
            transfer_hours, transfer_usd = self.transfer(w, si)
            signature = signatures[si] = self.signature(w, si, budgets)
            by_key = self.by_key[si]
            for key, speed in w.accelerators.items():
                for k in by_key.get(key, ()):
                    offering = self.offers[k][1]
                    if offering.units < w.min_accelerators:
                        continue
                    eligible += 1
                    max_nodes = w.max_nodes
                    limited = offering.available is not None
                    if offering.available is not None:  # with what may be bought
                        max_nodes = min(max_nodes, offering.available + self.buyable[k])
                    prices = [(False, offering.usd_per_hour)]
                    if w.spot and offering.spot_usd_per_hour is not None:
                        prices.append((True, offering.spot_usd_per_hour))
                    for spot, price in prices:
                        for nodes in range(1, max_nodes + 1):
                            factor = 1.0 if nodes == 1 else efficiency
                            hours = work / (nodes * offering.units * speed * factor)
                            if spot:
                                hours *= spot_factor
                            if transfer_hours + hours > latest:
                                continue
                            if not prune or limited:
                                options.append(TrainOption(k, si, nodes, spot, price, hours,
                                                           transfer_hours, transfer_usd))
                                if not prune:
                                    continue
                            else:  # ranked as TrainOption's cost and instance_hours compute them
                                rank = (nodes * price * hours + transfer_usd, nodes * hours,
                                        si, k, nodes, spot)
                                held = best.get(signature)
                                if held is None or rank < held[0]:
                                    best[signature] = (rank, TrainOption(
                                        k, si, nodes, spot, price, hours, transfer_hours,
                                        transfer_usd))
                            # Every k >= 2 costs the same and uses the same instance-hours
                            # (the efficiency factor is constant) and k = 1 is cheaper still:
                            # the smallest k that meets the deadline dominates the rest.
                            break
        if not prune:
            return TrainingCandidates(w, tuple(options), eligible)
        options.extend(opt for _, opt in best.values())
        return TrainingCandidates(w, self._prune_training(options, signatures), eligible)

    def signature(self, w: Workload, site_ix: int, budgets: Sequence[Budget]) -> frozenset[int]:
        """The budgets a placement of ``w`` at the site counts toward."""
        site = self.sites[site_ix]
        return frozenset(b for b, bud in enumerate(budgets) if budget_matches(bud, w, site))

    def transfer(self, w: Workload, site_ix: int) -> tuple[float, float]:
        """Hours and USD to move every dataset of ``w`` that is not at the site."""
        site = self.sites[site_ix]
        hours = usd = 0.0
        for name in w.datasets:
            d = self.datasets[name]
            if d.site == site.name:
                continue
            source = self.sites[self.site_index[d.site]]
            gbps = min(source.bandwidth_gbps, site.bandwidth_gbps)
            hours += d.size_gb * 8 / (gbps * 3600)
            usd += d.size_gb * source.egress_usd_per_gb
        return hours, usd

    def _prune_training(
        self, options: list[TrainOption], signatures: Mapping[int, frozenset[int]]
    ) -> tuple[TrainOption, ...]:
        """Keep, per budget signature (``signatures``: per site, see :meth:`signature`),
        the cheapest unlimited option and cheaper limited ones.

        An option whose offering is capacity-limited competes for that capacity, so it
        is kept unless an unlimited option with a subset of its budgets is no dearer.
        """
        ordered = sorted(
            options, key=lambda o: (o.cost, o.instance_hours, o.site, o.offer, o.nodes, o.spot)
        )
        unlimited_sigs: list[frozenset[int]] = []
        kept: list[TrainOption] = []
        for o in ordered:
            sig = signatures[o.site]
            if any(u <= sig for u in unlimited_sigs):
                continue  # an unlimited option, no dearer, counts toward fewer budgets
            kept.append(o)
            if self.offers[o.offer][1].available is None:
                unlimited_sigs.append(sig)
        return tuple(kept)


def _drop_idle_groups(w: InferenceWorkload, groups: list[Group]) -> list[Group]:
    """Groups that reach no client only help meet min_instances / min_sites.

    Such an instance serves no traffic, so only the cheapest units there can matter;
    when one instance meets both minimums anyway (see :func:`_idle_dropped`), idle
    groups cannot appear in an optimal plan at all.
    """
    return [g for g in groups if g.reach] if _idle_dropped(w) else groups


def _idle_dropped(w: InferenceWorkload) -> bool:
    """One instance meets both minimums anyway: min_instances <= 1, min_sites == 1 and
    some demand (see :func:`_drop_idle_groups`)."""
    return w.total_demand > 0 and w.min_instances <= 1 and w.min_sites <= 1
