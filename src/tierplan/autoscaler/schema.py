"""Pydantic schema of the autoscale config file. Used at the edge only.

Every model forbids unknown keys, as the scenario schema does. Durations (``interval``,
windows, ``lead``, ...) accept seconds as a number or strings such as ``90s``, ``15m``,
``2h``; they are stored in seconds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from ..schema import Name, Strict, doc
from ..units import parse_duration_hours

__all__ = ["AutoscaleIn"]


def _seconds(value: object) -> float:
    """Seconds from a number (already seconds) or a duration string like ``90s``, ``5m``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return parse_duration_hours(value) * 3600.0


Seconds = Annotated[float, BeforeValidator(_seconds, json_schema_input_type=float | str), Field(ge=0)]
PositiveSeconds = Annotated[float, BeforeValidator(_seconds, json_schema_input_type=float | str), Field(gt=0)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]  # replicas: far above any fleet, far below 1e13


# ------------------------------------------------------------------------- controllers


class DryRunIn(Strict):
    type: Literal["dry-run"] = doc("a pretend endpoint that records what it is told (offline runs, tests)")
    replicas: Count = doc("count the pretend endpoint starts with", "replicas", default=0)


class SageMakerIn(Strict):
    type: Literal["sagemaker"] = doc("an Amazon SageMaker endpoint variant")
    endpoint: Name = doc("endpoint name")
    variant: Name = doc("production variant", default="AllTraffic")
    region: Name | None = doc("AWS region; default: the SDK's", default=None)
    profile: Name | None = doc("AWS profile; default: the SDK's chain", default=None)


class VertexIn(Strict):
    type: Literal["vertex"] = doc("a Vertex AI deployed model (min = max replicas pinned to the count)")
    project: Name = doc("Google Cloud project")
    location: Name = doc("Vertex AI location, e.g. europe-west4")
    endpoint: Name = doc("endpoint id")
    deployed_model: Name = doc("deployed model id")
    api_endpoint: Name | None = doc("API host; default {location}-aiplatform.googleapis.com", default=None)


class AzureMLIn(Strict):
    type: Literal["azureml"] = doc("an Azure ML online deployment")
    subscription_id: Name = doc("Azure subscription")
    resource_group: Name = doc("resource group")
    workspace: Name = doc("Azure ML workspace")
    endpoint: Name = doc("online endpoint name")
    deployment: Name = doc("deployment name")


class KubernetesIn(Strict):
    type: Literal["kubernetes"] = doc("a Kubernetes Deployment, through its scale subresource")
    deployment: Name = doc("Deployment name")
    namespace: Name = doc("namespace", default="default")
    kubeconfig: Name | None = doc(
        "kubeconfig file, relative to the config file; default: the client's", default=None)
    context: Name | None = doc("kubeconfig context", default=None)
    in_cluster: bool = doc("use the pod's service account", default=False)
    host: Name | None = doc("API server URL; overrides the kubeconfig (tests, proxies)", default=None)
    timeout: PositiveSeconds = doc(
        "time allowed per API request; a hung API server fails the attempt", "seconds", default=10.0)


ControllerIn = Annotated[DryRunIn | SageMakerIn | VertexIn | AzureMLIn | KubernetesIn,
                         Field(discriminator="type")]
CONTROLLER_TYPES = ("dry-run", "sagemaker", "vertex", "azureml", "kubernetes")


# ----------------------------------------------------------------------------- metrics


class PrometheusIn(Strict):
    source: Literal["prometheus"] = doc("instant queries against a Prometheus server")
    url: Name = doc("server URL")
    timeout: PositiveSeconds = doc("time allowed per query", "seconds", default=5.0)


