"""``repair``: each event kind, locked pairs, errors, files, the command line, properties.

Unit tests run on the bundled Pioneer Award example (150 cases, 90 reviewers, loads with
room to spare), where each event has a repair of the fewest changes the counting bound
allows; property tests draw small problems and one random event each.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import reviewassign as ra
from reviewassign.cli import main
from strategies import policies, problems

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "pioneer_award"
SOLVED = (ra.Status.OPTIMAL, ra.Status.FEASIBLE)

Pairs = set[tuple[str, str]]


@pytest.fixture(scope="module")
def award() -> tuple[ra.Problem, ra.Policy, ra.Assignment]:
    problem = ra.load_problem(EXAMPLE)
    policy = ra.load_policy(EXAMPLE / "policy.toml")
    result = ra.solve(problem, policy, seed=0, workers=1)
    assert result.status is ra.Status.OPTIMAL
    return problem, policy, result.assignment


def _repair(
    problem: ra.Problem,
    policy: ra.Policy,
    current: ra.Assignment,
    events: list[ra.Event],
    locked: list[tuple[str, str]] | None = None,
) -> ra.Repair:
    fixed = ra.repair(
        problem, policy, current, events, locked=locked or [], time_limit=30, seed=0, workers=1
    )
    assert fixed.ok, fixed.result.stats.notes
    assert ra.check(fixed.problem, policy, fixed.assignment) == []
    old, new = set(current.pairs()), set(fixed.assignment.pairs())
    assert set(fixed.added) == new - old
    assert set(fixed.removed) == old - new
    assert list(fixed.added) == sorted(fixed.added)
    assert list(fixed.removed) == sorted(fixed.removed)
    assert fixed.changes == len(fixed.added) + len(fixed.removed)
    assert fixed.result.assignment == fixed.assignment
    return fixed


def _busiest(current: ra.Assignment) -> str:
    loads = current.loads()
    return max(loads, key=lambda r: (loads[r], r))


# ------------------------------------------------------------------ one event each


def test_decline_replaces_exactly_one_pair(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
) -> None:
    problem, policy, current = award
    case = sorted(current)[5]
    reviewer = current[case][0]
    fixed = _repair(problem, policy, current, [ra.Event.decline(case, reviewer)])
    assert fixed.status is ra.Status.OPTIMAL
    assert fixed.removed == ((case, reviewer),)
    assert len(fixed.added) == 1 and fixed.added[0][0] == case
    assert fixed.changes == 2
    assert any(
        c.case == case and c.reviewer == reviewer and c.reason == "declined"
        for c in fixed.problem.conflicts
    )
    diff = fixed.by_case()
    assert diff == {case: {"added": [fixed.added[0][1]], "removed": [reviewer]}}
    assert str(fixed).splitlines()[0] == f"{case}: -{reviewer} +{fixed.added[0][1]}"
    assert fixed.by_reviewer()[reviewer] == {"added": [], "removed": [case]}


def test_withdraw_reassigns_only_that_reviewers_cases(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
) -> None:
    problem, policy, current = award
    reviewer = _busiest(current)
    theirs = {c for c, r in current.pairs() if r == reviewer}
    fixed = _repair(problem, policy, current, [ra.Event.withdraw(reviewer)])
    assert set(fixed.removed) == {(c, reviewer) for c in theirs}
    assert {c for c, _ in fixed.added} == theirs
    assert fixed.changes == 2 * len(theirs)
    assert reviewer not in fixed.assignment.loads()
    assert fixed.problem.reviewer(reviewer).max_load == 0


def test_conflict_moves_the_pair(award: tuple[ra.Problem, ra.Policy, ra.Assignment]) -> None:
    problem, policy, current = award
    case = sorted(current)[-1]
    reviewer = current[case][-1]
    fixed = _repair(problem, policy, current, [ra.Event.conflict(case, reviewer)])
    assert fixed.removed == ((case, reviewer),)
    assert fixed.changes == 2
    assert reviewer not in fixed.assignment[case]
    declared = [c for c in fixed.problem.conflicts if (c.case, c.reviewer) == (case, reviewer)]
    assert [c.reason for c in declared] == ["declared"]


def test_add_case_adds_only_its_seats(award: tuple[ra.Problem, ra.Policy, ra.Assignment]) -> None:
    problem, policy, current = award
    new = sorted(current)[10]
    before = ra.Assignment({c: p for c, p in current.items() if c != new})
    fixed = _repair(problem, policy, before, [ra.Event.add_case(new)])
    assert fixed.removed == ()
    assert {c for c, _ in fixed.added} == {new}
    assert fixed.changes == policy.panel_size


def test_withdraw_case_removes_its_pairs_and_nothing_else(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
) -> None:
    problem, policy, current = award
    gone = sorted(current)[20]
    fixed = _repair(problem, policy, current, [ra.Event.withdraw_case(gone)])
    assert fixed.added == ()
    assert set(fixed.removed) == {(gone, r) for r in current[gone]}
    assert gone not in fixed.assignment
    assert gone not in {c.id for c in fixed.problem.cases}


def test_load_reduction_moves_only_the_excess(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
) -> None:
    problem, policy, current = award
    reviewer = _busiest(current)
    load = current.loads()[reviewer]
    fixed = _repair(problem, policy, current, [ra.Event.load(reviewer, load - 2)])
    assert fixed.assignment.loads()[reviewer] == load - 2
    assert [r for _, r in fixed.removed] == [reviewer, reviewer]
    assert fixed.changes == 4
    assert fixed.problem.reviewer(reviewer).max_load == load - 2


def test_no_event_changes_nothing(award: tuple[ra.Problem, ra.Policy, ra.Assignment]) -> None:
    problem, policy, current = award
    fixed = _repair(problem, policy, current, [])
    assert fixed.changes == 0
    assert fixed.assignment == current


# --------------------------------------------------------------------- locked pairs


def test_locked_pairs_never_move(award: tuple[ra.Problem, ra.Policy, ra.Assignment]) -> None:
    problem, policy, current = award
    reviewer = _busiest(current)
    theirs = sorted(c for c, r in current.pairs() if r == reviewer)
    # Lock every other panel member of the cases the withdrawal empties a seat of.
    locked = [(c, r) for c in theirs for r in current[c] if r != reviewer]
    fixed = _repair(problem, policy, current, [ra.Event.withdraw(reviewer)], locked)
    assert set(locked) <= set(fixed.assignment.pairs())


def test_a_locked_pair_not_current_is_added(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
) -> None:
    problem, policy, current = award
    case = sorted(current)[0]
    reviewer = current[case][0]
    first = _repair(problem, policy, current, [ra.Event.decline(case, reviewer)])
    # Lock back what the first repair chose for the declined seat: a second repair of the
    # same decline keeps it, whatever ties the solver meets.
    again = _repair(problem, policy, current, [ra.Event.decline(case, reviewer)], [first.added[0]])
    assert first.added[0] in again.added


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (lambda c, r: ra.Event.decline(c, r), "decline of the locked pair"),
        (lambda c, r: ra.Event.conflict(c, r), "conflict of the locked pair"),
        (lambda c, r: ra.Event.withdraw(r), "withdraws"),
        (lambda c, r: ra.Event.withdraw_case(c), "withdraws"),
        (lambda c, r: ra.Event.load(r, 0), "below the 1 locked pairs"),
    ],
)
def test_an_event_against_a_lock_is_an_error(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment], event: Any, words: str
) -> None:
    problem, policy, current = award
    case = sorted(current)[3]
    reviewer = current[case][1]
    with pytest.raises(ra.InputError, match=words) as info:
        ra.repair(problem, policy, current, [event(case, reviewer)], locked=[(case, reviewer)])
    assert info.value.field is not None and info.value.field.startswith("events[0].")


def test_a_locked_pair_that_is_not_eligible_is_an_error(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
) -> None:
    problem, policy, current = award
    conflict = problem.conflicts[0]
    with pytest.raises(ra.InputError, match="not eligible") as info:
        ra.repair(problem, policy, current, [], locked=[(conflict.case, conflict.reviewer)])
    assert info.value.field == "locked[0]"


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("events", "locked", "field", "words"),
    [
        ([ra.Event.decline("C9999", "R0001")], [], "events[0].case", "unknown case id"),
        ([ra.Event.withdraw("R9999")], [], "events[0].reviewer", "unknown reviewer id"),
        ([ra.Event.load("R9999", 1)], [], "events[0].reviewer", "unknown reviewer id"),
        ([ra.Event.add_case("C0001")], [], "events[0].case", "has a panel"),
        (
            [ra.Event.withdraw_case("C0001"), ra.Event.decline("C0001", "R0001")],
            [],
            "events[1].case",
            "was withdrawn by events[0]",
        ),
        ([], [("C0001", "R9999")], "locked[0].reviewer", "unknown reviewer id"),
    ],
)
def test_unknown_ids_and_contradictions(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
    events: list[ra.Event],
    locked: list[tuple[str, str]],
    field: str,
    words: str,
) -> None:
    problem, policy, current = award
    with pytest.raises(ra.InputError, match=re.escape(words)) as info:
        ra.repair(problem, policy, current, events, locked=locked)
    assert info.value.field == field


def test_a_case_without_a_panel_needs_add_case(
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
) -> None:
    problem, policy, current = award
    missing = sorted(current)[0]
    before = ra.Assignment({c: p for c, p in current.items() if c != missing})
    with pytest.raises(ra.InputError, match=f"{missing}.*no add_case event"):
        ra.repair(problem, policy, before, [])


def test_events_validate_their_fields() -> None:
    with pytest.raises(ValidationError, match="reviewer is required"):
        ra.Event(kind="decline", case="C1")
    with pytest.raises(ValidationError, match="value must be empty"):
        ra.Event(kind="withdraw", reviewer="R1", value=2)
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        ra.Event(kind="load", reviewer="R1", value=-1)
    with pytest.raises(ValidationError):
        ra.Event(kind="resign", reviewer="R1")  # type: ignore[arg-type]
    assert ra.Event.model_validate({"event": "withdraw", "reviewer": "R1"}) == ra.Event.withdraw(
        "R1"
    )


def test_infeasible_after_events_is_a_status() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1"), ra.Case(id="C2")],
        reviewers=[ra.Reviewer(id=f"R{i}") for i in range(3)],
    )
    policy = ra.Policy(panel_size=1, load={"max": 1})
    current = ra.solve(problem, policy).assignment
    used = sorted(current.loads())
    fixed = ra.repair(
        problem, policy, current, [ra.Event.withdraw(used[0]), ra.Event.withdraw(used[1])]
    )
    assert fixed.status is ra.Status.INFEASIBLE
    assert not fixed.ok and fixed.changes == 0 and len(fixed.assignment) == 0
    assert str(fixed) == "no repair: infeasible"


# -------------------------------------------------------------- files and command line


def _result_of(assignment: ra.Assignment) -> ra.Result:
    return ra.Result(ra.Status.FEASIBLE, assignment, None, None, None, ra.Stats(wall_time=0.0))


@pytest.fixture
def cli_files(
    tmp_path: Path, award: tuple[ra.Problem, ra.Policy, ra.Assignment]
) -> tuple[Path, str, str]:
    _, _, current = award
    (tmp_path / "current.csv").write_text(_result_of(current).to_csv())
    case = sorted(current)[7]
    reviewer = current[case][2]
    (tmp_path / "events.csv").write_text(f"event,case,reviewer,value\ndecline,{case},{reviewer},\n")
    return tmp_path, case, reviewer


def _args(folder: Path, *more: str) -> list[str]:
    return [
        "repair",
        str(EXAMPLE),
        str(folder / "current.csv"),
        str(folder / "events.csv"),
        "--policy",
        str(EXAMPLE / "policy.toml"),
        *more,
    ]


def test_cli_round_trip_json_and_csv(
    cli_files: tuple[Path, str, str],
    award: tuple[ra.Problem, ra.Policy, ra.Assignment],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, case, reviewer = cli_files
    problem, policy, current = award
    out_json, out_csv = folder / "fixed.json", folder / "fixed.csv"
    assert main(_args(folder, "--out", str(out_json))) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"{case}: -{reviewer} +")
    assert "2 change(s): 1 removed, 1 added; objective" in printed
    assert main(_args(folder, "--out", str(out_csv), "--seed", "0", "--time-limit", "30")) == 0
    data = json.loads(out_json.read_text())
    assert data["status"] == "optimal"
    from_json, from_csv = ra.load_assignment(out_json), ra.load_assignment(out_csv)
    assert from_json == from_csv
    updated = ra.Problem(
        cases=problem.cases,
        reviewers=problem.reviewers,
        conflicts=(*problem.conflicts, ra.Conflict(case=case, reviewer=reviewer)),
        relations=problem.relations,
        affinity=problem.affinity,
    )
    assert ra.check(updated, policy, from_json) == []
    assert len(set(current.pairs()) ^ set(from_json.pairs())) == 2


def test_cli_locked_file(cli_files: tuple[Path, str, str]) -> None:
    folder, case, reviewer = cli_files
    (folder / "locked.csv").write_text(f"case,reviewer\n{case},{reviewer}\n")
    code = main(_args(folder, "--locked", str(folder / "locked.csv")))
    assert code == 2


@pytest.mark.parametrize(
    ("events", "row", "field", "words"),
    [
        ("event,case,reviewer,value\ndecline,C0001,,\n", 2, "reviewer", "reviewer is required"),
        ("event,case,reviewer,value\nwithdraw,,R0001,\nresign,,R0002,\n", 3, "event", "Input"),
        ("event,case,reviewer,value\nload,,R0001,x\n", 2, "value", "not an integer"),
        ("event,case,reviewer,value\nload,,R0001,-1\n", 2, "value", "greater than or equal"),
        ("event,case,reviewer,value\nwithdraw,,R0001,\nwithdraw,,R9999,\n", 3, "reviewer", "R9999"),
        ("event,case,reviewer,vaule\n", 1, "vaule", "did you mean 'value'"),
    ],
)
def test_cli_bad_events_name_file_row_field(
    cli_files: tuple[Path, str, str],
    capsys: pytest.CaptureFixture[str],
    events: str,
    row: int,
    field: str,
    words: str,
) -> None:
    folder, _, _ = cli_files
    (folder / "events.csv").write_text(events)
    assert main(_args(folder)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"events.csv, row {row}, field '{field}'" in err
    assert words in err
    assert "Traceback" not in err


def test_cli_bad_locked_names_file_row_field(
    cli_files: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, case, reviewer = cli_files
    (folder / "locked.csv").write_text(f"case,reviewer\nC0002,R9999\n{case},{reviewer}\n")
    assert main(_args(folder, "--locked", str(folder / "locked.csv"))) == 2
    err = capsys.readouterr().err
    assert "locked.csv, row 2, field 'reviewer': unknown reviewer id 'R9999'" in err
    (folder / "locked.csv").write_text("case,reviewer\nC0002,\n")
    assert main(_args(folder, "--locked", str(folder / "locked.csv"))) == 2
    assert "locked.csv, row 2, field 'reviewer': empty cell" in capsys.readouterr().err


def test_cli_a_declined_lock_names_the_event_row(
    cli_files: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, case, reviewer = cli_files
    (folder / "locked.csv").write_text(f"case,reviewer\n{case},{reviewer}\n")
    assert main(_args(folder, "--locked", str(folder / "locked.csv"))) == 2
    err = capsys.readouterr().err
    assert "events.csv, row 2, field 'reviewer': a decline of the locked pair" in err


def test_cli_infeasible_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1"), ra.Case(id="C2")],
        reviewers=[ra.Reviewer(id=f"R{i}") for i in range(3)],
    )
    ra.save_problem(problem, tmp_path / "p")
    (tmp_path / "policy.toml").write_text("panel_size = 1\n[load]\nmax = 1\n")
    (tmp_path / "current.csv").write_text("case,reviewer\nC1,R0\nC2,R1\n")
    (tmp_path / "events.csv").write_text(
        "event,case,reviewer,value\nwithdraw,,R0,\nwithdraw,,R2,\n"
    )
    out = tmp_path / "fixed.json"
    args = [
        "repair",
        str(tmp_path / "p"),
        str(tmp_path / "current.csv"),
        str(tmp_path / "events.csv"),
        "--policy",
        str(tmp_path / "policy.toml"),
        "--out",
        str(out),
    ]
    assert main(args) == 3
    assert "no repair: infeasible" in capsys.readouterr().out
    assert not out.exists()


def test_load_events_and_locked(tmp_path: Path) -> None:
    file = tmp_path / "events.csv"
    file.write_text(
        "event,case,reviewer,value\n"
        "decline,C1,R1,\nwithdraw,,R2,\nconflict,C2,R3,\n"
        "add_case,C4,,\nwithdraw_case,C5,,\nload,,R6,0\n,,,\n"
    )
    assert ra.load_events(file) == [
        ra.Event.decline("C1", "R1"),
        ra.Event.withdraw("R2"),
        ra.Event.conflict("C2", "R3"),
        ra.Event.add_case("C4"),
        ra.Event.withdraw_case("C5"),
        ra.Event.load("R6", 0),
    ]
    locked = tmp_path / "locked.json"
    locked.write_text('{"C1": ["R2", "R1"]}')
    assert ra.load_locked(locked) == [("C1", "R1"), ("C1", "R2")]


# ------------------------------------------------------------------------ properties

PROPERTIES = settings()  # the profile's


@st.composite
def _event(draw: st.DrawFn, problem: ra.Problem, current: ra.Assignment) -> ra.Event:
    cases = sorted(current)
    reviewers = [r.id for r in problem.reviewers]
    kind = draw(st.sampled_from(["decline", "withdraw", "conflict", "withdraw_case", "load"]))
    if kind == "decline":
        case, reviewer = draw(st.sampled_from(sorted(current.pairs())))
        return ra.Event.decline(case, reviewer)
    if kind == "conflict":
        return ra.Event.conflict(draw(st.sampled_from(cases)), draw(st.sampled_from(reviewers)))
    if kind == "withdraw":
        return ra.Event.withdraw(draw(st.sampled_from(reviewers)))
    if kind == "withdraw_case":
        return ra.Event.withdraw_case(draw(st.sampled_from(cases)))
    return ra.Event.load(draw(st.sampled_from(reviewers)), draw(st.integers(0, 4)))


def _contradicts(event: ra.Event, pair: tuple[str, str]) -> bool:
    case, reviewer = pair
    if event.kind in ("decline", "conflict"):
        return (event.case, event.reviewer) == pair
    if event.kind in ("withdraw", "load"):
        return event.reviewer == reviewer
    return event.case == case


@PROPERTIES
@given(data=st.data(), problem=problems(max_cases=8, max_reviewers=10), policy=policies())
def test_any_single_event_with_random_locks(
    data: st.DataObject, problem: ra.Problem, policy: ra.Policy
) -> None:
    solved = ra.solve(problem, policy, time_limit=10, seed=0, workers=1)
    assume(solved.status in SOLVED)
    current = solved.assignment
    add_case = data.draw(st.booleans(), label="add_case")
    if add_case:
        new = data.draw(st.sampled_from(sorted(current)), label="new case")
        event = ra.Event.add_case(new)
        current = ra.Assignment({c: p for c, p in current.items() if c != new})
    else:
        event = data.draw(_event(problem, current), label="event")
    pairs = [p for p in sorted(current.pairs()) if not _contradicts(event, p)]
    locked = data.draw(st.lists(st.sampled_from(pairs), unique=True) if pairs else st.just([]))
    note(f"event {event}, locked {locked}")

    fixed = ra.repair(problem, policy, current, [event], locked=locked, time_limit=20, seed=0)
    note(f"{fixed.status}: {fixed.result.stats.phases}")
    if not fixed.ok:
        assert fixed.status is ra.Status.INFEASIBLE
        assert fixed.added == fixed.removed == ()
        return
    new_pairs, old_pairs = set(fixed.assignment.pairs()), set(current.pairs())
    assert set(locked) <= new_pairs
    assert ra.check(fixed.problem, policy, fixed.assignment) == []
    assert set(fixed.added) == new_pairs - old_pairs
    assert set(fixed.removed) == old_pairs - new_pairs
    assert fixed.changes == len(new_pairs ^ old_pairs)

    fresh = ra.solve(fixed.problem, policy, time_limit=10, seed=0, workers=1)
    if fresh.status in SOLVED and set(locked) <= set(fresh.assignment.pairs()):
        assert fixed.changes <= len(set(fresh.assignment.pairs()) ^ old_pairs)
    if not locked:
        # Without locks the repair's problem is the fresh solve's: both find it feasible.
        assert fresh.status in SOLVED or fresh.status is ra.Status.NO_SOLUTION
