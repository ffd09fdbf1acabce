"""run_refresh and the helpers the adapters share: GPU names, row invariants, regions,
the atomic write, the CLI, and a refreshed catalog used by a scenario end to end."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from fakes.azure import item
from fakes.http import serve
from tierplan import PlanOptions, load_scenario, plan
from tierplan.cli import main
from tierplan.errors import InputError
from tierplan.providers import refresh
from tierplan.providers.azure import AzureAdapter
from tierplan.providers.base import CatalogRow, Region
from tierplan.providers.catalog import read_catalog
from tierplan.providers.common import RefreshError, canonical_accelerator, make_row, provider_regions, redact

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WESTEUROPE = Region("azure", "westeurope", 52.37, 4.9, "NL", 0.087)
EASTUS = Region("azure", "eastus", 37.37, -79.82, "US", 0.087)


@pytest.mark.parametrize(("name", "memory", "expected"), [
    ("T4", None, "T4"), ("A10G", 22.4, "A10G"), ("L4", 22.4, "L4"), ("L40S", 44.7, "L40S"),
    ("V100", 16, "V100"), ("V100", 32, "V100-32GB"), ("V100-32GB", None, "V100-32GB"),
    ("GH200", 96, "GH200"), ("NVIDIA GH200 Grace Hopper", None, "GH200"), ("GB200", None, "GB200"),
    ("B200", 180, "B200"), ("A100", 40, "A100"), ("A100", 80, "A100-80GB"), ("H100", 80, "H100"),
    ("H200", 141, "H200"), ("T4g", 16, "T4g"), ("T4G", None, "T4g"),
    ("nvidia-tesla-t4", None, "T4"), ("nvidia-l4", None, "L4"), ("nvidia-tesla-v100", None, "V100"),
    ("nvidia-tesla-a100", None, "A100"), ("nvidia-a100-80gb", None, "A100-80GB"),
    ("nvidia-h100-80gb", None, "H100"), ("nvidia-h100-mega-80gb", None, "H100"),
    ("nvidia-h200-141gb", None, "H200"),
    ("Nvidia Tesla T4 GPU", None, "T4"), ("Nvidia A100 80GB GPU", None, "A100-80GB"),
    ("NVIDIA_TESLA_A100", None, "A100"), ("NVIDIA_A100_80GB", None, "A100-80GB"), ("NVIDIA_L4", None, "L4"),
    ("NC24ads_A100_v4", None, "A100"), ("NC4as_T4_v3", None, "T4"), ("ND96isr_H100_v5", None, "H100"),
    ("NV36ads_A10_v5", None, "A10"),
    ("NVIDIA RTX A6000", None, "A6000"), ("A6000", 48, "A6000"), ("Quadro RTX 6000", None, "RTX6000"),
    ("RTX6000", 24, "RTX6000"),
    ("NVIDIA RTX 6000 Ada Generation", None, "NVIDIA RTX 6000 Ada Generation"),  # another chip: kept
    ("Radeon Pro V520", None, "Radeon Pro V520"), ("K80", None, "K80"),  # unknown: kept as named
])
def test_provider_gpu_names_map_to_the_catalog_names(name, memory, expected):
    assert canonical_accelerator(name, memory) == expected


def test_make_row_enforces_the_catalog_invariants():
    row = make_row(WESTEUROPE, "x", vcpus=4, memory_gib=16.0000001, accelerator="T4", accelerator_count=0,
                   accelerator_memory_gib=16, usd_per_hour=0.1234567891, spot_usd_per_hour=0.0,
                   available=-3, source="s", as_of="2026-11-23")
    assert (row.accelerator, row.accelerator_count, row.accelerator_memory_gib) == (None, 0, None)
    assert row.spot_usd_per_hour is None  # 0 means unknown, never free
    assert row.usd_per_hour == 0.123457 and row.memory_gib == 16.0 and row.available == 0
    assert (row.lat, row.lon, row.jurisdiction, row.egress_usd_per_gb) == (52.37, 4.9, "NL", 0.087)
    with pytest.raises(ValueError, match="must be > 0"):
        make_row(WESTEUROPE, "x", vcpus=4, memory_gib=16, accelerator=None, accelerator_count=0,
                 accelerator_memory_gib=None, usd_per_hour=0, spot_usd_per_hour=None, available=None,
                 source="s", as_of="2026-11-23")


def test_bundled_regions_back_the_adapters():
    regions = provider_regions("gcp")
    assert "europe-west4" in regions and regions["europe-west4"].jurisdiction == "NL"
    assert all(r.provider == "gcp" for r in regions.values())


def test_redact_masks_environment_secrets_and_bearer_tokens(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    text = redact("bad key very-secret-value; Authorization: Bearer ya29.abcdefghij; X-Amz-Signature=abc123")
    assert "very-secret-value" not in text and "ya29.abcdefghij" not in text and "abc123" not in text


class FakeAdapter:
    """A ProviderAdapter returning fixed rows, to test run_refresh alone."""

    name = "azure"

    def __init__(self, rows: Sequence[CatalogRow], regions: Iterable[Region] = (WESTEUROPE, EASTUS)):
        self.rows, self._regions, self.asked = list(rows), list(regions), []

    def regions(self) -> Sequence[Region]:
        return self._regions

    def offerings(self, regions: Iterable[str] | None = None) -> Sequence[CatalogRow]:
        wanted = None if regions is None else list(regions)
        self.asked.append(wanted)
        return [r for r in self.rows if wanted is None or r.region in wanted]

    def quotas(self, regions: Iterable[str] | None = None) -> Mapping[tuple[str, str], int]:
        return {}

    def egress_usd_per_gb(self, region: str) -> float:
        return 0.087


def row(name: str, region: Region = WESTEUROPE, price: float = 0.5) -> CatalogRow:
    return make_row(region, name, vcpus=4, memory_gib=28, accelerator="T4", accelerator_count=1,
                    accelerator_memory_gib=16, usd_per_hour=price, spot_usd_per_hour=None, available=None,
                    source="azure-retail-prices", as_of="2026-11-23")


def test_run_refresh_writes_a_sorted_catalog_to_the_default_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    adapter = FakeAdapter([row("b", EASTUS), row("a"), row("c")])
    path = refresh.run_refresh("azure", None, [], adapter=adapter)
    assert path == tmp_path / ".tierplan" / "catalog-azure.csv"
    assert adapter.asked == [None]  # empty region list: every region
    assert [(r.region, r.instance_type) for r in read_catalog(path)] == [
        ("eastus", "b"), ("westeurope", "a"), ("westeurope", "c")]
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write left no temp file


def test_nothing_priced_leaves_the_old_catalog_alone(tmp_path):
    out = tmp_path / "catalog.csv"
    out.write_text("old\n")
    with pytest.raises(RefreshError, match="nothing written"):
        refresh.run_refresh("azure", str(out), ["westeurope"], adapter=FakeAdapter([row("a", EASTUS)]))
    assert out.read_text() == "old\n"


def test_regions_unknown_to_the_table_are_skipped_or_refused(tmp_path):
    adapter = FakeAdapter([row("a"), row("b", EASTUS)])
    with pytest.raises(InputError, match="no known azure region in atlantis"):
        refresh.run_refresh("azure", str(tmp_path / "x.csv"), ["atlantis"], adapter=adapter)
    path = refresh.run_refresh("azure", str(tmp_path / "x.csv"), ["atlantis", "westeurope"], adapter=adapter)
    assert [r.instance_type for r in read_catalog(path)] == ["a"]
    with pytest.raises(InputError, match="did you mean 'westeurope'"):
        refresh.run_refresh("azure", str(tmp_path / "x.csv"), ["west-europe"], adapter=adapter)
    with pytest.raises(InputError, match="unknown provider"):
        refresh.run_refresh("oracle", None, None, adapter=adapter)


def test_duplicate_rows_are_an_error_not_a_broken_file(tmp_path):
    with pytest.raises(RefreshError, match="duplicate offering azure/westeurope/a"):
        refresh.run_refresh("azure", str(tmp_path / "x.csv"), None, adapter=FakeAdapter([row("a"), row("a")]))
    assert not (tmp_path / "x.csv").exists()


# --- end to end: Retail Prices API (fake) -> run_refresh -> CSV -> scenario -> plan ----------

PRICES = [
    item("Standard_NC4as_T4_v3", "NC4as T4 v3", 0.526, series="NCasT4v3"),
    item("Standard_NC4as_T4_v3", "NC4as T4 v3 Spot", 0.0526, series="NCasT4v3"),
    item("Standard_NC24ads_A100_v4", "NC24ads A100 v4", 3.673),
]


def azure_adapter(base_url: str) -> AzureAdapter:
    return AzureAdapter(endpoint=f"{base_url}/api/retail/prices",
                        regions={"westeurope": WESTEUROPE}, clock=lambda: NOW)


def test_refreshed_catalog_is_a_file_catalog_for_a_scenario(tmp_path):
    with serve({"/api/retail/prices": lambda q, h: (200, {"Items": PRICES, "NextPageLink": None})}) as server:
        path = refresh.run_refresh("azure", str(tmp_path / "azure.csv"), ["westeurope"],
                                   adapter=azure_adapter(server.base_url))
    scenario = {
        "name": "refreshed", "horizon_hours": 730,
        "catalog": {"source": "file", "path": str(path), "providers": ["azure"], "regions": ["westeurope"]},
        "clients": [{"name": "amsterdam", "location": {"lat": 52.37, "lon": 4.9}, "jurisdiction": "NL"}],
        "workloads": [{"name": "detector", "kind": "inference",
                       "accelerators": {"T4": {"rps": 10, "latency_ms": 30}},
                       "demand_rps": {"amsterdam": 12}, "latency_slo_ms": 100}],
    }
    file = tmp_path / "scenario.yaml"
    file.write_text(yaml.safe_dump(scenario))
    result = plan(load_scenario(file), PlanOptions())
    assert result.status == "optimal"
    (placement,) = result.placements
    assert (placement.site, placement.offering, placement.instances) == (
        "azure/westeurope", "Standard_NC4as_T4_v3", 2)  # 12 rps / (10 rps x 0.8) -> 2 instances
    assert result.total_cost_usd == pytest.approx(2 * 0.526 * 730, rel=1e-6)


def test_cli_refresh_writes_the_file_and_reports_errors_without_traceback(tmp_path, monkeypatch, capsys):
    with serve({"/api/retail/prices": lambda q, h: (200, {"Items": PRICES, "NextPageLink": None})}) as server:
        adapter = azure_adapter(server.base_url)
        monkeypatch.setattr(refresh, "default_adapter", lambda provider, clock=None: adapter)
        out = tmp_path / "cli.csv"
        with pytest.raises(SystemExit) as done:
            main(["catalog", "refresh", "--provider", "azure", "-o", str(out), "--region", "westeurope"])
        assert done.value.code == 0
        names = {r.instance_type for r in read_catalog(out)}
        assert names == {"Standard_NC4as_T4_v3", "Standard_NC24ads_A100_v4"}
        with pytest.raises(SystemExit) as bad:
            main(["catalog", "refresh", "--provider", "azure", "-o", str(out), "--region", "atlantis"])
    assert bad.value.code == 2
    err = capsys.readouterr().err
    assert "no known azure region in atlantis" in err and "Traceback" not in err


def test_cli_api_failure_exits_1_with_the_call_named(tmp_path, monkeypatch, capsys, caplog):
    secret = "SENTINEL-AZURE-SECRET-0042"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)

    def broken(query, headers):
        return 500, {"error": {"code": "InternalError", "message": f"backend saw {secret}"}}

    with serve({"/api/retail/prices": broken}) as server, caplog.at_level(logging.DEBUG):
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import RetryPolicy

        adapter = AzureAdapter(endpoint=f"{server.base_url}/api/retail/prices",
                               regions={"westeurope": WESTEUROPE},
                               http=PipelineClient(server.base_url, policies=[RetryPolicy(retry_total=0)]))
        monkeypatch.setattr(refresh, "default_adapter", lambda provider, clock=None: adapter)
        with pytest.raises(SystemExit) as done:
            main(["catalog", "refresh", "--provider", "azure", "-o", str(tmp_path / "x.csv")])
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert "azure: retail prices for westeurope failed (HTTP 500" in err
    assert secret not in err and secret not in caplog.text
    assert not Path(tmp_path / "x.csv").exists()
