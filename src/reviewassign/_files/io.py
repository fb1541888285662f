"""Files in and out: problems (a CSV folder or JSON), policies, assignments and results.

Every reader turns every mistake in a file into an :class:`~reviewassign.InputError` that
names the file, the row and the field, so that the command line can print one plain line
and a notebook user can find the cell. Rows are numbered as a spreadsheet or an editor
shows them: ``row`` is the 1-based line number on which the record starts, the header
being line 1. In JSON and TOML files ``row`` is the line of a syntax error and ``field``
the dotted path of a value, e.g. ``conflicts[0].reviewer`` or ``panel.min_genders``.

CSV is read strictly: a cell holds one line (a quoted cell that spans lines is nearly
always a quote left open, which would swallow the rows after it), a quote left open to
the end of the file and text after a closing quote are errors naming the line where the
quote opens. JSON and TOML values are validated in pydantic's strict mode: a boolean is
not a number, a string is neither a number nor a boolean, a float is not an integer
(``3.0`` for ``panel_size`` is refused); an integer is a float (``0`` for
``load_spread``).

Every file is written atomically (:func:`write_atomic`): a reader never sees half a file
and a failed write leaves the old one in place.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import io
import json
import math
import os
import re
import stat
import tomllib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from .._data.events import Event
from .._data.fields import Id
from .._data.model import (
    Affinity,
    Case,
    Conflict,
    Disjoint,
    HistorySeat,
    Issue,
    Linked,
    PrefersNot,
    Problem,
    Relation,
    Reviewer,
    cross_reference_issues,
    unset_added,
)
from .._data.policy import AttributesPolicy, Policy
from .._data.result import Assignment, Result
from .._errors import InputError

__all__ = [
    "csv_text",
    "load_assignment",
    "load_events",
    "load_locked",
    "load_policy",
    "load_problem",
    "save_problem",
    "save_result",
    "write_atomic",
]

PathLike = str | os.PathLike[str]
M = TypeVar("M", bound=BaseModel)


# --------------------------------------------------------------------------- cells
# One parser and one formatter per kind of cell. A parser gets the stripped, non-empty
# cell text and raises ValueError with a message naming the value; the table reader adds
# the file, row and column. Each formatter is the inverse of its parser.


def _show(value: object, limit: int = 60) -> str:
    """``repr`` of a value, shortened so that one bad cell cannot flood a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _parse_text(cell: str) -> str:
    """A text cell, as it is."""
    return cell


def _parse_items(cell: str) -> tuple[str, ...]:
    """A list cell: its ``;``-separated items, stripped, empty ones left out."""
    return tuple(item.strip() for item in cell.split(";") if item.strip())


def _parse_integer(cell: str) -> int:
    """An integer cell of at most 18 digits."""
    # int() alone would also take "1_000" and 5,000-digit strings.
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", cell):
        raise ValueError(f"not an integer: {_show(cell)}")
    return int(cell)


def _parse_number(cell: str) -> float:
    """A finite number cell."""
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"not a number: {_show(cell)}") from None
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {_show(cell)}")
    return value


def _pairs(cell: str) -> Iterable[tuple[str, str | None]]:
    """``name`` or ``name:value`` items of a ``;`` list, each name at most once."""
    seen: set[str] = set()
    for item in _parse_items(cell):
        name, colon, value = item.partition(":")
        name = name.strip()
        if not name:
            raise ValueError(f"no topic name in {_show(item)}")
        if name in seen:
            raise ValueError(f"topic {name!r} listed twice")
        seen.add(name)
        yield name, (value.strip() if colon else None)


def _parse_weights(cell: str) -> dict[str, float]:
    """A ``topic`` or ``topic:weight`` list cell (weight 1 when not given)."""
    weights: dict[str, float] = {}
    for topic, text in _pairs(cell):
        weight = 1.0 if text is None else _parse_number(text)
        if weight < 0:
            raise ValueError(f"topic {topic!r} has a negative weight: {_show(text)}")
        weights[topic] = weight
    return weights


def _parse_levels(cell: str) -> dict[str, int]:
    """A ``topic:level`` list cell, levels 1 to 3."""
    levels: dict[str, int] = {}
    for topic, text in _pairs(cell):
        if not text:
            raise ValueError(f"topic {topic!r} has no level (write {topic}:LEVEL, LEVEL 1 to 3)")
        level = _parse_integer(text)
        if level not in (1, 2, 3):
            raise ValueError(f"topic {topic!r} has level {level}; levels are 1, 2 or 3")
        levels[topic] = level
    return levels


def _parse_attributes(cell: str) -> dict[str, str | tuple[str, ...]]:
    """An ``attributes`` cell: ``key=value;key=value``; a key given again makes a list."""
    found: dict[str, list[str]] = {}
    for item in cell.split(";"):
        if not item.strip():
            continue
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ValueError(f"{_show(item.strip())} is not name=value (write sector=practice)")
        found.setdefault(name, []).append(value.strip())
    return {k: v[0] if len(v) == 1 else tuple(v) for k, v in found.items()}


def _format_attributes(value: Any) -> str:
    """An ``attributes`` cell: each label as ``name=label``, a list as its name repeated."""
    return ";".join(
        f"{name}={labels}" if isinstance(labels, str) else ";".join(f"{name}={x}" for x in labels)
        for name, labels in value.items()
    )


def _format_text(value: Any) -> str:
    """A text cell."""
    return str(value)


def _format_items(value: Any) -> str:
    """A list cell, items joined by ``;``."""
    return ";".join(value)


def _format_integer(value: Any) -> str:
    """An integer cell, empty for ``None``."""
    return "" if value is None else str(value)


def _format_number(value: Any) -> str:
    """A number cell that reads back as the same float."""
    return repr(float(value))  # the shortest text that reads back as the same float


