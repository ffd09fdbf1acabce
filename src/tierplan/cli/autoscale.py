"""`tierplan autoscale CONFIG [--once] [--dry-run]`: keep inference endpoints sized."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import replace

import click

from ..autoscaler.clock import SystemClock
from ..autoscaler.config import AutoscaleConfig, load_config
from ..autoscaler.controllers import Controller, DryRunController, ReadOnly, build_controller
from ..autoscaler.loop import Autoscaler, Runner
from ..autoscaler.metrics import build_source
from ..autoscaler.ops import JsonFormatter, OpsMetrics, OpsServer
from ..autoscaler.store import Store, open_store
from ..errors import TierplanError
from .common import EXIT_ERROR, fail

__all__ = ["autoscale_cmd", "build_autoscaler"]

log = logging.getLogger("tierplan.autoscale")


def build_autoscaler(config: AutoscaleConfig, store: Store, dry_run: bool = False,
                     clock: SystemClock | None = None) -> Autoscaler:
    """Controllers, source and loop from the config, as the command runs them."""
    clock = clock or SystemClock()
    restored = store.last_targets()
    controllers: dict[tuple[str, str], Controller] = {}
    for i, e in enumerate(config.endpoints):
        for j, spec in enumerate(e.sites):
            key = (e.workload, spec.site)
            try:
                controller = build_controller(spec.controller.type, spec.controller.params)
            except ImportError:
                raise
            except Exception as exc:  # SDK set-up errors (no kubeconfig, bad profile, ...)
                raise TierplanError(f"{config.file}: endpoints[{i}].sites[{j}].controller: cannot set up "
                                    f"the {spec.controller.type} controller: {exc}") from exc
            if isinstance(controller, DryRunController) and key in restored:
                controller.replicas = restored[key]  # a pretend endpoint resumes where it was
            controllers[key] = ReadOnly(controller) if dry_run else controller
    source = build_source(config.metrics.type, config.metrics.params,
                          start=lambda: store.first_tick_time() or clock.now())
    return Autoscaler(config, controllers, source, store, clock,
                      metrics=OpsMetrics(clock.now, config.interval_s))


@click.command("autoscale")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--once", is_flag=True, help="Run one tick, print its record as JSON and exit.")
@click.option("--dry-run", is_flag=True, help="Read and decide as usual, record, but change nothing.")
@click.option("--state", default=None, help="State store: a SQLite path or postgresql://... URL "
                                            "[default: the config's 'state', else CONFIG.state.db].")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port of /healthz and /metrics [default: the config's ops.port].")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
def autoscale_cmd(config: str, once: bool, dry_run: bool, state: str | None, port: int | None,
                  log_level: str) -> None:
    """Size the inference endpoints of CONFIG every interval (JSON logs on stderr)."""
    loaded = load_config(config)
    if state is not None:
        loaded = replace(loaded, state_url=state)
    if port is not None:
        loaded = replace(loaded, ops_port=port)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    log.handlers[:] = [handler]
    log.setLevel(log_level.upper())
    log.propagate = False
    store = open_store(loaded.state_url)
    try:
        try:
            autoscaler = build_autoscaler(loaded, store, dry_run)
        except ImportError as exc:
            fail(str(exc), EXIT_ERROR)
        autoscaler.resume()
        if once:
            record = autoscaler.tick()
            click.echo(json.dumps(record, indent=2, sort_keys=True))
            if "error" in record:
                sys.exit(EXIT_ERROR)
            return
        server = None
        if loaded.ops_port is not None:
            server = OpsServer(autoscaler.metrics, loaded.ops_host, loaded.ops_port).start()
        log.info("autoscaler started", extra={"event": "start", "config": config, "dry_run": dry_run,
                                              "interval_s": loaded.interval_s,
                                              "ops_port": server.port if server else None,
                                              "state": loaded.state_url})
        try:
            Runner(autoscaler, loaded.interval_s).run()
        finally:
            if server is not None:
                server.stop()
        log.info("autoscaler stopped", extra={"event": "stop"})
    finally:
        store.close()
