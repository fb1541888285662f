"""The solver backends. The only package of reviewassign that imports ortools.

The backends are in a table (``table.py``): each says what of a policy it refuses
(``protocol.py``), and ``choose`` picks the one ``solve(method=...)`` runs. ``solve_flow``
solves the policies a flow network takes exactly (``flow_refuses`` is empty),
``solve_cpsat`` everything.
"""

from __future__ import annotations

from .cpsat.least_change import solve_least_change
from .cpsat.runner import ProgressCallback
from .cpsat.search import solve_cpsat
from .flow import flow_applicable, flow_refuses, solve_flow
from .outcome import BackendStatus, LevelRecord, Outcome, PhaseRecord, ortools_version
from .protocol import Backend
from .scale import RESOLUTION, SCALE
from .table import BACKENDS, FLOW, auto_order, choose

__all__ = [
    "BACKENDS",
    "FLOW",
    "RESOLUTION",
    "SCALE",
    "Backend",
    "BackendStatus",
    "LevelRecord",
    "Outcome",
    "PhaseRecord",
    "ProgressCallback",
    "auto_order",
    "choose",
    "flow_applicable",
    "flow_refuses",
    "ortools_version",
    "solve_cpsat",
    "solve_flow",
    "solve_least_change",
]