def _format_optional_number(value: Any) -> str:
    """A number cell, empty for ``None``."""
    return "" if value is None else _format_number(value)


def _format_weights(value: Any) -> str:
    """A topic weights cell, weight 1 left out."""
    return ";".join(t if w == 1 else f"{t}:{float(w)!r}" for t, w in value.items())


def _format_levels(value: Any) -> str:
    """A ``topic:level`` list cell."""
    return ";".join(f"{t}:{level}" for t, level in value.items())


@dataclass(frozen=True, slots=True)
class _Cell:
    """How one kind of cell is read and written."""

    parse: Callable[[str], object]
    format: Callable[[Any], str]


_TEXT = _Cell(_parse_text, _format_text)
_ITEMS = _Cell(_parse_items, _format_items)
_INTEGER = _Cell(_parse_integer, _format_integer)
_NUMBER = _Cell(_parse_number, _format_number)
_OPTIONAL_NUMBER = _Cell(_parse_number, _format_optional_number)
_WEIGHTS = _Cell(_parse_weights, _format_weights)
_LEVELS = _Cell(_parse_levels, _format_levels)
_ATTRIBUTES = _Cell(_parse_attributes, _format_attributes)


# -------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class _Table(Generic[M]):
    """A CSV file: its name, the model of a row, its columns in order, the required ones.

    An empty cell, or a column left out, takes the model's default.
    """

    file: str
    model: type[M]
    columns: Mapping[str, _Cell]
    required: frozenset[str]
    written_when_set: frozenset[str] = frozenset()
    """Columns :func:`save_problem` writes only when some row has a value there."""
    side: str = ""
    """``reviewers`` or ``cases``: the ``[attributes]`` key that declares extra columns."""


_CASES = _Table(
    "cases.csv",
    Case,
    {
        "id": _TEXT,
        "region": _TEXT,
        "country": _TEXT,
        "institution": _ITEMS,
        "topics": _WEIGHTS,
        "language": _TEXT,
        "applicants": _ITEMS,
        "panel_size": _INTEGER,
        "attributes": _ATTRIBUTES,
    },
    frozenset({"id"}),
    frozenset({"attributes"}),
    "cases",
)
_REVIEWERS = _Table(
    "reviewers.csv",
    Reviewer,
    {
        "id": _TEXT,
        "region": _TEXT,
        "country": _TEXT,
        "institution": _TEXT,
        "gender": _TEXT,
        "seniority": _TEXT,
        "expertise": _LEVELS,
        "languages": _ITEMS,
        "min_load": _INTEGER,
        "max_load": _INTEGER,
        "attributes": _ATTRIBUTES,
    },
    frozenset({"id"}),
    frozenset({"attributes"}),
    "reviewers",
)
_CONFLICTS = _Table(
    "conflicts.csv",
    Conflict,
    {"case": _TEXT, "reviewer": _TEXT, "reason": _TEXT},
    frozenset({"case", "reviewer"}),
)
_RELATIONS = _Table(
    "relations.csv", Relation, {"a": _TEXT, "b": _TEXT, "kind": _TEXT}, frozenset({"a", "b"})
)
_AFFINITY = _Table(
    "affinity.csv",
    Affinity,
    {"case": _TEXT, "reviewer": _TEXT, "score": _NUMBER},
    frozenset({"case", "reviewer", "score"}),
)

_DISJOINT = _Table(
    "disjoint.csv", Disjoint, {"a": _TEXT, "b": _TEXT, "reason": _TEXT}, frozenset({"a", "b"})
)
_LINKED = _Table("linked.csv", Linked, {"cases": _ITEMS, "shared": _INTEGER}, frozenset({"cases"}))
_PREFERS_NOT = _Table(
    "prefers_not.csv",
    PrefersNot,
    {"case": _TEXT, "reviewer": _TEXT, "reason": _TEXT, "weight": _OPTIONAL_NUMBER},
    frozenset({"case", "reviewer"}),
)
_HISTORY = _Table(
    "history.csv",
    HistorySeat,
    {"year": _INTEGER, "case": _TEXT, "reviewer": _TEXT, "institution": _ITEMS},
    frozenset({"year", "case", "reviewer"}),
)

_TABLES: dict[str, _Table[Any]] = {
    "cases": _CASES,
    "reviewers": _REVIEWERS,
    "conflicts": _CONFLICTS,
    "relations": _RELATIONS,
    "affinity": _AFFINITY,
    "disjoint": _DISJOINT,
    "linked": _LINKED,
    "prefers_not": _PREFERS_NOT,
    "history": _HISTORY,
}
"""The table of each collection of a problem, in the order of :class:`Problem`'s fields."""
_REQUIRED = ("cases", "reviewers")
"""The collections whose files a problem folder must hold."""


class _Pair(BaseModel):
    """One row of an assignment CSV file."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    case: Id
    reviewer: Id


_PAIRS = _Table(
    "assignment", _Pair, {"case": _TEXT, "reviewer": _TEXT}, frozenset({"case", "reviewer"})
)
_EVENTS = _Table(
    "events.csv",
    Event,
    {"event": _TEXT, "case": _TEXT, "reviewer": _TEXT, "value": _INTEGER},
    frozenset({"event"}),
)


# ------------------------------------------------------------------ reading errors


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file, or an :class:`InputError` naming it."""
    try:
        # A pipe or a device (/dev/zero) named as an input would block or never end.
        if not stat.S_ISREG(path.stat().st_mode):
            raise InputError("not a regular file (a folder, a pipe or a device)", path=path)
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None


