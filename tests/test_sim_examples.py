"""The example simulations run and tell the story their comments tell."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierplan.simulations import load_simulation, run_simulation
from tierplan.simulations.results import PolicyResult

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "simulations"


def results(name: str, trace: str | None = None) -> dict[str, PolicyResult]:
    return {p.policy: p for p in run_simulation(load_simulation(EXAMPLES / name, trace)).policies}


def test_region_outage() -> None:
    out = results("region-outage.yaml")
    static, optimal, greedy = out["static"], out["optimal"], out["greedy"]
    # The static plan sized for the peak costs most, and loses what ran in us-east-1 for the
    # three hours of the outage (plus the boot after it).
    assert static.total_cost_usd == max(p.total_cost_usd for p in out.values())
    assert static.unserved_requests > 30 * optimal.unserved_requests
    # The planner's mix sized every step costs less than HPA on the static placement and
    # serves more.
    assert optimal.total_cost_usd < out["hpa"].total_cost_usd
    assert optimal.slo_attainment_pct > out["hpa"].slo_attainment_pct
    # Re-planning hourly is cheaper than greedy sizing every 5 minutes here, and serves all
    # but a fraction of a percent (what arrives while new instances boot).
    assert optimal.total_cost_usd < greedy.total_cost_usd
    assert optimal.slo_attainment_pct > 99.9
    assert all(p.jobs == 0 for p in out.values())


def test_training_queue() -> None:
    out = results("training-queue.yaml")
    for p in out.values():
        assert p.jobs == 20  # 4 retrains (every 12 h from 1 h) + 16 evals (every 3 h from 30 m)
        assert p.preemptions >= 1
        assert p.jobs_missed_deadline == 0
    assert out["cloud_only"].cost_by_site.get("onprem/fra-dc1", 0.0) == 0.0
    assert out["cloud_only"].total_cost_usd == max(p.total_cost_usd for p in out.values())
    assert out["optimal"].total_cost_usd <= out["greedy"].total_cost_usd + 1e-6


def test_azure_conversation_trace() -> None:
    out = results("azure-conversation.yaml")
    requests = {p.requests for p in out.values()}
    assert len(requests) == 1  # every policy sees the same demand
    # the one-hour trace (19,366 requests in 58 min 22 s) repeats over the three hours
    assert 3 * 19366 < requests.pop() < 3.1 * 19366
    assert out["static"].slo_attainment_pct == 100.0
    assert out["cloud_only"].cost_by_tier.get("edge", 0.0) == 0.0
    assert out["edge_first"].cost_by_tier["edge"] > 0


def test_azure_trace_path_from_the_command_line(tmp_path: Path) -> None:
    # the example reads rates (requests per 15 s as rps); another file of those columns
    (tmp_path / "t.csv").write_text("seconds,rps\n" + "".join(f"{i},0.5\n" for i in range(0, 3600, 15)))
    out = results("azure-conversation.yaml", str(tmp_path / "t.csv"))
    # 1,800 requests an hour, repeated: 3 hours
    assert out["static"].requests == pytest.approx(3 * 1800, rel=0.01)
