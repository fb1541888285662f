"""Tests of the executable specification: check() rule by rule, and evaluate()."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewassign._data.model import (
    Affinity,
    Case,
    Conflict,
    Disjoint,
    HistorySeat,
    Linked,
    Problem,
    Relation,
    Reviewer,
)
from reviewassign._data.policy import Policy
from reviewassign._spec.check import RULES, Metrics, Violation, check, evaluate

SHARED = Path(__file__).resolve().parents[2] / "shared"
CONFORMANCE = SHARED / "conformance"


def rules_of(violations: Sequence[Violation]) -> set[str]:
    return {v.rule for v in violations}


def where(violations: Sequence[Violation], rule: str) -> list[tuple[str | None, str | None]]:
    return [(v.case, v.reviewer) for v in violations if v.rule == rule]


# --------------------------------------------------------------------------------------
# One tiny problem per rule: a bad assignment that breaks exactly that rule, and a good one.


@dataclass
class RuleCase:
    rule: str
    problem: Problem
    policy: Policy
    bad: Mapping[str, Sequence[str]]
    expected: list[tuple[str | None, str | None]]
    good: Mapping[str, Sequence[str]]
    note: str = field(default="")
    forced: tuple[tuple[str, str], ...] = ()
    """Forced pairs, given to ``check`` (``pairs.forced``)."""


def _p(cases: list[Case], reviewers: list[Reviewer], **parts: Any) -> Problem:
    return Problem(cases=cases, reviewers=reviewers, **parts)


ONE = Policy(panel_size=1)
TWO_R = [Reviewer(id="R1"), Reviewer(id="R2")]

RULE_CASES = [
    RuleCase(
        "assignment.unknown_case",
        _p([Case(id="C1")], TWO_R),
        ONE,
        bad={"C1": ["R1"], "C9": ["R2"]},
        expected=[("C9", None)],
        good={"C1": ["R1"]},
    ),
    RuleCase(
        "assignment.unknown_reviewer",
        _p([Case(id="C1", panel_size=2)], TWO_R),
        ONE,
        bad={"C1": ["R1", "R2", "R9"]},
        expected=[("C1", "R9")],
        good={"C1": ["R1", "R2"]},
    ),
    RuleCase(
        "assignment.duplicate",
        _p([Case(id="C1")], TWO_R),
        ONE,
        bad={"C1": ["R2", "R2"]},  # one seat: no panel_size violation
        expected=[("C1", "R2")],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "panel_size",
        _p([Case(id="C1", panel_size=2), Case(id="C2")], TWO_R),
        ONE,
        bad={"C1": ["R1"], "C2": ["R2"]},  # C1 overrides the policy's 1
        expected=[("C1", None)],
        good={"C1": ["R1", "R2"], "C2": ["R2"]},
    ),
    RuleCase(
        "load.min",
        _p([Case(id="C1"), Case(id="C2")], [Reviewer(id="R1"), Reviewer(id="R2", min_load=1)]),
        ONE,
        bad={"C1": ["R1"], "C2": ["R1"]},  # R2 idle but must review once
        expected=[(None, "R2")],
        good={"C1": ["R1"], "C2": ["R2"]},
    ),
    RuleCase(
        "load.max",
        _p([Case(id="C1"), Case(id="C2")], [Reviewer(id="R1", max_load=1), Reviewer(id="R2")]),
        ONE,
        bad={"C1": ["R1"], "C2": ["R1"]},
        expected=[(None, "R1")],
        good={"C1": ["R1"], "C2": ["R2"]},
    ),
    RuleCase(
        "conflicts.declared",
        _p([Case(id="C1")], TWO_R, conflicts=[Conflict(case="C1", reviewer="R1")]),
        # declared conflicts apply even when every other conflict rule is off
        Policy(panel_size=1, conflicts={"same_institution": False, "relation_distance": 0}),
        bad={"C1": ["R1"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "conflicts.same_institution",
        _p(
            [Case(id="C1", institution=("U1", "U2"))],
            [Reviewer(id="R1", institution="U2"), Reviewer(id="R2", institution="U3")],
        ),
        ONE,
        bad={"C1": ["R1"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "conflicts.same_country",
        _p(
            [Case(id="C1", country="KE")],
            [Reviewer(id="R1", country="KE"), Reviewer(id="R2", country="UG")],
        ),
        Policy(panel_size=1, conflicts={"same_country": True}),
        bad={"C1": ["R1"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "conflicts.relation_distance",
        _p(
            [Case(id="C1", applicants=("P1",))],
            TWO_R,
            relations=[Relation(a="R1", b="P1", kind="coauthor")],
        ),
        ONE,
        bad={"C1": ["R1"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "conflicts.applicant",
        _p([Case(id="C1", applicants=("R1",))], TWO_R),
        Policy(panel_size=1, conflicts={"relation_distance": 0}),
        bad={"C1": ["R1"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "panel.max_per_region",
        _p(
            [Case(id="C1", panel_size=2)],
            [Reviewer(id="R1", region="A"), Reviewer(id="R2", region="A"), Reviewer(id="R3")],
        ),
        Policy(panel={"max_per_region": 1}),
        bad={"C1": ["R1", "R2"]},
        expected=[("C1", None)],
        good={"C1": ["R1", "R3"]},
    ),
    RuleCase(
        "panel.min_regions",
        _p(
            [Case(id="C1", panel_size=2)],
            [
                Reviewer(id="R1", region="A"),
                Reviewer(id="R2", region="A"),
                Reviewer(id="R3", region="B"),
            ],
        ),
        Policy(panel={"min_regions": 2}),
        bad={"C1": ["R1", "R2"]},
        expected=[("C1", None)],
        good={"C1": ["R2", "R3"]},
    ),
    RuleCase(
        "panel.own_region",
        _p(
            [Case(id="C1", region="A")],
            [Reviewer(id="R1", region="A"), Reviewer(id="R2", region="B")],
        ),
        Policy(panel_size=1, panel={"own_region": "exclude"}),
        bad={"C1": ["R1"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2"]},
        note="exclude",
    ),
    RuleCase(
        "panel.own_region",
        _p(
            [Case(id="C1", region="A")],
            [Reviewer(id="R1", region="A"), Reviewer(id="R2", region="B")],
        ),
        Policy(panel_size=1, panel={"own_region": "at_least_one"}),
        bad={"C1": ["R2"]},
        expected=[("C1", None)],
        good={"C1": ["R1"]},
        note="at_least_one",
    ),
    RuleCase(
        "panel.max_per_gender",
        _p(
            [Case(id="C1", panel_size=3)],
            [
                Reviewer(id="R1", gender="female"),
                Reviewer(id="R2", gender="female"),
                Reviewer(id="R3", gender="female"),
                Reviewer(id="R4", gender="male"),
            ],
        ),
        Policy(panel={"max_per_gender": 2}),
        bad={"C1": ["R1", "R2", "R3"]},
        expected=[("C1", None)],
        good={"C1": ["R1", "R2", "R4"]},
    ),
    RuleCase(
        "panel.min_genders",
        _p(
            [Case(id="C1", panel_size=2)],
            [Reviewer(id="R1", gender="male"), Reviewer(id="R2"), Reviewer(id="R3", gender="x")],
        ),
        Policy(panel={"min_genders": 2}),
        bad={"C1": ["R1", "R2"]},  # undisclosed is no second gender
        expected=[("C1", None)],
        good={"C1": ["R1", "R3"]},
    ),
    RuleCase(
        "panel.min_senior",
        _p(
            [Case(id="C1", panel_size=2)],
            [
                Reviewer(id="R1", seniority="senior"),
                Reviewer(id="R2", seniority="junior"),
                Reviewer(id="R3", seniority="senior"),
            ],
        ),
        Policy(panel={"min_senior": 2}),
        bad={"C1": ["R1", "R2"]},
        expected=[("C1", None)],
        good={"C1": ["R1", "R3"]},
    ),
    RuleCase(
        "panel.language",
        _p(
            [Case(id="C1", language="fr", panel_size=2)],
            [
                Reviewer(id="R1", languages=("en",)),
                Reviewer(id="R2", languages=("en", "fr")),
                Reviewer(id="R3", languages=("fr",)),
            ],
        ),
        Policy(),
        bad={"C1": ["R1", "R2"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2", "R3"]},
    ),
    RuleCase(
        "expertise.coverage",
        _p(
            [Case(id="C1", topics={"t1": 1, "t2": 1}, panel_size=2)],
            [
                Reviewer(id="R1", expertise={"t1": 3, "t2": 1}),
                Reviewer(id="R2", expertise={"t1": 2}),
                Reviewer(id="R3", expertise={"t2": 2}),
            ],
        ),
        Policy(expertise={"coverage": "all", "min_level": 2}),
        bad={"C1": ["R1", "R2"]},  # t2 only at level 1
        expected=[("C1", None)],
        good={"C1": ["R1", "R3"]},
        note="all",
    ),
    RuleCase(
        "expertise.coverage",
        _p(
            [Case(id="C1", topics={"t1": 1, "t2": 1})],
            [
                Reviewer(id="R1", expertise={"t1": 1, "t2": 1}),
                Reviewer(id="R2", expertise={"t2": 2}),
            ],
        ),
        Policy(panel_size=1, expertise={"coverage": "any", "min_level": 2}),
        bad={"C1": ["R1"]},  # familiar with both topics, knowledgeable in none
        expected=[("C1", None)],
        good={"C1": ["R2"]},  # one topic covered is enough
        note="any",
    ),
    RuleCase(
        "expertise.min_panel_affinity",
        _p(
            [Case(id="C1", topics={"t1": 1}, panel_size=3)],
            [Reviewer(id=f"R{j}", expertise={"t1": 1}) for j in range(3)] + [Reviewer(id="R4")],
        ),
        Policy(expertise={"min_panel_affinity": 1.0}),
        bad={"C1": ["R0", "R1", "R4"]},  # 1/3 + 1/3 + 0
        expected=[("C1", None)],
        good={"C1": ["R0", "R1", "R2"]},  # three thirds: the floor exactly
    ),
    RuleCase(
        "load.max_weak_matches",
        _p(
            [Case(id="C1", topics={"t": 1}), Case(id="C2", topics={"t": 1})],
            [Reviewer(id="R1", expertise={"t": 1}), Reviewer(id="R2", expertise={"t": 3})],
        ),
        Policy(panel_size=1, load={"max_weak_matches": 1, "weak_match_below": 0.5}),
        bad={"C1": ["R1"], "C2": ["R1"]},  # two pairs of affinity 1/3 for R1
        expected=[(None, "R1")],
        good={"C1": ["R1"], "C2": ["R2"]},
    ),
    RuleCase(
        "representation.region_tolerance",
        _p(
            [Case(id="C1"), Case(id="C2")],
            [Reviewer(id="R1", region="A"), Reviewer(id="R2", region="B")],
        ),
        Policy(panel_size=1, representation={"region_tolerance": 0.2}),
        bad={"C1": ["R1"], "C2": ["R1"]},  # A 100 % and B 0 % of the seats, pool 50 % each
        expected=[(None, None), (None, None)],
        good={"C1": ["R1"], "C2": ["R2"]},
    ),
    RuleCase(
        "representation.gender_tolerance",
        _p(
            [Case(id="C1"), Case(id="C2")],
            [
                Reviewer(id="R1", gender="f"),
                Reviewer(id="R2", gender="m"),
                Reviewer(id="R3"),
            ],
        ),
        Policy(panel_size=1, representation={"gender_tolerance": 0.2}),
        bad={"C1": ["R1"], "C2": ["R3"]},  # m holds 0 % of the seats, a third of the pool
        expected=[(None, None)],
        good={"C1": ["R1"], "C2": ["R2"]},  # undisclosed 0 %: unconstrained
    ),
    RuleCase(
        "panel.rules",
        _p(
            [Case(id="C1"), Case(id="C2")],
            [
                Reviewer(id="R1", attributes={"sector": "practice"}),
                Reviewer(id="R2", attributes={"sector": "academia"}),
                Reviewer(id="R3"),  # unknown sector: counts for no value
            ],
        ),
        Policy(
            panel_size=1,
            panel={"rules": [{"attribute": "sector", "values": "practice", "at_least": 1}]},
        ),
        bad={"C1": ["R1"], "C2": ["R3"]},
        expected=[("C2", None)],
        good={"C1": ["R1"], "C2": ["R1"]},
    ),
    RuleCase(
        "panel.rules",
        _p(
            [
                Case(id="C1", attributes={"income": "low"}),
                Case(id="C2", attributes={"income": "high"}),
            ],
            [
                Reviewer(id="R1", attributes={"income": "low"}),
                Reviewer(id="R2", attributes={"income": "high"}),
            ],
        ),
        Policy(
            panel_size=1,
            panel={"rules": [{"attribute": "income", "same_as": "income", "at_most": 0}]},
        ),
        bad={"C1": ["R1"], "C2": ["R1"]},
        expected=[("C1", None)],
        good={"C1": ["R2"], "C2": ["R1"]},
        note="same_as",
    ),
    RuleCase(
        "representation.bands",
        _p(
            [Case(id="C1"), Case(id="C2")],
            [
                Reviewer(id="R1", attributes={"sector": "practice"}),
                Reviewer(id="R2", attributes={"sector": "academia"}),
            ],
        ),
        Policy(panel_size=1, representation={"bands": [{"attribute": "sector", "tolerance": 0.2}]}),
        bad={"C1": ["R1"], "C2": ["R1"]},  # practice 100 % of the seats, half the pool
        expected=[(None, None), (None, None)],
        good={"C1": ["R1"], "C2": ["R2"]},
    ),
    RuleCase(
        "integrity.forbid_cycles",
        _p(
            [Case(id="C1", applicants=("R1",)), Case(id="C2", applicants=("R2",))],
            [Reviewer(id="R1"), Reviewer(id="R2"), Reviewer(id="R3")],
        ),
        Policy(panel_size=1, integrity={"forbid_cycles": 2}),
        bad={"C1": ["R2"], "C2": ["R1"]},
        expected=[("C2", "R1")],
        good={"C1": ["R3"], "C2": ["R1"]},
    ),
    RuleCase(
        "pairs.forced",
        _p([Case(id="C1"), Case(id="C2")], TWO_R),
        ONE,
        bad={"C1": ["R1"], "C2": ["R1"]},
        expected=[("C1", "R2")],
        good={"C1": ["R2"], "C2": ["R1"]},
        forced=(("C1", "R2"),),
    ),
    RuleCase(
        "pairs.disjoint",
        _p(
            [Case(id="C1", panel_size=2)],
            [*TWO_R, Reviewer(id="R3")],
            disjoint=[Disjoint(a="R1", b="R2", reason="co-authors")],
        ),
        ONE,
        bad={"C1": ["R1", "R2"]},
        expected=[("C1", None)],
        good={"C1": ["R1", "R3"]},
    ),
    RuleCase(
        "pairs.linked",
        _p([Case(id="C1"), Case(id="C2")], TWO_R, linked=[Linked(cases=("C1", "C2"))]),
        ONE,
        bad={"C1": ["R1"], "C2": ["R2"]},
        expected=[("C1", None)],
        good={"C1": ["R1"], "C2": ["R1"]},
    ),
    RuleCase(
        "history.institution_years",
        _p(
            [Case(id="C1", institution=("U1",))],
            TWO_R,
            history=[HistorySeat(year=2025, case="P1", reviewer="R1", institution=("U1",))],
        ),
        Policy(panel_size=1, history={"institution_years": 1}),
        bad={"C1": ["R1"]},
        expected=[("C1", "R1")],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "history.min_new_share",
        _p([Case(id="C1")], TWO_R, history=[HistorySeat(year=2025, case="P1", reviewer="R1")]),
        Policy(panel_size=1, history={"min_new_share": 1.0}),
        bad={"C1": ["R1"]},
        expected=[("C1", None)],
        good={"C1": ["R2"]},
    ),
    RuleCase(
        "history.max_repeat_pairs",
        _p(
            [Case(id="C1")],
            [*TWO_R, Reviewer(id="R3")],
            history=[
                HistorySeat(year=2025, case="P1", reviewer="R1"),
                HistorySeat(year=2025, case="P1", reviewer="R2"),
            ],
        ),
        Policy(panel_size=2, history={"max_repeat_pairs": 0}),
        bad={"C1": ["R1", "R2"]},
        expected=[(None, None)],
        good={"C1": ["R1", "R3"]},
    ),
]


@pytest.mark.parametrize(
    "rc", RULE_CASES, ids=[f"{rc.rule}-{rc.note}" if rc.note else rc.rule for rc in RULE_CASES]
)
def test_each_rule_flags_exactly_its_violation(rc: RuleCase) -> None:
    found = check(rc.problem, rc.policy, rc.bad, forced=rc.forced)
    assert rules_of(found) == {rc.rule}, found
    assert where(found, rc.rule) == rc.expected
    assert all(v.message for v in found)


@pytest.mark.parametrize(
    "rc", RULE_CASES, ids=[f"{rc.rule}-{rc.note}" if rc.note else rc.rule for rc in RULE_CASES]
)
def test_each_rule_accepts_a_good_assignment(rc: RuleCase) -> None:
    assert check(rc.problem, rc.policy, rc.good, forced=rc.forced) == []


def test_every_rule_has_a_case() -> None:
    assert {rc.rule for rc in RULE_CASES} == set(RULES)


# --------------------------------------------------------------------------------------
# Rules in detail


def test_rules_off_by_default_accept_what_they_would_flag() -> None:
    for rc in RULE_CASES:
        if rc.rule.startswith("panel.") and rc.rule != "panel.language":
            neutral = Policy(panel_size=rc.policy.panel_size)
            assert check(rc.problem, neutral, rc.bad) == [], rc.rule
    country = next(rc for rc in RULE_CASES if rc.rule == "conflicts.same_country")
    assert check(country.problem, ONE, country.bad) == []  # same_country is off by default
    inst = next(rc for rc in RULE_CASES if rc.rule == "conflicts.same_institution")
    off = Policy(panel_size=1, conflicts={"same_institution": False})
    assert check(inst.problem, off, inst.bad) == []
    cover = next(rc for rc in RULE_CASES if rc.rule == "expertise.coverage")
    assert check(cover.problem, Policy(), cover.bad) == []  # coverage "none" by default


def test_none_policy_is_the_default_policy() -> None:
    problem = _p([Case(id="C1")], TWO_R)
    assert check(problem, None, {"C1": ["R1"]}) == check(problem, Policy(), {"C1": ["R1"]})
    assert rules_of(check(problem, None, {"C1": ["R1"]})) == {"panel_size"}  # default size 3


def test_missing_case_has_an_empty_panel() -> None:
    problem = _p([Case(id="C1"), Case(id="C2")], TWO_R)
    found = check(problem, ONE, {"C1": ["R1"]})
    assert [(v.rule, v.case) for v in found] == [("panel_size", "C2")]
    assert "0 reviewers" in found[0].message


def test_unknown_reviewer_takes_no_seat_and_no_load() -> None:
    problem = _p([Case(id="C1")], TWO_R)
    found = check(problem, ONE, {"C1": ["R9"]})
    assert [(v.rule, v.case, v.reviewer) for v in found] == [
        ("assignment.unknown_reviewer", "C1", "R9"),
        ("panel_size", "C1", None),
    ]


def test_load_override_of_zero_lifts_the_policy_minimum() -> None:
    problem = _p([Case(id="C1")], [Reviewer(id="R1"), Reviewer(id="R2", min_load=0)])
    policy = Policy(panel_size=1, load={"min": 1})
    assert where(check(problem, policy, {"C1": ["R1"]}), "load.min") == []
    assert where(check(problem, policy, {"C1": ["R2"]}), "load.min") == [(None, "R1")]


def test_load_max_from_policy() -> None:
    problem = _p([Case(id="C1"), Case(id="C2")], TWO_R)
    policy = Policy(panel_size=1, load={"max": 1})
    found = check(problem, policy, {"C1": ["R1"], "C2": ["R1"]})
    assert where(found, "load.max") == [(None, "R1")]
    assert "2 reviews; at most 1" in found[0].message


def test_empty_institution_or_country_is_never_a_conflict() -> None:
    problem = _p([Case(id="C1", institution=(), country="")], [Reviewer(id="R1")])
    policy = Policy(panel_size=1, conflicts={"same_country": True})
    assert check(problem, policy, {"C1": ["R1"]}) == []


def test_relation_distance_through_a_chain() -> None:
    # R1 - P1 - P2, the applicant of C1 is P2: distance 2. (P1 applies for C2.)
    problem = _p(
        [Case(id="C1", applicants=("P2",)), Case(id="C2", applicants=("P1",))],
        [Reviewer(id="R1"), Reviewer(id="R2")],
        relations=[Relation(a="R1", b="P1"), Relation(a="P1", b="P2")],
    )
    near = Policy(panel_size=1, conflicts={"relation_distance": 1})
    far = Policy(panel_size=1, conflicts={"relation_distance": 2})
    off = Policy(panel_size=1, conflicts={"relation_distance": 0})
    assert check(problem, near, {"C1": ["R1"], "C2": ["R2"]}) == []
    assert check(problem, off, {"C1": ["R1"], "C2": ["R2"]}) == []
    found = check(problem, far, {"C1": ["R1"], "C2": ["R2"]})
    assert [(v.rule, v.case, v.reviewer) for v in found] == [
        ("conflicts.relation_distance", "C1", "R1")
    ]
    assert "distance 2 from applicant P2" in found[0].message
    # R1 is a direct relation of P1, C2's applicant: a conflict at distance 1 already
    assert where(
        check(problem, near, {"C1": ["R2"], "C2": ["R1"]}), "conflicts.relation_distance"
    ) == [("C2", "R1")]
    # R2 is isolated: no relations, no conflict
    assert check(problem, far, {"C1": ["R2"], "C2": ["R2"]}) == []


def test_relation_to_one_of_several_applicants() -> None:
    problem = _p(
        [Case(id="C1", applicants=("P1", "P2"))],
        TWO_R,
        relations=[Relation(a="P2", b="R2")],
    )
    assert where(check(problem, ONE, {"C1": ["R2"]}), "conflicts.relation_distance") == [
        ("C1", "R2")
    ]


def test_reviewer_who_is_applicant_is_flagged_even_with_relation_distance_zero() -> None:
    problem = _p(
        [Case(id="C1", applicants=("P1", "R1"))],
        TWO_R,
        relations=[Relation(a="R1", b="R2")],
    )
    for d in (0, 1, 3):
        policy = Policy(panel_size=1, conflicts={"relation_distance": d})
        found = check(problem, policy, {"C1": ["R1"]})
        # flagged as an applicant, not again for being at distance 0 from themselves
        assert [(v.rule, v.case, v.reviewer) for v in found] == [
            ("conflicts.applicant", "C1", "R1")
        ]


def test_several_conflict_reasons_on_one_pair_are_each_reported() -> None:
    problem = _p(
        [Case(id="C1", institution=("U1",), country="KE", applicants=("P1",))],
        [Reviewer(id="R1", institution="U1", country="KE")],
        conflicts=[Conflict(case="C1", reviewer="R1", reason="friend")],
        relations=[Relation(a="R1", b="P1")],
    )
    policy = Policy(panel_size=1, conflicts={"same_country": True})
    assert [v.rule for v in check(problem, policy, {"C1": ["R1"]})] == [
        "conflicts.declared",
        "conflicts.same_institution",
        "conflicts.same_country",
        "conflicts.relation_distance",
    ]


def test_max_per_region_message_names_ids_and_numbers() -> None:
    problem = _p(
        [Case(id="C0019", panel_size=2)],
        [Reviewer(id="R0003", region="Africa"), Reviewer(id="R0017", region="Africa")],
    )
    (v,) = check(problem, Policy(panel={"max_per_region": 1}), {"C0019": ["R0003", "R0017"]})
    assert v.message == ("case C0019 has 2 reviewers from Africa (R0003, R0017); at most 1 allowed")


def test_empty_region_is_a_region_label_of_its_own() -> None:
    problem = _p(
        [Case(id="C1", panel_size=2)],
        [Reviewer(id="R1"), Reviewer(id="R2"), Reviewer(id="R3", region="A")],
    )
    policy = Policy(panel={"max_per_region": 1, "min_regions": 2})
    assert rules_of(check(problem, policy, {"C1": ["R1", "R2"]})) == {
        "panel.max_per_region",
        "panel.min_regions",
    }
    assert check(problem, policy, {"C1": ["R1", "R3"]}) == []


def test_undisclosed_gender_counts_for_no_gender() -> None:
    problem = _p(
        [Case(id="C1", panel_size=3)],
        [Reviewer(id="R1"), Reviewer(id="R2"), Reviewer(id="R3"), Reviewer(id="R4", gender="f")],
    )
    capped = Policy(panel={"max_per_gender": 1})
    assert check(problem, capped, {"C1": ["R1", "R2", "R3"]}) == []  # no gender over its cap
    two = Policy(panel={"min_genders": 1})
    found = check(problem, two, {"C1": ["R1", "R2", "R3"]})
    assert where(found, "panel.min_genders") == [("C1", None)]
    assert "0 disclosed genders" in found[0].message
    assert check(problem, two, {"C1": ["R1", "R2", "R4"]}) == []


def test_coverage_all_names_each_uncovered_topic() -> None:
    problem = _p(
        [Case(id="C1", topics={"t1": 1, "t2": 1, "t3": 1})],
        [Reviewer(id="R1", expertise={"t2": 3})],
    )
    policy = Policy(panel_size=1, expertise={"coverage": "all"})
    found = check(problem, policy, {"C1": ["R1"]})
    assert where(found, "expertise.coverage") == [("C1", None), ("C1", None)]
    assert ["t1" in found[0].message, "t3" in found[1].message] == [True, True]


def test_coverage_any_on_a_case_without_topics() -> None:
    problem = _p([Case(id="C1")], [Reviewer(id="R1")])
    for coverage in ("any", "all"):
        policy = Policy(panel_size=1, expertise={"coverage": coverage})
        assert check(problem, policy, {"C1": ["R1"]}) == []


def test_language_rule_off_and_without_case_language() -> None:
    problem = _p(
        [Case(id="C1", language="fr"), Case(id="C2")],
        [Reviewer(id="R1", languages=("en",))],
    )
    assignment = {"C1": ["R1"], "C2": ["R1"]}
    assert where(check(problem, ONE, assignment), "panel.language") == [("C1", "R1")]
    off = Policy(panel_size=1, panel={"language": False})
    assert check(problem, off, assignment) == []


def test_check_collects_every_violation_in_a_fixed_order() -> None:
    problem = _p(
        [Case(id="C2", region="A", language="fr"), Case(id="C1", region="A")],
        [
            Reviewer(id="R1", region="A", max_load=1),
            Reviewer(id="R2", region="A"),
            Reviewer(id="R3", region="B", min_load=1),
        ],
        conflicts=[Conflict(case="C1", reviewer="R2")],
    )
    policy = Policy(panel_size=2, panel={"own_region": "exclude", "min_regions": 2})
    assignment = {"C2": ["R2", "R1", "R9"], "C1": ["R1", "R2"], "CX": []}
    found = check(problem, policy, assignment)
    assert [(v.rule, v.case, v.reviewer) for v in found] == [
        ("assignment.unknown_case", "CX", None),
        ("assignment.unknown_reviewer", "C2", "R9"),
        ("load.min", None, "R3"),
        ("load.max", None, "R1"),
        ("conflicts.declared", "C1", "R2"),
        ("panel.min_regions", "C1", None),
        ("panel.min_regions", "C2", None),
        ("panel.own_region", "C1", "R1"),
        ("panel.own_region", "C1", "R2"),
        ("panel.own_region", "C2", "R1"),
        ("panel.own_region", "C2", "R2"),
        ("panel.language", "C2", "R1"),
        ("panel.language", "C2", "R2"),
    ]
    # the same figures whatever the order of the mapping
    assert check(problem, policy, dict(reversed(list(assignment.items())))) == found
    assert all(isinstance(v, Violation) for v in found)


def test_a_string_panel_is_refused() -> None:
    problem = _p([Case(id="C1")], TWO_R)
    with pytest.raises(TypeError, match="C1"):
        check(problem, ONE, {"C1": "R1"})


def test_check_does_not_import_other_reviewassign_modules() -> None:
    import reviewassign._spec.check as module

    source = Path(module.__file__).read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    local = [line for line in imports if line.startswith("from .")]
    assert sorted(local) == [
        # values: the one accessor of attributes, data (issue 14)
        "from .._data.model import Case, Problem, Reviewer, values",
        # the margins are policy semantics
        "from .._data.policy import SHARE_EPS, WEAK_EPS, AttributeRule, Policy",
        "from .._data.rules import keys",  # the rule keys in their order, nothing else
    ]


# --------------------------------------------------------------------------------------
# Properties on random small instances


@st.composite
def instances(draw: st.DrawFn) -> tuple[Problem, Policy, dict[str, list[str]]]:
    n_reviewers = draw(st.integers(1, 6))
    regions = st.sampled_from(["", "A", "B"])
    reviewers = [
        Reviewer(
            id=f"R{i}",
            region=draw(regions),
            gender=draw(st.sampled_from(["", "f", "m"])),
            seniority=draw(st.sampled_from(["", "senior", "junior"])),
            expertise=draw(st.dictionaries(st.sampled_from(["t1", "t2"]), st.integers(1, 3))),
            max_load=draw(st.none() | st.integers(0, 3)),
        )
        for i in range(n_reviewers)
    ]
    cases = [
        Case(
            id=f"C{i}",
            region=draw(regions),
            topics=draw(
                st.dictionaries(st.sampled_from(["t1", "t2"]), st.sampled_from([1.0, 2.0]))
            ),
            panel_size=draw(st.none() | st.integers(1, 3)),
        )
        for i in range(draw(st.integers(1, 5)))
    ]
    ids = [r.id for r in reviewers] + ["R9"]
    assignment = {
        c.id: draw(st.lists(st.sampled_from(ids), max_size=4)) for c in cases if draw(st.booleans())
    }
    policy = Policy(
        panel_size=draw(st.integers(1, 3)),
        load={"min": draw(st.integers(0, 1)), "max": draw(st.integers(1, 3))},
        panel={
            "max_per_region": draw(st.none() | st.integers(1, 2)),
            "own_region": draw(st.sampled_from(["any", "exclude", "at_least_one"])),
            "min_genders": draw(st.integers(0, 2)),
        },
        expertise={"coverage": draw(st.sampled_from(["all", "any", "none"]))},
    )
    return Problem(cases=cases, reviewers=reviewers), policy, assignment


@settings(max_examples=150, deadline=None)
@given(instances())
def test_check_agrees_with_the_figures_of_evaluate(
    instance: tuple[Problem, Policy, dict[str, list[str]]],
) -> None:
    problem, policy, assignment = instance
    found = check(problem, policy, assignment)
    # sorted by rule order, then case, then reviewer; the mapping's order does not matter
    keys = [(RULES.index(v.rule), v.case or "", v.reviewer or "") for v in found]
    assert keys == sorted(keys)
    assert check(problem, policy, dict(reversed(list(assignment.items())))) == found

    known = {c: [r for r in panel if r != "R9"] for c, panel in assignment.items()}
    m = evaluate(problem, known, policy)
    for r in problem.reviewers:
        most = policy.load.max if r.max_load is None else r.max_load
        assert ((None, r.id) in where(found, "load.max")) == (m.loads[r.id] > most)
        assert ((None, r.id) in where(found, "load.min")) == (m.loads[r.id] < policy.load.min)
    for c in problem.cases:
        size = policy.panel_size if c.panel_size is None else c.panel_size
        seats = len(set(known.get(c.id, [])))
        assert ((c.id, None) in where(found, "panel_size")) == (seats != size)
    topic_pairs = sum(len(c.topics) for c in problem.cases)
    coverage = where(found, "expertise.coverage")
    if policy.expertise.coverage == "all":  # one violation per uncovered (case, topic)
        assert len(coverage) == round((1 - m.coverage_rate) * topic_pairs)
    elif policy.expertise.coverage == "none":
        assert coverage == []
    has_unknown = any("R9" in panel for panel in assignment.values())
    assert bool(where(found, "assignment.unknown_reviewer")) == has_unknown


# --------------------------------------------------------------------------------------
# evaluate


def hand_problem() -> Problem:
    return _p(
        [
            Case(id="C1", topics={"t1": 1, "t2": 3}),  # weights 1 and 3
            Case(id="C2", topics={"t1": 1}),
            Case(id="C3"),  # no topics: computed affinity 0
        ],
        [
            Reviewer(id="R1", region="A", gender="f", seniority="senior", expertise={"t1": 3}),
            Reviewer(id="R2", region="A", gender="m", expertise={"t1": 1, "t2": 2}),
            Reviewer(id="R3", region="B", expertise={"t2": 3}),
            Reviewer(id="R4", region="B", gender="f"),  # idle
        ],
        affinity=[Affinity(case="C2", reviewer="R3", score=0.9)],
    )


def test_evaluate_on_a_hand_computed_example() -> None:
    assignment = {"C1": ["R1", "R2"], "C2": ["R3", "R1"], "C3": []}
    policy = Policy(objective={"load_spread": 0.5})
    m = evaluate(hand_problem(), assignment, policy)
    # C1: R1 (1*3/3 + 3*0) / 4 = 0.25; R2 (1*1/3 + 3*2/3) / 4 = (1/3 + 2) / 4 = 7/12
    # C2: R3 given 0.9; R1 3/3 = 1.0.  C3: empty.
    c1 = 0.25 + 7 / 12
    assert m.case_affinity == pytest.approx({"C1": c1, "C2": 1.9, "C3": 0.0})
    assert list(m.case_affinity) == ["C1", "C2", "C3"]
    assert m.total_affinity == pytest.approx(c1 + 1.9)
    assert m.worst_case == 0.0
    assert m.worst_cases == ("C3",)
    assert m.mean_case == pytest.approx((c1 + 1.9) / 3)
    # loads: R1 2, R2 1, R3 1, R4 0
    assert m.loads == {"R1": 2, "R2": 1, "R3": 1, "R4": 0}
    assert (m.min_load, m.max_load, m.load_spread) == (0, 2, 2)
    assert m.mean_load == 1.0
    assert m.idle_reviewers == 1
    assert m.objective == pytest.approx(c1 + 1.9 - 0.5 * 2)
    # seats: A (R1 x2, R2) = 3, B (R3) = 1
    assert m.seats == 4
    assert m.region_seats == {"A": 3, "B": 1}
    assert m.region_shares == {"A": 0.75, "B": 0.25}
    assert m.region_pool_shares == {"A": 0.5, "B": 0.5}
    assert m.gender_seats == {"f": 2, "m": 1, "undisclosed": 1}
    assert m.gender_shares == {"f": 0.5, "m": 0.25, "undisclosed": 0.25}
    assert m.gender_pool_shares == {"f": 0.5, "m": 0.25, "undisclosed": 0.25}
    # coverage at level 2: C1 t1 (R1 3) yes, t2 (R2 2) yes; C2 t1 (R1) yes: 3 of 3
    assert m.coverage_rate == 1.0
    assert m.fully_covered_cases == 3  # C3 has no topics
    assert m.senior_seats == 2
    # at level 3, C1's t2 is not covered
    strict = evaluate(hand_problem(), assignment, Policy(expertise={"min_level": 3}))
    assert strict.coverage_rate == pytest.approx(2 / 3)
    assert strict.fully_covered_cases == 2


def test_evaluate_defaults_and_empty_assignment() -> None:
    m = evaluate(hand_problem(), {})
    assert m.seats == 0
    assert m.total_affinity == 0.0 == m.objective
    assert m.worst_cases == ("C1", "C2", "C3")
    assert m.region_shares == {"A": 0.0, "B": 0.0}
    assert m.loads == {"R1": 0, "R2": 0, "R3": 0, "R4": 0}
    assert m.idle_reviewers == 4
    assert m.coverage_rate == 0.0
    assert m.fully_covered_cases == 1


def test_evaluate_counts_a_duplicate_once_and_refuses_unknown_ids() -> None:
    m = evaluate(hand_problem(), {"C2": ["R1", "R1"]})
    assert m.seats == 1 and m.loads["R1"] == 1
    with pytest.raises(ValueError, match="R9"):
        evaluate(hand_problem(), {"C1": ["R9"]})
    with pytest.raises(ValueError, match="C9"):
        evaluate(hand_problem(), {"C9": []})


def test_evaluate_of_an_empty_problem() -> None:
    m = evaluate(Problem(cases=[], reviewers=[]), {})
    assert (m.worst_case, m.mean_case, m.worst_cases) == (None, None, ())
    assert (m.load_spread, m.mean_load, m.coverage_rate) == (0, 0.0, 1.0)
    assert "no cases" in m.summary()


def test_zero_weight_topics_give_zero_affinity() -> None:
    problem = _p([Case(id="C1", topics={"t1": 0})], [Reviewer(id="R1", expertise={"t1": 3})])
    assert evaluate(problem, {"C1": ["R1"]}).total_affinity == 0.0


def test_worst_cases_lists_at_most_ten() -> None:
    problem = _p([Case(id=f"C{i:02d}") for i in range(12)], TWO_R)
    assert evaluate(problem, {}).worst_cases == tuple(f"C{i:02d}" for i in range(10))


def test_metrics_are_frozen_and_summary_is_plain_text() -> None:
    m = evaluate(hand_problem(), {"C1": ["R1", "R2"]})
    assert isinstance(m, Metrics)
    with pytest.raises(ValueError):
        m.seats = 3  # type: ignore[misc]
    text = m.summary()
    assert "worst panel 0.000" in text
    assert "A 2 (100% vs 50%)" in text
    assert "undisclosed 0" in text
    assert len(text.splitlines()) <= 8


# --------------------------------------------------------------------------------------
# The shared conformance instances


def _split(cell: str) -> list[str]:
    return [x.strip() for x in cell.split(";") if x.strip()]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _read_folder(folder: Path) -> Problem:
    """A plain reader of the CSV folder format of SPEC.md, independent of ``_files.io``."""
    cases = []
    for row in _rows(folder / "cases.csv"):
        topics = {}
        for item in _split(row.get("topics", "")):
            name, _, weight = item.partition(":")
            topics[name] = float(weight) if weight else 1.0
        cases.append(
            Case(
                id=row["id"],
                region=row.get("region", ""),
                country=row.get("country", ""),
                institution=tuple(_split(row.get("institution", ""))),
                topics=topics,
                language=row.get("language", ""),
                applicants=tuple(_split(row.get("applicants") or "")),
                panel_size=int(row["panel_size"]) if row.get("panel_size") else None,
            )
        )
    reviewers = []
    for row in _rows(folder / "reviewers.csv"):
        expertise = {
            t: int(lv) for t, _, lv in (i.partition(":") for i in _split(row["expertise"]))
        }
        reviewers.append(
            Reviewer(
                id=row["id"],
                region=row.get("region", ""),
                country=row.get("country", ""),
                institution=row.get("institution", ""),
                gender=row.get("gender", ""),
                seniority=row.get("seniority", ""),
                expertise=expertise,
                languages=tuple(_split(row.get("languages", ""))),
                min_load=int(row["min_load"]) if row.get("min_load") else None,
                max_load=int(row["max_load"]) if row.get("max_load") else None,
            )
        )
    return Problem(
        cases=cases,
        reviewers=reviewers,
        conflicts=[Conflict(**r) for r in _rows(folder / "conflicts.csv")],
        relations=[Relation(**r) for r in _rows(folder / "relations.csv")],
    )


def _io_load_problem() -> Any:
    try:
        from reviewassign._files.io import load_problem
    except ImportError:  # the reader is written in parallel; fall back to a plain one
        return None
    return load_problem


def _load(folder: Path) -> Problem:
    load_problem = _io_load_problem()
    return _read_folder(folder) if load_problem is None else load_problem(folder)


@pytest.fixture
def award_a() -> Problem:
    if not (CONFORMANCE / "award-a").is_dir():
        pytest.skip(f"the shared conformance instances are absent ({CONFORMANCE} not found)")
    return _load(CONFORMANCE / "award-a")


def test_conformance_empty_assignment_breaks_every_panel_size(award_a: Problem) -> None:
    assert len(award_a.cases) == 60
    policy = Policy.model_validate(tomllib.loads((CONFORMANCE / "award.toml").read_text()))
    found = check(award_a, policy, {})
    assert where(found, "panel_size") == [
        (c.id, None) for c in sorted(award_a.cases, key=lambda c: c.id)
    ]
    # nobody reviews anything, so no load, conflict or language rule can be broken
    assert not rules_of(found) & {"load.max", "conflicts.declared", "panel.language"}
    assert rules_of(found) <= {
        "panel_size",
        "panel.min_regions",
        "panel.min_genders",
        "expertise.coverage",
    }


def test_conformance_plain_reader_agrees_with_io(award_a: Problem) -> None:
    if _io_load_problem() is None:
        pytest.skip("reviewassign._files.io is not importable yet")
    # The reader of _io and the plain one here read the same problem.
    assert _read_folder(CONFORMANCE / "award-a") == award_a
