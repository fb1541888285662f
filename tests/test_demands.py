"""Policy-level reasons (issue 15, item 1): seats a group must hold against what it can hold.

One infeasible instance per rule family, and combinations of two rules, each of which
passes every single-case test: the reason must name the right policy keys and counts, and
a solve must agree that no assignment exists. A property asserts that a policy-level
reason is never given for a feasible policy (each is a proof).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reviewassign as ra
from strategies import policies, problems

AFRICA, EUROPE, LATAM = "Africa", "Europe and North America", "Latin America and the Caribbean"


def policy_level(problem: ra.Problem, policy: ra.Policy) -> list[ra.Reason]:
    """The policy-level reasons of an infeasible policy; a solve must agree."""
    why = ra.explain(problem, policy, core=False)
    assert why.infeasible, str(why)
    assert ra.solve(problem, policy, time_limit=20, workers=1).status is ra.Status.INFEASIBLE
    assert not [r for r in why.reasons if r.scope == "case"], str(why)  # each case alone is fine
    return [r for r in why.reasons if r.scope == "policy"]


def only(problem: ra.Problem, policy: ra.Policy) -> ra.Reason:
    """The one policy-level reason."""
    reasons = policy_level(problem, policy)
    assert len(reasons) == 1, "\n".join(map(str, reasons))
    return reasons[0]


def people(n: int, prefix: str = "R", **fields: Any) -> list[ra.Reviewer]:
    """``n`` reviewers with the same fields."""
    return [ra.Reviewer(id=f"{prefix}{i}", **fields) for i in range(n)]


def test_undisclosed_genders_forced_by_a_gender_cap() -> None:
    rs = (
        people(4, "F", gender="female") + people(4, "M", gender="male") + people(1, "U", max_load=2)
    )
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(6)], reviewers=rs)
    reason = only(problem, ra.Policy(panel_size=3, panel={"max_per_gender": 1}))
    assert reason.keys == ("panel.max_per_gender", "panel_size", "load.max")
    assert reason.message.startswith(
        "with at most 1 seat per gender on panels of 3, every panel needs a reviewer of "
        "undisclosed gender: 6 cases need 6 such seats, the 1 reviewer of undisclosed gender "
        "offers at most 2"
    ), reason.message
    assert reason.reviewers == ("U0",) and len(reason.cases) == 6


def test_scarce_seniors() -> None:
    rs = people(3, "S", seniority="senior", max_load=2) + people(6, "J", seniority="junior")
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(4)], reviewers=rs)
    reason = only(problem, ra.Policy(panel_size=3, panel={"min_senior": 2}))
    assert reason.keys == ("panel.min_senior", "load.max")
    assert "every panel needs 2 senior reviewers (panel.min_senior = 2)" in reason.message
    assert "4 cases need 8 such seats, the 3 senior reviewers offer at most 6" in reason.message


def test_a_rare_language() -> None:
    rs = people(4, "E", languages=("en", "es"), max_load=2) + people(6, "N", languages=("en",))
    cases = [ra.Case(id=f"S{i}", language="es") for i in range(3)] + [ra.Case(id="C0")]
    reason = only(ra.Problem(cases=cases, reviewers=rs), ra.Policy(panel_size=3))
    assert reason.keys == ("panel.language", "load.max")
    assert "3 cases need 9 such seats, the 4 reviewers who read es offer at most 8" in (
        reason.message
    )
    assert reason.cases == ("S0", "S1", "S2")


def test_a_topic_with_few_experts() -> None:
    rs = people(2, "X", expertise={"t1": 3}, max_load=2) + people(6, "N", expertise={"t2": 3})
    cases = [ra.Case(id=f"C{i}", topics={"t1": 1}) for i in range(5)]
    policy = ra.Policy(panel_size=2, expertise={"coverage": "all"})
    reason = only(ra.Problem(cases=cases, reviewers=rs), policy)
    assert reason.keys == ("expertise.coverage", "load.max")
    assert "5 cases need 5 such seats, the 2 reviewers who cover t1 at level 2 or more" in (
        reason.message
    )


def test_tight_loads_on_the_cases_conflicts_leave_to_few_reviewers() -> None:
    # Plenty of capacity in all, but C0-C2 may only take R0 and R1 (one review each).
    rs = people(2, "R", max_load=1) + people(4, "O")
    conflicts = [ra.Conflict(case=f"C{c}", reviewer=f"O{r}") for c in range(3) for r in range(4)]
    cases = [ra.Case(id=f"C{i}") for i in range(6)]
    problem = ra.Problem(cases=cases, reviewers=rs, conflicts=conflicts)
    reason = only(problem, ra.Policy(panel_size=1))
    assert reason.keys == ("panel_size", "load.max")
    assert "3 cases need 3 such seats, the 2 reviewers eligible for them offer at most 2" in (
        reason.message
    ), reason.message
    assert reason.cases == ("C0", "C1", "C2") and reason.reviewers == ("R0", "R1")


def test_own_region_excluded_with_a_small_other_region() -> None:
    rs = people(5, "E", region=EUROPE) + people(2, "A", region=AFRICA, max_load=2)
    cases = [ra.Case(id=f"C{i}", region=EUROPE) for i in range(4)]
    policy = ra.Policy(panel_size=2, panel={"own_region": "exclude"})
    reason = only(ra.Problem(cases=cases, reviewers=rs), policy)
    assert reason.keys == ("panel.own_region", "load.max")
    assert f"every seat on a case from {EUROPE} needs a reviewer from outside {EUROPE}" in (
        reason.message
    )
    assert "4 cases need 8 such seats" in reason.message and "offer at most 4" in reason.message


def test_own_region_needed_from_a_small_region() -> None:
    rs = people(1, "A", region=AFRICA, max_load=1) + people(3, "E", region=EUROPE)
    cases = [ra.Case(id=f"C{i}", region=AFRICA) for i in range(2)]
    policy = ra.Policy(panel_size=1, panel={"own_region": "at_least_one"})
    reason = only(ra.Problem(cases=cases, reviewers=rs), policy)
    assert reason.keys == ("panel.own_region", "load.max")
    assert "2 cases need 2 such seats, the 1 reviewer from Africa offers at most 1" in (
        reason.message
    )


def test_a_region_cap_with_a_language() -> None:
    # Every seat of a Spanish case reads Spanish, at most one from Latin America: the
    # readers from elsewhere must hold two seats a panel, 6 in all; they offer 4.
    rs = (
        people(4, "L", region=LATAM, languages=("es",), max_load=3)
        + people(2, "E", region=EUROPE, languages=("es",), max_load=1)
        + people(2, "A", region=AFRICA, languages=("es",), max_load=1)
        + people(3, "N", region=EUROPE, languages=("en",))
    )
    cases = [ra.Case(id=f"S{i}", language="es") for i in range(3)]
    policy = ra.Policy(panel_size=3, panel={"max_per_region": 1})
    reason = only(ra.Problem(cases=cases, reviewers=rs), policy)
    assert reason.keys == ("panel.language", "panel.max_per_region", "load.max")
    assert "every panel needs 2 reviewers who read es, other than those from Latin" in (
        reason.message
    )
    assert "3 cases need 6 such seats" in reason.message and "offer at most 4" in reason.message


def test_a_region_cap_on_every_seat() -> None:
    # Everyone reads the language: the count is on every seat among the eligible.
    rs = people(4, "L", region=LATAM, max_load=3) + people(2, "E", region=EUROPE, max_load=1)
    rs += people(2, "A", region=AFRICA, max_load=1)
    cases = [ra.Case(id=f"S{i}") for i in range(3)]
    policy = ra.Policy(panel_size=3, panel={"max_per_region": 1})
    reason = only(ra.Problem(cases=cases, reviewers=rs), policy)
    assert reason.keys == ("panel_size", "panel.max_per_region", "load.max")
    assert "every panel needs its 3 reviewers among those eligible for it; with at most 1" in (
        reason.message
    )
    assert "3 cases need 6 such seats" in reason.message and "offer at most 4" in reason.message


def test_a_gender_cap_with_seniors() -> None:
    # Two seniors a panel, at most one man: a senior woman on every panel; there is one.
    rs = (
        people(5, "M", gender="male", seniority="senior")
        + people(1, "F", gender="female", seniority="senior", max_load=2)
        + people(4, "W", gender="female", seniority="junior")
        + people(4, "U", seniority="junior")
    )
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(4)], reviewers=rs)
    policy = ra.Policy(panel_size=3, panel={"min_senior": 2, "max_per_gender": 1})
    reason = only(problem, policy)
    assert reason.keys == ("panel.min_senior", "panel.max_per_gender", "load.max")
    assert "other than those of gender male" in reason.message
    assert "4 cases need 4 such seats" in reason.message and "offers at most 2" in (reason.message)


def test_a_feasible_policy_has_no_policy_level_reason() -> None:
    rs = people(6, "M", gender="male") + people(6, "F", gender="female") + people(3, "U")
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(6)], reviewers=rs)
    why = ra.explain(problem, ra.Policy(panel_size=3, panel={"max_per_gender": 1}), core=False)
    assert not why.reasons, str(why)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), policies(), st.data())
def test_a_policy_level_reason_is_a_proof(
    problem: ra.Problem, policy: ra.Policy, data: st.DataObject
) -> None:
    """Whenever a policy-level reason is given, no assignment meets the policy."""
    del data
    why = ra.explain(problem, policy, core=False)
    if any(r.scope == "policy" for r in why.reasons):
        result = ra.solve(problem, policy, time_limit=20, workers=1)
        assert result.status is ra.Status.INFEASIBLE, str(why)


@pytest.mark.parametrize("scope", ["policy", "case"])
def test_reasons_say_their_scope_and_keys(scope: str) -> None:
    reason = ra.Reason("panel.min_senior", "m", also=("load.max",), scope=scope)  # type: ignore[arg-type]
    assert reason.keys == ("panel.min_senior", "load.max")
    assert str(reason) == "panel.min_senior + load.max: m"


def test_a_key_core_cut_short_is_not_called_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every solve of the key search runs out of time: only the checks decide. The keys kept
    # still cannot hold together, but nothing may claim they are minimal or restore it.
    from reviewassign._workflows import policy_core

    monkeypatch.setattr(policy_core._Oracle, "solve", lambda self, policy, limit=5.0: None)
    rs = people(4, "F", gender="female") + people(4, "M", gender="male") + people(1, "U")
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(6)], reviewers=rs)
    policy = ra.Policy(panel_size=3, load={"max": 2}, panel={"max_per_gender": 1})
    why = ra.explain(problem, policy)
    assert why.infeasible and why.keys and not why.keys_irreducible, str(why)
    text = str(why)
    assert "a conflicting set, not proven minimal" in text and "proven minimal:" not in text
    assert all(r.restores is not True for r in why.relaxations), text
    assert "verified by a solve" not in text


def test_the_key_core_and_its_priced_changes() -> None:
    rs = people(4, "F", gender="female") + people(4, "M", gender="male")
    rs += people(1, "U", max_load=2)
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(6)], reviewers=rs)
    policy = ra.Policy(panel_size=3, panel={"max_per_gender": 1})
    why = ra.explain(problem, policy, time_limit=60)
    # U0's own max_load is no policy key: the gender cap alone cannot hold.
    assert why.keys == ("panel.max_per_gender",) and why.keys_irreducible, str(why)
    (step,) = [r for r in why.relaxations if r.scope == "policy"]
    assert step.change == "set panel.max_per_gender from 1 to 2" and step.restores is True
    assert step.price == 0.0 and step.proven
    fixed = policy.with_settings(step.settings)
    assert ra.solve(problem, fixed, workers=1).status is ra.Status.OPTIMAL
