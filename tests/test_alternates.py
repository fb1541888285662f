"""Alternates: the feasible swaps of a panel member, ranked, against a brute force."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples
from reviewassign._data.result import Assignment, Result, Stats, Status
from strategies import flow_policies, policies, problems

Panels = Mapping[str, Sequence[str]]


def brute_force(
    problem: ra.Problem,
    policy: ra.Policy,
    assignment: Panels,
    case: str,
    member: str | None,
    forced: Sequence[tuple[str, str]] = (),
) -> list[tuple[str, str, float]]:
    """Every (candidate, seat, delta) swap whose assignment passes check, best first.

    Every reviewer of the problem is tried in every seat; ``check`` alone decides (with the
    forced pairs), the leaving member's ``load.min`` aside; delta is the change of
    ``evaluate``'s objective.
    """
    panel = list(assignment.get(case, ()))
    seats = panel if member is None else [member]
    before = ra.evaluate(problem, assignment, policy).objective
    found = []
    for seat in seats:
        for r in problem.reviewers:
            if r.id in panel:
                continue
            swapped = {c: list(p) for c, p in assignment.items()}
            swapped[case] = [r.id if x == seat else x for x in panel]
            violations = ra.check(problem, policy, swapped, forced=forced)
            if all(v.rule == "load.min" and v.reviewer == seat for v in violations):
                delta = ra.evaluate(problem, swapped, policy).objective - before
                found.append((r.id, seat, delta))
    found.sort(key=lambda s: (-round(s[2], 9), s[0], s[1]))
    return found


def by_hand(assignment: Panels) -> Result:
    """A result built by hand: it knows no problem or policy."""
    return Result(
        status=Status.FEASIBLE,
        assignment=Assignment(assignment),
        objective=None,
        bound=None,
        gap=None,
        stats=Stats(wall_time=0.0),
    )


def assert_matches(
    got: Sequence[ra.Alternate], expected: list[tuple[str, str, float]], k: int
) -> None:
    assert [(a.reviewer, a.replaces) for a in got] == [(r, s) for r, s, _ in expected[:k]]
    for a, (_, _, delta) in zip(got, expected, strict=False):
        assert a.delta == pytest.approx(delta, abs=1e-9)


# A small award: case C1 (Africa, institution U1) has the panel R1, R2, R3.
REVIEWERS = [
    # id, region, gender, level in t, extra
    ("R1", "Asia", "female", 3, {}),
    ("R2", "Europe", "male", 3, {}),
    ("R3", "Arab States", "female", 2, {}),
    ("R4", "Latin America", "male", 3, {"max_load": 1}),  # full: holds C2's seat
    ("R5", "Asia", "male", 3, {}),  # R1's region: can take R1's seat only
    ("R6", "Europe", "female", 3, {"institution": "U1"}),  # conflict: same institution
    ("R7", "Africa", "female", 1, {}),  # the case's own region
    ("R8", "Latin America", "male", 3, {"languages": ("fr",)}),  # no English
    ("R9", "Latin America", "female", 3, {}),  # declared conflict
    ("R10", "Europe", "male", 1, {}),
    ("R11", "Latin America", "female", 2, {}),
]
AWARD = ra.Problem(
    cases=[
        ra.Case(id="C1", region="Africa", institution=("U1",), topics={"t": 1}, language="en"),
        ra.Case(id="C2", region="Asia", language="en", panel_size=1),
    ],
    reviewers=[
        ra.Reviewer(
            id=rid,
            region=region,
            gender=gender,
            expertise={"t": level},
            **{"languages": ("en",), **extra},
        )
        for rid, region, gender, level, extra in REVIEWERS
    ],
    conflicts=[ra.Conflict(case="C1", reviewer="R9", reason="former student")],
)
POLICY = ra.Policy(
    panel_size=3,
    load={"max": 2},
    panel={"max_per_region": 1, "max_per_gender": 2},
)
PANELS = {"C1": ["R1", "R2", "R3"], "C2": ["R4"]}


def test_the_award_assignment_is_valid() -> None:
    assert ra.check(AWARD, POLICY, PANELS) == []


def test_alternates_are_exactly_the_feasible_swaps_best_first() -> None:
    got = by_hand(PANELS).alternates("C1", 100, problem=AWARD, policy=POLICY)
    expected = brute_force(AWARD, POLICY, PANELS, "C1", None)
    assert_matches(got, expected, 100)
    # R11 (Latin America, female) fits R1's and R3's seats, not R2's (three women).
    assert {(a.reviewer, a.replaces) for a in got} == {
        ("R5", "R1"),
        ("R7", "R1"),
        ("R11", "R1"),
        ("R7", "R3"),
        ("R11", "R3"),
        ("R10", "R2"),
    }


def test_the_fields_of_an_alternate() -> None:
    got = by_hand(PANELS).alternates("C1", 100, problem=AWARD, policy=POLICY)
    # R11 for R3 ties with R5 for R1 (both delta 0): ids break the tie, as strings.
    assert [(a.reviewer, a.replaces, a.delta) for a in got[:2]] == [
        ("R11", "R3", 0.0),
        ("R5", "R1", 0.0),
    ]
    best = got[1]
    assert best.affinity == 1.0
    assert best.delta == 0.0
    assert (best.load, best.max_load) == (1, 2)
    assert str(best) == "R5 for R1: affinity 1.000, delta +0.000, load 1/2"
    deltas = [round(a.delta, 9) for a in got]  # equal swaps may differ in the last bit
    assert deltas == sorted(deltas, reverse=True)


def test_conflicted_full_and_ineligible_reviewers_never_appear() -> None:
    got = by_hand(PANELS).alternates("C1", 100, problem=AWARD, policy=POLICY)
    names = {a.reviewer for a in got}
    assert "R6" not in names  # same institution
    assert "R9" not in names  # declared conflict
    assert "R4" not in names  # at max load
    assert "R8" not in names  # does not read the case's language


def test_region_and_gender_caps_hold() -> None:
    got = by_hand(PANELS).alternates("C1", 100, problem=AWARD, policy=POLICY)
    region = {r.id: r.region for r in AWARD.reviewers}
    gender = {r.id: r.gender for r in AWARD.reviewers}
    assert [a.replaces for a in got if a.reviewer == "R5"] == ["R1"]  # Asia, like R1
    for a in got:
        panel = [a.reviewer if x == a.replaces else x for x in PANELS["C1"]]
        assert len({region[x] for x in panel}) == 3
        assert max(sum(gender[x] == g for x in panel) for g in ("female", "male")) <= 2


def test_own_region_excluded() -> None:
    policy = POLICY.model_copy(
        update={"panel": POLICY.panel.model_copy(update={"own_region": "exclude"})}
    )
    assert ra.check(AWARD, policy, PANELS) == []
    got = by_hand(PANELS).alternates("C1", 100, problem=AWARD, policy=policy)
    assert "R7" not in {a.reviewer for a in got}
    assert_matches(got, brute_force(AWARD, policy, PANELS, "C1", None), 100)


def test_one_seat() -> None:
    got = by_hand(PANELS).alternates("C1", 100, member="R3", problem=AWARD, policy=POLICY)
    assert [(a.reviewer, a.replaces) for a in got] == [("R11", "R3"), ("R7", "R3")]
    assert_matches(got, brute_force(AWARD, POLICY, PANELS, "C1", "R3"), 100)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_k_limits_the_total(k: int) -> None:
    got = by_hand(PANELS).alternates("C1", k, problem=AWARD, policy=POLICY)
    assert len(got) == min(k, 6)
    assert_matches(got, brute_force(AWARD, POLICY, PANELS, "C1", None), k)


def test_the_leaving_members_floor_is_ignored() -> None:
    data = AWARD.model_dump()
    data["reviewers"][0]["min_load"] = 1  # R1 must review one case: C1's seat
    problem = ra.Problem.model_validate(data)
    assert ra.check(problem, POLICY, PANELS) == []
    got = by_hand(PANELS).alternates("C1", 100, member="R1", problem=problem, policy=POLICY)
    assert {a.reviewer for a in got} == {"R5", "R7", "R11"}


def test_load_spread_enters_delta() -> None:
    policy = POLICY.model_copy(update={"objective": ra.ObjectivePolicy(load_spread=0.5)})
    got = by_hand(PANELS).alternates("C1", 100, problem=AWARD, policy=policy)
    expected = brute_force(AWARD, policy, PANELS, "C1", None)
    assert_matches(got, expected, 100)
    # Idle reviewers remain (R6, R8...), so the spread stays 0 - 1 whatever moves.
    assert {round(a.delta - (a.affinity - 1.0), 9) for a in got if a.replaces == "R1"} == {0.0}


def test_deterministic_and_independent_of_the_problems_order() -> None:
    shuffled = AWARD.model_copy(update={"reviewers": tuple(reversed(AWARD.reviewers))})
    result = by_hand(PANELS)
    first = result.alternates("C1", 4, problem=AWARD, policy=POLICY)
    assert result.alternates("C1", 4, problem=AWARD, policy=POLICY) == first
    assert result.alternates("C1", 4, problem=shuffled, policy=POLICY) == first


def test_a_violation_elsewhere_leaves_no_alternate() -> None:
    panels = {"C1": ["R1", "R2", "R3"], "C2": ["R6", "R4"]}  # C2 has one seat
    assert by_hand(panels).alternates("C1", problem=AWARD, policy=POLICY) == ()
    assert brute_force(AWARD, POLICY, panels, "C1", None) == []


def test_a_solved_result_remembers_its_problem_and_policy() -> None:
    policy = ra.Policy(panel_size=2, panel={"max_per_region": 1}, load={"max": 2})
    result = ra.solve(AWARD, policy)
    assert result.ok
    got = result.alternates("C1", 3)
    assert got == result.alternates("C1", 3, problem=AWARD, policy=policy)
    assert_matches(got, brute_force(AWARD, policy, result.assignment, "C1", None), 3)
    # The source is neither compared, nor shown, nor written.
    assert replace(result, _source=None) == result
    assert "_source" not in repr(result)
    assert "_source" not in result.to_json()


def test_errors() -> None:
    result = by_hand(PANELS)
    with pytest.raises(ValueError, match=r"problem= and policy="):
        result.alternates("C1")
    with pytest.raises(ValueError, match=r"problem= and policy="):
        result.alternates("C1", problem=AWARD)
    with pytest.raises(KeyError, match=r"case 'C9' is not in the problem"):
        result.alternates("C9", problem=AWARD, policy=POLICY)
    with pytest.raises(ValueError, match=r"reviewer 'R4' is not on the panel of case C1"):
        result.alternates("C1", member="R4", problem=AWARD, policy=POLICY)
    for k in (0, -1, True):
        with pytest.raises(ValueError, match=r"k must be a positive integer"):
            result.alternates("C1", k, problem=AWARD, policy=POLICY)
    empty = replace(result, status=Status.INFEASIBLE, assignment=Assignment())
    with pytest.raises(ValueError, match=r"holds no assignment \(status INFEASIBLE\)"):
        empty.alternates("C1", problem=AWARD, policy=POLICY)


@settings(max_examples=examples(0.8))  # a brute force per example
@given(problems(max_cases=8, max_reviewers=10), st.one_of(policies(), flow_policies()), st.data())
def test_alternates_are_the_top_k_of_the_brute_force(
    problem: ra.Problem, policy: ra.Policy, data: st.DataObject
) -> None:
    result = ra.solve(problem, policy, seed=0)
    if not result.ok:  # no panel to replace anyone on
        event("no assignment")
        return
    case = data.draw(st.sampled_from([c.id for c in problem.cases]), label="case")
    panel = result.assignment.get(case, ())
    member = data.draw(st.sampled_from([None, *panel]), label="member")
    k = data.draw(st.integers(1, 6), label="k")
    got = result.alternates(case, k, member=member)
    expected = brute_force(problem, policy, result.assignment, case, member)
    note(f"got {got}; expected {expected}")
    for a in got:
        swapped = {c: list(p) for c, p in result.assignment.items()}
        swapped[case] = [a.reviewer if x == a.replaces else x for x in panel]
        violations = ra.check(problem, policy, swapped)
        assert all(v.rule == "load.min" and v.reviewer == a.replaces for v in violations)
    assert_matches(got, expected, k)
    event(f"alternates: {min(len(got), 3)}{'+' if len(got) > 3 else ''}")


# --------------------------------------------------------------------------------------
# the rules of issue 14: forced pairs, disjoint pairs, history, panel.rules, prefers-not


def test_a_forced_members_seat_is_never_offered() -> None:
    policy = ra.Policy(panel_size=2, panel={"max_per_region": 1}, load={"max": 2})
    result = ra.solve(AWARD, policy, forced=[("C1", "R1")])
    assert result.ok and "R1" in result.assignment["C1"]
    got = result.alternates("C1", 100)
    assert got and all(a.replaces != "R1" for a in got)
    assert result.alternates("C1", 100, member="R1") == ()
    expected = brute_force(AWARD, policy, result.assignment, "C1", None, result.forced)
    assert_matches(got, expected, 100)
    # Without the forced pair, R1's seat is offered.
    assert any(a.replaces == "R1" for a in replace(result, forced=()).alternates("C1", 100))


def with_data(problem: ra.Problem, **update: Any) -> ra.Problem:
    """``problem`` with some fields replaced, validated again (its indexes rebuilt)."""
    return ra.Problem.model_validate(
        {**{k: getattr(problem, k) for k in ra.Problem.model_fields}, **update}
    )


def with_attributes(reviewer: ra.Reviewer, **attributes: str) -> ra.Reviewer:
    """``reviewer`` with these user attributes, validated again."""
    return ra.Reviewer.model_validate(
        {**{k: getattr(reviewer, k) for k in ra.Reviewer.model_fields}, "attributes": attributes}
    )


def test_disjoint_history_and_panel_rules_hold_and_prefers_not_enters_delta() -> None:
    practice = {"R2", "R10", "R11"}
    problem = with_data(
        AWARD,
        reviewers=[
            with_attributes(r, sector="practice" if r.id in practice else "academia")
            for r in AWARD.reviewers
        ],
        disjoint=[ra.Disjoint(a="R2", b="R5", reason="co-authors")],
        history=[ra.HistorySeat(year=2025, case="P1", reviewer="R7", institution=("U1",))],
    )
    policy = ra.Policy(
        panel_size=3,
        load={"max": 2},
        panel={
            "max_per_region": 1,
            "max_per_gender": 2,
            "rules": [{"attribute": "sector", "values": ["practice"], "at_most": 1}],
        },
        history={"institution_years": 2},
    )
    assert ra.check(problem, policy, PANELS) == []
    got = by_hand(PANELS).alternates("C1", 100, problem=problem, policy=policy)
    assert_matches(got, brute_force(problem, policy, PANELS, "C1", None), 100)
    # Of the swaps without these rules: R5 sits apart from R2, R7 reviewed a case of U1
    # last year, R11 would be a second seat from practice.
    assert [(a.reviewer, a.replaces) for a in got] == [("R10", "R2")]
    # A prefers-not row costs the candidate's swap its weight.
    averse = with_data(problem, prefers_not=[ra.PrefersNot(case="C1", reviewer="R10", weight=0.5)])
    (costly,) = by_hand(PANELS).alternates("C1", 100, problem=averse, policy=policy)
    assert costly.delta == pytest.approx(got[0].delta - 0.5, abs=1e-9)
    assert_matches((costly,), brute_force(averse, policy, PANELS, "C1", None), 100)


@st.composite
def with_pair_rules(
    draw: st.DrawFn,
) -> tuple[ra.Problem, ra.Policy]:
    """A small problem with attributes, disjoint pairs, history and prefers-not, and a policy
    with a ``[[panel.rules]]`` entry and ``[history]`` rules on top of a drawn one."""
    problem = draw(problems(max_cases=6, max_reviewers=8))
    ids = [r.id for r in problem.reviewers]
    cases = [c.id for c in problem.cases]
    # The first reviewer is from practice: the policy's label names someone.
    reviewers = [
        with_attributes(r, sector="p" if j == 0 else draw(st.sampled_from(["a", "p", ""])))
        for j, r in enumerate(problem.reviewers)
    ]
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    disjoint = draw(st.lists(st.sampled_from(pairs), max_size=2, unique=True)) if pairs else []
    seats = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(cases)), max_size=4))
    # A past panel per current case, of its institutions (so that the rules bind).
    history = tuple(
        ra.HistorySeat(
            year=2025, case=f"P-{c}", reviewer=r, institution=problem.case(c).institution
        )
        for r, c in dict.fromkeys(seats)
    )
    prefers = draw(st.lists(st.tuples(st.sampled_from(cases), st.sampled_from(ids)), max_size=3))
    updated = with_data(
        problem,
        reviewers=reviewers,
        disjoint=[ra.Disjoint(a=a, b=b) for a, b in disjoint],
        history=history,
        prefers_not=[
            ra.PrefersNot(case=c, reviewer=r, weight=0.25) for c, r in dict.fromkeys(prefers)
        ],
    )
    base = draw(policies()).model_dump()
    base["objective"]["kind"] = "affinity"  # prefers-not costs need a pair objective
    base["panel"]["rules"] = [
        {"attribute": "sector", "values": ["p"], "at_most": draw(st.integers(0, 2))}
    ]
    base["history"] = {
        "institution_years": draw(st.sampled_from([0, 1])),
        "max_repeat_pairs": draw(st.sampled_from([None, 0, 1])),
    }
    return updated, ra.Policy.model_validate(base)


@settings(max_examples=examples(0.3))  # a brute force per example
@given(with_pair_rules(), st.data())
def test_alternates_keep_forced_pairs_and_every_new_rule(
    drawn: tuple[ra.Problem, ra.Policy], data: st.DataObject
) -> None:
    problem, policy = drawn
    result = ra.solve(problem, policy, seed=0)
    if not result.ok:
        event("no assignment")
        return
    held = [(c, r) for c, panel in result.assignment.items() for r in panel]
    forced = data.draw(st.lists(st.sampled_from(held), max_size=2, unique=True), label="forced")
    result = replace(result, forced=tuple(forced))
    case = data.draw(st.sampled_from([c.id for c in problem.cases]), label="case")
    panel = result.assignment.get(case, ())
    member = data.draw(st.sampled_from([None, *panel]), label="member")
    got = result.alternates(case, 6, member=member)
    expected = brute_force(problem, policy, result.assignment, case, member, forced)
    note(f"got {got}; expected {expected}")
    assert all((case, a.replaces) not in forced for a in got)
    assert_matches(got, expected, 6)
    event(f"alternates: {min(len(got), 3)}{'+' if len(got) > 3 else ''}")
