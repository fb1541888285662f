"""Reading and writing problems, policies, assignments and results (reviewassign._files.io)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reviewassign._data.model import Affinity, Case, Conflict, Problem, Relation, Reviewer
from reviewassign._data.result import Assignment, Result, Stats, Status
from reviewassign._errors import InputError
from reviewassign._files.io import (
    csv_text,
    load_assignment,
    load_policy,
    load_problem,
    save_problem,
    save_result,
    write_atomic,
)

SHARED = Path(os.environ.get("REVIEWASSIGN_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CONFORMANCE = SHARED / "conformance"

# A small valid problem folder; each malformed-input test replaces one file of it.
VALID = {
    "cases.csv": (
        "id,region,country,institution,topics,language,applicants,panel_size\n"
        "C1,Africa,KE,KE-U1;KE-U2,t1;t2:2,en,P1;P2,\n"
        "C2,Europe,FR,FR-U1,t2,fr,P3,2\n"
    ),
    "reviewers.csv": (
        "id,region,country,institution,gender,seniority,expertise,languages,min_load,max_load\n"
        "R1,Africa,KE,KE-U3,female,senior,t1:3;t2:1,en,,\n"
        "R2,Europe,DE,DE-U1,male,junior,t2:2,en;fr,1,3\n"
        "R3,Asia,JP,JP-U1,,,t1:2,en,,\n"
    ),
    "conflicts.csv": "case,reviewer,reason\nC1,R2,declared\n",
    "relations.csv": "a,b,kind\nP1,R3,coauthor\n",
    "affinity.csv": "case,reviewer,score\nC2,R1,0.25\n",
}


def write_folder(folder: Path, **replace: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | bytes] = {
        **VALID,
        **{k.replace("_", "."): v for k, v in replace.items()},
    }
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    return folder


def raised(call: Callable[[], object]) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    return info.value


def full_problem() -> Problem:
    """A problem that uses every field, with values that stress the CSV format."""
    return Problem(
        cases=[
            Case(
                id="C1",
                region="Europe, North America",
                country="CA",
                institution=("CA-U1", "CA-U2"),
                topics={"t1": 1.0, "t2": 0.1, "t3": 2.5, "t4": 0.0, "t5": 1 / 3},
                language="en",
                applicants=("P1", "P2"),
                panel_size=4,
            ),
            Case(id="C2", region='Say "hi"', topics={"t1": 1.0}, applicants=("P3",)),
            Case(id="C3", country="ES", institution=("ES-Universidad Señora",), language="es"),
        ],
        reviewers=[
            Reviewer(
                id="R1",
                region="Africa",
                country="KE",
                institution="KE-U1",
                gender="female",
                seniority="senior",
                expertise={"t1": 3, "t2": 1},
                languages=("en", "sw"),
                min_load=1,
                max_load=4,
            ),
            Reviewer(id="R2", gender="non-binary", seniority="junior", max_load=0),
            Reviewer(id="R3", institution='comma, and "quotes"', expertise={"t3": 2}, min_load=2),
        ],
        conflicts=[
            Conflict(case="C1", reviewer="R2"),
            Conflict(case="C2", reviewer="R1", reason="former student"),
        ],
        relations=[Relation(a="P1", b="R3", kind="coauthor"), Relation(a="P3", b="P2")],
        affinity=[
            Affinity(case="C1", reviewer="R1", score=0.1 + 0.2),
            Affinity(case="C3", reviewer="R3", score=-1.5),
        ],
    )


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("name", ["problem.json", "problem", "nested/new/folder"])
def test_save_then_load_gives_the_same_problem(tmp_path: Path, name: str) -> None:
    problem = full_problem()
    save_problem(problem, tmp_path / name)
    assert load_problem(tmp_path / name) == problem


def test_csv_folder_holds_every_column_and_plain_weight_one_topics(tmp_path: Path) -> None:
    save_problem(full_problem(), tmp_path)
    cases = (tmp_path / "cases.csv").read_text(encoding="utf-8").splitlines()
    assert cases[0] == "id,region,country,institution,topics,language,applicants,panel_size"
    assert ",t1;t2:0.1;t3:2.5;t4:0.0;t5:0.3333333333333333," in cases[1]
    assert cases[2].startswith('C2,"Say ""hi""",,,t1,')
    header = (tmp_path / "reviewers.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("expertise,languages,min_load,max_load")


def test_save_leaves_out_and_removes_empty_optional_files(tmp_path: Path) -> None:
    save_problem(full_problem(), tmp_path)
    bare = Problem(cases=[Case(id="C1")], reviewers=[Reviewer(id="R1")])
    save_problem(bare, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv", "reviewers.csv"]
    assert load_problem(tmp_path) == bare


@pytest.mark.parametrize(
    ("problem", "field"),
    [
        (
            Problem(cases=[Case(id="C1", institution=("a;b",))], reviewers=[]),
            "cases[0].institution",
        ),
        (Problem(cases=[Case(id="C1", topics={"t:x": 1})], reviewers=[]), "cases[0].topics"),
        (
            Problem(
                cases=[Case(id="C1")],
                reviewers=[Reviewer(id="R1")],
                conflicts=[Conflict(case="C1", reviewer="R1", reason="")],
            ),
            "conflicts[0].reason",
        ),
        (  # the readers refuse a cell that spans lines
            Problem(
                cases=[Case(id="C1")],
                reviewers=[Reviewer(id="R1")],
                conflicts=[Conflict(case="C1", reviewer="R1", reason="former\nstudent")],
            ),
            "conflicts[0].reason",
        ),
    ],
)
def test_save_refuses_values_csv_cannot_hold_and_writes_nothing(
    tmp_path: Path, problem: Problem, field: str
) -> None:
    error = raised(lambda: save_problem(problem, tmp_path / "out"))
    assert error.field == field
    assert not (tmp_path / "out").exists()
    save_problem(problem, tmp_path / "out.json")
    assert load_problem(tmp_path / "out.json") == problem


def test_bom_crlf_blank_rows_and_partial_columns_are_read(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_bytes(
        b"\xef\xbb\xbfid , topics\r\nC1, t1 ; ;t2:0.5 \r\n,\r\n\r\n"
    )
    (tmp_path / "reviewers.csv").write_bytes(b"id\r\nR1\r\n")
    problem = load_problem(tmp_path)
    assert problem.cases == (Case(id="C1", topics={"t1": 1.0, "t2": 0.5}),)
    assert problem.reviewers == (Reviewer(id="R1"),)


def test_empty_conflict_reason_takes_the_default(tmp_path: Path) -> None:
    write_folder(tmp_path, conflicts_csv="case,reviewer,reason\nC1,R2,\n")
    assert load_problem(tmp_path).conflicts == (
        Conflict(case="C1", reviewer="R2", reason="declared"),
    )


def test_award_a_conformance_instance() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"the shared conformance instances are not at {CONFORMANCE}")
    problem = load_problem(CONFORMANCE / "award-a")
    assert (len(problem.cases), len(problem.reviewers)) == (60, 40)
    assert (len(problem.conflicts), len(problem.relations)) == (4, 82)
    assert load_policy(CONFORMANCE / "award.toml").panel.max_per_region == 1


# ------------------------------------------------------- malformed problem folders

CASES_HEADER = "id,region,country,institution,topics,language,applicants,panel_size\n"
REVIEWERS_HEADER = (
    "id,region,country,institution,gender,seniority,expertise,languages,min_load,max_load\n"
)
R1 = "R1,Africa,KE,KE-U3,female,senior,t1:3,en,,\n"


MALFORMED_FOLDERS = [
    pytest.param(
        {"conflicts_csv": "case,reviewer\nC1,R2\nC9,R1\n"},
        "conflicts.csv",
        3,
        "case",
        "'C9'",
        id="unknown-case-in-conflicts",
    ),
    pytest.param(
        {"affinity_csv": "case,reviewer,score\nC2,R1,0.25\nC1,R7,0.5\n"},
        "affinity.csv",
        3,
        "reviewer",
        "'R7'",
        id="unknown-reviewer-in-affinity",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + R1 + "R2,,,,,,,,,\nR2,,,,,,,,,\nR3,,,,,,,,,\n"},
        "reviewers.csv",
        4,
        "id",
        "'R2'",
        id="duplicate-reviewer-id",
    ),
    pytest.param(
        {"cases_csv": CASES_HEADER + "C1,,,,,,P1,\nC2,,,,,,,\nC1,,,,,,,\n"},
        "cases.csv",
        4,
        "id",
        "'C1'",
        id="duplicate-case-id",
    ),
    pytest.param(
        {"affinity_csv": "case,reviewer,score\nC2,R1,0.25\nC1,R3,0.5\nC2,R1,0.5\n"},
        "affinity.csv",
        4,
        "reviewer",
        "('C2', 'R1')",
        id="duplicate-affinity-pair",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + R1 + "R2,,,,,,,,,-1\nR3,,,,,,,,,\n"},
        "reviewers.csv",
        3,
        "max_load",
        "-1",
        id="negative-max-load",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + R1 + "R2,,,,,,,,5,2\nR3,,,,,,,,,\n"},
        "reviewers.csv",
        3,
        "min_load",
        "'R2': min_load 5 exceeds max_load 2",
        id="min-load-above-max-load",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + R1 + "R2,,,,,,,,1.5,\nR3,,,,,,,,,\n"},
        "reviewers.csv",
        3,
        "min_load",
        "not an integer: '1.5'",
        id="non-integer-load",
    ),
    pytest.param(
        {"cases_csv": CASES_HEADER + "C1,,,,,,P1,\nC2,,,,,,,0\n"},
        "cases.csv",
        3,
        "panel_size",
        "got 0",
        id="panel-size-0",
    ),
    pytest.param(
        {"affinity_csv": "case,reviewer,score\nC2,R1,nan\n"},
        "affinity.csv",
        2,
        "score",
        "'nan'",
        id="score-nan",
    ),
    pytest.param(
        {"affinity_csv": "case,reviewer,score\nC2,R1,0.5\nC1,R1,-inf\n"},
        "affinity.csv",
        3,
        "score",
        "'-inf'",
        id="score-inf",
    ),
    pytest.param(
        {"affinity_csv": "case,reviewer,score\nC2,R1,\n"},
        "affinity.csv",
        2,
        "score",
        "required",
        id="score-missing",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + "R1,,,,,,t1:high,,,\n"},
        "reviewers.csv",
        2,
        "expertise",
        "not an integer: 'high'",
        id="non-integer-level",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + R1 + "R2,,,,,,t1:2;t2:4,,,\n"},
        "reviewers.csv",
        3,
        "expertise",
        "'t2' has level 4",
        id="level-4",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + "R1,,,,,,t1,,,\n"},
        "reviewers.csv",
        2,
        "expertise",
        "'t1' has no level",
        id="level-missing",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + "R1,,,,,,t1:2;t1:3,,,\n"},
        "reviewers.csv",
        2,
        "expertise",
        "'t1' listed twice",
        id="expertise-topic-twice",
    ),
    pytest.param(
        {"cases_csv": CASES_HEADER + "C1,,,,t1;t2:-1,,,\n"},
        "cases.csv",
        2,
        "topics",
        "'t2' has a negative weight",
        id="negative-weight",
    ),
    pytest.param(
        {"cases_csv": CASES_HEADER + "C1,,,,t1;t1:2,,,\n"},
        "cases.csv",
        2,
        "topics",
        "'t1' listed twice",
        id="topic-twice",
    ),
    pytest.param(
        {"cases_csv": "id,regoin\nC1,Africa\n"},
        "cases.csv",
        1,
        "regoin",
        "did you mean 'region'",
        id="unknown-column",
    ),
    pytest.param(
        {"reviewers_csv": "region,gender\nAfrica,female\n"},
        "reviewers.csv",
        1,
        "id",
        "'id'",
        id="missing-id-column",
    ),
    pytest.param(
        {"cases_csv": "id,region,region\nC1,A,B\n"},
        "cases.csv",
        1,
        "region",
        "'region' appears twice",
        id="duplicate-header",
    ),
    pytest.param(
        {"relations_csv": "kind,a\ncoauthor,P1\n"},
        "relations.csv",
        1,
        "b",
        "missing required column 'b'",
        id="missing-b-column",
    ),
    pytest.param(
        {"reviewers_csv": REVIEWERS_HEADER + R1 + "R2,,,,,boss,,,,\n"},
        "reviewers.csv",
        3,
        "seniority",
        "got 'boss'",
        id="bad-seniority",
    ),
    pytest.param(
        {"relations_csv": "a,b,kind\nP1,R3,coauthor\nP1,X9,colleague\n"},
        "relations.csv",
        3,
        "b",
        "'X9' is neither a reviewer nor an applicant",
        id="unknown-relation-endpoint",
    ),
    pytest.param(
        {"cases_csv": (CASES_HEADER + "C1,,,,,,P1,\nC2,Europ\xff,,,,,,\n").encode("latin-1")},
        "cases.csv",
        3,
        "region",
        "xff",
        id="bad-utf8",
    ),
    pytest.param({"cases_csv": ""}, "cases.csv", None, None, "empty file", id="empty-cases"),
    pytest.param(
        {"cases_csv": CASES_HEADER + "C1,,,,,,P1,\nC2,,,,,,,,extra\n"},
        "cases.csv",
        3,
        None,
        "9 cells but the header has 8 columns",
        id="too-many-cells",
    ),
    pytest.param(
        {"cases_csv": CASES_HEADER + 'C1,"Africa\nEast",,,,,P1,\nC2,,,,,,,0\n'},
        "cases.csv",
        2,
        "region",
        "a quote opened on line 2 closes only on line 3",
        id="quoted-cell-spanning-lines",
    ),
    pytest.param(
        {"cases_csv": CASES_HEADER + 'C1,"Afr"ica,,,,,P1,\nC2,,,,,,,\n'},
        "cases.csv",
        2,
        None,
        "text after the closing quote",
        id="text-after-closing-quote",
    ),
    pytest.param(
        {"conflicts_csv": "case,reviewer\nC1,\n"},
        "conflicts.csv",
        2,
        "reviewer",
        "required",
        id="empty-required-cell",
    ),
    pytest.param(
        {"cases_csv": CASES_HEADER + 'C1,"Africa",,,,,P1,\n' + 'C2,"' + "x" * 200_000 + '"\n'},
        "cases.csv",
        3,
        None,
        "malformed CSV",
        id="oversized-cell",
    ),
]


