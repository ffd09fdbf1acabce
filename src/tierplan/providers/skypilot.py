"""Import a SkyPilot catalog folder (``<cloud>/vms.csv``) as tierplan catalog rows.

SkyPilot's ``vms.csv`` differs per cloud, so columns are read by header name, never by
position:

- AWS: ``InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,
  SpotPrice,Region,AvailabilityZone,Arch``;
- GCP: ``InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,
  AvailabilityZone,Price,SpotPrice``;
- others (Azure, Nebius, Lambda, ...): the same names in yet another order.

Rules (SkyPilot's own meaning of the rows):

- One row per availability zone: tierplan keeps one offering per (region, instance
  type) with the lowest on-demand price and the lowest spot price among its zones.
- An empty ``SpotPrice`` means "no spot" (``None``, never 0); a row with an empty
  ``Price`` is not offered and is skipped.
- GCP lists accelerators as their own rows (empty ``InstanceType``) whose price is added
  to the host VM's price: ``a2-highgpu-Ng`` / ``a2-megagpu-16g`` carry N (16) x A100,
  ``a2-ultragpu-Ng`` N x A100-80GB, ``a3-highgpu-Ng`` and ``a3-edgegpu-8g`` N x H100,
  ``a3-megagpu-8g`` 8 x H100 (SkyPilot's H100-MEGA rows; the chip is an H100),
  ``a3-ultragpu-8g`` 8 x H200, ``a4-highgpu-8g`` 8 x B200, ``g2-standard-*`` 1, 2, 4 or 8 x L4.
  The combined offering costs host + GPU in the same zone, on demand and on spot (spot
  only when both have a spot price). Attachable GPUs (T4, V100, P100, P4) are offered on
  ``n1-highmem-{8 x count}`` (at most 96 vCPUs), the host SkyPilot picks by default, named
  ``n1-highmem-8+T4x1``. A host VM whose GPU has no price in its zone is skipped.
- Accelerator names go through ``canonical_accelerator`` (``A100-80GB``, ``H100``, ...).
- Every cloud folder is imported (Lambda, Nebius, RunPod, Vast, OCI, Cudo, ...), whatever
  its name. Location, jurisdiction and internet egress come from providers/locate.py: the
  regions table, else the country the region's name carries, else none. A region with no
  known location is kept (usable for training, or with measured latencies) and named in
  ``SkyPilotImport.notes``; nothing is dropped silently.
- ``AcceleratorCount`` may be a fraction (Azure's NV6ads_A10_v5 has 1/6 of an A10, some
  rows say 0.25): it is kept as a float. A GPU row with no count is skipped and counted
  in a note (its per-GPU price is unknown).
- ``source`` is ``skypilot:<cloud>/vms.csv`` and ``as_of`` the file's modification date
  (SkyPilot's files carry no price date).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import ScenarioError
from .base import CatalogRow, Region
from .catalog import canonical_accelerator, load_regions
from .locate import locate

__all__ = ["SkyPilotImport", "import_skypilot"]

_REQUIRED = ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB",
             "Price", "SpotPrice", "Region")

_GCP_HOSTS: tuple[tuple[re.Pattern[str], str, int | None], ...] = (
    # (pattern, accelerator, fixed count or None = the number in the name)
    (re.compile(r"^a2-highgpu-(\d+)g$"), "A100", None),
    (re.compile(r"^a2-megagpu-(\d+)g$"), "A100", None),
    (re.compile(r"^a2-ultragpu-(\d+)g$"), "A100-80GB", None),
    (re.compile(r"^a3-highgpu-(\d+)g$"), "H100", None),
    (re.compile(r"^a3-edgegpu-(\d+)g(-nolssd)?$"), "H100", None),
    (re.compile(r"^a3-megagpu-(\d+)g$"), "H100-MEGA", None),
    (re.compile(r"^a3-ultragpu-(\d+)g(-lssd)?$"), "H200", None),
    (re.compile(r"^a4-highgpu-(\d+)g$"), "B200", None),
)
_G2_L4 = {"g2-standard-4": 1, "g2-standard-8": 1, "g2-standard-12": 1, "g2-standard-16": 1,
          "g2-standard-32": 1, "g2-standard-24": 2, "g2-standard-48": 4, "g2-standard-96": 8}
_ATTACHABLE = ("T4", "V100", "P100", "P4")
_MIB_RE = re.compile(r"SizeInMiB'?\"?\s*:\s*(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class SkyPilotImport:
    rows: tuple[CatalogRow, ...]
    files: tuple[str, ...]
    unknown_regions: tuple[str, ...]  # "<cloud>/<region>" kept with no known location
    country_regions: tuple[str, ...] = ()  # "<cloud>/<region>" placed at its country's reference point
    skipped_rows: int = 0  # GPU rows with no AcceleratorCount

    @property
    def notes(self) -> tuple[str, ...]:
        """What the import could not place exactly, for the user to read."""
        out = []
        if self.unknown_regions:
            out.append(f"{len(self.unknown_regions)} region(s) have no known location or jurisdiction "
                       f"(kept; give latencies in network.latency_ms to serve clients from them): "
                       f"{', '.join(self.unknown_regions)}")
        if self.country_regions:
            out.append(f"{len(self.country_regions)} region(s) are located by their country only: "
                       f"{', '.join(self.country_regions)}")
        if self.skipped_rows:
            out.append(f"skipped {self.skipped_rows} GPU row(s) with no AcceleratorCount")
        return tuple(out)


@dataclass(frozen=True)
class _Vm:
    """One zone's row, parsed."""

    name: str
    accelerator: str | None  # canonical name
    raw_accelerator: str  # SkyPilot's name: GCP host VMs and GPU rows are joined on it
    count: float
    vcpus: float
    memory_gib: float
    gpu_memory_gib: float | None
    price: float
    spot: float | None
    region: str
    zone: str


