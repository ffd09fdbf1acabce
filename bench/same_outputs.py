"""Do two versions of tierplan simulate alike? The check for speed-only changes.

    python bench/same_outputs.py [--ref main] [--days 1] [--cases a,b] [--keep DIR]

Runs ``tierplan simulate -o DIR`` on every case with the source of git ``--ref`` and with
the source of this checkout (each in its own process) and compares what they wrote:
every file byte for byte, except the timing file (``timing.json``, wall-clock seconds)
and timing fields of ``summary.json`` (``plan_seconds``: older versions kept it there).

Cases: the example simulations (``examples/simulations``), and the benchmark's world
(``bench_simulate.py``) at ``--days`` with every policy kind that plans or tracks, with
availability and price events added, shared and ``--unlimited``. Exit status 1 when a
case differs, with the first differing line of each file. This is a check, not a test:
it needs git and runs for minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench_simulate import scenario, simulation

ROOT = Path(__file__).resolve().parent.parent
TIMING_FILES = {"timing.json"}
TIMING_FIELDS = {"plan_seconds"}
EXAMPLES = ("region-outage", "training-queue", "azure-conversation")


def bench_cases(out: Path, days: float) -> dict[str, Path]:
    """The benchmark's world, small: shared capacity with events, and unlimited."""
    cases = {}
    for name, unlimited in (("bench-shared", False), ("bench-unlimited", True)):
        folder = out / name
        folder.mkdir(parents=True)
        (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario(10, unlimited)))
        sim = simulation(days, "60s", 10, "1h", [], 0)
        sim["policies"] = [
            {"kind": "optimal", "interval": "1h"},
            {"kind": "optimal", "name": "optimal-trend", "interval": "30m", "lead": "trend",
             "demand": "forecast"},
            {"kind": "optimal", "name": "optimal-plan", "interval": "1h", "scaling": "plan"},
            {"kind": "static"}, {"kind": "greedy"}, {"kind": "hpa"}]
        sim["provisioning"] = {"cloud": "4m", "onprem": "2m", "edge": "30s"}
        if not unlimited:
            sim["events"] = [
                *sim["events"],
                {"kind": "availability", "site": "edge/chi", "offering": "orin",
                 "points": [{"at": "6h", "available": 2}, {"at": "9h", "available": 0},
                            {"at": "13h", "available": 6}]},
                {"kind": "price_change", "site": "gcp/us-central1", "at": "20h", "factor": 1.4},
                {"kind": "outage", "site": "onprem/dal", "start": "30h", "end": "31h"},
            ]
        path = folder / "sim.yaml"
        path.write_text(yaml.safe_dump(sim))
        cases[name] = path
    return cases


def source_of(ref: str, into: Path) -> Path:
    """The ``src`` folder of git ``ref``, unpacked into ``into``."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def simulate(src: Path, path: Path, out: Path) -> tuple[float, float]:
    """Run one case with the tierplan in ``src``; (wall, CPU) seconds of the process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    started, before = time.perf_counter(), os.times()
    done = subprocess.run([sys.executable, "-m", "tierplan", "simulate", str(path), "-o", str(out)],
                          env=env, capture_output=True, text=True)
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{path} with {src}: exit {done.returncode}\n{done.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - started, cpu


def _untimed(text: str) -> str:
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in TIMING_FIELDS}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(json.loads(text)), indent=2)


def differences(a: Path, b: Path) -> list[str]:
    """What differs between two output folders (empty: the same)."""
    out = []
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    for name in names:
        if name in TIMING_FILES:
            continue
        pa, pb = a / name, b / name
        if not pa.exists() or not pb.exists():
            out.append(f"{name}: only in {'after' if not pa.exists() else 'before'}")
            continue
        da, db = pa.read_bytes(), pb.read_bytes()
        if name == "summary.json":
            da, db = _untimed(da.decode()).encode(), _untimed(db.decode()).encode()
        if da == db:
            continue
        la, lb = da.decode(errors="replace").splitlines(), db.decode(errors="replace").splitlines()
        pairs = enumerate(zip(la, lb, strict=False))
        first = next((i for i, (x, y) in pairs if x != y), min(len(la), len(lb)))
        line_a = la[first] if first < len(la) else "(end)"
        line_b = lb[first] if first < len(lb) else "(end)"
        out.append(f"{name}: line {first + 1}\n    before: {line_a[:200]}\n    after:  {line_b[:200]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", default="main", help="git ref to compare with (default: main)")
    parser.add_argument("--days", type=float, default=1, help="days of the benchmark cases")
    parser.add_argument("--cases", default=None, help="only these cases (comma-separated)")
    parser.add_argument("--keep", default=None, help="write the outputs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        before_src = source_of(args.ref, work / "ref")
        after_src = ROOT / "src"
        cases = {name: ROOT / "examples" / "simulations" / f"{name}.yaml" for name in EXAMPLES}
        cases.update(bench_cases(work / "cases", args.days))
        if args.cases:
            wanted = args.cases.split(",")
            cases = {k: v for k, v in cases.items() if k in wanted}
        failed = 0
        print(f"{'case':<20} {'before s':>9} {'cpu':>7} {'after s':>9} {'cpu':>7}  verdict")
        for name, path in cases.items():
            wall_a, cpu_a = simulate(before_src, path, work / "out" / name / "before")
            wall_b, cpu_b = simulate(after_src, path, work / "out" / name / "after")
            diff = differences(work / "out" / name / "before", work / "out" / name / "after")
            failed += bool(diff)
            print(f"{name:<20} {wall_a:9.1f} {cpu_a:7.1f} {wall_b:9.1f} {cpu_b:7.1f}  "
                  f"{'identical' if not diff else 'DIFFERENT'}", flush=True)
            for line in diff:
                print("  " + line)
        print(f"{len(cases) - failed} of {len(cases)} cases identical to {args.ref}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
