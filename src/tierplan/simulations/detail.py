"""Per-step rows of one policy's run, for ``timeseries.csv``: one row per (step, workload,
site, offering) that held or served anything, so that every step can be recounted.

Three kinds of rows, told apart by their labels:

- ``(workload, site, offering)``: an inference workload on one offering: instances billed
  (ready or booting) and ready, the capacity they give (``ready * cap_rps``, 0 while the
  site is down), the rps they served within the SLO, compute and egress cost of the step;
- ``(workload, "*", "*")``: the workload's totals, every step: the same sums plus its
  demand, served and dropped rps (``dropped = demand - served``: not served within the
  SLO);
- ``("(training)", site, offering)``: training nodes held on an offering and their cost
  (a job finishing within a step pays for the part it used).

``cost_usd = compute_usd + egress_usd``. Dataset moves of training jobs are billed per job,
not per step: the summary's total is the rows' total plus those moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .engine import Trajectory
    from .world import World

__all__ = ["COLUMNS", "StepRows", "step_rows"]

COLUMNS = ("billed", "ready", "capacity_rps", "demand_rps", "served_rps", "dropped_rps", "compute_usd",
           "egress_usd", "cost_usd")
ALL = "*"
TRAINING = "(training)"


@dataclass(frozen=True)
class StepRows:
    """Rows as columns: ``step[i]`` and ``labels[label[i]]`` name row i."""

    labels: tuple[tuple[str, str, str], ...]
    step: np.ndarray
    label: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.step)


def step_rows(world: World, traj: Trajectory, served_slot: np.ndarray, capacity: np.ndarray,
              compute: np.ndarray, egress: np.ndarray, served: Mapping[str, np.ndarray]) -> StepRows:
    """``served_slot``, ``capacity``, ``compute`` and ``egress`` are [steps, slots];
    ``served`` is rps per step of each inference workload."""
    workloads = [w.name for w in world.inference]
    column = {name: i for i, name in enumerate(workloads)}
    slot_keys = [s.key for s in world.slots]
    slot_workload = np.array([column[s.workload] for s in world.slots], dtype=np.int64)
    offers = list(world.offers)
    billed, ready = traj.billed, traj.ready
    train_nodes = traj.train_nodes
    train_usd = traj.train_offer_usd if traj.train_offer_usd is not None else np.zeros(train_nodes.shape)
    demand = np.zeros((world.steps, len(workloads)))
    for (wn, _), series in world.demand.items():
        demand[:, column[wn]] += series
    served_w = np.zeros_like(demand)
    for wn, series in served.items():
        served_w[:, column[wn]] = series
    steps = len(demand)
    nan = np.nan
    parts: list[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]] = []
    t, j = np.nonzero((billed > 0) | (ready > 0) | (served_slot > 1e-12))
    blank = np.full(len(t), nan)
    parts.append((t, j, {
        "billed": billed[t, j], "ready": ready[t, j], "capacity_rps": capacity[t, j],
        "demand_rps": blank, "served_rps": served_slot[t, j], "dropped_rps": blank,
        "compute_usd": compute[t, j], "egress_usd": egress[t, j]}))
    k = len(slot_keys)
    for wi in range(len(workloads)):
        cols = np.flatnonzero(slot_workload == wi)
        rows = np.arange(steps)
        parts.append((rows, np.full(steps, k + wi), {
            "billed": billed[:, cols].sum(axis=1), "ready": ready[:, cols].sum(axis=1),
            "capacity_rps": capacity[:, cols].sum(axis=1), "demand_rps": demand[:, wi],
            "served_rps": served_w[:, wi], "dropped_rps": np.maximum(demand[:, wi] - served_w[:, wi], 0.0),
            "compute_usd": compute[:, cols].sum(axis=1), "egress_usd": egress[:, cols].sum(axis=1)}))
    base = k + len(workloads)
    t, o = np.nonzero((train_nodes > 0) | (train_usd > 0))
    blank = np.full(len(t), nan)
    parts.append((t, base + o, {
        "billed": train_nodes[t, o], "ready": train_nodes[t, o], "capacity_rps": np.zeros(len(t)),
        "demand_rps": blank, "served_rps": np.zeros(len(t)), "dropped_rps": blank,
        "compute_usd": train_usd[t, o], "egress_usd": np.zeros(len(t))}))
    step = np.concatenate([p[0] for p in parts]).astype(np.int64)
    label = np.concatenate([p[1] for p in parts]).astype(np.int64)
    order = np.lexsort((label, step))
    columns = {c: np.concatenate([np.asarray(p[2][c], dtype=float) for p in parts])[order]
               for c in COLUMNS if c != "cost_usd"}
    columns["cost_usd"] = columns["compute_usd"] + columns["egress_usd"]
    labels = (*slot_keys, *((w, ALL, ALL) for w in workloads), *((TRAINING, s, o) for s, o in offers))
    return StepRows(tuple(labels), step[order], label[order], columns)
