"""The CP-SAT model: one Boolean per eligible pair, the rules the policy turns on, the objective.

Conflicted pairs and pairs excluded by single-pair rules (language, own region excluded)
have no variable at all (see ``_reduce.eligible``). The rules' encodings live in ``rules`` (one
module per rule family); :func:`build_model` loops over them. The objective builders
here return their share of the objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ..._data.policy import Policy, RepresentationPolicy
from ..._data.rules import active
from ..._reduce.eligible import Instance
from ..scale import to_int, to_ints
from .rules import HARD, WHOLE, loads, pairs
from .rules._common import LinearExpr, floor_units, panel_value
from .rules.whole import MAX_CYCLE_CUTS, band_seats

__all__ = [
    "MAX_CYCLE_CUTS",
    "LinearExpr",
    "Model",
    "build_model",
    "floor_units",
    "panel_value",
    "whole_assignment",
]


@dataclass(slots=True)
class Model:
    """A built CP-SAT model and the handles the solve needs."""

    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    """One Boolean per eligible pair, in the instance's pair order (variable index = pair)."""
    objective: cp_model.LinearExpr
    """Total scaled affinity minus the scaled load-spread term."""
    worst: cp_model.IntVar | None
    """The worst panel affinity (scaled), for the fairness objective; else None."""
    load_rows: npt.NDArray[np.int64]
    """Per reviewer, the index of its load-cap constraint (-1 if its pairs cannot exceed it)."""
    loads: list[cp_model.LinearExprT]
    """Per reviewer, its load."""


def _affinity_objective(inst: Instance, x: list[cp_model.IntVar]) -> cp_model.LinearExpr:
    """Total affinity of the assignment, scaled."""
    coeffs = to_ints(inst.pair_affinity)
    return LinearExpr.weighted_sum(x, [int(v) for v in coeffs])


def _load_spread(
    m: cp_model.CpModel, inst: Instance, loads: list[cp_model.LinearExprT], weight: float
) -> cp_model.LinearExpr:
    """``weight * (largest load - smallest load)`` over all reviewers, scaled (to subtract).

    The two ends range up to the most eligible pairs of a reviewer, not up to the largest
    ``max_load``: the soft model (``_soft``) may break maximum loads, and an objective term
    must never hold a load that its rule instance leaves free.
    """
    pairs = np.bincount(inst.pair_reviewer, minlength=inst.n_reviewers)
    top = int(pairs.max(initial=0))
    hi = m.new_int_var(0, top, "max_load")
    lo = m.new_int_var(0, top, "min_load")
    for load in loads:
        m.add(hi >= load)
        m.add(lo <= load)
    spread: cp_model.LinearExpr = hi - lo
    return to_int(weight) * spread


def _worst_case(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]) -> cp_model.IntVar:
    """A variable bounded by every case's panel affinity (scaled): maximising it is max-min."""
    coeffs = to_ints(inst.pair_affinity)
    k = int(inst.panel_size.max(initial=0))
    lo = min(0, k * int(coeffs.min(initial=0)))
    hi = max(0, k * int(coeffs.max(initial=0)))
    worst = m.new_int_var(lo, hi, "worst_case")
    for c in range(inst.n_cases):
        m.add(worst <= panel_value(x, coeffs, inst.case_pairs(c)))
    return worst


def _band_penalty(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], rep: RepresentationPolicy
) -> cp_model.LinearExpr | None:
    """``weight * seats outside the bands``, scaled, to subtract; None when the bands are hard.

    With ``rep.weight`` 0 the bands are rules (``rules.whole``); else each band's seats
    beyond either bound cost ``weight`` apiece.
    """
    if rep.weight == 0:
        return None
    outside: list[cp_model.LinearExprT] = []
    seats_total = int(inst.panel_size.sum())
    for band, seats, _ in band_seats(inst, x, rep):
        excess = m.new_int_var(0, seats_total, "")
        m.add(excess >= seats - band.hi)
        m.add(excess >= band.lo - seats)
        outside.append(excess)
    if not outside:
        return None
    return to_int(rep.weight) * LinearExpr.sum(outside)


def build_model(inst: Instance, policy: Policy) -> Model:
    """Build the CP-SAT model of every hard rule and the objective of ``policy``.

    Panel sizes and loads first, then each per-case rule the policy turns on, in the
    order of ``rules.HARD``, then the rules over the whole assignment and the objective.
    """
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in range(inst.n_pairs)]
    pairs.fix_forced(m, inst, x)
    loads.hard_panel_size(m, inst, x)
    load_exprs, load_rows = loads.hard_loads(m, inst, x)
    on = {r.key for r in active(policy)}
    for key, encode in HARD.items():
        if key in on:
            encode(m, inst, x, policy)
    objective = whole_assignment(m, inst, x, load_exprs, policy)
    worst = _worst_case(m, inst, x) if "worst_case" in policy.objective.levels else None
    return Model(m, x, objective, worst, load_rows, load_exprs)


def whole_assignment(
    m: cp_model.CpModel,
    inst: Instance,
    x: list[cp_model.IntVar],
    loads: list[cp_model.LinearExprT],
    policy: Policy,
) -> cp_model.LinearExpr:
    """Add the rules over the whole assignment; return the policy objective.

    The rules are cycles, weak matches and representation bands; the objective is the
    total affinity less the load-spread and band penalties. Shared by this model and the
    soft model of ``_soft``, where these rules stay hard.
    """
    on = {r.key for r in active(policy)}
    for key, encode in WHOLE.items():
        if key in on:
            encode(m, inst, x, policy)
    outside = _band_penalty(m, inst, x, policy.representation)
    objective = _affinity_objective(inst, x)
    if policy.objective.load_spread > 0:
        objective = objective - _load_spread(m, inst, loads, policy.objective.load_spread)
    if outside is not None:
        objective = objective - outside
    return objective
