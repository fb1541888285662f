"""Policy-level reasons: the seats a group of reviewers must hold, against what it can hold.

Each panel rule that is on asks every panel for a least number of seats from some group
of reviewers: ``min_senior`` asks seniors, the language rule asks readers, a gender cap
asks reviewers of undisclosed gender for the seats the capped genders cannot fill. Two
rules together ask more: every seat of a Spanish case needs a reader of Spanish, and
with at most one seat per region, readers from outside Latin America must hold all but
one. Summed over the cases, a need is set against what the group can hold: each member
at most their maximum load, and one seat on each panel they are eligible for (a maximum
flow when the simple count is not enough). When the need is more, no assignment exists,
and the reason says so in the policy's terms: the keys, the counts and a few ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .._data.model import Problem
from .._data.policy import Policy
from .._data.rules import rule
from .._reduce.eligible import Instance, PanelRule

if TYPE_CHECKING:
    from .._backends.transport import Held

__all__ = ["Need", "Shortfall", "broken_floor", "needs", "shortfalls"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EXAMPLES = 3
"""How many case and reviewer ids a reason names."""

_FLOW_MARGIN = 1.25
"""A need of one rule whose simple count passes is always tested by a maximum flow (a
subset of the cases may still fall short); a need of two rules only when what the group
can hold is less than this many times the need (there are many of them)."""


@dataclass(frozen=True, slots=True)
class Need:
    """Seats a group of reviewers must hold on each panel, and the rules that ask it."""

    keys: tuple[str, ...]
    """The policy keys that make the need (the group's loads are ``load.max``)."""
    group: str
    """The group in words, plural: ``"reviewers of undisclosed gender"``."""
    members: BoolArray
    seats: IntArray
    """Per case, the seats the group must hold on its panel."""
    how: str
    """How the rules make the need, in words (the start of the reason)."""
    fallback: bool = False
    """Made from every seat among the eligible (no rule's group): said only for cases no
    other shortfall names."""


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A need the group cannot meet: the cases that fall short and what they would need."""

    need: Need
    cases: tuple[str, ...]
    reviewers: tuple[str, ...]
    seats: int
    """The seats the short cases need from the group."""
    held: int
    """The most of them the group can hold."""
    message: str
    on: BoolArray
    """Per case: among the short cases."""

    def fewest_cases(self) -> int:
        """The fewest short cases whose need must go for the rest to fit.

        Each case's need goes whole at most: the largest needs first, until
        ``seats - held`` is covered.
        """
        needs = np.sort(self.need.seats[self.on])[::-1]
        covered = np.cumsum(needs)
        return int(np.searchsorted(covered, self.seats - self.held) + 1)


@dataclass(frozen=True, slots=True)
class _Cap:
    """A per-panel cap: at most ``k`` seats from each of ``values`` on the cases ``on``."""

    key: str
    what: str  # "per gender"
    values: tuple[tuple[str, BoolArray], ...]  # (label, its reviewers)
    k: int
    on: BoolArray
    partition: bool  # every reviewer holds at most one of the values
    those: str  # "of gender {}": the reviewers of one value, for "other than those ..."


def _seats(n: int, word: str = "seat") -> str:
    """``n word``, plural unless ``n`` is 1."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _each(inst: Instance, seats: IntArray, group: str) -> str:
    """``every panel needs 1 of the group``, or how many panels need how many."""
    needy = seats[seats > 0]
    if not needy.size:
        return "no panel needs any"
    lo, hi = int(needy.min()), int(needy.max())
    some = f"a {_singular(group)}" if hi == 1 else f"{lo if lo == hi else f'{lo} to {hi}'} {group}"
    if len(needy) == inst.n_cases:
        return f"every panel needs {some}"
    return f"{len(needy)} panels need {some}"


def _some(ids: list[str]) -> str:
    """The first few ids, and how many more."""
    more = len(ids) - _EXAMPLES
    return ", ".join(ids[:_EXAMPLES]) + (f" and {more} more" if more > 0 else "")


def _singular(group: str) -> str:
    """``reviewers of ...`` -> ``reviewer of ...`` (the groups are all named so)."""
    return group.replace("reviewers", "reviewer", 1).replace(" who cover ", " who covers ", 1)


def _need(
    inst: Instance, keys: tuple[str, ...], group: str, members: BoolArray, seats: IntArray, how: str
) -> Need | None:
    """A need, or None when no panel asks anything of the group."""
    seats = np.maximum(seats, 0).astype(np.int64)
    if not seats.any():
        return None
    return Need(keys, group, members, seats, how)


def _floors(inst: Instance, problem: Problem, policy: Policy) -> Iterator[Need]:
    """The needs of single rules: seniors, readers, experts, own region, genders, entries."""
    zero = np.zeros(inst.n_cases, dtype=np.int64)
    if policy.panel.min_senior > 0:
        m = policy.panel.min_senior
        need = _need(
            inst,
            ("panel.min_senior",),
            "senior reviewers",
            inst.reviewer_senior,
            zero + m,
            f"every panel needs {_seats(m, 'senior reviewer')} (panel.min_senior = {m})",
        )
        if need is not None:
            yield need
    yield from _readers(inst, problem, policy)
    yield from _experts(inst, policy)
    yield from _own_region(inst, policy)
    yield from _distinct(inst, policy)
    for entry in inst.panel_rules:
        if entry.at_least:
            yield from _entry_floor(inst, entry)


def _readers(inst: Instance, problem: Problem, policy: Policy) -> Iterator[Need]:
    """Each language: every seat of its cases needs a reader."""
    if not rule("panel.language").on(policy):
        return
    languages = sorted({c.language for c in problem.cases if c.language})
    for lang in languages:
        on = np.array([c.language == lang for c in problem.cases], dtype=np.bool_)
        readers = np.array([lang in r.languages for r in problem.reviewers], dtype=np.bool_)
        need = _need(
            inst,
            ("panel.language",),
            f"reviewers who read {lang}",
            readers,
            np.where(on, inst.panel_size, 0),
            f"every seat on a case in {lang} needs a reader of {lang} (panel.language)",
        )
        if need is not None:
            yield need


def _experts(inst: Instance, policy: Policy) -> Iterator[Need]:
    """Each topic under ``coverage = "all"``: one expert on each of its cases."""
    if policy.expertise.coverage != "all":
        return
    level = policy.expertise.min_level
    for topic in sorted({t for topics in inst.case_topics for t in topics}):
        on = np.array([topic in topics for topics in inst.case_topics], dtype=np.int64)
        group = f"reviewers who cover {topic} at level {level} or more"
        need = _need(
            inst,
            ("expertise.coverage",),
            group,
            inst.reviewer_covers[topic],
            on,
            f'every case on {topic} needs a {_singular(group)} (expertise.coverage = "all")',
        )
        if need is not None:
            yield need


def _own_region(inst: Instance, policy: Policy) -> Iterator[Need]:
    """Own region: a reviewer of it on each case (``at_least_one``), or none (``exclude``)."""
    rule_ = policy.panel.own_region
    if rule_ == "any":
        return
    for code, label in enumerate(inst.regions):
        on = inst.case_region == code
        name = label or "no region"
        if rule_ == "at_least_one":
            group = f"reviewers from {name}"
            need = _need(
                inst,
                ("panel.own_region",),
                group,
                inst.reviewer_region == code,
                on.astype(np.int64),
                f"every case from {name} needs a {_singular(group)} "
                '(panel.own_region = "at_least_one")',
            )
        else:
            group = f"reviewers from outside {name}"
            need = _need(
                inst,
                ("panel.own_region",),
                group,
                inst.reviewer_region != code,
                np.where(on, inst.panel_size, 0),
                f"every seat on a case from {name} needs a {_singular(group)} "
                '(panel.own_region = "exclude")',
            )
        if need is not None:
            yield need


def _distinct(inst: Instance, policy: Policy) -> Iterator[Need]:
    """At least m genders (regions): m - 1 seats of genders (regions) other than each one."""
    for key, m, labels, codes, what in (
        (
            "panel.min_genders",
            policy.panel.min_genders,
            inst.genders,
            inst.reviewer_gender,
            "a disclosed gender other than",
        ),
        (
            "panel.min_regions",
            policy.panel.min_regions,
            inst.regions,
            inst.reviewer_region,
            "a region other than",
        ),
    ):
        if m < 2:
            continue
        for code, label in enumerate(labels):
            group = f"reviewers of {what} {label or 'no region'}"
            need = _need(
                inst,
                (key,),
                group,
                (codes >= 0) & (codes != code),
                np.full(inst.n_cases, m - 1, dtype=np.int64),
                f"with at least {m} distinct values on every panel ({key} = {m}), every panel "
                f"needs {_seats(m - 1, 'reviewer')} of {what} {label or 'no region'}",
            )
            if need is not None:
                yield need


def _entry_floor(inst: Instance, entry: PanelRule) -> Iterator[Need]:
    """A ``[[panel.rules]]`` entry of ``at_least = k``: k counted seats on each of its cases.

    The counted reviewers may depend on the case (``same_as``): one need per distinct set.
    """
    everyone = np.arange(inst.n_reviewers, dtype=np.int64)
    by_set: dict[bytes, tuple[BoolArray, list[int]]] = {}
    for c in np.flatnonzero(entry.applies).tolist():
        counted = entry.counted(c, everyone)
        by_set.setdefault(counted.tobytes(), (counted, []))[1].append(c)
    k = int(entry.at_least or 0)
    for counted, cases in by_set.values():
        seats = np.zeros(inst.n_cases, dtype=np.int64)
        seats[cases] = k
        group = f'reviewers whose seats count for panel rule "{entry.name}"'
        need = _need(
            inst,
            ("panel.rules",),
            group,
            counted,
            seats,
            f'panel rule "{entry.name}" needs {_seats(k)} counted on each of its cases',
        )
        if need is not None:
            yield need


def _caps(inst: Instance, policy: Policy) -> list[_Cap]:
    """The per-panel caps that are on: gender, region, and ``[[panel.rules]]`` caps."""
    every = np.ones(inst.n_cases, dtype=np.bool_)
    caps = []
    gender_cap, region_cap = policy.panel.max_per_gender, policy.panel.max_per_region
    if gender_cap is not None:
        genders = tuple((g, inst.reviewer_gender == i) for i, g in enumerate(inst.genders))
        caps.append(
            _Cap(
                "panel.max_per_gender",
                "per gender",
                genders,
                gender_cap,
                every,
                True,
                "of gender {}",
            )
        )
    if region_cap is not None:
        regions = tuple(
            (g or "no region", inst.reviewer_region == i) for i, g in enumerate(inst.regions)
        )
        caps.append(
            _Cap("panel.max_per_region", "per region", regions, region_cap, every, True, "from {}")
        )
    attribute = {r.name: r.attribute for r in policy.panel.rules}
    for entry in inst.panel_rules:
        if entry.kind == "max_per_value":
            labels = tuple(
                (label, entry.coded.has[:, i]) for i, label in enumerate(entry.coded.labels)
            )
            caps.append(
                _Cap(
                    "panel.rules",
                    f'per value (panel rule "{entry.name}")',
                    labels,
                    entry.limit,
                    entry.applies,
                    False,
                    f"with {attribute[entry.name]} {{}}",
                )
            )
        elif entry.kind == "values" and entry.at_most:
            counted = np.asarray(
                entry.coded.has[:, list(entry.value_codes)].any(axis=1), dtype=np.bool_
            )
            caps.append(
                _Cap(
                    "panel.rules",
                    f'counted by panel rule "{entry.name}"',
                    (("counted", counted),),
                    entry.at_most,
                    entry.applies,
                    False,
                    f'counted by panel rule "{entry.name}"',
                )
            )
    return caps


def _uncapped(inst: Instance, cap: _Cap) -> Need | None:
    """The seats a partition cap leaves to reviewers with none of its values.

    Case ``c`` can seat at most ``min(k, eligible of the value)`` per value; the rest of
    its panel must come from the others (undisclosed genders, for a gender cap).
    """
    if not cap.partition:
        return None
    free = ~np.logical_or.reduce([m for _, m in cap.values]) if cap.values else None
    if free is None or not free.any():
        return None
    seats = inst.panel_size.copy()
    for c in np.flatnonzero(cap.on).tolist():
        revs = inst.pair_reviewer[inst.case_pairs(c)]
        seats[c] -= sum(min(cap.k, int(m[revs].sum())) for _, m in cap.values)
    seats[~cap.on] = 0
    what = "gender" if cap.key == "panel.max_per_gender" else "value"
    group = f"reviewers of undisclosed {what}"
    size = int(inst.panel_size.max())
    return _need(
        inst,
        (cap.key, "panel_size"),
        group,
        free,
        seats,
        f"with at most {_seats(cap.k)} {cap.what} on panels of {size}, "
        + _each(inst, np.maximum(seats, 0), group),
    )


def _floor_cap(inst: Instance, floor: Need, cap: _Cap) -> Iterator[Need]:
    """A floor under a cap: with at most k seats of value v, the group outside v holds the rest."""
    for label, mine in cap.values:
        if not (floor.members & mine).any():
            continue
        seats = np.where(cap.on, floor.seats - cap.k, 0)
        group = f"{floor.group}, other than those {cap.those.format(label)}"
        need = _need(
            inst,
            (*floor.keys, cap.key),
            group,
            floor.members & ~mine,
            seats,
            f"{floor.how}; with at most {_seats(cap.k)} {cap.what} ({cap.key} = {cap.k}), "
            + _each(inst, np.maximum(seats, 0), group),
        )
        if need is not None:
            yield replace(need, fallback=floor.fallback)


def _floor_pair(inst: Instance, a: Need, b: Need) -> Need | None:
    """Two floors on one panel: ``m_a + m_b - size`` seats of reviewers in both groups."""
    seats = a.seats + b.seats - inst.panel_size
    seats[(a.seats == 0) | (b.seats == 0)] = 0
    if not (seats > 0).any():
        return None
    group = f"{a.group} and among the {b.group}"
    return _need(
        inst,
        (*a.keys, *b.keys),
        group,
        a.members & b.members,
        seats,
        f"{a.how}; {b.how}: panels of {int(inst.panel_size.max())} need both in one seat, "
        + _each(inst, np.maximum(seats, 0), group),
    )


def needs(inst: Instance, problem: Problem, policy: Policy) -> list[Need]:
    """Every need the policy's rules make, alone and in pairs: single rules first.

    The last asks every panel's seats of the reviewers eligible for it: what conflicts
    and single-pair rules leave may be too little for some cases.
    """
    # A group of every reviewer asks nothing eligibility does not: the catch-all says it.
    floors = [f for f in _floors(inst, problem, policy) if not f.members.all()]
    caps = _caps(inst, policy)
    sizes = f"{int(inst.panel_size.min())}" + (
        "" if inst.panel_size.min() == inst.panel_size.max() else f" to {inst.panel_size.max()}"
    )
    seats = Need(
        ("panel_size",),
        "reviewers",
        np.ones(inst.n_reviewers, dtype=np.bool_),
        inst.panel_size.astype(np.int64),
        f"every panel needs its {sizes} reviewers among those eligible for it",
        fallback=True,
    )
    found = list(floors)
    found += [n for cap in caps if (n := _uncapped(inst, cap)) is not None]
    for floor in [*floors, seats]:
        for cap in caps:
            found.extend(_floor_cap(inst, floor, cap))
    for i, a in enumerate(floors):
        for b in floors[i + 1 :]:
            pair = _floor_pair(inst, a, b)
            if pair is not None:
                found.append(pair)
    return [*found, seats] if seats.seats.any() else found  # the catch-all last


def _counted(inst: Instance, need: Need) -> IntArray:
    """Per reviewer of the group: the panels asking the group that they are eligible for."""
    pc, pr = inst.pair_case, inst.pair_reviewer
    on = (need.seats[pc] > 0) & need.members[pr]
    return np.bincount(pr[on], minlength=inst.n_reviewers).astype(np.int64)


def _short(inst: Instance, need: Need, cases: BoolArray, held: int) -> Shortfall:
    """The shortfall of ``need`` on ``cases``, in words."""
    ids = [inst.case_ids[c] for c in np.flatnonzero(cases & (need.seats > 0)).tolist()]
    pc, pr = inst.pair_case, inst.pair_reviewer
    reach = np.unique(pr[cases[pc] & need.members[pr]])
    who = [inst.reviewer_ids[r] for r in reach.tolist()]
    seats = int(need.seats[cases].sum())
    some = "" if len(ids) == int((need.seats > 0).sum()) else " of them"
    message = (
        f"{need.how}: {_seats(len(ids), 'case')} need {seats} such seats, the {len(who)} "
        f"{need.group if len(who) != 1 else _singular(need.group)}"
        f"{' eligible for them' if some else ''} offer{'s' if len(who) == 1 else ''} at most "
        f"{held} (their "
        f"maximum loads, one seat a panel); cases {_some(ids)}"
        + (f"; reviewers {_some(who)}" if who else "")
    )
    return Shortfall(need, tuple(ids), tuple(who), seats, held, message, cases & (need.seats > 0))


def _falls_short(inst: Instance, need: Need, most_seats: Callable[..., Held]) -> Shortfall | None:
    """Whether ``need`` falls short: by the simple count, or on a set of cases by a flow."""
    offer = int(np.minimum(inst.max_load, _counted(inst, need))[need.members].sum())
    total = int(need.seats.sum())
    every = need.seats > 0
    if total > offer:
        return _short(inst, need, every, offer)
    rules = set(need.keys) - {"panel_size"}
    if len(rules) > 1 and offer >= _FLOW_MARGIN * total:
        return None  # two rules: a flow only when the count is near
    on = need.members[inst.pair_reviewer]
    held = most_seats(need.seats, inst.pair_case[on], inst.pair_reviewer[on], inst.max_load)
    if held.seats >= total:
        return None
    cut = held.short & every
    return _short(inst, need, cut, int(need.seats[cut].sum()) - (total - held.seats))


def broken_floor(inst: Instance, needs_: list[Need], weight: Callable[[str], int]) -> int:
    """A lower bound on the weighted rule instances any assignment breaks, loads held.

    ``inst`` must be the soft model's (every pair but the conflicts: no rule narrows it),
    and the reviewers' maximum loads must hold. A need that falls short is then met only
    by breaking, on enough of its short cases, an instance of one of its rules: at least
    :meth:`Shortfall.fewest_cases` instances, each of weight at least the least of its
    rules' ``weight``. The largest such bound over the needs (they may share instances).
    """
    from .._backends.transport import (
        most_seats,  # ortools is imported on the first solve, not with the package
    )

    floor = 0
    for need in needs_:
        rules = [k for k in need.keys if k not in ("panel_size", "load.max")]
        short = _falls_short(inst, need, most_seats) if rules else None
        if short is not None:
            floor = max(floor, short.fewest_cases() * min(weight(k) for k in rules))
    return floor


def shortfalls(inst: Instance, needs_: list[Need]) -> list[Shortfall]:
    """The needs the groups cannot meet, each once, a need whose keys already fell short left out.

    A need falls short when the seats it asks exceed what its members can hold: each at most
    their maximum load and one seat on each panel asking it that they are eligible for.
    When that count passes narrowly, a maximum flow finds a set of cases that falls short.
    """
    from .._backends.transport import (
        most_seats,  # ortools is imported on the first solve, not with the package
    )

    found: list[Shortfall] = []
    failed: list[frozenset[str]] = []
    for need in needs_:
        keys = frozenset(need.keys) - {"panel_size"}
        if any(f and f <= keys for f in failed):
            continue
        short = _falls_short(inst, need, most_seats)
        if short is None or len(short.cases) < 2:  # one case: said by its pool's test
            continue
        if need.fallback and set(short.cases) <= {c for f in found for c in f.cases}:
            continue  # the seats of cases a rule already explains
        found.append(short)
        failed.append(keys)
    return found
