"""The panel relaxation: one column per (case, feasible panel), priced case by case.

The pair LP relaxes each case's rules to their linear hull over pairs; attribute rules
and disjoint pairs leave it fractional (its integrality gap on the 300 x 150 board row
is 1.6 of 751). This phase keeps each case's rules exact inside its columns, a feasible
panel each, and relaxes only the rows that couple cases (the reviewers' loads): a
Dantzig-Wolfe reformulation of the same model, solved by column generation.

- The rows of the built model split into per-case rows (all their variables pairs of
  one case) and coupling rows; the phase applies only when every variable is a pair
  (no auxiliary variable) and no pair is fixed.
- Pricing a case is exact: its best panel under the coupling duals, by enumerating the
  panels of its best candidates (sorted by reduced value) until no panel with a worse
  candidate can beat the best feasible one found. Pricing that would enumerate more
  than ``_MAX_COMBOS`` panels gives up, and the phase with it: no bound is claimed.
- At any duals ``y``, ``sum_i y_i side_i + sum_c best_c(y)`` bounds every assignment
  (a Lagrangian bound); the smallest one seen is the phase's bound.
- A panel whose reduced value is more than ``bound - incumbent`` below its case's best
  cannot be in an assignment better than the incumbent. The assignments over the
  surviving panels (a set-partitioning model: one Boolean per panel, one panel per
  case, the coupling rows as sums) then hold the optimum.

See docs/model.md, "The panel relaxation".
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from ortools.math_opt import model_pb2
from ortools.sat.python import cp_model

from ..._reduce.eligible import Instance
from ..lp import _Rows, _rows, _solve_proto
from ..outcome import BackendStatus, PhaseRecord
from ..scale import SCALE, bound_up
from .model import Model
from .rules._common import LinearExpr
from .runner import _record, _run, _Search

__all__ = ["Blocks", "Generation", "PanelOutcome", "generate", "panel_phase", "split", "survivors"]

# A case's pricing enumerates at most this many panels of its best candidates; the first
# enumeration takes this many candidates (then twice as many, until exact).
_MAX_COMBOS = 600_000
_FIRST_CANDIDATES = 16
_GROWTH = 1.5
_CHUNK = 40_000  # panels checked at once
_FIRST_CHECKED = 32  # pricing checks the best panels this many first, then 4 times as many
# Panels of at most this many seats (the enumeration is over k-subsets).
_MAX_SEATS = 5
# The first columns: each case's best panels at the pair LP's duals, this many.
_FIRST_PANELS = 20
# Column generation stops when the bound is within this (solver units, plus the relative
# share) of the master LP, or after this many rounds.
_CLOSE = 1.0
_CLOSE_SHARE = 1e-8
_MAX_ROUNDS = 60
_TOLERANCE = 1e-6  # the rows' coefficients are integers: a feasibility tolerance
# The proof: CP-SAT over the surviving panels, when there are at most this many.
_MAX_SURVIVORS = 200_000
# The first fixing gap, relative to the bound; how many restricted solves at most.
_FIRST_GAP = 2e-5
_GAP_ROUNDS = 4

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Block:
    """One case's rows over its pairs: ``low <= a @ x <= high``, ``seats`` pairs chosen."""

    start: int
    a: FloatArray
    low: FloatArray
    high: FloatArray
    seats: int


@dataclass(frozen=True, slots=True)
class Blocks:
    """A built model split into per-case blocks and the rows that couple cases."""

    cases: tuple[Block, ...]
    rows: _Rows
    coupling: IntArray
    """The model's indices of the coupling rows."""
    entry: IntArray
    """Per nonzero of a coupling row (in ``rows`` order, coupling rows only): its position."""
    mask: npt.NDArray[np.bool_]
    """The nonzeros of ``rows`` that lie in a coupling row."""
    by_pair: tuple[IntArray, IntArray, FloatArray]
    """The coupling nonzeros by pair: starts (one more than pairs), positions, coefficients."""

    def values(self, y: FloatArray) -> FloatArray:
        """Each pair's objective less its coupling rows weighted by ``y`` (solver units)."""
        weights = self.rows.coeff[self.mask] * y[self.entry]
        cols = self.rows.col[self.mask]
        return self.rows.objective - np.bincount(cols, weights, minlength=len(self.rows.objective))

    def sane(self, y: FloatArray) -> FloatArray:
        """``y`` with each dual that points to an infinite side set to 0 (a valid dual)."""
        low, high = self.rows.low[self.coupling], self.rows.high[self.coupling]
        return np.where(((y > 0) & np.isinf(high)) | ((y < 0) & np.isinf(low)), 0.0, y)

    def sides(self, y: FloatArray) -> float:
        """``sum_i y_i side_i`` with each ``y_i`` at the side it points to (``y`` sane)."""
        low, high = self.rows.low[self.coupling], self.rows.high[self.coupling]
        high = np.where(np.isinf(high), 0.0, high)
        low = np.where(np.isinf(low), 0.0, low)
        return float(np.sum(np.where(y > 0, y * high, y * low)) + self.rows.offset)


