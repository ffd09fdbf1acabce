"""Autoscale config file -> validated, frozen :class:`AutoscaleConfig`.

The config names a scenario (where each endpoint may run, its SLO and budgets), and per
endpoint (an inference workload of that scenario) the sites it is scaled at, each with a
controller. Errors are :class:`~tierplan.errors.ScenarioError` naming the config file and
the path inside it (``endpoints[0].sites[1].controller.endpoint``); errors inside the
scenario name the scenario file.

The scenario the autoscaler plans with is narrowed from the user's (see :func:`narrow`):
only the endpoint workloads, only the controlled sites and offerings, a horizon of one
hour (so every cost the planner reports is USD per hour) and budgets scaled to match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..model import Budget, InferenceWorkload, Offering, Scenario, ServiceProfile, Site
from ..policies.hpa import HpaSettings
from ..scenario import load_scenario
from ..validation import did_you_mean, read_yaml, validate
from . import schema as s

__all__ = [
    "AutoscaleConfig",
    "ControllerSpec",
    "DemandSpec",
    "EndpointSpec",
    "FloorSpec",
    "PredictiveSpec",
    "RetrySpec",
    "SiteSpec",
    "load_config",
    "parse_config",
]

#: The lowest replica count each platform accepts for a live endpoint (user may raise it).
DEFAULT_MIN_REPLICAS = {"sagemaker": 1, "vertex": 1, "azureml": 1, "kubernetes": 0, "dry-run": 0}


@dataclass(frozen=True)
class ControllerSpec:
    type: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class SiteSpec:
    """One (endpoint, site) pair the autoscaler sizes, with the offering it runs on.

    ``capacity_rps`` is what one replica carries at the workload's max utilisation.
    """

    site: str
    offering: str
    usd_per_hour: float
    capacity_rps: float
    controller: ControllerSpec
    settings: HpaSettings


@dataclass(frozen=True)
class FloorSpec:
    cron: str
    duration_s: float
    min_replicas: int
    site: str | None
    timezone: str


@dataclass(frozen=True)
class DemandSpec:
    query: str | None
    client_label: str
    clients: Mapping[str, Mapping[str, Any]] | None
    missing: str


@dataclass(frozen=True)
class EndpointSpec:
    workload: str
    sites: tuple[SiteSpec, ...]
    demand: DemandSpec
    clients: tuple[str, ...]  # clients whose demand must be read (the scenario's)
    floors: tuple[FloorSpec, ...] = ()
    budget_usd_per_hour: float | None = None


@dataclass(frozen=True)
class PredictiveSpec:
    lead_s: float
    alpha: float
    beta: float


@dataclass(frozen=True)
class RetrySpec:
    attempts: int = 4
    base_s: float = 1.0
    cap_s: float = 30.0
    seed: int | None = None


@dataclass(frozen=True)
class AutoscaleConfig:
    file: str
    scenario: Scenario  # narrowed: horizon 1 h, endpoint workloads, controlled sites only
    interval_s: float
    metrics: ControllerSpec  # type = source name
    endpoints: tuple[EndpointSpec, ...]
    state_url: str
    budget_usd_per_hour: float | None = None
    churn_usd: float = 0.0
    predictive: PredictiveSpec | None = None
    retry: RetrySpec = field(default_factory=RetrySpec)
    ops_host: str = "127.0.0.1"
    ops_port: int | None = 9464
    planner_time_limit: float = 10.0
    planner_effort: str | float = "normal"  # PlanOptions.effort: the planner's deterministic budget
    sizing: str = "auto"  # auto | planner
    stop_grace_s: float = 20.0
    notes: tuple[str, ...] = ()  # warnings found while loading, logged when the loop starts

    def endpoint(self, workload: str) -> EndpointSpec:
        for e in self.endpoints:
            if e.workload == workload:
                return e
        raise KeyError(workload)


def load_config(path: str | Path) -> AutoscaleConfig:
    return parse_config(read_yaml(path), str(path))


def parse_config(data: Any, file: str = "<autoscale>") -> AutoscaleConfig:
    raw = validate(s.AutoscaleIn, data, file, "expected a mapping with 'scenario', 'metrics' and 'endpoints'")
    return _Builder(raw, file).build()


# ---------------------------------------------------------------------------- building


class _Builder:
    def __init__(self, raw: s.AutoscaleIn, file: str) -> None:
        self.raw = raw
        self.file = file
        self.base = Path(file).expanduser().parent

    def fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.file, path, message)

    def build(self) -> AutoscaleConfig:
        raw = self.raw
        scenario_path = self.base / Path(raw.scenario).expanduser()
        try:
            scenario = load_scenario(scenario_path)
        except ScenarioError as exc:
            if exc.path == "" and exc.message == "file not found":
                raise self.fail("scenario", f"scenario file {str(scenario_path)!r} not found") from None
            raise
        endpoints = tuple(self.endpoint(i, e, scenario) for i, e in enumerate(raw.endpoints))
        metrics = raw.metrics
        params = metrics.model_dump(exclude={"source"})
        if isinstance(metrics, s.FileIn):
            params["path"] = str(self.base / Path(metrics.path).expanduser())
            self.check_split(metrics, endpoints, scenario)
        for i, e in enumerate(raw.endpoints):
            if isinstance(metrics, s.PrometheusIn) and not e.demand.query:
                raise self.fail(f"endpoints[{i}].demand.query",
                                "the prometheus source needs a query per endpoint "
                                "(one series per client, e.g. sum by (client) (rate(...[2m])))")
            if isinstance(metrics, s.CloudWatchIn) and not e.demand.clients:
                raise self.fail(f"endpoints[{i}].demand.clients",
                                "the cloudwatch source needs a metric per client")
        notes: list[str] = []
        if raw.state is None:
            state = str(self.base / Path(raw.state_dir).expanduser() / f"{Path(self.file).stem}.db")
            # Before state_dir the default was CONFIG.state.db beside the config: keep using
            # one that is there (its windows and pending actions), and say where it should go.
            legacy = Path(self.file).expanduser().with_suffix(".state.db")
            if legacy.is_file() and not Path(state).exists():
                notes.append(f"using the state store {str(legacy)!r} found beside the config; the "
                             f"default is now {state!r}: move it there (or set state: in the config)")
                state = str(legacy)
        elif "://" in raw.state:
            state = raw.state
        else:
            state = str(self.base / Path(raw.state).expanduser())
        pred = raw.predictive
        return AutoscaleConfig(
            file=self.file,
            scenario=narrow(scenario, endpoints, raw.budget_usd_per_hour),
            interval_s=raw.interval,
            metrics=ControllerSpec(metrics.source, params),
            endpoints=endpoints,
            state_url=state,
            budget_usd_per_hour=raw.budget_usd_per_hour,
            churn_usd=raw.churn_usd,
            predictive=PredictiveSpec(pred.lead, pred.alpha, pred.beta) if pred else None,
            retry=RetrySpec(raw.retry.attempts, raw.retry.base, raw.retry.cap, raw.retry.seed),
            ops_host=raw.ops.host,
            ops_port=raw.ops.port,
            planner_time_limit=raw.planner_time_limit,
            planner_effort=raw.planner_effort,
            sizing=raw.sizing,
            stop_grace_s=raw.stop_grace,
            notes=tuple(notes),
        )

    def endpoint(self, i: int, e: s.EndpointIn, scenario: Scenario) -> EndpointSpec:
        path = f"endpoints[{i}]"
        if any(x.workload == e.workload for x in self.raw.endpoints[:i]):
            raise self.fail(f"{path}.workload", f"{e.workload!r} is already an endpoint above")
        names = {w.name: w for w in scenario.workloads}
        workload = names.get(e.workload)
        if workload is None:
            close = did_you_mean(e.workload, names)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise self.fail(f"{path}.workload", f"no workload {e.workload!r} in {scenario.source}{hint}")
        if not isinstance(workload, InferenceWorkload):
            raise self.fail(f"{path}.workload", f"{e.workload!r} is a training workload; "
                                                "only inference workloads are autoscaled")
        sites = []
        seen: set[str] = set()
        for j, site_in in enumerate(e.sites):
            if site_in.site in seen:
                raise self.fail(f"{path}.sites[{j}].site",
                                f"site {site_in.site!r} is listed twice; an endpoint runs one offering "
                                "per site (its controller scales one deployment there): keep one entry")
            seen.add(site_in.site)
            sites.append(self.site(f"{path}.sites[{j}]", site_in, workload, scenario))
        known_sites = {x.site for x in sites}
        for j, floor in enumerate(e.floors):
            fpath = f"{path}.floors[{j}]"
            if floor.site is not None and floor.site not in known_sites:
                raise self.fail(f"{fpath}.site", f"{floor.site!r} is not one of this endpoint's sites")
            self.check_cron(fpath, floor)
        demand = e.demand
        clients = tuple(workload.demand_rps) or tuple(c.name for c in scenario.clients)
        if demand.clients is not None:
            known = {c.name for c in scenario.clients}
            for name in demand.clients:
                if name not in known:
                    raise self.fail(f"{path}.demand.clients.{name}", f"no client {name!r} in the scenario")
            clients = tuple(demand.clients)
        return EndpointSpec(
            workload=e.workload,
            sites=tuple(sites),
            demand=DemandSpec(demand.query, demand.client_label,
                              {k: v.model_dump() for k, v in demand.clients.items()}
                              if demand.clients else None, demand.missing),
            clients=clients,
            floors=tuple(FloorSpec(f.cron, f.duration, f.min_replicas, f.site, f.timezone)
                         for f in e.floors),
            budget_usd_per_hour=e.budget_usd_per_hour,
        )

    def site(self, path: str, site_in: s.SiteIn, workload: InferenceWorkload,
             scenario: Scenario) -> SiteSpec:
        try:
            site = scenario.site(site_in.site)
        except KeyError:
            names = [x.name for x in scenario.sites]
            close = did_you_mean(site_in.site, names)
            hint = f" (did you mean {close!r}?)" if close else f"; sites: {', '.join(names)}"
            raise self.fail(f"{path}.site", f"no site {site_in.site!r} in {scenario.source}{hint}") from None
        if not workload.filters.admit(site):
            raise self.fail(f"{path}.site", f"workload {workload.name!r} may not run at {site.name!r} "
                                            "(its tiers/providers/sites/jurisdictions exclude it)")
        eligible = [o for o in site.offerings if o.speed_key in workload.accelerators]
        if site_in.offering is not None:
            chosen = [o for o in site.offerings if o.name == site_in.offering]
            if not chosen:
                raise self.fail(f"{path}.offering",
                                f"site {site.name!r} has no offering {site_in.offering!r}")
            if chosen[0] not in eligible:
                raise self.fail(f"{path}.offering", f"{workload.name!r} has no throughput for "
                                                    f"{chosen[0].speed_key!r} (its accelerators)")
            offering = chosen[0]
        elif len(eligible) == 1:
            offering = eligible[0]
        else:
            what = ", ".join(o.name for o in eligible) or "none"
            raise self.fail(f"{path}.offering", f"say which offering the endpoint runs on at "
                                                f"{site.name!r} (eligible: {what})")
        profile = workload.accelerators[offering.speed_key]
        capacity = offering.units * profile.rps * workload.max_utilization
        ctype = site_in.controller.type
        lo = site_in.min_replicas if site_in.min_replicas is not None else DEFAULT_MIN_REPLICAS[ctype]
        hi = site_in.max_replicas if site_in.max_replicas is not None else offering.available
        if hi is not None and hi < lo:
            raise self.fail(f"{path}.max_replicas", f"{hi} is below min_replicas {lo}")
        hpa = self.raw.hpa
        settings = HpaSettings(
            tolerance=hpa.tolerance,
            scale_up_window_s=hpa.scale_up_window,
            scale_down_window_s=hpa.scale_down_window,
            min_replicas=lo,
            max_replicas=hi,
            max_step=site_in.max_step if site_in.max_step is not None else hpa.max_step,
        )
        params = site_in.controller.model_dump(exclude={"type"})
        if ctype == "kubernetes" and params.get("kubeconfig"):
            kubeconfig = self.base / Path(params["kubeconfig"]).expanduser()
            if params.get("host") is None and not params.get("in_cluster") and not kubeconfig.is_file():
                raise self.fail(f"{path}.controller.kubeconfig",
                                f"no file {str(kubeconfig)!r} (a relative path is read from the "
                                "config's folder); name an existing kubeconfig, or leave it out "
                                "for ~/.kube/config")
            params["kubeconfig"] = str(kubeconfig)
        return SiteSpec(site.name, offering.name, offering.usd_per_hour, capacity,
                        ControllerSpec(ctype, params), settings)

    def check_split(self, metrics: s.FileIn, endpoints: Sequence[EndpointSpec],
                    scenario: Scenario) -> None:
        if metrics.format == "rps":
            if metrics.split is not None:
                raise self.fail("metrics.split", "split is for format: arrivals")
            return
        if not metrics.split:
            raise self.fail("metrics.split", "format: arrivals needs split: {endpoint: {client: share}}")
        names = {e.workload for e in endpoints}
        clients = {c.name for c in scenario.clients}
        for endpoint, shares in metrics.split.items():
            if endpoint not in names:
                raise self.fail(f"metrics.split.{endpoint}",
                                f"{endpoint!r} is not an endpoint of this config")
            for client in shares:
                if client not in clients:
                    raise self.fail(f"metrics.split.{endpoint}.{client}",
                                    f"no client {client!r} in the scenario")

    def check_cron(self, path: str, floor: s.FloorIn) -> None:
        # apscheduler parses the expression; a bad one must fail at load, not at 8 am.
        from .floors import cron_trigger

        try:
            cron_trigger(floor.cron, floor.timezone)
        except (ValueError, KeyError, LookupError) as exc:
            raise self.fail(f"{path}.cron", f"not a valid crontab expression in "
                                            f"{floor.timezone}: {exc}") from None


def narrow(scenario: Scenario, endpoints: Sequence[EndpointSpec],
           budget_usd_per_hour: float | None) -> Scenario:
    """The scenario the autoscaler plans: one hour, endpoint workloads, controlled sites.

    An offering used by one endpoint only gets that site's max_replicas as its limit.

    Each endpoint may use only the offering it has a controller for at a site. Where
    another endpoint's offering at the same site has an accelerator this endpoint could
    also use, the offerings there get private accelerator keys (``L4@site/offering``, one
    unit of the offering's whole throughput) that only their own endpoints' workloads
    know, so the plan cannot put one endpoint on another's instances. Endpoints sharing
    one offering share its key and its limit.

    Budgets of the user's scenario are over its horizon H; here they become per hour
    (limit / H). Training workloads are left out: the autoscaler sizes endpoints only.
    """
    H = scenario.horizon_hours
    kept: dict[str, set[str]] = {}
    for e in endpoints:
        for spec in e.sites:
            kept.setdefault(spec.site, set()).add(spec.offering)
    # A site's max_replicas becomes the offering's limit when one endpoint alone uses it,
    # so the plan moves the rest of the demand elsewhere instead of being cut afterwards.
    caps: dict[tuple[str, str], list[int | None]] = {}
    for e in endpoints:
        for spec in e.sites:
            caps.setdefault((spec.site, spec.offering), []).append(spec.settings.max_replicas)
    sites: list[Site] = []
    for site in scenario.sites:
        if site.name in kept:
            offerings: list[Offering] = []
            for o in site.offerings:
                if o.name not in kept[site.name]:
                    continue
                limits = caps[(site.name, o.name)]
                if len(limits) == 1 and limits[0] is not None:
                    limit = limits[0] if o.available is None else min(limits[0], o.available)
                    o = replace(o, available=limit)
                offerings.append(o)
            sites.append(replace(site, offerings=tuple(offerings)))
    workload_of = {w.name: w for w in scenario.workloads if isinstance(w, InferenceWorkload)}
    sites, private = _private_offerings(sites, endpoints, workload_of)
    workloads = []
    for e in endpoints:
        w = workload_of[e.workload]
        assert isinstance(w, InferenceWorkload)
        budget = w.budget_usd / H if w.budget_usd is not None else None
        if e.budget_usd_per_hour is not None:
            budget = min(budget, e.budget_usd_per_hour) if budget is not None else e.budget_usd_per_hour
        accelerators = {**w.accelerators, **private.get(e.workload, {})}
        workloads.append(replace(w, budget_usd=budget, accelerators=accelerators,
                                 filters=replace(w.filters, sites=tuple(x.site for x in e.sites))))
    budgets = [replace(b, limit_usd=b.limit_usd / H) for b in scenario.budgets
               if b.kind in (None, "inference")]
    if budget_usd_per_hour is not None:
        budgets.append(Budget("autoscale-hourly", budget_usd_per_hour))
    return replace(scenario, sites=tuple(sites), workloads=tuple(workloads), budgets=tuple(budgets),
                   horizon_hours=1.0)


Profiles = dict[str, dict[str, ServiceProfile]]  # workload -> accelerator key -> profile


def _private_offerings(sites: Sequence[Site], endpoints: Sequence[EndpointSpec],
                       workloads: Mapping[str, InferenceWorkload]) -> tuple[list[Site], Profiles]:
    """Give the offerings of each site where an endpoint could use another's offering
    private accelerator keys; return the sites and, per workload, the keys' profiles."""
    users: dict[tuple[str, str], list[str]] = {}  # (site, offering) -> endpoints using it
    for e in endpoints:
        for spec in e.sites:
            users.setdefault((spec.site, spec.offering), []).append(e.workload)
    private: Profiles = {}
    out: list[Site] = []
    for site in sites:
        here = [e.workload for e in endpoints if any(x.site == site.name for x in e.sites)]
        clash = any(o.speed_key in workloads[name].accelerators
                    and name not in users.get((site.name, o.name), [])
                    for o in site.offerings for name in here)
        if not clash:
            out.append(site)
            continue
        offerings = []
        for o in site.offerings:
            key = f"{o.speed_key}@{site.name}/{o.name}"
            for name in users.get((site.name, o.name), []):
                profile = workloads[name].accelerators[o.speed_key]
                private.setdefault(name, {})[key] = ServiceProfile(profile.rps * o.units, profile.latency_ms)
            offerings.append(replace(o, accelerator=key, accelerator_count=1))
        out.append(replace(site, offerings=tuple(offerings)))
    return out, private
