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
from dataclasses import dataclass

from tierplan.model import (
    CPU,
    Budget,
    Client,
    Dataset,
    Filters,
    InferenceWorkload,
    Location,
    Network,
    Offering,
    Scenario,
    ServiceProfile,
    Site,
    TrainingWorkload,
    Workload,
)
from tierplan.units import EU_MEMBERS, great_circle_km, jurisdiction_matches

__all__ = ["generate"]

HORIZON = 730.0
NETWORK = Network(base_ms=5.0, ms_per_km=0.02)

# ------------------------------------------------------------------------------ data

# (provider, region, lat, lon, jurisdiction, price multiplier vs. the provider's US list)
REGIONS: tuple[tuple[str, str, float, float, str, float], ...] = (
    ("aws", "us-east-1", 38.9, -77.4, "US", 1.00),
    ("aws", "us-east-2", 40.0, -83.0, "US", 1.00),
    ("aws", "us-west-1", 37.4, -122.0, "US", 1.12),
    ("aws", "us-west-2", 45.8, -119.7, "US", 1.00),
    ("aws", "ca-central-1", 45.5, -73.6, "CA", 1.10),
    ("aws", "ca-west-1", 51.0, -114.1, "CA", 1.12),
    ("aws", "sa-east-1", -23.5, -46.6, "BR", 1.55),
    ("aws", "eu-west-1", 53.3, -6.3, "IE", 1.10),
    ("aws", "eu-west-2", 51.5, -0.1, "GB", 1.16),
    ("aws", "eu-west-3", 48.9, 2.35, "FR", 1.16),
    ("aws", "eu-central-1", 50.1, 8.7, "DE", 1.18),
    ("aws", "eu-central-2", 47.4, 8.5, "CH", 1.25),
    ("aws", "eu-north-1", 59.3, 18.1, "SE", 1.06),
    ("aws", "eu-south-1", 45.5, 9.2, "IT", 1.17),
    ("aws", "eu-south-2", 41.6, -0.9, "ES", 1.15),
    ("aws", "me-central-1", 25.2, 55.3, "AE", 1.22),
    ("aws", "il-central-1", 32.1, 34.8, "IL", 1.20),
    ("aws", "af-south-1", -33.9, 18.4, "ZA", 1.30),
    ("aws", "ap-northeast-1", 35.7, 139.7, "JP", 1.26),
    ("aws", "ap-northeast-2", 37.6, 127.0, "KR", 1.22),
    ("aws", "ap-northeast-3", 34.7, 135.5, "JP", 1.26),
    ("aws", "ap-southeast-1", 1.35, 103.8, "SG", 1.24),
    ("aws", "ap-southeast-2", -33.9, 151.2, "AU", 1.25),
    ("aws", "ap-southeast-3", -6.2, 106.8, "ID", 1.24),
    ("aws", "ap-south-1", 19.1, 72.9, "IN", 1.14),
    ("aws", "ap-south-2", 17.4, 78.5, "IN", 1.14),
    ("aws", "ap-east-1", 22.3, 114.2, "HK", 1.32),
    ("gcp", "us-central1", 41.3, -95.9, "US", 1.00),
    ("gcp", "us-east1", 33.2, -80.0, "US", 1.00),
    ("gcp", "us-east4", 39.0, -77.5, "US", 1.12),
    ("gcp", "us-east5", 39.96, -83.0, "US", 1.00),
    ("gcp", "us-south1", 32.8, -96.8, "US", 1.18),
    ("gcp", "us-west1", 45.6, -121.2, "US", 1.00),
    ("gcp", "us-west2", 34.05, -118.2, "US", 1.20),
    ("gcp", "us-west4", 36.2, -115.1, "US", 1.12),
    ("gcp", "northamerica-northeast1", 45.5, -73.6, "CA", 1.10),
    ("gcp", "northamerica-northeast2", 43.7, -79.4, "CA", 1.10),
    ("gcp", "southamerica-east1", -23.5, -46.6, "BR", 1.50),
    ("gcp", "europe-west1", 50.4, 3.8, "BE", 1.10),
    ("gcp", "europe-west2", 51.5, -0.1, "GB", 1.20),
    ("gcp", "europe-west3", 50.1, 8.7, "DE", 1.20),
    ("gcp", "europe-west4", 53.4, 6.8, "NL", 1.10),
    ("gcp", "europe-west6", 47.4, 8.5, "CH", 1.28),
    ("gcp", "europe-west8", 45.5, 9.2, "IT", 1.18),
    ("gcp", "europe-west9", 48.9, 2.35, "FR", 1.18),
    ("gcp", "europe-southwest1", 40.4, -3.7, "ES", 1.18),
    ("gcp", "europe-north1", 60.6, 27.2, "FI", 1.10),
    ("gcp", "europe-central2", 52.2, 21.0, "PL", 1.20),
    ("gcp", "me-west1", 32.1, 34.8, "IL", 1.22),
    ("gcp", "asia-east1", 24.1, 120.5, "TW", 1.15),
    ("gcp", "asia-east2", 22.3, 114.2, "HK", 1.30),
    ("gcp", "asia-northeast1", 35.7, 139.7, "JP", 1.28),
    ("gcp", "asia-northeast2", 34.7, 135.5, "JP", 1.28),
    ("gcp", "asia-northeast3", 37.6, 127.0, "KR", 1.28),
    ("gcp", "asia-south1", 19.1, 72.9, "IN", 1.20),
    ("gcp", "asia-southeast1", 1.35, 103.8, "SG", 1.23),
    ("gcp", "asia-southeast2", -6.2, 106.8, "ID", 1.25),
    ("gcp", "australia-southeast1", -33.9, 151.2, "AU", 1.30),
    ("gcp", "australia-southeast2", -37.8, 145.0, "AU", 1.30),
    ("azure", "eastus", 37.4, -79.8, "US", 1.00),
    ("azure", "eastus2", 36.7, -78.4, "US", 1.00),
    ("azure", "centralus", 41.6, -93.6, "US", 1.05),
    ("azure", "northcentralus", 41.9, -87.6, "US", 1.05),
    ("azure", "southcentralus", 29.4, -98.5, "US", 1.02),
    ("azure", "westus", 37.8, -122.4, "US", 1.10),
    ("azure", "westus2", 47.2, -119.9, "US", 1.00),
    ("azure", "westus3", 33.4, -112.1, "US", 1.00),
    ("azure", "canadacentral", 43.7, -79.4, "CA", 1.10),
    ("azure", "canadaeast", 46.8, -71.2, "CA", 1.10),
    ("azure", "brazilsouth", -23.5, -46.6, "BR", 1.55),
    ("azure", "westeurope", 52.4, 4.9, "NL", 1.12),
    ("azure", "northeurope", 53.3, -6.3, "IE", 1.08),
    ("azure", "francecentral", 48.9, 2.35, "FR", 1.15),
    ("azure", "germanywestcentral", 50.1, 8.7, "DE", 1.18),
    ("azure", "swedencentral", 60.7, 17.1, "SE", 1.05),
    ("azure", "norwayeast", 59.9, 10.8, "NO", 1.20),
    ("azure", "switzerlandnorth", 47.4, 8.5, "CH", 1.28),
    ("azure", "italynorth", 45.5, 9.2, "IT", 1.18),
    ("azure", "polandcentral", 52.2, 21.0, "PL", 1.18),
    ("azure", "spaincentral", 40.4, -3.7, "ES", 1.16),
    ("azure", "uksouth", 51.5, -0.1, "GB", 1.16),
    ("azure", "ukwest", 51.5, -3.2, "GB", 1.18),
    ("azure", "uaenorth", 25.3, 55.3, "AE", 1.24),
    ("azure", "southafricanorth", -26.2, 28.0, "ZA", 1.30),
    ("azure", "centralindia", 18.6, 73.9, "IN", 1.12),
    ("azure", "southindia", 12.9, 80.2, "IN", 1.12),
    ("azure", "japaneast", 35.7, 139.7, "JP", 1.26),
    ("azure", "japanwest", 34.7, 135.5, "JP", 1.26),
    ("azure", "koreacentral", 37.6, 127.0, "KR", 1.22),
    ("azure", "eastasia", 22.3, 114.2, "HK", 1.32),
    ("azure", "southeastasia", 1.3, 103.8, "SG", 1.22),
    ("azure", "australiaeast", -33.9, 151.2, "AU", 1.25),
    ("azure", "australiasoutheast", -37.8, 145.0, "AU", 1.25),
)

