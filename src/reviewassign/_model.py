"""The data model: cases, reviewers, conflicts, relations, affinities and the problem.

Every model is a frozen pydantic model that forbids unknown fields. :class:`Problem`
validates its cross-references (unknown or duplicate ids, loads, affinity ids); the same
checks are available to the file readers through :func:`cross_reference_issues`, so that
they can name the file and row of each mistake.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ._table import AffinityTable

__all__ = [
    "MAX_COUNT",
    "MAX_SCORE",
    "Affinity",
    "Case",
    "Conflict",
    "Issue",
    "Problem",
    "Relation",
    "Reviewer",
    "cross_reference_issues",
]

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""An identifier: a non-empty string, surrounding white space removed."""

Label = Annotated[str, StringConstraints(strip_whitespace=True)]
"""A free label that may be empty (empty means unknown or undisclosed)."""

Level = Annotated[int, Field(ge=1, le=3)]
"""An expertise level: 1 familiar, 2 knowledgeable, 3 expert."""

MAX_COUNT = 100_000
"""The largest panel size or load accepted (far beyond any real panel or reviewer)."""

MAX_SCORE = 10_000.0
"""The largest magnitude of a given affinity score or topic weight. Scores are scaled to
integers inside the solvers; this keeps every objective sum far inside 64 bits."""

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Score = Annotated[float, Field(ge=-MAX_SCORE, le=MAX_SCORE, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Reviewer(_Frozen):
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
    expertise: dict[Id, Level] = Field(
        default_factory=dict, description="Topic -> level (1 familiar, 2 knowledgeable, 3 expert)."
    )
    languages: tuple[Id, ...] = ()
    min_load: Count | None = Field(
        None, description="Overrides the policy's load.min for this reviewer."
    )
    max_load: Count | None = Field(
        None, description="Overrides the policy's load.max for this reviewer."
    )

    @model_validator(mode="after")
    def _loads_in_order(self) -> Reviewer:
        if (
            self.min_load is not None
            and self.max_load is not None
            and self.min_load > self.max_load
        ):
            raise ValueError(
                f"reviewer {self.id!r}: min_load {self.min_load} exceeds max_load {self.max_load}"
            )
        return self


class Case(_Frozen):
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
    institution: tuple[Id, ...] = ()
    topics: dict[Id, Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Topic -> weight (default weight 1)."
    )
    language: Label = Field("", description="Empty: no language rule for this case.")
    applicants: tuple[Id, ...] = Field((), description="Person ids of the applicants.")
    panel_size: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description="Overrides the policy's panel_size for this case."
    )


class Conflict(_Frozen):
    """A declared conflict of interest between a case and a reviewer."""

    case: Id
    reviewer: Id
    reason: Label = "declared"


class Relation(_Frozen):
    """An undirected edge of the relation graph over reviewer and applicant ids."""

    a: Id
    b: Id
    kind: Label = ""


class Affinity(_Frozen):
    """A given affinity score of a (case, reviewer) pair; overrides the computed one."""

    case: Id
    reviewer: Id
    score: Score


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
    seen = set() if seen is None else seen
    for i, x in enumerate(ids):
        if x in seen:
            yield Issue(collection, i, "id", f"duplicate id {x!r}")
        seen.add(x)


def cross_reference_issues(
    cases: tuple[Case, ...],
    reviewers: tuple[Reviewer, ...],
    conflicts: tuple[Conflict, ...] = (),
    relations: tuple[Relation, ...] = (),
    affinity: Sequence[Affinity] | AffinityTable = (),
) -> list[Issue]:
    """Every cross-reference mistake among the parts of a problem.

    Checks duplicate case and reviewer ids, that conflicts and affinities name known
    cases and reviewers (and no pair twice), and that relations join known reviewer or
    applicant ids.
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
    people = reviewer_ids | {p for c in cases for p in c.applicants}
    for i, row in enumerate(conflicts):
        if row.case not in case_ids:
            issues.append(Issue("conflicts", i, "case", f"unknown case id {row.case!r}"))
        if row.reviewer not in reviewer_ids:
            issues.append(
                Issue("conflicts", i, "reviewer", f"unknown reviewer id {row.reviewer!r}")
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
                issues.append(
                    Issue("relations", i, end, f"{who!r} is neither a reviewer nor an applicant")
                )
    return issues


class Problem(_Frozen):
    """An assignment problem: the cases, the reviewers and what is known about them.

    Validates its cross-references: ids are unique, conflicts and affinities name known
    cases and reviewers, relations join known reviewer or applicant ids.

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

    @model_validator(mode="after")
    def _cross_references(self) -> Problem:
        issues = cross_reference_issues(
            self.cases, self.reviewers, self.conflicts, self.relations, self.affinity
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
        from ._html import problem_html  # local: keeps the model module free of rendering

        return problem_html(self)

    def case(self, case_id: str) -> Case:
        """The case with this id (``KeyError`` if there is none)."""
        return self._case_index[case_id]

    def reviewer(self, reviewer_id: str) -> Reviewer:
        """The reviewer with this id (``KeyError`` if there is none)."""
        return self._reviewer_index[reviewer_id]

    # Built on first use and kept: the model is frozen, so the index never goes stale.
    @cached_property
    def _case_index(self) -> Mapping[str, Case]:
        return {c.id: c for c in self.cases}

    @cached_property
    def _reviewer_index(self) -> Mapping[str, Reviewer]:
        return {r.id: r for r in self.reviewers}
