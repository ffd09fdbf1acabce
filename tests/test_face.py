"""The optimal face of a model's LP relaxation (milp.optimal_face), and the lexicographic
optima found on it: the polish's tie-break (HighsBackend.polish) and a single workload's
tie-break (alone.solve_alone)."""

import pytest

from tierplan.scheduler.backend import lexicographic_tolerance
from tierplan.scheduler.milp import INF, Milp, optimal_face, value_of
from tierplan.scheduler.solvers import HighsBackend


def routes() -> Milp:
    """Demand of 5 served by three routes: two fast (latency 1, capacity bought at $10
    and $7 per 3 units) and a slow one (latency 2, $1 per 3 units)."""
    m = Milp()
    n = [m.add_col(("n", k), 0, 10, True, cost=c) for k, c in enumerate((10.0, 7.0, 1.0))]
    y = [m.add_col(("y", k), 0, INF, latency=t) for k, t in enumerate((1.0, 1.0, 2.0))]
    m.add_row(("demand",), y, [1.0] * 3, 5.0, 5.0)
    for k in range(3):
        m.add_row(("capacity", k), [y[k], n[k]], [1.0, -3.0], upper=0.0)
    return m


def test_the_face_holds_what_every_lp_optimum_keeps_and_frees_the_ties():
    m = Milp()
    fast = m.add_col(("fast",), 0, 4, latency=1.0)
    tied = m.add_col(("tied",), 0, 4, latency=1.0)
    slow = m.add_col(("slow",), 0, 4, latency=3.0)
    m.add_row(("demand",), [fast, tied, slow], [1.0] * 3, lower=5.0)
    x = [4.0, 1.0, 0.0]  # an LP optimum; the demand row's dual is 1
    face = optimal_face(m, m.latency, x, [1.0])
    assert (face.col_lower[slow], face.col_upper[slow]) == (0, 0)  # reduced cost 2
    assert (face.col_lower[fast], face.col_upper[fast]) == (0, 4)  # reduced cost 0
    assert (face.col_lower[tied], face.col_upper[tied]) == (0, 4)
    assert (face.row_lower[0], face.row_upper[0]) == (5.0, 5.0)  # its dual is not 0
    assert m.col_upper[slow] == 4 and m.row_upper[0] == INF  # the model is as it was


def test_the_face_holds_nothing_at_a_bound_the_lp_solution_is_not_at():
    # A reduced cost that points to a bound the solution is not at (within the
    # solver's tolerance of a tie) holds nothing: the solution stays on the face.
    m = Milp()
    a = m.add_col(("a",), 0, 4, latency=1.0)
    face = optimal_face(m, m.latency, [2.0], [])
    assert (face.col_lower[a], face.col_upper[a]) == (0, 4)


def test_polishing_breaks_ties_on_the_face_without_spending_the_primary():
    # With the integers fixed (both fast routes bought), latency puts all 5 on the fast
    # routes and cost is the tie-break among them; nothing goes to the slow route, not
    # even the primary's tolerance's worth.
    m = routes()
    x = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    m.cost[3:6] = [0.0, 0.0, -1.0]  # the slow route earns $1 per unit: a tempting tie-break
    clean, duals = HighsBackend().polish(m, m.latency, m.cost, x)
    assert duals is not None
    assert value_of(m.latency, clean) == pytest.approx(5.0, abs=lexicographic_tolerance(5.0))
    assert clean[5] == 0.0
    assert clean[3] + clean[4] == pytest.approx(5.0)
