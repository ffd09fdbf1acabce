"""Where single-workload models and blocks are solved: here, or in worker processes.

``Pool`` has the workers write and solve the first round's models (their LP relaxations
first, see rounds.first_round), solves a merged block's start steps side by side, runs
the neighbourhood search two at a time, and solves the merged blocks' MILPs (what each
gets is :mod:`.block_solve`'s to decide). Deadlines are on the plan's work clock
(:mod:`.budget`): a task's limits are set when it is handed over, and results are
charged to the clock as this thread reads them, in a fixed order, so the plan does not
depend on the number of workers or on how fast they are. A workload alone always gets a
plan, even past the deadline (see LATE_SECONDS). A merged block's priced members are
handed over so that its start reads them as they come, their work charged as if they had
been read first (:meth:`Pool.hand_over`, :mod:`.backlog`).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

from ..errors import TierplanError
from ..model import Budget, InferenceWorkload, Objective
from .alone import AloneTask, Hint, RelaxTask, Request, relax_alone, solve_alone
from .backlog import Backlog
from .blocks import Step, coupling_keys, solve_choice
from .budget import SEARCH_WIDTH, WorkClock
from .candidates import InferenceCandidates, Universe
from .formulation import Formulation, build, objectives
from .milp import Layout, Matrix, Milp, value_of
from .neighbourhoods import Model, search
from .options import PlanOptions
from .polishing import Early, Polished, PolishJob, polish_all, polish_task
from .solvers import Solver, SolveResult, Task, get_backend, solve_task, solver_name

T = TypeVar("T")
S = TypeVar("S")

ASKED = Request()  # a workload's model solved in full, with its tie-break

__all__ = ["Context", "Pool", "Prepared", "prepare_alone", "relaxes", "unpriced"]


@dataclass(frozen=True)
class Context:
    """What worker processes need to write inference workloads' candidates and models
    themselves (see :meth:`Pool.prepare`); they inherit it when they fork."""

    universe: Universe
    budgets: Sequence[Budget]
    total_demand: float
    workloads: Sequence[InferenceWorkload]


# A workload prepared in a worker: its candidates and model (None when writing them
# failed: the planner writes them again itself, to raise the error), its first answer,
# whether that is its LP relaxation, and the worker's CPU seconds for the candidates and
# model. The model comes with its candidates, which it refers to: pickled together,
# they are sent once, and reading the model costs a tenth of writing it again.
Prepared = tuple[InferenceCandidates | None, Formulation | None, SolveResult | None, bool,
                 float]


class Pool:
    """Solves blocks: in this process, or in worker processes when there are many."""

    PARALLEL_FROM = 32  # blocks; below this a pool costs more than it saves

    def __init__(self, options: PlanOptions, n_members: int, context: Context | None = None,
                 clock: WorkClock | None = None, solver: Solver | None = None) -> None:
        self.options = options
        self.clock = clock or WorkClock(options.work_seconds)
        self.solver = solver or Solver(options.solver, backend=options.backend)
        workers = options.workers if options.workers is not None else (os.cpu_count() or 1)
        # A back-end given by the caller solves in this process (it need not pickle).
        parallel = n_members >= self.PARALLEL_FROM and self.solver.backend is None
        self.workers = workers if parallel else 1
        self.executor: ProcessPoolExecutor | None = None
        self.context = context
        self.models: dict[tuple[int, int], Model] = {}  # see model()
        self.backlog: Backlog | None = None  # see hand_over

    def __enter__(self) -> Pool:
        return self

    def _executor(self) -> ProcessPoolExecutor:
        if self.executor is None:
            context = _fork()
            # A forked worker inherits the context; a spawned one would get it pickled,
            # and has no use for it (see prepares).
            shared = self.context if context.get_start_method() == "fork" else None
            self.executor = ProcessPoolExecutor(self.workers, mp_context=context,
                                                initializer=_install, initargs=(shared,))
        return self.executor

    @property
    def prepares(self) -> bool:
        """Whether :meth:`prepare` applies: worker processes that fork (with the
        context in memory; a spawned one would need all of it pickled)."""
        return (self.workers > 1 and self.context is not None
                and _fork().get_start_method() == "fork")

    def prepare(self, objective: Objective, deadline: float) -> Iterator[Prepared]:
        """The context's inference workloads, in order, each with its candidates, model and
        first answer, written and solved in the workers (PREPARE_CHUNK at a time). A
        workload with a shared row gets its LP relaxation (see rounds.first_round),
        the others their own solve. The work is handed over at once; the answers are
        read as they are needed, and a chunk that no worker has begun when it is needed
        is done here instead: this thread has less to do meanwhile (the training
        workloads' candidates), so the three share the work (at 1,000 workloads the
        workers otherwise finish 0.6 s after this thread has run out of work)."""
        context = self.context
        assert context is not None
        n = len(context.workloads)
        exact = self.exact_ties(objective)
        left = self.clock.left(deadline)
        tasks = [(range(a, min(a + PREPARE_CHUNK, n)), objective, left, self.solver,
                  self.options.gap, exact) for a in range(0, n, PREPARE_CHUNK)]
        futures = [self._executor().submit(prepare_alone, task) for task in tasks]

        def answers() -> Iterator[Prepared]:
            for future, task in zip(futures, tasks, strict=True):
                yield from (prepare_alone(task, context) if future.cancel()
                            else future.result())

        return answers()

    def exact_ties(self, objective: Objective) -> bool:
        # Under the latency objective the cost tie-break must search instance
        # choices too: phase 1 is free to buy instances that carry no traffic.
        return self.options.tie_break == "exact" or objective == "latency"

    def submit(self, form: Formulation, objective: Objective, deadline: float,
               request: Request = ASKED) -> Future[SolveResult] | SolveResult:
        """Solve one workload's model: in a worker when there are workers (:meth:`result`
        waits for it), else here and now, as is a training workload's choice.

        ``deadline`` (on the work clock) and the request's cap set its limits now (see
        :func:`.alone.alone_limits`); the ``request`` says how (see :class:`.alone.Request`)."""
        task = self._task(form, objective, deadline, request)
        if not isinstance(task, AloneTask):
            return task
        extra = request.extra
        if self.workers == 1:
            return unpriced(form, objective, extra, solve_alone(task))
        future = self._executor().submit(solve_alone, task)
        if extra is not None:
            chained: Future[SolveResult] = Future()
            future.add_done_callback(lambda f: _relay(f, chained, form, objective, extra))
            return chained
        return future

    def _task(self, form: Formulation, objective: Objective, deadline: float,
              request: Request) -> AloneTask | SolveResult:
        """What :meth:`submit` hands over, its limits set now; or the answer, for a
        training workload's choice."""
        primary, secondary = objectives(form, objective)
        extra = request.extra
        if extra is not None:
            primary = [c + e for c, e in zip(primary, extra, strict=True)]
        if not form.inference and len(form.training) == 1:
            return unpriced(form, objective, extra, solve_choice(form.milp, primary))
        tie = secondary if self.exact_ties(objective) and request.final else None
        backlog = self._backlog()
        left = backlog.left(deadline) if backlog is not None else self.clock.left(deadline)
        return AloneTask(self.solver, form.milp, primary, tie, left, self.options.gap,
                         request.cap, request.late, request.hint, request.box_late)

    def relaxes(self, form: Formulation, coupled: bool) -> bool:
        """Whether a workload's first answer is its LP relaxation (:meth:`relax`); see
        :func:`relaxes`."""
        return relaxes(solver_name(self.solver), form, coupled)

    def relax(self, form: Formulation, objective: Objective) -> Future[SolveResult] | SolveResult:
        """A workload's LP relaxation, its solution and optimum (see
        rounds.first_round): in a worker when there are workers, else here and now."""
        task = RelaxTask(self.solver, form.milp, objectives(form, objective)[0])
        if self.workers == 1:
            return relax_alone(task)
        return self._executor().submit(relax_alone, task)

    def alone(self, steps: Iterable[Step], objective: Objective, deadline: float,
              request: Request = ASKED, hints: Sequence[Hint] | None = None,
              ) -> list[SolveResult]:
        """Solve single-workload models with their column prices, side by side in the
        workers when there are any (a start's steps, see blocks.sequential_start), each
        as ``request`` says (not ``final``: no tie-break) with its step's prices and its
        :data:`.alone.Hint` of ``hints`` (else the request's). Each is handed over as
        ``steps`` yields it; the results are read once all are."""
        outcomes = [self.submit(f, objective, deadline, replace(
                        request, extra=extra, final=False,
                        hint=hints[k] if hints is not None else request.hint))
                    for k, (f, extra) in enumerate(steps)]
        return [self.result(o) for o in outcomes]

    def hand_over(self, steps: Sequence[Step], objective: Objective, deadline: float,
                  request: Request, hints: Sequence[Hint], order: Sequence[int],
                  ) -> Backlog:
        """Solve single-workload models as :meth:`alone` does, but return at once: their
        results are read from the returned backlog as they come, and charged to the clock
        before any result read meanwhile (see :mod:`.backlog`). The workers are handed
        them in ``order`` (positions in ``steps``; the rest after them), HANDED_AHEAD
        per worker at a time, so that a model submitted meanwhile waits for a few of
        those only."""
        self.settle()
        asked = [(form, replace(request, extra=extra, final=False, hint=hint))
                 for (form, extra), hint in zip(steps, hints, strict=True)]
        tasks = [self._task(form, objective, deadline, how) for form, how in asked]
        if self.workers == 1:
            outcomes: list[Future[SolveResult] | SolveResult] = [
                unpriced(form, objective, how.extra, solve_alone(task))
                if isinstance(task, AloneTask) else task
                for (form, how), task in zip(asked, tasks, strict=True)]
        else:
            outcomes = [Future() if isinstance(task, AloneTask) else task for task in tasks]
            first = list(dict.fromkeys(order))
            jobs = [(outcomes[k], tasks[k], *asked[k])
                    for k in [*first, *sorted(set(range(len(tasks))) - set(first))]]
            threading.Thread(target=self._feed, args=(jobs, objective), daemon=True,
                             name="tierplan-feed").start()
        self.backlog = Backlog(self.clock, outcomes)
        return self.backlog

    def _feed(self, jobs: Sequence[tuple[Future[SolveResult] | SolveResult,
                                         AloneTask | SolveResult, Formulation, Request]],
              objective: Objective) -> None:
        """Hand the jobs' tasks to the workers in order, HANDED_AHEAD per worker at a
        time, each result relayed to its outcome (see :meth:`hand_over`)."""
        slots = threading.Semaphore(HANDED_AHEAD * self.workers)

        def done(future: Future[SolveResult], out: Future[SolveResult], form: Formulation,
                 extra: Sequence[float] | None) -> None:
            slots.release()
            if future.cancelled():
                out.cancel()
            else:
                _relay(future, out, form, objective, extra)

        for out, task, form, how in jobs:
            if not isinstance(out, Future) or not isinstance(task, AloneTask):
                continue
            slots.acquire()
            try:
                future = self._executor().submit(solve_alone, task)
            except RuntimeError as error:  # the pool was shut down: its reader learns why
                slots.release()
                out.set_exception(error)
                continue
            future.add_done_callback(partial(done, out=out, form=form, extra=how.extra))

    def settle(self) -> list[SolveResult]:
        """Charge what was handed over (:meth:`hand_over`) and read meanwhile; the
        results handed over, in order."""
        backlog, self.backlog = self.backlog, None
        return backlog.settle() if backlog is not None else []

    def _backlog(self) -> Backlog | None:
        """The backlog still to charge, if any (see hand_over)."""
        if self.backlog is not None and self.backlog.settled:
            self.backlog = None
        return self.backlog

    def polish(self, jobs: Sequence[PolishJob],
               layouts: Mapping[int, tuple[Milp, Layout]] | None = None,
               early: Mapping[int, Early] | None = None) -> list[Polished]:
        """:func:`.polishing.polish` for the models (milp, primary, secondary, x) of all the
        blocks, their parts' LPs side by side in the workers when there are many (the
        planner polishes every block at the end, with nothing else left to solve);
        ``layouts`` and ``early``: see :func:`.polishing.polish_all`."""
        backend = get_backend(self.solver)
        solver = self.solver

        def run(tasks: Sequence[PolishJob]) -> list[Polished]:
            if self.workers > 1 and len(tasks) >= POLISH_PARALLEL_FROM:
                chunk = max(1, len(tasks) // (4 * self.workers))
                return list(self._executor().map(
                    polish_task, [(solver, *task) for task in tasks], chunksize=chunk))
            # Few LPs (a large block's parts that changed late): one at a time, as two
            # at once in threads raise the peak memory by about a tenth.
            return [backend.polish(*task) for task in tasks]

        return polish_all(jobs, run, layouts, early)

    def run(self, tasks: Sequence[Task]) -> list[SolveResult]:
        """Solve the tasks, side by side in the workers when there are any; their work
        is charged to the clock in the tasks' order."""
        self.settle()
        if self.workers > 1 and len(tasks) > 1:
            results = list(self._executor().map(solve_task, tasks))
        else:
            results = [solve_task(t) for t in tasks]
        for result in results:
            self.clock.charge(result.work, result.cut)
        return results

    def model(self, milp: Milp, primary: list[float]) -> Model:
        """A block's model to improve (see neighbourhoods.Model), the same one each time
        it is asked for, so that what it reads once (its columns' rows) is kept."""
        key = (id(milp), id(primary))
        held = self.models.get(key)
        if held is None or held.milp is not milp or held.primary is not primary:
            held = self.models[key] = Model(self.solver, milp, primary, self.options.gap)
        return held

    def read_ahead(self, milp: Milp, primary: list[float]) -> None:
        """Have a thread read the model's matrix (see :meth:`model`) while this one
        waits for the workers: a priced block's fill and search read them next (0.1 s
        or more at 100k columns, else in series after its start)."""
        self.aside(_matrix, self.model(milp, primary))

    def search(self, milp: Milp, primary: list[float], x: list[float],
               until: float) -> list[float]:
        """The neighbourhood search of a block's plan (see neighbourhoods.search) until
        ``until`` on the work clock, SEARCH_WIDTH neighbourhoods side by side. It ends
        once the wall-clock guard has passed, and the plan then says the guard cut it."""
        return search(self.model(milp, primary), x, until, self.run, SEARCH_WIDTH,
                      self.clock.now, self.guard_passed)

    def guard_passed(self) -> bool:
        """Whether the wall-clock guard has passed; if so the clock records that it cut
        the plan (see strategy.guarded)."""
        if not self.solver.guard.expired():
            return False
        self.clock.charge(0.0, cut=True)
        return True

    def threads(self, fn: Callable[[S], T], items: Sequence[S]) -> Iterator[T]:
        """``fn`` of each item, in order, in as many threads of this process as there are
        workers: for work that is mostly inside HiGHS (which releases the GIL), at the
        end of a plan when the worker processes have nothing left to do. All are handed
        over at once; the results are read in order."""
        if self.workers == 1 or len(items) < 2:
            return map(fn, items)
        threads = ThreadPoolExecutor(self.workers, thread_name_prefix="tierplan-threads")
        results = threads.map(fn, items)
        threads.shutdown(wait=False)  # the threads end with the work
        return results

    @staticmethod
    def aside(fn: Callable[..., T], *args: object) -> Future[T]:
        """Run ``fn(*args)`` in a thread of this process, for work that can go on while
        this thread waits in HiGHS (which releases the GIL, see polishing.Ahead)."""
        thread = ThreadPoolExecutor(1, thread_name_prefix="tierplan-aside")
        future = thread.submit(fn, *args)
        thread.shutdown(wait=False)  # the thread ends with the work
        return future

    def result(self, outcome: Future[SolveResult] | SolveResult) -> SolveResult:
        """The outcome's result, its work charged to the clock (read each outcome once,
        in a fixed order)."""
        result = outcome.result() if isinstance(outcome, Future) else outcome
        backlog = self._backlog()
        if backlog is not None:  # charged after the backlog's (see hand_over)
            backlog.defer(result)
        else:
            self.clock.charge(result.work, result.cut)
        return result

    def __exit__(self, *exc: object) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)

    def solve_side_by_side(self, tasks: Sequence[Task]) -> list[SolveResult]:
        """Solve merged blocks' MILPs, in the workers (in chunks) from PARALLEL_FROM
        tasks on, else here (a few large models cost more to hand over than they gain);
        their work is charged to the clock in the tasks' order."""
        if self.workers > 1 and len(tasks) >= self.PARALLEL_FROM:
            chunk = max(1, len(tasks) // (4 * self.workers))
            results = list(self._executor().map(solve_task, tasks, chunksize=chunk))
        else:
            results = [solve_task(task) for task in tasks]
        for result in results:
            self.clock.charge(result.work, result.cut)
        return results


# Polishing LPs from which the workers share them (fewer cost more to hand over).
POLISH_PARALLEL_FROM = 64

# Tasks of Pool.hand_over under way per worker: with one, a worker waits between two
# for this process to hand it the next (the pricing of 1,000 workloads took ~1 s longer
# than with two, which a start's step handed over meanwhile waits behind).
HANDED_AHEAD = 2

# Inference workloads per task of Pool.prepare: enough to keep the messages few, few
# enough that the planner's thread starts reading early.
PREPARE_CHUNK = 8

_CONTEXT: Context | None = None  # a worker's, see Pool.prepare


def _install(context: Context | None) -> None:
    global _CONTEXT
    _CONTEXT = context


def _matrix(model: Model) -> Matrix:
    return model.matrix  # read once, kept by the model (see Pool.read_ahead)


def relaxes(solver: str, form: Formulation, coupled: bool) -> bool:
    """Whether a workload's first answer is its LP relaxation (see
    rounds.first_round): an inference workload's model with a shared row (``coupled``),
    with HiGHS (through CBC an LP costs about what the MILP does)."""
    return coupled and bool(form.inference) and solver == "highs"


def prepare_alone(task: tuple[range, Objective, float, Solver, float, bool],
                  context: Context | None = None) -> list[Prepared]:
    """Candidates, model and first answer of some of the ``context``'s inference
    workloads (by default the worker's, see Pool.prepare): the LP relaxation with HiGHS
    when the workload has a shared row, else its own solve as :meth:`Pool.submit` would
    do it."""
    indices, objective, left, solver, gap, exact = task
    context = context or _CONTEXT
    assert context is not None
    out: list[Prepared] = []
    for k in indices:
        began = time.thread_time()
        try:
            cand = context.universe.inference(context.workloads[k], context.budgets, objective)
            form = build(context.universe, [cand], [], context.budgets, context.total_demand)
        except TierplanError:
            out.append((None, None, None, False, 0.0))
            continue
        written = time.thread_time() - began
        primary, secondary = objectives(form, objective)
        coupled = bool(coupling_keys(context.universe, cand, context.budgets))
        if relaxes(solver_name(solver), form, coupled):
            out.append((cand, form, relax_alone(RelaxTask(solver, form.milp, primary)), True, written))
        else:
            tie = secondary if exact else None
            alone = AloneTask(solver, form.milp, primary, tie, left, gap)
            out.append((cand, form, solve_alone(alone), False, written))
    return out


def _relay(done: Future[SolveResult], to: Future[SolveResult], form: Formulation,
           objective: Objective, extra: Sequence[float] | None) -> None:
    """Pass a worker's priced result on with its objective value without the prices."""
    error = done.exception()
    if error is not None:
        to.set_exception(error)
    else:
        to.set_result(unpriced(form, objective, extra, done.result()))


def unpriced(form: Formulation, objective: Objective, extra: Sequence[float] | None,
              result: SolveResult) -> SolveResult:
    """The result with its objective value without the column prices ``extra``."""
    if extra is None or result.x is None:
        return result
    primary, _ = objectives(form, objective)
    return replace(result, objective=value_of(primary, result.x))


def _fork() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it (workers inherit the imported solver)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
