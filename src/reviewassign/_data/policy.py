"""The assignment policy: what a panel must look like and what the solve maximises.

Every key has a default and the defaults are neutral: no panel-composition rule is on
until the policy turns it on. The semantics of each key are stated here, once; the model
builder (``_backends.solvers``) and the checker (``_spec.check``) each implement them independently.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

__all__ = [
    "LEVELS",
    "RELAXABLE",
    "AttributeBand",
    "AttributeRule",
    "AttributesPolicy",
    "ConflictPolicy",
    "ExpertisePolicy",
    "HistoryPolicy",
    "IntegrityPolicy",
    "LoadPolicy",
    "ObjectivePolicy",
    "PanelPolicy",
    "Policy",
    "RandomPolicy",
    "RelaxPolicy",
    "RepresentationPolicy",
]

from .._errors import InputError
from .model import (
    CASE_BUILT_IN,
    MAX_COUNT,
    MAX_SCORE,
    MAX_YEAR,
    REVIEWER_BUILT_IN,
    AttributeName,
    Label,
    Name,
    look_alike_key,
)
from .model import values as attribute_values
from .rules import RULES, rule

if TYPE_CHECKING:  # pragma: no cover
    from .model import Problem

NonNegative = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Section(BaseModel):
    """A section of the policy: frozen, and an unknown key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


WEAK_EPS = 1e-9
"""A pair is weak when its affinity is below ``load.weak_match_below`` by more than this.

Affinities are floats computed in two ways (the model's and ``check``'s); the margin makes
both agree on a pair whose affinity equals the threshold (it is not weak)."""


class LoadPolicy(_Section):
    """Reviews per reviewer; a reviewer's own ``min_load`` and ``max_load`` override these.

    Reviewer-side fairness: with ``max_weak_matches = N``, no reviewer gets more than
    ``N`` cases whose pair affinity is below ``weak_match_below`` (by more than
    :data:`WEAK_EPS`, so a pair at the threshold is not weak).

    Examples
    --------
    >>> LoadPolicy(max_weak_matches=1, weak_match_below=0.5).max_weak_matches
    1
    """

    min: NonNegative = Field(0, description="Fewest reviews per reviewer.")
    max: NonNegative = Field(6, description="Most reviews per reviewer.")
    max_weak_matches: NonNegative | None = Field(
        None,
        description=(
            "Most cases per reviewer whose pair affinity is below weak_match_below "
            "(None: no limit)."
        ),
    )
    weak_match_below: Annotated[float, Field(ge=-MAX_SCORE, le=MAX_SCORE, allow_inf_nan=False)] = (
        Field(0.0, description="A pair is a weak match when its affinity is below this.")
    )

    @model_validator(mode="after")
    def _in_order(self) -> LoadPolicy:
        """Refuse a ``load.min`` above ``load.max``."""
        if self.min > self.max:
            raise ValueError(f"load.min ({self.min}) exceeds load.max ({self.max})")
        return self


class ConflictPolicy(_Section):
    """Which pairs are conflicts of interest. Declared conflicts always apply."""

    same_institution: bool = Field(
        True, description="Conflict if the reviewer's institution is among the case's."
    )
    same_country: bool = Field(
        False, description="Conflict if the reviewer's country is the case's country."
    )
    relation_distance: NonNegative = Field(
        1,
        description=(
            "0 off; d: conflict if the relation-graph distance between the reviewer and any "
            "applicant of the case is at most d. A reviewer never reviews their own case."
        ),
    )


def _as_tuple(value: Any) -> Any:
    """A single label where a list of labels is expected, as a tuple of one."""
    return (value,) if isinstance(value, str) else value


def _labels(labels: tuple[str, ...]) -> str:
    """``a``, or ``a or b``, or ``a, b or c``."""
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + f" or {labels[-1]}"


def _seats(count: int) -> str:
    """``1 seat``, ``2 seats``."""
    return f"{count} seat{'' if count == 1 else 's'}"


Counting = Literal["values", "same_as", "different_from", "min_distinct", "max_per_value"]
"""The ways a ``[[panel.rules]]`` entry counts seats."""


