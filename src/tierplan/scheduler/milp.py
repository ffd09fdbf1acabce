"""A small sparse MILP container: columns, rows and tags, kept as plain arrays.

The formulation writes into this; the solver back-ends read from it (HiGHS through one
``passModel`` call, CBC through a PuLP problem). Rows carry a *tag* that names the
constraint family and its subject, so explanations can speak about it in words.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np

from .unionfind import find

__all__ = ["INF", "Layout", "Matrix", "Milp", "Part", "by_tag", "fixed_part", "optimal_face",
           "rounded", "rounding_box", "split_fixed", "split_layout", "value_of"]

INF = math.inf
T = TypeVar("T")


def value_of(costs: Sequence[float], x: Sequence[float]) -> float:
    """What the solution ``x`` is worth under the objective ``costs`` (c . x)."""
    return sum((c * v for c, v in zip(costs, x, strict=True) if c), 0.0)


Tag = tuple[Hashable, ...]


def by_tag(milp: Milp, x: Sequence[float]) -> dict[tuple[object, ...], float]:
    """A solution as its non-zero columns by tag (what blocks.sequential_start reads as a
    workload's step)."""
    return {t: v for t, v in zip(milp.col_tags, x, strict=True) if v}


def rounded(integer: Sequence[bool], x: Sequence[float]) -> list[float]:
    """``x`` with the ``integer`` columns rounded to whole numbers (a solver's values are
    integral only to its tolerance)."""
    return [float(round(v)) if whole else v for v, whole in zip(x, integer, strict=True)]


def rounding_box(milp: Milp, x: Sequence[float]) -> Milp:
    """The model with each integer column held between the floor and the ceiling of its
    value in ``x`` (an LP solution), the others as they are: the neighbourhood in which
    rounding ``x`` searches (RENS). Only the bounds are new; the rest is shared."""
    lower, upper = list(milp.col_lower), list(milp.col_upper)
    for j, (v, whole) in enumerate(zip(x, milp.col_integer, strict=True)):
        if whole:
            lower[j] = max(lower[j], float(math.floor(v + ROUNDING)))
            upper[j] = min(upper[j], float(math.ceil(v - ROUNDING)))
    return replace(milp, col_lower=lower, col_upper=upper)


# How far from a whole number an LP value still counts as that number (rounding_box).
ROUNDING = 1e-6


def optimal_face(milp: Milp, costs: Sequence[float], x: Sequence[float],
                 duals: Sequence[float], reduced: Sequence[float] | None = None) -> Milp:
    """The model held to the optimal face of its LP relaxation under ``costs``, given an
    optimal LP solution ``x`` and its row ``duals``: each column whose reduced cost is not
    zero held at the bound ``x`` takes and that cost points to, each row whose dual is not
    zero likewise. By complementary slackness a feasible solution that keeps to these is
    optimal for the LP, so any solution of the held model is worth the LP's optimum
    under ``costs`` (to the tolerances; integrality is kept). Reduced costs and duals
    within FACE_TOLERANCE of the largest cost count as zero. ``reduced``: the reduced
    costs when the solver gave them (else they are worked out from the duals)."""
    tolerance = FACE_TOLERANCE * max(map(abs, costs), default=0.0)
    given = reduced is not None
    reduced = list(reduced) if reduced is not None else list(costs)
    row_lower, row_upper = list(milp.row_lower), list(milp.row_upper)
    starts, index, value = milp.row_start, milp.row_index, milp.row_value
    for r, dual in enumerate(duals):
        if not dual:
            continue
        a, b = starts[r], starts[r + 1]
        if not given:
            for k in range(a, b):
                reduced[index[k]] -= dual * value[k]
        if dual > tolerance or dual < -tolerance:
            activity = sum([value[k] * x[index[k]] for k in range(a, b)])
            if dual > 0 and _at(activity, row_lower[r]):
                row_upper[r] = row_lower[r]
            elif dual < 0 and _at(activity, row_upper[r]):
                row_lower[r] = row_upper[r]
    lower, upper = list(milp.col_lower), list(milp.col_upper)
    for j, d in enumerate(reduced):
        if d > tolerance and _at(x[j], lower[j]):
            upper[j] = lower[j]
        elif d < -tolerance and _at(x[j], upper[j]):
            lower[j] = upper[j]
    return replace(milp, col_lower=lower, col_upper=upper, row_lower=row_lower,
                   row_upper=row_upper)


def _at(value: float, bound: float) -> bool:
    """``value`` sits at the finite ``bound`` (to FACE_TOLERANCE, relative)."""
    return abs(value - bound) <= FACE_TOLERANCE * max(1.0, abs(bound))


# The share of the largest cost below which a reduced cost or dual counts as zero, and
# how near a bound a value counts as at it (optimal_face): well above the LP's
# rounding noise, far below the latency model's smallest reduced costs (about 1e-2 of
# its largest cost).
FACE_TOLERANCE = 1e-6
# How far (relative to the bound, at least absolute) a row's activity may pass a bound
# before a plan over periods counts it broken (repair) or not met (remembered parts).
ROW_TOLERANCE = 1e-6


@dataclass
class Milp:
    col_lower: list[float] = field(default_factory=list)
    col_upper: list[float] = field(default_factory=list)
    col_integer: list[bool] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)  # USD over the horizon
    latency: list[float] = field(default_factory=list)  # ms, demand-weighted
    penalty: list[float] = field(default_factory=list)  # elastic slack weights
    col_tags: list[Tag] = field(default_factory=list)
    row_start: list[int] = field(default_factory=lambda: [0])
    row_index: list[int] = field(default_factory=list)
    row_value: list[float] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    row_tags: list[Tag] = field(default_factory=list)

    @property
    def num_cols(self) -> int:
        return len(self.col_lower)

    @property
    def num_rows(self) -> int:
        return len(self.row_lower)

    def add_col(
        self,
        tag: Tag,
        lower: float = 0.0,
        upper: float = INF,
        integer: bool = False,
        cost: float = 0.0,
        latency: float = 0.0,
        penalty: float = 0.0,
    ) -> int:
        self.col_lower.append(lower)
        self.col_upper.append(upper)
        self.col_integer.append(integer)
        self.cost.append(cost)
        self.latency.append(latency)
        self.penalty.append(penalty)
        self.col_tags.append(tag)
        return len(self.col_lower) - 1

    def add_row(
        self,
        tag: Tag,
        index: Sequence[int],
        value: Sequence[float],
        lower: float = -INF,
        upper: float = INF,
    ) -> int:
        self.row_index.extend(index)
        self.row_value.extend(value)
        self.row_start.append(len(self.row_index))
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.row_tags.append(tag)
        return len(self.row_lower) - 1

    def copy_rows(self, src: Milp, first: int, last: int, shift: int) -> None:
        """Append ``src``'s rows ``first`` to ``last`` (excluded), their columns moved by
        ``shift``: what add_row would do row by row, in bulk (joining models)."""
        a, b, base = src.row_start[first], src.row_start[last], len(self.row_index) - src.row_start[first]
        self.row_index.extend([j + shift for j in src.row_index[a:b]] if shift else src.row_index[a:b])
        self.row_value.extend(src.row_value[a:b])
        self.row_start.extend([k + base for k in src.row_start[first + 1:last + 1]])
        self.row_lower.extend(src.row_lower[first:last])
        self.row_upper.extend(src.row_upper[first:last])
        self.row_tags.extend(src.row_tags[first:last])

    def row(self, r: int) -> tuple[list[int], list[float]]:
        a, b = self.row_start[r], self.row_start[r + 1]
        return self.row_index[a:b], self.row_value[a:b]

    def activity(self, r: int, x: Sequence[float]) -> float:
        index, value = self.row(r)
        return sum([v * x[i] for i, v in zip(index, value, strict=True)])

    def outside(self, r: int, activity: float, tolerance: float = ROW_TOLERANCE) -> bool:
        """``activity`` passes row ``r``'s bounds by more than ``tolerance`` (relative
        to the bound, at least absolute)."""
        upper, lower = self.row_upper[r], self.row_lower[r]
        return (activity > upper + tolerance * max(1.0, abs(upper))
                or activity < lower - tolerance * max(1.0, abs(lower)))

    def activities(self, x: Sequence[float]) -> list[float]:
        """Every row's :meth:`activity` (the same sums, in the same order), in one pass."""
        terms = list(map(operator.mul, self.row_value, map(x.__getitem__, self.row_index)))
        starts = self.row_start
        return [sum(terms[starts[r]:starts[r + 1]]) for r in range(len(starts) - 1)]


