"""The autoscaler under demand beyond its capacity and with a hung API server.

Offline: fake Kubernetes and Prometheus APIs on 127.0.0.1, injected clocks, dry-run
controllers; the real planner."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fakes_autoscale import CLOUD, EDGE, SCENARIO, config_dict, write_setup
from fakes_autoscale.http import FakeServer
from fakes_autoscale.scripted import E, json_lines, make, ok, replicas
from tierplan.autoscaler import FakeClock, load_config, open_store
from tierplan.autoscaler.controllers import Retrier, build_controller
from tierplan.autoscaler.metrics import Reading
from tierplan.autoscaler.sizing import Sizer
from tierplan.cli.autoscale import build_autoscaler

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------ 12: demand beyond capacity


def capped(**overrides):
    config = config_dict(**overrides)
    config["endpoints"][0]["sites"][1]["max_replicas"] = 1  # 3 Jetsons (14.4 rps) + 1 L4 (32 rps)
    return config


def test_demand_beyond_max_replicas_scales_to_the_maximum_and_reports_the_unmet_rps(tmp_path, caplog):
    # 6 -> 60 rps with 46.4 rps of capacity at max: once the endpoint froze (held, no plan)
    scaler, ctl, clock = make(tmp_path, capped(), {0: ok(6), 60: ok(60), 120: ok(20)})
    scaler.tick()
    assert replicas(ctl) == {EDGE: 2, CLOUD: 0}
    clock.advance(60)
    with caplog.at_level("WARNING", logger="tierplan.autoscale"):
        rec = scaler.tick()
    assert rec["held"] == {} and replicas(ctl) == {EDGE: 3, CLOUD: 1}
    assert rec["unmet_rps"] == {E: pytest.approx(60 - 3 * 4.8 - 32)}
    assert rec["sizing"]["unmet_rps"] == {E: {"munich": pytest.approx(13.6)}}
    warning = next(r for r in caplog.records if getattr(r, "event", None) == "demand_unmet")
    assert warning.tick == 2 and warning.unmet_rps == pytest.approx(13.6) and "munich" in warning.detail
    assert f'tierplan_autoscale_unmet_rps{{endpoint="{E}"}} 13.600000' in scaler.metrics.render()
    clock.advance(60)
    rec = scaler.tick()  # back within capacity: the gauge says so
    assert rec["unmet_rps"] == {}
    assert f'tierplan_autoscale_unmet_rps{{endpoint="{E}"}} 0.000000' in scaler.metrics.render()


def test_demand_beyond_capacity_stays_within_the_budget(tmp_path):
    # $0.50/h: the L4 ($1/h) is out of reach; the three Jetsons ($0.15/h) are the best there is
    scaler, ctl, _ = make(tmp_path, capped(budget_usd_per_hour=0.5), {0: ok(60)})
    rec = scaler.tick()
    assert replicas(ctl) == {EDGE: 3, CLOUD: 0} and rec["held"] == {}
    assert {d["site"]: d["reason"] for d in rec["decisions"]}[CLOUD] == "budget $0.5/h"
    assert rec["unmet_rps"][E] > 0


def test_a_client_no_site_reaches_within_the_slo_does_not_freeze_the_others(tmp_path):
    scenario = {**SCENARIO, "clients": [*SCENARIO["clients"],
                                       {"name": "lisbon", "location": {"lat": 38.72, "lon": -9.14}}]}
    scenario["workloads"] = [{**SCENARIO["workloads"][0], "latency_slo_ms": 50,
                              "demand_rps": {"munich": 10, "lisbon": 5}}]
    config = config_dict()
    loaded = load_config(write_setup(tmp_path, config, scenario))
    result = Sizer()(loaded, {E: {"munich": 10.0, "lisbon": 5.0}}, {})
    assert result.infeasible == {} and result.unmet == {E: {"lisbon": pytest.approx(5.0)}}
    assert sum(result.replicas.values()) >= 1  # munich is served


def test_held_ticks_record_recommendations_so_the_scale_down_window_is_kept(tmp_path):
    # 40 rps at t=0 (3 Jetsons + 1 L4); metrics down from t=60 to t=400; 3 rps at t=420.
    # The 300 s window must count the held ticks: no scale-down at t=420 although the
    # last recommendation before the hold is older than the window.
    readings = {0: ok(30, 10), 60: Reading("down", {}, "prometheus unreachable"), 420: ok(2, 1)}
    scaler, ctl, clock = make(tmp_path, config_dict(), readings)
    scaler.tick()
    before = replicas(ctl)
    assert sum(before.values()) >= 2
    for _ in range(6):  # t = 60 .. 360, held
        clock.advance(60)
        assert E in scaler.tick()["held"]
    clock.advance(60)  # t = 420
    rec = scaler.tick()
    assert replicas(ctl) == before
    assert {d["reason"] for d in rec["decisions"] if d["target"] != d["planned"]} == {
        "held by the scale-down window"}
    # and the store has them, so a restart keeps the window too
    rows = scaler.store.recommendations_since(0)
    assert len(rows[(E, EDGE)]) == 8


# ------------------------------------------------------------------- 13: hung API server


class Hung:
    """An API server that hangs on the Deployment's scale until released (404 elsewhere)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.hung = threading.Event()

    def __call__(self, request):
        if not request.path.endswith("/scale"):
            return 404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": "not found"}
        self.hung.set()
        self.release.wait(60)
        return 503, {"message": "released"}


