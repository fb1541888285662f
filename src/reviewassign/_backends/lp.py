"""The linear relaxation of a built model, solved by HiGHS through OR-Tools MathOpt.

The same CP-SAT model, read back from its proto, becomes a MathOpt model: continuous for
the LP relaxation (a bound, a starting point and reduced costs for the pipeline in
``_run``), or integer for a reference MIP solve in the benchmarks. Reading the proto
keeps one model builder: each rule is written once, in ``_builders``.

Large relaxations are solved by column generation: the LP over a few promising pairs,
priced against every pair with its duals. Any duals give a Lagrangian bound of the full
relaxation, so the bound stays sound even when the generation is cut short.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np
import numpy.typing as npt
from ortools.math_opt import model_pb2, result_pb2
from ortools.math_opt.core.python import solver as core_solver
from ortools.math_opt.python import callback, init_arguments, mathopt, model_parameters
from ortools.math_opt.python import model as mathopt_model

from .cpsat.model import Model
from .scale import SCALE

__all__ = ["LpSolution", "mathopt_from", "solve_relaxation"]

_INT64_BIG = 2**62  # CP-SAT writes unbounded sides as +-2**63 - 1

# Column generation: the pairs of the first LP are the best of each constraint (by
# objective coefficient); below this many pairs, every pair. A pair joins the LP when its
# reduced cost is above -_PRICE_MARGIN (solver units); at most this many LPs.
_ALL_COLUMNS_BELOW = 100_000
_PER_CONSTRAINT = 10
_PRICE_MARGIN = 0.05 * SCALE
_MAX_LPS = 8
_CONVERGED = 1e-5  # relative distance of the Lagrangian bound to the LP that ends generation

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _bounds(domain: object) -> tuple[float, float]:
    """The lower and upper bound of a proto domain, infinite where CP-SAT leaves it unbounded."""
    # The proto's repeated fields do not support negative indices.
    values = list(domain)  # type: ignore[call-overload]
    lo, hi = float(values[0]), float(values[len(values) - 1])
    return (-np.inf if lo <= -_INT64_BIG else lo), (np.inf if hi >= _INT64_BIG else hi)


@dataclass(frozen=True, slots=True)
class _Rows:
    """A CP-SAT model's linear constraints as arrays (maximisation, solver units).

    Nonzeros are sorted by constraint, then variable.
    """

    row: IntArray
    col: IntArray
    coeff: FloatArray
    low: FloatArray
    high: FloatArray
    var_low: FloatArray
    var_high: FloatArray
    objective: FloatArray
    offset: float

    def reduced_costs(self, duals: FloatArray) -> FloatArray:
        """``c - A^T y`` for every variable."""
        weights = self.coeff * duals[self.row]
        return self.objective - np.bincount(self.col, weights, minlength=len(self.objective))

    def lagrangian(self, duals: FloatArray, reduced_cost: FloatArray) -> float:
        """An upper bound of the relaxation from any duals (``reduced_cost`` of them).

        For every ``x`` in the bounds, ``c x <= c x + sum_i y_i (side_i - a_i x)`` when
        each ``y_i`` takes the side it points to (upper if positive, lower if negative),
        and the right side is at most the value below.
        """
        high = np.where(np.isinf(self.high), 0.0, self.high)
        low = np.where(np.isinf(self.low), 0.0, self.low)
        y = np.where(
            ((duals > 0) & np.isinf(self.high)) | ((duals < 0) & np.isinf(self.low)), 0.0, duals
        )
        sides = np.where(y > 0, y * high, y * low)
        rc = reduced_cost
        at = np.where(rc > 0, self.var_high, np.where(rc < 0, self.var_low, 0.0))
        return float(self.offset + sides.sum() + np.sum(np.where(rc != 0, rc * at, 0.0)))


def _rows(built: Model, *, booleans: int = 0) -> _Rows:
    """The arrays of ``built``'s model; its first ``booleans`` variables are 0-1 (not read).

    Raises ``ValueError`` if the model holds anything but linear constraints.
    """
    proto = built.model.proto
    n_vars = len(proto.variables)
    var_low = np.zeros(n_vars)
    var_high = np.ones(n_vars)
    for j in range(booleans, n_vars):
        var_low[j], var_high[j] = _bounds(proto.variables[j].domain)
    cols: list[IntArray] = []
    coeffs: list[FloatArray] = []
    low: list[float] = []
    high: list[float] = []
    for con in proto.constraints:
        if not con.has_linear() or len(con.enforcement_literal):
            raise ValueError("only linear constraints can be relaxed")
        lin = con.linear
        cols.append(np.asarray(lin.vars, dtype=np.int64))
        coeffs.append(np.asarray(lin.coeffs, dtype=np.float64))
        lo, hi = _bounds(lin.domain)
        low.append(lo)
        high.append(hi)
    sizes = [len(c) for c in cols]
    row = np.repeat(np.arange(len(cols), dtype=np.int64), sizes)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    coeff = np.concatenate(coeffs) if coeffs else np.zeros(0)
    if np.any(col < 0):
        raise ValueError("negated literals cannot be relaxed")
    order = np.lexsort((col, row))
    # CP-SAT stores a maximisation as the minimisation of the negated objective.
    objective = np.zeros(n_vars)
    objective[np.asarray(proto.objective.vars, dtype=np.int64)] = -np.asarray(
        proto.objective.coeffs, dtype=np.float64
    )
    return _Rows(
        row[order],
        col[order],
        coeff[order],
        np.asarray(low),
        np.asarray(high),
        var_low,
        var_high,
        objective,
        -float(proto.objective.offset),
    )


def _model_proto(rows: _Rows, columns: IntArray, *, integer: bool) -> model_pb2.ModelProto:
    """The model on ``columns`` only (the other variables at 0) as a MathOpt proto."""
    position = np.full(len(rows.objective), -1, dtype=np.int64)
    position[columns] = np.arange(len(columns))
    out = model_pb2.ModelProto()
    out.variables.ids.extend(range(len(columns)))
    out.variables.lower_bounds.extend(rows.var_low[columns].tolist())
    out.variables.upper_bounds.extend(rows.var_high[columns].tolist())
    out.variables.integers.extend([integer] * len(columns))
    out.linear_constraints.ids.extend(range(len(rows.low)))
    out.linear_constraints.lower_bounds.extend(rows.low.tolist())
    out.linear_constraints.upper_bounds.extend(rows.high.tolist())
    kept = position[rows.col] >= 0
    matrix = out.linear_constraint_matrix
    matrix.row_ids.extend(rows.row[kept].tolist())
    matrix.column_ids.extend(position[rows.col[kept]].tolist())
    matrix.coefficients.extend(rows.coeff[kept].tolist())
    values = rows.objective[columns]
    nonzero = np.flatnonzero(values)
    out.objective.maximize = True
    out.objective.offset = rows.offset
    out.objective.linear_coefficients.ids.extend(nonzero.tolist())
    out.objective.linear_coefficients.values.extend(values[nonzero].tolist())
    return out


def _mathopt(rows: _Rows, columns: IntArray, *, integer: bool) -> mathopt_model.Model:
    """The model on ``columns`` only (the other variables at 0) as a MathOpt model."""
    return mathopt_model.Model.from_model_proto(_model_proto(rows, columns, integer=integer))


@dataclass(frozen=True, slots=True)
class _Answer:
    """HiGHS's answer, as arrays: optimal or infeasible, its value, the variables and the duals."""

    optimal: bool
    infeasible: bool
    value: float
    x: FloatArray
    duals: FloatArray


