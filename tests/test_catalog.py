"""The catalog CSV format, the bundled snapshot and the regions table."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from tierplan.errors import ScenarioError
from tierplan.providers.base import CATALOG_COLUMNS, CatalogRow
from tierplan.providers.catalog import (
    bundled_catalog,
    canonical_accelerator,
    filter_rows,
    format_catalog,
    load_regions,
    parse_catalog,
    read_catalog,
    write_catalog,
)

ROW = CatalogRow(
    provider="aws", region="us-east-1", instance_type="g6.2xlarge", vcpus=8.0, memory_gib=32.0,
    accelerator="L4", accelerator_count=1, accelerator_memory_gib=24.0, usd_per_hour=0.9776,
    spot_usd_per_hour=None, available=None, lat=38.9, lon=-77.4, jurisdiction="US",
    egress_usd_per_gb=0.09, source="test", as_of="2026-11-23",
)
CPU_ROW = replace(ROW, instance_type="m5zn.xlarge", accelerator=None, accelerator_count=0,
                  accelerator_memory_gib=None, usd_per_hour=0.3303, spot_usd_per_hour=0.1273,
                  available=12)


def test_round_trip_keeps_every_field_and_none(tmp_path):
    path = tmp_path / "c.csv"
    assert write_catalog(path, [ROW, CPU_ROW]) == path
    assert read_catalog(path) == [ROW, CPU_ROW]
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(CATALOG_COLUMNS)
    # None is an empty cell, never "None" or 0
    assert lines[1].split(",")[CATALOG_COLUMNS.index("spot_usd_per_hour")] == ""
    assert lines[2].split(",")[CATALOG_COLUMNS.index("accelerator")] == ""


def test_write_is_atomic_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "c.csv"
    write_catalog(path, [ROW])
    write_catalog(path, [CPU_ROW])  # replaces, never appends
    assert read_catalog(path) == [CPU_ROW]
    assert os.listdir(tmp_path) == ["c.csv"]


@pytest.mark.parametrize("column, value, message", [
    ("usd_per_hour", "abc", "expected a number"),
    ("usd_per_hour", "-1", ">= 0"),
    ("lat", "123", "latitude"),
    ("jurisdiction", "Germany", "ISO 3166-1"),
    ("accelerator_count", "-0.5", ">= 0"),  # a fraction (shared GPU) is fine, a negative is not
    ("available", "1.5", "whole number"),
    ("as_of", "23/11/2026", "ISO date"),
    ("lon", "", "both lat and lon"),
    ("spot_usd_per_hour", "0", "spot price of 0"),
    ("provider", "", "must not be empty"),
])
def test_bad_cell_names_file_line_and_column(tmp_path, column, value, message):
    text = format_catalog([ROW, CPU_ROW])
    lines = text.splitlines()
    cells = lines[2].split(",")
    cells[CATALOG_COLUMNS.index(column)] = value
    lines[2] = ",".join(cells)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as info:
        read_catalog(path)
    assert info.value.file == str(path)
    assert info.value.path == f"line 3, column {column}"
    assert message in info.value.message


def test_bad_header_and_short_rows_and_duplicates(tmp_path):
    with pytest.raises(ScenarioError, match=r"line 1: bad header.*missing as_of"):
        parse_catalog(",".join(CATALOG_COLUMNS[:-1]) + "\n", "x.csv")
    with pytest.raises(ScenarioError, match="line 2: expected 17 cells, found 3"):
        parse_catalog(",".join(CATALOG_COLUMNS) + "\na,b,c\n", "x.csv")
    with pytest.raises(ScenarioError, match="line 3, column instance_type: duplicate offering"):
        parse_catalog(format_catalog([ROW, ROW]), "x.csv")
    with pytest.raises(ScenarioError, match="must be 0 exactly when"):
        parse_catalog(format_catalog([replace(ROW, accelerator_count=0)]), "x.csv")
    with pytest.raises(ScenarioError, match="catalog file not found"):
        read_catalog(tmp_path / "missing.csv")


def test_regions_table_has_location_jurisdiction_and_egress():
    regions = load_regions()
    frankfurt = regions[("aws", "eu-central-1")]
    assert (frankfurt.jurisdiction, frankfurt.egress_usd_per_gb) == ("DE", 0.09)
    assert abs(frankfurt.lat - 50.11) < 0.5 and abs(frankfurt.lon - 8.68) < 0.5
    assert regions[("azure", "japaneast")].egress_usd_per_gb == 0.12
    for provider in ("aws", "gcp", "azure"):
        assert sum(1 for p, _ in regions if p == provider) >= 8


# --- the bundled snapshot ---------------------------------------------------------------

US, EU = {"US", "CA"}, {"DE", "IE", "GB", "FR", "SE", "NL", "BE", "FI"}
ASIA = {"JP", "KR", "SG", "IN", "TW", "ID"}


def test_bundled_catalog_covers_the_gpu_families_and_cpu_on_three_clouds():
    rows = [r for r in bundled_catalog() if r.provider in ("aws", "gcp", "azure")]
    families = {r.accelerator for r in rows}
    for gpu in ("T4", "L4", "A10G", "L40S", "V100", "A100", "A100-80GB", "H100", "H200"):
        assert gpu in families, gpu
    clouds_of = {gpu: {r.provider for r in rows if r.accelerator == gpu} for gpu in families}
    for gpu in ("T4", "V100", "A100", "A100-80GB", "H100"):
        assert clouds_of[gpu] == {"aws", "gcp", "azure"}, gpu
    assert clouds_of["L4"] == {"aws", "gcp"}
    assert {r.provider for r in rows if r.accelerator is None} == {"aws", "gcp", "azure"}
    for provider in ("aws", "gcp", "azure"):
        regions = {r.region for r in rows if r.provider == provider}
        gpu_regions = {r.region for r in rows if r.provider == provider and r.accelerator}
        assert len(regions) >= 8 and len(gpu_regions) >= 8, provider


def test_bundled_clouds_span_us_eu_and_asia_with_spot_prices():
    rows = bundled_catalog()
    for provider in ("aws", "gcp", "azure"):
        gpu_regions = {(r.region, r.jurisdiction) for r in rows if r.provider == provider and r.accelerator}
        assert len(gpu_regions) >= 8, provider
        by_area = {area: {region for region, code in gpu_regions if code in codes}
                   for area, codes in (("US", US), ("EU", EU), ("Asia", ASIA))}
        assert by_area["US"] and len(by_area["EU"]) >= 3 and len(by_area["Asia"]) >= 2, (provider, by_area)
        assert any(r.spot_usd_per_hour for r in rows if r.provider == provider and r.accelerator)
    # Azure: list prices from the Retail Prices API snapshots, dated by the file they come from;
    # Spot (the "... Spot" meter) only where a dated snapshot had it
    a100 = next(r for r in rows if (r.provider, r.region, r.instance_type)
                == ("azure", "westeurope", "Standard_NC24ads_A100_v4"))
    assert (a100.usd_per_hour, a100.spot_usd_per_hour, a100.accelerator, a100.as_of) == (
        4.775, 1.097295, "A100-80GB", "2026-08-22")
    east = next(r for r in rows if (r.provider, r.region, r.instance_type)
                == ("azure", "eastus2", "Standard_NC24ads_A100_v4"))
    assert (east.spot_usd_per_hour, east.as_of) == (None, "2026-06-18")
    assert {r.region for r in rows if r.provider == "azure" and r.accelerator is None} >= {
        "westeurope", "japaneast"}


def test_bundled_rows_are_facts_with_a_source_and_a_date():
    rows = bundled_catalog()
    assert len(rows) > 200
    regions = load_regions()
    for r in rows:
        assert r.source and len(r.as_of) == 10
        assert r.usd_per_hour > 0 and r.egress_usd_per_gb >= 0
        assert r.spot_usd_per_hour is None or r.spot_usd_per_hour > 0
        assert (r.accelerator is None) == (r.accelerator_count == 0)
        if r.provider in ("aws", "gcp", "azure"):  # neoclouds may have unlocated regions
            assert (r.provider, r.region) in regions and r.egress_usd_per_gb > 0
    # spot-check a published list price (AWS g6.2xlarge in us-east-1, Linux on demand)
    g6 = next(r for r in rows
              if (r.provider, r.region, r.instance_type) == ("aws", "us-east-1", "g6.2xlarge"))
    assert (g6.usd_per_hour, g6.accelerator, g6.accelerator_count) == (0.9776, "L4", 1)
    # GCP bills the GPU on top of the host: g2-standard-4 = host 0.14679 + L4 0.56004 in us-central1
    g2 = next(r for r in rows
              if (r.provider, r.region, r.instance_type) == ("gcp", "us-central1", "g2-standard-4"))
    assert g2.usd_per_hour == pytest.approx(0.14679 + 0.56004, abs=1e-5) and g2.accelerator == "L4"


def test_canonical_accelerator_names_and_filters():
    assert canonical_accelerator("nvidia-tesla-t4") == "T4"
    assert canonical_accelerator("a100-80gb") == "A100-80GB"
    assert canonical_accelerator("A100", memory_gib=80) == "A100-80GB"
    assert canonical_accelerator("H100-MEGA") == "H100"
    assert canonical_accelerator("Gaudi2") == "Gaudi2"
    assert [canonical_accelerator(n) for n in ("gh200", "nvidia-gh200", "rtx-a6000", "quadro-rtx-6000")] == [
        "GH200", "GH200", "A6000", "RTX6000"]
    rows = [ROW, CPU_ROW, replace(ROW, provider="gcp", region="us-central1")]
    assert filter_rows(rows, providers=["AWS"]) == [ROW, CPU_ROW]
    assert filter_rows(rows, accelerators=["L4"]) == [ROW, rows[2]]
    assert filter_rows(rows, accelerators=["cpu"]) == [CPU_ROW]
    assert filter_rows(rows, regions=["us-central1"], accelerators=["L4", "CPU"]) == [rows[2]]
