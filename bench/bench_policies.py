"""Does ``optimal`` (planner + fast loop) beat ``hpa`` on real and unseen traces?

    python bench/bench_policies.py [--out bench-policies.json] [--cases a,b,...]
                                   [--unseen DIR] [--markdown]

Each case is one simulation run with three policies on the same demand: ``hpa`` (the
static plan's placement and traffic shares, Kubernetes HPA arithmetic per key every
step), ``optimal`` (the default, ``scaling: track``: hourly plan, sizing every step) and
``optimal`` with ``scaling: plan`` (the plan's counts held for the hour). Printed: cost,
SLO attainment and the verdict (``dominates``: no more cost at no worse attainment and
no more missed deadlines; ``strictly``: also cheaper, which the goal asks for whenever
edge or owned capacity is in reach).

Cases are traces x scales x site mixes (``cloud``: two clouds; ``edge``: plus two stores
of Jetson boxes; ``onprem``: the clouds plus four owned L4 boxes), plus the repository's
example simulations. They come in two groups:

- ``tuned``: the traces the policy's defaults were chosen on (the repository's examples,
  the Azure conversation trace of ``../shared/data``, synthetic patterns);
- ``held_out``: traces never looked at while choosing them, reported separately: the
  Azure *code* trace (github.com/Azure/AzurePublicDataset, CC-BY-4.0), Alibaba's GenAI
  gateway QPS and LoRA request traces (github.com/alibaba/clusterdata,
  cluster-trace-v2026-GenAI), and the spot series of ``../shared/data/spot`` (live GCP
  preemptible instances from the 2020 preemption log as a spot pool's availability; AWS
  spot prices driving the training example's spot nodes). The first three are read from
  ``--unseen DIR`` (files ``AzureLLMInferenceTrace_code.csv``, ``qps.csv``,
  ``lora_request_trace.csv`` as published); cases whose data is missing are skipped.

This prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tierplan.simulations import load_simulation, run_simulation
from tierplan.simulations.world import build_world

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
AZURE = DATA / "traces" / "azure_llm_2023" / "AzureLLMInferenceTrace_conv.csv"
SPOT = DATA / "spot" / "aws_gpu_2020"
EXAMPLES = ROOT / "examples"
POLICIES = [{"kind": "hpa"}, {"kind": "optimal", "interval": "1h"},
            {"kind": "optimal", "name": "optimal-plan", "interval": "1h", "scaling": "plan"}]
BOOT = {"cloud": "3m", "onprem": "1m", "edge": "20s"}


def _scenario(mix: str) -> dict[str, Any]:
    """The example's edge + cloud chat scenario with the sites of ``mix``."""
    path = EXAMPLES / "simulations" / "llm-edge-cloud.scenario.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    if mix == "edge":
        return data
    data["sites"] = [s for s in data["sites"] if s["tier"] == "cloud"]
    if mix == "onprem":
        data["sites"].append({
            "name": "onprem/chi-dc", "tier": "onprem", "location": {"lat": 41.85, "lon": -87.65},
            "jurisdiction": "US",
            "offerings": [{"name": "l4-box", "accelerator": "L4", "accelerator_count": 1,
                           "usd_per_hour": 0.25, "available": 4}]})
    elif mix == "spot":
        # A spot pool of L4s at the spot price, as many as the log shows alive.
        data["sites"].append({
            "name": "gcp/us-west1", "tier": "cloud", "provider": "gcp", "region": "us-west1",
            "location": {"lat": 45.6, "lon": -121.2}, "jurisdiction": "US", "egress_usd_per_gb": 0.12,
            "offerings": [{"name": "g2-spot", "accelerator": "L4", "accelerator_count": 1,
                           "usd_per_hour": 0.2827, "available": 8}]})
    elif mix != "cloud":
        raise ValueError(mix)
    return data