def split(built_rows: _Rows, inst: Instance) -> Blocks | None:
    """The blocks of a model whose rows are ``built_rows``; None where the phase does not apply.

    It applies when every variable is a pair with the domain ``[0, 1]``, every panel has
    at most ``_MAX_SEATS`` seats, and every coupling row reads pairs only.
    """
    rows = built_rows
    n = inst.n_pairs
    if len(rows.objective) != n or n == 0 or int(inst.panel_size.max()) > _MAX_SEATS:
        return None
    if np.any(rows.var_low != 0.0) or np.any(rows.var_high != 1.0):
        return None  # forced pairs: their columns would need the pair in every panel
    n_rows = len(rows.low)
    case = inst.pair_case[rows.col]
    first = np.full(n_rows, np.iinfo(np.int64).max)
    last = np.full(n_rows, -1)
    np.minimum.at(first, rows.row, case)
    np.maximum.at(last, rows.row, case)
    own = np.where(first == last, first, -1)
    coupling = np.flatnonzero(own < 0)
    mask = own[rows.row] < 0
    entry = np.searchsorted(coupling, rows.row[mask])
    blocks = tuple(_block(rows, inst, own, c) for c in range(inst.n_cases))
    order = np.argsort(rows.col[mask], kind="stable")
    starts = np.searchsorted(rows.col[mask][order], np.arange(n + 1))
    by_pair = (starts, entry[order], rows.coeff[mask][order])
    return Blocks(blocks, rows, coupling, entry, mask, by_pair)


def _block(rows: _Rows, inst: Instance, own: IntArray, c: int) -> Block:
    """Case ``c``'s rows as a dense matrix over its pairs."""
    pairs = inst.case_pairs(c)
    mine = np.flatnonzero(own == c)
    nonzero = np.isin(rows.row, mine)
    a = np.zeros((len(mine), len(pairs)))
    a[np.searchsorted(mine, rows.row[nonzero]), rows.col[nonzero] - pairs.start] = rows.coeff[
        nonzero
    ]
    return Block(pairs.start, a, rows.low[mine], rows.high[mine], int(inst.panel_size[c]))


@lru_cache(maxsize=64)
def _subsets(n: int, k: int) -> IntArray:
    """Every ``k``-subset of ``range(n)``, one a row."""
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)), np.int64)
    return flat.reshape(-1, k)


def _feasible(block: Block, chosen: IntArray) -> npt.NDArray[np.bool_]:
    """Which panels (rows of local pair indices) meet every row of the block."""
    out = np.ones(len(chosen), dtype=np.bool_)
    if len(block.low) == 0:
        return out
    low, high = block.low[:, None] - _TOLERANCE, block.high[:, None] + _TOLERANCE
    for i in range(0, len(chosen), _CHUNK):
        sums = block.a[:, chosen[i : i + _CHUNK]].sum(axis=2)
        out[i : i + _CHUNK] = ((sums >= low) & (sums <= high)).all(axis=0)
    return out


def _first_feasible(block: Block, subsets: IntArray, worth: FloatArray) -> int | None:
    """The index of the feasible panel of most ``worth`` among ``subsets`` (None: none).

    The panels are checked best first, a few at a time: the best feasible one is
    usually among the first.
    """
    ranked = np.argsort(-worth, kind="stable")
    size = _FIRST_CHECKED
    at = 0
    while at < len(ranked):
        chunk = ranked[at : at + size]
        ok = np.flatnonzero(_feasible(block, subsets[chunk]))
        if len(ok):
            return int(chunk[ok[0]])
        at += size
        size *= 4
    return None


