"""On-prem and edge inventory: amortised $/hour (worked by hand) and the edge rules."""

from __future__ import annotations

import pytest

from conftest import inference, scenario, site, solve, training
from tierplan.errors import ScenarioError
from tierplan.providers.onprem import Amortization

DGX = {"purchase_usd": 200000, "lifetime_years": 4, "power_kw": 6.5,
       "electricity_usd_per_kwh": 0.25, "pue": 1.4, "ops_usd_per_year": 12000}


def test_amortisation_arithmetic_by_hand():
    a = Amortization(**DGX)
    # capital: 200000 / (4 * 8760) = 200000 / 35040 = 5.707762...
    assert a.capital_usd_per_hour == pytest.approx(5.707762557)
    # power: 6.5 kW * 1.4 PUE * $0.25/kWh = $2.275/h
    assert a.power_usd_per_hour == pytest.approx(2.275)
    # ops: 12000 / 8760 = 1.369863...
    assert a.ops_usd_per_hour == pytest.approx(1.369863014)
    assert a.usd_per_hour == pytest.approx(5.707762557 + 2.275 + 1.369863014)  # 9.352626
    jetson = Amortization(purchase_usd=2000, lifetime_years=3, power_kw=0.05, electricity_usd_per_kwh=0.35)
    assert jetson.usd_per_hour == pytest.approx(2000 / 26280 + 0.0175)  # 0.0936035


@pytest.mark.parametrize("field, value", [("lifetime_years", 0), ("pue", 0.9), ("purchase_usd", -1)])
def test_amortisation_rejects_impossible_inputs(field, value):
    with pytest.raises(ValueError, match=field):
        Amortization(**{**DGX, field: value})


def _owned(tier="onprem", **offering):
    base = {"name": "dgx", "accelerator": "A100", "accelerator_count": 8, "available": 1}
    base.update(offering)
    return site("onprem/fra" if tier == "onprem" else "edge/shop", tier=tier, offerings=[base])


def test_amortized_offering_is_priced_and_planned():
    # owned_cost: sunk (default, SPEC 5.3): an hour used costs power, the server is paid for
    sc = scenario([_owned(amortized=DGX)], [training(accelerators={"A100": 1.0}, work_hours=80)])
    offering = sc.sites[0].offerings[0]
    assert offering.usd_per_hour == pytest.approx(2.275)
    assert offering.fixed_usd_per_hour == pytest.approx(5.707762557 + 1.369863014)
    result = solve(sc)
    # committed: 1 server x $7.077626/h x 100 h; used: 80 A100-hours on 8 GPUs = 10 h at $2.275
    assert result.committed_usd == pytest.approx(707.76, abs=0.01)
    assert result.total_cost_usd == pytest.approx(707.76 + 22.75, abs=0.01)
    (owned,) = result.owned
    assert owned.used_instance_hours == pytest.approx(10)
    assert owned.idle_usd == pytest.approx(90 * 7.077626, abs=0.01)
    assert owned.utilisation == pytest.approx(0.1)
    # owned_cost: amortised keeps version 1: an hour used costs $9.3526, nothing committed
    sc = scenario([_owned(amortized=DGX)], [training(accelerators={"A100": 1.0}, work_hours=80)],
                  owned_cost="amortised")
    assert sc.sites[0].offerings[0].usd_per_hour == pytest.approx(9.352626)
    result = solve(sc)
    assert result.total_cost_usd == pytest.approx(93.53, abs=0.01)
    assert result.committed_usd == 0 and result.idle_usd == pytest.approx(90 * 7.077626, abs=0.01)


@pytest.mark.parametrize("offering, path, message", [
    ({"amortized": DGX, "usd_per_hour": 3}, "amortized", "either usd_per_hour or amortized"),
    ({}, "usd_per_hour", "this field is required"),
    ({"amortized": {**DGX, "purchase_usd": 0, "power_kw": 0, "ops_usd_per_year": 0}}, "amortized", "$0/h"),
])
def test_amortized_errors_name_the_field(offering, path, message):
    with pytest.raises(ScenarioError) as info:
        scenario([_owned(**offering)], [training(accelerators={"A100": 1.0})])
    assert info.value.path == f"sites[0].offerings[0].{path}"
    assert message in info.value.message


def test_amortized_is_not_for_cloud_and_inputs_are_validated():
    cloud = site("aws/x", offerings=[{"name": "p4d", "accelerator": "A100", "accelerator_count": 8,
                                      "amortized": DGX}])
    with pytest.raises(ScenarioError) as info:
        scenario([cloud], [training(accelerators={"A100": 1.0})])
    assert info.value.path == "sites[0].offerings[0].amortized" and "owned hardware" in info.value.message
    with pytest.raises(ScenarioError) as info:
        scenario([_owned(amortized={**DGX, "pue": 0.8})], [training(accelerators={"A100": 1.0})])
    assert info.value.path == "sites[0].offerings[0].amortized.pue"
    with pytest.raises(ScenarioError) as info:
        scenario([_owned(amortized={**DGX, "lifetime": 4})], [training(accelerators={"A100": 1.0})])
    assert "unknown key 'lifetime'" in info.value.message


def test_edge_rejects_spot_prices_with_a_clear_error():
    orin = {"name": "orin", "accelerator": "Jetson-AGX-Orin", "accelerator_count": 1, "available": 2,
            "usd_per_hour": 0.1, "spot_usd_per_hour": 0.03}
    with pytest.raises(ScenarioError) as info:
        scenario([site("edge/shop", tier="edge", offerings=[orin])],
                 [inference(accelerators={"Jetson-AGX-Orin": {"rps": 6, "latency_ms": 40}})])
    assert info.value.path == "sites[0].offerings[0].spot_usd_per_hour"
    assert "edge sites have no spot market" in info.value.message


def test_edge_device_amortised_with_power_cost_serves_inference():
    orin = {"name": "orin", "accelerator": "Jetson-AGX-Orin", "accelerator_count": 1, "available": 2,
            "amortized": {"purchase_usd": 2000, "lifetime_years": 3, "power_kw": 0.05,
                          "electricity_usd_per_kwh": 0.35}}
    sc = scenario([site("edge/shop", tier="edge", offerings=[orin], bandwidth_gbps=0.5)],
                  [inference(accelerators={"Jetson-AGX-Orin": {"rps": 6, "latency_ms": 40}},
                             demand={"munich": 9})])
    result = solve(sc)
    # 9 rps / (6 rps * 0.8) = 2 devices, 100 h horizon at $0.0936035/h each: under
    # owned_cost: sunk both are committed ($0.076104/h) and both run ($0.0175/h power)
    assert result.committed_usd == pytest.approx(2 * 100 * 2000 / 26280, abs=0.01)
    assert result.total_cost_usd == pytest.approx(2 * 100 * (2000 / 26280 + 0.0175), abs=0.01)
