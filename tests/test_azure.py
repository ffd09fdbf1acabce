"""Azure adapter, offline: the Retail Prices API served by a local fake server (real
azure-core PipelineClient and transport), sizes and quotas from real azure-ai-ml entities."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import pytest
from azure.core.exceptions import ClientAuthenticationError

from fakes.azure import FakeMLClient, item, size, usage
from fakes.http import serve
from tierplan.providers.azure import KNOWN_SIZES, AzureAdapter
from tierplan.providers.base import ProviderAdapter, Region
from tierplan.providers.common import RefreshError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REGIONS = {"westeurope": Region("azure", "westeurope", 52.37, 4.9, "NL", 0.087),
           "eastus": Region("azure", "eastus", 37.37, -79.82, "US", 0.087)}
PATH = "/api/retail/prices"

PAGE_1 = [
    item("Standard_NC24ads_A100_v4", "NC24ads A100 v4", 3.673),
    item("Standard_NC24ads_A100_v4", "NC24ads A100 v4", 4.41, windows=True),
    item("Standard_NC24ads_A100_v4", "NC24ads A100 v4 Spot", 0.7346),
    item("Standard_NC24ads_A100_v4", "NC24ads A100 v4 Low Priority", 0.9),
]
PAGE_2 = [
    item("Standard_NC4as_T4_v3", "NC4as T4 v3", 0.526, series="NCasT4v3"),
    item("Standard_NC4as_T4_v3", "NC4as T4 v3 Low Priority", 0.1052, series="NCasT4v3"),
    item("Standard_NC4as_T4_v3", "NC4as T4 v3", 2500.0, series="NCasT4v3", kind="Reservation"),
    item("Standard_NV12ads_A10_v5", "NV12ads A10 v5", 0.908, series="NVadsA10v5"),
    item("Standard_D4s_v5", "D4s v5", 0.192, series="Dsv5"),
    item("Standard_NC6s_v3", "NC6s v3", 3.06, series="NCSv3", unit="1/Month"),
]


def retail_routes(pages: list[list[dict]]):
    """Pages chained by NextPageLink with $skip, as the real API does."""
    def handler(query, headers):
        skip = int(query.get("$skip", ["0"])[0])
        number = skip // 100
        body = {"BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail",
                "Items": pages[number], "Count": len(pages[number]), "NextPageLink": None}
        if number + 1 < len(pages):
            body["NextPageLink"] = f"{state['base']}{PATH}?$filter={query['$filter'][0]}&$skip={skip + 100}"
        return 200, body
    state: dict[str, str] = {}
    return {PATH: handler}, state


def adapter_for(server, **kwargs) -> AzureAdapter:
    return AzureAdapter(endpoint=server.base_url + PATH, regions=REGIONS, clock=lambda: NOW, **kwargs)


def test_two_pages_of_retail_prices_with_ml_sizes_and_quotas():
    routes, state = retail_routes([PAGE_1, PAGE_2])
    ml = FakeMLClient(
        sizes=[size("Standard_NC24ads_A100_v4", "StandardNCADSA100v4Family", 24, 220, 1),
               size("Standard_NC4as_T4_v3", "StandardNCASv3_T4Family", 4, 28, 1),
               size("Standard_NV12ads_A10_v5", "StandardNVADSA10v5Family", 12, 110, 1),
               size("Standard_D4s_v5", "standardDSv5Family", 4, 16, 0)],
        usages=[usage("standardNCADSA100v4Family", 96), usage("StandardNCASv3_T4Family", 10),
                usage("StandardNCASv3_T4Family", 8)])  # workspace below subscription: smaller wins
    with serve(routes) as server:
        state["base"] = server.base_url
        adapter = adapter_for(server, ml_client=ml)
        rows = {r.instance_type: r for r in adapter.offerings(["westeurope"])}
        calls = server.calls(PATH)

    assert isinstance(adapter, ProviderAdapter)
    assert len(calls) == 2 and calls[1].query["$skip"] == ["100"]
    assert calls[0].query["$filter"] == [
        "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armRegionName eq 'westeurope'"]
    assert calls[0].query["currencyCode"] == ["USD"]
    assert calls[0].query["meterRegion"] == ["'primary'"]  # non-primary meters price differently
    assert calls[0].query["api-version"] == ["2023-01-01-preview"]
    # CPU-only sizes are left out by default; fractional A10 sizes always.
    assert sorted(rows) == ["Standard_NC24ads_A100_v4", "Standard_NC4as_T4_v3"]
    a100 = rows["Standard_NC24ads_A100_v4"]
    assert (a100.accelerator, a100.accelerator_count) == ("A100-80GB", 1)
    assert (a100.vcpus, a100.memory_gib) == (24, 220)
    assert a100.usd_per_hour == 3.673  # the Windows row is not a Linux price
    assert a100.spot_usd_per_hour == 0.7346  # the Spot row; Low Priority is another product
    assert a100.available == 4  # 96 vCPUs / 24
    assert (a100.source, a100.as_of, a100.jurisdiction, a100.egress_usd_per_gb) == (
        "azure-retail-prices", "2026-11-23", "NL", 0.087)
    t4 = rows["Standard_NC4as_T4_v3"]
    # only a Low Priority row: no spot price (Low Priority is never taken for Spot)
    assert (t4.accelerator, t4.usd_per_hour, t4.spot_usd_per_hour, t4.available) == ("T4", 0.526, None, 2)
    assert ("list_sizes", "westeurope") in ml.compute.calls
    assert adapter.quotas(["westeurope"]) == {
        ("westeurope", "Standard_NC24ads_A100_v4"): 4, ("westeurope", "Standard_NC4as_T4_v3"): 2}


def test_without_ml_client_the_known_gpu_sizes_are_used_and_quotas_unknown():
    routes, state = retail_routes([PAGE_1, PAGE_2])
    with serve(routes) as server:
        state["base"] = server.base_url
        rows = {r.instance_type: r for r in adapter_for(server).offerings(["westeurope"])}
    assert sorted(rows) == ["Standard_NC24ads_A100_v4", "Standard_NC4as_T4_v3"]
    t4 = rows["Standard_NC4as_T4_v3"]
    spec = KNOWN_SIZES["Standard_NC4as_T4_v3"]
    assert (t4.vcpus, t4.memory_gib, t4.accelerator_memory_gib) == (spec.vcpus, spec.memory_gib, 16)
    assert all(r.available is None for r in rows.values())


def test_an_injected_transport_carries_the_requests():
    from azure.core.pipeline.transport import RequestsTransport

    class CountingTransport(RequestsTransport):
        sent = 0

        def send(self, request, **kwargs):
            CountingTransport.sent += 1
            return super().send(request, **kwargs)

    routes, state = retail_routes([PAGE_1, PAGE_2])
    with serve(routes) as server:
        state["base"] = server.base_url
        rows = adapter_for(server, transport=CountingTransport()).offerings(["westeurope"])
    assert CountingTransport.sent == 2 and len(rows) == 2


def test_include_cpu_lists_sizes_without_gpu():
    routes, state = retail_routes([PAGE_2])
    ml = FakeMLClient(sizes=[size("Standard_D4s_v5", "standardDSv5Family", 4, 16, 0)], usages=[])
    with serve(routes) as server:
        state["base"] = server.base_url
        (row,) = adapter_for(server, ml_client=ml, include_cpu=True).offerings(["westeurope"])
    assert (row.instance_type, row.accelerator, row.accelerator_count, row.usd_per_hour) == (
        "Standard_D4s_v5", None, 0, 0.192)


def test_quota_failure_is_a_warning_and_never_shows_the_credential(caplog, monkeypatch):
    secret = "azure-client-secret-SENTINEL-7f3a"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    routes, state = retail_routes([PAGE_1])
    # An SDK error that echoes the secret: the adapter's warning must mask it.
    echo = ClientAuthenticationError(f"AADSTS7000215: Invalid client secret provided: {secret}")
    ml = FakeMLClient(sizes=[size("Standard_NC24ads_A100_v4", "StandardNCADSA100v4Family", 24, 220, 1)],
                      usages=[], fail_usage=echo)
    with serve(routes) as server, caplog.at_level(logging.DEBUG):
        state["base"] = server.base_url
        (row,) = adapter_for(server, ml_client=ml).offerings(["westeurope"])
        assert all(secret not in str(r.headers) + r.path for r in server.requests)
    assert row.available is None
    assert "list_usage" in caplog.text and "Invalid client secret" in caplog.text
    assert secret not in caplog.text


def test_http_error_is_a_refresh_error_naming_the_region():
    with serve({PATH: lambda q, h: (503, {"error": {"code": "ServiceUnavailable"}})}) as server:
        adapter = AzureAdapter(endpoint=server.base_url + PATH, regions=REGIONS, clock=lambda: NOW,
                               http=_no_retry_client(server.base_url))
        with pytest.raises(RefreshError, match=r"azure: retail prices for eastus failed \(HTTP 503"):
            adapter.offerings(["eastus"])


def _no_retry_client(base_url: str):
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import RetryPolicy

    return PipelineClient(base_url, policies=[RetryPolicy(retry_total=0)])


def test_a_repeating_next_page_link_stops_the_refresh():
    def handler(query, headers):
        return 200, {"Items": [], "NextPageLink": f"{box['base']}{PATH}?$skip=100"}
    box: dict[str, str] = {}
    with serve({PATH: handler}) as server:
        box["base"] = server.base_url
        with pytest.raises(RefreshError, match="repeats"):
            adapter_for(server).offerings(["westeurope"])


def test_unknown_region_is_skipped(caplog):
    adapter = AzureAdapter(endpoint="http://127.0.0.1:9/none", regions=REGIONS, clock=lambda: NOW)
    with caplog.at_level(logging.WARNING):
        assert adapter.offerings(["moon-central"]) == []
    assert "moon-central" in caplog.text


def test_missing_azure_core_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.core.rest", None)
    adapter = AzureAdapter(regions=REGIONS, clock=lambda: NOW)
    with pytest.raises(RefreshError, match=r"pip install 'tierplan\[azure\]'"):
        adapter.offerings(["westeurope"])


def test_non_primary_meter_rows_are_ignored():
    """The same size metered in another region (isPrimaryMeterRegion false) has its own price;
    a server that ignores meterRegion='primary' must not make it the on-demand or spot price."""
    other = {**item("Standard_NC24ads_A100_v4", "NC24ads A100 v4", 2.95), "isPrimaryMeterRegion": False}
    other_spot = {**item("Standard_NC24ads_A100_v4", "NC24ads A100 v4 Spot", 0.31),
                  "isPrimaryMeterRegion": False}
    routes, state = retail_routes([[other, other_spot, *PAGE_1]])
    with serve(routes) as server:
        state["base"] = server.base_url
        (a100,) = adapter_for(server).offerings(["westeurope"])
    assert (a100.usd_per_hour, a100.spot_usd_per_hour) == (3.673, 0.7346)