def price(block: Block, values: FloatArray) -> tuple[float, IntArray, bool]:
    """The best feasible panel of ``block`` under pair ``values`` (the case's, local).

    Returns its value, its local pair indices (``-inf`` and none when no panel is
    feasible) and whether it is exact: the best of all, not only of the best
    candidates, which takes at most ``_MAX_COMBOS`` panels to know. The panels of the
    ``K`` best candidates are enumerated; a panel with a worse one is worth at most the
    ``k - 1`` best and the ``K + 1``-th, so the search stops there.
    """
    k, m = block.seats, len(values)
    best, panel = -math.inf, np.zeros(0, dtype=np.int64)
    if m < k:
        return best, panel, True
    order = np.argsort(-values, kind="stable")
    top = min(m, max(_FIRST_CANDIDATES, k))
    while True:
        subsets = order[_subsets(top, k)]
        worth = values[subsets].sum(axis=1)
        found = _first_feasible(block, subsets, worth)
        if found is not None:
            best, panel = float(worth[found]), subsets[found]
        if top == m or best >= values[order[: k - 1]].sum() + values[order[top]]:
            return best, panel, True
        wider = min(m, int(top * _GROWTH) + 1)
        if math.comb(wider, k) > _MAX_COMBOS:
            return best, panel, False
        top = wider


def survivors(block: Block, values: FloatArray, threshold: float) -> IntArray | None:
    """Every feasible panel worth at least ``threshold`` (rows of local pair indices).

    None when there are more than ``_MAX_COMBOS`` panels to look at.
    """
    k, m = block.seats, len(values)
    if m < k:
        return np.zeros((0, k), dtype=np.int64)
    order = np.argsort(-values, kind="stable")
    head = values[order[: k - 1]].sum()
    top = k
    while top < m and head + values[order[top]] >= threshold:
        top += 1
    if math.comb(top, k) > _MAX_COMBOS:
        return None
    subsets = order[_subsets(top, k)]
    subsets = subsets[values[subsets].sum(axis=1) >= threshold]
    return np.asarray(subsets[_feasible(block, subsets)], dtype=np.int64)


@dataclass(slots=True)
class Generation:
    """Column generation's state: the columns, the master LP, the best bound and its duals."""

    case: list[int]
    pairs: list[IntArray]
    seen: set[tuple[int, ...]]
    bound: float = math.inf
    """The smallest Lagrangian bound (solver units): a bound of every assignment."""
    duals: FloatArray | None = None
    """The coupling duals of ``bound`` (sane)."""
    master: float = -math.inf
    """The master LP's last optimum (solver units)."""
    x: FloatArray | None = None
    """The master LP's last point, over the columns."""
    rounds: int = 0

    def add(self, c: int, panel: IntArray) -> bool:
        """Add the panel (global pair indices) of case ``c``; False if it is there."""
        key = (c, *sorted(int(p) for p in panel))
        if key in self.seen:
            return False
        self.seen.add(key)
        self.case.append(c)
        self.pairs.append(np.sort(panel))
        return True


def _price_all(blocks: Blocks, y: FloatArray) -> tuple[list[tuple[float, IntArray]], float | None]:
    """Every case's best panel found (global pairs) at duals ``y``, and the Lagrangian bound.

    The bound is None unless every pricing is exact (a case without a feasible panel
    gives ``-inf``: no assignment at all).
    """
    values = blocks.values(y)
    best: list[tuple[float, IntArray]] = []
    exact = True
    for block in blocks.cases:
        value, panel, certain = price(block, values[block.start : block.start + block.a.shape[1]])
        exact = exact and certain
        best.append((value, panel + block.start))
    if not exact:
        return best, None
    return best, blocks.sides(y) + sum(value for value, _ in best)


def _first_columns(blocks: Blocks, gen: Generation, y: FloatArray) -> None:
    """Each case's ``_FIRST_PANELS`` best panels among its best candidates at duals ``y``."""
    values = blocks.values(y)
    for c, block in enumerate(blocks.cases):
        local = values[block.start : block.start + block.a.shape[1]]
        if len(local) < block.seats:
            continue
        order = np.argsort(-local, kind="stable")
        top = min(len(local), _FIRST_CANDIDATES)
        subsets = order[_subsets(top, block.seats)]
        subsets = subsets[_feasible(block, subsets)]
        worth = local[subsets].sum(axis=1)
        for j in np.argsort(-worth, kind="stable")[:_FIRST_PANELS]:
            gen.add(c, subsets[j] + block.start)


