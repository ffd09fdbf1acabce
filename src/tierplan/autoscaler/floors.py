"""Scheduled floors: a minimum replica count inside cron windows.

A floor is active at time t when its crontab expression fired within (t - duration, t]
in its timezone; e.g. ``cron: "0 8 * * 1-5", duration: 10h`` keeps the floor on weekdays
08:00-18:00. The expression is parsed by APScheduler's ``CronTrigger``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import FloorSpec

__all__ = ["Floors"]


class Floors:
    def __init__(self, floors: Sequence[FloorSpec]) -> None:
        from apscheduler.triggers.cron import CronTrigger

        self.floors = tuple(floors)
        self._triggers: list[Any] = [CronTrigger.from_crontab(f.cron, timezone=f.timezone)
                                     for f in self.floors]

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
