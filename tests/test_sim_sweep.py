"""Sweeps: the cartesian product of the axes, identical on local processes and on Ray."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tierplan.simulations import load_simulation
from tierplan.simulations.run import apply_point, sweep, sweep_points

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "simulations"


def small_sweep(tmp_path: Path) -> Path:
    data = yaml.safe_load((EXAMPLES / "region-outage.yaml").read_text())
    data["scenario"] = str(EXAMPLES / data["scenario"])
    data.update(duration="4h", step="5m",
                policies=[{"kind": "optimal", "interval": "1h"}, {"kind": "greedy"}, {"kind": "hpa"}],
                sweep={"demand_scale": [0.5, 1.0], "price_scale": [1.0, 2.0]})
    data["events"] = [{"kind": "outage", "site": "aws/us-east-1", "start": "1h", "end": "2h"}]
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_points_are_the_product_of_the_axes() -> None:
    assert sweep_points({"price_scale": [1, 2], "demand_scale": [0.5]}) == [
        {"demand_scale": 0.5, "price_scale": 1}, {"demand_scale": 0.5, "price_scale": 2}]


def test_price_scale_and_slo_reach_the_scenario(tmp_path: Path) -> None:
    sim = load_simulation(small_sweep(tmp_path))
    changed = apply_point(sim, {"price_scale": 2.0, "latency_slo_ms": 90, "budget_usd": 1e6})
    o = sim.scenario.sites[0].offerings[0]
    assert changed.scenario.sites[0].offerings[0].usd_per_hour == pytest.approx(2 * o.usd_per_hour)
    assert all(getattr(w, "latency_slo_ms", 90) == 90 for w in changed.scenario.workloads)
    assert changed.scenario.budgets[-1].name == "total"


def test_cli_sweep_writes_one_row_per_point_and_policy(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from tierplan.cli import main

    path = small_sweep(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(path), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert exc.value.code == 0
    out = capsys.readouterr()
    assert "sweep" in out.out and out.err.startswith("wrote ")
    lines = (tmp_path / "out" / "sweep.csv").read_text().splitlines()
    assert lines[0].startswith("demand_scale,price_scale,policy,total_cost_usd")
    assert len(lines) == 1 + 4 * 3
    page = (tmp_path / "out" / "sweep.html").read_text()
    assert page.count("<svg") == 2 * 3 and "demand_scale=0.5, price_scale=2" in page


def test_local_processes_and_ray_give_identical_results(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    path = str(small_sweep(tmp_path))
    points = sweep_points(load_simulation(path).sweep)
    serial = sweep(path, None, points, "local", workers=1)
    local = sweep(path, None, points, "local", workers=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = sweep(path, None, points, "ray", workers=2)
    finally:
        ray.shutdown()
    assert len(local) == 4 * 3
    assert local == serial == remote
    by = {(r["demand_scale"], r["price_scale"], r["policy"]): r for r in local}
    # twice the instance prices: greedy keeps its choices (it ranks by price per rps), so
    # compute costs twice as much; egress prices are not scaled
    double, single = by[1.0, 2.0, "greedy"]["total_cost_usd"], by[1.0, 1.0, "greedy"]["total_cost_usd"]
    assert 1.95 * single < double < 2 * single
    assert by[0.5, 1.0, "greedy"]["requests"] == pytest.approx(by[1.0, 1.0, "greedy"]["requests"] / 2)


def test_policies_of_one_run_in_parallel_give_the_same_result(tmp_path: Path) -> None:
    from tierplan.simulations import run_simulation
    from tierplan.simulations.run import run_parallel

    path = small_sweep(tmp_path)
    serial = run_simulation(load_simulation(path))
    parallel = run_parallel(str(path), None, "local", workers=2)
    assert [p.row() for p in parallel.policies] == [p.row() for p in serial.policies]
    for a, b in zip(serial.policies, parallel.policies, strict=True):
        assert a.series.keys() == b.series.keys()
        assert all((a.series[k] == b.series[k]).all() for k in a.series)
