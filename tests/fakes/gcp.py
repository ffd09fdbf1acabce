"""Cloud Billing Catalog SKUs in the REST JSON shape of ``services.skus.list``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SKUS_PATH = "/v1/services/6F81-5844-456A/skus"


def sku(description: str, group: str, usd: float, regions: list[str], *, usage: str = "OnDemand",
        unit: str = "h", family: str = "Compute") -> dict[str, Any]:
    units, nanos = int(usd), round((usd - int(usd)) * 1e9)
    sku_id = f"{abs(hash((description, tuple(regions), usage))) % 0xFFFF:04X}-{len(regions):04X}-0000"
    return {
        "name": f"services/6F81-5844-456A/skus/{sku_id}", "skuId": sku_id, "description": description,
        "category": {"serviceDisplayName": "Compute Engine", "resourceFamily": family,
                     "resourceGroup": group, "usageType": usage},
        "serviceRegions": regions,
        "pricingInfo": [{
            "effectiveTime": "2026-11-01T00:00:00Z", "summary": "",
            "pricingExpression": {
                "usageUnit": unit, "displayQuantity": 1,
                "usageUnitDescription": "hour" if unit == "h" else "gibibyte hour",
                "baseUnit": "s" if unit == "h" else "By.s", "baseUnitConversionFactor": 3600,
                "tieredRates": [{"startUsageAmount": 0,
                                 "unitPrice": {"currencyCode": "USD", "units": str(units), "nanos": nanos}}],
            },
            "currencyConversionRate": 1,
        }],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "REGIONAL" if len(regions) == 1 else "MULTI_REGIONAL", "regions": regions},
    }


def paged(pages: list[list[dict[str, Any]]]) -> Callable[[dict, dict], tuple[int, Any]]:
    """A route handler serving ``pages`` chained by nextPageToken."""
    def handler(query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, Any]:
        token = query.get("pageToken", [""])[0]
        number = int(token.removeprefix("page-")) if token else 0
        following = f"page-{number + 1}" if number + 1 < len(pages) else ""
        return 200, {"skus": pages[number], "nextPageToken": following}
    return handler