class AttributeRule(_Section):
    """One entry of ``[[panel.rules]]``: a rule on the seats of every panel, by attribute.

    It counts seats in exactly one way: reviewers with one of ``values`` of ``attribute``;
    reviewers whose ``attribute`` shares a label with the case's ``same_as`` attribute,
    or shares none with the case's ``different_from`` attribute (an unknown value on
    either side counts for neither) -- each with ``at_least`` and/or ``at_most``; or the
    distinct values of ``attribute`` among the seats (``min_distinct``); or the seats of
    each value (``max_per_value``). ``cases`` limits the rule to the cases with one of
    the listed values of each listed case attribute (default: every case). An unknown
    (empty) value is no value: it counts for none.

    ``panel.own_region = "exclude"`` is the rule ``attribute = "region"``, ``same_as =
    "region"``, ``at_most = 0`` (save that there an empty region is a region).

    Examples
    --------
    >>> r = AttributeRule(name="practice", attribute="sector", values=("practice",),
    ...                   at_least=1, cases={"discipline": "engineering"})
    >>> r.words()
    'at least 1 seat with sector = practice, on the cases with discipline = engineering'
    >>> AttributeRule(attribute="career_stage", min_distinct=2).words()
    'at least 2 distinct values of career_stage'
    >>> AttributeRule(attribute="sector", min_distinct=2, at_least=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for AttributeRule
      Value error, at_least: min_distinct counts on its own; drop at_least ...
    """

    name: Annotated[str, StringConstraints(strip_whitespace=True)] = Field(
        "", description='The rule\'s name in messages; default "rule 1", "rule 2"... (unique).'
    )
    attribute: AttributeName = Field(description="The reviewer attribute read (built-in or user).")
    values: tuple[Name, ...] = Field(
        (), description="Count the seats of reviewers with one of these values."
    )
    same_as: AttributeName | None = Field(
        None,
        description="Count the seats whose attribute shares a value with this case attribute.",
    )
    different_from: AttributeName | None = Field(
        None,
        description=(
            "Count the seats whose attribute shares no value with this case attribute "
            "(unknown on either side: not counted)."
        ),
    )
    at_least: NonNegative | None = Field(None, description="Fewest seats counted.")
    at_most: NonNegative | None = Field(None, description="Most seats counted.")
    min_distinct: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description="Fewest distinct values among the seats."
    )
    max_per_value: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description="Most seats of any one value."
    )
    cases: dict[AttributeName, tuple[Name, ...]] = Field(
        default_factory=dict,
        description=(
            "Only the cases with one of the listed values of each listed case attribute "
            "(default: every case)."
        ),
    )

    @field_validator("values", mode="before")
    @classmethod
    def _one_value(cls, value: Any) -> Any:
        """``values = "practice"`` is ``values = ["practice"]``."""
        return _as_tuple(value)

    @field_validator("cases", mode="before")
    @classmethod
    def _case_values(cls, value: Any) -> Any:
        """``cases = { discipline = "law" }`` is ``cases = { discipline = ["law"] }``."""
        if isinstance(value, dict):
            return {k: _as_tuple(v) for k, v in value.items()}
        return value

    @property
    def kind(self) -> Counting:
        """The way of counting (validated to be exactly one)."""
        if self.values:
            return "values"
        if self.same_as is not None:
            return "same_as"
        if self.different_from is not None:
            return "different_from"
        return "min_distinct" if self.min_distinct is not None else "max_per_value"

    @model_validator(mode="after")
    def _one_way(self) -> AttributeRule:
        """Refuse no way of counting, two ways, or bounds that do not fit the way."""
        ways = [
            key
            for key, given in (
                ("values", bool(self.values)),
                ("same_as", self.same_as is not None),
                ("different_from", self.different_from is not None),
                ("min_distinct", self.min_distinct is not None),
                ("max_per_value", self.max_per_value is not None),
            )
            if given
        ]
        if not ways:
            raise ValueError(
                "values: no way of counting; give one of values, same_as or different_from "
                "(with at_least and/or at_most), min_distinct or max_per_value"
            )
        if len(ways) > 1:
            raise ValueError(
                f"{ways[1]}: a rule counts in one way only, and {ways[0]} is given; write two rules"
            )
        bounded = self.at_least is not None or self.at_most is not None
        if ways[0] in ("min_distinct", "max_per_value") and bounded:
            key = "at_least" if self.at_least is not None else "at_most"
            raise ValueError(f"{key}: {ways[0]} counts on its own; drop {key}")
        if ways[0] not in ("min_distinct", "max_per_value") and not bounded:
            raise ValueError(f"at_least: {ways[0]} needs at_least and/or at_most")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"at_least: {self.at_least} exceeds at_most ({self.at_most})")
        return self

    def loosened(self, by: int) -> AttributeRule:
        """The entry loosened by ``by``: fewer seats or values needed, more allowed.

        Examples
        --------
        >>> rule = AttributeRule(attribute="sector", values=("practice",), at_least=2, at_most=2)
        >>> loose = rule.loosened(1)
        >>> loose.at_least, loose.at_most
        (1, 3)
        >>> AttributeRule(attribute="stage", min_distinct=2).loosened(1).min_distinct
        1
        """
        update: dict[str, int | None] = {}
        if self.at_least is not None:
            update["at_least"] = max(0, self.at_least - by)
        if self.at_most is not None:
            update["at_most"] = self.at_most + by
        if self.min_distinct is not None:
            update["min_distinct"] = max(1, self.min_distinct - by)
        if self.max_per_value is not None:
            update["max_per_value"] = self.max_per_value + by
        return self.model_copy(update=update)

    def counted(self) -> str:
        """The seats it counts, in words (``with sector = practice``)."""
        if self.kind == "values":
            return f"with {self.attribute} = {_labels(self.values)}"
        if self.kind == "same_as":
            return f"whose {self.attribute} matches the case's {self.same_as}"
        return f"whose {self.attribute} differs from the case's {self.different_from}"

    def words(self) -> str:
        """The rule in words, without its name.

        Examples
        --------
        >>> AttributeRule(attribute="income_group", same_as="income_group", at_most=0).words()
        "at most 0 seats whose income_group matches the case's income_group"
        """
        if self.kind == "min_distinct":
            said = f"at least {self.min_distinct} distinct values of {self.attribute}"
        elif self.kind == "max_per_value":
            said = f"at most {_seats(self.max_per_value or 0)} per value of {self.attribute}"
        else:
            bounds = []
            if self.at_least is not None and self.at_least == self.at_most:
                bounds.append(f"exactly {_seats(self.at_least)}")
            else:
                if self.at_least is not None:
                    bounds.append(f"at least {_seats(self.at_least)}")
                if self.at_most is not None:
                    bounds.append(f"at most {_seats(self.at_most)}")
            said = f"{' and '.join(bounds)} {self.counted()}"
        if self.cases:
            where = " and ".join(f"{k} = {_labels(v)}" for k, v in self.cases.items())
            said += f", on the cases with {where}"
        return said

    def applies(self, case_values: Callable[[str], Iterable[str] | None]) -> bool:
        """Whether the rule applies to a case, given how to read the case's attributes.

        Examples
        --------
        >>> rule = AttributeRule(attribute="sector", values="practice", at_least=1,
        ...                      cases={"discipline": ("law", "medicine")})
        >>> rule.applies({"discipline": ("law",)}.get), rule.applies(lambda name: ())
        (True, False)
        """
        return all(set(case_values(k) or ()) & set(labels) for k, labels in self.cases.items())

    @property
    def excludes_pairs(self) -> bool:
        """Whether the rule only removes single pairs (``at_most = 0`` and nothing else)."""
        return self.kind in ("values", "same_as", "different_from") and (
            self.at_most == 0 and self.at_least is None
        )