def _gcp_preemptible_pool(out: Path, per_instance: int) -> Path:
    """Live instances over time in the GCP preemptible log of 2020-03-01 (created ->
    not running / deleted), times ``per_instance``: a spot pool's availability."""
    log = SPOT / "preemption_logs_2020" / "gcp_persistent_2020-03-01.out"
    line = re.compile(r"\[(?P<t>[^\]]+)\] (?P<what>Created instance|Instance) (?P<id>\S+) ?(?P<rest>.*)")
    changes: list[tuple[datetime, int]] = []
    alive: set[str] = set()
    for raw in log.read_text().splitlines():
        m = line.match(raw)
        if not m:
            continue
        when = datetime.fromisoformat(m["t"].replace("Z", "+00:00"))
        if m["what"] == "Created instance" and m["id"] not in alive:
            alive.add(m["id"])
        elif "not running" in m["rest"] and m["id"] in alive:
            alive.discard(m["id"])
        else:
            continue
        changes.append((when, len(alive)))
    start = changes[0][0]
    rows = ["time,available"] + [f"{(t - start).total_seconds():.0f},{n * per_instance}" for t, n in changes]
    path = out / "gcp-preemptible-pool.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], tuple[dict[str, Any], Any]]  # tmp -> (simulation, scenario mapping or path)
    held_out: bool = False
    needs: tuple[Path, ...] = field(default=())


def _trace_case(name: str, demand: Callable[[Path], dict[str, Any]], mix: str, *, duration: str = "1d",
                step: str = "60s", held_out: bool = False, needs: tuple[Path, ...] = (),
                events: Callable[[Path], list[dict[str, Any]]] | None = None) -> Case:
    def build(tmp: Path) -> tuple[dict[str, Any], Any]:
        sim = {"duration": duration, "step": step, "provisioning": BOOT,
               "demand": [{"workload": "chat", "trace": demand(tmp)}]}
        if events is not None:
            sim["events"] = events(tmp)
        return sim, _scenario(mix)
    return Case(name, build, held_out, needs)


def _example(file: str, scenario: Any = None, **changes: Any) -> Callable[[Path], tuple[dict[str, Any], Any]]:
    def build(tmp: Path) -> tuple[dict[str, Any], Any]:
        path = EXAMPLES / "simulations" / file
        sim = yaml.safe_load(path.read_text())
        scen = scenario if scenario is not None else (path.parent / sim["scenario"]).resolve()
        for key in ("name", "scenario", "policies"):
            sim.pop(key)
        for entry in sim.get("demand", []):
            if "trace" in entry:
                entry["trace"]["path"] = str((path.parent / entry["trace"]["path"]).resolve())
        sim.update(changes)
        return sim, scen
    return build


def _unlimited_p4d() -> dict[str, Any]:
    """The training example's scenario without the quota of 4 p4d nodes."""
    path = EXAMPLES / "simulations" / "training-queue.scenario.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    for site in data["sites"]:
        for o in site["offerings"]:
            if o["name"] == "p4d.24xlarge":
                o.pop("available")
    return data


def _shared_world(_: Path) -> tuple[dict[str, Any], Any]:
    """bench_simulate.py's world for a day: 10 endpoints of 3 clients each, diurnal with
    noise, sharing 12 on-prem A100s and two edge sites of 6 Orins with three clouds."""
    from bench_simulate import scenario, simulation

    sim = simulation(1, "60s", 10, "1h", [], 0)
    for key in ("name", "scenario", "policies"):
        sim.pop(key)
    return sim, scenario(10)


