"""Lotteries over assignments with every pair's probability capped at ``q``.

Two ways, by what the policy's rules allow:

* **Flow** (the policy fits :func:`flow_applicable`): the marginals are an optimal
  fractional flow of the assignment network with every pair arc capped at ``q``. With
  ``q = n / D`` the network with every capacity and supply multiplied by ``D`` (pair arcs
  ``n``) is integral, so one min-cost flow solves the capped LP exactly, in units of
  ``1 / D``. A sample is a *dependent rounding* of that flow (:class:`FlowSampler`): every
  arc's expectation is kept and every arc ends at the floor or the ceiling of its
  fractional flow, so panel sizes, loads and region caps hold in every sample.
* **Columns** (every other policy): a distribution over assignments that each meet the
  full model, by column generation (:func:`column_lottery`): a master LP over the
  assignments found so far, priced by the full model with each pair's affinity lowered
  by its cap dual.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from ortools.math_opt import model_pb2, result_pb2
from ortools.math_opt.core.python import solver as core_solver
from ortools.math_opt.python import callback, init_arguments, mathopt, model_parameters
from ortools.sat.python import cp_model

from .._data.options import SolveOptions
from .._data.policy import Policy
from .._errors import SolverError
from .._reduce.eligible import Instance
from .cpsat.model import build_model
from .cpsat.runner import _parameters, solved
from .cpsat.search import solve_cpsat
from .flow import _network, flow_applicable, solve_flow
from .lp import _model_proto, _rows, _solve_proto
from .outcome import BackendStatus, Outcome
from .scale import SCALE, to_ints

__all__ = [
    "ColumnLottery",
    "ColumnSampler",
    "FlowSampler",
    "capped_flow",
    "capped_relaxation",
    "column_lottery",
    "units_of",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LinearExpr = cp_model.LinearExpr

_MAX_DENOMINATOR = 1_000_000
"""``q`` is read as the nearest fraction with at most this denominator, never above it."""

_MASTER_MARGIN = 1e-7
"""The master LP caps pairs at ``q`` less this: HiGHS' feasibility tolerance, so that the
marginals it returns never exceed ``q`` itself."""

_MAX_ROUNDS = 5_000
"""Column generation rounds at most (each adds one assignment)."""

_LP_MIN_PAIRS = 5_000
"""Phase one's restricted solves take CP-SAT's LP-guided path from this many pairs (as solve)."""

_POOL = 16
"""Solutions a pricing search keeps besides its best: each may enter the master too."""

_SMOOTHING = 0.5
"""Wentges' dual smoothing: the weight of the best bound's duals in the pricing duals."""


def units_of(q: float) -> tuple[int, int]:
    """``(n, D)``: ``q`` as the nearest fraction of denominator at most 10**6, not above ``q``.

    "Not above" as floats: ``1 / 3`` is read as exactly one third, whose float is ``q``.

    Examples
    --------
    >>> units_of(0.5), units_of(1.0), units_of(1 / 3)
    ((1, 2), (1, 1), (1, 3))
    """
    f = Fraction(q).limit_denominator(_MAX_DENOMINATOR)
    if float(f) > q:  # above q even as a float: round down at the resolution instead
        f = Fraction(math.floor(q * _MAX_DENOMINATOR), _MAX_DENOMINATOR)
    return f.numerator, f.denominator


# --------------------------------------------------------------------------------------
# The flow path


@dataclass(frozen=True, slots=True)
class FlowSampler:
    """A fractional flow (integers in units of ``1 / units``) and its dependent rounding.

    Only the arcs whose flow is not a multiple of ``units`` take part in the rounding:
    their ends are numbered ``0 .. n_nodes - 1``. Supplies and demands are integral, so at
    every node the fractional arcs' flows sum to a multiple of ``units``: no node has
    exactly one fractional arc, and the fractional arcs always contain a cycle (in the
    undirected sense).
    """

    units: int
    fixed: IntArray
    """Pairs whose flow is ``units``: in every sample."""
    tails: tuple[int, ...]
    heads: tuple[int, ...]
    flows: tuple[int, ...]
    arc_pair: IntArray
    """Per fractional arc, its pair index, or -1 (a region or load arc)."""
    n_nodes: int

    def draw(self, rng: np.random.Generator) -> IntArray:
        """The pairs of one sample (increasing pair indices)."""
        final = dependent_round(
            self.tails,
            self.heads,
            self.flows,
            self.units,
            self.n_nodes,
            rng.random(len(self.flows) + 1),
        )
        on = (np.asarray(final, dtype=np.int64) == self.units) & (self.arc_pair >= 0)
        return np.sort(np.concatenate([self.fixed, self.arc_pair[on]]))


def dependent_round(
    tails: tuple[int, ...],
    heads: tuple[int, ...],
    flows: tuple[int, ...],
    units: int,
    n_nodes: int,
    uniforms: FloatArray,
) -> list[int]:
    """Round every arc's flow to a multiple of ``units``, keeping each arc's expectation.

    Every node must have zero or at least two arcs (an arc's flow is fractional when it
    is not a multiple of ``units``, and every arc given is). A walk along fractional arcs
    finds a cycle; its arcs are shifted by ``+alpha`` along its direction (``-alpha``
    against it) with probability ``beta / (alpha + beta)``, else by ``-beta``: each arc's
    expected change is 0 and node balances are kept. ``alpha`` and ``beta`` are the
    largest shifts that keep every arc of the cycle within the floor and ceiling of its
    flow, so one arc at least becomes integral per step; the walk keeps the part of its
    path before the first such arc. ``uniforms`` holds one draw per step (one per arc
    suffices).
    """
    walk = _Walk(tails, heads, list(flows), units, n_nodes)
    walk.run(uniforms)
    return walk.f


class _Walk:
    """The state of :func:`dependent_round`: the flows, the live arcs and the walk's path.

    ``nodes`` is the path walked so far, ``into[j]`` the arc from ``nodes[j - 1]`` to
    ``nodes[j]`` (-1 for ``j = 0``) and ``position[v]`` the place of node ``v`` on the
    path (-1 when it is off it).
    """

    def __init__(
        self,
        tails: tuple[int, ...],
        heads: tuple[int, ...],
        f: list[int],
        units: int,
        n_nodes: int,
    ) -> None:
        self.tails = tails
        self.heads = heads
        self.f = f
        self.units = units
        self.n_nodes = n_nodes
        self.live = [True] * len(f)
        self.adj: list[list[int]] = [[] for _ in range(n_nodes)]
        for e in range(len(f)):
            self.adj[tails[e]].append(e)
            self.adj[heads[e]].append(e)
        self.position = [-1] * n_nodes
        self.nodes: list[int] = []
        self.into: list[int] = []
        self.start = 0

    def next_arc(self, v: int, came: int) -> int:
        """A live arc at ``v`` other than ``came`` (the last such added), or -1."""
        arcs = self.adj[v]
        live = self.live
        while arcs and not live[arcs[-1]]:
            arcs.pop()
        for k in range(len(arcs) - 1, -1, -1):
            e = arcs[k]
            if live[e] and e != came:
                return e
        return -1

    def begin(self) -> bool:
        """Start a path at the first node with a live arc; False when none is left."""
        while self.start < self.n_nodes and self.next_arc(self.start, -1) < 0:
            self.start += 1
        if self.start == self.n_nodes:
            return False
        self.nodes.append(self.start)
        self.into.append(-1)
        self.position[self.start] = 0
        return True

    def run(self, uniforms: FloatArray) -> None:
        """Walk along live arcs, shifting each cycle closed, until no live arc is left.

        The hot loop of the lottery's draws: the path's lists are held in locals.
        """
        nodes, into, position = self.nodes, self.into, self.position
        tails, heads, next_arc = self.tails, self.heads, self.next_arc
        step = 0
        while nodes or self.begin():
            v = nodes[-1]
            e = next_arc(v, into[-1])
            if e < 0:
                self.dead_end(v)
                continue
            w = tails[e] + heads[e] - v
            i = position[w]
            if i < 0:  # a new node: the path grows
                position[w] = len(nodes)
                nodes.append(w)
                into.append(e)
            else:  # arc e closes a cycle at nodes[i]
                self.shift(i, e, float(uniforms[step]))
                step += 1

    def dead_end(self, v: int) -> None:
        """Leave a start node without live arcs (every arc at it became integral)."""
        if len(self.nodes) != 1:  # pragma: no cover - every node has 0 or 2+ fractional arcs
            raise SolverError("dependent rounding: a node with one fractional arc")
        self.position[v] = -1
        self.nodes.clear()
        self.into.clear()

    def shift(self, i: int, e: int, uniform: float) -> None:
        """Shift the cycle ``e`` closes at ``nodes[i]``; cut the path at its first integral arc."""
        units, f, nodes, tails, live = self.units, self.f, self.nodes, self.tails, self.live
        cycle = [*self.into[i + 1 :], e]
        forward = [tails[a] == nodes[i + j] for j, a in enumerate(cycle)]
        alpha = beta = units
        for a, fw in zip(cycle, forward, strict=True):
            down = f[a] % units
            up = units - down
            if fw:
                alpha, beta = min(alpha, up), min(beta, down)
            else:
                alpha, beta = min(alpha, down), min(beta, up)
        delta = alpha if uniform * (alpha + beta) < beta else -beta
        cut = len(nodes)
        for j, (a, fw) in enumerate(zip(cycle, forward, strict=True)):
            f[a] += delta if fw else -delta
            if f[a] % units == 0:
                live[a] = False
                cut = min(cut, i + 1 + j)
        for w in nodes[cut:]:
            self.position[w] = -1
        del nodes[cut:]
        del self.into[cut:]


@dataclass(frozen=True, slots=True)
class CappedFlow:
    """The capped flow LP's optimum: marginals per pair and a sampler."""

    marginals: FloatArray
    value: float
    """Expected total affinity (float units)."""
    sampler: FlowSampler
    seconds: float