@pytest.mark.parametrize(("replace", "file", "row", "field", "needle"), MALFORMED_FOLDERS)
def test_malformed_folder_names_file_row_and_field(
    tmp_path: Path,
    replace: dict[str, str | bytes],
    file: str,
    row: int | None,
    field: str | None,
    needle: str,
) -> None:
    folder = write_folder(tmp_path / "problem", **replace)
    before = sorted(p.name for p in folder.iterdir())
    error = raised(lambda: load_problem(folder))
    assert error.path is not None and error.path.endswith(file), error
    assert (error.row, error.field) == (row, field), error
    assert needle in error.message, error
    assert "\n" not in error.message
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written near the input


def test_issue_count_is_mentioned(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, conflicts_csv="case,reviewer\nC8,R1\nC9,R1\n")
    error = raised(lambda: load_problem(folder))
    assert (error.row, error.field) == (2, "case")
    assert "'C8'" in error.message and "1 more issue" in error.message


@pytest.mark.parametrize("missing", ["cases.csv", "reviewers.csv"])
def test_missing_required_file(tmp_path: Path, missing: str) -> None:
    folder = write_folder(tmp_path)
    (folder / missing).unlink()
    error = raised(lambda: load_problem(folder))
    assert error.path is not None and error.path.endswith(missing)