def _solve_proto(
    model: model_pb2.ModelProto, n_vars: int, n_rows: int, time_limit: float | None
) -> _Answer:
    """HiGHS on a MathOpt proto, read back as arrays.

    The core solver's proto answer is read directly: MathOpt's ``Model`` and result
    parsing build one Python object per variable (about 0.5 s at 45,000 pairs).
    """
    params = mathopt.SolveParameters()
    if time_limit is not None:
        params.time_limit = timedelta(seconds=max(0.0, time_limit))
    answer = core_solver.solve(
        model,
        mathopt.SolverType.HIGHS.value,
        init_arguments.StreamableSolverInitArguments().to_proto(),
        params.to_proto(),
        model_parameters.ModelSolveParameters().to_proto(),
        None,
        callback.CallbackRegistration().to_proto(),
        None,
        None,
    )
    reason = answer.termination.reason
    x = np.zeros(n_vars)
    duals = np.zeros(n_rows)
    value = 0.0
    optimal = reason == result_pb2.TERMINATION_REASON_OPTIMAL
    if optimal and len(answer.solutions):
        solution = answer.solutions[0]
        primal = solution.primal_solution
        value = float(primal.objective_value)
        ids = np.asarray(primal.variable_values.ids, dtype=np.int64)
        x[ids] = np.asarray(primal.variable_values.values, dtype=np.float64)
        dual = solution.dual_solution.dual_values
        duals[np.asarray(dual.ids, dtype=np.int64)] = np.asarray(dual.values, dtype=np.float64)
    return _Answer(
        optimal and len(answer.solutions) > 0,
        reason == result_pb2.TERMINATION_REASON_INFEASIBLE,
        value,
        x,
        duals,
    )


