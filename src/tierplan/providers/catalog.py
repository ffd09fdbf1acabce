"""The price catalog: read and write catalog CSV files, load the bundled snapshot and regions.

Catalog CSV format (the bundled snapshot, ``tierplan catalog refresh`` output and
``catalog: {source: file}`` all use it): UTF-8, a header row that is exactly
``CATALOG_COLUMNS`` (see ``providers/base.py``) and one row per (provider, region,
instance type). An empty cell means ``None`` (no accelerator, no spot price, unlimited
availability, unknown accelerator memory, unknown location or jurisdiction). Numbers are
plain decimals (``accelerator_count`` may be a fraction for a shared GPU); ``as_of`` is
the ISO date of the price.

Regions file (``providers/data/regions.csv``): ``provider,region,lat,lon,jurisdiction,
egress_usd_per_gb,source,as_of``, one row per cloud region.

The standard ``csv`` module is used instead of pandas on purpose: the whole bundled
catalog loads in a few milliseconds, while importing pandas alone costs about half a
second (bench/bench_catalog.py prints both).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..files import read_text, write_atomic
from .base import CATALOG_COLUMNS, CatalogRow, Region

__all__ = [
    "REGION_COLUMNS",
    "bundled_catalog",
    "load_regions",
    "parse_catalog",
    "read_catalog",
    "write_catalog",
]

REGION_COLUMNS: tuple[str, ...] = (
    "provider", "region", "lat", "lon", "jurisdiction", "egress_usd_per_gb", "source", "as_of",
)
"""Column order of ``providers/data/regions.csv``."""

_BUNDLED = "catalog.csv"
_REGIONS = "regions.csv"


# --- cell parsers: each raises ValueError with a message the user can act on -------------

def _text(cell: str) -> str:
    if not cell.strip():
        raise ValueError("must not be empty")
    return cell.strip()


def _date(cell: str) -> str:
    try:
        return date.fromisoformat(cell.strip()).isoformat()
    except ValueError:
        raise ValueError(f"expected an ISO date such as 2026-06-18, got {cell!r}") from None


def _opt_text(cell: str) -> str | None:
    return cell.strip() or None


def _number(cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"expected a number, got {cell!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"expected a finite number >= 0, got {cell!r}")
    return value


def _opt_number(cell: str) -> float | None:
    return _number(cell) if cell.strip() else None


def _count(cell: str) -> int:
    value = _number(cell)
    if value != int(value):
        raise ValueError(f"expected a whole number, got {cell!r}")
    return int(value)


def _gpu_count(cell: str) -> float:
    """A whole number, or a fraction for a shared GPU (0.25); whole counts stay ints."""
    value = _number(cell)
    return int(value) if value.is_integer() else value


def _opt_count(cell: str) -> int | None:
    return _count(cell) if cell.strip() else None


def _latitude(cell: str) -> float:
    value = float(cell) if _is_float(cell) else math.nan
    if not -90 <= value <= 90:
        raise ValueError(f"expected a latitude in [-90, 90], got {cell!r}")
    return value


def _longitude(cell: str) -> float:
    value = float(cell) if _is_float(cell) else math.nan
    if not -180 <= value <= 180:
        raise ValueError(f"expected a longitude in [-180, 180], got {cell!r}")
    return value


def _jurisdiction(cell: str) -> str:
    code = cell.strip()
    if len(code) != 2 or not code.isalpha() or not code.isupper():
        raise ValueError(f"expected an ISO 3166-1 alpha-2 code such as DE, got {cell!r}")
    return code


def _opt_latitude(cell: str) -> float | None:
    return _latitude(cell) if cell.strip() else None


def _opt_longitude(cell: str) -> float | None:
    return _longitude(cell) if cell.strip() else None


def _opt_jurisdiction(cell: str) -> str | None:
    return _jurisdiction(cell) if cell.strip() else None


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


_ROW_PARSERS: dict[str, Callable[[str], Any]] = {
    "provider": _text,
    "region": _text,
    "instance_type": _text,
    "vcpus": _number,
    "memory_gib": _number,
    "accelerator": _opt_text,
    "accelerator_count": _gpu_count,
    "accelerator_memory_gib": _opt_number,
    "usd_per_hour": _number,
    "spot_usd_per_hour": _opt_number,
    "available": _opt_count,
    "lat": _opt_latitude,
    "lon": _opt_longitude,
    "jurisdiction": _opt_jurisdiction,
    "egress_usd_per_gb": _number,
    "source": _text,
    "as_of": _date,
}
assert tuple(_ROW_PARSERS) == CATALOG_COLUMNS


def _records(text: str, file: str, columns: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    """(line number, cells by column) for each data row; the header must be ``columns``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ScenarioError(file, "line 1", f"empty file; expected the header {','.join(columns)}") from None
    if tuple(h.strip() for h in header) != tuple(columns):
        missing = [c for c in columns if c not in header]
        extra = [h for h in header if h not in columns]
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing)}")
        if extra:
            detail.append(f"unknown {', '.join(extra)}")
        if not detail:
            detail.append("columns out of order")
        raise ScenarioError(
            file, "line 1", f"bad header ({'; '.join(detail)}); expected {','.join(columns)}"
        )
    for cells in reader:
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            raise ScenarioError(
                file, f"line {line}", f"expected {len(columns)} cells, found {len(cells)}"
            )
        yield line, dict(zip(columns, cells, strict=True))


