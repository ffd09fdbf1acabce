"""The one interface every placement policy implements, and what it sees.

A policy is asked two things by the simulator, on its virtual clock:

- :meth:`Policy.decide` at every step: the instances each inference workload should
  have per (workload, site, offering), or ``None`` to keep the last answer. The engine
  reconciles towards the last answer at every step (starting instances takes the tier's
  provisioning delay; stopping is immediate), so capacity lost to an outage or a
  preemption comes back once its site is up again, unless the policy moves it.
- :meth:`Policy.place_job` when a training job arrives, and again whenever it lost its
  nodes (preemption, outage) or could not be placed yet: an offering, a node count and
  a purchase option, or ``None`` to wait.

Policies read the :class:`~tierplan.simulations.world.World` (scenario, prices, demand
arrays) and the :class:`Observation`; an *observed* policy must only read demand of
steps before ``obs.step`` (``observed_peak`` does this), a *forecast* may look ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..model import TrainingWorkload

if TYPE_CHECKING:
    from ..simulations.world import World

__all__ = ["JobChoice", "JobRequest", "Key", "Observation", "Policy", "observed_peak", "window_peak"]

Key = tuple[str, str, str]
"""(workload, site, offering)"""


@dataclass(frozen=True, slots=True)
class Observation:
    """What a policy knows at the start of step ``step``.

    ``running``: instances per key that are running or being started;
    ``free``: per offer index, instances left under ``available`` (None: unlimited),
    counting what every workload and job holds;
    ``down``: sites that are out now."""

    step: int
    time_s: float
    running: Mapping[Key, int]
    free: tuple[int | None, ...]
    down: frozenset[str]


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A training job that needs nodes: ``remaining_hours`` of work (reference
    accelerator-hours, as ``work_hours``) and the absolute deadline in seconds."""

    job: int
    workload: TrainingWorkload
    remaining_hours: float
    arrival_s: float
    deadline_s: float | None


@dataclass(frozen=True, slots=True)
class JobChoice:
    site: str
    offering: str
    nodes: int
    spot: bool = False


@runtime_checkable
class Policy(Protocol):
    """A placement policy: see the module docstring for when each method is called."""

    name: str

    def decide(self, world: World, obs: Observation) -> Mapping[Key, int] | None:
        """Instances wanted per key (missing keys: 0), or None to keep the last answer."""
        ...

    def place_job(self, world: World, job: JobRequest, obs: Observation) -> JobChoice | None:
        """Where to run a training job now, or None to wait."""
        ...


def window_peak(world: World, start: int, stop: int) -> dict[tuple[str, str], float]:
    """Peak rps per (workload, client) over steps ``start`` .. ``stop - 1`` (clamped)."""
    start, stop = max(0, start), min(world.steps, stop)
    if stop <= start:
        start, stop = max(0, min(start, world.steps - 1)), max(1, min(start, world.steps - 1) + 1)
    return {k: float(np.max(v[start:stop])) for k, v in world.demand.items()}


def observed_peak(world: World, obs: Observation, window_steps: int) -> dict[tuple[str, str], float]:
    """Peak of the demand seen in the last ``window_steps`` completed steps.

    At step 0 nothing has been seen yet: the first step's demand stands in for what the
    operator measured before the simulation started."""
    if obs.step == 0:
        return window_peak(world, 0, 1)
    return window_peak(world, obs.step - window_steps, obs.step)
