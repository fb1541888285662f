"""The data model: cases, reviewers, conflicts, relations, affinities and the problem.

Every model is a frozen pydantic model that forbids unknown fields. :class:`Problem`
validates its cross-references (unknown or duplicate ids, loads, affinity ids); the same
checks are available to the file readers through :func:`cross_reference_issues`, so that
they can name the file and row of each mistake.

Text is held to three rules, so that two spellings of one thing never silently become
two things (issue 20, item 8):

- *ids* (of cases, reviewers and applicants) are kept exactly as given, but may hold no
  control or invisible character and no space other than the plain one, and no two ids
  of cases (or of people: reviewers and applicants) may look alike, i.e. differ only in
  letter case, Unicode form or spacing (:func:`look_alike_key`). Both are errors.
- *labels* (regions, countries, institutions, genders, languages, topics) may hold no
  control or invisible character either; they are normalised to Unicode NFC (the same
  text, one spelling). Two labels that look alike (``Female`` and ``female``) stay two
  labels, and :attr:`Problem.warnings` says so.
- *free text* (a conflict's ``reason``, a relation's ``kind``) is only stripped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from .fields import MAX_COUNT, MAX_SCORE, Count, Frozen, Id
from .table import Affinity, AffinityTable

__all__ = [
    "CASE_BUILT_IN",
    "MAX_COUNT",
    "MAX_SCORE",
    "REVIEWER_BUILT_IN",
    "Affinity",
    "AttributeValue",
    "Case",
    "Conflict",
    "Disjoint",
    "HistorySeat",
    "Issue",
    "Linked",
    "PrefersNot",
    "Problem",
    "Relation",
    "Reviewer",
    "bad_character",
    "cross_reference_issues",
    "look_alike_key",
    "look_alike_labels",
    "unset_added",
    "values",
]

# ------------------------------------------------------------------------- text

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Control, format (invisible: U+200B, U+FEFF, U+00AD, bidi marks...), surrogate, line
and paragraph separator characters."""
_JOINERS = frozenset("\u200c\u200d")
"""The zero-width non-joiner and joiner: format characters that Persian, Arabic and Indic
words need; allowed in labels, refused in ids."""
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0")
"""Letters and marks that show nothing (the combining grapheme joiner, Hangul fillers,
Khmer inherent vowels, Mongolian variation selectors), though not format characters."""


_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}


def bad_character(text: str, *, id: bool = False) -> str | None:
    """The first control or invisible character of ``text``, described, or ``None``.

    Refused everywhere: control characters (line breaks and tabs among them), format
    characters (zero-width space, byte order mark, soft hyphen, bidi controls...), line
    and paragraph separators and a few invisible letters. In an ``id`` also the zero-width
    joiner and non-joiner and every space but the plain one (U+0020).

    Examples
    --------
    >>> bad_character("R01"), bad_character("São Tomé"), bad_character("Asia\u200b")
    (None, None, 'U+200B (ZERO WIDTH SPACE)')
    >>> bad_character("R\u00a001"), bad_character("R\u00a001", id=True)
    (None, 'U+00A0 (NO-BREAK SPACE)')
    """
    if text.isascii() and text.isprintable():  # the common case, fast
        return None
    for ch in text:
        category = unicodedata.category(ch)
        refused = (category in _REFUSED_CATEGORIES and (id or ch not in _JOINERS)) or (
            ch in _INVISIBLE or (id and category == "Zs" and ch != " ")
        )
        if refused:
            name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ch, "a control character")
            return f"U+{ord(ch):04X} ({name})"
    return None


def look_alike_key(text: str) -> str:
    """What two spellings that look alike share.

    Letter case, Unicode form and spacing are folded: NFKC case folding, zero-width
    joiners dropped, runs of white space made one space.

    Examples
    --------
    >>> look_alike_key("R01") == look_alike_key("r01")
    True
    >>> look_alike_key("Jos\u00e9") == look_alike_key("Jose\u0301")  # NFC and NFD
    True
    >>> look_alike_key("Europe  and North\u00a0America")
    'europe and north america'
    """
    if text.isascii():
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.replace("\u200c", "").replace("\u200d", "").split())


def _label(text: str) -> str:
    """A label: no invisible or control character, NFC-normalised."""
    bad = bad_character(text)
    if bad is not None:
        raise ValueError(f"a label may not hold {bad}, an invisible or control character")
    return text if text.isascii() else unicodedata.normalize("NFC", text)


Label = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_label)]
"""A label that may be empty (empty means unknown or undisclosed): no control or
invisible character, normalised to Unicode NFC."""

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_label)
]
"""A non-empty :data:`Label`: an institution, a topic or a language in a list."""

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
"""Free text that no rule reads (a conflict's reason, a relation's kind)."""


