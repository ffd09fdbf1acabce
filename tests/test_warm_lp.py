"""A merged block's LP relaxation started from an earlier basis (backend.relax_warm):
the same optimum as a cold start, in fewer simplex iterations (less work)."""

import random

import pytest

from tierplan.scheduler.backend import Basis, relax_warm, tied_costs
from tierplan.scheduler.milp import Milp, value_of
from tierplan.scheduler.solvers import HighsBackend


def transport(demands: int, supplies: int = 12, seed: int = 3) -> Milp:
    """Demands served from capacitated supplies at random unit costs; the first
    ``demands`` demands of one seeded family (so a larger model extends a smaller one
    with the same tags)."""
    rng = random.Random(seed)
    costs = [[rng.uniform(1, 50) for _ in range(supplies)] for _ in range(40)]
    sizes = [rng.uniform(5, 20) for _ in range(40)]
    m = Milp()
    col: dict[tuple[int, int], int] = {}
    for d in range(demands):
        for s in range(supplies):
            col[d, s] = m.add_col(("y", d, s), 0.0, 1e9, True, cost=costs[d][s])
    for d in range(demands):
        m.add_row(("demand", d), [col[d, s] for s in range(supplies)], [1.0] * supplies,
                  sizes[d], sizes[d])
    for s in range(supplies):
        m.add_row(("supply", s), [col[d, s] for d in range(demands)], [1.0] * demands,
                  upper=40.0)
    return m


def test_a_grown_model_starts_from_the_smaller_ones_basis():
    backend = HighsBackend()
    small, grown = transport(30), transport(32)
    first = relax_warm(backend, small, small.cost, "latency")
    assert first is not None and first.basis is not None
    cold = relax_warm(backend, grown, grown.cost, "latency")
    warm = relax_warm(backend, grown, grown.cost, "latency", first.basis)
    assert cold is not None and warm is not None
    assert value_of(grown.cost, warm.x) == pytest.approx(value_of(grown.cost, cold.x), rel=1e-9)
    assert warm.work < cold.work


def test_a_basis_of_another_shape_is_repaired_not_refused():
    # The grown model's basis has more basic columns than the small model has rows,
    # and a hint may name tags the model does not have: the optimum is the cold one.
    backend = HighsBackend()
    small, grown = transport(30), transport(32)
    big = relax_warm(backend, grown, grown.cost, "latency")
    assert big is not None and big.basis is not None
    stray = Basis({**big.basis.cols, ("y", 99, 0): 1}, {**big.basis.rows, ("nowhere",): 0})
    cold = relax_warm(backend, small, small.cost, "latency")
    warm = relax_warm(backend, small, small.cost, "latency", stray)
    assert cold is not None and warm is not None
    assert value_of(small.cost, warm.x) == pytest.approx(value_of(small.cost, cold.x), rel=1e-9)


def test_a_backend_without_bases_solves_cold():
    class Plain:
        name = "plain"

        def relax(self, milp, primary):
            return HighsBackend().relax(milp, primary)

    m = transport(10)
    solved = relax_warm(Plain(), m, m.cost, "latency", Basis({}, {}))  # type: ignore[arg-type]
    assert solved is not None and solved.basis is None and solved.work > 0
    assert value_of(m.cost, solved.x) == pytest.approx(
        value_of(m.cost, HighsBackend().relax(m, m.cost)[0]))  # type: ignore[index]


def test_the_cost_objectives_lp_starts_cold():
    # (its LP is cheap to solve again; see backend.WARM_OBJECTIVES)
    backend = HighsBackend()
    small, grown = transport(30), transport(32)
    first = relax_warm(backend, small, small.cost, "latency")
    assert first is not None
    cold = relax_warm(backend, grown, grown.cost, "cost")
    hinted = relax_warm(backend, grown, grown.cost, "cost", first.basis)
    assert cold is not None and hinted is not None
    assert hinted.iterations == cold.iterations


def test_merged_blocks_join_their_bases():
    a = Basis({("y", 0): 1}, {("shared",): 1, ("a",): 0})
    b = Basis({("y", 1): 0}, {("shared",): 0, ("b",): 1})
    joined = Basis.joined([a, None, b])
    assert joined is not None
    assert joined.cols == {("y", 0): 1, ("y", 1): 0}
    assert joined.rows == {("shared",): 1, ("a",): 0, ("b",): 1}  # the first's status wins
    assert Basis.joined([None, None]) is None


def test_a_tied_first_pass_ends_at_the_primarys_optimum():
    # Costs rounded to three levels: the LP has many optimal vertices (as under the
    # latency objective, where instance columns cost nothing). The first pass with the
    # tie-break added ends near one; the second, under the primary alone, at its optimum.
    backend = HighsBackend()
    m = transport(30)
    primary = [float(round(c / 20)) for c in m.cost]
    tie = list(m.cost)
    plain = backend.relax_from(m, primary, None)
    tied = backend.relax_from(m, primary, None, tie)
    assert plain is not None and tied is not None
    assert value_of(primary, tied.x) == pytest.approx(value_of(primary, plain.x), rel=1e-9)
    assert len(tied.duals) == m.num_rows and tied.iterations is not None


def test_tied_costs_break_ties_by_the_tie_break_only():
    primary, tie = [1.0, 1.0, 0.0], [3.0, 1.0, 2.0]
    tied = tied_costs(primary, tie)
    assert tied[1] < tied[0] and 0.0 < tied[2] < 1.0  # the cheaper of the ties first
    assert max(t - p for p, t in zip(primary, tied, strict=True)) < 0.1  # a small nudge
    assert tied_costs([0.0, 0.0], tie[:2]) == [0.0, 0.0]
