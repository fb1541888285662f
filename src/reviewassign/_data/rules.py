"""The rule registry: one record per hard rule, the one place that says what a rule is.

Every key of :data:`RULES` is the id a rule goes by everywhere: ``Violation.rule``,
``InputError.field``, ``relax.priority`` and ``relax.keep``, sweep grid axes. A record
says when the rule is on (:attr:`Rule.on`, the one answer to "is this rule on?"), how the
policy turns it off (:attr:`Rule.off`), whether ``relax="minimal"`` may break it, whether
a min-cost-flow network can express it, and its sentences for reports and explanations. A
panel rule also carries ``explain``'s test of one case's eligible reviewers
(:attr:`Rule.alone`, over a :class:`Pool`): the one place that says why a case cannot meet
the rule with the reviewers it has.

The other lists of rules are derived from this one: ``_spec.check.RULES`` (check order),
``_data.policy.RELAXABLE``, :meth:`Policy.without`, the rules ``explain`` holds hard and
tests case by case, the measures of ``_spec.binding`` and the encoding tables of
``_backends.cpsat.rules``. Meta-tests (``tests/test_registry.py``) require of every record a
check case, its encodings, solver cases, a report line and its binding measure, and of a
panel rule its explain test.

Choices made here:

- "On" is a property of the policy, not of the model: ``panel.min_regions = 1`` is on
  (``check`` reports an empty panel under it) although the model adds nothing for it,
  since every panel has a seat. Such encoding shortcuts stay in the encodings, each with
  a comment.
- The representation bands are rules only while ``representation.weight`` is 0; with a
  weight they are objective terms, and off here (``check`` does not judge them either).
- ``flow`` is a function of the policy: ``panel.own_region = "exclude"`` removes single
  pairs (a flow network takes it), ``"at_least_one"`` needs a seat from a group (it does
  not). It defaults to "no", so that a new rule falls to CP-SAT until its record says a
  network takes it. A minimum of regions that the region cap already implies is decided
  per instance by ``_backends.flow.flow_refuses``.

This module imports nothing of the package at run time but the field limits of
``_data.fields`` (the policy only for types), so that ``_data.policy`` can derive
:data:`RELAXABLE` from it. The explain tests read numpy
arrays (:class:`Pool`) and compute as ``explain`` always did, so its messages, sums
included, are unchanged.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from .fields import MAX_COUNT

if TYPE_CHECKING:  # pragma: no cover
    from .policy import AttributeRule, Policy

__all__ = [
    "RULES",
    "Pool",
    "Rule",
    "Scope",
    "Short",
    "active",
    "counts",
    "keys",
    "listed",
    "new_seats",
    "region_cap",
    "rule",
]

Scope = Literal["assignment", "pair", "case", "reviewer", "whole"]
"""What one instance of a rule is about: the assignment as listed (unknown ids,
duplicates), a (case, reviewer) pair (conflicts), a case's panel, a reviewer's load, or
the whole assignment (held hard by the soft model: never relaxed, never in a core)."""


def _always(policy: Policy) -> bool:
    """On (or expressible) under every policy."""
    return True


def _never(policy: Policy) -> bool:
    """On (or expressible) under no policy."""
    return False


Steps = tuple[Mapping[str, object], ...]
"""Policy-wide settings (dotted keys and values), the smallest change first."""

_LOAD_STEPS = 1000
"""How far ``load.max`` may be raised, in reviews (the search halves the range)."""


def _no_steps(policy: Policy) -> Steps:
    """No policy-wide change loosens the rule."""
    return ()


def _steps(key: str, values: Iterable[object]) -> Steps:
    """One setting per value of one dotted key."""
    return tuple(MappingProxyType({key: v}) for v in values)


def _up_to_off(key: str, now: int | None, top: int) -> Steps:
    """A cap raised one by one below ``top``, then turned off (None)."""
    if now is None:
        return ()
    return _steps(key, [*range(now + 1, min(top, MAX_COUNT + 1)), None])


def _down(key: str, now: int) -> Steps:
    """A need lowered one by one to 0 (off)."""
    return _steps(key, range(now - 1, -1, -1))


def _coverage_steps(p: Policy) -> Steps:
    """Lower ``min_level`` under the coverage rule, then ``"any"`` (from ``"all"``), then off."""
    levels = [
        MappingProxyType({"expertise.min_level": level})
        for level in range(p.expertise.min_level - 1, 0, -1)
    ]
    wider = [MappingProxyType({"expertise.coverage": "any"})] * (p.expertise.coverage == "all")
    return (*levels, *wider, MappingProxyType({"expertise.coverage": "none"}))


def _rules_steps(p: Policy) -> Steps:
    """Every ``[[panel.rules]]`` entry loosened by 1, 2 and 3 seats (or values), then none.

    A loosening that changes nothing more (an ``at_least`` already at 0) is left out.
    """
    steps: list[tuple[object, ...]] = []
    for by in (1, 2, 3):
        loose = tuple(r.loosened(by) for r in p.panel.rules)
        if not steps or loose != steps[-1]:
            steps.append(loose)
    return tuple(MappingProxyType({"panel.rules": rules}) for rules in [*steps, ()])


def _n(count: int, word: str) -> str:
    """``count word``, with an s unless ``count`` is 1."""
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One hard rule: its key, when it is on, how it is turned off, and its sentence.

    Examples
    --------
    >>> from reviewassign import Policy
    >>> cap = rule("panel.max_per_region")
    >>> cap.on(Policy()), cap.on(Policy(panel={"max_per_region": 1}))
    (False, True)
    >>> cap.says(Policy(panel={"max_per_region": 1}))
    'At most 1 reviewer per region on every panel.'
    """

    key: str
    """The policy key or rule name (``"panel.max_per_region"``)."""
    scope: Scope
    on: Callable[[Policy], bool]
    """Whether the policy turns the rule on: the one answer, wherever it is asked."""
    off: Mapping[str, object]
    """Dotted policy keys and the values that turn the rule off; empty: it cannot be
    turned off (panel sizes, maximum loads, the assignment's own consistency)."""
    relaxable: bool
    """Whether ``solve(..., relax="minimal")`` may break it (``relax.priority`` keys)."""
    says: Callable[[Policy], str]
    """The rule in words, as the policy sets it (the report's and docs' sentence)."""
    states: Callable[[Said], str] | None = None
    """One instance of a relaxable rule as a statement (a member of a conflicting core)."""
    lifts: Callable[[Said, int], str] | None = None
    """What breaking one instance by ``slack`` means, as an instruction (a relaxation)."""
    alone: Callable[[Pool], Short | None] | None = None
    """Why one case's eligible reviewers alone cannot meet the rule, or None when they
    can: ``explain``'s necessary test of a panel rule, one case at a time."""
    flow: Callable[[Policy], bool] = _never
    """Whether a min-cost-flow network expresses the rule as ``policy`` sets it. The
    default is no: a new rule goes to CP-SAT until its record says a network takes it
    (the flow backend refuses every rule on whose ``flow`` is false)."""
    loosen: Callable[[Policy], Steps] = _no_steps
    """The policy-wide changes that loosen the rule, the smallest first, each looser than
    the one before (the last turns it off when it can be): ``explain``'s policy-level
    relaxations search them. Empty: the policy cannot loosen it (panel sizes, pairs the
    problem lists)."""


