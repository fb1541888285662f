"""The exact min-cost-flow path for policies whose rules a flow network can express.

Without per-case composition rules, choosing panels is a transportation problem: case
``c`` sends ``panel_size[c]`` units, each eligible pair is an arc of capacity 1, and each
reviewer passes between ``min_load`` and ``max_load`` units to the sink. A per-case cap on
one partitioning attribute (the region cap, ``_data.rules.region_cap``) is one more layer of
nodes. The LP of a network is integral, so the flow optimum is the optimum of the
assignment. Which rules a network takes is the registry's ``Rule.flow``.

A forced pair (``pairs.forced``) is an arc with lower bound 1, taken out before the
network is built: its case sends one unit fewer, its reviewer takes one unit fewer (the
seat counts towards the reviewer's minimum load), its (case, region) node under the region
cap one fewer, its arc is closed, and the pair joins the flow's assignment and value.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from .._data.policy import Policy
from .._data.rules import active, region_cap
from .._errors import SolverError
from .._reduce.eligible import Instance
from .outcome import BackendStatus, Outcome, PhaseRecord
from .scale import SCALE, to_ints

__all__ = ["flow_applicable", "flow_refuses", "solve_flow"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_POTENTIAL_ROUNDS = 100_000
"""Bellman-Ford sweeps before giving up (each is one vectorised pass over the arcs)."""

_PRICING_ROUNDS = 5
"""Rounds of adding the pruned pairs that price in, before answering with a bound."""


def _objective_terms(policy: Policy) -> tuple[str, ...]:
    """The terms of the objective a network cannot take, each as its policy key and value.

    A network maximises the total affinity alone: levels before it, the load spread and
    soft representation bands (objective terms under a ``representation.weight``) are not
    a flow's.
    """
    terms: list[str] = []
    levels = policy.objective.levels
    if levels != ("objective",):
        terms.append(f"objective.levels ({', '.join(x for x in levels if x != 'objective')})")
    if policy.objective.load_spread != 0:
        terms.append(f"objective.load_spread ({policy.objective.load_spread:g})")
    rep = policy.representation
    bands = [kind for kind, on in (("region", rep.region_on), ("gender", rep.gender_on)) if on]
    if rep.bands_on:
        bands.append("attribute")
    if rep.weight != 0 and bands:  # at weight 0 the bands are rules (in the registry)
        terms.append(f"representation.weight (soft {' and '.join(bands)} bands)")
    return tuple(terms)


def _implied(inst: Instance, policy: Policy) -> bool:
    """Whether the region cap implies ``panel.min_regions`` on every panel of ``inst``.

    A cap of m seats a region forces at least ceil(k / m) regions on a panel of k.
    """
    cap = region_cap(policy)
    if cap is None:
        return False
    return bool(np.all(-(-inst.panel_size // cap) >= policy.panel.min_regions))


def flow_refuses(inst: Instance, policy: Policy) -> tuple[str, ...]:
    """What of ``policy`` a flow network cannot take: rule keys, then objective terms.

    Empty when :func:`solve_flow` solves ``inst`` under ``policy`` exactly. The rules come
    from the registry: every rule that is on and whose ``Rule.flow`` is false (the
    default of a new rule), but a minimum of regions that the region cap implies on
    every panel of the instance and the pair rules without pairs to apply to. The
    objective terms are :func:`_objective_terms`.

    Examples
    --------
    >>> from reviewassign import Case, Policy, Problem, Reviewer
    >>> from reviewassign._reduce.eligible import build_instance
    >>> problem = Problem(cases=[Case(id="C1")], reviewers=[Reviewer(id="R1")])
    >>> policy = Policy(panel_size=1, panel={"min_senior": 1}, objective={"kind": "leximin"})
    >>> flow_refuses(build_instance(problem, policy), policy)
    ('panel.min_senior', 'objective.levels (leximin)')
    """
    idle = _without_data(inst)
    refused = [r.key for r in active(policy) if not r.flow(policy) and r.key not in idle]
    if "panel.min_regions" in refused and _implied(inst, policy):
        refused.remove("panel.min_regions")
    return (*refused, *_objective_terms(policy))


def _without_data(inst: Instance) -> set[str]:
    """The pair rules on under every policy that have nothing to apply to on ``inst``.

    ``pairs.forced``, ``pairs.disjoint`` and ``pairs.linked`` apply to what the solve and
    the problem list: with none, they ask nothing of the network.
    """
    idle = set()
    if not len(inst.forced_case):
        idle.add("pairs.forced")
    if not len(inst.disjoint):
        idle.add("pairs.disjoint")
    if not inst.linked:
        idle.add("pairs.linked")
    return idle


def flow_applicable(inst: Instance, policy: Policy) -> bool:
    """Whether a flow network takes ``policy`` on ``inst``: :func:`flow_refuses` is empty."""
    return not flow_refuses(inst, policy)


@dataclass(frozen=True, slots=True)
class _Network:
    """The flow network of an instance: arcs as arrays, and where its nodes are."""

    tails: IntArray
    heads: IntArray
    caps: IntArray
    costs: IntArray
    supplies: IntArray
    pair_arcs: slice
    """The arcs of the pairs, in pair order."""
    group_keys: IntArray
    """Sorted ``case * n_regions + region`` of the (case, region) nodes (region cap only)."""
    group_nodes: IntArray
    top: int
    """Cost of a pair = ``top - gain``: every unit of flow crosses exactly one pair arc,
    so the shift keeps the optimum and makes costs non-negative."""


@dataclass(frozen=True, slots=True)
class _Forced:
    """The forced pairs taken out of a network: where they are and what they hold."""

    pairs: IntArray
    """Their indices among the candidates (-1 for one that is not a candidate)."""
    per_case: IntArray
    """Per case, its forced seats: the case sends that many units fewer."""
    per_reviewer: IntArray
    """Per reviewer, their forced seats: they take that many units fewer."""


def _forced(inst: Instance) -> _Forced:
    """The forced pairs of ``inst``, counted per case and per reviewer."""
    return _Forced(
        inst.forced_pairs(),
        np.bincount(inst.forced_case, minlength=inst.n_cases).astype(np.int64),
        np.bincount(inst.forced_reviewer, minlength=inst.n_reviewers).astype(np.int64),
    )


def _group_caps(inst: Instance, cap: int, keys: IntArray) -> IntArray:
    """The region cap of each (case, region) node, less the forced seats of its group."""
    caps = np.full(len(keys), cap, dtype=np.int64)
    if len(inst.forced_case) and len(keys):
        forced = inst.forced_case * len(inst.regions) + inst.reviewer_region[inst.forced_reviewer]
        at = np.minimum(np.searchsorted(keys, forced), len(keys) - 1)
        hit = keys[at] == forced
        np.subtract.at(caps, at[hit], 1)
    return np.maximum(caps, 0)


def _network(inst: Instance, policy: Policy) -> _Network:
    """The min-cost flow network of ``inst`` under ``policy``, forced pairs taken out."""
    n_c, n_r, n_p = inst.n_cases, inst.n_reviewers, inst.n_pairs
    fixed = _forced(inst)
    demand = inst.panel_size - fixed.per_case
    most = inst.max_load - fixed.per_reviewer
    least = np.maximum(inst.min_load - fixed.per_reviewer, 0)
    gain = to_ints(inst.pair_affinity)
    top = int(gain.max(initial=0))
    cap = region_cap(policy)
    case_node = np.arange(n_c, dtype=np.int64)
    reviewer_node = n_c + np.arange(n_r, dtype=np.int64)
    sink = n_c + n_r
    tails: list[IntArray] = []
    heads: list[IntArray] = []
    caps: list[IntArray] = []
    costs: list[IntArray] = []
    offset = 0
    keys = nodes = np.zeros(0, dtype=np.int64)
    if cap is None:
        pair_tail = case_node[inst.pair_case]
    else:
        # One node per (case, region) present among the case's candidate reviewers.
        pair_keys = inst.pair_case * len(inst.regions) + inst.reviewer_region[inst.pair_reviewer]
        keys, group = np.unique(pair_keys, return_inverse=True)
        nodes = sink + 1 + np.arange(len(keys), dtype=np.int64)
        tails.append(case_node[keys // len(inst.regions)])
        heads.append(nodes)
        caps.append(_group_caps(inst, cap, keys))
        costs.append(np.zeros(len(keys), dtype=np.int64))
        offset = len(keys)
        pair_tail = nodes[group]
    tails.append(pair_tail)
    heads.append(reviewer_node[inst.pair_reviewer])
    pair_caps = np.ones(n_p, dtype=np.int64)
    pair_caps[fixed.pairs[fixed.pairs >= 0]] = 0  # a forced pair's unit is already sent
    caps.append(pair_caps)
    costs.append(top - gain)
    tails.append(reviewer_node)
    heads.append(np.full(n_r, sink, dtype=np.int64))
    caps.append(np.maximum(most - least, 0))
    costs.append(np.zeros(n_r, dtype=np.int64))
    seats = int(demand.sum())
    supplies = np.concatenate([demand, -least, [-(seats - int(least.sum()))]]).astype(np.int64)
    return _Network(
        np.concatenate(tails),
        np.concatenate(heads),
        np.concatenate(caps),
        np.concatenate(costs),
        supplies,
        slice(offset, offset + n_p),
        keys,
        nodes,
        top,
    )


def _potentials(net: _Network, flows: IntArray, n_nodes: int) -> IntArray | None:
    """Node potentials that prove the flow optimal: shortest distances in its residual graph.

    Every residual arc ``t -> h`` then has ``cost + d[t] - d[h] >= 0``. Bellman-Ford from
    a virtual root joined to every node at cost 0, vectorised over the arcs (sorted by
    head); None if it has not converged after ``_POTENTIAL_ROUNDS`` sweeps.
    """
    forward, backward = flows < net.caps, flows > 0
    tails = np.concatenate([net.tails[forward], net.heads[backward]])
    heads = np.concatenate([net.heads[forward], net.tails[backward]])
    costs = np.concatenate([net.costs[forward], -net.costs[backward]])
    order = np.argsort(heads, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    targets, starts = np.unique(heads, return_index=True)
    d = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(_POTENTIAL_ROUNDS):
        best = np.minimum.reduceat(d[tails] + costs, starts) if len(starts) else starts
        improved = best < d[targets]
        if not improved.any():
            return d
        d[targets[improved]] = best[improved]
    return None


def _price(
    inst: Instance, policy: Policy, net: _Network, d: IntArray
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Eligible pairs left out of the candidates whose arc has a negative reduced cost.

    Returns their cases, reviewers, affinities and reduced costs (solver units). None at
    all proves the candidates' optimum optimal over every eligible pair: the potentials
    ``d`` then price every arc of the full network non-negatively. A (case, region) node
    absent from the pruned network would have the case's potential (its one arc in costs 0).
    """
    n_c = inst.n_cases
    n_regions = len(inst.regions)
    found: list[tuple[IntArray, IntArray, FloatArray, IntArray]] = []
    for c in range(n_c):
        idx, aff, _ = inst.rows.row(c)
        pairs = inst.case_pairs(c)
        out = ~np.isin(idx, inst.pair_reviewer[pairs.start : pairs.stop], assume_unique=True)
        if not out.any():
            continue
        idx, aff = idx[out], aff[out]
        tail = np.full(len(idx), d[c], dtype=np.int64)
        if region_cap(policy) is not None and len(net.group_keys):
            keys = c * n_regions + inst.reviewer_region[idx]
            at = np.minimum(np.searchsorted(net.group_keys, keys), len(net.group_keys) - 1)
            has = net.group_keys[at] == keys
            tail[has] = d[net.group_nodes[at[has]]]
        rc = (net.top - to_ints(aff)) + tail - d[n_c + idx]
        neg = rc < 0
        if neg.any():
            found.append((np.full(int(neg.sum()), c, dtype=np.int64), idx[neg], aff[neg], rc[neg]))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    return (
        np.concatenate([f[0] for f in found]),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
        np.concatenate([f[3] for f in found]),
    )


