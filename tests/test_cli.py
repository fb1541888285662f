"""The command line: exit codes, summaries, output files, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import reviewassign as ra
from reviewassign.cli import main


def _write_problem(folder: Path, *, reviewers: int = 4) -> Path:
    problem = ra.Problem(
        cases=[
            ra.Case(id="C1", region="Africa", topics={"t1": 1}, language="en"),
            ra.Case(id="C2", region="Arab States", topics={"t2": 1}, language="en"),
        ],
        reviewers=[
            ra.Reviewer(
                id=f"R{i}",
                region=["Africa", "Arab States", "Europe and North America"][i % 3],
                gender=["female", "male"][i % 2],
                expertise={"t1": 1 + i % 3, "t2": 3 - i % 3},
                languages=("en",),
            )
            for i in range(reviewers)
        ],
    )
    ra.save_problem(problem, folder)
    return folder


def test_solve_writes_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem = _write_problem(tmp_path / "p")
    policy = tmp_path / "policy.toml"
    policy.write_text("panel_size = 2\n[panel]\nmax_per_region = 1\n")
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"

    assert main(["solve", str(problem), "--policy", str(policy), "--out", str(out_json)]) == 0
    assert main(["solve", str(problem), "--policy", str(policy), "--out", str(out_csv)]) == 0

    err = capsys.readouterr().err
    assert "status     optimal" in err
    assert "seats by region" in err
    data = json.loads(out_json.read_text())
    assert {"status", "objective", "bound", "gap", "assignment", "stats"} <= set(data)
    assert data["status"] == "optimal"
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "case,reviewer"
    assert len(rows) == 1 + 4
    assert rows[1:] == sorted(rows[1:])
    # check accepts both forms of the output
    assert main(["check", str(problem), str(out_json), "--policy", str(policy)]) == 0
    assert main(["check", str(problem), str(out_csv), "--policy", str(policy)]) == 0


def test_check_reports_violations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem = _write_problem(tmp_path / "p")
    bad = tmp_path / "bad.csv"
    bad.write_text("case,reviewer\nC1,R0\nC1,R3\nC2,R1\n")
    assert main(["check", str(problem), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "panel_size" in out and "C2" in out


def test_infeasible_exit_code(tmp_path: Path) -> None:
    problem = _write_problem(tmp_path / "p", reviewers=2)
    assert main(["solve", str(problem)]) == 3


def test_no_solution_exit_code(tmp_path: Path) -> None:
    # A policy CP-SAT must search (genders), with no time at all: no solution is found.
    problem = _write_problem(tmp_path / "p")
    policy = tmp_path / "policy.toml"
    policy.write_text("panel_size = 2\n[panel]\nmin_genders = 2\n")
    code = main(["solve", str(problem), "--policy", str(policy), "--time-limit", "0"])
    assert code in (0, 4)


@pytest.mark.parametrize(
    "args",
    [
        ["solve", "does-not-exist"],
        ["solve", "{problem}", "--policy", "{bad_policy}"],
        ["solve", "{problem}", "--out", "{tmp}/result.txt"],
        ["solve", "{problem}", "--time-limit", "soon"],
        ["solve", "{problem}", "--candidates", "0"],
        ["check", "{problem}", "{tmp}/missing.csv"],
        ["frobnicate"],
    ],
)
def test_bad_input_exit_2_without_traceback(tmp_path: Path, args: list[str]) -> None:
    problem = _write_problem(tmp_path / "p")
    bad_policy = tmp_path / "bad.toml"
    bad_policy.write_text("[panel]\nmax_per_regoin = 1\n")
    argv = [a.format(problem=problem, bad_policy=bad_policy, tmp=tmp_path) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "reviewassign", *argv], capture_output=True, text=True
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip()
    # one error line (usage errors add argparse's short usage above it)
    assert len(proc.stderr.strip().splitlines()) <= 6
    assert "error" in proc.stderr.strip().splitlines()[-1]


def test_bad_policy_message_names_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = _write_problem(tmp_path / "p")
    bad_policy = tmp_path / "bad.toml"
    bad_policy.write_text("[panel]\nmax_per_regoin = 1\n")
    assert main(["solve", str(problem), "--policy", str(bad_policy)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "panel.max_per_regoin" in err


def test_demo_solves_the_bundled_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pioneer.json"
    assert main(["demo", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "status     optimal" in err
    assert "conflicts" in err
    result = json.loads(out.read_text())
    problem = ra.load_problem(Path(__file__).resolve().parents[1] / "examples" / "pioneer_award")
    assert len(result["assignment"]) == len(problem.cases)


def test_out_naming_a_folder_is_refused_before_solving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = _write_problem(tmp_path / "p")
    folder = tmp_path / "result.json"
    folder.mkdir()
    assert main(["solve", str(problem), "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "result.json" in err and "folder" in err and "status" not in err


def test_out_creates_missing_folders(tmp_path: Path) -> None:
    problem = _write_problem(tmp_path / "p")
    out = tmp_path / "new" / "deeper" / "r.csv"
    assert main(["solve", str(problem), "--policy", str(_policy(tmp_path)), "--out", str(out)]) == 0
    assert out.read_text().startswith("case,reviewer\n")


def _policy(tmp_path: Path) -> Path:
    policy = tmp_path / "policy.toml"
    policy.write_text("panel_size = 2\n")
    return policy


@pytest.mark.parametrize(
    "text", ['{"status": "optimal"}', '{"status": "optimal", "assignment": null}']
)
def test_result_file_without_assignment_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    problem = _write_problem(tmp_path / "p")
    result = tmp_path / "result.json"
    result.write_text(text)
    assert main(["check", str(problem), str(result)]) == 2
    assert "field 'assignment'" in capsys.readouterr().err


def test_time_limit_inf_is_refused(tmp_path: Path) -> None:
    problem = _write_problem(tmp_path / "p")
    with pytest.raises(SystemExit) as exit_info:
        main(["solve", str(problem), "--time-limit", "inf"])
    assert exit_info.value.code == 2


def test_check_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    problem = _write_problem(tmp_path / "p")
    bad = tmp_path / "bad.csv"
    # Thousands of violations (more than a pipe buffer holds), read by a process that
    # stops after the first line.
    bad.write_text("case,reviewer\n" + "".join(f"C1,X{i}\n" for i in range(5000)))
    script = (
        f"{sys.executable} -m reviewassign check {problem} {bad} | head -n 1; "
        "exit ${PIPESTATUS[0]}"
    )
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    assert "Broken pipe" not in proc.stderr
    assert proc.returncode == 1


def test_candidates_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem = _write_problem(tmp_path / "p")
    results = []
    for value in ("2", "all", "auto"):
        out = tmp_path / f"result-{value}.json"
        assert main(["solve", str(problem), "--candidates", value, "--out", str(out)]) == 0
        results.append(json.loads(out.read_text()))
    assert len({r["objective"] for r in results}) == 1
    assert results[0]["stats"]["candidate_pairs"] <= results[1]["stats"]["candidate_pairs"]
    assert results[1]["stats"]["candidate_pairs"] == results[1]["stats"]["eligible_pairs"]