def mathopt_from(built: Model, *, integer: bool) -> mathopt_model.Model:
    """The CP-SAT model of ``built`` as a MathOpt model (maximisation, solver units).

    Raises ``ValueError`` if the model holds anything but linear constraints.
    """
    rows = _rows(built)
    return _mathopt(rows, np.arange(len(rows.objective), dtype=np.int64), integer=integer)


def _first_columns(rows: _Rows, pairs: int, per_constraint: int) -> npt.NDArray[np.bool_]:
    """The best ``per_constraint`` pairs of every constraint, and every other variable."""
    keep = np.ones(len(rows.objective), dtype=np.bool_)
    if pairs < _ALL_COLUMNS_BELOW:
        return keep
    keep[:pairs] = False
    order = np.lexsort((-rows.objective[rows.col], rows.row))
    row = rows.row[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    keep[rows.col[order][rank < per_constraint]] = True
    return keep


@dataclass(frozen=True, slots=True)
class LpSolution:
    """The LP relaxation: bound, point and reduced costs (solver units).

    ``value`` is an upper bound of the relaxation: its optimum once the column generation
    converged. For a maximisation, moving a variable from its value in ``x`` to the other
    end of ``[0, 1]`` lowers every objective value below ``value`` by at least
    ``abs(reduced_cost)``: the basis of reduced-cost fixing.
    """

    value: float
    objective: float
    """The objective of ``x`` (the LP optimum once ``value`` is)."""
    x: FloatArray
    reduced_cost: FloatArray
    dual: FloatArray
    """One per constraint, in the model's order (for a maximisation, >= 0 on a binding cap)."""
    seconds: float


def solve_relaxation(
    built: Model, *, time_limit: float | None, pairs: int = 0, min_seconds: float = 0.0
) -> LpSolution | None:
    """Solve the LP relaxation with HiGHS; None if no LP finishes optimal in time.

    The first ``pairs`` variables are 0-1 pair variables: above ``_ALL_COLUMNS_BELOW``
    of them, the relaxation is solved by column generation over them. HiGHS is not
    started with less than ``min_seconds`` left: its setup alone would overrun the limit.
    """
    start = time.perf_counter()
    rows = _rows(built, booleans=pairs)
    keep = _first_columns(rows, pairs, _PER_CONSTRAINT)
    best: LpSolution | None = None
    per_constraint = _PER_CONSTRAINT
    for _ in range(_MAX_LPS):
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if left is not None and left <= max(0.0, min_seconds):
            break
        columns = np.flatnonzero(keep)
        answer = _solve_proto(
            _model_proto(rows, columns, integer=False), len(columns), len(rows.low), left
        )
        if answer.infeasible and not keep.all():
            per_constraint *= 4  # too few pairs: widen (the full model is the last resort)
            keep |= _first_columns(rows, pairs, per_constraint)
            continue
        if not answer.optimal:
            break
        duals = answer.duals
        rc = rows.reduced_costs(duals)
        x = np.zeros(len(rows.objective))
        x[columns] = answer.x
        value = answer.value
        bound = max(value, rows.lagrangian(duals, rc))
        if best is None or bound < best.value:
            best = LpSolution(bound, value, x, rc, duals, 0.0)
        if bound - value <= 1.0 + _CONVERGED * abs(value):
            # Close enough: the bound is the Lagrangian one, sound at any duals, and
            # reduced-cost fixing against it stays exact.
            break
        keep |= rc > -_PRICE_MARGIN
    if best is None:
        return None
    return replace(best, seconds=time.perf_counter() - start)