def import_skypilot(folder: str | Path, regions: Mapping[tuple[str, str], Region] | None = None,
                    clouds: Iterable[str] | None = None) -> SkyPilotImport:
    """Read every ``<cloud>/vms.csv`` under ``folder`` (or only ``clouds``)."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ScenarioError(str(folder), "", "not a folder; expected a SkyPilot catalog folder "
                                             "holding <cloud>/vms.csv files (e.g. aws/vms.csv)")
    wanted = {c.lower() for c in clouds} if clouds is not None else None
    files = sorted(p for p in root.glob("*/vms.csv")
                   if wanted is None or p.parent.name.lower() in wanted)
    if not files:
        raise ScenarioError(str(folder), "", "no <cloud>/vms.csv file found in this folder")
    table = regions if regions is not None else load_regions()
    rows: list[CatalogRow] = []
    unknown: set[str] = set()
    by_country: set[str] = set()
    skipped = 0
    for file in files:
        cloud = file.parent.name.lower()
        vms = _read_vms(file)
        skipped += sum(1 for v in vms if v.accelerator and not v.count)
        vms = [v for v in vms if not (v.accelerator and not v.count)]
        as_of = datetime.fromtimestamp(file.stat().st_mtime, UTC).date().isoformat()
        source = f"skypilot:{cloud}/vms.csv"
        offers = _gcp_offers(vms) if cloud == "gcp" else [v for v in vms if v.name]
        for vm in _per_region(offers):
            where = locate(cloud, vm.region, table)
            if where.how == "unknown":
                unknown.add(f"{cloud}/{vm.region}")
            elif where.how == "country":
                by_country.add(f"{cloud}/{vm.region}")
            rows.append(CatalogRow(
                provider=cloud, region=vm.region, instance_type=vm.name, vcpus=vm.vcpus,
                memory_gib=vm.memory_gib, accelerator=vm.accelerator,
                accelerator_count=vm.count if vm.accelerator else 0,
                accelerator_memory_gib=vm.gpu_memory_gib, usd_per_hour=vm.price,
                spot_usd_per_hour=vm.spot, available=None, lat=where.lat, lon=where.lon,
                jurisdiction=where.jurisdiction, egress_usd_per_gb=where.egress_usd_per_gb,
                source=source, as_of=as_of,
            ))
    rows.sort(key=lambda r: (r.provider, r.region, r.instance_type))
    return SkyPilotImport(tuple(rows), tuple(str(f) for f in files), tuple(sorted(unknown)),
                          tuple(sorted(by_country)), skipped)


def _read_vms(file: Path) -> list[_Vm]:
    name = str(file)
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in _REQUIRED if c not in header]
            if missing:
                raise ScenarioError(name, "line 1", f"not a SkyPilot vms.csv: missing column(s) "
                                                    f"{', '.join(missing)}")
            out = []
            for record in reader:
                vm = _parse(record, name, reader.line_num)
                if vm is not None:
                    out.append(vm)
            return out
    except OSError as exc:
        raise ScenarioError(name, "", f"cannot read the file ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, "", f"not UTF-8 text ({exc})") from None


def _num(record: Mapping[str, str | None], column: str, file: str, line: int) -> float | None:
    cell = (record.get(column) or "").strip()
    if not cell:
        return None
    try:
        value = float(cell)
    except ValueError:
        raise ScenarioError(file, f"line {line}, column {column}",
                            f"expected a number, got {cell!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ScenarioError(file, f"line {line}, column {column}", f"expected a number >= 0, got {cell!r}")
    return value


def _parse(record: Mapping[str, str | None], file: str, line: int) -> _Vm | None:
    price = _num(record, "Price", file, line)
    if price is None:
        return None  # SkyPilot leaves the price empty where the type is not sold
    spot = _num(record, "SpotPrice", file, line)
    accel_raw = (record.get("AcceleratorName") or "").strip()
    count = _num(record, "AcceleratorCount", file, line)
    gpu_mem = None
    match = _MIB_RE.search(record.get("GpuInfo") or "")
    if match:
        gpu_mem = round(float(match.group(1)) / 1024, 3)
    return _Vm(
        name=(record.get("InstanceType") or "").strip(),
        accelerator=canonical_accelerator(accel_raw, gpu_mem) if accel_raw else None,
        raw_accelerator=accel_raw,
        count=_whole(count) if accel_raw and count else 0,
        vcpus=_num(record, "vCPUs", file, line) or 0.0,
        memory_gib=_num(record, "MemoryGiB", file, line) or 0.0,
        gpu_memory_gib=gpu_mem,
        price=price,
        spot=spot if spot else None,  # 0 would mean free compute: treat as "no spot price"
        region=(record.get("Region") or "").strip(),
        zone=(record.get("AvailabilityZone") or "").strip(),
    )


def _whole(value: float) -> float:
    """8.0 -> 8 (an int), 0.25 stays a float: whole GPU counts print and compare as ints."""
    return int(value) if value.is_integer() else value


def _gcp_host_gpu(name: str) -> tuple[str, int] | None:
    if name in _G2_L4:
        return "L4", _G2_L4[name]
    for pattern, accel, fixed in _GCP_HOSTS:
        m = pattern.match(name)
        if m:
            return accel, fixed if fixed is not None else int(m.group(1))
    return None


def _gcp_offers(vms: list[_Vm]) -> list[_Vm]:
    """Join GCP host VMs with the GPU rows priced separately (same region and zone)."""
    gpus = {(v.raw_accelerator, int(v.count), v.region, v.zone): v
            for v in vms if not v.name and v.accelerator and float(v.count).is_integer()}
    hosts = {(v.name, v.region, v.zone): v for v in vms if v.name}
    out: list[_Vm] = []
    for vm in hosts.values():
        if vm.accelerator:  # the host row already names its accelerator: its price is complete
            out.append(vm)
            continue
        wanted = _gcp_host_gpu(vm.name)
        if wanted is None:
            out.append(vm)  # CPU-only machine type
            continue
        gpu = gpus.get((wanted[0], wanted[1], vm.region, vm.zone))
        if gpu is not None:
            out.append(_combine(vm.name, vm, gpu))
    for (accel, count, region, zone), gpu in gpus.items():
        if accel not in _ATTACHABLE:
            continue
        host_name = f"n1-highmem-{min(96, 8 * count)}"
        host = hosts.get((host_name, region, zone))
        if host is not None:
            out.append(_combine(f"{host_name}+{accel}x{count}", host, gpu))
    return out


def _combine(name: str, host: _Vm, gpu: _Vm) -> _Vm:
    spot = host.spot + gpu.spot if host.spot is not None and gpu.spot is not None else None
    return _Vm(name, gpu.accelerator, gpu.raw_accelerator, gpu.count, host.vcpus, host.memory_gib,
               gpu.gpu_memory_gib,
               round(host.price + gpu.price, 6), round(spot, 6) if spot is not None else None,
               host.region, host.zone)


def _per_region(vms: Iterable[_Vm]) -> list[_Vm]:
    """Lowest on-demand and lowest spot price of each (region, instance type) over its zones."""
    best: dict[tuple[str, str], _Vm] = {}
    for vm in vms:
        key = (vm.region, vm.name)
        old = best.get(key)
        if old is None:
            best[key] = vm
            continue
        spots = [s for s in (old.spot, vm.spot) if s is not None]
        best[key] = _Vm(vm.name, old.accelerator, old.raw_accelerator, old.count, old.vcpus, old.memory_gib,
                        old.gpu_memory_gib or vm.gpu_memory_gib, min(old.price, vm.price),
                        min(spots) if spots else None, vm.region, old.zone)
    return list(best.values())
