"""Trust: the reproducibility record, verify, the anonymised export, safe CSV, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import re
from pathlib import Path

import pytest

import reviewassign as ra
from reviewassign._files import io as _io
from reviewassign._files.io import csv_text, safe_cell, unsafe_cell
from reviewassign._pipeline.finish import input_hash, policy_hash, problem_hash
from reviewassign.cli import main

SECRET = b"a secret of more than sixteen bytes"
POLICY = ra.Policy(panel_size=2, panel={"max_per_region": 1})


def _problem(prefix: str = "R") -> ra.Problem:
    regions = ["Africa", "Arab States", "Europe and North America"]
    return ra.Problem(
        cases=[
            ra.Case(id=f"C{i}", region=regions[i % 3], topics={"t1": 1, "t2": i % 2})
            for i in range(4)
        ],
        reviewers=[
            ra.Reviewer(
                id=f"{prefix}{i}",
                region=regions[i % 3],
                gender=["female", "male"][i % 2],
                institution=f"{prefix}-Institute-{i}",
                expertise={"t1": 1 + i % 3, "t2": 3 - i % 3},
            )
            for i in range(6)
        ],
    )


def _solved(tmp_path: Path, problem: ra.Problem | None = None) -> tuple[Path, Path, Path]:
    problem = problem or _problem()
    folder = tmp_path / "p"
    ra.save_problem(problem, folder)
    policy = tmp_path / "policy.json"
    policy.write_text(POLICY.model_dump_json())
    result = ra.solve(problem, POLICY)
    out = tmp_path / "result.json"
    ra.save_result(result, out)
    return folder, policy, out


# ------------------------------------------------------------ reproducibility record


def test_record_holds_hashes_versions_and_settings() -> None:
    problem = _problem()
    result = ra.solve(problem, POLICY, seed=3, workers=2, time_limit=30)
    s = result.stats
    assert s.problem_hash == problem_hash(problem) and len(s.problem_hash) == 64
    assert s.policy_hash == policy_hash(POLICY) and s.policy_hash != s.problem_hash
    assert s.input_hash == input_hash(problem, POLICY)
    assert s.python_version == platform.python_version()
    assert (s.seed, s.workers, s.time_limit) == (3, 2, 30)
    assert s.method in ("flow", "cpsat") or "+" in s.method
    assert s.library_version == ra.__version__ and s.ortools_version


def test_policy_hash_changes_with_the_policy_only() -> None:
    problem = _problem()
    other = ra.Policy(panel_size=2)
    assert policy_hash(other) != policy_hash(POLICY)
    assert problem_hash(problem) != problem_hash(_problem("X"))


def test_to_json_without_timings_drops_only_wall_clock_fields() -> None:
    result = ra.solve(_problem(), POLICY)
    full = json.loads(result.to_json())
    bare = json.loads(result.to_json(timings=False))
    assert "wall_time" in full["stats"] and "wall_time" not in bare["stats"]
    assert all("seconds" not in p for p in bare["stats"]["phases"])
    full["stats"].pop("wall_time")
    for p in full["stats"]["phases"]:
        p.pop("seconds")
    assert full == bare


# -------------------------------------------------------------------------- verify


def test_verify_accepts_its_own_result(tmp_path: Path) -> None:
    problem = _problem()
    _, _, out = _solved(tmp_path, problem)
    found = ra.verify(problem, POLICY, out)
    assert found.valid, str(found)
    assert found.notes == ()
    assert ra.verify(problem, POLICY, json.loads(out.read_text())).valid


def test_verify_reports_another_problem_and_policy(tmp_path: Path) -> None:
    problem = _problem()
    _, _, out = _solved(tmp_path, problem)
    changed = problem.model_copy(update={"cases": problem.cases[:3]})
    found = ra.verify(changed, POLICY, out)
    assert not found.valid
    assert any("another problem" in m for m in found.mismatches)
    found = ra.verify(problem, ra.Policy(panel_size=2), out)
    assert [m for m in found.mismatches if "another" in m] == [
        "the result was made from another policy (policy hash differs)"
    ]


def test_verify_reports_a_wrong_objective_and_a_broken_rule(tmp_path: Path) -> None:
    problem = _problem()
    _, _, out = _solved(tmp_path, problem)
    data = json.loads(out.read_text())
    data["objective"] += 1e-6
    assert any("objective" in m for m in ra.verify(problem, POLICY, data).mismatches)
    data = json.loads(out.read_text())
    case = next(iter(data["assignment"]))
    data["assignment"][case] = data["assignment"][case][:1]
    assert ra.verify(problem, POLICY, data).violations


def test_verify_notes_other_versions(tmp_path: Path) -> None:
    problem = _problem()
    _, _, out = _solved(tmp_path, problem)
    data = json.loads(out.read_text())
    data["stats"]["library_version"] = "0.0.1"
    found = ra.verify(problem, POLICY, data)
    assert found.valid and any("0.0.1" in n for n in found.notes)


def test_verify_older_record_falls_back_to_input_hash(tmp_path: Path) -> None:
    problem = _problem()
    _, _, out = _solved(tmp_path, problem)
    data = json.loads(out.read_text())
    del data["stats"]["problem_hash"], data["stats"]["policy_hash"]
    assert ra.verify(problem, POLICY, data).valid
    assert not ra.verify(problem, ra.Policy(), data).valid


def test_cli_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, policy, out = _solved(tmp_path)
    assert main(["verify", str(folder), str(out), "--policy", str(policy)]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["verify", str(folder), str(out)]) == 1  # the neutral policy: another policy
    assert "another policy" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"status": "optimal", "assignment": ["C1"]}')
    assert main(["verify", str(folder), str(bad), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "assignment" in err and "Traceback" not in err
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("case,reviewer\n")
    assert main(["verify", str(folder), str(pairs)]) == 2
    assert "pairs.csv" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["verify", str(folder), str(broken)]) == 2
    assert "broken.json" in capsys.readouterr().err


GENUINE = """\
hard rules    confirmed     every hard rule of the policy is met: 4 cases, 8 pairs
problem hash  confirmed     the result was made from this problem
policy hash   confirmed     the result was made from this policy
objective     confirmed     6.000000, recomputed from the assignment
status        not verified  optimal is claimed; not re-proven (--time-limit S re-proves it)
bound         not verified  6.000000 is claimed, not below the objective; not re-proven \
(--time-limit S re-proves it)
valid. Confirmed: hard rules, problem hash, policy hash, objective. Not verified: status, bound.
"""


def test_cli_verify_says_item_by_item_what_it_confirmed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, policy, out = _solved(tmp_path)
    assert main(["verify", str(folder), str(out), "--policy", str(policy)]) == 0
    assert capsys.readouterr().out == GENUINE
    found = ra.verify(_problem(), POLICY, out)
    assert [(f.item, f.verdict) for f in found.findings] == [
        ("hard rules", "confirmed"),
        ("problem hash", "confirmed"),
        ("policy hash", "confirmed"),
        ("objective", "confirmed"),
        ("status", "not verified"),
        ("bound", "not verified"),
    ]


def _unhashed(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A result whose stats were deleted, its objective recomputed, and another problem."""
    _, policy, out = _solved(tmp_path)
    base = _problem()
    reviewers = [r.model_copy(update={"institution": "Elsewhere"}) for r in base.reviewers]
    other = ra.Problem(cases=base.cases, reviewers=reviewers)
    assert problem_hash(other) != problem_hash(base)
    data = json.loads(out.read_text())
    del data["stats"]
    data["objective"] = ra.evaluate(other, data["assignment"], POLICY).objective
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    ra.save_problem(other, tmp_path / "other")
    return tmp_path / "other", policy, tampered