class AttributeBand(_Section):
    """One entry of ``[[representation.bands]]``: a band over all seats for each value.

    Each value of ``attribute`` among the reviewers must hold a share of all seats within
    ``tolerance`` of its share of the reviewer pool, or of its target in ``targets``; as
    the region and gender bands, hard with ``representation.weight = 0``, else soft. A
    reviewer with several values counts for each; an unknown value for none.

    Examples
    --------
    >>> AttributeBand(attribute="sector", tolerance=0.1, targets={"practice": 0.3}).targets
    {'practice': 0.3}
    """

    attribute: AttributeName = Field(description="The reviewer attribute (built-in or user).")
    tolerance: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = Field(
        description="Each value's share of all seats within this of its pool share or target."
    )
    targets: dict[Name, Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] = Field(
        default_factory=dict,
        description="Target shares replacing the pool share of the listed values.",
    )


class AttributesPolicy(_Section):
    """Extra CSV columns read as attributes: ``[attributes] reviewers = ["sector"]``.

    A problem folder's ``reviewers.csv`` (``cases.csv``) may then hold these columns; a
    cell is a label, or a ``;`` list of labels. Without a declaration an unknown column
    stays an error (the ``attributes`` column, ``key=value;...``, needs none).

    Examples
    --------
    >>> AttributesPolicy(reviewers=("sector", "first_time")).reviewers
    ('sector', 'first_time')
    >>> AttributesPolicy(cases=("region",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for AttributesPolicy
    ...
    """

    reviewers: tuple[AttributeName, ...] = Field(
        (), description="Columns of reviewers.csv read as reviewer attributes."
    )
    cases: tuple[AttributeName, ...] = Field(
        (), description="Columns of cases.csv read as case attributes."
    )

    @model_validator(mode="after")
    def _not_built_in(self) -> AttributesPolicy:
        """Refuse a declared column that is a built-in column, or one declared twice."""
        for side, names, built_in in (
            ("reviewers", self.reviewers, REVIEWER_BUILT_IN),
            ("cases", self.cases, CASE_BUILT_IN),
        ):
            for name in names:
                if name in built_in or name in ("id", "attributes"):
                    raise ValueError(
                        f"attributes.{side}: {name!r} is a built-in column, not an attribute"
                    )
            if len(set(names)) < len(names):
                raise ValueError(f"attributes.{side} lists a column twice")
        return self


class PanelPolicy(_Section):
    """Per-case panel composition. Every rule is hard."""

    max_per_region: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Most seats from one region (None: no limit)."
    )
    min_regions: NonNegative = Field(0, description="Fewest distinct regions on a panel.")
    own_region: Literal["any", "exclude", "at_least_one"] = Field(
        "any",
        description=(
            '"exclude": no reviewer from the case\'s region; "at_least_one": at least one '
            "reviewer from it."
        ),
    )
    max_per_gender: Annotated[int, Field(ge=1)] | None = Field(
        None,
        description="Most seats of one disclosed gender; undisclosed seats count for none.",
    )
    min_genders: NonNegative = Field(0, description="Fewest distinct disclosed genders.")
    min_senior: NonNegative = Field(0, description='Fewest seats held by seniority "senior".')
    language: bool = Field(
        True, description="Every member lists the case's language (cases without one: no rule)."
    )
    rules: tuple[AttributeRule, ...] = Field(
        (),
        description=(
            "Rules on the seats by any attribute ([[panel.rules]]): at least or at most k "
            "seats with a value, matching or differing from a case attribute, distinct values."
        ),
    )

    @model_validator(mode="after")
    def _named(self) -> PanelPolicy:
        """Name each rule (``rule 1``, ``rule 2``... by default); refuse a name used twice."""
        named = tuple(
            r if r.name else r.model_copy(update={"name": f"rule {i + 1}"})
            for i, r in enumerate(self.rules)
        )
        seen: set[str] = set()
        for i, r in enumerate(named):
            if r.name in seen:
                raise ValueError(f"panel.rules[{i}].name: {r.name!r} names two rules")
            seen.add(r.name)
        object.__setattr__(self, "rules", named)  # frozen: set once, while validating
        return self


