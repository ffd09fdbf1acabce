"""Placement and scaling policies, shared by the simulator and the autoscaler.

Every placement policy implements :class:`~tierplan.policies.base.Policy` (``decide`` and
``place_job``). :func:`make_policy` builds the bundled ones by kind; a user policy is any
object with those two methods and a ``name``: name its class in a simulation file
(``kind: python, object: package.module:Class, params: {...}``; it is built as
``Class(name, **params)``), or pass it to :func:`tierplan.simulations.run.run_world`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import JobChoice, JobRequest, Key, Observation, Policy

__all__ = ["KINDS", "JobChoice", "JobRequest", "Key", "Observation", "Policy", "load_object", "make_policy"]

KINDS = ("optimal", "static", "greedy", "cloud_only", "edge_first", "hpa", "autoscaler", "python")


def load_object(spec: str) -> Any:
    """``package.module:Name`` -> the object (ImportError or AttributeError when missing)."""
    import importlib

    module, _, attr = spec.partition(":")
    found: Any = importlib.import_module(module)
    for part in attr.split("."):
        found = getattr(found, part)
    return found


def make_policy(kind: str, name: str, params: Mapping[str, Any]) -> Policy:
    """A fresh policy (policies keep state: build one per run)."""
    from .greedy import GreedyPolicy
    from .planned import HpaPolicy, OptimalPolicy, StaticPolicy
    from .tracking import TrackingPolicy

    if kind == "optimal":
        options = dict(params)
        if options.pop("scaling", "track") == "plan":
            for only_track in ("target_utilization", "scale_down_window", "lead", "tolerance",
                               "deployments"):
                options.pop(only_track, None)
            return OptimalPolicy(name, **options)
        return TrackingPolicy(name, **options)
    if kind == "static":
        return StaticPolicy(name, **params)
    if kind in ("greedy", "cloud_only", "edge_first"):
        return GreedyPolicy(name, kind, **params)
    if kind == "hpa":
        return HpaPolicy(name, **params)
    if kind == "autoscaler":
        from .autoscaler import AutoscalerPolicy

        return AutoscalerPolicy(name, **params)
    if kind == "python":
        # The simulation loader has checked that this builds a Policy.
        built: Policy = load_object(str(params["object"]))(name, **params.get("params", {}))
        return built
    raise ValueError(f"unknown policy kind {kind!r}; known: {', '.join(KINDS)}")
