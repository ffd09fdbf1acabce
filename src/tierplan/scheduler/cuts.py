"""Valid inequalities for one inference workload's model (see :mod:`.formulation`):
route cuts, cover rows, their big-instance rows and mixed-integer roundings. Each holds
for every integer plan; they tighten the LP relaxation the solver starts from."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .candidates import EPS, Group, InferenceCandidates
from .milp import INF, Milp

__all__ = ["MIR_DIVISORS", "cover_cuts", "mir", "route_cuts"]


def route_cuts(m: Milp, workload: str, gi: int, g: Group, cols: Sequence[int | None],
                ys: dict[int, int], demand: dict[int, float]) -> None:
    """y[g,c] <= sum_u min(cap_u, demand_c) * n[g,u], for every client of the group.

    Valid for integer n: when some instance in use has cap_u >= demand_c the right side is
    at least demand_c >= y; otherwise it equals the group's capacity. It cuts off the
    fractional "0.15 of an 8-GPU node" plans that make the plain LP bound weak when big
    instances serve small demands (the capacitated facility location strengthening).
    """
    used = [col for col in cols if col is not None]
    caps = [unit.cap for unit, col in zip(g.units, cols, strict=True) if col is not None]
    largest = max(caps, default=-INF)
    for ci, y in ys.items():
        d = demand[ci]
        if largest <= d:
            continue  # the cut would repeat the group capacity row
        m.add_row(("route_cap", workload, gi, ci), [y, *used], [1.0, *[-min(cap, d) for cap in caps]],
                  -INF, 0.0)


def cover_cuts(m: Milp, workload: str, cand: InferenceCandidates, n: Sequence[Sequence[int | None]],
                demand: dict[int, float]) -> None:
    """sum over groups reaching S, units u of min(cap_u, d_S) * n[g,u] >= d_S.

    For S = all clients and for each single client served by two or more groups. Valid
    for integer n by the route-cut argument (an instance in use with cap >= d_S covers
    d_S alone; otherwise the sum is the capacity that carries S's traffic). They are
    implied by the rows above only after aggregation, which the solver's cut separators
    rarely find; stated outright they give its MIR rounding a single row to work on,
    which closes most of the rounding gap of contested capacity (measured: 10
    workloads sharing 12 GPUs, 1,115 -> 63 branch-and-bound nodes).

    For every S (also a client only one group serves, whose cover row the route cut
    already states) two rounded forms follow: the big-instance row, and the rounding
    of the cover row by each of the three smallest unit capacities below d_S
    (:func:`mir`). The solver would find them too, but on a merged block of hundreds
    of workloads only after a long cut loop; the endpoints of the 100-workload benchmark
    went from an LP 13.2 % below their integer optima to 3.3 % with them.
    """
    units: list[tuple[int, float, set[int]]] = []  # (column, capacity, clients reached)
    serving: dict[int, int] = {}
    for gi, g in enumerate(cand.groups):
        reached = {ci for ci, _ in g.reach}
        for ci in reached:
            serving[ci] = serving.get(ci, 0) + 1
        units.extend((col, unit.cap, reached) for unit, col in zip(g.units, n[gi], strict=True)
                     if col is not None and reached)
    subsets: list[tuple[int | None, float]] = [(None, sum(demand.values()))] if len(cand.groups) > 1 else []
    subsets += sorted(demand.items())
    for client, d in subsets:
        if d <= 0:
            continue
        chosen = [u for u in units if client is None or client in u[2]]
        terms = [(col, min(cap, d)) for col, cap, _ in chosen]
        tag = ("cover", workload) if client is None else ("cover", workload, client)
        if client is None or serving.get(client, 0) > 1:  # else the route cut says it
            m.add_row(tag, [c for c, _ in terms], [x for _, x in terms], d, INF)
        # Some instance big enough to carry d alone must run when the smaller ones
        # could not carry d even at their column bounds (their cover row rounded up).
        small = sum(cap * m.col_upper[col] for col, cap, _ in chosen if cap < d - EPS)
        big = [col for col, cap, _ in chosen if cap >= d - EPS]
        if small < d - EPS and big and small > 0:
            m.add_row(("big", *tag[1:]), big, [1.0] * len(big), 1.0, INF)
        for delta in sorted({cap for _, cap, _ in chosen if cap < d - EPS})[:MIR_DIVISORS]:
            mir(m, ("mir", *tag[1:], round(delta, 6)), terms, d, delta)


MIR_DIVISORS = 3


def mir(m: Milp, tag: tuple[object, ...], terms: Sequence[tuple[int, float]], d: float,
         delta: float) -> None:
    """The mixed-integer rounding of ``sum a_j n_j >= d`` (integer n_j >= 0) by ``delta``:
    sum (floor(a_j/delta) + min(f_j, f) / f) n_j >= ceil(d/delta), with f and
    f_j the fractional parts of d/delta and a_j/delta. Skipped when d/delta is integral
    (the row is then as strong)."""
    ratio = d / delta
    f = ratio - math.floor(ratio)
    if f < 1e-6 or f > 1 - 1e-6:
        return
    # The same IEEE operations as in scalars, a row of a hundred terms at a time.
    r = np.array([a for _, a in terms], dtype=np.float64) / delta
    whole = np.floor(r)
    coef = (whole + np.minimum(r - whole, f) / f).tolist()
    m.add_row(tag, [c for c, _ in terms], coef, float(math.ceil(ratio)), INF)
