"""The linear relaxation of a built model, solved by HiGHS through OR-Tools MathOpt.

The same CP-SAT model, read back from its proto, becomes a MathOpt model: continuous for
the LP relaxation (a bound, a starting point and reduced costs for the pipeline in
``_run``), or integer for a reference MIP solve in the benchmarks. Reading the proto
keeps one model builder: each rule is written once, in ``_builders``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt
from ortools.math_opt.python import model as mathopt_model

from ._builders import Model

__all__ = ["LpSolution", "mathopt_from", "solve_relaxation"]

_INT64_BIG = 2**62  # CP-SAT writes unbounded sides as +-2**63 - 1


def _bounds(domain: object) -> tuple[float, float]:
    # The proto's repeated fields do not support negative indices.
    values = list(domain)  # type: ignore[call-overload]
    lo, hi = float(values[0]), float(values[len(values) - 1])
    return (-np.inf if lo <= -_INT64_BIG else lo), (np.inf if hi >= _INT64_BIG else hi)


def mathopt_from(built: Model, *, integer: bool) -> mathopt_model.Model:
    """The CP-SAT model of ``built`` as a MathOpt model (maximisation, solver units).

    Raises ``ValueError`` if the model holds anything but linear constraints.
    """
    proto = built.model.proto
    out = model_pb2.ModelProto()
    n_vars = len(proto.variables)
    bounds = [_bounds(v.domain) for v in proto.variables]
    out.variables.ids.extend(range(n_vars))
    out.variables.lower_bounds.extend(lo for lo, _ in bounds)
    out.variables.upper_bounds.extend(hi for _, hi in bounds)
    out.variables.integers.extend([integer] * n_vars)
    rows: list[int] = []
    cols: list[int] = []
    coeffs: list[int] = []
    c_lows: list[float] = []
    c_highs: list[float] = []
    for i, con in enumerate(proto.constraints):
        if not con.has_linear() or len(con.enforcement_literal):
            raise ValueError("only linear constraints can be relaxed")
        lin = con.linear
        refs = list(lin.vars)
        if any(r < 0 for r in refs):
            raise ValueError("negated literals cannot be relaxed")
        lo, hi = _bounds(lin.domain)
        c_lows.append(lo)
        c_highs.append(hi)
        rows.extend([i] * len(refs))
        cols.extend(refs)
        coeffs.extend(lin.coeffs)
    out.linear_constraints.ids.extend(range(len(c_lows)))
    out.linear_constraints.lower_bounds.extend(c_lows)
    out.linear_constraints.upper_bounds.extend(c_highs)
    order = np.lexsort((np.asarray(cols), np.asarray(rows)))
    matrix = out.linear_constraint_matrix
    matrix.row_ids.extend(np.asarray(rows, dtype=np.int64)[order].tolist())
    matrix.column_ids.extend(np.asarray(cols, dtype=np.int64)[order].tolist())
    matrix.coefficients.extend(np.asarray(coeffs, dtype=np.float64)[order].tolist())
    # CP-SAT stores a maximisation as the minimisation of the negated objective.
    objective = proto.objective
    ids = np.asarray(list(objective.vars), dtype=np.int64)
    values = -np.asarray(list(objective.coeffs), dtype=np.float64)
    by_id = np.argsort(ids)
    out.objective.maximize = True
    out.objective.offset = -float(objective.offset)
    out.objective.linear_coefficients.ids.extend(ids[by_id].tolist())
    out.objective.linear_coefficients.values.extend(values[by_id].tolist())
    return mathopt_model.Model.from_model_proto(out)


@dataclass(frozen=True, slots=True)
class LpSolution:
    """An optimal LP relaxation: value, point and reduced costs (solver units).

    For a maximisation, moving a variable from its value in ``x`` to the other end of
    ``[0, 1]`` lowers the LP optimum by at least ``abs(reduced_cost)``: the basis of
    reduced-cost fixing.
    """

    value: float
    x: npt.NDArray[np.float64]
    reduced_cost: npt.NDArray[np.float64]
    dual: npt.NDArray[np.float64]
    """One per constraint, in the model's order (for a maximisation, >= 0 on a binding cap)."""
    seconds: float


def solve_relaxation(built: Model, *, time_limit: float | None) -> LpSolution | None:
    """Solve the LP relaxation with HiGHS; None if it does not finish optimal in time."""
    start = time.perf_counter()
    lp = mathopt_from(built, integer=False)
    params = mathopt.SolveParameters()
    if time_limit is not None:
        left = time_limit - (time.perf_counter() - start)
        if left <= 0:
            return None
        params.time_limit = timedelta(seconds=left)
    result = mathopt.solve(lp, mathopt.SolverType.HIGHS, params=params)
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return None
    variables = list(lp.variables())
    return LpSolution(
        value=float(result.objective_value()),
        x=np.asarray(result.variable_values(variables), dtype=np.float64),
        reduced_cost=np.asarray(result.reduced_costs(variables), dtype=np.float64),
        dual=np.asarray(result.dual_values(list(lp.linear_constraints())), dtype=np.float64),
        seconds=time.perf_counter() - start,
    )
