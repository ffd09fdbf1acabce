"""Golden plans: seeded generated scenarios (bench/generate.py) planned at a fixed effort
give exactly the stored plan JSON (timing fields aside). A change that moves any plan
shows here; if it is meant, regenerate with TIERPLAN_UPDATE_GOLDEN=1 and say why in the
commit."""

import json
import os
import sys
from pathlib import Path

import pytest

from tierplan import PlanOptions, plan
from tierplan.reports.document import plan_document
from tierplan.scheduler.check import check_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate

pytestmark = pytest.mark.integration

EXPECTED = Path(__file__).resolve().parent / "expected"

# (workloads, offerings, clients, seed, one total budget, objective): small enough for
# seconds, coupled enough that blocks merge (18 of 20 and 17 of 24 blocks remain).
CASES = {
    "golden-cost-20": (20, 150, 5, 5, True, "cost"),
    "golden-latency-24": (24, 150, 5, 6, False, "latency"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_seeded_scenario_gives_its_golden_plan(name):
    n, offerings, clients, seed, total_budget, objective = CASES[name]
    scenario = generate(n, offerings, clients, seed, total_budget)
    result = plan(scenario, PlanOptions(effort="low", objective=objective))
    assert check_plan(scenario, result) == []
    doc = plan_document(result)
    for key in [k for k in doc["solver"] if "seconds" in k]:
        del doc["solver"][key]
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    path = EXPECTED / f"{name}.json"
    if os.environ.get("TIERPLAN_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()
