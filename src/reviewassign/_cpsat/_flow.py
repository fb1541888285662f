"""The exact min-cost-flow path for policies whose rules a flow network can express.

Without per-case composition rules, choosing panels is a transportation problem: case
``c`` sends ``panel_size[c]`` units, each eligible pair is an arc of capacity 1, and each
reviewer passes between ``min_load`` and ``max_load`` units to the sink. A per-case cap on
one partitioning attribute (``panel.max_per_region``) is one more layer of nodes. The LP of
a network is integral, so the flow optimum is the optimum of the assignment.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from .._instance import Instance
from .._policy import Policy
from ._outcome import Outcome, PhaseRecord
from ._scale import SCALE, to_ints

__all__ = ["flow_applicable", "solve_flow"]


def flow_applicable(inst: Instance, policy: Policy) -> bool:
    """Whether every rule of ``policy`` beyond single-pair exclusions fits a flow network."""
    panel = policy.panel
    if not (
        policy.objective.kind == "affinity"
        and policy.objective.load_spread == 0
        and panel.own_region in ("any", "exclude")
        and panel.max_per_gender is None
        and panel.min_genders == 0
        and panel.min_senior == 0
        and policy.expertise.coverage == "none"
    ):
        return False
    if panel.min_regions <= 1:
        return True
    # A region cap of m forces at least ceil(k / m) regions on a panel of k; a larger
    # minimum needs CP-SAT.
    if panel.max_per_region is None:
        return False
    return bool(np.all(-(-inst.panel_size // panel.max_per_region) >= panel.min_regions))


def solve_flow(inst: Instance, policy: Policy) -> Outcome:
    """Solve ``inst`` exactly as a min-cost flow. Requires :func:`flow_applicable`."""
    start = time.perf_counter()
    if np.any(inst.min_load > inst.max_load):
        # A reviewer's own bound crosses the policy's (e.g. min_load 3 under load.max 2).
        return Outcome(
            "infeasible", phases=[PhaseRecord("flow", time.perf_counter() - start, "infeasible")]
        )
    n_c, n_r, n_p = inst.n_cases, inst.n_reviewers, inst.n_pairs
    gain = to_ints(inst.pair_affinity)
    # Every unit of flow crosses exactly one pair arc, so shifting all pair costs by a
    # constant keeps the optimum and lets the costs be non-negative.
    top = int(gain.max(initial=0))
    cost = top - gain

    cap = policy.panel.max_per_region
    case_node = np.arange(n_c, dtype=np.int64)
    reviewer_node = n_c + np.arange(n_r, dtype=np.int64)
    sink = n_c + n_r
    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    caps: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    pair_arc_offset = 0
    if cap is None:
        pair_tail = case_node[inst.pair_case]
    else:
        # One node per (case, region) present among the case's eligible reviewers.
        keys = inst.pair_case * len(inst.regions) + inst.reviewer_region[inst.pair_reviewer]
        uniq, group = np.unique(keys, return_inverse=True)
        group_node = sink + 1 + np.arange(len(uniq), dtype=np.int64)
        tails.append(case_node[uniq // len(inst.regions)])
        heads.append(group_node)
        caps.append(np.full(len(uniq), cap, dtype=np.int64))
        costs.append(np.zeros(len(uniq), dtype=np.int64))
        pair_arc_offset = len(uniq)
        pair_tail = group_node[group]
    tails.append(pair_tail)
    heads.append(reviewer_node[inst.pair_reviewer])
    caps.append(np.ones(n_p, dtype=np.int64))
    costs.append(cost)
    tails.append(reviewer_node)
    heads.append(np.full(n_r, sink, dtype=np.int64))
    caps.append(inst.max_load - inst.min_load)
    costs.append(np.zeros(n_r, dtype=np.int64))

    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    seats = int(inst.panel_size.sum())
    nodes = np.arange(sink + 1, dtype=np.int64)
    supplies = np.concatenate(
        [inst.panel_size, -inst.min_load, [-(seats - int(inst.min_load.sum()))]]
    )
    smcf.set_nodes_supplies(nodes, supplies.astype(np.int64))
    status = smcf.solve()
    seconds = time.perf_counter() - start
    if status == smcf.INFEASIBLE:
        return Outcome("infeasible", phases=[PhaseRecord("flow", seconds, "infeasible")])
    if status != smcf.OPTIMAL:  # pragma: no cover - costs and capacities are in range
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = smcf.flows(np.arange(pair_arc_offset, pair_arc_offset + n_p, dtype=np.int64))
    chosen = np.flatnonzero(flows > 0).astype(np.int64)
    value = float(gain[chosen].sum()) / SCALE
    return Outcome(
        "optimal",
        chosen=chosen,
        bound=value,
        phases=[PhaseRecord("flow", seconds, "optimal", value, value)],
    )
