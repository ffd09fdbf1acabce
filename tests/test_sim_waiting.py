"""Training jobs under `optimal` wait for owned capacity its own jobs free in time
(`tierplan.policies.waiting`): the repository's training queue with an evaluation every
hour, so the one owned DGX is busy when half of them arrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simfiles import run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "simulations"


def queue(tmp_path: Path, every: str, deadline_hours: float = 3) -> dict[str, Any]:
    scen = yaml.safe_load((EXAMPLES / "training-queue.scenario.yaml").read_text())
    for w in scen["workloads"]:
        if w["name"] == "eval-suite":
            w["deadline_hours"] = deadline_hours
    return run(tmp_path, {
        "duration": "12h", "provisioning": {"cloud": "5m", "onprem": "2m"},
        "training": [{"workload": "eval-suite", "every": every, "start": "30m"}],
        "policies": [{"kind": "hpa"}, {"kind": "optimal"}]}, scen)


def test_a_job_waits_for_the_owned_box_when_it_frees_in_time(tmp_path: Path) -> None:
    # An evaluation takes the DGX 1.53 h ($14.57) or a spot p4d 1.58 h ($22.48). hpa (as
    # greedy) rents whenever the DGX is busy; optimal waits for it while both the DGX and,
    # were it wrong, an on-demand p4d still finish by the 3-hour deadline.
    out = queue(tmp_path, "1h")
    hpa, optimal = out["hpa"], out["optimal"]
    assert optimal.jobs == hpa.jobs == 12
    assert optimal.jobs_missed_deadline == hpa.jobs_missed_deadline == 0
    assert optimal.total_cost_usd < 0.95 * hpa.total_cost_usd
    assert optimal.cost_by_tier["onprem"] > hpa.cost_by_tier["onprem"]


def test_no_wait_when_the_deadline_leaves_no_room(tmp_path: Path) -> None:
    # With a 2-hour deadline a job that waits for the DGX would finish too late: both rent.
    out = queue(tmp_path, "1h", deadline_hours=2)
    assert out["optimal"].total_cost_usd == out["hpa"].total_cost_usd
    assert out["optimal"].jobs_missed_deadline == out["hpa"].jobs_missed_deadline == 0
