"""``plan(scenario) -> Plan``: a pure function (it never writes onto its inputs).

Steps, each in its own module:
1. :mod:`.candidates` lists what every workload could use and drops what cannot be
   optimal (ineligible pairs, unreachable routes, dominated offerings and options).
2. :mod:`.explain` pre-checks the obvious reasons a plan cannot exist.
3. Every workload starts as its own MILP (:mod:`.formulation`); workloads are joined
   only when a capacity or budget they share is broken by their separate optima
   (:mod:`.blocks` explains why that is exact), or, found before those are solved, by
   their LP relaxations (:mod:`.rounds`). A merged block
   starts from a feasible plan (:func:`.blocks.sequential_start`) priced by its LP
   relaxation (:mod:`.pricing`), which :mod:`.neighbourhoods` improves a few workloads
   at a time when the block is too large for HiGHS alone; its members' own models at
   those prices bound it (:func:`.gaps.lagrangian`) where HiGHS gets no bound in time.
4. Each MILP is solved lexicographically (:mod:`.solvers`): the objective, then its
   tie-break (cost -> latency, latency -> cost) with the first held at its optimum.
5. The solution is decoded into placements (:mod:`.decoding`); :mod:`.explain` adds what
   binds and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace

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
from . import explain, gaps, ledger, summary
from .alone import RELAX, STEP_LATE_SECONDS
from .blocks import Block, Blocks, Key, Step, coupling_keys, sequential_start, split
from .budget import START_BATCH, Guard, WorkClock
from .candidates import InferenceCandidates, TrainingCandidates, Universe, by_kind
from .decoding import decode
from .formulation import Formulation, build, objectives
from .milp import by_tag
from .monolithic import Monolithic
from .options import PlanOptions
from .polishing import Ahead, Early, Polished, PolishJob
from .pool import Context, Pool
from .pricing import price_members
from .rounds import first_round, join_block, relax_merged, spend_leftover
from .solvers import Backend, Solver, SolveResult, get_backend
from .strategy import Problem, Strategy, guarded

__all__ = ["Decomposition", "PlanOptions", "choose", "decode", "plan"]


def plan(scenario: Scenario, options: PlanOptions | None = None) -> Plan:
    """The plan of ``scenario``: by the strategy ``options`` name (see :mod:`.strategy`)
    within its effort's work budget. Several periods or hardware to buy (SPEC 5) go to
    the model over periods (:mod:`.periodic`); otherwise the strategy plans with each
    budget less the committed cost of owned hardware it covers (a constant then), and
    :func:`.ledger.finish` adds the committed, idle and per-period figures."""
    problem = Problem(scenario, options or PlanOptions())
    clock = WorkClock(problem.options.work_seconds)
    if ledger.needs_periods(scenario):
        from .periodic import plan_periods

        return plan_periods(problem, clock)
    reasons = ledger.over_committed(scenario)
    if reasons:
        info = SolverInfo(problem.options.solver, 0.0, 0.0)
        return ledger.finish(scenario, summary.infeasible(scenario, problem.objective, reasons,
                                                          info))
    inner = Problem(replace(scenario, budgets=ledger.committed_shift(scenario)), problem.options)
    return ledger.finish(scenario, choose(inner).solve(inner, clock))


def choose(problem: Problem) -> Strategy:
    """The strategy the options name; ``auto`` is the decomposition (see
    :mod:`.strategy` for why)."""
    return Monolithic() if problem.options.strategy == "monolithic" else Decomposition()


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
        return _plan(scenario, options, objective, universe, backend, pool, ordered,
                     total_demand, started, deadline, time.thread_time() - cpu)


def _plan(scenario: Scenario, options: PlanOptions, objective: Objective, universe: Universe,
          backend: Backend, pool: Pool, ordered: Sequence[InferenceWorkload | TrainingWorkload],
          total_demand: float, started: float, deadline: float, build_seconds: float) -> Plan:
    members: list[InferenceCandidates | TrainingCandidates] = []
    keys: list[set[Key]] = []
    reasons: list[str] = []
    # Each workload's first answer: its own solve, or its LP relaxation when it shares a
    # row with others (``relaxed``, see rounds.first_round). With worker processes that fork,
    # they write the inference workloads' candidates and models and solve them, and
    # this thread reads them in order (see Pool.prepare); with others, each model goes
    # to them as soon as it is written here, so the solve overlaps the next models.
    early: list[tuple[Formulation, Future[SolveResult] | SolveResult]] = []
    relaxed: set[int] = set()
    prepared = pool.prepare(objective, deadline) if pool.prepares else None
    # Meanwhile this thread writes the training workloads' candidates.
    t0 = time.thread_time()
    jobs = {w.name: universe.training(w, scenario.budgets) for w in ordered
            if isinstance(w, TrainingWorkload)} if prepared is not None else {}
    build_seconds += time.thread_time() - t0
    for w in ordered:
        guess: Future[SolveResult] | SolveResult | None = None
        is_relaxed = False
        ready: InferenceCandidates | TrainingCandidates | None = jobs.get(w.name)
        written_form: Formulation | None = None
        if prepared is not None and isinstance(w, InferenceWorkload):
            ready, written_form, guess, is_relaxed, written = next(prepared)
            build_seconds += written  # in a worker, at the same time as this thread
        t0 = time.thread_time()
        cand: InferenceCandidates | TrainingCandidates = (
            ready if ready is not None else
            universe.inference(w, scenario.budgets, objective) if isinstance(w, InferenceWorkload)
            else universe.training(w, scenario.budgets))
        members.append(cand)
        keys.append(coupling_keys(universe, cand, scenario.budgets))
        inf, tra = by_kind([cand])
        reasons.extend(explain.precheck(universe, inf, tra))
        form = None if reasons else written_form or build(universe, inf, tra, scenario.budgets,
                                                          total_demand)
        build_seconds += time.thread_time() - t0
        if form is None:
            continue
        if guess is None:  # not prepared in a worker: handed to one now, or solved here
            is_relaxed = pool.relaxes(form, bool(keys[-1]))
            guess = (pool.relax(form, objective) if is_relaxed
                     else pool.submit(form, objective, deadline))
        if is_relaxed:
            relaxed.add(len(early))
        early.append((form, guess))
    if reasons:
        info = SolverInfo(backend.name, 0.0, 0.0, time.perf_counter() - started)
        return summary.infeasible(scenario, objective, reasons, info)
    inference, _ = by_kind(members)
    blocks = Blocks(keys)
    solve_seconds = 0.0
    alone: dict[int, float] = {}  # lower bound of each workload solved on its own
    estimated: set[int] = set()  # those whose bound is only their LP relaxation's optimum
    # Each workload's latest solution, by column tag: alone, or from a merged block
    # (``kept``: those, with the shared rows they use; see blocks.sequential_start).
    known: dict[int, dict[tuple[object, ...], float]] = {}
    kept: dict[int, set[Key]] = {}
    own: dict[int, Formulation] = {}  # each workload's own model, from the first round
    names = {c.workload.name: i for i, c in enumerate(members)}

    def start(block: Block) -> tuple[list[float] | None, list[int]]:
        """A feasible start for a merged block (see blocks.sequential_start).

        Without one a merged block may end the run with no plan at all, so the start is
        finished even past the deadline: its steps are single-workload models capped at
        a second each, and past the deadline at STEP_LATE_SECONDS (see
        :func:`.alone.alone_limits`). With
        worker processes the steps go to them in batches (see blocks.sequential_start).
        """
        others = [b for b in blocks.blocks.values() if b is not block]

        # Priced even past the deadline: the LP and the members' priced models cost more
        # than an unpriced start (~5 s at 1,000 workloads), but without them the block
        # has no bound beyond its solo optima (28 % below the plan there) and a worse plan.
        # (Past the deadline a member keeps its LP part's rounding: see pricing.BOX_LATE.)
        assert block.prices is not None  # solved before the starts, see rounds.relax_merged
        prices, lp = block.prices, block.lp
        optimal: dict[int, dict[tuple[object, ...], float]] = {}
        if prices:
            forms = {i: own[i] if i in own else
                     build(universe, *by_kind([members[i]]), scenario.budgets, total_demand)
                     for i in block.members}
            solo = {i: b for i, b in alone.items() if i not in estimated}
            # The members are priced by the time that leaves room for the start's steps.
            optimal = price_members(pool, block, forms, prices, solo, objective,
                                    solve_by - START_SECONDS * len(block.members), lp)
        keep = [i for i in block.members if i in kept and not kept[i] & blocks.broken]
        batch = START_BATCH
        models = {i: own[i] for i in block.members if i in own}
        # (A part the early polish took at one try's values and a later try changes is
        # polished again at the end: see polishing.Early.found.)
        placed = _polish_early(block, ahead, objective, backend, members)

        def place(goal: Objective, keep: Sequence[int], promoted: Sequence[int] = (),
                  failed: list[int] | None = None) -> list[float] | None:
            """The start with its steps solved under ``goal``: with the known solutions
            and the prices when that is the plan's objective, without them otherwise."""
            ours = goal == objective

            def steps(chunk: Sequence[Step]) -> list[SolveResult]:
                return pool.alone(chunk, goal, solve_by, 1.0, STEP_LATE_SECONDS,
                                  [RELAX] * len(chunk))

            return sequential_start(universe, block, members, others, scenario.budgets,
                                    total_demand, steps, known if ours else None,
                                    prices if ours else None, batch, keep, goal,
                                    optimal if ours else None, models, placed, promoted,
                                    failed)

        promoted: list[int] = []
        for _ in range(START_TRIES):
            failed: list[int] = []
            x = place(objective, keep, promoted, failed)
            if x is not None or not failed:
                break
            # What was placed before left a workload no room: place all again, that one
            # (and those of earlier tries) first.
            promoted.append(failed[0])
            keep = []
        if x is None and failed and objective != "cost":
            # The cheapest start: steps that put latency first can spend a shared budget
            # before the last workloads find a plan within it; cost first spends least.
            x = place("cost", ())
        assert block.form is not None
        held = {members[i].workload.name for i in keep}
        return x, [j for j, tag in enumerate(block.form.milp.col_tags) if tag[1] in held]

    def record(block: Block, result: SolveResult) -> Plan | None:
        """Keep a solved block's result: a workload alone gives its bound, its model and
        its solution, a merged block its members' solutions. A block without a plan
        ends the run: the returned plan says why."""
        block.result = result
        if len(block.members) == 1 and result.objective is not None:
            remember(block.members[0], block.form, result)
        elif result.x is not None:
            for i, (values, uses) in split(block, names).items():
                known[i], kept[i] = values, uses
        if result.x is not None:
            return None
        assert block.form is not None
        info = SolverInfo(backend.name, solve_seconds, 0.0, build_seconds,
                          block.form.milp.num_cols, block.form.milp.num_rows,
                          len(blocks.blocks))
        if result.status == "no_solution":
            reason = (f"no feasible plan was found within the effort ({options.effort}) "
                      f"and the time limit ({_seconds(options.time_limit)}); "
                      "raise --effort, --time-limit or --gap")
            return summary.infeasible(scenario, objective, [reason], info, "time_limit")
        why = explain.diagnose(universe, block.form, backend, scenario.budgets,
                               time_limit=max(pool.clock.left(deadline), 1.0))
        return summary.infeasible(scenario, objective, why, info)

    def remember(i: int, form: Formulation | None, result: SolveResult) -> None:
        """A workload solved alone: its bound, its own model and its solution."""
        alone[i] = gaps.solver_bound(result)
        estimated.discard(i)
        if form is not None:
            own[i] = form
            if result.x is not None:
                known[i] = by_tag(form.milp, result.x)

    guesses = [pool.result(g) for _, g in early]
    for block, (form, _) in zip(blocks.blocks.values(), early, strict=True):
        block.form = form
    solved, prejoined, written = first_round(pool, blocks, guesses, relaxed, objective, deadline)
    build_seconds += written
    solve_seconds += sum(g.seconds for g in guesses) + sum(
        r.seconds for i, r in solved.items() if r is not guesses[i])
    for i, (form, _) in enumerate(early):
        if i in solved and i in blocks.blocks and len(blocks.blocks[i].members) == 1:
            failure = record(blocks.blocks[i], solved[i])
            if failure is not None:
                return failure
        elif i in solved:  # merged, with its solo optimum
            remember(i, form, solved[i])
        else:  # merged, its relaxation's optimum bounds it
            own[i] = form
            optimum = guesses[i].objective
            if optimum is not None:
                alone[i] = gaps.lp_bound(optimum)
                estimated.add(i)
    ahead: Ahead | None = None
    slo: Future[list[Binding]] | None = None
    while True:
        while True:  # merged blocks whose LPs break a row together are merged first
            unsolved = blocks.unsolved()
            for block in unsolved:
                if block.form is None:  # joined from its members' models (see join_block)
                    t0 = time.thread_time()
                    block.form = (join_block(block, own, prejoined)
                                  if all(i in own for i in block.members) else
                                  build(universe, *by_kind(members[i] for i in block.members),
                                        scenario.budgets, total_demand))
                    build_seconds += time.thread_time() - t0
            if ahead is None:  # the first merged blocks' LPs: polishing begins meanwhile,
                ahead = _polish_ahead(blocks, objective, pool)
                if options.explain and ahead.begun:  # and so do the SLO bindings
                    slo = pool.aside(explain.slo_bindings, universe, inference)
            joined = relax_merged(backend, blocks, objective)
            count = len(blocks.blocks)
            for involved in joined:
                blocks.merge(involved)
            if len(blocks.blocks) == count:  # nothing (more) to join
                break
        # What is solved after the first round ends earlier (see POLISH_SECONDS).
        solve_by = deadline - POLISH_SECONDS * sum(
            b.form.milp.num_cols for b in blocks.blocks.values() if b.form is not None)
        # all of it solving: starts (with their LP and steps), searches, MILPs
        t0 = time.perf_counter()
        results = pool.solve(unsolved, objective, solve_by, start,
                             gaps.slack(blocks, alone, options.gap)) if unsolved else []
        solve_seconds += time.perf_counter() - t0
        for block, result in zip(unsolved, results, strict=True):
            failure = record(block, result)
            if failure is not None:
                if ahead is not None:  # no thread of this plan outlives it
                    ahead.wait()
                if slo is not None:
                    wait([slo])
                return failure
        broken = blocks.violated()
        if not broken:
            break
        for involved in broken:
            blocks.merge(involved)
    t0 = time.perf_counter()
    spend_leftover(blocks, objective, solve_by, pool)
    solve_seconds += time.perf_counter() - t0

    placements: list[Placement] = []
    bindings: list[Binding] = []
    gap = gaps.whole_gap(blocks, alone)
    limited = any(b.result is not None and b.result.status == "time_limit"
                  for b in blocks.blocks.values())
    status: PlanStatus = "time_limit" if limited and gap > options.gap else "optimal"
    n_vars = n_rows = 0
    t0 = time.perf_counter()
    finals: list[tuple[Formulation, SolveResult, list[float]]] = []
    polishing: list[PolishJob] = []  # every block was solved above (the checks inform mypy)
    ahead = ahead or Ahead()
    ahead.wait()
    found: list[Polished | None] = []
    for block in blocks.blocks.values():
        if block.form is not None and block.result is not None and block.result.x is not None:
            primary, secondary = objectives(block.form, objective)
            finals.append((block.form, block.result, primary))
            found.append(ahead.found(block.form.milp, block.result.x))
            if found[-1] is None:
                polishing.append((block.form.milp, primary, secondary, block.result.x))
    # all blocks' LPs at once, in the workers when many
    rest = iter(pool.polish(polishing, ahead.layouts, ahead.early))
    polished = [done if done is not None else next(rest) for done in found]
    solve_seconds += time.perf_counter() - t0
    for (model, result, primary), (x, duals) in zip(finals, polished, strict=True):
        n_vars += model.milp.num_cols
        n_rows += model.milp.num_rows
        t0 = time.perf_counter()
        placements.extend(decode(universe, model, x))
        if options.explain:
            bindings.extend(explain.bindings(
                universe, model, x, duals, scenario.budgets,
                explain.Relaxer(backend, primary, result.objective or 0.0, options.gap,
                                max(pool.clock.left(deadline), 0.01)),
            ))
        solve_seconds += time.perf_counter() - t0
    if options.explain:
        bindings.extend(slo.result() if slo is not None
                        else explain.slo_bindings(universe, inference))
    info = SolverInfo(backend.name, solve_seconds, gap, build_seconds, n_vars, n_rows,
                      len(blocks.blocks))
    return guarded(summary.assemble(scenario, objective, status, placements, bindings, info),
                   pool.clock, options)


