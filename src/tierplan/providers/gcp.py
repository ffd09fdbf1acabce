"""GCP adapter: Compute Engine machine prices assembled from Cloud Billing Catalog SKUs.

Call: ``CloudCatalogClient.list_skus(parent="services/6F81-5844-456A")`` (the Compute
Engine service; google-cloud-billing, any transport; the pager follows
``next_page_token``), in USD. A GPU machine has no SKU of its own: its hourly price is

    vcpus * <series> Instance Core + memory_gib * <series> Instance Ram + gpus * <GPU> GPU
    + local_ssd_gib * "SSD backed Local Storage" / 730   (machines that bundle local SSD)

with the per-vCPU-hour (unit ``h``), per-GiB-hour (``GiBy.h``), per-GPU-hour and
per-GiB-month (``GiBy.mo``) SKUs of the machine's region. The series is the SKU's own
word: ``A2``, ``A3``, ``A3Plus`` (a3-megagpu), ``G2``, ``N1``. Each SKU is sorted by its
description first, then its ``usage_type``:

- on-demand: "Nvidia H100 80GB GPU running in Americas", "A3 Instance Core running in ...";
- Spot: "Spot Preemptible A3 Instance Core ...", "Nvidia H100 80GB GPU attached to Spot
  Preemptible VMs running in ..." (or usage_type Preemptible);
- never a price here: DWS ("attached to DWS Defined Duration VMs"), Calendar mode,
  flex-start, commitments, reservations, custom / sole-tenant machines, virtual
  workstations. DWS and Calendar-mode GPU SKUs carry usage_type OnDemand but a much lower
  rate ($4.20 vs $9.80 per H100-hour in us-central1); taking them for on-demand is the
  error that made SkyPilot's GCP catalog 35-64 % low.

When a SKU covers several regions, a single-region SKU wins over a multi-region one. A
machine missing any component in a region is not listed there. a3-highgpu-1g/2g/4g are
sold as Spot or flex-start only (no on-demand VM), so they are not listed.

The billing catalog does not say which machine types exist or what they hold, so the
shapes of the GPU machine types (vCPUs, memory, GPU model and count; specifications,
not prices) are in ``MACHINE_TYPES``; pass ``machine_types`` to price others. N1 with
attached T4 / V100 GPUs is listed as ``n1-standard-8+1xV100`` style combinations.
Vertex AI has no machine-type listing call in google-cloud-aiplatform, so it is not used.

Quotas: regional GPU quotas live in the Compute Engine API (google-cloud-compute),
which is not a dependency; ``quotas()`` returns what was passed as ``quotas`` (e.g.
from ``gcloud compute regions describe``) and rows are otherwise unlimited (None).

Credentials come from google-auth's default chain (ADC); the catalog is readable with
any valid credential.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .base import CatalogRow, Region
from .common import (
    GPU_MEMORY_GIB,
    Clock,
    RegionTable,
    canonical_accelerator,
    make_row,
    provider_regions,
    require,
    resolve_regions,
    sdk_failure,
    utc_now,
)

__all__ = ["COMPUTE_SERVICE", "MACHINE_TYPES", "GcpAdapter", "MachineShape"]

log = logging.getLogger("tierplan.providers.gcp")

SOURCE = "gcp-cloud-billing-catalog"
COMPUTE_SERVICE = "services/6F81-5844-456A"


@dataclass(frozen=True)
class MachineShape:
    series: str  # SKU series of its cores and RAM: A2, A3, A3Plus, G2, N1
    vcpus: float
    memory_gib: float
    accelerator: str | None  # canonical name
    count: int
    gpu_sku: str | None = None  # GPU SKU key when it differs from the canonical name (H100-MEGA)
    local_ssd_gib: float = 0  # local SSD the machine type always comes with (billed per GiB)
    spot_only: bool = False  # no on-demand VM: sold as Spot or flex-start only

    @property
    def gpu_key(self) -> str | None:
        return self.gpu_sku or self.accelerator


def _family(prefix: str, series: str, model: str, shapes: Sequence[tuple[str, float, float, int]],
            gpu_sku: str | None = None, ssd_per_gpu: float = 0,
            spot_only: Sequence[str] = ()) -> dict[str, MachineShape]:
    return {f"{prefix}{suffix}": MachineShape(series, vcpus, mem, model, count, gpu_sku,
                                              ssd_per_gpu * count, suffix in spot_only)
            for suffix, vcpus, mem, count in shapes}


MACHINE_TYPES: dict[str, MachineShape] = {
    **_family("a2-highgpu-", "A2", "A100", [("1g", 12, 85, 1), ("2g", 24, 170, 2), ("4g", 48, 340, 4),
                                            ("8g", 96, 680, 8)]),
    **_family("a2-megagpu-", "A2", "A100", [("16g", 96, 1360, 16)]),
    **_family("a2-ultragpu-", "A2", "A100-80GB", [("1g", 12, 170, 1), ("2g", 24, 340, 2), ("4g", 48, 680, 4),
                                                  ("8g", 96, 1360, 8)], ssd_per_gpu=375),
    **_family("a3-highgpu-", "A3", "H100", [("1g", 26, 234, 1), ("2g", 52, 468, 2), ("4g", 104, 936, 4),
                                            ("8g", 208, 1872, 8)], ssd_per_gpu=750,
              spot_only=("1g", "2g", "4g")),
    **_family("a3-megagpu-", "A3Plus", "H100", [("8g", 208, 1872, 8)], gpu_sku="H100-MEGA", ssd_per_gpu=750),
    **_family("a3-ultragpu-", "A3", "H200", [("8g", 224, 2952, 8)], ssd_per_gpu=1500),
    **_family("g2-standard-", "G2", "L4", [("4", 4, 16, 1), ("8", 8, 32, 1), ("12", 12, 48, 1),
                                           ("16", 16, 64, 1), ("24", 24, 96, 2), ("32", 32, 128, 1),
                                           ("48", 48, 192, 4), ("96", 96, 384, 8)]),
    **_family("n1-standard-", "N1", "T4", [("4+1xT4", 4, 15, 1), ("8+1xT4", 8, 30, 1), ("16+2xT4", 16, 60, 2),
                                           ("32+4xT4", 32, 120, 4)]),
    **_family("n1-standard-", "N1", "V100", [("8+1xV100", 8, 30, 1), ("16+2xV100", 16, 60, 2),
                                             ("32+4xV100", 32, 120, 4), ("64+8xV100", 64, 240, 8)]),
}
"""GPU machine types by published specification (vCPUs, GiB, GPU model and count)."""

_SKIP = ("custom", "premium", "reserved", "sole tenancy", "commitment", "virtual workstation",
         "dws", "defined duration", "calendar", "flex", "extended")
_CORE_RAM = re.compile(r"^(?P<series>[A-Z]\d+[A-Za-z]*)(?: Predefined)? Instance (?P<kind>Core|Ram)\b")
_SPOT_PREFIX = re.compile(r"^(Spot )?Preemptible ")
_SPOT_ATTACHED = re.compile(r" attached to (Spot )?Preemptible( VMs)?\b", re.IGNORECASE)
_LOCAL_SSD = "SSD backed Local Storage"

PriceKey = tuple[str, str]  # ("core" | "ram", series), ("gpu", gpu key) or ("ssd", "local")


def _gpu_key(description: str) -> str:
    """The GPU a SKU prices: "Nvidia H100 80GB Mega GPU running in ..." -> H100-MEGA."""
    name = re.split(r" GPU\b| running in | attached to ", description)[0]
    lower = name.lower()
    if re.search(r"(?<![a-z])h100\b", lower) and ("mega" in lower or "plus" in lower):
        return "H100-MEGA"
    return canonical_accelerator(name)


def sku_mode(description: str, usage_type: str) -> str | None:
    """OnDemand | Preemptible for a SKU that prices a VM component, None for DWS, Calendar
    mode, flex-start, commitments and other ways of buying that are not listed here."""
    lower = description.lower()
    if any(word in lower for word in _SKIP):
        return None
    if _SPOT_PREFIX.match(description) or _SPOT_ATTACHED.search(description):
        return "Preemptible"
    return usage_type if usage_type in ("OnDemand", "Preemptible") else None


def _unit_price(sku: Any) -> tuple[str, float] | None:
    """(usage unit, USD per unit) of the SKU's current first tier; None when not USD."""
    if not sku.pricing_info:
        return None
    expression = sku.pricing_info[0].pricing_expression
    rates = sorted(expression.tiered_rates, key=lambda r: r.start_usage_amount)
    if not rates:
        return None
    money = rates[0].unit_price
    if money.currency_code and money.currency_code != "USD":
        return None
    return expression.usage_unit, float(money.units) + money.nanos / 1e9


