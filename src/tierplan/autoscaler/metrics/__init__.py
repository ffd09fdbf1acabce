"""Metrics sources: demand per client for each endpoint (Prometheus, CloudWatch, file)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .base import MetricsSource, Reading, complete

__all__ = ["MetricsSource", "Reading", "build_source", "complete"]


def build_source(kind: str, params: Mapping[str, Any],
                 start: Callable[[], float] | None = None) -> MetricsSource:
    p = dict(params)
    if kind == "prometheus":
        from .prometheus import PrometheusSource

        return PrometheusSource(p["url"], p.get("timeout", 5.0))
    if kind == "cloudwatch":
        from .cloudwatch import CloudWatchSource

        return CloudWatchSource(**p)
    if kind == "file":
        from .replay import ReplaySource

        return ReplaySource(p["path"], p.get("loop", False), start, fmt=p.get("format", "rps"),
                            window=p.get("window", 60.0),
                            timestamp_column=p.get("timestamp_column", "TIMESTAMP"),
                            split=p.get("split"), scale=p.get("scale", 1.0))
    raise ValueError(f"unknown metrics source {kind!r}")
