"""The command line: exit codes, summaries, output files, errors without tracebacks."""

from __future__ import annotations

import contextlib
import io
import json
import os
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


# --------------------------------------------- outputs aimed at inputs (issue 20, item 6)


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (through no link), by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A problem folder, its JSON twin, policies, a result, events, locks and a secret."""
    problem = _write_problem(tmp_path / "p")
    ra.save_problem(ra.load_problem(problem), tmp_path / "problem.json")
    (tmp_path / "policy.json").write_text('{"panel_size": 2}\n')
    (tmp_path / "policy.toml").write_text("panel_size = 2\n")
    for out in ("result.json", "current.csv"):
        argv = ["solve", str(problem), "--policy", str(tmp_path / "policy.toml")]
        assert main([*argv, "--out", str(tmp_path / out)]) == 0
    (tmp_path / "events.csv").write_text("event,case,reviewer,value\nload,,R0,2\n")
    (tmp_path / "locked.csv").write_text("case,reviewer\n")
    (tmp_path / "secret.csv").write_bytes(b"0123456789abcdef0123456789abcdef")
    os.link(problem / "reviewers.csv", tmp_path / "hard.csv")
    (tmp_path / "link").symlink_to(problem)
    (tmp_path / "result.html").symlink_to(tmp_path / "result.json")
    return tmp_path


REPAIR = (
    "repair {t}/p {t}/current.csv {t}/events.csv --locked {t}/locked.csv --policy {t}/policy.toml"
)
EXPORT = "export {t}/p {t}/result.json --anonymous --secret-file {t}/secret.csv"


@pytest.mark.parametrize(
    ("line", "victim"),
    [
        ("solve {t}/p --out {t}/p/cases.csv", "p/cases.csv"),
        ("solve {t}/p --policy {t}/policy.json --out {t}/policy.json", "policy.json"),
        ("solve {t}/problem.json --out {t}/problem.json", "problem.json"),
        # Absent, but read back as the problem's conflicts next time: a problem table too.
        ("solve {t}/p --out {t}/p/conflicts.csv", "p/conflicts.csv"),
        ("solve {t}/p --out {t}/p/AFFINITY.csv", "p/affinity.csv"),
        ("solve {t}/p --out {t}/r.csv --marginals {t}/r.csv", "--out"),
        ("solve {t}/p --out {t}/hard.csv", "p/reviewers.csv"),  # a hard link
        ("solve {t}/p --out {t}/link/cases.csv", "p/cases.csv"),  # through a linked folder
        ("solve {t}/link --out {t}/p/../p/reviewers.csv", "p/reviewers.csv"),
        (EXPORT + " --out {t}/p/reviewers.csv", "p/reviewers.csv"),
        (EXPORT + " --out {t}/secret.csv", "secret.csv"),
        ("report {t}/p {t}/result.json --out {t}/result.html", "result.json"),  # a link
        (REPAIR + " --out {t}/current.csv", "current.csv"),
        (REPAIR + " --out {t}/events.csv", "events.csv"),
        (REPAIR + " --out {t}/events.csv --overwrite-current", "events.csv"),
        (REPAIR + " --out {t}/locked.csv --overwrite-current", "locked.csv"),
        (REPAIR + " --out {t}/p/cases.csv --overwrite-current", "p/cases.csv"),
    ],
)
def test_an_output_onto_an_input_is_refused(inputs: Path, line: str, victim: str) -> None:
    # Before: each replaced the input (or the other output) and exited 0.
    before = _files(inputs)
    code, err = _run(line.format(t=inputs).split())
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reviewassign: error: "), err
    assert "the same file as" in err
    if victim.startswith("--"):
        assert f"the same file as {victim}" in err
    else:
        assert victim.split("/")[-1] in err  # names the input ...
    out = line.split("--out ")[1].split()[0].format(t=inputs)
    assert out in err  # ... and the output
    assert _files(inputs) == before  # nothing written, nothing lost
    if "current.csv --out" not in line and line.startswith("repair") and "current" in victim:
        assert "--overwrite-current" in err


def test_repair_out_onto_current_names_the_flag(inputs: Path) -> None:
    code, err = _run((REPAIR + " --out {t}/current.csv").format(t=inputs).split())
    assert code == 2 and "give --overwrite-current" in err, err


def test_repair_overwrite_current_replaces_it(inputs: Path) -> None:
    current = inputs / "current.csv"
    gone = sorted(ra.load_assignment(current)["C1"])[0]
    (inputs / "events.csv").write_text(f"event,case,reviewer,value\nwithdraw,,{gone},\n")
    line = (REPAIR + " --out {t}/current.csv --overwrite-current").format(t=inputs)
    code, err = _run(line.split())
    assert code == 0, err
    assert f"wrote      {current}" in err
    after = ra.load_assignment(current)
    assert all(gone not in panel for panel in after.values())
    assert sum(len(panel) for panel in after.values()) == 4


def test_an_output_beside_the_problem_tables_is_written(inputs: Path) -> None:
    problem = ra.load_problem(inputs / "p")
    code, err = _run(["solve", str(inputs / "p"), "--out", str(inputs / "p" / "result.json")])
    assert code == 0, err
    assert ra.load_problem(inputs / "p") == problem


# ------------------------------------- errors a policy causes while solving (item 9)


def test_forbid_cycles_beyond_the_cut_limit_is_one_line_exit_2(tmp_path: Path) -> None:
    # Ten reviewer-applicants, each eligible for every other's case: the complete
    # potential review graph has about 346,000 cycles of length 8 or less, more than the
    # 200,000 the rule enumerates. Before: ValueError, a traceback and exit 1.
    problem = ra.Problem(
        cases=[ra.Case(id=f"C{i}", applicants=(f"R{i}",)) for i in range(10)],
        reviewers=[ra.Reviewer(id=f"R{i}") for i in range(10)],
    )
    ra.save_problem(problem, tmp_path / "p")
    policy = tmp_path / "policy.toml"
    policy.write_text("panel_size = 1\n[integrity]\nforbid_cycles = 8\n")
    code, err = _run(["solve", str(tmp_path / "p"), "--policy", str(policy)])
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("reviewassign: error: "), err
    assert str(policy) in err and "field 'integrity.forbid_cycles'" in err
    assert "200,000" in err
    # The API raises an InputError (a ReviewAssignError and still a ValueError).
    with pytest.raises(ra.InputError) as info:
        ra.solve(problem, ra.load_policy(policy))
    assert info.value.field == "integrity.forbid_cycles"
    assert isinstance(info.value, ValueError)


def test_relax_minimal_with_a_lottery_is_one_line_exit_2(tmp_path: Path) -> None:
    # Before: ValueError from solve, a traceback and exit 1.
    problem = _write_problem(tmp_path / "p")
    policy = tmp_path / "policy.toml"
    policy.write_text("panel_size = 2\n[random]\nmax_probability = 0.5\n")
    code, err = _run(["solve", str(problem), "--policy", str(policy), "--relax", "minimal"])
    assert code == 2, err
    assert err.count("\n") == 1 and "field 'random.max_probability'" in err, err
    assert str(policy) in err


def test_time_limit_beyond_the_lp_clock_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: demo --time-limit 1e40 raised OverflowError in the LP (a traceback, exit 1).
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--time-limit", "1e40"])
    assert exit_info.value.code == 2
    assert "from 0 to 1e+09" in capsys.readouterr().err
