"""`tierplan catalog diff OLD NEW`: prices moved (with %), offerings added or gone."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest

from conftest import run_cli as run
from tierplan.providers.base import CatalogRow
from tierplan.providers.catalog import write_catalog
from tierplan.providers.catalog_diff import diff_catalogs

BASE = CatalogRow("gcp", "us-central1", "a3-highgpu-1g", 26, 234, "H100", 1, 80, 5.3833, 3.3538, None,
                  41.26, -95.86, "US", 0.12, "skypilot", "2026-11-23")
OTHER = replace(BASE, instance_type="a2-highgpu-1g", accelerator="A100", usd_per_hour=3.673,
                spot_usd_per_hour=None)
GONE = replace(BASE, region="us-west1", instance_type="a2-highgpu-1g", accelerator="A100", usd_per_hour=3.67)
NOISE = replace(BASE, instance_type="g2-standard-4", accelerator="L4", usd_per_hour=0.70683,
                spot_usd_per_hour=None)
OLD = [BASE, OTHER, GONE, NOISE]
NEW = [replace(BASE, usd_per_hour=11.06125, spot_usd_per_hour=6.326193, as_of="2026-07-30"),
       replace(OTHER, usd_per_hour=3.8, spot_usd_per_hour=1.5),  # +3.5 %, and spot appears
       replace(NOISE, usd_per_hour=0.706832),  # float noise, not a move
       replace(BASE, instance_type="a3-highgpu-8g", accelerator_count=8, usd_per_hour=88.49)]


def test_moves_are_largest_first_then_added_then_gone():
    diff = diff_catalogs(OLD, NEW)
    assert [(c.change, c.instance_type) for c in diff.changes] == [
        ("price", "a3-highgpu-1g"), ("price", "a2-highgpu-1g"), ("added", "a3-highgpu-8g"),
        ("removed", "a2-highgpu-1g")]
    h100 = diff.changes[0]
    assert h100.percent_change == pytest.approx(105.47, abs=0.01)
    assert h100.usd_change == pytest.approx(5.67795)
    assert (h100.old_as_of, h100.new_as_of) == ("2026-11-23", "2026-07-30")
    a100 = diff.changes[1]
    spot = (a100.old_spot_usd_per_hour, a100.new_spot_usd_per_hour, a100.spot_percent_change)
    assert spot == (None, 1.5, None)
    assert diff.changes[3].region == "us-west1" and diff.changes[3].new_usd_per_hour is None
    assert diff.unchanged == 1
    assert (diff.count("price"), diff.count("added"), diff.count("removed")) == (2, 1, 1)


@pytest.fixture
def files(tmp_path):
    write_catalog(tmp_path / "old.csv", OLD)
    write_catalog(tmp_path / "new.csv", NEW)
    return str(tmp_path / "old.csv"), str(tmp_path / "new.csv")


def test_json_csv_and_table_formats(capsys, files):
    code, out, _ = run(capsys, "catalog", "diff", *files, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["summary"] == {"price": 2, "added": 1, "removed": 1, "unchanged": 1}
    assert doc["changes"][0]["percent_change"] == pytest.approx(105.47, abs=0.01)
    code, out, _ = run(capsys, "catalog", "diff", *files, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["change"] for r in rows] == ["price", "price", "added", "removed"]
    assert rows[0]["usd_change"] == "5.67795" and rows[2]["old_usd_per_hour"] == ""
    code, out, _ = run(capsys, "catalog", "diff", *files)
    assert code == 0 and "2 price(s) moved, 1 offering(s) added, 1 gone, 1 unchanged" in out
    assert "+105.5%" in out


def test_min_percent_keeps_big_moves_and_every_added_or_gone(capsys, files):
    code, out, _ = run(capsys, "catalog", "diff", *files, "--min-percent", "10", "--format", "json")
    assert code == 0
    assert [c["instance_type"] for c in json.loads(out)["changes"]] == [
        "a3-highgpu-1g", "a3-highgpu-8g", "a2-highgpu-1g"]


def test_bundled_against_itself_is_unchanged_and_a_missing_file_exits_2(capsys, tmp_path):
    code, out, _ = run(capsys, "catalog", "diff", "bundled", "bundled", "--format", "json")
    assert code == 0 and json.loads(out)["changes"] == []
    code, _, err = run(capsys, "catalog", "diff", str(tmp_path / "nope.csv"), "bundled")
    assert code == 2 and "OLD: not found" in err and "Traceback" not in err
