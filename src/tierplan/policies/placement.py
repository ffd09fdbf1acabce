"""Where the fast loop of ``optimal`` runs what its deployments hold.

The deployments (:mod:`tierplan.policies.deployments`) say how many replicas each key of
the plan's mix should have. This module keeps that capacity and only changes where it
runs: replicas a key has no room for (a limited offering another workload took, a site
that is down) go to the cheapest keys with room that reach their clients; then, dearest
key first, an instance is replaced by whole instances of cheaper keys (cheapest first)
that carry at least as much and cost less, as long as those keys reach every client the
dear key serves and ``min_sites`` sites keep an instance. No client ever has less
capacity than its deployments hold, but for one kind of move: cheaper units that boot
faster and carry less than the instance they replace (two 0.6 rps edge boxes for a
1.5 rps cloud instance), made while the workload scales up (the caller decides), serving
what the instance was sized to carry but not its headroom; or even less than that (one
0.6 rps box for a 1.2 rps L4) where the capacity left covers the load plus the largest
rise it has been seen to make within those units' boot.

Two limits keep a move from costing attainment later: it leaves ``keep`` units of each
offer free (for the offer's own deployments: :mod:`tierplan.policies.reserve`), and what
moves onto a *volatile* offer (its availability has changed during the run) stops where
losing all of it at once would leave less capacity than the load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .deployments import Deployments, ceil_replicas

__all__ = ["Limits", "Option", "place"]


@dataclass(frozen=True, slots=True)
class Option:
    """One key of a workload's mix as the loop sees it this step."""

    index: int  # slot index
    offer: int
    site: str
    per_replica: float  # rps one instance carries at the target utilisation
    reach: frozenset[str]  # clients within the SLO
    rate: float  # USD per rps-hour (merit order)
    hourly: float  # USD per instance-hour
    capacity: float = 0.0  # rps one instance serves at all (0: ``per_replica``)
    volatile: bool = False  # its availability has changed during the run
    boot: int = 0  # steps an instance takes to start

    @property
    def serves(self) -> float:
        return self.capacity or self.per_replica


@dataclass(frozen=True, slots=True)
class Limits:
    """What bounds this step's moves to cheaper keys.

    ``hold`` (instances per slot running now): moves start nothing, a cheaper key takes at
    most what it runs now. ``keep[offer]``: units a move leaves free. ``partial``: a move
    may use cheaper units that carry less than the instance they replace (see
    :func:`place`); the caller allows it while the workload scales up. ``rise[boot]``:
    the most the load has risen within ``boot`` steps plus one, as far as the run has
    seen; with ``partial``, units that serve less than the instance's planning capacity
    may replace it where the real capacity left beyond the load covers ``rise`` at their
    boot (none: they may not)."""

    hold: Mapping[int, int] | None = None
    keep: Mapping[int, float] | None = None
    partial: bool = False
    rise: Mapping[int, float] | None = None  # boot steps -> largest rise seen (see above)


