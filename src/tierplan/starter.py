"""The commented starter scenario that `tierplan init` writes.

One inference service (and a training job when cloud or on-prem hardware can run it)
over the tiers and clouds asked for: cloud sites from the bundled price catalog, an
on-prem server priced by amortisation, a store with edge boxes. The text is built here
rather than kept as a file so that each combination of tiers and clouds is a complete,
valid scenario that plans as written (tests plan every combination).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CLOUDS", "TIERS", "starter_scenario"]

TIERS = ("cloud", "onprem", "edge")
# provider -> a region of the bundled catalog near the example's users (US east coast)
CLOUDS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}


def starter_scenario(tiers: Sequence[str], clouds: Sequence[str], name: str = "my-scenario") -> str:
    """YAML text of a starter scenario; ``tiers`` from TIERS, ``clouds`` from CLOUDS."""
    unknown = [t for t in tiers if t not in TIERS] + [c for c in clouds if c not in CLOUDS]
    if unknown or not tiers:
        raise ValueError(f"unknown tiers or clouds: {unknown}" if unknown else "no tier")
    cloud = "cloud" in tiers and bool(clouds)
    onprem, edge = "onprem" in tiers, "edge" in tiers
    parts = [_HEADER.format(name=name, tiers=", ".join(tiers),
                            clouds=", ".join(clouds) if cloud else "none")]
    if cloud:
        regions = ", ".join(CLOUDS[c] for c in clouds)
        parts.append(_CATALOG.format(providers=", ".join(clouds), regions=regions))
    parts.append(_NETWORK)
    if onprem or edge:
        parts.append("\nsites:\n")
        if onprem:
            parts.append(_ONPREM)
        if edge:
            parts.append(_EDGE)
    else:
        parts.append(_NO_SITES)
    train = cloud or onprem  # a training job needs more than a store's boxes
    parts.append(_CLIENTS_HEAD + (_USERS if train else "") + (_STORE if edge else ""))
    if train:
        parts.append(_DATASETS.format(site="onprem/dc-1" if onprem else f"{clouds[0]}/{CLOUDS[clouds[0]]}"))
    parts.append("\nworkloads:\n")
    if train:
        parts.append(_TRAINING)
    kinds = ((cloud, _CLOUD_ACCELERATORS), (onprem, _ONPREM_ACCELERATORS), (edge, _EDGE_ACCELERATORS))
    demand = ", ".join(d for on, d in ((train, "users: 20"), (edge, "store-1: 6")) if on)
    parts.append(_INFERENCE.format(accelerators="".join(text for on, text in kinds if on),
                                   demand="{" + demand + "}"))
    parts.append(_BUDGETS.format(edge=_EDGE_BUDGET if edge else ""))
    return "".join(parts)


_HEADER = """\
# A starter scenario written by `tierplan init` (tiers: {tiers}; clouds: {clouds}).
# It validates and plans as written; change it to describe your own sites and workloads.
#   tierplan validate FILE       check it
#   tierplan plan FILE           the cheapest plan and what it costs
# Every field: the scenario field reference in the documentation (docs/reference/scenario.md);
# `tierplan schema scenario -o scenario.schema.json` and a first line
# `# yaml-language-server: $schema=scenario.schema.json` let editors complete fields.
# Units: USD, hours (or 90s, 15m, 2h, 7d, 13w, 3mo), ms round trip, GB, rps.
name: {name}
horizon_hours: 730          # costs are summed over this horizon (730 h = a month)
objective: cost             # cost (cheapest, then fastest) | latency (fastest, then cheapest)
"""

_CATALOG = """
# Cloud sites from the price snapshot bundled with tierplan: one site per region, named
# <provider>/<region>, with its list prices. Add regions, or write sites inline below
# (an inline site with a catalog site's name replaces it, e.g. to add a quota).
catalog:
  source: bundled
  providers: [{providers}]
  regions: [{regions}]
"""

_NETWORK = """
# Round trip client -> site: base_ms + ms_per_km x great-circle km, unless measured.
network:
  base_ms: 5
  ms_per_km: 0.02
"""

_NO_SITES = """
sites: []                   # inline sites: `tierplan init --tiers cloud,onprem,edge` shows both kinds
"""

_ONPREM = """\
  # An owned server: its hourly price spreads purchase, power and operations over its life.
  - name: onprem/dc-1
    tier: onprem
    location: {lat: 40.74, lon: -74.17}   # Newark
    jurisdiction: US
    offerings:
      - name: gpu-server
        accelerator: A100
        accelerator_count: 8
        available: 2                      # servers owned: at most 2 at once
        amortized:
          purchase_usd: 200000
          lifetime_years: 4
          power_kw: 6.5
          electricity_usd_per_kwh: 0.15
          pue: 1.4
          ops_usd_per_year: 12000
"""

_EDGE = """\
  # Boxes in a store, next to the people they serve; edge sites have no spot market.
  - name: edge/store-1
    tier: edge
    location: {lat: 40.71, lon: -74.01}   # New York
    jurisdiction: US
    bandwidth_gbps: 0.5                   # uplink, for moving data
    offerings:
      - name: orin
        accelerator: Jetson-AGX-Orin
        accelerator_count: 1
        usd_per_hour: 0.09                # amortised: a $2,000 box over 3 years + power
        available: 2                      # boxes in the store
"""

_CLIENTS_HEAD = """
# Where inference requests come from.
clients:
"""
_USERS = "  - {name: users, location: {lat: 40.71, lon: -74.01}, jurisdiction: US}\n"
_STORE = "  - {name: store-1, location: {lat: 40.71, lon: -74.01}, jurisdiction: US}\n"

_DATASETS = """
# Data the training job reads; it is moved to where the job runs (billed as egress).
datasets:
  - {{name: training-data, size_gb: 200, site: {site}}}
"""

_TRAINING = """\
  # Runs once within the horizon (and its deadline), on one offering.
  - name: fine-tune
    kind: training
    team: ml
    accelerators: {A100: 1.0}   # relative speeds: an accelerator of speed 1.0 does 1 work hour per hour
    work_hours: 64              # in hours of a speed-1.0 accelerator (here: A100-hours)
    max_nodes: 2
    deadline_hours: 3d
    datasets: [training-data]
    spot: true                  # may run on spot (cloud), losing spot_overhead to preemptions
"""

_INFERENCE = """\
  # Runs all horizon long; every client's requests are served within the SLO.
  - name: chat
    kind: inference
    team: ml
    accelerators:               # per accelerator: rps one sustains, and its service latency
{accelerators}    demand_rps: {demand}
    latency_slo_ms: 100         # round trip + service latency
    max_utilization: 0.8        # plan for 80 % of each instance's rps
    payload_kb: 4               # response size, billed at the serving site's egress price
"""

_CLOUD_ACCELERATORS = """\
      L4: {rps: 12, latency_ms: 40}
      T4: {rps: 5, latency_ms: 60}
      A10G: {rps: 9, latency_ms: 45}
      A10: {rps: 9, latency_ms: 45}
"""
_ONPREM_ACCELERATORS = """\
      A100: {rps: 30, latency_ms: 25}
"""
_EDGE_ACCELERATORS = """\
      Jetson-AGX-Orin: {rps: 4, latency_ms: 60}
"""

_BUDGETS = """
# Caps on the cost of what matches each filter (team, tier, provider, kind), over the horizon.
budgets:
  - {{name: total, limit_usd: 50000}}
  - {{name: ml-team, team: ml, limit_usd: 40000}}
{edge}"""

_EDGE_BUDGET = "  - {name: edge, tier: edge, limit_usd: 500}\n"
