"""Where each hard rule binds on an assignment: the audit report's "binds" and "where".

A rule binds where the assignment sits at its limit: the panels at the region cap, the
reviewers at their maximum load, the pairs a single-pair rule excludes. Like
:func:`~reviewassign._spec.check.check`, this reads only the data model, the policy, the
rule registry and ``check``'s pair affinity, and shares no code with the model builders.
It names the ids where a rule binds, the first :data:`SHOWN` in problem order.

:data:`MEASURES` has one measure per rule of the registry (``_data.rules``), keyed by the
rule's key, except the assignment's own consistency (unknown ids, duplicates), which binds
nowhere. ``tests/test_registry.py`` holds the table to that.

Choices made here:

- :func:`binding` leaves out a rule the policy turns off. ``load.min`` is on under every
  policy (a reviewer's own minimum may set it), so its measure leaves itself out when no
  reviewer has a minimum. The representation bands are measured while their tolerance is
  below 1, also with a weight: they are objective terms then, off as rules, and the
  report still shows how close the seats come to their edges.
- The conflicts of interest are found by ``_reduce.conflicts``, a layer above this one.
  The caller counts them by reason into :class:`Assigned`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .._data.model import Case, Problem, Reviewer, values
from .._data.policy import SHARE_EPS, WEAK_EPS, AttributeRule, Policy
from .._data.rules import region_cap, rule
from .check import entry_applies, pair_affinity, seat_counts

__all__ = [
    "MEASURES",
    "SHOWN",
    "Assigned",
    "Band",
    "Binds",
    "assigned",
    "bands",
    "binding",
    "panel_sizes",
    "panels",
]

SHOWN = 10
"""Case or reviewer ids listed where a rule binds (the first, in problem order)."""

Panels = Mapping[str, list[Reviewer]]
"""Each case's panel: the reviewers of the problem the assignment seats on it."""


@dataclass(frozen=True, slots=True)
class Binds:
    """Whether a rule binds on an assignment, and where, in words."""

    binds: bool
    where: str


@dataclass(frozen=True, slots=True)
class Assigned:
    """An assignment as the measures read it: panels of known reviewers, loads, conflicts."""

    problem: Problem
    policy: Policy
    assignment: Mapping[str, Sequence[str]]
    panels: Panels
    loads: Mapping[str, int]
    """Reviews per reviewer id, as listed (unknown ids and cases included)."""
    conflicts: Mapping[str, int]
    """Conflicted pairs by reason (a pair with several reasons counts under each)."""
    forced: Sequence[tuple[str, str]] = ()
    """The forced pairs of the solve (``solve(..., forced=...)``)."""


Measure = Callable[[Assigned], Binds | None]
"""The measure of one rule: whether and where it binds; None leaves the rule out."""


def panels(problem: Problem, assignment: Mapping[str, Sequence[str]]) -> dict[str, list[Reviewer]]:
    """Each case's panel of known reviewers (an unknown case or reviewer takes no place)."""
    out: dict[str, list[Reviewer]] = {c.id: [] for c in problem.cases}
    by_id = {r.id: r for r in problem.reviewers}
    for case, panel in assignment.items():
        if case in out:
            out[case] = [by_id[r] for r in panel if r in by_id]
    return out


def assigned(
    problem: Problem,
    policy: Policy,
    assignment: Mapping[str, Sequence[str]],
    conflicts: Mapping[str, int],
    forced: Sequence[tuple[str, str]] = (),
) -> Assigned:
    """The record the measures read, with ``conflicts`` counted by reason by the caller."""
    loads = Counter(r for panel in assignment.values() for r in panel)
    seated = panels(problem, assignment)
    return Assigned(problem, policy, assignment, seated, loads, conflicts, tuple(forced))


def binding(key: str, a: Assigned) -> Binds | None:
    """Whether and where the rule ``key`` binds on ``a``; None when it is left out."""
    if not rule(key).on(a.policy) and key not in _MEASURED_OFF:
        return None
    return MEASURES[key](a)


# ----------------------------------------------------------------------- words


def _ids(ids: Sequence[str]) -> str:
    """The first ids, joined, and how many more there are."""
    shown = ", ".join(ids[:SHOWN])
    more = len(ids) - SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _n(count: int, word: str) -> str:
    """``count word``, with an s unless ``count`` is 1."""
    return f"{count} {word if count == 1 else word + 's'}"


def _at(count: int, total: int, noun: str, what: str, ids: Sequence[str]) -> Binds:
    """The binding of a rule met exactly by ``count`` of ``total`` ``noun``s."""
    if not count:
        return Binds(False, f"no {noun} is {what}")
    return Binds(True, f"{count} of {_n(total, noun)} {what}: {_ids(ids)}")