@pytest.mark.parametrize("name", ["nowhere", "nowhere.json", "problem.yaml"])
def test_path_that_is_no_problem(tmp_path: Path, name: str) -> None:
    if name.endswith(".yaml"):
        (tmp_path / name).write_text("cases: []\n")
    error = raised(lambda: load_problem(tmp_path / name))
    assert error.path is not None and error.path.endswith(name)
    assert (error.row, error.field) == (None, None)


# ---------------------------------------------------------- malformed JSON problems


def problem_json(**change: object) -> str:
    data = json.loads(full_problem().model_dump_json())
    data.update(change)
    return json.dumps(data, indent=1)


@pytest.mark.parametrize(
    ("text", "row", "field", "needle"),
    [
        pytest.param('{\n "cases": [,\n', 2, None, "invalid JSON", id="invalid-json"),
        pytest.param(b'{"cases": ["\xff"]}', 1, None, "UTF-8", id="bad-utf8"),
        pytest.param(
            "[" * 100_000 + "]" * 100_000, None, None, "nested too deeply", id="deeply-nested"
        ),
        pytest.param(
            '{"cases": [], "reviewers": [], "cases": []}',
            None,
            None,
            "duplicate key 'cases'",
            id="duplicate-key",
        ),
        pytest.param(
            problem_json(conflicts=[{"case": "C1", "reviewer": "R9"}]),
            None,
            "conflicts[0].reviewer",
            "unknown reviewer id 'R9'",
            id="unknown-reviewer",
        ),
        pytest.param(
            problem_json(reviewers=[{"id": "R1"}, {"id": "R2", "max_load": -2}]),
            None,
            "reviewers[1].max_load",
            "got -2",
            id="negative-max-load",
        ),
        pytest.param(
            problem_json(cases=[{"id": "C1", "topics": {"t1": "x"}}]),
            None,
            "cases[0].topics.t1",
            "got 'x'",
            id="bad-weight",
        ),
        pytest.param(
            problem_json(cases=[{"id": "C1", "regoin": "A"}]),
            None,
            "cases[0].regoin",
            "did you mean 'region'",
            id="unknown-key",
        ),
        pytest.param('{"reviewers": []}', None, "cases", "Field required", id="missing-cases"),
        pytest.param("[]", None, None, "valid dictionary", id="not-an-object"),
    ],
)
def test_malformed_json_problem(
    tmp_path: Path, text: str | bytes, row: int | None, field: str | None, needle: str
) -> None:
    file = tmp_path / "problem.json"
    if isinstance(text, bytes):
        file.write_bytes(text)
    else:
        file.write_text(text, encoding="utf-8")
    error = raised(lambda: load_problem(file))
    assert error.path is not None and error.path.endswith("problem.json")
    assert (error.row, error.field) == (row, field), error
    assert needle in error.message, error


