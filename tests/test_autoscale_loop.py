"""The loop on a fake clock with the real planner: hold, act, record, restart, stop."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fakes_autoscale import CLOUD, EDGE, config_dict, write_setup
from tierplan.autoscaler import Autoscaler, FakeClock, Runner, load_config, open_store
from tierplan.autoscaler.controllers import DryRunController, Retrier
from tierplan.autoscaler.metrics import build_source
from tierplan.autoscaler.metrics.replay import ReplaySource
from tierplan.autoscaler.ops import OpsServer
from tierplan.autoscaler.sizing import size
from tierplan.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
E = "detector"
DEMAND = [(0, E, "munich", 6), (0, E, "berlin", 4),      # 10 rps: 3 Jetsons
          (60, E, "munich", 10), (60, E, "berlin", 5),   # 15 rps: 1 L4
          (120, E, "munich", 2), (120, E, "berlin", 1)]  # 3 rps: 1 Jetson (after the window)


def make(tmp_path, config=None, demand=DEMAND, controllers=None, store=None, clock=None, sizer=size):
    config = load_config(write_setup(tmp_path, config or config_dict(), demand=demand))
    clock = clock or FakeClock()
    store = store or open_store(str(tmp_path / "state.db"))
    controllers = controllers or {(E, EDGE): DryRunController(), (E, CLOUD): DryRunController()}
    source = ReplaySource(str(tmp_path / "demand.csv"), start=lambda: store.first_tick_time() or clock.now())
    scaler = Autoscaler(config, controllers, source, store, clock,
                        Retrier(config.retry, clock, random.Random(1)), sizer=sizer)
    scaler.resume()
    return scaler, controllers, store, clock


def replicas(controllers):
    return {site: c.get_replicas() for (_, site), c in controllers.items()}


def test_ticks_follow_demand_and_record_everything(tmp_path):
    scaler, ctl, store, clock = make(tmp_path)
    rec = scaler.tick()
    assert replicas(ctl) == {EDGE: 3, CLOUD: 0}
    assert rec["sizing"]["cost_usd_per_hour"] == pytest.approx(0.15)
    assert [a["status"] for a in rec["actions"]] == ["done"]
    clock.advance(60)
    rec = scaler.tick()  # 15 rps: the plan moves to one L4; the Jetsons wait for the window
    assert replicas(ctl) == {EDGE: 3, CLOUD: 1}
    assert {d["site"]: d["reason"] for d in rec["decisions"]}[EDGE] == "held by the scale-down window"
    clock.advance(250)
    scaler.tick()  # t=310, 3 rps: the 3 recommended at t=0 has left the window, the L4's 1 (t=60) not
    assert replicas(ctl) == {EDGE: 1, CLOUD: 1}
    clock.advance(60)
    rec = scaler.tick()  # t=370: the L4 goes too
    assert replicas(ctl) == {EDGE: 1, CLOUD: 0}
    ticks = store.ticks()
    assert [t["id"] for t in ticks] == [1, 2, 3, 4] and all(t["finished"] for t in ticks)
    last = ticks[-1]["record"]
    assert last["demand"] == {E: {"munich": 2.0, "berlin": 1.0}}
    assert {d["site"]: d["target"] for d in last["decisions"]} == {EDGE: 1, CLOUD: 0}
    assert last["sizing"]["replicas"] == {f"{E}@{EDGE}": 1, f"{E}@{CLOUD}": 0}
    assert {a["request_id"] for a in store.actions()} == {
        f"1/{E}/{EDGE}", f"2/{E}/{CLOUD}", f"3/{E}/{EDGE}", f"4/{E}/{CLOUD}"}
    assert all(a["status"] == "done" for a in store.actions())


def test_metrics_down_or_partial_holds_and_says_so(tmp_path, caplog):
    demand = [(0, E, "munich", 6), (0, E, "berlin", 4), (60, E, "munich", 30)]
    scaler, ctl, _store, clock = make(tmp_path, demand=demand)
    scaler.tick()
    clock.advance(60)
    # berlin still has its row from t=0, so this is complete: 34 rps
    assert scaler.tick()["held"] == {}
    before = replicas(ctl)
    source = scaler.source
    source.series.pop((E, "berlin"))  # berlin's series disappears: partial
    clock.advance(60)
    with caplog.at_level("WARNING", logger="tierplan.autoscale"):
        rec = scaler.tick()
    assert "metrics partial" in rec["held"][E] and "berlin" in rec["held"][E]
    assert replicas(ctl) == before and rec["actions"] == []
    assert any(getattr(r, "event", None) == "hold" for r in caplog.records)
    source.series.clear()  # nothing at all: down
    clock.advance(60)
    rec = scaler.tick()
    assert rec["held"][E].startswith("metrics down") and replicas(ctl) == before
    assert scaler.metrics.errors["metrics"] == 2
    assert "hold" in scaler.metrics.render()


def test_missing_zero_counts_an_absent_client_as_no_demand(tmp_path):
    config = config_dict()
    config["endpoints"][0]["demand"] = {"missing": "zero"}
    scaler, ctl, *_ = make(tmp_path, config=config, demand=[(0, E, "munich", 9)])
    rec = scaler.tick()
    assert rec["held"] == {} and rec["demand"][E] == {"munich": 9.0, "berlin": 0.0}
    assert replicas(ctl) == {EDGE: 2, CLOUD: 0}


def test_restart_resumes_numbering_windows_and_pending_actions(tmp_path):
    scaler, ctl, store, clock = make(tmp_path)
    scaler.tick()
    clock.advance(60)
    scaler.tick()
    assert replicas(ctl) == {EDGE: 3, CLOUD: 1}
    # a crash in tick 3 after the action was recorded as pending and sent, before 'done'
    store.start_tick(3, clock.now())
    store.put_action(f"3/{E}/{CLOUD}", 3, E, CLOUD, 1, 2, "pending", 0, None, clock.now())
    ctl[(E, CLOUD)].set_replicas(2, f"3/{E}/{CLOUD}")
    sent = len(ctl[(E, CLOUD)].calls)
    clock.advance(120)
    scaler2, _ctl2, _store2, _ = make(tmp_path, controllers=ctl, store=store, clock=clock)
    assert len(ctl[(E, CLOUD)].calls) == sent  # re-read found it applied: not sent again
    assert store.action_status(f"3/{E}/{CLOUD}") == "already"
    assert store.ticks()[-1]["status"] == "interrupted"
    rec = scaler2.tick()
    assert rec["tick"] == 4
    # 3 rps now, but the Jetsons recommended at t=0 and t=60 are still in the restored window
    assert {d["site"]: d["target"] for d in rec["decisions"]}[EDGE] == 3


def test_controller_errors_are_retried_and_recorded(tmp_path):
    class Flaky(DryRunController):
        def __init__(self):
            super().__init__()
            self.failures = 2

        def set_replicas(self, replicas, request_id):
            if self.failures:
                self.failures -= 1
                raise ConnectionError("503 service unavailable")
            super().set_replicas(replicas, request_id)

    class Dead(DryRunController):
        def set_replicas(self, replicas, request_id):
            raise PermissionError("AccessDenied")

    ctl = {(E, EDGE): Flaky(), (E, CLOUD): Dead()}
    demand = [(0, E, "munich", 30), (0, E, "berlin", 10)]  # 40 rps: 2 Jetsons + 1 L4
    scaler, ctl, store, clock = make(tmp_path, demand=demand, controllers=ctl)
    rec = scaler.tick()
    by_site = {a["site"]: a for a in rec["actions"]}
    assert by_site[EDGE]["status"] == "done" and by_site[EDGE]["attempts"] == 3
    assert by_site[CLOUD]["status"] == "failed" and "AccessDenied" in by_site[CLOUD]["error"]
    assert len(clock.slept) == 2 + 3  # backoffs: two for the flaky one, three for the dead one
    assert {a["request_id"]: a["status"] for a in store.actions()} == {
        f"1/{E}/{EDGE}": "done", f"1/{E}/{CLOUD}": "failed"}
    assert scaler.metrics.errors["controller"] == 1


def test_unreadable_controller_holds_that_site_only(tmp_path):
    class Unreadable(DryRunController):
        def get_replicas(self):
            raise TimeoutError("no answer")

    ctl = {(E, EDGE): DryRunController(), (E, CLOUD): Unreadable()}
    scaler, ctl, _store, _clock = make(tmp_path, controllers=ctl)
    rec = scaler.tick()
    d = {x["site"]: x for x in rec["decisions"]}
    assert d[CLOUD]["target"] is None and "unknown" in d[CLOUD]["reason"]
    assert d[EDGE]["target"] == 3


def test_predictive_mode_scales_ahead_of_a_rising_trend(tmp_path):
    rising = [(60 * k, E, "munich", 2.0 + 2.0 * k) for k in range(6)] + [(0, E, "berlin", 0)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain, ctl_plain, *_ = make(tmp_path / "a", demand=rising)
    config = config_dict(predictive={"lead": "5m", "alpha": 1.0, "beta": 1.0})
    ahead, ctl_ahead, _, clock = make(tmp_path / "b", config=config, demand=rising)
    for _ in range(3):
        plain.tick()
        rec = ahead.tick()
        plain.clock.advance(60)
        clock.advance(60)
    # at t=120 demand is 6 rps rising 2 rps/min: the forecast 5 min ahead is 16 rps
    assert rec["planned_demand"][E]["munich"] == pytest.approx(16.0)
    assert replicas(ctl_plain) == {EDGE: 2, CLOUD: 0}   # 6 rps
    assert replicas(ctl_ahead)[CLOUD] == 1   # 16 rps: more than 3 Jetsons carry
    assert rec["sizing"]["replicas"] == {f"{E}@{EDGE}": 0, f"{E}@{CLOUD}": 1}


def test_ops_server_serves_health_and_metrics(tmp_path):
    scaler, _ctl, _store, clock = make(tmp_path)
    server = OpsServer(scaler.metrics, "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        scaler.tick()
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as r:
            text = r.read().decode()
        assert f'tierplan_autoscale_replicas{{endpoint="{E}",site="{EDGE}"}} 3' in text
        up = f'tierplan_autoscale_decisions_total{{endpoint="{E}",site="{EDGE}",action="scale_up"}} 1'
        assert up in text
        assert "tierplan_autoscale_cost_usd_per_hour 0.150000" in text
        clock.advance(10 * 30)  # ten intervals without a tick: stale
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{base}/healthz", timeout=5)
        assert err.value.code == 503
        err.value.close()  # an HTTPError holds the response's socket open until closed
    finally:
        server.stop()


def test_real_apscheduler_drives_ticks_without_overlap(tmp_path):
    config = config_dict(interval=0.2)
    scaler, _ctl, store, _clock = make(tmp_path, config=config)
    calls = []
    original = scaler.tick

    def slow_tick():
        calls.append(time.monotonic())
        time.sleep(0.3)  # longer than the interval: max_instances=1 and coalesce must hold
        return original()

    scaler.tick = slow_tick
    runner = Runner(scaler, 0.2)
    runner.run(install_signals=False, max_ticks=3)
    # stopping lets a tick that already started finish, so there may be a fourth
    assert runner.ticks in (3, 4) and len(calls) == runner.ticks
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(g >= 0.29 for g in gaps)  # never two ticks at once
    assert [t["status"] for t in store.ticks()] == ["ok"] * runner.ticks


def test_cli_once_prints_the_record_and_writes_the_store(tmp_path):
    path = write_setup(tmp_path, demand=DEMAND)
    out = subprocess.run([sys.executable, "-m", "tierplan", "autoscale", str(path), "--once"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert {d["site"]: d["target"] for d in record["decisions"]} == {EDGE: 3, CLOUD: 0}
    logs = [json.loads(line) for line in out.stderr.splitlines()]
    assert any(x.get("event") == "decision" and x["site"] == EDGE for x in logs)
    # a second --once resumes: the pretend endpoint remembers its 3 replicas
    out = subprocess.run([sys.executable, "-m", "tierplan", "autoscale", str(path), "--once", "--dry-run"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    record = json.loads(out.stdout)
    assert record["tick"] == 2 and record["current"][f"{E}@{EDGE}"] == 3


def test_sigterm_finishes_the_tick_and_exits_cleanly(tmp_path):
    slow = config_dict(interval=0.5, ops={"port": 0})
    path = write_setup(tmp_path, slow, demand=DEMAND)
    proc = subprocess.Popen([sys.executable, "-m", "tierplan", "autoscale", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    store = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if (tmp_path / ".tierplan" / "state" / "autoscale.db").exists():
                store = open_store(str(tmp_path / ".tierplan" / "state" / "autoscale.db"))
                if len(store.ticks()) >= 2:
                    break
                store.close()
                store = None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    events = [json.loads(line).get("event") for line in err.splitlines() if line.startswith("{")]
    assert events[0] == "start" and events[-1] == "stop"
    store = open_store(str(tmp_path / ".tierplan" / "state" / "autoscale.db"))
    ticks = store.ticks()
    assert len(ticks) >= 2 and all(t["finished"] is not None for t in ticks)
    assert not store.actions("pending")


def test_the_dry_run_example_runs_once(tmp_path):
    example = ROOT / "examples" / "autoscale" / "dry-run.yaml"
    out = subprocess.run([sys.executable, "-m", "tierplan", "autoscale", str(example), "--once",
                          "--state", str(tmp_path / "state.db")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    # t=0: 4.8 rps from Munich, 3.2 from Hamburg: two Orins (4.8 rps each) carry both for
    # $0.10/h, one per store or both in Munich (the same cost: the routing tie-break does not
    # choose between instance choices of equal cost); the L4 the dry-run endpoint started
    # with is not needed, but a fresh start never scales down at once: it waits for the
    # 5 min window
    assert record["held"] == {} and record["sizing"]["cost_usd_per_hour"] == pytest.approx(0.10)
    decisions = {d["site"]: d for d in record["decisions"]}
    targets = {s: d["target"] for s, d in decisions.items()}
    assert targets["edge/store-munich"] + targets["edge/store-hamburg"] == 2
    assert targets["edge/store-munich"] >= 1 and targets["aws/eu-central-1"] == 1
    assert decisions["aws/eu-central-1"]["reason"] == "held by the scale-down window"


def _once_with_kubeconfig(tmp_path, kubeconfig):
    """`tierplan autoscale --once` with the first site on Kubernetes, given ``kubeconfig``."""
    config = config_dict()
    config["endpoints"][0]["sites"][0]["controller"] = {
        "type": "kubernetes", "deployment": "detector", "kubeconfig": kubeconfig}
    path = write_setup(tmp_path, config)
    return subprocess.run([sys.executable, "-m", "tierplan", "autoscale", str(path), "--once"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_a_missing_kubeconfig_is_bad_input_exit_2_naming_the_field(tmp_path):
    out = _once_with_kubeconfig(tmp_path, "missing-kubeconfig")
    assert out.returncode == 2
    assert "endpoints[0].sites[0].controller.kubeconfig" in out.stderr
    assert str(tmp_path / "missing-kubeconfig") in out.stderr
    assert "Traceback" not in out.stderr


def test_a_controller_that_cannot_be_set_up_exits_1_naming_the_site(tmp_path):
    # The file exists, so the input is as asked; the SDK then finds no cluster in it.
    (tmp_path / "empty-kubeconfig").write_text("")
    out = _once_with_kubeconfig(tmp_path, "empty-kubeconfig")
    assert out.returncode == 1
    assert "endpoints[0].sites[0].controller: cannot set up the kubernetes controller" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_failing_planner_holds_every_endpoint_and_a_failing_tick_is_recorded(tmp_path):
    def broken(*args):
        raise RuntimeError("solver crashed")

    scaler, ctl, store, _ = make(tmp_path, sizer=broken)
    rec = scaler.tick()
    assert rec["held"][E] == "planner failed: solver crashed" and rec["actions"] == []
    assert scaler.metrics.errors["planner"] == 1 and replicas(ctl) == {EDGE: 0, CLOUD: 0}

    class BadSource:
        def read(self, endpoint, now):
            raise ValueError("corrupt")

    scaler.source = BadSource()
    rec = scaler.tick()
    assert rec["held"][E] == "metrics down: metrics source error: corrupt"


    def bug(*args):
        raise KeyError("a bug in the guards")

    scaler.source, scaler.sizer = ReplaySource(str(tmp_path / "demand.csv"), start=0.0), size
    scaler.guards.decide = bug  # an unexpected error: the tick is recorded, the loop goes on
    rec = scaler.tick()
    assert rec["error"] == "KeyError: 'a bug in the guards'" and scaler.metrics.errors["tick"] == 1
    assert [t["status"] for t in store.ticks()] == ["held", "held", "error"]
    assert all(t["finished"] is not None for t in store.ticks())


def test_arrivals_format_bins_a_request_log_into_rates(tmp_path):
    # 120 requests in the first minute, 30 in the second (ISO times with 7 fraction digits,
    # as in the Azure LLM trace); split 75/25 over the two clients, scaled x2
    stamps = [f"2023-11-16 18:00:{s:02d}.{i:07d}" for s in range(60) for i in range(2)]
    stamps += [f"2023-11-16 18:01:{s:02d}.0000000" for s in range(0, 60, 2)]
    (tmp_path / "log.csv").write_text("TIMESTAMP,ContextTokens\n" + "".join(f"{t},10\n" for t in stamps))
    config = config_dict(metrics={"source": "file", "path": "log.csv", "format": "arrivals", "window": "1m",
                                  "scale": 2, "split": {E: {"munich": 0.75, "berlin": 0.25}}})
    scaler, _, store, clock = make(tmp_path, config=config)
    scaler.source = build_source("file", scaler.config.metrics.params,
                                 start=lambda: store.first_tick_time() or clock.now())
    rec = scaler.tick()
    assert rec["demand"][E] == {"munich": pytest.approx(3.0), "berlin": pytest.approx(1.0)}  # 120/60 x 2
    clock.advance(60)
    assert scaler.tick()["demand"][E] == {"munich": pytest.approx(0.75), "berlin": pytest.approx(0.25)}


def test_arrivals_format_needs_a_split(tmp_path):
    config = config_dict(metrics={"source": "file", "path": "demand.csv", "format": "arrivals"})
    with pytest.raises(ScenarioError) as err:
        load_config(write_setup(tmp_path, config))
    assert err.value.path == "metrics.split"


def test_the_azure_trace_example_runs_once_from_the_repository_alone(tmp_path):
    example = ROOT / "examples" / "autoscale" / "azure-trace.yaml"
    out = subprocess.run([sys.executable, "-m", "tierplan", "autoscale", str(example), "--once",
                          "--state", str(tmp_path / "state.db")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    demand = record["demand"]["chat-eu"]
    assert demand["paris"] / demand["berlin"] == pytest.approx(1.5)  # the 60/40 split
    assert record["held"] == {} and sum(d["target"] for d in record["decisions"]) >= 2  # min_sites 2


@pytest.mark.parametrize(("log", "window", "message"), [
    ("TIMESTAMP\n0\ninf\n", "1m", "'inf' is not a timestamp"),
    ("TIMESTAMP\n0\nnan\n", "1m", "'nan' is not a timestamp"),
    # once a MemoryError after 20 s: 1e18 s of one-minute windows
    ("TIMESTAMP\n0\n1e18\n", "1m", "windows of 60 s; at most 1,000,000"),
    ("TIMESTAMP\n0\n1\n", 1e-6, "windows of 1e-06 s; at most 1,000,000"),
    # a denormal window: the count overflows to inf (once an OverflowError in int())
    ("TIMESTAMP\n0\n70\n", 1e-320, "the arrivals span inf windows of "),
])
def test_an_arrivals_file_that_cannot_be_binned_is_refused(tmp_path, log, window, message):
    (tmp_path / "log.csv").write_text(log)
    config = config_dict(metrics={"source": "file", "path": "log.csv", "format": "arrivals",
                                  "window": window, "split": {E: {"munich": 1.0}}})
    scaler, _, _, clock = make(tmp_path, config=config)
    with pytest.raises(ScenarioError) as err:
        build_source("file", scaler.config.metrics.params, start=clock.now)
    assert message in str(err.value) and str(err.value).startswith(str(tmp_path / "log.csv"))