def _tight(a: Assigned, what: str, hit: Callable[[Case, list[Reviewer]], bool]) -> Binds:
    """The binding of a rule that binds on the panels where ``hit`` holds."""
    cases = a.problem.cases
    ids = [c.id for c in cases if hit(c, a.panels[c.id])]
    return _at(len(ids), len(cases), "panel", what, ids)


def _excluded(count: int) -> Binds:
    """The binding of a single-pair rule that excluded ``count`` pairs."""
    return Binds(bool(count), f"{_n(count, 'case-reviewer pair')} excluded")


# ----------------------------------------------------------------------- sizes and loads


def panel_sizes(problem: Problem, policy: Policy) -> Counter[int]:
    """How many cases have each panel size (a case's own size, else the policy's)."""
    return Counter(
        policy.panel_size if c.panel_size is None else c.panel_size for c in problem.cases
    )


def _panel_size(a: Assigned) -> Binds:
    """``panel_size``: always binds; where: how many panels of each size."""
    sizes = panel_sizes(a.problem, a.policy)
    words = ", ".join(f"{_n(n, 'panel')} of {k}" for k, n in sorted(sizes.items()))
    return Binds(True, words or "no case")


def _max_load(r: Reviewer, policy: Policy) -> int:
    """The reviewer's maximum load: their own, else ``load.max``."""
    return policy.load.max if r.max_load is None else r.max_load


def _min_load(r: Reviewer, policy: Policy) -> int:
    """The reviewer's minimum load: their own, else ``load.min``."""
    return policy.load.min if r.min_load is None else r.min_load


def _load_max(a: Assigned) -> Binds:
    """``load.max``: the reviewers at their maximum load."""
    reviewers = a.problem.reviewers
    ids = [r.id for r in reviewers if a.loads.get(r.id, 0) == _max_load(r, a.policy)]
    return _at(len(ids), len(reviewers), "reviewer", "at their maximum load", ids)


def _load_min(a: Assigned) -> Binds | None:
    """``load.min``: the reviewers at their minimum load; None when no one has a minimum."""
    reviewers = a.problem.reviewers
    lows = {r.id: _min_load(r, a.policy) for r in reviewers}
    if not any(lows.values()):
        return None
    ids = [r.id for r in reviewers if lows[r.id] and a.loads.get(r.id, 0) == lows[r.id]]
    return _at(len(ids), len(reviewers), "reviewer", "at their minimum load", ids)


def _weak_matches(a: Assigned) -> Binds:
    """``load.max_weak_matches``: the reviewers at the cap of weak matches."""
    problem, load = a.problem, a.policy.load
    cases = {c.id: c for c in problem.cases}
    by_id = {r.id: r for r in problem.reviewers}
    weak: Counter[str] = Counter()
    for case, panel in a.assignment.items():
        for r in panel:
            known = r in by_id and case in cases
            if (
                known
                and pair_affinity(problem, cases[case], by_id[r]) < load.weak_match_below - WEAK_EPS
            ):
                weak[r] += 1
    ids = [r.id for r in problem.reviewers if weak[r.id] == load.max_weak_matches]
    return _at(len(ids), len(problem.reviewers), "reviewer", "at the cap", ids)


# ----------------------------------------------------------------------- conflicts


def _conflict(reason: str) -> Measure:
    """The measure of the conflict rule whose pairs carry ``reason``: the pairs avoided."""

    def avoided(a: Assigned) -> Binds:
        """The conflicted pairs of this reason, none of which may be assigned."""
        n = a.conflicts.get(reason, 0)
        return Binds(bool(n), f"{_n(n, 'pair')} avoided")

    return avoided


# ----------------------------------------------------------------------- panels


def _regions(panel: list[Reviewer]) -> Counter[str]:
    """A panel's seats by region."""
    return Counter(r.region for r in panel)


def _genders(panel: list[Reviewer]) -> Counter[str]:
    """A panel's seats by disclosed gender."""
    return Counter(r.gender for r in panel if r.gender)


def _region_cap(a: Assigned) -> Binds:
    """``panel.max_per_region``: the panels at the cap."""
    cap = region_cap(a.policy)
    return _tight(
        a, "at the cap", lambda c, panel: bool(panel) and max(_regions(panel).values()) == cap
    )


def _min_regions(a: Assigned) -> Binds:
    """``panel.min_regions``: the panels at the minimum."""
    low = a.policy.panel.min_regions
    return _tight(a, "exactly at the minimum", lambda c, panel: len(_regions(panel)) == low)