class ExpertisePolicy(_Section):
    """Which topics a panel must cover, and what covering means."""

    min_level: Annotated[int, Field(ge=1, le=3)] = Field(
        2, description="A reviewer covers topic t if their level in t is at least this."
    )
    coverage: Literal["all", "any", "none"] = Field(
        "none",
        description='"all": every case topic is covered; "any": at least one is; "none": no rule.',
    )
    min_panel_affinity: Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)] = Field(
        0.0,
        description=(
            "Every panel's affinity (the sum of its pairs' affinities) at least this, at the "
            "solver's resolution (1e-6 a seat); 0: no rule."
        ),
    )


LEVELS: tuple[str, ...] = (
    "coverage",
    "worst_case",
    "leximin",
    "affinity",
    "load_spread",
    "objective",
)
"""The objectives ``objective.priorities`` may order, each maximised in turn.

``coverage``: covered (case, topic) pairs (a topic is covered by a seat whose level is
at least ``expertise.min_level``); ``worst_case``: the lowest panel affinity;
``leximin``: the lowest panel affinity, then the next lowest, and so on (see
``ObjectivePolicy``); ``affinity``: the total affinity; ``load_spread``: the largest load
minus the smallest, minimised; ``objective``: the policy objective (total affinity minus
``load_spread`` times the spread), always the last level.
"""

Level = Literal["coverage", "worst_case", "leximin", "affinity", "load_spread", "objective"]


