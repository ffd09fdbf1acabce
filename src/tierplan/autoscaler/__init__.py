"""``tierplan autoscale``: keep inference endpoints sized across sites and tiers.

The parts (each its own module):

- :mod:`.config` / :mod:`.schema`: the config file -> frozen :class:`AutoscaleConfig`
  (and the narrowed one-hour scenario the planner sees);
- :mod:`.metrics`: demand per client (Prometheus, CloudWatch, file replay);
- :mod:`.sizing`: replica counts per site from the planner (churn-penalised);
- :mod:`.decide`: the HPA guards, floors and budgets between the plan and an action;
- :mod:`.controllers`: read and set replicas (SageMaker, Vertex AI, Azure ML, Kubernetes,
  dry-run), with retries;
- :mod:`.store`: every decision, the stabilisation history and the actions (SQLite or
  PostgreSQL);
- :mod:`.loop`: one tick, restart, the APScheduler loop; :mod:`.ops`: /healthz, /metrics,
  JSON logs.

Cloud SDKs, APScheduler and psycopg2 are imported only where they are used.
"""

from __future__ import annotations

from .clock import Clock, FakeClock, SystemClock
from .config import AutoscaleConfig, load_config, parse_config
from .decide import Guards, SiteDecision
from .loop import Autoscaler, Runner
from .store import Store, open_store

__all__ = ["AutoscaleConfig", "Autoscaler", "Clock", "FakeClock", "Guards", "Runner", "SiteDecision",
           "Store", "SystemClock", "load_config", "open_store", "parse_config"]