def _unique_names(value: Any, handler: ValidatorFunctionWrapHandler, what: str) -> Any:
    """Validate a ``{name: ...}`` mapping; two keys that NFC makes one are an error."""
    out = handler(value)
    if isinstance(value, Mapping) and len(out) < len(value):
        seen: dict[str, str] = {}
        for key in value:
            if isinstance(key, str):
                norm = unicodedata.normalize("NFC", key.strip())
                if norm in seen:
                    first, second = _spelled(seen[norm], key)
                    raise ValueError(f"{what} listed twice: {first} and {second} are one name")
                seen[norm] = key
    return out


Level = Annotated[int, Field(ge=1, le=3)]
"""An expertise level: 1 familiar, 2 knowledgeable, 3 expert."""

# -------------------------------------------------------------------- attributes

REVIEWER_BUILT_IN: tuple[str, ...] = (
    "region",
    "country",
    "institution",
    "gender",
    "seniority",
    "languages",
)
"""The attributes every reviewer has, as fields: a user attribute may not take their names."""

CASE_BUILT_IN: tuple[str, ...] = ("region", "country", "institution", "language")
"""The attributes every case has, as fields: a user attribute may not take their names."""


def _attribute_name(text: str) -> str:
    """An attribute name: a non-empty label without ``=`` or ``;`` (the CSV separators)."""
    for sep in "=;":
        if sep in text:
            raise ValueError(f"an attribute name may not hold {sep!r}: {text!r}")
    return text


def _attribute_value(value: str | tuple[str, ...]) -> str | tuple[str, ...]:
    """One attribute's labels, one spelling: a tuple of two or more, else one label.

    Empty labels (unknown) and repeats are dropped from a tuple; a tuple left with one
    label becomes that label, and with none the empty label, so that the CSV and JSON
    spellings of one value compare equal.
    """
    labels = (value,) if isinstance(value, str) else value
    for label in labels:
        if ";" in label:
            raise ValueError(f"an attribute value may not hold ';' (the CSV separator): {label!r}")
    if isinstance(value, str):
        return value
    kept = tuple(dict.fromkeys(label for label in value if label))
    if len(kept) > 1:
        return kept
    return kept[0] if kept else ""


AttributeName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(_label),
    AfterValidator(_attribute_name),
]
"""An attribute's name: a non-empty label without ``=`` or ``;``."""

AttributeValue = Annotated[Label | tuple[Label, ...], AfterValidator(_attribute_value)]
"""An attribute's value: a label, or a tuple of labels (the empty label: unknown)."""


def _user_attributes(
    value: Any, handler: ValidatorFunctionWrapHandler, built_in: tuple[str, ...], who: str
) -> Any:
    """Validate a record's ``attributes``: one spelling per name, no built-in name."""
    out = _unique_names(value, handler, "attribute")
    for name in out:
        if name in built_in:
            raise ValueError(
                f"attribute {name!r} is a built-in attribute of every {who}: give it in the "
                f"{who}'s {name!r} field (the built-in names are {', '.join(built_in)})"
            )
    return out


