"""Pydantic schema of the simulation file. Used at the edge only (see :mod:`.spec`).

Every model forbids unknown keys. Durations accept seconds-style strings (``90s``,
``15m``, ``2h``, ``7d``) or numbers of hours, as in scenario files.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ..schema import Hours, Name, NonNegFloat, PositiveFloat, Strict, doc
from ..units import parse_duration_hours

HoursOrZero = Annotated[float, BeforeValidator(parse_duration_hours, json_schema_input_type=float | str),
                        Field(ge=0)]


# ------------------------------------------------------------------------------ demand


class TraceIn(Strict):
    """Per-request rows (``format: requests``: one timestamp per row) or a rate series
    (``format: rates``: a time column and an rps column, ``value_column``)."""

    path: Name = doc("trace file (CSV, JSON Lines or Parquet), relative to the simulation file "
                     "(`--trace` replaces it)")
    format: Literal["requests", "rates"] = doc(
        "requests: one row per request; rates: a time column and an rps column", default="requests")
    reader: Literal["auto", "csv", "jsonl", "parquet"] = doc(
        "how to read the file; auto: by its name's ending (.jsonl/.ndjson, .parquet/.pq, else CSV)",
        default="auto")
    time_column: Name = doc("column of ISO timestamps or numbers (see time_unit)", default="TIMESTAMP")
    time_unit: Literal["s", "ms", "us"] = doc("unit of numeric times", default="s")
    value_column: Name | None = doc("column of rps (format: rates); replaces rate_column", default=None)
    rate_column: Name = doc("column of rps (format: rates), held until the next row", default="rps")
    aggregate: Literal["sum", "mean"] = doc(
        "how rates of rows sharing a time combine (one row per container: sum)", default="sum")
    filter: dict[Name, str | int | float | bool] = doc(
        "keep only rows whose columns hold these values (numbers compared as numbers)", default_factory=dict)
    scale: PositiveFloat = doc("multiplies the rate", default=1.0)
    loop: bool = doc("repeat the trace when the run is longer", default=True)


class DiurnalIn(Strict):
    kind: Literal["diurnal"] = doc(
        "mean × (1 + amplitude × cos(2π (h − peak_hour) / 24)); the run starts at 00:00")
    mean_rps: NonNegFloat = doc("mean request rate over the day", "rps")
    amplitude: Annotated[float, Field(ge=0, le=1)] = doc(
        "swing around the mean (0.5 = ±50 %)", "fraction", default=0.5)
    peak_hour: Annotated[float, Field(ge=0, lt=24)] = doc("hour of day of the peak", "hour", default=14.0)
    noise: Annotated[float, Field(ge=0, le=1)] = doc(
        "each value × max(0, 1 + noise × N(0, 1))", "fraction", default=0.0)


class LevelIn(Strict):
    at: HoursOrZero = doc("when the level starts, from the start of the run", "hours")
    rps: NonNegFloat = doc("request rate from then on", "rps")


class StepIn(Strict):
    kind: Literal["step"] = doc("base_rps, then each level from its time on")
    base_rps: NonNegFloat = doc("request rate before the first level", "rps")
    levels: list[LevelIn] = doc("changes of the rate over time", default_factory=list)
    noise: Annotated[float, Field(ge=0, le=1)] = doc(
        "each value × max(0, 1 + noise × N(0, 1))", "fraction", default=0.0)


class SpikesIn(Strict):
    kind: Literal["spikes"] = doc("base_rps plus spike_rps during spikes at Poisson arrivals")
    base_rps: NonNegFloat = doc("request rate outside spikes", "rps")
    spike_rps: NonNegFloat = doc("added to the base during a spike", "rps")
    per_day: Annotated[float, Field(gt=0, le=86_400)] = doc("expected spikes per day", "1/day", default=2.0)
    duration: Hours = doc("length of one spike", "hours", default=0.25)
    noise: Annotated[float, Field(ge=0, le=1)] = doc(
        "each value × max(0, 1 + noise × N(0, 1))", "fraction", default=0.0)


PatternIn = Annotated[DiurnalIn | StepIn | SpikesIn, Field(discriminator="kind")]


class DemandIn(Strict):
    workload: Name = doc("an inference workload of the scenario")
    client: Name | None = doc(
        "one client of it; omit to split over its clients by their demand_rps", default=None)
    trace: TraceIn | None = doc("demand read from a CSV", default=None)
    pattern: PatternIn | None = doc("demand made from a formula", default=None)


# ---------------------------------------------------------------------------- training


class JobsIn(Strict):
    workload: Name = doc("a training workload of the scenario")
    at: list[HoursOrZero] = doc("arrival times, from the start of the run", "hours", default_factory=list)
    every: Hours | None = doc("an arrival every this long, from `start`", "hours", default=None)
    start: HoursOrZero = doc("first arrival when `every` is given", "hours", default=0.0)


# ------------------------------------------------------------------------------ events


class OutageIn(Strict):
    kind: Literal["outage"] = doc("a site is down: every instance and job node there is lost")
    site: Name = doc("site that goes down")
    start: HoursOrZero = doc("when it goes down", "hours")
    end: Hours = doc("when it is back", "hours")


class PriceChangeIn(Strict):
    kind: Literal["price_change"] = doc("a price changes from a time on")
    site: Name = doc("site whose prices change")
    offering: Name | None = doc(
        "offering whose price changes; omit = every offering of the site", default=None)
    at: HoursOrZero = doc("when the new price applies", "hours")
    usd_per_hour: NonNegFloat | None = doc("the new price (give this or factor)", "USD/hour", default=None)
    factor: PositiveFloat | None = doc("multiplies the price (give this or usd_per_hour)", default=None)
    spot: bool = doc("change the spot price instead of the on-demand price", default=False)


class PreemptionIn(Strict):
    kind: Literal["preemption"] = doc("the spot nodes of an offering are preempted")
    site: Name = doc("site of the offering")
    offering: Name = doc("offering whose spot nodes are lost")
    at: HoursOrZero = doc("when", "hours")


class SpotSeriesIn(Strict):
    """Spot price history (AWS ``describe-spot-price-history`` columns): the spot price of
    the offering follows the series; spot instances are preempted whenever the price
    rises above ``bid_usd_per_hour``."""

    kind: Literal["spot_series"] = doc(
        "the spot price follows a price history; above the bid, spot nodes are preempted")
    site: Name = doc("site of the offering")
    offering: Name = doc("offering whose spot price follows the series")
    path: Name = doc(
        "CSV of AWS spot price history (Timestamp, Region, AvailabilityZone, InstanceType, SpotPrice)")
    instance_type: Name = doc("rows of this instance type")
    region: Name | None = doc("rows of this region", default=None)
    availability_zone: Name | None = doc(
        "rows of this zone; default: the zone with the most rows", default=None)
    bid_usd_per_hour: PositiveFloat = doc("spot nodes cannot run while the price is above this", "USD/hour")
    scale: PositiveFloat = doc("multiplies the series' prices", default=1.0)


class AvailablePointIn(Strict):
    at: HoursOrZero = doc("from when", "hours")
    available: Annotated[int, Field(ge=0)] = doc("instances that exist from then on", "instances")


class AvailabilityIn(Strict):
    """How many instances of an offering exist over time (machines failing, a quota
    changing, spot capacity): given as ``points`` or as a CSV (``path`` with a time
    column, timestamps or seconds from the first row, and a count column). When it drops
    below what runs, instances are lost: booting ones first, then running inference
    instances, then training nodes (their jobs are preempted)."""

    kind: Literal["availability"] = doc(
        "how many instances of an offering exist over time; the excess is lost at once")
    site: Name = doc("site of the offering")
    offering: Name = doc("offering whose count changes")
    points: list[AvailablePointIn] = doc("counts over time (or give path)", default_factory=list)
    path: Name | None = doc("CSV of counts over time (or give points)", default=None)
    time_column: Name = doc("column of timestamps or seconds from the first row", default="time")
    column: Name = doc("column of counts", default="available")


EventIn = Annotated[OutageIn | PriceChangeIn | PreemptionIn | SpotSeriesIn | AvailabilityIn,
                    Field(discriminator="kind")]


# ---------------------------------------------------------------------------- policies


class OptimalIn(Strict):
    """The planner every ``interval``; with ``scaling: track`` (the default) a fast loop
    sizes within the planned mix every step (:mod:`tierplan.policies.tracking`), with
    ``scaling: plan`` the plan's counts hold until the next plan."""

    kind: Literal["optimal"] = doc("re-plan with tierplan's planner every interval")
    name: Name | None = doc("label in the results; tells two policies of one kind apart", default=None)
    interval: Hours = doc("time between plans", "hours", default=1.0)
    demand: Literal["observed", "forecast"] = doc(
        "plan for the peak of the last interval (observed) or of the next plus the provisioning delay "
        "(forecast: a perfect forecast)", default="observed")
    headroom: PositiveFloat = doc("multiplies the demand planned for", default=1.0)
    churn_usd: NonNegFloat = doc("cost charged per instance started or stopped by a plan", "USD", default=0.0)
    time_limit: PositiveFloat = doc(
        "planner time per call (wall clock: results repeat only when plans finish within it)",
        "seconds",
        default=30.0)
    gap: Annotated[float, Field(ge=0, le=1)] = doc(
        "relative optimality gap of each plan", "fraction", default=1e-4)
    scaling: Literal["track", "plan"] = doc(
        "track: the plan fixes the mix, a loop sizes within it every step; plan: the plan's counts hold "
        "until the next plan", default="track")
    target_utilization: Annotated[float, Field(gt=0, le=1)] = doc(
        "scaling: track; share of an instance's planning capacity the loop sizes for", "fraction",
        default=1.0)
    scale_down_window: HoursOrZero = doc(
        "scaling: track; scale down to the highest recommendation of this window", "hours",
        default=300 / 3600)
    tolerance: Annotated[float, Field(ge=0, lt=1)] = doc(
        "scaling: track; keep the count while the load is within this fraction of it (as HPA)", "fraction",
        default=0.1)
    lead: Literal["none", "trend"] = doc(
        "scaling: track; trend: add the rise of the load over the provisioning delay", default="none")
    deployments: Literal["peak", "plan"] = doc(
        "scaling: track; peak: the loop sizes the deployments of the plan for the run's peak (those hpa "
        "runs) and moves their instances to cheaper keys of each plan's mix; plan: the deployments follow "
        "each plan", default="peak")


