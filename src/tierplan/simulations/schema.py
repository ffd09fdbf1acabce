"""Pydantic schema of the simulation file. Used at the edge only (see :mod:`.spec`).

Every model forbids unknown keys. Durations accept seconds-style strings (``90s``,
``15m``, ``2h``, ``7d``) or numbers of hours, as in scenario files.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ..schema import Hours, Name, NonNegFloat, PositiveFloat, Strict
from ..units import parse_duration_hours

HoursOrZero = Annotated[float, BeforeValidator(parse_duration_hours), Field(ge=0)]


# ------------------------------------------------------------------------------ demand


class TraceIn(Strict):
    """Per-request rows (``format: requests``: one timestamp per row) or a rate series
    (``format: rates``: a time column and an rps column, ``value_column``)."""

    path: Name
    format: Literal["requests", "rates"] = "requests"
    reader: Literal["auto", "csv", "jsonl", "parquet"] = "auto"  # auto: by the file name's ending
    time_column: Name = "TIMESTAMP"
    time_unit: Literal["s", "ms", "us"] = "s"  # of numeric times (text is read as ISO 8601)
    value_column: Name | None = None  # the rps column of a rates file
    rate_column: Name = "rps"  # the older name of value_column
    aggregate: Literal["sum", "mean"] = "sum"  # rates of rows that share a time
    filter: dict[Name, str | int | float | bool] = Field(default_factory=dict)  # keep rows with these values
    scale: PositiveFloat = 1.0  # multiplies the rate
    loop: bool = True  # repeat the trace when the simulation is longer


class DiurnalIn(Strict):
    kind: Literal["diurnal"]
    mean_rps: NonNegFloat
    amplitude: Annotated[float, Field(ge=0, le=1)] = 0.5
    peak_hour: Annotated[float, Field(ge=0, lt=24)] = 14.0
    noise: Annotated[float, Field(ge=0, le=1)] = 0.0


class LevelIn(Strict):
    at: HoursOrZero
    rps: NonNegFloat


class StepIn(Strict):
    kind: Literal["step"]
    base_rps: NonNegFloat
    levels: list[LevelIn] = Field(default_factory=list)
    noise: Annotated[float, Field(ge=0, le=1)] = 0.0


class SpikesIn(Strict):
    kind: Literal["spikes"]
    base_rps: NonNegFloat
    spike_rps: NonNegFloat  # added on top of the base during a spike
    per_day: Annotated[float, Field(gt=0, le=86_400)] = 2.0  # expected spikes per day (Poisson)
    duration: Hours = 0.25
    noise: Annotated[float, Field(ge=0, le=1)] = 0.0


PatternIn = Annotated[DiurnalIn | StepIn | SpikesIn, Field(discriminator="kind")]


class DemandIn(Strict):
    workload: Name
    client: Name | None = None  # None: every client of the workload, split by its demand_rps shares
    trace: TraceIn | None = None
    pattern: PatternIn | None = None


# ---------------------------------------------------------------------------- training


class JobsIn(Strict):
    workload: Name  # a training workload of the scenario
    at: list[HoursOrZero] = Field(default_factory=list)
    every: Hours | None = None
    start: HoursOrZero = 0.0


# ------------------------------------------------------------------------------ events


class OutageIn(Strict):
    kind: Literal["outage"]
    site: Name
    start: HoursOrZero
    end: Hours


class PriceChangeIn(Strict):
    kind: Literal["price_change"]
    site: Name
    offering: Name | None = None  # None: every offering of the site
    at: HoursOrZero
    usd_per_hour: NonNegFloat | None = None
    factor: PositiveFloat | None = None
    spot: bool = False  # change the spot price instead of the on-demand price


class PreemptionIn(Strict):
    kind: Literal["preemption"]
    site: Name
    offering: Name
    at: HoursOrZero


class SpotSeriesIn(Strict):
    """Spot price history (AWS ``describe-spot-price-history`` columns): the spot price of
    the offering follows the series; spot instances are preempted whenever the price
    rises above ``bid_usd_per_hour``."""

    kind: Literal["spot_series"]
    site: Name
    offering: Name
    path: Name
    instance_type: Name
    region: Name | None = None
    availability_zone: Name | None = None
    bid_usd_per_hour: PositiveFloat
    scale: PositiveFloat = 1.0  # multiplies the series' prices


class AvailablePointIn(Strict):
    at: HoursOrZero
    available: Annotated[int, Field(ge=0)]


class AvailabilityIn(Strict):
    """How many instances of an offering exist over time (machines failing, a quota
    changing, spot capacity): given as ``points`` or as a CSV (``path`` with a time
    column, timestamps or seconds from the first row, and a count column). When it drops
    below what runs, instances are lost: booting ones first, then running inference
    instances, then training nodes (their jobs are preempted)."""

    kind: Literal["availability"]
    site: Name
    offering: Name
    points: list[AvailablePointIn] = Field(default_factory=list)
    path: Name | None = None
    time_column: Name = "time"
    column: Name = "available"


EventIn = Annotated[OutageIn | PriceChangeIn | PreemptionIn | SpotSeriesIn | AvailabilityIn,
                    Field(discriminator="kind")]


# ---------------------------------------------------------------------------- policies


class OptimalIn(Strict):
    """The planner every ``interval``; with ``scaling: track`` (the default) a fast loop
    sizes within the planned mix every step (:mod:`tierplan.policies.tracking`), with
    ``scaling: plan`` the plan's counts hold until the next plan."""

    kind: Literal["optimal"]
    name: Name | None = None
    interval: Hours = 1.0
    demand: Literal["observed", "forecast"] = "observed"
    headroom: PositiveFloat = 1.0
    churn_usd: NonNegFloat = 0.0
    time_limit: PositiveFloat = 30.0  # seconds per planner call (wall clock: see the notes)
    gap: Annotated[float, Field(ge=0, le=1)] = 1e-4
    scaling: Literal["track", "plan"] = "track"
    # scaling: track only
    target_utilization: Annotated[float, Field(gt=0, le=1)] = 1.0
    scale_down_window: HoursOrZero = 300 / 3600
    lead: Literal["none", "trend"] = "none"  # trend: size for the rise expected over the boot time
    tolerance: Annotated[float, Field(ge=0, lt=1)] = 0.1  # scale down only below 1 - tolerance


