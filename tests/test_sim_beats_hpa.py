"""`optimal` against `hpa` on the Azure conversation trace the repository ships
(examples/data, CC-BY-4.0): no more cost at no lower SLO attainment, and strictly cheaper
when owned or edge capacity is in reach; with one offering in reach it does what `hpa`
does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simfiles import run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TRACE = EXAMPLES / "data" / "azure-llm-conversation-15s.csv"


def chat_scenario(*, onprem: bool) -> dict[str, Any]:
    """The example's chat scenario with its two clouds, plus four owned L4 boxes."""
    path = EXAMPLES / "simulations" / "llm-edge-cloud.scenario.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    data["sites"] = [s for s in data["sites"] if s["tier"] == "cloud"]
    if onprem:
        data["sites"].append({
            "name": "onprem/chi-dc", "tier": "onprem", "location": {"lat": 41.85, "lon": -87.65},
            "jurisdiction": "US",
            "offerings": [{"name": "l4-box", "accelerator": "L4", "accelerator_count": 1,
                           "usd_per_hour": 0.25, "available": 4}]})
    return data


def azure(tmp_path: Path, scale: float, duration: str, scen: dict[str, Any]) -> dict[str, Any]:
    trace = {"path": str(TRACE), "format": "rates", "time_column": "seconds", "value_column": "rps",
             "scale": scale}
    return run(tmp_path, {
        "duration": duration, "step": "60s", "provisioning": {"cloud": "3m", "onprem": "1m"},
        "demand": [{"workload": "chat", "trace": trace}],
        "policies": [{"kind": "hpa"}, {"kind": "optimal"}]}, scen)


def test_azure_x30_with_owned_boxes_is_cheaper_at_no_lower_slo(tmp_path: Path) -> None:
    # The case that went wrong: 30 times the conversation trace, four owned L4 boxes and
    # the clouds. Filling the boxes while rounding the cloud up once (one replica short of
    # what hpa holds at the hourly ramp) was cheaper, at a lower attainment.
    out = azure(tmp_path, 30, "6h", chat_scenario(onprem=True))
    hpa, optimal = out["hpa"], out["optimal"]
    assert optimal.slo_attainment_pct >= hpa.slo_attainment_pct
    assert optimal.total_cost_usd < hpa.total_cost_usd
    # the saving is the owned boxes kept busy
    assert optimal.cost_by_tier["onprem"] > hpa.cost_by_tier["onprem"]
    assert optimal.cost_by_tier["cloud"] < hpa.cost_by_tier["cloud"]


def test_owned_boxes_in_reach_make_it_strictly_cheaper(tmp_path: Path) -> None:
    out = azure(tmp_path, 1, "6h", chat_scenario(onprem=True))
    assert out["optimal"].slo_attainment_pct >= out["hpa"].slo_attainment_pct
    # (the boxes' own deployment keeps the units it let go within its scale-down window
    # and room to grow while it grows: 4.8 % cheaper here, not 5)
    assert out["optimal"].total_cost_usd < 0.96 * out["hpa"].total_cost_usd


def edge_scenario() -> dict[str, Any]:
    """The example's scenario: two stores of Jetson boxes (0.6 rps, $0.06/h) and the clouds."""
    path = EXAMPLES / "simulations" / "llm-edge-cloud.scenario.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


@pytest.mark.parametrize("scale", [1, 10])
def test_free_edge_boxes_that_carry_less_than_a_cloud_instance_make_it_strictly_cheaper(
        tmp_path: Path, scale: float) -> None:
    # hpa's layout leaves two of the five boxes free most of the time: together they serve
    # 1.2 rps, what one L4 (1.5 rps) is sized to carry, and boot in 20 s, not 3 min.
    # While the load rises optimal starts them in place of an L4 (they serve before it
    # would have booted) and gives them back when it falls.
    def azure_edge(folder: Path, edge_boot: str) -> dict[str, Any]:
        folder.mkdir()
        trace = {"path": str(TRACE), "format": "rates", "time_column": "seconds", "value_column": "rps",
                 "scale": scale}
        return run(folder, {
            "duration": "3h", "step": "60s", "provisioning": {"cloud": "3m", "edge": edge_boot},
            "demand": [{"workload": "chat", "trace": trace}],
            "policies": [{"kind": "hpa"}, {"kind": "optimal"}]}, edge_scenario())

    out = azure_edge(tmp_path / "fast", "20s")
    hpa, optimal = out["hpa"], out["optimal"]
    assert optimal.slo_attainment_pct >= hpa.slo_attainment_pct
    assert optimal.total_cost_usd < hpa.total_cost_usd
    assert optimal.cost_by_tier["edge"] > hpa.cost_by_tier["edge"]
    assert optimal.cost_by_tier["cloud"] < hpa.cost_by_tier["cloud"]
    # boxes that boot as slowly as the cloud would not serve first: no such move
    slow = azure_edge(tmp_path / "slow", "3m")
    assert slow["optimal"].total_cost_usd == pytest.approx(slow["hpa"].total_cost_usd)


