"""Frozen domain types: what a scenario says and what a plan answers.

Units: money USD, time hours, latency milliseconds (round trip), data GB (10^9 bytes),
throughput requests per second. Every type here is immutable; the planner never writes
onto its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .units import great_circle_km, jurisdiction_matches

__all__ = [
    "CPU",
    "Binding",
    "Budget",
    "BudgetUse",
    "Client",
    "Dataset",
    "Filters",
    "InferenceWorkload",
    "LatencyStat",
    "Location",
    "Network",
    "Objective",
    "Offering",
    "OwnedCost",
    "OwnedUse",
    "Period",
    "PeriodCost",
    "Placement",
    "Plan",
    "PlanStatus",
    "Scenario",
    "ServiceProfile",
    "Site",
    "SolverInfo",
    "Tier",
    "TrainingWorkload",
    "Workload",
]

Tier = Literal["cloud", "onprem", "edge"]
Objective = Literal["cost", "latency"]
PlanStatus = Literal["optimal", "time_limit", "infeasible"]
OwnedCost = Literal["sunk", "amortised"]

#: Key of a workload's ``accelerators`` map that stands for CPU-only offerings (per vCPU).
CPU = "cpu"


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Offering:
    """An instance type a site can run, priced per instance-hour.

    ``available`` is how many instances may run at once (None = unlimited).
    """

    name: str
    usd_per_hour: float
    accelerator: str | None = None
    accelerator_count: float = 0  # a fraction for a shared GPU (catalog rows)
    vcpus: float = 0.0
    memory_gib: float = 0.0
    spot_usd_per_hour: float | None = None
    available: int | None = None
    price_source: str | None = None  # catalog rows: where the price came from
    price_as_of: str | None = None  # catalog rows: ISO date of the price
    # Owned hardware (SPEC 5.3): paid per owned instance whether it runs or not. Then
    # ``usd_per_hour`` is what one instance-hour used adds: power under ``sunk``, power
    # plus fixed under ``amortised`` (the scenario builder sets it).
    fixed_usd_per_hour: float | None = None
    buy_max: int = 0  # instances the plan may buy (SPEC 5.2)
    buy_lead_hours: float = 0.0

    @property
    def owned(self) -> bool:
        return self.fixed_usd_per_hour is not None

    @property
    def units(self) -> float:
        """Accelerators per instance, or vCPUs for a CPU-only offering."""
        return float(self.accelerator_count) if self.accelerator else float(self.vcpus)

    @property
    def speed_key(self) -> str:
        """The key a workload's ``accelerators`` map must hold for this offering."""
        return self.accelerator if self.accelerator else CPU


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    tier: Tier
    offerings: tuple[Offering, ...] = ()
    provider: str | None = None
    region: str | None = None
    location: Location | None = None
    jurisdiction: str | None = None
    egress_usd_per_gb: float = 0.0
    bandwidth_gbps: float = 10.0


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    location: Location | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    size_gb: float
    site: str
    jurisdictions: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Filters:
    """Where a workload may run; None means no restriction."""

    tiers: tuple[str, ...] | None = None
    providers: tuple[str, ...] | None = None
    sites: tuple[str, ...] | None = None
    jurisdictions: tuple[str, ...] | None = None

    def admit(self, site: Site) -> bool:
        """True when the site passes every filter (``EU`` admits EU member states)."""
        return (
            (self.tiers is None or site.tier in self.tiers)
            and (self.providers is None or site.provider in self.providers)
            and (self.sites is None or site.name in self.sites)
            and jurisdiction_matches(site.jurisdiction, self.jurisdictions)
        )


@dataclass(frozen=True, slots=True)
class ServiceProfile:
    """Sustained throughput and service latency of one accelerator (or one vCPU)."""

    rps: float
    latency_ms: float