class StaticIn(Strict):
    kind: Literal["static"]
    name: Name | None = None
    headroom: PositiveFloat = 1.0


class GreedyIn(Strict):
    kind: Literal["greedy", "cloud_only", "edge_first"]
    name: Name | None = None
    interval: Hours = Field(default=1 / 12)  # 5 minutes
    headroom: PositiveFloat = 1.0


class HpaIn(Strict):
    kind: Literal["hpa"]
    name: Name | None = None
    tolerance: Annotated[float, Field(ge=0, lt=1)] = 0.1
    scale_down_window: HoursOrZero = 300 / 3600
    scale_up_window: HoursOrZero = 0.0
    target_utilization: Annotated[float, Field(gt=0, le=1)] = 1.0
    max_step: Annotated[int, Field(ge=1)] | None = None


class PythonIn(Strict):
    """A user policy: ``object: package.module:ClassName``, built as ``Class(name, **params)``."""

    kind: Literal["python"]
    name: Name | None = None
    object: Annotated[str, Field(pattern=r"^[\w.]+:[\w.]+$")]
    params: dict[str, Any] = Field(default_factory=dict)


class AutoscalerIn(Strict):
    """The autoscaler's own decisions (``tierplan autoscale``) on its config file, in
    simulated time (:mod:`tierplan.policies.autoscaler`)."""

    kind: Literal["autoscaler"]
    name: Name | None = None
    config: Name  # an autoscale config file, relative to the simulation file


PolicyIn = Annotated[OptimalIn | StaticIn | GreedyIn | HpaIn | AutoscalerIn | PythonIn,
                     Field(discriminator="kind")]
POLICY_KINDS = ("optimal", "static", "greedy", "cloud_only", "edge_first", "hpa", "autoscaler", "python")
EVENT_KINDS = ("outage", "price_change", "preemption", "spot_series", "availability")
PATTERN_KINDS = ("diurnal", "step", "spikes")


# ------------------------------------------------------------------------------- sweep


class SweepIn(Strict):
    """Each list is one axis; the sweep runs the cartesian product of the given axes."""

    demand_scale: list[PositiveFloat] | None = None
    price_scale: list[PositiveFloat] | None = None
    latency_slo_ms: list[PositiveFloat] | None = None
    budget_usd: list[PositiveFloat] | None = None


class ProvisioningIn(Strict):
    cloud: HoursOrZero = 180 / 3600
    onprem: HoursOrZero = 60 / 3600
    edge: HoursOrZero = 10 / 3600


class SimulationIn(Strict):
    name: Name
    scenario: Name
    duration: Hours
    step: Hours = 60 / 3600
    seed: Annotated[int, Field(ge=0)] = 0  # numpy's generators take no negative seeds
    provisioning: ProvisioningIn = Field(default_factory=ProvisioningIn)
    demand: list[DemandIn] = Field(default_factory=list)
    training: list[JobsIn] = Field(default_factory=list)
    events: list[EventIn] = Field(default_factory=list)
    policies: list[PolicyIn] = Field(min_length=1)
    sweep: SweepIn | None = None
