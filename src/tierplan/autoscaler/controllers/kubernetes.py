"""Kubernetes Deployments (on-prem and edge clusters) through the scale subresource.

Reads ``GET .../deployments/{name}/scale`` (spec.replicas, the desired count) and sets it
with ``PATCH`` of ``{"spec": {"replicas": n}}``, with the official ``kubernetes`` client.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["KubernetesController"]

log = logging.getLogger("tierplan.autoscale")


class KubernetesController:
    def __init__(self, deployment: str, namespace: str = "default", *, api: Any = None,
                 kubeconfig: str | None = None, context: str | None = None, in_cluster: bool = False,
                 host: str | None = None) -> None:
        self.deployment = deployment
        self.namespace = namespace
        self.description = f"kubernetes deployment {namespace}/{deployment}"
        self.api = api if api is not None else _apps_api(kubeconfig, context, in_cluster, host)

    def get_replicas(self) -> int:
        scale = self.api.read_namespaced_deployment_scale(self.deployment, self.namespace)
        return int(scale.spec.replicas or 0)

    def set_replicas(self, replicas: int, request_id: str) -> None:
        log.debug("scale", extra={"request_id": request_id, "controller": self.description})
        self.api.patch_namespaced_deployment_scale(self.deployment, self.namespace,
                                                   {"spec": {"replicas": int(replicas)}})


def _apps_api(kubeconfig: str | None, context: str | None, in_cluster: bool, host: str | None) -> Any:
    try:
        from kubernetes import client, config
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("the kubernetes controller needs the kubernetes client: "
                          "pip install 'tierplan[k8s]'") from exc
    if host is not None:
        cfg = client.Configuration()
        cfg.host = host
        return client.AppsV1Api(client.ApiClient(cfg))
    if in_cluster:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
        return client.AppsV1Api()
    api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=kubeconfig, context=context)
    return client.AppsV1Api(api_client)
