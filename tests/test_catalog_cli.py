"""`tierplan catalog ...`: output formats, filters, sources and exit codes."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from conftest import SHARED_DATA
from conftest import run_cli as run
from tierplan.providers.catalog import bundled_catalog, write_catalog


def test_offerings_json_is_filtered_and_complete(capsys):
    code, out, _ = run(capsys, "catalog", "offerings", "--provider", "aws", "--region", "us-east-1",
                       "--accelerator", "L4,cpu", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows and {r["provider"] for r in rows} == {"aws"} and {r["region"] for r in rows} == {"us-east-1"}
    assert {r["accelerator"] for r in rows} == {"L4", None}
    assert {"instance_type", "usd_per_hour", "spot_usd_per_hour", "jurisdiction", "egress_usd_per_gb",
            "source", "as_of", "lat", "lon"} <= set(rows[0])
    prices = [r["usd_per_hour"] for r in rows]
    assert prices == sorted(prices)


def test_gpus_groups_by_accelerator_with_the_cheapest_per_region(capsys):
    code, out, _ = run(capsys, "catalog", "gpus", "--accelerator", "nvidia-tesla-a100", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["accelerator"] for r in rows} == {"A100"}
    keys = [(r["provider"], r["region"]) for r in rows]
    assert len(keys) == len(set(keys))  # one row per region
    gcp = next(r for r in rows if (r["provider"], r["region"]) == ("gcp", "us-central1"))
    candidates = [r for r in bundled_catalog() if r.accelerator == "A100"
                  and (r.provider, r.region) == ("gcp", "us-central1")]
    cheapest = min(candidates, key=lambda r: r.usd_per_hour / r.accelerator_count)
    assert gcp["instance_type"] == cheapest.instance_type
    per = cheapest.usd_per_hour / cheapest.accelerator_count
    assert float(gcp["usd_per_accelerator_hour"]) == pytest.approx(per)
    per_gpu = [float(r["usd_per_accelerator_hour"]) for r in rows]
    assert per_gpu == sorted(per_gpu)


def test_sites_and_the_default_table(capsys):
    code, out, _ = run(capsys, "catalog", "sites", "--provider", "gcp", "--format", "json")
    assert code == 0
    sites = {s["site"]: s for s in json.loads(out)}
    eemshaven = sites["gcp/europe-west4"]
    assert (eemshaven["jurisdiction"], eemshaven["egress_usd_per_gb"]) == ("NL", 0.12)
    assert eemshaven["offerings"] >= 1 and "A100" in eemshaven["accelerators"]
    code, out, _ = run(capsys, "catalog", "sites", "--region", "eu-central-1")
    assert code == 0 and "aws/eu-central-1" in out and "egress" in out


@pytest.mark.parametrize("argv, option", [
    (["--provider", "awz"], "--provider"),
    (["--region", "mars-1"], "--region"),
    (["--accelerator", "H1000"], "--accelerator"),
    (["--catalog", "/nope/prices.csv"], "--catalog"),
    (["--skypilot", "/nope"], "--skypilot"),
])
def test_bad_filter_or_missing_path_exits_2_naming_the_option(capsys, argv, option):
    code, out, err = run(capsys, "catalog", "offerings", *argv)
    assert code == 2 and out == ""
    assert f"tierplan: error: {option}" in err and "Traceback" not in err


def test_catalog_file_and_skypilot_sources(capsys, tmp_path):
    rows = [r for r in bundled_catalog() if r.provider == "azure"]
    write_catalog(tmp_path / "az.csv", rows)
    code, out, _ = run(capsys, "catalog", "offerings", "--catalog", str(tmp_path / "az.csv"),
                       "--format", "json")
    assert code == 0 and len(json.loads(out)) == len(rows)
    (tmp_path / "broken.csv").write_text("provider,region\n")
    code, _, err = run(capsys, "catalog", "offerings", "--catalog", str(tmp_path / "broken.csv"))
    assert code == 2 and "broken.csv: line 1: bad header" in err
    fixture = SHARED_DATA / "catalogs/skypilot-v8-subset"
    if fixture.is_dir():
        code, out, err = run(capsys, "catalog", "gpus", "--skypilot", str(fixture), "--format", "json")
        assert code == 0 and {"A100", "H100", "B200"} <= {r["accelerator"] for r in json.loads(out)}
        assert {"aws", "gcp", "nebius"} == {r["provider"] for r in json.loads(out)}


def test_refresh_without_the_live_adapters_says_so(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tierplan.providers.refresh", None)  # import fails like a missing module
    code, _, err = run(capsys, "catalog", "refresh", "--provider", "aws")
    assert code == 1 and "catalog refresh is not available" in err and "Traceback" not in err


def test_refresh_calls_run_refresh(capsys, monkeypatch, tmp_path):
    import types

    calls = []
    fake = types.ModuleType("tierplan.providers.refresh")

    def run_refresh(provider, output, regions):
        calls.append((provider, output, regions))
        return tmp_path / "out.csv"

    fake.run_refresh = run_refresh  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tierplan.providers.refresh", fake)
    code, _, err = run(capsys, "catalog", "refresh", "--provider", "gcp", "-o", "x.csv",
                       "--region", "us-central1", "--region", "europe-west4")
    assert code == 0 and calls == [("gcp", "x.csv", ["us-central1", "europe-west4"])]
    assert "out.csv" in err
    code, _, _ = run(capsys, "catalog", "refresh", "--provider", "oracle")
    assert code == 2


def test_neocloud_offerings_come_from_the_bundled_snapshot_without_skypilot(capsys):
    code, out, err = run(capsys, "catalog", "offerings", "--provider", "lambda", "--region", "us-east-1",
                         "--accelerator", "H100", "--format", "json")
    assert code == 0 and "--skypilot" not in err
    offers = json.loads(out)
    assert {o["instance_type"] for o in offers} >= {"gpu_1x_h100_sxm5", "gpu_8x_h100_sxm5"}
    assert {o["provider"] for o in offers} == {"lambda"}
    assert {o["as_of"] for o in offers} == {"2026-05-07", "2026-09-25"}  # see test_catalog_snapshot
    code, out, err = run(capsys, "catalog", "gpus", "--provider", "nebius", "--format", "json")
    assert code == 0 and "--skypilot" not in err
    assert {g["accelerator"] for g in json.loads(out)} >= {"H100", "H200", "B200", "B300"}
