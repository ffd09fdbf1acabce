"""HPA arithmetic as Kubernetes computes it, worked by hand."""

from tierplan.policies.hpa import HpaSettings, Stabiliser, desired_replicas


def test_tolerance_keeps_the_count_within_ten_percent():
    # 4 replicas at 10 rps each = 40 rps target; 43 rps is ratio 1.075 -> no change
    assert desired_replicas(4, 43.0, 10.0) == 4
    # 45 rps: ratio 1.125 -> ceil(4 * 1.125) = 5
    assert desired_replicas(4, 45.0, 10.0) == 5
    # 35 rps: ratio 0.875 is outside the tolerance, ceil(4 * 0.875) = ceil(3.5) = 4
    assert desired_replicas(4, 35.0, 10.0) == 4
    assert desired_replicas(4, 25.0, 10.0) == 3  # ceil(2.5)


def test_from_zero_sizes_for_the_load():
    assert desired_replicas(0, 25.0, 10.0) == 3
    assert desired_replicas(0, 0.0, 10.0) == 0


def test_scale_down_waits_for_the_window_scale_up_does_not():
    stab = Stabiliser(HpaSettings(scale_down_window_s=300))
    assert stab.apply(0, 2, 6) == 6  # up at once
    assert stab.apply(60, 6, 2) == 6  # 6 was recommended 60 s ago
    assert stab.apply(299, 6, 3) == 6
    assert stab.apply(361, 6, 3) == 3  # the 6 at t=60 left the window at t=360


def test_step_limit_and_bounds():
    stab = Stabiliser(HpaSettings(max_step=2, min_replicas=1, max_replicas=5, scale_down_window_s=0))
    assert stab.apply(0, 1, 10) == 3
    assert stab.apply(1, 3, 10) == 5
    assert stab.apply(2, 5, 0) == 3
    assert stab.apply(3, 3, 0) == 1
