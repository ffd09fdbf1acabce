"""Results handed over whose work the clock is charged with as if they had been read
first (scheduler/backlog.py), and the pool handing them to its workers a few at a time
(Pool.hand_over): a merged block's start reads its priced members as they come."""

import threading
from concurrent.futures import Future

import pytest

from tierplan.scheduler.backlog import Backlog
from tierplan.scheduler.budget import WorkClock
from tierplan.scheduler.solvers import SolveResult


class RecordingClock(WorkClock):
    def __init__(self, budget: float) -> None:
        super().__init__(budget)
        self.charges: list[float] = []

    def charge(self, work: float, cut: bool = False) -> None:
        self.charges.append(work)
        super().charge(work, cut)


def _result(work: float) -> SolveResult:
    return SolveResult("optimal", [1.0], 1.0, 0.0, 0.0, work)


def test_results_read_meanwhile_are_charged_after_the_backlog_in_its_order():
    clock = RecordingClock(10.0)
    later: Future[SolveResult] = Future()
    backlog = Backlog(clock, [_result(1.0), later, _result(3.0)])
    assert backlog.peek(0).work == 1.0 and clock.charges == []  # read, not charged
    backlog.defer(_result(0.5))  # a start's step read meanwhile
    later.set_result(_result(2.0))
    assert [r.work for r in backlog.settle()] == [1.0, 2.0, 3.0]
    assert clock.charges == [1.0, 2.0, 3.0, 0.5]
    backlog.settle()  # once only
    assert clock.charges == [1.0, 2.0, 3.0, 0.5]


def test_a_limit_handed_over_meanwhile_is_the_one_it_would_get_after_the_backlog():
    # Not past the deadline by what has come (2 + 0.5 of 3 work seconds): the limit then
    # depends on the rest, so left waits for it (it comes from another thread) and is
    # exact, the backlog settled: 3 - 2 - 0.25 - 0.5.
    clock = RecordingClock(10.0)
    pending: Future[SolveResult] = Future()
    backlog = Backlog(clock, [_result(2.0), pending])
    backlog.defer(_result(0.5))
    threading.Timer(0.05, pending.set_result, [_result(0.25)]).start()
    assert backlog.left(3.0) == pytest.approx(0.25)
    assert backlog.settled and clock.charges == [2.0, 0.25, 0.5]


def test_past_the_deadline_the_backlog_does_not_wait_or_charge():
    clock = RecordingClock(10.0)
    pending: Future[SolveResult] = Future()  # never comes: left must not wait for it
    backlog = Backlog(clock, [_result(2.0), pending])
    assert backlog.left(1.5) < 0
    assert clock.charges == [] and not backlog.settled


class HeldExecutor:
    """Runs nothing until told: records what is submitted, in order."""

    def __init__(self) -> None:
        self.submitted: list[tuple[Future[SolveResult], object]] = []
        self.changed = threading.Condition()

    def submit(self, fn, task):
        future: Future[SolveResult] = Future()
        with self.changed:
            self.submitted.append((future, task))
            self.changed.notify_all()
        return future

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.submitted) >= count, timeout=5)

    def shutdown(self, **_: object) -> None:
        pass


def test_the_pool_hands_a_backlog_over_in_order_a_few_at_a_time():
    # Services' models handed over in reverse order with two workers: HANDED_AHEAD per
    # worker go at once, the next when one of them is done; each result comes back in
    # its own place (in the order of the steps, whatever the order they went in), the
    # clock charged only once the backlog is settled.
    from conftest import inference, offering, scenario, site
    from tierplan import PlanOptions
    from tierplan.scheduler.alone import Request
    from tierplan.scheduler.candidates import Universe
    from tierplan.scheduler.formulation import build
    from tierplan.scheduler.pool import HANDED_AHEAD, Pool

    ahead = 2 * HANDED_AHEAD
    n = ahead + 2
    sc = scenario([site("cloud", offerings=[offering("l4", 1.0)])],
                  [inference(f"svc{k}", {"munich": 5 + k}) for k in range(n)])
    u = Universe(sc)
    forms = [build(u, [u.inference(w, sc.budgets, "cost")], [], sc.budgets, 1.0)
             for w in sc.workloads]
    pool = Pool(PlanOptions(workers=2), n_members=32)
    held = pool.executor = HeldExecutor()
    order = list(reversed(range(n)))
    backlog = pool.hand_over([(f, None) for f in forms], "cost", 5.0, Request(), [None] * n,
                             order)
    held.wait_for(ahead)
    assert [task.milp for _, task in held.submitted] == [forms[k].milp for k in order[:ahead]]
    assert len(held.submitted) == ahead
    held.submitted[1][0].set_result(_result(0.5))  # one done: the next goes
    held.wait_for(ahead + 1)
    assert held.submitted[ahead][1].milp is forms[order[ahead]].milp
    held.submitted[0][0].set_result(_result(0.25))
    held.wait_for(n)
    for future, _ in held.submitted[2:]:
        future.set_result(_result(1.0))
    assert backlog.peek(order[0]).work == 0.25 and pool.clock.spent == 0.0
    pool.settle()
    assert pool.clock.spent == pytest.approx(0.75 + n - 2) and pool.backlog is None


def test_a_priced_members_plan_is_read_as_soon_as_it_comes():
    # The start reads member a's priced plan while b's is still being solved (its outcome
    # not done: reading it would wait); the block's bound comes once both have.
    from conftest import PRICED_PAIR, onprem_jobs
    from tierplan import PlanOptions
    from tierplan.scheduler import pricing
    from tierplan.scheduler.blocks import priced
    from tierplan.scheduler.formulation import build
    from tierplan.scheduler.pool import Pool
    from tierplan.scheduler.solvers import HighsBackend

    u, members, block = onprem_jobs(*PRICED_PAIR)
    forms = {i: build(u, [], [members[i]], u.scenario.budgets, 1.0) for i in block.members}
    block.prices, block.lp = pricing.shadow_prices(HighsBackend(), block, "cost")[0], None
    pool = Pool(PlanOptions(), n_members=2)
    solved = pool.alone([(forms[i], priced(forms[i].milp, block.prices))
                         for i in block.members], "cost", 5.0)
    b_later: Future[SolveResult] = Future()
    orders = []

    def hand_over(steps, objective, deadline, request, hints, order):
        orders.append(order)
        pool.backlog = Backlog(pool.clock, [solved[0], b_later])
        return pool.backlog

    pool.hand_over = hand_over
    plans = pricing.begin_pricing(pool, block, forms, {}, "cost", 5.0, [1, 0])
    assert orders == [[1, 0]]  # the start's order: b first
    assert 0 in plans and plans[0] and block.dual is None
    b_later.set_result(solved[1])
    assert set(plans.settle()) == {0, 1}
    assert block.dual == pytest.approx(13.996)