@dataclass(frozen=True, slots=True)
class Said:
    """One instance of a rule, as its sentences need it (``_workflows.conflict_core`` fills it in).

    The case fields are empty for a reviewer's rule, and ``reviewer`` for a case's.
    """

    policy: Policy
    limit: int
    """The cap (``at_most``) or the need of the instance."""
    at_most: bool
    reviewer: str = ""
    case: str = ""
    region: str = ""
    """The case's region."""
    language: str = ""
    """The case's language."""
    topic: str = ""
    """The topic, for a coverage instance of one topic."""
    eligible: int = 0
    """The case's eligible reviewers."""
    regions: int = 0
    """The regions among them."""
    genders: int = 0
    """The disclosed genders among them."""
    scale: int = 1
    """Solver units per unit of affinity (for a panel-affinity floor)."""
    other: str = ""
    """The second reviewer, for an instance about two reviewers (``pairs.disjoint``)."""
    entry: str = ""
    """The name of the ``[[panel.rules]]`` entry, for an instance of ``panel.rules``."""

    @property
    def seen(self) -> str:
        """The case's eligible reviewers and their regions, in words."""
        return (
            f"(its {_n(self.eligible, 'eligible reviewer')} come from {_n(self.regions, 'region')})"
        )


IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Pool:
    """One case's eligible reviewers, as the explain tests need them (``_workflows.explain``).

    The arrays run over the eligible reviewers in pair order, beside ``reviewers``. Region
    and gender codes index ``region_labels`` and ``gender_labels``; gender ``-1`` is
    undisclosed.
    """

    policy: Policy
    case: str
    size: int
    """The seats of the case's panel."""
    who: str
    """The eligible reviewers in words (``eligible reviewers (no conflict; read es)``)."""
    reviewers: tuple[str, ...]
    region: str
    """The case's region."""
    region_code: int
    """The case's region, as a code."""
    regions: IntArray
    region_labels: tuple[str, ...]
    genders: IntArray
    gender_labels: tuple[str, ...]
    senior: BoolArray
    topics: tuple[str, ...]
    """The case's topics."""
    uncovered: tuple[str, ...]
    """The case's topics that no eligible reviewer covers at ``expertise.min_level``."""
    affinities: FloatArray
    new: BoolArray | None = None
    """Which of them are new reviewers (``history.min_new_share``); None: none is."""
    attributes: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    """Per reviewer attribute the panel rules read, each eligible reviewer's labels."""
    case_attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per case attribute the panel rules read, the case's labels."""


@dataclass(frozen=True, slots=True)
class Short:
    """Why one case's eligible reviewers cannot meet a rule: the message, the reviewers named."""

    message: str
    reviewers: tuple[str, ...] = ()


_SHOWN = 8
"""Ids listed in an explanation before "and N more"."""


def listed(ids: Sequence[str]) -> str:
    """The first ids, joined, and how many more there are.

    Examples
    --------
    >>> listed([f"R{i}" for i in range(10)])
    'R0, R1, R2, R3, R4, R5, R6, R7 and 2 more'
    """
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")


