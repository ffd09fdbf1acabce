"""The monolithic strategy: one MILP per connected component (see :mod:`.strategy`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Binding, InferenceWorkload, Placement, Plan, PlanStatus, SolverInfo
from . import explain, gaps, summary
from .blocks import Key, coupling_keys
from .budget import LEAST, SOLVE_CAP, Guard, WorkClock, polish_work
from .candidates import InferenceCandidates, TrainingCandidates, Universe, by_kind
from .decoding import decode
from .formulation import Formulation, build, objectives
from .solvers import Solver, SolveResult, get_backend
from .strategy import Problem, guarded

__all__ = ["Monolithic", "components"]

Candidates = InferenceCandidates | TrainingCandidates


def components(keys: Sequence[set[Key]]) -> list[list[int]]:
    """Groups of workloads (by index) joined by the shared rows (``keys``) they use, in
    the order of their first member."""
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Key, int] = {}
    for i, used in enumerate(keys):
        for key in sorted(used):
            if key in owner:
                parent[find(i)] = find(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(keys)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


@dataclass(frozen=True)
class Monolithic:
    """Each component as one MILP, one HiGHS call each, sharing the work budget in
    proportion to their columns."""

    name: str = "monolithic"

    def solve(self, problem: Problem, budget: WorkClock) -> Plan:
        scenario, options, objective = problem.scenario, problem.options, problem.objective
        started = time.perf_counter()
        backend = get_backend(Solver(options.solver, Guard.after(options.time_limit),
                                     options.backend))
        universe = Universe(scenario, options.current_instances, options.churn_usd)
        inference = [w for w in scenario.workloads if isinstance(w, InferenceWorkload)]
        total_demand = sum(w.total_demand for w in inference) or 1.0
        members: list[Candidates] = [
            universe.inference(w, scenario.budgets, objective) if isinstance(w, InferenceWorkload)
            else universe.training(w, scenario.budgets) for w in scenario.workloads]
        inf, tra = by_kind(members)
        reasons = explain.precheck(universe, inf, tra)
        if reasons:
            info = SolverInfo(backend.name, 0.0, 0.0, time.perf_counter() - started)
            return summary.infeasible(scenario, objective, reasons, info)
        groups = components([coupling_keys(universe, c, scenario.budgets) for c in members])
        forms = [build(universe, *by_kind(members[i] for i in g), scenario.budgets,
                       total_demand) for g in groups]
        build_seconds = time.perf_counter() - started
        exact = options.tie_break == "exact" or objective == "latency"
        columns = sum(f.milp.num_cols for f in forms) or 1
        solved: list[tuple[Formulation, SolveResult]] = []
        solve_seconds = 0.0
        for k, form in enumerate(forms):
            primary, secondary = objectives(form, objective)
            share = budget.left() * form.milp.num_cols / max(
                sum(f.milp.num_cols for f in forms[k:]), 1)
            result = backend.solve(form.milp, primary, secondary if exact else None,
                                   max(share, LEAST), options.gap)
            budget.charge(result.work, result.cut)
            solve_seconds += result.seconds
            if result.x is None:
                info = SolverInfo(backend.name, solve_seconds, 0.0, build_seconds,
                                  form.milp.num_cols, form.milp.num_rows, len(forms))
                if result.status == "no_solution":
                    reason = (f"no feasible plan was found within the effort ({options.effort});"
                              " raise --effort or --gap")
                    return summary.infeasible(scenario, objective, [reason], info, "time_limit")
                why = explain.diagnose(universe, form, backend, scenario.budgets,
                                       time_limit=max(budget.left(), 1.0))
                return summary.infeasible(scenario, objective, why, info)
            solved.append((form, result))
        placements: list[Placement] = []
        bindings: list[Binding] = []
        value = bound = 0.0
        for form, result in solved:
            assert result.x is not None and result.objective is not None
            primary, secondary = objectives(form, objective)
            value += result.objective
            bound += min(gaps.solver_bound(result), result.objective)
            x, duals = backend.polish(form.milp, primary, secondary, result.x)
            budget.charge(polish_work(form.milp.num_cols, objective))
            placements.extend(decode(universe, form, x))
            if options.explain:
                bindings.extend(explain.bindings(
                    universe, form, x, duals, scenario.budgets,
                    explain.Relaxer(backend, primary, result.objective, options.gap,
                                    max(budget.left(), SOLVE_CAP))))
        if options.explain:
            bindings.extend(explain.slo_bindings(universe, inf))
        gap = gaps.relative_gap(value, bound)
        status: PlanStatus = "optimal" if gap <= options.gap + 1e-12 else "time_limit"
        info = SolverInfo(backend.name, time.perf_counter() - started - build_seconds, gap,
                          build_seconds, columns, sum(f.milp.num_rows for f in forms),
                          len(forms))
        return guarded(summary.assemble(scenario, objective, status, placements, bindings,
                                        info), budget, options)
