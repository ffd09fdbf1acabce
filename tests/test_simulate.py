"""`tierplan simulate`: hand-worked small cases, determinism, policy sanity, the CLI.

The files a user can get wrong (the simulation file's fields, its data files and
limits) are tested in test_simulate_inputs.py.

Every small case below uses one client and sites with measured latency, instances of
10 rps (accelerator_count 1 x rps 10; ``max_utilization: 1`` so planning capacity equals
serving capacity) and one-minute steps, so the arithmetic can be checked by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simfiles import cli_run, run, scenario, write
from tierplan.errors import ScenarioError
from tierplan.policies.base import JobChoice, JobRequest, Key, Observation
from tierplan.simulations import load_simulation, run_simulation
from tierplan.simulations.run import run_world
from tierplan.simulations.world import World, build_world

STEP_H = 1 / 60


# ------------------------------------------------------------------ hand-worked


def test_violations_while_new_capacity_boots(tmp_path: Path) -> None:
    # 5 rps for an hour, then 15 rps. Greedy re-sizes every minute on the last minute's
    # demand: at step 61 it sees 15 rps and asks for a second instance, ready 3 minutes
    # later (step 64). Steps 60..63 carry only 10 of 15 rps: 4 x 5 rps x 60 s unserved.
    out = run(tmp_path, {
        "duration": "2h", "provisioning": {"cloud": "3m"},
        "demand": [{"workload": "web", "client": "c",
                    "pattern": {"kind": "step", "base_rps": 5, "levels": [{"at": "1h", "rps": 15}]}}],
        "policies": [{"kind": "greedy", "interval": "1m"}],
    })["greedy"]
    assert out.requests == pytest.approx(60 * 5 * 60 + 60 * 15 * 60)
    assert out.unserved_requests == pytest.approx(4 * 5 * 60)
    assert out.slo_attainment_pct == pytest.approx(100 * (1 - 1200 / 72000))
    # billed: the first instance for 120 steps, the second from its request (step 61) on
    assert out.total_cost_usd == pytest.approx((120 + 59) * 1.0 * STEP_H)
    assert out.instance_hours == pytest.approx((120 + 59) * STEP_H)
    assert out.scale_events == 2  # the first start at t=0, the second at step 61
    assert list(out.series["capacity_rps"][[60, 63, 64]]) == [10, 10, 20]


def test_outage_loses_capacity_until_it_is_replaced(tmp_path: Path) -> None:
    # Constant 5 rps; cloud/a (the cheaper site) is out from 1 h to 1.5 h.
    sim = {"duration": "2h", "provisioning": {"cloud": "3m"},
           "events": [{"kind": "outage", "site": "cloud/a", "start": "1h", "end": "1.5h"}],
           "policies": [{"kind": "static"}, {"kind": "optimal", "interval": "1h"}]}
    out = run(tmp_path, sim)
    # static keeps its instance at cloud/a: nothing serves during the 30-minute outage,
    # and the replacement asked for at step 90 boots until step 93.
    static = out["static"]
    assert static.unserved_requests == pytest.approx(33 * 5 * 60)
    # billed: steps 0..59 and from the request at step 90 on (booting included)
    assert static.total_cost_usd == pytest.approx(90 * 1.0 * STEP_H)
    # optimal re-plans when the site goes down: cloud/b boots for 3 minutes; when cloud/a
    # is back it moves there again, and cloud/b stops only once cloud/a is ready.
    optimal = out["optimal"]
    assert optimal.unserved_requests == pytest.approx(3 * 5 * 60)
    assert optimal.total_cost_usd == pytest.approx((60 + 30) * 1.0 * STEP_H + (30 + 3) * 2.0 * STEP_H)
    b = optimal.series["instances:cloud/b"]
    assert b[59] == 0 and b[60] == 1 and b[92] == 1 and b[93] == 0


def test_hpa_tolerance_and_scale_down_stabilisation(tmp_path: Path) -> None:
    # 20 rps for 30 min, 21 rps for 30 min, then 5 rps. The placement comes from the peak
    # plan (21 rps -> 3 instances at cloud/a), which is also where HPA starts.
    out = run(tmp_path, {
        "duration": "2h", "provisioning": {"cloud": "3m"},
        "demand": [{"workload": "web", "client": "c", "pattern": {
            "kind": "step", "base_rps": 20, "levels": [{"at": "30m", "rps": 21}, {"at": "1h", "rps": 5}]}}],
        "policies": [{"kind": "hpa"}],
    })["hpa"]
    n = out.series["instances"]
    # 20 rps on 3 replicas: ratio 0.67 -> 2 replicas, but only once the recommendation of
    # 3 from t = 0 has left the 300 s window: at step 6 (t = 360 s).
    assert list(n[[0, 5, 6]]) == [3, 3, 2]
    # 21 rps on 2 replicas is ratio 1.05, within the 0.1 tolerance: HPA stays at 2 and
    # 1 rps goes unserved for 30 minutes.
    assert list(n[[30, 45, 59]]) == [2, 2, 2]
    # 5 rps from step 60, seen at step 61 -> 1 replica; the 2 recommended at step 60
    # (t = 3600 s) leaves the window at step 66.
    assert list(n[[61, 65, 66, 119]]) == [2, 2, 1, 1]
    assert out.unserved_requests == pytest.approx(30 * 1 * 60)


def test_training_job_boots_moves_data_and_finishes(tmp_path: Path) -> None:
    scen = scenario(workloads=[{"name": "train", "kind": "training", "accelerators": {"A100": 1.0},
                                "work_hours": 16, "min_accelerators": 8, "deadline_hours": 3,
                                "datasets": ["data"]}],
                    extra_sites=[{"name": "onprem/dc", "tier": "onprem", "bandwidth_gbps": 10, "offerings": [
                        {"name": "dgx", "accelerator": "A100", "accelerator_count": 8,
                         "usd_per_hour": 9.0}]}])
    scen["datasets"] = [{"name": "data", "size_gb": 1350, "site": "cloud/b"}]
    scen["sites"][1]["egress_usd_per_gb"] = 0.01
    out = run(tmp_path, {"duration": "6h", "provisioning": {"onprem": "2m"},
                         "training": [{"workload": "train", "at": ["0h"]}],
                         "policies": [{"kind": "greedy"}]}, scen)["greedy"]
    # 16 A100-hours on 8 A100s: 2 h, after 2 min of boot and 1350 GB * 8 / 10 Gbps = 18 min
    # of transfer; nodes are billed from the request: (20 min + 2 h) * $9 + 1350 GB * $0.01.
    assert out.jobs == 1 and out.jobs_missed_deadline == 0
    assert out.total_cost_usd == pytest.approx((20 / 60 + 2) * 9.0 + 13.5)
    assert out.cost_by_site["onprem/dc"] == pytest.approx((20 / 60 + 2) * 9.0 + 13.5)


def test_spot_preemption_keeps_progress_and_can_miss_the_deadline(tmp_path: Path) -> None:
    train = {"name": "train", "kind": "training", "accelerators": {"A100": 1.0}, "work_hours": 16,
             "min_accelerators": 8, "deadline_hours": 2.1, "spot": True, "spot_overhead": 0}
    scen = scenario(workloads=[train], extra_sites=[{"name": "cloud/gpu", "tier": "cloud", "offerings": [
        {"name": "p4d", "accelerator": "A100", "accelerator_count": 8, "usd_per_hour": 30.0,
         "spot_usd_per_hour": 10.0}]}])
    out = run(tmp_path, {"duration": "6h", "provisioning": {"cloud": "3m"},
                         "training": [{"workload": "train", "at": [0]}],
                         "events": [{"kind": "preemption", "site": "cloud/gpu", "offering": "p4d",
                                     "at": "1h"}],
                         "policies": [{"kind": "greedy"}]}, scen)["greedy"]
    # Spot first (cheapest; 2 h of compute after 3 min of boot). Preempted at 1 h with
    # 57 min of compute done, it is placed on spot again at once: 63 min of compute left
    # fit the 66 min to the deadline, and with 3 min of boot it finishes at 2.1 h exactly.
    # Billed: 60 min, then 66 min, at $10/h spot.
    assert out.preemptions == 1
    assert out.jobs_missed_deadline == 0
    assert out.total_cost_usd == pytest.approx((60 + 66) / 60 * 10.0)


# ------------------------------------------------------------------ determinism


NOISY = {"duration": "6h", "seed": 3,
         "demand": [{"workload": "web", "client": "c",
                     "pattern": {"kind": "spikes", "base_rps": 5, "spike_rps": 20, "per_day": 24,
                                 "duration": "10m", "noise": 0.2}}],
         "policies": [{"kind": "optimal", "interval": "30m"}, {"kind": "greedy"}, {"kind": "hpa"}]}


def test_same_seed_same_result_and_another_seed_differs(tmp_path: Path) -> None:
    a = run(tmp_path, NOISY)
    b = run(tmp_path, NOISY)
    for name in a:
        assert a[name].row() == b[name].row()
        for col, values in a[name].series.items():
            assert np.array_equal(values, b[name].series[col])
    c = run(tmp_path, {**NOISY, "seed": 4})
    assert c["greedy"].requests != a["greedy"].requests


def test_optimal_costs_no_more_than_greedy_when_both_meet_the_slo() -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    sim = load_simulation(examples / "simulations" / "region-outage.yaml")
    from dataclasses import replace

    # Constant demand (the scenario's demand_rps), no events: nothing but placement differs.
    # Greedy ignores budgets, so the planner gets none either (the same feasible set).
    sim = replace(sim, demand=(), events=(), duration_s=6 * 3600, scenario=replace(sim.scenario, budgets=()),
                  policies=tuple(p for p in sim.policies if p.name in ("optimal", "greedy", "static")))
    out = {p.policy: p for p in run_simulation(sim).policies}
    assert out["optimal"].slo_attainment_pct == pytest.approx(100.0)
    assert out["greedy"].slo_attainment_pct == pytest.approx(100.0)
    assert out["optimal"].total_cost_usd <= out["greedy"].total_cost_usd + 1e-6
    assert out["static"].total_cost_usd == pytest.approx(out["optimal"].total_cost_usd)


class OneEach:
    """A user policy: one instance on every slot, training jobs never placed."""

    name = "one-each"

    def decide(self, world: World, obs: Observation) -> dict[Key, int] | None:
        return {s.key: 1 for s in world.slots} if obs.step == 0 else None

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        return None


def test_a_user_policy_plugs_in(tmp_path: Path) -> None:
    path = write(tmp_path, {"duration": "1h", "policies": [{"kind": "greedy"}]})
    world = build_world(load_simulation(path))
    (result,) = run_world(world, {}, policies=[OneEach()]).policies
    assert result.policy == "one-each"
    assert result.total_cost_usd == pytest.approx(1.0 + 2.0)  # both sites for one hour
    assert result.slo_attainment_pct == 100.0


# ------------------------------------------------------------------ demand sources


def test_rate_series_and_request_trace(tmp_path: Path) -> None:
    (tmp_path / "rates.csv").write_text("t,rps\n0,4\n1800,8\n")
    (tmp_path / "req.csv").write_text("TIMESTAMP\n" + "".join(f"{i * 0.5}\n" for i in range(240)))
    out = run(tmp_path, {"duration": "2h", "demand": [
        {"workload": "web", "client": "c",
         "trace": {"path": "rates.csv", "format": "rates", "time_column": "t", "rate_column": "rps"}}],
        "policies": [{"kind": "static"}]})["static"]
    # 4 rps for 30 min, 8 rps for 30 min, repeated (loop): 2 x (1800 x 4 + 1800 x 8)
    assert out.requests == pytest.approx(2 * (1800 * 4 + 1800 * 8))
    out = run(tmp_path, {"duration": "4m", "demand": [
        {"workload": "web", "client": "c", "trace": {"path": "req.csv", "loop": False}}],
        "policies": [{"kind": "static"}]})["static"]
    # 240 requests, one every 0.5 s: 120 per minute for the first two minutes, then none
    assert out.requests == pytest.approx(240)
    assert list(out.series["demand_rps"]) == [2, 2, 0, 0]


AZURE = (Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "traces" / "azure_llm_2023"
         / "AzureLLMInferenceTrace_conv.csv")


@pytest.mark.skipif(not AZURE.exists(), reason="../shared/data is not available")
def test_azure_trace_counts_every_request(tmp_path: Path) -> None:
    # The trace spans 58 min 22 s: 59 one-minute buckets hold all 19,366 requests.
    out = run(tmp_path, {"duration": "59m", "demand": [
        {"workload": "web", "client": "c", "trace": {"path": str(AZURE)}}],
        "policies": [{"kind": "static"}]})["static"]
    assert out.requests == pytest.approx(19366)


def test_spot_series_blocks_spot_above_the_bid(tmp_path: Path) -> None:
    (tmp_path / "spot.csv").write_text(
        "Timestamp,Region,AvailabilityZone,InstanceType,ProductDescription,SpotPrice\n"
        "2020-01-01T00:00:00.000Z,r,r-a,p3,Linux/UNIX,5.0\n"
        "2020-01-01T01:00:00.000Z,r,r-a,p3,Linux/UNIX,50.0\n"
        "2020-01-01T02:00:00.000Z,r,r-a,p3,Linux/UNIX,6.0\n")
    scen = scenario(extra_sites=[{"name": "cloud/gpu", "tier": "cloud", "offerings": [
        {"name": "p4d", "accelerator": "A100", "accelerator_count": 8, "usd_per_hour": 30.0,
         "spot_usd_per_hour": 10.0}]}])
    path = write(tmp_path, {"duration": "3h", "policies": [{"kind": "greedy"}], "events": [
        {"kind": "spot_series", "site": "cloud/gpu", "offering": "p4d", "path": "spot.csv",
         "instance_type": "p3", "region": "r", "bid_usd_per_hour": 20}]}, scen)
    world = build_world(load_simulation(path))
    col = world.offer_ix["cloud/gpu", "p4d"]
    assert list(world.spot_price[[0, 59, 60, 120], col]) == [5.0, 5.0, 50.0, 6.0]
    assert list(world.spot_blocked[[59, 60, 119, 120], col]) == [False, True, True, False]
    assert world.preempt == {60: (col,)}


def test_cli_exit_codes_and_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"duration": "2h", "policies": [{"kind": "optimal"}, {"kind": "hpa"}]})
    out_dir = tmp_path / "out"
    code, out, err = cli_run(capsys, "simulate", str(path), "-o", str(out_dir))
    assert code == 0, err
    assert "optimal" in out and "hpa" in out
    # not a terminal: no progress bar, only the files written
    assert all(line.startswith("wrote ") for line in err.splitlines())
    names = {p.name for p in out_dir.iterdir()}
    assert {"summary.csv", "summary.json", "timeseries.csv", "timeseries.parquet", "report.html"} <= names
    doc = json.loads((out_dir / "summary.json").read_text())
    assert [p["policy"] for p in doc["policies"]] == ["optimal", "hpa"]
    html = (out_dir / "report.html").read_text()
    assert html.count("<svg") >= 4 and "<script" not in html and 'src="http' not in html
    import pandas as pd

    frame = pd.read_parquet(out_dir / "timeseries.parquet")
    # one row per step and workload, one per step and offering used (5 rps: one instance)
    assert set(frame["policy"]) == {"optimal", "hpa"}
    totals = frame[frame["site"] == "*"]
    assert len(totals) == 2 * 120 and totals["demand_rps"].eq(5).all()
    keys = frame[frame["site"] != "*"]
    assert set(keys["site"]) == {"cloud/a"} and keys["billed"].eq(1).all()
    recount = frame.groupby("policy")["cost_usd"].sum()
    for p in doc["policies"]:
        assert recount[p["policy"]] / 2 == pytest.approx(p["total_cost_usd"], abs=0.01)  # keys + totals
    # bad usage and unreadable files: exit 2, one line, no traceback
    code, _, err = cli_run(capsys, "simulate", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in err and "not found" in err
    assert cli_run(capsys, "simulate", str(path), "--backend", "spark")[0] == 2


class HoldN:
    """A user policy named in a simulation file: ``n`` instances on the cheapest slot."""

    def __init__(self, name: str, n: int = 1) -> None:
        self.name = name
        self.n = n

    def decide(self, world: World, obs: Observation) -> dict[Key, int] | None:
        cheapest = min(world.slots, key=lambda s: s.usd_per_hour)
        return {cheapest.key: self.n} if obs.step == 0 else None

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        return None


def test_a_user_policy_named_in_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = {"kind": "python", "name": "mine", "object": "test_simulate:HoldN", "params": {"n": 2}}
    out = run(tmp_path, {"duration": "1h", "policies": [policy]})["mine"]
    assert out.total_cost_usd == pytest.approx(2 * 1.0)
    for bad, where in [({**policy, "object": "test_simulate:Nope"}, "policies[0].object"),
                       ({**policy, "params": {"m": 2}}, "policies[0].params"),
                       ({**policy, "object": "test_simulate:STEP_H"}, "policies[0].object")]:
        with pytest.raises(ScenarioError) as err:
            load_simulation(write(tmp_path, {"duration": "1h", "policies": [bad]}))
        assert err.value.path == where


SPOT = (Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "spot" / "aws_gpu_2020"
        / "aws_gpu_spot_price_history.csv")


@pytest.mark.skipif(not SPOT.exists(), reason="../shared/data is not available")
def test_real_spot_history_sets_prices_and_preemptions(tmp_path: Path) -> None:
    scen = scenario(extra_sites=[{"name": "cloud/gpu", "tier": "cloud", "offerings": [
        {"name": "p3", "accelerator": "V100", "accelerator_count": 1, "usd_per_hour": 3.06,
         "spot_usd_per_hour": 0.95}]}])
    path = write(tmp_path, {"duration": "14d", "step": "15m", "policies": [{"kind": "greedy"}], "events": [
        {"kind": "spot_series", "site": "cloud/gpu", "offering": "p3", "path": str(SPOT),
         "instance_type": "p3.2xlarge", "region": "us-east-1", "availability_zone": "us-east-1b",
         "bid_usd_per_hour": 0.95}]}, scen)
    world = build_world(load_simulation(path))
    col = world.offer_ix["cloud/gpu", "p3"]
    prices = world.spot_price[:, col]
    # us-east-1 p3.2xlarge spot prices of early 2020 lie between $0.918 and $1.2251
    assert prices.min() >= 0.918 and prices.max() <= 1.2251
    blocked = world.spot_blocked[:, col]
    assert np.array_equal(blocked, prices > 0.95)
    assert blocked.any() and not blocked.all()
    crossings = sum(1 for step, offers in world.preempt.items() if col in offers)
    assert crossings == int(np.sum(blocked[1:] & ~blocked[:-1])) + int(blocked[0])


class Wrong(OneEach):
    def decide(self, world: World, obs: Observation) -> dict[Key, int] | None:
        return {("web", "cloud/z", "gpu"): 1}


def test_a_policy_asking_for_what_cannot_run_is_an_error(tmp_path: Path) -> None:
    from tierplan.errors import TierplanError

    path = write(tmp_path, {"duration": "1h", "policies": [{"kind": "greedy"}]})
    world = build_world(load_simulation(path))
    with pytest.raises(TierplanError, match="cloud/z"):
        run_world(world, {}, policies=[Wrong()])


def test_forecast_looks_ahead_by_the_boot_time_observed_waits_for_the_next_plan(tmp_path: Path) -> None:
    # 5 rps, then 15 rps from 1 h; both re-plan hourly (steps 0, 60, 120).
    out = run(tmp_path, {
        "duration": "3h", "provisioning": {"cloud": "3m"},
        "demand": [{"workload": "web", "client": "c",
                    "pattern": {"kind": "step", "base_rps": 5, "levels": [{"at": "1h", "rps": 15}]}}],
        "policies": [{"kind": "optimal", "interval": "1h", "scaling": "plan"},
                     {"kind": "optimal", "name": "forecast", "interval": "1h", "demand": "forecast",
                      "scaling": "plan"}],
    })
    # forecast: the plan at step 0 looks ahead by the 3-minute boot (steps 0..62), sees
    # the 15 rps from step 60 and starts the second instance in time: nothing is lost
    assert out["forecast"].unserved_requests == 0.0
    assert out["forecast"].slo_attainment_pct == 100.0
    # observed: at step 60 the last hour peaked at 5 rps; the 15 rps are seen at step 120,
    # and the instance asked for then is ready at step 123
    assert out["optimal"].unserved_requests == pytest.approx(63 * 5 * 60)


class OnAB(OneEach):
    """One instance at cloud/a and one at cloud/b; none at cloud/c."""

    def decide(self, world: World, obs: Observation) -> dict[Key, int] | None:
        return {("web", "cloud/a", "gpu"): 1, ("web", "cloud/b", "gpu"): 1} if obs.step == 0 else None


def test_serving_is_the_maximum_flow_when_clients_compete(tmp_path: Path) -> None:
    from tierplan.simulations.results import max_served

    # x reaches a (10 ms) and b (20 ms); y reaches a and c (c has no instance). Routing x
    # to its nearest slot first would leave y unserved; the maximum flow sends x to b.
    gpu = {"name": "gpu", "accelerator": "L4", "accelerator_count": 1, "usd_per_hour": 1.0}
    ms = {("x", "cloud/a"): 10, ("x", "cloud/b"): 20, ("x", "cloud/c"): 500,
          ("y", "cloud/a"): 10, ("y", "cloud/b"): 500, ("y", "cloud/c"): 10}
    scen = {"name": "compete", "clients": [{"name": "x"}, {"name": "y"}],
            "network": {"latency_ms": [{"client": c, "site": s, "ms": v} for (c, s), v in ms.items()]},
            "sites": [{"name": s, "tier": "cloud", "offerings": [gpu]}
                      for s in ("cloud/a", "cloud/b", "cloud/c")],
            "workloads": [{"name": "web", "kind": "inference", "latency_slo_ms": 100, "max_utilization": 1.0,
                           "accelerators": {"L4": {"rps": 10, "latency_ms": 20}},
                           "demand_rps": {"x": 10, "y": 10}}]}
    world = build_world(load_simulation(write(tmp_path, {"duration": "10m", "policies": [{"kind": "greedy"}]},
                                              scen)))
    (result,) = run_world(world, {}, policies=[OnAB()]).policies
    assert result.unserved_requests == pytest.approx(0)
    assert result.requests == pytest.approx(20 * 600)
    # the formula itself: clients 0 and 1 reach slot 0 only, client 2 slots 0 and 1.
    # Step 0: slot 0 has 5 rps, slot 1 10: 5 for clients 0 + 1, client 2's 1 on slot 1.
    # Step 1: slot 0 has 20 rps, slot 1 none: all 8 + 8 + 1 fit on slot 0.
    d = [np.array([4.0, 8.0]), np.array([4.0, 8.0]), np.array([1.0, 1.0])]
    cap = np.array([[5.0, 10.0], [20.0, 0.0]])  # [step, slot]
    assert list(max_served(d, cap, [[0], [0], [0, 1]])) == [6.0, 17.0]


def test_capacity_that_disappears_is_lost_and_replaced_elsewhere(tmp_path: Path) -> None:
    # 25 rps on 10-rps instances: greedy runs 3 at cloud/a ($1). At 1 h only 1 instance of
    # cloud/a exists any more: 2 are lost; greedy (every minute) starts 2 at cloud/b, ready
    # 3 minutes later: 15 rps unserved for 3 steps. At 2 h cloud/a has 3 again: greedy
    # moves back, and cloud/b keeps serving until cloud/a's instances are ready.
    (tmp_path / "avail.csv").write_text("time,available\n0,3\n3600,1\n7200,3\n")
    sim = {"duration": "3h", "provisioning": {"cloud": "3m"},
           "demand": [{"workload": "web", "client": "c", "pattern": {"kind": "step", "base_rps": 25}}],
           "policies": [{"kind": "greedy", "interval": "1m"}]}
    event = {"kind": "availability", "site": "cloud/a", "offering": "gpu"}
    points = [{"at": 0, "available": 3}, {"at": "1h", "available": 1}, {"at": "2h", "available": 3}]
    by_points = run(tmp_path, {**sim, "events": [{**event, "points": points}]})["greedy"]
    by_file = run(tmp_path, {**sim, "events": [{**event, "path": "avail.csv"}]})["greedy"]
    for out in (by_points, by_file):
        assert out.unserved_requests == pytest.approx(3 * 15 * 60)
        a, b = out.series["instances:cloud/a"], out.series["instances:cloud/b"]
        assert (a[59], a[60], b[59], b[60], b[62]) == (3, 1, 0, 2, 2)
        assert (a[120], b[122], b[123]) == (3, 2, 0)  # make before break on the way back


def test_a_job_whose_machine_disappears_is_preempted_and_resumes(tmp_path: Path) -> None:
    scen = scenario(workloads=[{"name": "train", "kind": "training", "accelerators": {"A100": 1.0},
                                "work_hours": 8, "min_accelerators": 8, "deadline_hours": 2}],
                    extra_sites=[{"name": "onprem/dc", "tier": "onprem", "offerings": [
                        {"name": "dgx", "accelerator": "A100", "accelerator_count": 8, "usd_per_hour": 9.0,
                         "available": 1}]}])
    out = run(tmp_path, {"duration": "3h", "provisioning": {"onprem": "0s"},
                         "training": [{"workload": "train", "at": [0]}],
                         "events": [{"kind": "availability", "site": "onprem/dc", "offering": "dgx",
                                     "points": [{"at": "30m", "available": 0},
                                                {"at": "1h", "available": 1}]}],
                         "policies": [{"kind": "greedy"}]}, scen)["greedy"]
    # 1 h of work: 30 min, then nothing exists for 30 min, then the other 30 min (progress
    # kept): done at 1.5 h, within the 2 h deadline; 60 node-minutes billed at $9/h.
    assert out.preemptions == 1 and out.jobs_missed_deadline == 0
    assert out.total_cost_usd == pytest.approx(9.0)
    assert list(out.series["instances:onprem/dc"][[29, 30, 59, 60, 89, 90]]) == [1, 0, 0, 1, 1, 0]


class FirstFree:
    """A user policy that puts each job on the first offering the observation shows free,
    and counts how often it is asked."""

    name = "first-free"

    def __init__(self) -> None:
        self.asked = 0

    def decide(self, world: World, obs: Observation) -> dict[Key, int] | None:
        return None

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        self.asked += 1
        for k, free in enumerate(obs.free):
            if free:
                site, offering = world.offers[k]
                return JobChoice(site, offering, 1, False)
        return None


def test_jobs_arriving_together_see_what_is_free_and_wait_without_asking(tmp_path: Path) -> None:
    dgx = {"accelerator": "A100", "accelerator_count": 8, "usd_per_hour": 9.0, "available": 1}
    scen = scenario(workloads=[{"name": "train", "kind": "training", "accelerators": {"A100": 1.0},
                                "work_hours": 8, "min_accelerators": 8}],
                    extra_sites=[{"name": "onprem/dc", "tier": "onprem", "offerings": [
                        {"name": "dgx-a", **dgx}, {"name": "dgx-b", **dgx}]}])
    path = write(tmp_path, {"duration": "3h", "provisioning": {"onprem": "0s"},
                            "training": [{"workload": "train", "at": [0, 0, 0]}],
                            "policies": [{"kind": "greedy"}]}, scen)
    policy = FirstFree()
    (out,) = run_world(build_world(load_simulation(path)), {}, policies=[policy]).policies
    # Each job is 1 h on one DGX (the cloud sites' L4 cannot run it). The second job is
    # asked after the first took dgx-a and sees it full, so both run from the start; the
    # third waits for the first to finish (1 h) and runs until 2 h. While both DGX are
    # busy, the third job is not offered to the policy: three jobs, three questions.
    assert policy.asked == 3
    assert out.jobs_finished == 3 and out.total_cost_usd == pytest.approx(3 * 9.0)
    assert list(out.series["instances:onprem/dc"][[0, 59, 60, 119, 120]]) == [2, 2, 1, 1, 0]
