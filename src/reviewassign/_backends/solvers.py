"""The solver backends. The only package of reviewassign that imports ortools.

``flow_applicable`` tells whether the policy's rules fit a flow network; ``solve_flow``
solves those exactly, ``solve_cpsat`` everything else.
"""

from __future__ import annotations

from .cpsat.least_change import solve_least_change
from .cpsat.runner import ProgressCallback
from .cpsat.search import solve_cpsat
from .flow import flow_applicable, solve_flow
from .outcome import BackendStatus, LevelRecord, Outcome, PhaseRecord, ortools_version
from .scale import RESOLUTION, SCALE

__all__ = [
    "RESOLUTION",
    "SCALE",
    "BackendStatus",
    "LevelRecord",
    "Outcome",
    "PhaseRecord",
    "ProgressCallback",
    "flow_applicable",
    "ortools_version",
    "solve_cpsat",
    "solve_flow",
    "solve_least_change",
]
