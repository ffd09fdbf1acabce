"""The first round and the merge rounds: LP relaxations before solves, merges found
from them, and worker processes (writing models, solving, spawned or forked)."""

from concurrent.futures import Future

import pytest

from conftest import FRANKFURT, VIRGINIA, inference, offering, scenario, site, solve
from tierplan import PlanOptions, check_plan, plan
from tierplan.scheduler import decomposition
from tierplan.scheduler import pool as pool_module


@pytest.mark.integration  # worker processes
def test_worker_processes_give_the_same_plan(monkeypatch):
    # 40 independent services: enough blocks for the planner to use worker processes.
    pools = []
    real = pool_module.ProcessPoolExecutor
    monkeypatch.setattr(pool_module, "ProcessPoolExecutor",
                        lambda *a, **k: pools.append(1) or real(*a, **k))
    sites = [site("a", offerings=[offering("l4", 1.0), offering("l4x4", 3.5, count=4)]),
             site("b", location=FRANKFURT, offerings=[offering("l4", 0.9)])]
    loads = [inference(f"s{i}", demand={"munich": 3 + 2 * i}) for i in range(40)]
    sc = scenario(sites, loads)
    one = plan(sc, PlanOptions(workers=1))
    two = plan(sc, PlanOptions(workers=2))
    assert pools == [1]  # only the two-worker run used a pool
    assert one.status == two.status == "optimal"
    assert one.placements == two.placements
    assert check_plan(sc, two) == []


@pytest.mark.integration  # worker processes
def test_contested_capacity_with_worker_processes_gives_the_optimum():
    # 36 services, each 10 rps (one L4 at 10 rps x 100 % = one instance), and 12 on-prem
    # L4s at $0.10/h against $1/h in the cloud: alone each takes an on-prem L4, together
    # they break its capacity and are merged; with workers the first round and the
    # start's steps run in processes. Optimum: 12 x $0.10 + 24 x $1 per hour, 100 h.
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=12)]),
             site("cloud", offerings=[offering("l4", 1.0)])]
    sc = scenario(sites, [inference(f"s{i}", max_utilization=1.0) for i in range(36)])
    one = plan(sc, PlanOptions(workers=1))
    two = plan(sc, PlanOptions(workers=2))
    assert one.status == two.status == "optimal"
    assert two.total_cost_usd == pytest.approx(one.total_cost_usd)
    assert two.total_cost_usd == pytest.approx((12 * 0.1 + 24 * 1.0) * 100)
    assert two.solver.components == 1  # all 36 were merged over the on-prem L4s
    assert check_plan(sc, two) == []


@pytest.mark.integration  # worker processes
def test_workers_write_the_candidates_and_models_the_planner_would(monkeypatch):
    # With worker processes that fork, the 36 services' candidates, models and LPs are
    # written in the workers (Pool.prepare); the planner reads each one with its model
    # (which refers to those candidates). The plan is the one planned in this process alone.
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers write candidates only when they fork")
    read = []
    real = pool_module.Pool.prepare
    monkeypatch.setattr(pool_module.Pool, "prepare", lambda self, *a: (
        read.append(item) or item for item in real(self, *a)))
    _planned_as_alone(_services_on_twelve_l4s())
    assert len(read) == 36 and all(relaxed for _, _, _, relaxed, _ in read)
    assert [c.workload.name for c, *_ in read] == [f"s{i}" for i in range(36)]
    assert all(form.inference[0].cand is c for c, form, *_ in read)


def _services_on_twelve_l4s():
    """36 services of 5-40 rps, 12 on-prem L4s at $0.10/h against $1/h in the cloud."""
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=12)]),
             site("cloud", location=FRANKFURT, offerings=[offering("l4", 1.0)])]
    return scenario(sites, [inference(f"s{i}", max_utilization=1.0, demand={"munich": 5 + i})
                            for i in range(36)])


def _planned_as_alone(sc):
    """Plan ``sc`` with two worker processes: the same optimal plan as in this process."""
    one = plan(sc, PlanOptions(workers=1))
    two = plan(sc, PlanOptions(workers=2))
    assert two.status == one.status == "optimal"
    assert two.placements == one.placements
    assert check_plan(sc, two) == []