class ObjectivePolicy(_Section):
    """What the solve maximises, level by level.

    ``kind`` names the usual orders: ``"affinity"`` is the policy objective alone,
    ``"fairness"`` the worst panel first, ``"leximin"`` the worst panel, then the next
    worst, and so on. ``priorities`` spells out any order of :data:`LEVELS` instead; each
    level is maximised while the levels before it keep what they reached.

    Leximin is computed in rounds: the lowest panel affinity ``t`` of the cases not yet
    fixed is maximised; then the number of those cases that can reach ``t +
    leximin_tolerance`` together is maximised; the others are fixed at ``t`` and the next
    round starts with the lifted ones. Panels within ``leximin_tolerance`` of each other
    count as equal, and the rounds stop at ``leximin_time_limit``: the cases left keep
    the last round's floor.

    Examples
    --------
    >>> ObjectivePolicy(kind="fairness").levels
    ('worst_case', 'objective')
    >>> ObjectivePolicy(priorities=("coverage", "leximin", "affinity", "load_spread")).levels
    ('coverage', 'leximin', 'affinity', 'load_spread', 'objective')
    >>> ObjectivePolicy(kind="leximin", priorities=("coverage",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ObjectivePolicy
    ...
    """

    kind: Literal["affinity", "fairness", "leximin"] = Field(
        "affinity",
        description=(
            '"affinity": the total affinity; "fairness": the worst case\'s panel affinity '
            'first, then the total; "leximin": the worst case, then the next worst, and so '
            "on, then the total."
        ),
    )
    load_spread: Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)] = Field(
        0.0,
        description=(
            "Weight per unit of (largest load - smallest load) among all reviewers, "
            "subtracted from the objective."
        ),
    )
    prefers_not: Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)] = Field(
        0.0,
        description=(
            "Cost subtracted from the objective per assigned pair of the problem's "
            "prefers_not list whose row gives no weight of its own (0: only rows with a "
            "weight cost anything)."
        ),
    )
    priorities: tuple[Level, ...] = Field(
        (),
        description=(
            "Objectives maximised in this order, each keeping what the ones before reached "
            "(e.g. coverage, leximin, affinity, load_spread); the policy objective closes "
            "the list. Empty: the order that kind names."
        ),
    )
    leximin_tolerance: Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)] = Field(
        0.01,
        description="Leximin: panel affinities closer than this count as equal.",
    )
    leximin_time_limit: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None,
        description=(
            "Leximin: seconds for its rounds; None: 60 % of the solve's time limit (no "
            "limit without one)."
        ),
    )

    @model_validator(mode="after")
    def _one_order(self) -> ObjectivePolicy:
        """Refuse priorities beside a kind, a level twice, or ``"objective"`` before the last."""
        if self.priorities and self.kind != "affinity":
            raise ValueError(
                f"objective.priorities replaces objective.kind ({self.kind!r}): list "
                '"worst_case" or "leximin" among the priorities instead'
            )
        if len(set(self.priorities)) < len(self.priorities):
            raise ValueError("objective.priorities lists a level twice")
        if "objective" in self.priorities[:-1]:
            raise ValueError('"objective" can only be the last of objective.priorities')
        return self

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels maximised in turn, ending with the policy objective."""
        if self.priorities:
            if self.priorities[-1] == "objective":
                return self.priorities
            return (*self.priorities, "objective")
        first: dict[str, tuple[Level, ...]] = {
            "affinity": (),
            "fairness": ("worst_case",),
            "leximin": ("leximin",),
        }
        return (*first[self.kind], "objective")


MAX_CYCLE = 8
"""The longest review cycle ``integrity.forbid_cycles`` may forbid."""


class IntegrityPolicy(_Section):
    """Collusion among reviewer-applicants (reviewers who are also applicants of a case).

    The *review graph* of an assignment has an edge ``A -> B`` when reviewer ``A`` reviews
    a case of which ``B`` is an applicant, and ``B`` is a reviewer too. With
    ``forbid_cycles = k`` (``k >= 2``) no cycle ``A1 -> A2 -> ... -> Aj -> A1`` of length
    ``j <= k`` may occur: with 2, no two reviewer-applicants review each other's cases.
    ``1`` is refused: a reviewer never reviews their own case.

    Examples
    --------
    >>> IntegrityPolicy(forbid_cycles=2).forbid_cycles
    2
    >>> IntegrityPolicy(forbid_cycles=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for IntegrityPolicy
    ...
    """

    forbid_cycles: Annotated[int, Field(ge=0, le=MAX_CYCLE)] = Field(
        0,
        description=(
            "0 off; 2: no two reviewer-applicants review each other's cases; k: no review "
            f"cycle of length k or less (at most {MAX_CYCLE})."
        ),
    )

    @model_validator(mode="after")
    def _not_one(self) -> IntegrityPolicy:
        """Refuse ``forbid_cycles = 1``, which means nothing."""
        if self.forbid_cycles == 1:
            raise ValueError(
                "integrity.forbid_cycles = 1 means nothing (a reviewer never reviews their own "
                "case): use 0 (off), 2 (no two reviewers review each other's cases) or more"
            )
        return self


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

SHARE_EPS = 1e-9
"""Shares are compared with this margin (a band ``[p - t, p + t]`` admits ``p + t + 1e-9``)."""


class RepresentationPolicy(_Section):
    """Regions and genders across the whole assignment, against the reviewer pool.

    The *share* of a region is its seats over all seats; its *pool share* is its
    reviewers over all reviewers (``Metrics.region_shares`` and
    ``Metrics.region_pool_shares``). With ``region_tolerance = t < 1`` every region of the
    reviewer pool must hold a share within ``t`` of its pool share, or of its target in
    ``region_targets`` when it is listed there. A target must name a region (gender) of
    some reviewer: :meth:`Policy.check_targets`, run by every entry point, refuses a key that
    names none, which is nearly always a misspelling. The same for each disclosed gender
    (``gender_tolerance``, ``gender_targets``, ``Metrics.gender_shares``): shares are of
    all seats, undisclosed ones included, and undisclosed seats themselves are
    unconstrained. ``1.0`` turns a band off.

    With ``weight = 0`` the bands are hard rules. With ``weight > 0`` they are soft:
    the objective loses ``weight`` per seat outside a band (for a region holding ``k`` of
    ``S`` seats, ``max(0, k - floor(S (p + t))) + max(0, ceil(S (p - t)) - k)`` seats).

    Examples
    --------
    >>> RepresentationPolicy(region_tolerance=0.05).region_tolerance
    0.05
    >>> RepresentationPolicy(region_tolerance=0.1, region_targets={"Africa": 0.7, "Asia": 0.5})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for RepresentationPolicy
      Value error, representation.region_targets add up to 1.2; at most 1 ...
    """

    region_tolerance: Share = Field(
        1.0,
        description=(
            "Each region's share of all seats within this of its share of the reviewer pool "
            "(or of its target); 1.0 = off."
        ),
    )
    gender_tolerance: Share = Field(
        1.0, description="The same for each disclosed gender; 1.0 = off."
    )
    region_targets: dict[Label, Share] = Field(
        default_factory=dict,
        description=(
            "Target shares replacing the pool share of the listed regions (each the region "
            "of some reviewer)."
        ),
    )
    gender_targets: dict[Label, Share] = Field(
        default_factory=dict,
        description=(
            "Target shares replacing the pool share of the listed disclosed genders (each "
            "the gender of some reviewer)."
        ),
    )
    weight: Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)] = Field(
        0.0,
        description=(
            "0: the bands are hard; > 0: soft, this much subtracted from the objective per "
            "seat outside a band."
        ),
    )
    bands: tuple[AttributeBand, ...] = Field(
        (),
        description=(
            "Bands over any reviewer attribute ([[representation.bands]]), as the region "
            "and gender bands: each value's share of all seats near its pool share or target."
        ),
    )

    @field_validator("region_targets", "gender_targets", mode="wrap")
    @classmethod
    def _one_spelling(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Refuse two target keys that normalise to one label."""
        # Keys are labels, normalised as the problem's are (NFC, stripped): two keys that
        # become one would silently lose a target.
        out = handler(value)
        if isinstance(value, dict) and len(out) < len(value):
            raise ValueError("two keys name the same label (they differ only in Unicode form)")
        return out

    @model_validator(mode="after")
    def _targets(self) -> RepresentationPolicy:
        """Refuse targets above 1 in all, targets without a band, or an undisclosed gender's."""
        for name, targets, tolerance in (
            ("region", self.region_targets, self.region_tolerance),
            ("gender", self.gender_targets, self.gender_tolerance),
        ):
            total = sum(targets.values())
            if total > 1 + SHARE_EPS:
                raise ValueError(f"representation.{name}_targets add up to {total:g}; at most 1")
            if targets and tolerance >= 1:
                raise ValueError(
                    f"representation.{name}_targets need representation.{name}_tolerance "
                    "below 1 (1.0 turns the band off)"
                )
        if "" in self.gender_targets:
            raise ValueError(
                "representation.gender_targets: an undisclosed gender has no band; "
                "name a disclosed gender"
            )
        return self

    @property
    def region_on(self) -> bool:
        """Whether the region bands are on."""
        return self.region_tolerance < 1

    @property
    def gender_on(self) -> bool:
        """Whether the gender bands are on."""
        return self.gender_tolerance < 1

    @property
    def bands_on(self) -> bool:
        """Whether some attribute band is given."""
        return bool(self.bands)


Years = Annotated[int, Field(ge=1, le=MAX_YEAR)]


class HistoryPolicy(_Section):
    """Rotation against past rounds (``Problem.history``, ``history.csv``).

    *This round's year* is ``year``, or one after the latest year of the history when
    ``year`` is left out (an empty history has no year, and the rules then have nothing
    to read). A past seat of year ``y`` is *within n years* when ``y >= year - n``: with
    ``year = 2026``, ``n = 1`` takes the seats of 2025 (and of 2026 or later, if the
    history holds any: they count as the most recent); ``n = 2`` adds 2024. A *past
    panel* is the seats of one year and one case.

    - ``institution_years = n > 0``: no reviewer reviews a case one of whose
      institutions is an institution of a case they reviewed within ``n`` years (the
      history row's ``institution`` list). It removes single pairs, like a conflict.
    - ``max_repeat_pairs = k``: two reviewers who sat on one past panel (within
      ``pair_years``, default every year) sit together on at most ``k`` panels of this
      round; 0: never again.
    - ``min_new_share = s > 0``: at least ``ceil(s * size)`` seats of every panel are
      held by *new* reviewers: reviewers with no seat in the history within
      ``new_years`` (default every year). A reviewer id of the history that is not a
      current reviewer matches no one.

    ``pair_years`` and ``new_years`` are the windows of their rules: without the rule on,
    they do nothing.

    Examples
    --------
    >>> HistoryPolicy(institution_years=2, min_new_share=0.5).institution_years
    2
    """

    year: Years | None = Field(
        None,
        description=(
            "This round's year; None: one after the latest year of the history. A past seat "
            "of year y is within n years when y >= year - n."
        ),
    )
    institution_years: Annotated[int, Field(ge=0, le=MAX_YEAR)] = Field(
        0,
        description=(
            "0 off; n: no reviewer reviews a case sharing an institution with a case they "
            "reviewed within n years."
        ),
    )
    max_repeat_pairs: NonNegative | None = Field(
        None,
        description=(
            "None off; k: two reviewers who sat on one past panel sit together on at most k "
            "panels now (0: never again)."
        ),
    )
    pair_years: Annotated[int, Field(ge=1, le=MAX_YEAR)] | None = Field(
        None,
        description="max_repeat_pairs reads the past panels within this many years; None: all.",
    )
    min_new_share: Share = Field(
        0.0,
        description=(
            "0 off; s: at least ceil(s * panel size) seats of every panel held by new "
            "reviewers (no seat in the history within new_years)."
        ),
    )
    new_years: Annotated[int, Field(ge=1, le=MAX_YEAR)] | None = Field(
        None, description="A reviewer is new without a seat within this many years; None: ever."
    )


RELAXABLE: tuple[str, ...] = tuple(r.key for r in RULES if r.relaxable)
"""The rules ``solve(..., relax="minimal")`` may break; panel sizes and conflicts never.

Derived from the rule registry (``_data.rules``), in check order."""


class RelaxPolicy(_Section):
    """What ``solve(..., relax="minimal")`` may break, and at what price.

    Examples
    --------
    >>> RelaxPolicy(priority={"panel.min_genders": 5}).priority
    {'panel.min_genders': 5}
    >>> RelaxPolicy(keep=("panel.sise",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for RelaxPolicy
    ...
    """

    priority: dict[str, Annotated[int, Field(ge=1, le=MAX_COUNT)]] = Field(
        default_factory=dict,
        description=(
            "Weight of breaking one instance of a rule (a rule on one case, topic or "
            "reviewer); rules not listed weigh 1."
        ),
    )
    keep: tuple[str, ...] = Field(
        ("load.max",),
        description="Rules never broken, even under relax (default: reviewers' maximum loads).",
    )

    @model_validator(mode="after")
    def _known(self) -> RelaxPolicy:
        """Refuse unknown rules in ``relax.priority`` and ``relax.keep``."""
        unknown = sorted((set(self.priority) | set(self.keep)) - set(RELAXABLE))
        if unknown:
            raise ValueError(
                f"unknown rule(s) {', '.join(unknown)}; the rules are {', '.join(RELAXABLE)}"
            )
        return self


class RandomPolicy(_Section):
    """Randomised assignment: a cap on the probability of any (case, reviewer) pair.

    With ``max_probability`` below 1, :func:`reviewassign.randomize` computes a lottery
    over assignments that each meet every hard rule, in which no pair is drawn with a
    probability above the cap, and :func:`reviewassign.solve` returns one draw of it
    (its ``seed`` chooses which). A reviewer who bids on a case to get it (or a friend's
    case) then gets it at most that often (Jecmen et al., NeurIPS 2020).

    Examples
    --------
    >>> RandomPolicy().max_probability
    1.0
    >>> RandomPolicy(max_probability=0.5).max_probability
    0.5
    >>> RandomPolicy(max_probability=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for RandomPolicy
    ...
    """

    max_probability: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        1.0,
        description=(
            "Cap on the probability of any (case, reviewer) pair; 1.0 = deterministic. "
            "Read at a resolution of 1e-6."
        ),
    )