def capped_flow(inst: Instance, policy: Policy, q: float) -> CappedFlow | None:
    """The best flow with every pair at most ``q`` (exact, in units of ``1 / D``); None if none.

    Requires :func:`flow_applicable`.
    """
    t0 = time.perf_counter()
    cap, units = units_of(q)
    if np.any(inst.min_load > inst.max_load):
        return None
    net = _network(inst, policy)
    caps = net.caps * units
    caps[net.pair_arcs] = cap
    supplies = net.supplies * units
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, caps, net.costs)
    smcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int64), supplies)
    status = smcf.solve()
    if status == smcf.INFEASIBLE:
        return None
    if status != smcf.OPTIMAL:  # pragma: no cover - costs and capacities are in range
        raise SolverError(f"min-cost flow failed with status {status}")
    flows = np.asarray(smcf.flows(np.arange(len(net.tails), dtype=np.int64)), dtype=np.int64)
    pair_flow = flows[net.pair_arcs]
    marginals = pair_flow / units
    frac = np.flatnonzero(flows % units != 0)
    arc_pair = np.full(len(net.tails), -1, dtype=np.int64)
    arc_pair[net.pair_arcs] = np.arange(inst.n_pairs, dtype=np.int64)
    ends = np.concatenate([net.tails[frac], net.heads[frac]])
    used, compact = np.unique(ends, return_inverse=True)
    sampler = FlowSampler(
        units=units,
        fixed=np.flatnonzero(pair_flow == units).astype(np.int64),
        tails=tuple(compact[: len(frac)].tolist()),
        heads=tuple(compact[len(frac) :].tolist()),
        flows=tuple(flows[frac].tolist()),
        arc_pair=arc_pair[frac],
        n_nodes=len(used),
    )
    value = float(np.dot(marginals, inst.pair_affinity))
    return CappedFlow(marginals, value, sampler, time.perf_counter() - t0)


