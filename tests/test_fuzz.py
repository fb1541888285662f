"""Hostile and broken input never crashes or hangs (issue 7).

Every reader (a CSV problem folder, a problem JSON, a policy TOML or JSON, an assignment
CSV or JSON, events, locked pairs) gets random bytes, wrong encodings, byte order marks,
duplicate and missing columns, huge cells, text where numbers go, NaN and infinities,
deep nesting, empty files, NUL bytes and duplicate ids. The property: the reader returns
a valid object or raises an :class:`InputError` naming the file; nothing else escapes.
The command line turns the same inputs into exit code 2 and a few plain lines.

Run with ``-s`` to see how many inputs were tried.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import reviewassign as ra
from conftest import examples
from reviewassign import cli
from reviewassign._files.io import (
    load_assignment,
    load_events,
    load_locked,
    load_policy,
    load_problem,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "reviewassign"

TRIED: Counter[str] = Counter()
"""Inputs tried per reader, printed at the end of the module (``pytest -s``)."""


@pytest.fixture(scope="module", autouse=True)
def _summary() -> Iterator[None]:
    yield
    total = sum(TRIED.values())
    parts = ", ".join(f"{name} {count}" for name, count in sorted(TRIED.items()))
    print(f"\nfuzz: {total} inputs tried ({parts})")


# Reading a file takes milliseconds: six times the profile's examples.
FUZZ = settings(max_examples=examples(6))

# ------------------------------------------------------------------ valid inputs

FOLDER = {
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
POLICY_TOML = """\
panel_size = 2
[load]
min = 0
max = 6
[conflicts]
same_institution = true
same_country = false
relation_distance = 1
[panel]
max_per_region = 1
min_regions = 2
own_region = "any"
max_per_gender = 2
min_genders = 0
min_senior = 0
language = true
[expertise]
min_level = 2
coverage = "none"
[objective]
kind = "affinity"
load_spread = 0.5
"""
ASSIGNMENT_CSV = "case,reviewer\nC1,R1\nC1,R3\nC2,R1\nC2,R2\n"
EVENTS_CSV = "event,case,reviewer,value\ndecline,C1,R2,\nwithdraw,,R3,\nload,,R1,2\nadd_case,C3,,\n"


def _problem_dict() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in FOLDER.items():
            (folder / name).write_text(text)
        return json.loads(load_problem(folder).model_dump_json())


PROBLEM_JSON = _problem_dict()
POLICY_JSON_TEXT = ra.Policy(panel_size=2).model_dump_json()
POLICY_JSON = json.loads(POLICY_JSON_TEXT)
ASSIGNMENT_JSON = {"C1": ["R1", "R3"], "C2": ["R1", "R2"]}

# ---------------------------------------------------------------------- hostility

HOSTILE_CELLS = [
    "",
    " ",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "-0",
    "-0.0",
    "1e309",
    "-1e309",
    "1e-400",
    "9" * 19,
    "9" * 5000,
    "1_000",
    "0x10",
    "+1",
    "-1",
    "1.5",
    "\u0661\u0662",  # Arabic-Indic digits: float() takes them
    "True",
    "null",
    "x",
    '"',
    '""',
    'a"b',
    ",",
    ";",
    ";;",
    ":",
    "t:",
    "t:x",
    "t:4",
    "t:nan",
    "t:inf",
    ":3",
    "t;t",
    "t:1;t:2",
    "\u2028",
    "\ufeff",
    "\u00e9",
    "\U0001d11e",
    "\r",
    "\n",
    "\t",
    "=cmd|' /C calc'!A0",
    "C1",
    "R1",
    "10000",  # the largest score, weight or count a rule takes
    "-10000",
    "100000",
    "x" * 200_000,  # beyond the csv module's field limit
]
"""Cell texts that break a number, a list, a topic or the CSV syntax itself."""

HOSTILE_JSON_TEXT = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "-1e309",
    "-0",
    "-0.0",
    "9" * 5000,
    "18446744073709551617",
    "0.5",
    "true",
    "null",
    '""',
    '" "',
    '"\\u0000"',
    '"\\ud800"',
    "[]",
    "{}",
    "[[]]",
    '{"": 1}',
    '"x"',
    '"' + "y" * 1_000_000 + '"',  # a 1 MB string
    "[" * 10_000 + "]" * 10_000,  # Python's json raises RecursionError
    '{"a":' * 2_000 + "1" + "}" * 2_000,
]
"""JSON value texts: non-finite numbers, huge integers, wrong types, deep nesting."""

HOSTILE_TOML_VALUES = [
    "nan",
    "inf",
    "-inf",
    "+nan",
    "1e309",
    "-0",
    "-0.0",
    "9" * 30,
    "9" * 5000,
    "0x7fffffffffffffffff",
    "1.5",
    "true",
    "'x'",
    '"3"',
    "[]",
    "[[1]]",
    "{}",
    "{a = 1}",
    "1979-05-27",
    '"\\u0000"',
    "'" + "z" * 1_000_000 + "'",
    "[" * 5_000 + "]" * 5_000,
    "",
]

ENCODINGS = ["latin-1", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252"]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@st.composite
def text_mutations(draw: st.DrawFn, text: str, *, cells: list[str]) -> bytes:
    """One or more edits of a valid text file, encoded (mostly) as UTF-8."""
    kind = draw(
        st.sampled_from(
            [
                "bytes",
                "encoding",
                "bom",
                "crlf",
                "cell",
                "cell",
                "cell",
                "line",
                "truncate",
                "insert",
                "empty",
                "header-only",
                "long-line",
            ]
        )
    )
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "encoding":
        encoding = draw(st.sampled_from(ENCODINGS))
        extra = draw(st.sampled_from(["", "\u00e9", "\u00fc\u00df"]))
        return text.replace("1", "1" + extra, 1).encode(encoding, "replace")
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if kind == "crlf":
        return text.replace("\n", draw(st.sampled_from(["\r\n", "\r"]))).encode()
    lines = _lines(text)
    if kind == "cell":
        # Replace one delimited token (a cell, a value) by a hostile one, a few times.
        out = text
        for _ in range(draw(st.integers(1, 3))):
            tokens = re.split(r"([,=\n:;\[\]{}])", out)
            spots = [i for i in range(0, len(tokens), 2)]
            at = draw(st.sampled_from(spots))
            tokens[at] = draw(st.sampled_from(cells))
            out = "".join(tokens)
        return out.encode("utf-8", "surrogatepass")
    if kind == "line":
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "twice", "header-twice", "extra-cell"]))
        if action == "drop":
            del lines[at]
        elif action == "twice":
            lines.insert(at, lines[at])
        elif action == "header-twice":
            lines[0] = lines[0].rstrip("\n") + "," + lines[0].split(",")[0] + "\n"
        else:
            lines[at] = lines[at].rstrip("\n") + ",extra\n"
        return "".join(lines).encode()
    if kind == "truncate":
        data = text.encode()
        return data[: draw(st.integers(0, len(data)))]
    if kind == "insert":
        data = text.encode()
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == "empty":
        return draw(st.sampled_from([b"", b"\n", b"\r\n", b"   \n\n", b"\xef\xbb\xbf"]))
    if kind == "header-only":
        return lines[0].encode()
    return (lines[0] + "a" * draw(st.sampled_from([70_000, 300_000])) + "\n").encode()


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _leaves(value, (*path, index))
    return out


MARK = "\u0000MARK\u0000"


@st.composite
def json_mutations(draw: st.DrawFn, document: Any) -> bytes:
    """A valid JSON document with one value replaced by a hostile one, or its text mutated."""
    if draw(st.integers(0, 3)) == 0:
        return draw(text_mutations(json.dumps(document, indent=1), cells=HOSTILE_JSON_TEXT))
    doc = json.loads(json.dumps(document))
    path = draw(st.sampled_from(_leaves(doc)))
    if not path:
        return draw(st.sampled_from(HOSTILE_JSON_TEXT)).encode()
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["value", "value", "drop", "duplicate-key", "extra-key"]))
    if action == "drop":
        del parent[path[-1]]
        return json.dumps(doc).encode()
    if action == "extra-key" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["extra", "", "id ", "\u00e9"]))] = 1
        return json.dumps(doc).encode()
    if action == "duplicate-key" and isinstance(parent, dict):
        key = json.dumps(path[-1])
        text = json.dumps(doc).replace(f"{key}: ", f"{key}: 1, {key}: ", 1)
        return text.encode()
    parent[path[-1]] = MARK
    value = draw(st.sampled_from(HOSTILE_JSON_TEXT))
    return json.dumps(doc).replace(json.dumps(MARK), value, 1).encode()


@st.composite
def toml_mutations(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(text_mutations(POLICY_TOML, cells=HOSTILE_TOML_VALUES))
    lines = _lines(POLICY_TOML)
    spots = [i for i, line in enumerate(lines) if "=" in line]
    at = draw(st.sampled_from(spots))
    key = lines[at].split("=")[0]
    value = draw(st.sampled_from(HOSTILE_TOML_VALUES))
    if draw(st.integers(0, 5)) == 0:
        lines.insert(at, lines[at])  # a key given twice
    else:
        lines[at] = f"{key}= {value}\n"
    return "".join(lines).encode()


# ------------------------------------------------------------------ the property


def holds(kind: str, call: Callable[[Path], object], path: Path) -> object | None:
    """Run one reader; a failure must be an InputError naming ``path``."""
    TRIED[kind] += 1
    try:
        return call(path)
    except ra.InputError as exc:
        assert path.name in str(exc), str(exc)
        assert exc.path is not None
        assert "Traceback" not in str(exc)
        assert len(str(exc)) < 2_000, "a message must not flood the screen"
        return None
    except ValidationError:  # pragma: no cover - allowed by SPEC, not raised by the readers
        return None


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@FUZZ
@given(
    name=st.sampled_from(sorted(FOLDER)),
    data=st.data(),
)
def test_problem_folder(name: str, data: st.DataObject) -> None:
    mutated = data.draw(text_mutations(FOLDER[name], cells=HOSTILE_CELLS))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for other, text in FOLDER.items():
            (folder / other).write_text(text)
        _write(folder, name, mutated)
        TRIED["problem csv"] += 1
        try:
            problem = load_problem(folder)
        except ra.InputError as exc:
            assert exc.path is not None and Path(exc.path).parent == folder, str(exc)
            assert len(str(exc)) < 2_000
        else:
            assert isinstance(problem, ra.Problem)


@FUZZ
@given(data=st.data())
def test_problem_json(data: st.DataObject) -> None:
    mutated = data.draw(json_mutations(PROBLEM_JSON))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "problem.json", mutated)
        result = holds("problem json", load_problem, path)
        assert result is None or isinstance(result, ra.Problem)


@FUZZ
@given(mutated=toml_mutations())
def test_policy_toml(mutated: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "policy.toml", mutated)
        result = holds("policy toml", load_policy, path)
        assert result is None or isinstance(result, ra.Policy)


@FUZZ
@given(data=st.data())
def test_policy_json(data: st.DataObject) -> None:
    mutated = data.draw(json_mutations(POLICY_JSON))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "policy.json", mutated)
        result = holds("policy json", load_policy, path)
        assert result is None or isinstance(result, ra.Policy)


@FUZZ
@given(data=st.data(), locked=st.booleans())
def test_assignment_csv(data: st.DataObject, locked: bool) -> None:
    mutated = data.draw(text_mutations(ASSIGNMENT_CSV, cells=HOSTILE_CELLS))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "assignment.csv", mutated)
        if locked:
            holds("locked csv", load_locked, path)
        else:
            holds("assignment csv", load_assignment, path)


@FUZZ
@given(data=st.data(), locked=st.booleans())
def test_assignment_json(data: st.DataObject, locked: bool) -> None:
    document = {"status": "OPTIMAL", "assignment": ASSIGNMENT_JSON} if locked else ASSIGNMENT_JSON
    mutated = data.draw(json_mutations(document))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "assignment.json", mutated)
        holds("locked json" if locked else "assignment json", load_assignment, path)


@FUZZ
@given(data=st.data())
def test_events_csv(data: st.DataObject) -> None:
    mutated = data.draw(text_mutations(EVENTS_CSV, cells=HOSTILE_CELLS))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "events.csv", mutated)
        holds("events csv", load_events, path)


def run_cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, err.getvalue()


@settings(FUZZ, max_examples=examples(2))  # a CLI run per example
@given(
    which=st.sampled_from(["cases.csv", "reviewers.csv", "affinity.csv", "assignment", "policy"]),
    data=st.data(),
)
def test_cli_check_exits_2_without_traceback(which: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "problem"
        folder.mkdir()
        for name, text in FOLDER.items():
            (folder / name).write_text(text)
        assignment = Path(tmp) / "assignment.csv"
        assignment.write_text(ASSIGNMENT_CSV)
        policy = Path(tmp) / "policy.toml"
        policy.write_text(POLICY_TOML)
        if which == "assignment":
            target = assignment
            target.write_bytes(data.draw(text_mutations(ASSIGNMENT_CSV, cells=HOSTILE_CELLS)))
        elif which == "policy":
            target = policy
            target.write_bytes(data.draw(toml_mutations()))
        else:
            target = folder / which
            target.write_bytes(data.draw(text_mutations(FOLDER[which], cells=HOSTILE_CELLS)))
        TRIED["cli check"] += 1
        code, err = run_cli(["check", str(folder), str(assignment), "--policy", str(policy)])
        assert code in (0, 1, 2), err
        if code == 2:
            assert err.startswith("reviewassign: error: "), err
            assert "Traceback" not in err
            assert len(err.splitlines()) <= 3, err
            assert tmp in err, err


# ---------------------------------------------------------- regressions, named cases


def _cell_starts(text: str) -> Iterator[tuple[int, int]]:
    """``(offset, line)`` of the start of every cell of a CSV text without quotes."""
    offset = 0
    for line, row in enumerate(text.splitlines(keepends=True), start=1):
        yield offset, line
        for i, ch in enumerate(row):
            if ch == ",":
                yield offset + i + 1, line
        offset += len(row)


@pytest.mark.parametrize("name", sorted(FOLDER))
def test_a_quote_left_open_in_any_cell_is_an_error_on_its_line(tmp_path: Path, name: str) -> None:
    """Issue 20, item 5: an opening quote with no closing one, at the start of any cell of
    any file, is an error naming the line where it opens, never a silently shorter file
    (the lenient reader took the rest of the file into the cell)."""
    text = FOLDER[name]
    assert '"' not in text
    for offset, line in _cell_starts(text):
        folder = tmp_path / f"{name}-{offset}"
        folder.mkdir()
        for other, content in FOLDER.items():
            (folder / other).write_text(content, encoding="utf-8")
        (folder / name).write_text(text[:offset] + '"' + text[offset:], encoding="utf-8")
        with pytest.raises(ra.InputError) as info:
            load_problem(folder)
        error = info.value
        assert error.path is not None and error.path.endswith(name), error
        assert error.row == line, error
        assert f"a quote opened on line {line} is never closed" in error.message, error
        TRIED["open quote"] += 1


def test_utf8_bom_and_line_endings_read_the_same(tmp_path: Path) -> None:
    for name, text in FOLDER.items():
        (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
    plain = tmp_path / "plain"
    plain.mkdir()
    for name, text in FOLDER.items():
        (plain / name).write_text(text)
    assert load_problem(tmp_path) == load_problem(plain)
    for ending in ("\r\n", "\r"):
        for name, text in FOLDER.items():
            (tmp_path / name).write_bytes(text.replace("\n", ending).encode())
        assert load_problem(tmp_path) == load_problem(plain), ending
    policy = _write(tmp_path, "policy.toml", b"\xef\xbb\xbf" + POLICY_TOML.encode())
    assert load_policy(policy).panel_size == 2
    pjson = _write(tmp_path, "problem.json", b"\xef\xbb\xbf" + json.dumps(PROBLEM_JSON).encode())
    assert load_problem(pjson) == load_problem(plain)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
@pytest.mark.parametrize(
    ("name", "reader", "text"),
    [
        ("assignment.csv", load_assignment, ASSIGNMENT_CSV),
        ("events.csv", load_events, EVENTS_CSV),
        ("policy.toml", load_policy, POLICY_TOML),
        ("policy.json", load_policy, POLICY_JSON_TEXT),
        ("assignment.json", load_assignment, json.dumps(ASSIGNMENT_JSON)),
    ],
)
def test_utf16_and_utf32_are_named(
    tmp_path: Path, encoding: str, name: str, reader: Callable[[Path], object], text: str
) -> None:
    # Before: a UTF-16 CSV without a byte order mark failed with "unknown column
    # 'c\x00a\x00s\x00e\x00'"; with one, "not valid UTF-8: b'\xff\xfe...'".
    path = _write(tmp_path, name, text.encode(encoding))
    with pytest.raises(ra.InputError, match=r"(UTF-16|UTF-32).*save the file as UTF-8") as info:
        reader(path)
    assert info.value.path == str(path) and info.value.row == 1


def test_nul_byte_names_its_line(tmp_path: Path) -> None:
    # Before: a NUL byte in a CSV cell became part of an id ('R1\x00').
    path = _write(tmp_path, "assignment.csv", b"case,reviewer\nC1,R1\nC2,R2\x00\n")
    with pytest.raises(ra.InputError, match="NUL byte") as info:
        load_assignment(path)
    assert info.value.row == 3


def test_latin1_names_row_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "assignment.csv", "case,reviewer\nC1,R\u00e9\n".encode("latin-1"))
    with pytest.raises(ra.InputError, match="not valid UTF-8") as info:
        load_assignment(path)
    assert (info.value.row, info.value.field) == (2, "reviewer")


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_policy_integer_of_5000_digits(tmp_path: Path, suffix: str) -> None:
    # Before: tomllib let int()'s ValueError through (a traceback on the command line);
    # JSON's message told the user to call sys.set_int_max_str_digits().
    text = f"panel_size = {'9' * 5000}" if suffix == "toml" else f'{{"panel_size": {"9" * 5000}}}'
    path = _write(tmp_path, f"policy.{suffix}", text.encode())
    with pytest.raises(ra.InputError, match="a number of more than 4300 digits") as info:
        load_policy(path)
    assert "set_int_max_str_digits" not in str(info.value)
    code, err = run_cli(["explain", str(tmp_path), "--policy", str(path)])
    assert code == 2 and "Traceback" not in err


def test_affinity_score_error_names_the_row_field(tmp_path: Path) -> None:
    # Before: "field 'affinity.is-instance[AffinityTable]': Input should be an instance of
    # AffinityTable (and 1 more error)" for a non-finite score in a problem JSON.
    document = json.loads(json.dumps(PROBLEM_JSON))
    document["affinity"][0]["score"] = "__X__"
    text = json.dumps(document).replace('"__X__"', "1e309")
    with pytest.raises(ra.InputError) as info:
        load_problem(_write(tmp_path, "problem.json", text.encode()))
    assert info.value.field == "affinity[0].score"
    assert "AffinityTable" not in str(info.value) and "more error" not in str(info.value)
    document["affinity"] = 5
    with pytest.raises(ra.InputError) as info:
        load_problem(_write(tmp_path, "problem.json", json.dumps(document).encode()))
    assert info.value.field == "affinity" and "is-instance" not in str(info.value)


def test_huge_cell_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "assignment.csv", b'case,reviewer\nC1,"' + b"x" * 1_000_000 + b'"\n')
    with pytest.raises(ra.InputError, match="a cell longer than 131,072 characters") as info:
        load_assignment(path)
    assert info.value.row == 2


@pytest.mark.parametrize("depth", [10_000, 100_000])
@pytest.mark.parametrize(
    ("name", "reader"),
    [("problem.json", load_problem), ("policy.json", load_policy), ("a.json", load_assignment)],
)
def test_deeply_nested_json(
    tmp_path: Path, depth: int, name: str, reader: Callable[[Path], object]
) -> None:
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        with pytest.raises(ra.InputError, match="nested too deeply"):
            reader(_write(tmp_path, name, text.encode()))


def test_deeply_nested_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, "policy.toml", ("a = " + "[" * 10_000 + "]" * 10_000).encode())
    with pytest.raises(ra.InputError, match="nested too deeply"):
        load_policy(path)


def test_inputs_are_never_evaluated_or_unpickled() -> None:
    """No reader evaluates, unpickles or YAML-loads what a user gives it."""
    banned = re.compile(
        r"(?<![\w.])(eval|exec|compile|__import__)\(|pickle\.loads?\(|marshal\.loads?\(|"
        r"\bshelve\b|\byaml\b|\bjsonpickle\b|dill\."
    )
    found = {
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if banned.search(line.split("#")[0])
    }
    # The one exception: a sweep pickles the problem it was given, in this process, and
    # each worker process unpickles those bytes. No file is ever unpickled.
    assert {f.split(":")[0] for f in found} <= {"_lab/sweep.py"}, found
    sweep = (SRC / "_lab" / "sweep.py").read_text()
    assert "pickle.load(" not in sweep and "open(" not in sweep


# -------------------------------------------------------------------------- scale


def _dense_folder(folder: Path, n_cases: int, n_reviewers: int, bad_row: int | None) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.csv").write_text(
        "id,topics\n" + "".join(f"C{i},t{i % 7}\n" for i in range(n_cases))
    )
    (folder / "reviewers.csv").write_text(
        "id,expertise\n" + "".join(f"R{j},t{j % 7}:3\n" for j in range(n_reviewers))
    )
    rows = [
        f"C{i},R{j},{((i * 31 + j * 17) % 1000) / 1000}\n"
        for i in range(n_cases)
        for j in range(n_reviewers)
    ]
    if bad_row is not None:
        rows[bad_row - 2] = f"C0,R0,{'nan'}\n"
    text = "case,reviewer,score\n" + "".join(rows)
    (folder / "affinity.csv").write_text(text)
    return len(text)


def test_100000_row_affinity_and_assignment(tmp_path: Path) -> None:
    size = _dense_folder(tmp_path / "p", 1_000, 100, None)
    start = time.perf_counter()
    problem = load_problem(tmp_path / "p")
    seconds = time.perf_counter() - start
    assert len(problem.affinity) == 100_000
    TRIED["scale"] += 1
    print(f"\naffinity.csv: 100,000 rows, {size / 1e6:.1f} MB, read in {seconds:.1f} s")
    assert seconds < 30

    text = "case,reviewer\n" + "".join(f"C{i},R{j}\n" for i in range(1_000) for j in range(100))
    path = _write(tmp_path, "assignment.csv", text.encode())
    start = time.perf_counter()
    assignment = load_assignment(path)
    seconds = time.perf_counter() - start
    assert sum(len(p) for p in assignment.values()) == 100_000
    TRIED["scale"] += 1
    print(f"assignment.csv: 100,000 rows, {len(text) / 1e6:.1f} MB, read in {seconds:.1f} s")
    assert seconds < 30


def test_100000_rows_with_one_bad_row(tmp_path: Path) -> None:
    _dense_folder(tmp_path, 1_000, 100, bad_row=50_001)
    TRIED["scale"] += 1
    with pytest.raises(ra.InputError) as info:
        load_problem(tmp_path)
    assert info.value.path == str(tmp_path / "affinity.csv")
    assert (info.value.row, info.value.field) == (50_001, "score")
    text = "case,reviewer\n" + "".join(f"C{i},R{j}\n" for i in range(1_000) for j in range(100))
    lines = text.splitlines(keepends=True)
    lines[50_000] = "C1,\n"  # line 50,001
    path = _write(tmp_path, "assignment.csv", "".join(lines).encode())
    TRIED["scale"] += 1
    with pytest.raises(ra.InputError) as info:
        load_assignment(path)
    assert (info.value.row, info.value.field) == (50_001, "reviewer")


def test_a_huge_key_or_column_does_not_flood_the_message(tmp_path: Path) -> None:
    # Before: a 1 MB unknown key in a policy (or column in a CSV header, or id) was
    # repeated in full in the message, twice: as the field and in the text.
    key = "k" * 1_000_000
    policy = _write(tmp_path, "policy.json", json.dumps({key: 1}).encode())
    with pytest.raises(ra.InputError, match="unknown key") as info:
        load_policy(policy)
    assert info.value.field == key  # the attribute keeps it whole, for programs
    assert len(str(info.value)) < 400
    path = _write(tmp_path, "assignment.csv", f"case,{'q' * 100_000}\n".encode())
    with pytest.raises(ra.InputError, match="unknown column") as info:
        load_assignment(path)
    assert len(str(info.value)) < 400
    path = _write(tmp_path, "assignment.json", json.dumps({"C": ["R", "R" + key]}).encode())
    assert load_assignment(path)["C"] == ("R", "R" + key)  # long ids are valid ids
    code, err = run_cli(["explain", str(tmp_path), "--policy", str(policy)])
    assert code == 2 and len(err) < 1_200


REPAIR_EVENTS = "event,case,reviewer,value\ndecline,C2,R3,\nload,,R1,3\n"
REPAIR_CURRENT = "case,reviewer\nC1,R1\nC2,R1\nC2,R3\n"
LOCKED_CSV = "case,reviewer\nC2,R1\n"
REPAIR_POLICY = "panel_size = 1\n[panel]\nlanguage = false\n"


@settings(FUZZ, max_examples=examples(1))  # a CLI repair per example
@given(which=st.sampled_from(["events", "locked", "current"]), data=st.data())
def test_cli_repair_exits_2_without_traceback(which: str, data: st.DataObject) -> None:
    base = {"events": REPAIR_EVENTS, "locked": LOCKED_CSV, "current": REPAIR_CURRENT}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "problem"
        folder.mkdir()
        for name, text in FOLDER.items():
            (folder / name).write_text(text)
        paths = {name: Path(tmp) / f"{name}.csv" for name in base}
        for name, text in base.items():
            paths[name].write_text(text)
        paths[which].write_bytes(data.draw(text_mutations(base[which], cells=HOSTILE_CELLS)))
        policy = _write(Path(tmp), "policy.toml", REPAIR_POLICY.encode())
        TRIED["cli repair"] += 1
        argv = ["repair", str(folder), str(paths["current"]), str(paths["events"])]
        argv += ["--locked", str(paths["locked"]), "--policy", str(policy)]
        code, err = run_cli([*argv, "--time-limit", "10"])
        assert code in (0, 2, 3, 4), err
        if code == 2:
            assert err.startswith("reviewassign: error: "), err
            assert "Traceback" not in err
            assert len(err.splitlines()) <= 3, err
            assert tmp in err, err


def test_cli_repair_baseline(tmp_path: Path) -> None:
    folder = tmp_path / "problem"
    folder.mkdir()
    for name, text in FOLDER.items():
        (folder / name).write_text(text)
    current = _write(tmp_path, "current.csv", REPAIR_CURRENT.encode())
    events = _write(tmp_path, "events.csv", REPAIR_EVENTS.encode())
    locked = _write(tmp_path, "locked.csv", LOCKED_CSV.encode())
    policy = _write(tmp_path, "policy.toml", REPAIR_POLICY.encode())
    argv = ["repair", str(folder), str(current), str(events), "--locked", str(locked)]
    code, err = run_cli([*argv, "--policy", str(policy)])
    assert code == 0, err


def test_a_lone_surrogate_escape_in_json_is_a_clear_error(tmp_path: Path) -> None:
    # Found by this suite on a CI run: pydantic cannot encode "\ud800" and raised
    # UnicodeEncodeError from Policy.model_validate.
    policy = tmp_path / "policy.json"
    policy.write_text('{"relax": {"priority": {"\\ud800": 1}}}', encoding="utf-8")
    with pytest.raises(ra.InputError, match="lone surrogate") as caught:
        ra.load_policy(policy)
    assert "policy.json" in str(caught.value)
    problem = tmp_path / "problem.json"
    problem.write_text('{"cases": [{"id": "C\\udc00"}], "reviewers": []}', encoding="utf-8")
    with pytest.raises(ra.InputError, match="lone surrogate"):
        ra.load_problem(problem)
    # A surrogate pair is one character (here U+1F600) and reads as such.
    problem.write_text(
        '{"cases": [{"id": "C1", "region": "\\ud83d\\ude00"}], "reviewers": []}',
        encoding="utf-8",
    )
    assert ra.load_problem(problem).cases[0].region == "\U0001f600"


def test_a_pipe_or_a_device_is_refused_not_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "policy.toml"
    os.mkfifo(fifo)  # reading it would block until a writer comes
    with pytest.raises(ra.InputError, match="not a regular file"):
        ra.load_policy(fifo)
    if Path("/dev/zero").exists():
        link = tmp_path / "cases.json"
        link.symlink_to("/dev/zero")  # reading it would never end
        with pytest.raises(ra.InputError, match="not a regular file"):
            ra.load_problem(link)


# ------------------------------------------- every command against hostile input (issue 20)
# Every command of the parser runs in-process on the hostile inputs above, on policies
# that parse but ask for what cannot be built, and on hostile option values, outputs
# aimed at inputs among them. The property: an exit code of the documented set, no
# traceback, one short error line for exit 2, and no input file changed.

SECRET = b"0123456789abcdef0123456789abcdef"

SEMANTIC_POLICIES = [
    "panel_size = 2\n[integrity]\nforbid_cycles = 8\n",
    "panel_size = 2\n[random]\nmax_probability = 0.5\n",
    "panel_size = 2\n[random]\nmax_probability = 0.000001\n",
    "panel_size = 2\n[objective]\nkind = 'leximin'\nleximin_tolerance = 0\n",
    "[objective]\npriorities = ['coverage', 'leximin', 'affinity', 'load_spread']\n",
    "[objective]\npriorities = ['worst_case']\nload_spread = 10000\n",
    "panel_size = 9\n",
    "panel_size = 100000\n[load]\nmax = 100000\n",
    "[load]\nmin = 6\nmax = 6\n",
    "[load]\nmax = 0\n",
    "[load]\nmax_weak_matches = 0\nweak_match_below = 10000\n",
    "[expertise]\nmin_level = 3\ncoverage = 'all'\nmin_panel_affinity = 10000\n",
    "panel_size = 2\n[representation]\nregion_targets = {Atlantis = 1.0}\nregion_tolerance = 0\n"
    "weight = 10000\n",
    "panel_size = 2\n[representation]\ngender_targets = {female = 0.5}\ngender_tolerance = 0\n",
    "panel_size = 2\n[relax]\npriority = {'panel.min_regions' = 100000}\nkeep = []\n",
    "panel_size = 3\n[panel]\nmin_regions = 3\nmin_genders = 2\nmin_senior = 3\n",
    "[conflicts]\nrelation_distance = 100000\nsame_country = true\n",
    "panel_size = 2\n[objective]\nkind = 'fairness'\nload_spread = 10000\n",
]
"""Policies that parse but are extreme: too many cycles, a lottery, leximin, no room."""

HOSTILE_OPTIONS = [
    "",
    "-1",
    "0",
    "nan",
    "inf",
    "1e309",
    "9" * 40,
    "x",
    "--out",
    "\u00e9",
]


def _result_document() -> Any:
    """A result file of ``solve``, written once."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in FOLDER.items():
            (folder / name).write_text(text)
        problem = load_problem(folder)
    policy = ra.Policy(panel_size=1, panel={"language": False})  # REPAIR_POLICY
    result = ra.solve(problem, policy, seed=0, workers=1)
    assert result.ok
    return json.loads(result.to_json())