def place(options: Sequence[Option], replicas: Mapping[int, int], deployments: Deployments,
          free: dict[int, float], min_sites: int, limits: Limits = Limits()) -> dict[int, int]:
    """Instances per slot for ``replicas`` (per slot) over ``options`` (the mix's keys that
    are up, in merit order); ``free`` (instances left per offer) is updated.

    A move replaces one instance of a dear key by whole instances of cheaper keys that
    carry at least its planning capacity, or, with ``limits.partial``, by cheaper units
    that carry less (they have no room for more), provided that they boot in fewer steps
    and serve at all at least its planning capacity: what it was sized to carry is still
    served, only its headroom is not. Units that serve less than that replace it only
    where the capacity left beyond the load covers ``limits.rise``: a rise as large as any
    seen is carried until they serve."""
    hold, keep = limits.hold, limits.keep
    by_index = {o.index: o for o in options}
    served = {o.index: deployments.clients(o.index) for o in options}
    counts: dict[int, int] = {}
    owed: list[tuple[float, frozenset[str]]] = []
    for i, n in replicas.items():
        option = by_index.get(i)
        take = 0 if option is None else int(min(n, free[option.offer]))
        if option is not None and take:
            counts[i] = take
            free[option.offer] -= take
        if n > take:
            # each client's part of what found no room, to be placed where it reaches
            rps = (n - take) * deployments.per_replica(i)
            owed += [(rps * part, frozenset((c,))) for c, part in deployments.split(i).items() if part > 0]
    lent = 0.0  # spare capacity already counted against what is owed
    for rps, who in _merged(owed):
        # Only what the instances placed so far cannot carry: ``hpa`` keeps none of what
        # found no room, so any part of it keeps at least its capacity.
        spare = min(rps, max(0.0, _spare(options, counts, served, who, deployments) - lent))
        lent += spare
        rps -= spare
        for o in options:
            if rps <= 1e-12:
                break
            if who <= o.reach and free[o.offer] >= 1:
                k = int(min(free[o.offer], ceil_replicas(rps, o.per_replica)))
                counts[o.index] = counts.get(o.index, 0) + k
                free[o.offer] -= k
                served[o.index] = served[o.index] | who
                rps -= k * o.per_replica
    # Real capacity that stays if every moved instance on a volatile offer were lost.
    at_risk = 0.0
    steady = sum(counts.get(o.index, 0) * o.serves for o in options)
    load = sum(deployments.load(c) for c in set().union(*served.values())) if served else 0.0
    for dear in reversed(options):
        if counts.get(dear.index, 0) <= 0:
            continue  # nothing to replace
        cheaper = [o for o in options if o.rate < dear.rate and served[dear.index] <= o.reach]
        while cheaper and counts.get(dear.index, 0) > 0:
            room = free if hold is None else _held(cheaper, counts, hold, free)
            if keep:
                room = {o: max(0.0, left - keep.get(o, 0.0)) for o, left in room.items()}
            added = _replacement(dear, cheaper, room)
            if added is None:
                break
            serves = sum(k * by_index[i].serves for i, k in added.items())
            if sum(k * by_index[i].per_replica for i, k in added.items()) < dear.per_replica - 1e-9 and not (
                    limits.partial and all(by_index[i].boot < dear.boot for i in added)
                    and (serves >= dear.per_replica - 1e-9
                         or _covered(limits.rise, max(by_index[i].boot for i in added),
                                     steady - dear.serves + serves - load))):
                break  # they carry less than it, and may not (see ``Limits.partial``)
            if counts[dear.index] == 1 and _sites(options, counts, without=dear, added=added) < min_sites:
                break
            risky = sum(k * by_index[i].serves for i, k in added.items() if by_index[i].volatile)
            if risky and steady - dear.serves + sum(
                    k * by_index[i].serves for i, k in added.items()) - at_risk - risky < load - 1e-9:
                break
            at_risk += risky
            steady += sum(k * by_index[i].serves for i, k in added.items()) - dear.serves
            for i, k in added.items():
                counts[i] = counts.get(i, 0) + k
                free[by_index[i].offer] -= k
                served[i] = served[i] | served[dear.index]
            counts[dear.index] -= 1
            free[dear.offer] += 1
    return {i: n for i, n in counts.items() if n > 0}


def _covered(rise: Mapping[int, float] | None, boot: int, spare: float) -> bool:
    """Whether ``spare`` rps beyond the load carry the largest rise seen within ``boot``."""
    return rise is not None and boot in rise and spare >= rise[boot] - 1e-9


def _spare(options: Sequence[Option], counts: Mapping[int, int], served: Mapping[int, frozenset[str]],
           who: frozenset[str], deployments: Deployments) -> float:
    """rps the instances placed on keys that reach all of ``who`` have beyond the load of
    every client those keys serve (an upper bound on the load they must carry)."""
    reaching = [o for o in options if who <= o.reach and counts.get(o.index)]
    clients = set(who).union(*(served[o.index] for o in reaching))
    return sum(counts[o.index] * o.serves for o in reaching) - sum(deployments.load(c) for c in clients)


def _merged(owed: Sequence[tuple[float, frozenset[str]]]) -> list[tuple[float, frozenset[str]]]:
    """rps owed per client set, summed (so that parts of one client round up once)."""
    out: dict[frozenset[str], float] = {}
    for rps, who in owed:
        out[who] = out.get(who, 0.0) + rps
    return sorted(((rps, who) for who, rps in out.items()), key=lambda x: sorted(x[1]))


def _replacement(dear: Option, cheaper: Sequence[Option], free: Mapping[int, float]) -> dict[int, int] | None:
    """Whole instances of the ``cheaper`` keys, cheapest first, that carry what one
    instance of ``dear`` does (or, when they have not the room, all they have room for),
    if they cost less; else None."""
    added: dict[int, int] = {}
    rps = usd = 0.0
    for o in cheaper:
        while rps < dear.per_replica - 1e-9 and free[o.offer] - added.get(o.index, 0) >= 1:
            added[o.index] = added.get(o.index, 0) + 1
            rps += o.per_replica
            usd += o.hourly
    if not added or usd >= dear.hourly:
        return None
    return added


def _held(cheaper: Sequence[Option], counts: Mapping[int, int], hold: Mapping[int, int],
          free: Mapping[int, float]) -> dict[int, float]:
    """``free`` as a move may use it when it starts nothing: per offer, the instances its
    keys run now beyond what they are placed (one key per offer in a mix)."""
    room = dict(free)
    for o in cheaper:
        room[o.offer] = max(0.0, min(free[o.offer], hold.get(o.index, 0) - counts.get(o.index, 0)))
    return room


def _sites(options: Sequence[Option], counts: Mapping[int, int], without: Option,
           added: Mapping[int, int]) -> int:
    """Sites that keep an instance if ``without`` gives up its last one for ``added``."""
    return len({o.site for o in options if (counts.get(o.index) or added.get(o.index)) and o is not without})
