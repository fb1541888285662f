"""The one place where float affinities and weights become solver integers."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["RESOLUTION", "SCALE", "to_int", "to_ints"]

SCALE = 1_000_000
"""Integer units per affinity unit inside the solvers."""

RESOLUTION = 1.0 / SCALE
"""The resolution of affinities and weights inside the solvers (recorded in ``Stats``)."""


def to_int(value: float) -> int:
    """Round a float in affinity units to solver units."""
    return round(value * SCALE)


def to_ints(values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Round an array of affinities to solver units."""
    return np.rint(values * SCALE).astype(np.int64)
