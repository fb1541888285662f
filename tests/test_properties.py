"""Property-based tests of the solve: what holds for every problem and policy.

The strategies (``strategies.py``) draw small problems and random policies over every
key of SPEC.md. No test asserts an exact assignment: ties are common, so the tests
compare statuses, objectives (within the solver's resolution) and what ``check`` says.

Objectives are compared within ``seats * resolution``: the solvers optimise affinities
rounded to ``stats.resolution``, so two assignments that are both optimal at that
resolution may differ in their float objective by up to half a unit per seat each.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import assume, event, given, note, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples
from strategies import flow_policies, policies, problems, relabellings, relaxations

SOLVED = (ra.Status.OPTIMAL, ra.Status.FEASIBLE)

# A solve takes milliseconds and drawing a problem some tens of them: these counts keep
# the file near a minute on two cores. Raise them tenfold to hunt for bugs.
FAST = settings()  # the profile's
SLOWER = settings(max_examples=examples(0.6))


def solve(
    problem: ra.Problem, policy: ra.Policy, method: Literal["auto", "flow", "cpsat"] = "auto"
) -> ra.Result:
    """One worker and a time limit as a safety net (no solve here comes near it)."""
    return ra.solve(problem, policy, time_limit=10, seed=0, workers=1, method=method)


def seats(problem: ra.Problem, policy: ra.Policy) -> int:
    return sum(
        c.panel_size if c.panel_size is not None else policy.panel_size for c in problem.cases
    )


def tolerance(problem: ra.Problem, policy: ra.Policy, result: ra.Result) -> float:
    """How far two optima at the solver's resolution may lie apart in float units."""
    return max(1e-6, seats(problem, policy) * result.stats.resolution)


def worst(result: ra.Result) -> float:
    assert result.metrics is not None
    assert result.metrics.worst_case is not None
    return result.metrics.worst_case


def describe(result: ra.Result) -> str:
    return f"{result.status.name} objective={result.objective} bound={result.bound}"


# --------------------------------------------------------------------------------------
# 1. Every solution passes the independent check; no solution means an empty result.


@FAST
@given(problems(), policies())
def test_every_solution_passes_check(problem: ra.Problem, policy: ra.Policy) -> None:
    result = solve(problem, policy)
    note(describe(result))
    event(result.status.name)
    if result.status in SOLVED:
        assert ra.check(problem, policy, result.assignment) == []
        assert set(result.assignment) == {c.id for c in problem.cases}
        assert result.metrics is not None
    else:
        assert result.status is ra.Status.INFEASIBLE  # nothing here comes near the limit
        assert len(result.assignment) == 0
        assert result.objective is None
        assert result.bound is None
        assert result.gap is None


# --------------------------------------------------------------------------------------
# 2. No conflicted pair is ever assigned, and no applicant reviews their own case.


@FAST
@given(problems(), policies())
def test_no_conflicted_pair_is_assigned(problem: ra.Problem, policy: ra.Policy) -> None:
    result = solve(problem, policy)
    assume(result.status in SOLVED)
    conflicted = {(cp.case, cp.reviewer) for cp in ra.conflicts(problem, policy)}
    assigned = set(result.assignment.pairs())
    assert not assigned & conflicted
    for case in problem.cases:
        assert not set(case.applicants) & set(result.assignment[case.id])
        for reviewer in case.applicants:
            if reviewer in {r.id for r in problem.reviewers}:
                assert (case.id, reviewer) in conflicted


# --------------------------------------------------------------------------------------
# 3. The objective is what evaluate() says of the assignment, and the bound bounds it.


@FAST
@given(problems(), policies())
def test_objective_bound_and_gap(problem: ra.Problem, policy: ra.Policy) -> None:
    result = solve(problem, policy)
    note(describe(result))
    assume(result.status in SOLVED)
    assert result.objective is not None
    assert result.bound is not None
    assert result.gap is not None
    assert result.objective <= result.bound + 1e-9
    assert result.gap >= 0
    metrics = ra.evaluate(problem, result.assignment, policy)
    assert result.objective == pytest.approx(metrics.objective, abs=1e-9)
    assert result.metrics == metrics
    if result.status is ra.Status.OPTIMAL:
        assert result.gap == pytest.approx(0, abs=1e-9)