@dataclass(frozen=True, slots=True)
class InferenceWorkload:
    name: str
    accelerators: Mapping[str, ServiceProfile]
    demand_rps: Mapping[str, float]  # per client; the peak over periods when they differ
    latency_slo_ms: float
    max_utilization: float = 0.8
    min_instances: int = 1
    min_sites: int = 1
    payload_kb: float = 0.0
    team: str | None = None
    datasets: tuple[str, ...] = ()
    budget_usd: float | None = None
    filters: Filters = field(default_factory=Filters)
    kind: Literal["inference"] = "inference"
    # client -> one rps per period, for the clients whose demand changes over time
    demand_by_period: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def total_demand(self) -> float:
        return float(sum(self.demand_rps.values()))

    def demand_in(self, client: str, period: int) -> float:
        """Client's rps in period ``period`` (index from 0)."""
        series = self.demand_by_period.get(client)
        return series[period] if series is not None else self.demand_rps.get(client, 0.0)

    def period_demand(self, period: int) -> float:
        return float(sum(self.demand_in(c, period) for c in self.demand_rps))


@dataclass(frozen=True, slots=True)
class TrainingWorkload:
    name: str
    accelerators: Mapping[str, float]
    work_hours: float
    min_accelerators: int = 1
    max_nodes: int = 1
    multi_node_efficiency: float = 0.9
    deadline_hours: float | None = None
    release_hours: float = 0.0  # earliest start, hours from hour 0 (SPEC 5.2)
    spot: bool = False
    spot_overhead: float = 0.1
    team: str | None = None
    datasets: tuple[str, ...] = ()
    budget_usd: float | None = None
    filters: Filters = field(default_factory=Filters)
    kind: Literal["training"] = "training"


Workload = InferenceWorkload | TrainingWorkload


@dataclass(frozen=True, slots=True)
class Budget:
    """Caps the cost of the placements that match every filter given."""

    name: str
    limit_usd: float
    team: str | None = None
    tier: str | None = None
    provider: str | None = None
    kind: str | None = None
    per_period: bool = False  # caps each period's cost instead of the horizon's


@dataclass(frozen=True, slots=True)
class Period:
    """Hours [start_hour, start_hour + hours) of the horizon (SPEC 5.2)."""

    start_hour: float
    hours: float

    @property
    def end_hour(self) -> float:
        return self.start_hour + self.hours


@dataclass(frozen=True, slots=True)
class Network:
    """Round-trip latency estimate: ``base_ms + ms_per_km * great-circle km``.

    ``measured`` maps (client, site) to a measured round trip that overrides the estimate.
    """

    base_ms: float = 5.0
    ms_per_km: float = 0.02
    measured: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def rtt_ms(self, client: Client, site: Site) -> float:
        """Round trip client -> site: the measured value, else the distance estimate.

        Infinite when neither is known (validation makes sure one of them is).
        """
        measured = self.measured.get((client.name, site.name))
        if measured is not None:
            return measured
        if client.location is None or site.location is None:
            return math.inf
        a, b = client.location, site.location
        return self.base_ms + self.ms_per_km * great_circle_km(a.lat, a.lon, b.lat, b.lon)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    sites: tuple[Site, ...]
    workloads: tuple[Workload, ...]
    clients: tuple[Client, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    budgets: tuple[Budget, ...] = ()
    network: Network = field(default_factory=Network)
    horizon_hours: float = 730.0
    objective: Objective = "cost"
    source: str = "<memory>"
    start: datetime | None = None  # the date of hour 0 (UTC), when given
    periods: tuple[Period, ...] = ()  # () = one period, the whole horizon
    owned_cost: OwnedCost = "sunk"

    @property
    def timeline(self) -> tuple[Period, ...]:
        """The periods, at least one (the whole horizon)."""
        return self.periods or (Period(0.0, self.horizon_hours),)

    def site(self, name: str) -> Site:
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(name)


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True, slots=True)
class Placement:
    """One offering used by one workload. Training placements carry their hours."""

    workload: str
    kind: Literal["inference", "training"]
    site: str
    tier: str
    provider: str | None
    offering: str
    accelerator: str | None
    instances: int
    purchase: Literal["on-demand", "spot"]
    usd_per_hour: float
    cost_usd: float
    compute_usd: float
    transfer_usd: float
    team: str | None = None
    traffic_rps: Mapping[str, float] = field(default_factory=dict)
    compute_hours: float | None = None
    transfer_hours: float | None = None
    # One entry per period (SPEC 5.5): inference instances and traffic, training
    # instance-hours. Empty on a placement built without periods (read as one period).
    instances_by_period: tuple[int, ...] = ()
    traffic_by_period: tuple[Mapping[str, float], ...] = ()
    hours_by_period: tuple[float, ...] = ()
    cost_by_period: tuple[float, ...] = ()
    price_source: str | None = None  # the offering's catalog source, if priced from one
    price_as_of: str | None = None


