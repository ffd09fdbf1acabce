"""The inference cuts are valid (no integer plan is cut off) and do tighten the LP bound."""

import itertools
import random

import pytest

from conftest import inference, offering, scenario, site, solve
from tierplan.scheduler.candidates import Universe
from tierplan.scheduler.cuts import mir
from tierplan.scheduler.formulation import build
from tierplan.scheduler.milp import Milp
from tierplan.scheduler.solvers import HighsBackend


def _row(m: Milp, r: int) -> tuple[dict[int, float], float]:
    index, value = m.row(r)
    return dict(zip(index, value, strict=True)), m.row_lower[r]


@pytest.mark.parametrize("seed", range(40))
def test_mir_row_keeps_every_integer_point_of_its_cover_row(seed):
    rng = random.Random(seed)
    caps = [round(rng.uniform(0.5, 12.0), 3) for _ in range(rng.randint(2, 4))]
    d = round(rng.uniform(1.0, 20.0), 3)
    terms = [(j, min(cap, d)) for j, cap in enumerate(caps)]
    delta = rng.choice(caps)
    m = Milp()
    for j in range(len(caps)):
        m.add_col(("n", j), 0, 6, True)
    mir(m, ("mir",), terms, d, delta)
    if m.num_rows == 0:
        assert (d / delta) % 1 < 1e-6 or (d / delta) % 1 > 1 - 1e-6
        return
    coef, rhs = _row(m, 0)
    for point in itertools.product(range(7), repeat=len(caps)):
        if sum(a * n for (_, a), n in zip(terms, point, strict=True)) >= d - 1e-9:
            assert sum(coef[j] * n for j, n in enumerate(point)) >= rhs - 1e-9, point
    # It cuts off the LP's favourite fractional point: d / delta instances of one unit.
    j = caps.index(delta)
    if delta < d:
        assert coef[j] * (d / delta) < rhs - 1e-9


def _lp_bound(sc) -> tuple[float, list[tuple[object, ...]]]:
    universe = Universe(sc)
    cand = universe.inference(sc.workloads[0], sc.budgets, "cost")
    form = build(universe, [cand], [], sc.budgets, 1.0)
    backend = HighsBackend()
    h = backend._highs()
    h.passModel(backend._lp(form.milp, form.milp.cost, integer=False))
    h.run()
    return h.getInfo().objective_function_value, form.milp.row_tags


def test_big_instance_cut_when_small_ones_cannot_carry_the_client():
    # 11 rps for munich. An edge box carries 4 rps (5 rps * 0.8) and 2 are available:
    # 8 < 11, so an 8-GPU node (8 * 8 * 0.8 = 51.2 rps) must run. Without the cut the LP
    # buys 2 boxes and 3 / 51.2 of a node: (0.2 + 16 * 3 / 51.2) * 100 h = $113.75.
    # The optimum is one node alone: $16/h * 100 h = $1,600, and the cut's LP says so.
    sc = scenario(
        [site("edge", tier="edge", offerings=[offering("box", 0.1, available=2)]),
         site("cloud", offerings=[offering("node", 16.0, accelerator="A100", count=8)])],
        [inference(demand={"munich": 11},
                   accelerators={"L4": {"rps": 5, "latency_ms": 20},
                                 "A100": {"rps": 8, "latency_ms": 20}})],
    )
    bound, tags = _lp_bound(sc)
    assert ("big", "svc", 0) in tags
    result = solve(sc)
    assert result.total_cost_usd == pytest.approx(1600.0)
    assert bound == pytest.approx(1600.0)


def test_mir_cut_rounds_a_group_up():
    # 11 rps on boxes of 4 rps ($1/h) or of 16 rps ($10/h): 3 small boxes ($300) win.
    # Without the rounding the LP buys 2.75 small boxes ($275). Rounding 4 n_s + 11 n_l
    # >= 11 by 4 (f = 0.75) gives n_s + 3 n_l >= 3, and the LP buys 3.
    sc = scenario(
        [site("a", offerings=[offering("small", 1.0), offering("large", 10.0, count=4)])],
        [inference(demand={"munich": 11}, accelerators={"L4": {"rps": 5, "latency_ms": 20}})],
    )
    bound, tags = _lp_bound(sc)
    assert any(t[0] == "mir" for t in tags)
    assert bound == pytest.approx(300.0)
    assert solve(sc).total_cost_usd == pytest.approx(300.0)


@pytest.mark.parametrize("example", ["hub-and-spoke.yaml", "multicloud-llm.yaml",
                                     "catalog-bundled.yaml"])