class CloudWatchIn(Strict):
    source: Literal["cloudwatch"] = doc("Amazon CloudWatch get_metric_data, one metric per client")
    region: Name | None = doc("AWS region; default: the SDK's", default=None)
    profile: Name | None = doc("AWS profile; default: the SDK's chain", default=None)
    period: PositiveSeconds = doc("metric period", "seconds", default=60.0)
    stat: Name = doc("statistic read (Sum, Average, ...)", default="Sum")
    per_second: bool = doc("divide the statistic by the period (a Sum of requests becomes rps)", default=True)


class FileIn(Strict):
    source: Literal["file"] = doc("a CSV replayed from the first tick recorded in the state store")
    path: Name = doc("CSV file, relative to the config file")
    loop: bool = doc("repeat the file when it ends", default=False)
    format: Literal["rps", "arrivals"] = doc(
        "rps: rows of seconds,endpoint,client,rps; arrivals: one row per request", default="rps")
    # arrivals: one row per request; binned into rates and split over endpoints and clients
    timestamp_column: Name = doc("arrivals: column of epoch seconds or ISO 8601 times", default="TIMESTAMP")
    window: PositiveSeconds = doc("arrivals: requests are counted per window", "seconds", default=60.0)
    split: dict[Name, dict[Name, Annotated[float, Field(gt=0)]]] | None = doc(
        "arrivals: share of the rate per endpoint and client", default=None)
    scale: Annotated[float, Field(gt=0)] = doc("arrivals: multiplies the rate", default=1.0)


MetricsIn = Annotated[PrometheusIn | CloudWatchIn | FileIn, Field(discriminator="source")]


class CloudWatchMetricIn(Strict):
    namespace: Name = doc("CloudWatch namespace")
    metric: Name = doc("metric name")
    dimensions: dict[Name, str] = doc("metric dimensions", default_factory=dict)


class DemandIn(Strict):
    """How one endpoint's demand per client is read (the keys depend on the source)."""

    query: Name | None = doc("prometheus: instant query giving one series per client", default=None)
    client_label: Name = doc("prometheus: the label that names the client", default="client")
    clients: dict[Name, CloudWatchMetricIn] | None = doc("cloudwatch: one metric per client", default=None)
    missing: Literal["hold", "zero"] = doc(
        "a client without a value: hold the endpoint's replicas, or count it as 0 rps", default="hold")


# ---------------------------------------------------------------------------- the rest


class HpaIn(Strict):
    tolerance: Annotated[float, Field(ge=0, lt=1)] = doc(
        "keep the current count when the plan is within this share of it", "fraction", default=0.1)
    scale_up_window: Seconds = doc(
        "scale up only to the lowest count recommended within this window", "seconds", default=0.0)
    scale_down_window: Seconds = doc(
        "scale down only to the highest count recommended within this window", "seconds", default=300.0)
    max_step: Annotated[int, Field(ge=1)] | None = doc(
        "replicas added or removed per site and decision, at most; default unlimited",
        "replicas",
        default=None)


class FloorIn(Strict):
    cron: Name = doc(
        "when the floor starts: five crontab fields (minute hour day month day-of-week, 0/7 = Sunday)")
    duration: Annotated[PositiveSeconds, Field(le=366 * 86_400)] = doc(
        "how long it lasts, at most a year", "seconds")
    min_replicas: Count = doc("replicas at least while it lasts", "replicas")
    site: Name | None = doc("site it applies to; omit = every site of the endpoint", default=None)
    timezone: Name = doc("IANA time zone of the cron fields", default="UTC")


class SiteIn(Strict):
    site: Name = doc("a site of the scenario")
    offering: Name | None = doc(
        "offering run there; needed when the site has several the endpoint could use", default=None)
    controller: ControllerIn = doc("what reads and sets the replica count")
    min_replicas: Count | None = doc(
        "replicas at least; default 1 for sagemaker, vertex and azureml, else 0", "replicas", default=None)
    max_replicas: Count | None = doc(
        "replicas at most; default: the offering's available", "replicas", default=None)
    max_step: Annotated[int, Field(ge=1)] | None = doc(
        "overrides hpa.max_step for this site", "replicas", default=None)


