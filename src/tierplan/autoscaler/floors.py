"""Scheduled floors: a minimum replica count inside cron windows.

A floor is active at time t when its crontab expression fired within (t - duration, t]
in its timezone; e.g. ``cron: "0 8 * * 1-5", duration: 10h`` keeps the floor on weekdays
08:00-18:00. The expression is parsed by APScheduler's ``CronTrigger`` after turning the
day-of-week numbers from crontab's convention (0 or 7 = Sunday) into names: APScheduler
3 counts 0 as Monday, so ``1-5`` would otherwise mean Tuesday to Saturday.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import FloorSpec

__all__ = ["Floors", "cron_trigger"]

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str, tz: str) -> Any:
    """APScheduler ``CronTrigger`` for a five-field crontab expression, crontab's weekdays."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month day-of-week), got {len(fields)}")
    minute, hour, day, month, dow = fields

    def name(match: re.Match[str]) -> str:
        n = int(match.group())
        if n > 7:
            raise ValueError(f"day of week {n} is out of range 0-7")
        return _DAYS[n]

    dow = re.sub(r"(?<![/\d])\d+", name, dow)
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=tz)


class Floors:
    def __init__(self, floors: Sequence[FloorSpec]) -> None:
        self.floors = tuple(floors)
        self._triggers: list[Any] = [cron_trigger(f.cron, f.timezone) for f in self.floors]

    def minimum(self, site: str, now: float) -> int:
        """The highest active floor for ``site`` at ``now`` (0 when none is active)."""
        at = datetime.fromtimestamp(now, tz=UTC)
        best = 0
        for floor, trigger in zip(self.floors, self._triggers, strict=True):
            if floor.site is not None and floor.site != site:
                continue
            # Next fire time at or after the window's start: inside the window -> active.
            start = at - timedelta(seconds=floor.duration_s) + timedelta(microseconds=1)
            fire = trigger.get_next_fire_time(None, start)
            if fire is not None and fire <= at:
                best = max(best, floor.min_replicas)
        return best