class Reviewer(Frozen):
    """A reviewer and the attributes the policy rules read.

    Examples
    --------
    >>> r = Reviewer(id="R1", region="Africa", country="KE", institution="KE-U1",
    ...              gender="female", seniority="senior", expertise={"t1": 3},
    ...              languages=("en", "fr"))
    >>> r.expertise["t1"]
    3
    """

    id: Id
    region: Label = ""
    country: Label = ""
    institution: Label = ""
    gender: Label = Field("", description="Free label; empty means undisclosed.")
    seniority: Literal["senior", "junior", ""] = ""
    expertise: dict[Name, Level] = Field(
        default_factory=dict, description="Topic -> level (1 familiar, 2 knowledgeable, 3 expert)."
    )
    languages: tuple[Name, ...] = ()
    min_load: Count | None = Field(
        None, description="Overrides the policy's load.min for this reviewer."
    )
    max_load: Count | None = Field(
        None, description="Overrides the policy's load.max for this reviewer."
    )
    attributes: dict[AttributeName, AttributeValue] = Field(
        default_factory=dict,
        description=(
            "Attribute name -> a label or a list of labels (sector, career stage...); "
            "an empty label is unknown. Built-in names are fields, not attributes."
        ),
    )

    @field_validator("expertise", mode="wrap")
    @classmethod
    def _one_spelling(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Refuse a topic given twice in two spellings."""
        return _unique_names(value, handler, "topic")

    @field_validator("attributes", mode="wrap")
    @classmethod
    def _attributes(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Refuse an attribute given twice in two spellings, or under a built-in name."""
        return _user_attributes(value, handler, REVIEWER_BUILT_IN, "reviewer")

    @model_validator(mode="after")
    def _loads_in_order(self) -> Reviewer:
        """Refuse a ``min_load`` above the ``max_load``."""
        if (
            self.min_load is not None
            and self.max_load is not None
            and self.min_load > self.max_load
        ):
            raise ValueError(
                f"reviewer {self.id!r}: min_load {self.min_load} exceeds max_load {self.max_load}"
            )
        return self


class Case(Frozen):
    """A case (application, paper, proposal) that needs a panel.

    Examples
    --------
    >>> c = Case(id="C1", region="Africa", country="KE", institution=("KE-U1",),
    ...          topics={"t1": 1.0, "t2": 2.0}, language="en", applicants=("P1",))
    >>> c.topics
    {'t1': 1.0, 't2': 2.0}
    """

    id: Id
    region: Label = ""
    country: Label = ""
    institution: tuple[Name, ...] = ()
    topics: dict[Name, Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Topic -> weight (default weight 1)."
    )
    language: Label = Field("", description="Empty: no language rule for this case.")
    applicants: tuple[Id, ...] = Field((), description="Person ids of the applicants.")
    panel_size: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description="Overrides the policy's panel_size for this case."
    )
    attributes: dict[AttributeName, AttributeValue] = Field(
        default_factory=dict,
        description=(
            "Attribute name -> a label or a list of labels (discipline, income group...); "
            "an empty label is unknown. Built-in names are fields, not attributes."
        ),
    )

    @field_validator("topics", mode="wrap")
    @classmethod
    def _one_spelling(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Refuse a topic given twice in two spellings."""
        return _unique_names(value, handler, "topic")

    @field_validator("attributes", mode="wrap")
    @classmethod
    def _attributes(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Refuse an attribute given twice in two spellings, or under a built-in name."""
        return _user_attributes(value, handler, CASE_BUILT_IN, "case")


def values(record: Reviewer | Case, name: str) -> tuple[str, ...]:
    """The labels of attribute ``name`` of a reviewer or case, built-in or the user's.

    The one reading of attributes: the panel rules, ``check`` and ``evaluate`` all go
    through it. Empty labels (unknown, undisclosed) are left out; a record without the
    attribute has none.

    Examples
    --------
    >>> r = Reviewer(id="R1", region="Africa", languages=("en", "fr"),
    ...              attributes={"sector": "practice", "disciplines": ("law", "medicine")})
    >>> values(r, "region"), values(r, "languages"), values(r, "gender")
    (('Africa',), ('en', 'fr'), ())
    >>> values(r, "sector"), values(r, "disciplines"), values(r, "career_stage")
    (('practice',), ('law', 'medicine'), ())
    >>> values(Case(id="C1", institution=("U1", "U2")), "institution")
    ('U1', 'U2')
    """
    built_in = REVIEWER_BUILT_IN if isinstance(record, Reviewer) else CASE_BUILT_IN
    value: str | tuple[str, ...] = (
        getattr(record, name) if name in built_in else record.attributes.get(name, "")
    )
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(label for label in value if label)


class Conflict(Frozen):
    """A declared conflict of interest between a case and a reviewer."""

    case: Id
    reviewer: Id
    reason: Text = "declared"


class Relation(Frozen):
    """An undirected edge of the relation graph over reviewer and applicant ids."""

    a: Id
    b: Id
    kind: Text = ""


class Disjoint(Frozen):
    """Two reviewers who never sit on one panel (``pairs.disjoint``).

    Examples
    --------
    >>> Disjoint(a="R1", b="R2", reason="co-authors").reason
    'co-authors'
    """

    a: Id
    b: Id
    reason: Text = ""


class Linked(Frozen):
    """Cases whose panels share reviewers (``pairs.linked``).

    Every two cases of the group have at least ``shared`` reviewers in common; ``None``
    (an empty cell) means the same panel for every case of the group.

    Examples
    --------
    >>> Linked(cases=("C1", "C2"), shared=1).shared
    1
    """

    cases: tuple[Id, ...]
    shared: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description="Reviewers every two cases share; empty: the same panel."
    )


class PrefersNot(Frozen):
    """A reviewer who would rather not review a case: a soft cost, not a rule.

    ``weight`` None takes the policy's ``objective.prefers_not``.

    Examples
    --------
    >>> PrefersNot(case="C1", reviewer="R2", reason="former student", weight=0.5).weight
    0.5
    """

    case: Id
    reviewer: Id
    reason: Text = ""
    weight: Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)] | None = Field(
        None, description="Cost per assignment of the pair; empty: objective.prefers_not."
    )


