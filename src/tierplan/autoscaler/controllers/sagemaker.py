"""Amazon SageMaker real-time endpoints: one production variant's instance count.

Reads ``describe_endpoint`` (the variant's DesiredInstanceCount, which already shows a
change in flight; CurrentInstanceCount when absent) and sets it with
``update_endpoint_weights_and_capacities``. SageMaker refuses an update while the endpoint
is ``Updating``; that error is retried with backoff like any other.
"""

from __future__ import annotations

import logging
from typing import Any

from ..extras import require

__all__ = ["SageMakerController"]

log = logging.getLogger("tierplan.autoscale")


class SageMakerController:
    def __init__(self, endpoint: str, variant: str = "AllTraffic", *, client: Any = None,
                 region: str | None = None, profile: str | None = None) -> None:
        self.endpoint = endpoint
        self.variant = variant
        self.description = f"sagemaker endpoint {endpoint} variant {variant}"
        self.client = client if client is not None else _client(region, profile)

    def get_replicas(self) -> int:
        described = self.client.describe_endpoint(EndpointName=self.endpoint)
        for variant in described.get("ProductionVariants", []):
            if variant.get("VariantName") == self.variant:
                count = variant.get("DesiredInstanceCount", variant.get("CurrentInstanceCount"))
                if count is None:
                    raise LookupError(f"{self.description}: no instance count (serverless variant?)")
                return int(count)
        raise LookupError(f"{self.description}: no such variant")

    def set_replicas(self, replicas: int, request_id: str) -> None:
        # The API takes no client token: idempotency comes from re-reading before a retry.
        log.debug("scale", extra={"request_id": request_id, "controller": self.description})
        self.client.update_endpoint_weights_and_capacities(
            EndpointName=self.endpoint,
            DesiredWeightsAndCapacities=[{"VariantName": self.variant,
                                          "DesiredInstanceCount": int(replicas)}],
        )


def _client(region: str | None, profile: str | None) -> Any:
    boto3 = require("boto3", "aws", "the sagemaker controller")
    return boto3.Session(profile_name=profile, region_name=region).client("sagemaker")
