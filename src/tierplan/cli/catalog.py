"""`tierplan catalog offerings|gpus|sites|refresh`: look at the price catalog, or refresh it.

The source is the bundled snapshot unless ``--catalog PATH`` (a catalog CSV, e.g. one
written by ``tierplan catalog refresh``) or ``--skypilot DIR`` (a SkyPilot catalog folder
of ``<cloud>/vms.csv``) says otherwise. ``--provider``, ``--region`` and ``--accelerator``
may be repeated or given comma-separated; a value the catalog does not know is an error
(exit 2) naming the option, with the closest known value.
"""

from __future__ import annotations

import difflib
import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from ..providers.base import CatalogRow
from ..providers.catalog import bundled_catalog, canonical_accelerator, filter_rows, read_catalog, site_name
from ..providers.locate import known_clouds
from .common import EXIT_ERROR, EXIT_INPUT, echo_tables, fail, say

__all__ = ["catalog"]

FORMATS = ("table", "json", "csv")
Column = tuple[str, str, Callable[[Any], str]]  # key, heading, table formatter


def _money(v: float | None) -> str:
    return "-" if v is None else f"${v:,.4f}" if v < 10 else f"${v:,.2f}"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def _text(v: object) -> str:
    return "-" if v is None or v == "" else str(v)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _split(values: Iterable[str]) -> list[str] | None:
    out = [part.strip() for v in values for part in v.split(",") if part.strip()]
    return out or None


def _load(catalog_opt: str, skypilot_dir: str | None) -> list[CatalogRow]:
    if skypilot_dir is not None:
        if catalog_opt != "bundled":
            fail("give either --catalog or --skypilot, not both", EXIT_INPUT)
        if not Path(skypilot_dir).expanduser().is_dir():
            fail(f"--skypilot: folder not found: {skypilot_dir}", EXIT_INPUT)
        from ..providers.skypilot import import_skypilot

        imported = import_skypilot(skypilot_dir)
        for note in imported.notes:
            say(f"tierplan: note: {note}")
        return list(imported.rows)
    if catalog_opt == "bundled":
        return bundled_catalog()
    if not Path(catalog_opt).expanduser().is_file():
        fail(f"--catalog: file not found: {catalog_opt} (give 'bundled' or a catalog CSV file)", EXIT_INPUT)
    return read_catalog(Path(catalog_opt).expanduser())


def _check(option: str, wanted: Sequence[str] | None, known: Iterable[str], fold: bool = False) -> None:
    known_list = sorted(set(known))
    lookup = {k.lower(): k for k in known_list} if fold else {k: k for k in known_list}
    for value in wanted or ():
        if (value.lower() if fold else value) in lookup:
            continue
        close = difflib.get_close_matches(value, known_list, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known_list[:12])}"
        fail(f"{option}: unknown value {value!r}{hint}", EXIT_INPUT)


def _select(rows: list[CatalogRow], providers: Sequence[str] | None, regions: Sequence[str] | None,
            accelerators: Sequence[str] | None) -> list[CatalogRow]:
    _check("--provider", providers, {r.provider for r in rows} | known_clouds(), fold=True)
    present = {r.provider.lower() for r in rows}
    for name in providers or ():
        if name.lower() not in present:
            say(f"tierplan: note: this catalog has no offering from {name!r}; for the clouds "
                "in SkyPilot's catalogs use --skypilot DIR")
    rows = filter_rows(rows, providers=providers)
    _check("--region", regions, (r.region for r in rows))
    rows = filter_rows(rows, regions=regions)
    if accelerators is not None:  # the catalog's own names: a100-80gb -> A100-80GB, CPU -> cpu
        accelerators = ["cpu" if a.lower() == "cpu" else canonical_accelerator(a) for a in accelerators]
    _check("--accelerator", accelerators, [r.accelerator for r in rows if r.accelerator] + ["cpu"])
    return filter_rows(rows, accelerators=accelerators)


def _emit(records: list[dict[str, Any]], columns: Sequence[Column], fmt: str, title: str,
          wide: bool = False) -> None:
    if fmt == "json":
        click.echo(json.dumps(records, indent=2))
        return
    if fmt == "csv":
        from ..reports.safe import csv_text

        click.echo(csv_text([c[0] for c in columns], records), nl=False)
        return
    from ..reports.tables import TableData

    numeric = frozenset(i for i, (key, _, _) in enumerate(columns) if key.endswith(_NUMERIC))
    cells = tuple(tuple(fmt_cell(record[key]) for key, _, fmt_cell in columns) for record in records)
    echo_tables([TableData(title, tuple(c[1] for c in columns), cells, numeric,
                           levels=tuple(_LEVELS.get(key, 0) for key, _, _ in columns))], wide)

