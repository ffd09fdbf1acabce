import math

import pytest

from tierplan.units import great_circle_km, jurisdiction_matches, parse_duration_hours


@pytest.mark.parametrize(("value", "hours"), [
    (2, 2.0), (2.5, 2.5), ("90s", 0.025), ("15m", 0.25), ("2h", 2.0), ("7d", 168.0), ("1.5h", 1.5),
    ("3mo", 2190.0), ("13w", 2184.0), ("3d6h", 78.0), ("1h30m", 1.5), ("1w2d", 216.0), ("2.5", 2.5),
    (" 3d 6h ", 78.0), ("1mo2w", 1066.0),
])
def test_durations(value, hours):
    assert parse_duration_hours(value) == pytest.approx(hours)


@pytest.mark.parametrize("bad", ["2 weeks", "h", "", "3x", "nan h", "nan", "inf", "2h-1m", "3mo!",
                                 True, None, [1]])
def test_bad_durations_name_the_accepted_forms(bad):
    with pytest.raises(ValueError, match=r"90s.*3mo.*3d6h"):
        parse_duration_hours(bad)


@pytest.mark.parametrize(("bad", "says"), [
    ("-2h", "negative"), ("-1", "negative"), ("6h3d", "largest first"), ("1h1h", "each unit once"),
    (float("nan"), "finite"), (float("inf"), "finite"), ("1e400", "finite"),
])
def test_nonsense_durations_say_what_is_wrong(bad, says):
    with pytest.raises(ValueError, match=says):
        parse_duration_hours(bad)


def test_great_circle_quarter_meridian():
    # Equator to pole is a quarter of the circumference of a 6371 km sphere.
    assert great_circle_km(0, 0, 90, 0) == pytest.approx(math.pi * 6371 / 2)
    assert great_circle_km(48.14, 11.58, 48.14, 11.58) == 0


def test_eu_matches_member_states_only():
    assert jurisdiction_matches("DE", ("EU",))
    assert not jurisdiction_matches("GB", ("EU",))
    assert jurisdiction_matches("GB", ("EU", "GB"))
    assert jurisdiction_matches(None, None)
    assert not jurisdiction_matches(None, ("US",))