MAX_YEAR = 9999
"""The latest year a history row may name."""


class HistorySeat(Frozen):
    """One seat of a past round: in ``year``, ``reviewer`` sat on the panel of ``case``.

    ``institution`` lists the past case's institutions (what ``history.institution_years``
    compares with a current case's). The past case need not be a current case, and the
    reviewer need not be a current reviewer (one who left matches no one). Rows of one
    ``year`` and ``case`` are one past panel (``history.max_repeat_pairs``).

    Examples
    --------
    >>> HistorySeat(year=2025, case="C7", reviewer="R1", institution=("KE-U1",)).year
    2025
    """

    year: Annotated[int, Field(ge=1, le=MAX_YEAR)]
    case: Id
    reviewer: Id
    institution: tuple[Name, ...] = Field((), description="The past case's institutions.")


@dataclass(frozen=True, slots=True)
class Issue:
    """A cross-reference mistake: which collection, which item, which field, what."""

    collection: str
    index: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.collection}[{self.index}].{self.field}: {self.message}"


def _duplicates(collection: str, ids: list[str], seen: set[str] | None = None) -> Iterator[Issue]:
    """An issue for each id of ``ids`` seen before (in ``seen`` or earlier in ``ids``)."""
    seen = set() if seen is None else seen
    for i, x in enumerate(ids):
        if x in seen:
            yield Issue(collection, i, "id", f"duplicate id {x!r}")
        seen.add(x)


def _spelled(*texts: str) -> list[str]:
    """Look-alike spellings as a message shows them: ``ascii`` unless all are ASCII.

    NFC and NFD spellings print the same; their escapes do not.
    """
    show = repr if all(t.isascii() for t in texts) else ascii
    return [show(t) for t in texts]


_LOOK_ALIKE = "they differ only in letter case, Unicode form or spacing"
_NOT_IN_IDS = ", an invisible or control character (or a space other than U+0020)"


@dataclass
class _Ids:
    """The look-alike keys of the declared ids, for :func:`_id_issues` and for hints."""

    cases: dict[str, str]
    reviewers: dict[str, str]
    people: dict[str, tuple[str, str]]
    """Key -> (id, "reviewer" or "applicant"): the first id of each key."""

    def hint(self, who: str, keys: Mapping[str, str | tuple[str, str]]) -> str:
        """`` (did you mean 'R01'?)`` when a declared id looks like ``who``."""
        found = keys.get(look_alike_key(who))
        spelled = found[0] if isinstance(found, tuple) else found
        return "" if spelled is None else f" (did you mean {spelled!r}?)"


def _id_issues(cases: Sequence[Case], reviewers: Sequence[Reviewer]) -> tuple[list[Issue], _Ids]:
    """Ids with a control or invisible character, and ids that look alike.

    Cases are one namespace, people (reviewers and applicants) another: an applicant may
    be a reviewer (the same id), but ``R01`` and ``r01`` are one person spelled twice or
    two people nobody can tell apart; either way a conflict could silently not apply.
    """
    issues: list[Issue] = []
    ids = _Ids({}, {}, {})
    for i, c in enumerate(cases):
        bad = bad_character(c.id, id=True)
        if bad is not None:
            issues.append(Issue("cases", i, "id", f"case id {c.id!r} holds {bad}{_NOT_IN_IDS}"))
        first = ids.cases.setdefault(look_alike_key(c.id), c.id)
        if first != c.id:
            this, that = _spelled(c.id, first)
            message = f"case id {this} looks like case id {that} ({_LOOK_ALIKE})"
            issues.append(Issue("cases", i, "id", message))
    declared = [(r.id, "reviewer", "reviewers", i, "id") for i, r in enumerate(reviewers)]
    declared += [
        (p, "applicant", "cases", i, "applicants")
        for i, c in enumerate(cases)
        for p in c.applicants
    ]
    done: set[str] = set()
    for who, role, collection, index, field in declared:
        if who in done:
            continue  # an applicant of several cases, or a reviewer who is an applicant
        done.add(who)
        bad = bad_character(who, id=True)
        if bad is not None:
            message = f"{role} id {who!r} holds {bad}{_NOT_IN_IDS}"
            issues.append(Issue(collection, index, field, message))
        key = look_alike_key(who)
        first, first_role = ids.people.setdefault(key, (who, role))
        if first != who:
            this, that = _spelled(who, first)
            message = f"{role} id {this} looks like {first_role} id {that} ({_LOOK_ALIKE})"
            issues.append(Issue(collection, index, field, message))
        if role == "reviewer":
            ids.reviewers.setdefault(key, who)
    return issues, ids