def _own_region(a: Assigned) -> Binds:
    """``panel.own_region``: the pairs excluded, or the panels with exactly one."""
    if a.policy.panel.own_region == "exclude":
        cases, reviewers = a.problem.cases, a.problem.reviewers
        return _excluded(sum(1 for c in cases for r in reviewers if r.region == c.region))
    return _tight(
        a, "with exactly one", lambda c, panel: sum(r.region == c.region for r in panel) == 1
    )


def _gender_cap(a: Assigned) -> Binds:
    """``panel.max_per_gender``: the panels at the cap."""
    cap = a.policy.panel.max_per_gender
    return _tight(a, "at the cap", lambda c, panel: max(_genders(panel).values(), default=0) == cap)


def _min_genders(a: Assigned) -> Binds:
    """``panel.min_genders``: the panels at the minimum."""
    low = a.policy.panel.min_genders
    return _tight(a, "exactly at the minimum", lambda c, panel: len(_genders(panel)) == low)


def _min_senior(a: Assigned) -> Binds:
    """``panel.min_senior``: the panels at the minimum."""
    low = a.policy.panel.min_senior
    return _tight(
        a,
        "exactly at the minimum",
        lambda c, panel: sum(r.seniority == "senior" for r in panel) == low,
    )


def _language(a: Assigned) -> Binds:
    """``panel.language``: the pairs it excludes."""
    return _excluded(
        sum(
            1
            for c in a.problem.cases
            if c.language
            for r in a.problem.reviewers
            if c.language not in r.languages
        )
    )


def _coverage(a: Assigned) -> Binds:
    """``expertise.coverage``: the panels where one member alone covers."""
    e = a.policy.expertise
    level = e.min_level

    def sole(c: Case, panel: list[Reviewer]) -> bool:
        """Whether one member alone covers a topic (``all``) or the case (``any``)."""
        counts = [sum(r.expertise.get(t, 0) >= level for r in panel) for t in c.topics]
        if e.coverage == "all":
            return 1 in counts
        return sum(1 for r in panel if any(r.expertise.get(t, 0) >= level for t in c.topics)) == 1

    return _tight(a, "covered by one member only", sole)


def _panel_floor(a: Assigned) -> Binds:
    """``expertise.min_panel_affinity``: the panels at the floor."""
    floor = a.policy.expertise.min_panel_affinity
    problem = a.problem
    return _tight(
        a,
        "at the floor (within 1e-6 a seat)",
        lambda c, panel: (
            sum(pair_affinity(problem, c, r) for r in panel) <= floor + 1e-6 * max(len(panel), 1)
        ),
    )


def _entry_at_bound(entry: AttributeRule, case: Case, panel: list[Reviewer]) -> bool:
    """Whether one ``[[panel.rules]]`` entry sits at its bound on a panel it applies to."""
    if entry.min_distinct is not None:
        return len({x for r in panel for x in values(r, entry.attribute)}) == entry.min_distinct
    if entry.max_per_value is not None:
        per = Counter(x for r in panel for x in set(values(r, entry.attribute)))
        return max(per.values(), default=0) == entry.max_per_value
    count = sum(1 for r in panel if seat_counts(entry, r, case))
    return count in (entry.at_least, entry.at_most)


def _panel_rules(a: Assigned) -> Binds:
    """``panel.rules``: per entry, the pairs it excludes, or the panels at its bound."""
    parts: list[str] = []
    binds = False
    cases, reviewers = a.problem.cases, a.problem.reviewers
    for entry in a.policy.panel.rules:
        applies = [c for c in cases if entry_applies(entry, c)]
        if entry.at_most == 0 and entry.at_least is None:
            found = _excluded(
                sum(1 for c in applies for r in reviewers if seat_counts(entry, r, c))
            )
        else:
            ids = [c.id for c in applies if _entry_at_bound(entry, c, a.panels[c.id])]
            found = _at(len(ids), len(applies), "panel", "at the bound", ids)
        binds = binds or found.binds
        parts.append(f'"{entry.name}": {found.where}')
    return Binds(binds, "; ".join(parts))


# ----------------------------------------------------------------------- the whole


@dataclass(frozen=True, slots=True)
class Band:
    """One representation band that is on: its label's seats against its target share."""

    kind: Literal["region", "gender"]
    label: str
    seats: int
    """The seats of reviewers with this label."""
    total: int
    """Every seat of the assignment (of known reviewers)."""
    target: float
    """The label's share of the pool, or its target."""
    tolerance: float


