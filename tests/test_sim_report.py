"""The simulation report: one self-contained page a browser renders from disk."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import chromium
from tierplan.simulations import load_simulation, run_simulation
from tierplan.simulations.output import write_html, write_results

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "simulations"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    write_results(run_simulation(load_simulation(EXAMPLES / "region-outage.yaml")), out)
    return out / "report.html"


def test_self_contained_with_the_four_charts(report: Path) -> None:
    page = report.read_text()
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    for title in ("Cost over time", "Demand vs ready capacity", "SLO attainment",
                  "Instances per site: optimal", "Instances per site: hpa"):
        assert title in page
    assert "$1,571.64" in page  # the static plan's total, as the summary table prints it


def test_names_are_escaped(tmp_path: Path) -> None:
    from dataclasses import replace

    sim = load_simulation(EXAMPLES / "training-queue.yaml")
    sim = replace(sim, name="<b>x</b>", duration_s=3600.0, policies=sim.policies[:1])
    page = write_html(run_simulation(sim))
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_chromium_renders_it_from_disk(report: Path, tmp_path: Path) -> None:
    dom = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") >= 10
    assert dom.stdout.count("<polyline") + dom.stdout.count("<path") >= 20
    assert "optimal-forecast" in dom.stdout


def test_demand_per_workload_events_marked_and_a_table_that_fits(report: Path) -> None:
    page = report.read_text()
    assert "Demand per workload" in page and ">chat-us<" in page and ">chat-eu<" in page
    # the 3-hour outage of aws/us-east-1 is a shaded span on the time charts
    assert page.count('class="band"') >= 5 and "outage aws/us-east-1" in page
    # the summary table wraps its headers instead of scrolling sideways
    assert 'class="scroll"' not in page and '<table class="fit">' in page
    assert "per month" in page


def test_sweep_labels_are_shown_whole(tmp_path: Path) -> None:
    from tierplan.simulations.output import write_sweep

    rows = [{"demand_scale": d, "price_scale": p, "policy": "optimal", "total_cost_usd": 10.0 * d * p,
             "slo_attainment_pct": 99.5} for d in (0.5, 1.0, 1.5) for p in (0.8, 1.25)]
    write_sweep(rows, ["demand_scale", "price_scale"], tmp_path)
    page = (tmp_path / "sweep.html").read_text()
    assert ">demand_scale=1.5, price_scale=1.25<" in page and "…" not in page