def cases(unseen: Path | None) -> list[Case]:
    conv15 = EXAMPLES / "data" / "azure-llm-conversation-15s.csv"

    def conv(scale: float) -> Callable[[Path], dict[str, Any]]:
        return lambda _: {"path": str(conv15), "format": "rates", "time_column": "seconds",
                          "value_column": "rps", "scale": scale}

    def requests(path: Path, column: str, scale: float) -> Callable[[Path], dict[str, Any]]:
        return lambda _: {"path": str(path), "format": "requests", "time_column": column, "scale": scale}

    out = [
        Case("example azure-conversation (15 s, edge + cloud)", _example("azure-conversation.yaml")),
        Case("example region-outage (diurnal, multicloud)", _example("region-outage.yaml")),
        Case("example training-queue (training, spot)", _example("training-queue.yaml")),
        Case("training-queue, an evaluation every hour (the owned DGX busy, p4d without quota)", _example(
            "training-queue.yaml", _unlimited_p4d(),
            training=[{"workload": "nightly-retrain", "every": "12h", "start": "1h"},
                      {"workload": "eval-suite", "every": "1h", "start": "30m"}])),
        Case("spikes + diurnal, 2 days (multicloud)", lambda _: ({
            "duration": "2d", "step": "60s", "seed": 3, "provisioning": {"cloud": "4m", "edge": "10s"},
            "demand": [
                {"workload": "chat-us", "pattern": {"kind": "spikes", "base_rps": 20, "spike_rps": 25,
                                                    "per_day": 6, "duration": "30m", "noise": 0.1}},
                {"workload": "chat-eu", "pattern": {"kind": "diurnal", "mean_rps": 12, "amplitude": 0.6,
                                                    "peak_hour": 9, "noise": 0.1}}]},
            EXAMPLES / "multicloud-llm.yaml")),
        Case("bench_simulate's world, 1 day (10 endpoints share on-prem and edge)", _shared_world),
        _trace_case("azure conv requests x1 (15 s, edge)", requests(AZURE, "TIMESTAMP", 1), "edge",
                    duration="3h", step="15s", needs=(AZURE,)),
    ]
    for scale in (1, 10, 30):
        for mix in ("cloud", "edge", "onprem"):
            out.append(_trace_case(f"azure conv x{scale} (1 min, {mix})", conv(scale), mix))
    out.append(_trace_case(
        "azure conv x10, edge pool 3-1-0-3 (1 min, edge)", conv(10), "edge",
        events=lambda _: [{"kind": "availability", "site": "edge/store-chicago", "offering": "orin",
                           "points": [{"at": 0, "available": 3}, {"at": "6h", "available": 1},
                                      {"at": "14h", "available": 0}, {"at": "20h", "available": 3}]}]))
    # Held out: never looked at while choosing the defaults.
    pool = SPOT / "preemption_logs_2020" / "gcp_persistent_2020-03-01.out"
    out.append(_trace_case(
        "spot pool = GCP preemptible log, azure conv x10 (1 min)", conv(10), "spot", duration="2d",
        held_out=True, needs=(pool,),
        events=lambda tmp: [{"kind": "availability", "site": "gcp/us-west1", "offering": "g2-spot",
                             "path": str(_gcp_preemptible_pool(tmp, 4)), "time_column": "time",
                             "column": "available"}]))
    prices = SPOT / "aws_gpu_spot_price_history.csv"
    out.append(Case("training-queue, AWS spot price series (p3.16xlarge, us-west-2)", _example(
        "training-queue.yaml", events=[
            {"kind": "spot_series", "site": "aws/eu-central-1", "offering": "p4d.24xlarge",
             "path": str(prices), "instance_type": "p3.16xlarge", "region": "us-west-2",
             "bid_usd_per_hour": 14.2, "scale": 0.6}]),
        held_out=True, needs=(prices,)))
    if unseen is not None:
        code = unseen / "AzureLLMInferenceTrace_code.csv"
        for scale in (10, 30):
            for mix in ("cloud", "edge", "onprem"):
                out.append(_trace_case(f"azure code x{scale} (1 min, {mix})",
                                       requests(code, "TIMESTAMP", scale), mix, held_out=True, needs=(code,)))
        out.append(_trace_case("azure code x1 (15 s, edge)", requests(code, "TIMESTAMP", 1), "edge",
                               duration="3h", step="15s", held_out=True, needs=(code,)))
        qps = unseen / "qps.csv"
        for scale in (10, 40):
            for mix in ("cloud", "edge", "onprem"):
                out.append(_trace_case(
                    f"alibaba genai qps x{scale} (1 min, {mix})",
                    lambda _, s=scale: {"path": str(qps), "format": "rates", "time_column": "timestamp_anon",
                                        "value_column": "value", "aggregate": "sum", "scale": s,
                                        "filter": {"request_type": "Generative Requests"}},
                    mix, duration="22h", held_out=True, needs=(qps,)))
        lora = unseen / "lora_request_trace.csv"
        for scale in (300, 1000):
            for mix in ("edge", "onprem"):
                out.append(_trace_case(f"alibaba lora requests x{scale} (5 min, {mix})",
                                       requests(lora, "gmt_create", scale), mix, duration="7d", step="5m",
                                       held_out=True, needs=(lora,)))
    return out


