"""AWS adapter, offline: moto for EC2, botocore Stubber for the Price List and Service Quotas
(moto serves neither real prices nor EC2 quotas), a local fake endpoint for error paths."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from fakes.aws import instance_type, price_item, quota, spot
from fakes.http import serve
from tierplan.providers.aws import AwsAdapter
from tierplan.providers.base import ProviderAdapter, Region
from tierplan.providers.common import RefreshError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REGIONS = {
    "us-east-1": Region("aws", "us-east-1", 38.9, -77.4, "US", 0.09),
    "eu-central-1": Region("aws", "eu-central-1", 50.11, 8.68, "DE", 0.09),
}
G_CODE, P_CODE = "L-DB2E81BA", "L-417A185B"


def client(service: str, region: str = "us-east-1"):
    """A client with dummy keys; Stubber or moto answers it."""
    return boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y")


def session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name="us-east-1")


def pricing_filters(region: str) -> list[dict[str, str]]:
    terms = {"regionCode": region, "operatingSystem": "Linux", "tenancy": "Shared",
             "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required",
             "instanceFamily": "GPU instance"}
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in terms.items()]


def stub_pricing(client, pages: list[list[str]], region: str = "us-east-1") -> Stubber:
    stubber = Stubber(client)
    for number, page in enumerate(pages):
        response = {"FormatVersion": "aws_v1", "PriceList": page}
        expected = {"ServiceCode": "AmazonEC2", "Filters": pricing_filters(region), "FormatVersion": "aws_v1"}
        if number + 1 < len(pages):
            response["NextToken"] = f"token-{number + 1}"
        if number > 0:
            expected["NextToken"] = f"token-{number}"
        stubber.add_response("get_products", response, expected)
    stubber.activate()
    return stubber


def stub_quotas(client, pages: list[list[dict]], extra: dict[str, float] | None = None) -> Stubber:
    stubber = Stubber(client)
    for number, page in enumerate(pages):
        response = {"Quotas": page}
        expected = {"ServiceCode": "ec2"}
        if number + 1 < len(pages):
            response["NextToken"] = f"q{number + 1}"
        if number > 0:
            expected["NextToken"] = f"q{number}"
        stubber.add_response("list_service_quotas", response, expected)
    for code, value in (extra or {}).items():
        stubber.add_response("get_service_quota", {"Quota": quota(code, value)},
                             {"ServiceCode": "ec2", "QuotaCode": code})
    stubber.activate()
    return stubber


def test_moto_ec2_with_stubbed_prices_and_quotas_gives_catalog_rows():
    with mock_aws():
        s = session()
        pricing = s.client("pricing", region_name="us-east-1")
        # Two pages of PriceList JSON strings, as the real API pages them.
        stub_pricing(pricing, [
            [price_item("g5.xlarge", "us-east-1", "1.0060000000"),
             price_item("p4d.24xlarge", "us-east-1", "32.7726000000", vcpu="96", memory="1152 GiB", gpu="8")],
            [price_item("p4de.24xlarge", "us-east-1", "40.9657500000", vcpu="96", memory="1152 GiB", gpu="8"),
             price_item("g6.xlarge", "us-east-1", "0.8048000000"),
             price_item("g99.fantasy", "us-east-1", "1.0")],  # priced but not offered: left out
        ])
        quotas = s.client("service-quotas", region_name="us-east-1")
        # The list lacks the P quota; the adapter asks for it by code.
        stub_quotas(quotas, [[quota("L-1216C47A", 1152.0)], [quota(G_CODE, 64.0)]], extra={P_CODE: 192.0})
        adapter = AwsAdapter(session=s, pricing=pricing, quotas=lambda region: quotas,
                             regions=REGIONS, clock=lambda: NOW)
        rows = {r.instance_type: r for r in adapter.offerings(["us-east-1"])}

    assert isinstance(adapter, ProviderAdapter)
    assert sorted(rows) == ["g5.xlarge", "g6.xlarge", "p4d.24xlarge", "p4de.24xlarge"]
    g5 = rows["g5.xlarge"]
    assert (g5.accelerator, g5.accelerator_count, g5.vcpus, g5.memory_gib) == ("A10G", 1, 4.0, 16.0)
    assert g5.usd_per_hour == 1.006
    assert g5.available == 16  # 64 G/VT vCPUs / 4 vCPUs
    assert (g5.lat, g5.lon, g5.jurisdiction, g5.egress_usd_per_gb) == (38.9, -77.4, "US", 0.09)
    assert (g5.source, g5.as_of) == ("aws-pricing-api", "2026-11-23")
    # AWS calls both A100s "A100"; 80 GiB per GPU makes it the A100-80GB.
    assert (rows["p4d.24xlarge"].accelerator, rows["p4d.24xlarge"].accelerator_count) == ("A100", 8)
    assert rows["p4de.24xlarge"].accelerator == "A100-80GB"
    assert rows["p4de.24xlarge"].accelerator_memory_gib == 80.0
    assert rows["p4d.24xlarge"].available == 2  # 192 P vCPUs / 96
    assert rows["g6.xlarge"].accelerator == "L4"
    # moto serves a fixed spot price for every offered type; it is read, not invented.
    assert g5.spot_usd_per_hour == pytest.approx(0.00001)


def test_spot_is_the_cheapest_zone_at_its_latest_price_across_pages():
    ec2 = client("ec2", "eu-central-1")
    stubber = Stubber(ec2)
    stubber.add_response("describe_instance_types", {
        "InstanceTypes": [instance_type("g6.xlarge", 4, 16384, "L4", 1, 22888)], "NextToken": "n1"})
    stubber.add_response("describe_instance_types", {
        "InstanceTypes": [instance_type("m5.large", 2, 8192)]}, {"NextToken": "n1"})
    old, new = NOW - timedelta(hours=3), NOW - timedelta(minutes=5)
    stubber.add_response("describe_spot_price_history", {"SpotPriceHistory": [
        spot("g6.xlarge", "eu-central-1a", "0.5000", new),
        spot("g6.xlarge", "eu-central-1b", "0.2000", old),  # superseded below
    ], "NextToken": "s1"}, {"InstanceTypes": ["g6.xlarge"], "ProductDescriptions": ["Linux/UNIX"],
                            "StartTime": NOW})
    stubber.add_response("describe_spot_price_history", {"SpotPriceHistory": [
        spot("g6.xlarge", "eu-central-1b", "0.4100", new),
        spot("g6.xlarge", "eu-central-1c", "0.4500", new),
        spot("g6.xlarge", "eu-central-1-ham-1a", "0.1000", new),  # a Local Zone: not this region's price
    ]}, {"InstanceTypes": ["g6.xlarge"], "ProductDescriptions": ["Linux/UNIX"], "StartTime": NOW,
         "NextToken": "s1"})
    stubber.activate()
    pricing = client("pricing")
    stub_pricing(pricing, [[price_item("g6.xlarge", "eu-central-1", "0.9776")]], region="eu-central-1")
    quotas = boto3.client("service-quotas", region_name="eu-central-1",
                          aws_access_key_id="x", aws_secret_access_key="y")
    qstub = Stubber(quotas)
    qstub.add_client_error("list_service_quotas", "AccessDeniedException", "not allowed")
    qstub.activate()

    adapter = AwsAdapter(pricing=pricing, ec2=lambda region: ec2, quotas=lambda region: quotas,
                         regions=REGIONS, clock=lambda: NOW)
    (row,) = adapter.offerings(["eu-central-1"])
    assert row.spot_usd_per_hour == 0.41
    assert row.usd_per_hour == 0.9776
    assert row.jurisdiction == "DE"
    assert row.available is None  # quota unreadable: unknown, i.e. unlimited
    stubber.assert_no_pending_responses()


def test_capacity_blocks_and_zero_prices_are_not_on_demand_prices():
    pricing = client("pricing")
    stub_pricing(pricing, [[
        price_item("p5.48xlarge", "us-east-1", "31.464", marketoption="CapacityBlock"),
        price_item("p5.48xlarge", "us-east-1", "98.32", marketoption="OnDemand"),
        price_item("g4dn.xlarge", "us-east-1", "0.0000000000"),
        price_item("g4dn.2xlarge", "us-east-1", "0.752", marketoption=None),
    ]])
    ec2 = client("ec2")
    stubber = Stubber(ec2)
    stubber.add_response("describe_instance_types", {"InstanceTypes": [
        instance_type("p5.48xlarge", 192, 2097152, "H100", 8, 81920),
        instance_type("g4dn.xlarge", 4, 16384, "T4", 1, 16384),
        instance_type("g4dn.2xlarge", 8, 32768, "T4", 1, 16384)]})
    stubber.add_response("describe_spot_price_history", {"SpotPriceHistory": []}, None)
    stubber.activate()
    adapter = AwsAdapter(pricing=pricing, ec2=lambda r: ec2, quotas=lambda r: _denied(), regions=REGIONS,
                         clock=lambda: NOW)
    rows = {r.instance_type: r for r in adapter.offerings(["us-east-1"])}
    assert sorted(rows) == ["g4dn.2xlarge", "p5.48xlarge"]
    assert rows["p5.48xlarge"].usd_per_hour == 98.32
    assert rows["p5.48xlarge"].accelerator == "H100"
    assert rows["g4dn.2xlarge"].spot_usd_per_hour is None  # no spot history: None, never 0


def _denied():
    client = boto3.client("service-quotas", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    stubber = Stubber(client)
    stubber.add_client_error("list_service_quotas", "AccessDeniedException", "no")
    stubber.activate()
    return client


def test_quotas_map_family_vcpus_to_instances():
    ec2 = client("ec2")
    stubber = Stubber(ec2)
    stubber.add_response("describe_instance_types", {"InstanceTypes": [
        instance_type("g6.12xlarge", 48, 196608, "L4", 4, 22888),
        instance_type("vt1.3xlarge", 12, 24576),
        instance_type("p5.48xlarge", 192, 2097152, "H100", 8, 81920),
        instance_type("m5.large", 2, 8192)]})
    stubber.activate()
    quotas = boto3.client("service-quotas", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    stub_quotas(quotas, [[quota(G_CODE, 100.0), quota(P_CODE, 0.0)]])
    adapter = AwsAdapter(pricing=object(), ec2=lambda r: ec2, quotas=lambda r: quotas, regions=REGIONS)
    assert adapter.quotas(["us-east-1"]) == {
        ("us-east-1", "g6.12xlarge"): 2, ("us-east-1", "vt1.3xlarge"): 8, ("us-east-1", "p5.48xlarge"): 0,
    }


def test_unknown_region_is_skipped_with_a_warning(caplog):
    adapter = AwsAdapter(pricing=object(), ec2=lambda r: pytest.fail("no call expected"),
                         regions=REGIONS, clock=lambda: NOW)
    with caplog.at_level(logging.WARNING):
        assert adapter.offerings(["mars-north-1"]) == []
    assert "mars-north-1" in caplog.text
    assert adapter.egress_usd_per_gb("eu-central-1") == 0.09
    assert [r.region for r in adapter.regions()] == ["eu-central-1", "us-east-1"]


def test_api_error_names_the_call_and_never_the_secret(caplog, monkeypatch):
    secret = "wJalrXUtnFEMI/K7MDENG/SENTINEL-SECRET-KEY"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")  # the standard chain reads both
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    # A misbehaving endpoint whose error text echoes the secret back.
    error = {"__type": "AccessDeniedException",
             "Message": f"User is not authorized to perform: pricing:GetProducts with key {secret}"}
    with serve({"/": lambda q, h: (400, error)}) as server:
        pricing = boto3.client("pricing", region_name="us-east-1", endpoint_url=server.base_url)
        adapter = AwsAdapter(pricing=pricing, ec2=lambda r: pytest.fail("no call expected"),
                             regions=REGIONS, clock=lambda: NOW)
        with caplog.at_level(logging.DEBUG), pytest.raises(RefreshError) as info:
            adapter.offerings(["us-east-1"])
        # The request really was signed with the credentials from the environment.
        assert "Credential=AKIDEXAMPLE/" in server.requests[0].headers["authorization"]
    message = str(info.value)
    assert "pricing get_products for us-east-1" in message and "AccessDenied" in message
    assert "not authorized" in message
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("tierplan"))
    # (botocore's own DEBUG log prints response bodies verbatim; that is the SDK's log, off by default)
    assert secret not in message and secret not in ours
    assert secret not in repr(info.value.args)


def test_missing_boto3_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # makes `import boto3` raise ImportError
    adapter = AwsAdapter(regions=REGIONS, clock=lambda: NOW)
    with pytest.raises(RefreshError, match=r"pip install 'tierplan\[aws\]'"):
        adapter.offerings(["us-east-1"])