def bands(problem: Problem, policy: Policy, panels: Panels) -> list[Band]:
    """Every representation band whose tolerance is below 1 (hard or soft), by kind and label."""
    rep = policy.representation
    seated = [r for panel in panels.values() for r in panel]
    n = len(problem.reviewers)
    kinds: tuple[tuple[Literal["region", "gender"], float, Mapping[str, float]], ...] = (
        ("region", rep.region_tolerance, rep.region_targets),
        ("gender", rep.gender_tolerance, rep.gender_targets),
    )
    out: list[Band] = []
    for kind, tolerance, targets in kinds:
        if tolerance >= 1 or not n:
            continue
        pool = Counter(getattr(r, kind) for r in problem.reviewers)
        seats = Counter(getattr(r, kind) for r in seated)
        labels = (set(pool) | set(targets)) - ({""} if kind == "gender" else set())
        for label in sorted(labels):
            target = targets.get(label, pool[label] / n)
            out.append(Band(kind, label, seats[label], len(seated), target, tolerance))
    return out


def _band(kind: Literal["region", "gender"]) -> Measure:
    """The measure of the ``kind`` bands: the labels whose seats sit at an edge of the band."""

    def edges(a: Assigned) -> Binds | None:
        """The labels at an edge; None when the band's tolerance is 1 (no band)."""
        rep = a.policy.representation
        if (rep.region_tolerance if kind == "region" else rep.gender_tolerance) >= 1:
            return None
        found = []
        for b in bands(a.problem, a.policy, a.panels):
            if b.kind != kind or not b.total:
                continue
            top = math.floor(b.total * (b.target + b.tolerance + SHARE_EPS))
            bottom = math.ceil(b.total * (b.target - b.tolerance - SHARE_EPS))
            if b.seats in (top, bottom):
                found.append(b.label or "no region")
        if not found:
            return Binds(False, "every share inside")
        return Binds(True, f"at the edge of the band: {_ids(found)}")

    return edges


def _attribute_bands(a: Assigned) -> Binds | None:
    """``representation.bands``: the values whose seats sit at an edge of their band."""
    seated = [r for panel in a.panels.values() for r in panel]
    n, total = len(a.problem.reviewers), len(seated)
    if not a.policy.representation.bands or not n:
        return None
    found = []
    for band in a.policy.representation.bands:
        pool = Counter(x for r in a.problem.reviewers for x in set(values(r, band.attribute)))
        seats = Counter(x for r in seated for x in set(values(r, band.attribute)))
        for label in sorted(set(pool) | set(band.targets)):
            target = band.targets.get(label, pool[label] / n)
            top = math.floor(total * (target + band.tolerance + SHARE_EPS))
            bottom = math.ceil(total * (target - band.tolerance - SHARE_EPS))
            if total and seats[label] in (top, bottom):
                found.append(f"{band.attribute} {label}")
    if not found:
        return Binds(False, "every share inside")
    return Binds(True, f"at the edge of the band: {_ids(found)}")


def _cycles(a: Assigned) -> Binds:
    """``integrity.forbid_cycles``: the reviewers who are also applicants."""
    applicants = {x for case in a.problem.cases for x in case.applicants}
    both = sum(1 for r in a.problem.reviewers if r.id in applicants)
    return Binds(bool(both), f"{_n(both, 'reviewer')} also applicant")


def _forced(a: Assigned) -> Binds | None:
    """``pairs.forced``: every forced pair binds (None without forced pairs)."""
    if not a.forced:
        return None
    shown = [f"({c}, {r})" for c, r in a.forced]
    return Binds(True, f"{_n(len(shown), 'forced pair')}: {_ids(shown)}")


def _disjoint(a: Assigned) -> Binds | None:
    """``pairs.disjoint``: the panels seating one of a disjoint pair (None: none listed)."""
    pairs = a.problem.disjoint
    if not pairs:
        return None

    def one_of(case: Case, panel: list[Reviewer]) -> bool:
        seated = {r.id for r in panel}
        return any((d.a in seated) != (d.b in seated) for d in pairs)

    found = _tight(a, "seat one reviewer of a disjoint pair", one_of)
    return Binds(found.binds, f"{_n(len(pairs), 'disjoint pair')}; {found.where}")


def _linked(a: Assigned) -> Binds | None:
    """``pairs.linked``: the groups whose panels share exactly what they must (None: none)."""
    groups = a.problem.linked
    if not groups:
        return None
    tight = []
    for group in groups:
        seats = [{r.id for r in a.panels.get(c, [])} for c in group.cases]
        common = [len(x & y) for i, x in enumerate(seats) for y in seats[i + 1 :]]
        if group.shared is None or (common and min(common) == group.shared):
            tight.append("+".join(group.cases))
    return _at(len(tight), len(groups), "linked group", "at its shared count", tight)


