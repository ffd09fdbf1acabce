"""Placement and scaling policies, shared by the simulator and the autoscaler.

Every placement policy implements :class:`~tierplan.policies.base.Policy` (``decide`` and
``place_job``). :func:`make_policy` builds the bundled ones by kind; a user policy is any
object with those two methods and a ``name``, passed to
:func:`tierplan.simulations.engine.run_policy` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import JobChoice, JobRequest, Key, Observation, Policy

__all__ = ["KINDS", "JobChoice", "JobRequest", "Key", "Observation", "Policy", "make_policy"]

KINDS = ("optimal", "static", "greedy", "cloud_only", "edge_first", "hpa")


def make_policy(kind: str, name: str, params: Mapping[str, Any]) -> Policy:
    """A fresh policy (policies keep state: build one per run)."""
    from .greedy import GreedyPolicy
    from .planned import HpaPolicy, OptimalPolicy, StaticPolicy

    if kind == "optimal":
        return OptimalPolicy(name, **params)
    if kind == "static":
        return StaticPolicy(name, **params)
    if kind in ("greedy", "cloud_only", "edge_first"):
        return GreedyPolicy(name, kind, **params)
    if kind == "hpa":
        return HpaPolicy(name, **params)
    raise ValueError(f"unknown policy kind {kind!r}; known: {', '.join(KINDS)}")
