"""Scenario file -> validated, frozen :class:`~tierplan.model.Scenario`.

Errors are :class:`~tierplan.errors.ScenarioError` naming the file, the path inside it
(``workloads[1].latency_slo_ms``) and what to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from . import schema as s
from .errors import ScenarioError, ScenarioErrors
from .model import (
    CPU,
    Budget,
    Client,
    Dataset,
    Filters,
    InferenceWorkload,
    Location,
    Network,
    Offering,
    Period,
    Scenario,
    ServiceProfile,
    Site,
    TrainingWorkload,
    Workload,
)
from .periods import as_utc, hours_since, make_periods
from .providers.base import CatalogRow
from .providers.catalog import (
    CANONICAL_ACCELERATORS,
    bundled_catalog,
    canonical_accelerator,
    filter_rows,
    group_sites,
    read_catalog,
)
from .providers.edge import edge_spot_error
from .providers.locate import known_clouds
from .providers.onprem import HOURS_PER_YEAR
from .validation import did_you_mean, read_yaml, validate

__all__ = ["load_scenario", "parse_scenario", "read_yaml"]

T = TypeVar("T")


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file."""
    return parse_scenario(read_yaml(path), str(path))


def parse_scenario(data: Any, file: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML data (a mapping) and build the domain model."""
    raw = validate(s.ScenarioIn, data, file, "expected a mapping with at least 'name' and 'workloads'")
    return _Builder(raw, file).build()


# ---------------------------------------------------------------------------- building


class _Builder:
    """Checks names and references, then converts the schema objects to the domain model."""

    def __init__(self, raw: s.ScenarioIn, file: str) -> None:
        self.raw = raw
        self.file = file
        self.start = as_utc(raw.start) if raw.start is not None else None
        self.periods: tuple[Period, ...] = ()
        self.problems: list[ScenarioError] = []

    def fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.file, path, message)

    def unique(self, items: Sequence[Any], where: str) -> dict[str, int]:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.name in seen:
                self.problems.append(self.fail(
                    f"{where}[{i}].name",
                    f"{item.name!r} is already used by {where}[{seen[item.name]}]; names must be unique",
                ))
                continue
            seen[item.name] = i
        return seen

    def gather(self, check: Callable[[], T]) -> T | None:
        """Runs one check that does not depend on the others, keeping its problem so the
        rest still run: a file with several mistakes gets them all in one answer."""
        try:
            return check()
        except ScenarioErrors as exc:
            self.problems.extend(exc.problems)
        except ScenarioError as exc:
            self.problems.append(exc)
        return None

    def settle(self) -> None:
        """Raises what :meth:`gather` and :meth:`unique` kept, if anything."""
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise ScenarioErrors(self.problems)

    def known(self, name: str, names: Mapping[str, int], path: str, what: str) -> None:
        if name not in names:
            hint = did_you_mean(name, names)
            extra = f" (did you mean {hint!r}?)" if hint else f"; known {what}s: {_listing(names)}"
            raise self.fail(path, f"unknown {what} {name!r}{extra}")

    def build(self) -> Scenario:
        raw = self.raw
        if raw.periods == "month" and self.start is None:
            raise self.fail("periods", "month needs start (the date of hour 0, e.g. "
                                       "start: 2027-01-01); or give a duration such as 7d")
        try:
            self.periods = make_periods(raw.horizon_hours, raw.periods, self.start)
        except ValueError as exc:
            raise self.fail("periods", str(exc)) from None
        site_ix = self.unique(raw.sites, "sites")
        client_ix = self.unique(raw.clients, "clients")
        dataset_ix = self.unique(raw.datasets, "datasets")
        self.unique(raw.workloads, "workloads")
        self.unique(raw.budgets, "budgets")
        inline = tuple(x for x in (self.gather(partial(self.site, i, site))
                                   for i, site in enumerate(raw.sites)) if x is not None)
        # Catalog sites come after the inline ones; an inline site with the same name
        # replaces the catalog site entirely (the way to correct or extend a region).
        from_catalog = tuple(c for c in self.gather(self.catalog_sites) or ()
                             if c.name not in site_ix)
        if not inline and not from_catalog and not self.problems:
            raise self.fail("sites", "the scenario has no sites; add at least one under 'sites' "
                                     "or take them from a catalog (catalog: {source: bundled})")
        sites = inline + from_catalog
        site_ix = {**site_ix, **{c.name: -1 for c in from_catalog}}
        measured: dict[tuple[str, str], float] = {}
        for i, lat in enumerate(raw.network.latency_ms):
            path = f"network.latency_ms[{i}]"
            self.gather(partial(self.known, lat.client, client_ix, f"{path}.client", "client"))
            self.gather(partial(self.known, lat.site, site_ix, f"{path}.site", "site"))
            measured[(lat.client, lat.site)] = lat.ms
        self.gather(partial(self.check_locations, measured))
        datasets = []
        for i, d in enumerate(raw.datasets):
            self.gather(partial(self.known, d.site, site_ix, f"datasets[{i}].site", "site"))
            datasets.append(Dataset(d.name, d.size_gb, d.site, _codes(d.jurisdictions)))
        workloads = tuple(w for w in (
            self.gather(partial(self.workload, i, w, site_ix, client_ix, dataset_ix))
            for i, w in enumerate(raw.workloads)) if w is not None)
        self.settle()
        if not workloads:
            raise self.fail("workloads", "the scenario has no workloads; add at least one")
        budgets = tuple(
            Budget(b.name, b.limit_usd, b.team, b.tier, b.provider, b.kind, b.per_period)
            for b in raw.budgets
        )
        return Scenario(
            name=raw.name,
            sites=sites,
            workloads=workloads,
            clients=tuple(
                Client(c.name, _loc(c.location), c.jurisdiction and c.jurisdiction.upper())
                for c in raw.clients
            ),
            datasets=tuple(datasets),
            budgets=budgets,
            network=Network(raw.network.base_ms, raw.network.ms_per_km, measured),
            horizon_hours=raw.horizon_hours,
            objective=raw.objective,
            source=self.file,
            start=self.start,
            periods=self.periods,
            owned_cost=raw.owned_cost,
        )

    def site(self, i: int, site: s.SiteIn) -> Site:
        self.unique(site.offerings, f"sites[{i}].offerings")
        offerings = []
        for j, o in enumerate(site.offerings):
            path = f"sites[{i}].offerings[{j}]"
            count = o.accelerator_count if o.accelerator_count is not None else (
                1 if o.accelerator else 0
            )
            if o.accelerator and count == 0:
                raise self.fail(f"{path}.accelerator_count", "must be at least 1 with an accelerator")
            if not o.accelerator and o.vcpus <= 0:
                raise self.fail(f"{path}.vcpus", "a CPU-only offering needs vcpus > 0")
            usd_per_hour, fixed = self.offering_price(site, o, path)
            offerings.append(
                Offering(
                    name=o.name,
                    usd_per_hour=usd_per_hour,
                    accelerator=o.accelerator,
                    accelerator_count=count,
                    vcpus=o.vcpus,
                    memory_gib=o.memory_gib,
                    spot_usd_per_hour=o.spot_usd_per_hour,
                    available=o.available,
                    fixed_usd_per_hour=fixed,
                    buy_max=o.buy.max if o.buy else 0,
                    buy_lead_hours=o.buy.lead_time_hours if o.buy else 0.0,
                )
            )
        return Site(
            name=site.name,
            tier=site.tier,
            offerings=tuple(offerings),
            provider=site.provider,
            region=site.region,
            location=_loc(site.location),
            jurisdiction=site.jurisdiction.upper() if site.jurisdiction else None,
            egress_usd_per_gb=site.egress_usd_per_gb,
            bandwidth_gbps=site.bandwidth_gbps,
        )

    def offering_price(self, site: s.SiteIn, o: s.OfferingIn, path: str,
                       ) -> tuple[float, float | None]:
        """(usd_per_hour of an instance-hour used, fixed_usd_per_hour when owned).

        Owned hardware (SPEC 5.1, 5.3) has ``amortized`` or ``fixed_usd_per_hour``; an
        instance-hour used then costs its power under ``owned_cost: sunk`` and power plus
        fixed under ``amortised`` (version 1's price)."""
        if site.tier == "edge" and (message := edge_spot_error(o)):
            raise self.fail(f"{path}.spot_usd_per_hour", message)
        owned = o.amortized is not None or o.fixed_usd_per_hour is not None
        if not owned:
            if o.buy is not None:
                raise self.fail(f"{path}.buy", "only owned hardware can be bought: give the "
                                               "offering an amortized block or fixed_usd_per_hour")
            if o.usd_per_hour is None:
                raise self.fail(f"{path}.usd_per_hour", "this field is required (or, for onprem and "
                                                         "edge hardware, an amortized block)")
            return o.usd_per_hour, None
        which = "amortized" if o.amortized is not None else "fixed_usd_per_hour"
        if o.amortized is not None and o.fixed_usd_per_hour is not None:
            raise self.fail(f"{path}.fixed_usd_per_hour", "give either amortized or "
                                                          "fixed_usd_per_hour, not both")
        if o.amortized is not None and o.usd_per_hour is not None:
            raise self.fail(f"{path}.amortized", "give either usd_per_hour or amortized, not both")
        if site.tier == "cloud":
            raise self.fail(f"{path}.{which}", "owned pricing is for owned hardware (tiers "
                                               "onprem and edge); cloud offerings take usd_per_hour")
        if o.spot_usd_per_hour is not None:
            raise self.fail(f"{path}.spot_usd_per_hour", "owned hardware has no spot price; "
                                                         "remove spot_usd_per_hour")
        if o.available is None:
            raise self.fail(f"{path}.available", "owned hardware needs available: how many "
                                                 "instances are owned (0 allowed with buy)")
        if o.buy is not None:
            if self.raw.owned_cost == "amortised":
                raise self.fail(f"{path}.buy", "buying needs owned_cost: sunk (under amortised "
                                               "owned hardware has no committed cost to weigh)")
            if o.buy.lead_time_hours >= self.raw.horizon_hours:
                raise self.fail(f"{path}.buy.lead_time_hours",
                                f"{o.buy.lead_time_hours:g} h is not before the end of the "
                                f"horizon ({self.raw.horizon_hours:g} h): bought units would "
                                "never arrive")
        if o.amortized is not None:
            a = o.amortized
            fixed = a.purchase_usd / (a.lifetime_years * HOURS_PER_YEAR) + (
                a.ops_usd_per_year / HOURS_PER_YEAR)
            power = a.power_kw * a.pue * a.electricity_usd_per_kwh
            if fixed + power <= 0:
                raise self.fail(f"{path}.amortized", "works out to $0/h: give the purchase price, power "
                                                      "draw and electricity price or the yearly ops cost")
        else:
            assert o.fixed_usd_per_hour is not None
            fixed, power = o.fixed_usd_per_hour, o.usd_per_hour or 0.0
        if self.raw.owned_cost == "amortised":
            return fixed + power, fixed
        return power, fixed

    def catalog_sites(self) -> list[Site]:
        """Cloud sites from ``catalog`` (SPEC section 1), filtered to what the scenario asks.

        Default accelerator filter: the accelerator names the workloads can use (``cpu``
        included), so a catalog only adds offerings some workload could run on.
        """
        spec = self.raw.catalog
        if spec is None or spec.source == "none":
            return []
        rows = self.catalog_rows(spec)
        providers = sorted({r.provider for r in rows} | known_clouds())  # a known cloud may have no rows here
        for j, name in enumerate(spec.providers or ()):
            self.known(name.lower(), dict.fromkeys(providers, 0), f"catalog.providers[{j}]", "provider")
        rows = filter_rows(rows, providers=spec.providers)
        regions = sorted({r.region for r in rows})
        for j, name in enumerate(spec.regions or ()):
            self.known(name, dict.fromkeys(regions, 0), f"catalog.regions[{j}]", "region")
        rows = filter_rows(rows, regions=spec.regions)
        wanted: set[str] = set()
        for i, w in enumerate(self.raw.workloads):
            for key in w.accelerators:
                canon = canonical_accelerator(key)
                if key.lower() != CPU and canon != key and canon in CANONICAL_ACCELERATORS:
                    raise self.fail(f"workloads[{i}].accelerators.{key}",
                                    f"the catalog calls this accelerator {canon!r}; use that name")
                wanted.add(key)
        if spec.accelerators is not None:
            known = dict.fromkeys(sorted({r.accelerator for r in rows if r.accelerator} | {CPU}), 0)
            for j, name in enumerate(spec.accelerators):
                self.known(name if name.lower() != CPU else CPU, known, f"catalog.accelerators[{j}]",
                           "accelerator")
            wanted = set(spec.accelerators)
        rows = filter_rows(rows, accelerators=wanted)
        if not rows:
            raise self.fail("catalog", "no catalog offering matches the providers, regions and "
                                       f"accelerators asked for (accelerators: {_listing(sorted(wanted))})")
        return [_catalog_site(name, group) for name, group in group_sites(rows).items()]

    def catalog_rows(self, spec: s.CatalogIn) -> list[CatalogRow]:
        if spec.source == "bundled":
            if spec.path is not None:
                raise self.fail("catalog.path", "source: bundled takes no path (the snapshot ships "
                                                "with tierplan); use source: file for your own catalog")
            return bundled_catalog()
        if spec.path is None:
            raise self.fail("catalog.path", f"this field is required for source: {spec.source}")
        path = Path(spec.path).expanduser()
        if not path.is_absolute() and self.file and not self.file.startswith("<"):
            path = Path(self.file).parent / path
        if spec.source == "file":
            if not path.is_file():
                raise self.fail("catalog.path", f"catalog file not found: {path}")
            return read_catalog(path)
        if not path.is_dir():
            raise self.fail("catalog.path", f"SkyPilot catalog folder not found: {path}")
        from .providers.skypilot import import_skypilot  # only scenarios that use it pay for it

        return list(import_skypilot(path).rows)

    def check_locations(self, measured: Mapping[tuple[str, str], float]) -> None:
        """Every (client, site) pair needs both locations or a measured latency."""
        for i, site in enumerate(self.raw.sites):
            for j, client in enumerate(self.raw.clients):
                if (site.location and client.location) or (client.name, site.name) in measured:
                    continue
                if site.location is None:
                    path, what = f"sites[{i}].location", f"site {site.name!r}"
                    other = f"from client {client.name!r}"
                else:
                    path, what = f"clients[{j}].location", f"client {client.name!r}"
                    other = f"to site {site.name!r}"
                raise self.fail(path, f"{what} has no location and no measured latency {other}; "
                                      "give location: {lat, lon} or a network.latency_ms entry")

    def workload(
        self,
        i: int,
        w: s.TrainingIn | s.InferenceIn,
        site_ix: Mapping[str, int],
        client_ix: Mapping[str, int],
        dataset_ix: Mapping[str, int],
    ) -> Workload:
        path = f"workloads[{i}]"
        for j, name in enumerate(w.datasets):
            self.known(name, dataset_ix, f"{path}.datasets[{j}]", "dataset")
        for j, name in enumerate(w.sites or ()):
            self.known(name, site_ix, f"{path}.sites[{j}]", "site")
        filters = Filters(
            tiers=_tuple(w.tiers),
            providers=_tuple(w.providers),
            sites=_tuple(w.sites),
            jurisdictions=_codes(w.jurisdictions),
        )
        if isinstance(w, s.TrainingIn):
            deadline = self.hours(w.deadline_hours, f"{path}.deadline_hours")
            release = self.hours(w.release_hours, f"{path}.release_hours") or 0.0
            if deadline is not None and deadline <= 0:
                raise self.fail(f"{path}.deadline_hours", "must be after start (hour 0)")
            if release < 0:  # a date before start
                raise self.fail(f"{path}.release_hours",
                                f"the release (hour {release:g}) is before start (hour 0); a job "
                                "that may start at once needs no release_hours")
            if deadline is not None and release >= deadline:
                raise self.fail(f"{path}.release_hours",
                                f"the release (hour {release:g}) is not before the deadline "
                                f"(hour {deadline:g})")
            if release >= self.raw.horizon_hours:
                raise self.fail(f"{path}.release_hours",
                                f"the release (hour {release:g}) is not before the end of the "
                                f"horizon ({self.raw.horizon_hours:g} h)")
            return TrainingWorkload(
                name=w.name,
                accelerators=dict(w.accelerators),
                work_hours=w.work_hours,
                min_accelerators=w.min_accelerators,
                max_nodes=w.max_nodes,
                multi_node_efficiency=w.multi_node_efficiency,
                deadline_hours=deadline,
                release_hours=release,
                spot=w.spot,
                spot_overhead=w.spot_overhead,
                team=w.team,
                datasets=tuple(w.datasets),
                budget_usd=w.budget_usd,
                filters=filters,
            )
        if w.demand_rps is None:  # a forgotten demand would plan nothing and exit 0
            raise self.fail(f"{path}.demand_rps", "an inference workload needs its demand in requests "
                            "per second by client (demand_rps: {munich: 10}); write demand_rps: {} "
                            "to keep it without demand")
        count = len(self.periods) or 1
        series: dict[str, tuple[float, ...]] = {}
        for client, rps in w.demand_rps.items():
            self.known(client, client_ix, f"{path}.demand_rps.{client}", "client")
            if isinstance(rps, list):
                if len(rps) != count:
                    raise self.fail(f"{path}.demand_rps.{client}",
                                    f"has {len(rps)} values for {count} period"
                                    f"{'s' if count != 1 else ''}; give one rps per period "
                                    "(or one number for all)")
                if len(set(rps)) > 1:
                    series[client] = tuple(float(x) for x in rps)
        peak = {c: float(max(r) if isinstance(r, list) else r) for c, r in w.demand_rps.items()}
        demand = {c: rps for c, rps in peak.items() if rps > 0}
        default_min = 1 if demand else 0
        min_instances = w.min_instances if w.min_instances is not None else default_min
        return InferenceWorkload(
            name=w.name,
            accelerators={k: ServiceProfile(v.rps, v.latency_ms) for k, v in w.accelerators.items()},
            demand_rps=demand,
            latency_slo_ms=w.latency_slo_ms,
            max_utilization=w.max_utilization,
            min_instances=min_instances,
            min_sites=w.min_sites,
            payload_kb=w.payload_kb,
            team=w.team,
            datasets=tuple(w.datasets),
            budget_usd=w.budget_usd,
            filters=filters,
            demand_by_period={c: v for c, v in series.items() if c in demand},
        )

    def hours(self, value: float | datetime | None, path: str) -> float | None:
        """Hours from hour 0: as given, or from a date when ``start`` is set."""
        if not isinstance(value, datetime):
            return value
        if self.start is None:
            raise self.fail(path, "a date needs start (the date of hour 0, e.g. start: "
                                  "2027-01-01); or give hours")
        return hours_since(self.start, value)


def _catalog_site(name: str, rows: Sequence[CatalogRow]) -> Site:
    first = rows[0]
    return Site(
        name=name,
        tier="cloud",
        offerings=tuple(
            Offering(
                name=r.instance_type,
                usd_per_hour=r.usd_per_hour,
                accelerator=r.accelerator,
                accelerator_count=r.accelerator_count,
                vcpus=r.vcpus,
                memory_gib=r.memory_gib,
                spot_usd_per_hour=r.spot_usd_per_hour,
                available=r.available,
                price_source=r.source,
                price_as_of=r.as_of,
            )
            for r in rows
        ),
        provider=first.provider,
        region=first.region,
        location=Location(first.lat, first.lon) if first.lat is not None and first.lon is not None else None,
        jurisdiction=first.jurisdiction,
        egress_usd_per_gb=first.egress_usd_per_gb,
    )


def _loc(loc: s.LocationIn | None) -> Location | None:
    return Location(loc.lat, loc.lon) if loc else None


def _tuple(items: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(items) if items is not None else None


def _codes(items: list[str] | None) -> tuple[str, ...] | None:
    return tuple(x.upper() for x in items) if items is not None else None


def _listing(names: Iterable[str], limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "") if names else "none"
