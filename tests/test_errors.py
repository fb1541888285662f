"""The exception tree: ``SolverError`` for our failures, ``InfeasibleError`` with its status."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import reviewassign as ra
from reviewassign._pipeline.finish import checked


def _infeasible() -> tuple[ra.Problem, ra.Policy]:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    return problem, ra.Policy(panel_size=2)


def test_infeasible_error_carries_the_status_and_points_to_explain() -> None:
    problem, policy = _infeasible()
    result = ra.solve(problem, policy)
    with pytest.raises(ra.InfeasibleError) as info:
        result.raise_for_status()
    assert info.value.status is ra.Status.INFEASIBLE
    assert info.value.message == "no assignment meets every hard rule of the policy"
    assert "ra.explain" in str(info.value)
    back = pickle.loads(pickle.dumps(info.value))
    assert (back.status, str(back)) == (info.value.status, str(info.value))


def test_a_lottery_that_cannot_exist_is_infeasible_with_a_status() -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    policy = ra.Policy(panel_size=1, random={"max_probability": 0.5})
    with pytest.raises(ra.InfeasibleError, match="case C1 has 1 eligible reviewers") as info:
        ra.randomize(problem, policy)
    assert info.value.status is ra.Status.INFEASIBLE


def test_solver_error_is_its_own_branch() -> None:
    assert issubclass(ra.SolverError, ra.ReviewAssignError)
    assert not issubclass(ra.SolverError, (ValueError, ra.ViolationsError, RuntimeError))
    error = pickle.loads(pickle.dumps(ra.SolverError("boom")))
    assert (str(error), error.violations) == ("boom", ())


def test_an_assignment_that_fails_check_is_a_solver_error() -> None:
    # What the pipeline does with a backend's answer: a violation it did not allow is ours.
    problem, policy = _infeasible()
    with pytest.raises(ra.SolverError, match="fails check") as info:
        checked(problem, policy, ra.Assignment({"C1": ["R1"]}), [])
    assert [v.rule for v in info.value.violations] == ["panel_size"]


def test_a_model_cp_sat_rejects_is_a_solver_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from ortools.sat.python import cp_model

    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda *_: cp_model.MODEL_INVALID)
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    with pytest.raises(ra.SolverError, match="CP-SAT rejected the model: MODEL_INVALID"):
        ra.solve(problem, ra.Policy(panel_size=1), method="cpsat")


def test_backend_status_words_and_their_public_status() -> None:
    from reviewassign._backends.solvers import BackendStatus

    assert [s.public for s in BackendStatus] == [
        ra.Status.OPTIMAL,
        ra.Status.FEASIBLE,
        ra.Status.INFEASIBLE,
        ra.Status.NO_SOLUTION,
    ]
    assert BackendStatus.named("UNKNOWN") is BackendStatus.UNKNOWN
    assert BackendStatus.named("MODEL_INVALID") is None
    assert f"{BackendStatus.UNKNOWN}" == "unknown"  # what the phases of Stats show


def test_the_command_line_shows_a_solver_error_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A user's mistake is one line and exit 2; a failure of ours keeps its traceback.
    from reviewassign import cli

    def fail(*args: object, **kwargs: object) -> ra.Result:
        raise ra.SolverError("min-cost flow failed with status 3")

    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    ra.save_problem(problem, tmp_path / "p")
    monkeypatch.setattr(cli, "solve", fail)
    with pytest.raises(ra.SolverError, match="status 3"):
        cli.main(["solve", str(tmp_path / "p")])