def cross_reference_issues(
    cases: tuple[Case, ...],
    reviewers: tuple[Reviewer, ...],
    conflicts: tuple[Conflict, ...] = (),
    relations: tuple[Relation, ...] = (),
    affinity: Sequence[Affinity] | AffinityTable = (),
    *,
    disjoint: Sequence[Disjoint] = (),
    linked: Sequence[Linked] = (),
    prefers_not: Sequence[PrefersNot] = (),
    history: Sequence[HistorySeat] = (),
) -> list[Issue]:
    """Every cross-reference mistake among the parts of a problem.

    Checks duplicate case and reviewer ids, ids with a control or invisible character
    and ids that look alike (:func:`look_alike_key`), that conflicts and affinities name
    known cases and reviewers (and no pair twice), that relations join two different
    known reviewer or applicant ids, that the pair data (disjoint reviewers, linked
    cases, prefers-not pairs) name known ids (:func:`_pair_issues`), and that the history
    lists no seat twice and names no reviewer in a spelling that only looks like a current
    reviewer's id (past cases and reviewers who left are allowed).
    """
    issues: list[Issue] = []
    case_ids = {c.id for c in cases}
    reviewer_ids = {r.id for r in reviewers}
    issues.extend(_duplicates("cases", [c.id for c in cases]))
    issues.extend(_duplicates("reviewers", [r.id for r in reviewers]))
    for i, c in enumerate(cases):
        if len(set(c.applicants)) != len(c.applicants):
            issues.append(
                Issue("cases", i, "applicants", f"case {c.id!r} lists an applicant twice")
            )
    found, ids = _id_issues(cases, reviewers)
    issues.extend(found)
    people = reviewer_ids | {p for c in cases for p in c.applicants}
    for i, row in enumerate(conflicts):
        if row.case not in case_ids:
            hint = ids.hint(row.case, ids.cases)
            issues.append(Issue("conflicts", i, "case", f"unknown case id {row.case!r}{hint}"))
        if row.reviewer not in reviewer_ids:
            hint = ids.hint(row.reviewer, ids.reviewers)
            issues.append(
                Issue("conflicts", i, "reviewer", f"unknown reviewer id {row.reviewer!r}{hint}")
            )
    table = affinity if isinstance(affinity, AffinityTable) else AffinityTable.from_rows(affinity)
    for i, field, who in table.unknown(case_ids, reviewer_ids):
        issues.append(Issue("affinity", i, field, f"unknown {field} id {who!r}"))
    for i in table.duplicates():
        given = table[i]
        issues.append(
            Issue(
                "affinity", i, "reviewer", f"pair ({given.case!r}, {given.reviewer!r}) given twice"
            )
        )
    for i, rel in enumerate(relations):
        for end in ("a", "b"):
            who = getattr(rel, end)
            if who not in people:
                hint = ids.hint(who, ids.people)
                issues.append(
                    Issue(
                        "relations", i, end, f"{who!r} is neither a reviewer nor an applicant{hint}"
                    )
                )
        if rel.a == rel.b:
            issues.append(Issue("relations", i, "b", f"relation joins {rel.a!r} to itself"))
    issues += _pair_issues(case_ids, reviewer_ids, ids, disjoint, linked, prefers_not)
    issues.extend(_history_issues(history, reviewer_ids, ids))
    return issues


def _pair_issues(
    case_ids: set[str],
    reviewer_ids: set[str],
    ids: _Ids,
    disjoint: Sequence[Disjoint],
    linked: Sequence[Linked],
    prefers_not: Sequence[PrefersNot],
) -> list[Issue]:
    """Unknown ids in the pair data; a disjoint pair of one reviewer; a linked group of one."""
    issues: list[Issue] = []

    def reviewer(collection: str, i: int, field: str, who: str) -> None:
        if who not in reviewer_ids:
            hint = ids.hint(who, ids.reviewers)
            issues.append(Issue(collection, i, field, f"unknown reviewer id {who!r}{hint}"))

    def case(collection: str, i: int, field: str, which: str) -> None:
        if which not in case_ids:
            hint = ids.hint(which, ids.cases)
            issues.append(Issue(collection, i, field, f"unknown case id {which!r}{hint}"))

    for i, d in enumerate(disjoint):
        reviewer("disjoint", i, "a", d.a)
        reviewer("disjoint", i, "b", d.b)
        if d.a == d.b:
            issues.append(Issue("disjoint", i, "b", f"reviewer {d.a!r} is paired with itself"))
    for i, g in enumerate(linked):
        for c in g.cases:
            case("linked", i, "cases", c)
        if len(set(g.cases)) < 2 or len(set(g.cases)) != len(g.cases):
            message = "a linked group lists at least two cases, each once"
            issues.append(Issue("linked", i, "cases", message))
    for i, pn in enumerate(prefers_not):
        case("prefers_not", i, "case", pn.case)
        reviewer("prefers_not", i, "reviewer", pn.reviewer)
    return issues


