"""Upper bounds over every eligible pair, for solves that saw only some of them.

Relaxing each reviewer's load cap with a price ``v_r >= 0`` (Lagrange) and dropping every
other rule except the region cap leaves one small problem per case: pick the case's
``panel_size`` best eligible reviewers by ``affinity - v_r``, at most the region cap
(``_data.rules.region_cap``) from one region (a partition matroid, so picking greedily is
exact; ``history.min_new_share``'s new seats are kept too when there is no cap), holding
the case's forced pairs (``pairs.forced``: they are on every assignment's panel). For any
prices,

    L(v) = sum_r max_load_r * v_r + sum_c best_c(v)

is at least the optimum of the whole problem: an assignment that meets every rule is a
candidate of every case's small problem and pays at most ``max_load_r * v_r`` for reviewer
``r``'s load. Dropping rules (minimum loads, genders, coverage, the load-spread penalty,
which is never negative) only raises the bound. Good prices are the LP duals of the load
caps; zero prices give the sum of every case's best panel.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .._data.policy import Policy
from .._data.rules import new_seats, region_cap
from .._reduce.eligible import Instance, best_panel_holding

__all__ = ["lagrangian_bound"]


def lagrangian_bound(
    inst: Instance, policy: Policy, prices: npt.NDArray[np.float64] | None = None
) -> float:
    """``L(v)`` over every eligible pair (``inst.rows``), in the objective's units.

    Examples
    --------
    >>> import reviewassign as ra
    >>> from reviewassign._reduce.eligible import build_instance
    >>> p = ra.Problem.from_matrix([[1.0, 0.9], [1.0, 0.2]], max_load=1, panel_size=1)
    >>> inst = build_instance(p, ra.Policy())
    >>> round(lagrangian_bound(inst, ra.Policy()), 6)  # both cases want R0
    2.0
    >>> round(lagrangian_bound(inst, ra.Policy(), prices=np.array([0.8, 0.0])), 6)  # optimum
    1.9
    """
    if prices is None and inst.best_panels is not None:
        total = float(inst.best_panels.sum())  # gathered while the rows were read
        return total + 1e-9 * (1.0 + abs(total))
    v = np.zeros(inst.n_reviewers) if prices is None else np.maximum(prices, 0.0)
    cap = region_cap(policy)
    total = float(np.dot(inst.max_load.astype(np.float64), v))
    for c in range(inst.n_cases):
        idx, affinity, _ = inst.rows.row(c)
        groups = inst.reviewer_region[idx] if cap is not None else None
        size = int(inst.panel_size[c])
        new, need = inst.reviewer_new[idx], new_seats(policy, size)
        fixed = np.isin(idx, inst.forced_reviewer[inst.forced_case == c])
        total += best_panel_holding(affinity - v[idx], groups, size, cap, new, need, fixed)
    # Float sums of many terms: widen by far more than their rounding error.
    return total + 1e-9 * (1.0 + abs(total))