def test_a_block_joined_from_its_members_models_is_the_model_build_writes(example):
    # Every workload of the example, its own model written alone, then joined (training
    # listed first, to check that join puts inference first as build does): the same
    # columns, rows (shared capacity and budget rows summed, after the others) and
    # variables as the block's model written at once.
    from conftest import EXAMPLES
    from tierplan.scenario import load_scenario
    from tierplan.scheduler.candidates import by_kind
    from tierplan.scheduler.formulation import join

    sc = load_scenario(EXAMPLES / example)
    u = Universe(sc)
    total = sum(getattr(w, "total_demand", 0.0) for w in sc.workloads) or 1.0
    cands = [u.inference(w, sc.budgets, "cost") if w.kind == "inference"
             else u.training(w, sc.budgets) for w in sc.workloads]
    whole = build(u, *by_kind(cands), sc.budgets, total)
    own = [build(u, *by_kind([c]), sc.budgets, total) for c in cands]
    joined = join([f for f in own if f.training] + [f for f in own if not f.training])
    assert any(t[0] in ("capacity", "budget") for t in whole.milp.row_tags)
    assert joined.milp == whole.milp
    assert [(v.cand, v.n, v.y) for v in joined.inference] == [
        (v.cand, v.n, v.y) for v in whole.inference]
    assert [(v.cand, v.x) for v in joined.training] == [(v.cand, v.x) for v in whole.training]


@pytest.mark.parametrize("example", ["hub-and-spoke.yaml", "multicloud-llm.yaml"])
def test_a_joined_block_extended_by_more_members_is_their_joined_model(example):
    # The first round joins the workloads its relaxations merge; a solo optimum may then
    # add one more (see rounds.join_block). Extending the joined model by the others' own
    # models gives join's model of all of them, up to the order of columns and rows:
    # the same columns by tag, and each row (by tag) with the same bounds and terms.
    from conftest import EXAMPLES
    from tierplan.scenario import load_scenario
    from tierplan.scheduler.candidates import by_kind
    from tierplan.scheduler.formulation import extend, join

    sc = load_scenario(EXAMPLES / example)
    u = Universe(sc)
    total = sum(getattr(w, "total_demand", 0.0) for w in sc.workloads) or 1.0
    own = [build(u, *by_kind([u.inference(w, sc.budgets, "cost") if w.kind == "inference"
                              else u.training(w, sc.budgets)]), sc.budgets, total)
           for w in sc.workloads]
    whole = join(own).milp
    for split in range(1, len(own)):
        extended = extend(join(own[:split]), own[split:]).milp
        assert sorted(extended.col_tags) == sorted(whole.col_tags)
        assert _rows(extended) == _rows(whole)
        assert _columns(extended) == _columns(whole)
        assert [t[0] in ("capacity", "budget") for t in extended.row_tags] == sorted(
            t[0] in ("capacity", "budget") for t in whole.row_tags)  # shared rows last


def _rows(m):
    """Each row by tag: bounds and terms by column tag."""
    rows = {}
    for r, tag in enumerate(m.row_tags):
        span = slice(m.row_start[r], m.row_start[r + 1])
        terms = sorted((m.col_tags[j], v)
                       for j, v in zip(m.row_index[span], m.row_value[span], strict=True))
        rows[tag] = (m.row_lower[r], m.row_upper[r], terms)
    return rows


def _columns(m):
    return {t: (m.col_lower[j], m.col_upper[j], m.col_integer[j], m.cost[j], m.latency[j],
                m.penalty[j]) for j, t in enumerate(m.col_tags)}


def test_all_row_activities_at_once_are_each_rows_activity():
    # Milp.activities (the start's fit checks) sums the same terms in the same order as
    # Milp.activity, row by row: equal to the last bit, on a whole example's model.
    import random

    from conftest import EXAMPLES
    from tierplan.scenario import load_scenario
    from tierplan.scheduler.candidates import by_kind

    sc = load_scenario(EXAMPLES / "hub-and-spoke.yaml")
    u = Universe(sc)
    total = sum(getattr(w, "total_demand", 0.0) for w in sc.workloads) or 1.0
    m = build(u, *by_kind([u.inference(w, sc.budgets, "cost") if w.kind == "inference"
                           else u.training(w, sc.budgets) for w in sc.workloads]),
              sc.budgets, total).milp
    rng = random.Random(0)
    x = [rng.uniform(0, 5) for _ in range(m.num_cols)]
    assert m.activities(x) == [m.activity(r, x) for r in range(m.num_rows)]