@pytest.mark.integration  # worker processes
def test_chunks_no_worker_has_begun_are_prepared_by_the_planner(monkeypatch):
    # The planner takes over a chunk of Pool.prepare that no worker has begun when it
    # needs it (the future can still be cancelled). Here no worker ever begins one: the
    # planner writes and solves all 36 itself, and the plan is the same.
    import multiprocessing
    import threading
    from concurrent.futures import Future

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers write candidates only when they fork")
    real_executor = pool_module.Pool._executor
    kept: list[Future] = []

    class Idle:  # leaves the chunks pending; runs everything else in the real pool
        def __init__(self, real):
            self.real = real

        def submit(self, fn, *args):
            if fn is pool_module.prepare_alone:  # fails after 10 s unless taken over
                kept.append(Future())
                threading.Timer(10.0, _fail_unless_cancelled, (kept[-1],)).start()
                return kept[-1]
            return self.real.submit(fn, *args)

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(pool_module.Pool, "_executor", lambda self: Idle(real_executor(self)))
    _planned_as_alone(_services_on_twelve_l4s())
    assert len(kept) == 5 and all(f.cancelled() for f in kept)  # 36 in chunks of 8


@pytest.mark.integration  # worker processes
def test_spawned_workers_get_the_models_from_the_planner(monkeypatch):
    # Where workers cannot fork (Windows), they are spawned: the planner writes every
    # model itself and hands each over, and nothing else is sent to them at start.
    import multiprocessing

    read = []
    real = pool_module.Pool.prepare
    monkeypatch.setattr(pool_module.Pool, "prepare", lambda self, *a: read.append(1) or real(
        self, *a))
    monkeypatch.setattr(pool_module, "_fork", lambda: multiprocessing.get_context("spawn"))
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=12)]),
             site("cloud", offerings=[offering("l4", 1.0)])]
    sc = scenario(sites, [inference(f"s{i}", max_utilization=1.0) for i in range(36)])
    result = plan(sc, PlanOptions(workers=2))
    assert read == []
    assert result.status == "optimal"
    assert result.total_cost_usd == pytest.approx((12 * 0.1 + 24 * 1.0) * 100)


@pytest.mark.integration  # worker processes
def test_a_model_a_worker_cannot_write_is_reported_as_the_planner_would():
    # 1e14 rps on 10-rps instances: 1e13 instances, too large to plan exactly. The
    # worker gives up on it; the planner writes it again itself and names the workload.
    from tierplan.errors import InputError

    sites = [site("cloud", offerings=[offering("l4", 1.0)])]
    loads = [inference(f"s{i}", demand={"munich": 1e14 if i == 7 else 10}) for i in range(40)]
    with pytest.raises(InputError, match=r"^s7: an instance count of .* is too large"):
        plan(scenario(sites, loads), PlanOptions(workers=2))


def _fail_unless_cancelled(future):
    if not future.cancel():
        future.set_exception(AssertionError("the planner waited for a chunk no worker began"))


def _four_on_two(monkeypatch, hide=None):
    """Four 10-rps services and two on-prem L4s ($0.10/h) against $1/h in the cloud,
    planned in this process; returns the plan, the services solved alone (their own
    MILPs) and the merge rounds (solve_blocks calls). ``hide``: a service whose LP
    relaxation is made to find nothing, so that the first round must solve it alone."""
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=2)]),
             site("cloud", offerings=[offering("l4", 1.0)])]
    sc = scenario(sites, [inference(f"s{i}", max_utilization=1.0) for i in range(4)])
    alone, rounds = [], []
    real_alone, real_relax, real_solve = (pool_module.solve_alone, pool_module.relax_alone,
                                          decomposition.solve_blocks)

    def solve_alone(task):
        alone.append(task.milp.col_tags[0][1])
        return real_alone(task)

    def relax_alone(task):
        if task.milp.col_tags[0][1] == hide:
            return pool_module.SolveResult("no_solution", None, None, float("inf"), 0.0)
        return real_relax(task)

    def solve_blocks(pool, blocks, *args, **kwargs):
        rounds.append(sorted(len(b.members) for b in blocks))
        return real_solve(pool, blocks, *args, **kwargs)

    monkeypatch.setattr(pool_module, "solve_alone", solve_alone)
    monkeypatch.setattr(pool_module, "relax_alone", relax_alone)
    monkeypatch.setattr(decomposition, "solve_blocks", solve_blocks)
    return solve(sc, workers=1), alone, rounds