EGRESS = {"aws": (0.09, 0.11), "gcp": (0.10, 0.12), "azure": (0.08, 0.10)}

# List price per accelerator-hour (USD), and per vCPU-hour for the host share.
GPU_RATE = {"T4": 0.50, "L4": 0.80, "A10G": 1.00, "L40S": 1.90, "V100": 3.00,
            "A100": 4.00, "H100": 11.0}
VCPU_RATE = 0.035
CPU_ONLY_RATE = 0.045  # per vCPU-hour of a CPU-only instance

# Instance families per provider: (name, accelerator or None, count, vcpus, memory GiB).
_AWS = [
    *[(f"g4dn.{s}", "T4", 1, v, 4 * v) for s, v in (("xlarge", 4), ("2xlarge", 8),
                                                    ("4xlarge", 16), ("8xlarge", 32))],
    ("g4dn.12xlarge", "T4", 4, 48, 192), ("g4dn.metal", "T4", 8, 96, 384),
    *[(f"g6.{s}", "L4", 1, v, 4 * v) for s, v in (("xlarge", 4), ("2xlarge", 8),
                                                  ("4xlarge", 16), ("8xlarge", 32))],
    ("g6.12xlarge", "L4", 4, 48, 192), ("g6.24xlarge", "L4", 4, 96, 384),
    ("g6.48xlarge", "L4", 8, 192, 768),
    *[(f"g5.{s}", "A10G", 1, v, 4 * v) for s, v in (("xlarge", 4), ("2xlarge", 8),
                                                    ("4xlarge", 16), ("8xlarge", 32))],
    ("g5.12xlarge", "A10G", 4, 48, 192), ("g5.24xlarge", "A10G", 4, 96, 384),
    ("g5.48xlarge", "A10G", 8, 192, 768),
    ("g6e.xlarge", "L40S", 1, 4, 32), ("g6e.2xlarge", "L40S", 1, 8, 64),
    ("g6e.12xlarge", "L40S", 4, 48, 384), ("g6e.24xlarge", "L40S", 4, 96, 768),
    ("g6e.48xlarge", "L40S", 8, 192, 1536),
    ("p3.2xlarge", "V100", 1, 8, 61), ("p3.8xlarge", "V100", 4, 32, 244),
    ("p3.16xlarge", "V100", 8, 64, 488),
    ("p4d.24xlarge", "A100", 8, 96, 1152), ("p5.4xlarge", "H100", 1, 16, 256),
    ("p5.48xlarge", "H100", 8, 192, 2048),
    *[(f"m7i.{s}", None, 0, v, 4 * v) for s, v in (("large", 2), ("xlarge", 4),
                                                   ("2xlarge", 8), ("4xlarge", 16))],
    *[(f"c7i.{s}", None, 0, v, 2 * v) for s, v in (("2xlarge", 8), ("4xlarge", 16),
                                                   ("8xlarge", 32))],
]
_GCP = [
    *[(f"g2-standard-{v}", "L4", 1, v, 4 * v) for v in (4, 8, 12, 16, 32)],
    ("g2-standard-24", "L4", 2, 24, 96), ("g2-standard-48", "L4", 4, 48, 192),
    ("g2-standard-96", "L4", 8, 96, 384),
    *[(f"n1-standard-{v}-t4x{c}", "T4", c, v, int(3.75 * v))
      for v, c in ((4, 1), (8, 1), (16, 2), (32, 4), (64, 8))],
    *[(f"n1-standard-{v}-v100x{c}", "V100", c, v, int(3.75 * v))
      for v, c in ((8, 1), (16, 2), (32, 4), (64, 8))],
    ("a2-highgpu-1g", "A100", 1, 12, 85), ("a2-highgpu-2g", "A100", 2, 24, 170),
    ("a2-highgpu-4g", "A100", 4, 48, 340), ("a2-highgpu-8g", "A100", 8, 96, 680),
    ("a3-highgpu-1g", "H100", 1, 26, 234), ("a3-highgpu-2g", "H100", 2, 52, 468),
    ("a3-highgpu-4g", "H100", 4, 104, 936), ("a3-highgpu-8g", "H100", 8, 208, 1872),
    *[(f"n2-standard-{v}", None, 0, v, 4 * v) for v in (2, 4, 8, 16, 32)],
    *[(f"c3-standard-{v}", None, 0, v, 4 * v) for v in (4, 8, 22, 44)],
]
_AZURE = [
    ("Standard_NC4as_T4_v3", "T4", 1, 4, 28), ("Standard_NC8as_T4_v3", "T4", 1, 8, 56),
    ("Standard_NC16as_T4_v3", "T4", 1, 16, 110), ("Standard_NC64as_T4_v3", "T4", 4, 64, 440),
    ("Standard_NV6ads_A10_v5", "A10G", 1, 6, 55), ("Standard_NV36ads_A10_v5", "A10G", 1, 36, 440),
    ("Standard_NV72ads_A10_v5", "A10G", 2, 72, 880),
    ("Standard_NC6s_v3", "V100", 1, 6, 112), ("Standard_NC12s_v3", "V100", 2, 12, 224),
    ("Standard_NC24s_v3", "V100", 4, 24, 448), ("Standard_ND40rs_v2", "V100", 8, 40, 672),
    ("Standard_NC24ads_A100_v4", "A100", 1, 24, 220),
    ("Standard_NC48ads_A100_v4", "A100", 2, 48, 440),
    ("Standard_NC96ads_A100_v4", "A100", 4, 96, 880),
    ("Standard_ND96asr_v4", "A100", 8, 96, 900),
    ("Standard_NC40ads_H100_v5", "H100", 1, 40, 320),
    ("Standard_NC80adis_H100_v5", "H100", 2, 80, 640),
    ("Standard_ND96isr_H100_v5", "H100", 8, 96, 1900),
    ("Standard_NC8ads_L40S", "L40S", 1, 8, 64), ("Standard_NC32ads_L40S", "L40S", 4, 32, 256),
    *[(f"Standard_D{v}s_v5", None, 0, v, 4 * v) for v in (2, 4, 8, 16, 32)],
    *[(f"Standard_F{v}s_v2", None, 0, v, 2 * v) for v in (4, 8, 16, 32)],
]
FAMILIES = {"aws": _AWS, "gcp": _GCP, "azure": _AZURE}