@dataclass(frozen=True, slots=True)
class LatencyStat:
    workload: str
    client: str
    mean_ms: float
    max_ms: float
    slo_ms: float


@dataclass(frozen=True, slots=True)
class BudgetUse:
    name: str
    limit_usd: float
    used_usd: float
    binding: bool
    workload: str | None = None
    per_period: bool = False  # used_usd is then the fullest period's


@dataclass(frozen=True, slots=True)
class Binding:
    """A constraint that limits the plan, with its shadow price when the LP gives one.

    ``shadow_price`` is the change of the objective per unit of the constraint's right-hand
    side (USD per USD of budget, ...), from the LP with the integer decisions fixed at their
    optimal values. A capacity row holds only integer decisions, so its fixed-LP price is
    always 0; ``relax_saving`` says instead what one more instance would save, from a
    re-solve of the MILP. Over periods (``period``: the row's period index, None for a
    horizon-wide row) a capacity row's price is that measured saving per instance-hour
    of the period, since its fixed-LP dual is 0 too (see scheduler.period_explain).
    """

    kind: str
    name: str
    detail: str
    shadow_price: float | None = None
    unit: str = ""
    relax_saving: float | None = None  # objective gained by relaxing the limit by one unit
    period: int | None = None


@dataclass(frozen=True, slots=True)
class SolverInfo:
    name: str
    seconds: float
    gap: float
    build_seconds: float = 0.0  # CPU time of candidates, pre-checks and models
    variables: int = 0
    constraints: int = 0
    components: int = 0


@dataclass(frozen=True, slots=True)
class PeriodCost:
    """One period of a plan: its usage plus its share of the committed cost."""

    index: int
    start_hour: float
    hours: float
    cost_usd: float
    start: datetime | None = None
    by_tier: Mapping[str, float] = field(default_factory=dict)
    by_team: Mapping[str, float] = field(default_factory=dict)
    committed_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class OwnedUse:
    """One owned offering over the plan: what is paid for, used and idle (SPEC 5.3)."""

    site: str
    offering: str
    available: int
    bought: int
    fixed_usd_per_hour: float
    used_instance_hours: float
    idle_instance_hours: float
    committed_usd: float
    idle_usd: float
    utilisation: float
    usd_per_hour: float = 0.0  # per instance-hour used (power under sunk)
    arrival_hour: float | None = None  # when bought units arrive
    used_by_period: tuple[float, ...] = ()
    capacity_by_period: tuple[float, ...] = ()
    saving_usd: float | None = None  # what the bought units save against renting
    required: bool = False  # without the bought units no plan meets every rule
    tier: str = "onprem"
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    scenario: str
    status: PlanStatus
    objective: Objective
    horizon_hours: float
    placements: tuple[Placement, ...]
    latency: tuple[LatencyStat, ...]
    budgets: tuple[BudgetUse, ...]
    binding: tuple[Binding, ...]
    diagnosis: tuple[str, ...]
    solver: SolverInfo
    periods: tuple[PeriodCost, ...] = ()
    owned: tuple[OwnedUse, ...] = ()
    committed_usd: float = 0.0  # owned hardware paid for whatever runs (sunk only)
    idle_usd: float = 0.0
    start: datetime | None = None

    @property
    def usage_usd(self) -> float:
        return sum(p.cost_usd for p in self.placements)

    @property
    def total_cost_usd(self) -> float:
        return self.usage_usd + self.committed_usd