def _by(labels: tuple[str, ...], codes: IntArray, reviewers: Sequence[str]) -> str:
    """``R1, R2 (Africa); R3 (Europe)`` for the reviewers and their group codes."""
    groups: dict[str, list[str]] = defaultdict(list)
    for code, who in zip(codes.tolist(), reviewers, strict=True):
        groups[labels[code] if code >= 0 else "undisclosed"].append(who)
    return "; ".join(
        f"{listed(ids)} ({name or 'no region'})" for name, ids in sorted(groups.items())
    )


def _off(**values: object) -> Mapping[str, object]:
    """``off`` from ``section__key=value`` keywords (``panel__min_regions=0``)."""
    return MappingProxyType({k.replace("__", "."): v for k, v in values.items()})


_STRUCTURAL: Mapping[str, object] = MappingProxyType({})


def _assignment(key: str, words: str) -> Rule:
    """A rule of the assignment's own consistency, always on, in ``words``."""
    return Rule(key, "assignment", _always, _STRUCTURAL, False, lambda p: words, flow=_always)


def _conflict(key: str, on: Callable[[Policy], bool], off: Mapping[str, object]) -> Rule:
    """A conflict-of-interest rule on a pair, on when ``on`` says, off by ``off``."""

    def says(p: Policy) -> str:
        d = p.conflicts.relation_distance
        within = "directly related to" if d == 1 else f"within {d} relation steps of"
        return {
            "conflicts.declared": "No reviewer reviews a case they declared a conflict with.",
            "conflicts.same_institution": "No reviewer reviews a case from their own institution.",
            "conflicts.same_country": "No reviewer reviews a case from their own country.",
            "conflicts.relation_distance": (
                f"No reviewer reviews a case when they are {within} an applicant."
            ),
            "conflicts.applicant": "No reviewer reviews a case they are an applicant of.",
        }[key]

    return Rule(key, "pair", on, off, False, says, flow=_always)


def _band(kind: Literal["region", "gender"]) -> Rule:
    """The representation band of ``kind``: a hard rule while ``representation.weight`` is 0."""
    name = "region" if kind == "region" else "disclosed gender"

    def on(p: Policy) -> bool:
        rep = p.representation
        return rep.weight == 0 and (rep.region_on if kind == "region" else rep.gender_on)

    def says(p: Policy) -> str:
        rep = p.representation
        tolerance = rep.region_tolerance if kind == "region" else rep.gender_tolerance
        soft = "" if rep.weight == 0 else f" (soft: {rep.weight:g} per seat outside)"
        return (
            f"Each {name}'s share of all seats is within {100 * tolerance:g} points of its "
            f"share of the reviewer pool (or its target){soft}."
        )

    def loosen(p: Policy) -> Steps:
        rep = p.representation
        now = rep.region_tolerance if kind == "region" else rep.gender_tolerance
        wider = [round(now + 0.01 * i, 6) for i in range(1, 101) if now + 0.01 * i < 1.0]
        return (*_steps(key, wider), MappingProxyType(off))

    key = f"representation.{kind}_tolerance"
    off = {key: 1.0, f"representation.{kind}_targets": {}}
    return Rule(key, "whole", on, MappingProxyType(off), False, says, loosen=loosen)


def _own_region_states(s: Said) -> str:
    """One ``panel.own_region`` instance as a statement."""
    if s.at_most:
        return f"case {s.case} takes no reviewer from its own region ({s.region or 'none'})"
    return f"case {s.case} needs a reviewer from its own region ({s.region or 'none'})"


def _own_region_lifts(s: Said, slack: int) -> str:
    """Breaking one ``panel.own_region`` instance by ``slack``, as an instruction."""
    if s.at_most:
        return (
            f"allow {_n(slack, 'reviewer')} from the case's own region ({s.region}) on case "
            f"{s.case}"
        )
    return f"accept no reviewer from its own region ({s.region}) on case {s.case}"


def _coverage_states(s: Said) -> str:
    """One ``expertise.coverage`` instance as a statement."""
    if s.topic:
        return (
            f"case {s.case} needs topic {s.topic} covered at level "
            f"{s.policy.expertise.min_level} or more"
        )
    return f"case {s.case} needs one of its topics covered"


def _coverage_lifts(s: Said, slack: int) -> str:
    """Breaking one ``expertise.coverage`` instance, as an instruction."""
    if s.topic:
        return f"leave topic {s.topic} uncovered on case {s.case}"
    return f"leave case {s.case}'s topics uncovered"


def _coverage_says(p: Policy) -> str:
    """``expertise.coverage`` in words, as the policy sets it."""
    e = p.expertise
    words = "every topic of the case" if e.coverage == "all" else "at least one topic of the case"
    return f"Every panel covers {words} (a reviewer covers a topic at level {e.min_level} or more)."


def _cycles_says(p: Policy) -> str:
    """``integrity.forbid_cycles`` in words, as the policy sets it."""
    k = p.integrity.forbid_cycles
    if k == 2:
        return "No two reviewer-applicants review each other's cases."
    return f"No review cycle among reviewer-applicants of length {k} or less."


def _region_cap_alone(p: Pool) -> Short | None:
    """``panel.max_per_region``: the cap leaves fewer seats among the pool than the panel has."""
    m = p.policy.panel.max_per_region
    if m is None:  # the rule is off
        return None
    counts = np.bincount(p.regions, minlength=len(p.region_labels))
    most = int(np.minimum(counts, m).sum())
    if most >= p.size:
        return None
    return Short(
        f"case {p.case} needs {p.size} reviewers, at most {m} from one region; its {p.who} "
        f"allow only {most}: {_by(p.region_labels, p.regions, p.reviewers)}",
        p.reviewers,
    )


