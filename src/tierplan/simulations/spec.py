"""Simulation file -> validated, frozen :class:`Simulation`.

A simulation names a scenario file (relative paths are relative to the simulation file),
a duration and a step, the demand over time, training job arrivals, events and the
policies to compare. Errors are :class:`~tierplan.errors.ScenarioError` naming the
simulation file and the field path (``policies[1].interval``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, TierplanError
from ..model import InferenceWorkload, Scenario, TrainingWorkload
from ..scenario import load_scenario
from ..units import count_text
from ..validation import did_you_mean, read_yaml, validate
from . import schema as s
from .trust import TRUSTED, Trust, refused_object

__all__ = ["DemandSpec", "Event", "JobArrival", "PolicySpec", "Simulation", "load_simulation",
           "parse_simulation"]

MAX_STEPS = 5_000_000
MAX_JOBS = 100_000  # training arrivals per `training` entry


@dataclass(frozen=True, slots=True)
class DemandSpec:
    """Where the demand of one workload (and client, or all its clients) comes from."""

    index: int  # position in the file, for error messages
    workload: str
    client: str | None
    trace: s.TraceIn | None
    pattern: s.DiurnalIn | s.StepIn | s.SpikesIn | None
    trace_path: Path | None = None  # resolved


@dataclass(frozen=True, slots=True)
class JobArrival:
    workload: str
    at_s: float


@dataclass(frozen=True, slots=True)
class Event:
    """An outage (``start_s``..``end_s``), a price change or a preemption (at ``start_s``).

    ``series`` holds (seconds, value) points: USD per hour of a spot price series, or
    instances that exist for an availability series."""

    kind: str
    site: str
    offering: str | None = None
    start_s: float = 0.0
    end_s: float = 0.0
    usd_per_hour: float | None = None
    factor: float | None = None
    spot: bool = False
    series: tuple[tuple[float, float], ...] = ()
    bid_usd_per_hour: float | None = None


@dataclass(frozen=True, slots=True)
class PolicySpec:
    kind: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Simulation:
    name: str
    file: str
    scenario: Scenario
    duration_s: float
    step_s: float
    seed: int
    provisioning_s: Mapping[str, float]
    demand: tuple[DemandSpec, ...]
    jobs: tuple[JobArrival, ...]
    events: tuple[Event, ...]
    policies: tuple[PolicySpec, ...]
    sweep: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return math.ceil(self.duration_s / self.step_s - 1e-9)


def load_simulation(path: str | Path, trace: str | None = None, trust: Trust = TRUSTED) -> Simulation:
    """Load and validate a simulation file and the scenario it names.

    ``trace`` replaces the path of every ``trace`` demand source (command line override);
    ``trust`` says whether the file may name Python code (see :mod:`.trust`).
    """
    return parse_simulation(read_yaml(path), str(path), trace, trust)


def parse_simulation(data: Any, file: str = "<simulation>", trace: str | None = None,
                     trust: Trust = TRUSTED) -> Simulation:
    raw = validate(s.SimulationIn, data, file, "expected a mapping with at least 'name', 'scenario', "
                                               "'duration' and 'policies'")
    return _Builder(raw, file, trace, trust).build()


class _Builder:
    def __init__(self, raw: s.SimulationIn, file: str, trace: str | None, trust: Trust) -> None:
        self.raw = raw
        self.file = file
        self.trace = trace
        self.trust = trust
        self.base = Path(file).expanduser().parent

    def fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.file, path, message)

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base / p

    def build(self) -> Simulation:
        raw = self.raw
        scenario_path = self.resolve(raw.scenario)
        if not scenario_path.is_file():
            raise self.fail("scenario", f"scenario file {str(scenario_path)!r} not found")
        scenario = load_scenario(scenario_path)
        duration_s, step_s = raw.duration * 3600, raw.step * 3600
        if step_s > duration_s:
            raise self.fail("step", f"the step ({step_s:g} s) is longer than the duration ({duration_s:g} s)")
        if duration_s / step_s > MAX_STEPS:
            steps = count_text(duration_s / step_s)
            raise self.fail("step", f"{steps} steps; at most {MAX_STEPS:,} are allowed")
        names: dict[str, int] = {}
        policies = []
        for i, p in enumerate(raw.policies):
            name = p.name or p.kind
            if name in names:
                raise self.fail(f"policies[{i}].name", f"policy name {name!r} is already used by "
                                                       f"policies[{names[name]}]; give each a name")
            names[name] = i
            params = p.model_dump(exclude={"kind", "name"})
            if isinstance(p, s.PythonIn):
                self.user_policy(p, name, i)
            if isinstance(p, s.AutoscalerIn):
                params["config"] = self.autoscale_config(p, scenario, i)
            policies.append(PolicySpec(p.kind, name, params))
        return Simulation(
            name=raw.name, file=self.file, scenario=scenario, duration_s=duration_s, step_s=step_s,
            seed=raw.seed,
            provisioning_s={t: getattr(raw.provisioning, t) * 3600 for t in ("cloud", "onprem", "edge")},
            demand=self.demand(scenario), jobs=self.jobs(scenario, duration_s),
            events=self.events(scenario), policies=tuple(policies),
            sweep={k: tuple(v) for k, v in (raw.sweep.model_dump() if raw.sweep else {}).items() if v},
        )

    def autoscale_config(self, p: s.AutoscalerIn, scenario: Scenario, i: int) -> str:
        """The config's absolute path, once it loads and controls only what the scenario has."""
        from ..autoscaler.config import load_config

        path = self.resolve(p.config)
        where = f"policies[{i}].config"
        if not path.is_file():
            raise self.fail(where, f"autoscale config {str(path)!r} not found")
        try:
            config = load_config(path)
        except TierplanError as exc:
            raise self.fail(where, f"{path}: {exc}") from None
        for e in config.endpoints:
            self.workload(scenario, e.workload, where, InferenceWorkload)
            have = {(x.name, o.name) for x in scenario.sites for o in x.offerings}
            for site in e.sites:
                if (site.site, site.offering) not in have:
                    raise self.fail(where, f"{path}: endpoint {e.workload!r} controls {site.site}/"
                                           f"{site.offering}, which the simulation's scenario does not have")
        return str(path.resolve())

    def user_policy(self, p: s.PythonIn, name: str, i: int) -> None:
        """Load and build the user's policy once, so that a mistake is reported here."""
        from ..policies import Policy, load_object

        refused = refused_object(p.object, self.trust)
        if refused:
            raise self.fail(f"policies[{i}].object", refused)
        try:
            factory = load_object(p.object)
        except (ImportError, AttributeError) as exc:
            raise self.fail(f"policies[{i}].object", f"cannot load {p.object!r} ({exc})") from None
        if not callable(factory):
            raise self.fail(f"policies[{i}].object", f"{p.object!r} is not a class or function")
        try:
            built = factory(name, **p.params)
        except Exception as exc:  # the user's own code: whatever it raises is theirs to fix
            raise self.fail(f"policies[{i}].params", f"{p.object}(name, **params) failed: "
                            f"{type(exc).__name__}: {exc}") from None
        if not isinstance(built, Policy):
            raise self.fail(f"policies[{i}].object",
                            f"{p.object!r} did not build a policy: it needs a 'name', "
                            "decide(world, obs) and place_job(world, job, obs)")

    def workload(self, scenario: Scenario, name: str, path: str, kind: type) -> Any:
        found = [w for w in scenario.workloads if w.name == name]
        if not found:
            hint = did_you_mean(name, [w.name for w in scenario.workloads])
            raise self.fail(path, f"no workload {name!r} in scenario {scenario.source}"
                                  + (f" (did you mean {hint!r}?)" if hint else ""))
        if not isinstance(found[0], kind):
            what = "an inference" if kind is InferenceWorkload else "a training"
            raise self.fail(path, f"workload {name!r} is not {what} workload")
        return found[0]

    def demand(self, scenario: Scenario) -> tuple[DemandSpec, ...]:
        out = []
        seen: dict[tuple[str, str | None], int] = {}
        clients = {c.name for c in scenario.clients}
        for i, d in enumerate(self.raw.demand):
            w = self.workload(scenario, d.workload, f"demand[{i}].workload", InferenceWorkload)
            if d.client is not None and d.client not in clients:
                hint = did_you_mean(d.client, sorted(clients))
                raise self.fail(f"demand[{i}].client", f"unknown client {d.client!r}"
                                + (f" (did you mean {hint!r}?)" if hint else ""))
            if d.client is None and not any(v > 0 for v in w.demand_rps.values()):
                raise self.fail(f"demand[{i}].client", f"workload {w.name!r} has no demand_rps to split "
                                                       "over its clients: name the client")
            if (d.trace is None) == (d.pattern is None):
                raise self.fail(f"demand[{i}]", "give exactly one of 'trace' or 'pattern'")
            key = (d.workload, d.client)
            if key in seen or (d.workload, None) in seen or (d.client is None and any(
                    k[0] == d.workload for k in seen)):
                raise self.fail(f"demand[{i}]", f"the demand of {d.workload!r} is already given "
                                                "by an earlier entry")
            seen[key] = i
            trace_path = None
            if d.trace is not None:
                trace_path = Path(self.trace).expanduser() if self.trace else self.resolve(d.trace.path)
                if not trace_path.is_file():
                    raise self.fail(f"demand[{i}].trace.path", f"trace file {str(trace_path)!r} not found")
            out.append(DemandSpec(i, d.workload, d.client, d.trace, d.pattern, trace_path))
        return tuple(out)

    def jobs(self, scenario: Scenario, duration_s: float) -> tuple[JobArrival, ...]:
        out: list[JobArrival] = []
        for i, j in enumerate(self.raw.training):
            self.workload(scenario, j.workload, f"training[{i}].workload", TrainingWorkload)
            if not j.at and j.every is None:
                raise self.fail(f"training[{i}]", "give the arrival times 'at' or an interval 'every'")
            times = [t * 3600 for t in j.at]
            if j.every is not None:
                start, every = j.start * 3600, j.every * 3600
                span = (duration_s - start) / every  # may be inf for a denormal interval
                if span > MAX_JOBS:
                    raise self.fail(f"training[{i}].every", f"{count_text(span)} arrivals of "
                                    f"{j.workload!r}; at most {MAX_JOBS:,} per entry are allowed")
                times.extend(start + k * every for k in range(max(0, math.ceil(span - 1e-9))))
            out.extend(JobArrival(j.workload, t) for t in times if t < duration_s)
        return tuple(sorted(out, key=lambda a: (a.at_s, a.workload)))

    def site_offering(self, scenario: Scenario, site: str, offering: str | None, path: str) -> None:
        names = [x.name for x in scenario.sites]
        if site not in names:
            hint = did_you_mean(site, names)
            raise self.fail(f"{path}.site", f"unknown site {site!r}" + (f" (did you mean {hint!r}?)"
                                                                        if hint else ""))
        offers = [o.name for o in scenario.site(site).offerings]
        if offering is not None and offering not in offers:
            raise self.fail(f"{path}.offering", f"site {site!r} has no offering {offering!r}; "
                                                f"it has {', '.join(offers) or 'none'}")

    def events(self, scenario: Scenario) -> tuple[Event, ...]:
        from .demand import read_counts, read_spot_series  # pandas: only when a series is used

        out: list[Event] = []
        for i, e in enumerate(self.raw.events):
            path = f"events[{i}]"
            offering = getattr(e, "offering", None)
            self.site_offering(scenario, e.site, offering, path)
            if isinstance(e, s.OutageIn):
                if e.end <= e.start:
                    raise self.fail(f"{path}.end", "the outage must end after it starts")
                out.append(Event("outage", e.site, None, e.start * 3600, e.end * 3600))
            elif isinstance(e, s.PriceChangeIn):
                if (e.usd_per_hour is None) == (e.factor is None):
                    raise self.fail(path, "give exactly one of 'usd_per_hour' or 'factor'")
                out.append(Event("price_change", e.site, e.offering, e.at * 3600, e.at * 3600,
                                 e.usd_per_hour, e.factor, e.spot))
            elif isinstance(e, s.PreemptionIn):
                out.append(Event("preemption", e.site, e.offering, e.at * 3600, e.at * 3600))
            elif isinstance(e, s.AvailabilityIn):
                if (e.path is None) == (not e.points):
                    raise self.fail(path, "give exactly one of 'points' or 'path'")
                if e.path is not None:
                    file = self.resolve(e.path)
                    if not file.is_file():
                        raise self.fail(f"{path}.path", f"file {str(file)!r} not found")
                    points = read_counts(file, e.time_column, e.column, self.file, path)
                else:
                    points = [(p.at * 3600, float(p.available)) for p in e.points]
                out.append(Event("availability", e.site, e.offering, series=tuple(sorted(points))))
            else:
                file = self.resolve(e.path)
                series = read_spot_series(file, e.instance_type, e.region, e.availability_zone,
                                          self.file, path)
                if not series:
                    raise self.fail(f"{path}.instance_type", f"no rows for {e.instance_type!r}"
                                    f"{' in ' + e.region if e.region else ''} in {str(file)!r}")
                out.append(Event("spot_series", e.site, e.offering, 0.0, 0.0,
                                 series=tuple((t, p * e.scale) for t, p in series),
                                 bid_usd_per_hour=e.bid_usd_per_hour))
        return tuple(out)
