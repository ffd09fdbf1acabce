"""How planning time and memory grow with the number of workloads.

    python bench/bench_planner.py [--sizes 10,100,250,500,1000] [--offerings 2000]
                                  [--clients 20] [--seed 0] [--total-budget]
                                  [--objectives cost,latency] [--effort normal]
                                  [--strategy auto] [--time-limit 600] [--gap 1e-4]
                                  [--timeout 1800] [--results FILE]

Every run writes its rows, with the machine (CPU model, cores) and its load average
before and after, to a results JSON (default bench/results/planner-<UTC time>.json).

Every size runs in a fresh subprocess, so the peak RSS (``ru_maxrss``) belongs to that
size alone. The subprocess generates the scenario (:mod:`generate`), plans it with
``PlanOptions(explain=True)`` and reports the model size and the planner's own timings,
then plans it again with ``explain=False``, and finally times candidate generation and
the formulation build on their own, to split the build time.

Every size is solver-bound from about 100 workloads on (the MILPs of coupled workloads are
hard for HiGHS), so the default time limit is 120 s rather than the planner's 300 s; a
size that stops at the limit says so in its status and notes.

Columns
    vars, rows, comps   MILP columns, rows and blocks solved separately (plan.solver)
    gen_s               scenario generation
    build_s             candidates + pre-checks + formulation (plan.solver.build_seconds: CPU
                        time of the planner's thread; with worker processes it overlaps
                        the solves, so its wall time would count their share of the CPU)
    solve_s             solver time (plan.solver.seconds): each workload's own solve, then
                        the wall time of the merged rounds (starts with their LP and steps,
                        repairs, searches, MILPs), polishing and explanations
    plan_s              wall time of plan(explain=True)
    cpu_s               CPU seconds (user + system) of plan(explain=True), its worker
                        processes included: on a shared machine the steadier figure
    fast_s              wall time of plan(explain=False)
    peak_MB             peak RSS of the subprocess after plan(explain=True)
    kids_MB             largest peak RSS of a worker process plan() started (0: none)
    build/solve         build_s / solve_s
    cand_s, form_s      candidate generation, and the formulation of the whole scenario as
                        one MILP, timed on their own (CPU seconds: steadier than wall time on
                        a shared machine, and the same as wall time on an idle one)

This prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

COLUMNS = (
    ("objective", 9, "s"), ("strategy", 13, "s"),
    ("workloads", 9, "d"), ("offerings", 9, "d"), ("clients", 7, "d"), ("vars", 8, "d"),
    ("rows", 7, "d"), ("comps", 5, "d"), ("gen_s", 7, ".2f"), ("build_s", 7, ".2f"),
    ("solve_s", 8, ".2f"), ("plan_s", 8, ".2f"), ("cpu_s", 7, ".2f"), ("fast_s", 8, ".2f"),
    ("peak_MB", 7, ".0f"),
    ("kids_MB", 7, ".0f"),
    ("status", 10, "s"), ("gap", 7, ".1e"), ("build/solve", 11, ".3f"), ("cand_s", 6, ".2f"),
    ("form_s", 6, ".2f"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,250,500,1000",
                        help="comma-separated workload counts")
    parser.add_argument("--offerings", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--total-budget", action="store_true",
                        help="add one total budget (couples every workload)")
    parser.add_argument("--objectives", default="cost",
                        help="comma-separated objectives (cost, latency)")
    parser.add_argument("--effort", default="normal", help="PlanOptions.effort")
    parser.add_argument("--strategy", default="auto", help="PlanOptions.strategy")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="PlanOptions.time_limit (the wall-clock guard) per plan() call")
    parser.add_argument("--results", type=Path, default=None,
                        help="results JSON (default bench/results/planner-<UTC time>.json)")
    parser.add_argument("--gap", type=float, default=1e-4, help="PlanOptions.gap")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="kill a size's subprocess after this many seconds")
    parser.add_argument("--no-fast", action="store_true", help="skip plan(explain=False)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    objectives = [o.strip() for o in args.objectives.split(",") if o.strip()]
    state = source_state()
    machine = machine_info()
    print(f"tierplan planner benchmark: offerings={args.offerings} clients={args.clients} "
          f"seed={args.seed} total_budget={args.total_budget} effort={args.effort} "
          f"strategy={args.strategy} time_limit={args.time_limit:g}s gap={args.gap:g} "
          f"python={sys.version.split()[0]} {state}", flush=True)
    print(f"machine: {machine['cpu']} ({machine['cores']} cores), load average "
          f"{machine['load_before']}", flush=True)
    print(header(), flush=True)
    rows = []
    for objective in objectives:
        for n in sizes:
            job = {"n": n, "offerings": args.offerings, "clients": args.clients,
                   "seed": args.seed, "total_budget": args.total_budget,
                   "time_limit": args.time_limit, "effort": args.effort,
                   "strategy": args.strategy, "objective": objective,
                   "gap": args.gap, "fast": not args.no_fast}
            load = os.getloadavg()
            row = run_child(job, args.timeout)
            row.update(objective=objective, strategy=args.strategy, effort=args.effort,
                       load_before=[round(x, 2) for x in load],
                       load_after=[round(x, 2) for x in os.getloadavg()])
            if row.get("source", state) != state:
                row["notes"].insert(0, f"measured on {row['source']}")
            print(format_row(row), flush=True)
            for note in row.get("notes", []):
                print(f"    {n}: {note}", flush=True)
            rows.append(row)
    machine["load_after"] = [round(x, 2) for x in os.getloadavg()]
    target = args.results or (Path(__file__).resolve().parent / "results" /
                              time.strftime("planner-%Y%m%dT%H%M%SZ.json", time.gmtime()))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"source": state, "machine": machine, "args": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": rows}, indent=2) + "\n")
    print(f"results: {target}", flush=True)


def machine_info() -> dict[str, Any]:
    """The CPU model, its cores and the load average now (the machine may be shared)."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(),
            "load_before": [round(x, 2) for x in os.getloadavg()]}


