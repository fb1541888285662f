"""The solver, rule by rule: a tiny instance where each hard rule binds, and one it makes
infeasible; then the backends, conflicts, time limits, determinism and progress.

Every instance is small enough to solve by hand. Affinities are on one topic ``t`` unless
said otherwise, so a reviewer of level 3, 2, 1 (or none) brings 1, 2/3, 1/3 (or 0).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

import reviewassign as ra
from reviewassign._reduce.eligible import build_instance

T = "t"


# --------------------------------------------------------------------------------------
# helpers


def rev(rid: str, level: int = 0, **attrs: Any) -> ra.Reviewer:
    """A reviewer with ``level`` in topic ``t`` (unless ``expertise`` is given)."""
    attrs.setdefault("expertise", {T: level} if level else {})
    return ra.Reviewer(id=rid, **attrs)


def case(cid: str, **attrs: Any) -> ra.Case:
    """A case about topic ``t`` (unless ``topics`` is given)."""
    attrs.setdefault("topics", {T: 1})
    return ra.Case(id=cid, **attrs)


def problem(cases: Sequence[ra.Case], reviewers: Sequence[ra.Reviewer], **parts: Any) -> ra.Problem:
    return ra.Problem(cases=tuple(cases), reviewers=tuple(reviewers), **parts)


def solve(p: ra.Problem, policy: ra.Policy, **kw: Any) -> ra.Result:
    """Every solve of this file: one worker, seed 0."""
    return ra.solve(p, policy, workers=1, seed=0, **kw)


def rules_of(violations: Sequence[ra.Violation]) -> set[str]:
    return {v.rule for v in violations}


def policy(panel_size: int = 1, **sections: Any) -> ra.Policy:
    return ra.Policy(panel_size=panel_size, **sections)


ONE = policy(1)
TWO = policy(2)


def seat(year: int, cid: str, rid: str, *institutions: str) -> ra.HistorySeat:
    """A past seat: ``rid`` sat on the panel of ``cid`` in ``year``."""
    return ra.HistorySeat(year=year, case=cid, reviewer=rid, institution=institutions)


# The chain R1 - P1 - P2 - R3: R1 is at distance 1 from P1 and 2 from P2; R3 the reverse.
# C1 is P2's case, C2 is P1's. R3 is the best reviewer (level 3), then R1 (2), then R2 (1).
def chain(reviewers: Sequence[ra.Reviewer]) -> ra.Problem:
    ids = {r.id for r in reviewers} | {"P1", "P2"}
    links = [
        ra.Relation(a="R1", b="P1", kind="coauthor"),
        ra.Relation(a="P1", b="P2", kind="colleague"),
        ra.Relation(a="P2", b="R3", kind="supervisor"),
    ]
    return problem(
        [case("C1", applicants=("P2",)), case("C2", applicants=("P1",))],
        reviewers,
        relations=[x for x in links if x.a in ids and x.b in ids],
    )


CHAIN = chain([rev("R1", 2), rev("R2", 1), rev("R3", 3)])


# --------------------------------------------------------------------------------------
# (a) each rule binds: the optimum without it breaks it; with it, the optimum is lower


@dataclass(frozen=True)
class Binding:
    rule: str
    """The rule ``check`` reports on the optimum found without it."""
    problem: ra.Problem
    policy: ra.Policy
    expected: float
    """The optimum with the rule (by hand)."""
    free_policy: ra.Policy
    free: float
    """The optimum without the rule (by hand)."""
    free_problem: ra.Problem | None = None
    """The problem without the rule, when the rule lives in the data (overrides, conflicts)."""
    flow: bool = False
    """Whether the policy fits the min-cost-flow backend."""


TWO_CASES = [case("C1"), case("C2")]

BINDINGS = [
    pytest.param(
        Binding(
            "panel_size",
            problem([case("C1")], [rev("R1", 3), rev("R2", 3)]),
            ONE,
            1.0,
            TWO,
            2.0,
            flow=True,
        ),
        id="panel_size",
    ),
    pytest.param(
        Binding(
            "panel_size",
            problem([case("C1", panel_size=1), case("C2")], [rev("R1", 3), rev("R2", 2)]),
            TWO,
            1 + 5 / 3,  # C1: R1; C2: R1 + R2
            TWO,
            10 / 3,
            free_problem=problem([case("C1"), case("C2")], [rev("R1", 3), rev("R2", 2)]),
            flow=True,
        ),
        id="panel_size-case-override",
    ),
    pytest.param(
        Binding(
            "load.max",
            problem(TWO_CASES, [rev("R1", 3), rev("R2", 1)]),
            policy(load={"max": 1}),
            4 / 3,
            ONE,
            2.0,
            flow=True,
        ),
        id="load.max",
    ),
    pytest.param(
        Binding(
            "load.max",
            problem(TWO_CASES, [rev("R1", 3, max_load=1), rev("R2", 1)]),
            ONE,
            4 / 3,
            ONE,
            2.0,
            free_problem=problem(TWO_CASES, [rev("R1", 3), rev("R2", 1)]),
            flow=True,
        ),
        id="reviewer-max_load",
    ),
    pytest.param(
        Binding(
            "load.min",
            problem(TWO_CASES, [rev("R1", 3), rev("R2", 1)]),
            policy(load={"min": 1}),
            4 / 3,
            ONE,
            2.0,
            flow=True,
        ),
        id="load.min",
    ),
    pytest.param(
        Binding(
            "load.min",
            problem(TWO_CASES, [rev("R1", 3), rev("R2", 1, min_load=1)]),
            ONE,
            4 / 3,
            ONE,
            2.0,
            free_problem=problem(TWO_CASES, [rev("R1", 3), rev("R2", 1)]),
            flow=True,
        ),
        id="reviewer-min_load",
    ),
    pytest.param(
        Binding(
            "conflicts.declared",
            problem(
                [case("C1")],
                [rev("R1", 3), rev("R2", 1)],
                conflicts=[ra.Conflict(case="C1", reviewer="R1", reason="former student")],
            ),
            ONE,
            1 / 3,
            ONE,
            1.0,
            free_problem=problem([case("C1")], [rev("R1", 3), rev("R2", 1)]),
            flow=True,
        ),
        id="conflicts.declared",
    ),
    pytest.param(
        Binding(
            "conflicts.same_institution",
            problem(
                [case("C1", institution=("U1", "U2"))],
                [
                    rev("R1", 3, institution="U2"),
                    rev("R2", 2, institution="U3"),
                    rev("R3", 3, institution="U1"),
                ],
            ),
            ONE,
            2 / 3,
            policy(conflicts={"same_institution": False}),
            1.0,
            flow=True,
        ),
        id="conflicts.same_institution",
    ),
    pytest.param(
        Binding(
            "conflicts.same_country",
            problem([case("C1", country="KE")], [rev("R1", 3, country="KE"), rev("R2", 1)]),
            policy(conflicts={"same_country": True}),
            1 / 3,
            ONE,
            1.0,
            flow=True,
        ),
        id="conflicts.same_country",
    ),
    pytest.param(
        Binding(
            "conflicts.relation_distance",
            CHAIN,
            policy(conflicts={"relation_distance": 1}),
            2 / 3 + 1,  # C1: R1 (R3 is next to P2); C2: R3 (R1 is next to P1)
            policy(conflicts={"relation_distance": 0}),
            2.0,  # R3 on both
            flow=True,
        ),
        id="conflicts.relation_distance-1",
    ),
    pytest.param(
        Binding(
            "conflicts.relation_distance",
            CHAIN,
            policy(conflicts={"relation_distance": 2}),
            2 / 3,  # R2 on both: R1 and R3 are within 2 of both applicants
            policy(conflicts={"relation_distance": 1}),
            5 / 3,
            flow=True,
        ),
        id="conflicts.relation_distance-2",
    ),
    pytest.param(
        Binding(
            "conflicts.applicant",
            problem([case("C1", applicants=("R1",))], [rev("R1", 3), rev("R2", 1)]),
            policy(conflicts={"relation_distance": 0}),  # applicants are never their reviewers
            1 / 3,
            policy(conflicts={"relation_distance": 0}),
            1.0,
            free_problem=problem([case("C1")], [rev("R1", 3), rev("R2", 1)]),
            flow=True,
        ),
        id="conflicts.applicant",
    ),
    pytest.param(
        Binding(
            "panel.max_per_region",
            problem(
                [case("C1")],
                [rev("R1", 3, region="A"), rev("R2", 3, region="A"), rev("R3", 1, region="B")],
            ),
            policy(2, panel={"max_per_region": 1}),
            4 / 3,
            TWO,
            2.0,
            flow=True,
        ),
        id="panel.max_per_region",
    ),
    pytest.param(
        Binding(
            "panel.min_regions",
            problem(
                [case("C1")],
                [rev("R1", 3, region="A"), rev("R2", 3, region="A"), rev("R3", 1, region="B")],
            ),
            policy(2, panel={"min_regions": 2}),
            4 / 3,
            TWO,
            2.0,
        ),
        id="panel.min_regions",
    ),
    pytest.param(
        Binding(
            "panel.own_region",
            problem([case("C1", region="A")], [rev("R1", 3, region="A"), rev("R2", 1, region="B")]),
            policy(panel={"own_region": "exclude"}),
            1 / 3,
            ONE,
            1.0,
            flow=True,
        ),
        id="panel.own_region-exclude",
    ),
    pytest.param(
        Binding(
            "panel.own_region",
            problem([case("C1", region="A")], [rev("R1", 3, region="B"), rev("R2", 1, region="A")]),
            policy(panel={"own_region": "at_least_one"}),
            1 / 3,
            ONE,
            1.0,
        ),
        id="panel.own_region-at_least_one",
    ),
    pytest.param(
        Binding(
            "panel.max_per_gender",
            problem(
                [case("C1")],
                [
                    rev("R1", 3, gender="female"),
                    rev("R2", 3, gender="female"),
                    rev("R3", 2),  # undisclosed: counts for no gender, so both may sit
                    rev("R4", 2),
                    rev("R5", 1, gender="male"),
                ],
            ),
            policy(3, panel={"max_per_gender": 1}),
            1 + 4 / 3,  # one woman and both undisclosed (not R5: "" is no gender)
            policy(3),
            2 + 2 / 3,
        ),
        id="panel.max_per_gender",
    ),
    pytest.param(
        Binding(
            "panel.min_genders",
            problem(
                [case("C1")],
                [
                    rev("R1", 3, gender="female"),
                    rev("R2", 3, gender="female"),
                    rev("R3", 3),  # undisclosed: does not make a second gender
                    rev("R4", 1, gender="male"),
                ],
            ),
            policy(2, panel={"min_genders": 2}),
            4 / 3,
            TWO,
            2.0,
        ),
        id="panel.min_genders",
    ),
    pytest.param(
        Binding(
            "panel.min_senior",
            problem(
                [case("C1")],
                [
                    rev("R1", 3, seniority="junior"),
                    rev("R2", 3, seniority="junior"),
                    rev("R3", 1, seniority="senior"),
                    rev("R4", 2),
                ],
            ),
            policy(2, panel={"min_senior": 1}),
            4 / 3,
            TWO,
            2.0,
        ),
        id="panel.min_senior",
    ),
    pytest.param(
        Binding(
            "panel.language",
            # C2 has no language: no rule, so R1 (who lists none) may review it.
            problem(
                [case("C1", language="fr"), case("C2")],
                [rev("R1", 3), rev("R2", 1, languages=("fr",))],
            ),
            ONE,  # language = true is the default
            1 / 3 + 1,
            policy(panel={"language": False}),
            2.0,
            flow=True,
        ),
        id="panel.language",
    ),
    pytest.param(
        Binding(
            "expertise.coverage",
            problem(
                [case("C1", topics={"t1": 1, "t2": 1})],
                [
                    rev("R1", expertise={"t1": 3, "t2": 1}),  # 2/3, covers t1 only
                    rev("R2", expertise={"t1": 3, "t2": 1}),  # 2/3, covers t1 only
                    rev("R3", expertise={"t2": 2}),  # 1/3, covers t2
                    rev("R4", expertise={"t1": 1}),  # 1/6
                ],
            ),
            policy(2, expertise={"coverage": "all"}),
            1.0,
            TWO,
            4 / 3,
        ),
        id="expertise.coverage-all",
    ),
    pytest.param(
        Binding(
            "expertise.coverage",
            problem(
                [case("C1", topics={"t1": 1, "t2": 1})],
                [
                    rev("R1", expertise={"t1": 2, "t2": 2}),  # 2/3, no topic at level 3
                    rev("R2", expertise={"t1": 3}),  # 1/2, t1 at level 3
                ],
            ),
            policy(expertise={"coverage": "any", "min_level": 3}),
            1 / 2,
            ONE,
            2 / 3,
        ),
        id="expertise.coverage-any-min_level",
    ),
    pytest.param(
        Binding(
            "pairs.disjoint",
            problem(
                [case("C1")],
                [rev("R1", 3), rev("R2", 3), rev("R3", 1)],
                disjoint=[ra.Disjoint(a="R1", b="R2", reason="co-authors")],
            ),
            TWO,
            1 + 1 / 3,  # R1 + R3
            TWO,
            2.0,  # R1 + R2
            free_problem=problem([case("C1")], [rev("R1", 3), rev("R2", 3), rev("R3", 1)]),
        ),
        id="pairs.disjoint",
    ),
    pytest.param(
        Binding(
            "pairs.linked",
            problem(
                [case("C1", topics={"t1": 1}), case("C2", topics={"t2": 1})],
                [rev("R1", expertise={"t1": 3}), rev("R2", expertise={"t2": 3})],
                linked=[ra.Linked(cases=("C1", "C2"))],
            ),
            ONE,
            1.0,  # one reviewer on both: 1 + 0
            ONE,
            2.0,  # R1 on C1, R2 on C2
            free_problem=problem(
                [case("C1", topics={"t1": 1}), case("C2", topics={"t2": 1})],
                [rev("R1", expertise={"t1": 3}), rev("R2", expertise={"t2": 3})],
            ),
        ),
        id="pairs.linked",
    ),
    pytest.param(
        Binding(
            "history.institution_years",
            problem(
                [case("C1", institution=("U1",))],
                [rev("R1", 3), rev("R2", 1)],
                history=[seat(2025, "P7", "R1", "U1")],  # R1 reviewed a U1 case last year
            ),
            policy(history={"institution_years": 1}),
            1 / 3,
            ONE,
            1.0,
            flow=True,
        ),
        id="history.institution_years",
    ),
    pytest.param(
        Binding(
            "history.min_new_share",
            problem(
                [case("C1")],
                [rev("R1", 3), rev("R2", 3), rev("R3", 1)],
                history=[seat(2025, "P7", "R1"), seat(2025, "P7", "R2")],  # R3 is new
            ),
            policy(2, history={"min_new_share": 0.5}),  # 1 of 2 seats
            1 + 1 / 3,
            TWO,
            2.0,
        ),
        id="history.min_new_share",
    ),
    pytest.param(
        Binding(
            "history.max_repeat_pairs",
            problem(
                TWO_CASES,
                [rev("R1", 3), rev("R2", 3), rev("R3", 1)],
                history=[seat(2025, "P7", "R1"), seat(2025, "P7", "R2")],  # R1 and R2 sat together
            ),
            policy(2, history={"max_repeat_pairs": 1}),
            2 + 4 / 3,  # C1: R1 + R2; C2: R1 or R2 with R3
            TWO,
            4.0,
        ),
        id="history.max_repeat_pairs",
    ),
    *(
        pytest.param(Binding("panel.rules", *case_, **kw), id=f"panel.rules-{name}")
        for name, case_, kw in (
            (
                "values-at_least",
                (
                    problem(
                        [case("C1")],
                        [
                            rev("R1", 3, attributes={"sector": "academia"}),
                            rev("R2", 3, attributes={"sector": "academia"}),
                            rev("R3", 1, attributes={"sector": "practice"}),
                        ],
                    ),
                    policy(
                        2,
                        panel={
                            "rules": [{"attribute": "sector", "values": "practice", "at_least": 1}]
                        },
                    ),
                    4 / 3,
                    TWO,
                    2.0,
                ),
                {},
            ),
            (
                "different_from",
                (
                    problem(
                        [case("C1", attributes={"discipline": "law"})],
                        [
                            rev("R1", 3, attributes={"discipline": "law"}),
                            rev("R2", 1, attributes={"discipline": ("medicine", "biology")}),
                            rev("R3", 3),  # unknown discipline: counts as neither
                        ],
                    ),
                    policy(
                        panel={
                            "rules": [
                                {
                                    "attribute": "discipline",
                                    "different_from": "discipline",
                                    "at_least": 1,
                                }
                            ]
                        }
                    ),
                    1 / 3,
                    ONE,
                    1.0,
                ),
                {},
            ),
            (
                "min_distinct",
                (
                    problem(
                        [case("C1")],
                        [
                            rev("R1", 3, attributes={"stage": "early"}),
                            rev("R2", 3, attributes={"stage": "early"}),
                            rev("R3", 1, attributes={"stage": "late"}),
                        ],
                    ),
                    policy(2, panel={"rules": [{"attribute": "stage", "min_distinct": 2}]}),
                    4 / 3,
                    TWO,
                    2.0,
                ),
                {},
            ),
            (
                "max_per_value",
                (
                    problem(
                        [case("C1")],
                        [
                            rev("R1", 3, attributes={"stage": "early"}),
                            rev("R2", 3, attributes={"stage": ("early", "late")}),
                            rev("R3", 1, attributes={"stage": "late"}),
                            rev("R4", 1),
                        ],
                    ),
                    policy(2, panel={"rules": [{"attribute": "stage", "max_per_value": 1}]}),
                    4 / 3,  # R1 or R2 with R3 or R4 (R2 holds both values)
                    TWO,
                    2.0,
                ),
                {},
            ),
            (
                "same_as-at_most-0",
                (
                    problem(
                        [case("C1", attributes={"income": "low"})],
                        [
                            rev("R1", 3, attributes={"income": "low"}),
                            rev("R2", 1, attributes={"income": "high"}),
                        ],
                    ),
                    policy(
                        panel={
                            "rules": [{"attribute": "income", "same_as": "income", "at_most": 0}]
                        }
                    ),
                    1 / 3,
                    ONE,
                    1.0,
                ),
                {"flow": True},
            ),
            (
                "case-group",
                (
                    problem(
                        [
                            case("C1", attributes={"discipline": "engineering"}),
                            case("C2", attributes={"discipline": "law"}),
                        ],
                        [
                            rev("R1", 3, attributes={"sector": "academia"}),
                            rev("R2", 1, attributes={"sector": "practice"}),
                        ],
                    ),
                    policy(
                        panel={
                            "rules": [
                                {
                                    "attribute": "sector",
                                    "values": "practice",
                                    "at_least": 1,
                                    "cases": {"discipline": "engineering"},
                                }
                            ]
                        }
                    ),
                    1 / 3 + 1,  # C1 gets R2; C2 keeps R1
                    ONE,
                    2.0,
                ),
                {},
            ),
        )
    ),
]


@pytest.mark.parametrize("b", BINDINGS)
def test_rule_binds(b: Binding) -> None:
    free_problem = b.problem if b.free_problem is None else b.free_problem
    free = solve(free_problem, b.free_policy)
    assert free.status is ra.Status.OPTIMAL
    assert free.objective == pytest.approx(b.free)
    assert b.rule in rules_of(ra.check(b.problem, b.policy, free.assignment))

    result = solve(b.problem, b.policy)
    assert result.status is ra.Status.OPTIMAL
    assert ra.check(b.problem, b.policy, result.assignment) == []
    assert result.objective == pytest.approx(b.expected)
    assert result.bound == pytest.approx(b.expected)
    assert result.objective < free.objective - 1e-6


def test_coverage_min_level_decides_who_covers() -> None:
    # The instance of "expertise.coverage-any-min_level": at level 2, R1 covers both topics.
    p = problem(
        [case("C1", topics={"t1": 1, "t2": 1})],
        [rev("R1", expertise={"t1": 2, "t2": 2}), rev("R2", expertise={"t1": 3})],
    )
    result = solve(p, policy(expertise={"coverage": "any", "min_level": 2}))
    assert result.status is ra.Status.OPTIMAL
    assert result.assignment["C1"] == ("R1",)


# --------------------------------------------------------------------------------------
# (b) each rule alone makes an instance infeasible


@dataclass(frozen=True)
class Infeasible:
    problem: ra.Problem
    policy: ra.Policy
    free_policy: ra.Policy
    """The same policy without the rule: feasible."""
    free_problem: ra.Problem | None = None
    flow: bool = False


A_A = [rev("R1", 3, region="A"), rev("R2", 2, region="A")]

INFEASIBLE = [
    pytest.param(
        Infeasible(problem([case("C1")], [rev("R1"), rev("R2")]), policy(3), TWO, flow=True),
        id="panel_size",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1", panel_size=3)], [rev("R1"), rev("R2")]),
            ONE,
            ONE,
            free_problem=problem([case("C1")], [rev("R1"), rev("R2")]),
            flow=True,
        ),
        id="panel_size-case-override",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1"), case("C2"), case("C3")], [rev("R1"), rev("R2")]),
            policy(load={"max": 1}),
            ONE,
            flow=True,
        ),
        id="load.max",
    ),
    pytest.param(
        Infeasible(
            problem(TWO_CASES, [rev("R1", max_load=0), rev("R2", max_load=1)]),
            ONE,
            ONE,
            free_problem=problem(TWO_CASES, [rev("R1"), rev("R2")]),
            flow=True,
        ),
        id="reviewer-max_load",
    ),
    pytest.param(
        Infeasible(
            problem(TWO_CASES, [rev("R1"), rev("R2"), rev("R3")]),
            policy(load={"min": 1}),
            ONE,
            flow=True,
        ),
        id="load.min",
    ),
    pytest.param(
        Infeasible(
            problem(TWO_CASES, [rev("R1", min_load=3), rev("R2")]),
            ONE,
            ONE,
            free_problem=problem(TWO_CASES, [rev("R1"), rev("R2")]),
            flow=True,
        ),
        id="reviewer-min_load",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1")],
                [rev("R1"), rev("R2")],
                conflicts=[ra.Conflict(case="C1", reviewer="R2")],
            ),
            TWO,
            TWO,
            free_problem=problem([case("C1")], [rev("R1"), rev("R2")]),
            flow=True,
        ),
        id="conflicts.declared",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1", institution=("U1", "U2"))],
                [rev("R1", institution="U1"), rev("R2", institution="U2")],
            ),
            ONE,
            policy(conflicts={"same_institution": False}),
            flow=True,
        ),
        id="conflicts.same_institution",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1", country="KE")], [rev("R1", country="KE"), rev("R2", country="KE")]),
            policy(conflicts={"same_country": True}),
            ONE,
            flow=True,
        ),
        id="conflicts.same_country",
    ),
    pytest.param(
        Infeasible(
            chain([rev("R3")]),  # R3 is next to P2, the applicant of C1
            policy(conflicts={"relation_distance": 1}),
            policy(conflicts={"relation_distance": 0}),
            flow=True,
        ),
        id="conflicts.relation_distance-1",
    ),
    pytest.param(
        Infeasible(
            chain([rev("R1"), rev("R3")]),  # both within 2 of P2 (C1)
            policy(conflicts={"relation_distance": 2}),
            policy(conflicts={"relation_distance": 1}),
            flow=True,
        ),
        id="conflicts.relation_distance-2",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1", applicants=("R1",))], [rev("R1")]),
            policy(conflicts={"relation_distance": 0}),
            policy(conflicts={"relation_distance": 0}),
            free_problem=problem([case("C1")], [rev("R1")]),
            flow=True,
        ),
        id="conflicts.applicant",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1")], A_A), policy(2, panel={"max_per_region": 1}), TWO, flow=True
        ),
        id="panel.max_per_region",
    ),
    pytest.param(
        Infeasible(problem([case("C1")], A_A), policy(2, panel={"min_regions": 2}), TWO),
        id="panel.min_regions",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1", region="A")], A_A),
            policy(panel={"own_region": "exclude"}),
            ONE,
            flow=True,
        ),
        id="panel.own_region-exclude",
    ),
    pytest.param(
        Infeasible(
            # R2 has no region: that is not region A
            problem([case("C1", region="A")], [rev("R1", region="B"), rev("R2")]),
            policy(panel={"own_region": "at_least_one"}),
            ONE,
        ),
        id="panel.own_region-at_least_one",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1")], [rev("R1", gender="female"), rev("R2", gender="female")]),
            policy(2, panel={"max_per_gender": 1}),
            TWO,
        ),
        id="panel.max_per_gender",
    ),
    pytest.param(
        Infeasible(
            # two undisclosed reviewers do not make a second gender
            problem([case("C1")], [rev("R1", gender="female"), rev("R2"), rev("R3")]),
            policy(2, panel={"min_genders": 2}),
            TWO,
        ),
        id="panel.min_genders",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1")], [rev("R1", seniority="senior"), rev("R2", seniority="junior")]),
            policy(2, panel={"min_senior": 2}),
            TWO,
        ),
        id="panel.min_senior",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1", language="fr")], [rev("R1", languages=("en",)), rev("R2")]),
            ONE,
            policy(panel={"language": False}),
            flow=True,
        ),
        id="panel.language",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1", topics={"t1": 1, "t2": 1})],
                [rev("R1", expertise={"t1": 3}), rev("R2", expertise={"t1": 2, "t2": 1})],
            ),
            policy(2, expertise={"coverage": "all"}),
            TWO,
        ),
        id="expertise.coverage-all",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1", topics={"t1": 1, "t2": 1})], [rev("R1", expertise={"t1": 2, "t2": 2})]
            ),
            policy(expertise={"coverage": "any", "min_level": 3}),
            policy(expertise={"coverage": "any", "min_level": 2}),
        ),
        id="expertise.coverage-any-min_level",
    ),
    pytest.param(
        Infeasible(
            problem([case("C1")], [rev("R1"), rev("R2")], disjoint=[ra.Disjoint(a="R1", b="R2")]),
            TWO,
            TWO,
            free_problem=problem([case("C1")], [rev("R1"), rev("R2")]),
        ),
        id="pairs.disjoint",
    ),
    pytest.param(
        Infeasible(
            # R1 may review only C1 and R2 only C2: no one panel for both
            problem(
                TWO_CASES,
                [rev("R1"), rev("R2")],
                conflicts=[
                    ra.Conflict(case="C1", reviewer="R2"),
                    ra.Conflict(case="C2", reviewer="R1"),
                ],
                linked=[ra.Linked(cases=("C1", "C2"))],
            ),
            ONE,
            ONE,
            free_problem=problem(
                TWO_CASES,
                [rev("R1"), rev("R2")],
                conflicts=[
                    ra.Conflict(case="C1", reviewer="R2"),
                    ra.Conflict(case="C2", reviewer="R1"),
                ],
            ),
        ),
        id="pairs.linked",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1")],
                [
                    rev("R1", attributes={"sector": "practice"}),
                    rev("R2", attributes={"sector": "academia"}),
                ],
            ),
            policy(
                2, panel={"rules": [{"attribute": "sector", "values": "practice", "at_least": 2}]}
            ),
            TWO,
        ),
        id="panel.rules-values-at_least",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1", institution=("U1",))],
                [rev("R1", 3), rev("R2", 1)],
                history=[seat(2024, "P7", "R1", "U1"), seat(2025, "P8", "R2", "U2", "U1")],
            ),
            policy(history={"institution_years": 2}),  # 2024 and 2025 both count
            policy(history={"institution_years": 0}),
            flow=True,
        ),
        id="history.institution_years",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1")],
                [rev("R1", 3), rev("R2", 1)],
                history=[seat(2025, "P7", "R1"), seat(2021, "P3", "R2")],
            ),
            policy(history={"min_new_share": 1.0}),  # R2's seat of 2021 counts: every year
            policy(history={"min_new_share": 1.0, "new_years": 3}),  # only 2023 on: R2 is new
        ),
        id="history.min_new_share",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1")],
                [rev("R1", 3), rev("R2", 1)],
                history=[seat(2025, "P7", "R1"), seat(2025, "P7", "R2")],
            ),
            policy(2, history={"max_repeat_pairs": 0}),
            TWO,
        ),
        id="history.max_repeat_pairs",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1")],
                [
                    rev("R1", attributes={"stage": "early"}),
                    rev("R2", attributes={"stage": "early"}),
                    rev("R3"),  # unknown: no value
                    rev("R4", attributes={"stage": "late"}),
                ],
                conflicts=[ra.Conflict(case="C1", reviewer="R4")],
            ),
            policy(2, panel={"rules": [{"attribute": "stage", "min_distinct": 2}]}),
            TWO,
        ),
        id="panel.rules-min_distinct",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1")],
                [
                    rev("R1", attributes={"stage": "early"}),
                    rev("R2", attributes={"stage": "early"}),
                ],
            ),
            policy(2, panel={"rules": [{"attribute": "stage", "max_per_value": 1}]}),
            TWO,
        ),
        id="panel.rules-max_per_value",
    ),
    pytest.param(
        Infeasible(
            problem(
                [case("C1", attributes={"income": "low"})],
                [
                    rev("R1", attributes={"income": "low"}),
                    rev("R2", attributes={"income": ("low", "mid")}),
                ],
            ),
            policy(panel={"rules": [{"attribute": "income", "same_as": "income", "at_most": 0}]}),
            ONE,
            flow=True,
        ),
        id="panel.rules-same_as-at_most-0",
    ),
]


@pytest.mark.parametrize("case_", INFEASIBLE)
def test_rule_makes_infeasible(case_: Infeasible) -> None:
    free_problem = case_.problem if case_.free_problem is None else case_.free_problem
    free = solve(free_problem, case_.free_policy)
    assert free.status is ra.Status.OPTIMAL  # the rule, nothing else, is what cannot be met

    result = solve(case_.problem, case_.policy)
    assert result.status is ra.Status.INFEASIBLE
    assert len(result.assignment) == 0
    assert result.objective is None
    assert result.bound is None
    assert result.metrics is None
    with pytest.raises(ra.InfeasibleError):
        result.raise_for_status()


# A reviewer's own load bound can cross the policy's other bound: min above max.
CROSSED_LOADS = {
    "reviewer-min_load-above-load.max": (
        problem([case("C1"), case("C2"), case("C3")], [rev("R1", min_load=3), rev("R2")]),
        policy(load={"max": 2}),  # R1 must review 3 cases, may review 2
    ),
    "reviewer-max_load-below-load.min": (
        problem(TWO_CASES, [rev("R1", max_load=0), rev("R2")]),
        policy(load={"min": 1}),  # R1 must review 1 case, may review none
    ),
}


@pytest.mark.parametrize("name", sorted(CROSSED_LOADS))
def test_crossed_load_bounds_are_infeasible(name: str) -> None:
    p, pol = CROSSED_LOADS[name]
    assert solve(p, pol).status is ra.Status.INFEASIBLE  # "auto" takes the flow path


@pytest.mark.parametrize("name", sorted(CROSSED_LOADS))
def test_crossed_load_bounds_are_infeasible_on_cpsat(name: str) -> None:
    p, pol = CROSSED_LOADS[name]
    assert solve(p, pol, method="cpsat").status is ra.Status.INFEASIBLE


# --------------------------------------------------------------------------------------
# objectives


FAIR = problem(
    [case("C1", topics={"a": 1}), case("C2", topics={"b": 1}), case("C3", topics={"c": 1})],
    [
        rev("R1", expertise={"a": 3, "b": 1}),  # C1: 1,   C2: 1/3
        rev("R2", expertise={"a": 1}),  # C1: 1/3, C2: 0
        rev("R3", expertise={"c": 2}),  # C3: 2/3
        rev("R4", expertise={"c": 3}),  # C3: 1
    ],
)


def test_objective_fairness_raises_the_worst_panel() -> None:
    affinity = solve(FAIR, policy(load={"max": 1}))
    fair = solve(FAIR, policy(load={"max": 1}, objective={"kind": "fairness"}))
    for result, pol in ((affinity, "affinity"), (fair, "fairness")):
        assert result.status is ra.Status.OPTIMAL
        assert (
            ra.check(FAIR, policy(load={"max": 1}, objective={"kind": pol}), result.assignment)
            == []
        )

    # affinity: C1 R1 (1), C2 R2 or R3 (0), C3 R4 (1)
    assert affinity.objective == pytest.approx(2.0)
    assert affinity.metrics is not None
    assert affinity.metrics.worst_case == pytest.approx(0.0)
    assert affinity.stats.worst_case is None
    # fairness: C2 can only reach 1/3 (with R1); then the best total: C1 R2, C3 R4
    assert fair.objective == pytest.approx(1 / 3 + 1 / 3 + 1)
    assert fair.metrics is not None
    assert fair.metrics.worst_case == pytest.approx(1 / 3)
    assert fair.stats.worst_case == pytest.approx(1 / 3, abs=1e-5)
    assert fair.stats.worst_case_bound == pytest.approx(1 / 3, abs=1e-5)
    assert fair.metrics.worst_case > affinity.metrics.worst_case
    assert fair.objective <= affinity.objective
    assert dict(fair.assignment) == {"C1": ("R2",), "C2": ("R1",), "C3": ("R4",)}


@pytest.mark.parametrize(
    ("weight", "total", "spread"),
    [
        (0.0, 2.0, 2),  # R1 on both cases
        (0.1, 2.0, 2),  # 2 - 0.2 = 1.8 beats 5/3 - 0.1
        (0.5, 5 / 3, 1),  # 5/3 - 0.5 = 7/6 beats 2 - 1: R1 and R2 share the cases
    ],
)
def test_objective_load_spread(weight: float, total: float, spread: int) -> None:
    # R3 has no expertise and stays idle, so the smallest load is 0.
    p = problem(TWO_CASES, [rev("R1", 3), rev("R2", 2), rev("R3")])
    pol = policy(objective={"load_spread": weight})
    result = solve(p, pol)
    assert result.status is ra.Status.OPTIMAL
    assert result.metrics is not None
    assert result.metrics.total_affinity == pytest.approx(total)
    assert result.metrics.load_spread == spread
    assert result.objective == pytest.approx(total - weight * spread)
    assert result.objective == pytest.approx(ra.evaluate(p, result.assignment, pol).objective)


# --------------------------------------------------------------------------------------
# the flow backend and CP-SAT agree where both apply


def random_problem(seed: int, n_cases: int = 6, n_reviewers: int = 10) -> ra.Problem:
    """A small random award-like problem, deterministic for a seed."""
    rng = random.Random(seed)
    regions = ["A", "B", "C"]
    topics = ["t1", "t2", "t3", "t4"]
    cases = [
        ra.Case(
            id=f"C{i}",
            region=rng.choice(regions),
            country=rng.choice(["KE", "FR", "JP"]),
            institution=(f"U{rng.randrange(10)}",),
            topics={t: rng.choice([1.0, 2.0]) for t in rng.sample(topics, rng.randint(1, 2))},
            language=rng.choice(["", "", "fr"]),
            applicants=(f"P{i}",),
        )
        for i in range(n_cases)
    ]
    reviewers = [
        ra.Reviewer(
            id=f"R{j}",
            region=regions[j % len(regions)],  # a balanced pool
            country=rng.choice(["KE", "FR", "JP"]),
            institution=f"U{rng.randrange(10)}",
            gender=rng.choice(["female", "male", "female", "male", ""]),
            seniority=rng.choice(["senior", "junior", ""]),
            expertise={t: rng.randint(1, 3) for t in rng.sample(topics, rng.randint(1, 3))},
            languages=("en", "fr") if rng.random() < 0.8 else ("en",),
        )
        for j in range(n_reviewers)
    ]
    relations = [
        ra.Relation(a=f"P{rng.randrange(n_cases)}", b=f"R{rng.randrange(n_reviewers)}")
        for _ in range(n_cases // 2)
    ]
    conflicts = {(f"C{rng.randrange(n_cases)}", f"R{rng.randrange(n_reviewers)}") for _ in range(3)}
    return ra.Problem(
        cases=cases,
        reviewers=reviewers,
        relations=relations,
        conflicts=[ra.Conflict(case=c, reviewer=r) for c, r in sorted(conflicts)],
    )


FLOW_POLICIES = {
    "neutral": policy(2),
    "region-cap": policy(2, panel={"max_per_region": 1}),
    "region-cap-implied-min-regions": policy(2, panel={"max_per_region": 1, "min_regions": 2}),
    "min-loads": policy(2, load={"min": 1, "max": 3}),
    "min-loads-region-cap": policy(2, load={"min": 1, "max": 3}, panel={"max_per_region": 1}),
    "own-region-exclude": policy(2, panel={"own_region": "exclude"}),
    "panel-rule-same-region-excluded": policy(
        2, panel={"rules": [{"attribute": "region", "same_as": "region", "at_most": 0}]}
    ),
    # (no min load here: with the region cap and own region excluded, a region with more
    # reviewers than the other regions' cases cannot give each of them a review)
    "all-of-them": policy(
        2,
        load={"max": 3},
        conflicts={"relation_distance": 2},
        panel={"max_per_region": 1, "own_region": "exclude"},
    ),
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(FLOW_POLICIES))
def test_flow_and_cpsat_agree(name: str, seed: int) -> None:
    p, pol = random_problem(seed), FLOW_POLICIES[name]
    flow = solve(p, pol, method="flow")
    cpsat = solve(p, pol, method="cpsat")
    assert flow.status is cpsat.status
    assert flow.stats.phases[1].name == "flow"
    assert any(ph.name.startswith("cpsat.") for ph in cpsat.stats.phases)
    if flow.status is ra.Status.OPTIMAL:
        assert ra.check(p, pol, flow.assignment) == []
        assert flow.objective == pytest.approx(cpsat.objective, abs=1e-5)


def weakest_pairs(p: ra.Problem, pol: ra.Policy, n: int = 3) -> list[tuple[str, str]]:
    """Forced pairs that bind: on each of the first ``n`` cases, its least-affine eligible
    reviewer, one case per reviewer."""
    inst = build_instance(p, pol)
    pairs: list[tuple[str, str]] = []
    for c in range(n):
        at = inst.case_pairs(c)
        taken = {r for _, r in pairs}
        order = sorted(range(at.start, at.stop), key=lambda i: inst.pair_affinity[i])
        for i in order:
            r = inst.reviewer_ids[int(inst.pair_reviewer[i])]
            if r not in taken:
                pairs.append((inst.case_ids[c], r))
                break
    return pairs


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(FLOW_POLICIES))
def test_flow_and_cpsat_agree_with_forced_pairs(name: str, seed: int) -> None:
    p, pol = random_problem(seed), FLOW_POLICIES[name]
    forced = weakest_pairs(p, pol)
    try:
        flow = solve(p, pol, method="flow", forced=forced)
    except ra.InputError as err:  # the weakest pairs break a cap together: fewer of them
        assert "forced pairs alone" in str(err)
        forced = forced[:1]
        flow = solve(p, pol, method="flow", forced=forced)
    cpsat = solve(p, pol, method="cpsat", forced=forced)
    assert flow.status is cpsat.status
    assert flow.stats.phases[1].name == "flow"
    if flow.status is ra.Status.OPTIMAL:
        assert ra.check(p, pol, flow.assignment, forced=forced) == []
        assert flow.objective == pytest.approx(cpsat.objective, abs=1e-5)
        assert flow.bound == pytest.approx(flow.objective, abs=1e-5)
        assert solve(p, pol, forced=forced).stats.method == "flow"  # auto picks the flow


FLOW_BINDINGS = [b for b in BINDINGS if b.values[0].flow]
FLOW_INFEASIBLE = [x for x in INFEASIBLE if x.values[0].flow]


@pytest.mark.parametrize("b", FLOW_BINDINGS)
def test_flow_and_cpsat_agree_on_rule_instances(b: Binding) -> None:
    flow = solve(b.problem, b.policy, method="flow")
    cpsat = solve(b.problem, b.policy, method="cpsat")
    assert flow.status is cpsat.status is ra.Status.OPTIMAL
    assert flow.objective == pytest.approx(b.expected)
    assert cpsat.objective == pytest.approx(b.expected)


@pytest.mark.parametrize("case_", FLOW_INFEASIBLE)
def test_flow_and_cpsat_agree_on_infeasible_instances(case_: Infeasible) -> None:
    for method in ("flow", "cpsat"):
        assert solve(case_.problem, case_.policy, method=method).status is ra.Status.INFEASIBLE


@pytest.mark.parametrize(
    "pol",
    [
        policy(2, panel={"min_genders": 2}),
        policy(2, panel={"max_per_gender": 1}),
        policy(2, panel={"min_senior": 1}),
        policy(2, panel={"min_regions": 2}),  # no region cap implies it
        policy(2, panel={"own_region": "at_least_one"}),
        policy(2, expertise={"coverage": "any"}),
        policy(2, objective={"kind": "fairness"}),
        policy(2, objective={"load_spread": 0.5}),
    ],
    ids=[
        "min_genders",
        "max_per_gender",
        "min_senior",
        "min_regions",
        "own_region-at_least_one",
        "coverage-any",
        "fairness",
        "load_spread",
    ],
)
def test_flow_refuses_what_it_cannot_express(pol: ra.Policy) -> None:
    with pytest.raises(ValueError, match="flow"):
        solve(random_problem(0), pol, method="flow")


# --------------------------------------------------------------------------------------
# conflicts and their reasons


CONFLICTED = problem(
    [case("C1", institution=("U1",), country="KE", applicants=("P1", "R5")), case("C2")],
    [
        rev("R1"),  # declared
        rev("R2", institution="U1"),  # same institution
        rev("R3", country="KE"),  # same country
        rev("R4"),  # coauthor of P1
        rev("R5"),  # an applicant of C1
        rev("R6"),  # distance 2 from P1, through R4
        rev("R7", institution="U1"),  # declared and same institution
        rev("R8", institution="U2", country="FR"),  # free
    ],
    conflicts=[
        ra.Conflict(case="C1", reviewer="R1", reason="former student"),
        ra.Conflict(case="C1", reviewer="R7"),
    ],
    relations=[ra.Relation(a="R4", b="P1", kind="coauthor"), ra.Relation(a="R6", b="R4")],
)


def reasons(pairs: Sequence[ra.ConflictPair]) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(cp.case, cp.reviewer): cp.reasons for cp in pairs}


def test_conflicts_reasons_of_each_kind() -> None:
    pairs = ra.conflicts(
        CONFLICTED, policy(conflicts={"same_country": True, "relation_distance": 2})
    )
    assert reasons(pairs) == {
        ("C1", "R1"): ("declared",),
        ("C1", "R2"): ("same_institution",),
        ("C1", "R3"): ("same_country",),
        ("C1", "R4"): ("relation",),
        ("C1", "R5"): ("applicant",),
        ("C1", "R6"): ("relation",),
        ("C1", "R7"): ("declared", "same_institution"),
    }
    assert [cp.reviewer for cp in pairs] == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]
    details = {cp.reviewer: cp.details for cp in pairs}
    assert all(len(details[cp.reviewer]) == len(cp.reasons) for cp in pairs)
    assert "former student" in details["R1"][0]
    assert "U1" in details["R2"][0]
    assert "KE" in details["R3"][0]
    assert "coauthor" in details["R4"][0] and "P1" in details["R4"][0]
    assert "2" in details["R6"][0] and "P1" in details["R6"][0]


def test_conflicts_follow_the_policy_switches() -> None:
    # Defaults: same_country off, relation distance 1.
    assert set(reasons(ra.conflicts(CONFLICTED))) == {
        ("C1", r) for r in ("R1", "R2", "R4", "R5", "R7")
    }
    off = policy(conflicts={"same_institution": False, "relation_distance": 0})
    # Declared conflicts and applicants always apply.
    assert reasons(ra.conflicts(CONFLICTED, off)) == {
        ("C1", "R1"): ("declared",),
        ("C1", "R5"): ("applicant",),
        ("C1", "R7"): ("declared",),
    }


def test_solve_avoids_every_conflict() -> None:
    pol = policy(conflicts={"same_country": True, "relation_distance": 2})
    result = solve(CONFLICTED, pol)
    assert result.status is ra.Status.OPTIMAL
    assert result.assignment["C1"] == ("R8",)
    assert result.stats.conflicts == 7
    assert result.conflicts_avoided["same_institution"] == 2


# --------------------------------------------------------------------------------------
# time limit, determinism, progress


HARD = policy(
    3,
    load={"max": 4},
    panel={"max_per_region": 1, "min_genders": 2, "min_senior": 1},
    expertise={"coverage": "any", "min_level": 2},
)


@pytest.mark.parametrize(
    "pol",
    [HARD, HARD.model_copy(update={"objective": ra.ObjectivePolicy(kind="fairness")})],
    ids=["affinity", "fairness"],
)
def test_time_limit_zero_never_raises(pol: ra.Policy) -> None:
    p = random_problem(7, n_cases=40, n_reviewers=40)
    result = solve(p, pol, time_limit=0)
    assert result.status in (ra.Status.NO_SOLUTION, ra.Status.FEASIBLE)
    assert result.stats.time_limit == 0
    if result.status is ra.Status.FEASIBLE:
        assert ra.check(p, pol, result.assignment) == []
    else:
        assert len(result.assignment) == 0
        assert result.objective is None
        assert result.metrics is None
        with pytest.raises(ra.NoSolutionError):
            result.raise_for_status()
    # the same instance is feasible given time
    assert solve(p, pol, time_limit=30).status in (ra.Status.OPTIMAL, ra.Status.FEASIBLE)


def _without_timings(result: ra.Result) -> dict[str, Any]:
    d = result.to_dict()
    d["stats"].pop("wall_time")
    for phase in d["stats"]["phases"]:
        phase.pop("seconds")
    return d


@pytest.mark.parametrize(
    "pol",
    [HARD, policy(2, objective={"kind": "fairness", "load_spread": 0.5})],
    ids=["hard", "fair"],
)
def test_solve_is_deterministic(pol: ra.Policy) -> None:
    p = random_problem(2, n_cases=40, n_reviewers=40)
    first, second = solve(p, pol), solve(p, pol)
    assert first.status is ra.Status.OPTIMAL
    assert first.assignment == second.assignment
    assert first.objective == second.objective
    assert _without_timings(first) == _without_timings(second)


def test_progress_reports_incumbents() -> None:
    # With one worker and seed 0, this instance has several incumbents before the optimum.
    p = random_problem(0, n_cases=40, n_reviewers=40)
    seen: list[ra.Progress] = []
    result = solve(p, HARD, progress=seen.append)
    assert result.status is ra.Status.OPTIMAL
    assert len(seen) >= 2, f"expected several incumbents, got {seen}"
    assert all(isinstance(x, ra.Progress) for x in seen)
    assert all(x.phase == "total" for x in seen)
    elapsed = [x.elapsed for x in seen]
    assert elapsed == sorted(elapsed)
    assert all(x >= 0 for x in elapsed)
    objectives = [x.objective for x in seen]
    assert objectives == sorted(objectives)  # each incumbent improves on the last
    assert all(x.objective <= x.bound + 1e-6 for x in seen)
    assert seen[-1].objective == pytest.approx(result.objective, abs=1e-4)
    assert result.objective is not None


def test_progress_not_called_on_the_flow_path() -> None:
    seen: list[ra.Progress] = []
    result = solve(random_problem(0), TWO, progress=seen.append)
    assert result.status is ra.Status.OPTIMAL
    assert result.stats.phases[1].name == "flow"
    assert seen == []


def test_progress_reports_both_fairness_phases() -> None:
    p = random_problem(0, n_cases=20, n_reviewers=20)
    seen: list[ra.Progress] = []
    result = solve(p, policy(2, objective={"kind": "fairness"}), progress=seen.append)
    assert result.status is ra.Status.OPTIMAL
    phases = [x.phase for x in seen]
    assert phases == sorted(phases, key=["worst_case", "total"].index)  # worst case first
    assert {"worst_case", "total"} <= set(phases)
    worst = [x.objective for x in seen if x.phase == "worst_case"]
    assert result.stats.worst_case is not None
    assert worst[-1] == pytest.approx(result.stats.worst_case, abs=1e-6)
    total = [x.objective for x in seen if x.phase == "total"]
    assert total[-1] == pytest.approx(result.objective, abs=1e-4)
