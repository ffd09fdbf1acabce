"""The bundled examples plan to the totals worked out in their comments and the README."""

import pytest

from conftest import EXAMPLES, run_cli, solve
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


def test_hub_and_spoke_quarter_runs_training_on_the_owned_dgx_it_pays_for():
    result = solve(load_scenario(EXAMPLES / "hub-and-spoke-quarter.yaml"))
    assert result.status == "optimal" and len(result.periods) == 3
    by = {p.workload: p for p in result.placements}
    # Under owned_cost: sunk the DGX costs its power (6.5 kW x 1.4 x $0.25 = $2.275/h):
    # pretraining moves on-prem, 2 nodes x 166.7 h in its February week.
    pre = by["vision-pretrain"]
    assert pre.site == "onprem/fra-dc1" and pre.hours_by_period[1] == pytest.approx(333.33, abs=0.01)
    # Committed: 2 DGX x (200000 / 35040 + 12000 / 8760) x 2160 h + 3 Jetsons x $0.045 x 2160 h.
    dgx = 200000 / 35040 + 12000 / 8760
    assert result.committed_usd == pytest.approx(2 * dgx * 2160 + 3 * 0.045 * 2160)
    # The stores' demand grows, so the cloud burst grows month by month.
    burst = next(p for p in result.placements if p.site == "aws/eu-central-1")
    assert sum(burst.traffic_by_period[0].values()) < sum(burst.traffic_by_period[2].values())


def test_buy_or_rent_buys_dgx_and_no_l40s():
    result = solve(load_scenario(EXAMPLES / "buy-or-rent.yaml"))
    owned = {u.offering: u for u in result.owned}
    assert owned["dgx-h100"].bought == 2 and owned["dgx-h100"].arrival_hour == 744
    assert owned["dgx-h100"].saving_usd is not None and owned["dgx-h100"].saving_usd > 0
    assert owned["l40s-server"].bought == 0
    buys = {b.name: b.detail for b in result.binding if b.kind == "buy"}
    # break-even: $10.27 fixed / ($55.04 rent - $2.652 power) = 19.6 %
    assert "a 7th dgx-h100 pays for itself at 20% utilisation" in buys["onprem/fra-dc1/dgx-h100"]
    assert "the plan buys none" in buys["onprem/fra-dc1/l40s-server"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "html", "json"])
@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_every_example_renders_in_every_format(tmp_path, capsys, name, fmt):
    """The plan of every example is written in every format (the budget table of a
    per-period budget over a horizon that is not a month once lost a column and crashed)."""
    out = tmp_path / "plan.out"
    code, _, err = run_cli(capsys, "plan", EXAMPLES / f"{name}.yaml", "--format", fmt, "-o", out)
    assert code in (0, 3), err
    assert "Traceback" not in err and out.stat().st_size > 0


def test_owned_hardware_under_sunk_cost_is_priced_owned_and_rented_on_prem_amortised(tmp_path, capsys):
    import csv

    rows = {}
    for name in ("buy-or-rent", "hub-and-spoke"):
        out = tmp_path / f"{name}.csv"
        assert run_cli(capsys, "plan", EXAMPLES / f"{name}.yaml", "-o", out)[0] == 0
        table = csv.DictReader(out.read_text().splitlines())
        rows[name] = {(r["site"], r["offering"]): r["pricing"] for r in table}
    # buy-or-rent's DGX and L40S servers are owned: their hours cost power only
    assert rows["buy-or-rent"][("onprem/fra-dc1", "dgx-h100")] == "owned"
    # hub-and-spoke's DGX is priced by the hour (not owned): its rate is amortised
    assert rows["hub-and-spoke"][("onprem/fra-dc1", "dgx-a100")] == "amortised"
