"""``explain``: each necessary check names its rule and the ids involved, and fires only
when the policy really cannot be met (``solve`` agrees)."""

from __future__ import annotations

from pathlib import Path

import pytest

import reviewassign as ra
from reviewassign.cli import main

REGIONS = ("Africa", "Arab States", "Europe and North America")


def reviewers(n: int, **fields: object) -> list[ra.Reviewer]:
    return [
        ra.Reviewer(id=f"R{i}", region=REGIONS[i % 3], gender=("f", "m")[i % 2], **fields)  # type: ignore[arg-type]
        for i in range(n)
    ]


def infeasible(problem: ra.Problem, policy: ra.Policy, rule: str) -> ra.Reason:
    """The explanation has a reason for ``rule``, and solve agrees that nothing fits."""
    why = ra.explain(problem, policy)
    assert why.infeasible, str(why)
    assert ra.solve(problem, policy, time_limit=20).status is ra.Status.INFEASIBLE
    found = [r for r in why.reasons if r.rule == rule]
    assert found, str(why)
    return found[0]


def test_seats_against_capacity() -> None:
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(5)], reviewers=reviewers(3))
    reason = infeasible(problem, ra.Policy(panel_size=2, load={"max": 3}), "load.max")
    assert "need 10 seats" in reason.message and "at most 9" in reason.message


def test_language_case_and_readers() -> None:
    rs = reviewers(4)
    rs[0] = rs[0].model_copy(update={"languages": ("es",)})
    problem = ra.Problem(cases=[ra.Case(id="C1", language="es")], reviewers=rs)
    reason = infeasible(problem, ra.Policy(panel_size=2), "panel.language")
    assert reason.cases == ("C1",) and reason.reviewers == ("R0",)
    assert "read es" in reason.message


def test_language_capacity_across_cases() -> None:
    rs = [
        r.model_copy(update={"languages": ("es",) if i < 2 else ("en",)})
        for i, r in enumerate(reviewers(6))
    ]
    cases = [ra.Case(id=f"C{i}", language="es") for i in range(3)]
    problem = ra.Problem(cases=cases, reviewers=rs)
    reason = infeasible(problem, ra.Policy(panel_size=2, load={"max": 2}), "panel.language")
    assert "every seat on a case in es needs a reader of es" in reason.message
    assert (
        "3 cases need 6 such seats, the 2 reviewers who read es offer at most 4" in reason.message
    )
    assert reason.reviewers == ("R0", "R1") and reason.scope == "policy"
    assert reason.keys == ("panel.language", "load.max")


def test_regions() -> None:
    rs = [ra.Reviewer(id=f"R{i}", region="Africa" if i < 3 else "Arab States") for i in range(4)]
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=rs)
    reason = infeasible(
        problem, ra.Policy(panel_size=3, panel={"max_per_region": 1}), "panel.max_per_region"
    )
    assert "Africa" in reason.message and "Arab States" in reason.message
    reason = infeasible(
        problem, ra.Policy(panel_size=2, panel={"min_regions": 3}), "panel.min_regions"
    )
    assert "only 2" in reason.message
    own = ra.Problem(cases=[ra.Case(id="C1", region="Europe and North America")], reviewers=rs)
    infeasible(
        own, ra.Policy(panel_size=1, panel={"own_region": "at_least_one"}), "panel.own_region"
    )


def test_genders_and_seniority() -> None:
    rs = [ra.Reviewer(id=f"R{i}", gender="f") for i in range(3)]
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=rs)
    reason = infeasible(
        problem, ra.Policy(panel_size=2, panel={"min_genders": 2}), "panel.min_genders"
    )
    assert "only 1" in reason.message
    infeasible(
        problem, ra.Policy(panel_size=2, panel={"max_per_gender": 1}), "panel.max_per_gender"
    )
    infeasible(problem, ra.Policy(panel_size=2, panel={"min_senior": 1}), "panel.min_senior")


def test_topic_experts_against_the_cases_that_need_them() -> None:
    rs = [ra.Reviewer(id=f"R{i}", expertise={"t07": 3 if i < 2 else 1}) for i in range(6)]
    cases = [ra.Case(id=f"C{i}", topics={"t07": 1}) for i in range(5)]
    problem = ra.Problem(cases=cases, reviewers=rs)
    policy = ra.Policy(panel_size=1, load={"max": 2}, expertise={"coverage": "all"})
    reason = infeasible(problem, policy, "expertise.coverage")
    assert "every case on t07 needs a reviewer who covers t07 at level 2" in reason.message
    assert "5 cases need 5 such seats, the 2 reviewers who cover t07" in reason.message
    assert "offer at most 4" in reason.message and reason.reviewers == ("R0", "R1")


def test_conflicts_are_applied_first() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1", institution=("Uni A",))],
        reviewers=[ra.Reviewer(id="R1", institution="Uni A"), ra.Reviewer(id="R2")],
    )
    reason = infeasible(problem, ra.Policy(panel_size=2), "panel_size")
    assert reason.reviewers == ("R2",)


def test_a_feasible_policy_has_no_reason() -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=reviewers(3))
    why = ra.explain(problem, ra.Policy(panel_size=2))
    assert not why.infeasible and why.status == "feasible" and "can be met" in str(why)
    checks_only = ra.explain(problem, ra.Policy(panel_size=2), core=False)
    assert checks_only.status == "unchecked" and "no necessary check fails" in str(checks_only)


def test_cli_explain_and_solve_print_the_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1", language="es")], reviewers=reviewers(3))
    path = tmp_path / "p.json"
    ra.save_problem(problem, path)
    assert main(["explain", str(path)]) == 3
    assert "panel.language: case C1 needs 3 reviewers" in capsys.readouterr().out
    assert main(["solve", str(path)]) == 3
    assert "panel.language" in capsys.readouterr().err
    ok = tmp_path / "ok.json"
    ra.save_problem(ra.Problem(cases=[ra.Case(id="C1")], reviewers=reviewers(3)), ok)
    assert main(["explain", str(ok)]) == 0
    assert "can be met" in capsys.readouterr().out


def test_senior_seats_against_the_seniors() -> None:
    rs = [ra.Reviewer(id=f"R{i}", seniority="senior" if i < 2 else "junior") for i in range(8)]
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(5)], reviewers=rs)
    policy = ra.Policy(panel_size=2, load={"max": 2}, panel={"min_senior": 1})
    reason = infeasible(problem, policy, "panel.min_senior")
    assert "5 cases need 5 such seats, the 2 senior reviewers offer at most 4" in reason.message
    assert reason.reviewers == ("R0", "R1")
