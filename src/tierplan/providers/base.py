"""The provider adapter interface and the catalog's row types.

A catalog is a table of priced offerings, one row per (provider, region, instance type),
each row carrying its region's location, jurisdiction and egress price so one file is a
whole catalog. The bundled snapshot (``providers/data/catalog.csv``), a catalog written
by ``tierplan catalog refresh`` and the rows an adapter returns all have this shape.

Assumptions every adapter states by implementing this Protocol:
- read-only: listing never changes anything in the account;
- credentials come from the SDK's standard chain and never appear in rows, errors or logs;
- prices are USD per instance-hour, Linux, on-demand (spot when the provider sells it);
- a missing spot price is ``None``, never 0; an unknown quota is ``None`` (unlimited).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["CATALOG_COLUMNS", "CatalogRow", "ProviderAdapter", "Region"]


@dataclass(frozen=True)
class Region:
    provider: str  # aws | gcp | azure | onprem | edge
    region: str  # us-east-1, europe-west4, westeurope, ...
    lat: float
    lon: float
    jurisdiction: str  # ISO 3166-1 alpha-2
    egress_usd_per_gb: float  # internet egress, first paid tier


@dataclass(frozen=True)
class CatalogRow:
    provider: str
    region: str
    instance_type: str
    vcpus: float
    memory_gib: float
    accelerator: str | None  # canonical name: T4, L4, A10G, L40S, V100, A100, A100-80GB, H100, H200, ...
    accelerator_count: float  # 0 when CPU-only; a fraction for a shared GPU (Azure NV6ads_A10_v5: 1/6)
    accelerator_memory_gib: float | None
    usd_per_hour: float
    spot_usd_per_hour: float | None
    available: int | None  # quota / physical count in instances; None = unlimited
    lat: float | None  # None: the region's location is unknown (see providers/locate.py)
    lon: float | None
    jurisdiction: str | None  # ISO 3166-1 alpha-2; None when unknown
    egress_usd_per_gb: float
    source: str  # where the price came from, e.g. "aws-pricing-api", "azure-retail-prices"
    as_of: str  # ISO date (YYYY-MM-DD) of the price


CATALOG_COLUMNS: tuple[str, ...] = tuple(CatalogRow.__dataclass_fields__)
"""Column order of a catalog CSV file."""


@runtime_checkable
class ProviderAdapter(Protocol):
    """What tierplan needs from a cloud (or an inventory): four read-only calls."""

    name: str

    def regions(self) -> Sequence[Region]:
        """Regions this adapter can price, with location, jurisdiction and egress."""
        ...

    def offerings(self, regions: Iterable[str] | None = None) -> Sequence[CatalogRow]:
        """Priced offerings (on-demand and spot) in the given regions (None: all)."""
        ...

    def quotas(self, regions: Iterable[str] | None = None) -> Mapping[tuple[str, str], int]:
        """(region, instance_type) -> instances allowed at once, where the provider says."""
        ...

    def egress_usd_per_gb(self, region: str) -> float:
        """Internet egress price per GB leaving ``region``."""
        ...