# ----------------------------------------------------------------------- history


def _recent(a: Assigned, years: int | None) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """The history's seats ``(year, case, reviewer, institutions)`` within ``years``."""
    seats = [(s.year, s.case, s.reviewer, s.institution) for s in a.problem.history]
    if years is None or not seats:
        return seats
    year = a.policy.history.year
    if year is None:
        year = max(seat[0] for seat in seats) + 1
    return [seat for seat in seats if seat[0] >= year - years]


def _institution_years(a: Assigned) -> Binds:
    """``history.institution_years``: the case-reviewer pairs a past institution excludes."""
    past: dict[str, set[str]] = {}
    for _, _, who, names in _recent(a, a.policy.history.institution_years):
        past.setdefault(who, set()).update(names)
    return _excluded(
        sum(
            1
            for c in a.problem.cases
            for r in a.problem.reviewers
            if past.get(r.id, set()) & set(c.institution)
        )
    )


def _min_new_share(a: Assigned) -> Binds:
    """``history.min_new_share``: the panels exactly at the minimum of new reviewers."""
    h, size = a.policy.history, a.policy.panel_size
    seen = {who for _, _, who, _ in _recent(a, h.new_years)}

    def at(c: Case, panel: list[Reviewer]) -> bool:
        """Whether the panel holds exactly its minimum of new reviewers."""
        need = math.ceil(
            h.min_new_share * (size if c.panel_size is None else c.panel_size) - SHARE_EPS
        )
        return sum(r.id not in seen for r in panel) == need

    return _tight(a, "exactly at the minimum", at)


def _max_repeat_pairs(a: Assigned) -> Binds:
    """``history.max_repeat_pairs``: the past pairs of current reviewers at the cap."""
    k = a.policy.history.max_repeat_pairs or 0
    current = {r.id for r in a.problem.reviewers}
    panels_of: dict[tuple[int, str], set[str]] = {}
    for year, case, who, _ in _recent(a, a.policy.history.pair_years):
        if who in current:
            panels_of.setdefault((year, case), set()).add(who)
    past = {(x, y) for ids in panels_of.values() for x in ids for y in ids if x < y}
    together: Counter[tuple[str, str]] = Counter()
    for panel in a.panels.values():
        ids = sorted(r.id for r in panel)
        together.update((x, y) for i, x in enumerate(ids) for y in ids[i + 1 :] if (x, y) in past)
    if k == 0:
        return Binds(bool(past), f"{_n(len(past), 'past pair')} kept apart")
    at_cap = sorted(f"{x} and {y}" for (x, y), n in together.items() if n == k)
    return _at(len(at_cap), len(past), "past pair", "at the cap", at_cap)


MEASURES: Mapping[str, Measure] = {
    "panel_size": _panel_size,
    "load.min": _load_min,
    "load.max": _load_max,
    "load.max_weak_matches": _weak_matches,
    "conflicts.declared": _conflict("declared"),
    "conflicts.same_institution": _conflict("same_institution"),
    "conflicts.same_country": _conflict("same_country"),
    "conflicts.relation_distance": _conflict("relation"),
    "conflicts.applicant": _conflict("applicant"),
    "panel.max_per_region": _region_cap,
    "panel.min_regions": _min_regions,
    "panel.own_region": _own_region,
    "panel.max_per_gender": _gender_cap,
    "panel.min_genders": _min_genders,
    "panel.min_senior": _min_senior,
    "panel.language": _language,
    "panel.rules": _panel_rules,
    "expertise.coverage": _coverage,
    "expertise.min_panel_affinity": _panel_floor,
    "representation.region_tolerance": _band("region"),
    "representation.gender_tolerance": _band("gender"),
    "representation.bands": _attribute_bands,
    "integrity.forbid_cycles": _cycles,
    "pairs.forced": _forced,
    "pairs.disjoint": _disjoint,
    "pairs.linked": _linked,
    "history.institution_years": _institution_years,
    "history.min_new_share": _min_new_share,
    "history.max_repeat_pairs": _max_repeat_pairs,
}
"""Each rule's measure, by registry key, in check order (the assignment's rules bind nowhere)."""

_MEASURED_OFF = frozenset(
    {
        "representation.region_tolerance",
        "representation.gender_tolerance",
        "representation.bands",
    }
)
"""Rules measured also while off: the bands, which a weight makes objective terms."""
