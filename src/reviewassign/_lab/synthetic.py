"""Synthetic award instances: realistic in shape, deterministic for a seed, and feasible.

:func:`award_problem` builds an international higher-education award: cases from
universities in the five UNESCO regions, a regionally balanced reviewer pool, topic
expertise, a relation graph over applicants and reviewers, a few declared conflicts and a
reviewer or two who also apply. The instances are made to be feasible under the award
policy of SPEC.md (panels of 3 from 3 regions with both genders, loads up to 6, every
topic covered at level 2, same-institution and relation conflicts), also with the case's
own region excluded, for the sizes the benchmarks use.

Institutions are code-style ids (``"KE-U1"``: the first university of Kenya), so that no
real institution is ever named in made-up data.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TypeVar

import numpy as np

from .._data.model import Case, Conflict, Problem, Relation, Reviewer

__all__ = ["REGIONS", "TOPICS", "award_attributes", "award_problem", "relation_graph_problem"]

_T = TypeVar("_T")

REGIONS: tuple[str, ...] = (
    "Africa",
    "Arab States",
    "Asia and the Pacific",
    "Europe and North America",
    "Latin America and the Caribbean",
)
"""The five UNESCO regions, in UNESCO's order."""

TOPICS: tuple[str, ...] = (
    "digital-learning",
    "open-education",
    "sustainability",
    "quality-assurance",
    "inclusion-access",
    "teacher-training",
    "community-engagement",
    "stem-outreach",
    "curriculum-reform",
    "internationalisation",
    "student-wellbeing",
    "lifelong-learning",
    "gender-equity",
    "university-industry",
    "research-ethics",
    "indigenous-knowledge",
)
"""The award's topics, most popular first."""

# How often each topic appears among the cases (relative weights, in TOPICS order).
_TOPIC_POPULARITY: tuple[float, ...] = (10, 9, 8, 7, 7, 6, 6, 5, 5, 5, 4, 4, 4, 3, 3, 2)

# Applications come unevenly from the regions; the reviewer pool is recruited more evenly
# so that every region can staff the panels of the others. With own_region "exclude" and
# full loads, a region's share of reviewers must stay below (1 - its share of cases) / 3.
_CASE_SHARES: tuple[float, ...] = (0.17, 0.11, 0.31, 0.27, 0.14)
_REVIEWER_SHARES: tuple[float, ...] = (0.20, 0.18, 0.21, 0.21, 0.20)

# Country codes per region, larger higher-education systems first, with the award
# languages other than English spoken there. English is the award's working language.
_COUNTRIES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "Africa": (
        ("NG", ()),
        ("ZA", ()),
        ("KE", ()),
        ("GH", ()),
        ("ET", ()),
        ("SN", ("fr",)),
        ("CM", ("fr",)),
        ("CI", ("fr",)),
        ("UG", ()),
        ("TZ", ()),
        ("RW", ("fr",)),
        ("MZ", ("pt",)),
        ("AO", ("pt",)),
    ),
    "Arab States": (
        ("EG", ("ar",)),
        ("MA", ("ar", "fr")),
        ("SA", ("ar",)),
        ("DZ", ("ar", "fr")),
        ("JO", ("ar",)),
        ("TN", ("ar", "fr")),
        ("LB", ("ar", "fr")),
        ("AE", ("ar",)),
        ("QA", ("ar",)),
        ("OM", ("ar",)),
    ),
    "Asia and the Pacific": (
        ("CN", ("zh",)),
        ("IN", ()),
        ("JP", ()),
        ("ID", ()),
        ("KR", ()),
        ("AU", ()),
        ("PK", ()),
        ("VN", ()),
        ("PH", ()),
        ("MY", ("zh",)),
        ("BD", ()),
        ("TH", ()),
        ("NZ", ()),
        ("KZ", ("ru",)),
    ),
    "Europe and North America": (
        ("US", ()),
        ("DE", ()),
        ("GB", ()),
        ("FR", ("fr",)),
        ("ES", ("es",)),
        ("IT", ()),
        ("CA", ("fr",)),
        ("RU", ("ru",)),
        ("PL", ()),
        ("NL", ()),
        ("PT", ("pt",)),
        ("SE", ()),
        ("BE", ("fr",)),
        ("CH", ("fr",)),
    ),
    "Latin America and the Caribbean": (
        ("BR", ("pt",)),
        ("MX", ("es",)),
        ("AR", ("es",)),
        ("CO", ("es",)),
        ("CL", ("es",)),
        ("PE", ("es",)),
        ("EC", ("es",)),
        ("CU", ("es",)),
        ("UY", ("es",)),
        ("CR", ("es",)),
        ("JM", ()),
        ("TT", ()),
    ),
}

