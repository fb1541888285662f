"""The executable specification: :func:`check` every hard rule, :func:`evaluate` any assignment.

This module restates SPEC.md's semantics directly and shares no code with the model
builder: it reads only the data model (``_data.model``), the policy (``_data.policy``) and the
rule keys in their order (``_data.rules``), and computes conflicts, relation distances and
affinities itself, in the plainest way.

Choices where SPEC.md is silent, stated once here:

- An empty region is a region label of its own, ``""``, for every panel rule: two
  reviewers without a region are two seats of the same region for ``max_per_region``,
  count as one region for ``min_regions``, and are "from the case's region" for
  ``own_region`` when the case has no region either. (Genders differ on purpose, as
  SPEC.md says: an undisclosed gender counts for no gender.)
- A reviewer id that is not in the problem is reported and takes no seat, so the panel it
  was listed on is judged (size, composition) without it; a reviewer listed twice on one
  panel is reported and takes one seat. A case id that is not in the problem is reported
  and its panel is ignored (its seats count towards no load).
- A reviewer who is an applicant of the case is reported under ``conflicts.applicant``
  (whatever ``relation_distance`` is) and not again under ``conflicts.relation_distance``
  for their zero distance to themselves.
- Every rule is judged on every panel, empty ones included: an empty panel under
  ``min_regions = 2`` breaks both ``panel_size`` and ``panel.min_regions``.
- The ``[history]`` rules read ``Problem.history`` against this round's year
  (``history.year``, else the history's latest year plus one): a past seat of year ``y``
  is within ``n`` years when ``y >= year - n``. A history reviewer who is not a current
  reviewer matches no one; a past case is read for its institutions alone.
  ``min_new_share`` asks ``ceil(share * size)`` new seats of the case's size (its own,
  else ``panel_size``), not of the seats filled.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import networkx as nx
from pydantic import BaseModel, ConfigDict

from .._data.model import Case, Problem, Reviewer, values
from .._data.policy import SHARE_EPS, WEAK_EPS, AttributeRule, Policy
from .._data.rules import keys

__all__ = ["RULES", "Metrics", "Violation", "check", "evaluate", "pair_affinity"]

RULES: tuple[str, ...] = keys()
"""Every rule :func:`check` knows, in the order its violations are listed.

Read from the rule registry (``_data.rules``), for the keys and their order only: every rule
is judged below by code of this module alone."""

_RULE_ORDER = {rule: i for i, rule in enumerate(RULES)}

UNDISCLOSED = "undisclosed"
"""The key of undisclosed (empty) genders in :class:`Metrics`."""


class Violation(BaseModel):
    """One broken hard rule: which rule, which case and reviewer, and what, in plain words.

    Examples
    --------
    >>> v = Violation(rule="load.max", case=None, reviewer="R0003",
    ...               message="reviewer R0003 has 7 reviews; at most 6 allowed")
    >>> str(v)
    'load.max: reviewer R0003 has 7 reviews; at most 6 allowed'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    """The policy key or rule name, one of :data:`RULES`."""
    case: str | None
    """The case concerned, or ``None`` for a rule about a reviewer alone (loads)."""
    reviewer: str | None
    """The reviewer concerned, or ``None`` for a rule about a whole panel."""
    message: str
    """What is wrong, naming ids and numbers."""

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def _sort_key(v: Violation) -> tuple[int, str, str, str]:
    """The order of violations: rule (registry order), case, reviewer, message."""
    return (_RULE_ORDER.get(v.rule, len(RULES)), v.case or "", v.reviewer or "", v.message)


def _ids(case_id: str, listed: Sequence[str]) -> list[str]:
    """The reviewer ids listed for ``case_id``, as a list; a bare string is a ``TypeError``."""
    # A bare string is a Sequence[str] too; reading "R0001" as five reviewers would be silent
    # nonsense, so refuse it.
    if isinstance(listed, str):
        raise TypeError(
            f"the panel of case {case_id!r} must be a sequence of reviewer ids, not the string "
            f"{listed!r}"
        )
    return list(listed)


@dataclass(frozen=True, slots=True)
class _Panels:
    """An assignment as judged, and what in it does not fit the problem.

    ``panels`` holds every problem case's panel: its known reviewers, once each, in the
    order listed.
    """

    panels: dict[str, list[Reviewer]]
    unknown_cases: list[str]
    unknown_reviewers: list[tuple[str, str]]  # (case, reviewer)
    duplicates: list[tuple[str, str, int]]  # (case, reviewer, times listed)


def _read_panels(problem: Problem, assignment: Mapping[str, Sequence[str]]) -> _Panels:
    """Each case's panel of known reviewers, and the unknown ids and duplicates listed."""
    cases = {c.id for c in problem.cases}
    reviewers = {r.id: r for r in problem.reviewers}
    read = _Panels({c.id: [] for c in problem.cases}, [], [], [])
    for case_id, listed in assignment.items():
        counts = Counter(_ids(case_id, listed))
        if case_id not in cases:
            read.unknown_cases.append(case_id)
        for reviewer_id, times in counts.items():
            if reviewer_id not in reviewers:
                read.unknown_reviewers.append((case_id, reviewer_id))
            if times > 1:
                read.duplicates.append((case_id, reviewer_id, times))
            if case_id in cases and reviewer_id in reviewers:
                read.panels[case_id].append(reviewers[reviewer_id])
    return read