# --------------------------------------------------------------------------------------
# 4. Relabelling ids and reordering cases and reviewers changes nothing.


@SLOWER
@given(problems(), policies(), st.data())
def test_relabelling_changes_nothing(
    problem: ra.Problem, policy: ra.Policy, data: st.DataObject
) -> None:
    renamed, to = data.draw(relabellings(problem), label="relabelling")
    # The conflicts are a function of the structure, not of the names.
    assert {(to[c.case], to[c.reviewer], c.reasons) for c in ra.conflicts(problem, policy)} == {
        (c.case, c.reviewer, c.reasons) for c in ra.conflicts(renamed, policy)
    }
    before, after = solve(problem, policy), solve(renamed, policy)
    note(f"before: {describe(before)}; after: {describe(after)}")
    assert before.status is after.status
    if before.status is ra.Status.OPTIMAL:
        assert before.objective is not None
        tol = tolerance(problem, policy, before)
        assert after.objective == pytest.approx(before.objective, abs=tol)
        if policy.objective.kind == "fairness":
            assert worst(after) == pytest.approx(worst(before), abs=tol)


# --------------------------------------------------------------------------------------
# 5. Removing or loosening a hard rule never lowers the optimum.


@SLOWER
@given(problems(), policies(), st.data())
def test_relaxing_a_rule_never_lowers_the_optimum(
    problem: ra.Problem, policy: ra.Policy, data: st.DataObject
) -> None:
    strict = solve(problem, policy)
    assume(strict.status is ra.Status.OPTIMAL)
    what, relaxed_policy = data.draw(relaxations(policy), label="relaxation")
    relaxed = solve(problem, relaxed_policy)
    note(f"{what}: strict {describe(strict)}; relaxed {describe(relaxed)}")
    assert relaxed.status is ra.Status.OPTIMAL
    assert strict.objective is not None
    assert relaxed.objective is not None
    tol = tolerance(problem, policy, strict)
    if policy.objective.kind == "fairness":
        # The total may drop when the worst panel improves: compare what comes first.
        assert worst(relaxed) >= worst(strict) - tol
    else:
        assert relaxed.objective >= strict.objective - tol


# --------------------------------------------------------------------------------------
# 6. Determinism: the same input and seed give the same assignment.


@FAST
@given(problems(), policies(), st.integers(0, 2**31 - 2))  # CP-SAT seeds are int32
def test_same_seed_same_result(problem: ra.Problem, policy: ra.Policy, seed: int) -> None:
    first = ra.solve(problem, policy, time_limit=10, seed=seed, workers=1)
    second = ra.solve(problem, policy, time_limit=10, seed=seed, workers=1)
    assert first.status in (ra.Status.OPTIMAL, ra.Status.INFEASIBLE)  # finished in time
    assert second.status is first.status
    assert second.assignment == first.assignment
    assert second.objective == first.objective
    assert second.stats.input_hash == first.stats.input_hash
    # Another seed may break ties differently, but not reach another optimum.
    other = ra.solve(problem, policy, time_limit=10, seed=seed + 1, workers=1)
    assert other.status is first.status
    if first.objective is not None:
        assert other.objective is not None
        tol = tolerance(problem, policy, first)
        assert other.objective == pytest.approx(first.objective, abs=tol)


def test_seed_beyond_int32_is_accepted_or_refused_plainly() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1")],
        reviewers=[ra.Reviewer(id="R1", seniority="senior"), ra.Reviewer(id="R2")],
    )
    policy = ra.Policy(panel_size=1, panel={"min_senior": 1})  # CP-SAT, not the flow
    try:
        result = ra.solve(problem, policy, time_limit=10, seed=2**31, workers=1)
    except ValueError as error:
        assert "seed" in str(error)
    else:
        assert result.status is ra.Status.OPTIMAL
        assert result.stats.seed == 2**31


