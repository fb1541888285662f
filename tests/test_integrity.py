"""Rules over the whole assignment: review cycles, representation bands, weak matches.

``integrity.forbid_cycles``, ``representation.region_tolerance`` and
``gender_tolerance`` (hard or weighted) and ``load.max_weak_matches``: each is checked
against a hand-made instance whose plain optimum breaks it, against brute force over
every assignment of tiny random instances (``check`` and ``evaluate`` are the
specification), and through every path that builds a model (plain CP-SAT, LP-guided,
repair, relax).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples
from test_bruteforce import assert_matches_brute_force

SOLVE = {"seed": 0, "workers": 1}


def _cycles(result_or_assignment: Any, problem: ra.Problem) -> dict[str, int]:
    assignment = getattr(result_or_assignment, "assignment", result_or_assignment)
    return ra.evaluate(problem, assignment).review_cycles


# --------------------------------------------------------------------------------------
# Review cycles, by hand


def two_cycle() -> ra.Problem:
    """R1 and R2 are each the best reviewer of the other's case; R3 is weaker at both."""
    return ra.Problem(
        cases=[
            ra.Case(id="C1", applicants=("R1",), topics={"a": 1}),
            ra.Case(id="C2", applicants=("R2",), topics={"b": 1}),
        ],
        reviewers=[
            ra.Reviewer(id="R1", expertise={"b": 3}),
            ra.Reviewer(id="R2", expertise={"a": 3}),
            ra.Reviewer(id="R3", expertise={"a": 1, "b": 1}),
        ],
    )


def three_cycle() -> ra.Problem:
    """R1 fits C2, R2 fits C3, R3 fits C1 (each case's applicant is the reviewer of the
    same number); R4 is a weaker generalist. No 2-cycle is worth anything."""
    return ra.Problem(
        cases=[ra.Case(id=f"C{i}", applicants=(f"R{i}",), topics={f"t{i}": 1}) for i in (1, 2, 3)],
        reviewers=[
            ra.Reviewer(id="R1", expertise={"t2": 3}),
            ra.Reviewer(id="R2", expertise={"t3": 3}),
            ra.Reviewer(id="R3", expertise={"t1": 3}),
            ra.Reviewer(id="R4", expertise={"t1": 1, "t2": 1, "t3": 1}),
        ],
    )


@pytest.mark.parametrize("method", ["cpsat", "lp"])
def test_two_cycle_forbidden(method: str) -> None:
    problem = two_cycle()
    plain = ra.Policy(panel_size=1)
    policy = ra.Policy(panel_size=1, integrity={"forbid_cycles": 2})
    free = ra.solve(problem, plain, **SOLVE)
    assert _cycles(free, problem) == {"2": 1, "3": 0}
    found = ra.check(problem, policy, free.assignment)
    assert [v.rule for v in found] == ["integrity.forbid_cycles"]
    assert "R1 reviews C2 (applicant R2) while R2 reviews C1 (applicant R1)" in found[0].message
    result = ra.solve(problem, policy, method=method, **SOLVE)  # type: ignore[arg-type]
    assert result.status is ra.Status.OPTIMAL
    assert ra.check(problem, policy, result.assignment) == []
    assert _cycles(result, problem) == {"2": 0, "3": 0}
    assert result.objective == pytest.approx(1 + 1 / 3)  # one expert and R3 at 1/3
    assert free.objective is not None and result.objective < free.objective


def test_three_cycle_forbidden_by_three_not_by_two() -> None:
    problem = three_cycle()
    plain = ra.Policy(panel_size=1, load={"max": 1})
    free = ra.solve(problem, plain, **SOLVE)
    assert _cycles(free, problem) == {"2": 0, "3": 1}
    two = plain.model_copy(update={"integrity": ra.IntegrityPolicy(forbid_cycles=2)})
    three = plain.model_copy(update={"integrity": ra.IntegrityPolicy(forbid_cycles=3)})
    assert ra.check(problem, two, free.assignment) == []
    found = ra.check(problem, three, free.assignment)
    assert [v.rule for v in found] == ["integrity.forbid_cycles"]
    assert "length 3" in found[0].message
    with_two = ra.solve(problem, two, **SOLVE)
    assert with_two.objective == pytest.approx(free.objective)  # the 3-cycle is allowed
    with_three = ra.solve(problem, three, **SOLVE)
    assert with_three.status is ra.Status.OPTIMAL
    assert _cycles(with_three, problem) == {"2": 0, "3": 0}
    assert ra.check(problem, three, with_three.assignment) == []
    assert with_three.objective == pytest.approx(2 + 1 / 3)  # R4 breaks the cycle
    assert_matches_brute_force(problem, three, "cpsat")


