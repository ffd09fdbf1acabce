"""`optimal`'s fast loop with `deployments: peak` (the default): it sizes the deployments
`hpa` runs (the plan for the run's peak) by the same HPA arithmetic and only moves whole
instances of them to cheaper keys of each interval's mix. So it holds at least `hpa`'s
capacity at every step (but for the headroom of an instance that faster units replace
while the load rises) and pays less whenever a cheaper key is in reach."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from simfiles import run, scenario
from tierplan.policies.deployments import Deployments
from tierplan.policies.hpa import HpaSettings
from tierplan.policies.placement import Limits, Option, place
from tierplan.policies.reserve import Recent
from tierplan.policies.tracking import rises

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def spikes(policies: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "duration": "1d", "step": "60s", "seed": 3, "provisioning": {"cloud": "4m"},
        "demand": [
            {"workload": "chat-us", "pattern": {"kind": "spikes", "base_rps": 20, "spike_rps": 25,
                                                "per_day": 6, "duration": "30m", "noise": 0.1}},
            {"workload": "chat-eu", "pattern": {"kind": "diurnal", "mean_rps": 12, "amplitude": 0.6,
                                                "peak_hour": 9, "noise": 0.1}}],
        "policies": policies}


def test_never_less_ready_capacity_than_hpa_and_cheaper(tmp_path: Path) -> None:
    # min_sites 2 puts an L40S deployment (dearer per rps) in hpa's layout; the loop sizes
    # it as hpa does and runs it on L4s. Spikes start while new instances boot: the
    # capacity held before them is what serves them.
    sim = spikes([{"kind": "hpa"}, {"kind": "optimal"},
                  {"kind": "optimal", "name": "per-plan", "deployments": "plan"}])
    # the repository's example scenario (write() puts it next to the simulation file)
    out = run(tmp_path, sim, yaml.safe_load((EXAMPLES / "multicloud-llm.yaml").read_text()))
    hpa, track = out["hpa"], out["optimal"]
    assert np.all(track.series["capacity_rps"] >= hpa.series["capacity_rps"] - 1e-9)
    assert track.slo_attainment_pct >= hpa.slo_attainment_pct
    assert track.total_cost_usd < 0.95 * hpa.total_cost_usd
    # deployments that follow each hourly plan round fewer keys up: less spare capacity
    # when a spike starts
    assert np.any(out["per-plan"].series["capacity_rps"] < hpa.series["capacity_rps"] - 1e-9)


def _edge_and_cloud() -> tuple[list[Option], Deployments]:
    """One cloud deployment of 3 replicas (10 rps each, $1/h) and an edge key of 10 rps
    boxes at $0.2/h in its mix."""
    deployments = Deployments(HpaSettings())
    deployments.retarget(0.0, {0: {"c": 1.0}}, {0: (10.0, 10.0)}, {0: 3})
    deployments.replicas(0.0, {"c": 30.0})
    options = [Option(1, 1, "edge", 10.0, frozenset({"c"}), 0.02, 0.2),
               Option(0, 0, "cloud", 10.0, frozenset({"c"}), 0.1, 1.0)]
    return options, deployments


def test_moves_start_instances_only_when_not_scaling_down() -> None:
    options, deployments = _edge_and_cloud()
    # free to move: two cloud replicas run on the two free boxes
    assert place(options, {0: 3}, deployments, {0: np.inf, 1: 2.0}, 1) == {0: 1, 1: 2}
    # scaling down (hold: what runs now): a move may use a box that runs already, but
    # starts none, since the engine would keep every cut instance running until it booted
    held = Limits(hold={0: 2, 1: 1})
    assert place(options, {0: 2}, deployments, {0: np.inf, 1: 2.0}, 1, held) == {0: 1, 1: 1}
    assert place(options, {0: 2}, deployments, {0: np.inf, 1: 2.0}, 1, Limits(hold={0: 3})) == {0: 2}


def test_units_laid_out_for_a_workload_are_lent_while_it_does_not_want_them(tmp_path: Path) -> None:
    # Two boxes in reach of both workloads. "big" (large responses: cloud egress is dear)
    # peaks at 20 rps, so the peak layout gives it both boxes; "small" runs 5 rps in the
    # cloud. While "big" wants one box, "small" runs on the other; when "big" wants both
    # back, they are its again.
    web = {"kind": "inference", "accelerators": {"L4": {"rps": 10, "latency_ms": 20}},
           "demand_rps": {"c": 5}, "latency_slo_ms": 100, "max_utilization": 1.0}
    box = {"name": "edge/box", "tier": "edge", "offerings": [
        {"name": "gpu", "accelerator": "L4", "accelerator_count": 1, "usd_per_hour": 0.2, "available": 2}]}
    scen = scenario(workloads=[{"name": "big", **web, "payload_kb": 2000}, {"name": "small", **web}],
                    extra_sites=[box])
    for site in scen["sites"][:2]:
        site["egress_usd_per_gb"] = 0.1
    scen["network"]["latency_ms"].append({"client": "c", "site": "edge/box", "ms": 5})
    levels = [{"at": "30m", "rps": 4}, {"at": "3h", "rps": 20}, {"at": "3h30m", "rps": 4}]
    out = run(tmp_path, {
        "duration": "5h", "provisioning": {"cloud": "3m", "edge": "1m"},
        "demand": [{"workload": "big", "client": "c", "pattern": {"kind": "step", "base_rps": 20,
                                                                   "levels": levels}},
                   {"workload": "small", "client": "c", "pattern": {"kind": "step", "base_rps": 5,
                                                                     "levels": []}}],
        "policies": [{"kind": "hpa"}, {"kind": "optimal"}]}, scen)
    hpa, track = out["hpa"], out["optimal"]
    assert track.total_cost_usd < hpa.total_cost_usd
    assert track.cost_by_site["edge/box"] > hpa.cost_by_site["edge/box"]
    rows = track.rows
    assert rows is not None

    def boxes(workload: str, step: int) -> float:
        at = (rows.step == step) & (rows.label == rows.labels.index((workload, "edge/box", "gpu")))
        return float(rows.columns["billed"][at].sum())

    # from the second hour's plan (which saw "big" at 4 rps) "small" runs on a box ...
    assert boxes("small", 150) == 1 and boxes("big", 150) == 1
    # ... and gives it back once "big" wants it (its cloud replacement boots first)
    assert boxes("big", 200) == 2 and boxes("small", 200) == 0


def test_capacity_with_no_room_is_replaced_only_as_far_as_the_rest_cannot_carry_it() -> None:
    # Deployment 0 (a quarter of the traffic) lost its key (no room); deployment 1 holds 3
    # replicas of 10 rps.
    def placed(load: float) -> dict[int, int]:
        deployments = Deployments(HpaSettings())
        deployments.retarget(0.0, {0: {"c": 0.25}, 1: {"c": 0.75}}, {0: (10.0, 10.0), 1: (10.0, 10.0)},
                             {0: 1, 1: 3})
        replicas = deployments.replicas(0.0, {"c": load})
        options = [Option(1, 1, "cloud", 10.0, frozenset({"c"}), 0.1, 1.0),
                   Option(0, 0, "edge", 10.0, frozenset({"c"}), 0.02, 0.2)]
        return place(options, replicas, deployments, {0: 0.0, 1: np.inf}, 1)

    assert placed(20.0) == {1: 3}  # the other 3 carry 30 rps: nothing to add
    assert placed(25.0) == {1: 4}  # 5 rps they cannot carry: one more


@pytest.mark.parametrize("layout", ["peak", "plan"])
def test_both_layouts_serve_a_flat_load_from_the_cheapest_key(tmp_path: Path, layout: str) -> None:
    out = run(tmp_path, {
        "duration": "2h", "provisioning": {"cloud": 0},
        "demand": [{"workload": "web", "client": "c",
                    "pattern": {"kind": "step", "base_rps": 25, "levels": []}}],
        "policies": [{"kind": "optimal", "deployments": layout}]}, scenario())
    assert out["optimal"].slo_attainment_pct == 100.0
    assert out["optimal"].cost_by_site["cloud/a"] == pytest.approx(3 * 2.0)


def test_moves_leave_the_units_kept_for_their_owner() -> None:
    options, deployments = _edge_and_cloud()
    assert place(options, {0: 3}, deployments, {0: np.inf, 1: 2.0}, 1, Limits(keep={1: 1.0})) == {0: 2, 1: 1}
    assert place(options, {0: 3}, deployments, {0: np.inf, 1: 2.0}, 1, Limits(keep={1: 2.0})) == {0: 3}


def test_moves_onto_a_volatile_offer_only_as_far_as_the_rest_carries_the_load() -> None:
    # 3 cloud replicas of 10 rps (15 rps each at most) carry 30 rps; two free boxes of a
    # pool whose availability fell: if both moved replicas were lost, one cloud instance
    # would be left (15 rps < 30); with one moved, two (30 rps) still carry the load.
    deployments = Deployments(HpaSettings())
    deployments.retarget(0.0, {0: {"c": 1.0}}, {0: (10.0, 15.0)}, {0: 3})
    deployments.replicas(0.0, {"c": 30.0})
    def options(volatile: bool) -> list[Option]:
        return [Option(1, 1, "spot", 10.0, frozenset({"c"}), 0.02, 0.2, 15.0, volatile),
                Option(0, 0, "cloud", 10.0, frozenset({"c"}), 0.1, 1.0, 15.0)]
    assert place(options(False), {0: 3}, deployments, {0: np.inf, 1: 2.0}, 1) == {0: 1, 1: 2}
    assert place(options(True), {0: 3}, deployments, {0: np.inf, 1: 2.0}, 1) == {0: 2, 1: 1}


def test_recent_keeps_what_was_wanted_within_the_window_and_room_to_grow() -> None:
    recent = Recent(window_s=300.0, lead=2)
    recent.update(7, 0.0, 3, 30.0, 10.0)
    recent.update(7, 60.0, 1, 10.0, 10.0)
    assert recent.most[7] == 3 and recent.kept[7] == 2  # wanted 3 a minute ago
    for t in range(2, 8):
        recent.update(7, 60.0 * t, 1, 10.0, 10.0)
    assert recent.most[7] == 1 and recent.kept[7] == 0  # the window is over, the load flat
    recent.update(7, 480.0, 2, 20.0, 10.0)
    # it grew by one (10 rps in a lead): room for one more
    assert recent.most[7] == 2 and recent.kept[7] == 1


def test_faster_cheaper_units_that_carry_less_replace_an_instance_only_while_scaling_up() -> None:
    # A cloud deployment of 3 replicas (12 rps each at the target, 15 at most, $0.7/h,
    # 3 steps to boot) and edge boxes (4.8 rps at the target, 6 at most, $0.06/h).
    deployments = Deployments(HpaSettings())
    deployments.retarget(0.0, {0: {"c": 1.0}}, {0: (12.0, 15.0)}, {0: 3})
    deployments.replicas(0.0, {"c": 30.0})

    def placed(free_boxes: float, partial: bool, box_boot: int = 1) -> dict[int, int]:
        options = [Option(1, 1, "edge", 4.8, frozenset({"c"}), 0.0125, 0.06, 6.0, boot=box_boot),
                   Option(0, 0, "cloud", 12.0, frozenset({"c"}), 0.059, 0.7, 15.0, boot=3)]
        return place(options, {0: 3}, deployments, {0: np.inf, 1: free_boxes}, 1, Limits(partial=partial))

    # two boxes carry 9.6 rps at the target, less than an instance's 12: no whole move
    assert placed(2.0, partial=False) == {0: 3}
    # scaling up: they serve 12 rps at most, what the instance is sized to carry, and are
    # ready first; only its headroom (3 rps) is missing
    assert placed(2.0, partial=True) == {0: 2, 1: 2}
    assert placed(5.0, partial=True) == {0: 1, 1: 5}  # three boxes carry a whole instance
    # one box serves 6 rps, half of what the instance is sized for; boxes that boot as
    # slowly as the cloud are not ready first
    assert placed(1.0, partial=True) == {0: 3}
    assert placed(2.0, partial=True, box_boot=3) == {0: 3}


def test_one_unit_that_carries_less_replaces_an_instance_only_where_the_largest_rise_seen_fits() -> None:
    # The deployments of the test above at 30 rps: 3 instances serve 45. One box (6 rps at
    # most) for one instance leaves 36, 6 rps beyond the load.
    deployments = Deployments(HpaSettings())
    deployments.retarget(0.0, {0: {"c": 1.0}}, {0: (12.0, 15.0)}, {0: 3})
    deployments.replicas(0.0, {"c": 30.0})

    def placed(rise: dict[int, float] | None, partial: bool = True) -> dict[int, int]:
        options = [Option(1, 1, "edge", 4.8, frozenset({"c"}), 0.0125, 0.06, 6.0, boot=1),
                   Option(0, 0, "cloud", 12.0, frozenset({"c"}), 0.059, 0.7, 15.0, boot=3)]
        return place(options, {0: 3}, deployments, {0: np.inf, 1: 1.0}, 1, Limits(partial=partial, rise=rise))

    assert placed({1: 5.0}) == {0: 2, 1: 1}  # the load never rose by more than 5 within a box's boot
    assert placed({1: 6.0}) == {0: 2, 1: 1}
    assert placed({1: 6.5}) == {0: 3}  # it did: the 6 rps left would not carry it
    assert placed({3: 0.0}) == {0: 3}  # no rise known at the box's boot
    assert placed(None) == {0: 3}
    assert placed({1: 0.0}, partial=False) == {0: 3}  # scaling down: none of these moves


def test_rises_are_the_largest_seen_so_far_within_a_boot_plus_one_step() -> None:
    load = np.array([0.0, 1.0, 3.0, 2.0, 6.0, 0.0, 1.0])
    seen = rises(load, [1, 0, 1])
    assert sorted(seen) == [0, 1]
    assert seen[0].tolist() == [0.0, 1.0, 2.0, 2.0, 4.0, 4.0, 4.0]  # one step
    assert seen[1].tolist() == [0.0, 1.0, 3.0, 3.0, 4.0, 4.0, 4.0]  # one or two steps