RESULT_JSON = _result_document()


def _edited(**changes: Any) -> Any:
    document = json.loads(json.dumps(RESULT_JSON))
    document.update(changes)
    return document


SEMANTIC_RESULTS = [
    _edited(assignment={"C9": ["R1"], "C1": ["R1"], "C2": ["R1", "R2"]}),
    _edited(assignment={"C1": ["R9"], "C2": ["R1", "R2"]}),
    _edited(assignment={"C1": ["R1", "R1"], "C2": ["R1", "R2"]}),
    _edited(assignment={"C1": ["R1"] * 1000}),
    _edited(assignment={}),
    _edited(assignment={"C1": []}),
    _edited(status="infeasible"),
    _edited(status="no_solution", objective=None, bound=None, gap=None),
    _edited(objective=1e308, bound=-1e308, gap=1e308),
    _edited(stats=None),
    _edited(stats={"wall_time": -1}),
    _edited(stats={**RESULT_JSON["stats"], "input_hash": "0" * 64}),
    _edited(stats={**RESULT_JSON["stats"], "problem_hash": None, "policy_hash": None}),
    _edited(conflicts_avoided={"declared": -5}),
    _edited(levels=[{"name": "nothing"}], broken=["x"], metrics={"x": 1}),
    {key: value for key, value in RESULT_JSON.items() if key != "stats"},
    {"assignment": RESULT_JSON["assignment"]},
]
"""Result files that parse but lie: ids of another problem, a status or stats edited."""

