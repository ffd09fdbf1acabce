"""The bundled examples plan to the totals worked out in their comments and the README."""

import pytest

from conftest import EXAMPLES, solve
from tierplan import load_scenario


def test_hub_and_spoke():
    sc = load_scenario(EXAMPLES / "hub-and-spoke.yaml")
    result = solve(sc)
    assert result.status == "optimal"
    by = {(p.workload, p.site): p for p in result.placements}
    # Pretraining: 2,400 A100-h on 8-GPU nodes within 7 days -> 3 spot nodes in us-east-1:
    # 2400 / (3 * 8 * 0.9) * 1.1 = 122.2 h * 3 * $13.10 = $4,803.33 (data already there).
    pre = by[("vision-pretrain", "aws/us-east-1")]
    assert (pre.instances, pre.purchase) == (3, "spot")
    assert pre.cost_usd == pytest.approx(2400 / 21.6 * 1.1 * 3 * 13.1)
    # Fine-tune stays on-prem next to its DE-only data: 28 / 8 = 3.5 h * $9.50 = $33.25.
    assert by[("resnet50-finetune", "onprem/fra-dc1")].cost_usd == pytest.approx(33.25)
    # Inference: the 3 store boxes (4.8 rps each) take 14.4 rps; 8.6 rps burst to one L4 in
    # Frankfurt: $0.978 * 730 + 8.6 rps * 262.8 GB/rps * $0.09 = $917.35.
    assert by[("defect-detector", "aws/eu-central-1")].cost_usd == pytest.approx(
        0.978 * 730 + 8.6 * 262.8 * 0.09)
    assert result.total_cost_usd == pytest.approx(5863.43, abs=0.01)


def test_multicloud_llm_keeps_eu_traffic_in_the_eu_on_two_sites():
    sc = load_scenario(EXAMPLES / "multicloud-llm.yaml")
    result = solve(sc)
    assert result.status == "optimal"
    eu_sites = {p.site for p in result.placements if p.workload == "chat-eu"}
    assert len(eu_sites) >= 2 and all(s.startswith(("aws/eu", "gcp/europe", "azure/west"))
                                      for s in eu_sites)
    assert result.total_cost_usd == pytest.approx(22380.77, abs=0.01)


@pytest.mark.parametrize("name", ["infeasible-slo", "infeasible-budget"])
def test_infeasible_examples(name):
    result = solve(load_scenario(EXAMPLES / f"{name}.yaml"))
    assert result.status == "infeasible" and result.diagnosis
