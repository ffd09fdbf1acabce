"""Synthetic but realistic planning scenarios for benchmarks, built as domain objects.

``generate(n_workloads, n_offerings, n_clients, seed, total_budget)`` returns a
:class:`tierplan.model.Scenario` with

- cloud sites ``<provider>/<region>`` for aws, gcp and azure in real regions (approximate
  coordinates, ISO jurisdiction, egress 0.08-0.12 USD/GB), 15-25 offerings each taken
  from each provider's real instance families at list-price levels, most with a spot price;
- a few on-prem data centres and edge stores whose offerings are capacity-limited;
- ``n_clients`` clients in world cities;
- ~60 % inference and ~40 % training workloads over 5-10 teams, with datasets, filters,
  deadlines, spot, per-workload and per-team budgets (and optionally one total budget).

The scenario is feasible by construction: while generating, a simple plan that uses only
unlimited (cloud) offerings, plus a ledger for on-prem-only training, is kept for every
workload. SLOs are widened until each chosen client is reachable by an unlimited
offering, deadlines are no shorter than that plan's option, and every budget is at least
the cost of that plan for what it covers. The same seed gives the same scenario.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, replace

from tierplan.model import (
    CPU,
    Budget,
    Filters,
    InferenceWorkload,
    Offering,
    Scenario,
    ServiceProfile,
    Site,
    TrainingWorkload,
    Workload,
)
from tierplan.units import jurisdiction_matches

__all__ = ["generate"]

from places import Places
from world import (
    DATACENTER_GPUS,
    HORIZON,
    NETWORK,
    SERVE,
    TEAMS,
    TRAIN_SPEED,
)

# ----------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class _Unit:
    """An offering with its site, for the generator's own eligibility checks."""

    site: int
    offering: Offering


def generate(n_workloads: int, n_offerings: int = 2000, n_clients: int = 20, seed: int = 0,
             total_budget: bool = False) -> Scenario:
    """A feasible scenario of ``n_workloads`` workloads over ``n_offerings`` offerings."""
    return _Generator(n_workloads, n_offerings, n_clients, seed, total_budget).scenario()