BASE_FILES: dict[str, bytes] = {
    **{f"problem/{name}": text.encode() for name, text in FOLDER.items()},
    "problem.json": json.dumps(PROBLEM_JSON).encode(),
    "policy.toml": POLICY_TOML.encode(),
    "policy.json": POLICY_JSON_TEXT.encode(),
    "repair.toml": REPAIR_POLICY.encode(),
    "assignment.csv": ASSIGNMENT_CSV.encode(),
    "assignment.json": json.dumps(ASSIGNMENT_JSON).encode(),
    "result.json": json.dumps(RESULT_JSON).encode(),
    "current.csv": REPAIR_CURRENT.encode(),
    "events.csv": REPAIR_EVENTS.encode(),
    "locked.csv": LOCKED_CSV.encode(),
    "secret.key": SECRET,
}


def _words(text: str) -> list[str]:
    return text.split()


COMMANDS: dict[str, tuple[list[str], set[int]]] = {
    # argv ({problem} and {policy} are chosen per example) and the exit codes allowed
    "solve": (
        _words(
            "solve {problem} --policy {policy} --time-limit 5 --out {tmp}/out/result.json "
            "--marginals {tmp}/out/marginals.csv"
        ),
        {0, 2, 3, 4},
    ),
    "check": (_words("check {problem} {assignment} --policy {policy}"), {0, 1, 2}),
    "explain": (_words("explain {problem} --policy {policy} --time-limit 5"), {0, 2, 3, 4}),
    "repair": (
        _words(
            "repair {problem} {tmp}/current.csv {tmp}/events.csv --locked {tmp}/locked.csv "
            "--policy {policy} --time-limit 5 --out {tmp}/out/repaired.json"
        ),
        {0, 2, 3, 4},
    ),
    "report": (
        _words("report {problem} {tmp}/result.json --policy {policy} --out {tmp}/out/report.html"),
        {0, 2},
    ),
    "verify": (_words("verify {problem} {tmp}/result.json --policy {policy}"), {0, 1, 2}),
    "export": (
        _words(
            "export {problem} {tmp}/result.json --policy {policy} --anonymous "
            "--secret-file {tmp}/secret.key --out {tmp}/out/export.csv --column region --case C1"
        ),
        {0, 2},
    ),
    "demo": (_words("demo --time-limit 5 --out {tmp}/out/demo.json"), {0, 2, 3, 4}),
}


