"""Conflicts of interest: which (case, reviewer) pairs may never be assigned, and why.

A pair is a conflict when any of these holds (SPEC.md, ``[conflicts]``):

- it is declared in ``problem.conflicts`` (always);
- the reviewer is an applicant of the case (always);
- ``same_institution``: the reviewer's institution is among the case's institutions;
- ``same_country``: the reviewer's country is the case's country;
- ``relation_distance = d > 0``: the reviewer is within distance ``d`` of an applicant of
  the case in the relation graph (networkx, undirected, unweighted).

The solver never creates a decision variable for a conflicted pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from ._model import Problem
from ._policy import Policy

__all__ = ["REASONS", "ConflictPair", "conflicts"]

REASONS = ("declared", "applicant", "same_institution", "same_country", "relation")
"""Reason codes, in the order they are reported."""


@dataclass(frozen=True, slots=True)
class ConflictPair:
    """A conflicted (case, reviewer) pair with every reason that makes it one.

    Attributes
    ----------
    case, reviewer
        The ids of the pair.
    reasons
        Reason codes from :data:`REASONS`, in that order.
    details
        One human-readable line per reason, e.g. ``"relation: coauthor of applicant P7"``.
    """

    case: str
    reviewer: str
    reasons: tuple[str, ...]
    details: tuple[str, ...]


def _relation_hits(problem: Problem, distance: int) -> dict[tuple[str, str], str]:
    """``(case, reviewer) -> detail`` for reviewers within ``distance`` of an applicant."""
    graph: nx.Graph[str] = nx.Graph()
    for rel in problem.relations:
        graph.add_edge(rel.a, rel.b, kind=rel.kind)
    reviewer_ids = {r.id for r in problem.reviewers}
    near: dict[str, dict[str, int]] = {}
    # (case, reviewer) -> (distance, applicant) of the nearest applicant
    nearest: dict[tuple[str, str], tuple[int, str]] = {}
    for case in problem.cases:
        for applicant in case.applicants:
            if applicant not in graph:
                continue
            if applicant not in near:
                lengths = nx.single_source_shortest_path_length(graph, applicant, cutoff=distance)
                near[applicant] = {p: d for p, d in lengths.items() if p in reviewer_ids and d > 0}
            for reviewer, d in near[applicant].items():
                key = (case.id, reviewer)
                if key not in nearest or d < nearest[key][0]:
                    nearest[key] = (d, applicant)
    hits: dict[tuple[str, str], str] = {}
    for (case_id, reviewer), (d, applicant) in nearest.items():
        if d == 1:
            kind = graph.edges[applicant, reviewer].get("kind") or "related"
            hits[case_id, reviewer] = f"relation: {kind} of applicant {applicant}"
        else:
            hits[case_id, reviewer] = f"relation: distance {d} from applicant {applicant}"
    return hits


def conflicts(problem: Problem, policy: Policy | None = None) -> tuple[ConflictPair, ...]:
    """Every conflicted (case, reviewer) pair of a problem under a policy, with reasons.

    Parameters
    ----------
    problem
        The cases, reviewers, declared conflicts and relations.
    policy
        Which conflict rules are on (``policy.conflicts``); ``None`` is ``Policy()``.

    Returns
    -------
    tuple of ConflictPair
        Sorted by case then reviewer in the problem's order.

    Examples
    --------
    >>> import reviewassign as ra
    >>> p = ra.Problem(
    ...     cases=[ra.Case(id="C1", institution=("U1",), applicants=("P1",))],
    ...     reviewers=[ra.Reviewer(id="R1", institution="U1"), ra.Reviewer(id="R2"),
    ...                ra.Reviewer(id="R3")],
    ...     relations=[ra.Relation(a="P1", b="R2", kind="coauthor")],
    ... )
    >>> [(c.reviewer, c.reasons) for c in ra.conflicts(p)]
    [('R1', ('same_institution',)), ('R2', ('relation',))]
    """
    policy = Policy.coerce(policy)
    rules = policy.conflicts
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)

    def add(pairs: Iterable[tuple[str, str]], reason: str, detail: str) -> None:
        for pair in pairs:
            found[pair].setdefault(reason, detail)

    for c in problem.conflicts:
        detail = "declared" if c.reason in ("", "declared") else f"declared: {c.reason}"
        found[(c.case, c.reviewer)].setdefault("declared", detail)
    reviewer_ids = {r.id for r in problem.reviewers}
    by_institution: dict[str, list[str]] = defaultdict(list)
    by_country: dict[str, list[str]] = defaultdict(list)
    for r in problem.reviewers:
        if r.institution:
            by_institution[r.institution].append(r.id)
        if r.country:
            by_country[r.country].append(r.id)
    for case in problem.cases:
        applicants = [p for p in case.applicants if p in reviewer_ids]
        add(((case.id, p) for p in applicants), "applicant", "applicant: reviewer is an applicant")
        if rules.same_institution:
            for inst in case.institution:
                add(
                    ((case.id, r) for r in by_institution.get(inst, ())),
                    "same_institution",
                    f"same institution: {inst}",
                )
        if rules.same_country and case.country:
            add(
                ((case.id, r) for r in by_country.get(case.country, ())),
                "same_country",
                f"same country: {case.country}",
            )
    if rules.relation_distance > 0 and problem.relations:
        for pair, detail in _relation_hits(problem, rules.relation_distance).items():
            found[pair].setdefault("relation", detail)

    case_pos = {c.id: i for i, c in enumerate(problem.cases)}
    reviewer_pos = {r.id: i for i, r in enumerate(problem.reviewers)}
    out = []
    for (case_id, reviewer_id), reasons in sorted(
        found.items(), key=lambda kv: (case_pos[kv[0][0]], reviewer_pos[kv[0][1]])
    ):
        codes = tuple(r for r in REASONS if r in reasons)
        out.append(ConflictPair(case_id, reviewer_id, codes, tuple(reasons[r] for r in codes)))
    return tuple(out)