class EndpointIn(Strict):
    workload: Name = doc("an inference workload of the scenario")
    sites: Annotated[list[SiteIn], Field(min_length=1)] = doc(
        "the sites it runs at, each with its controller")
    demand: DemandIn = doc("how its demand per client is read", default_factory=DemandIn)
    floors: list[FloorIn] = doc("scheduled minimum replicas", default_factory=list)
    budget_usd_per_hour: Annotated[float, Field(ge=0)] | None = doc(
        "this endpoint's compute never above this", "USD/hour", default=None)


class PredictiveIn(Strict):
    """Holt's linear trend (double exponential smoothing) of each client's demand."""

    lead: PositiveSeconds = doc("plan for max(observed, forecast this far ahead)", "seconds")
    alpha: Annotated[float, Field(gt=0, le=1)] = doc("smoothing of the level", default=0.5)
    beta: Annotated[float, Field(gt=0, le=1)] = doc("smoothing of the trend", default=0.3)


class RetryIn(Strict):
    attempts: Annotated[int, Field(ge=1, le=20)] = doc("calls per controller action, at most", default=4)
    base: Seconds = doc("first backoff (exponential, full jitter)", "seconds", default=1.0)
    cap: Seconds = doc("longest backoff", "seconds", default=30.0)
    seed: int | None = doc("seed of the jitter; omit for a random one", default=None)


class OpsIn(Strict):
    host: Name = doc("address /healthz and /metrics listen on", default="127.0.0.1")
    port: Annotated[int, Field(ge=0, le=65535)] | None = doc(
        "port of /healthz and /metrics; null runs no server", default=9464)


class AutoscaleIn(Strict):
    scenario: Name = doc("scenario file (sites, offerings, SLOs, budgets), relative to this file")
    interval: PositiveSeconds = doc("time between ticks", "seconds", default=60.0)
    metrics: MetricsIn = doc("where demand is read, for every endpoint")
    endpoints: Annotated[list[EndpointIn], Field(min_length=1)] = doc("the inference endpoints kept sized")
    state: Name | None = doc(
        "state store: SQLite path, sqlite:///path or postgresql://...; default <state_dir>/<config name>.db",
        default=None)
    # without state: <state_dir>/<config name>.db, relative to the config's folder
    state_dir: Name = doc(
        "folder of the default state store, relative to the config's folder", default=".tierplan/state")
    budget_usd_per_hour: Annotated[float, Field(ge=0)] | None = doc(
        "total compute never above this, whatever the demand", "USD/hour", default=None)
    churn_usd: Annotated[float, Field(ge=0)] = doc(
        "objective penalty per replica added or removed (weighed against one hour of cost)",
        "USD",
        default=0.0)
    hpa: HpaIn = doc("guards applied to every site's planned count", default_factory=HpaIn)
    predictive: PredictiveIn | None = doc(
        "plan ahead of a rise with Holt's linear trend per client", default=None)
    retry: RetryIn = doc("retries of controller calls", default_factory=RetryIn)
    ops: OpsIn = doc("the /healthz and /metrics server", default_factory=OpsIn)
    planner_time_limit: PositiveSeconds = doc(
        "wall-clock guard on the planner per tick (a plan it cuts may differ between runs)", "seconds",
        default=10.0)
    planner_effort: Literal["low", "normal", "high"] | Annotated[float, Field(gt=0, le=3600)] = doc(
        "planner work per tick: low, normal, high or work seconds; the same plan on any machine",
        default="normal")
    # after SIGTERM, how long a running tick may go on before the process stops without it
    stop_grace: Annotated[Seconds, Field(le=3600)] = doc(
        "after SIGTERM, how long a running tick may go on before the process stops without it",
        "seconds",
        default=20.0)
    sizing: Literal["auto", "planner"] = doc(
        "auto: an exact fast path where it applies, else the planner; planner: always the planner",
        default="auto")
