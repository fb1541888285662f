"""Alternates: who could take a panel member's seat, with every hard rule still met.

When a reviewer declines, the secretariat wants the next person to invite at once. A swap
(the member leaves the panel, a candidate joins it) is feasible when the swapped
assignment passes :func:`reviewassign.check`, the independent checker, except for a
``load.min`` violation of the member who leaves (they are leaving that panel, whatever
their floor). Feasibility is never re-implemented here; the cheap filters below only
decide in which order, and for which candidates, ``check`` is run:

1. candidates: reviewers not on the panel, not in conflict with the case
   (:func:`reviewassign.conflicts`) and below their maximum load; seats: the panel's
   members less those of forced pairs (``solve(..., forced=...)``, ``Result.forced``),
   whose seats no swap may take (``check`` with the forced pairs would refuse it too);
2. every (seat, candidate) swap ranked by ``delta``, its change of the objective
   (prefers-not costs included);
3. in that order, the case's own rules are checked on the swapped panel alone
   (``check`` on a one-case problem, disjoint pairs and history included: a violation
   there about the case is one of the full check too; the whole-assignment rules, such
   as representation bands and repeated pairs, are left to the full check), and the
   swaps that pass them are checked in full, with the forced pairs, until ``k`` pass.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .._data.model import Case, Problem, Reviewer
from .._data.policy import Policy
from .._errors import InputError
from .._reduce.conflicts import conflicts
from .._spec.check import check, pair_affinity

__all__ = ["Alternate", "alternates"]

# Deltas are ranked at this precision, so that swaps of equal value computed in another
# order of float operations tie, and ties are broken by id.
_DIGITS = 9


@dataclass(frozen=True, slots=True)
class Alternate:
    """A reviewer who could take a panel member's seat, with every hard rule still met.

    Attributes
    ----------
    reviewer
        The candidate who would join the panel.
    replaces
        The panel member whose seat the candidate would take.
    affinity
        The candidate's affinity for the case, as the objective counts it (the given
        score of the pair, else the computed one).
    delta
        The change of the result's ``objective`` if the swap is made: the candidate's
        affinity less the leaving member's, less ``objective.load_spread`` times the
        change of the load spread over all reviewers. Usually negative (the solve chose
        the member for a reason). Under the fairness objective it is still the change of
        ``objective`` (total affinity less load spread), not of the worst panel.
    load
        The candidate's load after the swap.
    max_load
        The candidate's maximum load (their own ``max_load``, else the policy's).
    """

    reviewer: str
    replaces: str
    affinity: float
    delta: float
    load: int
    max_load: int

    def __str__(self) -> str:
        return (
            f"{self.reviewer} for {self.replaces}: affinity {self.affinity:.3f}, "
            f"delta {self.delta:+.3f}, load {self.load}/{self.max_load}"
        )


def _max_load(reviewer: Reviewer, policy: Policy) -> int:
    """The most reviews ``reviewer`` may take: its own maximum, else the policy's."""
    return policy.load.max if reviewer.max_load is None else reviewer.max_load


def _spread(counts: Counter[int]) -> int:
    """The largest load less the smallest among the loads held by some reviewer."""
    present = [load for load, n in counts.items() if n > 0]
    return max(present) - min(present) if present else 0


def _spread_change(counts: Counter[int], leaves: int, joins: int) -> int:
    """The change of the load spread when one review moves between two reviewers.

    ``counts`` holds every reviewer by load; the reviewer at load ``leaves`` loses a
    review and the one at load ``joins`` gains one.
    """
    after = counts.copy()
    after[leaves] -= 1
    after[leaves - 1] += 1
    after[joins] -= 1
    after[joins + 1] += 1
    return _spread(after) - _spread(counts)


def _case_problem(
    problem: Problem, case: Case, reviewers: Sequence[Reviewer], *, relations: bool
) -> Problem:
    """The problem cut down to one case and some reviewers.

    For ``conflicts`` and the panel-only pre-check. Built without validation: every part
    comes from a valid problem, and what is left out (other cases, their conflicts) is
    not read.
    """
    return Problem.model_construct(
        cases=(case,),
        reviewers=tuple(reviewers),
        conflicts=tuple(c for c in problem.conflicts if c.case == case.id),
        relations=problem.relations if relations else (),
        affinity=problem.affinity,
        history=problem.history,
        disjoint=problem.disjoint,
    )


