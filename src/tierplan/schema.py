"""Pydantic schema of the scenario file (SPEC section 1). Used at the edge only.

Every model forbids unknown keys so that a typo is an error, never silently ignored.
Durations (``horizon_hours``, ``work_hours``, ``deadline_hours``) accept numbers of hours
or strings such as ``90s``, ``15m``, ``2h``, ``7d``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .units import MAX_HORIZON_HOURS, MIN_HORIZON_HOURS, parse_duration_hours


def _not_a_boolean(value: object) -> object:
    """YAML 1.1 reads unquoted NO (Norway), OFF, YES, ON as booleans: say so."""
    if isinstance(value, bool):
        words = "NO (Norway), OFF or FALSE" if value is False else "YES, ON or TRUE"
        raise ValueError(f"got the boolean {str(value).lower()}: YAML reads an unquoted {words} as a "
                         "boolean; quote the code, e.g. 'NO'")
    return value

Hours = Annotated[float, BeforeValidator(parse_duration_hours), Field(gt=0)]
NonNegHours = Annotated[float, BeforeValidator(parse_duration_hours), Field(ge=0)]


def _hours_or_date(value: object) -> float | datetime:
    """A number of hours / a duration, or an ISO date (turned into hours by the builder,
    which knows ``start``)."""
    if isinstance(value, datetime | date):
        return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date (e.g. 2027-01-15)") from None
    return parse_duration_hours(value)


def _date(value: object) -> datetime:
    if isinstance(value, datetime | date | str):
        got = _hours_or_date(value)
        if isinstance(got, datetime):
            return got
    raise ValueError(f"{value!r} is not an ISO 8601 date (e.g. 2027-01-01)")


def _periods(value: object) -> float | str:
    return "month" if value == "month" else parse_duration_hours(value)


HoursOrDate = Annotated[float | datetime, BeforeValidator(_hours_or_date)]
Date = Annotated[datetime, BeforeValidator(_date)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Name = Annotated[str, Field(min_length=1)]
Jurisdiction = Annotated[str, BeforeValidator(_not_a_boolean), Field(min_length=2, max_length=2)]
JurisdictionName = Annotated[str, BeforeValidator(_not_a_boolean), Field(min_length=1)]
TierName = Literal["cloud", "onprem", "edge"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class LocationIn(Strict):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class AmortizedIn(Strict):
    """Owned hardware priced per hour (onprem/edge); formula in providers/onprem.py."""

    purchase_usd: NonNegFloat
    lifetime_years: PositiveFloat
    power_kw: NonNegFloat = 0.0
    electricity_usd_per_kwh: NonNegFloat = 0.0
    pue: Annotated[float, Field(ge=1)] = 1.0
    ops_usd_per_year: NonNegFloat = 0.0


class BuyIn(Strict):
    """The plan may buy up to ``max`` more owned instances, arriving after the lead time."""

    max: Annotated[int, Field(ge=1, le=100_000)]
    lead_time_hours: NonNegHours = 0.0


class OfferingIn(Strict):
    name: Name
    accelerator: Name | None = None
    accelerator_count: Annotated[int, Field(ge=0)] | None = None
    vcpus: NonNegFloat = 0.0
    memory_gib: NonNegFloat = 0.0
    usd_per_hour: NonNegFloat | None = None  # required unless the offering is owned
    amortized: AmortizedIn | None = None
    fixed_usd_per_hour: NonNegFloat | None = None  # owned: per instance, used or not
    spot_usd_per_hour: NonNegFloat | None = None
    available: Annotated[int, Field(ge=0)] | None = None
    buy: BuyIn | None = None


class SiteIn(Strict):
    name: Name
    tier: TierName
    provider: Name | None = None
    region: Name | None = None
    location: LocationIn | None = None
    jurisdiction: Jurisdiction | None = None
    egress_usd_per_gb: NonNegFloat = 0.0
    bandwidth_gbps: PositiveFloat = 10.0
    offerings: list[OfferingIn] = Field(default_factory=list)


class LatencyIn(Strict):
    client: Name
    site: Name
    ms: NonNegFloat


class NetworkIn(Strict):
    base_ms: NonNegFloat = 5.0
    ms_per_km: NonNegFloat = 0.02
    latency_ms: list[LatencyIn] = Field(default_factory=list)


class CatalogIn(Strict):
    source: Literal["bundled", "skypilot", "file", "none"] = "none"
    path: str | None = None
    providers: list[Name] | None = None
    regions: list[Name] | None = None
    accelerators: list[Name] | None = None


class ClientIn(Strict):
    name: Name
    location: LocationIn | None = None
    jurisdiction: Jurisdiction | None = None


class DatasetIn(Strict):
    name: Name
    size_gb: NonNegFloat
    site: Name
    jurisdictions: list[JurisdictionName] | None = None


class ServiceIn(Strict):
    rps: PositiveFloat
    latency_ms: NonNegFloat


class WorkloadBase(Strict):
    name: Name
    team: Name | None = None
    datasets: list[Name] = Field(default_factory=list)
    budget_usd: NonNegFloat | None = None
    tiers: list[TierName] | None = None
    providers: list[Name] | None = None
    sites: list[Name] | None = None
    jurisdictions: list[JurisdictionName] | None = None


class TrainingIn(WorkloadBase):
    kind: Literal["training"]
    accelerators: Annotated[dict[Name, PositiveFloat], Field(min_length=1)]
    work_hours: Hours
    min_accelerators: Annotated[int, Field(ge=1)] = 1
    max_nodes: Annotated[int, Field(ge=1, le=1024)] = 1
    multi_node_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.9
    deadline_hours: HoursOrDate | None = None  # a date needs `start`
    release_hours: HoursOrDate | None = None
    spot: bool = False
    spot_overhead: NonNegFloat = 0.1


class InferenceIn(WorkloadBase):
    kind: Literal["inference"]
    accelerators: Annotated[dict[Name, ServiceIn], Field(min_length=1)]
    # per client: rps in every period, or one rps per period; required by scenario.py, {} allowed
    demand_rps: dict[Name, NonNegFloat | Annotated[list[NonNegFloat], Field(min_length=1)]] | None = None
    latency_slo_ms: PositiveFloat
    max_utilization: Annotated[float, Field(gt=0, le=1)] = 0.8
    min_instances: Annotated[int, Field(ge=0)] | None = None
    min_sites: Annotated[int, Field(ge=1)] = 1
    payload_kb: NonNegFloat = 0.0


class BudgetIn(Strict):
    name: Name
    limit_usd: NonNegFloat
    team: Name | None = None
    tier: TierName | None = None
    provider: Name | None = None
    kind: Literal["training", "inference"] | None = None
    per_period: bool = False


WorkloadIn = Annotated[TrainingIn | InferenceIn, Field(discriminator="kind")]


class ScenarioIn(Strict):
    name: Name
    horizon_hours: Annotated[Hours, Field(ge=MIN_HORIZON_HOURS, le=MAX_HORIZON_HOURS)] = 730.0
    objective: Literal["cost", "latency"] = "cost"
    start: Date | None = None
    periods: Annotated[float | Literal["month"], BeforeValidator(_periods)] | None = None
    owned_cost: Literal["sunk", "amortised"] = "sunk"
    catalog: CatalogIn | None = None
    network: NetworkIn = Field(default_factory=NetworkIn)
    sites: list[SiteIn] = Field(default_factory=list)
    clients: list[ClientIn] = Field(default_factory=list)
    datasets: list[DatasetIn] = Field(default_factory=list)
    workloads: list[WorkloadIn] = Field(default_factory=list)
    budgets: list[BudgetIn] = Field(default_factory=list)


WORKLOAD_KINDS = ("training", "inference")