# On-prem data centres and their hardware: (name, accelerator, count, vcpus, GiB).
ONPREM_PLACES = (
    ("ashburn-dc1", 39.0, -77.5, "US"), ("fra-dc1", 50.1, 8.7, "DE"),
    ("austin-dc2", 30.3, -97.7, "US"), ("london-dc1", 51.5, -0.1, "GB"),
    ("tokyo-lab", 35.7, 139.7, "JP"), ("munich-lab", 48.1, 11.6, "DE"),
    ("toronto-dc", 43.7, -79.4, "CA"), ("paris-dc", 48.9, 2.35, "FR"),
    ("singapore-dc", 1.35, 103.8, "SG"), ("bangalore-lab", 12.97, 77.6, "IN"),
    ("seattle-lab", 47.6, -122.3, "US"), ("amsterdam-dc", 52.4, 4.9, "NL"),
)
ONPREM_HARDWARE = (
    ("dgx-h100", "H100", 8, 224, 2048), ("dgx-a100", "A100", 8, 256, 1024),
    ("hgx-a100-4", "A100", 4, 128, 512), ("l40s-server", "L40S", 4, 64, 512),
    ("v100-node", "V100", 8, 80, 512), ("t4-server", "T4", 4, 48, 256),
    ("a10-server", "A10G", 4, 64, 256), ("cpu-node", None, 0, 64, 256),
)
ONPREM_DISCOUNT = (0.30, 0.55)  # amortised cost relative to the cloud list level