# --------------------------------------------------------------------------------------
# 7. The min-cost-flow path and CP-SAT agree wherever the flow applies.


@FAST
@given(problems(), flow_policies())
def test_flow_and_cpsat_agree(problem: ra.Problem, policy: ra.Policy) -> None:
    auto = solve(problem, policy)
    assert [p.name for p in auto.stats.phases if p.name.startswith(("flow", "cpsat"))] == [
        "flow"
    ], "method='auto' should pick the min-cost flow for this policy"
    flow = solve(problem, policy, method="flow")
    cpsat = solve(problem, policy, method="cpsat")
    note(f"flow: {describe(flow)}; cpsat: {describe(cpsat)}")
    event(flow.status.name)
    assert flow.status is auto.status
    assert flow.status in (ra.Status.OPTIMAL, ra.Status.INFEASIBLE)
    assert cpsat.status is flow.status
    if flow.status is ra.Status.OPTIMAL:
        assert flow.objective is not None
        tol = tolerance(problem, policy, flow)
        assert cpsat.objective == pytest.approx(flow.objective, abs=tol)
        assert auto.objective == flow.objective


# --------------------------------------------------------------------------------------
# 8. Files round-trip: a CSV folder and a JSON file read back the same problem.


@SLOWER
@given(problems(), st.data())
def test_problem_files_round_trip(problem: ra.Problem, data: st.DataObject) -> None:
    if data.draw(st.booleans(), label="exotic ids"):
        problem, _ = data.draw(relabellings(problem), label="relabelling")
    with tempfile.TemporaryDirectory() as tmp:
        folder, file = Path(tmp) / "problem", Path(tmp) / "problem.json"
        ra.save_problem(problem, folder)
        ra.save_problem(problem, file)
        assert ra.load_problem(folder) == problem
        assert ra.load_problem(file) == problem
        # Saving over an existing folder leaves exactly the new problem.
        smaller = problem.model_copy(update={"conflicts": (), "affinity": ()})
        ra.save_problem(smaller, folder)
        assert ra.load_problem(folder) == smaller


# --------------------------------------------------------------------------------------
# 9. On tiny problems the solver finds what enumerating every assignment through check()
#    finds: the same feasibility and the same optimum. The only test where "INFEASIBLE"
#    and "OPTIMAL" are judged by check() alone.


def brute_force(problem: ra.Problem, policy: ra.Policy) -> list[ra.Metrics]:
    """The metrics of every assignment that passes ``check``, by enumeration."""
    reviewer_ids = [r.id for r in problem.reviewers]
    options: list[list[Sequence[str]]] = []
    for case in problem.cases:
        size = case.panel_size if case.panel_size is not None else policy.panel_size
        # Panels that break no rule of their own case (loads are judged on the whole).
        options.append(
            [
                panel
                for panel in itertools.combinations(reviewer_ids, size)
                if not any(v.case == case.id for v in ra.check(problem, policy, {case.id: panel}))
            ]
        )
    found = []
    for panels in itertools.product(*options):
        assignment = {c.id: p for c, p in zip(problem.cases, panels, strict=True)}
        if not ra.check(problem, policy, assignment):
            found.append(ra.evaluate(problem, assignment, policy))
    return found


@FAST
@given(problems(min_cases=2, max_cases=3, min_reviewers=3, max_reviewers=5), policies())
def test_solver_matches_enumeration(problem: ra.Problem, policy: ra.Policy) -> None:
    result = solve(problem, policy)
    feasible = brute_force(problem, policy)
    note(f"{describe(result)}; {len(feasible)} feasible assignments")
    event(result.status.name)
    if not feasible:
        assert result.status is ra.Status.INFEASIBLE
        return
    assert result.status is ra.Status.OPTIMAL
    assert result.objective is not None
    tol = tolerance(problem, policy, result)
    if policy.objective.kind == "fairness":
        best_worst = max(m.worst_case for m in feasible if m.worst_case is not None)
        assert worst(result) == pytest.approx(best_worst, abs=tol)
    else:
        assert result.objective == pytest.approx(max(m.objective for m in feasible), abs=tol)