def _seconds(limit: float | None) -> str:
    return "none" if limit is None else f"{limit:g} s"


def _polish_ahead(blocks: Blocks, objective: Objective, pool: Pool) -> Ahead:
    """Begin polishing while the merged blocks' LPs are solved (see polishing.Ahead):
    the blocks solved alone, and the merged blocks' layouts. Only when those LPs are
    large enough to hide it (AHEAD_FROM)."""
    ahead = Ahead()
    merged = [b.form.milp for b in blocks.unsolved() if len(b.members) > 1 and b.form is not None]
    if sum(m.num_cols for m in merged) >= AHEAD_FROM:
        jobs: list[PolishJob] = [
            (b.form.milp, *objectives(b.form, objective), b.result.x)
            for b in blocks.blocks.values() if len(b.members) == 1 and b.form is not None
            and b.result is not None and b.result.x is not None]
        ahead.begin(merged, jobs, pool.polish, pool.aside)
    return ahead


def _polish_early(block: Block, ahead: Ahead | None, objective: Objective, backend: Backend,
                  members: Sequence[InferenceCandidates | TrainingCandidates],
                  ) -> Callable[[Sequence[int], Mapping[tuple[object, ...], float]], None] | None:
    """What the block's start tells as it places its workloads, to polish their parts
    meanwhile (see polishing.Early): for a block laid out ahead (see _polish_ahead),
    once its layout is there (the thread that lays it out may still be at work)."""
    if ahead is None or block.form is None:
        return None
    layout = ahead.layouts.get(id(block.form.milp))
    if layout is None or layout[0] is not block.form.milp:
        return None
    early = ahead.early[id(block.form.milp)] = Early(
        block.form.milp, layout[1], *objectives(block.form, objective), backend)

    def placed(done: Sequence[int], values: Mapping[tuple[object, ...], float]) -> None:
        early.placed((members[i].workload.name for i in done), lambda tag: values.get(tag, 0.0))

    return placed