def _min_regions_alone(p: Pool) -> Short | None:
    """``panel.min_regions``: the pool comes from too few regions."""
    need, present = p.policy.panel.min_regions, len(set(p.regions.tolist()))
    if present >= need:
        return None
    return Short(
        f"case {p.case} needs reviewers from {need} distinct regions; its {p.who} come from "
        f"only {present}: {_by(p.region_labels, p.regions, p.reviewers)}",
        p.reviewers,
    )


def _own_region_alone(p: Pool) -> Short | None:
    """``panel.own_region = "at_least_one"``: no one in the pool is from the case's region."""
    if p.policy.panel.own_region != "at_least_one" or np.any(p.regions == p.region_code):
        return None  # "exclude" removes single pairs: the pool is already without them
    return Short(
        f"case {p.case} needs a reviewer from its own region ({p.region or 'no region'}); "
        f"none of its {p.who} is",
        p.reviewers,
    )


def _gender_cap_alone(p: Pool) -> Short | None:
    """``panel.max_per_gender``: the cap leaves too few seats (an undisclosed gender is free)."""
    m = p.policy.panel.max_per_gender
    if m is None:  # the rule is off
        return None
    disclosed = p.genders[p.genders >= 0]
    counts = np.bincount(disclosed, minlength=len(p.gender_labels))
    most = int(np.minimum(counts, m).sum()) + int(np.sum(p.genders < 0))
    if most >= p.size:
        return None
    return Short(
        f"case {p.case} needs {p.size} reviewers, at most {m} of one gender; its {p.who} "
        f"allow only {most}: {_by(p.gender_labels, p.genders, p.reviewers)}",
        p.reviewers,
    )


def _min_genders_alone(p: Pool) -> Short | None:
    """``panel.min_genders``: the pool discloses too few genders."""
    need, present = p.policy.panel.min_genders, len(set(p.genders[p.genders >= 0].tolist()))
    if present >= need:
        return None
    return Short(
        f"case {p.case} needs {need} distinct genders; its {p.who} show only {present}: "
        f"{_by(p.gender_labels, p.genders, p.reviewers)}",
        p.reviewers,
    )


def _min_senior_alone(p: Pool) -> Short | None:
    """``panel.min_senior``: the pool has too few senior reviewers."""
    need = p.policy.panel.min_senior
    seniors = tuple(n for n, s in zip(p.reviewers, p.senior, strict=True) if s)
    if len(seniors) >= need:
        return None
    return Short(
        f"case {p.case} needs {need} senior reviewers; its {p.who} include {len(seniors)}: "
        f"{listed(seniors) or 'none'}",
        seniors,
    )


def _coverage_alone(p: Pool) -> Short | None:
    """``expertise.coverage``: a topic (``all``) or every topic (``any``) no one covers."""
    e = p.policy.expertise
    if not p.topics:
        return None
    if e.coverage == "all" and p.uncovered:
        return Short(
            f"case {p.case} needs topic(s) {', '.join(p.uncovered)} covered at level "
            f"{e.min_level} or more; none of its {p.who} covers them"
        )
    if e.coverage == "any" and len(p.uncovered) == len(p.topics):
        return Short(
            f"case {p.case} needs one of its topics covered at level {e.min_level} or more; "
            f"none of its {p.who} covers any"
        )
    return None


def _panel_floor_alone(p: Pool) -> Short | None:
    """``expertise.min_panel_affinity``: the pool's best panel falls short of the floor."""
    floor, k = p.policy.expertise.min_panel_affinity, p.size
    best = np.sort(p.affinities)[::-1][:k]
    # The solver's resolution: a panel within it of the floor is accepted.
    if float(best.sum()) >= floor - 1e-6 * (k + 1):
        return None
    top = tuple(p.reviewers[int(i)] for i in np.argsort(-p.affinities, kind="stable")[:k])
    return Short(
        f"case {p.case} needs a panel affinity of at least {floor:g}; the best {k} of its "
        f"{p.who} reach only {float(best.sum()):.4g} ({listed(top)})",
        top,
    )


def _disjoint_states(s: Said) -> str:
    """One ``pairs.disjoint`` instance as a statement."""
    return f"{s.reviewer} and {s.other} never sit on one panel (case {s.case})"


def _disjoint_lifts(s: Said, slack: int) -> str:
    """Breaking one ``pairs.disjoint`` instance, as an instruction."""
    return f"let {s.reviewer} and {s.other} sit together on case {s.case}"


_FORCED = Rule(
    "pairs.forced",
    "pair",
    _always,  # applies to the forced pairs a solve is given, as declared conflicts do
    _STRUCTURAL,
    False,
    lambda p: "Every forced (case, reviewer) pair given to the solve is in the assignment.",
    flow=_always,  # an arc with lower bound 1: taken out of the network, its seat pre-assigned
)
"""Forced pairs (``solve(..., forced=...)``): a network takes them (``_backends.flow``
pre-assigns each one); the lottery refuses them before it asks (``_workflows.random``)."""

