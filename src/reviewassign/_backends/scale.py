"""The one place where float affinities and weights become solver integers."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt

__all__ = ["RESOLUTION", "SCALE", "bound_up", "to_int", "to_ints"]

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


def bound_up(units: float, slack: float = 0.0, unit: float = SCALE) -> float:
    """A solver's upper bound ``units``, widened by ``slack``, in float units rounded up.

    ``(units + slack) / unit`` is computed exactly and rounded to the nearest float at or
    above it, so that a proven bound stays a bound once it leaves the solver: dividing in
    floats may round it down, below the value of the very assignment it bounds. ``slack``
    (solver units) is the largest rounding error of the scaled expression (half a unit a
    seat for an affinity).
    """
    exact = (Fraction(units) + Fraction(slack)) / Fraction(unit)
    up = float(exact)
    return up if Fraction(up) >= exact else math.nextafter(up, math.inf)