def _parse(
    cells: dict[str, str], parsers: dict[str, Callable[[str], Any]], file: str, line: int
) -> list[Any]:
    values = []
    for column, parse in parsers.items():
        try:
            values.append(parse(cells[column]))
        except ValueError as exc:
            raise ScenarioError(file, f"line {line}, column {column}", str(exc)) from None
    return values


def parse_catalog(text: str, file: str = "<catalog>") -> list[CatalogRow]:
    """Rows of a catalog CSV given as text; errors name ``file``, the line and the column."""
    rows: list[CatalogRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in _records(text, file, CATALOG_COLUMNS):
        row = CatalogRow(*_parse(cells, _ROW_PARSERS, file, line))
        if (row.accelerator is None) != (row.accelerator_count == 0):
            raise ScenarioError(
                file, f"line {line}, column accelerator_count",
                "must be 0 exactly when the accelerator cell is empty",
            )
        if (row.lat is None) != (row.lon is None):
            raise ScenarioError(file, f"line {line}, column {'lat' if row.lat is None else 'lon'}",
                                "give both lat and lon, or leave both empty when the location is unknown")
        if row.spot_usd_per_hour is not None and row.spot_usd_per_hour == 0:
            # base.py: a missing spot price is None, never 0 (0 would be free compute).
            raise ScenarioError(file, f"line {line}, column spot_usd_per_hour",
                                "a spot price of 0 is not allowed; leave the cell empty when unknown")
        key = (row.provider, row.region, row.instance_type)
        if key in seen:
            raise ScenarioError(
                file, f"line {line}, column instance_type",
                f"duplicate offering {'/'.join(key)} (first at line {seen[key]})",
            )
        seen[key] = line
        rows.append(row)
    return rows


def read_catalog(path: str | os.PathLike[str]) -> list[CatalogRow]:
    """Read a catalog CSV file (format in the module docstring).

    Raises ScenarioError naming the file (and line and column) when the file is missing,
    unreadable or malformed.
    """
    return parse_catalog(read_text(path, "catalog file"), str(path))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    return str(value)


def format_catalog(rows: Iterable[CatalogRow]) -> str:
    """The CSV text of ``rows`` (header first), the inverse of ``parse_catalog``."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CATALOG_COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in astuple(row)])
    return out.getvalue()


def write_catalog(path: str | os.PathLike[str], rows: Iterable[CatalogRow]) -> Path:
    """Write ``rows`` as a catalog CSV, atomically: a temp file in the same folder, then
    ``os.replace``, so a reader never sees half a catalog. Returns the path written."""
    target = Path(path)
    write_atomic(target, format_catalog(rows))
    return target


def _data_text(name: str) -> tuple[str, str]:
    """(text, display name) of a package data file under ``providers/data``.

    Read next to this module rather than through importlib.resources, which costs more to
    import than the whole catalog takes to parse; the package is installed unzipped.
    """
    text = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
    return text, f"tierplan/providers/data/{name}"


_REGION_PARSERS: dict[str, Callable[[str], Any]] = {
    "provider": _text,
    "region": _text,
    "lat": _latitude,
    "lon": _longitude,
    "jurisdiction": _jurisdiction,
    "egress_usd_per_gb": _number,
    "source": _text,
    "as_of": _text,
}


def parse_regions(text: str, file: str = "<regions>") -> dict[tuple[str, str], Region]:
    """Regions keyed by (provider, region) from the regions CSV text."""
    regions: dict[tuple[str, str], Region] = {}
    for line, cells in _records(text, file, REGION_COLUMNS):
        provider, region, lat, lon, code, egress, _source, _as_of = _parse(cells, _REGION_PARSERS, file, line)
        if (provider, region) in regions:
            raise ScenarioError(file, f"line {line}, column region", f"duplicate region {provider}/{region}")
        regions[(provider, region)] = Region(provider, region, lat, lon, code, egress)
    return regions


@cache
def load_regions() -> dict[tuple[str, str], Region]:
    """The bundled regions (``providers/data/regions.csv``) by (provider, region).

    Cached: callers must not mutate the returned dict.
    """
    text, name = _data_text(_REGIONS)
    return parse_regions(text, name)


@cache
def _bundled() -> tuple[CatalogRow, ...]:
    text, name = _data_text(_BUNDLED)
    return tuple(parse_catalog(text, name))


def bundled_catalog() -> list[CatalogRow]:
    """The bundled price snapshot (``providers/data/catalog.csv``), parsed once per process."""
    return list(_bundled())


# --- accelerator names ----------------------------------------------------------------

CANONICAL_ACCELERATORS: tuple[str, ...] = (
    "T4", "T4g", "L4", "A10", "A10G", "L40S", "V100", "V100-32GB", "A100", "A100-80GB",
    "H100", "H200", "GH200", "B200", "B300", "GB200", "MI300X", "A6000", "RTX6000",
    "Jetson-AGX-Orin", "Jetson-Orin-NX", "Jetson-Orin-Nano",
)
"""Names the catalog uses; a workload's ``accelerators`` keys must use the same names."""

_ALIASES: dict[str, str] = {
    **{name.lower().replace("-", ""): name for name in CANONICAL_ACCELERATORS},
    "nvidiat4": "T4", "teslat4": "T4", "nvidiateslat4": "T4",
    "nvidial4": "L4", "nvidiaa10g": "A10G", "nvidiaa10": "A10", "nvidial40s": "L40S",
    "teslav100": "V100", "nvidiateslav100": "V100", "v10016gb": "V100",
    "a10040gb": "A100", "nvidiaa100": "A100", "nvidiateslaa100": "A100", "a100sxm440gb": "A100",
    "nvidiaa10080gb": "A100-80GB", "a10080gbsxm": "A100-80GB",
    "nvidiah100": "H100", "nvidiah10080gb": "H100", "h10080gb": "H100", "h100sxm": "H100",
    "h100mega": "H100", "nvidiah100mega80gb": "H100",  # same chip, faster interconnect
    "nvidiah200": "H200", "nvidiah200141gb": "H200", "h200141gb": "H200",
    "nvidiab200": "B200", "nvidiagh200": "GH200", "nvidiagh200gracehopper": "GH200",
    # Lambda's workstation GPUs, as SkyPilot names them: RTX A6000 (Ampere, 48 GB) and Quadro
    # RTX 6000 (Turing, 24 GB); the RTX 6000 Ada is a different chip and not aliased here.
    "rtxa6000": "A6000", "nvidiartxa6000": "A6000",
    "quadrortx6000": "RTX6000", "nvidiaquadrortx6000": "RTX6000",
    "agxorin": "Jetson-AGX-Orin", "jetsonorin": "Jetson-AGX-Orin",
}


def canonical_accelerator(name: str, memory_gib: float | None = None) -> str:
    """The catalog's name for an accelerator (``nvidia-tesla-t4`` -> ``T4``, ``a100-80gb`` ->
    ``A100-80GB``, ``H100-MEGA`` -> ``H100``: one name per chip, as the refresh adapters use);
    an A100 with 70 GiB or more per GPU is an A100-80GB. A name tierplan does not know is
    returned stripped but unchanged."""
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    canon = _ALIASES.get(key, name.strip())
    if canon == "A100" and memory_gib is not None and memory_gib >= 70:
        return "A100-80GB"
    return canon


# --- filtering and sites ----------------------------------------------------------------

def filter_rows(
    rows: Iterable[CatalogRow],
    providers: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    accelerators: Iterable[str] | None = None,
) -> list[CatalogRow]:
    """Rows whose provider, region and accelerator are in the given sets (None: any).

    In ``accelerators`` the name ``cpu`` (any case) keeps the CPU-only rows.
    """
    provider_set = {p.lower() for p in providers} if providers is not None else None
    region_set = set(regions) if regions is not None else None
    accel_set = set(accelerators) if accelerators is not None else None
    want_cpu = accel_set is not None and any(a.lower() == "cpu" for a in accel_set)
    out = []
    for row in rows:
        if provider_set is not None and row.provider.lower() not in provider_set:
            continue
        if region_set is not None and row.region not in region_set:
            continue
        if accel_set is not None:
            if row.accelerator is None and not want_cpu:
                continue
            if row.accelerator is not None and row.accelerator not in accel_set:
                continue
        out.append(row)
    return out


def site_name(row: CatalogRow) -> str:
    """A catalog site is named ``<provider>/<region>`` (SPEC section 1)."""
    return f"{row.provider}/{row.region}"


def group_sites(rows: Iterable[CatalogRow]) -> dict[str, list[CatalogRow]]:
    """Rows by site name, sites in first-seen order, offerings sorted by name."""
    sites: dict[str, list[CatalogRow]] = {}
    for row in rows:
        sites.setdefault(site_name(row), []).append(row)
    for offerings in sites.values():
        offerings.sort(key=lambda r: r.instance_type)
    return sites
