"""Explanations point at what moved the plan: a budget that pushed stores to the cloud
is listed even when it ends under its limit; a full capacity whose extra instance would
save nothing is not."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import EXAMPLES, run_cli
from tierplan import PlanOptions, parse_scenario, plan
from tierplan.reports.document import plan_document
from tierplan.reports.tables import plan_tables
from tierplan.validation import read_yaml

# Four stores, each with Jetson boxes ($0.05/h) that serve it at 2 ms; one cloud L4
# ($0.978/h) serves all four within the SLO. Unconstrained, the edge serves everything
# for $328.50/month; the edge budget at 80 % of that moves three stores to one cloud L4.
STORES = """\
name: stores
horizon_hours: 730
network:
  base_ms: 5
  ms_per_km: 0.02
  latency_ms:
    - {client: store-a, site: edge/store-a, ms: 2}
    - {client: store-b, site: edge/store-b, ms: 2}
    - {client: store-c, site: edge/store-c, ms: 2}
    - {client: store-d, site: edge/store-d, ms: 2}
sites:
  - name: aws/eu-central-1
    tier: cloud
    provider: aws
    location: {lat: 50.11, lon: 8.68}
    offerings:
      - {name: g6.xlarge, accelerator: L4, usd_per_hour: 0.978}
  - {name: edge/store-a, tier: edge, location: {lat: 48.14, lon: 11.58},
     offerings: [{name: orin, accelerator: Jetson-AGX-Orin, usd_per_hour: 0.05, available: 3}]}
  - {name: edge/store-b, tier: edge, location: {lat: 53.55, lon: 9.99},
     offerings: [{name: orin, accelerator: Jetson-AGX-Orin, usd_per_hour: 0.05, available: 3}]}
  - {name: edge/store-c, tier: edge, location: {lat: 52.52, lon: 13.40},
     offerings: [{name: orin, accelerator: Jetson-AGX-Orin, usd_per_hour: 0.05, available: 3}]}
  - {name: edge/store-d, tier: edge, location: {lat: 50.94, lon: 6.96},
     offerings: [{name: orin, accelerator: Jetson-AGX-Orin, usd_per_hour: 0.05, available: 3}]}
clients:
  - {name: store-a, location: {lat: 48.14, lon: 11.58}}
  - {name: store-b, location: {lat: 53.55, lon: 9.99}}
  - {name: store-c, location: {lat: 52.52, lon: 13.40}}
  - {name: store-d, location: {lat: 50.94, lon: 6.96}}
workloads:
  - name: detector
    kind: inference
    accelerators:
      L4: {rps: 40, latency_ms: 25}
      Jetson-AGX-Orin: {rps: 6, latency_ms: 40}
    demand_rps: {store-a: 9, store-b: 9, store-c: 9, store-d: 14}
    latency_slo_ms: 80
    min_instances: 0
budgets:
  - {name: edge, tier: edge, limit_usd: 262.80}   # 80 % of the edge-only plan ($328.50)
"""


def _plan(tmp_path, text: str):
    path = tmp_path / "stores.yaml"
    path.write_text(textwrap.dedent(text))
    return plan(parse_scenario(read_yaml(path), str(path)), PlanOptions())


def test_a_budget_that_moved_stores_is_listed_with_what_lifting_it_saves(tmp_path):
    free = _plan(tmp_path, STORES.replace("limit_usd: 262.80", "limit_usd: 100000"))
    assert {p.tier for p in free.placements} == {"edge"}
    assert free.total_cost_usd == pytest.approx(328.50)
    assert not [b for b in free.binding if b.kind == "budget"]

    tight = _plan(tmp_path, STORES)
    cloud = [p for p in tight.placements if p.tier == "cloud"]
    assert len(cloud) == 1 and len(cloud[0].traffic_rps) == 3  # three stores moved to one L4
    (use,) = tight.budgets
    assert use.used_usd < 0.8 * use.limit_usd  # well under its limit ...
    assert use.binding  # ... yet it moved the plan
    (edge,) = [b for b in tight.binding if b.kind == "budget"]
    assert edge.name == "edge"
    assert edge.relax_saving == pytest.approx(tight.total_cost_usd - 328.50, abs=0.01)
    assert edge.detail == "28% used: $73.00 of $262.80 per month"


def test_the_table_says_what_lifting_the_budget_saves(tmp_path):
    doc = plan_document(_plan(tmp_path, STORES))
    (binding,) = [t for t in plan_tables(doc) if t.title == "Binding constraints"]
    (row,) = binding.rows
    assert row[0] == "budget" and row[1] == "edge"
    assert row[4] == "$458.44/month ($0.63/h) if lifted"
    (budgets,) = [t for t in plan_tables(doc) if t.title == "Budgets"]
    assert budgets.rows[0][-1] == "yes"


def test_rows_whose_relaxation_saves_nothing_are_left_out(tmp_path):
    # Two boxes a store: store-d (14 rps) needs a cloud L4 whatever the budget, and that
    # L4 then serves two more stores. store-b's two boxes are all in use, but a third
    # would save nothing, and lifting the budget saves nothing either: neither is listed.
    result = _plan(tmp_path, STORES.replace("available: 3", "available: 2"))
    edge = [p for p in result.placements if p.tier == "edge"]
    assert [(p.site, p.instances) for p in edge] == [("edge/store-b", 2)]
    assert result.binding == ()
    assert not result.budgets[0].binding


def test_a_capacity_that_would_save_money_stays(capsys):
    code, out, _ = run_cli(capsys, "plan", EXAMPLES / "hub-and-spoke.yaml", "--format", "json")
    doc = json.loads(out)
    capacity = [b for b in doc["binding"] if b["kind"] == "capacity"]
    assert code == 0 and capacity and all(b["relax_saving"] > 0.005 for b in capacity)
