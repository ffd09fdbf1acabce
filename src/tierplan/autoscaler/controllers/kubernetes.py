"""Kubernetes Deployments (on-prem and edge clusters) through the scale subresource.

Reads ``GET .../deployments/{name}/scale`` (spec.replicas, the desired count) and sets it
with ``PATCH`` of ``{"spec": {"replicas": n}}``, with the official ``kubernetes`` client.
Every call carries a request timeout (``timeout`` in the config, 10 s by default), so an
API server that accepts the connection and never answers costs one timeout per attempt
instead of stalling the tick.

At start the autoscaler asks :meth:`KubernetesController.competing_autoscalers` whether a
HorizontalPodAutoscaler or a KEDA ScaledObject already scales the same Deployment: two
autoscalers setting one replica count undo each other's work.
"""

from __future__ import annotations

import logging
from typing import Any

from ..extras import require

__all__ = ["DEFAULT_TIMEOUT_S", "KubernetesController"]

log = logging.getLogger("tierplan.autoscale")

DEFAULT_TIMEOUT_S = 10.0


class KubernetesController:
    def __init__(self, deployment: str, namespace: str = "default", *, api: Any = None,
                 kubeconfig: str | None = None, context: str | None = None, in_cluster: bool = False,
                 host: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.deployment = deployment
        self.namespace = namespace
        self.timeout = float(timeout)
        where = f" (context {context})" if context else ""
        self.description = f"kubernetes deployment {namespace}/{deployment}{where}"
        self.api = api if api is not None else _apps_api(kubeconfig, context, in_cluster, host)

    def get_replicas(self) -> int:
        try:
            scale = self.api.read_namespaced_deployment_scale(self.deployment, self.namespace,
                                                              _request_timeout=self.timeout)
        except Exception as exc:
            raise self._explain(exc) from exc
        return int(scale.spec.replicas or 0)

    def set_replicas(self, replicas: int, request_id: str) -> None:
        log.debug("scale", extra={"request_id": request_id, "controller": self.description})
        try:
            self.api.patch_namespaced_deployment_scale(self.deployment, self.namespace,
                                                       {"spec": {"replicas": int(replicas)}},
                                                       _request_timeout=self.timeout)
        except Exception as exc:
            raise self._explain(exc) from exc

    def _explain(self, exc: Exception) -> Exception:
        """The SDK's error with the Deployment named (its 404 says only 'Not Found')."""
        status = getattr(exc, "status", None)
        if status == 404:
            return LookupError(f"{self.description} not found (HTTP 404): check namespace and "
                               "deployment in the config, or create the Deployment")
        if status is not None:
            reason = getattr(exc, "reason", "") or ""
            return RuntimeError(f"{self.description}: HTTP {status} {reason}".rstrip())
        return RuntimeError(f"{self.description}: {type(exc).__name__}: {exc}")

    def competing_autoscalers(self) -> tuple[list[str], list[str]]:
        """(autoscalers that target this Deployment, what could not be checked and why).

        HorizontalPodAutoscalers (autoscaling/v2) and KEDA ScaledObjects (keda.sh/v1alpha1;
        a cluster without KEDA answers 404, which means none)."""
        k8s = require("kubernetes.client", "k8s", "the kubernetes controller")
        api_client = self.api.api_client
        found: list[str] = []
        unchecked: list[str] = []
        try:
            hpas = k8s.AutoscalingV2Api(api_client).list_namespaced_horizontal_pod_autoscaler(
                self.namespace, _request_timeout=self.timeout)
            for hpa in hpas.items or []:
                ref = hpa.spec.scale_target_ref
                if ref is not None and ref.kind == "Deployment" and ref.name == self.deployment:
                    found.append(f"HorizontalPodAutoscaler {self.namespace}/{hpa.metadata.name}")
        except Exception as exc:
            unchecked.append(f"HorizontalPodAutoscalers: {_brief(exc)}")
        try:
            scaled = k8s.CustomObjectsApi(api_client).list_namespaced_custom_object(
                "keda.sh", "v1alpha1", self.namespace, "scaledobjects", _request_timeout=self.timeout)
            for item in scaled.get("items") or []:
                ref = (item.get("spec") or {}).get("scaleTargetRef") or {}
                if ref.get("kind", "Deployment") == "Deployment" and ref.get("name") == self.deployment:
                    name = (item.get("metadata") or {}).get("name")
                    found.append(f"KEDA ScaledObject {self.namespace}/{name}")
        except Exception as exc:
            if getattr(exc, "status", None) != 404:  # 404: KEDA is not installed
                unchecked.append(f"KEDA ScaledObjects: {_brief(exc)}")
        return found, unchecked


def _brief(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    if status is not None:
        return f"HTTP {status} {getattr(exc, 'reason', '') or ''}".rstrip()
    return f"{type(exc).__name__}: {exc}"


def _apps_api(kubeconfig: str | None, context: str | None, in_cluster: bool, host: str | None) -> Any:
    client = require("kubernetes.client", "k8s", "the kubernetes controller")
    config = require("kubernetes.config", "k8s", "the kubernetes controller")
    if host is not None:
        cfg = client.Configuration()
        cfg.host = host
        return client.AppsV1Api(client.ApiClient(cfg))
    if in_cluster:
        config.load_incluster_config()
        return client.AppsV1Api()
    api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
    return client.AppsV1Api(api_client)
