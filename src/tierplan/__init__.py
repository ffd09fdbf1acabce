"""tierplan: cost-aware placement of AI training and inference across cloud, on-prem, edge.

Public API::

    from tierplan import load_scenario, plan
    result = plan(load_scenario("examples/hub-and-spoke.yaml"))
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

from .errors import InputError, ScenarioError, SolverError, TierplanError

if TYPE_CHECKING:
    from .model import Plan, Scenario
    from .scenario import load_scenario, parse_scenario
    from .scheduler import PlanOptions, plan
    from .scheduler.check import check_plan

# Loaded on first use, so `tierplan catalog ...` or `tierplan diff` don't pay for the
# schema and the solver bindings.
_LAZY = {
    "Plan": ".model", "Scenario": ".model",
    "load_scenario": ".scenario", "parse_scenario": ".scenario",
    "PlanOptions": ".scheduler", "plan": ".scheduler",
    "check_plan": ".scheduler.check",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'tierplan' has no attribute {name!r}")

__all__ = [
    "InputError",
    "Plan",
    "PlanOptions",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "TierplanError",
    "__version__",
    "check_plan",
    "load_scenario",
    "parse_scenario",
    "plan",
]
