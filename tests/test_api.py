"""The public API: what ``import reviewassign`` offers and what it costs."""

from __future__ import annotations

import subprocess
import sys

import reviewassign as ra


def test_all_is_sorted_and_complete() -> None:
    assert ra.__all__ == sorted(ra.__all__)
    for name in ra.__all__:
        assert hasattr(ra, name), name
    public = {n for n in dir(ra) if not n.startswith("_")} - {"cli", "plot"}  # submodules
    assert public <= set(ra.__all__) | {"__version__"}


def test_import_does_not_load_ortools() -> None:
    code = "import sys, reviewassign; print('ortools' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_models_are_frozen_and_strict() -> None:
    case = ra.Case(id="C1")
    try:
        case.id = "C2"  # type: ignore[misc]
    except Exception as exc:  # pydantic raises ValidationError for frozen instances
        assert "frozen" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("Case is not frozen")


def test_problem_schema_is_published() -> None:
    schema = ra.Problem.model_json_schema()
    assert {"cases", "reviewers", "conflicts", "relations", "affinity"} <= set(schema["properties"])


def test_result_raise_for_status() -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    result = ra.solve(problem, ra.Policy(panel_size=2))
    assert result.status is ra.Status.INFEASIBLE
    try:
        result.raise_for_status()
    except ra.InfeasibleError:
        pass
    else:  # pragma: no cover
        raise AssertionError("raise_for_status did not raise")
    ok = ra.solve(problem, ra.Policy(panel_size=1))
    assert ok.raise_for_status() is ok