def _history_issues(
    history: Sequence[HistorySeat], reviewer_ids: set[str], ids: _Ids
) -> Iterator[Issue]:
    """Seats listed twice, ids with a bad character, reviewer ids like a current one."""
    first: set[tuple[int, str, str]] = set()
    for i, seat in enumerate(history):
        for field in ("case", "reviewer"):
            bad = bad_character(getattr(seat, field), id=True)
            if bad is not None:
                message = f"{field} id {getattr(seat, field)!r} holds {bad}{_NOT_IN_IDS}"
                yield Issue("history", i, field, message)
        if seat.reviewer not in reviewer_ids:
            hint = ids.hint(seat.reviewer, ids.reviewers)
            if hint:  # a reviewer who left matches no one; a look-alike is a misspelling
                message = f"reviewer id {seat.reviewer!r} is no current reviewer{hint}"
                yield Issue("history", i, "reviewer", message)
        key = (seat.year, seat.case, seat.reviewer)
        if key in first:
            message = f"seat ({seat.year}, {seat.case!r}, {seat.reviewer!r}) listed twice"
            yield Issue("history", i, "reviewer", message)
        first.add(key)


_PLURAL = {
    "region": "regions",
    "country": "countries",
    "institution": "institutions",
    "gender": "genders",
    "language": "languages",
    "topic": "topics",
}
MAX_WARNINGS = 20
"""The most look-alike warnings listed; a last one counts the rest."""


def look_alike_labels(cases: Iterable[Case], reviewers: Iterable[Reviewer]) -> tuple[str, ...]:
    """A warning for each set of labels of one kind that look alike.

    ``Female`` and ``female`` are two genders to the rules, ``Asia`` and ``asia`` two
    regions, and so on; the labels are kept as given and a warning names them.

    Examples
    --------
    >>> found = look_alike_labels([Case(id="C1", region="Asia")],
    ...                           [Reviewer(id="R1", region="asia", gender="Female"),
    ...                            Reviewer(id="R2", gender="female")])
    >>> for warning in found:
    ...     print(warning)  # doctest: +ELLIPSIS
    region labels 'Asia' and 'asia' look alike (...) but count as 2 different regions
    gender labels 'Female' and 'female' look alike (...) but count as 2 different genders
    """
    cases, reviewers = tuple(cases), tuple(reviewers)  # read twice: fields, then attributes
    groups: dict[str, dict[str, dict[str, None]]] = {kind: {} for kind in _PLURAL}
    keys: dict[str, str] = {}

    def add(kind: str, labels: Iterable[str]) -> None:
        for label in labels:
            if label:
                key = keys.get(label)
                if key is None:
                    key = keys[label] = look_alike_key(label)
                groups[kind].setdefault(key, {})[label] = None

    for c in cases:
        add("region", (c.region,))
        add("country", (c.country,))
        add("institution", c.institution)
        add("language", (c.language,))
        add("topic", c.topics)
    for r in reviewers:
        add("region", (r.region,))
        add("country", (r.country,))
        add("institution", (r.institution,))
        add("gender", (r.gender,))
        add("language", r.languages)
        add("topic", r.expertise)
    records: tuple[Case | Reviewer, ...] = (*cases, *reviewers)
    for record in records:
        for name in record.attributes:
            groups.setdefault(f"attribute {name}", {})
            add(f"attribute {name}", values(record, name))
    out: list[str] = []
    for kind, by_key in groups.items():
        for spellings in by_key.values():
            if len(spellings) > 1:
                names = _spelled(*sorted(spellings))
                shown = ", ".join(names[:-1]) + f" and {names[-1]}"
                plural = _PLURAL.get(kind, f"values of {kind}")
                out.append(
                    f"{kind} labels {shown} look alike ({_LOOK_ALIKE}) but count as "
                    f"{len(names)} different {plural}"
                )
    if len(out) > MAX_WARNINGS:
        out[MAX_WARNINGS - 1 :] = [
            f"and {len(out) - MAX_WARNINGS + 1} more sets of look-alike labels"
        ]
    return tuple(out)