@dataclass(frozen=True, slots=True)
class _Solved:
    """One min-cost flow solved: its network, the arcs' flows, the chosen pairs, their value."""

    net: _Network
    flows: IntArray
    chosen: IntArray
    """Indices of the pairs that carry flow: the assignment."""
    value: float
    """The total affinity of the chosen pairs, in the policy's units (as scaled)."""


def _solve_network(inst: Instance, policy: Policy) -> _Solved | None:
    """Solve the min-cost flow of ``inst`` under ``policy``; None when it is infeasible.

    The assignment and its value hold the forced pairs; None as well when a forced pair
    is no candidate or a reviewer's forced seats exceed their maximum load.
    """
    fixed = _forced(inst)
    if np.any(fixed.pairs < 0) or np.any(fixed.per_reviewer > inst.max_load):
        return None
    net = _network(inst, policy)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.caps, net.costs)
    smcf.set_nodes_supplies(np.arange(len(net.supplies), dtype=np.int64), net.supplies)
    status = smcf.solve()
    if status == smcf.INFEASIBLE:
        return None
    if status != smcf.OPTIMAL:  # pragma: no cover - costs and capacities are in range
        raise SolverError(f"min-cost flow failed with status {status}")
    flows = smcf.flows(np.arange(len(net.tails), dtype=np.int64))
    carried = np.flatnonzero(flows[net.pair_arcs] > 0).astype(np.int64)
    chosen = np.union1d(carried, fixed.pairs).astype(np.int64)
    gain = to_ints(inst.pair_affinity)
    return _Solved(net, flows, chosen, float(gain[chosen].sum()) / SCALE)


