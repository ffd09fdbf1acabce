"""Scripted metrics and a dry-run autoscaler in a fake clock, for the autoscaler's hardening tests."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from fakes_autoscale import CLOUD, EDGE, write_setup
from tierplan.autoscaler import Autoscaler, FakeClock, load_config, open_store
from tierplan.autoscaler.controllers import DryRunController, Retrier
from tierplan.autoscaler.metrics import Reading
from tierplan.autoscaler.sizing import Sizer

ROOT = Path(__file__).resolve().parents[2]
E = "detector"
QUERY = 'sum by (client) (rate(inference_requests_total{app="detector"}[2m]))'


class Scripted:
    """A metrics source that answers what the test says: ``readings[t]`` from time t on."""

    def __init__(self, start: float, readings: dict[float, Reading]) -> None:
        self.start = start
        self.readings = sorted(readings.items())

    def read(self, endpoint, now):
        reading = Reading("down", {}, "nothing scripted yet")
        for t, r in self.readings:
            if now - self.start >= t:
                reading = r
        return reading


def ok(munich: float, berlin: float = 0.0) -> Reading:
    return Reading("ok", {"munich": munich, "berlin": berlin})


def make(tmp_path, config, readings, controllers=None, clock=None):
    loaded = load_config(write_setup(tmp_path, config))
    clock = clock or FakeClock()
    store = open_store(str(tmp_path / "state.db"))
    controllers = controllers or {(E, EDGE): DryRunController(), (E, CLOUD): DryRunController()}
    scaler = Autoscaler(loaded, controllers, Scripted(clock.now(), readings), store, clock,
                        Retrier(loaded.retry, clock, random.Random(1)), sizer=Sizer())
    scaler.resume()
    return scaler, controllers, clock


def replicas(controllers):
    return {site: c.get_replicas() for (_, site), c in controllers.items()}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_cli(*args, block=(), timeout=120):
    """`tierplan ARGS` in a fresh interpreter where the modules in ``block`` cannot be imported."""
    code = ("import sys\n"
            "for m in sys.argv[1].split(','):\n"
            "    if m: sys.modules[m] = None\n"
            "from tierplan.cli import main\n"
            "main(sys.argv[2:])\n")
    return subprocess.run([sys.executable, "-c", code, ",".join(block), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)
