"""Derive the small Azure LLM trace files the examples ship from the public trace.

    python tools/derive_azure_trace.py PATH/TO/AzureLLMInferenceTrace_conv.csv

The trace (Azure LLM inference trace 2023, conversation service: one row per request,
19,366 requests in about an hour on 2023-11-16; CC-BY-4.0, github.com/Azure/AzurePublicDataset,
Patel et al., "Splitwise", ISCA 2024) is 700 kB; the examples need only its arrival counts:

- examples/data/azure-llm-conversation-15s.csv: requests per 15 s from the first request
  (``seconds,requests,rps``), read by examples/simulations/azure-conversation.yaml
  (``format: rates``). Its 15 s steps see exactly the demand the per-request file gives.
- examples/autoscale/azure-trace-demand.csv: the autoscaler's replay format
  (``seconds,endpoint,client,rps``) per minute, twice the trace's traffic split 60/40
  between the example's two clients, as ``format: arrivals`` with ``window: 1m``,
  ``scale: 2`` and that split gave from the per-request file.

Both are written deterministically; counts are binned from the first request the way
tierplan bins a per-request trace (seconds since the first row, floor of the step).
"""

from __future__ import annotations

import csv
import io
import math
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIM_OUT = ROOT / "examples" / "data" / "azure-llm-conversation-15s.csv"
AUTOSCALE_OUT = ROOT / "examples" / "autoscale" / "azure-trace-demand.csv"
SIM_STEP, AUTOSCALE_WINDOW, AUTOSCALE_SCALE = 15, 60, 2.0
AUTOSCALE_SPLIT = {"chat-eu": {"paris": 0.6, "berlin": 0.4}}


def _microseconds(stamp: str) -> int:
    """Microseconds since the epoch of ``2023-11-16 18:15:46.6805900`` (7 digits: the 7th dropped)."""
    day, _, fraction = stamp.strip().partition(".")
    whole = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return int(whole.timestamp()) * 1_000_000 + int((fraction + "000000")[:6])


def arrivals(path: Path) -> list[int]:
    """Microseconds of each request since the first one."""
    with path.open(newline="", encoding="utf-8") as f:
        stamps = sorted(_microseconds(row["TIMESTAMP"]) for row in csv.DictReader(f))
    return [s - stamps[0] for s in stamps]


def counts(offsets: list[int], seconds: int) -> list[int]:
    """Requests per bin of ``seconds`` from the first request, empty bins included."""
    found = Counter(o // (seconds * 1_000_000) for o in offsets)
    return [found.get(k, 0) for k in range(max(found) + 1)]


def sim_csv(offsets: list[int]) -> str:
    out = io.StringIO()
    out.write("seconds,requests,rps\n")
    for k, n in enumerate(counts(offsets, SIM_STEP)):
        out.write(f"{k * SIM_STEP},{n},{n / SIM_STEP!r}\n")
    return out.getvalue()


def autoscale_csv(offsets: list[int]) -> str:
    per_window = counts(offsets, AUTOSCALE_WINDOW)
    out = io.StringIO()
    out.write("seconds,endpoint,client,rps\n")
    # One more row at the end, holding the last value: the replay's loop length is its
    # last time, which must be the whole trace (as binning arrivals gives).
    for k in range(len(per_window) + 1):
        n = per_window[min(k, len(per_window) - 1)]
        for endpoint, shares in AUTOSCALE_SPLIT.items():
            for client, share in shares.items():
                rps = n * (AUTOSCALE_SCALE * share / AUTOSCALE_WINDOW)
                assert math.isfinite(rps)
                out.write(f"{k * AUTOSCALE_WINDOW},{endpoint},{client},{rps!r}\n")
    return out.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    offsets = arrivals(Path(argv[0]))
    for path, text in ((SIM_OUT, sim_csv(offsets)), (AUTOSCALE_OUT, autoscale_csv(offsets))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {path.relative_to(ROOT)} ({len(text.splitlines()) - 1} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