def test_workloads_whose_relaxations_break_a_row_are_merged_without_their_own_solves(monkeypatch):
    # Each service's LP relaxation takes one on-prem L4 (10 rps = one instance at 100 %);
    # four of them break the two available, so all four are merged before any of them
    # is solved alone. Optimum: 2 x $0.10 + 2 x $1 per hour, 100 h.
    result, alone, rounds = _four_on_two(monkeypatch)
    assert alone == []
    assert rounds == [[4]]  # one merged block, solved once
    assert result.status == "optimal" and result.solver.components == 1
    assert result.total_cost_usd == pytest.approx((2 * 0.1 + 2 * 1.0) * 100)


def test_a_workload_whose_relaxation_missed_the_row_joins_in_the_same_round(monkeypatch):
    # s2's relaxation finds nothing, so the other three are merged (3 > 2 L4s) and s2 is
    # solved alone: it takes an on-prem L4 too, which with the others' relaxations
    # breaks the row again, so it joins them before the block is solved: one round.
    result, alone, rounds = _four_on_two(monkeypatch, hide="s2")
    assert alone == ["s2"]
    assert rounds == [[4]]
    assert result.solver.components == 1
    assert result.total_cost_usd == pytest.approx((2 * 0.1 + 2 * 1.0) * 100)


def test_merged_blocks_whose_relaxations_break_a_row_together_are_merged_before_solving(
        monkeypatch):
    # One on-prem L4 each at x and z ($0.10/h) and y ($0.20/h), the cloud at $1/h; a1 and
    # a2 may use x, y or the cloud, b1 and b2 z, y or the cloud. Alone each a takes x and
    # each b z, so the first round merges {a1, a2} and {b1, b2}. Each block's LP then
    # moves one of its pair to y: together they break y, so the four are merged before
    # either block is started or solved: one round. Optimum x, z, y and one cloud L4:
    # (0.1 + 0.1 + 0.2 + 1) x 100 h.
    rounds = []
    real = decomposition.solve_blocks
    monkeypatch.setattr(decomposition, "solve_blocks", lambda pool, blocks, *a, **k: rounds.append(
        sorted(len(b.members) for b in blocks)) or real(pool, blocks, *a, **k))
    sites = [site(name, tier="onprem", offerings=[offering("l4", price, available=1)])
             for name, price in (("x", 0.1), ("z", 0.1), ("y", 0.2))]
    sites.append(site("cloud", offerings=[offering("l4", 1.0)]))
    services = [inference(f"{pair}{i}", max_utilization=1.0, sites=[own, "y", "cloud"])
                for pair, own in (("a", "x"), ("b", "z")) for i in (1, 2)]
    result = solve(scenario(sites, services), workers=1)
    assert rounds == [[4]]
    assert result.status == "optimal" and result.solver.components == 1
    assert result.total_cost_usd == pytest.approx((0.1 + 0.1 + 0.2 + 1.0) * 100)


def test_a_workload_whose_relaxation_is_integral_is_not_solved_again(monkeypatch):
    # A loose total budget couples two services on paper, so their LP relaxations come
    # first; each needs one $1/h L4 for its 10 rps (the cover cut makes the LP say so),
    # an integral answer that is their optimum: no MILP is solved. 2 x $1 x 100 h.
    alone = []
    real = pool_module.solve_alone
    monkeypatch.setattr(pool_module, "solve_alone",
                        lambda task: alone.append(task) or real(task))
    sites = [site("a", offerings=[offering("l4", 1.0)])]
    services = [inference(f"s{i}", max_utilization=1.0) for i in (1, 2)]
    sc = scenario(sites, services, budgets=[{"name": "total", "limit_usd": 10_000}])
    result = solve(sc, workers=1)
    assert alone == []
    assert result.status == "optimal" and result.solver.components == 2
    assert result.total_cost_usd == pytest.approx(200.0)
    # The latency objective breaks ties by cost exactly: that takes the MILP, which
    # starts from the rounding of the relaxation's plan (its hint, see alone.solve_alone):
    # one L4 and the 10 rps.
    assert solve(sc, workers=1, objective="latency").total_cost_usd == pytest.approx(200.0)
    assert len(alone) == 2
    for task in alone:
        hint = dict(zip(task.milp.col_tags, task.hint, strict=True))
        assert {tag[0]: round(v, 6) for tag, v in hint.items() if v} == {"n": 1, "y": 10}


