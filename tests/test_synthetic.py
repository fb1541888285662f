"""The synthetic award generator (reviewassign._lab.synthetic) and the bundled example."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from reviewassign._data.model import Case, Problem, Reviewer
from reviewassign._data.policy import PanelPolicy, Policy
from reviewassign._files.io import load_policy, load_problem, save_problem
from reviewassign._lab.synthetic import REGIONS, TOPICS, award_problem

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pioneer_award"
SIZES = [(40, 30), (120, 80), (150, 90)]
LOCAL = {"fr", "es", "ar", "pt", "ru", "zh"}


def _eligible(problem: Problem, case: Case, *, exclude_own: bool) -> list[Reviewer]:
    """Reviewers the award policy lets sit on ``case`` (conflicts and language)."""
    neighbours: defaultdict[str, set[str]] = defaultdict(set)
    for rel in problem.relations:
        neighbours[rel.a].add(rel.b)
        neighbours[rel.b].add(rel.a)
    declared = {(c.case, c.reviewer) for c in problem.conflicts}
    applicants = set(case.applicants)
    return [
        r
        for r in problem.reviewers
        if (case.id, r.id) not in declared
        and r.institution not in case.institution
        and r.id not in applicants
        and not neighbours[r.id] & applicants
        and case.language in r.languages
        and not (exclude_own and r.region == case.region)
    ]


def _has_panel(case: Case, pool: list[Reviewer]) -> bool:
    """Some 3 reviewers of ``pool`` from 3 regions, of 2 genders, covering every topic."""
    for trio in itertools.combinations(pool, 3):
        if len({r.region for r in trio}) < 3:
            continue
        genders = Counter(r.gender for r in trio if r.gender)
        if len(genders) < 2 or max(genders.values()) > 2:
            continue
        if all(any(r.expertise.get(t, 0) >= 2 for r in trio) for t in case.topics):
            return True
    return False


@pytest.mark.parametrize("languages", [False, True])
def test_same_seed_gives_an_equal_problem(languages: bool) -> None:
    assert award_problem(60, 40, seed=7, languages=languages) == award_problem(
        60, 40, seed=7, languages=languages
    )


def test_different_seeds_give_different_problems() -> None:
    a, b = award_problem(60, 40, seed=1), award_problem(60, 40, seed=2)
    assert a != b
    assert a.cases != b.cases
    assert a.reviewers != b.reviewers


@pytest.mark.parametrize(("n_cases", "n_reviewers"), SIZES)
def test_sizes_are_respected(n_cases: int, n_reviewers: int) -> None:
    problem = award_problem(n_cases, n_reviewers, seed=3)
    assert len(problem.cases) == n_cases
    assert len(problem.reviewers) == n_reviewers


@pytest.mark.parametrize(("n_cases", "n_reviewers"), SIZES)
def test_every_region_is_present(n_cases: int, n_reviewers: int) -> None:
    problem = award_problem(n_cases, n_reviewers, seed=4)
    assert {c.region for c in problem.cases} == set(REGIONS)
    assert {r.region for r in problem.reviewers} == set(REGIONS)
    cases = Counter(c.region for c in problem.cases)
    # Uneven on purpose: Asia and the Pacific sends the most, the Arab States the fewest.
    assert cases["Asia and the Pacific"] > cases["Arab States"]


def test_every_id_is_unique() -> None:
    problem = award_problem(150, 90, seed=5)
    case_ids = [c.id for c in problem.cases]
    reviewer_ids = [r.id for r in problem.reviewers]
    people = [p for c in problem.cases for p in c.applicants]
    assert len(set(case_ids)) == len(case_ids)
    assert len(set(reviewer_ids)) == len(reviewer_ids)
    assert len(set(people)) == len(people)  # nobody applies twice
    assert not set(case_ids) & (set(reviewer_ids) | set(people))
    edges = [frozenset((rel.a, rel.b)) for rel in problem.relations]
    assert len(set(edges)) == len(edges)
    assert all(len(e) == 2 for e in edges)
    pairs = [(c.case, c.reviewer) for c in problem.conflicts]
    assert len(set(pairs)) == len(pairs)


@pytest.mark.parametrize("languages", [False, True])
def test_the_problem_validates(languages: bool) -> None:
    problem = award_problem(120, 80, seed=6, languages=languages)
    assert Problem.model_validate(problem.model_dump()) == problem


def test_the_shapes_look_like_an_award() -> None:
    problem = award_problem(300, 150, seed=8)
    for case in problem.cases:
        assert 1 <= len(case.topics) <= 3
        assert set(case.topics) <= set(TOPICS)
        assert set(case.topics.values()) <= {1.0, 2.0}
        assert 1 <= len(case.applicants) <= 3
        assert 1 <= len(case.institution) <= 2
        assert case.institution[0].startswith(f"{case.country}-U")
        assert case.language == "en"
    assert any(len(c.institution) == 2 for c in problem.cases)
    assert any(2.0 in c.topics.values() for c in problem.cases)
    for r in problem.reviewers:
        assert 3 <= len(r.expertise) <= 7
        assert r.languages[0] == "en"
        assert r.seniority in ("senior", "junior")
        assert r.gender in ("female", "male", "")
    genders = Counter(r.gender for r in problem.reviewers)
    assert abs(genders["female"] - genders["male"]) <= len(REGIONS)
    assert 0 < genders[""] <= 0.08 * len(problem.reviewers)
    seniors = sum(r.seniority == "senior" for r in problem.reviewers)
    assert 0.3 <= seniors / len(problem.reviewers) <= 0.4
    kinds = {rel.kind for rel in problem.relations}
    assert kinds == {"coauthor", "colleague", "supervisor"}
    reviewer_ids = {r.id for r in problem.reviewers}
    assert any(rel.a in reviewer_ids or rel.b in reviewer_ids for rel in problem.relations)
    assert problem.conflicts


@pytest.mark.parametrize(("n_reviewers", "expected"), [(80, 1), (150, 2)])
def test_some_reviewers_also_apply(n_reviewers: int, expected: int) -> None:
    problem = award_problem(150, n_reviewers, seed=9)
    reviewer_ids = {r.id for r in problem.reviewers}
    applying = [p for c in problem.cases for p in c.applicants if p in reviewer_ids]
    assert len(applying) == expected


@pytest.mark.parametrize("languages", [False, True])
@pytest.mark.parametrize(("n_cases", "n_reviewers"), SIZES)
def test_every_used_topic_has_experts_in_three_regions(
    n_cases: int, n_reviewers: int, languages: bool
) -> None:
    problem = award_problem(n_cases, n_reviewers, seed=10, languages=languages)
    for topic in {t for c in problem.cases for t in c.topics}:
        regions = {r.region for r in problem.reviewers if r.expertise.get(topic, 0) >= 2}
        assert len(regions) >= 3, topic


def test_the_languages_variant_changes_only_languages() -> None:
    plain = award_problem(150, 90, seed=11)
    multi = award_problem(150, 90, seed=11, languages=True)
    assert multi.relations == plain.relations
    assert multi.conflicts == plain.conflicts
    local = [c for c in multi.cases if c.language != "en"]
    assert local
    assert {c.language for c in local} <= LOCAL
    for before, after in zip(plain.cases, multi.cases, strict=True):
        assert after.model_copy(update={"language": "en", "topics": {}}) == before.model_copy(
            update={"topics": {}}
        )
        assert set(after.topics) <= set(before.topics)
    for was, now in zip(plain.reviewers, multi.reviewers, strict=True):
        assert now.languages[: len(was.languages)] == was.languages
        assert now.model_copy(update={"languages": ()}) == was.model_copy(update={"languages": ()})


@pytest.mark.parametrize("exclude_own", [False, True])
@pytest.mark.parametrize("languages", [False, True])
def test_every_case_can_be_staffed_on_its_own(languages: bool, exclude_own: bool) -> None:
    # A necessary condition of feasibility under the award policy (loads aside).
    problem = award_problem(120, 80, seed=12, languages=languages)
    assert 6 * len(problem.reviewers) >= 3 * len(problem.cases)
    for case in problem.cases:
        assert _has_panel(case, _eligible(problem, case, exclude_own=exclude_own)), case.id


def test_too_small_instances_are_refused() -> None:
    with pytest.raises(ValueError, match="n_cases"):
        award_problem(0, 10)
    with pytest.raises(ValueError, match="n_reviewers"):
        award_problem(10, 4)


def _without_attributes(problem: Problem) -> Problem:
    """The problem without its reviewers' attributes."""
    plain = tuple(r.model_copy(update={"attributes": {}}) for r in problem.reviewers)
    return problem.model_copy(update={"reviewers": plain})