# ------------------------------------------------------------------------ policies


def test_load_policy_toml_and_json_agree(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(
        'panel_size = 2\n[panel]\nown_region = "exclude"\n[load]\nmax = 4\n'
    )
    (tmp_path / "p.json").write_text(
        '{"panel_size": 2, "panel": {"own_region": "exclude"}, "load": {"max": 4}}'
    )
    toml_policy = load_policy(tmp_path / "p.toml")
    assert toml_policy == load_policy(tmp_path / "p.json")
    assert (toml_policy.panel_size, toml_policy.panel.own_region, toml_policy.load.max) == (
        2,
        "exclude",
        4,
    )


@pytest.mark.parametrize(
    ("name", "text", "row", "field", "needle"),
    [
        pytest.param(
            "p.toml",
            "[panel]\nmax_per_regoin = 1\n",
            None,
            "panel.max_per_regoin",
            "'max_per_regoin'",
            id="unknown-key-toml",
        ),
        pytest.param(
            "p.json",
            '{"panel": {"max_per_regoin": 1}}',
            None,
            "panel.max_per_regoin",
            "'max_per_regoin'",
            id="unknown-key-json",
        ),
        pytest.param(
            "p.toml",
            "[load]\nmin = 4\nmax = 2\n",
            None,
            "load",
            "load.min (4) exceeds load.max (2)",
            id="min-above-max",
        ),
        pytest.param(
            "p.toml", "panel_size = 3\n[panel\n", 2, None, "invalid TOML", id="invalid-toml"
        ),
        pytest.param("p.json", '{"panel_size": 3,\n}', 2, None, "invalid JSON", id="invalid-json"),
        pytest.param(
            "p.toml",
            '[panel]\nown_region = "none"\n',
            None,
            "panel.own_region",
            "got 'none'",
            id="bad-literal",
        ),
        pytest.param(
            "p.yaml", "panel_size: 3\n", None, None, ".toml or .json", id="unknown-extension"
        ),
        pytest.param("missing.toml", None, None, None, "no such file", id="missing-file"),
    ],
)
def test_malformed_policy(
    tmp_path: Path, name: str, text: str | None, row: int | None, field: str | None, needle: str
) -> None:
    if text is not None:
        (tmp_path / name).write_text(text, encoding="utf-8")
    error = raised(lambda: load_policy(tmp_path / name))
    assert error.path is not None and error.path.endswith(name)
    assert (error.row, error.field) == (row, field), error
    assert needle in error.message, error


# ---------------------------------------------------------------------- assignments

EXPECTED = Assignment({"C1": ["R1", "R2"], "C2": ["R3"]})


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.csv", "case,reviewer\nC1,R2\nC2,R3\nC1,R1\n"),
        (
            "a.json",
            json.dumps({"status": "optimal", "assignment": {"C1": ["R2", "R1"], "C2": ["R3"]}}),
        ),
        ("a.json", json.dumps({"C2": ["R3"], "C1": ["R1", "R2"]})),
    ],
    ids=["csv", "result-json", "bare-json"],
)
def test_load_assignment(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    assert load_assignment(tmp_path / name) == EXPECTED


@pytest.mark.parametrize(
    ("name", "text", "row", "field", "needle"),
    [
        pytest.param(
            "a.csv",
            "case,reviewer\nC1,R1\nC1,R1\n",
            3,
            "reviewer",
            "('C1', 'R1') listed twice",
            id="csv-duplicate",
        ),
        pytest.param(
            "a.csv",
            "case,reviewer,score\nC1,R1,1\n",
            1,
            "score",
            "unknown column 'score'",
            id="csv-extra-column",
        ),
        pytest.param(
            "a.csv", "case\nC1\n", 1, "reviewer", "missing required column", id="csv-missing-column"
        ),
        pytest.param(
            "a.json",
            '{"assignment": {"C1": ["R1", "R1"]}}',
            None,
            "assignment.C1",
            "'R1' listed twice",
            id="json-duplicate",
        ),
        pytest.param(
            "a.json",
            '{"assignment": {"C1": [7]}}',
            None,
            "assignment.C1[0]",
            "got 7",
            id="json-not-a-string",
        ),
        pytest.param("a.json", '{"C1": "R1"}', None, "C1", "valid tuple", id="bare-not-a-list"),
        pytest.param("a.txt", "C1 R1\n", None, None, ".csv or .json", id="unknown-extension"),
    ],
)
def test_malformed_assignment(
    tmp_path: Path, name: str, text: str, row: int | None, field: str | None, needle: str
) -> None:
    (tmp_path / name).write_text(text)
    error = raised(lambda: load_assignment(tmp_path / name))
    assert error.path is not None and error.path.endswith(name)
    assert (error.row, error.field) == (row, field), error
    assert needle in error.message, error


def test_save_result_round_trips_through_load_assignment(tmp_path: Path) -> None:
    result = Result(
        Status.OPTIMAL, EXPECTED, objective=1.5, bound=1.5, gap=0.0, stats=Stats(wall_time=0.1)
    )
    for name in ("r.json", "r.csv"):
        save_result(result, tmp_path / name)
        assert load_assignment(tmp_path / name) == EXPECTED
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "optimal"
    error = raised(lambda: save_result(result, tmp_path / "r.html"))
    assert error.path is not None and error.path.endswith("r.html")
    assert not (tmp_path / "r.html").exists()


# -------------------------------------------------------------------------- writing


def test_write_atomic_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    write_atomic(target, "new\r\nline\n")
    assert target.read_bytes() == b"new\r\nline\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_atomic_keeps_the_old_file_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_atomic_cleans_up_when_the_text_cannot_be_encoded(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "bad \udcff")
    assert list(tmp_path.iterdir()) == []


def test_csv_text_quotes_and_uses_newlines() -> None:
    text = csv_text(["a", "b"], [["x,y", None], [1.5, 'say "hi"']])
    assert text == 'a,b\n"x,y",\n1.5,"say ""hi"""\n'


@pytest.mark.parametrize(("replace", "file", "row", "field", "needle"), MALFORMED_FOLDERS)
def test_malformed_folder_exits_2_with_one_line_on_the_command_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    replace: dict[str, str | bytes],
    file: str,
    row: int | None,
    field: str | None,
    needle: str,
) -> None:
    from reviewassign.cli import main

    folder = write_folder(tmp_path / "problem", **replace)
    assert main(["solve", str(folder)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert file in lines[0] and needle in lines[0]
    if row is not None:
        assert f"row {row}" in lines[0]
    if field is not None:
        assert f"field {field!r}" in lines[0]
    assert "Traceback" not in captured.err


# --------------------------------------------- issue 20: nothing silently lost or changed
# Items 5, 7 and 8 of issue 20. Each test failed on 2dff862.


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from reviewassign.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


SIX_CASES = (
    CASES_HEADER + "C1,Africa,KE,KE-U1,t1,,P1,\n"
    'C2,"Arab States,EG,EG-U1,t1,,P2,\n'  # the quote is never closed
    "C3,Asia,JP,JP-U1,t1,,P3,\n"
    "C4,Europe,FR,FR-U1,t1,,P4,\n"
    "C5,Africa,NG,NG-U1,t1,,P5,\n"
    "C6,Asia,IN,IN-U1,t1,,P6,\n"
)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        pytest.param(SIX_CASES, "a quote opened on line 3 is never closed", id="to-the-end"),
        pytest.param(SIX_CASES.rstrip("\n"), "is never closed", id="no-final-newline"),
        pytest.param(
            SIX_CASES.replace("C5,Africa", 'C5,"Africa"'),
            "a quote opened on line 3 closes only on line 6",
            id="closed-by-a-later-quote",
        ),
        pytest.param(
            SIX_CASES.replace("C5,Africa,NG", 'C5,",Africa",NG'),
            "a quote opened on line 3 closes only on line 6",
            id="closed-before-a-comma",
        ),
    ],
)
def test_unclosed_quote_names_the_line_where_it_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    # 2dff862 read C2's region to the end of the file: 4 of 6 cases vanished, exit 0.
    folder = write_folder(tmp_path / "problem", cases_csv=text)
    error = raised(lambda: load_problem(folder))
    assert error.path is not None and error.path.endswith("cases.csv")
    assert error.row == 3 and needle in error.message, error
    code, out, err = run_cli(["solve", str(folder)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "cases.csv, row 3" in err and needle in err


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        pytest.param(
            "cases.csv", CASES_HEADER + 'C1,,,,,,P1,\nC2,,,,,,P3,\n"C\n3",,,,,,,\n', "id", id="id"
        ),
        pytest.param(
            "reviewers.csv",
            REVIEWERS_HEADER + R1 + 'R2,,,,"fe\nmale",,,,,\nR3,,,,,,,,,\n',
            "gender",
            id="label",
        ),
        pytest.param(
            "reviewers.csv",
            REVIEWERS_HEADER + R1 + 'R2,,,,,,,,"1\n",\nR3\n',
            "min_load",
            id="number",
        ),
        pytest.param(
            "conflicts.csv", 'case,reviewer,reason\nC1,R2,"former\nstudent"\n', "reason", id="text"
        ),
        pytest.param("relations.csv", 'a,b,kind\nP1,"R3\n",coauthor\n', "b", id="relation"),
        pytest.param("affinity.csv", 'case,reviewer,score\nC2,R1,"0.5\n"\n', "score", id="score"),
    ],
)
def test_a_line_break_inside_a_cell_is_an_error(
    tmp_path: Path, name: str, text: str, field: str
) -> None:
    # 2dff862 took "C\n2" for an id, "fe\nmale" for a gender, a reason over two lines...
    folder = write_folder(tmp_path / "problem", **{name.replace(".", "_"): text})
    error = raised(lambda: load_problem(folder))
    assert error.path is not None and error.path.endswith(name)
    row = {"cases.csv": 4, "reviewers.csv": 3}.get(name, 2)
    assert (error.row, error.field) == (row, field), error
    assert f"a quote opened on line {row} closes only on line {row + 1}" in error.message


