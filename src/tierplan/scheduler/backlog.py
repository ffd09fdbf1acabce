"""Results handed over whose work the clock is charged with later, as if they had all
been read first: a merged block's priced members, whose plans its start reads as they
come while the workers still solve the rest (see :meth:`.pool.Pool.hand_over`).

The plan must not depend on when results come (see :mod:`.budget`), so the clock reads
as it would had every result of the backlog been read, in order, before anything else:
results read meanwhile (the start's steps) are charged after them, and a limit handed
over meanwhile is set from the clock only when it is the same either way, which is when
the work already done is past the deadline (a later charge only adds to it); else the
backlog is settled first."""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait

from .budget import WorkClock
from .solvers import SolveResult

__all__ = ["PAST_MARGIN", "Backlog"]

Outcome = Future[SolveResult] | SolveResult


class Backlog:
    """The outcomes handed over (in the order their work is charged) and the results read
    meanwhile, charged once the backlog is settled."""

    def __init__(self, clock: WorkClock, outcomes: Sequence[Outcome]) -> None:
        self.clock = clock
        self.outcomes = list(outcomes)
        self.deferred: list[SolveResult] = []  # read meanwhile, charged after the outcomes
        self.settled = False

    def peek(self, k: int) -> SolveResult:
        """Outcome ``k``'s result (waiting for it), its work not charged yet."""
        outcome = self.outcomes[k]
        return outcome.result() if isinstance(outcome, Future) else outcome

    def defer(self, result: SolveResult) -> None:
        """A result read meanwhile: charged after the outcomes (see :meth:`settle`)."""
        self.deferred.append(result)

    def left(self, until: float) -> float:
        """The work left before ``until``, for a limit handed over now: negative once the
        work done (charged, in the outcomes that came and in the results read meanwhile)
        is past ``until``, as it then stays; else, once no outcome is still to come and
        the work done is not past it, exactly, the backlog settled."""
        while True:
            came = [self.peek(k) for k, o in enumerate(self.outcomes) if not _waits(o)]
            spent = self.clock.spent + math.fsum(r.work for r in (*came, *self.deferred))
            # The clock sums the same work in another order: past by more than that
            # order's rounding, the clock will be past too.
            if spent > until + PAST_MARGIN * max(1.0, abs(spent)):
                return until - spent
            if len(came) == len(self.outcomes):
                self.settle()
                return self.clock.left(until)
            wait([o for o in self.outcomes if isinstance(o, Future) and not o.done()],
                 return_when=FIRST_COMPLETED)

    def settle(self) -> list[SolveResult]:
        """Every outcome's result, in order (waiting for them), charged to the clock in
        that order, then the results read meanwhile."""
        results = [self.peek(k) for k in range(len(self.outcomes))]
        if not self.settled:
            for result in (*results, *self.deferred):
                self.clock.charge(result.work, result.cut)
            self.settled = True
        return results


def _waits(outcome: Outcome) -> bool:
    return isinstance(outcome, Future) and not outcome.done()


# The relative margin by which work summed in one order must pass a deadline for the
# clock, which sums it in another, to pass it too: rounding moves a sum of n
# non-negative terms by at most n times 1.1e-16 of it (n = 10^6 allows 1.1e-10).
PAST_MARGIN = 1e-9
