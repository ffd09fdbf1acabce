"""Small scenario builders: tests write scenarios as the dicts a YAML file would hold.

Also the suite's rules: every test is marked ``unit`` or ``integration`` (markers.py
checks it, and keeps a ``unit`` test in process), and no test reads the real date.
"""

from __future__ import annotations

import copy
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import pytest

from markers import pytest_collection_modifyitems, unit_tests_stay_in_process  # noqa: F401 (hook, fixture)
from tierplan import PlanOptions, parse_scenario, plan
from tierplan.model import Plan, Scenario
from tierplan.scheduler.check import check_plan

pytest_plugins = ["pytester"]

TODAY = date(2026, 12, 7)
"""The date every test runs on: the CLI dates the prices' age notes by SOURCE_DATE_EPOCH
(cli.common.today), set here for this process and the subprocesses it starts, so no
output or golden file changes with the calendar."""
os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime(TODAY.year, TODAY.month, TODAY.day,
                                                    tzinfo=UTC).timestamp()))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


def system_program_missing(message: str) -> NoReturn:
    """A test needs a system program (Chromium, PostgreSQL) that is missing or will not run.

    Skipped with ``message`` (which says how to install it) on a developer's machine, so
    that ``pytest`` passes on a fresh one; failed when CI=true, so that CI never passes
    without having run the test (``.ci/run`` installs both programs).
    """
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{message} (CI=true: this test must run in CI, so it fails instead of skipping)")
    pytest.skip(message)


CHROMIUM_INSTALL = "Chromium is needed to render HTML reports in these tests: apt-get install -y chromium"


def chromium() -> str:
    """The headless browser the HTML report tests drive (skip or fail as above when missing)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    system_program_missing(CHROMIUM_INSTALL)


# Munich and Frankfurt are ~300 km apart: rtt = 5 + 0.02 * km.
MUNICH = {"lat": 48.14, "lon": 11.58}
FRANKFURT = {"lat": 50.11, "lon": 8.68}
VIRGINIA = {"lat": 38.9, "lon": -77.4}


def site(name: str, tier: str = "cloud", offerings: list[dict[str, Any]] | None = None,
         **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "tier": tier, "location": MUNICH,
                           "offerings": offerings or []}
    out.update(extra)
    return out


def offering(name: str, price: float, accelerator: str | None = "L4", count: int = 1,
             **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "usd_per_hour": price}
    if accelerator:
        out.update(accelerator=accelerator, accelerator_count=count)
    else:
        out.update(vcpus=count)
    out.update(extra)
    return out


def inference(name: str = "svc", demand: dict[str, float] | None = None,
              accelerators: dict[str, Any] | None = None, slo: float = 100,
              **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name, "kind": "inference",
        "accelerators": accelerators or {"L4": {"rps": 10, "latency_ms": 20}},
        "demand_rps": demand if demand is not None else {"munich": 10},
        "latency_slo_ms": slo,
    }
    out.update(extra)
    return out


def training(name: str = "job", accelerators: dict[str, float] | None = None,
             work_hours: float = 10, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "kind": "training",
                           "accelerators": accelerators or {"L4": 1.0}, "work_hours": work_hours}
    out.update(extra)
    return out


def scenario(sites: list[dict[str, Any]], workloads: list[dict[str, Any]],
             clients: list[dict[str, Any]] | None = None, **extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "test",
        "horizon_hours": 100,
        "sites": sites,
        "clients": clients if clients is not None else [{"name": "munich", "location": MUNICH}],
        "workloads": workloads,
    }
    data.update(extra)
    return parse_scenario(copy.deepcopy(data), "test.yaml")


def solve(sc: Scenario, **options: Any) -> Plan:
    """Plan and check the result independently of the solver."""
    result = plan(sc, PlanOptions(**options))
    if result.status != "infeasible":
        assert check_plan(sc, result) == []
    return result


def placements(result: Plan, workload: str | None = None) -> list[tuple[str, str, int]]:
    return sorted((p.site, p.offering, p.instances) for p in result.placements
                  if workload is None or p.workload == workload)


@pytest.fixture(params=["highs", "cbc"])
def solver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    """Run `tierplan ARGV...` in-process: (exit code, stdout, stderr)."""
    from tierplan.cli import main

    with pytest.raises(SystemExit) as info:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err



# Jobs contending for one on-prem L4 (100 h over the 100 h horizon, $0.10/h) with
# cloud-a at $0.20/h and cloud-b at $2/h. PRICED_PAIR: a (60 h) saves $6 on-prem, b
# (60 h) saves $114; only one fits, and b should have it ($18 in all). THREE_JOBS:
# three 60 h jobs with the on-prem L4 and cloud-b only.
PRICED_PAIR = ({"a": 60, "b": 60}, {"a": ["onprem", "cloud-a"], "b": ["onprem", "cloud-b"]})
THREE_JOBS = {"j0": 60, "j1": 60, "j2": 60}
THREE_SITES = {name: ["onprem", "cloud-b"] for name in THREE_JOBS}


def onprem_jobs(hours: dict[str, float], sites_of: dict[str, list[str]] | None = None
                ) -> tuple[Any, list[Any], Any]:
    """(universe, candidates, merged block of all) for training jobs of the given hours
    around one on-prem L4 (see PRICED_PAIR); ``sites_of`` limits a job's sites."""
    from tierplan.scheduler.blocks import Block
    from tierplan.scheduler.candidates import Universe
    from tierplan.scheduler.formulation import build

    sites = [site("onprem", tier="onprem", offerings=[offering("l4", 0.1, available=1)]),
             site("cloud-a", offerings=[offering("l4", 0.2)]),
             site("cloud-b", offerings=[offering("l4", 2.0)])]
    jobs = [training(name, work_hours=h, **({"sites": sites_of[name]} if sites_of else {}))
            for name, h in hours.items()]
    sc = scenario(sites, jobs)
    u = Universe(sc)
    members = [u.training(w, sc.budgets) for w in sc.workloads]
    return u, members, Block(list(range(len(jobs))), build(u, [], members, sc.budgets, 1.0))
