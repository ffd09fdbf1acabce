"""Fake Kubernetes, Vertex AI and Prometheus APIs: just the calls the autoscaler makes.

Each keeps its state in plain attributes so a test can read what was applied, and can be
told to fail the next N writes (``fail_writes``) -- optionally after applying them, which
is what a timeout after a successful write looks like to a client.
"""

from __future__ import annotations

import re
from typing import Any

from .http import Request


class KubeApi:
    """apps/v1 Deployment scale subresource."""

    def __init__(self, replicas: dict[tuple[str, str], int]) -> None:
        self.replicas = dict(replicas)  # (namespace, name) -> spec.replicas
        self.fail_writes = 0
        self.apply_failed_writes = False
        self.fail_reads = 0

    def __call__(self, r: Request) -> tuple[int, Any]:
        m = re.fullmatch(r"/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)/scale", r.path)
        if not m or (m.group(1), m.group(2)) not in self.replicas:
            return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                         "code": 404, "message": "deployments.apps not found"}
        key = (m.group(1), m.group(2))
        if r.method == "PATCH":
            if self.fail_writes:
                self.fail_writes -= 1
                if self.apply_failed_writes:
                    self.replicas[key] = int(r.body["spec"]["replicas"])
                return 503, {"kind": "Status", "code": 503, "message": "etcdserver: request timed out"}
            self.replicas[key] = int(r.body["spec"]["replicas"])
        elif self.fail_reads:
            self.fail_reads -= 1
            return 500, {"kind": "Status", "code": 500, "message": "internal error"}
        return 200, {"kind": "Scale", "apiVersion": "autoscaling/v1",
                     "metadata": {"name": key[1], "namespace": key[0]},
                     "spec": {"replicas": self.replicas[key]}, "status": {"replicas": self.replicas[key]}}


class VertexApi:
    """EndpointService over REST: get an endpoint, mutate a deployed model (an LRO, done at once)."""

    def __init__(self, name: str, deployed: dict[str, int]) -> None:
        self.name = name  # projects/p/locations/l/endpoints/e
        self.deployed = {k: [v, v] for k, v in deployed.items()}  # id -> [min, max]
        self.fail_writes = 0
        self.masks: list[str] = []
        self.slow_operations = 0  # polls an operation answers 'not done' before it applies
        self.operations: dict[str, list[Any]] = {}  # name -> [polls left, model id, min, max]

    def _model(self, model_id: str) -> dict[str, Any]:
        lo, hi = self.deployed[model_id]
        return {"id": model_id, "model": "projects/p/locations/l/models/m",
                "dedicatedResources": {"machineSpec": {"machineType": "g2-standard-8",
                                                       "acceleratorType": "NVIDIA_L4", "acceleratorCount": 1},
                                       "minReplicaCount": lo, "maxReplicaCount": hi}}

    def _operation(self, name: str) -> dict[str, Any]:
        op = self.operations[name]
        if op[0] > 0:
            op[0] -= 1
            return {"name": name, "done": False}
        self.deployed[op[1]] = [op[2], op[3]]
        return {"name": name, "done": True,
                "response": {"@type": "type.googleapis.com/google.cloud.aiplatform.v1."
                                      "MutateDeployedModelResponse", "deployedModel": self._model(op[1])}}

    def __call__(self, r: Request) -> tuple[int, Any]:
        if r.method == "GET" and r.path == f"/v1/{self.name}":
            return 200, {"name": self.name, "deployedModels": [self._model(m) for m in self.deployed]}
        if r.method == "POST" and r.path == f"/v1/{self.name}:mutateDeployedModel":
            if self.fail_writes:
                self.fail_writes -= 1
                return 503, {"error": {"code": 503, "message": "unavailable", "status": "UNAVAILABLE"}}
            body = r.body
            model_id = body["deployedModel"]["id"]
            mask = body.get("updateMask", "")
            self.masks.append(mask)
            res = body["deployedModel"]["dedicatedResources"]
            snake = {"dedicated_resources.min_replica_count": "dedicatedResources.minReplicaCount",
                     "dedicated_resources.max_replica_count": "dedicatedResources.maxReplicaCount"}
            paths = {snake.get(p, p) for p in mask.split(",")}
            lo, hi = self.deployed[model_id]
            if "dedicatedResources.minReplicaCount" in paths:
                lo = int(res["minReplicaCount"])
            if "dedicatedResources.maxReplicaCount" in paths:
                hi = int(res["maxReplicaCount"])
            name = f"{self.name}/operations/{len(self.masks)}"
            self.operations[name] = [self.slow_operations, model_id, lo, hi]
            return 200, self._operation(name)
        if r.method == "GET" and r.path[len("/v1/"):] in self.operations:
            return 200, self._operation(r.path[len("/v1/"):])
        return 404, {"error": {"code": 404, "message": f"no route {r.method} {r.path}",
                               "status": "NOT_FOUND"}}


class PrometheusApi:
    """``/api/v1/query``: answers from ``series`` (query -> {client: rps}); ``down`` -> HTTP 503."""

    def __init__(self, series: dict[str, dict[str, float]]) -> None:
        self.series = series
        self.down = False

    def __call__(self, r: Request) -> tuple[int, Any]:
        if self.down:
            return 503, {"status": "error", "errorType": "unavailable", "error": "overloaded"}
        if r.path != "/api/v1/query":
            return 404, {"status": "error", "error": "not found"}
        query = r.query.get("query", [""])[0]
        at = float(r.query.get("time", ["0"])[0])
        if query not in self.series:
            return 400, {"status": "error", "errorType": "bad_data", "error": f"unknown query {query!r}"}
        result = [{"metric": {"client": c}, "value": [at, str(v)]} for c, v in self.series[query].items()]
        return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}
