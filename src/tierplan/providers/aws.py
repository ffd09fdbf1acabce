"""AWS adapter: EC2 prices, GPU shapes, spot prices and GPU quotas through boto3.

Calls (all read-only, all paginated):

- Price List ``pricing.get_products`` (ServiceCode ``AmazonEC2``) per region with
  TERM_MATCH filters regionCode, operatingSystem=Linux, tenancy=Shared,
  preInstalledSw=NA, capacitystatus=Used, licenseModel=No License required and, by
  default, instanceFamily=GPU instance. Each ``PriceList`` entry is a JSON *string*
  ``{"product": {"attributes": {...}}, "terms": {"OnDemand": {offer: {"priceDimensions":
  {dim: {"unit": "Hrs", "pricePerUnit": {"USD": "0.526"}}}}}}}``; the hourly USD price
  is the on-demand dimension with unit Hrs.
- ``ec2.describe_instance_types`` per region: vCPUs, memory and ``GpuInfo`` (name,
  count, memory per GPU). A type priced but not described in a region is not offered
  there and is left out.
- ``ec2.describe_spot_price_history`` with ``StartTime`` = the clock's now and
  ProductDescriptions Linux/UNIX: the price in force per availability zone; the row
  keeps the cheapest regular zone (a plan can pick its zone). Local Zones
  (``us-east-1-atl-2a``) and Wavelength zones are left out: they are priced on their own
  (p5.48xlarge in Atlanta's Local Zone at $10.24 against $17.63 in us-east-1's zones).
- ``service-quotas.list_service_quotas`` (ServiceCode ec2), then ``get_service_quota``
  for a code the list lacks: "Running On-Demand G and VT instances" (L-DB2E81BA) and
  "Running On-Demand P instances" (L-417A185B), both in vCPUs. An instance's
  ``available`` is floor(quota vCPUs / its vCPUs): the most instances of that one type
  the family quota allows; types of one family share the quota, which a per-row
  number cannot say. No quota readable (no permission): ``available`` stays None.

Credentials come from boto3's standard chain (environment, profile, SSO, instance
role); this module never reads or prints them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .base import CatalogRow, Region
from .common import (
    Clock,
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

__all__ = ["QUOTA_CODES", "AwsAdapter", "GpuShape"]

log = logging.getLogger("tierplan.providers.aws")

SOURCE = "aws-pricing-api"
PRICING_REGION = "us-east-1"  # the Price List API answers in us-east-1 (and 2 others)

QUOTA_CODES: dict[str, str] = {
    "g": "L-DB2E81BA",  # Running On-Demand G and VT instances (vCPUs)
    "gr": "L-DB2E81BA",  # gr6: G family with more memory per GPU
    "vt": "L-DB2E81BA",
    "p": "L-417A185B",  # Running On-Demand P instances (vCPUs)
}
"""Instance family letters -> Service Quotas code of its running on-demand vCPU quota."""

ClientFactory = Callable[[str], Any]


@dataclass(frozen=True)
class GpuShape:
    """vCPUs, memory and GPUs of one instance type as ``describe_instance_types`` says."""

    vcpus: float
    memory_gib: float
    accelerator: str | None
    count: int
    accelerator_memory_gib: float | None


def _shape(info: Mapping[str, Any]) -> GpuShape:
    vcpus = float(info.get("VCpuInfo", {}).get("DefaultVCpus", 0))
    memory = float(info.get("MemoryInfo", {}).get("SizeInMiB", 0)) / 1024
    gpus = info.get("GpuInfo", {}).get("Gpus") or []
    if not gpus:
        return GpuShape(vcpus, memory, None, 0, None)
    # Every GPU instance type so far carries one GPU model; the first entry names it.
    first = gpus[0]
    count = sum(int(g.get("Count", 0)) for g in gpus)
    per_gpu = first.get("MemoryInfo", {}).get("SizeInMiB")
    per_gpu_gib = float(per_gpu) / 1024 if per_gpu else None
    name = canonical_accelerator(str(first.get("Name", "")), per_gpu_gib)
    return GpuShape(vcpus, memory, name or None, count, per_gpu_gib)


def _hourly_on_demand(product: Mapping[str, Any]) -> float | None:
    """The USD per hour of the product's on-demand term (None when absent or zero)."""
    prices = []
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dim in term.get("priceDimensions", {}).values():
            if dim.get("unit") in ("Hrs", "Hours", "hours"):
                price = price_number(dim.get("pricePerUnit", {}).get("USD"))
                if price is not None:
                    prices.append(price)
    return min(prices) if prices else None


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


