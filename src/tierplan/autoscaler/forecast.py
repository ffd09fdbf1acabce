"""Predictive mode: Holt's linear trend (double exponential smoothing) per client.

For samples x_t taken every Δ seconds (Δ may vary; the trend is kept per second):
    level_t = α x_t + (1 - α)(level_{t-1} + trend_{t-1} Δ)
    trend_t = β (level_t - level_{t-1}) / Δ + (1 - β) trend_{t-1}
and the demand ``lead`` seconds ahead is level_t + trend_t · lead, never below 0.
The autoscaler plans for max(observed, forecast): it scales up ahead of a rise and
leaves scale-down to the stabilisation window, as predictive scaling in AWS does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Holt", "HoltState"]


@dataclass(frozen=True)
class HoltState:
    time: float
    level: float
    trend: float  # per second


class Holt:
    def __init__(self, alpha: float, beta: float) -> None:
        self.alpha = alpha
        self.beta = beta
        self.states: dict[tuple[str, str], HoltState] = {}

    def update(self, key: tuple[str, str], now: float, value: float) -> HoltState:
        prev = self.states.get(key)
        if prev is None or now <= prev.time:
            state = HoltState(now, value, prev.trend if prev else 0.0)
        else:
            dt = now - prev.time
            level = self.alpha * value + (1 - self.alpha) * (prev.level + prev.trend * dt)
            trend = self.beta * (level - prev.level) / dt + (1 - self.beta) * prev.trend
            state = HoltState(now, level, trend)
        self.states[key] = state
        return state

    def forecast(self, key: tuple[str, str], lead_s: float) -> float:
        state = self.states[key]
        return max(0.0, state.level + state.trend * lead_s)

    def ahead(self, endpoint: str, now: float, demand: Mapping[str, float],
              lead_s: float) -> dict[str, float]:
        """Feed one reading; demand to plan for: max(observed, forecast) per client."""
        out = {}
        for client, rps in demand.items():
            self.update((endpoint, client), now, rps)
            out[client] = max(rps, self.forecast((endpoint, client), lead_s))
        return out
