"""The controller interface, retries, and the controllers that need no cloud.

A controller reads and sets the replica count of one endpoint deployment at one site.
Assumptions every controller states by implementing :class:`Controller`:
- ``get_replicas`` returns the *desired* count the platform is converging to (SageMaker's
  DesiredInstanceCount, the Deployment's spec.replicas), so a change still in flight
  reads as done and is never repeated;
- ``set_replicas(n, request_id)`` is idempotent: setting the count it already has is a
  no-op on every platform used here, and ``request_id`` is the same on every retry of one
  decision (controllers pass it on where the API takes one, and log it);
- platforms are eventually consistent: a set may take minutes to show in the serving
  fleet; the autoscaler only compares desired counts.
Errors are whatever the SDK raises; :func:`apply` retries them with backoff and jitter.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from ...errors import TierplanError
from ..clock import Clock
from ..config import RetrySpec

__all__ = ["ActionResult", "Controller", "ControllerError", "DryRunController", "ReadOnly",
           "Retrier", "apply"]

T = TypeVar("T")


class ControllerError(TierplanError):
    """A controller call failed for good (after its retries)."""


@runtime_checkable
class Controller(Protocol):
    description: str

    def get_replicas(self) -> int: ...

    def set_replicas(self, replicas: int, request_id: str) -> None: ...


@dataclass
class DryRunController:
    """Records what it is told; the count it reports is the last one set."""

    replicas: int = 0
    description: str = "dry-run"
    calls: list[tuple[int, str]] = field(default_factory=list)

    def get_replicas(self) -> int:
        return self.replicas

    def set_replicas(self, replicas: int, request_id: str) -> None:
        self.calls.append((replicas, request_id))
        self.replicas = replicas


class ReadOnly:
    """``--dry-run``: reads the real controller, records what it would set, sets nothing.

    It remembers the count it would have set and reports that while the real count stays
    where it was, so the next tick decides from the simulated state instead of repeating
    (and counting) the same change; once the real count moves, reality wins.
    ``simulated``: (real count, simulated count) to start from (a restarted dry run)."""

    def __init__(self, inner: Controller, simulated: tuple[int, int] | None = None) -> None:
        self.inner = inner
        self.description = f"dry-run of {inner.description}"
        self.calls: list[tuple[int, str]] = []
        self.simulated = simulated
        self._real: int | None = None

    def get_replicas(self) -> int:
        real = self.inner.get_replicas()
        self._real = real
        if self.simulated is not None:
            if self.simulated[0] == real:
                return self.simulated[1]
            self.simulated = None
        return real

    def set_replicas(self, replicas: int, request_id: str) -> None:
        self.calls.append((replicas, request_id))
        real = self._real if self._real is not None else self.inner.get_replicas()
        self.simulated = (real, int(replicas))


class Retrier:
    """Exponential backoff with full jitter: the k-th wait is uniform in [0, min(cap, base 2^k)].

    The random source is passed in (seeded in tests), and so is the clock that waits.
    Once ``cancel`` is set (the process is stopping) a failed attempt is not retried.
    """

    def __init__(self, spec: RetrySpec, clock: Clock, rng: random.Random | None = None) -> None:
        self.spec = spec
        self.clock = clock
        self.rng = rng if rng is not None else random.Random(spec.seed)
        self.cancel = threading.Event()

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0.0, min(self.spec.cap_s, self.spec.base_s * 2 ** attempt))

    def call(self, fn: Callable[[], T], on_error: Callable[[int, Exception], None] | None = None) -> T:
        last: Exception | None = None
        for attempt in range(self.spec.attempts):
            try:
                return fn()
            except Exception as exc:  # SDK errors have no common base; all are retried
                last = exc
                if on_error is not None:
                    on_error(attempt, exc)
                if self.cancel.is_set():
                    raise ControllerError(f"stopping: gave up after attempt {attempt + 1}: "
                                          f"{_brief(exc)}") from exc
                if attempt + 1 < self.spec.attempts:
                    self.clock.sleep(self.delay(attempt))
        raise ControllerError(f"gave up after {self.spec.attempts} attempts: {_brief(last)}") from last


@dataclass(frozen=True)
class ActionResult:
    status: str  # done | already | failed
    attempts: int
    error: str | None = None


def apply(controller: Controller, target: int, request_id: str, retrier: Retrier,
          read_first: bool = False) -> ActionResult:
    """Set ``target`` replicas, retrying; before each retry re-read so nothing runs twice.

    A call that timed out may still have been applied: the re-read then finds the target
    and the action ends as ``already`` instead of being sent again. ``read_first`` also
    re-reads before the first attempt (an action a crash left pending may have been applied).
    """
    attempts = 0

    def once() -> str:
        nonlocal attempts
        attempts += 1
        if (attempts > 1 or read_first) and controller.get_replicas() == target:
            return "already"
        controller.set_replicas(target, request_id)
        return "done"

    try:
        status = retrier.call(once)
    except ControllerError as exc:
        return ActionResult("failed", attempts, str(exc))
    return ActionResult(status, attempts)


def _brief(exc: BaseException | None) -> str:
    if exc is None:
        return "no error recorded"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


class InFlight:
    """The one update a controller sent and did not wait for.

    Vertex operations and Azure pollers take minutes and both have ``done()`` and
    ``result()``. Until the update is done the controller reports the count on its way,
    so the next tick does not send it again; a failed update raises from ``result()``
    when it is next looked at, and the caller retries.
    """

    def __init__(self) -> None:
        self._pending: tuple[int, Any] | None = None

    def count(self) -> int | None:
        """Replicas on their way, or None when nothing is (or it just finished)."""
        if self._pending is None:
            return None
        replicas, operation = self._pending
        if not operation.done():
            return replicas
        self._pending = None
        operation.result()
        return None

    def already(self, replicas: int) -> bool:
        """This count is on its way or has just been set: nothing to send."""
        if self._pending is None or self._pending[0] != replicas:
            return False
        self.count()  # raises when that update failed: the caller retries
        return True

    def start(self, replicas: int, operation: Any) -> None:
        self._pending = (int(replicas), operation)

