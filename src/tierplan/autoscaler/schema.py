"""Pydantic schema of the autoscale config file. Used at the edge only.

Every model forbids unknown keys, as the scenario schema does. Durations (``interval``,
windows, ``lead``, ...) accept seconds as a number or strings such as ``90s``, ``15m``,
``2h``; they are stored in seconds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from ..schema import Name, Strict
from ..units import parse_duration_hours

__all__ = ["AutoscaleIn"]


def _seconds(value: object) -> float:
    """Seconds from a number (already seconds) or a duration string like ``90s``, ``5m``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return parse_duration_hours(value) * 3600.0


Seconds = Annotated[float, BeforeValidator(_seconds), Field(ge=0)]
PositiveSeconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]  # replicas: far above any fleet, far below 1e13


# ------------------------------------------------------------------------- controllers


class DryRunIn(Strict):
    type: Literal["dry-run"]
    replicas: Count = 0  # what the pretend endpoint starts with


class SageMakerIn(Strict):
    type: Literal["sagemaker"]
    endpoint: Name
    variant: Name = "AllTraffic"
    region: Name | None = None
    profile: Name | None = None


class VertexIn(Strict):
    type: Literal["vertex"]
    project: Name
    location: Name
    endpoint: Name  # endpoint id
    deployed_model: Name  # deployed model id
    api_endpoint: Name | None = None  # default: {location}-aiplatform.googleapis.com


class AzureMLIn(Strict):
    type: Literal["azureml"]
    subscription_id: Name
    resource_group: Name
    workspace: Name
    endpoint: Name
    deployment: Name


class KubernetesIn(Strict):
    type: Literal["kubernetes"]
    deployment: Name
    namespace: Name = "default"
    kubeconfig: Name | None = None
    context: Name | None = None
    in_cluster: bool = False
    host: Name | None = None  # API server URL; overrides kubeconfig (tests, proxies)
    timeout: PositiveSeconds = 10.0  # every API request; a hung API server fails the attempt


ControllerIn = Annotated[DryRunIn | SageMakerIn | VertexIn | AzureMLIn | KubernetesIn,
                         Field(discriminator="type")]
CONTROLLER_TYPES = ("dry-run", "sagemaker", "vertex", "azureml", "kubernetes")


# ----------------------------------------------------------------------------- metrics


class PrometheusIn(Strict):
    source: Literal["prometheus"]
    url: Name
    timeout: PositiveSeconds = 5.0


class CloudWatchIn(Strict):
    source: Literal["cloudwatch"]
    region: Name | None = None
    profile: Name | None = None
    period: PositiveSeconds = 60.0
    stat: Name = "Sum"
    per_second: bool = True  # divide the statistic by the period (a Sum of requests -> rps)


class FileIn(Strict):
    source: Literal["file"]
    path: Name
    loop: bool = False
    format: Literal["rps", "arrivals"] = "rps"
    # arrivals: one row per request; binned into rates and split over endpoints and clients
    timestamp_column: Name = "TIMESTAMP"
    window: PositiveSeconds = 60.0
    split: dict[Name, dict[Name, Annotated[float, Field(gt=0)]]] | None = None
    scale: Annotated[float, Field(gt=0)] = 1.0


MetricsIn = Annotated[PrometheusIn | CloudWatchIn | FileIn, Field(discriminator="source")]


class CloudWatchMetricIn(Strict):
    namespace: Name
    metric: Name
    dimensions: dict[Name, str] = Field(default_factory=dict)


class DemandIn(Strict):
    """How one endpoint's demand per client is read (the keys depend on the source)."""

    query: Name | None = None  # prometheus: instant query giving one series per client
    client_label: Name = "client"  # prometheus: the label that names the client
    clients: dict[Name, CloudWatchMetricIn] | None = None  # cloudwatch: one metric per client
    missing: Literal["hold", "zero"] = "hold"  # a client without a value


# ---------------------------------------------------------------------------- the rest


class HpaIn(Strict):
    tolerance: Annotated[float, Field(ge=0, lt=1)] = 0.1
    scale_up_window: Seconds = 0.0
    scale_down_window: Seconds = 300.0
    max_step: Annotated[int, Field(ge=1)] | None = None


class FloorIn(Strict):
    cron: Name  # five fields: minute hour day month day-of-week
    duration: Annotated[PositiveSeconds, Field(le=366 * 86_400)]  # at most a year
    min_replicas: Count
    site: Name | None = None  # None: every site of the endpoint
    timezone: Name = "UTC"


class SiteIn(Strict):
    site: Name
    offering: Name | None = None
    controller: ControllerIn
    min_replicas: Count | None = None
    max_replicas: Count | None = None
    max_step: Annotated[int, Field(ge=1)] | None = None


class EndpointIn(Strict):
    workload: Name
    sites: Annotated[list[SiteIn], Field(min_length=1)]
    demand: DemandIn = Field(default_factory=DemandIn)
    floors: list[FloorIn] = Field(default_factory=list)
    budget_usd_per_hour: Annotated[float, Field(ge=0)] | None = None


class PredictiveIn(Strict):
    """Holt's linear trend (double exponential smoothing) of each client's demand."""

    lead: PositiveSeconds
    alpha: Annotated[float, Field(gt=0, le=1)] = 0.5
    beta: Annotated[float, Field(gt=0, le=1)] = 0.3


class RetryIn(Strict):
    attempts: Annotated[int, Field(ge=1, le=20)] = 4
    base: Seconds = 1.0
    cap: Seconds = 30.0
    seed: int | None = None


class OpsIn(Strict):
    host: Name = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] | None = 9464  # None: no server


class AutoscaleIn(Strict):
    scenario: Name
    interval: PositiveSeconds = 60.0
    metrics: MetricsIn
    endpoints: Annotated[list[EndpointIn], Field(min_length=1)]
    state: Name | None = None  # sqlite path or sqlite:///path or postgresql://...
    # without state: <state_dir>/<config name>.db, relative to the config's folder
    state_dir: Name = ".tierplan/state"
    budget_usd_per_hour: Annotated[float, Field(ge=0)] | None = None
    churn_usd: Annotated[float, Field(ge=0)] = 0.0
    hpa: HpaIn = Field(default_factory=HpaIn)
    predictive: PredictiveIn | None = None
    retry: RetryIn = Field(default_factory=RetryIn)
    ops: OpsIn = Field(default_factory=OpsIn)
    planner_time_limit: PositiveSeconds = 10.0
    # after SIGTERM, how long a running tick may go on before the process stops without it
    stop_grace: Annotated[Seconds, Field(le=3600)] = 20.0
    sizing: Literal["auto", "planner"] = "auto"  # auto: exact fast path where it applies