def free_units(sim: Any, hpa: Any) -> dict[str, Any] | None:
    """For one inference workload: at how many steps of ``hpa``'s run its free edge and
    owned units (limited offerings it does not hold) serve, at all, what one of the paid
    instances it runs is sized to carry. Only then can such units take an instance's
    place without less capacity than its planning capacity (two 0.6 rps boxes for a
    1.2 rps L4, not one)."""
    world = build_world(sim)
    if len(world.inference) != 1 or world.jobs:
        return None
    rows = hpa.rows
    billed = np.zeros((world.steps, len(world.slots)))
    slot_of = {s.key: s.index for s in world.slots}
    for i, key in enumerate(rows.labels):
        if key in slot_of:
            pick = rows.label == i
            billed[rows.step[pick], slot_of[key]] = rows.columns["billed"][pick]
    limited = [s for s in world.slots if world.available[s.offer] is not None]
    paid = [s for s in world.slots if world.available[s.offer] is None]
    if not limited or not paid:
        return None
    free = sum(np.maximum(0.0, world.capacity[:, s.offer] - billed[:, s.index]) * s.cap_rps for s in limited)
    running = billed[:, [s.index for s in paid]] > 0
    sized = np.array([s.plan_cap_rps for s in paid])
    smallest = np.where(running, sized, np.inf).min(axis=1)
    could = (free >= smallest - 1e-9) & np.isfinite(smallest)
    return {"steps": world.steps, "steps_free_units_carry_a_paid_instance": int(could.sum()),
            "free_rps_median": round(float(np.median(free)), 3),
            "paid_instance_sized_rps": round(float(sized.min()), 3)}


