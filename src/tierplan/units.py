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
    "MONTH_HOURS",
    "count_text",
    "great_circle_km",
    "jurisdiction_matches",
    "parse_duration_hours",
]

EARTH_RADIUS_KM = 6371.0

MONTH_HOURS = 730.0
"""Hours in the month every report quotes and ``3mo`` means (8,760 h / 12, as cloud
price lists use)."""

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


# A duration is one or more "<number><unit>" parts, largest unit first ("3d6h", "1h30m").
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(mo|[smhdw])", re.IGNORECASE)
_PER_UNIT_HOURS = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0, "mo": MONTH_HOURS}
_FORMS = "hours (e.g. 2.5) or a string like '90s', '15m', '2h', '7d', '13w', '3mo', '3d6h'"


def parse_duration_hours(value: object) -> float:
    """Return hours from a number (already hours) or a duration string.

    A string is a plain number of hours (``"2.5"``) or one or more ``<number><unit>``
    parts, largest unit first, each unit once: ``90s``, ``15m``, ``2h``, ``7d``, ``13w``,
    ``3mo`` (a month is 730 h), ``3d6h``, ``1h30m``. Raises ``ValueError`` with a message
    fit for the user otherwise (negative, not finite, unknown unit, units out of order).
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {_FORMS}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number of hours")
        return float(value)
    if isinstance(value, str):
        return _parse_text(value)
    raise ValueError(f"{value!r} is not a duration: use {_FORMS}")


def _parse_text(value: str) -> float:
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"{value!r} is negative; a duration must be 0 or more")
    if re.fullmatch(r"\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        hours = float(text)
        if math.isfinite(hours):
            return hours
        raise ValueError(f"{value!r} is not a finite number of hours")
    hours, pos, last = 0.0, 0, math.inf
    compact = re.sub(r"\s+", "", text)
    for match in _PART.finditer(compact):
        if match.start() != pos:
            break
        unit = match.group(2).lower()
        size = _PER_UNIT_HOURS[unit]
        if size >= last:
            raise ValueError(f"{value!r}: give each unit once, largest first (e.g. '3d6h', '1h30m')")
        last = size
        hours += float(match.group(1)) * size
        pos = match.end()
    if compact and pos == len(compact):
        return hours
    raise ValueError(f"{value!r} is not a duration: use {_FORMS}")


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