class AwsAdapter(RegionTable):
    """ProviderAdapter for AWS EC2 (on-demand Linux, shared tenancy; spot; GPU quotas).

    Clients are injected for tests: ``pricing`` a Price List client, ``ec2`` and
    ``quotas`` factories taking a region name. Left out, they come from ``session``
    (a ``boto3.Session``; by default the standard credential chain).
    """

    name = "aws"

    def __init__(
        self,
        *,
        session: Any = None,
        pricing: Any = None,
        ec2: ClientFactory | None = None,
        quotas: ClientFactory | None = None,
        regions: Mapping[str, Region] | None = None,
        clock: Clock = utc_now,
        instance_families: Sequence[str] | None = ("GPU instance",),
    ) -> None:
        self._session = session
        self._pricing = pricing
        self._ec2_factory = ec2
        self._quota_factory = quotas
        self._regions = provider_regions(self.name, regions)
        self._clock = clock
        self._families = tuple(instance_families) if instance_families else None
        self._shapes: dict[str, dict[str, GpuShape]] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._vcpu_quotas: dict[str, dict[str, float]] = {}

    # --- clients -------------------------------------------------------------------

    def _boto_session(self) -> Any:
        if self._session is None:
            boto3 = require("boto3", "aws")
            self._session = boto3.Session()
        return self._session

    def _pricing_client(self) -> Any:
        if self._pricing is None:
            self._pricing = self._boto_session().client("pricing", region_name=PRICING_REGION)
        return self._pricing

    def _client(self, service: str, region: str, factory: ClientFactory | None) -> Any:
        # One client per (service, region): building a boto3 client costs tens of ms.
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = factory(region) if factory is not None else \
                self._boto_session().client(service, region_name=region)
        return self._clients[key]

    def _ec2(self, region: str) -> Any:
        return self._client("ec2", region, self._ec2_factory)

    def _quota_client(self, region: str) -> Any:
        return self._client("service-quotas", region, self._quota_factory)

    # --- ProviderAdapter -----------------------------------------------------------

    def offerings(self, regions: Iterable[str] | None = None) -> Sequence[CatalogRow]:
        as_of = self._clock().date().isoformat()
        rows: list[CatalogRow] = []
        for region in resolve_regions(self.name, self._regions, regions):
            rows.extend(self._region_rows(region, as_of))
        return rows

    def quotas(self, regions: Iterable[str] | None = None) -> Mapping[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for region in resolve_regions(self.name, self._regions, regions):
            shapes = self._instance_shapes(region.region)
            for instance_type, shape in shapes.items():
                allowed = self._allowed(region.region, instance_type, shape.vcpus)
                if allowed is not None:
                    out[(region.region, instance_type)] = allowed
        return out

    # --- per region ----------------------------------------------------------------

    def _region_rows(self, region: Region, as_of: str) -> list[CatalogRow]:
        prices = self._on_demand_prices(region.region)
        shapes = self._instance_shapes(region.region)
        priced = sorted(t for t in prices if t in shapes)
        for missing in sorted(set(prices) - set(shapes)):
            log.debug("aws %s: %s is priced but not offered; skipped", region.region, missing)
        spot = self._spot_prices(region.region, priced)
        rows = []
        for instance_type in priced:
            shape = shapes[instance_type]
            rows.append(make_row(
                region, instance_type,
                vcpus=shape.vcpus, memory_gib=shape.memory_gib,
                accelerator=shape.accelerator, accelerator_count=shape.count,
                accelerator_memory_gib=shape.accelerator_memory_gib,
                usd_per_hour=prices[instance_type], spot_usd_per_hour=spot.get(instance_type),
                available=self._allowed(region.region, instance_type, shape.vcpus),
                source=SOURCE, as_of=as_of,
            ))
        return rows

    def _on_demand_prices(self, region: str) -> dict[str, float]:
        filters = {
            "regionCode": region, "operatingSystem": "Linux", "tenancy": "Shared",
            "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required",
        }
        families = self._families or (None,)
        prices: dict[str, float] = {}
        for family in families:
            terms = dict(filters, **({"instanceFamily": family} if family else {}))
            request = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in terms.items()]
            try:
                pages = self._pricing_client().get_paginator("get_products").paginate(
                    ServiceCode="AmazonEC2", Filters=request, FormatVersion="aws_v1",
                )
                for page in pages:
                    for text in page.get("PriceList", []):
                        self._add_product(json.loads(text), prices)
            except Exception as exc:  # botocore raises many classes; all end the refresh
                raise sdk_failure("aws", f"pricing get_products for {region}", exc) from exc
        return prices

    @staticmethod
    def _add_product(product: Mapping[str, Any], prices: dict[str, float]) -> None:
        attributes = product.get("product", {}).get("attributes", {})
        instance_type = attributes.get("instanceType")
        # Capacity Blocks and other market options share the filters; keep on-demand.
        if not instance_type or attributes.get("marketoption", "OnDemand") != "OnDemand":
            return
        price = _hourly_on_demand(product)
        if price is not None:
            prices[instance_type] = min(price, prices.get(instance_type, price))

    def _instance_shapes(self, region: str) -> dict[str, GpuShape]:
        if region not in self._shapes:
            shapes: dict[str, GpuShape] = {}
            try:
                for page in self._ec2(region).get_paginator("describe_instance_types").paginate():
                    for info in page.get("InstanceTypes", []):
                        shapes[info["InstanceType"]] = _shape(info)
            except Exception as exc:
                raise sdk_failure("aws", f"ec2 describe_instance_types in {region}", exc) from exc
            self._shapes[region] = shapes
        return self._shapes[region]

    def _spot_prices(self, region: str, instance_types: Sequence[str]) -> dict[str, float]:
        """Cheapest current Linux spot price per instance type over the region's zones."""
        latest: dict[tuple[str, str], tuple[Any, float]] = {}
        now = self._clock()
        try:
            paginator = self._ec2(region).get_paginator("describe_spot_price_history")
            for chunk in _chunks(instance_types, 100):
                for page in paginator.paginate(
                    InstanceTypes=chunk, ProductDescriptions=["Linux/UNIX"], StartTime=now,
                ):
                    for item in page.get("SpotPriceHistory", []):
                        if not str(item.get("ProductDescription", "")).startswith("Linux/UNIX"):
                            continue
                        price = price_number(item.get("SpotPrice"))
                        if price is None:
                            continue
                        zone = str(item.get("AvailabilityZone", ""))
                        if zone and not _regular_zone(region, zone):
                            continue  # a Local or Wavelength Zone: another price, not this region's
                        key = (item["InstanceType"], zone)
                        stamp = item.get("Timestamp")
                        if key not in latest or (stamp is not None and stamp > latest[key][0]):
                            latest[key] = (stamp, price)
        except Exception as exc:
            # Spot is optional: without it the offering is still on-demand priced.
            log.warning("aws %s: spot prices unavailable (%s)", region, sdk_failure("aws", "spot", exc))
            return {}
        cheapest: dict[str, float] = {}
        for (instance_type, _zone), (_stamp, price) in latest.items():
            cheapest[instance_type] = min(price, cheapest.get(instance_type, price))
        return cheapest

    def _quota_values(self, region: str) -> dict[str, float]:
        """Quota code -> vCPUs for the codes in QUOTA_CODES ({} when unreadable)."""
        if region in self._vcpu_quotas:
            return self._vcpu_quotas[region]
        wanted = set(QUOTA_CODES.values())
        values: dict[str, float] = {}
        try:
            client = self._quota_client(region)
            for page in client.get_paginator("list_service_quotas").paginate(ServiceCode="ec2"):
                for quota in page.get("Quotas", []):
                    if quota.get("QuotaCode") in wanted and quota.get("Value") is not None:
                        values[quota["QuotaCode"]] = float(quota["Value"])
            for code in sorted(wanted - set(values)):
                quota = client.get_service_quota(ServiceCode="ec2", QuotaCode=code).get("Quota", {})
                if quota.get("Value") is not None:
                    values[code] = float(quota["Value"])
        except Exception as exc:
            log.warning("aws %s: GPU quotas unavailable, offerings left unlimited (%s)",
                        region, sdk_failure("aws", "service-quotas", exc))
            values = {}
        self._vcpu_quotas[region] = values
        return values

    def _allowed(self, region: str, instance_type: str, vcpus: float) -> int | None:
        letters = re.match(r"[a-z]*", instance_type).group(0)  # type: ignore[union-attr]
        code = QUOTA_CODES.get(letters)
        if code is None or vcpus <= 0:
            return None
        quota = self._quota_values(region).get(code)
        return None if quota is None else int(quota // vcpus)


def _regular_zone(region: str, zone: str) -> bool:
    """us-east-1a is a zone of us-east-1; us-east-1-atl-2a (a Local Zone, priced on its own,
    often far below the region) and us-east-1-wl1-bos-wlz-1 (Wavelength) are not."""
    return len(zone) == len(region) + 1 and zone.startswith(region) and zone[-1].isalpha()
