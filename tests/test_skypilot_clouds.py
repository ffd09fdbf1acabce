"""Every cloud in SkyPilot's catalog format: regions located, kept or noted; fractional GPUs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import inference, scenario, solve, training
from conftest import run_cli as run
from tierplan.providers.catalog import read_catalog, write_catalog
from tierplan.providers.locate import country_of, known_clouds, locate
from tierplan.providers.skypilot import import_skypilot

CLOUDS = Path(__file__).parent / "data" / "skypilot-clouds"


@pytest.fixture(scope="module")
def imported():
    return import_skypilot(CLOUDS)


def _row(imported, provider, region, instance_type):
    key = (provider, region, instance_type)
    return next(r for r in imported.rows if (r.provider, r.region, r.instance_type) == key)


def test_every_cloud_folder_is_imported(imported):
    assert {r.provider for r in imported.rows} == {"lambda", "runpod", "vast", "azure", "newcloud"}


def test_a_region_in_the_table_gets_its_location_jurisdiction_and_egress(imported):
    row = _row(imported, "lambda", "us-east-1", "gpu_8x_a100")
    assert (row.usd_per_hour, row.accelerator, row.accelerator_count, row.accelerator_memory_gib) == (
        15.92, "A100", 8, 40)
    assert (row.jurisdiction, row.egress_usd_per_gb) == ("US", 0.0) and row.lat is not None
    assert _row(imported, "lambda", "europe-central-1", "gpu_8x_a100").jurisdiction == "DE"


def test_a_region_with_no_known_location_is_kept_and_named_in_a_note(imported):
    row = _row(imported, "lambda", "asia-northeast-2", "gpu_8x_a100")
    assert (row.lat, row.lon, row.jurisdiction) == (None, None, None)
    assert row.egress_usd_per_gb == 0.0  # lambda's default egress still applies
    moon = _row(imported, "newcloud", "moon-base-1", "g1")
    assert moon.egress_usd_per_gb == 0.0 and moon.lat is None
    assert {"lambda/asia-northeast-2", "newcloud/moon-base-1"} <= set(imported.unknown_regions)
    assert any("lambda/asia-northeast-2" in note and "latency" in note for note in imported.notes)


def test_a_region_named_after_its_country_is_placed_in_that_country(imported):
    assert _row(imported, "runpod", "CA", "1x_H100_SECURE").jurisdiction == "CA"
    assert _row(imported, "runpod", "IS", "1x_H100_SECURE").jurisdiction == "IS"
    h200 = _row(imported, "vast", "France, FR, EU", "1x-H200-32-65536")
    assert h200.jurisdiction == "FR" and h200.spot_usd_per_hour is None  # 0.00 means no spot
    assert "vast/France, FR, EU" in imported.country_regions
    assert [country_of(r) for r in ("se-smedjebacken-1", "NORWAY-1", "sa-santiago-1", "us-south-2")] == [
        "SE", "NO", None, "US"]


def test_fractional_accelerator_count_is_kept_and_a_missing_count_is_skipped(imported):
    shared = _row(imported, "azure", "eastus", "Standard_NV8as_v4")
    assert shared.accelerator_count == 0.25 and isinstance(shared.accelerator_count, float)
    assert imported.skipped_rows == 1  # westus9's T4 row has no AcceleratorCount
    assert any("AcceleratorCount" in note for note in imported.notes)


def test_catalog_csv_round_trips_unknown_locations_and_fractions(imported, tmp_path):
    write_catalog(tmp_path / "all.csv", imported.rows)
    assert tuple(read_catalog(tmp_path / "all.csv")) == imported.rows


def test_cli_reads_any_cloud_and_gpus_divides_by_fractional_counts(capsys):
    code, out, err = run(capsys, "catalog", "offerings", "--skypilot", str(CLOUDS), "--provider", "lambda",
                         "--format", "json")
    assert code == 0 and {r["provider"] for r in json.loads(out)} == {"lambda"}
    assert "lambda/asia-northeast-2" in err
    code, out, _ = run(capsys, "catalog", "gpus", "--skypilot", str(CLOUDS), "--format", "json")
    mi25 = next(r for r in json.loads(out) if r["accelerator"] == "MI25")
    assert code == 0 and mi25["usd_per_accelerator_hour"] == pytest.approx(0.364 / 0.25)


def test_bundled_catalog_knows_clouds_it_has_no_rows_for(capsys):
    assert {"lambda", "nebius", "runpod", "vast", "oci"} <= known_clouds()
    code, out, err = run(capsys, "catalog", "offerings", "--provider", "runpod", "--format", "json")
    assert code == 0 and json.loads(out) == [] and "--skypilot" in err
    job = training(accelerators={"A100": 1.0}, work_hours=10)
    sc = scenario([], [job], catalog={"source": "bundled", "providers": ["aws", "gcp", "runpod"]})
    assert {s.provider for s in sc.sites} <= {"aws", "gcp"}
    h100 = training(accelerators={"H100": 1.0}, work_hours=10)
    sc = scenario([], [h100], catalog={"source": "bundled", "providers": ["nebius", "lambda"]})
    assert {s.provider for s in sc.sites} == {"nebius", "lambda"}  # bundled since issue 24


def test_a_scenario_plans_on_a_neocloud_and_an_unlocated_region(tmp_path):
    job = training(accelerators={"A100": 1.0}, work_hours=40)
    sc = scenario([], [job], catalog={"source": "skypilot", "path": str(CLOUDS), "providers": ["lambda"]})
    unlocated = next(s for s in sc.sites if s.name == "lambda/asia-northeast-2")
    assert unlocated.location is None and unlocated.jurisdiction is None
    result = solve(sc)
    assert result.status == "optimal" and result.placements[0].site.startswith("lambda/")


def test_locate_falls_back_from_region_to_country_to_unknown():
    assert locate("aws", "us-east-1").how == "region"
    assert locate("runpod", "CZ").how == "country"
    assert locate("aws", "us-moon-1").how == "unknown"  # hyperscaler names carry no country


def test_an_unlocated_region_serves_clients_once_the_scenario_gives_its_latency():
    tokyo = {"name": "tokyo", "location": {"lat": 35.68, "lon": 139.69}}
    serve = inference(demand={"tokyo": 5}, slo=50, accelerators={"A100": {"rps": 10, "latency_ms": 20}})
    catalog = {"source": "skypilot", "path": str(CLOUDS), "providers": ["lambda"]}
    measured = {"latency_ms": [{"client": "tokyo", "site": "lambda/asia-northeast-2", "ms": 12}]}
    sc = scenario([], [serve], clients=[tokyo], catalog=catalog, network=measured)
    result = solve(sc)
    assert result.status == "optimal"
    assert {p.site for p in result.placements} == {"lambda/asia-northeast-2"}
    # without the measured latency every lambda region is too far from Tokyo (or unknown)
    assert solve(scenario([], [serve], clients=[tokyo], catalog=catalog)).status == "infeasible"
