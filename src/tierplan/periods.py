"""Periods of a horizon (SPEC 5.1/5.2): equal durations or calendar months, and labels.

Pure helpers of the model layer: hours from dates, periods from a ``periods:`` setting,
and the words reports and messages use for a period ("period 9 (2027-02-26..03-05)").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from .model import Period

__all__ = ["MAX_PERIODS", "as_utc", "hours_since", "label", "make_periods", "period_of",
           "span"]

# More periods than this would make models of millions of rows for no finer answer.
MAX_PERIODS = 1000


def as_utc(moment: datetime) -> datetime:
    """A naive date-time is UTC (SPEC 5.1); an aware one is converted to UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def hours_since(start: datetime, moment: datetime) -> float:
    return (as_utc(moment) - as_utc(start)).total_seconds() / 3600.0


def make_periods(horizon: float, every: float | str | None,
                 start: datetime | None) -> tuple[Period, ...]:
    """The periods: () for one period, equal ``every`` hours (the last may be shorter), or
    calendar months from ``start`` (the first runs from start to the next 1st), cut at
    the horizon. Raises ValueError with the user's words when there would be too many."""
    if every is None:
        return ()
    bounds: list[float] = [0.0]
    if every == "month":
        assert start is not None  # the builder checks it first
        t = as_utc(start)
        while bounds[-1] < horizon:
            t = datetime(t.year + t.month // 12, t.month % 12 + 1, 1, tzinfo=UTC)
            bounds.append(min(horizon, hours_since(start, t)))
            if len(bounds) > MAX_PERIODS + 1:
                break
    else:
        assert isinstance(every, float | int)
        count = horizon / every
        if count > MAX_PERIODS:
            raise ValueError(f"makes {count:,.0f} periods of {every:g} h over {horizon:g} h; "
                             f"at most {MAX_PERIODS} are allowed: give longer periods")
        k = 1
        while k * every < horizon - 1e-9:
            bounds.append(k * every)
            k += 1
        bounds.append(horizon)
    if len(bounds) > MAX_PERIODS + 1:
        raise ValueError(f"makes more than {MAX_PERIODS} periods; give longer periods")
    if len(bounds) == 2:
        return ()
    return tuple(Period(a, b - a) for a, b in pairwise(bounds))


def period_of(periods: Sequence[Period], hour: float) -> int:
    """Index of the period holding ``hour`` (the last one for the horizon's end)."""
    for i, p in enumerate(periods):
        if hour < p.end_hour - 1e-9:
            return i
    return len(periods) - 1


def span(start: datetime | None, period: Period) -> str:
    """The period's dates ``2027-02-26..03-05`` (end exclusive), or its hours ``336-504 h``."""
    if start is None:
        return f"{period.start_hour:g}-{period.end_hour:g} h"
    a = as_utc(start) + timedelta(hours=period.start_hour)
    b = as_utc(start) + timedelta(hours=period.end_hour)
    fmt = "%Y-%m-%d" if a.hour == a.minute == 0 else "%Y-%m-%d %H:%M"
    tail = b.strftime("%m-%d" if b.year == a.year else "%Y-%m-%d")
    if b.hour or b.minute:
        tail += b.strftime(" %H:%M")
    return f"{a.strftime(fmt)}..{tail}"


def label(start: datetime | None, periods: Sequence[Period], index: int) -> str:
    """How messages name a period: "period 9 (2027-02-26..03-05)", numbered from 1."""
    return f"period {index + 1} ({span(start, periods[index])})"