def test_forbid_cycles_validation() -> None:
    with pytest.raises(ValueError, match="forbid_cycles = 1 means nothing"):
        ra.Policy(integrity={"forbid_cycles": 1})
    with pytest.raises(ValueError):
        ra.Policy(integrity={"forbid_cycles": 99})


def test_rules_over_the_whole_assignment_leave_the_flow() -> None:
    from reviewassign._backends.solvers import flow_applicable
    from reviewassign._reduce.eligible import build_instance

    problem = two_cycle()
    for update in (
        {"integrity": {"forbid_cycles": 2}},
        {"representation": {"region_tolerance": 0.1}},
        {"representation": {"gender_tolerance": 0.1}},
        {"load": {"max_weak_matches": 1}},
    ):
        policy = ra.Policy.model_validate(update)
        assert not flow_applicable(build_instance(problem, policy), policy), update
    assert flow_applicable(build_instance(problem, ra.Policy()), ra.Policy())


# --------------------------------------------------------------------------------------
# Tiny random instances: brute force and properties

IDS = ("R1", "R2", "R3", "R4")


@st.composite
def cycle_problems(draw: st.DrawFn, n_cases: int = 3) -> ra.Problem:
    """Cases whose applicants are reviewers; random levels make cycles attractive."""
    n_reviewers = draw(st.integers(3, 4))
    reviewers = []
    for j in range(n_reviewers):
        levels = {f"t{i}": draw(st.integers(0, 3)) for i in range(n_cases)}
        reviewers.append(
            ra.Reviewer(
                id=IDS[j],
                region=draw(st.sampled_from(("A", "B"))),
                gender=draw(st.sampled_from(("f", "m", ""))),
                expertise={t: v for t, v in levels.items() if v},
            )
        )
    people = st.sampled_from(IDS[:n_reviewers])
    cases = [
        ra.Case(
            id=f"C{i}",
            topics={f"t{i}": 1},
            applicants=tuple(draw(st.lists(people, max_size=2, unique=True))),
        )
        for i in range(n_cases)
    ]
    return ra.Problem(cases=cases, reviewers=reviewers)


@st.composite
def tiny_policies(draw: st.DrawFn) -> ra.Policy:
    rules: dict[str, Any] = {
        "panel_size": draw(st.integers(1, 2)),
        "load": {"max": draw(st.integers(2, 3))},
        "conflicts": {"relation_distance": 0},
        "integrity": {"forbid_cycles": draw(st.sampled_from((0, 2, 3)))},
        "objective": {"kind": draw(st.sampled_from(("affinity", "affinity", "fairness")))},
    }
    if draw(st.booleans()):
        rules["representation"] = {
            "region_tolerance": draw(st.sampled_from((0.05, 0.1, 0.2, 1.0))),
            "gender_tolerance": draw(st.sampled_from((0.1, 0.25, 1.0))),
            "weight": draw(st.sampled_from((0.0, 0.0, 0.25))),
        }
    if draw(st.booleans()):
        rules["load"]["max_weak_matches"] = draw(st.integers(0, 1))
        rules["load"]["weak_match_below"] = draw(st.sampled_from((0.5, 0.7)))
    return ra.Policy.model_validate(rules)


@settings(max_examples=examples(0.6))  # a brute force per example
@given(cycle_problems(), tiny_policies(), st.sampled_from(("cpsat", "lp")))
def test_solve_matches_brute_force(problem: ra.Problem, policy: ra.Policy, method: str) -> None:
    assert_matches_brute_force(problem, policy, method)


@settings(max_examples=examples(0.3))  # a solve per example
@given(cycle_problems(n_cases=4), st.sampled_from((2, 3)))
def test_solves_never_hold_forbidden_cycles(problem: ra.Problem, k: int) -> None:
    policy = ra.Policy(panel_size=2, load={"max": 3}, integrity={"forbid_cycles": k})
    result = ra.solve(problem, policy, **SOLVE)
    if not result.ok:
        return
    assert ra.check(problem, policy, result.assignment) == []
    counts = _cycles(result, problem)
    assert counts["2"] == 0
    if k == 3:
        assert counts["3"] == 0


