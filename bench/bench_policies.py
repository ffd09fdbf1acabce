"""Does ``optimal`` (planner + fast loop) beat ``hpa`` on real and unseen traces?

    python bench/bench_policies.py [--out bench-policies.json] [--cases a,b,...]

Each case is one simulation run with three policies on the same demand: ``hpa`` (the
static plan's placement and traffic shares, Kubernetes HPA arithmetic per key every
step), ``optimal`` (the default, ``scaling: track``: hourly plan, sizing every step) and
``optimal`` with ``scaling: plan`` (the plan's counts held for the hour). Printed: cost,
SLO attainment and the verdict (``dominates``: no more cost at no worse attainment).

Traces come from the shared data folder next to the checkout (``../shared/data``);
cases whose data is missing are skipped. This prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tierplan.simulations import load_simulation, run_simulation

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
AZURE = DATA / "traces" / "azure_llm_2023" / "AzureLLMInferenceTrace_conv.csv"
EXAMPLES = ROOT / "examples"
POLICIES = [{"kind": "hpa"}, {"kind": "optimal", "interval": "1h"},
            {"kind": "optimal", "name": "optimal-plan", "interval": "1h", "scaling": "plan"}]


def _per_minute(out: Path, scale: float) -> Path:
    """The Azure conversation trace as per-minute request rates (a rates file)."""
    import pandas as pd

    stamps = pd.to_datetime(pd.read_csv(AZURE, usecols=["TIMESTAMP"])["TIMESTAMP"])
    minutes = ((stamps - stamps.min()).dt.total_seconds() // 60).astype(int)
    counts = minutes.value_counts().sort_index()
    frame = pd.DataFrame({"t": counts.index * 60, "rps": counts.to_numpy() * scale / 60})
    path = out / f"azure-per-minute-x{scale:g}.csv"
    frame.to_csv(path, index=False)
    return path


def _edge_cloud(**changes: Any) -> dict[str, Any]:
    path = EXAMPLES / "simulations" / "llm-edge-cloud.scenario.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    data.update(changes)
    return data


def _onprem_cloud() -> dict[str, Any]:
    data = _edge_cloud()
    data["sites"] = [s for s in data["sites"] if s["tier"] != "edge"] + [{
        "name": "onprem/chi-dc", "tier": "onprem", "location": {"lat": 41.85, "lon": -87.65},
        "jurisdiction": "US", "offerings": [{"name": "l4-box", "accelerator": "L4", "accelerator_count": 1,
                                             "usd_per_hour": 0.25, "available": 4}]}]
    return data


Build = Callable[[], tuple[dict[str, Any], Any]]


def cases(tmp: Path) -> dict[str, Build]:
    """name -> () -> (simulation mapping, scenario mapping or path)."""
    multicloud = EXAMPLES / "multicloud-llm.yaml"

    def azure_requests() -> tuple[dict[str, Any], Any]:
        sim = {"duration": "3h", "step": "15s", "provisioning": {"cloud": "3m", "edge": "20s"},
               "demand": [{"workload": "chat", "trace": {"path": str(AZURE)}}]}
        return sim, _edge_cloud()

    def azure_minutes(scale: float, scen: Callable[[], dict[str, Any]]) -> Build:
        def build() -> tuple[dict[str, Any], Any]:
            trace = {"path": str(_per_minute(tmp, scale)), "format": "rates", "time_column": "t"}
            boot = {"cloud": "3m", "onprem": "1m", "edge": "20s"}
            sim = {"duration": "1d", "step": "60s", "provisioning": boot,
                   "demand": [{"workload": "chat", "trace": trace}]}
            return sim, scen()
        return build

    def outage() -> tuple[dict[str, Any], Any]:
        sim = yaml.safe_load((EXAMPLES / "simulations" / "region-outage.yaml").read_text())
        for key in ("name", "scenario", "policies"):
            sim.pop(key)
        return sim, multicloud

    def spikes() -> tuple[dict[str, Any], Any]:
        sim = {"duration": "2d", "step": "60s", "seed": 3, "provisioning": {"cloud": "4m", "edge": "10s"},
               "demand": [
                   {"workload": "chat-us", "pattern": {"kind": "spikes", "base_rps": 20, "spike_rps": 25,
                                                       "per_day": 6, "duration": "30m", "noise": 0.1}},
                   {"workload": "chat-eu", "pattern": {"kind": "diurnal", "mean_rps": 12, "amplitude": 0.6,
                                                       "peak_hour": 9, "noise": 0.1}}]}
        return sim, multicloud

    def edge_shrinks() -> tuple[dict[str, Any], Any]:
        sim, scen = azure_minutes(10, _edge_cloud)()
        sim["events"] = [{"kind": "availability", "site": "edge/store-chicago", "offering": "orin",
                          "points": [{"at": 0, "available": 3}, {"at": "6h", "available": 1},
                                     {"at": "14h", "available": 0}, {"at": "20h", "available": 3}]}]
        return sim, scen

    out: dict[str, Callable[[], tuple[dict[str, Any], Any]]] = {
        "region-outage (diurnal, cloud only)": outage,
        "spikes + diurnal, 2 days (multicloud)": spikes,
    }
    if AZURE.exists():
        out["azure requests, 15 s steps (edge + cloud)"] = azure_requests
        out["azure per-minute x10, 1 day (edge + cloud)"] = azure_minutes(10, _edge_cloud)
        out["azure per-minute x30, 1 day (on-prem + cloud)"] = azure_minutes(30, _onprem_cloud)
        out["azure per-minute x10, edge pool shrinks (availability)"] = edge_shrinks
    return out


def run_case(tmp: Path, name: str, build: Callable[[], tuple[dict[str, Any], Any]]) -> dict[str, Any]:
    sim, scen = build()
    folder = tmp / str(abs(hash(name)))
    folder.mkdir()
    if isinstance(scen, Path):
        scenario = str(scen)
    else:
        scenario = "scenario.yaml"
        (folder / scenario).write_text(yaml.safe_dump(scen))
    (folder / "sim.yaml").write_text(yaml.safe_dump({"name": "bench", "scenario": scenario, **sim,
                                                      "policies": POLICIES}))
    started = time.perf_counter()
    result = run_simulation(load_simulation(folder / "sim.yaml"))
    rows: dict[str, Any] = {
        p.policy: {"cost_usd": round(p.total_cost_usd, 2), "slo_pct": round(p.slo_attainment_pct, 3),
                   "edge_or_owned_usd": round(sum(v for k, v in p.cost_by_tier.items() if k != "cloud"), 2)}
        for p in result.policies}
    hpa, opt = rows["hpa"], rows["optimal"]
    rows["verdict"] = ("dominates" if opt["cost_usd"] <= hpa["cost_usd"] and opt["slo_pct"] >= hpa["slo_pct"]
                       else "does not dominate")
    rows["saving_pct"] = round(100 * (1 - opt["cost_usd"] / hpa["cost_usd"]), 1) if hpa["cost_usd"] else 0.0
    rows["seconds"] = round(time.perf_counter() - started, 1)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="bench-policies.json")
    parser.add_argument("--cases", default="", help="comma-separated substrings of case names")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in cases(Path(tmp)).items():
            if args.cases and not any(c in name for c in args.cases.split(",")):
                continue
            rows = results[name] = run_case(Path(tmp), name, build)
            print(f"{name}")
            for policy in ("hpa", "optimal", "optimal-plan"):
                r = rows[policy]
                print(f"  {policy:13s} ${r['cost_usd']:>10,.2f}  {r['slo_pct']:8.3f} %  "
                      f"(edge/on-prem ${r['edge_or_owned_usd']:,.2f})")
            print(f"  -> optimal {rows['verdict']} hpa, {rows['saving_pct']} % cheaper ({rows['seconds']} s)")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
