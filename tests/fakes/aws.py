"""Price List and EC2 response builders in the shapes the real APIs return.

``get_products`` returns ``PriceList`` as a list of JSON *strings*, each a whole product
with its attributes and terms; these builders produce exactly that.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "eu-central-1": "EU (Frankfurt)"}


def price_item(instance_type: str, region: str, usd: str, *, vcpu: str = "4", memory: str = "16 GiB",
               gpu: str = "1", marketoption: str | None = "OnDemand", sku: str = "") -> str:
    """One Price List product (on-demand Linux, shared tenancy) as the API's JSON string."""
    sku = sku or f"SKU{abs(hash((instance_type, region, usd, marketoption))) % 10**8:08d}"
    attributes: dict[str, Any] = {
        "instanceType": instance_type, "regionCode": region,
        "location": REGION_NAMES.get(region, region), "locationType": "AWS Region",
        "instanceFamily": "GPU instance", "vcpu": vcpu, "memory": memory, "gpu": gpu,
        "operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA",
        "capacitystatus": "Used", "licenseModel": "No License required",
        "operation": "RunInstances", "usagetype": f"BoxUsage:{instance_type}",
        "servicecode": "AmazonEC2", "servicename": "Amazon Elastic Compute Cloud",
    }
    if marketoption is not None:
        attributes["marketoption"] = marketoption
    offer = f"{sku}.JRTCKXETXF"
    return json.dumps({
        "product": {"productFamily": "Compute Instance", "attributes": attributes, "sku": sku},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {offer: {
            "priceDimensions": {f"{offer}.6YS6EN2CT7": {
                "unit": "Hrs", "endRange": "Inf", "beginRange": "0", "appliesTo": [],
                "description": f"${usd} per On Demand Linux {instance_type} Instance Hour",
                "rateCode": f"{offer}.6YS6EN2CT7", "pricePerUnit": {"USD": usd},
            }},
            "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF",
            "termAttributes": {},
        }}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z",
    })


def instance_type(name: str, vcpus: int, memory_mib: int, gpu: str | None = None, count: int = 0,
                  gpu_mib: int = 0) -> dict[str, Any]:
    """One ``describe_instance_types`` entry (only the fields the adapter reads, plus a few)."""
    info: dict[str, Any] = {
        "InstanceType": name, "CurrentGeneration": True,
        "VCpuInfo": {"DefaultVCpus": vcpus}, "MemoryInfo": {"SizeInMiB": memory_mib},
    }
    if gpu:
        info["GpuInfo"] = {"Gpus": [{"Name": gpu, "Manufacturer": "NVIDIA", "Count": count,
                                     "MemoryInfo": {"SizeInMiB": gpu_mib}}],
                           "TotalGpuMemoryInMiB": gpu_mib * count}
    return info


def spot(instance: str, zone: str, price: str, when: datetime) -> dict[str, Any]:
    return {"AvailabilityZone": zone, "InstanceType": instance,
            "ProductDescription": "Linux/UNIX", "SpotPrice": price, "Timestamp": when}


def quota(code: str, value: float, name: str = "") -> dict[str, Any]:
    return {"ServiceCode": "ec2", "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
            "QuotaArn": f"arn:aws:servicequotas:us-east-1:123456789012:ec2/{code}",
            "QuotaCode": code, "QuotaName": name or code, "Value": value, "Unit": "None",
            "Adjustable": True, "GlobalQuota": False}
