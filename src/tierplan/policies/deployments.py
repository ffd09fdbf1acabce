"""How much capacity the fast loop of ``optimal`` holds: target tracking per planned key.

Each (site, offering) key the last plan uses is treated as a Kubernetes deployment that
receives the plan's share of every client's traffic, scaled by HPA arithmetic
(:mod:`tierplan.policies.hpa`: tolerance, scale-down stabilisation, at least one
replica, as ``minReplicas`` defaults to). Their replicas are *how much* capacity the loop
holds; the loop then only moves capacity to cheaper keys (whole replicas, never less
capacity for any client): *where* it runs is the cost-aware part.

Why: rounding each deployment up and stabilising each one on its own leaves more spare
capacity than rounding the pooled load once, and that spare capacity is what carries a
rise until new instances have booted. Sizing this way keeps the safety target tracking
gives, while the planner's mix and the merit order decide what it costs.
A key the plan stops using is dropped at once: the engine keeps its ready instances
until the new keys' instances have booted (make before break).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .hpa import HpaSettings, Stabiliser, desired_replicas

__all__ = ["Deployments"]


@dataclass
class _Deployment:
    per_replica: float  # rps one replica carries at the target utilisation
    capacity: float  # rps one replica can serve at all
    shares: dict[str, float]  # client -> share of its traffic
    stabiliser: Stabiliser
    replicas: int = 0
    clients: frozenset[str] = frozenset()  # those of ``shares``
    load: float = 0.0  # rps at the last recommendation


class Deployments:
    """The deployments of one workload, keyed by slot index."""

    def __init__(self, settings: HpaSettings) -> None:
        self.settings = settings
        self._keys: dict[int, _Deployment] = {}
        self._loads: dict[str, float] = {}

    def retarget(self, now: float, shares: Mapping[int, Mapping[str, float]],
                 sizes: Mapping[int, tuple[float, float]], planned: Mapping[int, int]) -> None:
        """A new plan: ``shares[slot][client]`` of each client's traffic goes to ``slot``.
        A deployment the plan keeps keeps its history; a new one starts at the plan's
        count (``planned``), as ``hpa`` starts at its plan's; one the plan no longer uses
        is gone (the engine stops its instances only once the new ones are ready).
        ``sizes[slot]``: rps per replica at the target utilisation, and at most."""
        self._keys = {k: dep for k, dep in self._keys.items() if k in shares}
        for key, mine in shares.items():
            if key not in self._keys:
                n = planned.get(key, 0)
                dep = self._keys[key] = _Deployment(*sizes[key], {}, Stabiliser(self.settings), n)
                dep.stabiliser.apply(now, 0, n)
            self._keys[key].shares = dict(mine)
            self._keys[key].clients = frozenset(mine)

    def replicas(self, now: float, loads: Mapping[str, float]) -> dict[int, int]:
        """Replicas per slot after this step's recommendation on the clients' ``loads``."""
        self._loads = dict(loads)
        out: dict[int, int] = {}
        tolerance = self.settings.tolerance
        for key, dep in self._keys.items():
            load = dep.load = sum([s * loads.get(c, 0.0) for c, s in dep.shares.items()])
            wanted = max(1, desired_replicas(dep.replicas, load, dep.per_replica, tolerance))
            if load > wanted * dep.capacity:
                # The tolerance band defers a scale-up, but never while the replicas cannot
                # serve the load at all (with a target of 100 % of capacity it would).
                wanted = ceil_replicas(load, dep.per_replica)
            dep.replicas = out[key] = dep.stabiliser.apply(now, dep.replicas, wanted)
        return out

    def load(self, client: str) -> float:
        """``client``'s load at the last :meth:`replicas`."""
        return self._loads.get(client, 0.0)

    def key_load(self, key: int) -> float:
        """The load ``key``'s deployment received at the last :meth:`replicas`."""
        dep = self._keys.get(key)
        return 0.0 if dep is None else dep.load

    def per_replica(self, key: int) -> float:
        """rps one replica of ``key``'s deployment carries."""
        return self._keys[key].per_replica

    def split(self, key: int) -> dict[str, float]:
        """Which part of ``key``'s deployment each client's traffic sized: its share of
        the deployment's load this step (else of the plan's shares)."""
        shares = self._keys[key].shares
        parts = {c: s * self._loads.get(c, 0.0) for c, s in shares.items()}
        total = sum(parts.values())
        if total <= 0:
            parts, total = dict(shares), sum(shares.values())
        return {c: v / total for c, v in parts.items()} if total > 0 else {}

    def clients(self, key: int) -> frozenset[str]:
        """The clients whose traffic ``key``'s deployment carries (its replicas may only
        move to keys that reach them all)."""
        dep = self._keys.get(key)
        return dep.clients if dep is not None else frozenset()


def ceil_replicas(load: float, per_replica: float) -> int:
    """Whole replicas for ``load`` (a hair of float noise does not add one)."""
    return max(0, math.ceil(load / per_replica - 1e-9))
