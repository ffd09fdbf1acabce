"""Decision logic on a fake clock: tolerance, windows, steps, bounds, floors, budgets."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes_autoscale import CLOUD, EDGE, config_dict, write_setup
from tierplan.autoscaler.clock import FakeClock
from tierplan.autoscaler.config import RetrySpec, load_config
from tierplan.autoscaler.controllers import DryRunController, Retrier, apply
from tierplan.autoscaler.decide import Guards
from tierplan.autoscaler.forecast import Holt
from tierplan.autoscaler.sizing import size

E = "detector"


def guards(tmp_path, **overrides):
    config = load_config(write_setup(tmp_path, config_dict(**overrides)))
    return Guards(config), config


def decide(g, now, current, planned, held=None):
    out = g.decide(now, {(E, s): n for s, n in current.items()}, {(E, s): n for s, n in planned.items()},
                   held or {})
    return {d.site: d for d in out}


def test_tolerance_keeps_counts_within_ten_percent_of_the_plan(tmp_path):
    g, _ = guards(tmp_path)
    d = decide(g, 0, {EDGE: 0, CLOUD: 20}, {EDGE: 0, CLOUD: 21})
    assert d[CLOUD].target == 20 and "tolerance" in d[CLOUD].reason  # 21/20 = 1.05: within 0.1
    d = decide(g, 1, {EDGE: 0, CLOUD: 20}, {EDGE: 0, CLOUD: 23})
    assert d[CLOUD].target == 23 and d[CLOUD].reason == "scale up"
    d = decide(g, 1, {EDGE: 0, CLOUD: 10}, {EDGE: 0, CLOUD: 12})
    assert d[CLOUD].target == 12 and d[CLOUD].reason == "scale up"


def test_scale_up_at_once_scale_down_after_the_window(tmp_path):
    g, _ = guards(tmp_path)
    clock = FakeClock()
    t0 = clock.now()
    assert decide(g, t0, {EDGE: 0, CLOUD: 1}, {EDGE: 0, CLOUD: 4})[CLOUD].target == 4
    for dt in (30, 120, 299):
        d = decide(g, t0 + dt, {EDGE: 0, CLOUD: 4}, {EDGE: 0, CLOUD: 1})[CLOUD]
        assert d.target == 4 and d.reason == "held by the scale-down window"
    # the 4 recommended at t0 leaves the 300 s window after t0 + 300
    assert decide(g, t0 + 301, {EDGE: 0, CLOUD: 4}, {EDGE: 0, CLOUD: 1})[CLOUD].target == 1


def test_max_step_and_bounds(tmp_path):
    config = config_dict(hpa={"max_step": 2, "scale_down_window": 0})
    config["endpoints"][0]["sites"][1].update(min_replicas=1, max_replicas=5)
    g, _ = guards(tmp_path, **config)
    assert decide(g, 0, {EDGE: 0, CLOUD: 1}, {EDGE: 0, CLOUD: 9})[CLOUD].target == 3
    d = decide(g, 1, {EDGE: 0, CLOUD: 3}, {EDGE: 0, CLOUD: 9})[CLOUD]
    assert d.target == 5 and d.reason == "max_replicas 5"
    d = decide(g, 2, {EDGE: 0, CLOUD: 5}, {EDGE: 0, CLOUD: 0})[CLOUD]
    assert d.target == 3 and d.reason == "max step 2"
    d = decide(g, 3, {EDGE: 0, CLOUD: 2}, {EDGE: 0, CLOUD: 0})[CLOUD]
    assert d.target == 1 and d.reason == "min_replicas 1"


def test_held_and_unknown_sites_are_not_acted_on(tmp_path):
    g, _ = guards(tmp_path)
    d = decide(g, 0, {EDGE: 2, CLOUD: 1}, {EDGE: 0, CLOUD: 5}, held={E: "metrics down: timeout"})
    assert d[EDGE].target == 2 and d[CLOUD].target == 1 and not d[CLOUD].changes
    assert d[CLOUD].reason == "hold: metrics down: timeout"
    out = g.decide(0, {(E, EDGE): None, (E, CLOUD): 1}, {(E, EDGE): 3, (E, CLOUD): 2}, {})
    unknown = next(x for x in out if x.site == EDGE)
    assert unknown.target is None and not unknown.changes and "unknown" in unknown.reason


def test_hourly_budget_removes_the_least_cost_effective_replicas(tmp_path):
    # edge: $0.05 per 4.8 rps; cloud: $1.00 per 32 rps -> cloud is dearer per rps
    g, _ = guards(tmp_path, budget_usd_per_hour=2.2, hpa={"scale_down_window": 0})
    d = decide(g, 0, {EDGE: 0, CLOUD: 0}, {EDGE: 3, CLOUD: 3})
    assert d[EDGE].target == 3 and d[CLOUD].target == 2
    assert d[CLOUD].reason == "budget $2.2/h"
    assert 3 * 0.05 + 2 * 1.0 <= 2.2


def test_endpoint_budget_respects_min_replicas(tmp_path):
    config = config_dict()
    config["endpoints"][0]["budget_usd_per_hour"] = 0.5
    config["endpoints"][0]["sites"][1]["min_replicas"] = 1
    g, _ = guards(tmp_path, **config)
    d = decide(g, 0, {EDGE: 0, CLOUD: 0}, {EDGE: 0, CLOUD: 4})
    assert d[CLOUD].target == 1  # the platform minimum wins over the budget; it is reported


def test_scheduled_floor_is_active_inside_its_cron_window(tmp_path):
    config = config_dict()
    config["endpoints"][0]["floors"] = [{"cron": "0 8 * * 1-5", "duration": "10h", "site": CLOUD,
                                         "min_replicas": 2}]
    g, _ = guards(tmp_path, **config)
    monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()
    monday_19 = datetime(2026, 11, 23, 19, 0, tzinfo=UTC).timestamp()
    sunday_9 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC).timestamp()
    d = decide(g, monday_9, {EDGE: 0, CLOUD: 0}, {EDGE: 1, CLOUD: 0})
    assert d[CLOUD].target == 2 and d[CLOUD].floor == 2 and d[CLOUD].reason == "scheduled floor 2"
    saturday_9 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC).timestamp()
    assert decide(g, saturday_9, {EDGE: 0, CLOUD: 0}, {EDGE: 1, CLOUD: 0})[CLOUD].target == 0
    assert decide(g, sunday_9, {EDGE: 0, CLOUD: 0}, {EDGE: 1, CLOUD: 0})[CLOUD].target == 0
    g2, _ = guards(tmp_path, **config)
    assert decide(g2, monday_19, {EDGE: 0, CLOUD: 0}, {EDGE: 1, CLOUD: 0})[CLOUD].target == 0


def test_restored_history_keeps_the_scale_down_window_across_a_restart(tmp_path):
    g, _ = guards(tmp_path)
    g.restore({(E, CLOUD): [(100.0, 6)]})
    assert decide(g, 200, {EDGE: 0, CLOUD: 6}, {EDGE: 0, CLOUD: 2})[CLOUD].target == 6
    assert decide(g, 401, {EDGE: 0, CLOUD: 6}, {EDGE: 0, CLOUD: 2})[CLOUD].target == 2


def test_holt_forecast_scales_ahead_of_a_linear_rise():
    holt = Holt(alpha=1.0, beta=1.0)  # level = last value, trend = last slope: exact on a line
    for t, rps in [(0, 10.0), (60, 16.0), (120, 22.0)]:
        ahead = holt.ahead("e", t, {"c": rps}, lead_s=300)
    assert ahead["c"] == pytest.approx(22.0 + 0.1 * 300)
    # falling demand: plan for what is observed, never below it
    assert holt.ahead("e", 180, {"c": 2.0}, 300)["c"] == 2.0


def test_backoff_is_seeded_jittered_and_capped():
    clock = FakeClock()
    spec = RetrySpec(attempts=5, base_s=1.0, cap_s=3.0)
    a = Retrier(spec, clock, random.Random(7))
    b = Retrier(spec, FakeClock(), random.Random(7))
    delays = [a.delay(k) for k in range(5)]
    assert delays == [b.delay(k) for k in range(5)]
    assert all(0 <= d <= min(3.0, 2 ** k) for k, d in enumerate(delays))


class FlakyController(DryRunController):
    """Applies the change, then reports a timeout for the first ``failures`` calls."""

    def __init__(self, failures: int) -> None:
        super().__init__(replicas=1)
        self.failures = failures
        self.sets = 0

    def set_replicas(self, replicas: int, request_id: str) -> None:
        self.sets += 1
        super().set_replicas(replicas, request_id)
        if self.failures:
            self.failures -= 1
            raise TimeoutError("read timed out")


def test_a_timed_out_but_applied_change_is_not_sent_again():
    clock = FakeClock()
    controller = FlakyController(failures=1)
    result = apply(controller, 4, "1/e/s", Retrier(RetrySpec(attempts=3), clock, random.Random(0)))
    assert result.status == "already" and result.attempts == 2
    assert controller.sets == 1 and controller.replicas == 4
    assert len(clock.slept) == 1


def test_persistent_errors_fail_after_the_attempts():
    class Broken(DryRunController):
        def set_replicas(self, replicas, request_id):
            raise ConnectionError("refused")

    clock = FakeClock()
    result = apply(Broken(), 3, "r", Retrier(RetrySpec(attempts=3, base_s=2), clock, random.Random(1)))
    assert result.status == "failed" and result.attempts == 3 and "ConnectionError" in result.error
    assert len(clock.slept) == 2 and clock.slept[1] <= 4.0


def test_sizing_uses_the_planner_and_reports_cost_per_hour(tmp_path):
    config = load_config(write_setup(tmp_path))
    # 10 rps: three Jetsons (14.4 rps, $0.15/h) beat one L4 ($1/h)
    s = size(config, {E: {"munich": 6, "berlin": 4}}, {})
    assert s.replicas == {(E, EDGE): 3, (E, CLOUD): 0}
    assert s.cost_usd_per_hour == pytest.approx(0.15)
    # 15 rps: more than the 3 Jetsons carry; one L4 alone ($1.00) beats 3 Jetsons + 1 L4
    s = size(config, {E: {"munich": 10, "berlin": 5}}, {})
    assert s.replicas == {(E, EDGE): 0, (E, CLOUD): 1}
    assert s.cost_usd_per_hour == pytest.approx(1.0)


def test_sizing_relaxes_budgets_that_make_the_plan_infeasible(tmp_path):
    config = load_config(write_setup(tmp_path, config_dict(budget_usd_per_hour=0.5)))
    s = size(config, {E: {"munich": 40, "berlin": 0}}, {})
    # 40 rps: one L4 (32 rps) and two Jetsons (9.6 rps) for $1.10/h, above the $0.50 budget
    assert s.budgets_relaxed and not s.infeasible
    assert s.replicas == {(E, EDGE): 2, (E, CLOUD): 1} and s.cost_usd_per_hour == pytest.approx(1.1)


def test_a_fresh_start_never_scales_down_at_once_but_scales_up(tmp_path):
    g, _ = guards(tmp_path)
    d = decide(g, 1000, {EDGE: 1, CLOUD: 4}, {EDGE: 3, CLOUD: 1})
    assert d[EDGE].target == 3 and d[EDGE].reason == "scale up"
    assert d[CLOUD].target == 4 and d[CLOUD].reason == "held by the scale-down window"
    assert decide(g, 1301, {EDGE: 3, CLOUD: 4}, {EDGE: 3, CLOUD: 1})[CLOUD].target == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 120)),
                      min_size=1, max_size=25),
       budget=st.one_of(st.none(), st.floats(0.2, 8.0)),
       max_step=st.one_of(st.none(), st.integers(1, 3)))
def test_guards_always_hold_bounds_steps_and_budget(tmp_path, steps, budget, max_step):
    """Any plans, any timing: counts stay within min/max and the step limit, and compute
    stays within the budget unless the sites' min_replicas alone cost more. (The budget is
    fixed for the run, so the counts start and stay within it and its cut never has to
    undo more than one step.)"""
    config = config_dict(budget_usd_per_hour=budget, hpa={"max_step": max_step})
    config["endpoints"][0]["sites"][1].update(min_replicas=1, max_replicas=8)
    g, loaded = guards(tmp_path, **config)
    specs = {s.site: s for s in loaded.endpoints[0].sites}
    now, current = 0.0, {EDGE: 0, CLOUD: 1}
    for edge_plan, cloud_plan, dt in steps:
        now += dt
        out = decide(g, now, current, {EDGE: edge_plan, CLOUD: cloud_plan})
        for site, d in out.items():
            s = specs[site].settings
            assert s.min_replicas <= d.target
            assert s.max_replicas is None or d.target <= s.max_replicas
            if max_step is not None and d.target > s.min_replicas:
                assert abs(d.target - current[site]) <= max_step
        spend = sum(out[s].target * specs[s].usd_per_hour for s in out)
        floor_spend = sum(specs[s].settings.min_replicas * specs[s].usd_per_hour for s in out)
        if budget is not None:
            assert spend <= max(budget, floor_spend) + 1e-9
        current = {s: d.target for s, d in out.items()}
