"""One CP-SAT run on a built model: parameters, progress reports, the time budget, hints.

The primitives the searches share: the plain and LP-guided search (``search.py``), the
lexicographic levels (``lexicographic.py``) and the least-change repair
(``least_change.py``) each run CP-SAT through :func:`_run` on a :class:`_Search`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ..._data.result import Progress
from ..._errors import SolverError
from ..outcome import BackendStatus, PhaseRecord
from ..scale import SCALE, bound_up
from .model import Model

__all__ = ["ProgressCallback", "solved"]

ProgressCallback = Callable[[Progress], None]

# Restricted models (the LP-guided path) run without CP-SAT's cut generation.
_RESTRICTED_CUT_LEVEL = 0


class _Reporter(cp_model.CpSolverSolutionCallback):
    """A CP-SAT solution callback that reports each solution of a phase as :class:`Progress`."""

    def __init__(
        self,
        phase: str,
        progress: ProgressCallback,
        start: float,
        bound: float | None,
        unit: float = SCALE,
    ) -> None:
        super().__init__()
        self._phase = phase
        self._progress = progress
        self._start = start
        self._bound = bound
        self._unit = unit

    def on_solution_callback(self) -> None:
        """Report the solution's objective and the bound (the one given, else CP-SAT's)."""
        self._progress(
            Progress(
                phase=self._phase,
                elapsed=time.perf_counter() - self._start,
                objective=self.objective_value / self._unit,
                bound=(
                    self.best_objective_bound / self._unit if self._bound is None else self._bound
                ),
            )
        )


def _parameters(
    solver: cp_model.CpSolver,
    *,
    seed: int,
    workers: int,
    time_limit: float | None,
    lb_search: bool = False,
    cuts: bool = True,
) -> None:
    """Set ``solver``'s parameters: seed, workers, time limit and the search options."""
    p = solver.parameters
    p.num_workers = workers
    p.random_seed = seed
    # The LP relaxation of panel models is integral or nearly so; the full linearisation
    # lets CP-SAT's LP see it (much faster proofs than the default level here).
    p.linearization_level = 2
    if lb_search:
        # A max-min objective has a weak LP bound; searching upwards from the objective's
        # lower bound proves it several times faster (e.g. 9.7 s -> 2.3 s on a 90 x 60
        # award, 30 s unproven -> 8.8 s on 120 x 80, one worker). It finds no solution
        # before its proof, though: under a time limit, an incumbent is found first.
        p.use_objective_lb_search = True
    if not cuts:
        # Restricted models (a few thousand free pairs next to a nearly integral LP
        # solution) prove faster without CP-SAT's cut generation: 2.3 s -> 1.1 s on the
        # 300 x 150 award. A wide gap keeps the cuts (``search._CUTS_GAP``).
        p.cut_level = _RESTRICTED_CUT_LEVEL
    if time_limit is not None:
        p.max_time_in_seconds = max(0.0, time_limit)


@dataclass(frozen=True, slots=True)
class _Search:
    """What every CP-SAT run of one solve shares: seed, workers, progress and deadline."""

    seed: int
    workers: int
    progress: ProgressCallback | None
    start: float
    time_limit: float | None
    pace: float = 1.0
    """How much slower than the estimates this machine runs now (see ``fits``)."""

    def remaining(self) -> float | None:
        """Seconds left of the time limit (None: no limit)."""
        if self.time_limit is None:
            return None
        return self.time_limit - (time.perf_counter() - self.start)

    def fits(self, seconds: float) -> bool:
        """Whether a step estimated at ``seconds`` (times the pace) fits in the time left."""
        left = self.remaining()
        return left is None or seconds * self.pace <= left


def _run(
    built: Model,
    phase: str,
    search: _Search,
    *,
    time_limit: float | None,
    lb_search: bool = False,
    bound: float | None = None,
    cuts: bool = True,
    unit: float = SCALE,
) -> tuple[BackendStatus, cp_model.CpSolver, float]:
    """Solve; return the status, the solver, and the phase's seconds.

    ``bound`` (float units), when given, is the bound progress reports show: that of a
    restricted model is no bound of the full one. ``unit``: solver units per reported
    unit (1 for counts).
    """
    solver = cp_model.CpSolver()
    _parameters(
        solver,
        seed=search.seed,
        workers=search.workers,
        time_limit=time_limit,
        lb_search=lb_search,
        cuts=cuts,
    )
    t0 = time.perf_counter()
    progress = search.progress
    callback = None if progress is None else _Reporter(phase, progress, search.start, bound, unit)
    status = solved(solver, solver.solve(built.model, callback))
    return status, solver, time.perf_counter() - t0


def solved(solver: cp_model.CpSolver, code: cp_model.CpSolverStatus) -> BackendStatus:
    """The status of a finished CP-SAT solve; ``MODEL_INVALID`` raises :class:`SolverError`."""
    status = BackendStatus.named(solver.status_name(code))
    if status is None:  # MODEL_INVALID: a bug in the builders
        raise SolverError(f"CP-SAT rejected the model: {solver.status_name(code)}")
    return status


def _record(
    phase: str, status: BackendStatus, solver: cp_model.CpSolver, seconds: float, slack: float
) -> PhaseRecord:
    """The phase in float units; the bound is widened by the rounding ``slack`` (solver units).

    Widened and rounded up even when optimal: the optimum in solver units is not the
    optimum of the exact values, which may be up to ``slack`` units above it.
    """
    if not status.found:
        return PhaseRecord(phase, seconds, status.value)
    value = solver.objective_value / SCALE
    bound = bound_up(solver.best_objective_bound, slack)
    return PhaseRecord(phase, seconds, status.value, value, max(value, bound))


def _chosen(built: Model, solver: cp_model.CpSolver) -> np.ndarray:
    """Indices of the pairs the solver's solution assigns (pair j is variable j)."""
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)[: len(built.x)]
    return np.flatnonzero(values > 0).astype(np.int64)


def _hint_pairs(built: Model, chosen: npt.NDArray[np.int64]) -> None:
    """Hint every pair variable: 1 for the ``chosen`` pairs, 0 for the others."""
    on = np.zeros(len(built.x), dtype=np.int64)
    on[chosen] = 1
    hint = built.model.proto.solution_hint
    hint.vars.extend(range(len(built.x)))  # pair j is variable j
    hint.values.extend(on.tolist())


def _hint(built: Model, chosen: np.ndarray) -> None:
    """Hint the pairs ``chosen`` on and every other pair off."""
    on = np.zeros(len(built.x), dtype=bool)
    on[chosen] = True
    for var, value in zip(built.x, on, strict=True):
        built.model.add_hint(var, bool(value))