# --------------------------------------------------------------------------------------
# The column path


def capped_relaxation(inst: Instance, policy: Policy, q: float) -> float | None:
    """The LP relaxation of the full model with every pair variable at most ``q``.

    An upper bound (float units, widened by the scaling's rounding) of the expected
    objective of any lottery under the cap; None if the LP is infeasible or unsolved.
    """
    built = build_model(inst, policy)
    built.model.maximize(built.objective)
    rows = _rows(built, booleans=inst.n_pairs)
    rows = replace(rows, var_high=rows.var_high.copy())
    rows.var_high[: inst.n_pairs] = q
    columns = np.arange(len(rows.objective), dtype=np.int64)
    answer = _solve_proto(
        _model_proto(rows, columns, integer=False), len(columns), len(rows.low), None
    )
    if not answer.optimal:
        return None
    slack = 0.5 * (int(inst.panel_size.sum()) + int(inst.max_load.max(initial=0)))
    return (answer.value + slack) / SCALE + 1e-9 * abs(answer.value) / SCALE


@dataclass(frozen=True, slots=True)
class ColumnSampler:
    """A distribution over assignments: ``weights[k]`` is the probability of ``columns[k]``."""

    columns: tuple[IntArray, ...]
    weights: FloatArray

    def draw(self, rng: np.random.Generator) -> IntArray:
        """The pairs of one sample (increasing pair indices)."""
        k = int(
            np.searchsorted(np.cumsum(self.weights), rng.random() * self.weights.sum(), "right")
        )
        return self.columns[min(k, len(self.columns) - 1)]


