"""Rotation against past rounds: ``history.min_new_share`` and ``history.max_repeat_pairs``.

``history.institution_years`` acts on single pairs: the pairs it excludes get no variable
in either model (``_reduce.eligible``), so it has no encoding here. The instance carries
what the other two read: ``Instance.reviewer_new`` and ``Instance.past_pairs``
(``_reduce.history``).

``max_repeat_pairs`` is a rule over the whole assignment, hard in both models (never
relaxed, never in a core). ``k = 0`` seats at most one member of each past panel on any
panel now (a clique row per past panel and case: ``sum x <= 1``). ``k > 0`` gives each
past pair ``(a, b)`` and case on which both are candidates a Boolean
``z >= x_a + x_b - 1`` and caps the pair's ``sum z <= k``; a pair with ``k`` or fewer
common cases needs nothing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ...._data.policy import Policy
from ...._data.rules import new_seats
from ...._reduce.eligible import Instance
from ._common import (
    HardEncoding,
    LinearExpr,
    RuleInstance,
    SoftBuilder,
    SoftEncoding,
    at_least_one_of,
)

__all__ = ["HARD", "SOFT", "WHOLE", "hard_max_repeat_pairs", "hard_min_new_share"]

IntArray = npt.NDArray[np.int64]


def hard_min_new_share(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """At least ``ceil(min_new_share * size)`` seats of new reviewers on every panel."""
    for c in range(inst.n_cases):
        need = new_seats(policy, int(inst.panel_size[c]))
        if need <= 0:
            continue
        pairs = inst.case_pairs(c)
        new = inst.reviewer_new[inst.pair_reviewer[pairs.start : pairs.stop]]
        at_least_one_of(m, x, [pairs.start + int(i) for i in np.flatnonzero(new)], need)


def soft_min_new_share(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s minimum of new reviewers' seats, soft."""
    need = new_seats(policy, int(b.inst.panel_size[c]))
    if need <= 0:
        return
    new = b.case_seats(c, b.inst.reviewer_new[b.reviewers(c)])
    rule = RuleInstance("history.min_new_share", c, limit=need, at_most=False)
    b.soft(rule, [b.seats(new)], need)


def _by_reviewer(inst: Instance) -> tuple[IntArray, IntArray, IntArray]:
    """The pairs ordered by reviewer (then case), their cases, and each reviewer's start."""
    order = np.lexsort((inst.pair_case, inst.pair_reviewer)).astype(np.int64)
    starts = np.searchsorted(inst.pair_reviewer[order], np.arange(inst.n_reviewers + 1))
    return order, inst.pair_case[order], starts.astype(np.int64)


def _apart(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]) -> None:
    """``max_repeat_pairs = 0``: at most one member of each past panel on any panel now.

    One clique row per (past panel, case) with two members or more eligible: it forbids
    every past pair of that panel at once, and its LP relaxation is tighter than the pairs'.
    """
    order, cases, starts = _by_reviewer(inst)
    for members in inst.past_panels:
        mine = [slice(int(starts[r]), int(starts[r + 1])) for r in members.tolist()]
        case_of = np.concatenate([cases[s] for s in mine])
        pair_of = np.concatenate([order[s] for s in mine])
        by_case = np.argsort(case_of, kind="stable")
        bounds = np.flatnonzero(np.diff(case_of[by_case])) + 1
        for chunk in np.split(pair_of[by_case], bounds):
            if len(chunk) > 1:
                m.add(LinearExpr.sum([x[int(p)] for p in chunk]) <= 1)


def hard_max_repeat_pairs(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Two reviewers of one past panel share at most ``max_repeat_pairs`` panels now."""
    k = policy.history.max_repeat_pairs
    assert k is not None  # the rule is on
    if not len(inst.past_pairs):
        return
    if k == 0:
        _apart(m, inst, x)
        return
    order, cases, starts = _by_reviewer(inst)
    for a, b in inst.past_pairs.tolist():
        mine = slice(int(starts[a]), int(starts[a + 1]))
        theirs = slice(int(starts[b]), int(starts[b + 1]))
        _, i, j = np.intersect1d(cases[mine], cases[theirs], return_indices=True)
        if len(i) <= k:
            continue
        both = zip(order[mine][i].tolist(), order[theirs][j].tolist(), strict=True)
        together: list[cp_model.IntVar] = []
        for p, q in both:
            z = m.new_bool_var("")
            m.add(z >= x[p] + x[q] - 1)  # linear, so the LP path can read it
            together.append(z)
        m.add(LinearExpr.sum(together) <= k)


HARD: dict[str, HardEncoding] = {"history.min_new_share": hard_min_new_share}
SOFT: dict[str, SoftEncoding] = {"history.min_new_share": soft_min_new_share}
WHOLE: dict[str, HardEncoding] = {"history.max_repeat_pairs": hard_max_repeat_pairs}
"""In the order the models add them, after ``whole.HARD``."""
