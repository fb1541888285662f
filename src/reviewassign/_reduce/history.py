"""Past rounds as the model reads them: this round's year, new reviewers, past pairs.

The ``[history]`` rules of the policy (``_data.policy.HistoryPolicy``) read
``Problem.history``, one row per past seat. This module indexes it for the instance
(``_reduce.eligible``): the (case, reviewer) pairs that ``history.institution_years``
excludes, which reviewers are new for ``history.min_new_share``, and the reviewer pairs
that sat on one past panel for ``history.max_repeat_pairs``. ``_spec.check`` states the
same semantics again in its own code.

A history row whose reviewer is not a current reviewer (one who left) matches no one;
its case need not be a current case (only its institutions are read).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from .._data.model import HistorySeat, Problem
from .._data.policy import Policy

__all__ = ["excluded_by_history", "new_reviewers", "past_pairs", "past_panels", "round_year"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def round_year(problem: Problem, policy: Policy) -> int | None:
    """The year of this round: ``history.year``, else one after the history's latest year.

    None for an empty history without a ``year`` (the rules then have nothing to read).
    """
    if policy.history.year is not None:
        return policy.history.year
    if not problem.history:
        return None
    return max(s.year for s in problem.history) + 1


def _within(problem: Problem, policy: Policy, years: int | None) -> Iterator[HistorySeat]:
    """The seats of the history within ``years`` of this round (every seat for None)."""
    year = round_year(problem, policy)
    for seat in problem.history:
        if years is None or year is None or seat.year >= year - years:
            yield seat


def excluded_by_history(problem: Problem, policy: Policy) -> dict[int, dict[int, HistorySeat]]:
    """Case index -> reviewer index -> the latest past seat that excludes the pair.

    Under ``history.institution_years = n > 0``: a reviewer who sat, within ``n`` years,
    on a past case sharing an institution with the case. Empty when the rule is off.
    """
    n = policy.history.institution_years
    out: dict[int, dict[int, HistorySeat]] = {}
    if n <= 0 or not problem.history:
        return out
    by_institution: dict[str, list[int]] = {}
    for c, case in enumerate(problem.cases):
        for name in case.institution:
            by_institution.setdefault(name, []).append(c)
    position = {r.id: i for i, r in enumerate(problem.reviewers)}
    for seat in _within(problem, policy, n):
        r = position.get(seat.reviewer)
        if r is None:
            continue
        for c in {c for name in seat.institution for c in by_institution.get(name, ())}:
            found = out.setdefault(c, {})
            if r not in found or _later(seat, found[r]):
                found[r] = seat
    return out


def _later(seat: HistorySeat, than: HistorySeat) -> bool:
    """Whether ``seat`` is the one to name rather than ``than``: later, then the smaller case."""
    return (seat.year, than.case) > (than.year, seat.case)


def new_reviewers(problem: Problem, policy: Policy) -> BoolArray:
    """Per reviewer, whether they are new: no seat in the history within ``new_years``."""
    seated = {s.reviewer for s in _within(problem, policy, policy.history.new_years)}
    return np.array([r.id not in seated for r in problem.reviewers], dtype=np.bool_)


def past_pairs(problem: Problem, policy: Policy) -> IntArray:
    """The reviewer pairs ``(a, b)``, ``a < b``, of current reviewers who sat on one past panel.

    Past panels within ``history.pair_years``, as rows of an ``(n, 2)`` array, sorted.
    Empty when ``history.max_repeat_pairs`` is off.
    """
    pairs = {(a, b) for members in past_panels(problem, policy) for a, b in _pairs(members)}
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def _pairs(members: IntArray) -> Iterator[tuple[int, int]]:
    """The pairs ``(a, b)``, ``a < b``, of an ascending array of reviewers."""
    ids = members.tolist()
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            yield a, b


def past_panels(problem: Problem, policy: Policy) -> tuple[IntArray, ...]:
    """The past panels within ``history.pair_years`` with two current reviewers or more.

    Each panel as its current reviewers ascending; a panel listed once however many past
    panels it was. Empty when ``history.max_repeat_pairs`` is off.
    """
    if policy.history.max_repeat_pairs is None:
        return ()
    position = {r.id: i for i, r in enumerate(problem.reviewers)}
    panels: dict[tuple[int, str], set[int]] = {}
    for seat in _within(problem, policy, policy.history.pair_years):
        r = position.get(seat.reviewer)
        if r is not None:
            panels.setdefault((seat.year, seat.case), set()).add(r)
    distinct = sorted({tuple(sorted(m)) for m in panels.values() if len(m) > 1})
    return tuple(np.array(m, dtype=np.int64) for m in distinct)
