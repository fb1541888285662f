"""The benchmark runner: one tiny row end to end, its judgement, its table, the flow reference."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from benchmarks import run
from benchmarks.run import Row, Target, bare_min_cost_flow, judge, render_markdown

TINY = "award-120x80/neutral"

SCORES = np.array([[3.0, 1.0, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 5.0]])


def test_bare_flow_one_each_with_a_conflict() -> None:
    # Permutations of the 3x3 matrix; (2, 2) is a conflict, so 3 + 2 + 5 is out and the
    # best left is (0, 0), (1, 2), (2, 1): 3 + 1 + 0.
    conflicts = np.zeros((3, 3), dtype=bool)
    conflicts[2, 2] = True
    ref = bare_min_cost_flow(SCORES, conflicts, 1, 1)
    assert ref.status == "optimal"
    assert ref.objective == pytest.approx(4.0)


def test_bare_flow_two_each() -> None:
    # Each paper leaves out one reviewer and each reviewer is left out once (6 seats, 6
    # places): the total (13) less the cheapest permutation (0).
    ref = bare_min_cost_flow(SCORES, None, 2, [2, 2, 2])
    assert ref.objective == pytest.approx(13.0)


def test_bare_flow_infeasible() -> None:
    assert bare_min_cost_flow(SCORES, None, 2, 1).status == "infeasible"


@pytest.fixture(scope="module")
def tiny_row() -> Row:
    return run.run_row(run.find("ci", TINY))


def test_one_row_has_every_field_and_passes(tiny_row: Row) -> None:
    data = dataclasses.asdict(tiny_row)
    assert set(data) == set(run.ROW_FIELDS)
    for name in (
        "cases",
        "reviewers",
        "eligible_pairs",
        "objective",
        "bound",
        "gap",
        "build_s",
        "solve_s",
        "total_s",
        "peak_mb",
        "reference_objective",
        "reference_s",
        "ratio",
    ):
        assert data[name] is not None, name
    assert (tiny_row.cases, tiny_row.reviewers) == (120, 80)
    assert tiny_row.status == "optimal"
    assert tiny_row.method == "flow"
    assert tiny_row.reference == "min-cost flow"
    assert tiny_row.objective == pytest.approx(tiny_row.reference_objective, rel=1e-9)
    assert tiny_row.passed and tiny_row.quality_ok and tiny_row.reason == ""
    assert "seed 2026" in tiny_row.note
    json.dumps(data, allow_nan=False)


def test_a_wrong_optimum_fails(tiny_row: Row) -> None:
    wrong = dataclasses.replace(tiny_row, objective=(tiny_row.objective or 0) - 0.01)
    judged = judge(wrong, Target())
    assert not judged.passed
    assert "differs from min-cost flow" in judged.reason


def test_a_gap_above_target_fails_unless_report_only(tiny_row: Row) -> None:
    loose = dataclasses.replace(tiny_row, status="feasible", gap=0.02, bound=None)
    assert not judge(dataclasses.replace(loose), Target(gap=0.01)).passed
    reported = judge(dataclasses.replace(loose), Target(gap=0.01, enforced=False))
    assert reported.passed and not reported.quality_ok
    assert "report only" in reported.reason
    assert judge(dataclasses.replace(loose), Target(gap=0.05)).passed


def test_speed_is_reported_not_failed(tiny_row: Row) -> None:
    slow = judge(dataclasses.replace(tiny_row), Target(seconds=1e-9))
    assert slow.passed and slow.time_target_met is False
    assert "speed" in slow.reason


def test_the_large_rows_are_in_the_full_suite_only() -> None:
    big = [b for b in run.benchmarks("full") if b.size and b.size[0] * b.size[1] > 5e6]
    assert {b.instance for b in big} == {"award 10000x10000", "CVPR 2018 shape"}
    assert not [b for b in run.benchmarks("ci") if b.size and b.size[0] * b.size[1] > 5e6]
    assert all(run.skip_reason(b) is None for b in big if b.kind == "award")


def test_markdown_table(tiny_row: Row) -> None:
    failed = judge(dataclasses.replace(tiny_row, name="x/failed", objective=0.0), Target())
    skipped = Row(name="x/skipped", instance="big", policy="p", status="skipped", reason="why")
    text = render_markdown([tiny_row, failed, skipped], run.machine_info("ci"))
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 3
    assert all(line.count("|") == table[0].count("|") for line in table)
    assert "| ok |" in table[2] and "| FAIL |" in table[3] and "| skipped |" in table[4]
    assert "`x/failed`" in text and "`x/skipped`: why" in text
    assert "seed 2026" in text


def test_main_runs_a_row_in_a_fresh_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run.main(["--suite", "ci", "--only", TINY, "--out-dir", str(tmp_path)])
    assert code == 0
    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["machine"]["seed"] == run.SEED
    [row] = payload["rows"]
    assert row["name"] == TINY and row["passed"] and row["peak_mb"] > 0
    assert (tmp_path / "results.md").read_text() in capsys.readouterr().out


RELATIONS = "relations/award-120x80/50k-relations/d=3"


def test_relation_row_judges_the_conflict_phase() -> None:
    bench = run.find("ci", RELATIONS)
    row = run.run_row(bench)
    assert row.status == "optimal" and row.passed, row.reason
    assert row.conflicts_s is not None and row.conflicts_s > 0
    assert row.load_s is not None and "ra.conflicts" in row.note
    assert row.reason.startswith("conflicts ")  # the phase's figures, in the table's notes
    slow = judge(dataclasses.replace(row, conflicts_s=bench.target.seconds + 1), bench.target)
    assert not slow.passed and "conflict phase" in slow.reason
    if row.conflicts_mb is not None:  # read on Linux
        big = dataclasses.replace(row, conflicts_mb=5e3)
        assert not judge(big, dataclasses.replace(bench.target, memory_mb=1024)).passed
