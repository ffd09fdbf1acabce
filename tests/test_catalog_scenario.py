"""Scenarios whose cloud sites come from a catalog (SPEC section 1 `catalog:`)."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES, MUNICH, SHARED_DATA, inference, offering, scenario, site, solve, training
from tierplan import load_scenario
from tierplan.errors import ScenarioError
from tierplan.providers.catalog import bundled_catalog, write_catalog
from tierplan.scheduler.check import check_plan

VIRGINIA_CLIENT = {"name": "virginia", "location": {"lat": 38.9, "lon": -77.4}, "jurisdiction": "US"}
SERVE = inference(demand={"virginia": 10}, slo=150,
                  accelerators={"L4": {"rps": 2.5, "latency_ms": 95}, "cpu": {"rps": 0.2, "latency_ms": 100}})


def test_bundled_example_plans_end_to_end_and_checks():
    sc = load_scenario(EXAMPLES / "catalog-bundled.yaml")
    names = {s.name for s in sc.sites}
    assert {"aws/us-east-1", "gcp/us-central1", "azure/eastus", "onprem/fra-dc1"} <= names
    assert all(s.tier == "cloud" for s in sc.sites if s.name.startswith(("aws/", "gcp/", "azure/")))
    result = solve(sc)
    assert result.status == "optimal"
    assert check_plan(sc, result) == []
    used = {p.site for p in result.placements}
    assert any(s.startswith(("aws/", "gcp/", "azure/")) for s in used)
    assert "onprem/fra-dc1" in used  # the amortised DGX is cheaper than EU cloud A100s on demand


def test_catalog_sites_are_named_and_located_by_the_catalog():
    sc = scenario([], [SERVE], clients=[VIRGINIA_CLIENT],
                  catalog={"source": "bundled", "providers": ["aws"], "regions": ["us-east-1"]})
    (east,) = sc.sites
    assert (east.name, east.tier, east.provider, east.region, east.jurisdiction) == (
        "aws/us-east-1", "cloud", "aws", "us-east-1", "US")
    assert east.egress_usd_per_gb == 0.09 and east.location is not None
    # default accelerator filter: only what the workloads can use (L4 and cpu), nothing else
    assert {o.accelerator for o in east.offerings} == {"L4", None}
    result = solve(sc)
    g6 = next(o for o in east.offerings if o.name == "g6.xlarge")  # the cheapest L4 instance
    assert result.placements[0].offering == "g6.xlarge"
    # 10 rps / (2.5 * 0.8) = 5 instances for 100 h, plus no payload egress
    assert result.total_cost_usd == pytest.approx(5 * g6.usd_per_hour * 100, rel=1e-6)


def test_explicit_accelerator_filter_and_unknown_filter_values():
    sc = scenario([], [SERVE], clients=[VIRGINIA_CLIENT],
                  catalog={"source": "bundled", "regions": ["us-east-1"], "accelerators": ["cpu"]})
    assert {o.accelerator for s in sc.sites for o in s.offerings} == {None}
    for field, value, path, hint in [
        ("providers", ["awz"], "catalog.providers[0]", "did you mean 'aws'"),
        ("regions", ["us-east-9"], "catalog.regions[0]", "did you mean"),
        ("accelerators", ["H1OO"], "catalog.accelerators[0]", "unknown accelerator"),
    ]:
        with pytest.raises(ScenarioError) as info:
            scenario([], [SERVE], clients=[VIRGINIA_CLIENT], catalog={"source": "bundled", field: value})
        assert info.value.path == path and hint in info.value.message


def test_workload_must_use_the_catalog_accelerator_names():
    bad = inference(demand={"virginia": 1}, accelerators={"a100-80gb": {"rps": 9, "latency_ms": 50}})
    with pytest.raises(ScenarioError) as info:
        scenario([], [bad], clients=[VIRGINIA_CLIENT], catalog={"source": "bundled"})
    assert info.value.path == "workloads[0].accelerators.a100-80gb"
    assert "'A100-80GB'" in info.value.message


def test_inline_site_with_a_catalog_name_replaces_the_catalog_site():
    own = site("aws/us-east-1", offerings=[offering("my-l4", 0.5)], location={"lat": 38.9, "lon": -77.4})
    sc = scenario([own], [SERVE], clients=[VIRGINIA_CLIENT],
                  catalog={"source": "bundled", "regions": ["us-east-1", "us-east-2"], "providers": ["aws"]})
    by_name = {s.name: s for s in sc.sites}
    assert [o.name for o in by_name["aws/us-east-1"].offerings] == ["my-l4"]
    assert "aws/us-east-2" in by_name
    assert next(iter(by_name)) == "aws/us-east-1"  # inline sites first


def test_catalog_sites_can_be_referenced_by_datasets_and_filters():
    job = training(accelerators={"H100": 1.0}, work_hours=8, datasets=["d"], sites=["gcp/us-central1"])
    sc = scenario([], [job], catalog={"source": "bundled", "providers": ["gcp"]},
                  datasets=[{"name": "d", "size_gb": 10, "site": "gcp/us-central1"}])
    result = solve(sc)
    assert result.placements[0].site == "gcp/us-central1"


def test_source_file_reads_a_refreshed_catalog_relative_to_the_scenario(tmp_path):
    rows = [r for r in bundled_catalog() if r.provider == "azure" and r.region == "eastus"]
    write_catalog(tmp_path / "prices.csv", rows)
    text = f"""
