"""A model's matrix read into arrays (scheduler.milp.Matrix): the neighbourhood it cuts
out is the model over the free columns with every other column held, exactly as the
plain definition writes it (the same terms in the same order, the same row bounds)."""

from __future__ import annotations

import random

import pytest

from tierplan.scheduler.milp import INF, Matrix, Milp


def _model(rng: random.Random) -> Milp:
    m = Milp()
    for j in range(rng.randint(1, 40)):
        m.add_col(("n", f"w{j % 5}", j), 0, rng.choice([1, 5, INF]), rng.random() < 0.5,
                  rng.random())
    for r in range(rng.randint(0, 30)):
        cols = sorted(rng.sample(range(m.num_cols), rng.randint(0, min(6, m.num_cols))))
        m.add_row(("row", r), cols, [rng.choice([1, -2.5, 0.3]) for _ in cols],
                  rng.choice([-INF, 0, 1]), rng.choice([INF, 2, 7.5]))
    return m


def _plain(m: Milp, free: list[int], x: list[float]) -> Milp:
    """The restriction as its definition reads, one column and one row at a time."""
    local = {j: k for k, j in enumerate(free)}
    sub = Milp()
    for j in free:
        sub.add_col(m.col_tags[j], m.col_lower[j], m.col_upper[j], m.col_integer[j],
                    m.cost[j], m.latency[j], m.penalty[j])
    for r in range(m.num_rows):
        index, value = m.row(r)
        if not any(j in local for j in index):
            continue
        held = sum([v * x[j] for j, v in zip(index, value, strict=True) if j not in local])
        kept = [(local[j], v) for j, v in zip(index, value, strict=True) if j in local]
        sub.add_row(m.row_tags[r], [k for k, _ in kept], [v for _, v in kept],
                    m.row_lower[r] - held, m.row_upper[r] - held)
    return sub


@pytest.mark.parametrize("seed", range(20))
def test_a_restriction_is_the_model_over_the_free_columns_with_the_rest_held(seed: int) -> None:
    rng = random.Random(seed)
    m = _model(rng)
    matrix = Matrix(m)
    for _ in range(5):
        free = sorted(rng.sample(range(m.num_cols), rng.randint(0, m.num_cols)))
        x = [rng.choice([0.0, 1.0, 2.5, 3.0]) for _ in range(m.num_cols)]
        part = matrix.restrict(free, x)
        assert part.cols == free
        assert part.rows == sorted({r for r in range(m.num_rows)
                                    if set(m.row(r)[0]) & set(free)})
        plain = _plain(m, free, x)
        assert vars(part.milp) == vars(plain)
        # (the same numbers, of the same types: an integer bound stays one)
        assert [type(v) for v in part.milp.row_lower] == [type(v) for v in plain.row_lower]