def test_one_free_box_replaces_an_l4_where_the_load_never_rose_as_much_as_it_lacks(tmp_path: Path) -> None:
    # At 15 s steps hpa holds four of the five boxes: one is free, 0.6 rps, half of what an
    # L4 is sized for. The conversation trace never rose by the 0.9 rps the swap leaves
    # short within a box's boot (20 s: two steps), so optimal runs the box instead of an
    # L4 and serves every request hpa serves. Where the trace has been seen to rise that
    # much (the same trace at 1-minute steps, above), it does not.
    trace = {"path": str(TRACE), "format": "rates", "time_column": "seconds", "value_column": "rps"}
    out = run(tmp_path, {
        "duration": "3h", "step": "15s", "provisioning": {"cloud": "3m", "edge": "20s"},
        "demand": [{"workload": "chat", "trace": trace}],
        "policies": [{"kind": "hpa"}, {"kind": "optimal"}]}, edge_scenario())
    hpa, optimal = out["hpa"], out["optimal"]
    assert optimal.slo_attainment_pct >= hpa.slo_attainment_pct
    assert optimal.total_cost_usd < 0.97 * hpa.total_cost_usd
    assert optimal.cost_by_tier["edge"] > hpa.cost_by_tier["edge"]
    assert optimal.cost_by_tier["cloud"] < hpa.cost_by_tier["cloud"]


@pytest.mark.parametrize("scale", [1, 30])
def test_with_the_clouds_alone_it_sizes_as_hpa_does(tmp_path: Path, scale: float) -> None:
    # One offering is cheapest for every client: the plan's mix is that key and the loop's
    # deployment is hpa's, to the replica.
    out = azure(tmp_path, scale, "3h", chat_scenario(onprem=False))
    assert out["optimal"].total_cost_usd == pytest.approx(out["hpa"].total_cost_usd)
    assert out["optimal"].slo_attainment_pct == pytest.approx(out["hpa"].slo_attainment_pct)


def _pool(tmp_path: Path, points: list[tuple[int, int]]) -> dict[str, Any]:
    """The shipped trace x10 on the two clouds and a pool of cheap L4s (a spot pool)
    whose size follows ``points`` (hour, instances)."""
    scen = chat_scenario(onprem=False)
    scen["sites"].append({
        "name": "gcp/us-west1", "tier": "cloud", "location": {"lat": 45.6, "lon": -121.2},
        "jurisdiction": "US", "egress_usd_per_gb": 0.12,
        "offerings": [{"name": "g2-spot", "accelerator": "L4", "accelerator_count": 1,
                       "usd_per_hour": 0.2827, "available": 16}]})
    trace = {"path": str(TRACE), "format": "rates", "time_column": "seconds", "value_column": "rps",
             "scale": 10}
    return run(tmp_path, {
        "duration": "10h", "step": "60s", "provisioning": {"cloud": "3m"},
        "demand": [{"workload": "chat", "trace": trace}],
        "events": [{"kind": "availability", "site": "gcp/us-west1", "offering": "g2-spot",
                    "points": [{"at": f"{h}h", "available": n} for h, n in points]}],
        "policies": [{"kind": "hpa"}, {"kind": "optimal"}]}, scen)


def test_a_pool_whose_size_changes_is_filled_only_as_far_as_the_rest_carries_the_load(
        tmp_path: Path) -> None:
    # The pool has 2 instances when the run starts (hpa's layout puts little there), then
    # 16, and shrinks every other hour: once its size has changed, what moves onto it is
    # no more than the rest can do without, so losing it drops nothing more than hpa
    # drops. (Moving onto it as onto any offering: 99.707 % against hpa's 99.911 %.)
    out = _pool(tmp_path, [(0, 2), (1, 16), (2, 4), (3, 16), (4, 0), (5, 16), (6, 2), (7, 16), (8, 4),
                           (9, 16)])
    hpa, optimal = out["hpa"], out["optimal"]
    assert optimal.slo_attainment_pct >= hpa.slo_attainment_pct
    assert optimal.total_cost_usd < 0.95 * hpa.total_cost_usd


def test_what_a_shrinking_pool_carried_is_served_at_a_cost(tmp_path: Path) -> None:
    # hpa's layout runs on the pool from the start and drops what the lost units carried;
    # optimal re-places it in the cloud. It serves more (and, with the pool shrinking
    # every other hour, pays 3.6 % more than hpa: see docs/simulations.md).
    out = _pool(tmp_path, [(0, 16), (1, 8), (2, 16), (3, 4), (4, 12), (5, 0), (6, 16), (7, 6), (8, 16),
                           (9, 2)])
    hpa, optimal = out["hpa"], out["optimal"]
    assert optimal.slo_attainment_pct > hpa.slo_attainment_pct + 0.5
