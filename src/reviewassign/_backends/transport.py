"""The most seats a group of reviewers can hold: a maximum flow from cases to reviewers.

Case ``c`` asks ``seats[c]`` seats, each eligible pair is an arc of capacity 1 (one seat
per panel), and each reviewer passes at most ``load[r]`` seats to the sink. The maximum
flow is the most seats the reviewers can hold together; a minimum cut names the cases
whose need cannot be met (the cases left on the source side).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import max_flow

__all__ = ["Held", "most_seats"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Held:
    """The most seats held, and the cases on the source side of a minimum cut."""

    seats: int
    short: BoolArray
    """Per case: on the source side of a minimum cut (a set of cases whose need the
    reviewers they reach cannot meet, when ``seats`` falls short)."""


def most_seats(
    seats: IntArray, pair_case: IntArray, pair_reviewer: IntArray, load: IntArray
) -> Held:
    """The most of ``seats`` that reviewers of capacity ``load`` can hold over the pairs.

    Examples
    --------
    >>> import numpy as np
    >>> held = most_seats(np.array([2, 1]), np.array([0, 0, 1]), np.array([0, 1, 1]),
    ...                   np.array([1, 1]))
    >>> held.seats, held.short.tolist()
    (2, [True, True])
    """
    n_cases, n_reviewers = len(seats), len(load)
    source, sink = n_cases + n_reviewers, n_cases + n_reviewers + 1
    flow = max_flow.SimpleMaxFlow()
    cases = np.arange(n_cases, dtype=np.int64)
    reviewers = n_cases + np.arange(n_reviewers, dtype=np.int64)
    flow.add_arcs_with_capacity(np.full(n_cases, source), cases, seats.astype(np.int64))
    flow.add_arcs_with_capacity(
        pair_case.astype(np.int64), n_cases + pair_reviewer, np.ones(len(pair_case), np.int64)
    )
    flow.add_arcs_with_capacity(reviewers, np.full(n_reviewers, sink), load.astype(np.int64))
    if flow.solve(source, sink) != flow.OPTIMAL:  # pragma: no cover - capacities are finite
        raise RuntimeError("the maximum flow did not solve")
    side = np.asarray(flow.get_source_side_min_cut(), dtype=np.int64)
    short = np.zeros(n_cases, dtype=np.bool_)
    short[side[side < n_cases]] = True
    return Held(int(flow.optimal_flow()), short)