def solve_flow(inst: Instance, policy: Policy) -> Outcome:
    """Solve ``inst`` exactly as a min-cost flow. Requires :func:`flow_refuses` to be empty.

    A pruned instance is solved by pricing (:func:`_solve_by_pricing`): the candidates'
    optimum, then node potentials that price every eligible pair left out; pairs that
    price negatively join the candidates and the flow is solved again, until none does
    (the optimum over every eligible pair) or ``_PRICING_ROUNDS`` have run (then the
    answer is feasible, with the bound of weak duality: the candidates' optimum plus
    every negative reduced cost).
    """
    start = time.perf_counter()
    if np.any(inst.min_load > inst.max_load):
        # A reviewer's own bound crosses the policy's (e.g. min_load 3 under load.max 2).
        return Outcome(
            BackendStatus.INFEASIBLE,
            phases=[PhaseRecord("flow", time.perf_counter() - start, BackendStatus.INFEASIBLE)],
        )
    if inst.pruned:
        return _solve_by_pricing(inst, policy)
    t0 = time.perf_counter()
    solved = _solve_network(inst, policy)
    if solved is None:
        phase = PhaseRecord("flow", time.perf_counter() - t0, "infeasible")
        return Outcome(BackendStatus.INFEASIBLE, phases=[phase])
    value = solved.value
    phase = PhaseRecord("flow", time.perf_counter() - t0, "optimal", value, value)
    return Outcome(BackendStatus.OPTIMAL, chosen=solved.chosen, bound=value, phases=[phase])


