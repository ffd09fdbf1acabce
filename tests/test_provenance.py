"""Price provenance: placements name their price's source and date; old prices get a note."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import offering, scenario, site, solve, training
from tierplan.reports.document import plan_document
from tierplan.reports.provenance import STALE_DAYS
from tierplan.reports.render import render

JOB = training(accelerators={"H100": 1.0}, work_hours=40)


def _plan():
    sc = scenario([], [JOB], catalog={"source": "bundled", "providers": ["aws"], "regions": ["us-east-1"]})
    return solve(sc)


def test_each_catalog_placement_carries_the_source_and_date_of_its_price():
    doc = plan_document(_plan())
    (p,) = doc["placements"]
    assert p["source"].startswith("aws-price-list") and p["as_of"] == "2026-01-21"
    assert doc["prices"]["catalogs"] == [{"source": p["source"], "as_of": "2026-01-21", "placements": 1}]
    assert doc["prices"]["oldest_as_of"] == "2026-01-21"


def test_prices_older_than_90_days_get_a_note_measured_against_the_given_date():
    plan = _plan()
    as_of = date(2026, 1, 21)
    fresh = plan_document(plan, today=as_of + timedelta(days=STALE_DAYS))
    assert fresh["prices"]["notes"] == []
    old = plan_document(plan, today=as_of + timedelta(days=STALE_DAYS + 1))
    (note,) = old["prices"]["notes"]
    assert "91 days old" in note and "2026-01-21" in note
    assert plan_document(plan)["prices"]["notes"] == []  # no date given: no age check
    assert old["status"] == "optimal"  # a note, not an error


def test_table_and_html_name_the_catalog_and_its_date():
    plan = _plan()
    table = render(plan, "table", today=date(2026, 12, 7))
    assert "prices: aws-price-list" in table and "(as of 2026-01-21)" in table
    assert "note: prices of 1 placement(s) are 320 days old" in table
    assert "as of 2026-01-21" in render(plan, "table", width=160)
    html = render(plan, "html", today=date(2026, 12, 7))
    assert "aws-price-list" in html and "as of 2026-01-21" in html and "320 days old" in html


def test_owned_hardware_has_no_catalog_price():
    sc = scenario([site("dc", tier="onprem", offerings=[offering("dgx", 10.0, "H100", 8)])], [JOB])
    doc = plan_document(solve(sc), today=date(2026, 12, 7))
    assert "prices" not in doc and "source" not in doc["placements"][0]