def _master(
    blocks: Blocks, gen: Generation, n_cases: int, time_limit: float | None
) -> tuple[float, FloatArray, FloatArray, FloatArray] | None:
    """The master LP over the columns: its optimum, point, case duals and coupling duals.

    Each case also has an artificial column worth ``-big`` (so the master is always
    feasible); the columns' own objective is the sum of their pairs'.
    """
    rows, n_cols = blocks.rows, len(gen.pairs)
    pair_rows = blocks.by_pair
    r: list[IntArray] = [np.asarray(gen.case, dtype=np.int64), np.arange(n_cases)]
    col: list[IntArray] = [np.arange(n_cols), n_cols + np.arange(n_cases)]
    val: list[FloatArray] = [np.ones(n_cols), np.ones(n_cases)]
    for j, panel in enumerate(gen.pairs):
        for p in panel:
            lo, hi = pair_rows[0][p], pair_rows[0][p + 1]
            r.append(n_cases + pair_rows[1][lo:hi])
            col.append(np.full(hi - lo, j))
            val.append(pair_rows[2][lo:hi])
    objective = np.array([rows.objective[p].sum() for p in gen.pairs] + [0.0] * n_cases)
    big = 10.0 * float(np.abs(rows.objective).max(initial=0.0)) * _MAX_SEATS + SCALE
    objective[n_cols:] = -big
    proto = _master_proto(blocks, np.concatenate(r), np.concatenate(col), np.concatenate(val))
    proto.objective.linear_coefficients.ids.extend(range(len(objective)))
    proto.objective.linear_coefficients.values.extend(objective.tolist())
    n_rows = n_cases + len(blocks.coupling)
    answer = _solve_proto(proto, len(objective), n_rows, time_limit)
    if not answer.optimal:
        return None
    duals = answer.duals
    return answer.value, answer.x[:n_cols], duals[:n_cases], duals[n_cases:]


