"""AWS CloudWatch: ``get_metric_data``, one metric (with its dimensions) per client.

Each tick asks for the last three periods and uses each client's newest datapoint;
with ``per_second`` the statistic is divided by the period (a Sum of invocations per
60 s becomes rps).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import EndpointSpec
from ..extras import require
from .base import Reading, complete

__all__ = ["CloudWatchSource"]


class CloudWatchSource:
    def __init__(self, *, client: Any = None, region: str | None = None, profile: str | None = None,
                 period: float = 60.0, stat: str = "Sum", per_second: bool = True) -> None:
        if client is None:
            boto3 = require("boto3", "aws", "the cloudwatch metrics source")
            client = boto3.Session(profile_name=profile, region_name=region).client("cloudwatch")
        self.client = client
        self.period = max(60, int(period))  # CloudWatch periods are whole seconds, 60 or more here
        self.stat = stat
        self.per_second = per_second

    def read(self, endpoint: EndpointSpec, now: float) -> Reading:
        clients = dict(endpoint.demand.clients or {})
        ids = {f"c{i}": name for i, name in enumerate(clients)}
        queries = [{
            "Id": qid,
            "MetricStat": {
                "Metric": {"Namespace": clients[name]["namespace"], "MetricName": clients[name]["metric"],
                           "Dimensions": [{"Name": k, "Value": v}
                                          for k, v in clients[name]["dimensions"].items()]},
                "Period": self.period,
                "Stat": self.stat,
            },
        } for qid, name in ids.items()]
        end = datetime.fromtimestamp(now, tz=UTC)
        try:
            answer = self.client.get_metric_data(
                MetricDataQueries=queries, StartTime=end - timedelta(seconds=3 * self.period),
                EndTime=end, ScanBy="TimestampDescending")
        except Exception as exc:  # botocore errors have no common base worth importing here
            return Reading("down", {}, f"cloudwatch get_metric_data failed: {exc}")
        values: dict[str, float] = {}
        for result in answer.get("MetricDataResults", []):
            name = ids.get(result.get("Id", ""))
            points = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False),
                            reverse=True)
            if name is not None and points:
                value = float(points[0][1])
                values[name] = value / self.period if self.per_second else value
        return complete(endpoint, values)
