"""Azure Spot prices in the bundled snapshot, and the extractor that reads them.

The rows come from a dated reading of the Azure Retail Prices API (pay-as-you-go and Spot,
Linux) in four European regions; the extractor must never take a Low Priority or Windows
row for Spot, and must skip a size whose Spot price is ambiguous (a non-primary meter).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tierplan.providers.catalog import bundled_catalog

TOOLS = Path(__file__).resolve().parents[1] / "tools"
RADAR_REGIONS = {"westeurope", "northeurope", "francecentral", "swedencentral"}


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def azure():
    return [r for r in bundled_catalog() if r.provider == "azure"]


def _row(rows, region, size):
    return next(r for r in rows if (r.region, r.instance_type) == (region, size))


def test_azure_spot_is_bundled_in_the_four_regions_of_the_dated_snapshot(azure):
    spot = [r for r in azure if r.spot_usd_per_hour is not None]
    assert len(spot) == 69
    assert {r.region for r in spot} == RADAR_REGIONS
    for r in spot:
        assert r.as_of == "2026-08-22" and "azure-pricing-radar" in r.source
        assert 0 < r.spot_usd_per_hour < r.usd_per_hour
    # every bundled size of those regions was read; ND H200 v5 has no Spot meter there
    missing = {r.instance_type for r in azure if r.region in RADAR_REGIONS and r.spot_usd_per_hour is None}
    assert missing == {"Standard_ND96isr_H200_v5"}


def test_azure_spot_is_the_spot_meter_not_low_priority(azure):
    a100 = _row(azure, "westeurope", "Standard_NC24ads_A100_v4")
    # the snapshot lists pay-as-you-go 4.775, Spot 1.097295 and Low Priority 0.955
    assert (a100.usd_per_hour, a100.spot_usd_per_hour) == (4.775, 1.097295)
    h100 = _row(azure, "swedencentral", "Standard_ND96isr_H100_v5")
    assert (h100.usd_per_hour, h100.spot_usd_per_hour) == (127.816, 23.620397)


def test_the_dated_snapshot_repeats_microsofts_pay_as_you_go_prices(azure):
    # the same size and region in Microsoft's own snapshot of the API (karpenter, 2026-06-18)
    # has the same pay-as-you-go price: the rows are the primary meters
    with (TOOLS / "catalog_data" / "azure_on_demand.csv").open(encoding="utf-8", newline="") as handle:
        older = {(c["region"], c["instance_type"]): float(c["usd_per_hour"]) for c in csv.DictReader(handle)}
    dated = [r for r in azure if r.as_of == "2026-08-22"]
    assert len(dated) == 72
    for r in dated:
        assert r.usd_per_hour == older[(r.region, r.instance_type)]
        assert "same pay-as-you-go price 2026-06-18" in r.source


def test_other_azure_regions_keep_the_older_snapshot_without_spot(azure):
    east = _row(azure, "eastus", "Standard_NC40ads_H100_v5")
    assert east.spot_usd_per_hour is None and "azure-pricing-radar" not in east.source


def _item(sku: str, price: float, product: str = "Virtual Machines NCadsH100v5 Series",
          region: str = "westeurope") -> dict[str, object]:
    return {"armRegionName": region, "meterName": sku, "productName": product, "retailPrice": price,
            "skuName": sku, "unitOfMeasure": "1 Hour", "unitPrice": price}


def test_the_extractor_reads_linux_spot_and_skips_what_is_ambiguous(tmp_path, monkeypatch):
    tool = _tool("extract_catalog_sources")
    monkeypatch.setattr(tool, "OUT", tmp_path / "out")
    folder = tmp_path / "latest"
    folder.mkdir()
    (folder / "last-checked.json").write_text(json.dumps({"at": "2026-08-22T20:59:40+00:00"}))
    items = [
        _item("NC40adsH100v5", 9.08), _item("NC40adsH100v5 Spot", 5.23008),
        _item("NC40adsH100v5 Low Priority", 1.816),
        _item("NC40adsH100v5 Spot", 1.98, "Virtual Machines NCadsH100v5 Series Windows"),
        # a size with two Spot prices (a second meter) is skipped, not guessed
        _item("NC80adisH100v5", 18.16), _item("NC80adisH100v5 Spot", 10.46),
        _item("NC80adisH100v5 Spot", 9.0),
        # Low Priority only: no spot price rather than the Low Priority one
        _item("Standard_NC24ads_A100_v4", 4.775, "NCads A100 v4 Series Linux"),
        _item("Standard_NC24ads_A100_v4 Low Priority", 0.955, "NCads A100 v4 Series Linux"),
        # the API's other spelling of ND96asr_v4
        _item("ND96asr_A100_v4", 35.357, "Virtual Machines NDasr A100 v4 Series"),
        _item("ND96asr_A100_v4 Spot", 7.77854, "Virtual Machines NDasr A100 v4 Series"),
    ]
    (folder / "vm-eu-west.json").write_text(json.dumps({str(i): item for i, item in enumerate(items)}))
    tool.azure_radar(folder)
    with (tmp_path / "out" / "azure_spot.csv").open(encoding="utf-8", newline="") as handle:
        got = {c["instance_type"]: (c["usd_per_hour"], c["spot_usd_per_hour"], c["as_of"])
               for c in csv.DictReader(handle)}
    assert got == {
        "Standard_NC40ads_H100_v5": ("9.08", "5.23008", "2026-08-22"),
        "Standard_NC24ads_A100_v4": ("4.775", "", "2026-08-22"),
        "Standard_ND96asr_v4": ("35.357", "7.77854", "2026-08-22"),
    }
