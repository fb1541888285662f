"""Seats and loads: ``panel_size``, ``load.min`` and ``load.max``.

These rules are always on, and the builders call them first, themselves: every other
rule and the objective read the panels and loads they build. Panel sizes stay hard in
the soft model; loads become one rule instance per reviewer and bound.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ...._reduce.eligible import Instance
from ._common import LinearExpr, RuleInstance, SoftBuilder

__all__ = ["hard_loads", "hard_panel_size", "soft_loads", "soft_panel_size"]


def _by_reviewer(inst: Instance) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The pairs in reviewer order, and where each reviewer's pairs start in it."""
    order = np.argsort(inst.pair_reviewer, kind="stable")
    starts = np.searchsorted(inst.pair_reviewer[order], np.arange(inst.n_reviewers + 1))
    return order, starts


def hard_panel_size(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]) -> None:
    """Each case gets exactly its panel size."""
    for c in range(inst.n_cases):
        m.add(LinearExpr.sum([x[p] for p in inst.case_pairs(c)]) == int(inst.panel_size[c]))


def hard_loads(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]
) -> tuple[list[cp_model.LinearExprT], npt.NDArray[np.int64]]:
    """Each reviewer's load within [min_load, max_load].

    Returns the load expressions and, per reviewer, the index of its cap's constraint.
    """
    order, starts = _by_reviewer(inst)
    loads: list[cp_model.LinearExprT] = []
    rows = np.full(inst.n_reviewers, -1, dtype=np.int64)
    for r in range(inst.n_reviewers):
        load = LinearExpr.sum([x[int(p)] for p in order[starts[r] : starts[r + 1]]])
        lo, hi = int(inst.min_load[r]), int(inst.max_load[r])
        if lo > 0:
            m.add(load >= lo)
        if starts[r + 1] - starts[r] > hi:
            rows[r] = m.add(load <= hi).index
        loads.append(load)
    return loads, rows


def soft_panel_size(b: SoftBuilder) -> None:
    """Each case gets exactly its panel size (hard in the soft model too)."""
    for c in range(b.inst.n_cases):
        b.m.add(b.seats(b.inst.case_pairs(c)) == int(b.inst.panel_size[c]))


def soft_loads(b: SoftBuilder) -> list[cp_model.LinearExprT]:
    """Each reviewer's cap and minimum as rule instances; returns the load expressions."""
    inst = b.inst
    order, starts = _by_reviewer(inst)
    loads: list[cp_model.LinearExprT] = []
    for r in range(inst.n_reviewers):
        mine = [int(p) for p in order[starts[r] : starts[r + 1]]]
        load = b.seats(mine)
        lo, hi = int(inst.min_load[r]), int(inst.max_load[r])
        if len(mine) > hi:
            b.soft(RuleInstance("load.max", reviewer=r, limit=hi), [load], len(mine) - hi)
        if lo > 0:
            b.soft(RuleInstance("load.min", reviewer=r, limit=lo, at_most=False), [load], lo)
        loads.append(load)
    return loads
