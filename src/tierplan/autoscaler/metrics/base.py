"""What a metrics source returns: demand per client, and whether it can be trusted.

``status`` is ``ok`` (every expected client has a value), ``partial`` (some are missing
or not numbers) or ``down`` (the source could not be read). The autoscaler acts on ``ok``
only and holds the endpoint's replicas otherwise, saying why (``detail``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..config import EndpointSpec

__all__ = ["MetricsSource", "Reading", "complete"]


@dataclass(frozen=True)
class Reading:
    status: Literal["ok", "partial", "down"]
    demand: Mapping[str, float] = field(default_factory=dict)
    detail: str = ""


class MetricsSource(Protocol):
    def read(self, endpoint: EndpointSpec, now: float) -> Reading:
        """Demand (rps per client) of one endpoint at ``now`` (epoch seconds)."""
        ...


def complete(endpoint: EndpointSpec, values: Mapping[str, float], ignored: Iterable[str] = ()) -> Reading:
    """A reading from the values found: partial when an expected client is missing, NaN,
    infinite or negative (unless the endpoint says ``missing: zero``, which counts them as
    0 rps); the detail says which, with the value as read. Unknown clients are dropped."""
    demand: dict[str, float] = {}
    missing: list[str] = []
    bad: dict[str, str] = {}  # client -> the value as read (NaN, +Inf, -3)
    for client in endpoint.clients:
        value = values.get(client)
        if value is None:
            missing.append(client)
        elif not math.isfinite(value) or value < 0:
            bad[client] = _shown(value)
        else:
            demand[client] = float(value)
    extra = sorted(set(values) - set(endpoint.clients)) + sorted(ignored)
    notes = [f"ignored unknown clients {extra}"] if extra else []
    problems = []
    if missing:
        problems.append(f"no value for clients {missing}")
    if bad:
        shown = ", ".join(f"{c}={v}" for c, v in bad.items())
        problems.append(f"unusable values (rps must be finite and >= 0): {shown}")
    if problems and endpoint.demand.missing == "hold":
        return Reading("partial", demand, "; ".join([*problems, *notes]))
    missing += list(bad)
    for client in missing:
        demand[client] = 0.0
    if missing:
        notes.append(f"clients {missing} counted as 0 rps")
    return Reading("ok", demand, "; ".join(notes))


def _shown(value: float) -> str:
    """A value as Prometheus writes it: NaN, +Inf, -Inf, or the number."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:g}"
