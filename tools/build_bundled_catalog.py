"""Build src/tierplan/providers/data/catalog.csv, the bundled price snapshot.

Run from the repository root (the AWS spot fixture lives in ../shared/data, which is not
part of the repo):

    python tools/build_bundled_catalog.py [--fixture ../shared/data/catalogs/skypilot-v8-subset]

Where the rows come from (each row's ``source`` column says which, ``as_of`` is the date
the source gives for its prices):

- GCP accelerator-optimized (a2, a3-highgpu, a3-megagpu), g2 (L4), t2d CPU and the n1 host
  VM: tools/catalog_data/gcp_machine_types.csv, extracted by tools/extract_catalog_sources.py
  from the Cloud Billing Catalog roll-up of github.com/Cyclenerd/google-cloud-pricing-cost-
  calculator (whole VM: vCPU + memory + GPUs at the on-demand GPU SKU + bundled local SSD).
  It never uses the DWS / flex-start GPU SKUs, which SkyPilot's GCP catalog mistakes for the
  on-demand rate in some regions.
- GCP n1-standard-4 + 1 T4 / V100: the host above plus the attached GPU's rate from
  SkyPilot's GCP catalog (tools/catalog_sources_gcp.py); GCP a3-ultragpu-8g (H200): the
  transcribed rows in the same file.
- AWS GPU instances on-demand: tools/catalog_data/aws_on_demand.csv (instances.vantage.sh,
  regular regions only). Spot, where a public price exists: the lowest price over the
  regular availability zones of the SkyPilot v8 catalog subset (Local Zones such as
  ``use1-atl2-az1`` and Wavelength zones are left out), plus the zone rows of
  tools/catalog_data/aws_spot_zones.csv for g4dn/g5/g6/g6e, p5en and p6 sizes. The spot half
  of such a row is undated (source says so); as_of is its on-demand price's date.
- AWS m5zn CPU: SkyPilot's AWS catalog (tools/catalog_sources_aws.py).
- Azure: tools/catalog_data/azure_on_demand.csv (Azure Retail Prices API snapshot in
  github.com/Azure/karpenter-provider-azure, pay-as-you-go only). In westeurope, northeurope,
  francecentral and swedencentral the rows of tools/catalog_data/azure_spot.csv (the same API
  as github.com/andy-diericks/azure-pricing-radar recorded it on 2026-08-22, pay-as-you-go and
  Spot, Linux) replace both prices and the date (``azure_spot``); elsewhere Azure rows carry no
  spot price.
- Lambda and Nebius: SkyPilot-format rows in tools/catalog_data/skypilot_v8/<cloud>/vms.csv
  (copied from github.com/skypilot-org/skypilot-catalog catalogs/v8) and, for Nebius, the
  newer rows of tools/catalog_data/nebius_billing/ (the Nebius billing API figures posted in
  skypilot-org/skypilot PR #9829 on 2026-08-28), read by the SkyPilot importer; a newer row
  replaces the older one of the same (region, instance type). See NEOCLOUDS for the dates.
- A row without a spot price whose on-demand price a later dated list in
  tools/catalog_data/check/ repeats exactly takes that later date (``confirm``).
- Location, jurisdiction and internet egress of every row: providers/data/regions.csv (a
  neocloud region missing from it is located by its country, or kept unlocated).

Re-running the script rewrites the CSV deterministically.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from catalog_sources_aws import AWS_SKYPILOT, SKYPILOT_AS_OF, SKYPILOT_SOURCE  # noqa: E402
from catalog_sources_gcp import (  # noqa: E402  # noqa: E402
    GCP_A3_ULTRA,
    GCP_A3_ULTRA_AS_OF,
    GCP_A3_ULTRA_SOURCE,
    GCP_ATTACHED,
    GCP_ATTACHED_SOURCE,
)

from tierplan.providers.base import CatalogRow, Region  # noqa: E402
from tierplan.providers.catalog import CANONICAL_ACCELERATORS, load_regions, write_catalog  # noqa: E402
from tierplan.providers.skypilot import import_skypilot  # noqa: E402

DATA = HERE / "catalog_data"
SOURCES = {
    "gcp": "gcp-cloud-billing-catalog (Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml)",
    "aws": "aws-price-list (instances.vantage.sh via github.com/tsaol/aws-gpu)",
    "azure": "azure-retail-prices-api (Azure/karpenter-provider-azure zz_generated.pricing.go)",
}
AZURE_SPOT = "azure_spot.csv"
AZURE_SPOT_SOURCE = ("azure-retail-prices-api pay-as-you-go + Spot, Linux "
                     "(github.com/andy-diericks/azure-pricing-radar data/latest)")
AWS_SPOT_SOURCE = "; spot: skypilot-catalog v8 aws/vms.csv, regular zones (undated)"
# Zone rows read from github.com/skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv at
# commit 00148f2 (g4dn, g5, g6, g6e sizes the v8 subset fixture lacks).
AWS_SPOT_ZONES = "aws_spot_zones.csv"
AWS_SPOT_ZONES_SOURCE = "; spot: skypilot-catalog@00148f2 catalogs/v8/aws/vms.csv, regular zones (undated)"
# A regular AWS zone ID (use1-az4); Local Zones (use1-atl2-az1) and Wavelength zones differ.
_REGULAR_ZONE = re.compile(r"^[a-z]+\d+-az\d+$")

# Neocloud price files (folder under catalog_data, cloud) -> (source, as_of). SkyPilot's files
# carry no price date and the commits' dates cannot be read here, so as_of is the date of the
# public record that proves the file is no older (a lower bound, see docs/catalog.md).
NEOCLOUDS: tuple[tuple[str, str, str, str], ...] = (
    ("skypilot_v8", "lambda",
     "skypilot-catalog@0f40703 catalogs/v8/lambda/vms.csv (Lambda API; no older than catalog PR #179)",
     "2026-05-07"),
    ("skypilot_v8", "nebius",
     "skypilot-catalog@0082b04 catalogs/v8/nebius/vms.csv (Nebius prices; no older than skypilot PR #6478)",
     "2025-08-01"),
    ("nebius_billing", "nebius",
     "nebius billing API via skypilot-org/skypilot PR #9829 review (live prices of that day)",
     "2026-08-28"),
    # nebius.com/prices per-GPU list (H100 $3.85, H200 $4.50) x GPUs, as the billing rows above
    # price the presets; the older file's $2.95 / $3.50 were 23-29 % below it.
    ("nebius_list", "nebius",
     "nebius.com/prices per GPU-hour x GPUs (github.com/tgarg01/silybench-data derived/cost.json)",
     "2026-09-25"),
)

Table = dict[str, tuple[float, float, str | None, int, float | None, dict[str, tuple[float, float | None]]]]


def _row(region: Region, name: str, cells: dict[str, str], source: str) -> CatalogRow:
    accel = cells["accelerator"] or None
    return CatalogRow(
        region.provider, region.region, name, float(cells["vcpus"]), float(cells["memory_gib"]), accel,
        int(cells["accelerator_count"]), float(cells["accelerator_memory_gib"]) if accel else None,
        float(cells["usd_per_hour"]),
        float(cells["spot_usd_per_hour"]) if cells["spot_usd_per_hour"] else None, None,
        region.lat, region.lon, region.jurisdiction, region.egress_usd_per_gb, source, cells["as_of"],
    )


def _derived(provider: str, file: str, regions: dict[tuple[str, str], Region]) -> list[CatalogRow]:
    """Rows of a tools/catalog_data file, in the regions tierplan knows (others are listed)."""
    rows, unknown = [], set()
    with (DATA / file).open(encoding="utf-8", newline="") as handle:
        for cells in csv.DictReader(handle):
            region = regions.get((provider, cells["region"]))
            if region is None:
                unknown.add(cells["region"])
                continue
            rows.append(_row(region, cells["instance_type"], cells, SOURCES[provider]))
    if unknown:
        print(f"{provider}: left out regions missing from regions.csv: {', '.join(sorted(unknown))}")
    return rows


def _table(provider: str, table: Table, source: str, as_of: str,
           regions: dict[tuple[str, str], Region]) -> list[CatalogRow]:
    out = []
    for name, (vcpus, mem, accel, count, accel_mem, prices) in table.items():
        for region_name, (usd, spot) in prices.items():
            region = regions[(provider, region_name)]  # KeyError: add the region to regions.csv
            out.append(CatalogRow(
                provider, region_name, name, float(vcpus), float(mem), accel, count,
                float(accel_mem) if accel_mem is not None else None, usd, spot, None,
                region.lat, region.lon, region.jurisdiction, region.egress_usd_per_gb, source, as_of,
            ))
    return out


def aws_spot(vms_csv: Path) -> dict[tuple[str, str], float]:
    """Lowest spot price per (region, instance type) over regular availability zones."""
    best: dict[tuple[str, str], float] = {}
    with vms_csv.open(encoding="utf-8", newline="") as handle:
        for cells in csv.DictReader(handle):
            spot = float(cells["SpotPrice"] or 0)
            if spot <= 0 or not _REGULAR_ZONE.match(cells["AvailabilityZone"]):
                continue
            key = (cells["Region"], cells["InstanceType"])
            best[key] = min(spot, best.get(key, spot))
    return best


def _gcp_attached(regions: dict[tuple[str, str], Region],
                  hosts: dict[tuple[str, str], CatalogRow]) -> list[CatalogRow]:
    """n1 host (dated GCP roll-up) + one attached GPU (SkyPilot's GPU rate), where both exist."""
    out = []
    for name, (host_name, accel, accel_mem, gpu_prices) in GCP_ATTACHED.items():
        for region_name, (gpu, gpu_spot) in gpu_prices.items():
            host = hosts.get((region_name, host_name))
            if host is None or (("gcp", region_name) not in regions):
                continue
            spot = (round(host.spot_usd_per_hour + gpu_spot, 6)
                    if host.spot_usd_per_hour is not None else None)
            out.append(CatalogRow(**{
                **host.__dict__, "instance_type": name, "accelerator": accel, "accelerator_count": 1,
                "accelerator_memory_gib": float(accel_mem), "usd_per_hour": round(host.usd_per_hour + gpu, 6),
                "spot_usd_per_hour": spot, "source": f"{host.source} + {GCP_ATTACHED_SOURCE}",
            }))
    return out


def azure_spot(rows: list[CatalogRow]) -> list[CatalogRow]:
    """Azure rows priced again from the dated Spot snapshot, where it has the size.

    The snapshot's pay-as-you-go price replaces the older one (it is the later reading of
    the same API) and its date becomes the row's: both halves of the row are then that
    day's. A pay-as-you-go price equal to the older snapshot's says so in ``source``.
    """
    newer: dict[tuple[str, str], dict[str, str]] = {}
    with (DATA / AZURE_SPOT).open(encoding="utf-8", newline="") as handle:
        for cells in csv.DictReader(handle):
            newer[(cells["region"], cells["instance_type"])] = cells
    out = []
    for row in rows:
        cells = newer.get((row.region, row.instance_type))
        if cells is not None:
            usd = float(cells["usd_per_hour"])
            same = abs(usd - row.usd_per_hour) < 5e-7
            source = AZURE_SPOT_SOURCE
            if same:
                source += f"; same pay-as-you-go price {row.as_of} in {row.source}"
            spot = cells["spot_usd_per_hour"]
            row = CatalogRow(**{
                **row.__dict__, "usd_per_hour": usd, "spot_usd_per_hour": float(spot) if spot else None,
                "source": source, "as_of": cells["as_of"],
            })
        out.append(row)
    return out


def neoclouds() -> list[CatalogRow]:
    """Lambda and Nebius rows; a later file's row replaces an earlier one's, known chips only."""
    rows: dict[tuple[str, str, str], CatalogRow] = {}
    for folder, cloud, source, as_of in NEOCLOUDS:
        for row in import_skypilot(DATA / folder, clouds=[cloud]).rows:
            if row.accelerator is not None and row.accelerator not in CANONICAL_ACCELERATORS:
                continue
            rows[(row.provider, row.region, row.instance_type)] = CatalogRow(
                **{**row.__dict__, "source": source, "as_of": as_of})
    return list(rows.values())


def confirm(rows: list[CatalogRow], references: list[dict[str, str]]) -> list[CatalogRow]:
    """A row whose on-demand price a later dated public list repeats exactly takes that date.

    Only rows without a spot price: their single price is then known to hold on the later
    date (the reference rows are tools/catalog_data/check/*.csv, region ``*`` = every region).
    """
    out = []
    for row in rows:
        later = [ref for ref in references
                 if ref["as_of"] and ref["as_of"] > row.as_of and row.spot_usd_per_hour is None
                 and (ref["provider"], ref["instance_type"]) == (row.provider, row.instance_type)
                 and ref["region"] in ("*", row.region)
                 and abs(float(ref["usd_per_hour"]) - row.usd_per_hour) < 5e-7]
        if later:
            ref = max(later, key=lambda r: r["as_of"])
            note = f"; price confirmed {ref['as_of']} by {ref['reference']}"
            row = CatalogRow(**{**row.__dict__, "as_of": ref["as_of"], "source": row.source + note})
        out.append(row)
    return out


def build(fixture: Path) -> list[CatalogRow]:
    regions = load_regions()
    gcp = _derived("gcp", "gcp_machine_types.csv", regions)
    hosts = {(r.region, r.instance_type): r for r in gcp if r.instance_type.startswith("n1-")}
    rows = [r for r in gcp if not r.instance_type.startswith("n1-")]
    rows += _gcp_attached(regions, hosts)
    rows += _table("gcp", GCP_A3_ULTRA, GCP_A3_ULTRA_SOURCE, GCP_A3_ULTRA_AS_OF, regions)
    spot = {key: (price, AWS_SPOT_SOURCE) for key, price in aws_spot(fixture / "aws" / "vms.csv").items()}
    for key, price in aws_spot(DATA / AWS_SPOT_ZONES).items():
        if key not in spot or price < spot[key][0]:
            spot[key] = (price, AWS_SPOT_ZONES_SOURCE)
    for row in _derived("aws", "aws_on_demand.csv", regions):
        price, suffix = spot.get((row.region, row.instance_type), (None, ""))
        if price is not None and price < row.usd_per_hour:
            row = CatalogRow(**{**row.__dict__, "spot_usd_per_hour": price,
                                "source": row.source + suffix})
        rows.append(row)
    rows += _table("aws", AWS_SKYPILOT, SKYPILOT_SOURCE, SKYPILOT_AS_OF, regions)
    rows += azure_spot(_derived("azure", "azure_on_demand.csv", regions))
    rows += neoclouds()
    references: list[dict[str, str]] = []
    for file in sorted((DATA / "check").glob("*.csv")):
        with file.open(encoding="utf-8", newline="") as handle:
            references.extend(csv.DictReader(handle))
    rows = confirm(rows, references)
    rows.sort(key=lambda r: (r.provider, r.region, r.instance_type))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fixture = HERE.parent.parent / "shared/data/catalogs/skypilot-v8-subset"
    parser.add_argument("--fixture", default=str(fixture))
    output = HERE.parent / "src/tierplan/providers/data/catalog.csv"
    parser.add_argument("-o", "--output", default=str(output))
    args = parser.parse_args()
    rows = build(Path(args.fixture))
    write_catalog(args.output, rows)
    print(f"wrote {len(rows)} rows to {args.output}")


if __name__ == "__main__":
    main()