@dataclass(frozen=True, slots=True)
class ColumnLottery:
    """The column generation's answer."""

    status: str
    """``optimal`` (no column prices in), ``feasible`` (stopped early; cap met),
    ``infeasible`` (no lottery meets the cap) or ``unknown`` (the cap was not met with
    the columns found in time)."""
    sampler: ColumnSampler | None
    marginals: FloatArray
    value: float
    lagrangian: float
    """An upper bound of any capped lottery's expected objective (weak duality)."""
    least_cap: float
    """Phase 1: the smallest largest marginal the columns found reach."""
    rounds: int
    columns: int


def objective_of(inst: Instance, policy: Policy, chosen: IntArray) -> float:
    """The policy's objective of an assignment (total affinity less the load spread term)."""
    total = float(inst.pair_affinity[chosen].sum())
    w = policy.objective.load_spread
    if w > 0:
        loads = np.bincount(inst.pair_reviewer[chosen], minlength=inst.n_reviewers)
        total -= w * float(loads.max(initial=0) - loads.min(initial=0))
    return total


def _master(
    columns: list[IntArray], values: list[float], q: float, phase_one: bool
) -> tuple[FloatArray, FloatArray, IntArray, float, float]:
    """The master LP: ``(lambda, pair duals, their pairs, convexity dual, value)``.

    Phase one minimises the total excess ``sum_p s_p`` in ``sum_k lambda_k A_k <= q + s_p``
    (every overloaded pair gets a dual, so one pricing round can avoid them all); phase
    two maximises the expected objective with no excess. The value returned in phase
    one is ``-(largest excess)``.
    """
    pairs = np.unique(np.concatenate(columns))
    n_k = len(columns)
    out = model_pb2.ModelProto()
    n_vars = n_k + (len(pairs) if phase_one else 0)
    out.variables.ids.extend(range(n_vars))
    out.variables.lower_bounds.extend([0.0] * n_vars)
    out.variables.upper_bounds.extend([math.inf] * n_vars)
    out.variables.integers.extend([False] * n_vars)
    n_rows = len(pairs) + 1
    out.linear_constraints.ids.extend(range(n_rows))
    out.linear_constraints.lower_bounds.extend([-math.inf] * len(pairs) + [1.0])
    out.linear_constraints.upper_bounds.extend([q - _MASTER_MARGIN] * len(pairs) + [1.0])
    row_ids: list[int] = []
    col_ids: list[int] = []
    coeffs: list[float] = []
    for k, col in enumerate(columns):
        rows = np.searchsorted(pairs, col)
        row_ids.extend(rows.tolist())
        col_ids.extend([k] * len(rows))
        coeffs.extend([1.0] * len(rows))
    if phase_one:
        row_ids.extend(range(len(pairs)))
        col_ids.extend(range(n_k, n_k + len(pairs)))
        coeffs.extend([-1.0] * len(pairs))
    row_ids.extend([len(pairs)] * n_k)
    col_ids.extend(range(n_k))
    coeffs.extend([1.0] * n_k)
    order = np.lexsort((np.asarray(col_ids), np.asarray(row_ids)))
    matrix = out.linear_constraint_matrix
    matrix.row_ids.extend(np.asarray(row_ids)[order].tolist())
    matrix.column_ids.extend(np.asarray(col_ids)[order].tolist())
    matrix.coefficients.extend(np.asarray(coeffs)[order].tolist())
    out.objective.maximize = True
    if phase_one:
        out.objective.linear_coefficients.ids.extend(range(n_k, n_k + len(pairs)))
        out.objective.linear_coefficients.values.extend([-1.0] * len(pairs))
    shift = 0.0
    if not phase_one:
        # Every column's value is shifted alike (sum lambda = 1): the optimum moves by the
        # shift and so does the convexity dual. HiGHS (through MathOpt) answers an
        # all-zero objective without a primal solution; shifted, no coefficient is zero.
        shift = 1.0 - min(values)
        out.objective.linear_coefficients.ids.extend(range(n_k))
        out.objective.linear_coefficients.values.extend([v + shift for v in values])
    x, duals, value = _simplex(out, n_vars, n_rows)
    pi = np.maximum(duals[:-1], 0.0)
    if phase_one:
        value = -float(x[n_k:].max(initial=0.0)) if value < -1e-9 else 0.0
    return x, pi, pairs, duals[-1] - shift, value - shift