_NUMERIC = ("usd_per_hour", "usd_per_gb", "gib", "count", "vcpus", "lat", "lon", "offerings",
            "per_accelerator")
# On a narrow terminal, the columns that give way first (highest first); 0 always shows.
_LEVELS = {"source": 9, "as_of": 9, "lat": 5, "lon": 5, "memory_gib": 4, "vcpus": 4,
           "egress_usd_per_gb": 3, "accelerator_memory_gib": 2, "accelerator_count": 1,
           "jurisdiction": 1, "spot_usd_per_hour": 2, "usd_per_hour": 0, "offerings": 1}


_source_options = [
    click.option("--provider", "providers", multiple=True, help="aws, gcp, azure, ... (repeatable)."),
    click.option("--region", "regions", multiple=True, help="Region name, e.g. us-east-1 (repeatable)."),
    click.option("--accelerator", "accelerators", multiple=True,
                 help="Accelerator name, e.g. H100, or cpu (repeatable)."),
    click.option("--catalog", "catalog_opt", default="bundled", show_default=True, metavar="bundled|PATH",
                 help="The bundled snapshot or a catalog CSV file (from `catalog refresh`)."),
    click.option("--skypilot", "skypilot_dir", metavar="DIR", type=click.Path(file_okay=False),
                 help="Read a SkyPilot catalog folder of <cloud>/vms.csv instead."),
    click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                 help="Output format."),
    click.option("--wide", is_flag=True, help="On a terminal, show every column in full."),
]


def _with_source_options(fn: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_source_options):
        fn = option(fn)
    return fn


@click.group("catalog")
def catalog() -> None:
    """Offerings, GPUs and sites from the price catalog (like `sky show-gpus`)."""


@catalog.command("offerings")
@_with_source_options
def offerings_cmd(providers: tuple[str, ...], regions: tuple[str, ...], accelerators: tuple[str, ...],
                  catalog_opt: str, skypilot_dir: str | None, fmt: str, wide: bool) -> None:
    """Every priced instance type, cheapest first within each region."""
    rows = _select(_load(catalog_opt, skypilot_dir), _split(providers), _split(regions), _split(accelerators))
    rows.sort(key=lambda r: (r.provider, r.region, r.usd_per_hour, r.instance_type))
    records = [{**r.__dict__} for r in rows]
    columns: list[Column] = [
        ("provider", "provider", _text), ("region", "region", _text),
        ("instance_type", "instance type", _text), ("accelerator", "accelerator", _text),
        ("accelerator_count", "count", _num), ("accelerator_memory_gib", "GPU GiB", _num),
        ("vcpus", "vCPUs", _num), ("memory_gib", "mem GiB", _num),
        ("usd_per_hour", "$/h", _money), ("spot_usd_per_hour", "spot $/h", _money),
        ("jurisdiction", "jur.", _text), ("egress_usd_per_gb", "egress $/GB", _money),
        ("source", "source", _text), ("as_of", "as of", _text),
    ]
    if fmt != "table":
        columns += [("available", "available", _num), ("lat", "lat", _num), ("lon", "lon", _num)]
    _emit(records, columns, fmt, _count(len(records), "offering"), wide)