_DISJOINT = Rule(
    "pairs.disjoint",
    "case",
    _always,  # applies to the pairs the problem lists, as declared conflicts do
    _STRUCTURAL,
    True,
    lambda p: "No two reviewers the problem lists as disjoint sit on one panel.",
    states=_disjoint_states,
    lifts=_disjoint_lifts,
)

_LINKED = Rule(
    "pairs.linked",
    "whole",
    _always,  # applies to the groups the problem lists
    _STRUCTURAL,
    False,
    lambda p: (
        "Linked cases share reviewers as the problem lists: every two cases of a group "
        "have at least the group's number of reviewers in common (the same panel when "
        "no number is given)."
    ),
)


def new_seats(policy: Policy, size: int) -> int:
    """The seats of a panel of ``size`` that ``history.min_new_share`` gives new reviewers.

    ``ceil(share * size)``, read with a margin of 1e-9 so that ``1/3`` of 3 seats is 1.

    Examples
    --------
    >>> from reviewassign import Policy
    >>> new_seats(Policy(history={"min_new_share": 0.34}), 3)
    2
    >>> new_seats(Policy(history={"min_new_share": 1 / 3}), 3)
    1
    """
    return max(0, math.ceil(policy.history.min_new_share * size - 1e-9))


def _new_share_alone(p: Pool) -> Short | None:
    """``history.min_new_share``: the pool holds fewer new reviewers than the panel needs."""
    need = new_seats(p.policy, p.size)
    flags = p.new if p.new is not None else np.zeros(len(p.reviewers), dtype=np.bool_)
    new = tuple(n for n, x in zip(p.reviewers, flags.tolist(), strict=True) if x)
    if len(new) >= need:
        return None
    return Short(
        f"case {p.case} needs {_n(need, 'seat')} held by new reviewers (no seat in the "
        f"history); its {p.who} include {len(new)}: {listed(new) or 'none'}",
        new,
    )


def _window(years: int | None) -> str:
    """`` within the last n years`` (or nothing, for every year of the history)."""
    return "" if years is None else f" within the last {_n(years, 'year')}"


def _repeat_says(p: Policy) -> str:
    """``history.max_repeat_pairs`` in words, as the policy sets it."""
    k, within = p.history.max_repeat_pairs or 0, _window(p.history.pair_years)
    if k == 0:
        return f"No two reviewers who sat on one panel{within} sit together again."
    return (
        f"Two reviewers who sat on one panel{within} sit together on at most "
        f"{_n(k, 'panel')} this round."
    )


def _institution_says(p: Policy) -> str:
    """``history.institution_years`` in words, as the policy sets it."""
    return (
        "No reviewer reviews a case from an institution of a case they reviewed"
        f"{_window(p.history.institution_years)}."
    )


def _new_share_says(p: Policy) -> str:
    """``history.min_new_share`` in words, as the policy sets it."""
    h = p.history
    return (
        f"At least {100 * h.min_new_share:g} % of the seats of every panel (rounded up) go to "
        f"new reviewers, with no seat in the history{_window(h.new_years)}."
    )


def _entry(policy: Policy, name: str) -> AttributeRule | None:
    """The ``[[panel.rules]]`` entry called ``name``, if there is one."""
    return next((r for r in policy.panel.rules if r.name == name), None)


def _panel_rules_says(p: Policy) -> str:
    """``panel.rules`` in words: each entry, named."""
    said = "; ".join(f'"{r.name}": {r.words()}' for r in p.panel.rules)
    return f"Panel rules on every panel: {said or 'none'}."


def _panel_rules_states(s: Said) -> str:
    """One instance of a ``[[panel.rules]]`` entry on one case, as a statement."""
    r = _entry(s.policy, s.entry)
    head = f'panel rule "{s.entry}": case {s.case}'
    if r is None:
        bound = "at most" if s.at_most else "at least"
        return f"{head} needs {bound} {s.limit}"
    if r.kind == "min_distinct":
        return f"{head} needs at least {s.limit} distinct values of {r.attribute}"
    if r.kind == "max_per_value":
        return f"{head} takes at most {_n(s.limit, 'seat')} per value of {r.attribute}"
    if s.at_most:
        return f"{head} takes at most {_n(s.limit, 'seat')} {r.counted()}"
    return f"{head} needs at least {_n(s.limit, 'seat')} {r.counted()}"


def _panel_rules_lifts(s: Said, slack: int) -> str:
    """Breaking one instance of a ``[[panel.rules]]`` entry by ``slack``, as an instruction."""
    r = _entry(s.policy, s.entry)
    on = f'on case {s.case} (panel rule "{s.entry}")'
    if r is None:
        return f"move the bound from {s.limit} by {slack} {on}"
    if r.kind == "min_distinct":
        return f"accept {s.limit - slack} distinct values of {r.attribute} {on}"
    if r.kind == "max_per_value":
        return f"allow {_n(s.limit + slack, 'seat')} per value of {r.attribute} {on}"
    if s.at_most:
        return f"allow {_n(s.limit + slack, 'seat')} {r.counted()} {on}"
    return f"accept {_n(s.limit - slack, 'seat')} {r.counted()} {on}"