def _sku_key(sku: Any) -> PriceKey | None:
    """What one unit of the SKU buys, or None when it is not a machine component we price."""
    category = sku.category
    description = _SPOT_PREFIX.sub("", sku.description)
    if any(word in description.lower() for word in _SKIP):
        return None
    if category.resource_family == "Storage" and description.startswith(_LOCAL_SSD):
        return ("ssd", "local")
    if category.resource_family != "Compute":
        return None
    if category.resource_group == "GPU":
        return ("gpu", _gpu_key(description))
    match = _CORE_RAM.match(description)
    if match is None:
        return None
    return ("core" if match["kind"] == "Core" else "ram", match["series"])


_UNITS = {"core": "h", "gpu": "h", "ram": "GiBy.h", "ssd": "GiBy.mo"}
HOURS_PER_MONTH = 730  # GCP bills local SSD per GiB-month of 730 hours


class GcpAdapter(RegionTable):
    """ProviderAdapter for Compute Engine GPU machines (on-demand and Spot).

    ``client``: a ``billing_v1.CloudCatalogClient`` (tests pass one with
    ``transport="rest"``, an ``api_endpoint`` on 127.0.0.1 and anonymous credentials);
    by default one is built with the ADC credentials.
    """

    name = "gcp"

    def __init__(
        self,
        *,
        client: Any = None,
        regions: Mapping[str, Region] | None = None,
        clock: Clock = utc_now,
        machine_types: Mapping[str, MachineShape] | None = None,
        quotas: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self._client = client
        self._regions = provider_regions(self.name, regions)
        self._clock = clock
        self._machines = dict(MACHINE_TYPES if machine_types is None else machine_types)
        self._quotas = dict(quotas or {})
        self._table: dict[tuple[str, str], dict[PriceKey, tuple[int, float]]] | None = None

    def quotas(self, regions: Iterable[str] | None = None) -> Mapping[tuple[str, str], int]:
        wanted = {r.region for r in resolve_regions(self.name, self._regions, regions)}
        return {key: n for key, n in self._quotas.items() if key[0] in wanted}

    def offerings(self, regions: Iterable[str] | None = None) -> Sequence[CatalogRow]:
        chosen = resolve_regions(self.name, self._regions, regions)
        if not chosen:
            return []
        as_of = self._clock().date().isoformat()
        table = self._prices()
        rows: list[CatalogRow] = []
        for region in chosen:
            on_demand = table.get((region.region, "OnDemand"), {})
            spot = table.get((region.region, "Preemptible"), {})
            for machine in sorted(self._machines):
                shape = self._machines[machine]
                if shape.spot_only:
                    continue  # no on-demand VM of this shape, and a row needs an on-demand price
                price = _machine_price(shape, on_demand)
                if price is None:
                    continue
                rows.append(make_row(
                    region, machine, vcpus=shape.vcpus, memory_gib=shape.memory_gib,
                    accelerator=shape.accelerator, accelerator_count=shape.count,
                    accelerator_memory_gib=GPU_MEMORY_GIB.get(shape.accelerator or ""),
                    usd_per_hour=price, spot_usd_per_hour=_machine_price(shape, spot),
                    available=self._quotas.get((region.region, machine)), source=SOURCE, as_of=as_of,
                ))
        return rows

    # --- SKUs ------------------------------------------------------------------------

    def _catalog_client(self) -> Any:
        if self._client is None:
            billing = require("google.cloud.billing_v1", "gcp")
            try:  # ADC lookup happens here: no credentials is an error the user can act on
                self._client = billing.CloudCatalogClient()
            except Exception as exc:
                raise sdk_failure("gcp", "creating the Cloud Billing client (Application Default "
                                  "Credentials: run `gcloud auth application-default login`)", exc) from exc
        return self._client

    def _prices(self) -> dict[tuple[str, str], dict[PriceKey, tuple[int, float]]]:
        """(region, usage type) -> component -> (regions the SKU covers, USD per unit)."""
        if self._table is not None:
            return self._table
        table: dict[tuple[str, str], dict[PriceKey, tuple[int, float]]] = {}
        client = self._catalog_client()
        try:
            skus = client.list_skus(request={"parent": COMPUTE_SERVICE, "currency_code": "USD"})
            for message in skus:
                # The raw protobuf reads ~5x faster than proto-plus attribute access.
                pb = getattr(type(message), "pb", None)
                sku = pb(message) if callable(pb) else message
                usage = sku_mode(sku.description, sku.category.usage_type)
                if usage is None:
                    continue
                key = _sku_key(sku)
                priced = _unit_price(sku) if key else None
                if key is None or priced is None:
                    continue
                unit, price = priced
                if unit != _UNITS[key[0]]:
                    log.debug("gcp: %s priced per %s, expected %s; ignored",
                              sku.description, unit, _UNITS[key[0]])
                    continue
                regions = list(sku.service_regions)
                for region in regions:
                    slot = table.setdefault((region, usage), {})
                    candidate = (len(regions), price)
                    if key not in slot or candidate < slot[key]:
                        slot[key] = candidate
        except Exception as exc:  # api_core raises GoogleAPICallError subclasses and transport errors
            raise sdk_failure("gcp", "cloud billing list_skus", exc) from exc
        self._table = table
        return table


def _machine_price(shape: MachineShape, prices: Mapping[PriceKey, tuple[int, float]]) -> float | None:
    core, ram = prices.get(("core", shape.series)), prices.get(("ram", shape.series))
    if core is None or ram is None:
        return None
    total = shape.vcpus * core[1] + shape.memory_gib * ram[1]
    if shape.count:
        gpu = prices.get(("gpu", shape.gpu_key or ""))
        if gpu is None:
            return None
        total += shape.count * gpu[1]
    if shape.local_ssd_gib:
        ssd = prices.get(("ssd", "local"))
        if ssd is None:
            return None
        total += shape.local_ssd_gib * ssd[1] / HOURS_PER_MONTH
    return total
