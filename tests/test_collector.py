"""What a plan keeps for its whole run holds few objects that the cyclic garbage
collector walks: each full pass walks every tracked object (at 1,000 workloads several
passes, on the planner's thread too). A tuple of numbers (or of such tuples) is
untracked by the passes that meet it; a list never is."""

import gc

from conftest import inference, offering, scenario, site
from tierplan.scheduler.candidates import Universe
from tierplan.scheduler.formulation import build, join
from tierplan.scheduler.milp import split_layout


def _form():
    sc = scenario(
        [site("a", offerings=[offering("box", 1.0), offering("big", 3.0, count=4)]),
         site("b", offerings=[offering("box", 1.2)])],
        [inference("svc", {"munich": 30.0})])
    universe = Universe(sc)
    cand = universe.inference(sc.workloads[0], sc.budgets, "cost")
    return build(universe, [cand], [], sc.budgets, 1.0)


def test_a_models_instance_columns_are_left_to_the_collector():
    form = _form()
    joined = join([form, _form()])
    gc.collect()
    for model in (form, joined):
        columns = [units for v in model.inference for units in v.n]
        assert columns and not any(map(gc.is_tracked, columns))


def test_a_split_layouts_fixed_terms_are_left_to_the_collector():
    layout = split_layout(_form().milp)
    gc.collect()
    gc.collect()  # a tuple of tuples: the inner ones first
    terms = [row for _, fixed in layout for row in fixed]
    assert terms and not any(map(gc.is_tracked, terms))