def _commands_of_the_parser() -> set[str]:
    import argparse

    return {
        name
        for action in cli._parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def test_every_command_of_the_parser_is_fuzzed() -> None:
    assert _commands_of_the_parser() == set(COMMANDS)


def run_any(argv: list[str]) -> tuple[int, str]:
    """``cli.main`` in-process; an argparse exit is a code, any other exception fails."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse: usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


def _argv(command: str, tmp: str, problem: str, policy: str, assignment: str) -> list[str]:
    """The command line of ``command`` over the base files in ``tmp``."""
    return [
        a.format(
            tmp=tmp,
            problem=f"{tmp}/{problem}",
            policy=f"{tmp}/{policy}",
            assignment=f"{tmp}/{assignment}",
        )
        for a in COMMANDS[command][0]
    ]


def _base_files(root: Path) -> None:
    (root / "problem").mkdir()
    for name, content in BASE_FILES.items():
        (root / name).write_bytes(content)


def _mutation(target: str) -> st.SearchStrategy[bytes]:
    """The hostile versions of one input file."""
    if target.startswith("problem/"):
        return text_mutations(FOLDER[target.removeprefix("problem/")], cells=HOSTILE_CELLS)
    if target == "problem.json":
        return json_mutations(PROBLEM_JSON)
    if target in ("policy.toml", "repair.toml"):
        return st.one_of(
            toml_mutations(),
            st.sampled_from(SEMANTIC_POLICIES).map(str.encode),
        )
    if target == "policy.json":
        return json_mutations(POLICY_JSON)
    if target == "result.json":
        return st.one_of(
            json_mutations(RESULT_JSON),
            st.sampled_from(SEMANTIC_RESULTS).map(lambda d: json.dumps(d).encode()),
        )
    if target == "assignment.json":
        return json_mutations(ASSIGNMENT_JSON)
    if target == "secret.key":
        return st.one_of(st.binary(max_size=40), st.just(b""))
    text = {
        "assignment.csv": ASSIGNMENT_CSV,
        "current.csv": REPAIR_CURRENT,
        "events.csv": REPAIR_EVENTS,
        "locked.csv": LOCKED_CSV,
    }[target]
    return text_mutations(text, cells=HOSTILE_CELLS)


def _inputs_of(argv: list[str], tmp: str) -> list[str]:
    """The base files a command line names (a problem folder: its files)."""
    named = {a.replace(tmp + "/", "") for a in argv if a.startswith(tmp + "/")}
    files = [name for name in BASE_FILES if name in named]
    if "problem" in named:
        files += [name for name in BASE_FILES if name.startswith("problem/")]
    return files


def _snapshot(tmp: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(tmp)): path.read_bytes()
        for path in sorted(tmp.rglob("*"))
        if path.is_file() and "out" not in path.relative_to(tmp).parts
    }


@st.composite
def command_lines(draw: st.DrawFn, tmp: str) -> tuple[str, list[str], str]:
    """A command, its argv over the files in ``tmp``, and what was made hostile."""
    command = draw(st.sampled_from(sorted(set(COMMANDS) - {"demo"})))
    problem = draw(st.sampled_from(["problem", "problem.json"]))
    policies = ["policy.toml", "policy.toml", "policy.json", "repair.toml"]
    policy = "repair.toml" if command == "repair" else draw(st.sampled_from(policies))
    assignment = draw(st.sampled_from(["assignment.csv", "assignment.json", "result.json"]))
    argv = _argv(command, tmp, problem, policy, assignment)
    if command == "solve" and draw(st.booleans()):
        argv += ["--relax", "minimal"]
    inputs = _inputs_of(argv, tmp)
    kind = draw(st.sampled_from(["file", "file", "file", "file", "option", "aim"]))
    options = [i for i, a in enumerate(argv) if a.startswith("--") and i + 1 < len(argv)]
    outputs = [i + 1 for i in options if argv[i] in ("--out", "--marginals")]
    if kind == "aim" and outputs:
        # An output aimed at an input of the run, or at another output.
        at = draw(st.sampled_from(outputs))
        victims = [f"{tmp}/{name}" for name in inputs] + [argv[i] for i in outputs if i != at]
        argv[at] = draw(st.sampled_from(victims))
        return command, argv, "aim"
    if kind == "option" and options:
        at = draw(st.sampled_from(options)) + 1
        argv[at] = draw(st.sampled_from(HOSTILE_OPTIONS))
        return command, argv, "option"
    return command, argv, draw(st.sampled_from(inputs))


@settings(FUZZ, max_examples=examples(7))  # every command and option
@given(data=st.data())
def test_every_command_exits_with_a_documented_code_without_traceback(
    data: st.DataObject,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _base_files(root)
        command, argv, hostile = data.draw(command_lines(tmp))
        if hostile in BASE_FILES:
            (root / hostile).write_bytes(data.draw(_mutation(hostile)))
        before = _snapshot(root)
        TRIED[f"cli {command}"] += 1
        code, err = run_any(argv)
        assert "Traceback" not in err, err
        assert code in COMMANDS[command][1], (code, err)
        if code == 2:
            lines = err.strip().splitlines()
            assert lines and "error: " in lines[-1], err
            assert len(lines) <= 6, err
        if hostile == "aim":
            assert code == 2, err  # refused (or its suffix is: either way nothing is lost)
        assert _snapshot(root) == before, "a command changed one of its inputs"


@pytest.mark.parametrize("policy", SEMANTIC_POLICIES)
def test_every_command_under_extreme_policies(policy: str) -> None:
    # Before: solve --relax minimal under [random] max_probability < 1 raised ValueError
    # (a traceback, exit 1).
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _base_files(root)
        for command in sorted(set(COMMANDS) - {"demo"}):
            name = "repair.toml" if command == "repair" else "policy.toml"
            (root / name).write_text(policy)
            for problem in ("problem", "problem.json"):
                argv = _argv(command, tmp, problem, name, "result.json")
                for extra in [[], ["--relax", "minimal"]] if command == "solve" else [[]]:
                    TRIED[f"cli {command}"] += 1
                    code, err = run_any([*argv, *extra])
                    assert "Traceback" not in err, err
                    assert code in COMMANDS[command][1], (argv, extra, code, err)
                    if code == 2:
                        assert len(err.strip().splitlines()) == 1, err
                        assert err.startswith("reviewassign: error: "), err


DEMO_OPTIONS = [
    *[
        (option, value)
        for option in ("--time-limit", "--seed", "--workers", "--candidates", "--out")
        for value in HOSTILE_OPTIONS
    ],
    ("--out", "{bundled}/cases.csv"),
    ("--out", "{bundled}/policy.toml"),
]


@pytest.mark.parametrize(("option", "value"), DEMO_OPTIONS)
def test_demo_with_hostile_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, value: str
) -> None:
    # A copy of the bundled example: were the guard broken, the copy would be lost.
    bundled = tmp_path / "pioneer_award"
    shutil.copytree(cli._example_dir(), bundled)
    monkeypatch.setattr(cli, "_example_dir", lambda: bundled)
    before = _snapshot(bundled)
    value = value.format(bundled=bundled)
    # Fast: no time to search (a big --time-limit value solves the example in full).
    argv = ["demo", "--time-limit", "0", "--out", str(tmp_path / "demo.json"), option, value]
    TRIED["cli demo"] += 1
    code, err = run_any(argv)
    assert "Traceback" not in err, err
    assert code in COMMANDS["demo"][1], (code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert lines and "error: " in lines[-1] and len(lines) <= 6, err
    if value.startswith(str(bundled)):
        assert code == 2 and "the same file as" in err, err
    assert _snapshot(bundled) == before


@pytest.mark.parametrize("index", range(len(SEMANTIC_RESULTS)))
def test_every_command_on_results_that_lie(index: int) -> None:
    # Before: report on a result naming ids that are not in the problem raised
    # ValueError from evaluate (a traceback, exit 1).
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _base_files(root)
        (root / "result.json").write_text(json.dumps(SEMANTIC_RESULTS[index]))
        for command in ("check", "report", "verify", "export", "repair"):
            argv = _argv(command, tmp, "problem", "repair.toml", "result.json")
            if command == "repair":  # the result as the current assignment
                argv[2] = f"{tmp}/result.json"
            TRIED[f"cli {command}"] += 1
            code, err = run_any(argv)
            assert "Traceback" not in err, err
            assert code in COMMANDS[command][1], (argv, code, err)
            if code == 2:
                assert len(err.strip().splitlines()) == 1, err
                assert err.startswith("reviewassign: error: ") and "result.json" in err, err
