"""Parts already solved, kept so that a part asked again is not solved again.

A merged group's start re-plans a workload part by part (one part per period) with the
room the others leave (:func:`.period_repair.sequential_start`); its priced plan was
found for the same columns and objective without the shared rows. Where that plan fits
the room it is also the restricted part's optimum (the optimum of a relaxation that
meets the extra rows), so the part is answered from here at no work.

Entries are added when results are read (:func:`.parts.collect`), in the planner's own
order, so what is found here never depends on the workers or on which part ended first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .backend import SolveResult, Status
from .milp import Milp

__all__ = ["PartMemo"]

_Row = tuple[tuple[int, ...], tuple[float, ...], float, float]


@dataclass
class _Entry:
    """A solved part kept as tuples: tuples of numbers are objects the garbage
    collector stops walking, and a plan keeps a thousand parts or more."""

    bounds: tuple[tuple[float, ...], tuple[float, ...], tuple[bool, ...]]
    matrix: tuple[tuple[int, ...], tuple[int, ...], tuple[float, ...], tuple[float, ...],
                  tuple[float, ...], tuple[tuple[object, ...], ...]]
    primary: tuple[float, ...]
    secondary: tuple[float, ...] | None
    gap: float
    status: Status
    x: tuple[float, ...]
    objective: float | None
    reached: float
    rows: dict[tuple[object, ...], _Row] | None = None  # read from matrix when first needed


def _bounds(m: Milp) -> tuple[tuple[float, ...], tuple[float, ...], tuple[bool, ...]]:
    return tuple(m.col_lower), tuple(m.col_upper), tuple(m.col_integer)


def _rows(start: Sequence[int], index: Sequence[int], value: Sequence[float],
          lower: Sequence[float], upper: Sequence[float],
          tags: Sequence[tuple[object, ...]]) -> dict[tuple[object, ...], _Row]:
    return {tag: (tuple(index[start[r]:start[r + 1]]), tuple(value[start[r]:start[r + 1]]),
                  lower[r], upper[r]) for r, tag in enumerate(tags)}


class PartMemo:
    """Solved parts by their columns (see the module docstring)."""

    def __init__(self) -> None:
        self._by_cols: dict[tuple[object, ...], list[_Entry]] = {}

    def add(self, m: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
            gap: float, result: SolveResult) -> None:
        """Remember a part solved to its ``gap`` (only answers that are optimal so, and
        not stopped by the wall-clock guard)."""
        if result.status != "optimal" or result.x is None or result.cut:
            return
        matrix = (tuple(m.row_start), tuple(m.row_index), tuple(m.row_value),
                  tuple(m.row_lower), tuple(m.row_upper), tuple(m.row_tags))
        self._by_cols.setdefault(tuple(m.col_tags), []).append(_Entry(
            _bounds(m), matrix, tuple(primary), None if secondary is None else tuple(secondary),
            gap, result.status, tuple(result.x), result.objective, result.gap))

    def answer(self, m: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
               gap: float) -> SolveResult | None:
        """A remembered part's result when it answers ``m`` exactly: the same columns,
        bounds and objectives, its rows among ``m``'s with bounds no tighter, solved to
        ``gap`` at least, and its plan meeting every row of ``m``. None otherwise."""
        entries = self._by_cols.get(tuple(m.col_tags))
        if not entries:
            return None
        first = tuple(primary)
        second = None if secondary is None else tuple(secondary)
        bounds = _bounds(m)
        rows: dict[tuple[object, ...], _Row] | None = None
        for e in entries:
            if e.primary != first or e.secondary != second or e.gap > gap or e.bounds != bounds:
                continue
            if rows is None:
                rows = _rows(m.row_start, m.row_index, m.row_value, m.row_lower, m.row_upper,
                             m.row_tags)
            if self._relaxes(e, rows) and _meets(m, e.x):
                return SolveResult(e.status, list(e.x), e.objective, e.reached, 0.0, 0.0)
        return None

    def start(self, m: Milp) -> list[float] | None:
        """The plan last remembered for ``m``'s columns and bounds (a start for its
        solve: the solver checks that it meets ``m``'s rows), or None."""
        lower, upper = tuple(m.col_lower), tuple(m.col_upper)
        for e in reversed(self._by_cols.get(tuple(m.col_tags), [])):
            if e.bounds[0] == lower and e.bounds[1] == upper:
                return list(e.x)
        return None

    @staticmethod
    def _relaxes(e: _Entry, rows: dict[tuple[object, ...], _Row]) -> bool:
        """Every row of the entry is in ``rows`` with the same terms and bounds at least
        as tight there: the entry's model is a relaxation of the new one."""
        if e.rows is None:
            e.rows = _rows(*e.matrix)
        for tag, (index, value, lower, upper) in e.rows.items():
            mine = rows.get(tag)
            if mine is None or mine[0] != index or mine[1] != value:
                return False
            if mine[2] < lower or mine[3] > upper:
                return False
        return True


def _meets(m: Milp, x: Sequence[float] | None) -> bool:
    """``x`` meets every row of ``m`` (as the repair judges a row broken)."""
    return x is not None and not any(m.outside(r, a) for r, a in enumerate(m.activities(x)))
