"""Pydantic schema of the scenario file (SPEC section 1). Used at the edge only.

Every model forbids unknown keys so that a typo is an error, never silently ignored.
Durations (``horizon_hours``, ``work_hours``, ``deadline_hours``) accept numbers of hours
or strings such as ``90s``, ``15m``, ``2h``, ``7d``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .units import MAX_HORIZON_HOURS, MIN_HORIZON_HOURS, parse_duration_hours


def _not_a_boolean(value: object) -> object:
    """YAML 1.1 reads unquoted NO (Norway), OFF, YES, ON as booleans: say so."""
    if isinstance(value, bool):
        words = "NO (Norway), OFF or FALSE" if value is False else "YES, ON or TRUE"
        raise ValueError(f"got the boolean {str(value).lower()}: YAML reads an unquoted {words} as a "
                         "boolean; quote the code, e.g. 'NO'")
    return value

# json_schema_input_type: editors checking a file against the JSON Schema must accept "7d".
Hours = Annotated[float, BeforeValidator(parse_duration_hours, json_schema_input_type=float | str),
                  Field(gt=0)]
NonNegHours = Annotated[float, BeforeValidator(parse_duration_hours,
                                               json_schema_input_type=float | str), Field(ge=0)]


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
    if value == "month":
        return "month"
    hours = parse_duration_hours(value)
    if not hours > 0:  # (a period of 0 h would never end)
        raise ValueError(f"a period must be longer than 0 h (got {value!r}); give e.g. 7d or month")
    return hours


HoursOrDate = Annotated[float | datetime, BeforeValidator(_hours_or_date,
                                                          json_schema_input_type=float | str)]
Date = Annotated[datetime, BeforeValidator(_date, json_schema_input_type=str)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Name = Annotated[str, Field(min_length=1)]
Jurisdiction = Annotated[str, BeforeValidator(_not_a_boolean), Field(min_length=2, max_length=2)]
JurisdictionName = Annotated[str, BeforeValidator(_not_a_boolean), Field(min_length=1)]
TierName = Literal["cloud", "onprem", "edge"]


def doc(meaning: str, unit: str | None = None, **field: Any) -> Any:
    """A field's one-line meaning and unit, as the generated reference shows them
    (docs/reference/, written by tools/gen_reference.py); ``field`` is the rest of Field()."""
    extra: dict[str, Any] = {"unit": unit} if unit else {}
    return Field(description=meaning, json_schema_extra=extra or None, **field)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class LocationIn(Strict):
    lat: Annotated[float, Field(ge=-90, le=90)] = doc("latitude", "degrees")
    lon: Annotated[float, Field(ge=-180, le=180)] = doc("longitude", "degrees")


class AmortizedIn(Strict):
    """Owned hardware priced per hour (onprem/edge); formula in providers/onprem.py."""

    purchase_usd: NonNegFloat = doc("price of one unit, installed", "USD")
    lifetime_years: PositiveFloat = doc(
        "years the purchase is spread over; every hour counts, busy or idle", "years")
    power_kw: NonNegFloat = doc("average power draw of one unit", "kW", default=0.0)
    electricity_usd_per_kwh: NonNegFloat = doc("electricity price", "USD/kWh", default=0.0)
    pue: Annotated[float, Field(ge=1)] = doc(
        "facility overhead on power (power usage effectiveness)", default=1.0)
    ops_usd_per_year: NonNegFloat = doc(
        "support, staff share and rack space of one unit", "USD/year", default=0.0)


class BuyIn(Strict):
    """The plan may buy up to ``max`` more owned instances, arriving after the lead time."""

    max: Annotated[int, Field(ge=1, le=100_000)] = doc("instances the plan may buy at most",
                                                       "instances")
    lead_time_hours: NonNegHours = doc(
        "from hour 0 to delivery; bought units arrive with the first period that starts after it",
        "hours", default=0.0)


class OfferingIn(Strict):
    name: Name = doc("instance type, unique within its site")
    accelerator: Name | None = doc(
        "accelerator model (e.g. L4, A100, Jetson-AGX-Orin); omit for a CPU-only size", default=None)
    accelerator_count: Annotated[int, Field(ge=0)] | None = doc(
        "accelerators per instance (0 for a CPU-only size)", default=None)
    vcpus: NonNegFloat = doc(
        "vCPUs per instance; CPU-only sizes count these instead of accelerators", default=0.0)
    memory_gib: NonNegFloat = doc("memory per instance (informative)", "GiB", default=0.0)
    usd_per_hour: NonNegFloat | None = doc(
        "on-demand price of one instance; on owned hardware given fixed_usd_per_hour, what an hour "
        "used adds (power, default 0); required otherwise unless `amortized` is given", "USD/hour",
        default=None)
    amortized: AmortizedIn | None = doc(
        "owned hardware (onprem/edge): fixed cost from purchase and operations, power per hour used",
        default=None)
    fixed_usd_per_hour: NonNegFloat | None = doc(
        "owned hardware: cost of one owned instance per hour, used or not (instead of amortized)",
        "USD/hour", default=None)
    spot_usd_per_hour: NonNegFloat | None = doc(
        "spot price of one instance; omit when there is no spot market", "USD/hour", default=None)
    available: Annotated[int, Field(ge=0)] | None = doc(
        "instances that can run at once (quota or boxes owned); omit = unlimited", "instances", default=None)
    buy: BuyIn | None = doc("owned hardware: how many more the plan may buy", default=None)


class SiteIn(Strict):
    name: Name = doc("unique site name, by convention <provider-or-tier>/<place>")
    tier: TierName = doc("kind of site")
    provider: Name | None = doc(
        "cloud provider (aws, gcp, azure, ...); optional on onprem and edge sites", default=None)
    region: Name | None = doc("provider region (informative)", default=None)
    location: LocationIn | None = doc(
        "where the site is, for latency estimates; needed unless every latency to it is measured",
        default=None)
    jurisdiction: Jurisdiction | None = doc(
        "ISO 3166-1 alpha-2 country code, matched by jurisdiction lists", default=None)
    egress_usd_per_gb: NonNegFloat = doc(
        "price of data leaving the site (responses, dataset moves)", "USD/GB", default=0.0)
    bandwidth_gbps: PositiveFloat = doc("bandwidth for moving datasets in or out", "Gbit/s", default=10.0)
    offerings: list[OfferingIn] = doc("instance types sold or owned at the site", default_factory=list)


class LatencyIn(Strict):
    client: Name = doc("client name")
    site: Name = doc("site name")
    ms: NonNegFloat = doc("measured round trip; replaces the distance estimate", "ms")


class NetworkIn(Strict):
    base_ms: NonNegFloat = doc("fixed part of the estimated round trip", "ms", default=5.0)
    ms_per_km: NonNegFloat = doc(
        "round trip per great-circle km (0.02: light in fibre, there and back)", "ms/km", default=0.02)
    latency_ms: list[LatencyIn] = doc("measured round trips per (client, site)", default_factory=list)


class CatalogIn(Strict):
    source: Literal["bundled", "skypilot", "file", "none"] = doc(
        "where cloud sites come from: the bundled snapshot, a SkyPilot folder, a catalog CSV, or none",
        default="none")
    path: str | None = doc("the SkyPilot folder or catalog CSV; relative to the scenario file", default=None)
    providers: list[Name] | None = doc("keep only these providers", default=None)
    regions: list[Name] | None = doc("keep only these regions", default=None)
    accelerators: list[Name] | None = doc(
        "keep only these accelerators; default: those the workloads can use", default=None)


class ClientIn(Strict):
    name: Name = doc("unique client name")
    location: LocationIn | None = doc(
        "where requests come from; needed unless every latency from it is measured", default=None)
    jurisdiction: Jurisdiction | None = doc("ISO 3166-1 alpha-2 country code (informative)", default=None)


class DatasetIn(Strict):
    name: Name = doc("unique dataset name")
    size_gb: NonNegFloat = doc("size, moved to the site a training job runs at", "GB")
    site: Name = doc("site that holds it now")
    jurisdictions: list[JurisdictionName] | None = doc(
        "where it may be processed (country codes, EU); omit = anywhere", default=None)


class ServiceIn(Strict):
    rps: PositiveFloat = doc("requests per second one accelerator (one vCPU for `cpu`) sustains", "rps")
    latency_ms: NonNegFloat = doc("service time of one request, added to the round trip", "ms")


class WorkloadBase(Strict):
    name: Name = doc("unique workload name")
    team: Name | None = doc("team, for budgets and cost reports", default=None)
    datasets: list[Name] = doc(
        "datasets it reads; their jurisdictions restrict where it runs", default_factory=list)
    budget_usd: NonNegFloat | None = doc("cap on this workload's cost over the horizon", "USD", default=None)
    tiers: list[TierName] | None = doc("run only on these tiers", default=None)
    providers: list[Name] | None = doc("run only with these providers", default=None)
    sites: list[Name] | None = doc("run only at these sites", default=None)
    jurisdictions: list[JurisdictionName] | None = doc(
        "run only at sites in these countries (codes; EU = every member state)", default=None)


class TrainingIn(WorkloadBase):
    kind: Literal["training"] = doc("a job that runs once within the horizon")
    accelerators: Annotated[dict[Name, PositiveFloat], Field(min_length=1)] = doc(
        "accelerators it can use and their relative speeds (1.0: the unit of work_hours; cpu: per vCPU)",
        "relative speed")
    work_hours: Hours = doc(
        "work to do, in hours of one accelerator of speed 1.0", "reference-accelerator-hours")
    min_accelerators: Annotated[int, Field(ge=1)] = doc(
        "accelerators each node needs at least (a model that needs 8 GPUs says 8)", default=1)
    max_nodes: Annotated[int, Field(ge=1, le=1024)] = doc(
        "most instances of one offering the job may run on at once", default=1)
    multi_node_efficiency: Annotated[float, Field(gt=0, le=1)] = doc(
        "speed factor when running on more than one node", default=0.9)
    deadline_hours: HoursOrDate | None = doc(
        "finish (dataset moves included) by this hour from hour 0, or this date when start is set",
        "hours", default=None)
    release_hours: HoursOrDate | None = doc(
        "start no earlier than this hour from hour 0, or this date when start is set", "hours",
        default=None)
    spot: bool = doc("may run on spot instances", default=False)
    spot_overhead: NonNegFloat = doc(
        "extra compute time lost to preemptions on spot (0.1 = 10 %)", "fraction", default=0.1)


class InferenceIn(WorkloadBase):
    kind: Literal["inference"] = doc("a service that runs the whole horizon")
    accelerators: Annotated[dict[Name, ServiceIn], Field(min_length=1)] = doc(
        "accelerators it can use, each with the rps one sustains and its service latency (cpu = per vCPU)")
    demand_rps: dict[Name, NonNegFloat | Annotated[list[NonNegFloat], Field(min_length=1)]] | None = doc(
        "request rate of each client, one number or one per period; required ({} for a workload "
        "without demand)", "rps", default=None)
    latency_slo_ms: PositiveFloat = doc("round trip + service latency every request must stay within", "ms")
    max_utilization: Annotated[float, Field(gt=0, le=1)] = doc(
        "share of an instance's rps planned for (headroom)", "fraction", default=0.8)
    min_instances: Annotated[int, Field(ge=0)] | None = doc(
        "instances at least; default 1 with demand, else 0", "instances", default=None)
    min_sites: Annotated[int, Field(ge=1)] = doc(
        "distinct sites with an instance, at least", "sites", default=1)
    payload_kb: NonNegFloat = doc(
        "response size, billed at the serving site's egress price", "KB", default=0.0)


class BudgetIn(Strict):
    name: Name = doc("unique budget name")
    limit_usd: NonNegFloat = doc("cap on the cost of what matches every filter, over the horizon", "USD")
    team: Name | None = doc("count only this team's workloads", default=None)
    tier: TierName | None = doc("count only placements on this tier", default=None)
    provider: Name | None = doc("count only placements with this provider", default=None)
    kind: Literal["training", "inference"] | None = doc("count only training or only inference", default=None)
    per_period: bool = doc("cap each period's cost instead of the horizon's", default=False)


WorkloadIn = Annotated[TrainingIn | InferenceIn, Field(discriminator="kind")]


class ScenarioIn(Strict):
    name: Name = doc("scenario name, shown in reports")
    horizon_hours: Annotated[Hours, Field(ge=MIN_HORIZON_HOURS, le=MAX_HORIZON_HOURS)] = doc(
        "costs are summed over this horizon (730 h = a month)", "hours", default=730.0)
    objective: Literal["cost", "latency"] = doc(
        "minimise cost (ties: latency) or latency (ties: cost)", default="cost")
    start: Date | None = doc("the date of hour 0 (ISO 8601, UTC); reports then show dates",
                             default=None)
    periods: Annotated[float | Literal["month"], BeforeValidator(
        _periods, json_schema_input_type=float | str)] | None = doc(
        "equal periods of this duration (the last may be shorter), or month (calendar months, "
        "needs start); default one period", "hours", default=None)
    owned_cost: Literal["sunk", "amortised"] = doc(
        "owned hardware: sunk (paid for; an hour used costs power) or amortised (version 1: an "
        "hour used costs fixed + power)", default="sunk")
    catalog: CatalogIn | None = doc("cloud sites from a price catalog", default=None)
    network: NetworkIn = doc(
        "how client-to-site round trips are estimated or measured", default_factory=NetworkIn)
    sites: list[SiteIn] = doc(
        "cloud regions, on-prem data centres and edge boxes; replace catalog sites of the same name",
        default_factory=list)
    clients: list[ClientIn] = doc("where inference requests come from", default_factory=list)
    datasets: list[DatasetIn] = doc("data the training jobs read", default_factory=list)
    workloads: list[WorkloadIn] = doc("training jobs and inference services", default_factory=list)
    budgets: list[BudgetIn] = doc("caps on the cost of what matches their filters", default_factory=list)


WORKLOAD_KINDS = ("training", "inference")
