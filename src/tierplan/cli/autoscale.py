"""`tierplan autoscale CONFIG [--once] [--dry-run] [--force]`: keep inference endpoints sized."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from dataclasses import replace

import click

from ..autoscaler.clock import SystemClock
from ..autoscaler.config import AutoscaleConfig, load_config
from ..autoscaler.controllers import Controller, DryRunController, ReadOnly, build_controller
from ..autoscaler.extras import MissingExtra
from ..autoscaler.loop import Autoscaler, Runner
from ..autoscaler.metrics import build_source
from ..autoscaler.ops import OpsMetrics, OpsServer, configure_logging
from ..autoscaler.store import Store, open_store
from ..errors import InputError, TierplanError
from .common import EXIT_ERROR

__all__ = ["autoscale_cmd", "build_autoscaler", "check_competing_autoscalers"]

log = logging.getLogger("tierplan.autoscale")


def build_autoscaler(config: AutoscaleConfig, store: Store, dry_run: bool = False,
                     clock: SystemClock | None = None) -> Autoscaler:
    """Controllers, source and loop from the config, as the command runs them."""
    clock = clock or SystemClock()
    restored = store.last_targets()
    simulated = store.last_dry_runs() if dry_run else {}
    controllers: dict[tuple[str, str], Controller] = {}
    for i, e in enumerate(config.endpoints):
        for j, spec in enumerate(e.sites):
            key = (e.workload, spec.site)
            try:
                controller = build_controller(spec.controller.type, spec.controller.params)
            except TierplanError:
                raise
            except Exception as exc:  # SDK set-up errors (no kubeconfig, bad profile, ...)
                raise TierplanError(f"{config.file}: endpoints[{i}].sites[{j}].controller: cannot set up "
                                    f"the {spec.controller.type} controller: {exc}") from exc
            if isinstance(controller, DryRunController) and key in restored:
                controller.replicas = restored[key]  # a pretend endpoint resumes where it was
            if dry_run:
                controller = ReadOnly(controller, simulated.get(key))
            controllers[key] = controller
    source = build_source(config.metrics.type, config.metrics.params,
                          start=lambda: store.first_tick_time() or clock.now())
    return Autoscaler(config, controllers, source, store, clock,
                      metrics=OpsMetrics(clock.now, config.interval_s))


def check_competing_autoscalers(config: AutoscaleConfig, autoscaler: Autoscaler, force: bool,
                                dry_run: bool) -> None:
    """Refuse to start when an HPA or KEDA ScaledObject already scales a controlled Deployment.

    Two autoscalers on one replica count undo each other's changes every few seconds.
    ``--force`` (or ``--dry-run``, which changes nothing) starts anyway, with a warning."""
    found: list[str] = []
    for i, e in enumerate(config.endpoints):
        for j, spec in enumerate(e.sites):
            controller = autoscaler.controllers[(e.workload, spec.site)]
            inner = controller.inner if isinstance(controller, ReadOnly) else controller
            check = getattr(inner, "competing_autoscalers", None)
            if check is None:
                continue
            others, unchecked = check()
            for what in unchecked:
                log.warning("could not check %s for other autoscalers (%s)", inner.description, what,
                            extra={"event": "competing_autoscaler_unchecked", "site": spec.site,
                                   "controller": inner.description, "detail": what})
            for other in others:
                found.append(f"endpoints[{i}].sites[{j}] ({inner.description}) is also scaled by {other}")
    if not found:
        return
    if force or dry_run:
        for line in found:
            log.warning("%s; %s", line, "--dry-run changes nothing" if dry_run and not force
                        else "--force: starting anyway, the two will undo each other's changes",
                        extra={"event": "competing_autoscaler"})
        return
    raise InputError(f"{config.file}: " + "; ".join(found) + ". Two autoscalers on one Deployment "
                     "undo each other's changes: delete the other one (or leave this site out of the "
                     "config), or pass --force to start anyway")


@click.command("autoscale")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--once", is_flag=True, help="Run one tick, print its record as JSON and exit.")
@click.option("--dry-run", is_flag=True, help="Read and decide as usual, record, but change nothing "
                                              "(each site remembers the count it would have set).")
@click.option("--state", default=None, metavar="PATH|URL",
              help="State store: a SQLite path or postgresql://... URL [default: the config's "
                   "'state', else <config folder>/.tierplan/state/<config name>.db].")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port of /healthz and /metrics [default: the config's ops.port].")
@click.option("--force", is_flag=True, help="Start even when an HPA or KEDA ScaledObject already "
                                            "scales one of the Deployments.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True, help="Least severe JSON log record written to stderr.")
def autoscale_cmd(config: str, once: bool, dry_run: bool, state: str | None, port: int | None,
                  force: bool, log_level: str) -> None:
    """Size the inference endpoints of CONFIG every interval (JSON logs on stderr)."""
    try:
        _run(config, once, dry_run, state, port, force, log_level)
    except _Stopped as exc:
        log.info("stopped by %s before the loop ran", exc, extra={"event": "stop"})
    except ModuleNotFoundError as exc:  # an import no MissingExtra names: still a hint, not a traceback
        raise MissingExtra(f"the module {exc.name!r} cannot be imported ({exc}); install what the "
                           "config needs, e.g. pip install 'tierplan[all]'") from None


def _run(config: str, once: bool, dry_run: bool, state: str | None, port: int | None, force: bool,
         log_level: str) -> None:
    loaded = load_config(config)
    if state is not None:
        loaded = replace(loaded, state_url=state)
    if port is not None:
        loaded = replace(loaded, ops_port=port)
    configure_logging(log_level)
    if threading.current_thread() is threading.main_thread():
        # Until the loop takes over: set-up calls (a hung API server) must not outlive SIGTERM.
        signal.signal(signal.SIGTERM, _stop_now)
        signal.signal(signal.SIGINT, _stop_now)
    for note in loaded.notes:
        log.warning(note, extra={"event": "config_note"})
    server = None
    if not once and loaded.ops_port is not None:
        server = _ops_server(loaded, port is not None)
    store = open_store(loaded.state_url)
    abandoned = False
    try:
        autoscaler = build_autoscaler(loaded, store, dry_run)
        check_competing_autoscalers(loaded, autoscaler, force, dry_run)
        if server is not None:
            server.metrics = autoscaler.metrics
        autoscaler.resume()
        if once:
            record = autoscaler.tick()
            click.echo(json.dumps(record, indent=2, sort_keys=True))
            if "error" in record:
                sys.exit(EXIT_ERROR)
            return
        if server is not None:
            server.start()
        log.info("autoscaler started", extra={"event": "start", "config": config, "dry_run": dry_run,
                                              "interval_s": loaded.interval_s,
                                              "ops_port": server.port if server else None,
                                              "state": loaded.state_url})
        runner = Runner(autoscaler, loaded.interval_s, loaded.stop_grace_s)
        runner.run()
        abandoned = runner.abandoned
        log.info("autoscaler stopped", extra={"event": "stop"})
    finally:
        if server is not None:
            server.stop()
        if not abandoned:  # a tick left running may still write; the process exit closes it
            store.close()


class _Stopped(BaseException):
    """SIGTERM or SIGINT before the loop runs (a BaseException: no ``except Exception`` keeps it)."""


def _stop_now(signum: int, frame: object) -> None:
    raise _Stopped(signal.Signals(signum).name)


def _ops_server(config: AutoscaleConfig, from_option: bool) -> OpsServer:
    """Bind the ops port before anything else happens, or say which port and how to change it."""
    try:
        return OpsServer(OpsMetrics(SystemClock().now, config.interval_s), config.ops_host,
                         config.ops_port or 0)
    except OSError as exc:
        where = "--port" if from_option else f"ops.port in {config.file}"
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot serve /healthz and /metrics on {config.ops_host}:{config.ops_port}: "
                         f"{reason}; choose a free port with {where} (--port overrides the config; "
                         "ops: {port: null} runs without the server)") from None
