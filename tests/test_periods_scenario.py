"""Scenario additions of SPEC 5.1: periods, dates, owned hardware, buying; each rule that
a file can break is exit 2 with the field path."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import inference, offering, scenario, site, training
from tierplan.errors import ScenarioError
from tierplan.periods import label, make_periods

DGX = {"name": "dgx", "accelerator": "L4", "accelerator_count": 8, "available": 2,
       "fixed_usd_per_hour": 10.27, "usd_per_hour": 2.652}


def _owned(**extra: Any) -> dict[str, Any]:
    return site("onprem/fra", tier="onprem", offerings=[{**DGX, **extra}])


def _error(*args: Any, **kwargs: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        scenario(*args, **kwargs)
    return info.value


def test_periods_of_a_duration_are_equal_and_the_last_is_shorter():
    sc = scenario([_owned()], [training()], horizon_hours=400, periods="7d")
    assert [(p.start_hour, p.hours) for p in sc.timeline] == [(0, 168), (168, 168), (336, 64)]
    assert scenario([_owned()], [training()]).timeline[0].hours == 100  # default: one period


def test_calendar_months_from_start_cut_at_the_horizon():
    sc = scenario([_owned()], [training()], horizon_hours="91d", start="2027-01-15",
                  periods="month")
    # Jan 15 -> Feb 1 (17 d), Feb (28 d), Mar (31 d), Apr 1 -> Apr 16 (15 d)
    assert [p.hours / 24 for p in sc.timeline] == [17, 28, 31, 15]
    assert label(sc.start, sc.timeline, 1) == "period 2 (2027-02-01..03-01)"
    assert make_periods(100.0, 100.0, None) == ()  # one period is no periods


def test_dates_become_hours_from_start():
    sc = scenario([_owned()], [training(release_hours="2027-01-03", deadline_hours="2027-01-05")],
                  horizon_hours="7d", start="2027-01-01")
    job = sc.workloads[0]
    assert (job.release_hours, job.deadline_hours) == (48, 96)


def test_demand_lists_give_one_rps_per_period_and_the_peak_stays_demand_rps():
    sc = scenario([_owned()], [inference(demand={"munich": [1, 2, 3, 4]})], horizon_hours=400,
                  periods="100h")
    w = sc.workloads[0]
    assert w.demand_rps == {"munich": 4} and [w.demand_in("munich", p) for p in range(4)] == [1, 2, 3, 4]


def test_owned_prices_sunk_and_amortised():
    amortized = {"purchase_usd": 300000, "lifetime_years": 4, "power_kw": 10.2,
                 "electricity_usd_per_kwh": 0.20, "pue": 1.3, "ops_usd_per_year": 15000}
    o = {k: v for k, v in DGX.items() if k not in ("fixed_usd_per_hour", "usd_per_hour")}
    sc = scenario([site("onprem/fra", tier="onprem", offerings=[{**o, "amortized": amortized}])],
                  [training()])
    dgx = sc.sites[0].offerings[0]
    assert dgx.fixed_usd_per_hour == pytest.approx(300000 / 35040 + 15000 / 8760)  # 10.27
    assert dgx.usd_per_hour == pytest.approx(2.652)
    sc = scenario([_owned()], [training()], owned_cost="amortised")
    assert sc.sites[0].offerings[0].usd_per_hour == pytest.approx(10.27 + 2.652)
    bare = {k: v for k, v in DGX.items() if k != "usd_per_hour"}
    sc = scenario([site("onprem/fra", tier="onprem", offerings=[bare])], [training()])
    assert sc.sites[0].offerings[0].usd_per_hour == 0  # default with fixed_usd_per_hour


@pytest.mark.parametrize("kwargs, path, words", [
    ({"workloads": [inference(demand={"munich": [1, 2]})], "periods": "30h"},
     "workloads[0].demand_rps.munich", "has 2 values for 4 periods"),
    ({"workloads": [inference(demand={"munich": [1, 2, 3]})]},
     "workloads[0].demand_rps.munich", "has 3 values for 1 period"),
    ({"workloads": [training(release_hours=50, deadline_hours=40)]},
     "workloads[0].release_hours", "not before the deadline"),
    ({"workloads": [training(release_hours=100)]}, "workloads[0].release_hours", "end of the horizon"),
    ({"periods": "month"}, "periods", "needs start"),
    ({"periods": "0h"}, "periods", "longer than 0 h"),
    ({"workloads": [training(release_hours="2026-12-15")], "start": "2027-01-01"},
     "workloads[0].release_hours", "before start"),
    ({"periods": "1m"}, "periods", "at most 1000"),
    ({"workloads": [training(deadline_hours="2027-01-02")]}, "workloads[0].deadline_hours",
     "needs start"),
    ({"workloads": [training(deadline_hours="2027-13-02")], "start": "2027-01-01"},
     "workloads[0].deadline_hours", "ISO 8601"),
    ({"sites": [site("aws/x", offerings=[offering("g6", 1.0, buy={"max": 2})])]},
     "sites[0].offerings[0].buy", "only owned hardware can be bought"),
    ({"sites": [site("aws/x", offerings=[offering("g6", 1.0, fixed_usd_per_hour=2.0,
                                                  available=1)])]},
     "sites[0].offerings[0].fixed_usd_per_hour", "cloud offerings"),
    ({"sites": [_owned(amortized={"purchase_usd": 1, "lifetime_years": 1})]},
     "sites[0].offerings[0].fixed_usd_per_hour", "not both"),
    ({"sites": [_owned(spot_usd_per_hour=1.0)]}, "sites[0].offerings[0].spot_usd_per_hour",
     "no spot price"),
    ({"sites": [_owned(available=None)]}, "sites[0].offerings[0].available", "needs available"),
    ({"sites": [_owned(buy={"max": 2})], "owned_cost": "amortised"}, "sites[0].offerings[0].buy",
     "owned_cost: sunk"),
    ({"sites": [_owned(buy={"max": 2, "lead_time_hours": 100})]},
     "sites[0].offerings[0].buy.lead_time_hours", "never arrive"),
    ({"sites": [_owned(buy={"max": 0})]}, "sites[0].offerings[0].buy.max", ""),
    ({"owned_cost": "owned"}, "owned_cost", ""),
])
def test_every_rule_of_5_1_names_the_field(kwargs, path, words):
    sites = kwargs.pop("sites", [_owned()])
    workloads = kwargs.pop("workloads", [training()])
    err = _error(sites, workloads, **kwargs)
    assert err.path == path and words in err.message, (err.path, err.message)


def test_usd_per_hour_beside_amortized_is_an_error():
    o = {k: v for k, v in DGX.items() if k != "fixed_usd_per_hour"}
    err = _error([site("onprem/fra", tier="onprem", offerings=[
        {**o, "amortized": {"purchase_usd": 1, "lifetime_years": 1}}])], [training()])
    assert err.path == "sites[0].offerings[0].amortized" and "not both" in err.message


def test_validate_cli_exits_2_with_the_path(tmp_path, capsys):
    from tierplan.cli import main

    f = tmp_path / "s.yaml"
    f.write_text("name: x\nhorizon_hours: 100\nperiods: month\nsites:\n"
                 "  - {name: a/b, tier: cloud, location: {lat: 1, lon: 1}, offerings: "
                 "[{name: o, usd_per_hour: 1, vcpus: 2}]}\n"
                 "workloads:\n  - {name: j, kind: training, accelerators: {cpu: 1}, work_hours: 1}\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(f)])
    assert exit_info.value.code == 2
    assert "s.yaml: periods: month needs start" in capsys.readouterr().err
