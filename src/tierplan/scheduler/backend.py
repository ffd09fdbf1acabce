"""What every solver back-end offers (:class:`Backend`) and answers (:class:`SolveResult`),
apart from the back-ends themselves (:mod:`.highs`, :mod:`.cbc`) and the registry that
picks one (:mod:`.solvers`)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol, runtime_checkable

from .budget import lp_iteration_work, lp_work
from .milp import Milp

__all__ = ["TIED_FROM", "TIED_OBJECTIVES", "TIE_WEIGHT", "WARM_OBJECTIVES", "Backend", "Basis",
           "Relaxation", "SolveResult", "Status", "WarmBackend", "fixed_bounds",
           "lexicographic_tolerance", "relax_warm", "tied_costs"]

Status = Literal["optimal", "time_limit", "infeasible", "no_solution"]


@dataclass(frozen=True)
class SolveResult:
    """A solve's answer. ``seconds``: wall time (reported, never used to decide);
    ``work``: work seconds (see :mod:`.budget`), deterministic; ``cut``: the wall-clock
    guard stopped it, so the answer may differ between runs."""

    status: Status
    x: list[float] | None
    objective: float | None
    gap: float
    seconds: float
    work: float = 0.0
    cut: bool = False


class Backend(Protocol):
    name: str

    def solve(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        work: float, gap: float, start: Sequence[float] | None = None,
        presolve: bool = True,
    ) -> SolveResult:
        """Minimise ``primary``, then ``secondary`` with the first held (lexicographic).

        ``work``: work seconds allotted (see :mod:`.budget`; a deterministic limit, and
        the root is always finished). ``start``: a feasible solution to begin from (a
        MIP start), if one is known.
        ``presolve=False`` leaves HiGHS's presolve out: a single workload's model is
        solved faster without it (see alone.solve_alone); CBC ignores it.
        """
        ...

    def polish(
        self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
        x: Sequence[float],
    ) -> tuple[list[float], list[float] | None]:
        """Re-solve the LP with the integer columns fixed at ``x``.

        Returns clean vertex values (the MIP's are only feasible to its tolerance), chosen
        lexicographically like :meth:`solve`, and the row duals of the primary LP
        (d objective / d row bound), or None when the LP gives none.
        """
        ...

    def relax(self, milp: Milp, primary: Sequence[float],
              ) -> tuple[list[float], list[float]] | None:
        """The LP relaxation under ``primary``: its solution and row duals, or None when
        it has no optimum (or no duals)."""
        ...


@dataclass(frozen=True)
class Basis:
    """A simplex basis by column and row tag, so that an LP of another model with many
    of the same columns and rows (a merged block grown by a few workloads) can start
    from it. Statuses are HiGHS's ``HighsBasisStatus`` values (0 lower, 1 basic,
    2 upper, 3 zero)."""

    cols: Mapping[Hashable, int]
    rows: Mapping[Hashable, int]

    @staticmethod
    def joined(bases: Iterable[Basis | None]) -> Basis | None:
        """One hint from the bases of blocks merged into one (the first's status wins
        for a row they share); None when none has one."""
        known = [b for b in bases if b is not None]
        if not known:
            return None
        cols: dict[Hashable, int] = {}
        rows: dict[Hashable, int] = {}
        for basis in known:
            for tag, status in basis.cols.items():
                cols.setdefault(tag, status)
            for tag, status in basis.rows.items():
                rows.setdefault(tag, status)
        return Basis(cols, rows)


@dataclass(frozen=True)
class Relaxation:
    """An LP relaxation's optimum: its solution, row duals, the basis it ended in (None
    when the back-end gives none), its simplex iterations (None when not counted) and
    its work seconds (see :func:`relax_warm`)."""

    x: list[float]
    duals: list[float]
    basis: Basis | None
    iterations: int | None
    work: float = 0.0


@runtime_checkable
class WarmBackend(Protocol):
    """A back-end whose LP relaxation can start from a :class:`Basis` and reports the
    basis it ends in and its simplex iterations (HiGHS)."""

    def relax_from(self, milp: Milp, primary: Sequence[float], basis: Basis | None,
                   tie: Sequence[float] | None = None, ended: bool = True,
                   ) -> Relaxation | None:
        """(``ended``: False when the basis it ends in is not wanted.)"""
        ...


# The objectives whose merged LPs start from their parts' basis. The LP is degenerate:
# from a basis it may end at another optimal vertex, whose prices give another start;
# that paid only where the cold LP is slow (latency; measured in docs/planner-design.md).
WARM_OBJECTIVES = ("latency",)


# The objectives whose merged LPs, when they start cold with at least TIED_FROM columns,
# are first solved with their tie-break added (see tied_costs): under latency only the
# traffic columns have costs, the LP has very many optimal bases, and the dual simplex
# wanders among them. A smaller LP takes well under a second either way, and the other
# vertex is another start (measured in docs/planner-design.md).
TIED_OBJECTIVES = ("latency",)
TIED_FROM = 50_000

# The tie-break's weight in that first pass, relative to the largest primary cost over
# the largest tie-break cost: small enough that the pass ends near the primary's optimum,
# large enough to break its ties (measured in docs/planner-design.md).
TIE_WEIGHT = 1e-2


def tied_costs(primary: Sequence[float], tie: Sequence[float]) -> list[float]:
    """``primary`` with ``tie`` added at TIE_WEIGHT (scaled to the primary's largest cost):
    the costs of an LP's first pass, whose optimal basis the LP under ``primary`` alone
    then starts from. The answer is that LP's optimum, perhaps another of its vertices."""
    top = max((abs(c) for c in primary), default=0.0)
    scale = max((abs(c) for c in tie), default=0.0)
    if top == 0.0 or scale == 0.0:
        return list(primary)
    weight = TIE_WEIGHT * top / scale
    return [c + weight * t for c, t in zip(primary, tie, strict=True)]


def relax_warm(backend: Backend, milp: Milp, primary: Sequence[float], objective: str,
               basis: Basis | None = None, tie: Sequence[float] | None = None,
               ) -> Relaxation | None:
    """The LP relaxation under ``primary`` (the ``objective``'s costs), from ``basis``
    when the back-end can start from one (:class:`WarmBackend`) and the objective is one
    of WARM_OBJECTIVES, otherwise cold, and then, for TIED_OBJECTIVES from TIED_FROM
    columns, through a first pass with the ``tie`` (the objective's tie-break costs, see
    :func:`tied_costs`); with
    its work: by its iterations when counted, else by its size (see :mod:`.budget`).
    None when it has no optimum."""
    if objective not in WARM_OBJECTIVES:
        basis = None
    if basis is not None or objective not in TIED_OBJECTIVES or milp.num_cols < TIED_FROM:
        tie = None
    if isinstance(backend, WarmBackend):
        # Only a warm objective's later LPs start from the basis this one ends in.
        solved = backend.relax_from(milp, primary, basis, tie, objective in WARM_OBJECTIVES)
    else:
        plain = backend.relax(milp, primary)
        solved = None if plain is None else Relaxation(plain[0], plain[1], None, None)
    if solved is None:
        return None
    nnz = len(milp.row_value)
    work = (lp_work(nnz) if solved.iterations is None else
            lp_iteration_work(milp.num_rows, milp.num_cols, nnz, solved.iterations, objective))
    return replace(solved, work=work)


def lexicographic_tolerance(value: float) -> float:
    """How far the primary objective may move in the tie-break phase.

    Any slack here is spent by the tie-break (e.g. shifting 4e-6 rps to a faster site
    for 1e-4 USD), so it is kept near the solvers' own feasibility tolerance.
    """
    return 1e-9 * max(1.0, abs(value))


def fixed_bounds(milp: Milp, x: Sequence[float]) -> tuple[list[float], list[float]]:
    lower, upper = list(milp.col_lower), list(milp.col_upper)
    for j, integer in enumerate(milp.col_integer):
        if integer:
            lower[j] = upper[j] = float(round(x[j]))
    return lower, upper