@pytest.mark.integration  # worker processes
def test_polishing_in_the_workers_gives_what_polishing_here_gives():
    # The two-service routing LP of test_solvers (fixed n, two parts) as 40 models: 80
    # parts, enough for the workers to share them. Values and duals are those of the
    # polish done here, model by model, and the workers were used.
    from tierplan.scheduler.milp import Milp
    from tierplan.scheduler.polishing import polish
    from tierplan.scheduler.solvers import HighsBackend

    jobs = []
    for k in range(40):
        m = Milp()
        n1 = m.add_col(("n", 1), 0, 3, True, cost=10.0)
        n2 = m.add_col(("n", 2), 0, 3, True, cost=10.0)
        y1 = m.add_col(("y", 1), 0, 5, False, cost=0.5, latency=2.0 + k)
        y2 = m.add_col(("y", 2), 0, 7 + k, False, cost=0.25, latency=1.0)
        y3 = m.add_col(("y", 3), 0, 7 + k, False, cost=0.3, latency=0.5)
        m.add_row(("cap", 1), [y1, n1], [1.0, -8.0], upper=0.0)
        m.add_row(("cap", 2), [y2, y3, n2], [1.0, 1.0, -8.0 - k], upper=0.0)
        m.add_row(("demand", 1), [y1], [1.0], 5.0, 5.0)
        m.add_row(("demand", 2), [y2, y3], [1.0, 1.0], 7.0 + k, 7.0 + k)
        m.add_row(("shared",), [n1, n2], [1.0, 1.0], upper=3.0)
        jobs.append((m, m.cost, m.latency, [1.0, 1.0, 5.0, 7.0 + k, 0.0]))
    with pool_module.Pool(PlanOptions(workers=2), 64) as pool:
        there = pool.polish(jobs)
        assert pool.executor is not None  # the workers were started for it
    here = [polish(HighsBackend(), *job) for job in jobs]
    assert len(there) == len(here) == 40
    for (values, duals), (values2, duals2) in zip(there, here, strict=True):
        assert values == pytest.approx(values2)
        assert duals is not None and duals2 is not None
        assert duals == pytest.approx(duals2)
    assert here[3][0][3:] == pytest.approx([10.0, 0.0], abs=1e-6)  # 10 rps, the cheaper route


@pytest.mark.integration  # worker processes
def test_polishing_ahead_gives_the_plan_polished_at_the_end(monkeypatch):
    # While the merged block's LP is solved, a thread lays out its model and polishes
    # the workloads solved alone (polishing.Ahead; from AHEAD_FROM columns, here from
    # any), and while its start places its workloads, their parts (polishing.Early).
    # Those are used at the end, and the plan is the one polished there.
    from tierplan.scheduler import polishing
    from tierplan.scheduler.polishing import Ahead, Early

    # The SLO bindings are found meanwhile too (Virginia's $0.05 L4 is out of reach), and
    # while the block's members are priced, its column rows for the fill after its start.
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=12)]),
             site("cloud", location=FRANKFURT, offerings=[offering("l4", 1.0)]),
             site("far", location=VIRGINIA, offerings=[offering("l4", 0.05)])]
    contested = [inference(f"s{i}", max_utilization=1.0, demand={"munich": 5 + i})
                 for i in range(36)]
    alone = [inference(f"c{i}", demand={"munich": 3 + i}, tiers=["cloud"])
             for i in range(4)]
    sc = scenario(sites, contested + alone)
    before = plan(sc, PlanOptions(workers=2))
    used, aside = [], []
    real = Ahead.found
    monkeypatch.setattr(Ahead, "found", lambda self, *a: used.append(real(self, *a)) or used[-1])

    def at_once(fn, *args):
        # The thread's work done before aside returns: the start then finds the block's
        # layout there (on a busy machine the thread may not have laid it out yet, and
        # the start then polishes nothing early: the same plan, only later).
        aside.append(fn.__name__)
        done = Future()
        done.set_result(fn(*args))
        return done

    monkeypatch.setattr(pool_module.Pool, "aside", staticmethod(at_once))
    early, real_early = [], Early.found
    monkeypatch.setattr(Early, "found",
                        lambda self, *a: early.append(real_early(self, *a)) or early[-1])
    monkeypatch.setattr(polishing, "AHEAD_FROM", 0)
    ahead = plan(sc, PlanOptions(workers=2))
    assert sum(found is not None for found in used) == 4  # the four solved alone
    assert early and any(found is not None for found in early)  # the block's parts
    assert sorted(aside) == ["_matrix", "slo_bindings", "work"]
    assert ahead.placements == before.placements
    assert ahead.binding == before.binding
    assert any(b.kind == "slo" for b in ahead.binding)
    assert check_plan(sc, ahead) == []