@pytest.fixture
def hung_server():
    hung = Hung()
    with FakeServer(hung) as server:
        server.hung = hung.hung
        yield server
        hung.release.set()


def test_every_kubernetes_call_has_a_timeout(hung_server):
    c = build_controller("kubernetes", {"deployment": "detector", "namespace": "vision",
                                        "host": hung_server.url, "timeout": 0.5})
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="kubernetes deployment vision/detector"):
        c.get_replicas()
    with pytest.raises(RuntimeError, match="kubernetes deployment vision/detector"):
        c.set_replicas(2, "1/detector/edge")
    assert time.monotonic() - started < 10
    assert c.timeout == 0.5


# Builds the real Kubernetes client: its first import probes IPv6 with a socket.
@pytest.mark.integration
def test_the_timeout_comes_from_the_config_with_a_default(tmp_path):
    config = config_dict()
    config["endpoints"][0]["sites"][0]["controller"] = {"type": "kubernetes", "deployment": "d",
                                                        "host": "http://127.0.0.1:1"}
    loaded = load_config(write_setup(tmp_path, config))
    assert build_controller("kubernetes", loaded.endpoints[0].sites[0].controller.params).timeout == 10.0
    config["endpoints"][0]["sites"][0]["controller"]["timeout"] = "3s"
    loaded = load_config(write_setup(tmp_path, config))
    assert build_controller("kubernetes", loaded.endpoints[0].sites[0].controller.params).timeout == 3.0


def test_a_hung_api_server_holds_that_site_and_the_tick_ends(tmp_path, hung_server):
    config = config_dict(retry={"attempts": 2, "base": 0, "cap": 0})
    config["endpoints"][0]["sites"][0]["controller"] = {
        "type": "kubernetes", "deployment": "detector", "host": hung_server.url, "timeout": 0.3}
    loaded = load_config(write_setup(tmp_path, config))
    store = open_store(str(tmp_path / "s.db"))
    scaler = build_autoscaler(loaded, store)
    scaler.resume()
    started = time.monotonic()
    rec = scaler.tick()
    assert time.monotonic() - started < 15
    d = {x["site"]: x for x in rec["decisions"]}
    assert d[EDGE]["target"] is None and "kubernetes deployment default/detector" in d[EDGE]["reason"]
    assert d[CLOUD]["target"] is not None  # the other site is still sized
    store.close()


def test_sigterm_ends_the_process_within_the_grace_period_even_mid_call(tmp_path, hung_server):
    config = config_dict(interval="1h", stop_grace="1s", ops={"port": 0})
    config["endpoints"][0]["sites"][0]["controller"] = {  # the call would hang for 60 s
        "type": "kubernetes", "deployment": "detector", "host": hung_server.url, "timeout": 60}
    path = write_setup(tmp_path, config)
    proc = subprocess.Popen([sys.executable, "-m", "tierplan", "autoscale", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert hung_server.hung.wait(60), "the tick never reached the API server"
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert took < 1 + 8  # the 1 s grace, and the interpreter's exit, on a loaded machine
    logs = json_lines(err)  # every line is JSON
    events = [x.get("event") for x in logs]
    assert "stop_abandoned_tick" in events and events[-1] == "stop"


def test_stopping_ends_retries(tmp_path):
    clock = FakeClock()
    loaded = load_config(write_setup(tmp_path, config_dict()))
    retrier = Retrier(loaded.retry, clock, random.Random(1))
    calls = []

    def failing():
        calls.append(1)
        retrier.cancel.set()  # SIGTERM arrives during the first attempt
        raise ConnectionError("reset")

    with pytest.raises(Exception, match="stopping"):
        retrier.call(failing)
    assert len(calls) == 1 and clock.slept == []