# --------------------------------------------------------------------------------------
# Representation


def regions_problem() -> ra.Problem:
    """Region A's reviewers are the experts: the plain optimum seats A alone."""
    return ra.Problem(
        cases=[ra.Case(id=f"C{i}", topics={"t": 1}) for i in range(4)],
        reviewers=[
            ra.Reviewer(id="A1", region="A", gender="f", expertise={"t": 3}),
            ra.Reviewer(id="A2", region="A", gender="f", expertise={"t": 3}),
            ra.Reviewer(id="B1", region="B", gender="m", expertise={"t": 1}),
            ra.Reviewer(id="B2", region="B", gender="m", expertise={"t": 2}),
        ],
    )


REGION_POLICY = ra.Policy(panel_size=2, load={"max": 4})


def _shares_inside(problem: ra.Problem, policy: ra.Policy, assignment: Any) -> bool:
    """The bands, computed here from the metrics (not from check)."""
    m = ra.evaluate(problem, assignment, policy)
    rep = policy.representation
    for shares, pool, tol, targets, skip in (
        (m.region_shares, m.region_pool_shares, rep.region_tolerance, rep.region_targets, None),
        (
            m.gender_shares,
            m.gender_pool_shares,
            rep.gender_tolerance,
            rep.gender_targets,
            "undisclosed",
        ),
    ):
        for label, share in shares.items():
            if label != skip and abs(share - targets.get(label, pool[label])) > tol + 1e-9:
                return False
    return True


def test_region_band_hard() -> None:
    problem = regions_problem()
    free = ra.solve(problem, REGION_POLICY, **SOLVE)
    assert free.metrics is not None and free.metrics.region_shares["A"] == 1.0
    policy = REGION_POLICY.model_copy(
        update={"representation": ra.RepresentationPolicy(region_tolerance=0.25)}
    )
    found = ra.check(problem, policy, free.assignment)
    assert {v.rule for v in found} == {"representation.region_tolerance"}
    assert any("region A holds 8 of 8 seats (100.0%)" in v.message for v in found)
    result = ra.solve(problem, policy, **SOLVE)
    assert result.status is ra.Status.OPTIMAL
    assert result.metrics is not None
    assert result.metrics.region_seats == {"A": 6, "B": 2}  # 75 %: the band's edge, exactly
    assert ra.check(problem, policy, result.assignment) == []
    assert_matches_brute_force(problem, policy, "cpsat")


def test_gender_band_and_explicit_targets() -> None:
    problem = regions_problem()
    # Target f at 50 % within 0: exactly half the seats.
    policy = REGION_POLICY.model_copy(
        update={
            "representation": ra.RepresentationPolicy(
                gender_tolerance=0.0, gender_targets={"f": 0.5}
            )
        }
    )
    result = ra.solve(problem, policy, **SOLVE)
    assert result.metrics is not None
    assert result.metrics.gender_seats["f"] == 4
    # The pool share of m (50 %) applies too: it is listed in no target.
    assert result.metrics.gender_seats["m"] == 4
    assert_matches_brute_force(problem, policy, "cpsat")
    # A target of 25 % for region A within 0.1: 2 or 3 of 8 seats; B keeps its pool band.
    policy = REGION_POLICY.model_copy(
        update={
            "representation": ra.RepresentationPolicy(
                region_tolerance=0.1, region_targets={"A": 0.25}
            )
        }
    )
    result = ra.solve(problem, policy, **SOLVE)
    assert not result.ok  # B must then hold 6 seats but its pool band is 4 to 4
    assert ra.explain(problem, policy).infeasible
    loose = policy.model_copy(
        update={
            "representation": ra.RepresentationPolicy(
                region_tolerance=0.1, region_targets={"A": 0.25, "B": 0.75}
            )
        }
    )
    result = ra.solve(problem, loose, **SOLVE)
    # A: 0.15 to 0.35 of 8 seats, so 2; B: 0.65 to 0.85, so 6.
    assert result.metrics is not None and result.metrics.region_seats == {"A": 2, "B": 6}
    assert ra.check(problem, loose, result.assignment) == []