def test_a_plan_that_ends_without_one_leaves_no_thread_of_its_own_behind(monkeypatch):
    # Three 10-rps services and two on-prem L4s, nothing else: each fits alone, together
    # they do not, so the merged block has no plan and the run ends there. Its layout is
    # being found in a thread meanwhile (made slow here); the plan waits for it.
    import threading
    import time

    from tierplan.scheduler import polishing

    real_layout = polishing.split_layout

    def slow_layout(milp):
        time.sleep(0.5)
        return real_layout(milp)

    monkeypatch.setattr(polishing, "AHEAD_FROM", 0)
    monkeypatch.setattr(polishing, "split_layout", slow_layout)
    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=2)])]
    sc = scenario(sites, [inference(f"s{i}", max_utilization=1.0) for i in range(3)])
    result = solve(sc, workers=1)
    assert result.status == "infeasible"
    assert [t.name for t in threading.enumerate() if t.name.startswith("tierplan-")] == []


def test_a_start_that_leaves_a_workload_no_room_is_tried_again_and_then_cost_first(
        monkeypatch):
    # Four services want the two on-prem L4s in Munich (20 ms) more than the cloud's in
    # Frankfurt, under the latency objective: they form a merged block, whose start is
    # made to fail here. It is tried again with the workload left without room placed
    # first (two tries in all), then at dearer prices (the reservation, see
    # latency_start), and when that fails too, cost first, without the latency-first
    # solutions and prices; that start is the plan's.
    from tierplan.scheduler import block_start as planner

    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=2)]),
             site("cloud", offerings=[offering("l4", 1.0)], location=FRANKFURT)]
    sc = scenario(sites, [inference(f"s{i}", max_utilization=1.0) for i in range(4)])
    real = planner.sequential_start
    calls = []

    def failing(world, block, others, how, failed=None):
        calls.append((how.objective, list(how.promoted), how.known is None, how.prices is None))
        if how.objective == "latency":
            if failed is not None:
                failed.append(sorted(block.members)[len(calls) - 1])
            return None
        return real(world, block, others, how, failed)

    monkeypatch.setattr(planner, "sequential_start", failing)
    result = solve(sc, objective="latency", workers=1)
    assert result.status in ("optimal", "time_limit") and result.placements
    assert calls == [("latency", [], False, False), ("latency", [0], False, False),
                     ("latency", [], False, False), ("cost", [], True, True)]


def test_a_model_merged_after_polishing_began_is_laid_out_meanwhile():
    # A merged block that a later merge grows (at 1,000 workloads under latency, one
    # workload more after the first LP) has a new model: once polishing has begun
    # ahead, it is laid out in a thread too (Ahead.lay_out), and its start and the end
    # find that layout instead of none (then its start polished nothing early and the
    # end laid it out in series). Before polishing began nothing is laid out.
    from tierplan.scheduler.milp import Milp, split_layout
    from tierplan.scheduler.polishing import Ahead

    m = Milp()
    for k in range(2):
        n = m.add_col(("n", f"w{k}", 1), 0, 3, True, cost=10.0)
        y = m.add_col(("y", f"w{k}", 1), 0, 5, False, latency=1.0)
        m.add_row(("cap", k), [y, n], [1.0, -8.0], upper=0.0)
        m.add_row(("demand", k), [y], [1.0], 5.0, 5.0)
    idle = Ahead()
    idle.lay_out([m], pool_module.Pool.aside)
    assert idle.layout(m) is None
    ahead = Ahead()
    ahead.begin([], [], lambda jobs: [], pool_module.Pool.aside)
    ahead.lay_out([m], pool_module.Pool.aside)
    assert ahead.layout(m) == split_layout(m)
    ahead.wait()
    assert ahead.layouts[id(m)] == (m, split_layout(m))
