"""Parts over periods remembered and carried between periods (scheduler.period_memo,
period_pool.follow): a part is answered from memory only when the remembered model is a
relaxation of the new one whose plan meets it, and a plan carried to another period
scales its traffic to that period's demand."""

from __future__ import annotations

from collections.abc import Sequence

from tierplan.scheduler.budget import WorkClock
from tierplan.scheduler.highs import HighsBackend
from tierplan.scheduler.milp import INF, Milp
from tierplan.scheduler.parts import collect, hand_over
from tierplan.scheduler.period_memo import PartMemo
from tierplan.scheduler.period_pool import Runner, follow
from tierplan.scheduler.solvers import Solver, SolveResult


def _period(p: int, demand: float, cap: float = INF) -> Milp:
    """One workload in period ``p``: instances n (4 rps each, $3) or n2 (10 rps, $5)
    carry the demand; ``cap`` limits n2 (a shared row with the room others leave)."""
    m = Milp()
    n = m.add_col(("n", "w", 0, 1, p), 0, 10, True, 3.0)
    n2 = m.add_col(("n", "w", 1, 2, p), 0, 10, True, 5.0)
    y = m.add_col(("y", "w", 0, 0, p), 0, demand, False, 0.0)
    y2 = m.add_col(("y", "w", 1, 0, p), 0, demand, False, 0.0)
    m.add_row(("demand", "w", "c", p), [y, y2], [1.0, 1.0], demand, demand)
    m.add_row(("group_capacity", "w", 0, p), [y, n], [1.0, -4.0], -INF, 0.0)
    m.add_row(("group_capacity", "w", 1, p), [y2, n2], [1.0, -10.0], -INF, 0.0)
    if cap < INF:
        m.add_row(("capacity", 2, p), [n2], [1.0], -INF, cap)
    return m


def _solved(m: Milp) -> SolveResult:
    return HighsBackend().solve(m, m.cost, None, 10.0, 1e-6)


def test_a_part_whose_plan_meets_the_new_rows_is_answered_from_memory() -> None:
    memo = PartMemo()
    alone = _period(0, 20.0)
    result = _solved(alone)
    assert result.objective == 10.0  # two of n2
    memo.add(alone, alone.cost, None, 1e-4, result)
    roomy = _period(0, 20.0, cap=3)
    known = memo.answer(roomy, roomy.cost, None, 1e-4)
    assert known is not None and known.x == result.x and known.work == 0.0


def test_a_part_is_solved_again_when_the_plan_breaks_a_row_or_the_model_differs() -> None:
    memo = PartMemo()
    alone = _period(0, 20.0)
    memo.add(alone, alone.cost, None, 1e-4, _solved(alone))
    tight = _period(0, 20.0, cap=1)
    assert memo.answer(tight, tight.cost, None, 1e-4) is None  # two n2 do not fit
    assert memo.answer(alone, [1.0, 1.0, 0.0, 0.0], None, 1e-4) is None  # other prices
    assert memo.answer(alone, alone.cost, None, 1e-6) is None  # a finer gap than solved to
    assert memo.answer(_period(0, 21.0), alone.cost, None, 1e-4) is None  # other demand


def test_a_plan_of_a_tighter_model_does_not_answer_a_looser_one() -> None:
    memo = PartMemo()
    tight = _period(0, 20.0, cap=1)
    memo.add(tight, tight.cost, None, 1e-4, _solved(tight))
    loose = _period(0, 20.0, cap=5)
    assert memo.answer(loose, loose.cost, None, 1e-4) is None
    assert memo.start(loose) is not None  # still a plan to start from


def test_a_plan_carried_to_another_period_scales_its_traffic_to_the_demand() -> None:
    before, after = _period(3, 20.0), _period(2, 10.0)
    x = [0.0, 2.0, 0.0, 20.0]
    assert follow(before, x, after) == [0.0, 2.0, 0.0, 10.0]


class _Counting(HighsBackend):
    name = "counting"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def solve(self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
              work: float, gap: float, start: Sequence[float] | None = None,
              presolve: bool = True) -> SolveResult:
        self.calls += 1
        return super().solve(milp, primary, secondary, work, gap, start, presolve)


def _two_periods(cap: float = INF) -> Milp:
    """Periods 0 and 1 of one workload side by side (two parts)."""
    m = _period(0, 8.0, cap)
    second = _period(1, 20.0, cap)
    offset = m.num_cols
    for j in range(second.num_cols):
        m.add_col(second.col_tags[j], second.col_lower[j], second.col_upper[j],
                  second.col_integer[j], second.cost[j])
    for r in range(second.num_rows):
        index, value = second.row(r)
        m.add_row(second.row_tags[r], [j + offset for j in index], value,
                  second.row_lower[r], second.row_upper[r])
    return m


def test_parts_asked_again_with_room_are_not_solved_again() -> None:
    backend = _Counting()
    with Runner(Solver(backend=backend), 1, 2) as runner:
        first = collect(hand_over(runner, _two_periods(), False, False, 10.0, 1e-4, chain=True),
                        backend, WorkClock(10.0))
        assert backend.calls == 2 and first.objective == 15.0
        again = collect(hand_over(runner, _two_periods(cap=2), False, False, 10.0, 1e-4),
                        backend, WorkClock(10.0))
        assert backend.calls == 2  # both plans fit the room: remembered
        assert again.x == first.x
        collect(hand_over(runner, _two_periods(cap=1), False, False, 10.0, 1e-4), backend,
                WorkClock(10.0))
        assert backend.calls == 3  # period 1's two n2 do not fit one: solved again
