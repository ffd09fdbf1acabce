"""The gap of a plan solved in blocks, and what a merged block may leave of it.

The blocks' objectives add up, and so do their lower bounds, so the whole plan's gap is
the one a single MILP of the scenario would report. A merged block's bound is the best
of its solver's, the sum of its workloads' solo optima, its LP relaxation's optimum and
its Lagrangian bound (:func:`lagrangian`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .blocks import Block, Blocks, Key, coupling_key
from .milp import Milp, value_of
from .solvers import SolveResult

__all__ = ["block_bound", "block_gap", "lagrangian", "lp_bound", "relative_gap", "slack",
           "solver_bound", "value_bound", "whole_gap"]


def block_bound(block: Block, alone: Mapping[int, float]) -> float:
    """A lower bound on a solved block's primary objective: the best of the solver's and,
    for a merged block, the sum of its workloads' solo optima, and its LP relaxation's
    optimum and Lagrangian bound (when the start priced it)."""
    assert block.result is not None
    bound = solver_bound(block.result)
    if len(block.members) > 1:
        bound = max(bound, sum(alone.get(m, 0.0) for m in block.members))
    if block.relaxed is not None:
        bound = max(bound, lp_bound(block.relaxed))
    if block.dual is not None:
        bound = max(bound, block.dual)
    return bound


def lagrangian(milp: Milp, prices: Mapping[Key, float], bounds: Sequence[float]) -> float:
    """A merged block's Lagrangian bound: with its shared rows (A x <= b) moved into the
    objective at prices lam >= 0, the block falls apart into its workloads' own models,
    and  sum_w min (c_w + lam A_w) x_w - lam b  <= min c x  over the block.

    ``bounds`` holds each workload's lower bound of its own model under the prices
    (the solver's bound, so that a model stopped early still gives a valid bound).
    At the LP relaxation's prices this is at least the LP's optimum, and more when the
    workloads' own models are not integral at their LP optimum (big instances serving
    small demand), which is most of what separates the LP bound from the plans."""
    total = sum(bounds)
    for r, tag in enumerate(milp.row_tags):
        key = coupling_key(tag)
        if key is not None and key in prices:
            total -= prices[key] * milp.row_upper[r]
    return total


def value_bound(block: Block, alone: Mapping[int, float]) -> tuple[float, float] | None:
    """A solved block's objective value and a lower bound of it (None when unsolved)."""
    if block.result is None or block.result.objective is None:
        return None
    value = block.result.objective
    return value, min(block_bound(block, alone), value)


def whole_gap(blocks: Blocks, alone: Mapping[int, float]) -> float:
    """The relative gap of the whole plan: the blocks' objectives add up, and so do their
    lower bounds, so this is the gap one MILP of the whole scenario would report."""
    value = bound = 0.0
    for block in blocks.blocks.values():
        solved = value_bound(block, alone)
        if solved is not None:
            value += solved[0]
            bound += solved[1]
    return relative_gap(value, bound)


def relative_gap(value: float, bound: float) -> float:
    """How far ``value`` is above its lower ``bound``, relative to it (inf: no bound)."""
    if not math.isfinite(bound):
        return math.inf
    return max(0.0, value - bound) / max(abs(value), 1e-9)


def slack(blocks: Blocks, alone: Mapping[int, float], gap: float) -> float:
    """How much absolute gap the unsolved blocks may leave with the whole plan still
    within ``gap``: ``gap`` times a lower bound of the whole objective, less what the
    solved blocks already leave. (Solved single workloads are mostly exact, so a merged
    block gets more room than ``gap`` of its own objective.)"""
    lower = used = 0.0
    for block in blocks.blocks.values():
        solved = value_bound(block, alone)
        if solved is None:
            lower += sum(alone.get(m, 0.0) for m in block.members)
        else:
            lower += solved[1]
            used += solved[0] - solved[1]
    return max(0.0, gap * lower - used)


def block_gap(gap: float, slack: float, primary: Sequence[float],
               start: Sequence[float] | None) -> float:
    """The relative gap that keeps a block's absolute gap within ``slack``: incumbents
    only improve on the start, so a relative gap of slack / start value suffices."""
    if start is None:
        return gap
    value = value_of(primary, start)
    return max(gap, slack / value) if value > 0 else gap


def solver_bound(result: SolveResult, value: float | None = None) -> float:
    """The solver's lower bound on the objective it solved (-inf when it has none):
    ``result.objective`` less its gap, or ``value`` less it when the result reports
    another objective (a priced model's result carries its value without the prices)."""
    value = result.objective if value is None else value
    if value is None or not math.isfinite(result.gap):
        return -math.inf
    return value - result.gap * abs(value)


def lp_bound(value: float) -> float:
    """A lower bound from an LP's optimum ``value``: less its tolerance (LP_TOLERANCE)."""
    return value - LP_TOLERANCE * max(1.0, abs(value))


# The LP's optimum is exact only to HiGHS's optimality tolerance (1e-7, relative to
# the costs); the bound taken from it gives that much away.
LP_TOLERANCE = 1e-7