@dataclass(frozen=True, slots=True)
class _SwapContext:
    """What the steps of :func:`alternates` share: the case, its panel and every load."""

    problem: Problem
    policy: Policy
    assignment: Mapping[str, Sequence[str]]
    case: Case
    panel: tuple[str, ...]
    reviewers: dict[str, Reviewer]
    loads: Counter[str]
    forced: tuple[tuple[str, str], ...] = ()
    prefers_not: Mapping[str, float] | None = None
    """Reviewer id -> the prefers-not cost of seating them on the case (absent: none)."""


def alternates(
    problem: Problem,
    policy: Policy | None,
    assignment: Mapping[str, Sequence[str]],
    case: str,
    k: int = 5,
    *,
    member: str | None = None,
    forced: Iterable[tuple[str, str]] = (),
) -> tuple[Alternate, ...]:
    """The best ``k`` feasible swaps of a panel member of ``case``.

    See :meth:`reviewassign.Result.alternates`, which calls this with its problem, policy
    and forced pairs. A member of a forced pair ``(case, member)`` keeps their seat: no
    swap takes it (none at all when ``member`` names them).

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", region="Africa", topics={"t": 1})],
    ...     reviewers=[ra.Reviewer(id="R1", region="Asia", expertise={"t": 3}),
    ...                ra.Reviewer(id="R2", region="Asia", expertise={"t": 2}),
    ...                ra.Reviewer(id="R3", region="Africa", expertise={"t": 1})],
    ... )
    >>> policy = ra.Policy(panel_size=1, panel={"own_region": "exclude"})
    >>> [str(a) for a in alternates(problem, policy, {"C1": ["R1"]}, "C1")]
    ['R2 for R1: affinity 0.667, delta -0.333, load 1/6']
    """
    policy = Policy.coerce(policy)
    pairs = tuple(dict.fromkeys((str(c), str(r)) for c, r in forced))
    the_case, panel, seats = _seats(problem, assignment, case, k, member)
    seats = [s for s in seats if (case, s) not in pairs]
    if not seats:
        return ()

    # A violation about another case's panel survives any swap in this one.
    if any(v.case not in (None, case) for v in check(problem, policy, assignment, forced=pairs)):
        return ()

    reviewers = {r.id: r for r in problem.reviewers}
    loads = Counter(dict.fromkeys(reviewers, 0))
    loads.update(r for p in assignment.values() for r in p)
    ctx = _SwapContext(
        problem,
        policy,
        assignment,
        the_case,
        panel,
        reviewers,
        loads,
        pairs,
        _prefers_not_costs(problem, policy, case),
    )
    candidates = _candidates(ctx)
    affinity = {r.id: pair_affinity(problem, the_case, r) for r in candidates}
    return _first_feasible(ctx, _ranked_swaps(ctx, seats, candidates, affinity), affinity, k)


