"""No bound below its answer, exactly (issue 20): a bound is rounded outward, always.

Inside CP-SAT affinities are integers of 1e-6 (``stats.resolution``): a panel of three
1/3s is 999,999 units, though it is worth 1. A bound converted back by dividing by the
scale, or set to the solver's optimum in units when that optimum is proven, can then be a
unit or so below the exact value of the very assignment it bounds. At 2dff862 the leximin
and worst-case level bounds and ``stats.worst_case_bound`` were, on instances like these.
The comparisons here have no tolerance.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reviewassign as ra
from strategies import policies, problems

EXAMPLES = int(os.environ.get("BOUNDS_EXAMPLES", "60"))
"""Examples of the property; raise it locally to hunt harder."""

OBJECTIVES: tuple[dict[str, Any], ...] = (
    {"kind": "leximin"},
    {"kind": "leximin", "leximin_tolerance": 0.0},
    {"kind": "fairness"},
    {"kind": "fairness", "load_spread": 0.05},
    {"kind": "affinity"},
    {"kind": "affinity", "load_spread": 0.25},
    {"priorities": ("worst_case", "affinity", "load_spread")},
    {"priorities": ("affinity", "leximin")},
    {"priorities": ("coverage", "leximin", "affinity")},
)


def assert_no_bound_below_its_value(result: ra.Result) -> None:
    """Every bound of ``result`` on the right side of its value, with no tolerance."""
    if result.objective is not None and result.bound is not None:
        assert result.bound >= result.objective, (result.bound, result.objective)
    stats, metrics = result.stats, result.metrics
    if stats.worst_case_bound is not None:
        if stats.worst_case is not None:
            assert stats.worst_case_bound >= stats.worst_case
        if metrics is not None and metrics.worst_case is not None:
            assert stats.worst_case_bound >= metrics.worst_case, (
                stats.worst_case_bound,
                metrics.worst_case,
            )
    for level in result.levels:
        if level.value is None or level.bound is None:
            continue
        if level.name == "load_spread":  # minimised: its bound is a lower bound
            assert level.bound <= level.value, level
        else:
            assert level.bound >= level.value, level


@settings(max_examples=EXAMPLES)
@given(
    problems(max_cases=8, max_reviewers=10),
    policies(),
    st.sampled_from(OBJECTIVES),
    st.sampled_from((None, None, None, 0.05)),  # a short limit: bounds of unproven levels
)
def test_no_bound_below_its_value(
    problem: ra.Problem, policy: ra.Policy, objective: dict[str, Any], limit: float | None
) -> None:
    policy = policy.model_copy(update={"objective": ra.ObjectivePolicy(**objective)})
    result = ra.solve(problem, policy, time_limit=limit)
    event(f"{result.status.value}, {policy.objective.levels[0]}")
    assert_no_bound_below_its_value(result)


def _thirds() -> ra.Problem:
    # Every pair is worth 1/3 (expertise 1 of 3 in the case's one topic): each panel of
    # three is 1, which is 999,999 units inside the solver.
    return ra.Problem(
        cases=[ra.Case(id=f"C{i}", topics={"t": 1}) for i in range(2)],
        reviewers=[ra.Reviewer(id=f"R{j}", expertise={"t": 1}) for j in range(6)],
    )


@pytest.mark.parametrize("objective", [o for o in OBJECTIVES if "load_spread" not in o], ids=str)
def test_a_panel_of_thirds(objective: dict[str, Any]) -> None:
    policy = ra.Policy(panel_size=3, expertise={"min_level": 1}, objective=objective)
    result = ra.solve(_thirds(), policy)
    assert result.status is ra.Status.OPTIMAL
    assert result.metrics is not None and result.metrics.worst_case == 1.0
    assert_no_bound_below_its_value(result)