class Policy(BaseModel):
    """An assignment policy. ``Policy()`` is the neutral default.

    Examples
    --------
    >>> Policy().panel.own_region
    'any'
    >>> award = Policy(panel={"max_per_region": 1, "own_region": "exclude"},
    ...                expertise={"coverage": "all"})
    >>> award.panel.max_per_region, award.load.max
    (1, 6)
    >>> Policy(panel={"max_per_regoin": 1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Policy
    panel.max_per_regoin
      Extra inputs are not permitted ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    panel_size: Annotated[int, Field(ge=1, le=MAX_COUNT)] = Field(
        3, description="Seats per case; a case's own panel_size overrides it."
    )
    load: LoadPolicy = LoadPolicy()
    conflicts: ConflictPolicy = ConflictPolicy()
    panel: PanelPolicy = PanelPolicy()
    expertise: ExpertisePolicy = ExpertisePolicy()
    objective: ObjectivePolicy = ObjectivePolicy()
    relax: RelaxPolicy = RelaxPolicy()
    integrity: IntegrityPolicy = IntegrityPolicy()
    representation: RepresentationPolicy = RepresentationPolicy()
    random: RandomPolicy = RandomPolicy()
    attributes: AttributesPolicy = AttributesPolicy()
    history: HistoryPolicy = HistoryPolicy()

    @classmethod
    def coerce(cls, policy: Policy | None) -> Policy:
        """``Policy()`` for ``None``, else ``policy`` validated again.

        ``model_copy(update=...)`` builds a policy without validating it, so every entry
        point (``solve``, ``check``) re-validates what it is given.

        Examples
        --------
        >>> Policy.coerce(None) == Policy()
        True
        >>> Policy.coerce(Policy().model_copy(update={"panel_size": 0}))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for Policy
        panel_size
          Input should be greater than or equal to 1 ...
        """
        if policy is None:
            return cls()
        return cls.model_validate(policy.model_dump(warnings=False))

    def with_settings(self, settings: Mapping[str, object]) -> Policy:
        """The policy with some dotted keys set (``{"panel.max_per_gender": 2}``), validated.

        Examples
        --------
        >>> Policy().with_settings({"panel.min_senior": 1, "panel_size": 2}).panel.min_senior
        1
        """
        data = self.model_dump(warnings=False)
        for dotted, value in settings.items():
            section, _, name = dotted.partition(".")
            if name:
                data[section][name] = value
            else:
                data[section] = value
        return Policy.model_validate(data)

    def without(self, keys: Iterable[str]) -> Policy:
        """The policy with the rules ``keys`` turned off, each by its registry ``off`` values.

        A rule that cannot be turned off (``load.max``, ``panel_size``) is left as it is.
        Like ``model_copy``, the copy is not validated again (see :meth:`coerce`).

        Examples
        --------
        >>> award = Policy(panel={"min_senior": 1, "min_genders": 2})
        >>> off = award.without(["panel.min_genders"])
        >>> off.panel.min_senior, off.panel.min_genders
        (1, 0)
        """
        sections: dict[str, dict[str, object]] = {}
        top: dict[str, object] = {}
        for key in keys:
            for dotted, value in rule(key).off.items():
                section, _, name = dotted.partition(".")
                if name:
                    sections.setdefault(section, {})[name] = value
                else:
                    top[section] = value
        for section, values in sections.items():
            top[section] = getattr(self, section).model_copy(update=values)
        return self.model_copy(update=top)

    def check_targets(self, problem: Problem, path: str | Path | None = None) -> None:
        """Refuse a ``representation`` target that names the region or gender of no reviewer.

        Such a target is nearly always a misspelling (``Afirca``): its band would hold a
        label no seat can have, and the policy would be infeasible for no visible reason.
        ``solve``, ``check``, ``explain``, ``repair`` and ``randomize`` call it.

        Raises
        ------
        InputError
            Naming the key as ``field`` (e.g. ``representation.region_targets.Afirca``),
            the policy file as ``path`` when given, and a reviewer label like the key.

        Examples
        --------
        >>> from reviewassign._data.model import Case, Problem, Reviewer
        >>> problem = Problem(cases=[Case(id="C1")],
        ...                   reviewers=[Reviewer(id="R1", region="Africa")])
        >>> policy = Policy(representation={"region_tolerance": 0.1,
        ...                                 "region_targets": {"Afirca": 0.5}})
        >>> policy.check_targets(problem)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        reviewassign._errors.InputError: ...: 'Afirca' is the region of no reviewer (did you ...
        """
        self.check_attributes(problem, path)
        rep = self.representation
        for name, targets, labels in (
            ("region", rep.region_targets, {r.region for r in problem.reviewers}),
            ("gender", rep.gender_targets, {r.gender for r in problem.reviewers if r.gender}),
        ):
            for key in targets:
                if key in labels:
                    continue
                known = sorted(labels)
                alike = [label for label in known if look_alike_key(label) == look_alike_key(key)]
                close = alike or difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise InputError(
                    f"{key!r} is the {name} of no reviewer{hint}; a target names a {name} of "
                    "the reviewer pool",
                    path=path,
                    field=f"representation.{name}_targets.{key}",
                )

    def check_attributes(self, problem: Problem, path: str | Path | None = None) -> None:
        """Refuse a panel rule or band that names an attribute or value no record carries.

        Such a name is nearly always a misspelling (``sectr``, ``practise``): the rule would
        count nothing. Every reviewer attribute of ``[[panel.rules]]`` and
        ``[[representation.bands]]`` must be carried by some reviewer, every case
        attribute (``same_as``, ``different_from``, ``cases``) by some case, and every
        value listed (``values``, ``cases``, ``targets``) by some record. Called by
        :meth:`check_targets`, so by every entry point.

        Raises
        ------
        InputError
            Naming the entry as ``field`` (``panel.rules[0].attribute``), the rule by its
            name in the message, and a close name when there is one.

        Examples
        --------
        >>> from reviewassign._data.model import Case, Problem, Reviewer
        >>> problem = Problem(cases=[Case(id="C1")],
        ...                   reviewers=[Reviewer(id="R1", attributes={"sector": "practice"})])
        >>> policy = Policy(panel={"rules": [{"name": "practice", "attribute": "sectr",
        ...                                   "values": ["practice"], "at_least": 1}]})
        >>> policy.check_attributes(problem)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        reviewassign._errors.InputError: ...panel rule "practice": no reviewer has ... 'sectr' ...
        """
        reviewers: dict[str, set[str]] = {}
        cases: dict[str, set[str]] = {}
        for side, records in ((reviewers, problem.reviewers), (cases, problem.cases)):
            for record in records:
                built_in = REVIEWER_BUILT_IN if side is reviewers else CASE_BUILT_IN
                for name in (*built_in, *record.attributes):
                    side.setdefault(name, set()).update(attribute_values(record, name))
        for i, r in enumerate(self.panel.rules):
            field = f"panel.rules[{i}]"
            said = f'panel rule "{r.name}"'
            _known(reviewers, r.attribute, r.values, "reviewer", said, f"{field}.attribute", path)
            for key in ("same_as", "different_from"):
                name = getattr(r, key)
                if name is not None:
                    _known(cases, name, (), "case", said, f"{field}.{key}", path)
            for name, labels in r.cases.items():
                _known(cases, name, labels, "case", said, f"{field}.cases.{name}", path)
        for i, band in enumerate(self.representation.bands):
            said = f"representation band of {band.attribute!r}"
            field = f"representation.bands[{i}]"
            _known(reviewers, band.attribute, tuple(band.targets), "reviewer", said, field, path)


def _close(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a name like one of ``known``, else nothing."""
    ordered = sorted(known)
    alike = [k for k in ordered if look_alike_key(k) == look_alike_key(name)]
    close = alike or difflib.get_close_matches(name, ordered, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _known(
    carried: dict[str, set[str]],
    name: str,
    labels: Iterable[str],
    who: str,
    said: str,
    field: str,
    path: str | Path | None,
) -> None:
    """Refuse attribute ``name`` that no ``who`` carries, or a label none of them has."""
    present = {k for k, v in carried.items() if v}
    if name not in present:
        raise InputError(
            f"{said}: no {who} has a value of attribute {name!r}{_close(name, present)}",
            path=path,
            field=field,
        )
    for label in labels:
        if label not in carried[name]:
            raise InputError(
                f"{said}: no {who} has {name} {label!r}{_close(label, carried[name])}",
                path=path,
                field=field,
            )