def job_floor(sim: Any) -> float | None:
    """Every training job on its cheapest option that meets its deadline, as if nothing
    else ran, at the prices of its arrival, billed as the engine bills (boot and dataset
    move included): no schedule that places each job on one offering pays less, but for
    prices that fall during a job."""
    world = build_world(sim)
    if not world.jobs:
        return None
    total = 0.0
    for arrival in world.jobs:
        w = world.training(arrival.workload)
        step = min(int(arrival.at_s // world.step_s), world.steps - 1)
        best = math.inf
        for opt in world.universe.training(replace(w, deadline_hours=None), (), limit=1e12,
                                           prune=False).options:
            site = world.scenario.sites[opt.site]
            offering = world.universe.offers[opt.offer][1]
            offer = world.offer_ix[site.name, offering.name]
            price = float(world.spot_price[step, offer] if opt.spot else world.price[step, offer])
            if math.isnan(price) or (opt.spot and world.spot_blocked[step, offer]):
                continue
            rate = opt.nodes * offering.units * w.accelerators.get(offering.speed_key, 0.0) * (
                1.0 if opt.nodes == 1 else w.multi_node_efficiency)
            if rate <= 0:
                continue
            # boot and dataset move in whole steps, as the engine counts them
            boot = world.delay_steps[site.tier] + math.ceil(opt.transfer_hours * 3600 / world.step_s - 1e-9)
            hours = boot * world.step_s / 3600 + w.work_hours / rate
            if w.deadline_hours is None or hours <= w.deadline_hours + 1e-9:
                best = min(best, opt.nodes * price * hours + opt.transfer_usd)
        total += best
    return round(total, 2)


def run_case(tmp: Path, index: int, case: Case) -> dict[str, Any]:
    folder = tmp / f"case{index}"
    folder.mkdir()
    sim, scen = case.build(folder)
    if isinstance(scen, Path):
        scenario = str(scen)
    else:
        scenario = "scenario.yaml"
        (folder / scenario).write_text(yaml.safe_dump(scen))
    (folder / "sim.yaml").write_text(yaml.safe_dump({"name": "bench", "scenario": scenario, **sim,
                                                      "policies": POLICIES}))
    started = time.perf_counter()
    sim = load_simulation(folder / "sim.yaml")
    result = run_simulation(sim)
    rows: dict[str, Any] = {
        p.policy: {"cost_usd": round(p.total_cost_usd, 2), "slo_pct": round(p.slo_attainment_pct, 3),
                   "edge_or_owned_usd": round(sum(v for k, v in p.cost_by_tier.items() if k != "cloud"), 2),
                   "missed_deadlines": p.jobs_missed_deadline}
        for p in result.policies}
    hpa, opt = rows["hpa"], rows["optimal"]
    dominates = (opt["cost_usd"] <= hpa["cost_usd"] and opt["slo_pct"] >= hpa["slo_pct"]
                 and opt["missed_deadlines"] <= hpa["missed_deadlines"])
    rows["verdict"] = ("strictly" if dominates and opt["cost_usd"] < hpa["cost_usd"]
                       else "dominates" if dominates else "LOSES")
    rows["held_out"] = case.held_out
    rows["saving_pct"] = round(100 * (1 - opt["cost_usd"] / hpa["cost_usd"]), 2) if hpa["cost_usd"] else 0.0
    rows["seconds"] = round(time.perf_counter() - started, 1)
    hpa_result = next(p for p in result.policies if p.policy == "hpa")
    if (free := free_units(sim, hpa_result)) is not None:
        rows["free_units"] = free
    if (floor := job_floor(sim)) is not None:
        rows["job_floor_usd"] = floor
    return rows


def markdown(results: dict[str, Any]) -> str:
    lines = []
    for held_out in (False, True):
        lines += ["", "held out" if held_out else "tuned on", "",
                  "| case | `hpa` cost | `hpa` in SLO | `optimal` cost | `optimal` in SLO | saving "
                  "| verdict |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
        for name, r in results.items():
            if r["held_out"] != held_out:
                continue
            h, o = r["hpa"], r["optimal"]
            lines.append(f"| {name} | ${h['cost_usd']:,.2f} | {h['slo_pct']:.3f} % | ${o['cost_usd']:,.2f} | "
                         f"{o['slo_pct']:.3f} % | {r['saving_pct']:.2f} % | {r['verdict']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="bench-policies.json")
    parser.add_argument("--cases", default="", help="comma-separated substrings of case names")
    parser.add_argument("--unseen", type=Path, default=None, help="folder of the held-out trace files")
    parser.add_argument("--markdown", action="store_true", help="also print the table in Markdown")
    parser.add_argument("--only", choices=("all", "tuned", "held_out"), default="all",
                        help="run only the tuned or only the held-out cases")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases(args.unseen)):
            if args.cases and not any(c in case.name for c in args.cases.split(",")):
                continue
            if args.only != "all" and case.held_out != (args.only == "held_out"):
                continue
            if not all(p.exists() for p in case.needs):
                print(f"{case.name}: skipped (data missing)")
                continue
            rows = results[case.name] = run_case(Path(tmp), i, case)
            print(f"{case.name}{' [held out]' if case.held_out else ''}")
            for policy in ("hpa", "optimal", "optimal-plan"):
                r = rows[policy]
                missed = f", {r['missed_deadlines']} deadlines missed" if r["missed_deadlines"] else ""
                print(f"  {policy:13s} ${r['cost_usd']:>10,.2f}  {r['slo_pct']:8.3f} %  "
                      f"(edge/on-prem ${r['edge_or_owned_usd']:,.2f}{missed})")
            if "free_units" in rows:
                f = rows["free_units"]
                print(f"  free edge/owned units of hpa's run serve a paid instance's "
                      f"{f['paid_instance_sized_rps']} rps at "
                      f"{f['steps_free_units_carry_a_paid_instance']} of {f['steps']} steps "
                      f"(median {f['free_rps_median']} rps free)")
            if "job_floor_usd" in rows:
                print("  each job alone on its cheapest option that meets its deadline: "
                      f"${rows['job_floor_usd']:,.2f}")
            print(f"  -> {rows['verdict']}, {rows['saving_pct']} % cheaper ({rows['seconds']} s)", flush=True)
    losses = [n for n, r in results.items() if r["verdict"] == "LOSES"]
    summary = {"cases": len(results), "losses": losses,
               "held_out_losses": [n for n in losses if results[n]["held_out"]]}
    Path(args.out).write_text(json.dumps({"summary": summary, "cases": results}, indent=2) + "\n")
    if args.markdown:
        print(markdown(results))
    print(f"{len(results)} cases, optimal loses {len(losses)}: {losses}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
