"""Azure ML managed online deployments: ``instance_count``.

Reads ``online_deployments.get`` and sets the count by writing the fetched deployment back
with a new ``instance_count`` through ``begin_create_or_update`` (azure-ai-ml). The
operation is not awaited; until its poller is done, ``get_replicas`` reports the count in
flight so the next tick does not send it again.
"""

from __future__ import annotations

import logging
from typing import Any

from ..extras import require
from .base import InFlight

__all__ = ["AzureMLController"]

log = logging.getLogger("tierplan.autoscale")


class AzureMLController:
    def __init__(self, subscription_id: str, resource_group: str, workspace: str, endpoint: str,
                 deployment: str, *, ml_client: Any = None, credential: Any = None,
                 **client_kwargs: Any) -> None:
        self.endpoint = endpoint
        self.deployment = deployment
        self.description = f"azureml {workspace}/{endpoint}/{deployment}"
        if ml_client is None:
            ml = require("azure.ai.ml", "azure", "the azureml controller")
            if credential is None:
                identity = require("azure.identity", "azure", "the azureml controller")
                credential = identity.DefaultAzureCredential()
            ml_client = ml.MLClient(credential, subscription_id, resource_group, workspace, **client_kwargs)
        self.ml_client = ml_client
        self._flight = InFlight()

    def _get(self) -> Any:
        return self.ml_client.online_deployments.get(name=self.deployment, endpoint_name=self.endpoint)

    def get_replicas(self) -> int:
        flying = self._flight.count()
        if flying is not None:
            return flying
        return int(self._get().instance_count)

    def set_replicas(self, replicas: int, request_id: str) -> None:
        if self._flight.already(replicas):
            return
        log.debug("scale", extra={"request_id": request_id, "controller": self.description})
        deployment = self._get()
        deployment.instance_count = int(replicas)
        poller = self.ml_client.online_deployments.begin_create_or_update(
            deployment, skip_script_validation=True)
        self._flight.start(replicas, poller)