class StaticIn(Strict):
    kind: Literal["static"] = doc("one plan for the peak demand of the whole run")
    name: Name | None = doc("label in the results", default=None)
    headroom: PositiveFloat = doc("multiplies the demand planned for", default=1.0)


class GreedyIn(Strict):
    kind: Literal["greedy", "cloud_only", "edge_first"] = doc(
        "cheapest capacity per rps first; cloud_only and edge_first restrict or rank the tiers")
    name: Name | None = doc("label in the results", default=None)
    interval: Hours = doc("time between decisions", "hours", default=1 / 12)
    headroom: PositiveFloat = doc("multiplies the demand sized for", default=1.0)


class HpaIn(Strict):
    kind: Literal["hpa"] = doc("the static placement, scaled per site with Kubernetes HPA arithmetic")
    name: Name | None = doc("label in the results", default=None)
    tolerance: Annotated[float, Field(ge=0, lt=1)] = doc(
        "keep the count while the load is within this share of the target", "fraction", default=0.1)
    scale_down_window: HoursOrZero = doc(
        "scale down only to the highest count recommended within this window", "hours", default=300 / 3600)
    scale_up_window: HoursOrZero = doc(
        "scale up only to the lowest count recommended within this window", "hours", default=0.0)
    target_utilization: Annotated[float, Field(gt=0, le=1)] = doc(
        "load per replica aimed at, as a share of its capacity", "fraction", default=1.0)
    max_step: Annotated[int, Field(ge=1)] | None = doc(
        "replicas added or removed per decision, at most", "replicas", default=None)