def _simplex(
    model: model_pb2.ModelProto, n_vars: int, n_rows: int
) -> tuple[FloatArray, FloatArray, float]:
    """GLOP (OR-Tools' simplex) on a MathOpt proto: primal values, duals and the value.

    GLOP rather than HiGHS for the master: HiGHS through MathOpt answers some degenerate
    masters "optimal" with no primal solution (seen on all-zero affinities).
    """
    answer = core_solver.solve(
        model,
        mathopt.SolverType.GLOP.value,
        init_arguments.StreamableSolverInitArguments().to_proto(),
        mathopt.SolveParameters().to_proto(),
        model_parameters.ModelSolveParameters().to_proto(),
        None,
        callback.CallbackRegistration().to_proto(),
        None,
        None,
    )
    if answer.termination.reason != result_pb2.TERMINATION_REASON_OPTIMAL or not len(
        answer.solutions
    ):  # pragma: no cover - phase one is always feasible and bounded
        raise SolverError("the master LP of the lottery did not solve to optimality")
    solution = answer.solutions[0]
    primal = solution.primal_solution
    x = np.zeros(n_vars)
    x[np.asarray(primal.variable_values.ids, dtype=np.int64)] = primal.variable_values.values
    duals = np.zeros(n_rows)
    dual = solution.dual_solution.dual_values
    duals[np.asarray(dual.ids, dtype=np.int64)] = dual.values
    return x, duals, float(primal.objective_value)