def _plural(n: int, word: str) -> str:
    """``n word``, with an s unless ``n`` is 1."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _region_name(region: str) -> str:
    """The region as a message names it (``"no region"`` for the empty one)."""
    return region if region else "no region"


# --------------------------------------------------------------------------------------
# check


def check(
    problem: Problem,
    policy: Policy | None,
    assignment: Mapping[str, Sequence[str]],
    *,
    forced: Iterable[tuple[str, str]] = (),
) -> list[Violation]:
    """Every violation of a hard rule by an assignment, not just the first.

    Parameters
    ----------
    problem
        The cases and reviewers.
    policy
        The policy whose hard rules apply; ``None`` means ``Policy()``.
    assignment
        Case id -> reviewer ids. A case missing from the mapping has an empty panel.
    forced
        ``(case, reviewer)`` pairs the assignment must hold (``solve(..., forced=...)``);
        each one missing is a ``pairs.forced`` violation.

    Returns
    -------
    list of Violation
        Sorted by rule (in the order of :data:`RULES`), then case, then reviewer; empty if
        the assignment meets every rule.

    Raises
    ------
    InputError
        If a ``representation`` target names the region or gender of no reviewer.

    Examples
    --------
    >>> from reviewassign._data.model import Case, Problem, Reviewer
    >>> problem = Problem(
    ...     cases=[Case(id="C1", region="Africa"), Case(id="C2", region="Asia")],
    ...     reviewers=[Reviewer(id="R1", region="Africa"), Reviewer(id="R2", region="Asia")],
    ... )
    >>> policy = Policy(panel_size=1, panel={"own_region": "exclude"})
    >>> check(problem, policy, {"C1": ["R2"], "C2": ["R1"]})
    []
    >>> for v in check(problem, policy, {"C1": ["R1"]}):
    ...     print(v)
    panel_size: case C2 has 0 reviewers; exactly 1 required
    panel.own_region: reviewer R1 is from Africa, the region of case C1; the policy excludes it
    """
    policy = Policy.coerce(policy)
    policy.check_targets(problem)  # a misspelt target is bad input, not a violation
    found: list[Violation] = []

    read = _read_panels(problem, assignment)
    found.extend(_check_listing(read))
    panels = read.panels

    against = _Against(policy, _declared_conflicts(problem), _RelationGraph(problem, panels))
    for case in problem.cases:
        panel = panels[case.id]
        found.extend(_check_panel_size(case, panel, policy))
        found.extend(_check_conflicts(case, panel, against))
        found.extend(_check_composition(case, panel, policy))
        found.extend(_check_panel_rules(case, panel, policy))
        found.extend(_check_coverage(case, panel, policy))
        found.extend(_check_panel_affinity(problem, case, panel, policy))
    found.extend(_check_loads(problem, panels, policy))
    found.extend(_check_weak_matches(problem, panels, policy))
    if policy.representation.weight == 0:  # with a weight the bands are soft, not rules
        found.extend(_check_representation(problem, panels, policy))
    found.extend(_check_cycles(problem, panels, policy))
    found.extend(_check_pairs(problem, panels, forced))
    found.extend(_check_history(problem, panels, policy))
    return sorted(found, key=_sort_key)


def _check_pairs(
    problem: Problem, panels: Mapping[str, list[Reviewer]], forced: Iterable[tuple[str, str]]
) -> list[Violation]:
    """The pair rules: forced pairs held, disjoint reviewers apart, linked cases sharing."""
    found = list(_check_forced(problem, panels, forced))
    found.extend(_check_disjoint(problem, panels))
    found.extend(_check_linked(problem, panels))
    return found


def _check_forced(
    problem: Problem, panels: Mapping[str, list[Reviewer]], forced: Iterable[tuple[str, str]]
) -> Iterator[Violation]:
    """A violation for each forced pair the assignment does not hold (unknown ids included)."""
    reviewers = {r.id for r in problem.reviewers}
    for case_id, reviewer_id in dict.fromkeys((str(c), str(r)) for c, r in forced):
        if case_id not in panels:
            why = f"case {case_id} is not in the problem"
        elif reviewer_id not in reviewers:
            why = f"reviewer {reviewer_id} is not in the problem"
        elif all(r.id != reviewer_id for r in panels[case_id]):
            why = f"{reviewer_id} does not sit on case {case_id}"
        else:
            continue
        yield Violation(
            rule="pairs.forced",
            case=case_id,
            reviewer=reviewer_id,
            message=f"the forced pair ({case_id}, {reviewer_id}) is not held: {why}",
        )


def _check_disjoint(problem: Problem, panels: Mapping[str, list[Reviewer]]) -> Iterator[Violation]:
    """A violation for each panel that seats both reviewers of a disjoint pair."""
    for case in problem.cases:
        seated = {r.id for r in panels[case.id]}
        for pair in problem.disjoint:
            if pair.a in seated and pair.b in seated:
                reason = f" ({pair.reason})" if pair.reason else ""
                yield Violation(
                    rule="pairs.disjoint",
                    case=case.id,
                    reviewer=None,
                    message=(
                        f"{pair.a} and {pair.b} never sit on one panel{reason}, but both sit "
                        f"on case {case.id}"
                    ),
                )


def _check_linked(problem: Problem, panels: Mapping[str, list[Reviewer]]) -> Iterator[Violation]:
    """A violation for each two linked cases that share too few reviewers, or differ."""
    for group in problem.linked:
        for one, two in itertools.combinations(dict.fromkeys(group.cases), 2):
            first = {r.id for r in panels.get(one, [])}
            second = {r.id for r in panels.get(two, [])}
            if group.shared is None and first != second:
                message = (
                    f"linked cases {one} and {two} sit one panel, but {one} has "
                    f"{', '.join(sorted(first)) or 'no one'} and {two} has "
                    f"{', '.join(sorted(second)) or 'no one'}"
                )
            elif group.shared is not None and len(first & second) < group.shared:
                message = (
                    f"linked cases {one} and {two} share {_plural(len(first & second), 'reviewer')}"
                    f"; at least {group.shared} required"
                )
            else:
                continue
            yield Violation(rule="pairs.linked", case=one, reviewer=None, message=message)


def _check_listing(read: _Panels) -> list[Violation]:
    """The assignment's own consistency: unknown cases and reviewers, duplicate seats."""
    found: list[Violation] = []
    for case_id in read.unknown_cases:
        found.append(
            Violation(
                rule="assignment.unknown_case",
                case=case_id,
                reviewer=None,
                message=f"the assignment names case {case_id}, which is not in the problem",
            )
        )
    for case_id, reviewer_id in read.unknown_reviewers:
        found.append(
            Violation(
                rule="assignment.unknown_reviewer",
                case=case_id,
                reviewer=reviewer_id,
                message=f"case {case_id} lists reviewer {reviewer_id}, who is not in the problem",
            )
        )
    for case_id, reviewer_id, times in read.duplicates:
        found.append(
            Violation(
                rule="assignment.duplicate",
                case=case_id,
                reviewer=reviewer_id,
                message=(
                    f"case {case_id} lists reviewer {reviewer_id} {times} times; "
                    "a reviewer holds at most one seat on a panel"
                ),
            )
        )
    return found


def _check_panel_size(case: Case, panel: list[Reviewer], policy: Policy) -> Iterator[Violation]:
    """The violation of a case whose panel is not exactly its size."""
    size = case.panel_size if case.panel_size is not None else policy.panel_size
    if len(panel) != size:
        yield Violation(
            rule="panel_size",
            case=case.id,
            reviewer=None,
            message=(
                f"case {case.id} has {_plural(len(panel), 'reviewer')}; exactly {size} required"
            ),
        )


