"""The one exception tree of tierplan.

::

    TierplanError                 base of everything tierplan raises on purpose
    ├── InputError                a file or argument the user must fix (exit code 2)
    │   └── ScenarioError         an input file (scenario, simulation, autoscale config,
    │       │                     catalog, plan JSON): names the file and the path inside it
    │       └── ScenarioErrors    several problems of one file, reported together
    └── SolverError               the MILP solver failed in a way the user cannot fix (exit 1)

An infeasible scenario is not an exception: the planner returns a plan whose status
is ``infeasible`` and whose ``diagnosis`` says why (exit code 3 in the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["InputError", "ScenarioError", "ScenarioErrors", "SolverError", "TierplanError"]


class TierplanError(Exception):
    """Base class of every error tierplan raises on purpose."""


class InputError(TierplanError):
    """Input the user has to fix: a bad file, option or value."""


class ScenarioError(InputError):
    """A problem in an input file, located by file and field path.

    ``path`` uses the notation users see in the file, e.g. ``workloads[1].latency_slo_ms``.
    """

    def __init__(self, file: str, path: str, message: str) -> None:
        self.file = file
        self.path = path
        self.message = message
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {message}")


class ScenarioErrors(ScenarioError):
    """Several problems found in one input file at once; ``file``, ``path`` and ``message``
    are the first one's, ``problems`` holds them all. The text lists up to ``SHOWN`` of
    them, one ``file: path: message`` a line, then how many more there are."""

    SHOWN = 20

    def __init__(self, problems: Sequence[ScenarioError]) -> None:
        first = problems[0]
        super().__init__(first.file, first.path, first.message)
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems[:self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            lines.append(f"... and {len(self.problems) - self.SHOWN} more")
        self.args = (f"{len(self.problems)} problems in {first.file}:\n  " + "\n  ".join(lines),)

    def __str__(self) -> str:
        return str(self.args[0])


class SolverError(TierplanError):
    """The solver could not be run or returned something unusable."""
