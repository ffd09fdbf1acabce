"""How long loading the price catalog takes, measured in fresh processes.

    python bench/bench_catalog.py [--repeat 5]

Prints, for each case, the median over fresh ``python`` processes of: the process wall
time (interpreter start and every import included), its CPU time (user + system; steadier
than wall time when other jobs share the cores), the imports alone, and the work:

- ``bundled+filter``: import tierplan's catalog module, parse the whole bundled snapshot,
  filter it to one scenario's providers/regions/accelerators (the csv module, no pandas);
- ``load_scenario``: ``tierplan.load_scenario(examples/catalog-bundled.yaml)``, i.e. what
  ``tierplan plan`` pays before solving (schema, catalog, amortisation);
- ``pandas read_csv``: the same snapshot read with pandas, to show why the catalog does
  not use it (importing pandas alone costs more than the whole csv path);
- ``skypilot import``: the shared SkyPilot v8 subset (if ../shared/data is present);
- ``20x file+filter``: a catalog file 20 times the bundled snapshot (every row repeated
  with a distinct instance-type suffix), read and filtered: headroom for a large
  SkyPilot or refreshed catalog;
- ``catalog diff``: the bundled snapshot against that large file (added rows, no moves).

The requirement is under 1 s for ``bundled+filter`` and ``load_scenario``. The figures
are printed and written to a results JSON (``--json``, default out/bench_catalog.json).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT.parent / "shared" / "data" / "catalogs" / "skypilot-v8-subset"
LARGE = ROOT / "out" / "bench_catalog_20x.csv"

CASES = {
    "bundled+filter": """
import json, time; t0 = time.perf_counter()
from tierplan.providers.catalog import bundled_catalog, filter_rows
t1 = time.perf_counter()
rows = bundled_catalog()
kept = filter_rows(rows, providers=["aws", "gcp", "azure"],
                   regions=["us-east-1", "europe-west4", "eastus"],
                   accelerators=["L4", "A100", "H100", "cpu"])
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, f"{len(rows)} rows parsed, {len(kept)} kept"]))
""",
    "load_scenario": """
import json, time; t0 = time.perf_counter()
from tierplan import load_scenario
t1 = time.perf_counter()
sc = load_scenario(SCENARIO)
t2 = time.perf_counter()
n_offerings = sum(len(s.offerings) for s in sc.sites)
print(json.dumps([t1 - t0, t2 - t1, f"{len(sc.sites)} sites, {n_offerings} offerings"]))
""",
    "pandas read_csv": """
import json, time; t0 = time.perf_counter()
import pandas as pd
from importlib import resources
t1 = time.perf_counter()
df = pd.read_csv(resources.files("tierplan.providers").joinpath("data", "catalog.csv"))
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, f"{len(df)} rows parsed"]))
""",
    "skypilot import": """
import json, time; t0 = time.perf_counter()
from tierplan.providers.skypilot import import_skypilot
t1 = time.perf_counter()
r = import_skypilot(FIXTURE)
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, f"{len(r.rows)} rows, {len(r.unknown_regions)} unknown regions"]))
""",
    "20x file+filter": """
import json, time; t0 = time.perf_counter()
from tierplan.providers.catalog import filter_rows, read_catalog
t1 = time.perf_counter()
rows = read_catalog(LARGE)
kept = filter_rows(rows, providers=["aws", "gcp", "azure"], accelerators=["H100", "H200", "cpu"])
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, f"{len(rows)} rows parsed, {len(kept)} kept"]))
""",
    "catalog diff": """
import json, time; t0 = time.perf_counter()
from tierplan.providers.catalog import bundled_catalog, read_catalog
from tierplan.providers.catalog_diff import diff_catalogs
t1 = time.perf_counter()
d = diff_catalogs(bundled_catalog(), read_catalog(LARGE))
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, f"{len(d.changes)} changes, {d.unchanged} unchanged"]))
""",
}
LARGE_FACTOR = 20


def write_large(path: Path) -> int:
    """The bundled snapshot repeated LARGE_FACTOR times (distinct instance types) as a file."""
    sys.path.insert(0, str(ROOT / "src"))
    from dataclasses import replace

    from tierplan.providers.catalog import bundled_catalog, write_catalog

    rows = [replace(r, instance_type=f"{r.instance_type}~{i}" if i else r.instance_type)
            for i in range(LARGE_FACTOR) for r in bundled_catalog()]
    write_catalog(path, rows)
    return len(rows)


def measure(code: str, repeat: int) -> tuple[float, float, float, float, str]:
    """Medians over ``repeat`` fresh processes: wall time, CPU time (user + system, less
    sensitive to other load on the machine), import time and work time."""
    walls, cpus, imports, works, detail = [], [], [], [], ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        scenario = ROOT / "examples" / "catalog-bundled.yaml"
        prelude = f"SCENARIO = {str(scenario)!r}; FIXTURE = {str(FIXTURE)!r}; LARGE = {str(LARGE)!r}\n"
        out = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True,
                             check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        imported, worked, detail = json.loads(out.stdout)
        imports.append(imported)
        works.append(worked)
    return (statistics.median(walls), statistics.median(cpus), statistics.median(imports),
            statistics.median(works), detail)


def main() -> None:
    parser = argparse.ArgumentParser(description="Catalog load time in fresh processes.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=ROOT / "out" / "bench_catalog.json",
                        help="Where to write the results (default: out/bench_catalog.json).")
    args = parser.parse_args()
    LARGE.parent.mkdir(parents=True, exist_ok=True)
    large_rows = write_large(LARGE)
    results: dict[str, dict[str, object]] = {}
    print(f"{'case':18} {'process s':>10} {'cpu s':>8} {'imports s':>10} {'work s':>8}  detail")
    for name, code in CASES.items():
        if name == "skypilot import" and not FIXTURE.is_dir():
            print(f"{name:18} skipped: no ../shared/data")
            continue
        wall, cpu, imported, worked, detail = measure(code, args.repeat)
        print(f"{name:18} {wall:10.3f} {cpu:8.3f} {imported:10.3f} {worked:8.3f}  {detail}")
        results[name] = {"process_s": round(wall, 4), "cpu_s": round(cpu, 4), "imports_s": round(imported, 4),
                         "work_s": round(worked, 4), "detail": detail}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"repeat": args.repeat, "large_rows": large_rows, "cases": results,
                                     "python": sys.version.split()[0]}, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
