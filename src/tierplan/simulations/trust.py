"""What a simulation file may make tierplan do without the user's say-so.

A simulation file can name Python code (``{kind: python, object: "pkg.module:Class"}``):
importing a module and calling an object runs code, so such a file is code-trusted.
The command line refuses an ``object:`` outside :data:`ALLOWED_MODULES` unless
``--allow-python`` is given, and checks it before anything is imported. The Python API
(``load_simulation``) trusts its caller, who is running code already.

A sweep runs the product of its axes' lengths: four axes of 30 values are 810,000
simulations. The command line refuses more than :data:`MAX_SWEEP_POINTS` unless
``--max-sweep-points`` raises the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ALLOWED_MODULES", "MAX_SWEEP_POINTS", "TRUSTED", "Trust", "refused_object", "sweep_size"]

ALLOWED_MODULES = ("tierplan.policies",)
"""Packages whose objects a simulation file may name without ``--allow-python``."""

MAX_SWEEP_POINTS = 10_000


@dataclass(frozen=True, slots=True)
class Trust:
    """How far a simulation file is trusted; the default is the Python API's (fully)."""

    allow_python: bool = True


TRUSTED = Trust()
"""The Python API's default: its caller is running code already."""


def refused_object(spec: str, trust: Trust) -> str | None:
    """Why ``spec`` (``module:attr``) may not be loaded, or None when it may."""
    if trust.allow_python:
        return None
    module = spec.partition(":")[0]
    if any(module == m or module.startswith(m + ".") for m in ALLOWED_MODULES):
        return None
    return (f"{spec!r} would import and run Python code from {module!r}; a simulation file "
            f"may name only objects of {', '.join(ALLOWED_MODULES)} unless you pass "
            "--allow-python (do so only for files you trust as you trust code)")


def sweep_size(axes: Mapping[str, Sequence[float]]) -> int:
    """How many points a sweep runs: the product of its axes' lengths."""
    return math.prod(len(values) for values in axes.values()) if axes else 0
