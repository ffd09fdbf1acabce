"""A custom azure-core transport answering the Azure ML REST calls of an online deployment.

``MLClient(..., transport=FakeAzureML(...))`` sends every request here instead of to
management.azure.com: GET of the workspace, the endpoint and the deployment, and PUT of
the deployment (answered as finished at once, so the poller completes without polling).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl

ARM = "https://management.azure.com"


class FakeToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data

    def close(self) -> None:
        return None


class _Response(HttpResponseImpl):  # type: ignore[misc]
    """A finished response with a JSON body (azure-core's own response class, pre-read)."""

    def __init__(self, request: Any, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        super().__init__(request=request, internal_response=_Raw(data), status_code=status,
                         reason="OK" if status < 400 else "Error", content_type="application/json",
                         headers={"Content-Type": "application/json", "x-ms-request-id": "fake"},
                         stream_download_generator=None)
        self._content = data
        self._is_stream_consumed = True

    def body(self) -> bytes:
        return self._content


class FakeAzureML(HttpTransport):
    def __init__(self, sub: str, rg: str, ws: str, endpoint: str, deployment: str, count: int) -> None:
        self.base = (f"/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                     f"Microsoft.MachineLearningServices/workspaces/{ws}")
        self.ws, self.endpoint, self.deployment = ws, endpoint, deployment
        self.count = count
        self.requests: list[tuple[str, str, Any]] = []
        self.fail_writes = 0

    def __enter__(self) -> FakeAzureML:
        return self

    def __exit__(self, *args: Any) -> None:
        return None

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def _deployment(self) -> dict[str, Any]:
        return {
            "id": f"{self.base}/onlineEndpoints/{self.endpoint}/deployments/{self.deployment}",
            "name": self.deployment, "location": "westeurope",
            "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
            "sku": {"name": "Default", "capacity": self.count},
            "properties": {
                "endpointComputeType": "Managed", "instanceType": "Standard_NC4as_T4_v3",
                "model": f"{self.base}/models/detector/versions/1",
                "scaleSettings": {"scaleType": "Default"}, "provisioningState": "Succeeded",
            },
        }

    def send(self, request: Any, **kwargs: Any) -> _Response:
        path = re.sub(r"^https://[^/]+", "", request.url).split("?", 1)[0]
        body = json.loads(request.body) if request.body else None
        self.requests.append((request.method, path, body))
        if path == self.base and request.method == "GET":
            return _Response(request, 200, {"id": self.base, "name": self.ws, "location": "westeurope",
                                            "properties": {"provisioningState": "Succeeded"}})
        if path == f"{self.base}/onlineEndpoints/{self.endpoint}" and request.method == "GET":
            return _Response(request, 200, {
                "id": path, "name": self.endpoint, "location": "westeurope", "identity": {"type": "None"},
                "properties": {"authMode": "Key", "provisioningState": "Succeeded"}})
        if path == f"{self.base}/onlineEndpoints/{self.endpoint}/deployments/{self.deployment}":
            if request.method == "PUT":
                if self.fail_writes:
                    self.fail_writes -= 1
                    busy = {"error": {"code": "ServiceUnavailable", "message": "busy"}}
                    return _Response(request, 503, busy)
                self.count = int(body["sku"]["capacity"])
            return _Response(request, 200, self._deployment())
        return _Response(request, 404, {"error": {"code": "NotFound", "message": f"{request.method} {path}"}})
