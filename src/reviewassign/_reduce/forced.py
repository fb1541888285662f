"""Forced pairs checked before a solve: each one eligible, together within every cap.

``solve(..., forced=[("C1", "R4")])`` fixes each pair on (chairs, required experts). A
forced pair that no assignment could hold is the user's mistake, not an infeasible
problem: :func:`checked_forced` raises an :class:`InputError` naming the pair (its
``field`` is ``forced[j]``) and the rule it breaks:

- an unknown case or reviewer id;
- a pair that is not eligible: a conflict of interest (the registry key of each reason
  and its details) or a single-pair rule of the policy (``panel.language``,
  ``panel.own_region = "exclude"``);
- forced pairs that alone exceed a cap: a case's panel size, a reviewer's maximum load,
  the region cap, the gender cap, or both reviewers of a disjoint pair on one case.

Any other infeasibility they cause (the rest of the rules cannot be met around them) is
an ordinary ``INFEASIBLE`` result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from .._data.model import Problem
from .._data.policy import Policy
from .._errors import InputError
from .conflicts import conflicts

__all__ = ["checked_forced"]

Pair = tuple[str, str]

_RULE_OF_REASON = {
    "declared": "conflicts.declared",
    "applicant": "conflicts.applicant",
    "same_institution": "conflicts.same_institution",
    "same_country": "conflicts.same_country",
    "relation": "conflicts.relation_distance",
}
"""The registry key of each conflict reason (``_reduce.conflicts.REASONS``)."""


def _pairs(forced: Iterable[object]) -> list[Pair]:
    """The forced pairs as ``(case, reviewer)`` strings; an InputError for another shape."""
    out: list[Pair] = []
    for j, item in enumerate(forced):
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
            raise InputError(
                f"a forced pair is a (case, reviewer) pair, got {item!r}", field=f"forced[{j}]"
            )
        out.append((str(item[0]).strip(), str(item[1]).strip()))
    return out


def _unknown(problem: Problem, pairs: Sequence[Pair]) -> None:
    """Raise for the first pair naming a case or reviewer the problem does not have."""
    cases = {c.id for c in problem.cases}
    reviewers = {r.id for r in problem.reviewers}
    for j, (c, r) in enumerate(pairs):
        if c not in cases:
            message = f"the forced pair ({c}, {r}) names case {c!r}, which is not in the problem"
            raise InputError(message, field=f"forced[{j}].case")
        if r not in reviewers:
            message = f"the forced pair ({c}, {r}) names reviewer {r!r}, who is not in the problem"
            raise InputError(message, field=f"forced[{j}].reviewer")


def _ineligible(problem: Problem, policy: Policy, pairs: Sequence[Pair]) -> None:
    """Raise for the first pair that a conflict of interest or a single-pair rule excludes."""
    found = {(cp.case, cp.reviewer): cp for cp in conflicts(problem, policy)}
    for j, (c, r) in enumerate(pairs):
        cp = found.get((c, r))
        if cp is not None:
            rules = ", ".join(dict.fromkeys(_RULE_OF_REASON[x] for x in cp.reasons))
            raise InputError(
                f"the forced pair ({c}, {r}) is a conflict of interest ({rules}): "
                + "; ".join(cp.details),
                field=f"forced[{j}]",
            )
        case, reviewer = problem.case(c), problem.reviewer(r)
        if policy.panel.language and case.language and case.language not in reviewer.languages:
            raise InputError(
                f"the forced pair ({c}, {r}) breaks panel.language: reviewer {r} does not "
                f"read {case.language}, the language of case {c}",
                field=f"forced[{j}]",
            )
        if policy.panel.own_region == "exclude" and reviewer.region == case.region:
            raise InputError(
                f"the forced pair ({c}, {r}) breaks panel.own_region (exclude): reviewer {r} "
                f"is from {case.region or 'no region'}, the region of case {c}",
                field=f"forced[{j}]",
            )


def _caps(problem: Problem, policy: Policy, pairs: Sequence[Pair]) -> None:
    """Raise when the forced pairs alone exceed a panel size, a load or a panel cap."""
    per_case = Counter(c for c, _ in pairs)
    for c, n in per_case.items():
        own = problem.case(c).panel_size
        size = policy.panel_size if own is None else own
        if n > size:
            raise InputError(
                f"the forced pairs alone break panel_size: {n} reviewers forced on case {c}, "
                f"whose panel has {size} seats",
                field="forced",
            )
    per_reviewer = Counter(r for _, r in pairs)
    for r, n in per_reviewer.items():
        reviewer = problem.reviewer(r)
        most = policy.load.max if reviewer.max_load is None else reviewer.max_load
        if n > most:
            raise InputError(
                f"the forced pairs alone break load.max: {n} cases forced on reviewer {r}, "
                f"whose maximum load is {most}",
                field="forced",
            )
    _panel_caps(problem, policy, pairs)


def _panel_caps(problem: Problem, policy: Policy, pairs: Sequence[Pair]) -> None:
    """Raise when a case's forced reviewers exceed the region or gender cap, or are disjoint."""
    panel = policy.panel
    on_case: dict[str, list[str]] = {}
    for c, r in pairs:
        on_case.setdefault(c, []).append(r)
    for c, members in on_case.items():
        people = [problem.reviewer(r) for r in members]
        regions = Counter(p.region for p in people)
        genders = Counter(p.gender for p in people if p.gender)
        checks = (
            ("panel.max_per_region", panel.max_per_region, regions, "from region"),
            ("panel.max_per_gender", panel.max_per_gender, genders, "of gender"),
        )
        for key, cap, counts, words in checks:
            label, n = max(counts.items(), key=lambda kv: kv[1], default=("", 0))
            if cap is not None and n > cap:
                raise InputError(
                    f"the forced pairs alone break {key}: {n} reviewers {words} "
                    f"{label or 'none'} forced on case {c}, at most {cap} allowed",
                    field="forced",
                )
        seated = set(members)
        for d in problem.disjoint:
            if d.a in seated and d.b in seated:
                raise InputError(
                    f"the forced pairs alone break pairs.disjoint: {d.a} and {d.b} never sit "
                    f"on one panel, and both are forced on case {c}",
                    field="forced",
                )


def checked_forced(problem: Problem, policy: Policy, forced: Iterable[object]) -> tuple[Pair, ...]:
    """The forced pairs, each once in the order given, after every check of the module doc.

    Examples
    --------
    >>> from reviewassign import Case, Conflict, Policy, Problem, Reviewer
    >>> problem = Problem(cases=[Case(id="C1")], reviewers=[Reviewer(id="R1")],
    ...                   conflicts=[Conflict(case="C1", reviewer="R1", reason="spouse")])
    >>> checked_forced(problem, Policy(), [("C1", "R1")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reviewassign._errors.InputError: field 'forced[0]': the forced pair (C1, R1) is a conflict ...
    """
    pairs = list(dict.fromkeys(_pairs(forced)))
    if not pairs:
        return ()
    _unknown(problem, pairs)
    _ineligible(problem, policy, pairs)
    _caps(problem, policy, pairs)
    return tuple(pairs)
