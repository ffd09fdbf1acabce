"""tierplan: cost-aware placement of AI training and inference across cloud, on-prem, edge.

Public API::

    from tierplan import load_scenario, plan
    result = plan(load_scenario("examples/hub-and-spoke.yaml"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError, ScenarioError, SolverError, TierplanError
from .model import Plan, Scenario
from .scenario import load_scenario, parse_scenario
from .scheduler import PlanOptions, plan
from .scheduler.check import check_plan

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