def run_child(job: dict[str, object], timeout: float) -> dict[str, object]:
    """Run one size in a fresh interpreter; merge the JSON lines it printed."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(job)]
    row: dict[str, object] = {"workloads": job["n"], "offerings": job["offerings"],
                              "clients": job["clients"], "notes": []}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False)
        out, err, killed = done.stdout, done.stderr, False
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        killed = True
    for line in out.splitlines():
        if line.startswith("{"):
            row.update(json.loads(line))
    notes = row["notes"]
    assert isinstance(notes, list)
    if killed:
        row.setdefault("status", "killed")
        notes.append(f"killed after {timeout:g} s (last stage: {row.get('stage', 'start')})")
    elif done.returncode != 0:
        row.setdefault("status", "error")
        notes.append(err.strip().splitlines()[-1] if err.strip() else f"exit {done.returncode}")
    if "all_vars" in row and row.get("vars") != row["all_vars"]:
        notes.append(f"the whole scenario as one MILP has {row['all_vars']} columns and "
                     f"{row['all_rows']} rows (plan() reported {row.get('vars')} columns)")
    return row


def header() -> str:
    return " ".join(f"{name:>{width}}" for name, width, _ in COLUMNS)


def format_row(row: dict[str, object]) -> str:
    cells = []
    for name, width, fmt in COLUMNS:
        value = row.get(name)
        cells.append(f"{'-':>{width}}" if value is None else f"{value:>{width}{fmt}}")
    return " ".join(cells)


# ------------------------------------------------------------------------------- child


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have ended
    (plan()'s worker processes end with it)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def child(job: dict[str, Any]) -> None:
    from generate import generate
    from tierplan import PlanOptions, plan

    n, offerings, clients = int(job["n"]), int(job["offerings"]), int(job["clients"])
    t0 = time.perf_counter()
    scenario = generate(n, offerings, clients, int(job["seed"]),
                        bool(job["total_budget"]))
    emit(stage="generate", gen_s=time.perf_counter() - t0,
         offerings=sum(len(s.offerings) for s in scenario.sites))

    options = {"time_limit": float(job["time_limit"]), "gap": float(job["gap"]),
               "effort": str(job["effort"]), "strategy": job["strategy"], "objective": job["objective"]}
    t0, c0 = time.perf_counter(), cpu_seconds()
    result = plan(scenario, PlanOptions(explain=True, **options))
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    info = result.solver
    notes = list(result.diagnosis[:2])
    emit(stage="plan", vars=info.variables, rows=info.constraints, comps=info.components,
         build_s=info.build_seconds, solve_s=info.seconds, plan_s=wall, cpu_s=cpu,
         peak_MB=peak_mb(),
         kids_MB=peak_mb(resource.RUSAGE_CHILDREN),
         status=result.status, gap=info.gap,
         **{"build/solve": info.build_seconds / info.seconds if info.seconds else None},
         placements=len(result.placements), cost=result.total_cost_usd, notes=notes)
    del result

    if job["fast"]:
        t0 = time.perf_counter()
        fast = plan(scenario, PlanOptions(explain=False, **options))
        emit(stage="fast", fast_s=time.perf_counter() - t0, fast_status=fast.status)
        del fast

    emit(stage="stages", **stage_times(scenario))
    emit(source=source_state())  # after the RSS readings: git is a child process too


def candidates(universe: Any, objective: str = "cost") -> tuple[list[Any], list[Any]]:
    """Inference and training candidates, made the way ``planner.plan`` makes them.

    ``Universe.inference`` has taken the budgets and the objective since they are used
    for pruning; older versions take the workload alone.
    """
    from tierplan.model import InferenceWorkload, TrainingWorkload

    scenario = universe.scenario
    params = inspect.signature(universe.inference).parameters
    extra = (scenario.budgets, objective) if "objective" in params else ()
    inference = [universe.inference(w, *extra) for w in scenario.workloads
                 if isinstance(w, InferenceWorkload)]
    training = [universe.training(w, scenario.budgets) for w in scenario.workloads
                if isinstance(w, TrainingWorkload)]
    return inference, training


def stage_times(scenario: Any) -> dict[str, float]:
    """Candidate generation and formulation build timed on their own (no solve), in CPU
    seconds of this process (its worker processes have ended by now).

    The formulation is built for every workload in one MILP (the union of whatever
    blocks or components the planner splits it into), so the figure does not depend on
    how the planner decomposes the problem.
    """
    from tierplan.scheduler.candidates import Universe
    from tierplan.scheduler.formulation import build

    t0 = time.process_time()
    universe = Universe(scenario)
    inference, training = candidates(universe, scenario.objective)
    cand_s = time.process_time() - t0
    total_demand = sum(c.workload.total_demand for c in inference) or 1.0
    t0 = time.process_time()
    milp = build(universe, inference, training, scenario.budgets, total_demand).milp
    form_s = time.process_time() - t0
    return {"cand_s": cand_s, "form_s": form_s, "all_vars": milp.num_cols,
            "all_rows": milp.num_rows}


def source_state() -> str:
    """tierplan's version and git commit (with ``+dirty`` when src/ has local changes)."""
    import tierplan

    root = Path(tierplan.__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "src"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"tierplan {tierplan.__version__}"
    return f"tierplan {tierplan.__version__} @ {head}{'+dirty' if dirty else ''}"


if __name__ == "__main__":
    main()