@catalog.command("gpus")
@_with_source_options
def gpus_cmd(providers: tuple[str, ...], regions: tuple[str, ...], accelerators: tuple[str, ...],
             catalog_opt: str, skypilot_dir: str | None, fmt: str, wide: bool) -> None:
    """Per accelerator and region, the instance type with the cheapest price per accelerator-hour."""
    rows = _select(_load(catalog_opt, skypilot_dir), _split(providers), _split(regions), _split(accelerators))
    best: dict[tuple[str, str, str], CatalogRow] = {}
    for r in rows:
        if not r.accelerator or r.accelerator_count <= 0:  # per-GPU price needs a count
            continue
        key = (r.accelerator, r.provider, r.region)
        old = best.get(key)
        if old is None or r.usd_per_hour / r.accelerator_count < old.usd_per_hour / old.accelerator_count:
            best[key] = r
    spot_best: dict[tuple[str, str, str], float] = {}
    for r in rows:
        if r.accelerator and r.accelerator_count > 0 and r.spot_usd_per_hour is not None:
            key = (r.accelerator, r.provider, r.region)
            per = r.spot_usd_per_hour / r.accelerator_count
            spot_best[key] = min(per, spot_best.get(key, per))
    records = [{
        "accelerator": k[0], "provider": k[1], "region": k[2], "instance_type": r.instance_type,
        "accelerator_count": r.accelerator_count, "accelerator_memory_gib": r.accelerator_memory_gib,
        "usd_per_hour": r.usd_per_hour,
        "usd_per_accelerator_hour": round(r.usd_per_hour / r.accelerator_count, 6),
        "spot_usd_per_accelerator_hour": (round(spot_best[k], 6) if k in spot_best else None),
        "jurisdiction": r.jurisdiction,
    } for k, r in best.items()]
    records.sort(key=lambda d: (d["accelerator"], d["usd_per_accelerator_hour"], d["provider"], d["region"]))
    columns: list[Column] = [
        ("accelerator", "accelerator", _text), ("provider", "provider", _text), ("region", "region", _text),
        ("instance_type", "cheapest instance", _text), ("accelerator_count", "count", _num),
        ("accelerator_memory_gib", "GPU GiB", _num), ("usd_per_hour", "$/h", _money),
        ("usd_per_accelerator_hour", "$/GPU-h", _money),
        ("spot_usd_per_accelerator_hour", "spot $/GPU-h", _money), ("jurisdiction", "jur.", _text),
    ]
    _emit(records, columns, fmt, _count(len({r["accelerator"] for r in records}), "accelerator"), wide)


@catalog.command("sites")
@_with_source_options
def sites_cmd(providers: tuple[str, ...], regions: tuple[str, ...], accelerators: tuple[str, ...],
              catalog_opt: str, skypilot_dir: str | None, fmt: str, wide: bool) -> None:
    """Regions with offerings: site name, location, jurisdiction, internet egress."""
    rows = _select(_load(catalog_opt, skypilot_dir), _split(providers), _split(regions), _split(accelerators))
    sites: dict[str, dict[str, Any]] = {}
    for r in rows:
        site = sites.setdefault(site_name(r), {
            "site": site_name(r), "provider": r.provider, "region": r.region, "lat": r.lat, "lon": r.lon,
            "jurisdiction": r.jurisdiction, "egress_usd_per_gb": r.egress_usd_per_gb, "offerings": 0,
            "accelerators": set(),
        })
        site["offerings"] += 1
        site["accelerators"].add(r.accelerator or "cpu")
    records = [{**s, "accelerators": " ".join(sorted(s["accelerators"]))} for s in sites.values()]
    records.sort(key=lambda d: d["site"])
    columns: list[Column] = [
        ("site", "site", _text), ("provider", "provider", _text), ("region", "region", _text),
        ("lat", "lat", _num), ("lon", "lon", _num), ("jurisdiction", "jur.", _text),
        ("egress_usd_per_gb", "egress $/GB", _money), ("offerings", "offerings", _num),
        ("accelerators", "accelerators", _text),
    ]
    _emit(records, columns, fmt, _count(len(records), "site"), wide)


@catalog.command("refresh")
@click.option("--provider", type=click.Choice(["aws", "gcp", "azure"]), required=True,
              help="The cloud whose prices to fetch (its SDK and credentials).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Catalog CSV to write.")
@click.option("--region", "regions", multiple=True, help="Only these regions (repeatable).")
def refresh_cmd(provider: str, output: str | None, regions: tuple[str, ...]) -> None:
    """Fetch live prices with the cloud's SDK and write a catalog CSV (read-only calls)."""
    module_name = "tierplan.providers.refresh"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            fail(f"catalog refresh needs the package {exc.name!r}: pip install 'tierplan[{provider}]'",
                 EXIT_ERROR)
        fail("catalog refresh is not available in this build (tierplan.providers.refresh is "
             "missing); use the bundled catalog or --catalog FILE", EXIT_ERROR)
    path = module.run_refresh(provider, output, _split(regions))
    say(f"wrote {path}")


from .catalog_diff import diff_cmd  # noqa: E402  (it builds on the helpers above)

catalog.add_command(diff_cmd)
