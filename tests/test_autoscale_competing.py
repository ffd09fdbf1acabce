"""Shared offerings, competing HPA/KEDA autoscalers, dry runs, the state directory and the
planner's deterministic mode.

Offline: fake Kubernetes and Prometheus APIs on 127.0.0.1, injected clocks, dry-run
controllers; the real planner."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from fakes_autoscale import CLOUD, EDGE, SCENARIO, config_dict, write_setup
from fakes_autoscale.apis import KubeApi, PrometheusApi
from fakes_autoscale.http import FakeServer
from fakes_autoscale.scripted import QUERY, E, Scripted, json_lines, make, ok, replicas, run_cli
from tierplan.autoscaler import Autoscaler, FakeClock, load_config, open_store
from tierplan.autoscaler.controllers import DryRunController, ReadOnly, Retrier
from tierplan.autoscaler.sizing import Sizer
from tierplan.cli.autoscale import build_autoscaler, check_competing_autoscalers
from tierplan.errors import InputError, ScenarioError

ROOT = Path(__file__).resolve().parent.parent


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