class PythonIn(Strict):
    """A user policy: ``object: package.module:ClassName``, built as ``Class(name, **params)``."""

    kind: Literal["python"] = doc("your own policy class")
    name: Name | None = doc("label in the results", default=None)
    object: Annotated[str, Field(pattern=r"^[\w.]+:[\w.]+$")] = doc(
        "package.module:ClassName, built as ClassName(name, **params)")
    params: dict[str, Any] = doc("keyword arguments for the class", default_factory=dict)


class AutoscalerIn(Strict):
    """The autoscaler's own decisions (``tierplan autoscale``) on its config file, in
    simulated time (:mod:`tierplan.policies.autoscaler`)."""

    kind: Literal["autoscaler"] = doc("the autoscaler's own decisions on its config, in simulated time")
    name: Name | None = doc("label in the results", default=None)
    config: Name = doc("autoscale config file, relative to the simulation file")


PolicyIn = Annotated[OptimalIn | StaticIn | GreedyIn | HpaIn | AutoscalerIn | PythonIn,
                     Field(discriminator="kind")]
POLICY_KINDS = ("optimal", "static", "greedy", "cloud_only", "edge_first", "hpa", "autoscaler", "python")
EVENT_KINDS = ("outage", "price_change", "preemption", "spot_series", "availability")
PATTERN_KINDS = ("diurnal", "step", "spikes")