@pytest.mark.parametrize("kind", ["assignment", "locked", "events"])
def test_the_other_csv_readers_refuse_a_quote_left_open(tmp_path: Path, kind: str) -> None:
    from reviewassign._files.io import load_events, load_locked

    if kind == "events":
        text, reader = 'event,case,reviewer,value\ndecline,C1,"R2,\nload,,R3,2\n', load_events
    else:
        text = 'case,reviewer\nC1,"R1\nC2,R2\nC3,R3\n'
        reader = load_assignment if kind == "assignment" else load_locked
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    error = raised(lambda: reader(path))
    assert error.row == 2 and "a quote opened on line 2 is never closed" in error.message, error


@pytest.mark.parametrize("suffix", ["toml", "json"])
@pytest.mark.parametrize(
    ("toml", "data", "field", "needle"),
    [
        pytest.param(
            "panel_size = true",
            {"panel_size": True},
            "panel_size",
            "valid integer, got true",
            id="true-as-1",
        ),
        pytest.param(
            'panel_size = "3"', {"panel_size": "3"}, "panel_size", "got '3' (text", id="string-3"
        ),
        pytest.param(
            "panel_size = 3.0", {"panel_size": 3.0}, "panel_size", "got 3.0", id="float-3"
        ),
        pytest.param(
            '[panel]\nlanguage = "no"',
            {"panel": {"language": "no"}},
            "panel.language",
            "valid boolean, got 'no'",
            id="no-as-false",
        ),
        pytest.param(
            "[load]\nmin = false",
            {"load": {"min": False}},
            "load.min",
            "got false (a boolean)",
            id="false-as-0",
        ),
        pytest.param(
            '[objective]\nload_spread = "0.5"',
            {"objective": {"load_spread": "0.5"}},
            "objective.load_spread",
            "valid number",
            id="string-float",
        ),
    ],
)
def test_policy_files_are_read_strictly(
    tmp_path: Path, suffix: str, toml: str, data: object, field: str, needle: str
) -> None:
    # 2dff862 read true as 1, "3" as 3, 3.0 as 3 and "no" as false.
    path = tmp_path / f"policy.{suffix}"
    path.write_text(toml + "\n" if suffix == "toml" else json.dumps(data), encoding="utf-8")
    error = raised(lambda: load_policy(path))
    assert error.field == field and needle in error.message, error


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_policy_files_take_an_integer_for_a_float_and_arrays_for_lists(
    tmp_path: Path, suffix: str
) -> None:
    data = {"objective": {"load_spread": 0, "priorities": ["coverage"]}, "relax": {"keep": []}}
    toml = '[objective]\nload_spread = 0\npriorities = ["coverage"]\n[relax]\nkeep = []\n'
    path = tmp_path / f"policy.{suffix}"
    path.write_text(toml if suffix == "toml" else json.dumps(data), encoding="utf-8")
    policy = load_policy(path)
    assert policy.objective.load_spread == 0.0 and policy.objective.priorities == ("coverage",)
    assert policy.relax.keep == ()