def _master_proto(
    blocks: Blocks, row: IntArray, col: IntArray, val: FloatArray
) -> model_pb2.ModelProto:
    """The master LP's proto (its objective apart): 0-1 columns, case rows, coupling rows."""
    rows = blocks.rows
    n_cases = len(blocks.cases)
    n_vars = int(col.max(initial=-1)) + 1
    out = model_pb2.ModelProto()
    out.variables.ids.extend(range(n_vars))
    out.variables.lower_bounds.extend([0.0] * n_vars)
    out.variables.upper_bounds.extend([1.0] * n_vars)
    out.variables.integers.extend([False] * n_vars)
    out.linear_constraints.ids.extend(range(n_cases + len(blocks.coupling)))
    out.linear_constraints.lower_bounds.extend([1.0] * n_cases + rows.low[blocks.coupling].tolist())
    out.linear_constraints.upper_bounds.extend(
        [1.0] * n_cases + rows.high[blocks.coupling].tolist()
    )
    # Panels of one case may share a coupling row through two pairs: sum the duplicates.
    key = row * n_vars + col
    unique, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, val)
    matrix = out.linear_constraint_matrix
    matrix.row_ids.extend((unique // n_vars).tolist())
    matrix.column_ids.extend((unique % n_vars).tolist())
    matrix.coefficients.extend(summed.tolist())
    out.objective.maximize = True
    out.objective.offset = rows.offset
    return out


def generate(blocks: Blocks, y0: FloatArray, *, deadline: float | None) -> Generation | None:
    """Column generation from the duals ``y0`` (the pair LP's) until the bound meets the master.

    Returns the columns and the best Lagrangian bound (sound whenever it stops: only
    rounds whose pricing is exact give one; ``duals`` None when none did); None when a
    case has no feasible panel (the caller's search shows the infeasibility).
    """
    n_cases = len(blocks.cases)
    gen = Generation([], [], set())
    y = blocks.sane(y0)
    _first_columns(blocks, gen, y)
    case_duals = np.full(n_cases, -math.inf)
    while gen.rounds < _MAX_ROUNDS:
        gen.rounds += 1
        best, bound = _price_all(blocks, y)
        if bound == -math.inf:
            return None  # a case without a feasible panel
        if bound is not None and bound < gen.bound:
            gen.bound, gen.duals = bound, y
        added = sum(
            gen.add(c, panel)
            for c, (value, panel) in enumerate(best)
            if len(panel) and value > case_duals[c] + _TOLERANCE
        )
        if gen.bound - gen.master <= _CLOSE + _CLOSE_SHARE * abs(gen.bound) or (
            added == 0 and gen.rounds > 1
        ):
            break
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            break
        solved = _master(blocks, gen, n_cases, left)
        if solved is None:
            break
        gen.master, gen.x, case_duals, coupling_duals = solved
        y = blocks.sane(coupling_duals)
    return gen


@dataclass(frozen=True, slots=True)
class _Ip:
    """A solve of the panel model: its record, pairs, value and bound (solver units)."""

    record: PhaseRecord
    chosen: IntArray | None
    value: float | None
    bound: float | None


def _panel_ip(
    blocks: Blocks,
    search: _Search,
    panels: list[IntArray],
    *,
    phase: str,
    time_limit: float | None,
    hint: IntArray | None,
    slack: float,
) -> _Ip:
    """CP-SAT over ``panels`` (per case, rows of global pairs): one panel per case.

    The coupling rows hold as sums over the panels; ``hint``: pairs of an assignment.
    """
    t0 = time.perf_counter()
    m = cp_model.CpModel()
    starts, entries, coeffs = blocks.by_pair
    n_rows = len(blocks.coupling)
    terms: list[list[tuple[cp_model.IntVar, int]]] = [[] for _ in range(n_rows)]
    on = np.zeros(len(blocks.rows.objective), dtype=np.bool_)
    if hint is not None:
        on[hint] = True
    flat: list[tuple[cp_model.IntVar, IntArray]] = []
    objective: list[tuple[cp_model.IntVar, int]] = []
    for case_panels in panels:
        bools = [m.new_bool_var("") for _ in range(len(case_panels))]
        m.add_exactly_one(bools)
        for b, panel in zip(bools, case_panels, strict=True):
            flat.append((b, panel))
            objective.append((b, round(blocks.rows.objective[panel].sum())))
            for p in panel:
                for q in range(starts[p], starts[p + 1]):
                    terms[entries[q]].append((b, round(coeffs[q])))
            if on[panel].all():
                m.add_hint(b, True)
    _coupling_rows(m, blocks, terms)
    offset = round(blocks.rows.offset)
    m.maximize(
        LinearExpr.weighted_sum([b for b, _ in objective], [v for _, v in objective]) + offset
    )
    if time_limit is not None:
        time_limit -= time.perf_counter() - t0
    built = Model(m, [b for b, _ in flat], LinearExpr.sum([]), None, np.zeros(0, np.int64), [])
    status, solver, _ = _run(built, phase, search, time_limit=time_limit, cuts=True)
    record = _record(phase, status, solver, time.perf_counter() - t0, slack)
    if not status.found:
        return _Ip(record, None, None, None)
    picked = [panel for b, panel in flat if solver.boolean_value(b)]
    return _Ip(
        record,
        np.sort(np.concatenate(picked)).astype(np.int64),
        solver.objective_value,
        solver.best_objective_bound,
    )


def _coupling_rows(
    m: cp_model.CpModel, blocks: Blocks, terms: list[list[tuple[cp_model.IntVar, int]]]
) -> None:
    """Each coupling row over the panel Booleans (a side CP-SAT leaves unbounded is open)."""
    low, high = blocks.rows.low[blocks.coupling], blocks.rows.high[blocks.coupling]
    for i, row in enumerate(terms):
        expr = LinearExpr.weighted_sum([b for b, _ in row], [a for _, a in row])
        if not np.isinf(high[i]):
            m.add(expr <= round(high[i]))
        if not np.isinf(low[i]):
            m.add(expr >= round(low[i]))


@dataclass(frozen=True, slots=True)
class PanelOutcome:
    """What the panel phase found: an assignment (or none), its value, a bound, a proof."""

    chosen: IntArray | None
    value: float | None
    """The value of ``chosen`` (solver units)."""
    bound: float
    """A bound of every assignment (solver units)."""
    proven: bool
    """Whether ``chosen`` is an optimum."""


def panel_phase(
    built: Model,
    inst: Instance,
    search: _Search,
    *,
    duals: FloatArray,
    phases: list[PhaseRecord],
    slack: float,
) -> PanelOutcome | None:
    """The panel relaxation, then CP-SAT over the panels that survive fixing against it.

    ``duals``: the pair LP's, one per row of ``built``'s model (the first prices). None
    when the phase does not apply or its pricing is not exact.
    """
    t0 = time.perf_counter()
    try:
        rows = _rows(built, booleans=inst.n_pairs)
    except ValueError:  # a constraint other than linear: no rows to split
        return None
    blocks = split(rows, inst)
    if blocks is None:
        return None
    deadline = None if search.time_limit is None else search.start + search.time_limit
    gen = generate(blocks, duals[blocks.coupling], deadline=deadline)
    if gen is None or gen.duals is None:
        phases.append(PhaseRecord("panels", time.perf_counter() - t0, "skipped"))
        return None
    master = gen.master / SCALE if gen.x is not None else None
    phases.append(
        PhaseRecord(
            "panels", time.perf_counter() - t0, "bounded", master, bound_up(gen.bound, slack)
        )
    )
    return _fixing_rounds(blocks, search, gen, phases=phases, slack=slack)


def _kept(blocks: Blocks, values: FloatArray, gap: float, search: _Search) -> list[IntArray] | None:
    """Per case, its panels (global pairs) that lose at most ``gap`` against its best.

    None when a case's pricing is not exact, there are more than ``_MAX_SURVIVORS``, or
    the time limit is reached.
    """
    kept: list[IntArray] = []
    total = 0
    for block in blocks.cases:
        if not search.fits(0.0):
            return None
        local = values[block.start : block.start + block.a.shape[1]]
        best, _, exact = price(block, local)
        alive = survivors(block, local, best - gap) if exact else None
        if alive is None or total + len(alive) > _MAX_SURVIVORS:
            return None
        total += len(alive)
        kept.append(alive + block.start)
    return kept


def _fixing_rounds(
    blocks: Blocks,
    search: _Search,
    gen: Generation,
    *,
    phases: list[PhaseRecord],
    slack: float,
) -> PanelOutcome:
    """Solve over the panels that lose at most ``gap`` against the bound, widening as needed.

    An assignment of value ``z`` loses ``best_c - value(P_c)`` against the bound ``L`` on
    each case ``c`` (at the bound's duals), and these losses add up to at most ``L - z``:
    one worth at least ``L - gap`` takes only panels that lose at most ``gap``. If the
    optimum ``z`` over them is at least ``L - gap``, it is the optimum; if it is lower,
    ``gap = L - z`` decides; if there is none, the gap widens.
    """
    assert gen.duals is not None
    values = blocks.values(gen.duals)
    margin = 1.0 + 1e-7 * abs(gen.bound)  # solver units: covers the float rounding
    gap = max(_FIRST_GAP * abs(gen.bound), 1.0)
    best: _Ip | None = None
    for _ in range(_GAP_ROUNDS):
        kept = _kept(blocks, values, gap + margin, search)
        if kept is None:
            break
        ip = _panel_ip(
            blocks,
            search,
            kept,
            phase="panels.restricted",
            time_limit=search.remaining(),
            hint=None if best is None else best.chosen,
            slack=slack,
        )
        phases.append(ip.record)
        if ip.value is not None and (best is None or ip.value > _ip_value(best)):
            best = ip
        if ip.record.status == BackendStatus.OPTIMAL.value:
            assert ip.value is not None
            if ip.value >= gen.bound - gap:
                return PanelOutcome(ip.chosen, ip.value, ip.value, True)
            gap = gen.bound - ip.value
            continue
        if ip.record.status == BackendStatus.INFEASIBLE.value:
            gap *= 4
            continue
        # Cut short: an assignment either loses more than gap, or is one of these.
        bound = gen.bound if ip.bound is None else min(gen.bound, max(gen.bound - gap, ip.bound))
        return _outcome(best, bound)
    return _outcome(best, gen.bound)


def _ip_value(ip: _Ip) -> float:
    """The value of a panel-model solve, ``-inf`` without a solution."""
    return -math.inf if ip.value is None else ip.value


def _outcome(best: _Ip | None, bound: float) -> PanelOutcome:
    """An unproven outcome: the best assignment found (if any) and the bound."""
    if best is None or best.chosen is None:
        return PanelOutcome(None, None, bound, False)
    return PanelOutcome(best.chosen, best.value, bound, False)
