"""GCP adapter, offline: the real google-cloud-billing client over its REST transport, pointed
at a local fake Cloud Billing endpoint with anonymous (or fake) credentials."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import billing_v1
from google.oauth2.credentials import Credentials

from fakes.gcp import SKUS_PATH, paged, sku
from fakes.http import serve
from tierplan.providers.base import ProviderAdapter, Region
from tierplan.providers.common import RefreshError
from tierplan.providers.gcp import GcpAdapter, MachineShape
from tierplan.providers.refresh import run_refresh

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REGIONS = {"europe-west4": Region("gcp", "europe-west4", 53.44, 6.84, "NL", 0.12),
           "us-central1": Region("gcp", "us-central1", 41.26, -95.86, "US", 0.12)}
EU, US = "europe-west4", "us-central1"

PAGE_1 = [
    sku("A2 Instance Core running in Netherlands", "CPU", 0.034645, [EU]),
    sku("A2 Instance Ram running in Netherlands", "RAM", 0.004643, [EU], unit="GiBy.h"),
    sku("Nvidia Tesla A100 GPU running in Netherlands", "GPU", 2.934, [EU]),
    sku("Spot Preemptible A2 Instance Core running in Netherlands", "CPU", 0.0104, [EU], usage="Preemptible"),
    sku("Spot Preemptible A2 Instance Ram running in Netherlands", "RAM", 0.0014, [EU], usage="Preemptible",
        unit="GiBy.h"),
    sku("Spot Preemptible Nvidia Tesla A100 GPU running in Netherlands", "GPU", 1.17, [EU],
        usage="Preemptible"),
    # Commitments and reservations are not on-demand prices.
    sku("Commitment v1: A2 Cpu in Netherlands for 1 Year", "CPU", 0.02, [EU], usage="Commit1Yr"),
    sku("Reserved Nvidia Tesla A100 GPU in Netherlands", "GPU", 0.5, [EU]),
]
PAGE_2 = [
    sku("G2 Instance Core running in Americas", "CPU", 0.03, [US, EU]),  # multi-region, loses to regional
    sku("G2 Instance Core running in Netherlands", "CPU", 0.0275, [EU]),
    sku("G2 Instance Ram running in Netherlands", "RAM", 0.0032, [EU], unit="GiBy.h"),
    sku("Nvidia L4 GPU running in Netherlands", "GPU", 0.6174, [EU]),
    sku("Nvidia L4 Virtual Workstation GPU running in Netherlands", "GPU", 0.9, [EU]),
    sku("Nvidia A100 80GB GPU running in Netherlands", "GPU", 4.0, [EU]),
    sku("N1 Predefined Instance Core running in Americas", "N1Standard", 0.031611, [US]),
    sku("N1 Predefined Instance Ram running in Americas", "N1Standard", 0.004237, [US], unit="GiBy.h"),
    sku("Nvidia Tesla T4 GPU running in Americas", "GPU", 0.35, [US]),
    sku("SSD backed Local Storage running in Netherlands", "LocalSSD", 0.088, [EU], family="Storage",
        unit="GiBy.mo"),
    sku("Network Internet Egress from Netherlands", "PremiumInternetEgress", 0.12, [EU], family="Network",
        unit="GiBy"),
]


def catalog_client(base_url: str, credentials=None) -> billing_v1.CloudCatalogClient:
    return billing_v1.CloudCatalogClient(
        transport="rest", credentials=credentials or AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=base_url))


def test_machine_prices_are_summed_from_core_ram_and_gpu_skus_over_two_pages():
    with serve({SKUS_PATH: paged([PAGE_1, PAGE_2])}) as server:
        adapter = GcpAdapter(client=catalog_client(server.base_url), regions=REGIONS, clock=lambda: NOW)
        rows = {(r.region, r.instance_type): r for r in adapter.offerings()}
        calls = server.calls(SKUS_PATH)

    assert isinstance(adapter, ProviderAdapter)
    assert len(calls) == 2 and calls[1].query["pageToken"] == ["page-1"]
    assert calls[0].query["currencyCode"] == ["USD"]
    a2 = rows[(EU, "a2-highgpu-1g")]
    assert a2.usd_per_hour == pytest.approx(12 * 0.034645 + 85 * 0.004643 + 2.934, abs=1e-6)
    assert a2.spot_usd_per_hour == pytest.approx(12 * 0.0104 + 85 * 0.0014 + 1.17, abs=1e-6)
    assert (a2.accelerator, a2.accelerator_count, a2.vcpus, a2.memory_gib) == ("A100", 1, 12, 85)
    assert (a2.source, a2.as_of, a2.jurisdiction) == ("gcp-cloud-billing-catalog", "2026-11-23", "NL")
    assert rows[(EU, "a2-highgpu-8g")].usd_per_hour == pytest.approx(
        96 * 0.034645 + 680 * 0.004643 + 8 * 2.934, abs=1e-6)
    ultra = rows[(EU, "a2-ultragpu-1g")]
    assert ultra.accelerator == "A100-80GB" and ultra.accelerator_memory_gib == 80
    # a2-ultragpu-1g always comes with 375 GiB of local SSD, billed per GiB-month
    assert ultra.usd_per_hour == pytest.approx(12 * 0.034645 + 170 * 0.004643 + 4.0 + 375 * 0.088 / 730,
                                               abs=1e-6)
    assert ultra.spot_usd_per_hour is None  # no preemptible A100 80GB SKU
    g2 = rows[(EU, "g2-standard-24")]  # regional core SKU, not the Americas one
    assert g2.usd_per_hour == pytest.approx(24 * 0.0275 + 96 * 0.0032 + 2 * 0.6174, abs=1e-6)
    assert g2.accelerator == "L4"
    t4 = rows[(US, "n1-standard-4+1xT4")]
    assert t4.usd_per_hour == pytest.approx(4 * 0.031611 + 15 * 0.004237 + 0.35, abs=1e-6)
    # No H100 SKU anywhere, no G2 RAM in us-central1: those machines are not listed.
    assert not any(r.accelerator == "H100" for r in rows.values())
    assert (US, "g2-standard-4") not in rows
    assert all(r.available is None for r in rows.values())


def test_quotas_and_custom_machine_types_are_passed_in():
    shapes = {"a2-highgpu-1g": MachineShape("A2", 12, 85, "A100", 1)}
    with serve({SKUS_PATH: paged([PAGE_1])}) as server:
        adapter = GcpAdapter(client=catalog_client(server.base_url), regions=REGIONS, clock=lambda: NOW,
                             machine_types=shapes, quotas={(EU, "a2-highgpu-1g"): 3, (US, "x"): 1})
        (row,) = adapter.offerings([EU])
    assert row.available == 3
    assert adapter.quotas([EU]) == {(EU, "a2-highgpu-1g"): 3}


def test_error_response_never_shows_the_access_token(caplog):
    token = "ya29.SENTINEL-ACCESS-TOKEN-do-not-leak"

    def forbidden(query, headers):
        # A hostile or buggy endpoint that echoes the Authorization header back.
        return 403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                               "message": f"Cloud Billing API denied for {headers.get('authorization')}"}}

    with serve({SKUS_PATH: forbidden}) as server, caplog.at_level(logging.DEBUG):
        client = catalog_client(server.base_url, Credentials(token=token))
        with pytest.raises(RefreshError) as info:
            GcpAdapter(client=client, regions=REGIONS, clock=lambda: NOW).offerings([EU])
        assert server.requests[0].headers["authorization"] == f"Bearer {token}"  # the token was sent
    message = str(info.value)
    assert "gcp: cloud billing list_skus failed" in message and "403" in message
    assert token not in message and token not in caplog.text


def test_refresh_with_a_real_token_writes_no_trace_of_it(tmp_path):
    token = "ya29.SENTINEL-OUTPUT-TOKEN"
    with serve({SKUS_PATH: paged([PAGE_1])}) as server:
        client = catalog_client(server.base_url, Credentials(token=token))
        path = run_refresh("gcp", str(tmp_path / "gcp.csv"), [EU],
                           adapter=GcpAdapter(client=client, regions=REGIONS, clock=lambda: NOW))
        assert server.requests[0].headers["authorization"] == f"Bearer {token}"
    text = path.read_text()
    assert "a2-highgpu-1g" in text and token not in text


def test_unknown_region_is_skipped_without_calling_the_api(caplog):
    adapter = GcpAdapter(client=object(), regions=REGIONS, clock=lambda: NOW)
    with caplog.at_level(logging.WARNING):
        assert adapter.offerings(["antarctica-south1"]) == []
    assert "antarctica-south1" in caplog.text


def test_missing_application_default_credentials_is_a_refresh_error(monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(RefreshError, match="application-default login"):
        GcpAdapter(regions=REGIONS, clock=lambda: NOW).offerings([EU])


def test_missing_google_cloud_billing_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.cloud.billing_v1", None)
    with pytest.raises(RefreshError, match=r"pip install 'tierplan\[gcp\]'"):
        GcpAdapter(regions=REGIONS, clock=lambda: NOW).offerings([EU])


# SKUs as the Cloud Billing Catalog lists them for us-central1 ("Americas"): the on-demand
# H100 SKU next to the DWS, Calendar-mode and Spot ones, and A3 Mega's "A3Plus" series.
H100_PAGE = [
    sku("A3 Instance Core running in Americas", "CPU", 0.02755, [US]),
    sku("A3 Instance Ram running in Americas", "RAM", 0.00201, [US], unit="GiBy.h"),
    sku("Spot Preemptible A3 Instance Core running in Americas", "CPU", 0.0102, [US], usage="Preemptible"),
    sku("Spot Preemptible A3 Instance Ram running in Americas", "RAM", 0.000888, [US], usage="Preemptible",
        unit="GiBy.h"),
    sku("Nvidia H100 80GB GPU running in Americas", "GPU", 9.79655, [US]),
    sku("Nvidia H100 80GB GPU attached to DWS Defined Duration VMs running in Americas", "GPU", 4.200761,
        [US]),
    sku("Nvidia H100 80GB GPU attached to Calendar Mode VMs running in Americas", "GPU", 4.5, [US]),
    sku("Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in Americas", "GPU", 2.9926, [US],
        usage="Preemptible"),
    sku("A3Plus Instance Core running in Americas", "CPU", 0.0291, [US]),
    sku("A3Plus Instance Ram running in Americas", "RAM", 0.00212, [US], unit="GiBy.h"),
    sku("Nvidia H100 80GB Mega GPU running in Americas", "GPU", 10.2, [US]),
    sku("SSD backed Local Storage running in Americas", "LocalSSD", 0.08, [US], family="Storage",
        unit="GiBy.mo"),
    sku("SSD backed Local Storage attached to Spot Preemptible VMs running in Americas", "LocalSSD", 0.032,
        [US], family="Storage", unit="GiBy.mo", usage="Preemptible"),
    sku("Nvidia GH200 Grace Hopper GPU running in Americas", "GPU", 5.0, [US]),
]


def test_h100_prices_use_the_on_demand_sku_not_dws_or_calendar_mode_and_include_local_ssd():
    with serve({SKUS_PATH: paged([H100_PAGE])}) as server:
        adapter = GcpAdapter(client=catalog_client(server.base_url), regions=REGIONS, clock=lambda: NOW)
        rows = {(r.region, r.instance_type): r for r in adapter.offerings([US])}
    h100 = rows[(US, "a3-highgpu-8g")]
    assert h100.usd_per_hour == pytest.approx(
        208 * 0.02755 + 1872 * 0.00201 + 8 * 9.79655 + 6000 * 0.08 / 730, abs=1e-6)
    # Spot: the "attached to Spot Preemptible VMs" GPU SKU and the Spot local SSD
    assert h100.spot_usd_per_hour == pytest.approx(
        208 * 0.0102 + 1872 * 0.000888 + 8 * 2.9926 + 6000 * 0.032 / 730, abs=1e-6)
    # sold as Spot or flex-start only: no on-demand row
    assert not {(US, f"a3-highgpu-{n}g") for n in (1, 2, 4)} & set(rows)
    mega = rows[(US, "a3-megagpu-8g")]  # A3 Mega's cores and memory are the A3Plus SKUs
    assert mega.usd_per_hour == pytest.approx(
        208 * 0.0291 + 1872 * 0.00212 + 8 * 10.2 + 6000 * 0.08 / 730, abs=1e-6)
    assert mega.accelerator == "H100" and mega.spot_usd_per_hour is None  # no Spot A3Plus SKUs here
    assert (US, "a3-ultragpu-8g") not in rows  # the GH200 SKU is not an H200 price


def test_sku_modes_tell_dws_calendar_and_spot_apart():
    from tierplan.providers.gcp import sku_mode

    on_demand = "Nvidia H100 80GB GPU running in Americas"
    assert sku_mode(on_demand, "OnDemand") == "OnDemand"
    assert sku_mode("Nvidia H100 80GB GPU attached to DWS Defined Duration VMs running in Americas",
                    "OnDemand") is None
    calendar = "Nvidia H100 80GB GPU attached to Calendar Mode VMs running in Americas"
    assert sku_mode(calendar, "OnDemand") is None
    assert sku_mode("Nvidia H100 80GB GPU attached to Flex-start VMs running in Americas", "OnDemand") is None
    assert sku_mode("Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in Americas",
                    "OnDemand") == "Preemptible"
    assert sku_mode("Spot Preemptible A3 Instance Core running in Americas", "Preemptible") == "Preemptible"
    assert sku_mode("Commitment v1: A3 Cpu in Americas for 1 Year", "Commit1Yr") is None
