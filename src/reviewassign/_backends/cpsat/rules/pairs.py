"""Pairs: forced pairs, disjoint reviewers and linked cases, hard and soft.

The rules ``pairs.forced``, ``pairs.disjoint`` and ``pairs.linked``, over the data the
instance carries (``Instance.forced_case``/``forced_reviewer``, ``Instance.disjoint``,
``Instance.linked``); each adds nothing when that data is empty, so a problem without it
gets the very model it always had.

- ``pairs.forced`` fixes each forced pair's Boolean to 1 (:func:`fix_forced`, a row
  ``x[p] == 1``), in the hard model and in the soft one (a forced pair is never broken);
  repair's locked pairs are fixed in their domains (:func:`fix_on`, from ``least_change``).
- ``pairs.disjoint``: per case, ``x[c, a] + x[c, b] <= 1`` for every disjoint pair whose
  two reviewers are both eligible; soft, the sum may reach 2 with a slack of 1.
- ``pairs.linked`` (held hard in both models, a rule over the whole assignment): for every
  two cases ``i, j`` of a group with a count ``k``, a Boolean ``y[r] <= x[i, r]``,
  ``y[r] <= x[j, r]`` per reviewer eligible on both, and ``sum y >= k``; without a count,
  ``x[i, r] == x[j, r]`` for every reviewer (0 where the pair of one case is not eligible).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import numpy as np
from ortools.sat.python import cp_model

from ...._data.policy import Policy
from ...._reduce.eligible import Instance
from ._common import HardEncoding, LinearExpr, RuleInstance, SoftBuilder, SoftEncoding

__all__ = [
    "HARD",
    "SOFT",
    "WHOLE",
    "disjoint_seats",
    "fix_forced",
    "fix_on",
    "hard_disjoint",
    "hard_linked",
    "soft_disjoint",
]


def fix_on(m: cp_model.CpModel, pairs: Iterable[int]) -> None:
    """Fix the Booleans of ``pairs`` to 1, in their domains (pair ``p`` is variable ``p``).

    ``repair``'s locked pairs (``least_change``, which runs no LP and no soft model).
    """
    variables = m.proto.variables
    for p in pairs:
        domain = variables[p].domain
        domain[0] = domain[1] = 1


def fix_forced(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]) -> None:
    """Fix every forced pair on; a forced pair that is no candidate makes the model infeasible.

    A one-variable row ``x[p] == 1`` rather than the domain (:func:`fix_on`): the LP
    relaxation reads rows, not the pair variables' domains, and the soft model rewrites
    those domains while it looks for a hint.
    """
    at = inst.forced_pairs()
    if np.any(at < 0):  # cannot happen after _reduce.forced's checks and the pruner's keep
        m.add(LinearExpr.sum([]) >= 1)
    for p in at[at >= 0].tolist():
        m.add(x[p] == 1)


def _positions(inst: Instance, c: int) -> dict[int, int]:
    """Case ``c``'s eligible reviewers -> their pair indices."""
    pairs = inst.case_pairs(c)
    revs = inst.pair_reviewer[pairs.start : pairs.stop].tolist()
    return {r: pairs.start + i for i, r in enumerate(revs)}


def disjoint_seats(inst: Instance, c: int) -> Iterator[tuple[int, int, int, int]]:
    """Per disjoint pair whose two reviewers are both eligible on case ``c``: ``a, b, pa, pb``.

    ``a`` and ``b`` are the reviewers, ``pa`` and ``pb`` their pair indices.
    """
    if not len(inst.disjoint):
        return
    pairs = inst.case_pairs(c)
    revs = inst.pair_reviewer[pairs.start : pairs.stop]
    if not len(revs):
        return
    at = np.minimum(np.searchsorted(revs, inst.disjoint), len(revs) - 1)
    found = (revs[at] == inst.disjoint).all(axis=1)
    for (a, b), (i, j) in zip(inst.disjoint[found].tolist(), at[found].tolist(), strict=True):
        yield a, b, pairs.start + i, pairs.start + j


def hard_disjoint(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """No two disjoint reviewers on one panel."""
    for c in range(inst.n_cases):
        for _, _, pa, pb in disjoint_seats(inst, c):
            m.add(x[pa] + x[pb] <= 1)


def soft_disjoint(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s disjoint pairs, each an instance that a slack of 1 may break."""
    for ra, rb, pa, pb in disjoint_seats(b.inst, c):
        rule = RuleInstance("pairs.disjoint", c, limit=1, pair=(ra, rb))
        b.soft(rule, [b.x[pa] + b.x[pb]], 1)


def _same_panel(
    m: cp_model.CpModel, x: list[cp_model.IntVar], one: dict[int, int], two: dict[int, int]
) -> None:
    """The two cases seat exactly the same reviewers."""
    for r in sorted(one.keys() | two.keys()):
        if r in one and r in two:
            m.add(x[one[r]] == x[two[r]])
        else:
            m.add(x[one[r] if r in one else two[r]] == 0)


def _share(
    m: cp_model.CpModel,
    x: list[cp_model.IntVar],
    one: dict[int, int],
    two: dict[int, int],
    shared: int,
) -> None:
    """The two cases seat at least ``shared`` reviewers in common."""
    both: list[cp_model.IntVar] = []
    for r in sorted(one.keys() & two.keys()):
        y = m.new_bool_var("")
        m.add(y <= x[one[r]])
        m.add(y <= x[two[r]])
        both.append(y)
    m.add(LinearExpr.sum(both) >= shared)


def hard_linked(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Every two cases of a linked group share their count of reviewers, or one panel."""
    for members, shared in inst.linked:
        seats = {c: _positions(inst, c) for c in members}
        for i, j in itertools.combinations(members, 2):
            if shared == 0:
                _same_panel(m, x, seats[i], seats[j])
            else:
                _share(m, x, seats[i], seats[j], shared)


HARD: dict[str, HardEncoding] = {"pairs.disjoint": hard_disjoint}
SOFT: dict[str, SoftEncoding] = {"pairs.disjoint": soft_disjoint}
WHOLE: dict[str, HardEncoding] = {"pairs.linked": hard_linked}
"""``pairs.linked`` is held hard in both models, after the other whole-assignment rules."""
