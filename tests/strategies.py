"""Hypothesis strategies for reviewassign: problems, policies and their transformations.

Instances are small (4 to 12 cases, 5 to 14 reviewers) so that every solve finishes in
well under a second with one CP-SAT worker, but every attribute a policy rule reads varies:
regions (the five UNESCO regions), countries, shared institutions, genders (with
undisclosed ones), seniority, languages, weighted topics, expertise levels, applicants
(some of them reviewers), a relation graph, declared conflicts, given affinities and
per-case and per-reviewer overrides.

The test modules import this file as ``strategies`` (pytest's default ``prepend`` import
mode puts ``tests/`` on ``sys.path``; ``tests`` is not a package).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

import reviewassign as ra
from reviewassign._data.model import look_alike_key

__all__ = [
    "COUNTRIES",
    "REGIONS",
    "flow_policies",
    "policies",
    "problems",
    "relabellings",
    "relaxations",
]

REGIONS = (
    "Africa",
    "Arab States",
    "Asia and the Pacific",
    "Europe and North America",
    "Latin America and the Caribbean",
)
COUNTRIES = {
    "Africa": ("KE", "NG", "ZA"),
    "Arab States": ("EG", "JO"),
    "Asia and the Pacific": ("IN", "JP", "AU"),
    "Europe and North America": ("DE", "CA"),
    "Latin America and the Caribbean": ("BR", "MX"),
}
TOPICS = tuple(f"t{i}" for i in range(6))
PERSONS = tuple(f"P{i:02d}" for i in range(10))
REASONS = ("declared", "former colleague, 2019", 'said "friend"', "coauthor")
RELATION_KINDS = ("coauthor", "colleague", "supervisor", "")


def _institutions(country: str) -> tuple[str, ...]:
    # Two institutions per country: cases and reviewers of one country share them often,
    # so same-institution conflicts occur in most problems.
    return (f"{country}-U1", f"{country}-U2")


@st.composite
def _region(draw: st.DrawFn) -> str:
    # Mostly the five region names; rarely the empty label, which check() treats as a
    # region of its own.
    return draw(st.sampled_from((*REGIONS, *REGIONS, *REGIONS, "")))


@st.composite
def _country(draw: st.DrawFn, region: str) -> str:
    if not region:
        return ""
    return draw(st.sampled_from(COUNTRIES[region]))


@st.composite
def _case(draw: st.DrawFn, case_id: str, reviewer_ids: list[str], sizes: bool) -> ra.Case:
    region = draw(_region())
    country = draw(_country(region))
    pool = _institutions(country) if country else ()
    institutions: tuple[str, ...] = ()
    if pool and draw(st.integers(0, 3)) != 0:  # mostly a home institution
        institutions = (draw(st.sampled_from(pool)),)
    if draw(st.integers(0, 4)) == 0:  # now and then a joint application
        other = draw(st.sampled_from(sorted(COUNTRIES)))
        extra = draw(st.sampled_from(_institutions(draw(st.sampled_from(COUNTRIES[other])))))
        if extra not in institutions:
            institutions = (*institutions, extra)
    weight = st.one_of(
        st.sampled_from((1.0, 1.0, 1.0, 2.0, 0.5, 0.0)),
        st.floats(0, 3, allow_nan=False, allow_infinity=False),
    )
    topics = draw(st.dictionaries(st.sampled_from(TOPICS), weight, min_size=0, max_size=3))
    language = draw(st.sampled_from(("en",) * 6 + ("fr", "es", "")))
    people = list(PERSONS) + reviewer_ids[:2]  # some applicants are reviewers
    applicants = draw(st.lists(st.sampled_from(people), max_size=2, unique=True))
    panel_size = draw(st.sampled_from((None, None, 1, 2, 3))) if sizes else None
    return ra.Case(
        id=case_id,
        region=region,
        country=country,
        institution=institutions,
        topics=topics,
        language=language,
        applicants=tuple(applicants),
        panel_size=panel_size,
    )


@st.composite
def _reviewer(draw: st.DrawFn, reviewer_id: str, loads: bool) -> ra.Reviewer:
    region = draw(_region())
    country = draw(_country(region))
    institution = draw(st.sampled_from(_institutions(country))) if country else ""
    if draw(st.integers(0, 6)) == 0:
        institution = ""
    languages = ["en"] if draw(st.integers(0, 7)) else []
    languages += draw(st.lists(st.sampled_from(("fr", "es")), max_size=2, unique=True))
    expertise = draw(
        st.dictionaries(st.sampled_from(TOPICS), st.integers(1, 3), min_size=0, max_size=4)
    )
    min_load = max_load = None
    if loads and draw(st.integers(0, 2)) == 0:
        max_load = draw(st.integers(1, 6))
        min_load = draw(st.sampled_from((None, 0, 1, min(2, max_load))))
    elif loads and draw(st.integers(0, 4)) == 0:
        min_load = draw(st.integers(0, 2))  # may exceed the policy's load.max: infeasible
    return ra.Reviewer(
        id=reviewer_id,
        region=region,
        country=country,
        institution=institution,
        gender=draw(st.sampled_from(("female", "male", "female", "male", ""))),
        seniority=draw(st.sampled_from(("senior", "junior", ""))),
        expertise=expertise,
        languages=tuple(languages),
        min_load=min_load,
        max_load=max_load,
    )


@st.composite
def problems(
    draw: st.DrawFn,
    min_cases: int = 4,
    max_cases: int = 12,
    min_reviewers: int = 5,
    max_reviewers: int = 14,
) -> ra.Problem:
    """A small but non-trivial problem that exercises every attribute a rule reads."""
    n_cases = draw(st.integers(min_cases, max_cases))
    # Few reviewers for many cases is mostly infeasible: keep enough for most policies.
    n_reviewers = draw(
        st.integers(max(min_reviewers, min(max_reviewers, n_cases // 2 + 3)), max_reviewers)
    )
    # Ids are not in problem order, so that no code can rely on sorted ids.
    case_ids = draw(st.permutations([f"C{i:02d}" for i in range(n_cases)]))
    reviewer_ids = draw(st.permutations([f"R{i:02d}" for i in range(n_reviewers)]))
    # Per-case panel sizes and per-reviewer loads in some problems, not in all.
    sizes, loads = draw(st.integers(0, 3)) == 0, draw(st.integers(0, 2)) == 0
    reviewers = [draw(_reviewer(rid, loads)) for rid in reviewer_ids]
    cases = [draw(_case(cid, reviewer_ids, sizes)) for cid in case_ids]

    people = sorted(set(reviewer_ids) | {p for c in cases for p in c.applicants})
    edges = draw(
        st.lists(
            st.tuples(st.sampled_from(people), st.sampled_from(people)).filter(
                lambda e: e[0] != e[1]
            ),
            max_size=8,
            unique_by=lambda e: frozenset(e),
        )
    )
    relations = [
        ra.Relation(a=a, b=b, kind=draw(st.sampled_from(RELATION_KINDS))) for a, b in edges
    ]
    pairs = st.tuples(st.sampled_from(case_ids), st.sampled_from(reviewer_ids))
    declared = draw(st.lists(pairs, max_size=4, unique=True))
    conflicts = [
        ra.Conflict(case=c, reviewer=r, reason=draw(st.sampled_from(REASONS))) for c, r in declared
    ]
    affinity: list[ra.Affinity] = []
    if draw(st.integers(0, 2)) == 0:
        score = st.floats(-1, 2, allow_nan=False, allow_infinity=False)
        if draw(st.booleans()):  # a full score matrix, as from a conference system
            given = [(c, r) for c in case_ids for r in reviewer_ids]
        else:
            given = draw(st.lists(pairs, min_size=1, max_size=20, unique=True))
        affinity = [ra.Affinity(case=c, reviewer=r, score=draw(score)) for c, r in given]
    return ra.Problem(
        cases=cases,
        reviewers=reviewers,
        conflicts=conflicts,
        relations=relations,
        affinity=affinity,
    )


def _rule(draw: st.DrawFn, value: st.SearchStrategy[Any], off: Any, odds: int = 3) -> Any:
    """``off`` with probability ``odds / (odds + 1)``, else a drawn value: most rules are off."""
    return draw(value) if draw(st.integers(0, odds)) == 0 else off


@st.composite
def policies(draw: st.DrawFn) -> ra.Policy:
    """A random policy over every key of SPEC.md, each panel rule on or off."""
    # Mostly room enough for every seat; now and then tight (load.max 2) or a floor.
    load_max = draw(st.sampled_from((2, 4, 5, 6, 6, 6, 8, 10)))
    load_min = draw(st.sampled_from((0,) * 8 + (1, 2)))
    size = draw(st.integers(1, 3))
    panel: dict[str, Any] = {
        "max_per_region": _rule(draw, st.integers(1, 2), None),
        # Mostly no more distinct regions or genders than seats (more is a sure infeasibility).
        "min_regions": _rule(draw, st.integers(1, max(size, 1 + (size == 3))), 0),
        "own_region": draw(st.sampled_from(("any",) * 4 + ("exclude", "at_least_one"))),
        "max_per_gender": _rule(draw, st.integers(1, 2), None),
        "min_genders": _rule(draw, st.integers(1, min(size, 2)), 0),
        "min_senior": _rule(draw, st.just(1), 0, odds=4),
        "language": draw(st.booleans()),
    }
    return ra.Policy(
        panel_size=size,
        load={"min": min(load_min, load_max), "max": load_max},
        conflicts={
            "same_institution": draw(st.sampled_from((True, True, False))),
            "same_country": draw(st.sampled_from((False, False, True))),
            "relation_distance": draw(st.integers(0, 2)),
        },
        panel=panel,
        expertise={
            "min_level": draw(st.sampled_from((1, 2, 2, 3))),
            "coverage": draw(st.sampled_from(("none", "none", "none", "any", "all"))),
        },
        objective={
            "kind": draw(st.sampled_from(("affinity", "fairness"))),
            "load_spread": draw(st.sampled_from((0.0, 0.0, 0.01, 0.05, 0.25))),
        },
    )


@st.composite
def flow_policies(draw: st.DrawFn) -> ra.Policy:
    """A policy the min-cost-flow path accepts: no composition rule beyond single pairs
    and a region cap, the affinity objective without load spread."""
    base = draw(policies())
    cap = draw(st.sampled_from((None, None, 1, 2)))
    data = base.model_dump()
    data["panel"].update(
        max_per_region=cap,
        min_regions=draw(st.integers(0, 1)),
        own_region=draw(st.sampled_from(("any", "any", "exclude"))),
        max_per_gender=None,
        min_genders=0,
        min_senior=0,
    )
    data["expertise"]["coverage"] = "none"
    data["objective"] = {"kind": "affinity", "load_spread": 0.0}
    return ra.Policy.model_validate(data)


Relax = Callable[[dict[str, Any]], None]


def _set(section: str, key: str, value: Any) -> Relax:
    def relax(data: dict[str, Any]) -> None:
        data[section][key] = value

    return relax


@st.composite
def relaxations(draw: st.DrawFn, policy: ra.Policy) -> tuple[str, ra.Policy]:
    """One hard rule of ``policy`` turned off or loosened: ``(what, relaxed policy)``."""
    p = policy
    options: list[tuple[str, Relax]] = [
        ("load.max up", _set("load", "max", p.load.max + draw(st.integers(1, 4))))
    ]
    if p.load.min > 0:
        options.append(("load.min to 0", _set("load", "min", 0)))
    if p.conflicts.same_institution:
        options.append(("same_institution off", _set("conflicts", "same_institution", False)))
    if p.conflicts.same_country:
        options.append(("same_country off", _set("conflicts", "same_country", False)))
    if p.conflicts.relation_distance > 0:
        options.append(("relation_distance to 0", _set("conflicts", "relation_distance", 0)))
        if p.conflicts.relation_distance > 1:
            options.append(("relation_distance to 1", _set("conflicts", "relation_distance", 1)))
    if p.panel.max_per_region is not None:
        options.append(("max_per_region off", _set("panel", "max_per_region", None)))
        options.append(
            ("max_per_region up", _set("panel", "max_per_region", p.panel.max_per_region + 1))
        )
    if p.panel.min_regions > 0:
        options.append(("min_regions off", _set("panel", "min_regions", 0)))
    if p.panel.own_region != "any":
        options.append(("own_region any", _set("panel", "own_region", "any")))
    if p.panel.max_per_gender is not None:
        options.append(("max_per_gender off", _set("panel", "max_per_gender", None)))
    if p.panel.min_genders > 0:
        options.append(("min_genders off", _set("panel", "min_genders", 0)))
    if p.panel.min_senior > 0:
        options.append(("min_senior off", _set("panel", "min_senior", 0)))
    if p.panel.language:
        options.append(("language off", _set("panel", "language", False)))
    if p.expertise.coverage != "none":
        options.append(("coverage none", _set("expertise", "coverage", "none")))
        if p.expertise.coverage == "all":
            options.append(("coverage any", _set("expertise", "coverage", "any")))
        if p.expertise.min_level > 1:
            options.append(
                ("min_level down", _set("expertise", "min_level", p.expertise.min_level - 1))
            )
    what, relax = draw(st.sampled_from(options))
    data = policy.model_dump()
    relax(data)
    return what, ra.Policy.model_validate(data)


_NAMES = (
    st.text(st.sampled_from("abcxyzABC019-_ ,\"'éü"), min_size=1, max_size=5)
    .map(str.strip)
    .filter(bool)
)
"""Ids as a user might type them (no ``;``, which separates list items in CSV cells)."""


def _rename(problem: ra.Problem, to: dict[str, str]) -> dict[str, Any]:
    data = problem.model_dump()
    for case in data["cases"]:
        case["id"] = to[case["id"]]
        case["applicants"] = [to[p] for p in case["applicants"]]
    for reviewer in data["reviewers"]:
        reviewer["id"] = to[reviewer["id"]]
    for row in (*data["conflicts"], *data["affinity"]):
        row["case"], row["reviewer"] = to[row["case"]], to[row["reviewer"]]
    for rel in data["relations"]:
        rel["a"], rel["b"] = to[rel["a"]], to[rel["b"]]
    return data


@st.composite
def relabellings(draw: st.DrawFn, problem: ra.Problem) -> tuple[ra.Problem, dict[str, str]]:
    """The same problem under other ids and in another order: ``(problem, old id -> new)``.

    One bijection renames every id (cases, reviewers, applicants; a case id may become
    what was a reviewer id, and so on), so an applicant who is a reviewer stays one; the
    cases, reviewers, conflicts, relations and affinities are then shuffled.
    """
    ids = sorted(
        {c.id for c in problem.cases}
        | {r.id for r in problem.reviewers}
        | {p for c in problem.cases for p in c.applicants}
    )
    if draw(st.booleans()):
        targets = draw(st.permutations(ids))
    else:  # fresh names, with characters a CSV writer must quote
        # Ids that look alike ("a" and "A") are refused: unique up to look-alikes.
        targets = draw(
            st.lists(_NAMES, min_size=len(ids), max_size=len(ids), unique_by=look_alike_key)
        )
    to = dict(zip(ids, targets, strict=True))
    data = _rename(problem, to)
    for key in ("cases", "reviewers", "conflicts", "relations", "affinity"):
        data[key] = draw(st.permutations(data[key]))
    return ra.Problem.model_validate(data), to
