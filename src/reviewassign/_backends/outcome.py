"""What a backend hands back to the pipeline: assignments as pair indices, values as floats.

Solver units (see ``_scale``) never leave the ``_backends.solvers`` package: objectives and bounds
here are in the policy's units, and every bound is widened by the largest rounding error
of the scaling, so that it is a true bound of the float objective.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np
import numpy.typing as npt

from .._data.result import Status
from .._reduce.eligible import Instance
from .scale import RESOLUTION

__all__ = ["BackendStatus", "LevelRecord", "Outcome", "PhaseRecord", "ortools_version"]


@functools.cache
def ortools_version() -> str:
    """The installed OR-Tools version (read once: outcomes are made in loops)."""
    return version("ortools")


class BackendStatus(enum.StrEnum):
    """How a backend's search ended, in the solver's words.

    A ``StrEnum``: the words are also what the phases of ``Stats`` show (``"unknown"``,
    where a :class:`Status` says ``"no_solution"``), and CP-SAT's status names in lower
    case, so that :meth:`named` reads them without a table.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"
    """No solution within the time limit."""

    @classmethod
    def named(cls, name: str) -> BackendStatus | None:
        """The status of a solver's status name (``"OPTIMAL"``...), None if it has none."""
        return cls.__members__.get(name.upper())

    @property
    def found(self) -> bool:
        """Whether the search found an assignment (optimal or feasible)."""
        return self in (BackendStatus.OPTIMAL, BackendStatus.FEASIBLE)

    @property
    def public(self) -> Status:
        """The :class:`Status` of a result that ends here (``UNKNOWN``: ``NO_SOLUTION``)."""
        return Status.NO_SOLUTION if self is BackendStatus.UNKNOWN else Status(self.value)


@dataclass(frozen=True, slots=True)
class PhaseRecord:
    """One backend phase: name, seconds, end status, objective and bound."""

    name: str
    seconds: float
    status: str
    objective: float | None = None
    bound: float | None = None


@dataclass(frozen=True, slots=True)
class LevelRecord:
    """One level of a lexicographic objective: what it reached and its proven bound.

    ``value`` and ``bound`` are in the level's units (affinity, topics, loads); for
    ``load_spread``, which is minimised, ``bound`` is a lower bound.
    """

    name: str
    status: str
    value: float | None = None
    bound: float | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A backend's answer.

    ``status`` says how the search ended (``UNKNOWN``: no solution in the time limit).
    ``chosen`` holds the indices of the selected eligible pairs. ``bound`` is a proven
    upper bound of the objective, or None when the backend has none. Under the fairness
    objective, ``worst`` and ``worst_bound`` are the worst panel affinity reached and its
    proven bound; ``notes`` say what a time limit cut short. ``instance``, when set, is
    the instance ``chosen`` indexes: the backend added candidate pairs to the one it was
    given (pricing a pruned instance).
    """

    status: BackendStatus
    chosen: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bound: float | None = None
    worst: float | None = None
    worst_bound: float | None = None
    phases: list[PhaseRecord] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    instance: Instance | None = None
    priced: bool = False
    """The status and bound already hold over every eligible pair, pruned or not."""
    prices: npt.NDArray[np.float64] | None = None
    """Per reviewer, the LP dual of its load cap (float units, >= 0), when an LP ran."""
    levels: tuple[LevelRecord, ...] = ()
    """The levels before the policy objective (see ``ObjectivePolicy.levels``)."""
    resolution: float = RESOLUTION
    """The solver's resolution of the objective (policy units), for the stats."""
    backend_version: str = field(default_factory=ortools_version)
    """The version of the solver library, for the stats."""
