"""The places of a generated scenario: clients, sites (cloud regions, on-prem data
centres, edge stores), round-trip times and datasets. A mixin of the generator in
:mod:`generate`, which owns the random stream (so the call order, and with it every
scenario of a seed, stays the same)."""

from __future__ import annotations

import math
import random
from collections import defaultdict

from tierplan.model import Client, Dataset, Location, Offering, Site
from tierplan.units import EU_MEMBERS, great_circle_km
from world import (
    CITIES,
    CPU_ONLY_RATE,
    EDGE_HARDWARE,
    EGRESS,
    FAMILIES,
    GPU_RATE,
    NETWORK,
    ONPREM_DISCOUNT,
    ONPREM_HARDWARE,
    ONPREM_PLACES,
    REGIONS,
    VCPU_RATE,
)

__all__ = ["Places"]


class Places:
    rng: random.Random
    n_workloads: int
    n_offerings: int
    n_clients: int
    clients: list[Client]
    sites: list[Site]

    def _clients(self) -> list[Client]:
        rng = self.rng
        cities = list(CITIES)
        rng.shuffle(cities)
        out = []
        for i in range(self.n_clients):
            name, lat, lon, code = cities[i % len(cities)]
            if i >= len(cities):  # more clients than cities: suburbs of the same cities
                name = f"{name}-{i // len(cities) + 1}"
                lat += rng.uniform(-0.5, 0.5)
                lon += rng.uniform(-0.5, 0.5)
            out.append(Client(name, Location(round(lat, 3), round(lon, 3)), code))
        return out

    def _sites(self) -> list[Site]:
        rng = self.rng
        n_onprem = min(len(ONPREM_PLACES), max(2, self.n_offerings // 400))
        n_edge = max(2, self.n_offerings // 100)
        onprem = [self._onprem(place) for place in rng.sample(ONPREM_PLACES, n_onprem)]
        edge = [self._edge(i) for i in range(n_edge)]
        budget = self.n_offerings - sum(len(s.offerings) for s in onprem + edge)
        budget = max(budget, 15)
        # Cloud sites: about 20 offerings each, every provider and continent represented.
        n_cloud = max(1, min(len(REGIONS), round(budget / 20)))
        regions = self._pick_regions(n_cloud)
        counts = self._split(budget, n_cloud)
        cloud = [self._cloud(region, count) for region, count in zip(regions, counts,
                                                                     strict=True)]
        return cloud + onprem + edge

    def _pick_regions(self, n: int) -> list[tuple[str, str, float, float, str, float]]:
        """``n`` regions, round-robin over providers so each provider gets a share."""
        by_provider: dict[str, list[tuple[str, str, float, float, str, float]]] = (
            defaultdict(list))
        for region in REGIONS:
            by_provider[region[0]].append(region)
        for regions in by_provider.values():
            self.rng.shuffle(regions)
        out = []
        while len(out) < n:
            for provider in ("aws", "gcp", "azure"):
                if by_provider[provider] and len(out) < n:
                    out.append(by_provider[provider].pop())
        return out

    def _split(self, total: int, parts: int) -> list[int]:
        """``parts`` counts summing to ``total``, each near total/parts (15-25 at 20)."""
        mean = total / parts
        raw = [self.rng.uniform(0.75, 1.25) * mean for _ in range(parts)]
        scale = total / sum(raw)
        counts = [max(1, int(r * scale)) for r in raw]
        i = 0
        while sum(counts) != total:
            step = 1 if sum(counts) < total else -1
            if counts[i % parts] + step >= 1:
                counts[i % parts] += step
            i += 1
        return counts

    def _cloud(self, region: tuple[str, str, float, float, str, float], count: int) -> Site:
        rng = self.rng
        provider, name, lat, lon, code, mult = region
        mult *= rng.uniform(0.97, 1.03)
        family = FAMILIES[provider]
        chosen = rng.sample(family, min(count, len(family)))
        offerings = []
        for template in chosen:
            offerings.append(self._cloud_offering(template, template[0], mult))
        k = 0
        while len(offerings) < count:  # more than the family holds: reserved-capacity SKUs
            template = family[k % len(family)]
            k += 1
            offerings.append(self._cloud_offering(template, f"{template[0]}-cr{k}",
                                                  mult * rng.uniform(0.85, 1.0)))
        low, high = EGRESS[provider]
        return Site(
            name=f"{provider}/{name}", tier="cloud", offerings=tuple(offerings),
            provider=provider, region=name, location=Location(lat, lon), jurisdiction=code,
            egress_usd_per_gb=round(rng.uniform(low, high), 3),
            bandwidth_gbps=rng.choice((10.0, 25.0, 50.0)),
        )

    def _cloud_offering(self, template: tuple[str, str | None, int, int, int], name: str,
                        mult: float) -> Offering:
        rng = self.rng
        _, accelerator, count, vcpus, memory = template
        if accelerator is None:
            price = vcpus * CPU_ONLY_RATE
        else:
            price = count * GPU_RATE[accelerator] + vcpus * VCPU_RATE
        price = round(price * mult * rng.uniform(0.95, 1.05), 4)
        spot = None
        if rng.random() < 0.85:
            spot = round(price * rng.uniform(0.30, 0.45), 4)
        return Offering(name=name, usd_per_hour=price, accelerator=accelerator,
                        accelerator_count=count, vcpus=float(vcpus),
                        memory_gib=float(memory), spot_usd_per_hour=spot)

    def _onprem(self, place: tuple[str, float, float, str]) -> Site:
        rng = self.rng
        name, lat, lon, code = place
        hardware = rng.sample(ONPREM_HARDWARE, rng.randint(3, 6))
        offerings = []
        for hw_name, accelerator, count, vcpus, memory in hardware:
            list_price = (count * GPU_RATE[accelerator] + vcpus * VCPU_RATE if accelerator
                          else vcpus * CPU_ONLY_RATE)
            price = round(list_price * rng.uniform(*ONPREM_DISCOUNT), 4)
            offerings.append(Offering(
                name=hw_name, usd_per_hour=price, accelerator=accelerator,
                accelerator_count=count, vcpus=float(vcpus), memory_gib=float(memory),
                available=rng.randint(2, 16),
            ))
        return Site(
            name=f"onprem/{name}", tier="onprem", offerings=tuple(offerings),
            location=Location(lat, lon), jurisdiction=code, egress_usd_per_gb=0.0,
            bandwidth_gbps=rng.choice((1.0, 10.0, 10.0, 40.0)),
        )

    def _edge(self, i: int) -> Site:
        rng = self.rng
        # Stores near the clients (where inference demand is).
        if self.clients:
            anchor = self.clients[i % len(self.clients)]
            assert anchor.location is not None
            lat = anchor.location.lat + rng.uniform(-0.3, 0.3)
            lon = anchor.location.lon + rng.uniform(-0.3, 0.3)
            code = anchor.jurisdiction
        else:
            _, lat, lon, code = rng.choice(CITIES)
        kinds = [hw for hw in EDGE_HARDWARE if rng.random() < 0.7] or [EDGE_HARDWARE[0]]
        offerings = []
        for hw_name, accelerator, count, vcpus, memory, price in kinds:
            offerings.append(Offering(
                name=hw_name, usd_per_hour=round(price * rng.uniform(0.8, 1.2), 4),
                accelerator=accelerator, accelerator_count=count, vcpus=float(vcpus),
                memory_gib=float(memory), available=rng.randint(1, 4),
            ))
        return Site(
            name=f"edge/store-{i:03d}", tier="edge", offerings=tuple(offerings),
            location=Location(round(lat, 3), round(lon, 3)), jurisdiction=code,
            egress_usd_per_gb=0.0, bandwidth_gbps=round(rng.uniform(0.2, 1.0), 2),
        )

    def _rtt(self, client: Client, site: Site) -> float:
        assert client.location is not None and site.location is not None
        km = great_circle_km(client.location.lat, client.location.lon,
                             site.location.lat, site.location.lon)
        return NETWORK.base_ms + NETWORK.ms_per_km * km

    def _datasets(self) -> list[Dataset]:
        rng = self.rng
        n = max(3, self.n_workloads // 10)
        # Data lives mostly in cloud regions and data centres, not in stores.
        homes = [s for s in self.sites if s.tier != "edge"]
        out = []
        for i in range(n):
            site = rng.choice(homes)
            jurisdictions: tuple[str, ...] | None = None
            r = rng.random()
            if r < 0.15 and site.jurisdiction in EU_MEMBERS:
                jurisdictions = ("EU",)
            elif r < 0.25:
                assert site.jurisdiction is not None
                jurisdictions = (site.jurisdiction,)
            size = round(math.exp(rng.uniform(math.log(10), math.log(500))), 1)
            out.append(Dataset(f"ds-{i:04d}", size, site.name, jurisdictions))
        return out

