"""Units, durations, distances and jurisdictions: small pure helpers."""

from __future__ import annotations

import math
import re

__all__ = [
    "EARTH_RADIUS_KM",
    "EU_MEMBERS",
    "LARGEST",
    "MAX_HORIZON_HOURS",
    "MIN_HORIZON_HOURS",
    "count_text",
    "great_circle_km",
    "jurisdiction_matches",
    "parse_duration_hours",
]

EARTH_RADIUS_KM = 6371.0

# The largest figure tierplan plans with: costs stay exact to the cent in double
# precision up to 2**53 cents (~9e13 USD), and HiGHS reads 1e20 as infinite.
LARGEST = 1e13
# A planning horizon from a minute to a century: beyond these, monthly figures lose
# their meaning.
MIN_HORIZON_HOURS, MAX_HORIZON_HOURS = 1 / 60, 876_000.0

# EU member states (ISO 3166-1 alpha-2) as of 2026.
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})


def count_text(n: float) -> str:
    """A count for a message: with thousands separators, or short when astronomical
    (an absurd input can make it hundreds of digits long, or infinite)."""
    return f"{n:,.0f}" if n < 1e12 else f"{n:.3g}"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_PER_UNIT_HOURS = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0}


def parse_duration_hours(value: object) -> float:
    """Return hours from a number (already hours) or a string like ``90s``, ``15m``, ``2h``, ``7d``.

    Raises ``ValueError`` with a message fit for the user otherwise.
    """
    if isinstance(value, bool):
        raise ValueError("expected a number of hours or a duration like '90s', '15m', '2h', '7d'")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _PER_UNIT_HOURS[match.group(2)]
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(
        f"{value!r} is not a duration: use hours (e.g. 2.5) or a string like '90s', '15m', '2h', '7d'"
    )


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km on a sphere of radius 6371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def jurisdiction_matches(code: str | None, allowed: tuple[str, ...] | None) -> bool:
    """True if a site's jurisdiction ``code`` is admitted by ``allowed`` (None = anywhere).

    ``EU`` in the list admits every EU member state. A site without a jurisdiction is
    admitted only by an unrestricted list.
    """
    if allowed is None:
        return True
    if code is None:
        return False
    code = code.upper()
    return code in allowed or ("EU" in allowed and code in EU_MEMBERS)