_OTHER_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",  # before UTF-16: its mark begins with UTF-16's
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def _text_bytes(path: Path) -> bytes:
    r"""The bytes of a text file, refusing what is plainly not UTF-8 text.

    Every reader starts here. A UTF-16 or UTF-32 file (with a byte order mark, or without
    one: then it is full of NUL bytes) and a binary file get one clear line instead of a
    puzzling error about a column named ``'c\x00a\x00s\x00e'``. No text file of ours
    holds a NUL byte, so one is always a mistake.
    """
    data = _read_bytes(path)
    for bom, name in _OTHER_BOMS.items():
        if data.startswith(bom):
            raise InputError(f"{name} text; save the file as UTF-8", path=path, row=1)
    nul = data.find(b"\0")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        message = "a NUL byte: not a text file, or UTF-16 text; save the file as UTF-8"
        raise InputError(message, path=path, row=line)
    return data


def _decode(path: Path) -> str:
    """Read a UTF-8 file (dropping a byte order mark); a bad byte names its line."""
    data = _text_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.end]
        raise InputError(f"not valid UTF-8: bytes {bad!r}", path=path, row=line) from None


_UNION_TAG = re.compile(r"(is-instance|function-(after|before|wrap|plain))\[")


def _first_error(exc: ValidationError) -> tuple[dict[str, Any], int]:
    """The first error worth showing, and how many there are.

    The location is cleaned of pydantic's union branch tags.

    A field that takes either an object or rows (``Problem.affinity``) reports a failure of
    each branch; "should be an instance of AffinityTable" is never what the file meant.
    """
    errors = exc.errors(include_url=False)
    shown = [e for e in errors if e["type"] != "is_instance_of"] or errors
    error: dict[str, Any] = dict(shown[0])
    loc: tuple[int | str, ...] = shown[0]["loc"]
    error["loc"] = tuple(p for p in loc if not (isinstance(p, str) and _UNION_TAG.match(p)))
    return error, len(shown)


def _error_message(error: Mapping[str, Any], model: type[BaseModel] | None = None) -> str:
    """One clean line for one pydantic error, naming the value that was given."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden" and loc:
        message = f"unknown key {_show(loc[-1])}"
        known = _keys_at(model, loc[:-1]) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return message + (f" (did you mean {close[0]!r}?)" if close else "")
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if loc and error["type"] != "missing" and isinstance(given, str | int | float):
        message += f", got {_given(given, error['type'])}"
    return message


_SCALAR_TYPES = frozenset({"int_type", "float_type", "bool_type"})
"""The errors of a strict number or boolean field given a value of another type."""


def _given(value: str | float, error_type: str) -> str:
    """A given value as the file wrote it, with its type when that is the mistake."""
    if isinstance(value, bool):  # JSON and TOML spell booleans in lower case
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str) and error_type == "bool_type":
        return f"{_show(value)} (text; a boolean is true or false, without quotes)"
    if isinstance(value, str) and error_type in _SCALAR_TYPES:
        return f"{_show(value)} (text; write the number without quotes)"
    return _show(value)


def _keys_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """List the field names of the model at ``loc`` below ``model`` (for suggestions)."""
    node: object = model
    for part in loc:
        if isinstance(part, int):
            args = get_args(node)
            node = args[0] if args else None
        elif isinstance(node, type) and issubclass(node, BaseModel) and part in node.model_fields:
            node = node.model_fields[part].annotation
        else:
            return []
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []


def _dotted(loc: Sequence[int | str], prefix: str = "") -> str | None:
    """``('conflicts', 0, 'reviewer')`` as ``'conflicts[0].reviewer'``."""
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _more(count: int, noun: str) -> str:
    """`` (and N more nouns)`` when ``count`` is positive, else nothing."""
    return f" (and {count} more {noun}{'s' if count > 1 else ''})" if count > 0 else ""


def _document_error(
    exc: ValidationError, path: Path, model: type[BaseModel], prefix: str = ""
) -> InputError:
    """Describe the first error of a JSON or TOML document as an :class:`InputError`."""
    error, count = _first_error(exc)
    message = _error_message(error, model) + _more(count - 1, "error")
    return InputError(message, path=path, field=_dotted(error["loc"], prefix))


class _DuplicateKeyError(Exception):
    """A JSON object holds ``key`` twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice."""
    # json.loads would silently keep the last of two equal keys: a lost panel or topic.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _read_json(path: Path) -> Any:
    """The JSON document in ``path``; errors name the file and the line."""
    text = _decode(path)
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (column {exc.colno})"
        raise InputError(message, path=path, row=exc.lineno) from None
    except _DuplicateKeyError as exc:
        raise InputError(f"duplicate key {_show(exc.key)}", path=path) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=path) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise InputError(f"invalid JSON: {_digits(exc)}", path=path) from None
    if _SURROGATE_ESCAPE.search(text):
        _check_no_lone_surrogate(data, path)
    return data


def _strictly(model: type[M], data: Any, path: Path) -> M:
    """Validate a JSON or TOML document in pydantic's strict mode, naming the field.

    Strict mode takes a tuple field only from a tuple, so the document's arrays become
    tuples first; nothing else is converted.
    """
    try:
        return model.model_validate(_arrays_as_tuples(data), strict=True)
    except ValidationError as exc:
        raise _document_error(exc, path, model) from None
    except RecursionError:
        raise InputError("nested too deeply", path=path) from None


def _arrays_as_tuples(data: Any) -> Any:
    """``data`` with every JSON array turned into a tuple."""
    if isinstance(data, list):
        return tuple(_arrays_as_tuples(item) for item in data)
    if isinstance(data, dict):
        return {key: _arrays_as_tuples(value) for key, value in data.items()}
    return data


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate; a pair of them is one character, a lone one none."""


