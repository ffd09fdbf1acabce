"""The decomposition strategy (see :mod:`.planner` for the steps, :mod:`.strategy` for
the seam): :class:`PlanRun` holds one run's state, :data:`PHASES` names its phases."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field

from ..model import (
    Binding,
    InferenceWorkload,
    Objective,
    Placement,
    Plan,
    PlanStatus,
    Scenario,
    SolverInfo,
    TrainingWorkload,
)
from . import explain, gaps, summary
from .block_solve import solve_blocks
from .block_start import StartContext, block_start
from .blocks import Block, Blocks, Key, World, coupling_keys, split
from .budget import SOLVE_CAP, Guard, WorkClock, polish_work
from .candidates import InferenceCandidates, TrainingCandidates, Universe, by_kind
from .decoding import decode
from .formulation import Formulation, build, objectives
from .milp import by_tag
from .options import PlanOptions
from .polishing import Ahead, Polished, PolishJob, polish_ahead
from .pool import Context, Pool
from .rounds import first_round, join_block, relax_merged, spend_leftover
from .solvers import Backend, Solver, SolveResult, get_backend
from .strategy import Problem, guarded

__all__ = ["PHASES", "Decomposition", "PlanRun"]

Final = tuple[Formulation, SolveResult, list[float]]  # a block's model, result and objective


@dataclass(frozen=True)
class Decomposition:
    """Workloads solved apart and joined only where their shared limits bind (this
    module's docstring)."""

    name: str = "decomposition"

    def solve(self, problem: Problem, budget: WorkClock) -> Plan:
        return _planned(problem.scenario, problem.options, budget)


def _planned(scenario: Scenario, options: PlanOptions, clock: WorkClock) -> Plan:
    objective = options.objective or scenario.objective
    started = time.perf_counter()
    cpu = time.thread_time()  # building is counted in CPU time: it overlaps the solves
    deadline = clock.deadline  # on the work clock (see budget)
    solver = Solver(options.solver, Guard.after(options.time_limit), options.backend)
    universe = Universe(scenario, options.current_instances, options.churn_usd)
    backend = get_backend(solver)
    inference = [w for w in scenario.workloads if isinstance(w, InferenceWorkload)]
    ordered: list[InferenceWorkload | TrainingWorkload] = [
        *inference, *(w for w in scenario.workloads if isinstance(w, TrainingWorkload))]
    total_demand = sum(w.total_demand for w in inference) or 1.0
    context = Context(universe, scenario.budgets, total_demand, inference)
    with Pool(options, len(ordered), context, clock, solver) as pool:
        return _plan(PlanRun(scenario, options, objective, universe, backend, pool, ordered,
                             total_demand, started, deadline, time.thread_time() - cpu))


@dataclass
class PlanRun:
    """The decomposition's state while it plans one scenario: what every phase of
    :data:`PHASES` reads and writes, instead of locals shared by closures.

    Each phase returns None to go on, or the plan that ends the run (no plan: the
    plan says why)."""

    scenario: Scenario
    options: PlanOptions
    objective: Objective
    universe: Universe
    backend: Backend
    pool: Pool
    ordered: Sequence[InferenceWorkload | TrainingWorkload]
    total_demand: float
    started: float  # perf_counter at the start, for the infeasible plans' timing
    deadline: float  # on the work clock (see budget)
    build_seconds: float
    solve_seconds: float = 0.0
    members: list[InferenceCandidates | TrainingCandidates] = field(default_factory=list)
    keys: list[set[Key]] = field(default_factory=list)
    # Each workload's first answer: its own solve, or its LP relaxation when it shares a
    # row with others (``relaxed``, see rounds.first_round).
    early: list[tuple[Formulation, Future[SolveResult] | SolveResult]] = field(
        default_factory=list)
    relaxed: set[int] = field(default_factory=set)
    blocks: Blocks = field(default_factory=lambda: Blocks([]))
    alone: dict[int, float] = field(default_factory=dict)  # each workload's bound alone
    estimated: set[int] = field(default_factory=set)  # bounds that are only LP optima
    # Each workload's latest solution, by column tag: alone, or from a merged block
    # (``kept``: those, with the shared rows they use; see blocks.sequential_start).
    known: dict[int, dict[tuple[object, ...], float]] = field(default_factory=dict)
    kept: dict[int, set[Key]] = field(default_factory=dict)
    own: dict[int, Formulation] = field(default_factory=dict)  # own models, first round
    prejoined: dict[frozenset[int], Formulation] = field(default_factory=dict)
    ahead: Ahead | None = None  # polishing begun early (see polishing.polish_ahead)
    slo: Future[list[Binding]] | None = None  # SLO bindings found meanwhile
    solve_by: float = 0.0  # the merged blocks' deadline (see budget.polish_work)
    names: dict[str, int] = field(default_factory=dict)  # workload -> index

    @property
    def world(self) -> World:
        return World(self.universe, self.members, self.scenario.budgets, self.total_demand)

    # ---------------------------------------------------------------------- phases

    def write_models(self) -> Plan | None:
        """Every workload's candidates, pre-checks and own model, each handed to be
        solved (or relaxed) as soon as it is written. With worker processes that fork,
        they write the inference workloads' candidates and models and solve them, and
        this thread reads them in order (see Pool.prepare)."""
        pool, universe, budgets = self.pool, self.universe, self.scenario.budgets
        reasons: list[str] = []
        prepared = pool.prepare(self.objective, self.deadline) if pool.prepares else None
        # Meanwhile this thread writes the training workloads' candidates.
        t0 = time.thread_time()
        jobs = {w.name: universe.training(w, budgets) for w in self.ordered
                if isinstance(w, TrainingWorkload)} if prepared is not None else {}
        self.build_seconds += time.thread_time() - t0
        for w in self.ordered:
            guess: Future[SolveResult] | SolveResult | None = None
            is_relaxed = False
            ready: InferenceCandidates | TrainingCandidates | None = jobs.get(w.name)
            written_form: Formulation | None = None
            if prepared is not None and isinstance(w, InferenceWorkload):
                ready, written_form, guess, is_relaxed, written = next(prepared)
                self.build_seconds += written  # in a worker, at the same time as this thread
            t0 = time.thread_time()
            cand: InferenceCandidates | TrainingCandidates = (
                ready if ready is not None else
                universe.inference(w, budgets, self.objective)
                if isinstance(w, InferenceWorkload) else universe.training(w, budgets))
            self.members.append(cand)
            self.keys.append(coupling_keys(universe, cand, budgets))
            inf, tra = by_kind([cand])
            reasons.extend(explain.precheck(universe, inf, tra))
            form = None if reasons else written_form or build(universe, inf, tra, budgets,
                                                              self.total_demand)
            self.build_seconds += time.thread_time() - t0
            if form is None:
                continue
            if guess is None:  # not prepared in a worker: handed to one now, or solved here
                is_relaxed = pool.relaxes(form, bool(self.keys[-1]))
                guess = (pool.relax(form, self.objective) if is_relaxed
                         else pool.submit(form, self.objective, self.deadline))
            if is_relaxed:
                self.relaxed.add(len(self.early))
            self.early.append((form, guess))
        if reasons:
            info = SolverInfo(self.backend.name, 0.0, 0.0, time.perf_counter() - self.started)
            return summary.infeasible(self.scenario, self.objective, reasons, info)
        self.blocks = Blocks(self.keys)
        self.names = {c.workload.name: i for i, c in enumerate(self.members)}
        return None

    def first_round(self) -> Plan | None:
        """The first answers read in order; workloads merged where they break a row
        together (rounds.first_round); the others' own solves recorded."""
        pool, blocks = self.pool, self.blocks
        guesses = [pool.result(g) for _, g in self.early]
        for block, (form, _) in zip(blocks.blocks.values(), self.early, strict=True):
            block.form = form
        solved, self.prejoined, written = first_round(pool, blocks, guesses, self.relaxed,
                                                      self.objective, self.deadline)
        self.build_seconds += written
        self.solve_seconds += sum(g.seconds for g in guesses) + sum(
            r.seconds for i, r in solved.items() if r is not guesses[i])
        for i, (form, _) in enumerate(self.early):
            if i in solved and i in blocks.blocks and len(blocks.blocks[i].members) == 1:
                failure = self.record(blocks.blocks[i], solved[i])
                if failure is not None:
                    return failure
            elif i in solved:  # merged, with its solo optimum
                self.remember(i, form, solved[i])
            else:  # merged, its relaxation's optimum bounds it
                self.own[i] = form
                optimum = guesses[i].objective
                if optimum is not None:
                    self.alone[i] = gaps.lp_bound(optimum)
                    self.estimated.add(i)
        return None

    def merge_rounds(self) -> Plan | None:
        """Merges, starts and MILPs, repeated until no shared row is broken: merged
        blocks whose LPs break a row together are merged first (rounds.relax_merged),
        then all are solved (starts with their prices and steps, searches, MILPs; see
        block_solve.solve_blocks), and blocks whose plans break a row together are merged again."""
        blocks = self.blocks
        while True:
            unsolved = self.merges()
            # What is solved after the first round ends earlier (see budget.polish_work).
            self.solve_by = self.deadline - polish_work(sum(
                b.form.milp.num_cols for b in blocks.blocks.values() if b.form is not None),
                self.objective)
            t0 = time.perf_counter()
            results = solve_blocks(self.pool, unsolved, self.objective, self.solve_by,
                                   self.start, gaps.slack(blocks, self.alone, self.options.gap)
                                   ) if unsolved else []
            self.solve_seconds += time.perf_counter() - t0
            for block, result in zip(unsolved, results, strict=True):
                failure = self.record(block, result)
                if failure is not None:
                    if self.ahead is not None:  # no thread of this plan outlives it
                        self.ahead.wait()
                    if self.slo is not None:
                        wait([self.slo])
                    return failure
            broken = blocks.violated()
            if not broken:
                return None
            for involved in broken:
                blocks.merge(involved)

    def merges(self) -> list[Block]:
        """Join the merged blocks' models and merge those whose LPs break a row
        together, until none do; the blocks left to solve."""
        blocks = self.blocks
        while True:
            unsolved = blocks.unsolved()
            for block in unsolved:
                if block.form is None:  # joined from its members' models (see join_block)
                    t0 = time.thread_time()
                    block.form = (join_block(block, self.own, self.prejoined)
                                  if all(i in self.own for i in block.members) else
                                  build(self.universe,
                                        *by_kind(self.members[i] for i in block.members),
                                        self.scenario.budgets, self.total_demand))
                    self.build_seconds += time.thread_time() - t0
            if self.ahead is None:  # the first merged blocks' LPs: polishing begins meanwhile,
                self.ahead = polish_ahead(blocks, self.objective, self.pool.polish, self.pool.aside)
                if self.options.explain and self.ahead.begun:  # and so do the SLO bindings
                    inference, _ = by_kind(self.members)
                    self.slo = self.pool.aside(explain.slo_bindings, self.universe, inference)
            else:  # blocks merged since: laid out during their LPs (see Ahead.lay_out)
                self.ahead.lay_out([b.form.milp for b in unsolved
                                    if len(b.members) > 1 and b.form is not None], self.pool.aside)
            joined = relax_merged(self.backend, blocks, self.objective, self.pool.clock)
            count = len(blocks.blocks)
            for involved in joined:
                blocks.merge(involved)
            if len(blocks.blocks) == count:  # nothing (more) to join
                return unsolved

    def leftover(self) -> Plan | None:
        """The work kept in reserve for further merges, when none came (see
        rounds.spend_leftover)."""
        t0 = time.perf_counter()
        spend_leftover(self.blocks, self.objective, self.solve_by, self.pool)
        self.solve_seconds += time.perf_counter() - t0
        return None

    def polish(self) -> Plan:
        """Every block's plan polished (the LP with its integers fixed), decoded and
        explained: the plan."""
        options, blocks, pool = self.options, self.blocks, self.pool
        placements: list[Placement] = []
        bindings: list[Binding] = []
        gap = gaps.whole_gap(blocks, self.alone)
        limited = any(b.result is not None and b.result.status == "time_limit"
                      for b in blocks.blocks.values())
        status: PlanStatus = "time_limit" if limited and gap > options.gap else "optimal"
        n_vars = n_rows = 0
        t0 = time.perf_counter()
        finals: list[Final] = []
        polishing: list[PolishJob] = []  # every block was solved (the checks inform mypy)
        ahead = self.ahead or Ahead()
        ahead.wait()
        found: list[Polished | None] = []
        for block in blocks.blocks.values():
            if block.form is not None and block.result is not None and block.result.x is not None:
                primary, secondary = objectives(block.form, self.objective)
                finals.append((block.form, block.result, primary))
                found.append(ahead.found(block.form.milp, block.result.x))
                if found[-1] is None:
                    polishing.append((block.form.milp, primary, secondary, block.result.x))
        # Charged before the LPs are solved (it is by size), so that the explanations,
        # which are given the work left, may begin meanwhile.
        pool.clock.charge(polish_work(sum(form.milp.num_cols for form, _, _ in finals),
                                      self.objective))
        seconds = max(pool.clock.left(self.deadline), SOLVE_CAP)  # nothing is charged now

        def explained(job: tuple[Final, Polished]) -> list[Binding]:
            (model, result, primary), (x, duals) = job
            return explain.bindings(
                self.universe, model, x, duals, self.scenario.budgets,
                explain.Relaxer(self.backend, primary, result.objective or 0.0, options.gap,
                                seconds))

        def explain_all(jobs: list[tuple[Final, Polished]]) -> Iterator[list[Binding]]:
            # The re-solves go to threads while this one polishes and decodes.
            return pool.threads(explained, jobs) if options.explain else iter(())

        # The blocks polished ahead (all but those that changed late) are explained
        # while the rest are polished: all blocks' LPs at once, in the workers when many.
        early = explain_all([(f, done) for f, done in zip(finals, found, strict=True)
                             if done is not None])
        rest = iter(pool.polish(polishing, ahead.layouts, ahead.early))
        polished = [done if done is not None else next(rest) for done in found]
        late = explain_all([(f, p) for f, p, done in zip(finals, polished, found, strict=True)
                            if done is None])
        self.solve_seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        for (model, _, _), (x, _) in zip(finals, polished, strict=True):
            n_vars += model.milp.num_cols
            n_rows += model.milp.num_rows
            placements.extend(decode(self.universe, model, x))
        if options.explain:  # in the blocks' order
            for done in found:
                bindings.extend(next(early) if done is not None else next(late))
        self.solve_seconds += time.perf_counter() - t0
        if options.explain:
            inference, _ = by_kind(self.members)
            bindings.extend(self.slo.result() if self.slo is not None
                            else explain.slo_bindings(self.universe, inference))
        info = SolverInfo(self.backend.name, self.solve_seconds, gap, self.build_seconds,
                          n_vars, n_rows, len(blocks.blocks))
        return guarded(summary.assemble(self.scenario, self.objective, status, placements,
                                        bindings, info), pool.clock, options)

    # ----------------------------------------------------------- what phases share

    def start(self, block: Block) -> tuple[list[float] | None, list[int]]:
        """A merged block's feasible start, and the columns of the members it kept as
        they were (see :mod:`.block_start`)."""
        return block_start(StartContext(
            self.world, self.blocks, self.objective, self.pool, self.backend, self.own,
            self.alone, self.estimated, self.known, self.kept, self.ahead, self.solve_by,
            self.options.gap), block)

    def record(self, block: Block, result: SolveResult) -> Plan | None:
        """Keep a solved block's result: a workload alone gives its bound, its model and
        its solution, a merged block its members' solutions. A block without a plan
        ends the run: the returned plan says why."""
        block.result = result
        if len(block.members) == 1 and result.objective is not None:
            self.remember(block.members[0], block.form, result)
        elif result.x is not None:
            for i, (values, uses) in split(block, self.names).items():
                self.known[i], self.kept[i] = values, uses
        if result.x is not None:
            return None
        assert block.form is not None
        options = self.options
        info = SolverInfo(self.backend.name, self.solve_seconds, 0.0, self.build_seconds,
                          block.form.milp.num_cols, block.form.milp.num_rows,
                          len(self.blocks.blocks))
        if result.status == "no_solution":
            reason = (f"no feasible plan was found within the effort ({options.effort}) "
                      f"and the time limit ({_seconds(options.time_limit)}); "
                      "raise --effort, --time-limit or --gap")
            return summary.infeasible(self.scenario, self.objective, [reason], info,
                                      "time_limit")
        why = explain.diagnose(self.universe, block.form, self.backend, self.scenario.budgets,
                               time_limit=max(self.pool.clock.left(self.deadline), 1.0))
        return summary.infeasible(self.scenario, self.objective, why, info)

    def remember(self, i: int, form: Formulation | None, result: SolveResult) -> None:
        """A workload solved alone: its bound, its own model and its solution."""
        self.alone[i] = gaps.solver_bound(result)
        self.estimated.discard(i)
        if form is not None:
            self.own[i] = form
            if result.x is not None:
                self.known[i] = by_tag(form.milp, result.x)


# The decomposition's phases, in order (each: see PlanRun). A phase that returns a plan
# ends the run there.
PHASES: tuple[tuple[str, Callable[[PlanRun], Plan | None]], ...] = (
    ("models and first answers", PlanRun.write_models),
    ("first round", PlanRun.first_round),
    ("merges, starts and MILPs", PlanRun.merge_rounds),
    ("leftover", PlanRun.leftover),
    ("polish", PlanRun.polish),
)


def _plan(run: PlanRun) -> Plan:
    for _, phase in PHASES:
        done = phase(run)
        if done is not None:
            return done
    raise AssertionError("the polish phase always returns the plan")


def _seconds(limit: float | None) -> str:
    return "none" if limit is None else f"{limit:g} s"