name: from-file
horizon_hours: 10
catalog: {{source: file, path: prices.csv}}
clients: [{{name: c, location: {{lat: {MUNICH['lat']}, lon: {MUNICH['lon']}}}}}]
workloads:
  - {{name: t, kind: training, accelerators: {{T4: 1}}, work_hours: 2}}
"""
    (tmp_path / "s.yaml").write_text(text)
    sc = load_scenario(tmp_path / "s.yaml")
    assert [s.name for s in sc.sites] == ["azure/eastus"]
    assert solve(sc).placements[0].offering == "Standard_NC4as_T4_v3"


@pytest.mark.parametrize("spec, message", [
    ({"source": "file"}, "this field is required for source: file"),
    ({"source": "file", "path": "/nope/prices.csv"}, "catalog file not found"),
    ({"source": "skypilot", "path": "/nope"}, "SkyPilot catalog folder not found"),
    ({"source": "bundled", "path": "x.csv"}, "takes no path"),
])
def test_catalog_path_errors_name_catalog_path(spec, message):
    with pytest.raises(ScenarioError) as info:
        scenario([], [SERVE], clients=[VIRGINIA_CLIENT], catalog=spec)
    assert info.value.path == "catalog.path" and message in info.value.message


def test_no_sites_at_all_is_still_an_error():
    with pytest.raises(ScenarioError) as info:
        scenario([], [SERVE], clients=[VIRGINIA_CLIENT])
    assert info.value.path == "sites"
    with pytest.raises(ScenarioError) as info:  # a filter that leaves nothing
        scenario([], [inference(accelerators={"TPU-v5": {"rps": 1, "latency_ms": 1}})],
                 clients=[VIRGINIA_CLIENT], catalog={"source": "bundled"})
    assert info.value.path == "catalog"


@pytest.mark.skipif(not (SHARED_DATA / "catalogs/skypilot-v8-subset").is_dir(), reason="no shared data")
def test_skypilot_source_plans_with_the_fixture():
    job = training(accelerators={"A100": 1.0, "H100": 2.0}, work_hours=40, spot=True)
    sc = scenario([], [job], catalog={"source": "skypilot",
                                      "path": str(SHARED_DATA / "catalogs/skypilot-v8-subset"),
                                      "providers": ["gcp"]})
    assert all(s.name.startswith("gcp/") for s in sc.sites)
    result = solve(sc)
    assert result.status == "optimal" and result.placements[0].site.startswith("gcp/")