class _Generator(Places):
    def __init__(self, n_workloads: int, n_offerings: int, n_clients: int, seed: int,
                 total_budget: bool) -> None:
        if n_offerings < 20:
            raise ValueError("n_offerings must be at least 20")
        self.rng = random.Random(seed)
        self.n_workloads = n_workloads
        self.n_offerings = n_offerings
        self.n_clients = n_clients
        self.seed = seed
        self.total_budget = total_budget

    # ------------------------------------------------------------------ top level

    def scenario(self) -> Scenario:
        self.clients = self._clients()
        self.sites = self._sites()
        self.site_index = {s.name: i for i, s in enumerate(self.sites)}
        self.units = [_Unit(i, o) for i, s in enumerate(self.sites) for o in s.offerings]
        self.by_key: dict[str, list[_Unit]] = defaultdict(list)
        for unit in self.units:
            self.by_key[unit.offering.speed_key].append(unit)
        self.rtt = [[self._rtt(c, s) for s in self.sites] for c in self.clients]
        self.datasets = self._datasets()
        self.dataset_index = {d.name: d for d in self.datasets}
        self.teams = list(TEAMS[: self.rng.randint(5, 10)])
        # Hours left on each capacity-limited offering for the fallback plan.
        self.ledger: dict[tuple[int, str], float] = {}
        self.fallback_cost: dict[str, float] = {}

        workloads: list[Workload] = []
        for i in range(self.n_workloads):
            team = self.rng.choice(self.teams)
            if self.rng.random() < 0.6:
                workloads.append(self._inference(i, team))
            else:
                workloads.append(self._training(i, team))
        workloads = [self._with_budget(w) for w in workloads]
        budgets = self._budgets(workloads)
        return Scenario(
            name=f"bench-{self.n_workloads}w-{self.n_offerings}o-{self.n_clients}c-s{self.seed}",
            sites=tuple(self.sites), workloads=tuple(workloads), clients=tuple(self.clients),
            datasets=tuple(self.datasets), budgets=tuple(budgets), network=NETWORK,
            horizon_hours=HORIZON, objective="cost", source="<bench.generate>",
        )

    # ------------------------------------------------------------------ workloads

    def _admits(self, filters: Filters, datasets: tuple[str, ...], site_ix: int) -> bool:
        site = self.sites[site_ix]
        return filters.admit(site) and all(
            jurisdiction_matches(site.jurisdiction, self.dataset_index[d].jurisdictions)
            for d in datasets)

    def _inference(self, i: int, team: str) -> InferenceWorkload:
        for _ in range(50):
            w = self._try_inference(i, team)
            if w is not None:
                return w
        raise RuntimeError(f"could not make inference workload {i} feasible")  # pragma: no cover

    def _try_inference(self, i: int, team: str) -> InferenceWorkload | None:
        rng = self.rng
        scale = rng.choice((0.5, 1.0, 1.0, 2.0, 4.0))  # model size vs. the reference
        gpus = rng.sample(DATACENTER_GPUS, rng.randint(2, 4))
        keys = list(gpus)
        if scale <= 1.0 and rng.random() < 0.3:
            keys.append("Jetson-AGX-Orin")
        if scale <= 0.5 and rng.random() < 0.6:
            keys.append(CPU)
        profiles = {}
        for key in keys:
            rps, latency = SERVE[key]
            profiles[key] = ServiceProfile(
                rps=round(rps / scale * rng.uniform(0.85, 1.15), 2),
                latency_ms=round(latency * math.sqrt(scale) * rng.uniform(0.9, 1.1), 1),
            )
        r = rng.random()
        jurisdictions: tuple[str, ...] | None = None
        if r < 0.15:
            jurisdictions = ("EU",)
        elif r < 0.25:
            jurisdictions = ("US",)
        providers: tuple[str, ...] | None = None
        if rng.random() < 0.1:
            providers = tuple(sorted(rng.sample(("aws", "gcp", "azure"), 2)))
        filters = Filters(providers=providers, jurisdictions=jurisdictions)
        max_util = rng.choice((0.7, 0.8, 0.8, 0.9))
        payload = round(rng.uniform(1, 50), 1)
        slo = float(rng.randint(60, 200))

        # Cheapest unlimited unit per client (price per rps of capacity incl. egress).
        admitted = {si for si in range(len(self.sites)) if self._admits(filters, (), si)}
        unlimited = [
            (u, profiles[key]) for key in profiles for u in self.by_key.get(key, ())
            if u.site in admitted and u.offering.available is None
        ]
        if not unlimited:
            return None
        best_ms = []
        for ci in range(len(self.clients)):
            best_ms.append(min(self.rtt[ci][u.site] + p.latency_ms for u, p in unlimited))
        n_demand = min(rng.randint(2, 5), len(self.clients))
        if n_demand == 0:
            return None
        ordered = sorted(best_ms)
        if ordered[n_demand - 1] > slo:
            slo = float(math.ceil(ordered[n_demand - 1] + rng.uniform(2, 15)))
        if slo > 400:
            return None
        reachable = [ci for ci in range(len(self.clients)) if best_ms[ci] <= slo]
        chosen = sorted(rng.sample(reachable, n_demand))
        demand = {self.clients[ci].name: round(rng.uniform(1, 60), 1) for ci in chosen}
        min_sites = 2 if rng.random() < 0.08 else 1

        # Fallback plan: per client the cheapest reaching unlimited unit, own instances.
        cost = 0.0
        used_sites: set[int] = set()
        for ci in chosen:
            rps = demand[self.clients[ci].name]
            options = []
            for u, p in unlimited:
                if self.rtt[ci][u.site] + p.latency_ms > slo:
                    continue
                cap = u.offering.units * p.rps * max_util
                n = math.ceil(rps / cap - 1e-9)
                egress = rps * 3600 * HORIZON * payload * 1e-6 * self.sites[
                    u.site].egress_usd_per_gb
                options.append((n * u.offering.usd_per_hour * HORIZON + egress, u.site))
            c, site = min(options)
            cost += c
            used_sites.add(site)
        if min_sites > len(used_sites):
            extra = [(u.offering.usd_per_hour * HORIZON, u.site) for u, _ in unlimited
                     if u.site not in used_sites]
            if not extra:
                min_sites = 1
            else:
                cost += min(extra)[0]
        name = f"{team}-serve-{i:04d}"
        self.fallback_cost[name] = cost
        return InferenceWorkload(
            name=name, accelerators=profiles, demand_rps=demand, latency_slo_ms=slo,
            max_utilization=max_util, min_sites=min_sites, payload_kb=payload, team=team,
            filters=filters,
        )

    def _training(self, i: int, team: str) -> TrainingWorkload:
        for attempt in range(50):
            w = self._try_training(i, team, relax=attempt >= 10)
            if w is not None:
                return w
        raise RuntimeError(f"could not make training workload {i} feasible")  # pragma: no cover

    def _try_training(self, i: int, team: str, relax: bool) -> TrainingWorkload | None:
        rng = self.rng
        gpus = rng.sample(DATACENTER_GPUS, rng.randint(2, 3))
        speeds = {g: round(TRAIN_SPEED[g] * rng.uniform(0.85, 1.15), 3) for g in gpus}
        work = round(math.exp(rng.uniform(math.log(5), math.log(500))), 1)
        min_acc = rng.choice((1, 1, 2, 4, 4, 8, 8))
        max_nodes = rng.randint(1, 4)
        spot = rng.random() < 0.5
        overhead = round(rng.uniform(0.05, 0.2), 2)
        efficiency = round(rng.uniform(0.8, 0.95), 2)
        datasets: tuple[str, ...] = ()
        if rng.random() < 0.4 and self.datasets:
            datasets = tuple(d.name for d in rng.sample(self.datasets, rng.randint(1, 2)))
        tiers: tuple[str, ...] | None = None
        jurisdictions: tuple[str, ...] | None = None
        r = rng.random()
        if r < 0.1:
            tiers = ("onprem",)
        elif r < 0.25:
            tiers = ("cloud", "onprem")
        elif r < 0.35:
            tiers = ("cloud",)
        if rng.random() < 0.1:
            jurisdictions = rng.choice((("EU",), ("US",), ("EU", "GB", "CH")))
        if relax:
            tiers = jurisdictions = None
            datasets = datasets[:1]
        filters = Filters(tiers=tiers, jurisdictions=jurisdictions)

        options = []  # (cost, hours, key of a limited offering or None, nodes)
        for si in range(len(self.sites)):
            if not self._admits(filters, datasets, si):
                continue
            site = self.sites[si]
            t_hours, t_usd = self._transfer(datasets, site)
            for o in site.offerings:
                if o.accelerator not in speeds or o.units < min_acc:
                    continue
                for nodes in range(1, (min(max_nodes, o.available or max_nodes)) + 1):
                    factor = 1.0 if nodes == 1 else efficiency
                    hours = work / (nodes * o.units * speeds[o.accelerator] * factor)
                    prices = [(o.usd_per_hour, hours)]
                    if spot and o.spot_usd_per_hour is not None:
                        prices.append((o.spot_usd_per_hour, hours * (1 + overhead)))
                    for price, h in prices:
                        if t_hours + h > HORIZON:
                            continue
                        key = (si, o.name) if o.available is not None else None
                        options.append((nodes * price * h + t_usd, t_hours + h, key, nodes, o))
        feasible = []
        for cost, hours, key, nodes, o in options:
            if key is None:
                feasible.append((cost, hours, key, nodes))
                continue
            left = self.ledger.setdefault(key, float(o.available) * HORIZON)
            if nodes * hours <= left * 0.5:  # leave room: only half of what is left
                feasible.append((cost, hours, key, nodes))
        if not feasible:
            return None
        cost, hours, key, nodes = min(feasible, key=lambda f: (f[0], f[1]))
        if key is not None:
            self.ledger[key] -= nodes * hours
        deadline = None
        if rng.random() < 0.4:
            deadline = round(max(hours * rng.uniform(1.2, 3.0), hours + 1.0), 1)
        name = f"{team}-train-{i:04d}"
        self.fallback_cost[name] = cost
        return TrainingWorkload(
            name=name, accelerators=speeds, work_hours=work, min_accelerators=min_acc,
            max_nodes=max_nodes, multi_node_efficiency=efficiency, deadline_hours=deadline,
            spot=spot, spot_overhead=overhead, team=team, datasets=datasets, filters=filters,
        )

    def _transfer(self, datasets: tuple[str, ...], site: Site) -> tuple[float, float]:
        hours = usd = 0.0
        for name in datasets:
            d = self.dataset_index[name]
            if d.site == site.name:
                continue
            source = self.sites[self.site_index[d.site]]
            hours += d.size_gb * 8 / (min(source.bandwidth_gbps, site.bandwidth_gbps) * 3600)
            usd += d.size_gb * source.egress_usd_per_gb
        return hours, usd

    # -------------------------------------------------------------------- budgets

    def _with_budget(self, w: Workload) -> Workload:
        """About 10 % of workloads get a budget of 1.05-1.6x their fallback plan."""
        if self.rng.random() >= 0.1:
            return w
        limit = round(self.fallback_cost[w.name] * self.rng.uniform(1.05, 1.6) + 1.0, 2)
        return replace(w, budget_usd=limit)

    def _budgets(self, workloads: list[Workload]) -> list[Budget]:
        rng = self.rng
        by_team: dict[str, float] = defaultdict(float)
        for w in workloads:
            assert w.team is not None
            by_team[w.team] += self.fallback_cost[w.name]
        out = []
        teams = sorted(by_team)
        for team in rng.sample(teams, min(len(teams), rng.randint(2, 3))):
            limit = round(by_team[team] * rng.uniform(1.1, 1.5) + 100.0, -2)
            out.append(Budget(name=f"team-{team}", limit_usd=limit, team=team))
        if self.total_budget:
            total = sum(by_team.values())
            out.append(Budget(name="total", limit_usd=round(total * 1.5 + 1000.0, -3)))
        return out