@pytest.mark.parametrize(
    ("change", "field", "needle"),
    [
        pytest.param(
            {"reviewers": [{"id": "R1", "min_load": True}]},
            "reviewers[0].min_load",
            "got true (a boolean)",
            id="bool-min-load",
        ),
        pytest.param(
            {"cases": [{"id": "C1", "panel_size": "2"}]},
            "cases[0].panel_size",
            "got '2' (text",
            id="string-panel-size",
        ),
    ],
)
def test_json_problem_files_are_read_strictly(
    tmp_path: Path, change: dict[str, object], field: str, needle: str
) -> None:
    data: dict[str, object] = {"cases": [{"id": "C1"}], "reviewers": [{"id": "R1"}], **change}
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    error = raised(lambda: load_problem(path))
    assert error.field == field and needle in error.message, error


def test_look_alike_genders_are_a_warning_in_the_output_and_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewers = REVIEWERS_HEADER + R1 + "R2,Europe,DE,DE-U1,Female,,t2:2,en;fr,,\nR3,,,,,,,,,\n"
    folder = write_folder(tmp_path / "problem", reviewers_csv=reviewers)
    problem = load_problem(folder)
    [warning] = problem.warnings
    assert "gender labels 'Female' and 'female' look alike" in warning
    assert "2 different genders" in warning
    out, policy = tmp_path / "result.json", tmp_path / "policy.toml"
    policy.write_text("panel_size = 1\n[panel]\nlanguage = false\n", encoding="utf-8")
    solve = ["solve", str(folder), "--policy", str(policy), "--out", str(out)]
    code, _, err = run_cli(solve, capsys)
    assert code == 0 and f"note       warning: {warning}" in err, err
    assert json.loads(out.read_text())["stats"]["notes"][0] == f"warning: {warning}"
    code, _, err = run_cli(["check", str(folder), str(out), "--policy", str(policy)], capsys)
    assert code == 0 and f"reviewassign: warning: {warning}" in err
    report = tmp_path / "report.md"
    command = ["report", str(folder), str(out), "--policy", str(policy), "--out", str(report)]
    code, _, _ = run_cli(command, capsys)
    assert code == 0 and "'Female' and 'female'" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("replace", "file", "row", "field", "needle"),
    [
        pytest.param(
            {
                "reviewers_csv": REVIEWERS_HEADER
                + R1
                + "R2,,,,,,,,,\nR3,,,,,,,,,\nR01,,,,,,,,,\nr01,,,,,,,,,\n"
            },
            "reviewers.csv",
            6,
            "id",
            "reviewer id 'r01' looks like reviewer id 'R01'",
            id="R01-r01",
        ),
        pytest.param(
            {"cases_csv": CASES_HEADER + "C1,,,,,,P1,\nC2,,,,,,P3,\nc1,,,,,,,\n"},
            "cases.csv",
            4,
            "id",
            "case id 'c1' looks like case id 'C1'",
            id="C1-c1",
        ),
        pytest.param(
            {"cases_csv": CASES_HEADER + "C1,,,,,,P1;r2,\nC2,,,,,,P3,\n"},
            "cases.csv",
            2,
            "applicants",
            "applicant id 'r2' looks like reviewer id 'R2'",
            id="applicant-like-a-reviewer",
        ),
        pytest.param(
            {"cases_csv": CASES_HEADER + "C1,,,,,,P1;Jos\u00e9,\nC2,,,,,,Jose\u0301;P3,\n"},
            "cases.csv",
            3,
            "applicants",
            "applicant id 'Jose\\u0301' looks like applicant id 'Jos\\xe9'",
            id="NFC-NFD",
        ),
        pytest.param(
            {"cases_csv": CASES_HEADER + "C1,,,,,,P1;R3\u200b,\nC2,,,,,,P3,\n"},
            "cases.csv",
            2,
            "applicants",
            "applicant id 'R3\\u200b' holds U+200B (ZERO WIDTH SPACE)",
            id="zero-width-space",
        ),
        pytest.param(
            {
                "reviewers_csv": REVIEWERS_HEADER
                + R1
                + "R2,,,,,,,,,\nR3,,,,,,,,,\nR\u00a04,,,,,,,,,\n"
            },
            "reviewers.csv",
            5,
            "id",
            "U+00A0 (NO-BREAK SPACE)",
            id="no-break-space",
        ),
        pytest.param(
            {"reviewers_csv": REVIEWERS_HEADER + R1 + "R2,Asia\u200b,,,,,,,,\nR3,,,,,,,,,\n"},
            "reviewers.csv",
            3,
            "region",
            "U+200B (ZERO WIDTH SPACE)",
            id="zero-width-space-in-a-label",
        ),
        pytest.param(
            {"relations_csv": "a,b,kind\nP1,R3,coauthor\nR2,R2,colleague\n"},
            "relations.csv",
            3,
            "b",
            "relation joins 'R2' to itself",
            id="self-relation",
        ),
        pytest.param(
            {"relations_csv": "a,b,kind\nP1,r3,coauthor\n"},
            "relations.csv",
            2,
            "b",
            "'r3' is neither a reviewer nor an applicant (did you mean 'R3'?)",
            id="look-alike-endpoint-hint",
        ),
    ],
)
def test_ids_that_look_alike_or_hide_characters_are_errors(
    tmp_path: Path,
    replace: dict[str, str],
    file: str,
    row: int,
    field: str,
    needle: str,
) -> None:
    # 2dff862 took each for a distinct id (or label): with R3 an applicant of C1 spelled
    # with a zero-width space, R3 could review C1.
    folder = write_folder(tmp_path / "problem", **replace)
    error = raised(lambda: load_problem(folder))
    assert error.path is not None and error.path.endswith(file), error
    assert (error.row, error.field) == (row, field), error
    assert needle in error.message, error