def _seats(
    problem: Problem,
    assignment: Mapping[str, Sequence[str]],
    case: str,
    k: int,
    member: str | None,
) -> tuple[Case, tuple[str, ...], list[str]]:
    """The arguments checked: the case, its panel and the seats to fill (sorted)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    try:
        the_case = problem.case(case)
    except KeyError:
        raise KeyError(f"case {case!r} is not in the problem") from None
    panel = tuple(assignment.get(case, ()))
    if member is not None and member not in panel:
        shown = ", ".join(panel) if panel else "no reviewers"
        raise ValueError(f"reviewer {member!r} is not on the panel of case {case} ({shown})")
    seats = sorted(panel) if member is None else [member]
    return the_case, panel, seats


def _prefers_not_costs(problem: Problem, policy: Policy, case: str) -> dict[str, float]:
    """Reviewer id -> the prefers-not cost of their seat on ``case``, as ``evaluate`` counts it."""
    costs: dict[str, list[float]] = {}
    for row in problem.prefers_not:
        if row.case == case:
            weight = policy.objective.prefers_not if row.weight is None else row.weight
            costs.setdefault(row.reviewer, []).append(weight)
    return {r: math.fsum(w) for r, w in costs.items()}


def _candidates(ctx: _SwapContext) -> list[Reviewer]:
    """Reviewers off the panel, not in conflict with the case and below their maximum load."""
    problem, policy = ctx.problem, ctx.policy
    whole_case = _case_problem(problem, ctx.case, problem.reviewers, relations=True)
    conflicted = {pair.reviewer for pair in conflicts(whole_case, policy)}
    return [
        r
        for r in problem.reviewers
        if r.id not in ctx.panel
        and r.id not in conflicted
        and ctx.loads[r.id] < _max_load(r, policy)
    ]


def _ranked_swaps(
    ctx: _SwapContext,
    seats: Sequence[str],
    candidates: Sequence[Reviewer],
    affinity: dict[str, float],
) -> list[tuple[float, str, str, float]]:
    """Every (seat, candidate) swap as ``(-rounded delta, candidate, seat, delta)``, best first."""
    weight = ctx.policy.objective.load_spread
    loads = ctx.loads
    by_load = Counter(loads[r.id] for r in ctx.problem.reviewers)
    swaps: list[tuple[float, str, str, float]] = []
    for seat in seats:
        leaving = ctx.reviewers.get(seat)
        base = 0.0 if leaving is None else pair_affinity(ctx.problem, ctx.case, leaving)
        for r in candidates:
            delta = affinity[r.id] - base
            if ctx.prefers_not:
                delta -= ctx.prefers_not.get(r.id, 0.0) - ctx.prefers_not.get(seat, 0.0)
            if weight and leaving is not None:
                delta -= weight * _spread_change(by_load, loads[seat], loads[r.id])
            swaps.append((-round(delta, _DIGITS), r.id, seat, delta))
    swaps.sort()
    return swaps


def _first_feasible(
    ctx: _SwapContext,
    swaps: Sequence[tuple[float, str, str, float]],
    affinity: dict[str, float],
    k: int,
) -> tuple[Alternate, ...]:
    """The first ``k`` swaps, in their order, that pass the panel pre-check and ``check``."""
    found: list[Alternate] = []
    for _, rid, seat, delta in swaps:
        swapped_panel = [rid if r == seat else r for r in ctx.panel]
        if not _panel_alone_passes(ctx, seat, rid, swapped_panel):
            continue
        swapped = {c: list(p) for c, p in ctx.assignment.items()}
        swapped[ctx.case.id] = swapped_panel
        if all(
            v.rule == "load.min" and v.reviewer == seat
            for v in check(ctx.problem, ctx.policy, swapped, forced=ctx.forced)
        ):
            found.append(
                Alternate(
                    reviewer=rid,
                    replaces=seat,
                    affinity=affinity[rid],
                    delta=delta,
                    load=ctx.loads[rid] + 1,
                    max_load=_max_load(ctx.reviewers[rid], ctx.policy),
                )
            )
            if len(found) == k:
                break
    return tuple(found)


def _panel_alone_passes(
    ctx: _SwapContext, seat: str, joining: str, swapped_panel: list[str]
) -> bool:
    """Whether the case's own rules hold on the swapped panel alone.

    Cheap, and a violation about the case here is one of the full check too. Violations
    about no case are not read: loads, which this cut-down problem cannot see, and the
    whole-assignment rules (representation bands, repeated pairs), judged here on one
    panel only. Relations are left out, as the candidate's were read by ``conflicts``
    above. A policy label that no reviewer of the cut-down pool carries (a
    ``[[panel.rules]]`` value, a representation target) makes ``check`` refuse the policy
    as bad input: the full problem has passed that test, so the swap goes to the full
    check.
    """
    others = [ctx.reviewers[r] for r in ctx.panel if r in ctx.reviewers]
    alone = _case_problem(
        ctx.problem,
        ctx.case,
        [x for x in others if x.id != seat] + [ctx.reviewers[joining]],
        relations=False,
    )
    try:
        violations = check(alone, ctx.policy, {ctx.case.id: swapped_panel})
    except InputError:  # a label of the policy that only reviewers off this panel carry
        return True
    return all(v.case != ctx.case.id for v in violations)
