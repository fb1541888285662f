"""Every instance and policy of ../shared/conformance gives the status and optimum of
its expected.json (computed by an independent exact MIP model of SPEC.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reviewassign as ra
from conftest import shared_root

EXPECTED = shared_root() / "conformance" / "expected.json"
CASES = json.loads(EXPECTED.read_text()) if EXPECTED.is_file() else {}


@pytest.mark.parametrize("method", ["auto", "lp"])
@pytest.mark.parametrize("key", sorted(CASES) or ["(conformance instances absent)"])
def test_conformance(key: str, method: str, conformance_dir: Path) -> None:
    expected = CASES[key]
    instance, policy_file = key.split(" + ")
    problem = ra.load_problem(conformance_dir / instance)
    policy = ra.load_policy(conformance_dir / policy_file)

    # "lp": the LP relaxation leads CP-SAT (auto takes it on larger instances only).
    result = ra.solve(problem, policy, workers=1, seed=0, time_limit=120, method=method)  # type: ignore[arg-type]

    assert result.status.value == expected["status"]
    if expected["status"] == "infeasible":
        assert len(result.assignment) == 0
        assert result.objective is None
        return
    assert ra.check(problem, policy, result.assignment) == []
    assert result.objective == pytest.approx(expected["objective"], abs=1e-5)
    assert result.bound == pytest.approx(expected["objective"], abs=1e-5)
    assert result.gap == 0
    metrics = ra.evaluate(problem, result.assignment, policy)
    assert metrics.objective == pytest.approx(result.objective)
    assert metrics.total_affinity - policy.objective.load_spread * metrics.load_spread == (
        pytest.approx(result.objective)
    )
    if policy.objective.kind == "fairness":
        # Unique under the fairness objective (the total is maximised at that worst case).
        assert metrics.worst_case == pytest.approx(expected["worst_case"], abs=1e-5)
    else:
        assert metrics.worst_case is not None
