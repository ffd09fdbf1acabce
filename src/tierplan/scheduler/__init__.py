"""The planner: scenario -> plan, and what explains it."""

from .planner import PlanOptions, plan

__all__ = ["PlanOptions", "plan"]
