"""What-if simulations: replay demand, events and training jobs through placement policies.

Parts (each its own module): :mod:`.schema` and :mod:`.spec` (the simulation file),
:mod:`.demand` (traces and patterns -> rps per step), :mod:`.world` (scenario, prices and
events laid out per step), :mod:`.engine` (one policy on a virtual clock),
:mod:`.results` (vectorised fluid serving and accounting), :mod:`.run` (every policy,
sweeps on processes or Ray) and :mod:`.output` (CSV, Parquet, JSON, HTML).

    from tierplan.simulations import load_simulation, run_simulation
    result = run_simulation(load_simulation("examples/simulations/region-outage.yaml"))
"""

from __future__ import annotations

from .run import SimulationResult, run_simulation, sweep
from .spec import Simulation, load_simulation, parse_simulation

__all__ = ["Simulation", "SimulationResult", "load_simulation", "parse_simulation", "run_simulation", "sweep"]
