"""Time limits, bounds and ranges: what a solve returns when it is cut short, and the
numbers it refuses."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import reviewassign as ra
from reviewassign._lab.synthetic import award_problem

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pioneer_award"
EXAMPLE_OPTIMUM = 370.7777777  # proven by an unlimited solve (see test_cli's demo test)


@pytest.fixture(scope="module")
def example() -> tuple[ra.Problem, ra.Policy]:
    return ra.load_problem(EXAMPLE), ra.load_policy(EXAMPLE / "policy.toml")


@pytest.mark.parametrize("limit", [0.3, 0.6])
def test_a_time_limited_bound_is_a_true_bound(
    example: tuple[ra.Problem, ra.Policy], limit: float
) -> None:
    problem, policy = example
    result = ra.solve(problem, policy, time_limit=limit, workers=1, seed=0)
    assert result.status in (ra.Status.FEASIBLE, ra.Status.NO_SOLUTION, ra.Status.OPTIMAL)
    if result.status is ra.Status.NO_SOLUTION:
        assert result.bound is None and len(result.assignment) == 0
        return
    assert result.bound is not None and result.objective is not None
    assert result.bound >= EXAMPLE_OPTIMUM - 1e-9
    assert result.objective <= EXAMPLE_OPTIMUM + 1e-6
    assert result.gap == pytest.approx((result.bound - result.objective) / result.objective)
    assert ra.check(problem, policy, result.assignment) == []


def test_lagrangian_bound_when_the_backend_has_none() -> None:
    from reviewassign._pipeline.lagrangian import lagrangian_bound
    from reviewassign._reduce.eligible import build_instance

    problem = award_problem(30, 20, seed=1)
    policy = ra.load_policy(EXAMPLE / "policy.toml")
    optimum = ra.solve(problem, policy, workers=1).objective
    assert optimum is not None
    inst = build_instance(problem, policy)
    rng = np.random.default_rng(0)
    for prices in (None, rng.random(inst.n_reviewers), rng.random(inst.n_reviewers) * 0.1):
        assert lagrangian_bound(inst, policy, prices) >= optimum - 1e-9
    # Pruned to 3 candidates a case, the bound still covers every eligible pair.
    pruned = build_instance(problem, policy, candidates=3)
    assert pruned.pruned
    assert lagrangian_bound(pruned, policy) == lagrangian_bound(inst, policy)


def test_fairness_cut_short_says_so(example: tuple[ra.Problem, ra.Policy]) -> None:
    problem, policy = example
    fair = policy.model_copy(update={"objective": ra.ObjectivePolicy(kind="fairness")})
    result = ra.solve(problem, fair, time_limit=2, workers=1, seed=0)
    assert result.status in (ra.Status.FEASIBLE, ra.Status.NO_SOLUTION)
    assert result.stats.notes  # never a silent fallback
    assert result.stats.worst_case_bound is not None
    if result.status is ra.Status.FEASIBLE:
        assert result.metrics is not None and result.metrics.worst_case is not None
        assert result.metrics.worst_case <= result.stats.worst_case_bound + 1e-9
        assert ra.check(problem, fair, result.assignment) == []


@pytest.mark.parametrize("limit", [-1.0, math.inf, math.nan])
def test_time_limit_must_be_finite_and_non_negative(limit: float) -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    with pytest.raises(ValueError, match="time_limit"):
        ra.solve(problem, ra.Policy(panel_size=1), time_limit=limit)


@pytest.mark.parametrize("score", [1e5, -1e5, 1e12])
def test_scores_beyond_the_solver_range_are_refused(score: float) -> None:
    with pytest.raises(ValidationError):
        ra.Affinity(case="C1", reviewer="R1", score=score)
    with pytest.raises(ValueError, match="within"):
        ra.Problem.from_matrix([[score]])


@pytest.mark.parametrize(
    "make",
    [
        lambda: ra.Reviewer(id="R1", max_load=10**18),
        lambda: ra.Case(id="C1", panel_size=10**9),
        lambda: ra.Policy(load={"max": 10**18}),
        lambda: ra.Policy(objective={"load_spread": 1e9}),
    ],
)
def test_counts_and_weights_beyond_range_are_refused(make: object) -> None:
    with pytest.raises(ValidationError):
        make()  # type: ignore[operator]


def test_conflict_detail_names_the_nearest_applicant() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1", applicants=("P1", "P2"))],
        reviewers=[ra.Reviewer(id="R1")],
        relations=[ra.Relation(a="P1", b="P2"), ra.Relation(a="P2", b="R1", kind="coauthor")],
    )
    (pair,) = ra.conflicts(problem, ra.Policy(conflicts={"relation_distance": 2}))
    assert pair.details == ("relation: coauthor of applicant P2",)


def test_policy_built_without_validation_is_validated_again() -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    sloppy = ra.Policy().model_copy(update={"panel": {"own_region": "exlude"}})
    for call in (
        lambda: ra.solve(problem, sloppy),
        lambda: ra.check(problem, sloppy, {}),
        lambda: ra.conflicts(problem, sloppy),
    ):
        with pytest.raises(ValidationError):
            call()
