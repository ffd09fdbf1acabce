"""Importing SkyPilot catalogs: per-cloud column order, GCP GPU rows, zones, empty spot."""

from __future__ import annotations

import csv
import textwrap

import pytest

from conftest import SHARED_DATA
from tierplan.errors import ScenarioError
from tierplan.providers.base import Region
from tierplan.providers.catalog import load_regions
from tierplan.providers.skypilot import import_skypilot

FIXTURE = SHARED_DATA / "catalogs" / "skypilot-v8-subset"
needs_fixture = pytest.mark.skipif(not FIXTURE.is_dir(), reason="../shared/data not present")


def _raw(cloud):
    with (FIXTURE / cloud / "vms.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@needs_fixture
def test_fixture_gcp_gpu_rows_are_added_to_the_host_vm_price():
    imported = import_skypilot(FIXTURE)
    raw = _raw("gcp")
    host = [r for r in raw if r["InstanceType"] == "a2-highgpu-1g" and r["Region"] == "us-central1"]
    gpu = [r for r in raw if not r["InstanceType"] and r["AcceleratorName"] == "A100"
           and r["AcceleratorCount"] == "1" and r["Region"] == "us-central1"]
    expected = min(float(h["Price"]) + float(g["Price"]) for h in host for g in gpu
                   if h["AvailabilityZone"] == g["AvailabilityZone"])
    expected_spot = min(float(h["SpotPrice"]) + float(g["SpotPrice"]) for h in host for g in gpu
                        if h["AvailabilityZone"] == g["AvailabilityZone"])
    row = next(r for r in imported.rows
               if (r.provider, r.region, r.instance_type) == ("gcp", "us-central1", "a2-highgpu-1g"))
    assert (row.accelerator, row.accelerator_count, row.accelerator_memory_gib) == ("A100", 1, 40.0)
    assert row.usd_per_hour == pytest.approx(expected)
    assert row.spot_usd_per_hour == pytest.approx(expected_spot)
    assert row.usd_per_hour > float(host[0]["Price"])  # never the bare host price
    ultra = next(r for r in imported.rows
                 if r.instance_type == "a2-ultragpu-8g" and r.region == "europe-west4")
    assert (ultra.accelerator, ultra.accelerator_count) == ("A100-80GB", 8)
    # GPU rows are not offerings of their own
    assert all(r.instance_type for r in imported.rows)


@needs_fixture
def test_fixture_aws_rows_take_the_cheapest_zone_and_aws_column_order():
    imported = import_skypilot(FIXTURE)
    raw = [r for r in _raw("aws") if r["InstanceType"] == "p4d.24xlarge" and r["Region"] == "us-east-1"]
    row = next(r for r in imported.rows
               if (r.provider, r.region, r.instance_type) == ("aws", "us-east-1", "p4d.24xlarge"))
    assert row.usd_per_hour == min(float(r["Price"]) for r in raw)
    assert row.spot_usd_per_hour == min(float(r["SpotPrice"]) for r in raw)
    assert (row.accelerator, row.accelerator_count) == ("A100", 8)
    assert (row.vcpus, row.accelerator_memory_gib) == (96, 40)
    assert (row.jurisdiction, row.egress_usd_per_gb) == ("US", 0.09)
    assert row.source == "skypilot:aws/vms.csv"
    # every cloud is imported; nebius regions are located by tierplan's regions table
    assert {r.provider for r in imported.rows} == {"aws", "gcp", "nebius"}
    nebius = next(r for r in imported.rows if (r.provider, r.region) == ("nebius", "eu-north1"))
    assert (nebius.jurisdiction, nebius.egress_usd_per_gb) == ("FI", 0.0) and nebius.lat is not None


@needs_fixture
def test_fixture_empty_spot_price_is_none_not_zero():
    regions = {**load_regions(),
               ("nebius", "eu-north1"): Region("nebius", "eu-north1", 60.6, 25.3, "FI", 0.0),
               ("nebius", "eu-west1"): Region("nebius", "eu-west1", 48.9, 2.35, "FR", 0.0),
               ("nebius", "us-central1"): Region("nebius", "us-central1", 39.1, -94.6, "US", 0.0)}
    imported = import_skypilot(FIXTURE, regions, clouds=["nebius"])
    raw = {(r["InstanceType"], r["Region"]): r for r in _raw("nebius")}
    assert imported.rows and not imported.unknown_regions
    for row in imported.rows:
        assert row.spot_usd_per_hour is None or row.spot_usd_per_hour > 0
        if raw[(row.instance_type, row.region)]["SpotPrice"] == "":
            assert row.spot_usd_per_hour is None
    assert any(r.spot_usd_per_hour is None for r in imported.rows)
    cpu = next(r for r in imported.rows if r.instance_type == "cpu-d3_4vcpu-16gb" and r.region == "eu-north1")
    assert (cpu.accelerator, cpu.accelerator_count, cpu.usd_per_hour) == (None, 0, 0.0992)


def _write(folder, cloud, text):
    (folder / cloud).mkdir(parents=True, exist_ok=True)
    (folder / cloud / "vms.csv").write_text(textwrap.dedent(text).lstrip())


def test_columns_are_read_by_name_in_any_order_and_attachable_gpus_get_an_n1_host(tmp_path):
    _write(tmp_path, "gcp", """
        Region,AvailabilityZone,Price,SpotPrice,InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo
        us-central1,us-central1-a,0.5,0.1,n1-highmem-8,8,52,,,
        us-central1,us-central1-b,0.5,,n1-highmem-8,8,52,,,
        us-central1,us-central1-a,0.35,0.07,,,,T4,1,"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}]}"
        us-central1,us-central1-b,0.30,,,,,T4,1,"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}]}"
        us-central1,us-central1-a,0.2,0.05,g2-standard-4,4,16,,,
        us-central1,us-central1-a,,,a2-highgpu-1g,12,85,,,
        """)
    rows = {r.instance_type: r for r in import_skypilot(tmp_path).rows}
    t4 = rows["n1-highmem-8+T4x1"]
    # zone b: 0.5 + 0.30 = 0.80 beats zone a: 0.85; spot only exists in zone a: 0.1 + 0.07
    assert (t4.usd_per_hour, t4.spot_usd_per_hour) == (pytest.approx(0.8), pytest.approx(0.17))
    assert (t4.accelerator, t4.accelerator_count, t4.accelerator_memory_gib, t4.vcpus) == ("T4", 1, 16, 8)
    assert rows["n1-highmem-8"].accelerator is None  # the bare host stays a CPU offering
    assert "g2-standard-4" not in rows  # its L4 has no price: cannot be priced
    assert "a2-highgpu-1g" not in rows  # empty Price: not sold


def test_bad_folders_files_and_cells_are_input_errors(tmp_path):
    with pytest.raises(ScenarioError, match="not a folder"):
        import_skypilot(tmp_path / "nope")
    with pytest.raises(ScenarioError, match=r"no <cloud>/vms\.csv"):
        import_skypilot(tmp_path)
    _write(tmp_path, "aws", "InstanceType,Price\nm5.large,0.1\n")
    with pytest.raises(ScenarioError) as info:
        import_skypilot(tmp_path)
    assert info.value.path == "line 1" and "missing column(s) AcceleratorName" in info.value.message
    _write(tmp_path, "aws", """
        InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone
        m5.large,,,2,8,,0.096,0.03,us-east-1,use1-az1
        m5.xlarge,,,4,16,,cheap,0.05,us-east-1,use1-az1
        """)
    with pytest.raises(ScenarioError) as info:
        import_skypilot(tmp_path)
    assert info.value.file.endswith("aws/vms.csv") and info.value.path == "line 3, column Price"