def _priced(
    status: BackendStatus,
    solved: _Solved,
    bound: float | None,
    phases: list[PhaseRecord],
    inst: Instance,
    given: Instance,
    notes: tuple[str, ...] = (),
) -> Outcome:
    """An outcome of pricing: it holds over every eligible pair; ``inst`` if pairs joined."""
    return Outcome(
        status,
        chosen=solved.chosen,
        bound=bound,
        phases=phases,
        notes=notes,
        instance=inst if inst is not given else None,
        priced=True,
    )


def _solve_by_pricing(given: Instance, policy: Policy) -> Outcome:
    """The flow optimum of a pruned instance over every eligible pair: see :func:`solve_flow`.

    Every round solves the candidates, prices the pairs left out by the flow's
    potentials, and adds those that price negatively. Pricing may add every pair left
    out: the instance is then no longer pruned, and the answer still carries it.
    """
    phases: list[PhaseRecord] = []
    inst = given
    for round_ in range(_PRICING_ROUNDS + 1):
        t0 = time.perf_counter()
        name = "flow" if round_ == 0 else f"flow.priced{round_}"
        solved = _solve_network(inst, policy)
        if solved is None:
            phases.append(PhaseRecord(name, time.perf_counter() - t0, "infeasible"))
            # Pruned candidates may miss what feasibility needs: the caller retries in full.
            return Outcome(BackendStatus.INFEASIBLE, phases=phases)
        value = solved.value
        n_nodes = len(solved.net.supplies) + len(solved.net.group_nodes)
        d = _potentials(solved.net, solved.flows, n_nodes)
        if d is None:  # pragma: no cover - Bellman-Ford converges on these networks
            phases.append(PhaseRecord(name, time.perf_counter() - t0, "feasible", value))
            note = "pricing: the flow's potentials did not converge; no bound"
            return _priced(BackendStatus.FEASIBLE, solved, None, phases, inst, given, (note,))
        case, reviewer, affinity, rc = _price(inst, policy, solved.net, d)
        if not len(rc):
            phases.append(PhaseRecord(name, time.perf_counter() - t0, "optimal", value, value))
            return _priced(BackendStatus.OPTIMAL, solved, value, phases, inst, given)
        bound = value + float(-rc.sum() + len(rc)) / SCALE  # + a unit per pair for rounding
        phases.append(PhaseRecord(name, time.perf_counter() - t0, "feasible", value, bound))
        if round_ == _PRICING_ROUNDS:
            note = f"pricing: {len(rc)} pruned pairs still price in after {round_} rounds"
            return _priced(BackendStatus.FEASIBLE, solved, bound, phases, inst, given, (note,))
        inst = inst.with_pairs(case, reviewer, affinity)
    raise AssertionError("the last round of pricing returns")  # pragma: no cover