def _check_loads(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """Each reviewer's load below its minimum or above its maximum (its own, else the policy's)."""
    loads = Counter(r.id for panel in panels.values() for r in panel)
    for reviewer in problem.reviewers:
        load = loads[reviewer.id]
        if reviewer.min_load is not None:
            least, whose = reviewer.min_load, "the reviewer's min_load"
        else:
            least, whose = policy.load.min, "load.min"
        if reviewer.max_load is not None:
            most, whose_max = reviewer.max_load, "the reviewer's max_load"
        else:
            most, whose_max = policy.load.max, "load.max"
        if load < least:
            yield Violation(
                rule="load.min",
                case=None,
                reviewer=reviewer.id,
                message=(
                    f"reviewer {reviewer.id} has {_plural(load, 'review')}; "
                    f"at least {least} required ({whose})"
                ),
            )
        if load > most:
            yield Violation(
                rule="load.max",
                case=None,
                reviewer=reviewer.id,
                message=(
                    f"reviewer {reviewer.id} has {_plural(load, 'review')}; "
                    f"at most {most} allowed ({whose_max})"
                ),
            )


def _declared_conflicts(problem: Problem) -> dict[tuple[str, str], list[str]]:
    """(case, reviewer) -> the reasons of its declared conflicts."""
    declared: dict[tuple[str, str], list[str]] = {}
    for conflict in problem.conflicts:
        declared.setdefault((conflict.case, conflict.reviewer), []).append(conflict.reason)
    return declared


class _RelationGraph:
    """The undirected relation graph as adjacency lists, searched from panel reviewers.

    A reviewer's search is breadth-first and goes at most ``cutoff`` steps; it stops as
    soon as it has found every applicant of the cases on whose panels the reviewer sits.
    A search that runs out of people has walked a whole connected component: its people
    are labelled with it, and a later search from that component looks only for the
    applicants in it (none: no search), so no component is walked out twice.
    """

    def __init__(self, problem: Problem, panels: Mapping[str, list[Reviewer]]) -> None:
        self._relations = problem.relations
        self._adjacent: defaultdict[str, list[str]] | None = None  # built by a first search
        self._sought: dict[str, set[str]] = {}
        for case in problem.cases:
            for r in panels[case.id]:
                self._sought.setdefault(r.id, set()).update(case.applicants)
        self._component: dict[str, int] = {}
        self._components = 0
        self._near: dict[tuple[str, int], dict[str, int]] = {}

    def near(self, reviewer: str, cutoff: int) -> dict[str, int]:
        """Person id -> graph distance from ``reviewer``, up to ``cutoff``.

        Holds the applicants of the reviewer's cases within ``cutoff`` and the reviewer
        (at 0), no one else.
        """
        key = (reviewer, cutoff)
        if key not in self._near:
            self._near[key] = self._search(reviewer, cutoff)
        return self._near[key]

    def _search(self, reviewer: str, cutoff: int) -> dict[str, int]:
        """What :meth:`near` caches: a breadth-first search that stops once the sought are found."""
        if self._adjacent is None:
            self._adjacent = defaultdict(list)
            for rel in self._relations:  # a self-relation is harmless: a person is seen
                self._adjacent[rel.a].append(rel.b)
                self._adjacent[rel.b].append(rel.a)
        adjacent = self._adjacent
        found = {reviewer: 0}
        if reviewer not in adjacent:  # without relations: near nobody but themselves
            return found
        left = self._sought.get(reviewer, set()) - {reviewer}
        label = self._component.get(reviewer)
        if label is not None:
            left = {p for p in left if self._component.get(p) == label}
        seen = {reviewer}
        frontier = [reviewer]
        depth = 0
        while frontier and left and depth < cutoff:
            depth += 1
            reached = []
            for person in frontier:
                for other in adjacent[person]:
                    if other not in seen:
                        seen.add(other)
                        reached.append(other)
                        if other in left:
                            found[other] = depth
                            left.discard(other)
            frontier = reached
        if not frontier and label is None:  # the whole component was walked
            self._components += 1
            self._component.update(dict.fromkeys(seen, self._components))
        return found


@dataclass(frozen=True, slots=True)
class _Against:
    """What the conflict rules read beyond a panel: the policy, declared conflicts, relations."""

    policy: Policy
    declared: Mapping[tuple[str, str], list[str]]
    relations: _RelationGraph


def _check_declared(case: Case, panel: list[Reviewer], against: _Against) -> list[Violation]:
    """A violation for each member with a declared conflict with the case."""
    found: list[Violation] = []
    for r in panel:
        reasons = against.declared.get((case.id, r.id))
        if reasons:
            found.append(
                Violation(
                    rule="conflicts.declared",
                    case=case.id,
                    reviewer=r.id,
                    message=(
                        f"reviewer {r.id} has a declared conflict with case {case.id} "
                        f"(reason: {'; '.join(reasons)})"
                    ),
                )
            )
    return found


def _check_same_institution(
    case: Case, panel: list[Reviewer], against: _Against
) -> list[Violation]:
    """A violation for each member from an institution of the case (``same_institution``)."""
    found: list[Violation] = []
    if not against.policy.conflicts.same_institution:
        return found
    for r in panel:
        if r.institution and r.institution in case.institution:
            found.append(
                Violation(
                    rule="conflicts.same_institution",
                    case=case.id,
                    reviewer=r.id,
                    message=(
                        f"reviewer {r.id} is from institution {r.institution}, "
                        f"an institution of case {case.id}"
                    ),
                )
            )
    return found


def _check_same_country(case: Case, panel: list[Reviewer], against: _Against) -> list[Violation]:
    """A violation for each member from the case's country (``conflicts.same_country``)."""
    found: list[Violation] = []
    if not against.policy.conflicts.same_country:
        return found
    for r in panel:
        if r.country and r.country == case.country:
            found.append(
                Violation(
                    rule="conflicts.same_country",
                    case=case.id,
                    reviewer=r.id,
                    message=(
                        f"reviewer {r.id} is from country {r.country}, "
                        f"the country of case {case.id}"
                    ),
                )
            )
    return found


def _check_relation_distance(
    case: Case, panel: list[Reviewer], against: _Against
) -> list[Violation]:
    """A violation for each member near another applicant (``conflicts.relation_distance``)."""
    found: list[Violation] = []
    d = against.policy.conflicts.relation_distance
    if d < 1:
        return found
    for r in panel:
        # The nearest other applicant within distance d, if any (ties: smallest id).
        reach = against.relations.near(r.id, d)
        near = [
            (reach[applicant], applicant)
            for applicant in case.applicants
            if applicant != r.id and applicant in reach
        ]
        if near:
            distance, applicant = min(near)
            found.append(
                Violation(
                    rule="conflicts.relation_distance",
                    case=case.id,
                    reviewer=r.id,
                    message=(
                        f"reviewer {r.id} is at relation distance {distance} from applicant "
                        f"{applicant} of case {case.id}; conflicts.relation_distance is {d}"
                    ),
                )
            )
    return found


def _check_applicant(case: Case, panel: list[Reviewer], against: _Against) -> list[Violation]:
    """A violation for each member who is an applicant of the case (``conflicts.applicant``)."""
    found: list[Violation] = []
    for r in panel:
        if r.id in case.applicants:
            found.append(
                Violation(
                    rule="conflicts.applicant",
                    case=case.id,
                    reviewer=r.id,
                    message=f"reviewer {r.id} is an applicant of case {case.id}",
                )
            )
    return found


_PAIR_CHECKS: dict[str, Callable[[Case, list[Reviewer], _Against], list[Violation]]] = {
    "conflicts.declared": _check_declared,
    "conflicts.same_institution": _check_same_institution,
    "conflicts.same_country": _check_same_country,
    "conflicts.relation_distance": _check_relation_distance,
    "conflicts.applicant": _check_applicant,
}
"""Rule key -> its check of the (case, reviewer) pairs of a panel: one function per
conflict rule."""

_PAIR_ORDER = tuple(_PAIR_CHECKS[rule] for rule in RULES if rule in _PAIR_CHECKS)
"""The conflict checks in the order of :data:`RULES` (the registry's key order)."""


def _check_conflicts(case: Case, panel: list[Reviewer], against: _Against) -> list[Violation]:
    """The conflicts of interest on a case's panel: declared, institution, country, relation."""
    found: list[Violation] = []
    for check_pairs in _PAIR_ORDER:
        found.extend(check_pairs(case, panel, against))
    return found


class _Seated(NamedTuple):
    """One case's panel as the panel rules read it: its members, by region and by gender.

    ``by_region`` and ``by_gender`` map a label to the ids seated with it, in the panel's
    order; an undisclosed gender counts for no gender, an empty region is a region. A named
    tuple: one is made per case, and a tuple is the cheapest record.
    """

    case: Case
    panel: list[Reviewer]
    by_region: dict[str, list[str]]
    by_gender: dict[str, list[str]]

    @classmethod
    def of(cls, case: Case, panel: list[Reviewer]) -> _Seated:
        """Group the members of ``case``'s panel by region and by disclosed gender."""
        by_region: dict[str, list[str]] = {}
        by_gender: dict[str, list[str]] = {}
        for r in panel:
            by_region.setdefault(r.region, []).append(r.id)
            if r.gender:  # an undisclosed gender counts for no gender
                by_gender.setdefault(r.gender, []).append(r.id)
        return cls(case, panel, by_region, by_gender)


def _check_max_per_region(seated: _Seated, policy: Policy) -> list[Violation]:
    """A violation for each region with more seats than ``panel.max_per_region``."""
    found: list[Violation] = []
    cap = policy.panel.max_per_region
    if cap is None:
        return found
    case = seated.case
    for region, ids in sorted(seated.by_region.items()):
        if len(ids) > cap:
            who = "with no region" if not region else f"from {region}"
            found.append(
                Violation(
                    rule="panel.max_per_region",
                    case=case.id,
                    reviewer=None,
                    message=(
                        f"case {case.id} has {len(ids)} reviewers {who} ({', '.join(ids)}); "
                        f"at most {cap} allowed"
                    ),
                )
            )
    return found


def _check_min_regions(seated: _Seated, policy: Policy) -> list[Violation]:
    """The violation of a panel with fewer regions than ``panel.min_regions``."""
    found: list[Violation] = []
    least = policy.panel.min_regions
    by_region = seated.by_region
    if len(by_region) < least:
        case = seated.case
        names = ", ".join(_region_name(g) for g in sorted(by_region))
        found.append(
            Violation(
                rule="panel.min_regions",
                case=case.id,
                reviewer=None,
                message=(
                    f"case {case.id} has reviewers from {_plural(len(by_region), 'region')}"
                    f"{f' ({names})' if names else ''}; at least {least} required"
                ),
            )
        )
    return found


def _check_own_region(seated: _Seated, policy: Policy) -> list[Violation]:
    """``panel.own_region``: each member from the case's region, or a panel without one."""
    found: list[Violation] = []
    own_region = policy.panel.own_region
    case = seated.case
    if own_region == "exclude":
        for r in seated.panel:
            if r.region == case.region:
                found.append(
                    Violation(
                        rule="panel.own_region",
                        case=case.id,
                        reviewer=r.id,
                        message=(
                            f"reviewer {r.id} is from {_region_name(r.region)}, the region of case "
                            f"{case.id}; the policy excludes it"
                        ),
                    )
                )
    elif own_region == "at_least_one" and case.region not in seated.by_region:
        found.append(
            Violation(
                rule="panel.own_region",
                case=case.id,
                reviewer=None,
                message=(
                    f"case {case.id} has no reviewer from its own region, "
                    f"{_region_name(case.region)}; at least one required"
                ),
            )
        )
    return found


def _check_max_per_gender(seated: _Seated, policy: Policy) -> list[Violation]:
    """A violation for each disclosed gender with more seats than ``panel.max_per_gender``."""
    found: list[Violation] = []
    cap = policy.panel.max_per_gender
    if cap is None:
        return found
    case = seated.case
    for gender, ids in sorted(seated.by_gender.items()):
        if len(ids) > cap:
            found.append(
                Violation(
                    rule="panel.max_per_gender",
                    case=case.id,
                    reviewer=None,
                    message=(
                        f"case {case.id} has {len(ids)} reviewers of gender {gender} "
                        f"({', '.join(ids)}); at most {cap} allowed"
                    ),
                )
            )
    return found


def _check_min_genders(seated: _Seated, policy: Policy) -> list[Violation]:
    """The violation of a panel with fewer disclosed genders than ``panel.min_genders``."""
    found: list[Violation] = []
    least = policy.panel.min_genders
    by_gender = seated.by_gender
    if len(by_gender) < least:
        case = seated.case
        names = ", ".join(sorted(by_gender))
        found.append(
            Violation(
                rule="panel.min_genders",
                case=case.id,
                reviewer=None,
                message=(
                    f"case {case.id} has reviewers of {len(by_gender)} disclosed "
                    f"{'gender' if len(by_gender) == 1 else 'genders'}"
                    f"{f' ({names})' if names else ''}; at least {least} required"
                ),
            )
        )
    return found


def _check_min_senior(seated: _Seated, policy: Policy) -> list[Violation]:
    """The violation of a panel with fewer seniors than ``panel.min_senior``."""
    found: list[Violation] = []
    least = policy.panel.min_senior
    senior = sum(1 for r in seated.panel if r.seniority == "senior")
    if senior < least:
        case = seated.case
        found.append(
            Violation(
                rule="panel.min_senior",
                case=case.id,
                reviewer=None,
                message=(
                    f"case {case.id} has {senior} senior "
                    f"{'reviewer' if senior == 1 else 'reviewers'}; "
                    f"at least {least} required"
                ),
            )
        )
    return found


def _check_language(seated: _Seated, policy: Policy) -> list[Violation]:
    """A violation for each member who does not list the case's language (``panel.language``)."""
    found: list[Violation] = []
    case = seated.case
    if not (policy.panel.language and case.language):
        return found
    for r in seated.panel:
        if case.language not in r.languages:
            found.append(
                Violation(
                    rule="panel.language",
                    case=case.id,
                    reviewer=r.id,
                    message=(
                        f"reviewer {r.id} does not list language {case.language}, "
                        f"the language of case {case.id}"
                    ),
                )
            )
    return found


_PANEL_CHECKS: dict[str, Callable[[_Seated, Policy], list[Violation]]] = {
    "panel.max_per_region": _check_max_per_region,
    "panel.min_regions": _check_min_regions,
    "panel.own_region": _check_own_region,
    "panel.max_per_gender": _check_max_per_gender,
    "panel.min_genders": _check_min_genders,
    "panel.min_senior": _check_min_senior,
    "panel.language": _check_language,
}
"""Rule key -> its check on one panel: one function per composition rule."""

_PANEL_ORDER = tuple(_PANEL_CHECKS[rule] for rule in RULES if rule in _PANEL_CHECKS)
"""The composition checks in the order of :data:`RULES` (the registry's key order)."""


def _check_composition(case: Case, panel: list[Reviewer], policy: Policy) -> list[Violation]:
    """The panel rules a case's panel breaks: regions, own region, genders, seniority, language."""
    seated = _Seated.of(case, panel)
    found: list[Violation] = []
    for check_rule in _PANEL_ORDER:
        found.extend(check_rule(seated, policy))
    return found


def entry_applies(entry: AttributeRule, case: Case) -> bool:
    """Whether a ``[[panel.rules]]`` entry applies to ``case``: each filter shares a value."""
    return all(set(values(case, name)) & set(labels) for name, labels in entry.cases.items())


def seat_counts(entry: AttributeRule, reviewer: Reviewer, case: Case) -> bool:
    """Whether ``reviewer``'s seat on ``case`` counts for a counting entry.

    ``values``: the reviewer has one of them; ``same_as``: reviewer and case share a label;
    ``different_from``: both are known and share none. Unknown counts for neither.
    """
    mine = set(values(reviewer, entry.attribute))
    if entry.values:
        return bool(mine & set(entry.values))
    other = entry.same_as if entry.same_as is not None else entry.different_from
    theirs = set(values(case, other or ""))
    if not mine or not theirs:
        return False
    return bool(mine & theirs) if entry.same_as is not None else not mine & theirs


def _rule_violation(entry: AttributeRule, case: Case, message: str) -> Violation:
    """A violation of ``panel.rules`` by ``entry`` on ``case``."""
    return Violation(
        rule="panel.rules",
        case=case.id,
        reviewer=None,
        message=f'panel rule "{entry.name}": case {case.id} {message}',
    )


def _check_entry(entry: AttributeRule, case: Case, panel: list[Reviewer]) -> Iterator[Violation]:
    """The violations of one ``[[panel.rules]]`` entry by one panel."""
    attribute = entry.attribute
    if entry.min_distinct is not None:
        seen = sorted({x for r in panel for x in values(r, attribute)})
        if len(seen) < entry.min_distinct:
            shown = f" ({', '.join(seen)})" if seen else ""
            yield _rule_violation(
                entry,
                case,
                f"has {_plural(len(seen), 'distinct value')} of {attribute}{shown}; at least "
                f"{entry.min_distinct} required",
            )
    elif entry.max_per_value is not None:
        by_value: dict[str, list[str]] = defaultdict(list)
        for r in panel:
            for x in set(values(r, attribute)):
                by_value[x].append(r.id)
        for x, ids in sorted(by_value.items()):
            if len(ids) > entry.max_per_value:
                yield _rule_violation(
                    entry,
                    case,
                    f"has {_plural(len(ids), 'reviewer')} with {attribute} {x} ({', '.join(ids)}); "
                    f"at most {entry.max_per_value} allowed",
                )
    else:
        ids = [r.id for r in panel if seat_counts(entry, r, case)]
        listed = f" ({', '.join(ids)})" if ids else ""
        has = f"has {_plural(len(ids), 'seat')} {entry.counted()}{listed}"
        if entry.at_least is not None and len(ids) < entry.at_least:
            yield _rule_violation(entry, case, f"{has}; at least {entry.at_least} required")
        if entry.at_most is not None and len(ids) > entry.at_most:
            yield _rule_violation(entry, case, f"{has}; at most {entry.at_most} allowed")


def _check_panel_rules(case: Case, panel: list[Reviewer], policy: Policy) -> Iterator[Violation]:
    """The violations of the ``[[panel.rules]]`` entries that apply to ``case``, in order."""
    for entry in policy.panel.rules:
        if entry_applies(entry, case):
            yield from _check_entry(entry, case, panel)


def _covers(reviewer: Reviewer, topic: str, min_level: int) -> bool:
    """Whether ``reviewer`` has ``topic`` at ``min_level`` or above."""
    return reviewer.expertise.get(topic, 0) >= min_level


def _check_coverage(case: Case, panel: list[Reviewer], policy: Policy) -> Iterator[Violation]:
    """The violations of ``expertise.coverage`` by a case's panel."""
    rules = policy.expertise
    level = rules.min_level
    covered = [t for t in case.topics if any(_covers(r, t, level) for r in panel)]
    if rules.coverage == "all":
        for topic in case.topics:
            if topic not in covered:
                yield Violation(
                    rule="expertise.coverage",
                    case=case.id,
                    reviewer=None,
                    message=(
                        f"topic {topic} of case {case.id} is not covered: no panel member "
                        f"has level {level} or above in it"
                    ),
                )
    elif rules.coverage == "any" and case.topics and not covered:
        yield Violation(
            rule="expertise.coverage",
            case=case.id,
            reviewer=None,
            message=(
                f"no topic of case {case.id} ({', '.join(case.topics)}) is covered: no panel "
                f"member has level {level} or above in any of them"
            ),
        )


def _check_weak_matches(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """The reviewers with more weak matches than ``load.max_weak_matches`` allows."""
    most, below = policy.load.max_weak_matches, policy.load.weak_match_below
    if most is None:
        return
    weak: dict[str, list[str]] = {}
    for case in problem.cases:
        for r in panels[case.id]:
            # WEAK_EPS: an affinity equal to the threshold is not weak, however it rounds.
            if pair_affinity(problem, case, r) < below - WEAK_EPS:
                weak.setdefault(r.id, []).append(case.id)
    for reviewer in problem.reviewers:
        cases = weak.get(reviewer.id, [])
        if len(cases) > most:
            yield Violation(
                rule="load.max_weak_matches",
                case=None,
                reviewer=reviewer.id,
                message=(
                    f"reviewer {reviewer.id} has {_plural(len(cases), 'case')} of affinity "
                    f"below {below:g} ({', '.join(cases)}); at most {most} allowed "
                    "(load.max_weak_matches)"
                ),
            )


@dataclass(frozen=True, slots=True)
class _Band:
    """One region's or disclosed gender's seats against its band over all seats."""

    rule: str
    label: str
    seats: int
    total: int
    target: float
    from_pool: bool
    tolerance: float
    attribute: str = ""
    """The attribute of a ``representation.bands`` entry (empty for region and gender)."""

    @property
    def share(self) -> float:
        """The band's seats as a share of all seats (0 without seats)."""
        return self.seats / self.total if self.total else 0.0

    @property
    def inside(self) -> bool:
        """Whether the share is within the tolerance of the target."""
        # SHARE_EPS: a share on the edge of the band is inside, however the floats round.
        return abs(self.share - self.target) <= self.tolerance + SHARE_EPS

    @property
    def outside_seats(self) -> int:
        """Seats to move for the share to enter the band (0 inside)."""
        top = math.floor(self.total * (self.target + self.tolerance + SHARE_EPS))
        bottom = math.ceil(self.total * (self.target - self.tolerance - SHARE_EPS))
        return max(0, self.seats - top) + max(0, bottom - self.seats)


def _bands(problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy) -> list[_Band]:
    """Every band of ``policy.representation`` that is on (none without seats)."""
    rep = policy.representation
    seated = [r for panel in panels.values() for r in panel]
    n = len(problem.reviewers)
    if not seated or not n:
        return []
    bands: list[_Band] = []
    for rule, tolerance, targets, label_of in (
        ("representation.region_tolerance", rep.region_tolerance, rep.region_targets, "region"),
        ("representation.gender_tolerance", rep.gender_tolerance, rep.gender_targets, "gender"),
    ):
        if tolerance >= 1:
            continue
        pool = Counter(getattr(r, label_of) for r in problem.reviewers)
        seats = Counter(getattr(r, label_of) for r in seated)
        labels = set(pool) | set(targets)
        if label_of == "gender":
            labels.discard("")  # undisclosed seats are unconstrained
        for label in sorted(labels):
            target = targets.get(label)
            bands.append(
                _Band(
                    rule,
                    label,
                    seats[label],
                    len(seated),
                    pool[label] / n if target is None else target,
                    target is None,
                    tolerance,
                )
            )
    for entry in rep.bands:
        pool_of = Counter(x for r in problem.reviewers for x in set(values(r, entry.attribute)))
        seats_of = Counter(x for r in seated for x in set(values(r, entry.attribute)))
        for label in sorted(set(pool_of) | set(entry.targets)):
            target = entry.targets.get(label)
            bands.append(
                _Band(
                    "representation.bands",
                    label,
                    seats_of[label],
                    len(seated),
                    pool_of[label] / n if target is None else target,
                    target is None,
                    entry.tolerance,
                    entry.attribute,
                )
            )
    return bands


def _tolerance_key(band: _Band) -> str:
    """The policy key of a band's tolerance, as a message names it."""
    if band.attribute:
        return f"the tolerance of the {band.attribute} band"
    return band.rule


def _check_representation(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """A violation for each representation band whose share is outside it."""
    for band in _bands(problem, panels, policy):
        if band.inside:
            continue
        what = (
            f"region {_region_name(band.label)}"
            if band.rule.endswith("region_tolerance")
            else f"{band.attribute or 'gender'} {band.label}"
        )
        whose = "its share of the reviewer pool" if band.from_pool else "its target"
        low = max(0.0, band.target - band.tolerance)
        high = min(1.0, band.target + band.tolerance)
        yield Violation(
            rule=band.rule,
            case=None,
            reviewer=None,
            message=(
                f"{what} holds {band.seats} of {band.total} seats ({band.share:.1%}); "
                f"{whose} is {band.target:.1%}, so between {low:.1%} and {high:.1%} "
                f"({_tolerance_key(band)} = {band.tolerance:g})"
            ),
        )


def _review_cycles(
    problem: Problem, panels: Mapping[str, list[Reviewer]], longest: int
) -> list[list[tuple[str, str, list[str]]]]:
    """Review cycles of length ``longest`` or less among reviewer-applicants.

    Each cycle is a list of edges ``(A, B, cases)``: ``A`` reviews ``cases``, of which
    ``B`` is an applicant; it starts at its smallest reviewer id.
    """
    reviewers = {r.id for r in problem.reviewers}
    graph: nx.DiGraph[str] = nx.DiGraph()
    for case in problem.cases:
        for person in case.applicants:
            if person not in reviewers:
                continue
            for r in panels[case.id]:
                if r.id == person:
                    continue  # reviewing one's own case is conflicts.applicant, no cycle
                if not graph.has_edge(r.id, person):
                    graph.add_edge(r.id, person, cases=[])
                graph.edges[r.id, person]["cases"].append(case.id)
    found = []
    for cycle in nx.simple_cycles(graph, length_bound=longest):
        start = cycle.index(min(cycle))
        people = cycle[start:] + cycle[:start]
        found.append(
            [
                (a, b, sorted(graph.edges[a, b]["cases"]))
                for a, b in zip(people, people[1:] + people[:1], strict=True)
            ]
        )
    return sorted(found)


def _check_cycles(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """A violation for each review cycle of length ``integrity.forbid_cycles`` or less."""
    k = policy.integrity.forbid_cycles
    if not k:
        return
    for cycle in _review_cycles(problem, panels, k):
        steps = [f"{a} reviews {' and '.join(cases)} (applicant {b})" for a, b, cases in cycle]
        said = steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " while " + steps[-1]
        yield Violation(
            rule="integrity.forbid_cycles",
            case=cycle[0][2][0],
            reviewer=cycle[0][0],
            message=(
                f"{said}: a review cycle of length {len(cycle)} (integrity.forbid_cycles = {k})"
            ),
        )


# --------------------------------------------------------------------------------------
# history: past rounds (Problem.history) against this round


def _past_seats(problem: Problem, policy: Policy, years: int | None) -> list[tuple[int, str, str]]:
    """The past seats ``(year, case, reviewer)`` within ``years`` of this round's year.

    This round's year is ``history.year``, else the history's latest year plus one; a seat
    of year ``y`` is within ``n`` years when ``y >= year - n``. ``None``: every seat.
    """
    seats = [(s.year, s.case, s.reviewer) for s in problem.history]
    if years is None or not seats:
        return seats
    year = policy.history.year
    if year is None:
        year = max(y for y, _, _ in seats) + 1
    return [seat for seat in seats if seat[0] >= year - years]


def _check_institution_years(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """Each member who reviewed a case of one of the case's institutions within n years."""
    n = policy.history.institution_years
    if n <= 0:
        return
    institutions = {(s.year, s.case, s.reviewer): s.institution for s in problem.history}
    mine: dict[str, list[tuple[int, str, set[str]]]] = defaultdict(list)
    for year, past, who in _past_seats(problem, policy, n):
        mine[who].append((year, past, set(institutions[year, past, who])))
    for case in problem.cases:
        for r in panels[case.id]:
            hits = [
                (-year, past, sorted(names & set(case.institution)))
                for year, past, names in mine.get(r.id, [])
                if names & set(case.institution)
            ]
            if hits:
                year, past, shared = min(hits)  # the latest, then the smallest case id
                yield Violation(
                    rule="history.institution_years",
                    case=case.id,
                    reviewer=r.id,
                    message=(
                        f"reviewer {r.id} reviewed case {past} in {-year}, of institution "
                        f"{', '.join(shared)}, an institution of case {case.id}; "
                        f"history.institution_years is {n}"
                    ),
                )


def _check_min_new_share(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """Each panel with fewer seats of new reviewers than ``history.min_new_share`` asks."""
    share = policy.history.min_new_share
    if share <= 0:
        return
    seen = {who for _, _, who in _past_seats(problem, policy, policy.history.new_years)}
    for case in problem.cases:
        size = case.panel_size if case.panel_size is not None else policy.panel_size
        need = math.ceil(share * size - SHARE_EPS)
        new = [r.id for r in panels[case.id] if r.id not in seen]
        if len(new) < need:
            named = f" ({', '.join(new)})" if new else ""
            yield Violation(
                rule="history.min_new_share",
                case=case.id,
                reviewer=None,
                message=(
                    f"case {case.id} has {_plural(len(new), 'new reviewer')}{named}; "
                    f"at least {need} of its "
                    f"{size} seats required (history.min_new_share = {share:g})"
                ),
            )


def _check_max_repeat_pairs(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """Each past pair of reviewers seated together on more panels than the cap allows."""
    k = policy.history.max_repeat_pairs
    if k is None:
        return
    past: dict[tuple[str, str], tuple[int, str]] = {}  # pair -> its latest panel
    members: dict[tuple[int, str], list[str]] = defaultdict(list)
    for year, case_id, who in _past_seats(problem, policy, policy.history.pair_years):
        members[year, case_id].append(who)
    for (year, case_id), ids in sorted(members.items()):
        for a in ids:
            for b in ids:
                if a < b:
                    past[a, b] = (year, case_id)
    together: dict[tuple[str, str], list[str]] = defaultdict(list)
    for case in problem.cases:
        ids = sorted(r.id for r in panels[case.id])
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if (a, b) in past:
                    together[a, b].append(case.id)
    for (a, b), cases in sorted(together.items()):
        if len(cases) > k:
            year, case_id = past[a, b]
            yield Violation(
                rule="history.max_repeat_pairs",
                case=None,
                reviewer=None,
                message=(
                    f"reviewers {a} and {b}, who sat together on case {case_id} in {year}, "
                    f"sit together on {_plural(len(cases), 'panel')} ({', '.join(cases)}); "
                    f"at most {k} allowed (history.max_repeat_pairs)"
                ),
            )


def _check_history(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> Iterator[Violation]:
    """The violations of the ``[history]`` rules: past institutions, new seats, past pairs."""
    yield from _check_institution_years(problem, panels, policy)
    yield from _check_min_new_share(problem, panels, policy)
    yield from _check_max_repeat_pairs(problem, panels, policy)


def _check_panel_affinity(
    problem: Problem, case: Case, panel: list[Reviewer], policy: Policy
) -> Iterator[Violation]:
    """The violation of a panel whose affinity is below ``expertise.min_panel_affinity``."""
    floor = policy.expertise.min_panel_affinity
    if floor <= 0 or not panel:
        # An empty panel is reported by panel_size; a floor on it adds nothing.
        return
    value = math.fsum(pair_affinity(problem, case, r) for r in panel)
    # The solver rounds each pair to 1e-6: a panel it accepts is at most half a unit a
    # seat, plus half a unit for the floor, below the floor.
    if value < floor - _RESOLUTION * (len(panel) + 1):
        yield Violation(
            rule="expertise.min_panel_affinity",
            case=case.id,
            reviewer=None,
            message=(
                f"the panel of case {case.id} has affinity {value:.6g}; the policy requires "
                f"at least {floor:g}"
            ),
        )


_RESOLUTION = 1e-6
"""The solvers' resolution of affinities (SPEC: 1e-4 or finer)."""


# --------------------------------------------------------------------------------------
# evaluate


class Metrics(BaseModel):
    """Quality and balance figures of an assignment, as computed by :func:`evaluate`.

    Dictionaries of cases and reviewers follow the problem's order; dictionaries of regions
    and genders are sorted by key and hold every label of the reviewer pool (an empty region
    is the key ``""``, an undisclosed gender the key ``"undisclosed"``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    total_affinity: float
    """Sum of the affinities of every assigned pair."""
    objective: float
    """``total_affinity`` minus the policy's ``objective.load_spread`` times ``load_spread``,
    minus ``representation.weight`` times ``representation_outside``, minus
    ``prefers_not_cost``."""
    case_affinity: dict[str, float]
    """Case id -> its panel affinity (sum of its pairs' affinities), every case."""
    worst_case: float | None
    """The lowest panel affinity (``None`` if there are no cases)."""
    worst_cases: tuple[str, ...]
    """Ids of the cases at the lowest panel affinity (at most 10, problem order)."""
    mean_case: float | None
    """The mean panel affinity (``None`` if there are no cases)."""

    seats: int
    """Assigned (case, reviewer) pairs."""
    region_seats: dict[str, int]
    region_shares: dict[str, float]
    """Region -> its share of all seats (0 if there are no seats)."""
    region_pool_shares: dict[str, float]
    """Region -> its share of the reviewer pool."""
    gender_seats: dict[str, int]
    gender_shares: dict[str, float]
    gender_pool_shares: dict[str, float]

    loads: dict[str, int]
    """Reviewer id -> reviews, every reviewer (idle ones at 0)."""
    min_load: int
    max_load: int
    load_spread: int
    """``max_load - min_load`` over all reviewers (0 if there are none)."""
    mean_load: float
    idle_reviewers: int
    """Reviewers with no review."""

    coverage_rate: float
    """Covered (case, topic) pairs over all (case, topic) pairs (1.0 if there are none)."""
    covered_topics: int
    """Covered (case, topic) pairs: a panel member's level in the topic is at least the
    policy's ``expertise.min_level``."""
    fully_covered_cases: int
    """Cases with every topic covered (a case without topics counts as covered)."""

    senior_seats: int
    """Seats held by reviewers of seniority ``"senior"``."""

    review_cycles: dict[str, int] = {"2": 0, "3": 0}
    """Review cycles among reviewer-applicants by length, ``"2"`` and ``"3"``: ``A``
    reviews a case of applicant ``B`` while ``B`` reviews one of ``A`` (length 2), and so
    on round three reviewers (see ``integrity.forbid_cycles``). Each cycle of people counts
    once, however many cases its edges hold."""
    representation_outside: int = 0
    """Seats outside the bands of ``representation`` (0 when they are off): for each
    region, disclosed gender or attribute value, the seats by which it exceeds or falls
    short of its band. ``objective`` loses ``representation.weight`` per seat."""
    prefers_not_pairs: int = 0
    """Assigned pairs that the problem's ``prefers_not`` list names (a reviewer who would
    rather not review the case)."""
    prefers_not_cost: float = 0.0
    """Their cost, which ``objective`` loses: each row's ``weight``, else the policy's
    ``objective.prefers_not``."""
    attribute_shares: dict[str, dict[str, float]] = {}
    """User attribute -> value -> its share of all seats (a reviewer with several values
    counts for each, an unknown value for none), for every user attribute of a reviewer."""
    attribute_pool_shares: dict[str, dict[str, float]] = {}
    """User attribute -> value -> its share of the reviewer pool."""
    new_seats_share: float | None = None
    """With a history (``Problem.history``): the share of all seats held by *new*
    reviewers, who have no seat in the history within the policy's ``history.new_years``
    (every year when ``None``), as ``history.min_new_share`` counts them (0 without
    seats); ``None`` without a history."""

    def profile(self) -> tuple[float, ...]:
        """Every case's panel affinity, lowest first: what leximin maximises, in order.

        Examples
        --------
        >>> from reviewassign._data.model import Case, Problem, Reviewer
        >>> problem = Problem(cases=[Case(id="C1", topics={"t": 1}), Case(id="C2")],
        ...                   reviewers=[Reviewer(id="R1", expertise={"t": 3})])
        >>> evaluate(problem, {"C1": ["R1"], "C2": ["R1"]}).profile()
        (0.0, 1.0)
        """
        return tuple(sorted(self.case_affinity.values()))

    def summary(self) -> str:
        """Summarise the figures in a few plain lines, for a secretariat.

        Examples
        --------
        >>> from reviewassign._data.model import Case, Problem, Reviewer
        >>> problem = Problem(cases=[Case(id="C1", topics={"t": 1})],
        ...                   reviewers=[Reviewer(id="R1", gender="female", expertise={"t": 3}),
        ...                              Reviewer(id="R2", region="Asia")])
        >>> print(evaluate(problem, {"C1": ["R1"]}).summary())
        affinity: total 1.000, worst panel 1.000 (C1), mean panel 1.000; objective 1.000
        seats by region (share vs pool): (no region) 1 (100% vs 50%), Asia 0 (0% vs 50%)
        seats by gender (share vs pool): female 1 (100% vs 50%), undisclosed 0 (0% vs 50%)
        loads: 0 to 1 (mean 0.50); 1 idle reviewer
        coverage: 100.0% of case topics; 1 of 1 cases fully covered
        senior seats: 0 of 1
        """

        def shares(seats: dict[str, int], share: dict[str, float], pool: dict[str, float]) -> str:
            return ", ".join(
                f"{key or '(no region)'} {seats[key]} ({share[key]:.0%} vs {pool[key]:.0%})"
                for key in seats
            )

        if self.worst_case is None:
            affinity = f"affinity: total {self.total_affinity:.3f} (no cases)"
        else:
            worst = ", ".join(self.worst_cases)
            more = "..." if len(self.worst_cases) == 10 else ""
            affinity = (
                f"affinity: total {self.total_affinity:.3f}, worst panel {self.worst_case:.3f} "
                f"({worst}{more}), mean panel {self.mean_case:.3f}"
            )
        idle = _plural(self.idle_reviewers, "idle reviewer")
        cases = len(self.case_affinity)
        return "\n".join(
            [
                f"{affinity}; objective {self.objective:.3f}",
                "seats by region (share vs pool): "
                + shares(self.region_seats, self.region_shares, self.region_pool_shares),
                "seats by gender (share vs pool): "
                + shares(self.gender_seats, self.gender_shares, self.gender_pool_shares),
                f"loads: {self.min_load} to {self.max_load} (mean {self.mean_load:.2f}); {idle}",
                f"coverage: {self.coverage_rate:.1%} of case topics; "
                f"{self.fully_covered_cases} of {cases} cases fully covered",
                f"senior seats: {self.senior_seats} of {self.seats}",
                *self._more_lines(),
            ]
        )

    def _more_lines(self) -> list[str]:
        """The summary's lines of figures shown only when there is something to show."""
        lines = []
        if any(self.review_cycles.values()):
            lines.append(
                f"review cycles among reviewer-applicants: {self.review_cycles['2']} of "
                f"length 2, {self.review_cycles['3']} of length 3"
            )
        if self.prefers_not_pairs:
            lines.append(
                f"prefers-not pairs assigned: {self.prefers_not_pairs} (cost "
                f"{self.prefers_not_cost:.3f})"
            )
        lines.extend(
            f"seats by {name} (share vs pool): "
            + ", ".join(
                f"{x} {share:.0%} vs {self.attribute_pool_shares[name][x]:.0%}"
                for x, share in shares.items()
            )
            for name, shares in self.attribute_shares.items()
        )
        if self.new_seats_share is not None:
            lines.append(
                f"new reviewers (no seat in the history): {self.new_seats_share:.0%} of seats"
            )
        return lines


def _affinity(case: Case, reviewer: Reviewer) -> float:
    """SPEC.md's computed affinity: the weighted mean of the reviewer's levels / 3."""
    total_weight = sum(case.topics.values())
    if total_weight == 0:  # no topics, or only zero weights
        return 0.0
    # Divided once, by 3 x the total weight, as the model builder's matrix product does:
    # dividing each term by 3 first would round subnormal weights (5e-324) to 0.
    weighted = sum(w * reviewer.expertise.get(t, 0) for t, w in case.topics.items())
    return weighted / (3 * total_weight)


def pair_affinity(problem: Problem, case: Case, reviewer: Reviewer) -> float:
    """The affinity of a pair as the objective counts it: the given score, else computed."""
    score = problem.affinity.get(case.id, reviewer.id)
    return _affinity(case, reviewer) if score is None else score


def _shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Each key's share of the counts' total (all 0 when the total is 0)."""
    total = sum(counts.values())
    return {k: (n / total if total else 0.0) for k, n in counts.items()}


def _known_panels(
    problem: Problem, assignment: Mapping[str, Sequence[str]]
) -> dict[str, list[Reviewer]]:
    """Each case's panel; a ``ValueError`` if the assignment names an unknown id."""
    read = _read_panels(problem, assignment)
    unknown = [f"case {c}" for c in read.unknown_cases]
    unknown.extend(f"reviewer {r} (case {c})" for c, r in read.unknown_reviewers)
    if unknown:
        raise ValueError(
            "the assignment names ids that are not in the problem: " + ", ".join(unknown)
        )
    return read.panels


@dataclass(frozen=True, slots=True)
class _CaseAffinity:
    """The panel affinities of every case, and their total, lowest and mean."""

    case_affinity: dict[str, float]
    total: float
    worst: float | None
    worst_cases: tuple[str, ...]
    mean: float | None


def _case_affinity(problem: Problem, panels: Mapping[str, list[Reviewer]]) -> _CaseAffinity:
    """Affinity, panel by panel: each case's, the total, the worst cases and the mean."""
    case_affinity: dict[str, float] = {}
    for case in problem.cases:
        case_affinity[case.id] = math.fsum(pair_affinity(problem, case, r) for r in panels[case.id])
    total_affinity = math.fsum(case_affinity.values())
    worst: float | None = None
    worst_cases: tuple[str, ...] = ()
    mean_case: float | None = None
    if case_affinity:
        lowest = min(case_affinity.values())
        # Equal panels may sum in another order; 1e-9 is far below any meaningful difference.
        worst_cases = tuple(c for c, a in case_affinity.items() if a <= lowest + 1e-9)[:10]
        worst = lowest
        mean_case = total_affinity / len(case_affinity)
    return _CaseAffinity(case_affinity, total_affinity, worst, worst_cases, mean_case)


def _gender(r: Reviewer) -> str:
    """The reviewer's gender as :class:`Metrics` keys it (``"undisclosed"`` for the empty one)."""
    return r.gender if r.gender else UNDISCLOSED


def _seats_and_pool(
    reviewers: Sequence[Reviewer], seated: Sequence[Reviewer], label: Callable[[Reviewer], str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Seats and pool members by label, over every label of the pool, sorted by label."""
    seats = dict.fromkeys(sorted({label(r) for r in reviewers}), 0)
    pool = dict.fromkeys(seats, 0)
    for r in reviewers:
        pool[label(r)] += 1
    for r in seated:
        seats[label(r)] += 1
    return seats, pool


def _loads(reviewers: Sequence[Reviewer], seated: Sequence[Reviewer]) -> dict[str, int]:
    """Reviewer id -> reviews, every reviewer (idle ones at 0), in the problem's order."""
    loads = dict.fromkeys((r.id for r in reviewers), 0)
    for r in seated:
        loads[r.id] += 1
    return loads


def _coverage(
    problem: Problem, panels: Mapping[str, list[Reviewer]], level: int
) -> tuple[int, int, int]:
    """Topic coverage: (case, topic) pairs, those covered, and cases fully covered."""
    topic_pairs = covered_pairs = fully_covered = 0
    for case in problem.cases:
        covered = [t for t in case.topics if any(_covers(r, t, level) for r in panels[case.id])]
        topic_pairs += len(case.topics)
        covered_pairs += len(covered)
        fully_covered += len(covered) == len(case.topics)
    return topic_pairs, covered_pairs, fully_covered


def _prefers_not(
    problem: Problem, panels: Mapping[str, list[Reviewer]], policy: Policy
) -> tuple[int, float]:
    """The assigned prefers-not pairs and their cost (a pair listed twice costs twice)."""
    seated = {(case, r.id) for case, panel in panels.items() for r in panel}
    found: set[tuple[str, str]] = set()
    costs: list[float] = []
    for row in problem.prefers_not:
        if (row.case, row.reviewer) in seated:
            found.add((row.case, row.reviewer))
            costs.append(policy.objective.prefers_not if row.weight is None else row.weight)
    return len(found), math.fsum(costs)


def _attribute_shares(
    problem: Problem, seated: Sequence[Reviewer]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Per user attribute of the reviewers, each value's share of the seats and of the pool."""
    names = sorted({name for r in problem.reviewers for name in r.attributes})
    shares: dict[str, dict[str, float]] = {}
    pool: dict[str, dict[str, float]] = {}
    n, total = len(problem.reviewers), len(seated)
    for name in names:
        held = Counter(x for r in problem.reviewers for x in set(values(r, name)))
        seats = Counter(x for r in seated for x in set(values(r, name)))
        shares[name] = {x: (seats[x] / total if total else 0.0) for x in sorted(held)}
        pool[name] = {x: held[x] / n for x in sorted(held)}
    return shares, pool


def _new_seats_share(problem: Problem, seated: Sequence[Reviewer], policy: Policy) -> float | None:
    """The share of seats held by reviewers without a history seat within ``new_years``."""
    if not problem.history:
        return None
    seen = {who for _, _, who in _past_seats(problem, policy, policy.history.new_years)}
    return sum(1 for r in seated if r.id not in seen) / len(seated) if seated else 0.0


def evaluate(
    problem: Problem, assignment: Mapping[str, Sequence[str]], policy: Policy | None = None
) -> Metrics:
    """Quality and balance figures of an assignment, valid or not.

    Parameters
    ----------
    problem
        The cases and reviewers.
    assignment
        Case id -> reviewer ids. A case missing from the mapping has an empty panel; a
        reviewer listed twice on a panel counts once.
    policy
        Supplies only ``expertise.min_level`` (what covering a topic means),
        ``objective.load_spread``, ``objective.prefers_not`` and ``representation``
        (for ``objective``, ``prefers_not_cost`` and ``representation_outside``) and
        ``history.year`` and ``history.new_years`` (for ``new_seats_share``);
        ``None`` means ``Policy()``.

    Returns
    -------
    Metrics

    Raises
    ------
    ValueError
        If the assignment names a case or reviewer that is not in the problem: the figures
        of such an assignment are undefined (:func:`check` reports them as violations).

    Examples
    --------
    >>> from reviewassign._data.model import Affinity, Case, Problem, Reviewer
    >>> problem = Problem(
    ...     cases=[Case(id="C1", topics={"t1": 1, "t2": 2}), Case(id="C2")],
    ...     reviewers=[Reviewer(id="R1", expertise={"t1": 3, "t2": 3}),
    ...                Reviewer(id="R2", expertise={"t2": 3}),
    ...                Reviewer(id="R3")],
    ...     affinity=[Affinity(case="C2", reviewer="R3", score=0.25)],
    ... )
    >>> m = evaluate(problem, {"C1": ["R1", "R2"], "C2": ["R3"]})
    >>> {c: round(a, 4) for c, a in m.case_affinity.items()}  # R1 1, R2 (0 + 2*3/3) / 3
    {'C1': 1.6667, 'C2': 0.25}
    >>> m.worst_case, m.worst_cases, m.loads, m.load_spread
    (0.25, ('C2',), {'R1': 1, 'R2': 1, 'R3': 1}, 0)
    """
    policy = Policy.coerce(policy)
    panels = _known_panels(problem, assignment)
    affinity = _case_affinity(problem, panels)
    # Seats and their balance against the pool.
    seated = [r for panel in panels.values() for r in panel]
    region_seats, region_pool = _seats_and_pool(problem.reviewers, seated, lambda r: r.region)
    gender_seats, gender_pool = _seats_and_pool(problem.reviewers, seated, _gender)
    loads = _loads(problem.reviewers, seated)
    load_values = list(loads.values()) or [0]
    topic_pairs, covered_pairs, fully_covered = _coverage(
        problem, panels, policy.expertise.min_level
    )
    load_spread = max(load_values) - min(load_values)
    outside = sum(band.outside_seats for band in _bands(problem, panels, policy))
    lengths = Counter(len(cycle) for cycle in _review_cycles(problem, panels, 3))
    prefers_not, cost = _prefers_not(problem, panels, policy)
    attribute_shares, attribute_pool_shares = _attribute_shares(problem, seated)
    return Metrics(
        total_affinity=affinity.total,
        objective=affinity.total
        - policy.objective.load_spread * load_spread
        - policy.representation.weight * outside
        - cost,
        case_affinity=affinity.case_affinity,
        worst_case=affinity.worst,
        worst_cases=affinity.worst_cases,
        mean_case=affinity.mean,
        seats=len(seated),
        region_seats=region_seats,
        region_shares=_shares(region_seats),
        region_pool_shares=_shares(region_pool),
        gender_seats=gender_seats,
        gender_shares=_shares(gender_seats),
        gender_pool_shares=_shares(gender_pool),
        loads=loads,
        min_load=min(load_values),
        max_load=max(load_values),
        load_spread=load_spread,
        mean_load=len(seated) / len(loads) if loads else 0.0,
        idle_reviewers=sum(1 for n in loads.values() if n == 0),
        coverage_rate=covered_pairs / topic_pairs if topic_pairs else 1.0,
        covered_topics=covered_pairs,
        fully_covered_cases=fully_covered,
        senior_seats=sum(1 for r in seated if r.seniority == "senior"),
        review_cycles={str(n): lengths[n] for n in (2, 3)},
        representation_outside=outside,
        prefers_not_pairs=prefers_not,
        prefers_not_cost=cost,
        attribute_shares=attribute_shares,
        attribute_pool_shares=attribute_pool_shares,
        new_seats_share=_new_seats_share(problem, seated, policy),
    )