EDGE_HARDWARE = (
    ("orin", "Jetson-AGX-Orin", 1, 12, 64, 0.06),
    ("l4-box", "L4", 1, 16, 64, 0.32),
    ("cpu-box", None, 0, 8, 32, 0.08),
)

# (name, lat, lon, jurisdiction)
CITIES = (
    ("new-york", 40.71, -74.01, "US"), ("virginia", 38.9, -77.0, "US"),
    ("chicago", 41.88, -87.63, "US"), ("dallas", 32.78, -96.8, "US"),
    ("san-francisco", 37.77, -122.42, "US"), ("seattle", 47.61, -122.33, "US"),
    ("los-angeles", 34.05, -118.24, "US"), ("atlanta", 33.75, -84.39, "US"),
    ("toronto", 43.65, -79.38, "CA"), ("mexico-city", 19.43, -99.13, "MX"),
    ("sao-paulo", -23.55, -46.63, "BR"), ("buenos-aires", -34.6, -58.38, "AR"),
    ("london", 51.51, -0.13, "GB"), ("dublin", 53.35, -6.26, "IE"),
    ("paris", 48.86, 2.35, "FR"), ("munich", 48.14, 11.58, "DE"),
    ("berlin", 52.52, 13.4, "DE"), ("amsterdam", 52.37, 4.9, "NL"),
    ("madrid", 40.42, -3.7, "ES"), ("milan", 45.46, 9.19, "IT"),
    ("stockholm", 59.33, 18.07, "SE"), ("warsaw", 52.23, 21.01, "PL"),
    ("vienna", 48.21, 16.37, "AT"), ("zurich", 47.37, 8.54, "CH"),
    ("tel-aviv", 32.09, 34.78, "IL"), ("dubai", 25.2, 55.27, "AE"),
    ("johannesburg", -26.2, 28.05, "ZA"), ("lagos", 6.52, 3.38, "NG"),
    ("mumbai", 19.08, 72.88, "IN"), ("bangalore", 12.97, 77.59, "IN"),
    ("singapore", 1.35, 103.82, "SG"), ("jakarta", -6.2, 106.85, "ID"),
    ("hong-kong", 22.32, 114.17, "HK"), ("taipei", 25.03, 121.57, "TW"),
    ("tokyo", 35.68, 139.69, "JP"), ("osaka", 34.69, 135.5, "JP"),
    ("seoul", 37.57, 126.98, "KR"), ("sydney", -33.87, 151.21, "AU"),
    ("melbourne", -37.81, 144.96, "AU"), ("auckland", -36.85, 174.76, "NZ"),
)

