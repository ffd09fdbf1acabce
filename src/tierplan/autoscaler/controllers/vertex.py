"""Vertex AI endpoints: a deployed model's dedicated replica range.

Reads ``get_endpoint`` (the deployed model's ``dedicated_resources.min_replica_count``)
and sets the count with ``mutate_deployed_model``, pinning min and max replicas to it
(Vertex's own autoscaler then has no room to move). The mutation is a long-running
operation that takes minutes: it is not awaited; until it is done, ``get_replicas``
reports the count in flight so the next tick does not send it again.
"""

from __future__ import annotations

import logging
from typing import Any

from ..extras import require
from .base import InFlight

__all__ = ["VertexController"]

log = logging.getLogger("tierplan.autoscale")


class VertexController:
    def __init__(self, project: str, location: str, endpoint: str, deployed_model: str, *,
                 client: Any = None, api_endpoint: str | None = None, credentials: Any = None,
                 transport: str | None = None) -> None:
        self.name = f"projects/{project}/locations/{location}/endpoints/{endpoint}"
        self.deployed_model = deployed_model
        self.description = f"vertex {self.name} deployed model {deployed_model}"
        if client is None:
            client = _client(location, api_endpoint, credentials, transport)
        self.client = client
        self._flight = InFlight()

    def get_replicas(self) -> int:
        flying = self._flight.count()
        if flying is not None:
            return flying
        endpoint = self.client.get_endpoint(name=self.name)
        for model in endpoint.deployed_models:
            if model.id == self.deployed_model:
                return int(model.dedicated_resources.min_replica_count)
        raise LookupError(f"{self.description}: no such deployed model")

    def set_replicas(self, replicas: int, request_id: str) -> None:
        from google.cloud import aiplatform_v1
        from google.protobuf import field_mask_pb2

        if self._flight.already(replicas):
            return
        log.debug("scale", extra={"request_id": request_id, "controller": self.description})
        model = aiplatform_v1.DeployedModel(
            id=self.deployed_model,
            dedicated_resources=aiplatform_v1.DedicatedResources(
                min_replica_count=int(replicas), max_replica_count=int(replicas)),
        )
        mask = field_mask_pb2.FieldMask(paths=["dedicated_resources.min_replica_count",
                                               "dedicated_resources.max_replica_count"])
        operation = self.client.mutate_deployed_model(endpoint=self.name, deployed_model=model,
                                                      update_mask=mask)
        self._flight.start(replicas, operation)


def _client(location: str, api_endpoint: str | None, credentials: Any, transport: str | None) -> Any:
    aiplatform_v1 = require("google.cloud.aiplatform_v1", "gcp", "the vertex controller")
    options = {"api_endpoint": api_endpoint or f"{location}-aiplatform.googleapis.com"}
    return aiplatform_v1.EndpointServiceClient(credentials=credentials, transport=transport,
                                               client_options=options)