# Columns of merged blocks from which their LPs (1.3-1.6 s at 99k columns) hide the
# polishing begun meanwhile (see _polish_ahead).
AHEAD_FROM = 10_000


# Seconds per member of a merged block that its pricing leaves for its start's steps
# (see price_members: the priced solves' caps shrink with the time to their deadline,
# and those that begin after it get pricing.PRICED_FLOOR). The 1,000-workload
# benchmark's start takes 1.2-1.4 s for 546 members. Without it the priced solves took
# the start's time too, and the start ended past the limit: at --time-limit 10 there,
# 8.96-9.02 s instead of 9.16-9.42 s, gap 1.38-1.41 % against 1.24-1.26 % (two pairs
# back to back, explanations off; with them, 1 s reserved: 9.04-9.29 s against
# 9.61-9.83 s, three pairs); 500 workloads 9.01-9.31 s against 9.27-9.48 s, the same
# gap; with a busy loop beside the run, 10.72 s against 10.86 s, gap 1.87 % against
# 1.68 %. Since pricing stops on time (pricing.BOX_LATE), 1 ms: see there.
START_SECONDS = 1e-3

# How often a merged block's start is tried (see _plan's start).
START_TRIES = 2

# Seconds per column kept, when merged blocks are solved, for polishing the plan and
# explaining it after them (measured 12-15 us at 250 to 1,000 workloads).
POLISH_SECONDS = 2e-5