@dataclass
class Part:
    """A piece of a MILP whose integer columns are fixed: its own continuous columns
    (``cols``, positions in the parent) and the rows that touch them (``rows``), as a
    MILP of its own with the fixed columns' share moved into the row bounds."""

    cols: list[int]
    rows: list[int]
    milp: Milp


def split_fixed(milp: Milp, x: Sequence[float], layout: Layout | None = None) -> list[Part]:
    """Split the LP left when the integer columns are fixed at ``x`` into independent parts.

    Two continuous columns belong together when a row holds both; rows with no
    continuous column are constants and belong to no part. The LP is the direct sum of
    the parts, so each can be solved (and its ties broken) on its own: a merged block of
    hundreds of workloads becomes hundreds of small LPs. ``layout``: the model's
    :func:`split_layout`, when it was found before ``x`` was known.
    """
    return [fixed_part(milp, part, fixed_terms, x.__getitem__)
            for part, fixed_terms in layout or split_layout(milp)]


def fixed_part(milp: Milp, part: Part, fixed_terms: Sequence[Sequence[tuple[int, float]]],
               value: Callable[[int], float]) -> Part:
    """A part of ``milp``'s :func:`split_layout` with its integer columns fixed at
    ``value(j)`` (rounded): their terms move into its row bounds."""
    lower, upper = [], []
    for r, terms in zip(part.rows, fixed_terms, strict=True):
        fixed = sum([v * round(value(j)) for j, v in terms])  # a list sums faster, alike
        lower.append(milp.row_lower[r] - fixed)
        upper.append(milp.row_upper[r] - fixed)
    return Part(part.cols, part.rows, replace(part.milp, row_lower=lower, row_upper=upper))