def _check_no_lone_surrogate(data: Any, path: Path) -> None:
    r"""JSON may escape a lone surrogate (``"\ud800"``), which is not text: refuse it."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and any("\ud800" <= ch <= "\udfff" for ch in item):
            raise InputError(
                f"invalid JSON: the text {_show(item)} holds a lone surrogate escape "
                "(\\ud800-\\udfff), which is not a character",
                path=path,
            )


def _digits(exc: ValueError) -> str:
    """Python's message on an over-long integer, without its advice to call Python."""
    limit = re.search(r"limit \((\d+) digits\)", str(exc))
    return f"a number of more than {limit.group(1)} digits" if limit else str(exc)


# --------------------------------------------------------------------- CSV reading


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""A byte that is not UTF-8, as the "surrogateescape" decoding keeps it."""


def _check_utf8(cell: str, path: Path, row: int, field: str | None) -> None:
    """Refuse a cell holding bytes that are not UTF-8, naming its place."""
    # Files are decoded with "surrogateescape" so that a bad byte can be traced to its cell.
    # One regular expression search a cell: a million relations are read in seconds.
    if _ESCAPED_BYTE.search(cell):
        raw = cell.encode("utf-8", "surrogateescape")
        raise InputError(f"not valid UTF-8: {_show(raw)}", path=path, row=row, field=field)


def _declare(table: _Table[M], name: str) -> str:
    """How to read an unknown column as an attribute, for a table that takes attributes."""
    if not table.side:
        return ""
    return (
        f"; to read it as an attribute, declare it in the policy ([attributes] "
        f'{table.side} = ["{name}"]) or give it in the attributes column ({name}=...)'
    )


def _header(
    table: _Table[M], cells: list[str], path: Path, row: int, extra: Sequence[str] = ()
) -> list[str]:
    """The column names of a table's header row, each known (or declared) and given once."""
    names = [name.strip() for name in cells]
    for number, name in enumerate(names, start=1):
        _check_utf8(name, path, row, None)
        if not name:
            raise InputError(f"column {number} of the header has no name", path=path, row=row)
        if name not in table.columns and name not in extra:
            expected = ", ".join(table.columns)
            close = difflib.get_close_matches(name, [*table.columns, *extra], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = (
                f"unknown column {_show(name)}; {hint}the columns are: {expected}"
                f"{_declare(table, name)}"
            )
            raise InputError(message, path=path, row=row, field=name)
        if name in names[: number - 1]:
            raise InputError(f"column {_show(name)} appears twice", path=path, row=row, field=name)
    for name in table.columns:
        if name in table.required and name not in names:
            raise InputError(f"missing required column {name!r}", path=path, row=row, field=name)
    return names


def _one_line(names: list[str], cells: list[str], path: Path, row: int) -> None:
    """Refuse a cell that spans lines: nearly always a quote left open.

    The first such cell opens on the record's first line, ``row``, since every cell
    before it is on that line.
    """
    for number, cell in enumerate(cells):
        breaks = cell.count("\n") + cell.count("\r") - cell.count("\r\n")
        if breaks:
            field = names[number] if number < len(names) else None
            message = (
                f"a quote opened on line {row} closes only on line {row + breaks}: a cell "
                "holds one line (is a closing quote missing?)"
            )
            raise InputError(message, path=path, row=row, field=field)


def _row(table: _Table[M], names: list[str], cells: list[str], path: Path, row: int) -> M:
    """One CSV row of ``table`` as its model, with errors naming the row and field."""
    _one_line(names, cells, path, row)
    if len(cells) > len(names):
        message = f"{len(cells)} cells but the header has {len(names)} columns"
        raise InputError(message, path=path, row=row)
    values: dict[str, object] = {}
    declared: dict[str, object] = {}
    for name, raw in zip(names, cells + [""] * (len(names) - len(cells)), strict=True):
        cell = unsafe_cell(raw.strip())  # the inverse of what csv_text writes
        _check_utf8(cell, path, row, name)
        if not cell:
            if name in table.required:
                raise InputError("empty cell: a value is required", path=path, row=row, field=name)
            continue
        try:
            if name in table.columns:
                values[name] = table.columns[name].parse(cell)
            else:  # a declared attribute column: a label, or a ; list of them
                items = _parse_items(cell)
                declared[name] = items[0] if len(items) == 1 else items
        except ValueError as exc:
            raise InputError(str(exc), path=path, row=row, field=name) from None
    if declared:
        _merge_declared(values, declared, path, row)
    try:
        return table.model.model_validate(values)
    except ValidationError as exc:
        error, count = _first_error(exc)
        message = _error_message(error) + _more(count - 1, "error")
        field = _error_column(error["loc"], declared) or _first_named(message, names)
        raise InputError(message, path=path, row=row, field=field) from None


def _merge_declared(
    values: dict[str, object], declared: Mapping[str, object], path: Path, row: int
) -> None:
    """Add the declared attribute columns to the row's ``attributes`` (a name once)."""
    given = values.get("attributes")
    attributes = dict(given) if isinstance(given, dict) else {}
    for name, value in declared.items():
        if name in attributes:
            message = f"attribute {name!r} is given twice: in its column and in attributes"
            raise InputError(message, path=path, row=row, field=name)
        attributes[name] = value
    values["attributes"] = attributes


def _error_column(loc: Sequence[int | str], declared: Mapping[str, object]) -> str | None:
    """The column of a row's validation error: a declared attribute's own, else the field."""
    if not loc:
        return None
    if loc[0] == "attributes" and len(loc) > 1 and str(loc[1]) in declared:
        return str(loc[1])
    return str(loc[0])


def _csv_error(exc: csv.Error, path: Path, start: int, line: int) -> InputError:
    """The csv module's error in plain words.

    ``start`` is the line on which the record being read starts: where a quote left open
    opens, since a cell before it on that record would have ended the record or been
    refused as spanning lines.
    """
    if "unexpected end of data" in str(exc):
        message = (
            f"a quote opened on line {start} is never closed: the cell runs to the end of "
            "the file (is a closing quote missing?)"
        )
        return InputError(message, path=path, row=start)
    if "field limit" in str(exc):  # the csv module's limit: a runaway quoted cell, mostly
        message = (
            f"malformed CSV: a cell longer than {csv.field_size_limit():,} characters "
            "(a quote left open?)"
        )
        return InputError(message, path=path, row=start)
    if "expected after" in str(exc) and line > start:
        # The cell that ends in the wrong place spans lines: its quote was left open.
        message = (
            f"a quote opened on line {start} closes only on line {line}: a cell holds one "
            "line (is a closing quote missing?)"
        )
        return InputError(message, path=path, row=start)
    if "expected after" in str(exc):
        message = (
            "malformed CSV: text after the closing quote of a cell (a quote inside a "
            'quoted cell is written "")'
        )
        return InputError(message, path=path, row=line)
    return InputError(f"malformed CSV: {exc}", path=path, row=line)


def _first_named(message: str, names: Sequence[str]) -> str | None:
    """Find the column a rule across columns names first ("min_load 5 exceeds ...")."""
    found = [
        (m.start(), name) for name in names if (m := re.search(rf"\b{re.escape(name)}\b", message))
    ]
    return min(found)[1] if found else None


def _read_table(
    path: Path, table: _Table[M], extra: Sequence[str] = ()
) -> tuple[list[M], list[int]]:
    """Read the rows of a CSV file as models, with the line on which each starts.

    Rows whose cells are all empty (as spreadsheets export) are skipped. ``extra`` names
    the declared attribute columns the file may hold.
    """
    text = _text_bytes(path).decode("utf-8-sig", errors="surrogateescape")
    # strict: a quote left open to the end of the file, or text after a closing quote,
    # is an error (the lenient reader takes the rest of the file into the cell).
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    names: list[str] | None = None
    items: list[M] = []
    lines: list[int] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if names is None:
                    _one_line([], cells, path, start)
                    names = _header(table, cells, path, start, extra)
                else:
                    items.append(_row(table, names, cells, path, start))
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _csv_error(exc, path, start, reader.line_num) from None
    if names is None:
        raise InputError("empty file: no header row", path=path)
    return items, lines


# ----------------------------------------------------------------- problem reading


def _read_folder(folder: Path, policy: Policy | None = None) -> Problem:
    """The problem in a folder of CSV files (the policy's declared attribute columns too)."""
    declared = AttributesPolicy() if policy is None else policy.attributes
    extra = {"cases": declared.cases, "reviewers": declared.reviewers}
    for collection in _REQUIRED:
        if not (folder / _TABLES[collection].file).exists():
            message = f"missing: a problem folder holds {_CASES.file} and {_REVIEWERS.file}"
            raise InputError(message, path=folder / _TABLES[collection].file)
    read: dict[str, tuple[list[Any], list[int]]] = {}
    for collection, table in _TABLES.items():
        path = folder / table.file
        required = collection in _REQUIRED
        if required or path.exists():
            read[collection] = _read_table(path, table, extra.get(collection, ()))
        else:
            read[collection] = ([], [])
    parts = {collection: tuple(items) for collection, (items, _) in read.items()}
    issues = _issues(parts)
    if issues:
        first = issues[0]
        raise InputError(
            first.message + _more(len(issues) - 1, "issue"),
            path=folder / _TABLES[first.collection].file,
            row=read[first.collection][1][first.index],
            field=first.field,
        )
    return _problem(parts, folder)


def _issues(parts: Mapping[str, Any]) -> list[Issue]:
    """The cross-reference issues of a problem's parts (:func:`cross_reference_issues`)."""
    return cross_reference_issues(
        parts["cases"],
        parts["reviewers"],
        parts["conflicts"],
        parts["relations"],
        parts["affinity"],
        disjoint=parts["disjoint"],
        linked=parts["linked"],
        prefers_not=parts["prefers_not"],
        history=parts["history"],
    )


def _problem(parts: Mapping[str, Any], path: Path) -> Problem:
    """The :class:`Problem` of validated and cross-checked parts."""
    # The parts are validated and cross-checked already; this cannot fail short of a bug.
    try:
        return Problem.model_validate(parts)
    except ValidationError as exc:  # pragma: no cover
        raise _document_error(exc, path, Problem) from None


_PROBLEM_FIELDS: dict[str, Any] = {
    name: (info.annotation, info) for name, info in Problem.model_fields.items()
}
_Parts = create_model(
    "_Parts", __config__=ConfigDict(frozen=True, extra="forbid"), **_PROBLEM_FIELDS
)
""":class:`Problem`'s fields without its cross-reference check, which :func:`_read_json_problem`
runs itself to name the field of the first mistake."""


def _issue_field(issue: Issue) -> str:
    """Where an issue is, as a JSON path (``cases[3].applicants``)."""
    return f"{issue.collection}[{issue.index}].{issue.field}"


def _read_json_problem(path: Path) -> Problem:
    """The problem in one JSON file, read strictly."""
    data = _read_json(path)
    parts = dict(_strictly(_Parts, data, path))
    issues = _issues(parts)
    if issues:
        message = issues[0].message + _more(len(issues) - 1, "issue")
        raise InputError(message, path=path, field=_issue_field(issues[0]))
    return _problem(parts, path)


def load_problem(path: PathLike, *, policy: Policy | None = None) -> Problem:
    r"""Read a problem from a folder of CSV files or from a ``.json`` file.

    The folder holds ``cases.csv`` and ``reviewers.csv`` and, if there are any,
    ``conflicts.csv``, ``relations.csv`` and ``affinity.csv``, with the columns of
    SPEC.md, the pair data: ``disjoint.csv`` (``a,b,reason``), ``linked.csv``
    (``cases,shared``) and ``prefers_not.csv`` (``case,reviewer,reason,weight``), and
    ``history.csv`` (past seats: ``year``, ``case``, ``reviewer``, ``institution``). Only
    ``id`` (and, in the optional files, the pair of ids and the score, ``cases`` of a
    linked group, a past seat's year) is a required column; an empty cell takes the
    model's default. ``cases.csv`` and ``reviewers.csv`` may hold an ``attributes``
    column (``sector=practice;first_time=yes``, a name given twice making a list), and the
    attribute columns that ``policy`` declares (``[attributes] reviewers = ["sector"]``; a
    cell is a label or a ``;`` list). Any other column is an error.

    Parameters
    ----------
    path
        The folder, or the JSON file of the :class:`~reviewassign.Problem` schema.
    policy
        The policy whose ``[attributes]`` section declares extra columns (a CSV folder only).

    Returns
    -------
    Problem
        The validated problem.

    Raises
    ------
    InputError
        For every mistake, naming the file, the row (the line on which the record starts,
        the header being line 1) and the field (the column, or a dotted path in JSON).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "cases.csv").write_text("id,topics\nC1,t1;t2:2\n")
    >>> _ = (folder / "reviewers.csv").write_text("id,expertise,max_load\nR1,t1:3,2\n")
    >>> problem = load_problem(folder)
    >>> problem.cases[0].topics, problem.reviewers[0].max_load
    ({'t1': 1.0, 't2': 2.0}, 2)
    >>> _ = (folder / "conflicts.csv").write_text("case,reviewer\nC1,R1\nC1,R9\n")
    >>> load_problem(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reviewassign._errors.InputError: ...conflicts.csv, row 3, field 'reviewer': unknown reviewer ...
    """
    where = Path(path)
    if where.is_dir():
        return _read_folder(where, policy)
    if not where.exists():
        raise InputError("no such file or folder", path=where)
    if where.suffix.lower() == ".json":
        return _read_json_problem(where)
    raise InputError(
        f"a problem is a folder of CSV files ({_CASES.file}, {_REVIEWERS.file}, ...) "
        "or a .json file",
        path=where,
    )


# ----------------------------------------------------------------- policy reading


def _read_toml(path: Path) -> Any:
    """The TOML document in ``path``; errors name the file and the line."""
    text = _decode(path)  # outside the try: its InputError is a ValueError too
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        row = int(line.group(1)) if line else None
        raise InputError(f"invalid TOML: {exc}", path=path, row=row) from None
    except RecursionError:
        raise InputError("invalid TOML: nested too deeply", path=path) from None
    except ValueError as exc:  # tomllib lets int()'s error on an over-long integer through
        raise InputError(f"invalid TOML: {_digits(exc)}", path=path) from None


def load_policy(path: PathLike) -> Policy:
    r"""Read a policy from a ``.toml`` or ``.json`` file of the :class:`~reviewassign.Policy` model.

    Keys left out take their (neutral) defaults; an unknown key is an error. Values are
    read strictly: ``panel_size = true``, ``"3"`` and ``3.0`` are not the integer 3, and
    ``"no"`` is not ``false`` (``Policy(...)`` in Python converts them).

    Raises
    ------
    InputError
        Naming the file, the key as a dotted ``field`` (e.g. ``panel.min_genders``)
        and, for a syntax error, the line as ``row``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> file = Path(tempfile.mkdtemp()) / "policy.toml"
    >>> _ = file.write_text("panel_size = 2\n[panel]\nown_region = 'exclude'\n")
    >>> policy = load_policy(file)
    >>> policy.panel_size, policy.panel.own_region, policy.load.max
    (2, 'exclude', 6)
    >>> _ = file.write_text("[panel]\nmin_gendres = 2\n")
    >>> load_policy(file)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reviewassign._errors.InputError: ...'panel.min_gendres': ... (did you mean 'min_genders'?)
    """
    where = Path(path)
    suffix = where.suffix.lower()
    if suffix == ".toml":
        data = _read_toml(where)
    elif suffix == ".json":
        data = _read_json(where)
    else:
        raise InputError("a policy file ends in .toml or .json", path=where)
    return _strictly(Policy, data, where)


# ------------------------------------------------------------- assignment reading

_PANELS: TypeAdapter[dict[str, tuple[str, ...]]] = TypeAdapter(dict[Id, tuple[Id, ...]])


def _read_csv_assignment(path: Path) -> Assignment:
    """An assignment from ``case,reviewer`` CSV rows; a pair given twice is an error."""
    pairs, lines = _read_table(path, _PAIRS)
    first: dict[tuple[str, str], int] = {}
    for pair, line in zip(pairs, lines, strict=True):
        key = (pair.case, pair.reviewer)
        if key in first:
            message = (
                f"pair ({pair.case!r}, {pair.reviewer!r}) listed twice (first on row {first[key]})"
            )
            raise InputError(message, path=path, row=line, field="reviewer")
        first[key] = line
    return Assignment.from_pairs(first)


_RESULT_KEYS = frozenset({"status", "objective", "bound", "gap", "assignment", "stats"})


def _read_json_assignment(path: Path) -> Assignment:
    """An assignment from a JSON file: a mapping of panels, or a result file."""
    data = _read_json(path)
    prefix = ""
    if isinstance(data, dict) and _RESULT_KEYS & data.keys():
        # A result file: its panels are under "assignment", whatever else it holds.
        if not isinstance(data.get("assignment"), dict):
            message = "a result file needs an 'assignment' object mapping case ids to reviewer ids"
            raise InputError(message, path=path, field="assignment")
        data, prefix = data["assignment"], "assignment"
    try:
        panels = _PANELS.validate_python(data)
    except ValidationError as exc:
        error, count = _first_error(exc)
        message = _error_message(error) + _more(count - 1, "error")
        raise InputError(message, path=path, field=_dotted(error["loc"], prefix)) from None
    for case, panel in panels.items():
        twice = sorted({r for r in panel if panel.count(r) > 1})
        if twice:
            message = f"reviewer {twice[0]!r} listed twice for case {case!r}"
            raise InputError(message, path=path, field=_dotted([case], prefix))
    return Assignment(panels)


def load_assignment(path: PathLike) -> Assignment:
    r"""Read an assignment from a ``.csv`` or ``.json`` file.

    A CSV file has the header ``case,reviewer`` and one row per pair. A JSON file is
    either a result file (its ``"assignment"`` maps case ids to lists of reviewer ids) or
    that mapping alone.

    Raises
    ------
    InputError
        Naming the file, the row (CSV) and the field; a pair given twice is an error.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> file = Path(tempfile.mkdtemp()) / "assignment.csv"
    >>> _ = file.write_text("case,reviewer\nC1,R2\nC1,R1\n")
    >>> load_assignment(file)
    Assignment({'C1': ('R1', 'R2')})
    """
    where = Path(path)
    suffix = where.suffix.lower()
    if suffix == ".csv":
        return _read_csv_assignment(where)
    if suffix == ".json":
        return _read_json_assignment(where)
    raise InputError("an assignment file ends in .csv or .json", path=where)


# ------------------------------------------------------------------- repair inputs


def read_events(path: PathLike) -> tuple[list[Event], list[int]]:
    """The events of an ``events.csv`` file and the line on which each starts."""
    return _read_table(Path(path), _EVENTS)


def load_events(path: PathLike) -> list[Event]:
    r"""Read the events of a repair from a CSV file with the columns ``event,case,reviewer,value``.

    ``event`` is ``decline``, ``withdraw``, ``conflict``, ``add_case``, ``withdraw_case``
    or ``load``; the cells an event does not use stay empty (see :class:`Event`). Only
    the ``event`` column is required; a column that no event uses may be left out.

    Raises
    ------
    InputError
        Naming the file, the row and the field: an unknown event, a cell the event needs
        left empty, a cell it does not use filled in, a value that is not a count.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> file = Path(tempfile.mkdtemp()) / "events.csv"
    >>> _ = file.write_text("event,case,reviewer,value\ndecline,C1,R2,\nload,,R3,2\n")
    >>> [str(e) for e in load_events(file)]
    ['decline C1 R2', 'load R3 2']
    >>> _ = file.write_text("event,case,reviewer,value\nwithdraw,C1,,\n")
    >>> load_events(file)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reviewassign._errors.InputError: ...events.csv, row 2, field 'reviewer': reviewer is ...
    """
    return read_events(path)[0]


def read_locked(path: PathLike) -> tuple[list[tuple[str, str]], list[int | None]]:
    """The pairs of a locked-pairs file and, for CSV, the line on which each starts."""
    where = Path(path)
    if where.suffix.lower() == ".csv":
        pairs, lines = _read_table(where, _PAIRS)
        out: list[tuple[str, str]] = []
        rows: list[int | None] = []
        seen: set[tuple[str, str]] = set()
        for pair, line in zip(pairs, lines, strict=True):
            if (pair.case, pair.reviewer) not in seen:  # a pair locked twice is locked
                seen.add((pair.case, pair.reviewer))
                out.append((pair.case, pair.reviewer))
                rows.append(line)
        return out, rows
    locked = list(load_assignment(where).pairs())
    return locked, [None] * len(locked)


def read_disjoint(path: PathLike) -> tuple[list[Disjoint], list[int]]:
    """The pairs of a ``disjoint.csv``-shaped file (``a,b,reason``) and each one's line.

    For ``reviewassign solve --disjoint FILE``, which adds them to the problem's.
    """
    return _read_table(Path(path), _DISJOINT)


def load_locked(path: PathLike) -> list[tuple[str, str]]:
    r"""Read locked ``(case, reviewer)`` pairs: a ``case,reviewer`` CSV file, or JSON.

    The file has the forms of :func:`load_assignment`: a CSV file with the columns
    ``case`` and ``reviewer``, or a JSON mapping of case ids to reviewer ids (or a
    result file). A pair listed twice in CSV is locked once.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> file = Path(tempfile.mkdtemp()) / "locked.csv"
    >>> _ = file.write_text("case,reviewer\nC2,R1\nC1,R4\n")
    >>> load_locked(file)
    [('C2', 'R1'), ('C1', 'R4')]
    """
    return read_locked(path)[0]


# ------------------------------------------------------------------------ writing


def write_atomic(path: PathLike, text: str) -> None:
    r"""Write UTF-8 text to ``path`` so that readers see the old file or the new, never half.

    The text goes to a temporary file in the same folder, is flushed to disk and then
    renamed onto ``path``; missing parent folders are created. If anything fails, the
    temporary file is removed, the old file
    (if any) is left as it was and the error propagates. The new file gets the default
    permissions of the process (its umask); line endings are written as given.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> file = Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(file, "one\n")
    >>> file.read_text()
    'one\n'
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # os.open with mode 0o666 lets the umask decide the permissions, as for any new file.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        # Name the file the user asked for, not the hidden temporary one.
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
        raise


_FORMULA = re.compile(r"'*[=+\-@\t\r]")
"""A cell a spreadsheet may run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return first), or such a cell already escaped by one or more leading quotes."""
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(cell: object) -> object:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (the OWASP advice against CSV injection); so does text that already
    starts with quotes before such a character, so that :func:`unsafe_cell` is the exact
    inverse. Numbers, and text that is a plain number such as ``-0.5``, stay as they are.

    Examples
    --------
    >>> [safe_cell(c) for c in ["=cmd()", "-0.5", "'=x", "R1", -2]]
    ["'=cmd()", '-0.5', "''=x", 'R1', -2]
    """
    if isinstance(cell, str) and _FORMULA.match(cell) and not _NUMBER_TEXT.fullmatch(cell):
        return "'" + cell
    return cell


