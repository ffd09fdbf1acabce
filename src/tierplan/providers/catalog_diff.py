"""What changed between two catalogs: prices moved, offerings added or gone.

Offerings are matched on (provider, region, instance type). A price "moved" when the
on-demand or the spot price differs by more than half a tenth of a cent (catalog prices
carry float noise at 1e-6); a spot price that appears or disappears is a move too. Moves
are sorted by the size of the on-demand change in percent, largest first, so a refresh
that halves a price (a DWS rate taken for on-demand) is the first line a reviewer reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .base import CatalogRow

__all__ = ["CatalogChange", "CatalogDiff", "diff_catalogs"]

Key = tuple[str, str, str]
EPSILON = 0.0005  # USD per hour

Kind = Literal["price", "added", "removed"]


@dataclass(frozen=True)
class CatalogChange:
    change: Kind
    provider: str
    region: str
    instance_type: str
    accelerator: str | None
    old_usd_per_hour: float | None
    new_usd_per_hour: float | None
    old_spot_usd_per_hour: float | None
    new_spot_usd_per_hour: float | None
    old_as_of: str | None
    new_as_of: str | None

    @property
    def usd_change(self) -> float | None:
        if self.old_usd_per_hour is None or self.new_usd_per_hour is None:
            return None
        return round(self.new_usd_per_hour - self.old_usd_per_hour, 6)

    @property
    def percent_change(self) -> float | None:
        return _percent(self.old_usd_per_hour, self.new_usd_per_hour)

    @property
    def spot_percent_change(self) -> float | None:
        return _percent(self.old_spot_usd_per_hour, self.new_spot_usd_per_hour)


@dataclass(frozen=True)
class CatalogDiff:
    changes: tuple[CatalogChange, ...]
    unchanged: int

    def count(self, kind: Kind) -> int:
        return sum(1 for c in self.changes if c.change == kind)


def _percent(old: float | None, new: float | None) -> float | None:
    if old is None or new is None or old == 0:
        return None
    return round((new - old) / old * 100, 2)


def _moved(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    return abs(new - old) > EPSILON


def _change(kind: Kind, old: CatalogRow | None, new: CatalogRow | None) -> CatalogChange:
    ref = new or old
    assert ref is not None
    return CatalogChange(
        kind, ref.provider, ref.region, ref.instance_type, ref.accelerator,
        old.usd_per_hour if old else None, new.usd_per_hour if new else None,
        old.spot_usd_per_hour if old else None, new.spot_usd_per_hour if new else None,
        old.as_of if old else None, new.as_of if new else None,
    )


def diff_catalogs(old: Iterable[CatalogRow], new: Iterable[CatalogRow]) -> CatalogDiff:
    """Changes from ``old`` to ``new``: moved prices (largest % first), then added, then gone."""
    before: dict[Key, CatalogRow] = {(r.provider, r.region, r.instance_type): r for r in old}
    after: dict[Key, CatalogRow] = {(r.provider, r.region, r.instance_type): r for r in new}
    moved, unchanged = [], 0
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if _moved(a.usd_per_hour, b.usd_per_hour) or _moved(a.spot_usd_per_hour, b.spot_usd_per_hour):
            moved.append(_change("price", a, b))
        else:
            unchanged += 1
    moved.sort(key=lambda c: -abs(c.percent_change or 0.0))
    added = [_change("added", None, after[k]) for k in sorted(after.keys() - before.keys())]
    removed = [_change("removed", before[k], None) for k in sorted(before.keys() - after.keys())]
    return CatalogDiff(tuple(moved + added + removed), unchanged)