class _Pricer:
    """The pricing problem: the full model of the policy, built once, re-weighted per round.

    Each round replaces the objective by ``sum_p w_p x_p`` (less the load-spread term in
    phase two) and hints the solver with an assignment of the current lottery, so that
    it starts from a feasible point. A policy that fits a flow network is priced by the
    exact flow instead.
    """

    def __init__(self, inst: Instance, policy: Policy, seed: int, workers: int) -> None:
        self._inst = inst
        self._policy = policy
        self._seed = seed
        self._workers = workers
        self._flow = flow_applicable(inst, policy)
        self._built = None if self._flow else build_model(inst, policy)
        if self._built is not None:
            total = LinearExpr.weighted_sum(
                self._built.x, [int(v) for v in to_ints(inst.pair_affinity)]
            )
            self._spread: cp_model.LinearExpr = self._built.objective - total
        # Rounding each weight moves a panel by half a unit a seat (see solve_cpsat).
        self._slack = 0.5 * (int(inst.panel_size.sum()) + int(inst.max_load.max(initial=0)))

    def price(
        self, weights: FloatArray, *, spread: bool, hint: IntArray | None, time_limit: float | None
    ) -> tuple[Outcome, list[IntArray]]:
        """The best assignment with these pair weights (and the spread term if ``spread``).

        Also every other assignment the search found on its way (CP-SAT only): each is a
        column of the full model that may price in too.
        """
        if self._built is None:
            return solve_flow(replace(self._inst, pair_affinity=weights), self._policy), []
        built = self._built
        objective = LinearExpr.weighted_sum(built.x, [int(v) for v in to_ints(weights)])
        built.model.maximize(objective + self._spread if spread else objective)
        built.model.clear_hints()  # type: ignore[no-untyped-call]  # unannotated in ortools
        if hint is not None:
            on = np.zeros(len(built.x), dtype=np.int64)
            on[hint] = 1
            built.model.proto.solution_hint.vars.extend(range(len(built.x)))
            built.model.proto.solution_hint.values.extend(on.tolist())
        solver = cp_model.CpSolver()
        _parameters(solver, seed=self._seed, workers=self._workers, time_limit=time_limit)
        # The search's other solutions, kept by CP-SAT itself (a Python callback would copy
        # the whole response per solution).
        solver.parameters.fill_additional_solutions_in_response = True
        solver.parameters.solution_pool_size = _POOL
        status = solved(solver, solver.solve(built.model))
        if not status.found:
            return Outcome(status), []
        values = np.asarray(solver.response_proto.solution, dtype=np.int64)[: len(built.x)]
        chosen = np.flatnonzero(values > 0).astype(np.int64)
        bound = (solver.best_objective_bound + self._slack) / SCALE
        others = [
            np.flatnonzero(np.asarray(extra.values, dtype=np.int64)[: len(built.x)] > 0)
            for extra in solver.response_proto.additional_solutions
        ]
        return Outcome(status, chosen=chosen, bound=bound), others


def column_lottery(
    inst: Instance,
    policy: Policy,
    q: float,
    start: list[IntArray],
    options: SolveOptions,
    *,
    upper: float = math.inf,
    price_seconds: float = math.inf,
    progress: Callable[[str], None] | None = None,
) -> ColumnLottery:
    """The best lottery over assignments of the full model, by column generation.

    ``start`` holds assignments (pair indices) that meet every rule. Phase one finds a
    mix meeting the cap (pricing with the cap duals alone); phase two maximises the
    expected objective. Pricing is the full model with pair weights ``a - pi``: a column
    enters when ``obj(A) - pi . A - mu > tol``. Any duals give the bound
    ``q * sum(pi) + max_A (obj(A) - pi . A)``; generation ends when the master is within
    ``1e-6`` (relative) of it or of ``upper`` (another bound: the capped LP relaxation).
    A pricing solve gets ``price_seconds``; one that finds no column in that time is run
    again without the limit (up to the deadline), so that "no column" is proven.
    ``options`` give the seed, the workers and the deadline (not the progress: pricing
    solves are no incumbents of the call).
    """
    columns = _Columns(inst, policy)
    for chosen in start:
        columns.add(chosen)
    run = _Generation(
        inst,
        policy,
        q,
        options,
        upper,
        price_seconds,
        progress,
        _Pricer(inst, policy, options.seed, options.workers),
        0.5 * int(inst.panel_size.sum()) / SCALE,  # a flow's bound is at resolution
    )
    state = _State()
    status = _generate(run, columns, state)
    return _lottery(run, columns, state, status)


class _Columns:
    """The assignments found so far, each once (sorted pairs), and their objective values."""

    def __init__(self, inst: Instance, policy: Policy) -> None:
        self._inst = inst
        self._policy = policy
        self._seen: set[bytes] = set()
        self.columns: list[IntArray] = []
        self.values: list[float] = []

    def __len__(self) -> int:
        """The number of columns."""
        return len(self.columns)

    def add(self, chosen: IntArray) -> bool:
        """Add the assignment ``chosen``; False when it is a column already."""
        chosen = np.sort(chosen.astype(np.int64))
        key = chosen.tobytes()
        if key in self._seen:
            return False
        self._seen.add(key)
        self.columns.append(chosen)
        self.values.append(objective_of(self._inst, self._policy, chosen))
        return True


