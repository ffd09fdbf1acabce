"""Build src/tierplan/providers/data/catalog.csv, the bundled price snapshot.

Run from the repository root (it reads ../shared/data, which is not part of the repo):

    python tools/build_bundled_catalog.py [--fixture ../shared/data/catalogs/skypilot-v8-subset]

Where the rows come from (each row's ``source`` column says which):

- AWS p3/p4d/p4de/p5 and GCP a2/a3 (A100, A100-80GB, H100), on-demand and spot: the
  SkyPilot v8 catalog subset in ../shared/data/catalogs/skypilot-v8-subset, imported with
  tierplan's own SkyPilot importer (GCP GPU rows added to the host VM price).
- AWS g4dn/g5/g6/g6e/p5en on-demand: instances.vantage.sh data (tools/catalog_sources_aws.py).
- AWS m5zn CPU, Azure GPU and CPU sizes in US regions, GCP t2d CPU and GCP L4/T4/V100
  (host VM + GPU): SkyPilot's public catalogs (tools/catalog_sources_aws.py,
  catalog_sources_azure.py, catalog_sources_gcp.py).
- Azure GPU and CPU sizes in EU, Asia and Australia regions, on-demand only: the Azure
  Retail Prices API snapshot in github.com/Azure/karpenter-provider-azure
  (tools/catalog_sources_azure_eu_asia.py), ``as_of`` 2023-12-18 as that file states.
- Location, jurisdiction and internet egress of every row: providers/data/regions.csv.

``as_of`` is the date the snapshot was compiled from those sources (the sources do not
date individual prices), except where a source states its own date (the Azure EU/Asia
rows). Re-running the script rewrites the CSV deterministically.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from catalog_sources_aws import AWS_ON_DEMAND, AWS_SKYPILOT, SKYPILOT_SOURCE  # noqa: E402
from catalog_sources_aws import SOURCE as AWS_SOURCE  # noqa: E402
from catalog_sources_azure import AZURE  # noqa: E402
from catalog_sources_azure import SOURCE as AZURE_SOURCE  # noqa: E402
from catalog_sources_azure_eu_asia import AS_OF as AZURE_EU_ASIA_AS_OF  # noqa: E402
from catalog_sources_azure_eu_asia import SOURCE as AZURE_EU_ASIA_SOURCE  # noqa: E402
from catalog_sources_azure_eu_asia import azure_eu_asia_table  # noqa: E402
from catalog_sources_gcp import GCP, gcp_gpu_table  # noqa: E402
from catalog_sources_gcp import SOURCE as GCP_SOURCE  # noqa: E402

from tierplan.providers.base import CatalogRow, Region  # noqa: E402
from tierplan.providers.catalog import load_regions, write_catalog  # noqa: E402
from tierplan.providers.skypilot import import_skypilot  # noqa: E402

AS_OF = "2026-11-23"
FIXTURE_TYPES = {
    "aws": {"p3.8xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge"},
    "gcp": {"a2-highgpu-1g", "a2-highgpu-8g", "a2-ultragpu-1g", "a2-ultragpu-8g",
            "a3-highgpu-1g", "a3-highgpu-2g"},
}
FIXTURE_SOURCE = "skypilot-catalog v8 subset (shared/data/catalogs/skypilot-v8-subset/{cloud}/vms.csv)"

Table = dict[str, tuple[float, float, str | None, int, float | None, dict[str, tuple[float, float | None]]]]


def _rows(
    provider: str, table: Table, source: str, regions: dict[tuple[str, str], Region], as_of: str = AS_OF
) -> list[CatalogRow]:
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


def build(fixture: Path) -> list[CatalogRow]:
    regions = load_regions()
    rows: list[CatalogRow] = []
    imported = import_skypilot(fixture, regions, clouds=FIXTURE_TYPES)
    for row in imported.rows:
        if row.instance_type in FIXTURE_TYPES[row.provider]:
            rows.append(CatalogRow(**{**row.__dict__, "source": FIXTURE_SOURCE.format(cloud=row.provider),
                                      "as_of": AS_OF}))
    aws_od: Table = {name: (v, m, a, c, am, {r: (p, None) for r, p in prices.items()})
                     for name, (v, m, a, c, am, prices) in AWS_ON_DEMAND.items()}
    rows += _rows("aws", aws_od, AWS_SOURCE, regions)
    rows += _rows("aws", AWS_SKYPILOT, SKYPILOT_SOURCE, regions)
    rows += _rows("azure", AZURE, AZURE_SOURCE, regions)
    rows += _rows("azure", azure_eu_asia_table(), AZURE_EU_ASIA_SOURCE, regions, AZURE_EU_ASIA_AS_OF)
    rows += _rows("gcp", GCP, GCP_SOURCE, regions)
    rows += _rows("gcp", gcp_gpu_table(), GCP_SOURCE, regions)
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