# ------------------------------------------------------------------------------- sweep


class SweepIn(Strict):
    """Each list is one axis; the sweep runs the cartesian product of the given axes."""

    demand_scale: list[PositiveFloat] | None = doc("multiplies every demand", default=None)
    price_scale: list[PositiveFloat] | None = doc(
        "multiplies every instance price (not egress)", default=None)
    latency_slo_ms: list[PositiveFloat] | None = doc("replaces every inference SLO", "ms", default=None)
    budget_usd: list[PositiveFloat] | None = doc("a budget named total", "USD", default=None)


class ProvisioningIn(Strict):
    cloud: HoursOrZero = doc(
        "time from asking for a cloud instance to its serving", "hours", default=180 / 3600)
    onprem: HoursOrZero = doc(
        "time from asking for an on-prem instance to its serving", "hours", default=60 / 3600)
    edge: HoursOrZero = doc(
        "time from asking for an edge instance to its serving", "hours", default=10 / 3600)


class SimulationIn(Strict):
    name: Name = doc("simulation name, shown in results")
    scenario: Name = doc("scenario file, relative to this file")
    duration: Hours = doc("simulated time", "hours")
    step: Hours = doc("length of one step; demand is the mean over a step", "hours", default=60 / 3600)
    seed: Annotated[int, Field(ge=0)] = doc(
        "random seed of noise and spikes: same seed, same demand", default=0)
    provisioning: ProvisioningIn = doc("start-up delay per tier", default_factory=ProvisioningIn)
    demand: list[DemandIn] = doc(
        "demand per inference workload (and client); default: its demand_rps", default_factory=list)
    training: list[JobsIn] = doc("arrivals of the scenario's training jobs", default_factory=list)
    events: list[EventIn] = doc(
        "outages, price changes, preemptions, spot prices, availability", default_factory=list)
    policies: list[PolicyIn] = doc("placement policies compared side by side", min_length=1)
    sweep: SweepIn | None = doc("runs the cartesian product of the axes given", default=None)
