"""Operations: ``/healthz``, Prometheus ``/metrics`` and JSON logs.

The server is the standard library's ``ThreadingHTTPServer`` in a daemon thread; the
metrics are written in the Prometheus text format (0.0.4) by hand, so prometheus-client
is not needed. ``/healthz`` answers 200 while ticks finish (the last one no older than
three intervals, or none due yet) and 503 otherwise.

Exported: ``tierplan_autoscale_replicas{endpoint,site}`` (gauge, the count last seen or
set), ``tierplan_autoscale_decisions_total{endpoint,site,action}`` (counter: scale_up,
scale_down, hold, none), ``tierplan_autoscale_errors_total{kind}`` (counter: metrics,
controller, planner, tick), ``tierplan_autoscale_cost_usd_per_hour`` (gauge, compute at
the counts after the tick), ``tierplan_autoscale_unmet_rps{endpoint}`` (gauge, the demand
the last plan could not serve: beyond what the sites carry at max_replicas or within the
budget), ``tierplan_autoscale_ticks_total`` and
``tierplan_autoscale_last_tick_timestamp_seconds``.

Logs: :func:`configure_logging` sends every record of the process through
:class:`JsonFormatter` (the autoscaler's, APScheduler's, the SDKs' and Python warnings), so
stderr holds one JSON object per line and nothing else.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

__all__ = ["JsonFormatter", "OpsMetrics", "OpsServer", "configure_logging"]


class OpsMetrics:
    def __init__(self, clock: Callable[[], float], interval_s: float) -> None:
        self.clock = clock
        self.interval_s = interval_s
        self.started = clock()
        self.lock = threading.Lock()
        self.replicas: dict[tuple[str, str], int] = {}
        self.decisions: dict[tuple[str, str, str], int] = {}
        self.errors: dict[str, int] = {}
        self.cost = 0.0
        self.unmet: dict[str, float] = {}
        self.ticks = 0
        self.last_tick: float | None = None

    def error(self, kind: str, n: int = 1) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + n

    def observe_tick(self, now: float, replicas: dict[tuple[str, str], int],
                     actions: list[tuple[str, str, str]], cost: float) -> None:
        with self.lock:
            self.replicas.update(replicas)
            for key in actions:
                self.decisions[key] = self.decisions.get(key, 0) + 1
            self.cost = cost
            self.ticks += 1
            self.last_tick = now

    def observe_unmet(self, unmet: dict[str, float]) -> None:
        """Demand each planned endpoint's plan leaves unserved (0 when it serves it all)."""
        with self.lock:
            self.unmet.update(unmet)

    def healthy(self) -> bool:
        with self.lock:
            reference = self.last_tick if self.last_tick is not None else self.started
        return self.clock() - reference <= 3 * self.interval_s + 5

    def render(self) -> str:
        def esc(value: str) -> str:
            return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

        with self.lock:
            lines = ["# HELP tierplan_autoscale_replicas Replicas per endpoint and site, last seen or set.",
                     "# TYPE tierplan_autoscale_replicas gauge"]
            lines += [f'tierplan_autoscale_replicas{{endpoint="{esc(e)}",site="{esc(s)}"}} {n}'
                      for (e, s), n in sorted(self.replicas.items())]
            lines += ["# HELP tierplan_autoscale_decisions_total Decisions per endpoint, site and action.",
                      "# TYPE tierplan_autoscale_decisions_total counter"]
            lines += [f'tierplan_autoscale_decisions_total{{endpoint="{esc(e)}",site="{esc(s)}",'
                      f'action="{a}"}} {n}' for (e, s, a), n in sorted(self.decisions.items())]
            lines += ["# HELP tierplan_autoscale_errors_total Errors by kind.",
                      "# TYPE tierplan_autoscale_errors_total counter"]
            lines += [f'tierplan_autoscale_errors_total{{kind="{k}"}} {n}'
                      for k, n in sorted(self.errors.items())]
            lines += ["# HELP tierplan_autoscale_unmet_rps Demand the last plan leaves unserved.",
                      "# TYPE tierplan_autoscale_unmet_rps gauge"]
            lines += [f'tierplan_autoscale_unmet_rps{{endpoint="{esc(e)}"}} {v:.6f}'
                      for e, v in sorted(self.unmet.items())]
            lines += ["# HELP tierplan_autoscale_cost_usd_per_hour Compute cost of the replicas now.",
                      "# TYPE tierplan_autoscale_cost_usd_per_hour gauge",
                      f"tierplan_autoscale_cost_usd_per_hour {self.cost:.6f}",
                      "# HELP tierplan_autoscale_ticks_total Ticks finished.",
                      "# TYPE tierplan_autoscale_ticks_total counter",
                      f"tierplan_autoscale_ticks_total {self.ticks}",
                      "# HELP tierplan_autoscale_last_tick_timestamp_seconds When the last tick finished.",
                      "# TYPE tierplan_autoscale_last_tick_timestamp_seconds gauge",
                      f"tierplan_autoscale_last_tick_timestamp_seconds {self.last_tick or 0:.3f}"]
        return "\n".join(lines) + "\n"


class OpsServer:
    def __init__(self, metrics: OpsMetrics, host: str = "127.0.0.1", port: int = 9464) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    ok = owner.metrics.healthy()
                    self._send(200 if ok else 503, "text/plain", "ok\n" if ok else "stale: no recent tick\n")
                elif path == "/metrics":
                    self._send(200, "text/plain; version=0.0.4; charset=utf-8", owner.metrics.render())
                else:
                    self._send(404, "text/plain", "not found\n")

            def _send(self, code: int, kind: str, body: str) -> None:
                data = body.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # scrapes every 15 s would drown the decision log

        self.metrics = metrics
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="tierplan-ops", daemon=True)

    def start(self) -> OpsServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for serve_forever: only when it runs
            self.httpd.shutdown()
        self.httpd.server_close()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message, and every ``extra`` field."""

    _SKIP = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": round(record.created, 3), "level": record.levelname.lower(),
                               "logger": record.name, "message": record.getMessage()}
        for key, value in record.__dict__.items():
            if key not in self._SKIP and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, sort_keys=False)


def configure_logging(level: str = "info", stream: IO[str] | None = None) -> logging.Handler:
    """One JSON handler on the root logger, so every record goes out as JSON.

    The autoscaler logs at ``level``; APScheduler at warning and above (its "skipped:
    maximum number of running instances reached" when a tick outlasts the interval)
    unless ``level`` is debug; other libraries at warning; ``warnings.warn`` too."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    ours = logging.getLogger("tierplan.autoscale")
    ours.handlers.clear()
    ours.propagate = True
    ours.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if level.lower() == "debug" else logging.WARNING)
    logging.captureWarnings(True)
    return handler