_LANGUAGES: tuple[str, ...] = ("fr", "es", "ar", "pt", "ru", "zh")
"""The award languages besides English (the other UN languages and Portuguese)."""

_RELATION_KINDS: tuple[str, ...] = ("coauthor", "colleague", "supervisor")
_RELATION_WEIGHTS: tuple[float, ...] = (0.5, 0.25, 0.25)
_CONFLICT_REASONS: tuple[str, ...] = (
    "declared",
    "former supervisor",
    "recent collaboration",
    "personal relationship",
)

# A case in a language other than English gets this many expert speakers of it at most per
# region before another reviewer of that region is asked to read it too.
_WITNESS_LOAD = 4


@dataclass
class _Draft:
    """A reviewer under construction (the models are frozen)."""

    id: str
    region: str
    country: str
    institution: str
    gender: str
    seniority: str
    expertise: dict[str, int]
    languages: list[str] = field(default_factory=list)


def _apportion(total: int, shares: Sequence[float], minimum: int = 0) -> list[int]:
    """Split ``total`` by ``shares`` (largest remainders), each part at least ``minimum``."""
    free = total - minimum * len(shares)
    exact = [free * s / sum(shares) for s in shares]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: free - sum(counts)]:
        counts[i] += 1
    return [c + minimum for c in counts]


def _weighted_sample(
    rng: random.Random, items: Sequence[_T], weights: Sequence[float], k: int
) -> list[_T]:
    """``k`` distinct items, each draw in proportion to the weights of those left."""
    pool = list(items)
    left = list(weights)
    chosen: list[_T] = []
    for _ in range(min(k, len(pool))):
        (i,) = rng.choices(range(len(pool)), weights=left)
        chosen.append(pool.pop(i))
        left.pop(i)
    return chosen