def unsafe_cell(cell: str) -> str:
    """The inverse of :func:`safe_cell` on text: drop the quote it added, if any.

    Examples
    --------
    >>> [unsafe_cell(c) for c in ["'=cmd()", "''=x", "'quoted'", "R1"]]
    ['=cmd()', "'=x", "'quoted'", 'R1']
    """
    if cell.startswith("'") and _FORMULA.match(cell[1:]):
        return cell[1:]
    return cell


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    r"""CSV text with a header row and ``\n`` line endings; ``None`` is an empty cell.

    Every CSV file the library writes goes through here: each text cell passes
    :func:`safe_cell`, so that no cell runs as a spreadsheet formula. The readers of
    this module undo it (:func:`unsafe_cell`), so ids such as ``=cmd`` read back as
    written.

    Examples
    --------
    >>> csv_text(["case", "reviewer"], [["C1", "R1"], ["C2", "R, Jr."], ["=1+2", "-1"]])
    'case,reviewer\nC1,R1\nC2,"R, Jr."\n\'=1+2,-1\n'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # The minimal quoting of a "\n"-terminated writer leaves a "\r" inside a cell bare,
    # which a reader takes for the end of the row: such a row is written fully quoted.
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in [header, *rows]:
        cells = [safe_cell(cell) for cell in row]
        bare = not any(isinstance(c, str) and "\r" in c for c in cells)
        (writer if bare else quoted).writerow(cells)
    return buffer.getvalue()


def _table_text(table: _Table[M], items: Sequence[M], collection: str, path: Path) -> str:
    """CSV text of the items; refuses a value that would not read back the same."""
    columns = {
        name: cell
        for name, cell in table.columns.items()
        if name not in table.written_when_set or any(getattr(item, name) for item in items)
    }
    rows = []
    for index, item in enumerate(items):
        row = []
        for name, cell in columns.items():
            value = getattr(item, name)
            text = cell.format(value).strip()
            default = table.model.model_fields[name].get_default(call_default_factory=True)
            try:
                back = cell.parse(text) if text else default
            except ValueError:
                back = None
            if "\n" in text or "\r" in text:  # the readers refuse a cell that spans lines
                back = None
            if back != value:
                raise InputError(
                    f"{_show(value)} does not read back the same from CSV "
                    "(a ';' or ':' inside an item, a line break, or an empty value that has a "
                    "default); "
                    "save the problem as .json instead",
                    path=path,
                    field=f"{collection}[{index}].{name}",
                )
            row.append(text)
        rows.append(row)
    return csv_text(list(columns), rows)


def save_problem(problem: Problem, path: PathLike) -> None:
    """Write a problem as a ``.json`` file or as a folder of CSV files.

    A path ending in ``.json`` gets the JSON of the :class:`~reviewassign.Problem`
    schema; any other path is a folder (created if missing) that gets ``cases.csv``,
    ``reviewers.csv`` and, when the problem has any, ``conflicts.csv``,
    ``relations.csv``, ``affinity.csv``, ``disjoint.csv``, ``linked.csv``,
    ``prefers_not.csv`` and ``history.csv``, with every column. An optional file the
    problem leaves empty is removed from the folder, so that it holds exactly this
    problem. :func:`load_problem` reads back an equal problem. Every file is written
    atomically.

    Raises
    ------
    InputError
        If ``path`` is a file that is not ``.json``, or if a value cannot be written to
        CSV (e.g. a list item holding ``;``); JSON holds every problem.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> problem = Problem(cases=[Case(id="C1", topics={"t1": 0.5})],
    ...                   reviewers=[Reviewer(id="R1", expertise={"t1": 3})])
    >>> folder = Path(tempfile.mkdtemp()) / "problem"
    >>> save_problem(problem, folder)
    >>> sorted(p.name for p in folder.iterdir())
    ['cases.csv', 'reviewers.csv']
    >>> load_problem(folder) == problem
    True
    """
    where = Path(path)
    if where.suffix.lower() == ".json":
        text = problem.model_dump_json(indent=1, exclude=unset_added(problem))
        write_atomic(where, text + "\n")
        return
    if where.exists() and not where.is_dir():
        raise InputError("not a folder; a problem is saved to a folder or a .json file", path=where)
    texts = {
        collection: _table_text(table, items, collection, where / table.file)
        for collection, table in _TABLES.items()
        if (items := getattr(problem, collection)) or collection in _REQUIRED
    }
    where.mkdir(parents=True, exist_ok=True)
    for collection, table in _TABLES.items():
        if collection in texts:
            write_atomic(where / table.file, texts[collection])
        else:
            (where / table.file).unlink(missing_ok=True)


def save_result(result: Result, path: PathLike) -> None:
    """Write a result as ``.json`` (the whole result) or ``.csv`` (``case,reviewer`` rows).

    Raises
    ------
    InputError
        If the path ends in neither ``.json`` nor ``.csv``.
    """
    where = Path(path)
    suffix = where.suffix.lower()
    if suffix == ".json":
        write_atomic(where, result.to_json())
    elif suffix == ".csv":
        write_atomic(where, result.to_csv())
    else:
        raise InputError("a result file ends in .json or .csv", path=where)