def test_the_python_api_refuses_what_the_readers_refuse() -> None:
    import pydantic

    with pytest.raises(pydantic.ValidationError, match="ZERO WIDTH SPACE"):
        Problem(
            cases=[Case(id="C1", applicants=("R1\u200b",))],
            reviewers=[Reviewer(id="R1"), Reviewer(id="R2")],
        )
    with pytest.raises(pydantic.ValidationError, match="'r1' looks like reviewer id 'R1'"):
        Problem(cases=[Case(id="C1")], reviewers=[Reviewer(id="R1"), Reviewer(id="r1")])
    with pytest.raises(pydantic.ValidationError, match="joins 'R1' to itself"):
        Problem(
            cases=[Case(id="C1")],
            reviewers=[Reviewer(id="R1")],
            relations=[Relation(a="R1", b="R1")],
        )


def test_labels_are_nfc_normalised() -> None:
    nfc, nfd = "S\u00e3o Tom\u00e9", "Sa\u0303o Tome\u0301"
    problem = Problem(
        cases=[Case(id="C1", region=nfd, topics={"caf\u00e9": 1})],
        reviewers=[Reviewer(id="R1", region=nfc, expertise={"cafe\u0301": 3})],
    )
    assert problem.cases[0].region == problem.reviewers[0].region == nfc
    assert list(problem.cases[0].topics) == list(problem.reviewers[0].expertise) == ["caf\u00e9"]
    assert problem.warnings == ()  # one label, not two that look alike


def test_a_target_naming_no_reviewer_region_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 2dff862 made "Afirca" a region of no reviewer: infeasible, exit 3.
    import reviewassign as ra

    folder = write_folder(tmp_path / "problem")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "[representation]\nregion_tolerance = 0.5\nregion_targets = { Afirca = 0.5 }\n",
        encoding="utf-8",
    )
    code, out, err = run_cli(["solve", str(folder), "--policy", str(policy)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "policy.toml, field 'representation.region_targets.Afirca'" in err
    assert "'Afirca' is the region of no reviewer (did you mean 'Africa'?)" in err
    with pytest.raises(ra.InputError, match="'Afirca' is the region of no reviewer"):
        ra.solve(load_problem(folder), load_policy(policy))
    gender = ra.Policy(representation={"gender_tolerance": 0.5, "gender_targets": {"Male": 0.5}})
    with pytest.raises(ra.InputError, match="'Male' is the gender of no reviewer") as info:
        ra.check(load_problem(folder), gender, {})
    assert info.value.field == "representation.gender_targets.Male"
    assert "did you mean 'male'?" in info.value.message