def test_the_example_files_are_what_the_generator_gives(tmp_path: Path) -> None:
    # The generator's problem, with the attributes award_attributes drew (generate.py
    # draws them from a solve; this test reads them back instead of solving).
    example = load_problem(EXAMPLE)
    assert _without_attributes(example) == award_problem(150, 90, seed=2026)
    save_problem(example, tmp_path)
    for name in ("cases.csv", "reviewers.csv", "conflicts.csv", "relations.csv"):
        assert (EXAMPLE / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_the_example_reviewers_have_a_sector_and_a_first_time() -> None:
    reviewers = load_problem(EXAMPLE).reviewers
    assert {r.attributes["sector"] for r in reviewers} == {"academia", "practice"}
    assert {r.attributes["first_time"] for r in reviewers} == {"yes", "no"}
    practice = sum(r.attributes["sector"] == "practice" for r in reviewers)
    assert 30 <= practice <= 45  # about 40 %


def test_the_example_policy_is_the_award_policy() -> None:
    award = Policy(
        panel_size=3,
        load={"min": 0, "max": 6},
        conflicts={"same_institution": True, "same_country": False, "relation_distance": 1},
        panel={
            "max_per_region": 1,
            "min_regions": 2,
            "own_region": "any",
            "max_per_gender": 2,
            "min_genders": 2,
            "min_senior": 0,
            "language": True,
        },
        expertise={"min_level": 2, "coverage": "all"},
        objective={"kind": "affinity", "load_spread": 0.0},
    )
    assert load_policy(EXAMPLE / "policy.toml") == award
    rules = [
        {"name": "practice", "attribute": "sector", "values": ["practice"], "at_least": 1},
        {"name": "first-time", "attribute": "first_time", "values": ["yes"], "at_most": 1},
    ]
    board = award.model_copy(
        update={"panel": award.panel.model_copy(update={"rules": PanelPolicy(rules=rules).rules})}
    )
    assert load_policy(EXAMPLE / "board.toml") == board
