"""Determinism: the same inputs, seed and workers give byte-identical result files.

What is compared: ``Result.to_json(timings=False)`` (the whole JSON result less
``stats.wall_time`` and each phase's ``seconds``, the only wall-clock fields) and
``Result.to_csv()`` (the sorted ``case,reviewer`` rows), byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import reviewassign as ra

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pioneer_award"
RUNS = 20


@pytest.fixture(scope="module")
def example() -> tuple[ra.Problem, ra.Policy]:
    return ra.load_problem(EXAMPLE), ra.load_policy(EXAMPLE / "policy.toml")


def test_twenty_runs_give_byte_identical_files(example: tuple[ra.Problem, ra.Policy]) -> None:
    problem, policy = example
    first = ra.solve(problem, policy, seed=0, workers=1)
    assert first.status is ra.Status.OPTIMAL
    json_text, csv_text = first.to_json(timings=False), first.to_csv()
    for _ in range(RUNS - 1):
        again = ra.solve(problem, policy, seed=0, workers=1)
        assert again.to_json(timings=False) == json_text
        assert again.to_csv() == csv_text


def _small() -> tuple[ra.Problem, ra.Policy]:
    regions = ["Africa", "Arab States", "Asia and the Pacific", "Europe and North America"]
    problem = ra.Problem(
        cases=[
            ra.Case(id=f"C{i}", region=regions[i % 4], topics={f"t{i % 5}": 1, f"t{i % 3}": 2})
            for i in range(12)
        ],
        reviewers=[
            ra.Reviewer(
                id=f"R{j}",
                region=regions[j % 4],
                gender=["female", "male"][j % 2],
                expertise={f"t{(j + k) % 5}": 1 + (j * 7 + k) % 3 for k in range(3)},
            )
            for j in range(10)
        ],
    )
    # max_per_gender and min_regions leave the flow backend: this is a CP-SAT instance.
    policy = ra.Policy(panel={"max_per_region": 1, "min_genders": 2}, load={"max": 4})
    return problem, policy


@pytest.mark.parametrize("which", ["small", "example"])
def test_optimal_objective_is_the_same_for_any_worker_count(
    which: str, example: tuple[ra.Problem, ra.Policy]
) -> None:
    problem, policy = _small() if which == "small" else example
    objectives = {}
    for workers in (1, 2, 4):
        result = ra.solve(problem, policy, seed=0, workers=workers, time_limit=120)
        assert result.status is ra.Status.OPTIMAL, (workers, result.status)
        assert result.stats.method.startswith("cpsat")
        assert ra.check(problem, policy, result.assignment) == []
        objectives[workers] = result.objective
    assert objectives[1] is not None
    for value in objectives.values():
        assert value == pytest.approx(objectives[1], rel=1e-9, abs=1e-9)
