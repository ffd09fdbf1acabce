"""Extract the price rows tierplan bundles from two public price dumps into small CSVs.

    python tools/extract_catalog_sources.py --gcp pricing.yml --aws all_gpu_instances.js

Inputs (neither is part of this repository; both are public, see docs/catalog.md):

- ``pricing.yml`` of github.com/Cyclenerd/google-cloud-pricing-cost-calculator (Apache-2.0),
  built from the Cloud Billing Catalog API: per machine type and region the on-demand and
  Spot price of the whole VM (vCPU + memory + GPUs + bundled local SSD). The date of the
  prices is the file's ``about.generated`` line.
- ``data/all_gpu_instances.js`` of github.com/tsaol/aws-gpu, generated from
  instances.vantage.sh (AWS Price List): on-demand Linux prices per region. Its date is the
  ``Last updated`` line. Local Zones (``us-east-1-atl-1``) and GovCloud are left out.

- ``pkg/providers/pricing/zz_generated.pricing.go`` of github.com/Azure/karpenter-provider-azure
  (Apache-2.0): Microsoft's snapshot of the Azure Retail Prices API (pay-as-you-go Linux,
  primary meter regions), map ``initialOnDemandPrices[region][size]``. Its date is the
  ``generated at`` line. It carries no Spot prices.

    python tools/extract_catalog_sources.py --azure zz_generated.pricing.go

- ``data/latest/vm-<scope>.json`` of github.com/andy-diericks/azure-pricing-radar (MIT): the
  Azure Retail Prices API (``serviceName eq 'Virtual Machines'``, ``priceType eq
  'Consumption'``) of one region per file, pay-as-you-go, Spot and Low Priority rows, as
  that repository's fetcher last saw them. Their date is ``data/latest/last-checked.json``
  (the fetcher rewrites every scope before it writes that stamp). Only Linux rows; only
  sizes whose pay-as-you-go price and Spot price are each one unambiguous figure (a size
  that shows two different Spot prices in a region, as a non-primary meter does, is
  skipped); never Low Priority.

    python tools/extract_catalog_sources.py --azure-radar DIR    # DIR holds those files

Outputs ``tools/catalog_data/gcp_machine_types.csv``, ``aws_on_demand.csv``,
``azure_on_demand.csv`` and ``azure_spot.csv``, read by tools/build_bundled_catalog.py. Only the machine types
below are kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "catalog_data"

# machine type -> (accelerator, count, accelerator memory GiB); None: CPU only
GCP_TYPES: dict[str, tuple[str, int, float] | None] = {
    **{f"a2-highgpu-{n}g": ("A100", n, 40) for n in (1, 2, 4, 8)},
    "a2-megagpu-16g": ("A100", 16, 40),
    **{f"a2-ultragpu-{n}g": ("A100-80GB", n, 80) for n in (1, 2, 4, 8)},
    **{f"a3-highgpu-{n}g": ("H100", n, 80) for n in (1, 2, 4, 8)},
    "a3-megagpu-8g": ("H100", 8, 80),
    **{f"g2-standard-{n}": ("L4", 1, 24) for n in (4, 8, 12, 16, 32)},
    "g2-standard-24": ("L4", 2, 24), "g2-standard-48": ("L4", 4, 24), "g2-standard-96": ("L4", 8, 24),
    "n1-standard-4": None, "t2d-standard-2": None,
}
AWS_GPU_NAMES = {
    "NVIDIA T4": "T4", "NVIDIA A10G": "A10G", "NVIDIA L4": "L4", "NVIDIA L40S": "L40S",
    "NVIDIA V100": "V100", "NVIDIA A100": "A100", "NVIDIA H100": "H100", "NVIDIA H200": "H200",
    "NVIDIA B200 Blackwell": "B200", "NVIDIA B300 Blackwell": "B300",
}
# The source's gpuMemory is per GPU for some types and per instance for others: use the spec.
GPU_MEMORY_GIB = {"T4": 16, "A10G": 24, "L4": 24, "L40S": 48, "V100": 16, "A100": 40, "A100-80GB": 80,
                  "H100": 80, "H200": 141, "B200": 180, "B300": 288}
AWS_TYPES = (
    "g4dn.xlarge", "g4dn.2xlarge", "g4dn.12xlarge", "g5.xlarge", "g5.2xlarge", "g5.12xlarge",
    "g5.48xlarge", "g6.xlarge", "g6.2xlarge", "g6.12xlarge", "g6e.xlarge", "g6e.12xlarge",
    "p3.2xlarge", "p3.8xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5.4xlarge", "p5.48xlarge",
    "p5e.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge", "p6-b300.48xlarge",
)
# size -> (vcpus, memory GiB, accelerator, count, accelerator memory GiB); sizes with a
# fraction of a GPU (NV6ads_A10_v5: 1/6 A10) are left out of the bundle.
AZURE_SIZES: dict[str, tuple[int, int, str | None, int, int | None]] = {
    "Standard_NC4as_T4_v3": (4, 28, "T4", 1, 16), "Standard_NC8as_T4_v3": (8, 56, "T4", 1, 16),
    "Standard_NC16as_T4_v3": (16, 110, "T4", 1, 16), "Standard_NC64as_T4_v3": (64, 440, "T4", 4, 16),
    "Standard_NV36ads_A10_v5": (36, 440, "A10", 1, 24), "Standard_NV72ads_A10_v5": (72, 880, "A10", 2, 24),
    "Standard_NC6s_v3": (6, 112, "V100", 1, 16), "Standard_NC12s_v3": (12, 224, "V100", 2, 16),
    "Standard_NC24s_v3": (24, 448, "V100", 4, 16), "Standard_ND40rs_v2": (40, 672, "V100-32GB", 8, 32),
    "Standard_ND96asr_v4": (96, 900, "A100", 8, 40),
    "Standard_NC24ads_A100_v4": (24, 220, "A100-80GB", 1, 80),
    "Standard_NC48ads_A100_v4": (48, 440, "A100-80GB", 2, 80),
    "Standard_NC96ads_A100_v4": (96, 880, "A100-80GB", 4, 80),
    "Standard_ND96amsr_A100_v4": (96, 1900, "A100-80GB", 8, 80),
    "Standard_NC40ads_H100_v5": (40, 320, "H100", 1, 94),
    "Standard_NC80adis_H100_v5": (80, 640, "H100", 2, 94),
    "Standard_ND96isr_H100_v5": (96, 1900, "H100", 8, 80),
    "Standard_ND96isr_H200_v5": (96, 1850, "H200", 8, 141),
    "Standard_ND96isr_MI300X_v5": (96, 1850, "MI300X", 8, 192),
    "Standard_ND128isr_NDR_GB200_v6": (128, 900, "GB200", 4, 186),
    "Standard_DS3_v2": (4, 14, None, 0, None), "Standard_DS4_v2": (8, 28, None, 0, None),
}
COLUMNS = ("region", "instance_type", "vcpus", "memory_gib", "accelerator", "accelerator_count",
           "accelerator_memory_gib", "usd_per_hour", "spot_usd_per_hour", "as_of")
# An AWS region name; Local Zones add a suffix (us-east-1-atl-1), GovCloud is its own partition.
_AWS_REGION = re.compile(r"^(?!us-gov-)[a-z]{2}-[a-z]+-\d$")


def _write(name: str, rows: list[dict[str, object]]) -> None:
    OUT.mkdir(exist_ok=True)
    rows.sort(key=lambda r: (str(r["instance_type"]), str(r["region"])))
    with (OUT / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT / name}")


def gcp(path: Path) -> None:
    import yaml  # only this offline tool needs it

    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    generated = datetime.strptime(" ".join(data["about"]["generated"].split()), "%a %b %d %H:%M:%S %Y")
    as_of = generated.date().isoformat()
    rows: list[dict[str, object]] = []
    for name, accel in GCP_TYPES.items():
        entry = data["compute"]["instance"][name]
        for region, cost in entry["cost"].items():
            hour, spot = cost.get("hour"), cost.get("hour_spot")
            if not hour:
                continue
            rows.append({
                "region": region, "instance_type": name, "vcpus": entry["cpu"], "memory_gib": entry["ram"],
                "accelerator": accel[0] if accel else "", "accelerator_count": accel[1] if accel else 0,
                "accelerator_memory_gib": accel[2] if accel else "",
                "usd_per_hour": round(float(hour), 6),
                "spot_usd_per_hour": round(float(spot), 6) if spot and float(spot) < float(hour) else "",
                "as_of": as_of,
            })
    _write("gcp_machine_types.csv", rows)


def aws(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    stamp = re.search(r"Last updated:\s*(\d{4}-\d{2}-\d{2})", text)
    if stamp is None:
        raise SystemExit(f"{path}: no 'Last updated: YYYY-MM-DD' line")
    entries = {e["name"]: e for e in json.loads(text[text.index("["):text.rindex("]") + 1])}
    rows: list[dict[str, object]] = []
    for name in AWS_TYPES:
        e = entries[name]
        memory = float(e["memory"].split()[0])
        accel = "A100-80GB" if name.startswith("p4de.") else AWS_GPU_NAMES[e["gpu"]]
        for region, price in e["pricing"].items():
            if not _AWS_REGION.match(region) or not price.get("onDemand"):
                continue
            rows.append({
                "region": region, "instance_type": name, "vcpus": e["vcpu"], "memory_gib": memory,
                "accelerator": accel, "accelerator_count": e["gpuCount"],
                "accelerator_memory_gib": GPU_MEMORY_GIB[accel], "usd_per_hour": price["onDemand"],
                "spot_usd_per_hour": "", "as_of": stamp.group(1),
            })
    _write("aws_on_demand.csv", rows)


def azure(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    stamp = re.search(r"generated at (\d{4}-\d{2}-\d{2})T", text)
    if stamp is None:
        raise SystemExit(f"{path}: no 'generated at YYYY-MM-DDT...' line")
    rows: list[dict[str, object]] = []
    region = None
    for line in text.splitlines():
        head = re.match(r'\s*initialOnDemandPrices\["([^"]+)"\]', line)
        if head:
            region = head.group(1)
            continue
        item = re.match(r'\s*"([^"]+)":\s*([0-9.]+),', line)
        if item is None or region is None or item.group(1) not in AZURE_SIZES:
            continue
        vcpus, memory, accel, count, accel_mem = AZURE_SIZES[item.group(1)]
        rows.append({
            "region": region, "instance_type": item.group(1), "vcpus": vcpus, "memory_gib": memory,
            "accelerator": accel or "", "accelerator_count": count, "accelerator_memory_gib": accel_mem or "",
            "usd_per_hour": float(item.group(2)), "spot_usd_per_hour": "", "as_of": stamp.group(1),
        })
    _write("azure_on_demand.csv", rows)


# radar file -> Azure region of its rows
AZURE_RADAR_SCOPES = {
    "vm-eu-west.json": "westeurope", "vm-northeurope.json": "northeurope",
    "vm-francecentral.json": "francecentral", "vm-swedencentral.json": "swedencentral",
    "vm-belgium.json": "belgiumcentral",
}
# The API's skuName spells one size several ways (NC16asT4 v3, Standard_NC24ads_A100_v4,
# ND96asr_A100_v4): compare sizes without case, spaces, underscores or the Standard_ prefix.
# ND96asr_v4 is the only bundled size whose skuName adds the GPU to the name.
_AZURE_SKU_ALIASES = {"nd96asra100v4": "nd96asrv4"}


def _azure_key(name: str) -> str:
    key = re.sub(r"[\s_]", "", name.removeprefix("Standard_")).lower()
    return _AZURE_SKU_ALIASES.get(key, key)


def azure_radar(folder: Path) -> None:
    stamp = json.loads((folder / "last-checked.json").read_text(encoding="utf-8"))["at"]
    as_of = stamp[:10]
    sizes = {_azure_key(name): name for name in AZURE_SIZES}
    rows: list[dict[str, object]] = []
    for file, region in AZURE_RADAR_SCOPES.items():
        path = folder / file
        if not path.exists():
            continue
        prices: dict[tuple[str, str], set[float]] = {}
        for item in json.loads(path.read_text(encoding="utf-8")).values():
            product = item["productName"] or ""
            if "Windows" in product or product.endswith(" Win") or item["unitOfMeasure"] != "1 Hour":
                continue
            sku = item["skuName"] or ""
            kind = "spot" if sku.endswith(" Spot") else "low" if sku.endswith(" Low Priority") else "od"
            base = sku.removesuffix(" Spot").removesuffix(" Low Priority")
            if kind != "low" and _azure_key(base) in sizes and item["armRegionName"] == region:
                prices.setdefault((sizes[_azure_key(base)], kind), set()).add(float(item["retailPrice"]))
        for size in sorted({name for name, _ in prices}):
            od, spot = prices.get((size, "od"), set()), prices.get((size, "spot"), set())
            if len(od) != 1 or len(spot) > 1:
                print(f"azure-radar: {region} {size}: skipped, prices {sorted(od)} / spot {sorted(spot)}")
                continue
            usd = od.pop()
            spot_usd = spot.pop() if spot else None
            vcpus, memory, accel, count, accel_mem = AZURE_SIZES[size]
            rows.append({
                "region": region, "instance_type": size, "vcpus": vcpus, "memory_gib": memory,
                "accelerator": accel or "", "accelerator_count": count,
                "accelerator_memory_gib": accel_mem or "", "usd_per_hour": usd,
                "spot_usd_per_hour": spot_usd if spot_usd is not None and spot_usd < usd else "",
                "as_of": as_of,
            })
    _write("azure_spot.csv", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gcp", type=Path, help="Cyclenerd pricing.yml")
    parser.add_argument("--aws", type=Path, help="tsaol/aws-gpu data/all_gpu_instances.js")
    parser.add_argument("--azure", type=Path, help="karpenter-provider-azure zz_generated.pricing.go")
    parser.add_argument("--azure-radar", type=Path,
                        help="folder with azure-pricing-radar data/latest/*.json")
    args = parser.parse_args()
    if args.gcp:
        gcp(args.gcp)
    if args.aws:
        aws(args.aws)
    if args.azure:
        azure(args.azure)
    if args.azure_radar:
        azure_radar(args.azure_radar)


if __name__ == "__main__":
    main()
