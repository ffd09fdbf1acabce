"""Retail Prices items and an MLClient stand-in that returns real azure-ai-ml entities.

``FakeMLClient.compute.list_sizes`` / ``list_usage`` build ``VmSize`` and ``Usage`` the way
azure-ai-ml does (``_from_rest_object`` over the REST model parsed from wire JSON), so the
adapter sees exactly the attribute shapes the SDK produces.
"""

from __future__ import annotations

from typing import Any


def item(size: str, sku: str, price: float, *, region: str = "westeurope", windows: bool = False,
         series: str = "NCadsA100v4", unit: str = "1 Hour", kind: str = "Consumption") -> dict[str, Any]:
    product = f"Virtual Machines {series} Series" + (" Windows" if windows else "")
    return {
        "currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": price, "unitPrice": price,
        "armRegionName": region, "location": "EU West", "effectiveStartDate": "2026-01-01T00:00:00Z",
        "meterId": f"meter-{size}-{sku}", "meterName": sku, "productId": "DZH318Z0BQ5S",
        "skuId": "DZH318Z0BQ5S/00TG", "productName": product, "skuName": sku,
        "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8", "serviceFamily": "Compute",
        "unitOfMeasure": unit, "type": kind, "isPrimaryMeterRegion": True, "armSkuName": size,
    }


class _Compute:
    def __init__(self, sizes: list[dict[str, Any]], usages: list[dict[str, Any]], fail: Exception | None):
        self.sizes, self.usages, self.fail = sizes, usages, fail
        self.calls: list[tuple[str, str | None]] = []

    def list_sizes(self, *, location: str | None = None, compute_type: str | None = None) -> list[Any]:
        from azure.ai.ml._restclient.arm_ml_service.models import VirtualMachineSize
        from azure.ai.ml.entities import VmSize

        self.calls.append(("list_sizes", location))
        return [VmSize._from_rest_object(VirtualMachineSize(s)) for s in self.sizes]

    def list_usage(self, *, location: str | None = None) -> list[Any]:
        from azure.ai.ml._restclient.arm_ml_service.models import Usage as RestUsage
        from azure.ai.ml.entities import Usage

        self.calls.append(("list_usage", location))
        if self.fail is not None:
            raise self.fail
        return [Usage._from_rest_object(RestUsage(u)) for u in self.usages]


class FakeMLClient:
    def __init__(self, sizes: list[dict[str, Any]], usages: list[dict[str, Any]],
                 fail_usage: Exception | None = None) -> None:
        self.compute = _Compute(sizes, usages, fail_usage)


def size(name: str, family: str, vcpus: int, memory_gb: float, gpus: int) -> dict[str, Any]:
    """One VM size in the wire shape of the Azure ML ``virtualMachineSizes`` API."""
    return {"name": name, "family": family, "vCPUs": vcpus, "gpus": gpus, "memoryGB": memory_gb,
            "lowPriorityCapable": True, "premiumIO": True,
            "supportedComputeTypes": ["AmlCompute", "ComputeInstance"]}


def usage(family: str, limit: int, current: int = 0) -> dict[str, Any]:
    return {"id": f"/subscriptions/0000/providers/Microsoft.MachineLearningServices/locations/westeurope/"
                  f"usages/{family}",
            "type": "Microsoft.MachineLearningServices/vmFamily/usages", "unit": "Count",
            "currentValue": current, "limit": limit,
            "name": {"value": family, "localizedValue": f"{family} Cluster Dedicated vCPUs"}}
