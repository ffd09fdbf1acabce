"""A small sparse MILP container: columns, rows and tags, kept as plain arrays.

The formulation writes into this; the solver back-ends read from it (HiGHS through one
``passModel`` call, CBC through a PuLP problem). Rows carry a *tag* that names the
constraint family and its subject, so explanations can speak about it in words.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

__all__ = ["INF", "Milp"]

INF = math.inf

Tag = tuple[Hashable, ...]


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

    def row(self, r: int) -> tuple[list[int], list[float]]:
        a, b = self.row_start[r], self.row_start[r + 1]
        return self.row_index[a:b], self.row_value[a:b]

    def activity(self, r: int, x: Sequence[float]) -> float:
        index, value = self.row(r)
        return sum(v * x[i] for i, v in zip(index, value, strict=True))
