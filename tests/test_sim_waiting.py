"""Training jobs under `optimal` wait for owned capacity its own jobs free in time
(`tierplan.policies.waiting`): the repository's training queue with an evaluation every
hour, so the one owned DGX is busy when half of them arrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simfiles import run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "simulations"


def queue(tmp_path: Path, every: str, *, deadline_hours: float = 3, quota: bool = False,
          events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Evaluations every ``every`` for 12 h; the p4d nodes without their quota of 4
    unless ``quota``."""
    scen = yaml.safe_load((EXAMPLES / "training-queue.scenario.yaml").read_text())
    for w in scen["workloads"]:
        if w["name"] == "eval-suite":
            w["deadline_hours"] = deadline_hours
    for site in scen["sites"]:
        for o in site["offerings"]:
            if o["name"] == "p4d.24xlarge" and not quota:
                o.pop("available")
    return run(tmp_path, {
        "duration": "12h", "provisioning": {"cloud": "5m", "onprem": "2m"},
        "training": [{"workload": "eval-suite", "every": every, "start": "30m"}],
        "events": events or [],
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


@pytest.mark.parametrize(("deadline_hours", "quota"), [(2, False), (3, True)])
def test_no_wait_without_a_sure_fallback(tmp_path: Path, deadline_hours: float, quota: bool) -> None:
    # A 2-hour deadline: a job that waits for the DGX would finish too late. A quota on
    # the p4d nodes: jobs placed meanwhile could take the room a waiting job falls back on.
    out = queue(tmp_path, "1h", deadline_hours=deadline_hours, quota=quota)
    assert out["optimal"].total_cost_usd == out["hpa"].total_cost_usd
    assert out["optimal"].jobs_missed_deadline == out["hpa"].jobs_missed_deadline == 0


def test_a_busy_queue_and_an_outage_of_the_owned_box_miss_no_deadline(tmp_path: Path) -> None:
    # An evaluation every 20 minutes (more than the DGX can take) and the DGX's site down
    # for two hours while jobs wait for it: waiting jobs go to the cloud in time.
    out = queue(tmp_path, "20m", events=[{"kind": "outage", "site": "onprem/fra-dc1", "start": "3h",
                                          "end": "5h"}])
    hpa, optimal = out["hpa"], out["optimal"]
    assert optimal.jobs_missed_deadline == hpa.jobs_missed_deadline == 0
    assert optimal.total_cost_usd < hpa.total_cost_usd
