"""The assignment policy: what a panel must look like and what the solve maximises.

Every key has a default and the defaults are neutral: no panel-composition rule is on
until the policy turns it on. The semantics of each key are stated here, once; the model
builder (``_cpsat``) and the checker (``_check``) each implement them independently.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "RELAXABLE",
    "ConflictPolicy",
    "ExpertisePolicy",
    "LoadPolicy",
    "ObjectivePolicy",
    "PanelPolicy",
    "Policy",
    "RandomPolicy",
    "RelaxPolicy",
]

from ._model import MAX_COUNT, MAX_SCORE

NonNegative = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoadPolicy(_Section):
    """Reviews per reviewer; a reviewer's own ``min_load`` and ``max_load`` override these."""

    min: NonNegative = Field(0, description="Fewest reviews per reviewer.")
    max: NonNegative = Field(6, description="Most reviews per reviewer.")

    @model_validator(mode="after")
    def _in_order(self) -> LoadPolicy:
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


class ExpertisePolicy(_Section):
    """Which topics a panel must cover, and what covering means."""

    min_level: Annotated[int, Field(ge=1, le=3)] = Field(
        2, description="A reviewer covers topic t if their level in t is at least this."
    )
    coverage: Literal["all", "any", "none"] = Field(
        "none",
        description='"all": every case topic is covered; "any": at least one is; "none": no rule.',
    )


class ObjectivePolicy(_Section):
    """What the solve maximises."""

    kind: Literal["affinity", "fairness"] = Field(
        "affinity",
        description=(
            '"affinity": the total affinity; "fairness": the worst case\'s panel affinity '
            "first, then the total."
        ),
    )
    load_spread: Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)] = Field(
        0.0,
        description=(
            "Weight per unit of (largest load - smallest load) among all reviewers, "
            "subtracted from the objective."
        ),
    )


RELAXABLE: tuple[str, ...] = (
    "load.min",
    "load.max",
    "panel.max_per_region",
    "panel.min_regions",
    "panel.own_region",
    "panel.max_per_gender",
    "panel.min_genders",
    "panel.min_senior",
    "panel.language",
    "expertise.coverage",
)
"""The rules ``solve(..., relax="minimal")`` may break; panel sizes and conflicts never."""


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
    random: RandomPolicy = RandomPolicy()

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