def counts(rule: AttributeRule, reviewer: Sequence[str], case: Sequence[str]) -> bool:
    """Whether a seat counts for a values, same_as or different_from entry (explain's test).

    ``reviewer`` holds the reviewer's labels of the entry's attribute, ``case`` the case's
    labels of its ``same_as`` or ``different_from`` attribute; an unknown side counts for
    neither.
    """
    if rule.kind == "values":
        return bool(set(reviewer) & set(rule.values))
    if not reviewer or not case:
        return False
    shared = bool(set(reviewer) & set(case))
    return shared if rule.kind == "same_as" else not shared


def _entry_alone(p: Pool, r: AttributeRule) -> Short | None:
    """One ``[[panel.rules]]`` entry against one case's pool (None: the pool may meet it)."""
    held = p.attributes.get(r.attribute, ((),) * len(p.reviewers))
    named = f'(panel rule "{r.name}")'
    if r.kind in ("min_distinct", "max_per_value"):
        labels = sorted({label for mine in held for label in mine})
        if r.kind == "min_distinct" and len(labels) < (r.min_distinct or 0):
            return Short(
                f"case {p.case} needs at least {r.min_distinct} distinct values of "
                f"{r.attribute} {named}; its {p.who} show {len(labels)}: "
                f"{', '.join(labels) or 'none'}",
                p.reviewers,
            )
        if r.kind == "max_per_value":
            cap = r.max_per_value or 0
            most = sum(min(cap, sum(label in mine for mine in held)) for label in labels)
            most += sum(1 for mine in held if not mine)
            if most < p.size:
                return Short(
                    f"case {p.case} needs {p.size} reviewers, at most {cap} per value of "
                    f"{r.attribute} {named}; its {p.who} allow only {most}",
                    p.reviewers,
                )
        return None
    other = r.same_as or r.different_from or ""
    case = p.case_attributes.get(other, ())
    yes = tuple(n for n, mine in zip(p.reviewers, held, strict=True) if counts(r, mine, case))
    if r.at_least is not None and len(yes) < r.at_least:
        return Short(
            f"case {p.case} needs at least {_n(r.at_least, 'seat')} {r.counted()} {named}; "
            f"its {p.who} include {len(yes)}: {listed(yes) or 'none'}",
            yes,
        )
    if r.at_most is not None and len(p.reviewers) - len(yes) < p.size - r.at_most:
        return Short(
            f"case {p.case} needs {p.size} reviewers, at most {r.at_most} of them "
            f"{r.counted()} {named}; its {p.who} hold only {len(p.reviewers) - len(yes)} others",
            tuple(n for n in p.reviewers if n not in yes),
        )
    return None


def _panel_rules_alone(p: Pool) -> Short | None:
    """``panel.rules``: the first entry applying to the case that its pool cannot meet."""
    for r in p.policy.panel.rules:
        if not r.applies(p.case_attributes.get):
            continue
        short = _entry_alone(p, r)
        if short is not None:
            return short
    return None


def _attribute_bands_says(p: Policy) -> str:
    """``representation.bands`` in words, as the policy sets it."""
    rep = p.representation
    each = ", ".join(f"{b.attribute} within {100 * b.tolerance:g} points" for b in rep.bands)
    soft = "" if rep.weight == 0 else f" (soft: {rep.weight:g} per seat outside)"
    return (
        f"Each value's share of all seats is near its share of the reviewer pool (or its "
        f"target): {each or 'no attribute'}{soft}."
    )