TEAMS = ("vision", "search", "ads", "speech", "recsys", "nlp", "fraud", "robotics",
         "maps", "health")

# Inference: (rps per accelerator, service latency ms) for a reference-size model.
SERVE = {"T4": (20.0, 45.0), "L4": (40.0, 30.0), "A10G": (50.0, 28.0),
         "L40S": (90.0, 20.0), "V100": (45.0, 30.0), "A100": (120.0, 15.0),
         "H100": (250.0, 9.0), "Jetson-AGX-Orin": (6.0, 40.0), CPU: (0.6, 110.0)}
# Training: speed relative to an A100.
TRAIN_SPEED = {"T4": 0.15, "L4": 0.25, "A10G": 0.3, "L40S": 0.6, "V100": 0.45,
               "A100": 1.0, "H100": 2.2}
DATACENTER_GPUS = ("T4", "L4", "A10G", "L40S", "V100", "A100", "H100")


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


class _Generator:
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

    # --------------------------------------------------------------------- places

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

    # ------------------------------------------------------------------ workloads

    def _admits(self, filters: Filters, datasets: tuple[str, ...], site_ix: int) -> bool:
        site = self.sites[site_ix]
        if filters.tiers is not None and site.tier not in filters.tiers:
            return False
        if filters.providers is not None and site.provider not in filters.providers:
            return False
        if not jurisdiction_matches(site.jurisdiction, filters.jurisdictions):
            return False
        return all(jurisdiction_matches(site.jurisdiction, self.dataset_index[d].jurisdictions)
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
        if isinstance(w, InferenceWorkload):
            return InferenceWorkload(
                name=w.name, accelerators=w.accelerators, demand_rps=w.demand_rps,
                latency_slo_ms=w.latency_slo_ms, max_utilization=w.max_utilization,
                min_instances=w.min_instances, min_sites=w.min_sites, payload_kb=w.payload_kb,
                team=w.team, datasets=w.datasets, budget_usd=limit, filters=w.filters,
            )
        return TrainingWorkload(
            name=w.name, accelerators=w.accelerators, work_hours=w.work_hours,
            min_accelerators=w.min_accelerators, max_nodes=w.max_nodes,
            multi_node_efficiency=w.multi_node_efficiency, deadline_hours=w.deadline_hours,
            spot=w.spot, spot_overhead=w.spot_overhead, team=w.team, datasets=w.datasets,
            budget_usd=limit, filters=w.filters,
        )

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