def test_targets_are_validated() -> None:
    with pytest.raises(ValueError, match="add up to"):
        ra.RepresentationPolicy(region_tolerance=0.1, region_targets={"A": 0.8, "B": 0.3})
    with pytest.raises(ValueError, match=r"need representation\.gender_tolerance"):
        ra.RepresentationPolicy(gender_targets={"f": 0.5})
    with pytest.raises(ValueError):
        ra.RepresentationPolicy(region_tolerance=1.5)


def test_weighted_bands_subtract_the_seats_outside() -> None:
    problem = regions_problem()
    # Bands of exactly 4 seats each. Region A holding all 8 is 4 over its band and B 4
    # under: 8 seats outside. Swapping an A seat (2/3 or 1) for B2 (2/3) or B1 (1/3) costs
    # at most 2/3 and brings 2 seats in: worth it at weight 2, not at 0.1.
    for weight, outside in ((0.1, 8), (2.0, 0)):
        policy = REGION_POLICY.model_copy(
            update={"representation": ra.RepresentationPolicy(region_tolerance=0.0, weight=weight)}
        )
        assert ra.check(problem, policy, ra.solve(problem, REGION_POLICY).assignment) == []
        result = ra.solve(problem, policy, **SOLVE)
        assert result.metrics is not None
        assert result.metrics.representation_outside == outside
        total = result.metrics.total_affinity
        assert result.objective == pytest.approx(total - weight * outside)
        solver = next(p for p in result.stats.phases if p.name == "cpsat.total")
        assert solver.objective == pytest.approx(result.objective, abs=1e-5)
        assert_matches_brute_force(problem, policy, "cpsat")


def test_explain_names_a_band_its_reviewers_cannot_fill() -> None:
    problem = regions_problem()
    # 4 seats; region B must hold 3 of them but its two reviewers take one review each.
    policy = ra.Policy(
        panel_size=1,
        load={"max": 3},
        representation={"region_tolerance": 0.0, "region_targets": {"B": 0.75, "A": 0.25}},
    )
    capped = problem.model_copy(
        update={
            "reviewers": tuple(
                r.model_copy(update={"max_load": 1}) if r.region == "B" else r
                for r in problem.reviewers
            )
        }
    )
    why = ra.explain(capped, policy, core=False)
    assert why.infeasible
    assert {r.rule for r in why.reasons} == {"representation.region_tolerance"}
    assert any("region B needs at least 3 of the 4 seats" in r.message for r in why.reasons)


# --------------------------------------------------------------------------------------
# Weak matches


def test_weak_match_cap() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id=f"C{i}", topics={"a": 1, "b": 1}) for i in range(3)],
        reviewers=[
            ra.Reviewer(id="R1", expertise={"a": 3}),  # 1/2 for every case: weak below 0.6
            ra.Reviewer(id="R2", expertise={"a": 3, "b": 3}),
            ra.Reviewer(id="R3", expertise={"a": 1}),
        ],
    )
    plain = ra.Policy(panel_size=2, load={"max": 3})
    policy = plain.model_copy(
        update={"load": ra.LoadPolicy(max=3, max_weak_matches=2, weak_match_below=0.6)}
    )
    free = ra.solve(problem, plain, **SOLVE)
    found = ra.check(problem, policy, free.assignment)
    assert [(v.rule, v.reviewer) for v in found] == [("load.max_weak_matches", "R1")]
    result = ra.solve(problem, policy, **SOLVE)
    assert result.ok and ra.check(problem, policy, result.assignment) == []
    assert result.metrics is not None and result.metrics.loads["R1"] == 2
    assert_matches_brute_force(problem, policy, "cpsat")
    # At the threshold exactly, a pair is not weak.
    at = plain.model_copy(
        update={"load": ra.LoadPolicy(max=3, max_weak_matches=0, weak_match_below=0.5)}
    )
    assert all(v.reviewer != "R1" for v in ra.check(problem, at, free.assignment))
    assert free.metrics is not None and free.metrics.loads["R1"] >= 2


# --------------------------------------------------------------------------------------
# Properties on the shared strategies: hard bands hold in every solve


