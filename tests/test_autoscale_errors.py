"""The autoscaler's JSON logs and errors that say what to fix.

Offline: fake Kubernetes and Prometheus APIs on 127.0.0.1, injected clocks, dry-run
controllers; the real planner."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from pathlib import Path

import pytest

from fakes_autoscale import CLOUD, EDGE, config_dict, write_setup
from fakes_autoscale.apis import KubeApi, PrometheusApi
from fakes_autoscale.http import FakeServer
from fakes_autoscale.scripted import QUERY, E, json_lines, make, ok, run_cli
from tierplan.autoscaler import Runner, load_config, open_store
from tierplan.autoscaler.controllers import DryRunController
from tierplan.autoscaler.metrics import Reading, build_source
from tierplan.autoscaler.ops import configure_logging
from tierplan.cli.autoscale import build_autoscaler

ROOT = Path(__file__).resolve().parent.parent


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


