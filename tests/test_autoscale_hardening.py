"""Issue 26 items 12-16: overload, hung APIs, JSON logs, clear errors, competing autoscalers.

Offline: fake Kubernetes and Prometheus APIs on 127.0.0.1, injected clocks, dry-run
controllers; the real planner."""

from __future__ import annotations

import io
import json
import logging
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from fakes_autoscale import CLOUD, EDGE, SCENARIO, config_dict, write_setup
from fakes_autoscale.apis import KubeApi, PrometheusApi
from fakes_autoscale.http import FakeServer
from tierplan.autoscaler import Autoscaler, FakeClock, Runner, load_config, open_store
from tierplan.autoscaler.controllers import DryRunController, ReadOnly, Retrier, build_controller
from tierplan.autoscaler.metrics import Reading, build_source
from tierplan.autoscaler.ops import configure_logging
from tierplan.autoscaler.sizing import Sizer
from tierplan.cli.autoscale import build_autoscaler, check_competing_autoscalers
from tierplan.errors import InputError, ScenarioError

ROOT = Path(__file__).resolve().parent.parent
E = "detector"
QUERY = 'sum by (client) (rate(inference_requests_total{app="detector"}[2m]))'


class Scripted:
    """A metrics source that answers what the test says: ``readings[t]`` from time t on."""

    def __init__(self, start: float, readings: dict[float, Reading]) -> None:
        self.start = start
        self.readings = sorted(readings.items())

    def read(self, endpoint, now):
        reading = Reading("down", {}, "nothing scripted yet")
        for t, r in self.readings:
            if now - self.start >= t:
                reading = r
        return reading


def ok(munich: float, berlin: float = 0.0) -> Reading:
    return Reading("ok", {"munich": munich, "berlin": berlin})


def make(tmp_path, config, readings, controllers=None, clock=None):
    loaded = load_config(write_setup(tmp_path, config))
    clock = clock or FakeClock()
    store = open_store(str(tmp_path / "state.db"))
    controllers = controllers or {(E, EDGE): DryRunController(), (E, CLOUD): DryRunController()}
    scaler = Autoscaler(loaded, controllers, Scripted(clock.now(), readings), store, clock,
                        Retrier(loaded.retry, clock, random.Random(1)), sizer=Sizer())
    scaler.resume()
    return scaler, controllers, clock


def replicas(controllers):
    return {site: c.get_replicas() for (_, site), c in controllers.items()}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


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


# ----------------------------------------------------------------------- 14: JSON logs


@pytest.fixture
def json_logs():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("info", stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)
    logging.captureWarnings(False)


def test_apscheduler_messages_are_json(tmp_path, json_logs):
    scaler, _ctl, _clock = make(tmp_path, config_dict(interval=0.1), {0: ok(6)})
    original = scaler.tick

    def slow_tick():
        time.sleep(0.35)  # longer than the interval: APScheduler skips runs and says so
        return original()

    scaler.tick = slow_tick
    Runner(scaler, 0.1).run(install_signals=False, max_ticks=2)
    logs = json_lines(json_logs.getvalue())  # raises on any line that is not JSON
    skipped = [x for x in logs if x["logger"].startswith("apscheduler")]
    assert skipped and "maximum number of running instances reached" in skipped[0]["message"]
    assert skipped[0]["level"] == "warning"


def test_holds_carry_the_tick_and_decisions_are_logged_before_and_after_the_call(tmp_path, json_logs):
    seen_before_call = []

    class Recording(DryRunController):
        def set_replicas(self, replicas, request_id):
            seen_before_call.append([json.loads(x) for x in json_logs.getvalue().splitlines()])
            super().set_replicas(replicas, request_id)

    ctl = {(E, EDGE): Recording(), (E, CLOUD): Recording()}
    scaler, _, clock = make(tmp_path, config_dict(), {0: ok(6), 60: Reading("down", {}, "gone")},
                            controllers=ctl)
    scaler.tick()
    intent = [x for x in seen_before_call[0] if x.get("event") == "decision"]
    assert intent and intent[0]["request_id"] == f"1/{E}/{EDGE}" and intent[0]["tick"] == 1
    after = json_lines(json_logs.getvalue())
    result = [x for x in after if x.get("event") == "action"]
    assert result[0]["request_id"] == f"1/{E}/{EDGE}" and result[0]["status"] == "done"
    clock.advance(60)
    scaler.tick()
    holds = [x for x in json_lines(json_logs.getvalue()) if x.get("event") == "hold"]
    assert holds and all(x["tick"] == 2 for x in holds)
    assert all(x["tick"] == 2 for x in json_lines(json_logs.getvalue())
               if x.get("event") == "decision" and x["reason"].startswith("hold"))


