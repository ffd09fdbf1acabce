"""Controllers and metrics sources against local fakes: moto, Stubber, fake REST servers,
a custom azure-core transport. Nothing here reaches a real cloud."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from fakes_autoscale import CLOUD, EDGE, config_dict, write_setup
from fakes_autoscale.apis import KubeApi, PrometheusApi, VertexApi
from fakes_autoscale.http import FakeServer
from tierplan.autoscaler import FakeClock, load_config, open_store
from tierplan.autoscaler.config import RetrySpec
from tierplan.autoscaler.controllers import Retrier, apply, build_controller
from tierplan.autoscaler.controllers.sagemaker import SageMakerController
from tierplan.autoscaler.metrics import build_source
from tierplan.cli.autoscale import build_autoscaler

E = "detector"
QUERY = 'sum by (client) (rate(inference_requests_total{app="detector"}[2m]))'


def retrier(clock=None):
    return Retrier(RetrySpec(attempts=4, base_s=0.5, cap_s=2), clock or FakeClock(), random.Random(3))


# --------------------------------------------------------------------------- kubernetes


def test_kubernetes_scale_subresource_read_and_patch():
    api = KubeApi({("edge", "detector"): 1})
    with FakeServer(api) as server:
        c = build_controller("kubernetes",
                             {"deployment": "detector", "namespace": "edge", "host": server.url})
        assert c.get_replicas() == 1
        c.set_replicas(3, "7/detector/edge")
        assert api.replicas[("edge", "detector")] == 3 and c.get_replicas() == 3
        patch = server.calls("PATCH")[0]
        assert patch.path == "/apis/apps/v1/namespaces/edge/deployments/detector/scale"
        assert patch.body == {"spec": {"replicas": 3}}


def test_kubernetes_write_that_timed_out_after_applying_is_not_repeated():
    api = KubeApi({("default", "detector"): 1})
    api.fail_writes, api.apply_failed_writes = 1, True
    with FakeServer(api) as server:
        c = build_controller("kubernetes", {"deployment": "detector", "host": server.url})
        result = apply(c, 4, "1/detector/edge", retrier())
        assert result.status == "already" and api.replicas[("default", "detector")] == 4
        assert len(server.calls("PATCH")) == 1


def test_kubernetes_missing_deployment_fails_after_retries():
    with FakeServer(KubeApi({})) as server:
        c = build_controller("kubernetes", {"deployment": "nope", "host": server.url})
        result = apply(c, 2, "r", retrier())
        assert result.status == "failed" and "404" in result.error


# ---------------------------------------------------------------------------- sagemaker


def _sagemaker_endpoint(client, count=1):
    client.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
                        PrimaryContainer={"Image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/m:1"})
    client.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": count,
        "InstanceType": "ml.g4dn.xlarge", "InitialVariantWeight": 1.0}])
    client.create_endpoint(EndpointName="detector", EndpointConfigName="cfg")


@mock_aws
def test_sagemaker_reads_and_sets_the_variant_count_with_moto():
    client = boto3.client("sagemaker", region_name="eu-central-1")
    _sagemaker_endpoint(client, 2)
    c = SageMakerController("detector", client=client)
    assert c.get_replicas() == 2
    c.set_replicas(5, "3/detector/aws")
    variant = client.describe_endpoint(EndpointName="detector")["ProductionVariants"][0]
    assert variant["DesiredInstanceCount"] == 5 and c.get_replicas() == 5


def test_sagemaker_retries_while_the_endpoint_is_updating_with_stubber():
    # moto applies updates at once; the 'Updating' refusal comes from a Stubber.
    client = boto3.client("sagemaker", region_name="eu-central-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    variant = {"VariantName": "AllTraffic", "CurrentInstanceCount": 1, "DesiredInstanceCount": 1}
    described = {"EndpointName": "detector",
                 "EndpointArn": "arn:aws:sagemaker:eu-central-1:1:endpoint/detector",
                 "EndpointConfigName": "cfg", "EndpointStatus": "InService", "ProductionVariants": [variant],
                 "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
                 "LastModifiedTime": datetime(2026, 1, 1, tzinfo=UTC)}
    request = {"EndpointName": "detector",
               "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 3}]}
    with Stubber(client) as stub:
        stub.add_client_error("update_endpoint_weights_and_capacities", "ValidationException",
                              "Cannot update in-progress endpoint", 400, expected_params=request)
        stub.add_response("describe_endpoint", described, {"EndpointName": "detector"})
        stub.add_response("update_endpoint_weights_and_capacities",
                          {"EndpointArn": described["EndpointArn"]}, request)
        clock = FakeClock()
        result = apply(SageMakerController("detector", client=client), 3, "r", retrier(clock))
        stub.assert_no_pending_responses()
    assert result.status == "done" and result.attempts == 2 and len(clock.slept) == 1


# ------------------------------------------------------------------------------- vertex


def _vertex(server_url):
    from google.auth.credentials import AnonymousCredentials

    from tierplan.autoscaler.controllers.vertex import VertexController
    return VertexController("proj", "europe-west4", "123", "dm1", api_endpoint=server_url,
                            credentials=AnonymousCredentials(), transport="rest")


def test_vertex_mutate_deployed_model_pins_the_replica_range():
    api = VertexApi("projects/proj/locations/europe-west4/endpoints/123", {"dm1": 2, "other": 1})
    with FakeServer(api) as server:
        c = _vertex(server.url)
        assert c.get_replicas() == 2
        c.set_replicas(4, "5/detector/gcp")
        assert api.deployed == {"dm1": [4, 4], "other": [1, 1]}
        assert api.masks == ["dedicatedResources.minReplicaCount,dedicatedResources.maxReplicaCount"]
        assert c.get_replicas() == 4


def test_vertex_reports_a_mutation_in_flight_and_does_not_send_it_twice():
    api = VertexApi("projects/proj/locations/europe-west4/endpoints/123", {"dm1": 1})
    api.slow_operations = 2
    with FakeServer(api) as server:
        c = _vertex(server.url)
        c.set_replicas(3, "1/detector/gcp")
        assert api.deployed["dm1"] == [1, 1]  # the operation is still running
        assert c.get_replicas() == 3  # ... but the count in flight is what the next tick sees
        c.set_replicas(3, "2/detector/gcp")  # a later tick wanting the same: nothing sent
        assert len(server.calls("POST")) == 1
        assert c.get_replicas() == 3 and api.deployed["dm1"] == [3, 3]  # second poll: done
        assert c.get_replicas() == 3 and c._flight.count() is None


def test_vertex_errors_are_retried():
    api = VertexApi("projects/proj/locations/europe-west4/endpoints/123", {"dm1": 1})
    api.fail_writes = 2
    with FakeServer(api) as server:
        result = apply(_vertex(server.url), 3, "r", retrier())
    assert result.status == "done" and result.attempts == 3 and api.deployed["dm1"] == [3, 3]


# ------------------------------------------------------------------------------ azureml


@pytest.mark.integration  # azure-ai-ml starts a subprocess while it loads
def test_azureml_instance_count_through_a_custom_transport():
    from azure.ai.ml import MLClient

    from fakes_autoscale.azure import FakeAzureML, FakeToken
    from tierplan.autoscaler.controllers.azureml import AzureMLController

    transport = FakeAzureML("sub", "rg", "ws", "detector", "blue", 2)
    transport.fail_writes = 1
    ml = MLClient(FakeToken(), "sub", "rg", "ws", transport=transport, retry_total=0)
    c = AzureMLController("sub", "rg", "ws", "detector", "blue", ml_client=ml)
    assert c.get_replicas() == 2
    result = apply(c, 5, "9/detector/azure", retrier())
    assert result.status == "done" and transport.count == 5 and c.get_replicas() == 5
    puts = [body for method, _, body in transport.requests if method == "PUT"]
    assert [p["sku"]["capacity"] for p in puts] == [5, 5]  # the 503, then the retry


# ------------------------------------------------------------------------------ metrics


def test_prometheus_instant_query_ok_partial_and_down(tmp_path):
    config = load_config(write_setup(tmp_path, config_dict(
        metrics={"source": "prometheus", "url": "http://127.0.0.1:1"},
        endpoints=[{"workload": E, "demand": {"query": QUERY},
                    "sites": [{"site": EDGE, "controller": {"type": "dry-run"}}]}])))
    endpoint = config.endpoints[0]
    api = PrometheusApi({QUERY: {"munich": 7.5, "berlin": 2.5, "paris": 1.0}})
    with FakeServer(api) as server:
        source = build_source("prometheus", {"url": server.url, "timeout": 2})
        reading = source.read(endpoint, 1_767_225_600.0)
        assert reading.status == "ok" and reading.demand == {"munich": 7.5, "berlin": 2.5}
        assert "paris" in reading.detail
        assert server.requests[0].query["query"] == [QUERY]
        assert server.requests[0].query["time"] == ["1767225600.000"]
        del api.series[QUERY]["berlin"]
        assert source.read(endpoint, 0).status == "partial"
        api.down = True
        down = source.read(endpoint, 0)
        assert down.status == "down" and "503" in down.detail
    unreachable = build_source("prometheus", {"url": server.url, "timeout": 1}).read(endpoint, 0)
    assert unreachable.status == "down"


@mock_aws
def test_cloudwatch_get_metric_data_per_client(tmp_path):
    metric = {"namespace": "AWS/SageMaker", "metric": "Invocations",
              "dimensions": {"EndpointName": "detector", "VariantName": "AllTraffic"}}
    config = load_config(write_setup(tmp_path, config_dict(
        metrics={"source": "cloudwatch", "region": "eu-central-1", "period": 60},
        endpoints=[{"workload": E, "demand": {"clients": {
            "munich": metric, "berlin": {**metric, "dimensions": {"EndpointName": "detector-berlin"}}}},
            "sites": [{"site": EDGE, "controller": {"type": "dry-run"}}]}])))
    cw = boto3.client("cloudwatch", region_name="eu-central-1")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for dims, value in ((metric["dimensions"], 600.0), ({"EndpointName": "detector-berlin"}, 120.0)):
        cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
            "MetricName": "Invocations", "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
            "Timestamp": now, "Value": value}])
    source = build_source("cloudwatch", dict(config.metrics.params))
    reading = source.read(config.endpoints[0], now.timestamp() + 30)
    assert reading.status == "ok"
    assert reading.demand == {"munich": pytest.approx(10.0), "berlin": pytest.approx(2.0)}  # per 60 s


# ------------------------------------------------------------------- a tick, end to end


@mock_aws
def test_a_tick_reads_prometheus_and_scales_kubernetes_and_sagemaker(tmp_path):
    sm = boto3.client("sagemaker", region_name="eu-central-1")
    _sagemaker_endpoint(sm, 1)
    kube = KubeApi({("stores", "detector"): 0})
    prom = PrometheusApi({QUERY: {"munich": 30.0, "berlin": 10.0}})  # 40 rps: 2 Jetsons + 1 L4
    with FakeServer(kube) as k8s, FakeServer(prom) as prometheus:
        config = config_dict(metrics={"source": "prometheus", "url": prometheus.url},
                             endpoints=[{"workload": E, "demand": {"query": QUERY}, "sites": [
                                 {"site": EDGE, "controller": {"type": "kubernetes", "namespace": "stores",
                                                               "deployment": "detector", "host": k8s.url}},
                                 {"site": CLOUD, "offering": "g6.xlarge", "controller": {
                                     "type": "sagemaker", "endpoint": "detector", "region": "eu-central-1"}},
                             ]}])
        loaded = load_config(write_setup(tmp_path, config))
        store = open_store(loaded.state_url)
        scaler = build_autoscaler(loaded, store)
        scaler.resume()
        record = scaler.tick()
        assert record["held"] == {}, record
        assert kube.replicas[("stores", "detector")] == 2
        described = sm.describe_endpoint(EndpointName="detector")["ProductionVariants"][0]
        assert described["DesiredInstanceCount"] == 1  # already 1: no call was needed
        assert [a["site"] for a in record["actions"]] == [EDGE]
        prom.down = True
        held = scaler.tick()
        assert held["held"][E].startswith("metrics down") and kube.replicas[("stores", "detector")] == 2
        # --dry-run reads the real controllers but changes nothing
        prom.down = False
        prom.series[QUERY] = {"munich": 50.0, "berlin": 10.0}  # 60 rps: 2 L4s
        dry = build_autoscaler(loaded, store, dry_run=True)
        dry.resume()
        record = dry.tick()
        assert {a["site"]: (a["to"], a["status"]) for a in record["actions"]}[CLOUD] == (2, "dry-run")
        assert store.action_status(f"{record['tick']}/{E}/{CLOUD}") == "dry-run"
        variant = sm.describe_endpoint(EndpointName="detector")["ProductionVariants"][0]
        assert variant["DesiredInstanceCount"] == 1
        store.close()
