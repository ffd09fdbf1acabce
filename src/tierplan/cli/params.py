"""Option types the commands share beyond click's own."""

from __future__ import annotations

import math
from typing import Any

import click

__all__ = ["Finite"]


class Finite(click.FloatRange):
    """A ``FloatRange`` that also refuses ``nan`` and ``inf``: every comparison with NaN is
    false, so ``FloatRange(min=0)`` lets it through, and a NaN threshold would silently
    turn a CI cost gate off."""

    name = "finite number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)
