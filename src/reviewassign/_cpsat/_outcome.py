"""What a backend hands back to the pipeline, in solver units."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Outcome", "PhaseRecord"]


@dataclass(frozen=True, slots=True)
class PhaseRecord:
    """One backend phase: name, seconds, end status, objective and bound (solver units)."""

    name: str
    seconds: float
    status: str
    objective: int | None = None
    bound: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A backend's answer.

    ``status`` is ``"optimal"``, ``"feasible"``, ``"infeasible"`` or ``"unknown"`` (no
    solution in the time limit). ``chosen`` holds the indices of the selected eligible
    pairs. ``objective`` and ``bound`` are in solver units (see ``_scale``); under the
    fairness objective they are those of the second phase and ``worst``/``worst_bound``
    those of the first.
    """

    status: str
    chosen: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    objective: int | None = None
    bound: int | None = None
    worst: int | None = None
    worst_bound: int | None = None
    phases: list[PhaseRecord] = field(default_factory=list)