def _institutions(n_cases: int, n_reviewers: int) -> int:
    """Universities per country: more in larger instances, so conflicts stay occasional."""
    return min(9, 2 + (n_cases + n_reviewers) // 200)


def _pick_institution(rng: random.Random, country: str, per_country: int) -> str:
    """An institution of ``country``, the larger ones more likely."""
    # Larger universities (lower numbers) send and supply more people.
    weights = [1 / (j + 1) for j in range(per_country)]
    (j,) = rng.choices(range(per_country), weights=weights)
    return f"{country}-U{j + 1}"


def _pick_country(rng: random.Random, region: str) -> tuple[str, tuple[str, ...]]:
    """A country of ``region``, the first ones more likely."""
    countries = _COUNTRIES[region]
    weights = [len(countries) + 2 - i for i in range(len(countries))]
    (country,) = rng.choices(countries, weights=weights)
    return country


def _make_cases(
    rng: random.Random, n_cases: int, per_country: int, languages: bool
) -> tuple[list[Case], Counter[str]]:
    """The cases, and how many cases draw each topic (before any topic is dropped)."""
    regions = [
        r for r, n in zip(REGIONS, _apportion(n_cases, _CASE_SHARES), strict=True) for _ in range(n)
    ]
    rng.shuffle(regions)
    width = max(4, len(str(n_cases - 1)))
    all_countries = [(r, c) for r in REGIONS for c, _ in _COUNTRIES[r]]
    person = 0
    cases: list[Case] = []
    demand: Counter[str] = Counter()
    for i, region in enumerate(regions):
        country, spoken = _pick_country(rng, region)
        institutions = [_pick_institution(rng, country, per_country)]
        if rng.random() < 0.12:  # a joint application with a second university
            if rng.random() < 0.5:
                _, other = rng.choice(all_countries)
            else:
                other = country
            partner = _pick_institution(rng, other, per_country)
            if partner not in institutions:
                institutions.append(partner)
        # Every draw is made whether or not languages are on, so that the two variants of
        # a seed differ only in the languages (and in some third topics dropped).
        local = rng.random() < 0.35
        language = spoken[0] if languages and spoken and local else "en"
        n_topics = rng.choices((1, 2, 3), weights=(0.3, 0.45, 0.25))[0]
        chosen = _weighted_sample(rng, TOPICS, _TOPIC_POPULARITY, n_topics)
        heavy = rng.random() < 0.2
        demand.update(chosen)
        if language != "en":
            chosen = chosen[:2]  # fewer readers: keep such panels staffable
        topics = dict.fromkeys(chosen, 1.0)
        if heavy and len(chosen) > 1:
            topics[chosen[0]] = 2.0  # the main topic of the application counts double
        n_applicants = rng.choices((1, 2, 3), weights=(0.45, 0.35, 0.2))[0]
        applicants = tuple(f"P{person + k:0{max(5, width + 1)}d}" for k in range(n_applicants))
        person += n_applicants
        cases.append(
            Case(
                id=f"C{i:0{width}d}",
                region=region,
                country=country,
                institution=tuple(institutions),
                topics=topics,
                language=language,
                applicants=applicants,
            )
        )
    return cases, demand


def _make_reviewers(rng: random.Random, n_reviewers: int, per_country: int) -> list[_Draft]:
    """Draft reviewers: regions by the pool's shares, genders and seniority balanced."""
    counts = _apportion(n_reviewers, _REVIEWER_SHARES, 1)
    regions = [r for r, n in zip(REGIONS, counts, strict=True) for _ in range(n)]
    rng.shuffle(regions)
    # Each region's pool is balanced as a secretariat would recruit it: about 5% leave
    # their gender undisclosed, the rest are half female, half male (a coin decides an odd
    # one), and about 35% are senior.
    profiles: dict[str, list[tuple[str, str]]] = {}
    for region, n in zip(REGIONS, counts, strict=True):
        undisclosed = round(0.05 * n)
        female = (n - undisclosed + rng.randint(0, 1)) // 2
        genders = [""] * undisclosed + ["female"] * female + ["male"] * (n - undisclosed - female)
        senior = round(0.35 * n)
        seniorities = ["senior"] * senior + ["junior"] * (n - senior)
        rng.shuffle(genders)
        rng.shuffle(seniorities)
        profiles[region] = list(zip(genders, seniorities, strict=True))
    width = max(4, len(str(n_reviewers - 1)))
    # Reviewers' expertise follows the topics' popularity, flattened: rare topics still
    # have their specialists.
    flat = [math.sqrt(p) for p in _TOPIC_POPULARITY]
    drafts: list[_Draft] = []
    for i, region in enumerate(regions):
        country, spoken = _pick_country(rng, region)
        gender, seniority = profiles[region].pop()
        n_topics = rng.randint(3, 7)
        topics = _weighted_sample(rng, TOPICS, flat, n_topics)
        levels = rng.choices((1, 2, 3), weights=(0.25, 0.40, 0.35), k=n_topics)
        langs = ["en", *spoken]
        others = [x for x in _LANGUAGES if x not in langs]
        n_extra = rng.choices((0, 1, 2), weights=(0.65, 0.3, 0.05))[0]
        langs.extend(rng.sample(others, n_extra))
        drafts.append(
            _Draft(
                id=f"R{i:0{width}d}",
                region=region,
                country=country,
                institution=_pick_institution(rng, country, per_country),
                gender=gender,
                seniority=seniority,
                expertise=dict(zip(topics, levels, strict=True)),
                languages=langs,
            )
        )
    return drafts


def _ensure_experts(
    rng: random.Random, drafts: list[_Draft], demand: Counter[str], min_level: int = 2
) -> None:
    """Give every topic enough experts in every region (raising or adding a level)."""
    for topic in TOPICS:
        # Twice the expert seats the topic's cases need, spread over the five regions.
        per_region = max(1, math.ceil(2 * demand[topic] / 6 / len(REGIONS)))
        for region in REGIONS:
            home = [d for d in drafts if d.region == region]
            have = sum(d.expertise.get(topic, 0) >= min_level for d in home)
            while have < per_region:
                raise_ = [d for d in home if d.expertise.get(topic) == 1]
                add = [d for d in home if topic not in d.expertise and len(d.expertise) < 7]
                pool = raise_ or add
                if not pool:
                    break
                rng.choice(pool).expertise[topic] = min_level
                have += 1


def _blocked(
    cases: Sequence[Case], relations: Sequence[Relation], conflicts: Sequence[Conflict]
) -> set[tuple[str, str]]:
    """The (case, reviewer-or-person) pairs that a declared or relation conflict rules out."""
    neighbours: dict[str, set[str]] = {}
    for rel in relations:
        neighbours.setdefault(rel.a, set()).add(rel.b)
        neighbours.setdefault(rel.b, set()).add(rel.a)
    blocked = {(c.case, c.reviewer) for c in conflicts}
    for case in cases:
        for person in case.applicants:
            blocked.add((case.id, person))
            blocked.update((case.id, other) for other in neighbours.get(person, ()))
    return blocked


class _Readers:
    """Chooses, case by case, reviewers who read a case's language (recruiting if need be)."""

    def __init__(self, rng: random.Random, drafts: Sequence[_Draft], blocked: set[tuple[str, str]]):
        self.rng = rng
        self.drafts = drafts
        self.blocked = blocked
        self.load: Counter[tuple[str, str]] = Counter()

    def pick(self, case: Case, region: str, topic: str | None, gender: str | None) -> _Draft | None:
        """A reader in ``region`` free of conflicts with ``case``, expert in ``topic``.

        ``topic`` None asks for an expert in any topic of the case; ``gender`` None for any
        gender. A reader already chosen ``_WITNESS_LOAD`` times for the language is passed
        over and another reviewer of the region is recruited to read it.
        """
        lang = case.language
        wanted = case.topics if topic is None else (topic,)
        pool = [
            d
            for d in self.drafts
            if d.region == region
            and d.institution not in case.institution
            and (case.id, d.id) not in self.blocked
            and (gender is None or d.gender == gender)
            and any(d.expertise.get(t, 0) >= 2 for t in wanted)
        ]
        readers = [d for d in pool if lang in d.languages and self.load[lang, d.id] < _WITNESS_LOAD]
        if readers:
            chosen = min(readers, key=lambda d: (self.load[lang, d.id], d.id))
        else:
            recruits = [d for d in pool if lang not in d.languages]
            if not recruits:
                return None
            chosen = self.rng.choice(recruits)
            chosen.languages.append(lang)
        self.load[lang, chosen.id] += 1
        return chosen


def _ensure_readers(
    rng: random.Random,
    drafts: Sequence[_Draft],
    cases: Sequence[Case],
    blocked: set[tuple[str, str]],
) -> None:
    """Let every case in a language other than English find a panel that reads it.

    For each such case, reviewers of distinct regions other than the case's own, free of
    conflicts with it, read its language: first an expert for each of the case's topics,
    then reviewers that complete both genders, then one in every region left as spares.
    So a panel exists for each case on its own, even with the own region excluded; the
    load cap on readers spreads the panels over enough readers for all of them.
    """
    helper = _Readers(rng, drafts, blocked)
    for case in cases:
        if case.language not in ("", "en"):
            _witness_panel(rng, helper, case)


def _missing_gender(chosen: Sequence[_Draft]) -> str | None:
    """The gender a panel of one disclosed gender lacks, else ``None``."""
    genders = {d.gender for d in chosen if d.gender}
    if len(genders) != 1:
        return None
    return "male" if genders == {"female"} else "female"


def _witness_panel(rng: random.Random, helper: _Readers, case: Case) -> None:
    """Readers of ``case``'s language, one per region other than the case's own."""
    left = [r for r in REGIONS if r != case.region]
    rng.shuffle(left)
    chosen: list[_Draft] = []

    def take(topic: str | None, gender: str | None) -> bool:
        for region in left:
            found = helper.pick(case, region, topic, gender)
            if found is not None:
                chosen.append(found)
                left.remove(region)
                return True
        return False

    for topic in case.topics:
        if not any(d.expertise.get(topic, 0) >= 2 for d in chosen):
            gender = _missing_gender(chosen)
            if gender is None or not take(topic, gender):
                take(topic, None)
    while left:
        gender = _missing_gender(chosen)
        if (gender is None or not take(None, gender)) and not take(None, None):
            break


def _reviewer_applicants(rng: random.Random, drafts: Sequence[_Draft], cases: list[Case]) -> None:
    """Make one reviewer (two from 100 reviewers on) an applicant of a case, in place."""
    wanted = min(len(cases), 1 if len(drafts) < 100 else 2)
    taken: set[int] = set()
    for d in rng.sample(list(drafts), wanted):
        near = [
            [i for i, c in enumerate(cases) if d.institution in c.institution],
            [i for i, c in enumerate(cases) if c.country == d.country],
            [i for i, c in enumerate(cases) if c.region == d.region],
            list(range(len(cases))),
        ]
        for group in near:
            options = [i for i in group if i not in taken]
            if options:
                break
        i = rng.choice(options)
        taken.add(i)
        c = cases[i]
        applicants = c.applicants if len(c.applicants) < 3 else c.applicants[:2]
        cases[i] = c.model_copy(update={"applicants": (*applicants, d.id)})


def _relations(
    rng: random.Random, drafts: Sequence[_Draft], cases: Sequence[Case]
) -> list[Relation]:
    """Coauthor, colleague and supervisor edges, mostly within a region."""
    edges: dict[tuple[str, str], str] = {}

    def add(a: str, b: str) -> None:
        if a != b:
            key = (min(a, b), max(a, b))
            if key not in edges:
                edges[key] = rng.choices(_RELATION_KINDS, weights=_RELATION_WEIGHTS)[0]

    by_region: dict[str, list[Case]] = {r: [c for c in cases if c.region == r] for r in REGIONS}

    def partner_case(region: str) -> Case:
        near = by_region[region]
        return rng.choice(near) if near and rng.random() < 0.6 else rng.choice(cases)

    for _ in range(round(0.5 * len(cases))):  # applicants of different cases
        c = rng.choice(cases)
        add(rng.choice(c.applicants), rng.choice(partner_case(c.region).applicants))
    for _ in range(round(0.6 * len(drafts))):  # reviewers and applicants
        d = rng.choice(drafts)
        add(d.id, rng.choice(partner_case(d.region).applicants))
    for _ in range(round(0.1 * len(drafts))):  # among reviewers
        a, b = rng.sample(list(drafts), 2)
        add(a.id, b.id)
    return [Relation(a=a, b=b, kind=kind) for (a, b), kind in sorted(edges.items())]


def award_problem(
    n_cases: int, n_reviewers: int, *, seed: int = 0, languages: bool = False
) -> Problem:
    """A synthetic international higher-education award, deterministic for a seed.

    Cases come from universities in the five UNESCO regions (most from Asia and the
    Pacific and from Europe and North America), some jointly from two universities, each
    with 1 to 3 applicants and 1 to 3 of 16 topics (the main one sometimes weighted 2).
    Reviewers come from all regions in nearly equal numbers; about 5% leave their gender
    undisclosed, the rest split between female and male; about 35% are senior. Each has
    3 to 7 topics at levels 1 to 3 and reads English and the languages of their country.
    A relation graph (coauthor, colleague, supervisor) joins some applicants and
    reviewers; a few conflicts are declared; one reviewer (two from 100 reviewers on) is
    also an applicant.

    Every topic has level-2 experts in every region, enough for twice its demand, so that
    the instances are feasible under the award policy of SPEC.md, also with the case's
    own region excluded, when the seats ``3 * n_cases`` fit the capacity
    ``6 * n_reviewers`` (``n_reviewers >= n_cases / 2``, with slack from about 0.65).

    Parameters
    ----------
    n_cases : int
        Number of cases, at least 1.
    n_reviewers : int
        Number of reviewers, at least 5 (one per region).
    seed : int, default 0
        Seed of the generator: the same seed gives an equal problem.
    languages : bool, default False
        If true, about a third of the cases from countries where French, Spanish,
        Arabic, Portuguese, Russian or Chinese is spoken are written in that language,
        and enough reviewers of the other regions read it. If false, every case is in
        English.

    Returns
    -------
    Problem
        Cases ``C0000...``, reviewers ``R0000...``, applicants ``P00000...``, with the
        declared conflicts and the relation graph.

    Raises
    ------
    ValueError
        If ``n_cases < 1`` or ``n_reviewers < 5``.

    Examples
    --------
    >>> p = award_problem(40, 30, seed=1)
    >>> len(p.cases), len(p.reviewers)
    (40, 30)
    >>> sorted({c.region for c in p.cases}) == sorted(REGIONS)
    True
    >>> p == award_problem(40, 30, seed=1)
    True
    >>> {c.language for c in p.cases}
    {'en'}
    """
    if n_cases < 1:
        raise ValueError(f"n_cases must be at least 1, got {n_cases}")
    if n_reviewers < len(REGIONS):
        raise ValueError(f"n_reviewers must be at least {len(REGIONS)}, got {n_reviewers}")
    rng = random.Random(seed)
    per_country = _institutions(n_cases, n_reviewers)
    cases, demand = _make_cases(rng, n_cases, per_country, languages)
    drafts = _make_reviewers(rng, n_reviewers, per_country)
    _ensure_experts(rng, drafts, demand)
    _reviewer_applicants(rng, drafts, cases)
    relations = _relations(rng, drafts, cases)
    n_declared = max(2, round(0.03 * n_cases))
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < min(n_declared, n_cases * n_reviewers):
        pairs.add((rng.choice(cases).id, rng.choice(drafts).id))
    conflicts = [
        Conflict(case=c, reviewer=r, reason=rng.choice(_CONFLICT_REASONS)) for c, r in sorted(pairs)
    ]
    # Languages last: the readers are chosen among the reviewers free of conflicts.
    _ensure_readers(rng, drafts, cases, _blocked(cases, relations, conflicts))
    reviewers = [
        Reviewer(
            id=d.id,
            region=d.region,
            country=d.country,
            institution=d.institution,
            gender=d.gender,
            seniority="senior" if d.seniority == "senior" else "junior",
            expertise=d.expertise,
            languages=tuple(d.languages),
        )
        for d in drafts
    ]
    return Problem(
        cases=tuple(cases),
        reviewers=tuple(reviewers),
        conflicts=tuple(conflicts),
        relations=tuple(relations),
    )


def award_attributes(
    problem: Problem,
    panels: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    practice: float = 0.4,
    first_time: float = 0.15,
) -> Problem:
    """The award with reviewer attributes ``sector`` and ``first_time``, drawn to fit ``panels``.

    ``sector`` is ``practice`` for about ``practice`` of the reviewers, among them enough
    to seat one on every panel of ``panels``, and ``academia`` for the others;
    ``first_time`` is ``yes`` for about ``first_time`` of them, never two on one panel,
    and ``no`` for the others. So the rules "at least one practice seat" and "at most one
    first-time reviewer" hold on ``panels``: given the optimum of the other rules, they
    leave the optimum's value as it was (the bundled example keeps its figures).

    Examples
    --------
    >>> problem = award_problem(6, 8, seed=1)
    >>> panels = {"C0000": ["R0000", "R0001"], "C0001": ["R0002", "R0003"]}
    >>> tagged = award_attributes(problem, panels)
    >>> sorted(tagged.reviewers[0].attributes)
    ['first_time', 'sector']
    """
    rng = random.Random(seed)
    ids = [r.id for r in problem.reviewers]
    order = rng.sample(ids, len(ids))
    uncovered = {c: set(p) for c, p in panels.items() if p}
    chosen: list[str] = []
    while uncovered:  # a greedy cover: the reviewer on the most panels without one
        best = max(order, key=lambda r: sum(r in p for p in uncovered.values()))
        chosen.append(best)
        uncovered = {c: p for c, p in uncovered.items() if best not in p}
    chosen += [r for r in order if r not in chosen][
        : max(0, round(practice * len(ids)) - len(chosen))
    ]
    sits: dict[str, list[str]] = {}
    for case_id, panel in panels.items():
        for r in panel:
            sits.setdefault(r, []).append(case_id)
    taken: set[str] = set()
    new: list[str] = []
    for r in order:
        if len(new) >= round(first_time * len(ids)):
            break
        if not taken & set(sits.get(r, ())):
            new.append(r)
            taken.update(sits.get(r, ()))
    reviewers = [
        r.model_copy(
            update={
                "attributes": {
                    "sector": "practice" if r.id in chosen else "academia",
                    "first_time": "yes" if r.id in new else "no",
                }
            }
        )
        for r in problem.reviewers
    ]
    return problem.model_copy(update={"reviewers": tuple(reviewers)})


def relation_graph_problem(
    n_cases: int,
    n_reviewers: int,
    n_people: int,
    n_relations: int,
    *,
    seed: int = 0,
    chain: bool = False,
) -> Problem:
    """An award problem whose relation graph is large: for conflicts at scale.

    The problem of :func:`award_problem` with more applicants, spread at random over the
    cases, until the reviewers and applicants are ``n_people`` people; its relation graph
    is replaced by ``n_relations`` distinct relations between people drawn uniformly at
    random (a sparse random graph), or with ``chain``, by one path through every
    applicant and half of the reviewers in a random order (``n_relations`` is ignored):
    the other half are related to nobody, so that panels without conflicts exist under
    any ``relation_distance``.

    Parameters
    ----------
    n_cases, n_reviewers : int
        As for :func:`award_problem`.
    n_people : int
        Reviewers and applicants together, at least those of the award problem.
    n_relations : int
        Relations of the random graph, at most all pairs of people.
    seed : int, default 0
        Seed of the award problem and of the graph.
    chain : bool, default False
        A path instead of a random graph.

    Returns
    -------
    Problem
        Added applicants are ``Q000000...``; relation kinds are coauthor, colleague or
        supervisor.

    Examples
    --------
    >>> p = relation_graph_problem(10, 8, 60, 100, seed=1)
    >>> people = {a for c in p.cases for a in c.applicants} | {r.id for r in p.reviewers}
    >>> len(people), len(p.relations)
    (60, 100)
    >>> path = relation_graph_problem(10, 8, 60, 0, seed=1, chain=True)
    >>> len(path.relations)
    55
    """
    base = award_problem(n_cases, n_reviewers, seed=seed)
    rng = np.random.default_rng(seed)
    reviewers = [r.id for r in base.reviewers]
    applicants = list(dict.fromkeys(a for c in base.cases for a in c.applicants))
    applicants = [a for a in applicants if a not in set(reviewers)]
    extra = n_people - len(reviewers) - len(applicants)
    if extra < 0:
        raise ValueError(f"n_people must be at least {n_people - extra}, got {n_people}")
    added: list[list[str]] = [[] for _ in base.cases]
    for i, case in enumerate(rng.integers(0, n_cases, size=extra).tolist()):
        added[case].append(f"Q{i:06d}")
    cases = [
        c.model_copy(update={"applicants": (*c.applicants, *more)})
        for c, more in zip(base.cases, added, strict=True)
    ]
    people = reviewers + applicants + [f"Q{i:06d}" for i in range(extra)]
    if chain:
        linked = applicants + [f"Q{i:06d}" for i in range(extra)] + reviewers[::2]
        order = rng.permutation(len(linked)).tolist()
        pairs = [(linked[i], linked[j]) for i, j in pairwise(order)]
    else:
        pairs = [(people[i], people[j]) for i, j in _random_pairs(rng, len(people), n_relations)]
    kinds = rng.choice(len(_RELATION_KINDS), size=len(pairs)).tolist()
    relations = [
        Relation(a=a, b=b, kind=_RELATION_KINDS[k]) for (a, b), k in zip(pairs, kinds, strict=True)
    ]
    return Problem(
        cases=tuple(cases),
        reviewers=base.reviewers,
        conflicts=base.conflicts,
        relations=tuple(relations),
    )


def _random_pairs(rng: np.random.Generator, n: int, m: int) -> list[tuple[int, int]]:
    """``m`` distinct unordered pairs of ``0..n-1`` drawn uniformly, in the order drawn."""
    if m > n * (n - 1) // 2:
        raise ValueError(f"{n} people have fewer than {m} distinct pairs")
    keys = np.zeros(0, dtype=np.int64)
    while len(keys) < m:
        a, b = rng.integers(0, n, size=(2, 2 * (m - len(keys)) + 16))
        fresh = np.minimum(a, b)[a != b] * n + np.maximum(a, b)[a != b]
        keys = np.concatenate([keys, fresh])
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]
    return [(int(k // n), int(k % n)) for k in keys[:m]]
