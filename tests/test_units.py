import math

import pytest

from tierplan.units import great_circle_km, jurisdiction_matches, parse_duration_hours


@pytest.mark.parametrize(("value", "hours"), [
    (2, 2.0), (2.5, 2.5), ("90s", 0.025), ("15m", 0.25), ("2h", 2.0), ("7d", 168.0), ("1.5h", 1.5),
])
def test_durations(value, hours):
    assert parse_duration_hours(value) == pytest.approx(hours)


@pytest.mark.parametrize("bad", ["2 weeks", "h", "", True, None, [1]])
def test_bad_durations_name_the_accepted_forms(bad):
    with pytest.raises(ValueError, match="90s"):
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