@dataclass(frozen=True, slots=True)
class _Generation:
    """What every round of the column generation shares: the problem, the cap, the limits."""

    inst: Instance
    policy: Policy
    q: float
    options: SolveOptions
    upper: float
    price_seconds: float
    progress: Callable[[str], None] | None
    pricer: _Pricer
    rounding: float
    """The widening of a pricing bound for the solver's resolution (float units)."""

    def left(self) -> float | None:
        """Seconds to the deadline (None: no deadline)."""
        deadline = self.options.deadline
        return None if deadline is None else deadline - time.perf_counter()


@dataclass(slots=True)
class _State:
    """What the rounds so far have learnt: the phase, the best bound and the last master."""

    phase_one: bool = True
    lagrangian: float = math.inf
    center: FloatArray | None = None
    """The duals of the best Lagrangian bound so far."""
    least: float = 1.0
    lam: FloatArray = field(default_factory=lambda: np.zeros(0))
    """The last master's weights of the columns."""
    rounds: int = 0

    def stopped(self) -> str:
        """The status when generation stops before a proof."""
        return "unknown" if self.phase_one else "feasible"


@dataclass(frozen=True, slots=True)
class _Round:
    """One round's master: its pair duals (over every pair), convexity dual and value."""

    dual: FloatArray
    mu: float
    value: float
    tol: float


def _generate(run: _Generation, columns: _Columns, state: _State) -> str:
    """Rounds of master and pricing until proven, out of time, or out of columns: the status."""
    while state.rounds < _MAX_ROUNDS:
        state.rounds += 1
        state.lam, pi, pairs, mu, value = _master(
            columns.columns, columns.values, run.q, state.phase_one
        )
        if state.phase_one:
            state.least = run.q - value  # value = -t
            if -value <= 1e-9:
                state.phase_one = False
                continue
        tol = 1e-6 * max(1.0, abs(value))
        if not state.phase_one and min(state.lagrangian, run.upper) - value <= tol:
            return "optimal"  # the master is within tol of a bound: proven
        left = run.left()
        if left is not None and left <= 0:
            return state.stopped()
        master_dual = np.zeros(run.inst.n_pairs)
        master_dual[pairs] = pi
        added, proven = _price_round(run, columns, state, _Round(master_dual, mu, value, tol))
        if added:
            continue
        if proven:
            return "infeasible" if state.phase_one else "optimal"
        return state.stopped()
    return state.stopped()  # pragma: no cover - a safety net: generation converges long before


def _price_round(
    run: _Generation, columns: _Columns, state: _State, master: _Round
) -> tuple[bool, bool]:
    """Price until a column enters: whether one did, and whether the last pricing is proven.

    Wentges smoothing in phase two: price at a point between the master's duals and the
    best bound's; if that finds no column for the master (a mispricing), price again at
    the master's own duals in the same round. A pricing that finds nothing in the
    round's time is run again without that limit (up to the deadline).
    """
    alpha = 0.0 if state.phase_one or state.center is None else _SMOOTHING
    patient = False  # a pricing solve without the per-round limit
    while True:
        dual = master.dual
        if alpha > 0 and state.center is not None:
            dual = alpha * state.center + (1 - alpha) * master.dual
        outcome, others = _price(run, columns, state, dual, patient=patient)
        proven = outcome.status is BackendStatus.OPTIMAL
        if outcome.status.found and _enter(
            run, columns, state, master, outcome, others, dual=dual, alpha=alpha
        ):
            return True, proven
        if alpha > 0:
            alpha = 0.0  # a mispricing: price at the master's own duals
            continue
        deadline = run.options.deadline
        if not proven and not patient and time.perf_counter() < (deadline or math.inf):
            patient = True  # nothing found in the round's time: search to the end
            continue
        return False, proven


