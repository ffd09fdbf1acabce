"""Where a cloud region is: the regions table, else its country, else unknown (kept).

Three data files under ``providers/data`` (shipped with the package):

- ``regions.csv``: one row per known region of every cloud (location, ISO 3166-1
  jurisdiction, internet egress USD/GB);
- ``clouds.csv``: ``provider,egress_usd_per_gb,source,as_of``, each cloud's default egress
  price, used for a region that is not in ``regions.csv``;
- ``countries.csv``: ``code,name,lat,lon``, a reference point per country (its main
  datacenter city), used when a region's name carries its country (RunPod ``CA``, Vast
  ``Quebec, CA, NA``, Cudo ``se-smedjebacken-1``, Hyperstack ``NORWAY-1``).

A region found in none of them is still offered, with no location and no jurisdiction:
it can run work that needs neither (training with no clients, or inference whose latency
the scenario measures in ``network.latency_ms``); importers name such regions in a note.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from .base import Region
from .catalog import load_regions

__all__ = ["Located", "known_clouds", "locate"]

How = Literal["region", "country", "unknown"]


@dataclass(frozen=True)
class Located:
    lat: float | None
    lon: float | None
    jurisdiction: str | None
    egress_usd_per_gb: float
    how: How  # "region": from regions.csv; "country": the country's reference point; "unknown"


def _rows(name: str) -> list[dict[str, str]]:
    text = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@cache
def _clouds() -> dict[str, float]:
    return {r["provider"]: float(r["egress_usd_per_gb"]) for r in _rows("clouds.csv")}


@cache
def _countries() -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    rows = _rows("countries.csv")
    points = {r["code"]: (float(r["lat"]), float(r["lon"])) for r in rows}
    names = {r["name"].lower(): r["code"] for r in rows}
    return points, names


def known_clouds() -> frozenset[str]:
    """Every provider tierplan has a region table or a default egress price for."""
    return frozenset(_clouds()) | {provider for provider, _ in load_regions()}


def default_egress(provider: str) -> float | None:
    return _clouds().get(provider)


_CODE_TAIL = re.compile(r",\s*([A-Z]{2})\s*(?:,|$)")  # Vast: "Quebec, CA, NA"
_CODE_HEAD = re.compile(r"^([A-Za-z]{2})(?:$|[-_ ]\w)")  # RunPod "CA", Cudo "se-smedjebacken-1"


def country_of(region: str) -> str | None:
    """The ISO code a region's name carries, if any (known countries only)."""
    points, names = _countries()
    for pattern in (_CODE_TAIL, _CODE_HEAD):
        match = pattern.search(region)
        code = match.group(1).upper() if match else None
        # "sa-" heads a South American region name (OCI sa-santiago-1), not Saudi Arabia
        if code in points and not (pattern is _CODE_HEAD and code == "SA"):
            return code
    words = re.split(r"[^a-z]+", region.lower())
    for name, code in names.items():
        if all(w in words for w in name.split()):
            return code
    return None


def locate(provider: str, region: str,
           regions: Mapping[tuple[str, str], Region] | None = None) -> Located:
    table = regions if regions is not None else load_regions()
    known = table.get((provider, region))
    if known is not None:
        return Located(known.lat, known.lon, known.jurisdiction, known.egress_usd_per_gb, "region")
    egress = default_egress(provider) or 0.0
    code = country_of(region) if provider not in ("aws", "gcp", "azure") else None
    if code is not None:
        lat, lon = _countries()[0][code]
        return Located(lat, lon, code, egress, "country")
    return Located(None, None, None, egress, "unknown")
