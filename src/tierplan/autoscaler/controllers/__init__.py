"""Controllers: read and set the replica count of one endpoint deployment at one site.

Cloud SDKs are imported inside each controller, only when one is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import ActionResult, Controller, ControllerError, DryRunController, ReadOnly, Retrier, apply

__all__ = ["ActionResult", "Controller", "ControllerError", "DryRunController", "ReadOnly", "Retrier",
           "apply", "build_controller"]


def build_controller(kind: str, params: Mapping[str, Any]) -> Controller:
    """A controller from its config entry (``type`` and its keys), with the SDK's defaults."""
    p = dict(params)
    if kind == "dry-run":
        return DryRunController(replicas=int(p.get("replicas", 0)))
    if kind == "kubernetes":
        from .kubernetes import KubernetesController

        return KubernetesController(p.pop("deployment"), p.pop("namespace", "default"), **p)
    if kind == "sagemaker":
        from .sagemaker import SageMakerController

        return SageMakerController(p.pop("endpoint"), p.pop("variant", "AllTraffic"), **p)
    if kind == "vertex":
        from .vertex import VertexController

        return VertexController(p.pop("project"), p.pop("location"), p.pop("endpoint"),
                                p.pop("deployed_model"), **p)
    if kind == "azureml":
        from .azureml import AzureMLController

        return AzureMLController(p.pop("subscription_id"), p.pop("resource_group"), p.pop("workspace"),
                                 p.pop("endpoint"), p.pop("deployment"))
    raise ValueError(f"unknown controller type {kind!r}")
