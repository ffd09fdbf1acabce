"""Azure adapter: VM prices from the public Retail Prices API, sizes and quotas from azure-ai-ml.

Prices: ``GET https://prices.azure.com/api/retail/prices`` (anonymous) with
``$filter=serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and
armRegionName eq '<region>'``, ``currencyCode=USD``, ``api-version=2023-01-01-preview`` and
``meterRegion='primary'`` (without it the API also returns non-primary meters, which
price the same size in the same region differently), one region at a time, following
``NextPageLink`` until it is null; an item that still says ``isPrimaryMeterRegion: false``
is ignored. Each item has ``armSkuName`` (the size, e.g.
``Standard_NC24ads_A100_v4``), ``skuName`` (``"NC24ads A100 v4"``, ``"... Spot"``,
``"... Low Priority"``), ``productName`` (``"... Series Windows"`` for Windows rows),
``unitOfMeasure`` (``"1 Hour"``) and ``retailPrice``. Windows and Cloud Services rows
are skipped (Linux prices only); the spot price is the Spot row, else none. Low Priority
rows (Azure Batch / ML low-priority nodes, a different product with its own eviction
rules) are never taken for spot.

Sizes: the Retail API has no vCPU, memory or GPU columns. With an ``MLClient``
(``azure-ai-ml``), ``compute.list_sizes(location=...)`` gives name, family, vCPUs, GPUs
and memory per region, and ``compute.list_usage(location=...)`` the vCPU quota per
family (``available`` = floor(limit / vCPUs of the size), the smallest limit when the
subscription and the workspace both set one). Without one (no workspace configured)
the sizes come from ``KNOWN_SIZES`` below, the GPU sizes' published specifications,
and quotas are unknown (None). Prices never come from code.

The GPU model comes from the size family (``FAMILY_GPUS``), falling back to the model
named in the size (``..._A100_v4``); a GPU size whose model cannot be told is skipped,
not guessed. Fractional-GPU sizes (NV6/12/18ads A10 v5) are skipped: a catalog row
holds whole GPUs.

Credentials (for MLClient only) come from azure-identity's ``DefaultAzureCredential``
chain; the Retail Prices API needs none.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .base import CatalogRow, Region
from .common import (
    GPU_MEMORY_GIB,
    Clock,
    RefreshError,
    RegionTable,
    canonical_accelerator,
    make_row,
    price_number,
    provider_regions,
    require,
    resolve_regions,
    sdk_failure,
    utc_now,
)

__all__ = [
    "FAMILY_GPUS", "KNOWN_SIZES", "RETAIL_PRICES_URL", "AzureAdapter", "AzureSize", "ml_client_from_env",
]

log = logging.getLogger("tierplan.providers.azure")

SOURCE = "azure-retail-prices"
RETAIL_PRICES_URL = "https://prices.azure.com/api/retail/prices"
API_VERSION = "2023-01-01-preview"  # the first version with the meterRegion='primary' filter
MAX_PAGES = 2000  # a region has a few dozen pages; more means a paging loop


@dataclass(frozen=True)
class AzureSize:
    vcpus: float
    memory_gib: float
    accelerator: str | None
    count: int
    accelerator_memory_gib: float | None
    family: str | None = None


def _gpu(
    name: str, vcpus: float, memory: float, model: str, count: int, per_gpu: float
) -> tuple[str, AzureSize]:
    return name, AzureSize(vcpus, memory, model, count, per_gpu)


KNOWN_SIZES: dict[str, AzureSize] = dict([
    _gpu("Standard_NC4as_T4_v3", 4, 28, "T4", 1, 16),
    _gpu("Standard_NC8as_T4_v3", 8, 56, "T4", 1, 16),
    _gpu("Standard_NC16as_T4_v3", 16, 110, "T4", 1, 16),
    _gpu("Standard_NC64as_T4_v3", 64, 440, "T4", 4, 16),
    _gpu("Standard_NC6s_v3", 6, 112, "V100", 1, 16),
    _gpu("Standard_NC12s_v3", 12, 224, "V100", 2, 16),
    _gpu("Standard_NC24s_v3", 24, 448, "V100", 4, 16),
    _gpu("Standard_NC24rs_v3", 24, 448, "V100", 4, 16),
    _gpu("Standard_ND40rs_v2", 40, 672, "V100", 8, 32),
    _gpu("Standard_NV36ads_A10_v5", 36, 440, "A10", 1, 24),
    _gpu("Standard_NV72ads_A10_v5", 72, 880, "A10", 2, 24),
    _gpu("Standard_NC24ads_A100_v4", 24, 220, "A100-80GB", 1, 80),
    _gpu("Standard_NC48ads_A100_v4", 48, 440, "A100-80GB", 2, 80),
    _gpu("Standard_NC96ads_A100_v4", 96, 880, "A100-80GB", 4, 80),
    _gpu("Standard_ND96asr_v4", 96, 900, "A100", 8, 40),
    _gpu("Standard_ND96amsr_A100_v4", 96, 1900, "A100-80GB", 8, 80),
    _gpu("Standard_NC40ads_H100_v5", 40, 320, "H100", 1, 94),
    _gpu("Standard_NC80adis_H100_v5", 80, 640, "H100", 2, 94),
    _gpu("Standard_ND96isr_H100_v5", 96, 1900, "H100", 8, 80),
    _gpu("Standard_ND96isr_H200_v5", 96, 1850, "H200", 8, 141),
])
"""GPU sizes by published specification (vCPUs, GiB, GPU model, count, GiB per GPU);
used only when no MLClient can list the sizes of a region."""

FAMILY_GPUS: dict[str, tuple[str, float]] = {
    "standardncsv3family": ("V100", 16),
    "standardndsv2family": ("V100", 32),
    "standardncasv3_t4family": ("T4", 16),
    "standardncadsa100v4family": ("A100-80GB", 80),
    "standardndamsv4_a100family": ("A100-80GB", 80),
    "standardndasv4_a100family": ("A100", 40),
    "standardncadsh100v5family": ("H100", 94),
    "standardndsh100v5family": ("H100", 80),
    "standardndisrh200v5family": ("H200", 141),
    "standardnvadsa10v5family": ("A10", 24),
    "standardncadsa10v4family": ("A10", 24),
}
"""VM family (lower case, as ``list_sizes`` and ``list_usage`` name it) -> GPU model, GiB per GPU."""

_FRACTIONAL = re.compile(r"^Standard_NV(6|12|18)ads_A10_v5$")
_WINDOWS = re.compile(r"\bWin(dows)?\b|Cloud ?Services")


def _field(obj: Any, *names: str) -> Any:
    """The first of ``names`` that is set on ``obj``.

    azure-ai-ml entities copy the REST model's ``as_dict()`` into ``__dict__``: nested
    values are plain dicts, and with azure-ai-ml 1.35 the keys are the wire names
    (``vCPUs``, ``memoryGB``) while the documented attributes (``v_cp_us``,
    ``memory_gb``) stay None, so both spellings are read.
    """
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def ml_client_from_env() -> Any | None:
    """An MLClient for the workspace named by AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and
    AZUREML_WORKSPACE_NAME with DefaultAzureCredential; None when any is unset."""
    names = ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME")
    values = [os.environ.get(n) for n in names]
    if not all(values):
        log.info("azure: %s not all set; sizes from the built-in GPU size table, quotas unknown",
                 ", ".join(names))
        return None
    ml = require("azure.ai.ml", "azure")
    identity = require("azure.identity", "azure")
    try:
        return ml.MLClient(identity.DefaultAzureCredential(), values[0], values[1], values[2])
    except Exception as exc:
        raise sdk_failure("azure", "creating the Azure ML client", exc) from exc


class AzureAdapter(RegionTable):
    """ProviderAdapter for Azure VMs (Linux, pay-as-you-go and Spot).

    ``http``: an ``azure.core.PipelineClient`` (or ``transport``: an azure-core transport
    for a default one); ``ml_client``: an ``azure.ai.ml.MLClient`` or anything with the
    same ``compute.list_sizes`` / ``compute.list_usage``. ``include_cpu``: also list sizes
    without a GPU (needs ``ml_client`` to know their shapes).
    """

    name = "azure"

    def __init__(
        self,
        *,
        http: Any = None,
        transport: Any = None,
        ml_client: Any = None,
        regions: Mapping[str, Region] | None = None,
        clock: Clock = utc_now,
        endpoint: str = RETAIL_PRICES_URL,
        include_cpu: bool = False,
    ) -> None:
        self._http = http
        self._transport = transport
        self._ml = ml_client
        self._regions = provider_regions(self.name, regions)
        self._clock = clock
        self._endpoint = endpoint
        self._include_cpu = include_cpu
        self._sizes: dict[str, dict[str, AzureSize]] = {}

    def offerings(self, regions: Iterable[str] | None = None) -> Sequence[CatalogRow]:
        as_of = self._clock().date().isoformat()
        rows: list[CatalogRow] = []
        for region in resolve_regions(self.name, self._regions, regions):
            sizes = self._region_sizes(region.region)
            quotas = self._family_quotas(region.region)
            prices = self._prices(region.region)
            for size_name in sorted(prices):
                size = sizes.get(size_name)
                on_demand, spot = prices[size_name]
                if size is None or on_demand is None:
                    continue
                if size.count == 0 and not self._include_cpu:
                    continue
                rows.append(make_row(
                    region, size_name, vcpus=size.vcpus, memory_gib=size.memory_gib,
                    accelerator=size.accelerator, accelerator_count=size.count,
                    accelerator_memory_gib=size.accelerator_memory_gib,
                    usd_per_hour=on_demand, spot_usd_per_hour=spot,
                    available=_allowed(size, quotas), source=SOURCE, as_of=as_of,
                ))
        return rows

    def quotas(self, regions: Iterable[str] | None = None) -> Mapping[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for region in resolve_regions(self.name, self._regions, regions):
            family_limits = self._family_quotas(region.region)
            for size_name, size in self._region_sizes(region.region).items():
                allowed = _allowed(size, family_limits)
                if allowed is not None:
                    out[(region.region, size_name)] = allowed
        return out

    # --- Retail Prices API ---------------------------------------------------------

    def _client(self) -> Any:
        if self._http is None:
            core = require("azure.core", "azure")
            kwargs = {"transport": self._transport} if self._transport is not None else {}
            self._http = core.PipelineClient(self._endpoint, **kwargs)
        return self._http

    def _pages(self, region: str) -> Iterable[Mapping[str, Any]]:
        rest = require("azure.core.rest", "azure")
        query = (f"serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
                 f"and armRegionName eq '{region}'")
        request = rest.HttpRequest("GET", self._endpoint, params={
            "$filter": query, "currencyCode": "USD", "api-version": API_VERSION, "meterRegion": "'primary'"})
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            try:
                response = self._client().send_request(request)
                response.raise_for_status()
                page = response.json()
            except Exception as exc:  # azure-core and transport errors alike end the refresh
                raise sdk_failure("azure", f"retail prices for {region}", exc) from exc
            yield page
            link = page.get("NextPageLink")
            if not link:
                return
            if link in seen:
                raise RefreshError(f"azure: retail prices for {region}: NextPageLink repeats ({link})")
            seen.add(link)
            request = rest.HttpRequest("GET", link)
        raise RefreshError(f"azure: retail prices for {region}: more than {MAX_PAGES} pages")

    def _prices(self, region: str) -> dict[str, tuple[float | None, float | None]]:
        """Size -> (on-demand, spot) USD per hour, Linux, primary meter region only."""
        best: dict[tuple[str, str], float] = {}
        for page in self._pages(region):
            for item in page.get("Items") or []:
                kind = _price_kind(item)
                price = price_number(item.get("retailPrice", item.get("unitPrice")))
                size = item.get("armSkuName")
                if kind is None or price is None or not size:
                    continue
                key = (size, kind)
                best[key] = min(price, best.get(key, price))
        sizes = {size for size, _ in best}
        return {s: (best.get((s, "on-demand")), best.get((s, "spot"))) for s in sizes}

    # --- sizes and quotas (azure-ai-ml) --------------------------------------------

    def _region_sizes(self, region: str) -> dict[str, AzureSize]:
        if region in self._sizes:
            return self._sizes[region]
        sizes: dict[str, AzureSize] = dict(KNOWN_SIZES)
        if self._ml is not None:
            try:
                listed = list(self._ml.compute.list_sizes(location=region))
            except Exception as exc:
                log.warning("azure %s: list_sizes failed, using the built-in GPU size table (%s)",
                            region, sdk_failure("azure", "list_sizes", exc))
            else:
                sizes = {}
                for item in listed:
                    name, size = _size_from_ml(item)
                    if size is not None:
                        sizes[name] = size
        self._sizes[region] = sizes
        return sizes

    def _family_quotas(self, region: str) -> dict[str, int]:
        """VM family (lower case) -> vCPU limit; {} without an MLClient or permission."""
        if self._ml is None:
            return {}
        limits: dict[str, int] = {}
        try:
            for usage in self._ml.compute.list_usage(location=region):
                name = _field(_field(usage, "name"), "value")
                limit = _field(usage, "limit")
                if not name or limit is None or int(limit) < 0:
                    continue
                key = str(name).lower()
                limits[key] = min(int(limit), limits.get(key, int(limit)))
        except Exception as exc:
            log.warning("azure %s: list_usage failed, quotas unknown (%s)",
                        region, sdk_failure("azure", "list_usage", exc))
            return {}
        return limits


def _price_kind(item: Mapping[str, Any]) -> str | None:
    """on-demand | spot | low-priority for a Linux hourly consumption row, else None."""
    if item.get("type", "Consumption") != "Consumption" or item.get("currencyCode", "USD") != "USD":
        return None
    if item.get("unitOfMeasure") != "1 Hour" or _WINDOWS.search(str(item.get("productName", ""))):
        return None
    if item.get("isPrimaryMeterRegion") is False:  # the filter asks for primary meters only
        return None
    sku = str(item.get("skuName", ""))
    if sku.endswith(" Spot"):
        return "spot"
    if sku.endswith(" Low Priority"):
        return "low-priority"
    return "on-demand"


def _size_from_ml(item: Any) -> tuple[str, AzureSize | None]:
    name = str(_field(item, "name") or "")
    family = str(_field(item, "family") or "")
    vcpus = float(_field(item, "v_cp_us", "vCPUs") or 0)
    memory = float(_field(item, "memory_gb", "memoryGB") or 0)
    gpus = int(_field(item, "gpus") or 0)
    if not name or vcpus <= 0 or _FRACTIONAL.match(name):
        return name, None
    if gpus == 0:
        return name, AzureSize(vcpus, memory, None, 0, None, family.lower())
    model, per_gpu = FAMILY_GPUS.get(family.lower(), (None, None))
    if model is None:
        guess = canonical_accelerator(name.removeprefix("Standard_"))
        if guess in GPU_MEMORY_GIB:
            model, per_gpu = guess, GPU_MEMORY_GIB[guess]
    if model is None:
        log.debug("azure: %s (%s) has %d GPUs of an unknown model; skipped", name, family, gpus)
        return name, None
    return name, AzureSize(vcpus, memory, model, gpus, per_gpu, family.lower())


def _allowed(size: AzureSize, family_limits: Mapping[str, int]) -> int | None:
    if not size.family or size.family not in family_limits or size.vcpus <= 0:
        return None
    return int(family_limits[size.family] // size.vcpus)