# How a model falls apart once its integer columns are fixed, whatever their values:
# each part (its row bounds as the model's) with, per row, the integer columns' terms
# whose fixed values move those bounds (see split_fixed).
Layout = list[tuple[Part, list[tuple[tuple[int, float], ...]]]]


def split_layout(milp: Milp) -> Layout:
    """The parts of :func:`split_fixed` before the integer columns' values are known (at
    1,000 workloads most of its 0.3-0.4 s for the merged block)."""
    parent = list(range(milp.num_cols))
    continuous = [not i for i in milp.col_integer]
    for r in range(milp.num_rows):
        first = -1
        for j in milp.row_index[milp.row_start[r]:milp.row_start[r + 1]]:
            if continuous[j]:
                if first < 0:
                    first = find(parent, j)
                else:
                    parent[find(parent, j)] = first
    groups: dict[int, list[int]] = {}
    for j in range(milp.num_cols):
        if continuous[j]:
            groups.setdefault(find(parent, j), []).append(j)
    rows_of: dict[int, list[int]] = {}
    for r in range(milp.num_rows):
        for j in milp.row_index[milp.row_start[r]:milp.row_start[r + 1]]:
            if continuous[j]:
                rows_of.setdefault(find(parent, j), []).append(r)
                break
    layout: Layout = []
    starts, index, value = milp.row_start, milp.row_index, milp.row_value
    for root, cols in groups.items():
        local = {j: k for k, j in enumerate(cols)}
        # The columns as add_col would append them (continuous), a list at a time.
        sub = Milp([milp.col_lower[j] for j in cols], [milp.col_upper[j] for j in cols],
                   [False] * len(cols), [milp.cost[j] for j in cols],
                   [milp.latency[j] for j in cols], [milp.penalty[j] for j in cols],
                   [milp.col_tags[j] for j in cols])
        rows = rows_of.get(root, [])
        fixed_terms = []
        for r in rows:
            fixed: list[tuple[int, float]] = []
            kept: list[int] = []
            kept_value: list[float] = []
            for j, v in zip(index[starts[r]:starts[r + 1]], value[starts[r]:starts[r + 1]],
                            strict=True):
                if continuous[j]:
                    kept.append(local[j])
                    kept_value.append(v)
                else:
                    fixed.append((j, v))
            fixed_terms.append(tuple(fixed))  # a tuple: the collector stops tracking it
            sub.add_row(milp.row_tags[r], kept, kept_value, milp.row_lower[r], milp.row_upper[r])
        layout.append((Part(cols, rows, sub), fixed_terms))
    return layout