# ------------------------------------------------------------ 15: errors that say what to fix


def run_cli(*args, block=(), timeout=120):
    """`tierplan ARGS` in a fresh interpreter where the modules in ``block`` cannot be imported."""
    code = ("import sys\n"
            "for m in sys.argv[1].split(','):\n"
            "    if m: sys.modules[m] = None\n"
            "from tierplan.cli import main\n"
            "main(sys.argv[2:])\n")
    return subprocess.run([sys.executable, "-c", code, ",".join(block), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def test_an_ops_port_in_use_names_the_port_and_the_option(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        path = write_setup(tmp_path, config_dict(ops={"port": port}))
        out = run_cli("autoscale", path)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert f"127.0.0.1:{port}" in out.stderr and "ops.port" in out.stderr and "--port" in out.stderr
        out = run_cli("autoscale", path, "--port", port)
        assert out.returncode == 2 and "with --port" in out.stderr
    assert not (tmp_path / ".tierplan").exists()  # refused before the state store was opened


def test_a_promql_error_reports_prometheus_own_text(tmp_path):
    api = PrometheusApi({})  # every query is unknown: HTTP 400 bad_data
    with FakeServer(api) as server:
        config = config_dict(metrics={"source": "prometheus", "url": server.url},
                             endpoints=[{"workload": E, "demand": {"query": "sum(rate(x[2m]"},
                                         "sites": [{"site": EDGE, "controller": {"type": "dry-run"}}]}])
        loaded = load_config(write_setup(tmp_path, config))
        reading = build_source("prometheus", loaded.metrics.params).read(loaded.endpoints[0], 0.0)
    assert reading.status == "down"
    assert "HTTP 400 (bad_data): unknown query 'sum(rate(x[2m]'" in reading.detail
    assert "demand.query" in reading.detail


def test_nan_metric_values_are_reported_as_nan(tmp_path):
    api = PrometheusApi({QUERY: {"munich": "NaN", "berlin": 2.0}})
    with FakeServer(api) as server:
        config = config_dict(metrics={"source": "prometheus", "url": server.url},
                             endpoints=[{"workload": E, "demand": {"query": QUERY},
                                         "sites": [{"site": EDGE, "controller": {"type": "dry-run"}}]}])
        loaded = load_config(write_setup(tmp_path, config))
        reading = build_source("prometheus", loaded.metrics.params).read(loaded.endpoints[0], 0.0)
    assert reading.status == "partial"
    assert "munich=NaN" in reading.detail and "no value" not in reading.detail


def test_a_missing_deployment_names_namespace_and_name(tmp_path):
    with FakeServer(KubeApi({})) as server:
        config = config_dict(retry={"attempts": 1})
        config["endpoints"][0]["sites"][0]["controller"] = {
            "type": "kubernetes", "namespace": "vision", "deployment": "detektor", "host": server.url}
        loaded = load_config(write_setup(tmp_path, config))
        store = open_store(str(tmp_path / "s.db"))
        scaler = build_autoscaler(loaded, store)
        rec = scaler.tick()
        store.close()
    reason = {d["site"]: d["reason"] for d in rec["decisions"]}[EDGE]
    assert "kubernetes deployment vision/detektor not found (HTTP 404)" in reason


def test_the_production_example_without_psycopg2_ends_with_the_install_hint():
    out = run_cli("autoscale", ROOT / "examples" / "autoscale" / "production.yaml", "--once", "--dry-run",
                  block=["psycopg2"])
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "pip install 'tierplan[postgres]'" in out.stderr


@pytest.mark.parametrize(("site", "metrics", "block", "extra"), [
    ({"type": "kubernetes", "deployment": "d", "host": "http://127.0.0.1:1"}, None, "kubernetes", "k8s"),
    ({"type": "sagemaker", "endpoint": "e", "region": "eu-central-1"}, None, "boto3", "aws"),
    ({"type": "vertex", "project": "p", "location": "europe-west4", "endpoint": "1", "deployed_model": "2"},
     None, "google.cloud.aiplatform_v1", "gcp"),
    ({"type": "azureml", "subscription_id": "s", "resource_group": "r", "workspace": "w", "endpoint": "e",
      "deployment": "d"}, None, "azure.ai.ml", "azure"),
    ({"type": "dry-run"}, {"source": "cloudwatch", "region": "eu-central-1"}, "boto3", "aws"),
])
def test_every_missing_extra_ends_with_the_install_hint_and_exit_2(tmp_path, site, metrics, block, extra):
    endpoint = {"workload": E, "sites": [{"site": CLOUD, "offering": "g6.xlarge", "controller": site}]}
    if metrics:
        endpoint["demand"] = {"clients": {"munich": {"namespace": "N", "metric": "M"}}}
    config = config_dict(endpoints=[endpoint], **({"metrics": metrics} if metrics else {}))
    out = run_cli("autoscale", write_setup(tmp_path, config), "--once", block=[block])
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and f"pip install 'tierplan[{extra}]'" in out.stderr


# ------------------------------------------------ 16: shared offerings, HPA/KEDA, dry runs


def two_endpoints_scenario():
    scenario = json.loads(json.dumps(SCENARIO))
    scenario["workloads"].insert(1, {
        "name": "chat", "kind": "inference", "accelerators": {"A100": {"rps": 20, "latency_ms": 30},
                                                             "L4": {"rps": 4, "latency_ms": 60}},
        "demand_rps": {"munich": 5}, "latency_slo_ms": 200})
    return scenario


def test_two_endpoints_at_one_site_each_use_only_their_own_offering(tmp_path):
    # detector has throughput on A100 too, chat on L4 too: once "could also use ... kept for
    # another endpoint", whose suggested fix then failed with "site listed twice"
    config = config_dict(endpoints=[
        {"workload": E, "sites": [{"site": CLOUD, "offering": "g6.xlarge",
                                   "controller": {"type": "dry-run"}}]},
        {"workload": "chat", "sites": [{"site": CLOUD, "offering": "p4d.24xlarge",
                                        "controller": {"type": "dry-run"}}]}])
    loaded = load_config(write_setup(tmp_path, config, two_endpoints_scenario()))
    for sizing in ("auto", "planner"):
        result = Sizer()(replace(loaded, sizing=sizing), {E: {"munich": 300.0}, "chat": {"munich": 30.0}}, {})
        # 300 rps on L4s (32 rps each) is 10 of them, though one A100 box carries it cheaper
        assert result.replicas == {(E, CLOUD): 10, ("chat", CLOUD): 1}, sizing
        assert result.cost_usd_per_hour == pytest.approx(10 * 1.0 + 40.0)


def test_two_endpoints_may_share_one_offering_and_its_limit(tmp_path):
    scenario = two_endpoints_scenario()
    scenario["sites"][1]["offerings"][0]["available"] = 3
    config = config_dict(endpoints=[
        {"workload": E, "sites": [{"site": CLOUD, "offering": "g6.xlarge",
                                   "controller": {"type": "dry-run"}}]},
        {"workload": "chat", "sites": [{"site": CLOUD, "offering": "g6.xlarge",
                                        "controller": {"type": "dry-run"}}]}])
    loaded = load_config(write_setup(tmp_path, config, scenario))
    result = Sizer()(loaded, {E: {"munich": 40.0}, "chat": {"munich": 3.0}}, {})
    assert result.replicas == {(E, CLOUD): 2, ("chat", CLOUD): 1}


def test_a_site_listed_twice_says_what_to_do(tmp_path):
    config = config_dict()
    config["endpoints"][0]["sites"].append(
        {"site": CLOUD, "offering": "p4d.24xlarge", "controller": {"type": "dry-run"}})
    with pytest.raises(ScenarioError) as err:
        load_config(write_setup(tmp_path, config))
    assert err.value.path == "endpoints[0].sites[2].site" and "one offering per site" in err.value.message


class KubeWithAutoscalers(KubeApi):
    def __init__(self, replicas, hpas=(), scaled_objects=None):
        super().__init__(replicas)
        self.hpas = list(hpas)  # (namespace, name, target deployment)
        self.scaled_objects = scaled_objects  # None: KEDA not installed

    def __call__(self, r):
        if r.path.endswith("/horizontalpodautoscalers"):
            ns = r.path.split("/")[5]
            return 200, {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscalerList", "items": [
                {"metadata": {"name": name, "namespace": ns},
                 "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                          "maxReplicas": 5}}
                for n, name, target in self.hpas if n == ns]}
        if r.path.endswith("/scaledobjects"):
            if self.scaled_objects is None:
                return 404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": "not found"}
            return 200, {"items": [{"metadata": {"name": name}, "spec": {"scaleTargetRef": {"name": target}}}
                                   for name, target in self.scaled_objects]}
        return super().__call__(r)


def kube_config(server_url, **overrides):
    config = config_dict(**overrides)
    config["endpoints"][0]["sites"][0]["controller"] = {
        "type": "kubernetes", "namespace": "vision", "deployment": "detector", "host": server_url}
    return config


@pytest.mark.parametrize(("hpas", "keda", "found"), [
    ([("vision", "detector-hpa", "detector")], None, "HorizontalPodAutoscaler vision/detector-hpa"),
    ([], [("detector-keda", "detector")], "KEDA ScaledObject vision/detector-keda"),
    ([("vision", "other", "other"), ("default", "x", "detector")], [("y", "other")], None),
])
def test_an_hpa_or_keda_scaledobject_on_the_deployment_is_refused_unless_forced(tmp_path, caplog, hpas,
                                                                                keda, found):
    api = KubeWithAutoscalers({("vision", "detector"): 1}, hpas, keda)
    with FakeServer(api) as server:
        loaded = load_config(write_setup(tmp_path, kube_config(server.url)))
        store = open_store(str(tmp_path / "s.db"))
        scaler = build_autoscaler(loaded, store)
        if found is None:
            check_competing_autoscalers(loaded, scaler, force=False, dry_run=False)
        else:
            with pytest.raises(InputError) as err:
                check_competing_autoscalers(loaded, scaler, force=False, dry_run=False)
            assert found in str(err.value) and "--force" in str(err.value)
            with caplog.at_level("WARNING", logger="tierplan.autoscale"):
                check_competing_autoscalers(loaded, scaler, force=True, dry_run=False)
            assert any(found in r.getMessage() for r in caplog.records)
        store.close()


def test_the_cli_refuses_a_deployment_an_hpa_scales_with_exit_2(tmp_path):
    api = KubeWithAutoscalers({("vision", "detector"): 1}, [("vision", "detector-hpa", "detector")])
    with FakeServer(api) as server:
        path = write_setup(tmp_path, kube_config(server.url))
        out = run_cli("autoscale", path, "--once")
        assert out.returncode == 2 and "HorizontalPodAutoscaler vision/detector-hpa" in out.stderr
        assert not server.calls("PATCH")
        out = run_cli("autoscale", path, "--once", "--force")
        assert out.returncode == 0, out.stderr
        warned = [x for x in json_lines(out.stderr) if x.get("event") == "competing_autoscaler"]
        assert "--force" in warned[0]["message"]


def test_dry_run_remembers_its_simulated_state_instead_of_repeating_the_decision(tmp_path):
    api = KubeApi({("vision", "detector"): 0})
    prom = PrometheusApi({QUERY: {"munich": 10.0, "berlin": 0.0}})  # 10 rps: 3 Jetsons
    with FakeServer(api) as k8s, FakeServer(prom) as prometheus:
        config = kube_config(k8s.url, metrics={"source": "prometheus", "url": prometheus.url})
        config["endpoints"][0]["demand"] = {"query": QUERY}
        loaded = load_config(write_setup(tmp_path, config))
        store = open_store(str(tmp_path / "s.db"))
        scaler = build_autoscaler(loaded, store, dry_run=True)
        scaler.resume()
        first = scaler.tick()
        assert [(a["site"], a["from"], a["to"], a["status"]) for a in first["actions"]] == [
            (EDGE, 0, 3, "dry-run")]
        second = scaler.tick()
        assert second["actions"] == [] and second["current"][f"{E}@{EDGE}"] == 3
        up = f'tierplan_autoscale_decisions_total{{endpoint="{E}",site="{EDGE}",action="scale_up"}} 1'
        assert up in scaler.metrics.render()
        # a restarted dry run goes on from the simulated state
        again = build_autoscaler(loaded, store, dry_run=True)
        again.resume()
        assert again.tick()["actions"] == []
        # once the real count moves, reality wins
        api.replicas[("vision", "detector")] = 5
        moved = again.tick()
        assert moved["current"][f"{E}@{EDGE}"] == 5
        assert not k8s.calls("PATCH")
        store.close()


def test_read_only_simulation_follows_reality_when_it_changes():
    inner = DryRunController(replicas=2)
    ro = ReadOnly(inner)
    assert ro.get_replicas() == 2
    ro.set_replicas(4, "r1")
    assert ro.get_replicas() == 4 and inner.replicas == 2
    inner.replicas = 1
    assert ro.get_replicas() == 1


# ------------------------------------------------------------------- state directory


def test_state_goes_to_a_state_directory_not_beside_the_config(tmp_path):
    path = write_setup(tmp_path, config_dict())
    out = run_cli("autoscale", path, "--once")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / ".tierplan" / "state" / "autoscale.db").is_file()
    assert not list(tmp_path.glob("*.db"))
    config = config_dict(state_dir="var/state")
    assert load_config(write_setup(tmp_path, config)).state_url == str(tmp_path / "var" / "state" /
                                                                       "autoscale.db")


def test_a_state_file_of_the_old_default_is_still_used_with_a_note(tmp_path):
    path = write_setup(tmp_path, config_dict())
    open_store(str(tmp_path / "autoscale.state.db")).close()
    loaded = load_config(path)
    assert loaded.state_url == str(tmp_path / "autoscale.state.db")
    assert "move it there" in loaded.notes[0]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_examples_state_directory_is_ignored_by_git():
    for name in ("dry-run", "azure-trace"):
        state = f"examples/autoscale/.tierplan/state/{name}.db"
        out = subprocess.run(["git", "check-ignore", "-q", state], cwd=ROOT, capture_output=True)
        if out.returncode == 128:
            pytest.skip("not a git checkout")
        assert out.returncode == 0, state


def test_the_examples_do_not_name_a_state_file_beside_them():
    for example in (ROOT / "examples" / "autoscale").glob("*.yaml"):
        text = example.read_text()
        assert ".state.db" not in text, example
        data = yaml.safe_load(text)
        assert "state" not in data or "://" in data["state"], example


def test_a_dry_run_never_leaves_pending_actions_nor_finishes_a_real_runs(tmp_path):
    loaded = load_config(write_setup(tmp_path, config_dict()))
    clock = FakeClock()
    store = open_store(str(tmp_path / "s.db"))
    inner = {(E, EDGE): DryRunController(), (E, CLOUD): DryRunController()}
    # a real run's pending action, left by a crash: a dry run must leave it to a real run
    store.put_action(f"7/{E}/{CLOUD}", 7, E, CLOUD, 0, 2, "pending", 0, None, clock.now())
    written = []
    put_actions = store.put_actions
    store.put_actions = lambda rows: (written.extend(rows := list(rows)), put_actions(rows))
    dry = Autoscaler(loaded, {k: ReadOnly(c) for k, c in inner.items()}, Scripted(clock.now(), {0: ok(10)}),
                     store, clock, Retrier(loaded.retry, clock, random.Random(1)), sizer=Sizer())
    dry.resume()
    assert store.action_status(f"7/{E}/{CLOUD}") == "pending" and inner[(E, CLOUD)].calls == []
    rec = dry.tick()
    assert [a["status"] for a in rec["actions"]] == ["dry-run"]
    # nothing of the dry run was ever written as pending (a crash mid-tick leaves none)
    assert [row[6] for row in written] == ["dry-run"]
    assert [a["request_id"] for a in store.actions("pending")] == [f"7/{E}/{CLOUD}"]


# ------------------------------------------------------- the planner, deterministic mode


def test_the_planner_runs_at_the_configured_effort(tmp_path, monkeypatch):
    import tierplan.autoscaler.sizing as sizing

    seen = []
    real = sizing.plan
    monkeypatch.setattr(sizing, "plan", lambda sc, options: seen.append(options) or real(sc, options))
    for effort, want in ((None, "normal"), ("low", "low"), (2.5, 2.5)):
        extra = {"planner_effort": effort} if effort is not None else {}
        loaded = load_config(write_setup(tmp_path, config_dict(sizing="planner", **extra)))
        first = Sizer()(loaded, {E: {"munich": 30.0, "berlin": 10.0}}, {})
        assert seen[-1].effort == want and seen[-1].workers == 1
        assert Sizer()(loaded, {E: {"munich": 30.0, "berlin": 10.0}}, {}).replicas == first.replicas


def test_a_plan_the_time_guard_cut_before_any_answer_holds_instead_of_scaling_to_zero(tmp_path, monkeypatch):
    import math

    import tierplan.autoscaler.sizing as sizing
    from tierplan.scheduler.solvers import HighsBackend, SolveResult

    class Nothing(HighsBackend):
        """Finds no plan (as HiGHS does when the wall-clock guard stops it first)."""

        def solve(self, milp, primary, secondary, work, gap, start=None, presolve=True):
            return SolveResult("no_solution", None, None, math.inf, 0.0, work)

        def relax(self, milp, primary):
            return None

    real = sizing.plan
    monkeypatch.setattr(sizing, "plan", lambda sc, options: real(sc, replace(options, backend=Nothing())))
    ctl = {(E, EDGE): DryRunController(replicas=2), (E, CLOUD): DryRunController(replicas=1)}
    scaler, ctl, _ = make(tmp_path, config_dict(sizing="planner"), {0: ok(3)}, controllers=ctl)
    rec = scaler.tick()
    assert "no feasible plan was found" in rec["held"][E] and rec["actions"] == []
    assert replicas(ctl) == {EDGE: 2, CLOUD: 1}