def _price(
    run: _Generation, columns: _Columns, state: _State, dual: FloatArray, *, patient: bool
) -> tuple[Outcome, list[IntArray]]:
    """The best assignment at the pair prices ``dual``, and the search's other ones."""
    left = run.left()
    if not patient:
        left = run.price_seconds if left is None else min(left, run.price_seconds)
    base = np.zeros(run.inst.n_pairs) if state.phase_one else run.inst.pair_affinity
    hint = columns.columns[int(np.argmax(state.lam[: len(columns)]))]
    if state.phase_one and not patient:
        avoiding = _avoiding(run, dual, left)
        if avoiding is not None:
            return avoiding, []
    return run.pricer.price(base - dual, spread=not state.phase_one, hint=hint, time_limit=left)


def _avoiding(run: _Generation, dual: FloatArray, left: float | None) -> Outcome | None:
    """Phase one: the best assignment avoiding every overloaded pair, None if none found.

    The solve's own pipeline on the other pairs: it prices in whenever it exists, and its
    affinity makes it a good column for phase two as well.
    """
    free = np.flatnonzero(dual <= 0)
    found = solve_cpsat(
        run.inst.restricted(free),
        run.policy,
        replace(run.options, progress=None),
        time_limit=left,
        use_lp=len(free) >= _LP_MIN_PAIRS,
    )
    if not found.status.found:
        return None
    return replace(found, chosen=free[found.chosen], bound=None)


def _enter(
    run: _Generation,
    columns: _Columns,
    state: _State,
    master: _Round,
    outcome: Outcome,
    others: list[IntArray],
    *,
    dual: FloatArray,
    alpha: float,
) -> bool:
    """Enter the priced assignments whose reduced cost is positive: whether any entered.

    A pricing bound of phase two also gives a Lagrangian bound, kept when it is the best.
    """
    phase_one = state.phase_one
    chosen = outcome.chosen
    worth = 0.0 if phase_one else objective_of(run.inst, run.policy, chosen)
    reduced = worth - float(master.dual[chosen].sum()) - master.mu
    if not phase_one and outcome.bound is not None:
        bound = run.q * float(dual.sum()) + outcome.bound + run.rounding
        if bound < state.lagrangian:
            state.lagrangian, state.center = bound, dual
    if run.progress is not None:
        run.progress(
            f"round {state.rounds}: phase {1 if phase_one else 2}, {len(columns)} "
            f"columns, master {master.value:.6f}, bound "
            f"{min(state.lagrangian, run.upper):.6f}, "
            f"reduced cost {reduced:.3g}, smoothing {alpha:g}"
        )
    added = False
    for other in others:  # the search's other assignments that price in
        gain = 0.0 if phase_one else objective_of(run.inst, run.policy, other)
        if gain - float(master.dual[other].sum()) - master.mu > master.tol and columns.add(other):
            added = True
    if reduced > master.tol and columns.add(chosen):
        added = True
    return added


def _lottery(run: _Generation, columns: _Columns, state: _State, status: str) -> ColumnLottery:
    """The lottery of the last master's weights (none in phase one), with its figures."""
    inst, q = run.inst, run.q
    if state.phase_one:
        return ColumnLottery(
            status,
            None,
            np.zeros(inst.n_pairs),
            0.0,
            state.lagrangian,
            state.least,
            state.rounds,
            len(columns),
        )
    lam = state.lam
    if len(lam) != len(columns):  # pragma: no cover - the last round added a column
        lam = _master(columns.columns, columns.values, q, False)[0]
    lam = np.maximum(lam, 0.0)
    keep = np.flatnonzero(lam > 1e-12)
    weights = lam[keep] / lam[keep].sum()
    kept = tuple(columns.columns[k] for k in keep)
    marginals = np.zeros(inst.n_pairs)
    for w, col in zip(weights, kept, strict=True):
        marginals[col] += w
    value = float(sum(w * columns.values[k] for w, k in zip(weights, keep, strict=True)))
    return ColumnLottery(
        status,
        ColumnSampler(kept, weights),
        marginals,
        value,
        state.lagrangian,
        q,
        state.rounds,
        len(columns),
    )