class Matrix:
    """A model's matrix read once into arrays, by rows and by columns, to cut many
    neighbourhoods from it (:meth:`restrict`): a search cuts tens to hundreds from one
    model, and summing each one's held terms in Python cost ~3x the arrays' time."""

    def __init__(self, milp: Milp) -> None:
        self.milp = milp
        self.start = np.asarray(milp.row_start, dtype=np.int64)
        self.index = np.asarray(milp.row_index, dtype=np.int64)
        self.value = np.asarray(milp.row_value, dtype=np.float64)
        # By columns: each column's rows, ascending (a stable sort of the row-wise terms).
        self.col_rows = np.repeat(np.arange(milp.num_rows, dtype=np.int64),
                                  np.diff(self.start))[np.argsort(self.index, kind="stable")]
        self.col_start = np.zeros(milp.num_cols + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.index, minlength=milp.num_cols), out=self.col_start[1:])

    def rows_of(self, cols: Sequence[int]) -> list[int]:
        """The rows that hold any of ``cols``, ascending."""
        c = np.asarray(cols, dtype=np.int64)
        mask = np.zeros(self.milp.num_rows, dtype=bool)
        mask[self.col_rows[_ranges(self.col_start[c], self.col_start[c + 1])]] = True
        rows: list[int] = np.flatnonzero(mask).tolist()
        return rows

    def restrict(self, free: Sequence[int], x: Sequence[float]) -> Part:
        """The MILP over the ``free`` columns with every other column held at ``x``.

        Only rows that hold a free column stay, with the held columns' share moved into
        their bounds (the others are met by ``x`` as it is; each row's held terms summed
        in the row's order, as Python's sum would). Integrality is kept, so this is the
        neighbourhood a search re-optimises: a few workloads of a block of hundreds, as a
        model of their size."""
        m = self.milp
        sub = Milp(_pick(m.col_lower, free), _pick(m.col_upper, free),
                   _pick(m.col_integer, free), _pick(m.cost, free), _pick(m.latency, free),
                   _pick(m.penalty, free), _pick(m.col_tags, free))
        rows = self.rows_of(free) if len(free) else []
        if not rows:
            return Part(list(free), rows, sub)
        local = np.full(m.num_cols, -1, dtype=np.int64)
        local[np.asarray(free, dtype=np.int64)] = np.arange(len(free))
        r = np.asarray(rows, dtype=np.int64)
        first, last = self.start[r], self.start[r + 1]
        at = _ranges(first, last)
        cols, vals = self.index[at], self.value[at]
        mine = local[cols]
        kept = mine >= 0
        owner = np.repeat(np.arange(len(rows)), last - first)
        sub.row_index = mine[kept].tolist()
        sub.row_value = vals[kept].tolist()
        sub.row_start = [0, *np.cumsum(np.bincount(owner[kept], minlength=len(rows))).tolist()]
        sub.row_lower, sub.row_upper = _pick(m.row_lower, rows), _pick(m.row_upper, rows)
        sub.row_tags = _pick(m.row_tags, rows)
        held = ~kept
        if held.any():  # (x read only where held: reading it whole costs more at 100k)
            sums = np.zeros(len(rows))
            np.add.at(sums, owner[held],
                      vals[held] * np.array(_pick(x, cols[held].tolist()), dtype=np.float64))
            # The rows with held terms, ascending (np.unique would import numpy.ma, 0.03 s,
            # on the planner's thread the first time).
            some = np.flatnonzero(np.bincount(owner[held], minlength=len(rows)))
            for k, h in zip(some.tolist(), sums[some].tolist(), strict=True):
                sub.row_lower[k] -= h
                sub.row_upper[k] -= h
        return Part(list(free), rows, sub)


def _ranges(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The positions first[k] .. last[k] - 1 of every k, one after another."""
    length = last - first
    return np.repeat(first - np.cumsum(length) + length, length) + np.arange(length.sum())


def _pick(values: Sequence[T], at: Sequence[int]) -> list[T]:
    """``[values[j] for j in at]`` (by ``operator.itemgetter``, ~2x faster)."""
    if len(at) < 2:
        return [values[j] for j in at]
    return list(operator.itemgetter(*at)(values))