class Problem(Frozen):
    """An assignment problem: the cases, the reviewers and what is known about them.

    Validates its cross-references: ids are unique, hold no control or invisible
    character and do not look alike, conflicts and affinities name known cases and
    reviewers, relations join two different known reviewer or applicant ids. Labels that
    look alike are allowed, with a warning in :attr:`warnings`.

    Examples
    --------
    >>> p = Problem(
    ...     cases=[Case(id="C1", topics={"t1": 1})],
    ...     reviewers=[Reviewer(id="R1", expertise={"t1": 3}),
    ...                Reviewer(id="R2", expertise={"t1": 1})],
    ... )
    >>> len(p.cases), len(p.reviewers)
    (1, 2)
    >>> Problem(cases=[Case(id="C1")], reviewers=[],
    ...         conflicts=[Conflict(case="C1", reviewer="R9")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Problem
      Value error, conflicts[0].reviewer: unknown reviewer id 'R9' ...
    """

    ADDED: ClassVar[tuple[str, ...]] = ("disjoint", "linked", "prefers_not", "history")
    """The collections added after 0.1.0. Left out of saved JSON and of the input hash
    while empty, so a problem without them is written and hashed as it always was."""

    cases: tuple[Case, ...]
    reviewers: tuple[Reviewer, ...]
    conflicts: tuple[Conflict, ...] = ()
    relations: tuple[Relation, ...] = ()
    affinity: AffinityTable = Field(
        default_factory=lambda: AffinityTable.from_rows(()),
        description=(
            "Given scores; they override the computed affinity of their pairs. Accepts a "
            "list of Affinity rows or an AffinityTable (arrays, for millions of pairs)."
        ),
    )
    disjoint: tuple[Disjoint, ...] = Field(
        (), description="Reviewer pairs who never sit on one panel (pairs.disjoint)."
    )
    linked: tuple[Linked, ...] = Field(
        (), description="Groups of cases whose panels share reviewers (pairs.linked)."
    )
    prefers_not: tuple[PrefersNot, ...] = Field(
        (), description="Pairs a reviewer would rather not review: a cost per assigned pair."
    )
    history: tuple[HistorySeat, ...] = Field(
        (),
        description=(
            "Seats of past rounds (year, case, reviewer, the case's institutions), for the "
            "[history] rules; empty: no history."
        ),
    )

    @model_validator(mode="after")
    def _cross_references(self) -> Problem:
        """Refuse ids that point nowhere; index the affinity table by the problem's order."""
        issues = cross_reference_issues(
            self.cases,
            self.reviewers,
            self.conflicts,
            self.relations,
            self.affinity,
            disjoint=self.disjoint,
            linked=self.linked,
            prefers_not=self.prefers_not,
            history=self.history,
        )
        if issues:
            shown = "; ".join(str(i) for i in issues[:5])
            more = f"; and {len(issues) - 5} more" if len(issues) > 5 else ""
            raise ValueError(shown + more)
        # Index the table by the problem's own order: the solver reads it without lookups.
        table = self.affinity.recode([c.id for c in self.cases], [r.id for r in self.reviewers])
        object.__setattr__(self, "affinity", table)  # frozen: set once, while validating
        return self

    @classmethod
    def from_matrix(
        cls,
        scores: npt.ArrayLike,
        *,
        conflicts: npt.ArrayLike | None = None,
        case_ids: Sequence[str] | None = None,
        reviewer_ids: Sequence[str] | None = None,
        panel_size: int | Sequence[int] | None = None,
        min_load: int | Sequence[int] | None = None,
        max_load: int | Sequence[int] | None = None,
    ) -> Problem:
        """A problem from a dense ``cases x reviewers`` score matrix (no attributes).

        For bids and similarity matrices from conference systems. Every unmasked score
        becomes a row of the problem's :class:`AffinityTable` (three arrays, not one
        object per pair: a 5,000 x 3,000 matrix costs about 250 MB); masked pairs become
        declared conflicts.

        Parameters
        ----------
        scores
            Array of shape ``(n_cases, n_reviewers)``; finite wherever not masked.
        conflicts
            Boolean array of the same shape; ``True`` marks a conflict (its score is ignored).
        case_ids, reviewer_ids
            Ids; default ``C0``, ``C1``, ... and ``R0``, ``R1``, ...
        panel_size, min_load, max_load
            One value for all, or one per case (``panel_size``) or reviewer (loads); these
            set the cases' and reviewers' own overrides of the policy.

        Examples
        --------
        >>> p = Problem.from_matrix([[1.0, 0.5], [0.0, 1.0]], conflicts=[[False, True],
        ...                         [False, False]], max_load=1, panel_size=1)
        >>> [(a.case, a.reviewer, a.score) for a in p.affinity]
        [('C0', 'R0', 1.0), ('C1', 'R0', 0.0), ('C1', 'R1', 1.0)]
        >>> [(c.case, c.reviewer) for c in p.conflicts]
        [('C0', 'R1')]
        """
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 2:
            raise ValueError(f"scores must be a 2-d array (cases x reviewers), got shape {s.shape}")
        n_c, n_r = s.shape
        mask = np.zeros(s.shape, dtype=bool) if conflicts is None else np.asarray(conflicts, bool)
        if mask.shape != s.shape:
            raise ValueError(f"conflicts has shape {mask.shape}, scores {s.shape}")
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(s) <= MAX_SCORE) & ~mask
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(
                f"score [{i}, {j}] = {s[i, j]} is not a finite number within ±{MAX_SCORE:g}"
                " and not masked as a conflict"
            )
        cids = [f"C{i}" for i in range(n_c)] if case_ids is None else list(case_ids)
        rids = [f"R{j}" for j in range(n_r)] if reviewer_ids is None else list(reviewer_ids)
        if len(cids) != n_c or len(rids) != n_r:
            raise ValueError("case_ids and reviewer_ids must match the shape of scores")

        def each(value: int | Sequence[int] | None, n: int) -> list[int | None]:
            if value is None or isinstance(value, int | np.integer):
                return [None if value is None else int(value)] * n
            values = [int(v) for v in value]
            if len(values) != n:
                raise ValueError(f"expected {n} values, got {len(values)}")
            return list(values)

        sizes = each(panel_size, n_c)
        lows, highs = each(min_load, n_r), each(max_load, n_r)
        cases = [Case(id=c, panel_size=k) for c, k in zip(cids, sizes, strict=True)]
        reviewers = [
            Reviewer(id=r, min_load=lo, max_load=hi)
            for r, lo, hi in zip(rids, lows, highs, strict=True)
        ]
        rows, cols = np.nonzero(~mask)  # row-major: sorted by case, then reviewer
        affinity = AffinityTable(cids, rids, rows, cols, s[rows, cols])
        conflict_rows = [
            Conflict(case=cids[i], reviewer=rids[j], reason="declared")
            for i, j in zip(*np.nonzero(mask), strict=True)
        ]
        return cls(cases=cases, reviewers=reviewers, conflicts=conflict_rows, affinity=affinity)

    def _repr_html_(self) -> str:
        """An HTML table of the problem's size, for Jupyter."""
        from .._audit.html import problem_html  # presentation: an upper layer (audit)

        return problem_html(self)

    def case(self, case_id: str) -> Case:
        """The case with this id (``KeyError`` if there is none)."""
        return self._case_index[case_id]

    def reviewer(self, reviewer_id: str) -> Reviewer:
        """The reviewer with this id (``KeyError`` if there is none)."""
        return self._reviewer_index[reviewer_id]

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """What may not be meant: labels that look alike, such as ``Female`` and ``female``.

        Each is a sentence. :func:`reviewassign.solve` (and ``repair``, ``randomize``)
        puts them first in ``result.stats.notes``; the command line prints them on stderr
        and the audit report shows them.

        Examples
        --------
        >>> Problem(cases=[Case(id="C1")], reviewers=[Reviewer(id="R1", gender="Female"),
        ...         Reviewer(id="R2", gender="female")]).warnings  # doctest: +ELLIPSIS
        ("gender labels 'Female' and 'female' look alike (...) but count as 2 different genders",)
        """
        return look_alike_labels(self.cases, self.reviewers)

    # Built on first use and kept: the model is frozen, so the index never goes stale.
    @cached_property
    def _case_index(self) -> Mapping[str, Case]:
        """The cases by id."""
        return {c.id: c for c in self.cases}

    @cached_property
    def _reviewer_index(self) -> Mapping[str, Reviewer]:
        """The reviewers by id."""
        return {r.id: r for r in self.reviewers}


def unset_added(problem: Problem) -> dict[str, Any]:
    """What to leave out of a problem's dump: what was added after 0.1.0 and is unused.

    The collections of :attr:`Problem.ADDED` while empty, and ``attributes`` where no
    record has one. A problem without them then dumps (to JSON, to a hash) as it did
    before they existed.

    Examples
    --------
    >>> p = Problem(cases=[Case(id="C1")], reviewers=[Reviewer(id="R1")])
    >>> unset_added(p)  # doctest: +NORMALIZE_WHITESPACE
    {'disjoint': True, 'linked': True, 'prefers_not': True, 'history': True,
     'cases': {'__all__': {'attributes'}}, 'reviewers': {'__all__': {'attributes'}}}
    """
    out: dict[str, Any] = {name: True for name in Problem.ADDED if not getattr(problem, name)}
    for side, records in (("cases", problem.cases), ("reviewers", problem.reviewers)):
        if not any(r.attributes for r in records):
            out[side] = {"__all__": {"attributes"}}
    return out