@settings(max_examples=examples(0.25))  # a solve per example
@given(
    cycle_problems(n_cases=4),
    st.sampled_from((0.0, 0.05, 0.1, 0.25)),
    st.sampled_from((0.05, 0.1, 1.0)),
)
def test_hard_bands_hold_in_every_solve(problem: ra.Problem, region: float, gender: float) -> None:
    policy = ra.Policy(
        panel_size=2,
        load={"max": 3},
        representation={"region_tolerance": region, "gender_tolerance": gender},
    )
    result = ra.solve(problem, policy, **SOLVE)
    if not result.ok:
        return
    assert ra.check(problem, policy, result.assignment) == []
    assert _shares_inside(problem, policy, result.assignment)


def test_band_edges_in_floats() -> None:
    # 3 seats, pool share 1/3 within 0: one seat, though 3 * (1/3) is not exactly 1.
    problem = ra.Problem(
        cases=[ra.Case(id=f"C{i}") for i in range(3)],
        reviewers=[ra.Reviewer(id=f"R{i}", region=r) for i, r in enumerate("ABC")],
    )
    policy = ra.Policy(panel_size=1, representation={"region_tolerance": 0.0})
    result = ra.solve(problem, policy, **SOLVE)
    assert result.ok
    assert result.metrics is not None
    assert set(result.metrics.region_seats.values()) == {1}
    assert math.isclose(sum(result.metrics.region_shares.values()), 1.0)


# --------------------------------------------------------------------------------------
# Repair and relax respect the rules


def test_repair_respects_cycles() -> None:
    problem = two_cycle().model_copy(
        update={"reviewers": (*two_cycle().reviewers, ra.Reviewer(id="R4", expertise={"a": 1}))}
    )
    current = {"C1": ("R3",), "C2": ("R1",)}
    policy = ra.Policy(panel_size=1, load={"max": 1}, integrity={"forbid_cycles": 2})
    event = [ra.Event.decline("C1", "R3")]
    free = ra.repair(problem, ra.Policy(panel_size=1, load={"max": 1}), current, event, **SOLVE)
    assert free.assignment["C1"] == ("R2",)  # without the rule: the 2-cycle R1, R2
    fixed = ra.repair(problem, policy, current, event, **SOLVE)
    assert fixed.status is ra.Status.OPTIMAL
    assert fixed.assignment["C1"] == ("R4",)
    assert ra.check(fixed.problem, policy, fixed.assignment) == []


def test_relax_respects_cycles_and_bands() -> None:
    problem = two_cycle()
    # Two genders per panel cannot hold (no gender is disclosed): relax must break it
    # while the review-cycle rule stays hard.
    policy = ra.Policy(panel_size=1, panel={"min_genders": 1}, integrity={"forbid_cycles": 2})
    result = ra.solve(problem, policy, relax="minimal", **SOLVE)
    assert result.ok
    assert {v.rule for v in result.broken} == {"panel.min_genders"}
    assert _cycles(result, problem) == {"2": 0, "3": 0}
    free = ra.solve(
        problem, policy.model_copy(update={"integrity": ra.IntegrityPolicy()}), relax="minimal"
    )
    assert _cycles(free, problem)["2"] == 1  # the rule is what keeps the cycle out
    why = ra.explain(problem, policy, core=True)
    assert why.infeasible
    assert any(n.startswith("held hard:") and "integrity.forbid_cycles" in n for n in why.notes)
    banded = ra.Policy(
        panel_size=2,
        load={"max": 4},
        panel={"min_senior": 1},
        representation={"region_tolerance": 0.25},
    )
    result = ra.solve(regions_problem(), banded, relax="minimal", **SOLVE)
    assert result.ok
    assert {v.rule for v in result.broken} == {"panel.min_senior"}
    assert _shares_inside(regions_problem(), banded, result.assignment)


def test_two_cycle_optimum_by_hand() -> None:
    # Every assignment of the 2-cycle instance, enumerated here.
    problem = two_cycle()
    policy = ra.Policy(panel_size=1, integrity={"forbid_cycles": 2})
    best = max(
        ra.evaluate(problem, dict(zip(("C1", "C2"), ((a,), (b,)), strict=True))).objective
        for a, b in itertools.product(("R2", "R3"), ("R1", "R3"))
        if ra.check(problem, policy, {"C1": (a,), "C2": (b,)}) == []
    )
    assert best == pytest.approx(ra.solve(problem, policy, **SOLVE).objective)