RULES: tuple[Rule, ...] = (
    _assignment(
        "assignment.unknown_case", "Every case of the assignment is a case of the problem."
    ),
    _assignment(
        "assignment.unknown_reviewer",
        "Every reviewer of the assignment is a reviewer of the problem.",
    ),
    _assignment("assignment.duplicate", "No reviewer sits twice on one panel."),
    Rule(
        "panel_size",
        "case",
        _always,
        _STRUCTURAL,
        False,
        lambda p: f"Every case gets a panel of {_n(p.panel_size, 'reviewer')}",
        flow=_always,
    ),
    Rule(
        "load.min",
        "reviewer",
        _always,  # a reviewer's own min_load may set it under load.min = 0
        _off(load__min=0),
        True,
        lambda p: (
            f"Every reviewer reviews at least {_n(p.load.min, 'case')}"
            " (a reviewer's own minimum overrides)."
        ),
        states=lambda s: f"reviewer {s.reviewer} takes at least {_n(s.limit, 'review')}",
        lifts=lambda s, slack: (
            f"lower {s.reviewer}'s minimum load from {s.limit} to {s.limit - slack}"
        ),
        flow=_always,
        loosen=lambda p: _down("load.min", p.load.min),
    ),
    Rule(
        "load.max",
        "reviewer",
        _always,
        _STRUCTURAL,
        True,
        lambda p: (
            f"No reviewer reviews more than {_n(p.load.max, 'case')}"
            " (a reviewer's own maximum overrides)."
        ),
        states=lambda s: f"reviewer {s.reviewer} takes at most {_n(s.limit, 'review')}",
        lifts=lambda s, slack: (
            f"raise {s.reviewer}'s maximum load from {s.limit} to {s.limit + slack}"
        ),
        flow=_always,
        loosen=lambda p: _steps(
            "load.max", range(p.load.max + 1, min(p.load.max + _LOAD_STEPS, MAX_COUNT + 1))
        ),
    ),
    Rule(
        "load.max_weak_matches",
        "whole",
        lambda p: p.load.max_weak_matches is not None,
        _off(load__max_weak_matches=None),
        False,
        lambda p: (
            f"No reviewer gets more than {_n(p.load.max_weak_matches or 0, 'case')} of affinity "
            f"below {p.load.weak_match_below:g}."
        ),
        loosen=lambda p: _up_to_off(
            "load.max_weak_matches", p.load.max_weak_matches, (p.load.max_weak_matches or 0) + 20
        ),
    ),
    _conflict("conflicts.declared", _always, _STRUCTURAL),
    _conflict(
        "conflicts.same_institution",
        lambda p: p.conflicts.same_institution,
        _off(conflicts__same_institution=False),
    ),
    _conflict(
        "conflicts.same_country",
        lambda p: p.conflicts.same_country,
        _off(conflicts__same_country=False),
    ),
    _conflict(
        "conflicts.relation_distance",
        lambda p: p.conflicts.relation_distance > 0,
        _off(conflicts__relation_distance=0),
    ),
    _conflict("conflicts.applicant", _always, _STRUCTURAL),
    _FORCED,
    Rule(
        "panel.max_per_region",
        "case",
        lambda p: p.panel.max_per_region is not None,
        _off(panel__max_per_region=None),
        True,
        lambda p: (
            f"At most {_n(p.panel.max_per_region or 0, 'reviewer')} per region on every panel."
        ),
        states=lambda s: (
            f"case {s.case} has at most {s.limit} reviewer(s) from one region {s.seen}"
        ),
        lifts=lambda s, slack: (
            f"allow {s.limit + slack} reviewers from one region on case {s.case}"
        ),
        alone=_region_cap_alone,
        flow=_always,  # one (case, region) node layer
        loosen=lambda p: _up_to_off("panel.max_per_region", p.panel.max_per_region, p.panel_size),
    ),
    Rule(
        "panel.min_regions",
        "case",
        lambda p: p.panel.min_regions > 0,
        _off(panel__min_regions=0),
        True,
        lambda p: f"At least {_n(p.panel.min_regions, 'distinct region')} on every panel.",
        states=lambda s: f"case {s.case} needs reviewers from at least {s.limit} regions {s.seen}",
        lifts=lambda s, slack: f"accept {_n(s.limit - slack, 'region')} on case {s.case}",
        alone=_min_regions_alone,
        flow=lambda p: p.panel.min_regions <= 1,  # 1: every panel has a seat
        loosen=lambda p: _down("panel.min_regions", p.panel.min_regions),
    ),
    Rule(
        "panel.own_region",
        "case",
        lambda p: p.panel.own_region != "any",
        _off(panel__own_region="any"),
        True,
        lambda p: (
            "No reviewer from the case's own region."
            if p.panel.own_region == "exclude"
            else "At least one reviewer from the case's own region on every panel."
        ),
        states=_own_region_states,
        lifts=_own_region_lifts,
        alone=_own_region_alone,
        flow=lambda p: p.panel.own_region != "at_least_one",  # "exclude" removes single pairs
        loosen=lambda p: _steps("panel.own_region", ["any"]),
    ),
    Rule(
        "panel.max_per_gender",
        "case",
        lambda p: p.panel.max_per_gender is not None,
        _off(panel__max_per_gender=None),
        True,
        lambda p: (
            f"At most {_n(p.panel.max_per_gender or 0, 'seat')} of one disclosed gender on "
            "every panel."
        ),
        states=lambda s: f"case {s.case} has at most {s.limit} reviewer(s) of one gender",
        lifts=lambda s, slack: f"allow {s.limit + slack} reviewers of one gender on case {s.case}",
        alone=_gender_cap_alone,
        loosen=lambda p: _up_to_off("panel.max_per_gender", p.panel.max_per_gender, p.panel_size),
    ),
    Rule(
        "panel.min_genders",
        "case",
        lambda p: p.panel.min_genders > 0,
        _off(panel__min_genders=0),
        True,
        lambda p: (
            f"At least {_n(p.panel.min_genders, 'distinct disclosed gender')} on every panel."
        ),
        states=lambda s: (
            f"case {s.case} needs at least {s.limit} genders (its eligible reviewers "
            f"disclose {s.genders})"
        ),
        lifts=lambda s, slack: f"accept {_n(s.limit - slack, 'gender')} on case {s.case}",
        alone=_min_genders_alone,
        loosen=lambda p: _down("panel.min_genders", p.panel.min_genders),
    ),
    Rule(
        "panel.min_senior",
        "case",
        lambda p: p.panel.min_senior > 0,
        _off(panel__min_senior=0),
        True,
        lambda p: f"At least {_n(p.panel.min_senior, 'senior reviewer')} on every panel.",
        states=lambda s: f"case {s.case} needs {_n(s.limit, 'senior reviewer')}",
        lifts=lambda s, slack: f"accept {_n(s.limit - slack, 'senior reviewer')} on case {s.case}",
        alone=_min_senior_alone,
        loosen=lambda p: _down("panel.min_senior", p.panel.min_senior),
    ),
    Rule(
        "panel.language",
        "case",
        lambda p: p.panel.language,
        _off(panel__language=False),
        True,
        lambda p: "Every panel member reads the case's language.",
        states=lambda s: f"every reviewer of case {s.case} reads {s.language}",
        lifts=lambda s, slack: (
            f"allow {_n(slack, 'reviewer')} who do(es) not read {s.language} on case {s.case}"
        ),
        flow=_always,  # removes single pairs
        loosen=lambda p: _steps("panel.language", [False]),
    ),
    Rule(
        "panel.rules",
        "case",
        lambda p: bool(p.panel.rules),
        _off(panel__rules=()),
        True,
        _panel_rules_says,
        states=_panel_rules_states,
        lifts=_panel_rules_lifts,
        alone=_panel_rules_alone,
        # Entries of at_most = 0 alone remove single pairs (``_reduce.eligible``).
        flow=lambda p: all(r.excludes_pairs for r in p.panel.rules),
        loosen=_rules_steps,
    ),
    Rule(
        "expertise.coverage",
        "case",
        lambda p: p.expertise.coverage != "none",
        _off(expertise__coverage="none"),
        True,
        _coverage_says,
        states=_coverage_states,
        lifts=_coverage_lifts,
        alone=_coverage_alone,
        loosen=_coverage_steps,
    ),
    Rule(
        "expertise.min_panel_affinity",
        "case",
        lambda p: p.expertise.min_panel_affinity > 0,
        _off(expertise__min_panel_affinity=0.0),
        True,
        lambda p: f"Every panel's affinity is at least {p.expertise.min_panel_affinity:g}.",
        states=lambda s: (
            f"case {s.case} needs a panel affinity of at least "
            f"{s.policy.expertise.min_panel_affinity:g}"
        ),
        lifts=lambda s, slack: (
            f"accept a panel affinity of {(s.limit - slack) / s.scale:.6g} on case {s.case}"
        ),
        alone=_panel_floor_alone,
        loosen=lambda p: _steps(
            "expertise.min_panel_affinity",
            [round(p.expertise.min_panel_affinity * (10 - i) / 10, 6) for i in range(1, 11)],
        ),
    ),
    _DISJOINT,
    _LINKED,
    _band("region"),
    _band("gender"),
    Rule(
        "representation.bands",
        "whole",
        lambda p: p.representation.weight == 0 and p.representation.bands_on,
        _off(representation__bands=()),
        False,
        _attribute_bands_says,
        loosen=lambda p: _steps("representation.bands", [()]),
    ),
    Rule(
        "integrity.forbid_cycles",
        "whole",
        lambda p: p.integrity.forbid_cycles > 0,
        _off(integrity__forbid_cycles=0),
        False,
        _cycles_says,
        loosen=lambda p: _steps(
            "integrity.forbid_cycles", [*range(p.integrity.forbid_cycles - 1, 1, -1), 0]
        ),
    ),
    Rule(
        "history.institution_years",
        "pair",
        lambda p: p.history.institution_years > 0,
        _off(history__institution_years=0),
        False,
        _institution_says,
        flow=_always,  # removes single pairs
        loosen=lambda p: _down("history.institution_years", p.history.institution_years),
    ),
    Rule(
        "history.min_new_share",
        "case",
        lambda p: p.history.min_new_share > 0,
        _off(history__min_new_share=0.0),
        True,
        _new_share_says,
        states=lambda s: f"case {s.case} needs {_n(s.limit, 'seat')} held by new reviewers",
        lifts=lambda s, slack: f"accept {_n(s.limit - slack, 'new reviewer')} on case {s.case}",
        alone=_new_share_alone,
        loosen=lambda p: _steps(
            "history.min_new_share",
            [
                round(p.history.min_new_share - 0.05 * i, 6)
                for i in range(1, 21)
                if p.history.min_new_share - 0.05 * i > 1e-9
            ]
            + [0.0],
        ),
    ),
    Rule(
        "history.max_repeat_pairs",
        "whole",
        lambda p: p.history.max_repeat_pairs is not None,
        _off(history__max_repeat_pairs=None),
        False,
        _repeat_says,
        loosen=lambda p: _up_to_off(
            "history.max_repeat_pairs",
            p.history.max_repeat_pairs,
            (p.history.max_repeat_pairs or 0) + 20,
        ),
    ),
)
"""Every rule, in the order ``check`` lists its violations."""

_BY_KEY = {r.key: r for r in RULES}


def keys() -> tuple[str, ...]:
    """Every rule key, in check order."""
    return tuple(_BY_KEY)


def rule(key: str) -> Rule:
    """The record of ``key``; ``KeyError`` for a key that names no rule."""
    return _BY_KEY[key]


def active(policy: Policy) -> tuple[Rule, ...]:
    """The rules ``policy`` turns on, in check order.

    Examples
    --------
    >>> from reviewassign import Policy
    >>> [r.key for r in active(Policy()) if r.scope == "case"]
    ['panel_size', 'panel.language', 'pairs.disjoint']
    """
    return tuple(r for r in RULES if r.on(policy))


def region_cap(policy: Policy) -> int | None:
    """The most seats one region may hold on a panel; None when the region cap is off.

    The one accessor of the cap for the code that prunes, bounds or builds networks
    around it (``_reduce.eligible``, ``_pipeline.lagrangian``, ``_backends.flow``) beside
    its encodings.
    """
    return policy.panel.max_per_region
