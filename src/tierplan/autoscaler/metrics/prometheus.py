"""Prometheus HTTP API: one instant query per endpoint, one series per client.

``GET {url}/api/v1/query?query=Q&time=T`` must answer a vector whose series carry the
client's name in ``client_label``, e.g. ``sum by (client) (rate(requests_total{app="x"}[2m]))``.
Standard library only (urllib); the timeout comes from the config.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..config import EndpointSpec
from .base import Reading, complete

__all__ = ["PrometheusSource"]


class PrometheusSource:
    def __init__(self, url: str, timeout: float = 5.0, headers: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.headers = headers or {}

    def read(self, endpoint: EndpointSpec, now: float) -> Reading:
        query = endpoint.demand.query or ""
        params = urllib.parse.urlencode({"query": query, "time": f"{now:.3f}"})
        request = urllib.request.Request(f"{self.url}/api/v1/query?{params}", headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body: Any = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            return Reading("down", {}, _http_error(exc))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return Reading("down", {}, f"prometheus unreachable or unreadable: {exc}")
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            return Reading("down", {}, f"prometheus query failed: {error or 'bad answer'}")
        data = body.get("data") or {}
        if data.get("resultType") != "vector":
            return Reading("down", {}, f"query must give a vector, got {data.get('resultType')!r}")
        values: dict[str, float] = {}
        unlabelled = unreadable = 0
        for series in data.get("result") or []:
            client = (series.get("metric") or {}).get(endpoint.demand.client_label)
            if client is None:
                unlabelled += 1
                continue
            try:
                # Prometheus writes NaN, +Inf and -Inf as strings float() reads
                values[client] = values.get(client, 0.0) + float(series["value"][1])
            except (KeyError, IndexError, TypeError, ValueError):
                unreadable += 1
        reading = complete(endpoint, values)
        notes = []
        if unlabelled:
            notes.append(f"{unlabelled} series without label {endpoint.demand.client_label!r}")
        if unreadable:
            notes.append(f"{unreadable} series without a [time, value] sample")
        if notes:
            joined = "; ".join(x for x in (reading.detail, *notes) if x)
            reading = Reading(reading.status, reading.demand, joined)
        return reading


def _http_error(exc: urllib.error.HTTPError) -> str:
    """Prometheus's own error text (a PromQL typo is HTTP 400 ``bad_data``), not just the code."""
    try:
        body = json.loads(exc.read().decode("utf-8", "replace"))
    except (OSError, ValueError):
        body = None
    if isinstance(body, dict) and body.get("error"):
        kind = body.get("errorType") or "error"
        hint = "; check the endpoint's demand.query" if kind == "bad_data" else ""
        return f"prometheus answered HTTP {exc.code} ({kind}): {body['error']}{hint}"
    return f"prometheus answered HTTP {exc.code} {exc.reason}".rstrip()