def test_verify_without_hashes_does_not_say_they_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 20, item 4: it printed "valid: every hard rule is met, the hashes and the
    # objective match" for a result without stats, against another problem.
    other, policy, tampered = _unhashed(tmp_path)
    found = ra.verify(ra.load_problem(other), POLICY, tampered)
    assert not found.valid
    assert (found.verdict("problem hash"), found.verdict("policy hash")) == ("absent", "absent")
    assert found.verdict("hard rules") == found.verdict("objective") == "confirmed"
    assert main(["verify", str(other), str(tampered), "--policy", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "the hashes" not in out and not re.search(r"\bmatch", out)
    assert "mismatch: the result records no problem or policy hash" in out
    assert "problem hash  absent        the result records none: it may come from another" in out
    assert out.endswith(
        "not valid. Absent: problem hash, policy hash. Confirmed: hard rules, objective. "
        "Not verified: status, bound.\n"
    )


def test_verify_allow_unhashed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other, policy, tampered = _unhashed(tmp_path)
    found = ra.verify(ra.load_problem(other), POLICY, tampered, allow_unhashed=True)
    assert found.valid and found.mismatches == ()
    assert found.verdict("problem hash") == "absent"
    args = ["verify", str(other), str(tampered), "--policy", str(policy), "--allow-unhashed"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "the hashes" not in out and "mismatch" not in out
    assert "policy hash   absent        the result records none; allowed, but it may come" in out
    assert out.endswith(
        "valid. Absent: problem hash, policy hash. Confirmed: hard rules, objective. "
        "Not verified: status, bound.\n"
    )
    # The allowance is no excuse for a hash that differs.
    _, _, hashed = _solved(tmp_path / "hashed")
    found = ra.verify(ra.load_problem(other), POLICY, hashed, allow_unhashed=True)
    assert not found.valid and found.verdict("problem hash") == "refuted"


def _edited_to_optimal(tmp_path: Path) -> tuple[Path, Path, Path, float]:
    """A genuine result with a worse valid assignment, edited to optimal, bound = objective."""
    problem = _problem()
    folder, policy, out = _solved(tmp_path, problem)
    data = json.loads(out.read_text())
    optimum = data["objective"]
    barred = ra.Problem(
        cases=problem.cases,
        reviewers=problem.reviewers,
        conflicts=[ra.Conflict(case=c.id, reviewer=r) for c in problem.cases for r in ("R2", "R5")],
    )
    worse = ra.solve(barred, POLICY).assignment
    assert ra.check(problem, POLICY, worse) == []
    objective = ra.evaluate(problem, worse, POLICY).objective
    assert objective < optimum - 1  # feasible, not optimal
    data |= {"assignment": worse.to_dict(), "objective": objective, "status": "optimal"}
    data |= {"bound": objective, "gap": 0.0}
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    return folder, policy, edited, optimum


def test_verify_does_not_confirm_a_status_edited_to_optimal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 20, item 4: a result edited from feasible to optimal with bound = objective
    # passed as if its status and bound had been checked.
    folder, policy, edited, _ = _edited_to_optimal(tmp_path)
    assert main(["verify", str(folder), str(edited), "--policy", str(policy)]) == 0
    out = capsys.readouterr().out
    assert "status        not verified  optimal is claimed; not re-proven" in out
    assert out.endswith("Not verified: status, bound.\n")
    found = ra.verify(_problem(), POLICY, edited)
    assert found.verdict("status") == found.verdict("bound") == "not verified"


def test_verify_time_limit_refutes_a_faked_optimum_and_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, policy, edited, optimum = _edited_to_optimal(tmp_path)
    found = ra.verify(_problem(), POLICY, edited, time_limit=10)
    assert not found.valid
    assert found.verdict("status") == found.verdict("bound") == "refuted"
    assert any("the re-solve found a better objective" in m for m in found.mismatches)
    args = ["verify", str(folder), str(edited), "--policy", str(policy), "--time-limit", "10"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert f"below {optimum:.6f} that the re-solve reached" in out
    assert "not valid. Refuted: status, bound." in out


def test_verify_time_limit_confirms_a_genuine_optimum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, policy, out = _solved(tmp_path)
    found = ra.verify(_problem(), POLICY, out, time_limit=10)
    assert found.valid
    assert found.verdict("status") == found.verdict("bound") == "confirmed"
    assert any(
        n.startswith("re-solved within 10 s (seed 0, 1 worker): optimal") for n in found.notes
    )
    args = ["verify", str(folder), str(out), "--policy", str(policy), "--time-limit", "10"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "status        confirmed     optimal: the re-solve proves the optimum 6.000000" in text
    assert text.endswith(
        "valid. Confirmed: hard rules, problem hash, policy hash, objective, status, bound.\n"
    )


def test_verify_time_limit_under_levels(tmp_path: Path) -> None:
    problem = _problem()
    fair = ra.Policy.model_validate(POLICY.model_dump() | {"objective": {"kind": "fairness"}})
    result = ra.solve(problem, fair)
    assert result.status is ra.Status.OPTIMAL and result.metrics is not None
    found = ra.verify(problem, fair, result, time_limit=10)
    assert found.verdict("status") == found.verdict("bound") == "confirmed", str(found)
    # A claimed optimum that is worse at the first level is refuted there.
    _, _, edited, _ = _edited_to_optimal(tmp_path)
    data = json.loads(edited.read_text())
    data["stats"] = result.to_dict()["stats"]
    metrics = ra.evaluate(problem, data["assignment"], fair)
    assert metrics.worst_case is not None and result.metrics.worst_case is not None
    assert metrics.worst_case < result.metrics.worst_case - 0.1
    data |= {"objective": metrics.objective, "bound": metrics.objective}
    found = ra.verify(problem, fair, data, time_limit=10)
    assert found.verdict("status") == "refuted" and "a better worst_case" in str(found)
    lex = ra.Policy.model_validate(POLICY.model_dump() | {"objective": {"kind": "leximin"}})
    found = ra.verify(problem, lex, ra.solve(problem, lex), time_limit=10)
    assert found.valid and found.verdict("status") == "not verified"
    assert "leximin" in str(found)


def test_verify_refutes_a_bound_below_its_own_objective(tmp_path: Path) -> None:
    problem = _problem()
    _, _, out = _solved(tmp_path, problem)
    data = json.loads(out.read_text())
    data["bound"] = data["objective"] - 0.5
    found = ra.verify(problem, POLICY, data)
    assert not found.valid and found.verdict("bound") == "refuted"
    assert found.mismatches == (
        "the bound 5.5 is below the objective 6.0 of the assignment itself",
    )


def test_verify_a_feasible_status_is_confirmed_by_the_rules(tmp_path: Path) -> None:
    problem = _problem()
    _, _, out = _solved(tmp_path, problem)
    data = json.loads(out.read_text())
    data["status"] = "feasible"
    found = ra.verify(problem, POLICY, data)
    assert found.valid and found.verdict("status") == "confirmed"
    assert found.verdict("bound") == "not verified"


def test_cli_verify_bad_status_bound_seed_and_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, policy, out = _solved(tmp_path)
    data = json.loads(out.read_text())
    for field, change in (("status", {"status": "best"}), ("bound", {"bound": "high"})):
        bad = tmp_path / f"bad-{field}.json"
        bad.write_text(json.dumps(data | change))
        assert main(["verify", str(folder), str(bad), "--policy", str(policy)]) == 2
        err = capsys.readouterr().err
        assert bad.name in err and field in err and "Traceback" not in err
    bad = tmp_path / "bad-seed.json"
    bad.write_text(json.dumps(data | {"stats": data["stats"] | {"seed": 2**40}}))
    assert main(["verify", str(folder), str(bad), "--time-limit", "1"]) == 2
    assert "stats.seed" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["verify", str(folder), str(out), "--time-limit", "-1"])
    assert exc.value.code == 2


# ----------------------------------------------------------------- anonymous export


def test_export_reveals_no_id_name_or_institution() -> None:
    problem = _problem("Zebulon-Quincyworth-")
    result = ra.solve(problem, POLICY)
    text = ra.export_anonymous(problem, result.assignment, SECRET)
    assert "Zebulon" not in text and "Quincyworth" not in text and "Institute" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["case", "seat", "reviewer_label"]
    assert len(rows) == sum(len(p) for p in result.assignment.values())
    assert all(r["reviewer_label"].startswith("Reviewer-") for r in rows)


def test_export_labels_are_stable_and_keyed() -> None:
    problem = _problem()
    assignment = ra.solve(problem, POLICY).assignment
    one = ra.export_anonymous(problem, assignment, SECRET)
    assert one == ra.export_anonymous(problem, assignment, SECRET)
    other = ra.export_anonymous(problem, assignment, SECRET + b"!")
    labels = {r["reviewer_label"] for r in csv.DictReader(io.StringIO(one))}
    assert labels.isdisjoint(r["reviewer_label"] for r in csv.DictReader(io.StringIO(other)))


def test_export_opt_in_columns_and_short_secret() -> None:
    problem = _problem()
    assignment = ra.solve(problem, POLICY).assignment
    text = ra.export_anonymous(problem, assignment, SECRET, columns=["region", "gender"])
    assert text.splitlines()[0] == "case,seat,reviewer_label,region,gender"
    with pytest.raises(ValueError, match="16 bytes"):
        ra.export_anonymous(problem, assignment, b"short")
    with pytest.raises(ValueError, match="unknown column"):
        ra.export_anonymous(problem, assignment, SECRET, columns=["institution"])


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _, out = _solved(tmp_path, _problem("Zebulon-"))
    secret = tmp_path / "secret.key"
    secret.write_bytes(os.urandom(32))
    csv_out = tmp_path / "panels.csv"
    args = ["export", str(folder), str(out), "--anonymous", "--secret-file", str(secret)]
    assert main([*args, "--out", str(csv_out)]) == 0
    assert "Zebulon" not in csv_out.read_text()
    secret.write_bytes(b"too short")
    assert main([*args, "--out", str(tmp_path / "x.csv")]) == 2
    assert "secret.key" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()
    no_anon = [a for a in args if a != "--anonymous"]
    assert main([*no_anon, "--out", str(csv_out)]) == 2


def test_cli_export_reads_the_attribute_columns_the_policy_declares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _, out = _solved(tmp_path)
    reviewers = folder / "reviewers.csv"
    rows = reviewers.read_text().splitlines()
    sectors = ("academia", "practice")
    with_column = [rows[0] + ",sector"] + [f"{r},{sectors[i % 2]}" for i, r in enumerate(rows[1:])]
    reviewers.write_text("\n".join(with_column) + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text(f'panel_size = {POLICY.panel_size}\n[attributes]\nreviewers = ["sector"]\n')
    secret = tmp_path / "secret.key"
    secret.write_bytes(SECRET)
    csv_out = tmp_path / "panels.csv"
    args = ["export", str(folder), str(out), "--anonymous", "--secret-file", str(secret)]
    assert main([*args, "--out", str(csv_out)]) == 2  # an undeclared column
    assert "sector" in capsys.readouterr().err and not csv_out.exists()
    assert main([*args, "--policy", str(policy), "--out", str(csv_out)]) == 0
    problem = ra.load_problem(folder, policy=ra.load_policy(policy))
    assert problem.reviewers[1].attributes == {"sector": "practice"}
    assignment = ra.load_assignment(out)
    assert csv_out.read_text() == ra.export_anonymous(problem, assignment, SECRET)
    assert main([*args, "--policy", str(policy), "--out", str(policy)]) == 2  # not the policy


def test_export_of_one_applicants_case(tmp_path: Path) -> None:
    problem = _problem()
    assignment = ra.solve(problem, POLICY).assignment
    everyone = list(csv.DictReader(io.StringIO(ra.export_anonymous(problem, assignment, SECRET))))
    case = sorted(assignment)[0]
    mine = ra.export_anonymous(problem, assignment, SECRET, cases=[case])
    rows = list(csv.DictReader(io.StringIO(mine)))
    assert {r["case"] for r in rows} == {case}
    assert rows == [r for r in everyone if r["case"] == case]  # the same labels
    with pytest.raises(ValueError, match="no panel"):
        ra.export_anonymous(problem, assignment, SECRET, cases=["nope"])
    folder, _, out = _solved(tmp_path, problem)
    secret = tmp_path / "secret.key"
    secret.write_bytes(SECRET)
    csv_out = tmp_path / "one.csv"
    args = ["export", str(folder), str(out), "--anonymous", "--secret-file", str(secret)]
    assert main([*args, "--case", case, "--out", str(csv_out)]) == 0
    assert {r["case"] for r in csv.DictReader(io.StringIO(csv_out.read_text()))} == {case}


# ------------------------------------------------------------------------ safe CSV


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(text: str) -> None:
    written = csv_text(["a"], [[text]])
    if "\r" not in text:
        assert written == f"a\n'{text}\n"
    cell = list(csv.reader(io.StringIO(written, newline="")))[1][0]
    assert cell == "'" + text
    assert unsafe_cell(cell) == text


def test_a_carriage_return_inside_a_cell_is_refused_when_read(tmp_path: Path) -> None:
    # Written quoted, never bare (a bare one would end the row); read back, a cell that
    # spans lines is an error (issue 20: a cell holds one line, and no id of a problem
    # holds a control character).
    assignment = ra.Assignment({"C\r1": ["R\r2", "\rR3"]})
    ra.save_result(
        ra.Result(ra.Status.FEASIBLE, assignment, None, None, None, ra.Stats(wall_time=0)),
        tmp_path / "r.csv",
    )
    assert (tmp_path / "r.csv").read_bytes().startswith(b'case,reviewer\n"C\r1"')
    with pytest.raises(ra.InputError, match="a quote opened on line 2 closes only on line 3"):
        ra.load_assignment(tmp_path / "r.csv")


@pytest.mark.parametrize("value", [-0.5, "-0.5", "-3", "+1e-5", 2])
def test_numbers_are_not_mangled(value: object) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("text", ["'=x", "''=x", "'plain", "it's"])
def test_quotes_round_trip(text: str) -> None:
    assert unsafe_cell(str(safe_cell(text))) == text


def test_formula_ids_round_trip_through_our_csv_files(tmp_path: Path) -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="=cmd", topics={"t": 1}), ra.Case(id="@C2", topics={"t": 1})],
        reviewers=[
            ra.Reviewer(id="+R1", institution="-Inst", expertise={"t": 3}),
            ra.Reviewer(id="'=R2", expertise={"t": 2}),
        ],
    )
    ra.save_problem(problem, tmp_path / "p")
    assert "\n'=cmd," in (tmp_path / "p" / "cases.csv").read_text()
    assert ra.load_problem(tmp_path / "p") == problem
    result = ra.solve(problem, ra.Policy(panel_size=2))
    ra.save_result(result, tmp_path / "r.csv")
    text = (tmp_path / "r.csv").read_text()
    assert not any(line[:1] in "=+-@" for line in text.splitlines())
    assert ra.load_assignment(tmp_path / "r.csv") == result.assignment


def test_marginals_are_safe_and_numeric(tmp_path: Path) -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="=C1", topics={"t": 1})],
        reviewers=[ra.Reviewer(id=f"-R{i}", expertise={"t": 2}) for i in range(3)],
    )
    folder = tmp_path / "p"
    ra.save_problem(problem, folder)
    out = tmp_path / "m.csv"
    assert main(["solve", str(folder), "--marginals", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text())))[1:]
    assert rows and all(r[0] == "'=C1" and r[1].startswith("'-R") for r in rows)
    assert all(float(r[2]) == 1.0 for r in rows)


# ------------------------------------------------------------------- atomic writes


def test_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "result.json"
    target.write_text("old\n")

    def fail(fd: int) -> None:
        raise OSError(5, "disk on fire")

    monkeypatch.setattr(_io.os, "fsync", fail)
    with pytest.raises(OSError, match="disk on fire"):
        _io.write_atomic(target, "new text, half written\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]  # no temporary left


def test_failed_export_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, _, out = _solved(tmp_path)
    secret = tmp_path / "secret.key"
    secret.write_bytes(SECRET)
    csv_out = tmp_path / "panels.csv"
    csv_out.write_text("old\n")

    def fail(fd: int) -> None:
        raise OSError(28, "no space left")

    monkeypatch.setattr(_io.os, "fsync", fail)
    args = ["export", str(folder), str(out), "--anonymous", "--secret-file", str(secret)]
    assert main([*args, "--out", str(csv_out)]) == 2
    assert csv_out.read_text() == "old\n"
