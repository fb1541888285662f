"""The indexed form of a problem under a policy: eligible pairs, their affinity, groups.

This is the bridge between the data model and any solver backend: plain integers and
numpy arrays, no pydantic objects, no solver imports. A pair is *eligible* when it is not
a conflict of interest and no single-pair rule excludes it (language, own region
excluded, a past institution under ``history.institution_years``). Every other rule
is left to the solver backend.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from types import MappingProxyType
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from .._data.model import Problem, values
from .._data.policy import SHARE_EPS, AttributeRule, Counting, Policy, RepresentationPolicy
from .._data.result import Assignment
from .._data.rules import active, new_seats, region_cap
from .._errors import InputError
from .conflicts import REASONS, conflicts
from .construct import Start, StartBuilder
from .history import excluded_by_history, new_reviewers, past_pairs, past_panels

__all__ = [
    "Coded",
    "Instance",
    "PanelRule",
    "Rows",
    "SeatBand",
    "best_panel",
    "best_panel_holding",
    "build_instance",
    "prefers_not_costs",
    "seat_bands",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Coded:
    """One attribute of the reviewers as codes: its labels, and who has which.

    ``has[r, k]``: reviewer ``r`` has label ``labels[k]`` (a reviewer may have several,
    or none: unknown).
    """

    labels: tuple[str, ...]
    has: BoolArray


@dataclass(frozen=True, slots=True)
class PanelRule:
    """One ``[[panel.rules]]`` entry, indexed: the cases it applies to and what it counts.

    The codes index ``coded.labels``, the labels of the entry's reviewer attribute and
    of the case attribute it compares with (``same_as``, ``different_from``).
    """

    name: str
    kind: Counting
    at_least: int | None
    at_most: int | None
    limit: int
    """``min_distinct`` or ``max_per_value`` (0 for the other kinds)."""
    applies: BoolArray
    """Per case, whether the entry applies to it (its ``cases`` filter)."""
    coded: Coded
    case_codes: tuple[tuple[int, ...], ...]
    """Per case, the codes of its ``same_as`` or ``different_from`` attribute (else empty)."""
    value_codes: tuple[int, ...]
    """The codes of ``values`` (kind ``values``)."""

    @property
    def excludes_pairs(self) -> bool:
        """Whether the entry only removes single pairs (``at_most = 0`` and nothing else)."""
        return self.kind in ("values", "same_as", "different_from") and (
            self.at_most == 0 and self.at_least is None
        )

    def counted(self, c: int, reviewers: IntArray) -> BoolArray:
        """Per reviewer of ``reviewers``, whether their seat on case ``c`` counts.

        ``values``: they have one of the values; ``same_as``: they share a label with the
        case; ``different_from``: both sides are known and share none.
        """
        has = self.coded.has[reviewers]
        if self.kind == "values":
            return np.asarray(has[:, list(self.value_codes)].any(axis=1), dtype=np.bool_)
        codes = list(self.case_codes[c])
        if not codes:
            return np.zeros(len(reviewers), dtype=np.bool_)
        shared = has[:, codes].any(axis=1)
        if self.kind == "same_as":
            return np.asarray(shared, dtype=np.bool_)
        return np.asarray(has.any(axis=1) & ~shared, dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class Instance:
    """A problem indexed for a solver.

    Cases and reviewers are numbered in the problem's order. Eligible pairs are sorted by
    case, then reviewer; the pairs of case ``c`` are ``pair_start[c]:pair_start[c + 1]``.
    Region and gender codes index ``regions`` and ``genders``; gender ``-1`` is undisclosed.
    """

    case_ids: tuple[str, ...]
    reviewer_ids: tuple[str, ...]
    panel_size: IntArray
    min_load: IntArray
    max_load: IntArray
    pair_case: IntArray
    pair_reviewer: IntArray
    pair_affinity: FloatArray
    pair_start: IntArray
    regions: tuple[str, ...]
    case_region: IntArray
    reviewer_region: IntArray
    genders: tuple[str, ...]
    reviewer_gender: IntArray
    reviewer_senior: BoolArray
    case_topics: tuple[tuple[str, ...], ...]
    reviewer_covers: dict[str, BoolArray]
    """Topic -> which reviewers cover it at the policy's ``expertise.min_level``."""
    conflicts_by_reason: dict[str, int]
    conflicted_pairs: int
    excluded_by_policy: int
    eligible_pairs: int
    """Every eligible pair; ``n_pairs`` counts those kept as candidates."""
    rows: Rows
    """Every eligible pair of a case, on demand (for bounds over pruned pairs)."""
    best_panels: FloatArray | None = None
    """When pruned or started: per case, its best panel over every eligible pair (region cap
    kept): the bound of zero prices, read as the rows were."""
    applicant_case: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    applicant_reviewer: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Reviewer-applicants: reviewer ``applicant_reviewer[i]`` is an applicant of case
    ``applicant_case[i]`` (for ``integrity.forbid_cycles``)."""
    start: Start | None = None
    """With ``build_instance(..., start=True)``: a constructive assignment (``_reduce.construct``),
    made over every eligible pair; its pairs are among the candidates."""
    forced_case: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    forced_reviewer: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Forced pairs (``solve(..., forced=...)``): reviewer ``forced_reviewer[i]`` sits on
    case ``forced_case[i]``. Every one is a candidate (``_reduce.forced`` has checked that
    it is eligible)."""
    disjoint: IntArray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    """The problem's disjoint reviewer pairs, as rows of two reviewer indices."""
    linked: tuple[tuple[tuple[int, ...], int], ...] = ()
    """The problem's linked groups: case indices and the reviewers every two of them share
    (0: the same panel)."""

    reviewer_new: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    """Per reviewer, whether they are new: no seat in the history within
    ``history.new_years`` (for ``history.min_new_share``)."""
    past_pairs: IntArray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    """Reviewer pairs ``(a, b)``, ``a < b``, who sat on one past panel within
    ``history.pair_years``; empty unless ``history.max_repeat_pairs`` is on."""
    past_panels: tuple[IntArray, ...] = ()
    """The past panels within ``history.pair_years``, each as its two or more current
    reviewers (ascending); empty unless ``history.max_repeat_pairs`` is on."""
    panel_rules: tuple[PanelRule, ...] = ()
    """The policy's ``[[panel.rules]]`` entries, indexed (``panel.rules``)."""
    band_attributes: Mapping[str, Coded] = field(default_factory=lambda: MappingProxyType({}))
    """The reviewer attributes of ``[[representation.bands]]``, coded."""

    def forced_pairs(self) -> IntArray:
        """Indices of the forced pairs among the candidates (-1 for one that is not)."""
        return self.pair_indices(self.forced_case, self.forced_reviewer)

    @property
    def pruned(self) -> bool:
        """Whether some eligible pairs were left out of the candidates."""
        return self.n_pairs < self.eligible_pairs

    @property
    def n_cases(self) -> int:
        """Number of cases."""
        return len(self.case_ids)

    @property
    def n_reviewers(self) -> int:
        """Number of reviewers."""
        return len(self.reviewer_ids)

    @property
    def n_pairs(self) -> int:
        """Number of candidate pairs (every eligible pair unless pruned)."""
        return len(self.pair_case)

    def case_pairs(self, c: int) -> range:
        """Indices of the eligible pairs of case ``c``."""
        return range(int(self.pair_start[c]), int(self.pair_start[c + 1]))

    def with_pairs(self, case: IntArray, reviewer: IntArray, affinity: FloatArray) -> Instance:
        """The instance with more candidate pairs (eligible, and not candidates yet)."""
        pair_case = np.concatenate([self.pair_case, case])
        pair_reviewer = np.concatenate([self.pair_reviewer, reviewer])
        order = np.lexsort((pair_reviewer, pair_case))
        pair_case = pair_case[order]
        return replace(
            self,
            pair_case=pair_case,
            pair_reviewer=pair_reviewer[order],
            pair_affinity=np.concatenate([self.pair_affinity, affinity])[order],
            pair_start=_starts(pair_case, self.n_cases),
        )

    def pair_indices(self, case: IntArray, reviewer: IntArray) -> IntArray:
        """Indices of the ``(case, reviewer)`` pairs among the candidates; -1 where absent."""
        keys = self.pair_case * self.n_reviewers + self.pair_reviewer  # ascending
        want = case * self.n_reviewers + reviewer
        if not len(keys):
            return np.full(len(want), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        return np.where(keys[at] == want, at, -1).astype(np.int64)

    def assignment(self, pairs: IntArray) -> Assignment:
        """The assignment made of the pairs with these indices."""
        return Assignment.from_pairs(
            (self.case_ids[int(self.pair_case[p])], self.reviewer_ids[int(self.pair_reviewer[p])])
            for p in pairs
        )

    def restricted(self, pairs: IntArray) -> Instance:
        """The instance in which only ``pairs`` (increasing pair indices) are eligible.

        Pair ``k`` of the result is pair ``pairs[k]`` of this instance.
        """
        case = self.pair_case[pairs]
        return replace(
            self,
            pair_case=case,
            pair_reviewer=self.pair_reviewer[pairs],
            pair_affinity=self.pair_affinity[pairs],
            pair_start=_starts(case, self.n_cases),
        )


@dataclass(frozen=True, slots=True)
class SeatBand:
    """A ``representation`` band as seat bounds: ``lo <= seats of the label <= hi``."""

    rule: str
    """``"representation.region_tolerance"`` or ``"representation.gender_tolerance"``."""
    label: str
    key: IntArray
    """Per reviewer, its region or gender code (``reviewer_region`` or ``reviewer_gender``)."""
    code: int
    """The label's code in ``key``; -1 for a target label that no reviewer has."""
    lo: int
    hi: int
    attribute: str = ""
    """The attribute of a ``representation.bands`` entry (its ``key`` is 1 for reviewers
    with the label, 0 for the others)."""

    @property
    def kind(self) -> str:
        """What the band is over, in words: ``region``, ``gender`` or the attribute."""
        if self.attribute:
            return self.attribute
        return "region" if self.rule.endswith("region_tolerance") else "gender"


def seat_bands(inst: Instance, rep: RepresentationPolicy) -> Iterator[SeatBand]:
    """Every band of ``rep`` that is on, as seat bounds over all seats.

    A band ``[p - t, p + t]`` of shares (``p`` the label's target, else its share of the
    reviewer pool) becomes ``ceil(S (p - t - eps))`` to ``floor(S (p + t + eps))`` seats,
    ``S`` the seats of every panel, clamped to ``[0, S]``. ``eps`` (``SHARE_EPS``) is the
    margin ``check`` gives shares: the two agree on a share at the edge of a band, which
    float rounding of ``S (p + t)`` (e.g. ``3 * (1/3)``) would otherwise put on either side.
    """
    seats = int(inst.panel_size.sum())
    n = inst.n_reviewers
    groups = (
        ("region", inst.reviewer_region, inst.regions, rep.region_tolerance, rep.region_targets),
        ("gender", inst.reviewer_gender, inst.genders, rep.gender_tolerance, rep.gender_targets),
    )
    for name, key, labels, tolerance, targets in groups:
        if tolerance >= 1:
            continue
        counts = np.bincount(key[key >= 0], minlength=len(labels))
        code = {label: i for i, label in enumerate(labels)}
        banded = [label for i, label in enumerate(labels) if counts[i] > 0 or label in targets]
        banded += [label for label in targets if label not in code]
        for label in banded:
            i = code.get(label, -1)
            pool = float(counts[i]) / n if i >= 0 and n else 0.0
            p = targets.get(label, pool)
            lo = max(0, math.ceil(seats * (p - tolerance - SHARE_EPS)))
            hi = min(seats, math.floor(seats * (p + tolerance + SHARE_EPS)))
            yield SeatBand(f"representation.{name}_tolerance", label, key, i, lo, hi)
    for band in rep.bands:
        coded = inst.band_attributes[band.attribute]
        held = coded.has.sum(axis=0)
        for k, label in enumerate(coded.labels):
            if not held[k] and label not in band.targets:
                continue
            p = band.targets.get(label, float(held[k]) / n if n else 0.0)
            lo = max(0, math.ceil(seats * (p - band.tolerance - SHARE_EPS)))
            hi = min(seats, math.floor(seats * (p + band.tolerance + SHARE_EPS)))
            key = coded.has[:, k].astype(np.int64)
            yield SeatBand("representation.bands", label, key, 1, lo, hi, band.attribute)


def best_panel(
    values: npt.NDArray[np.float64],
    groups: npt.NDArray[np.int64] | None,
    seats: int,
    cap: int | None,
    new: BoolArray | None = None,
    need: int = 0,
) -> float:
    """The largest sum of ``seats`` values, at most ``cap`` per group (greedy is exact).

    With ``need``, at least ``need`` of the values picked are where ``new`` holds
    (``history.min_new_share``), when there is no cap; beside a cap it is left out, and
    the sum stays an upper bound.
    """
    if need > 0 and new is not None and (cap is None or groups is None):
        return _best_with(values, new, seats, need)
    if cap is None or groups is None:
        if len(values) > seats:
            values = np.partition(values, len(values) - seats)[len(values) - seats :]
        return float(values.sum())
    # The best few usually suffice; look at every value only if they do not.
    for look in (8 * seats, len(values)):
        head = np.argpartition(-values, look)[:look] if look < len(values) else None
        order = np.arange(len(values)) if head is None else head
        order = order[np.argsort(-values[order], kind="stable")]
        taken: dict[int, int] = {}
        total, picked = 0.0, 0
        for i in order.tolist():
            g = int(groups[i])
            if taken.get(g, 0) < cap:
                taken[g] = taken.get(g, 0) + 1
                total += float(values[i])
                picked += 1
                if picked == seats:
                    return total
    return total  # fewer than ``seats`` can be picked: the case has no feasible panel


def best_panel_holding(
    values: FloatArray,
    groups: IntArray | None,
    seats: int,
    cap: int | None,
    new: BoolArray,
    need: int,
    fixed: BoolArray,
) -> float:
    """:func:`best_panel` among the panels that hold every value where ``fixed`` holds.

    The forced pairs of a case (``pairs.forced``) are on its panel in every assignment,
    so the best panel holding them still bounds the case, and more tightly. The fixed
    values are summed; the other seats are the best of the rest, the region cap of each
    group less its fixed seats (greedy is exact: a partition matroid), and the new seats
    still needed less the fixed new ones.

    Examples
    --------
    >>> values = np.array([1.0, 0.9, 0.1])
    >>> no = np.zeros(3, dtype=bool)
    >>> best_panel_holding(values, None, 2, None, no, 0, np.array([False, False, True]))
    1.1
    """
    if not fixed.any():
        return best_panel(values, groups, seats, cap, new, need)
    total = float(values[fixed].sum())
    left = seats - int(fixed.sum())
    rest = ~fixed
    if left <= 0:
        return total
    if cap is None or groups is None:
        still = max(0, need - int(new[fixed].sum()))
        return total + best_panel(values[rest], None, left, None, new[rest], still)
    taken = Counter(groups[fixed].tolist())
    order = np.argsort(-values[rest], kind="stable")
    for value, g in zip(values[rest][order].tolist(), groups[rest][order].tolist(), strict=True):
        if taken[g] < cap:
            taken[g] += 1
            total += value
            left -= 1
            if left == 0:
                break
    return total  # fewer than ``seats`` can be picked: the case has no feasible panel


def _best_with(values: FloatArray, mask: BoolArray, seats: int, need: int) -> float:
    """The largest sum of ``seats`` values, at least ``need`` of them within ``mask``.

    The best ``need`` within ``mask``, then the best of the rest: exact, since any
    panel with ``need`` of ``mask`` can swap its worst of them for a better one of them.
    A ``mask`` of fewer than ``need`` values has no such panel: the best panel bounds it.
    """
    inside = np.sort(values[mask])[::-1]
    if len(inside) < need:
        return best_panel(values, None, seats, None)
    rest = np.sort(np.concatenate([inside[need:], values[~mask]]))[::-1][: max(0, seats - need)]
    return float(inside[:need].sum() + rest.sum())


def _starts(pair_case: IntArray, n_cases: int) -> IntArray:
    """``pair_start`` of pairs sorted by case: case ``c``'s are ``start[c]:start[c + 1]``."""
    return np.searchsorted(pair_case, np.arange(n_cases + 1)).astype(np.int64)


def _codes(labels: list[str]) -> tuple[tuple[str, ...], dict[str, int]]:
    """The distinct labels, sorted, and each one's code (its index among them)."""
    names = tuple(sorted(set(labels)))
    return names, {name: i for i, name in enumerate(names)}


class Rows:
    """Every eligible pair of a case and its affinity, computed on demand.

    The instance may keep only some candidates per case; the full rows stay available
    here, one case at a time, so that a bound over every eligible pair can be computed
    without ever holding them all.
    """

    def __init__(
        self,
        problem: Problem,
        policy: Policy,
        case_region: IntArray,
        reviewer_region: IntArray,
        excluding: tuple[PanelRule, ...] = (),
    ) -> None:
        cases, reviewers = problem.cases, problem.reviewers
        self._excluding = excluding
        case_pos = {c.id: i for i, c in enumerate(cases)}
        rev_pos = {r.id: i for i, r in enumerate(reviewers)}
        self._cases = cases
        self._n_reviewers = len(reviewers)
        self._policy = policy
        self._reviewer_region = reviewer_region
        self._case_region = case_region if policy.panel.own_region == "exclude" else None
        # Affinity: a(c, r) = sum_t w_t * level_r(t) / 3 / sum_t w_t, as a small dense
        # reviewer x topic matrix; given scores override it pair by pair.
        topics = sorted(
            {t for c in cases for t in c.topics} | {t for r in reviewers for t in r.expertise}
        )
        self._topic_pos = {t: i for i, t in enumerate(topics)}
        self._levels = np.zeros((len(reviewers), len(topics)), dtype=np.float64)
        for i, r in enumerate(reviewers):
            for t, lvl in r.expertise.items():
                self._levels[i, self._topic_pos[t]] = lvl
        # The given scores, grouped by case (the table is indexed in the problem's order).
        given_case, given_reviewer, self._given_score = problem.affinity.by_pair()
        self._given_reviewer = given_reviewer.astype(np.int64)
        self._given_start = np.searchsorted(given_case, np.arange(len(cases) + 1))

        t0 = time.perf_counter()
        self.conflicts = conflicts(problem, policy)
        self.conflict_seconds = time.perf_counter() - t0
        """Time spent finding the conflicts (a time limit's estimates leave it out)."""
        self._blocked: dict[int, list[int]] = {}
        for cp in self.conflicts:
            self._blocked.setdefault(case_pos[cp.case], []).append(rev_pos[cp.reviewer])
        self._prefers_not = prefers_not_costs(problem, policy)
        self._past = {c: sorted(found) for c, found in excluded_by_history(problem, policy).items()}
        """Case -> the reviewers ``history.institution_years`` excludes (a policy rule)."""
        self._speaks: dict[str, BoolArray] = {}
        if policy.panel.language:
            for lang in {c.language for c in cases if c.language}:
                self._speaks[lang] = np.array(
                    [lang in r.languages for r in reviewers], dtype=np.bool_
                )

    def row(self, c: int) -> tuple[IntArray, FloatArray, int]:
        """Case ``c``'s eligible reviewers, their affinities, and the count excluded.

        Reviewers ascend; the count is of non-conflicted reviewers that single-pair
        policy rules (language, own region excluded, a past institution, panel rules of
        ``at_most = 0``) excluded.
        """
        case = self._cases[c]
        ok = np.ones(self._n_reviewers, dtype=np.bool_)
        ok[self._blocked.get(c, [])] = False
        allowed = int(ok.sum())
        if c in self._past:
            ok[self._past[c]] = False
        if case.language and case.language in self._speaks:
            ok &= self._speaks[case.language]
        if self._case_region is not None:
            ok &= self._reviewer_region != self._case_region[c]
        for rule in self._excluding:
            if rule.applies[c]:
                ok &= ~rule.counted(c, np.arange(self._n_reviewers))
        idx = np.flatnonzero(ok).astype(np.int64)
        total_w = sum(case.topics.values())
        if total_w > 0 and self._levels.shape[1]:
            w = np.zeros(self._levels.shape[1])
            for t, wt in case.topics.items():
                w[self._topic_pos[t]] = wt
            aff = self._levels[idx] @ w / (3.0 * total_w)
        else:
            aff = np.zeros(len(idx))
        lo, hi = int(self._given_start[c]), int(self._given_start[c + 1])
        if hi > lo:
            where = np.full(self._n_reviewers, -1, dtype=np.int64)
            where[idx] = np.arange(len(idx))
            at = where[self._given_reviewer[lo:hi]]
            hit = at >= 0  # given scores of ineligible pairs are never read
            aff[at[hit]] = self._given_score[lo:hi][hit]
        for r, cost in self._prefers_not.get(c, {}).items():
            at_r = int(np.searchsorted(idx, r))
            if at_r < len(idx) and idx[at_r] == r:
                aff[at_r] -= cost  # a pair cost: the objective's affinity of the pair
        return idx, aff.astype(np.float64), allowed - len(idx)


def prefers_not_costs(problem: Problem, policy: Policy) -> dict[int, dict[int, float]]:
    """Per case index, per reviewer index, the cost of assigning a prefers-not pair.

    A row's own ``weight``, else the policy's ``objective.prefers_not``; pairs listed
    twice add up; zero costs are left out. Raises :class:`InputError` when there are
    costs and the policy reads a pair's affinity elsewhere than in the total (the worst
    panel, leximin, the affinity level, a panel-affinity floor, weak matches): the cost
    is subtracted from the pair's affinity, which those would then misread.
    """
    case_pos = {c.id: i for i, c in enumerate(problem.cases)}
    rev_pos = {r.id: i for i, r in enumerate(problem.reviewers)}
    costs: dict[int, dict[int, float]] = {}
    for row in problem.prefers_not:
        cost = policy.objective.prefers_not if row.weight is None else row.weight
        if cost > 0:
            per_case = costs.setdefault(case_pos[row.case], {})
            r = rev_pos[row.reviewer]
            per_case[r] = per_case.get(r, 0.0) + cost
    reads = [
        *(x for x in ("worst_case", "leximin", "affinity") if x in policy.objective.levels),
        *(["expertise.min_panel_affinity"] if policy.expertise.min_panel_affinity > 0 else []),
        *(["load.max_weak_matches"] if policy.load.max_weak_matches is not None else []),
    ]
    if costs and reads:
        raise InputError(
            "prefers_not costs are a change of the pair's affinity in the total objective; "
            f"they do not combine with {', '.join(reads)}, which read a pair's affinity",
            field="objective.prefers_not",
        )
    return costs


def _candidates(
    idx: IntArray, aff: FloatArray, keep: int, seats: int, groups: list[IntArray]
) -> IntArray:
    """Positions in ``idx`` (ascending) of a case's candidate reviewers.

    Its ``keep`` best reviewers, and the ``seats`` best of every group (region, gender,
    covering a topic...) that a panel rule reads, so that every rule the case could meet
    stays possible. The best ``4 * keep`` usually hold ``seats`` of every group; only the
    groups they do not are searched in full.
    """
    n = len(aff)
    head = np.flatnonzero(_best(aff, np.ones(n, dtype=np.bool_), min(n, 4 * keep)))
    head = head[np.lexsort((head, -aff[head]))]  # best first, ties by position
    chosen = np.zeros(n, dtype=np.bool_)
    chosen[head[:keep]] = True
    for key in groups:
        keys = key[head]
        order = np.argsort(keys, kind="stable")  # each group's members, best first
        sorted_keys = keys[order]
        first = np.searchsorted(sorted_keys, sorted_keys)  # where each one's group starts
        rank = np.arange(len(order)) - first
        take = (rank < seats) & (sorted_keys >= 0)
        chosen[head[order[take]]] = True
        present = key >= 0
        total = np.bincount(key[present], minlength=1)
        within = np.bincount(keys[keys >= 0], minlength=len(total))
        for value in np.flatnonzero(within < np.minimum(seats, total)):
            chosen |= _best(aff, key == value, seats)  # a group the best few miss
    return np.flatnonzero(chosen).astype(np.int64)


def _best(values: FloatArray, mask: BoolArray, n: int) -> BoolArray:
    """The ``n`` largest values within ``mask``; ties go to the earliest positions."""
    within = np.flatnonzero(mask)
    if len(within) <= n:
        return mask.copy()
    vals = values[within]
    threshold = np.partition(vals, len(vals) - n)[len(vals) - n]
    above = within[vals > threshold]
    ties = within[vals == threshold][: n - len(above)]
    out = np.zeros(len(values), dtype=np.bool_)
    out[above] = True
    out[ties] = True
    return out


def _group_keys(
    policy: Policy,
    region: IntArray,
    gender: IntArray,
    senior: BoolArray,
    covers: dict[str, BoolArray],
    topics: tuple[str, ...],
    new: BoolArray | None = None,
) -> list[IntArray]:
    """Per reviewer, the group keys that the policy's panel rules read (-1: no group).

    ``history.min_new_share`` reads the new reviewers: each case keeps its best
    ``panel_size`` of them, so that pruning never leaves a case short of new seats.
    """
    panel = policy.panel
    on = {r.key for r in active(policy)}
    keys: list[IntArray] = []
    # A minimum of one region asks nothing of the candidates: every panel has a seat.
    if (
        region_cap(policy) is not None
        or panel.min_regions > 1
        or panel.own_region == "at_least_one"
    ):
        keys.append(region)
    if {"panel.max_per_gender", "panel.min_genders"} & on:
        keys.append(gender)
    if "panel.min_senior" in on:
        keys.append(np.where(senior, 0, -1).astype(np.int64))
    if "expertise.coverage" in on:
        keys.extend(np.where(covers[t], 0, -1).astype(np.int64) for t in topics)
    if "history.min_new_share" in on and new is not None:
        keys.append(np.where(new, 0, -1).astype(np.int64))
    return keys


_REVIEWER_SIDE = 2
"""With candidates, each reviewer also keeps this many times its load cap of best cases."""


class _Greedy:
    """A greedy assignment over every eligible pair, case by case, kept as candidates.

    Each case takes its best reviewers with seats left, at most the region cap from
    a region, and saving its last seats for the regions and genders it still needs
    (``min_regions``, ``min_genders``). When it completes, the candidates hold a whole
    assignment: capacity stays reachable even where many cases want the same few
    reviewers (pruning by affinity alone then leaves no feasible assignment).
    """

    def __init__(
        self, policy: Policy, max_load: IntArray, region: IntArray, gender: IntArray
    ) -> None:
        panel = policy.panel
        self._left = max_load.copy()
        self._cap = region_cap(policy)
        self._needs = [(region, panel.min_regions), (gender, panel.min_genders)]

    def pick(self, idx: IntArray, aff: FloatArray, seats: int) -> IntArray:
        """Positions in ``idx`` of the case's greedy panel (possibly short of ``seats``)."""
        open_ = np.flatnonzero(self._left[idx] > 0)
        order = open_[np.lexsort((open_, -aff[open_]))][: max(64, 16 * seats)]
        chosen: list[int] = []
        for i in order.tolist():
            if len(chosen) == seats:
                break
            r = int(idx[i])
            if not self._fits(idx, chosen, r, seats):
                continue
            chosen.append(i)
        for i in chosen:
            self._left[idx[i]] -= 1
        return np.array(sorted(chosen), dtype=np.int64)

    def _fits(self, idx: IntArray, chosen: list[int], r: int, seats: int) -> bool:
        """Whether reviewer ``r`` fits: within the region cap, with seats left for the needs."""
        region = self._needs[0][0]
        taken = [int(idx[i]) for i in chosen]
        if self._cap is not None and sum(region[t] == region[r] for t in taken) >= self._cap:
            return False
        left_after = seats - len(taken) - 1
        for key, minimum in self._needs:
            have = {int(key[t]) for t in taken if key[t] >= 0}
            if key[r] >= 0:
                have.add(int(key[r]))
            if minimum - len(have) > left_after:
                return False  # the seats left could no longer bring the keys it needs
        return True


class _ReviewerBest:
    """Each reviewer's ``keep`` best cases by affinity, gathered one case row at a time.

    Rows are buffered into dense blocks of ``_BLOCK`` cases; each full block is merged
    into the running best (a partial sort down each reviewer's column). Memory: the block
    and the best, ``(_BLOCK + keep) x reviewers`` values.
    """

    _BLOCK = 128

    def __init__(self, n_reviewers: int, keep: int) -> None:
        self._keep = keep
        self._value = np.full((0, n_reviewers), -np.inf)
        self._case = np.zeros((0, n_reviewers), dtype=np.int64)
        self._rows: list[tuple[int, IntArray, FloatArray]] = []

    def add(self, case: int, idx: IntArray, affinity: FloatArray) -> None:
        """Buffer case ``case``'s row (reviewers ``idx``); a full block is merged."""
        self._rows.append((case, idx, affinity))
        if len(self._rows) == self._BLOCK:
            self._merge()

    def _merge(self) -> None:
        """Merge the buffered rows into each reviewer's ``keep`` best cases."""
        n_r = self._value.shape[1]
        block = np.full((len(self._rows), n_r), -np.inf)
        cases = np.zeros((len(self._rows), n_r), dtype=np.int64)
        for i, (case, idx, affinity) in enumerate(self._rows):
            block[i, idx] = affinity
            cases[i, :] = case
        self._rows = []
        value = np.vstack([self._value, block])
        case_of = np.vstack([self._case, cases])
        if len(value) > self._keep:
            # Ties resolved towards earlier cases: they come first in ``value``.
            top = np.argsort(-value, axis=0, kind="stable")[: self._keep]
            value = np.take_along_axis(value, top, axis=0)
            case_of = np.take_along_axis(case_of, top, axis=0)
        self._value, self._case = value, case_of

    def pairs(self) -> tuple[IntArray, IntArray, FloatArray]:
        """``(case, reviewer, affinity)`` of every reviewer's best eligible cases."""
        if self._rows:
            self._merge()
        found = np.isfinite(self._value)
        reviewer = np.broadcast_to(np.arange(self._value.shape[1]), self._value.shape)
        return self._case[found], reviewer[found].astype(np.int64), self._value[found]


@dataclass(frozen=True, slots=True)
class _Labels:
    """What the instance reads of each case and reviewer, as codes and arrays."""

    regions: tuple[str, ...]
    genders: tuple[str, ...]
    case_region: IntArray
    reviewer_region: IntArray
    reviewer_gender: IntArray
    reviewer_senior: BoolArray
    covers: dict[str, BoolArray]
    panel_size: IntArray
    min_load: IntArray
    max_load: IntArray
    new: BoolArray
    """Per reviewer, whether they are new (``history.min_new_share``)."""


def _labels(problem: Problem, policy: Policy) -> _Labels:
    """Code regions and genders, and read sizes, loads, seniority and coverage as arrays."""
    cases, reviewers = problem.cases, problem.reviewers
    regions, region_code = _codes([c.region for c in cases] + [r.region for r in reviewers])
    genders, gender_code = _codes([r.gender for r in reviewers if r.gender])
    return _Labels(
        regions=regions,
        genders=genders,
        case_region=np.array([region_code[c.region] for c in cases], dtype=np.int64),
        reviewer_region=np.array([region_code[r.region] for r in reviewers], dtype=np.int64),
        reviewer_gender=np.array(
            [gender_code[r.gender] if r.gender else -1 for r in reviewers], dtype=np.int64
        ),
        reviewer_senior=np.array([r.seniority == "senior" for r in reviewers], dtype=np.bool_),
        covers={
            t: np.array(
                [r.expertise.get(t, 0) >= policy.expertise.min_level for r in reviewers],
                dtype=np.bool_,
            )
            for t in sorted({t for c in cases for t in c.topics})
        },
        panel_size=np.array(
            [c.panel_size if c.panel_size is not None else policy.panel_size for c in cases],
            dtype=np.int64,
        ),
        min_load=np.array(
            [r.min_load if r.min_load is not None else policy.load.min for r in reviewers],
            dtype=np.int64,
        ),
        max_load=np.array(
            [r.max_load if r.max_load is not None else policy.load.max for r in reviewers],
            dtype=np.int64,
        ),
        new=new_reviewers(problem, policy),
    )


def _start_builder(problem: Problem, policy: Policy, labels: _Labels) -> StartBuilder:
    """The builder of the constructive start, over the instance's arrays."""
    return StartBuilder(
        policy,
        panel_size=labels.panel_size,
        max_load=labels.max_load,
        case_region=labels.case_region,
        case_topics=[tuple(c.topics) for c in problem.cases],
        reviewer_region=labels.reviewer_region,
        reviewer_gender=labels.reviewer_gender,
        reviewer_senior=labels.reviewer_senior,
        reviewer_covers=labels.covers,
    )


class _Pruner:
    """The candidates of each case when pruned: its best, its groups' best, a greedy panel.

    It also gathers, on the reviewer side, every reviewer's best cases, so that reviewers
    whom no case ranks high still offer their capacity (Hall's condition, in practice).
    """

    def __init__(self, policy: Policy, labels: _Labels, candidates: int, n_cases: int) -> None:
        self._policy = policy
        self._labels = labels
        self._candidates = candidates
        self._greedy = _Greedy(
            policy, labels.max_load, labels.reviewer_region, labels.reviewer_gender
        )
        max_load = labels.max_load
        per_reviewer = int(min(n_cases, _REVIEWER_SIDE * max(1, int(max_load.max(initial=1)))))
        self.side = _ReviewerBest(len(max_load), per_reviewer)

    def keep(
        self, ci: int, topics: tuple[str, ...], idx: IntArray, aff: FloatArray, started: IntArray
    ) -> IntArray | None:
        """Positions in ``idx`` of case ``ci``'s candidates; ``None``: keep every pair."""
        if len(idx) <= self._candidates:
            return None
        labels = self._labels
        seats = int(labels.panel_size[ci])
        self.side.add(ci, idx, aff)
        groups = _group_keys(
            self._policy,
            labels.reviewer_region,
            labels.reviewer_gender,
            labels.reviewer_senior,
            labels.covers,
            topics,
            labels.new,
        )
        keep = _candidates(idx, aff, self._candidates, seats, [g[idx] for g in groups])
        keep = np.union1d(keep, self._greedy.pick(idx, aff, seats))
        return np.union1d(keep, started)


@dataclass(slots=True)
class _Read:
    """The candidate pairs as the rows are read, case by case, and the counts kept."""

    reviewer: list[IntArray] = field(default_factory=list)
    affinity: list[FloatArray] = field(default_factory=list)
    excluded: int = 0
    eligible: int = 0
    start_seconds: float = 0.0
    best_panels: FloatArray | None = None


def _read_rows(
    problem: Problem,
    policy: Policy,
    labels: _Labels,
    rows: Rows,
    pruner: _Pruner | None,
    builder: StartBuilder | None,
    forced: dict[int, list[int]],
) -> _Read:
    """Read every case's row: place the start, bound the best panel, keep the candidates.

    ``forced``: per case index, the reviewer indices forced on it (kept as candidates).
    """
    n_c = len(problem.cases)
    read = _Read(best_panels=None if pruner is None and builder is None else np.zeros(n_c))
    cap = region_cap(policy)
    for ci, case in enumerate(problem.cases):
        idx, aff, dropped = rows.row(ci)
        read.excluded += dropped
        read.eligible += len(idx)
        started = np.zeros(0, dtype=np.int64)
        if builder is not None:
            t0 = time.perf_counter()
            started = builder.place(ci, idx, aff)
            read.start_seconds += time.perf_counter() - t0
        if read.best_panels is not None:
            groups_of = labels.reviewer_region[idx] if cap is not None else None
            size = int(labels.panel_size[ci])
            need = new_seats(policy, size)
            fixed = np.isin(idx, forced.get(ci, ()))
            read.best_panels[ci] = best_panel_holding(
                aff, groups_of, size, cap, labels.new[idx], need, fixed
            )
        if pruner is not None:
            kept = np.union1d(started, np.flatnonzero(np.isin(idx, forced.get(ci, ()))))
            keep = pruner.keep(ci, tuple(case.topics), idx, aff, kept.astype(np.int64))
            if keep is not None:
                idx, aff = idx[keep], aff[keep]
        read.reviewer.append(idx)
        read.affinity.append(aff)
    return read


def _pairs(
    read: _Read, side: _ReviewerBest | None, n_r: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """The candidate pairs as arrays sorted by case then reviewer, the reviewer side's joined."""
    sizes = np.array([len(part) for part in read.reviewer], dtype=np.int64)
    pair_case = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    pair_reviewer = np.concatenate([np.zeros(0, dtype=np.int64), *read.reviewer])
    pair_affinity = np.concatenate([np.zeros(0), *read.affinity])
    if side is None:
        return pair_case, pair_reviewer, pair_affinity
    more_case, more_reviewer, more_affinity = side.pairs()
    keys = pair_case * n_r + pair_reviewer
    new = ~np.isin(more_case * n_r + more_reviewer, keys)
    pair_case = np.concatenate([pair_case, more_case[new]])
    pair_reviewer = np.concatenate([pair_reviewer, more_reviewer[new]])
    pair_affinity = np.concatenate([pair_affinity, more_affinity[new]])
    order = np.lexsort((pair_reviewer, pair_case))
    return pair_case[order], pair_reviewer[order], pair_affinity[order]


def _coded(problem: Problem, reviewer_attribute: str, case_attribute: str | None) -> Coded:
    """A reviewer attribute as codes, over its labels and those of a case attribute."""
    mine = [values(r, reviewer_attribute) for r in problem.reviewers]
    theirs = [values(c, case_attribute) for c in problem.cases] if case_attribute else []
    labels = tuple(sorted({x for held in mine + theirs for x in held}))
    code = {label: k for k, label in enumerate(labels)}
    has = np.zeros((len(mine), len(labels)), dtype=np.bool_)
    for r, held in enumerate(mine):
        has[r, [code[x] for x in held]] = True
    return Coded(labels, has)


def _panel_rule(problem: Problem, rule: AttributeRule) -> PanelRule:
    """One ``[[panel.rules]]`` entry, indexed over the problem."""
    other = rule.same_as or rule.different_from
    coded = _coded(problem, rule.attribute, other)
    code = {label: k for k, label in enumerate(coded.labels)}
    return PanelRule(
        name=rule.name,
        kind=rule.kind,
        at_least=rule.at_least,
        at_most=rule.at_most,
        limit=rule.min_distinct or rule.max_per_value or 0,
        applies=np.array([rule.applies(partial(values, c)) for c in problem.cases], dtype=np.bool_),
        coded=coded,
        case_codes=tuple(
            tuple(code[x] for x in values(c, other)) if other else () for c in problem.cases
        ),
        value_codes=tuple(code[x] for x in rule.values if x in code),
    )


def build_instance(
    problem: Problem,
    policy: Policy,
    *,
    candidates: int | None = None,
    start: bool = False,
    forced: Iterable[tuple[str, str]] = (),
    exclude: bool = True,
) -> Instance:
    """Index a problem under a policy: conflicts removed, affinities computed.

    With ``candidates``, each case keeps only its ``candidates`` best eligible reviewers
    (plus, for each group a panel rule reads, the group's best ``panel_size``), and each
    reviewer its best ``2 * max_load`` cases: memory then grows with the candidates, not
    cases x reviewers. ``Instance.rows`` still gives every eligible pair, for a bound
    over all of them. With ``start``, a constructive assignment is made while the rows
    are read (``Instance.start``); its pairs are kept as candidates. ``forced`` pairs
    (known ids, checked by ``_reduce.forced``) are kept as candidates too. With
    ``exclude`` (the default), the ``[[panel.rules]]`` entries of ``at_most = 0`` alone
    remove the pairs they count, as the language rule does; the soft model keeps them
    (``False``).

    Raises :class:`~reviewassign.InputError` for a ``representation`` target that names
    no reviewer's region or gender, or a panel rule or band naming an attribute or value
    no one has (:meth:`Policy.check_targets`), and for a linked group of identical panels
    whose panel sizes differ.
    """
    policy.check_targets(problem)
    cases, reviewers = problem.cases, problem.reviewers
    labels = _labels(problem, policy)
    pairs_data = _pair_data(problem, labels.panel_size, forced)
    panel_rules = tuple(_panel_rule(problem, r) for r in policy.panel.rules)
    excluding = tuple(r for r in panel_rules if r.excludes_pairs) if exclude else ()
    rows = Rows(problem, policy, labels.case_region, labels.reviewer_region, excluding)
    by_reason = Counter(reason for cp in rows.conflicts for reason in cp.reasons)
    pruner = None if candidates is None else _Pruner(policy, labels, candidates, len(cases))
    builder = _start_builder(problem, policy, labels) if start else None
    read = _read_rows(problem, policy, labels, rows, pruner, builder, pairs_data.by_case)
    pairs = _pairs(read, None if pruner is None else pruner.side, len(reviewers))
    made = None
    if builder is not None:
        made, pairs = _complete_start(builder, rows, read.start_seconds, pairs)
    pair_case, pair_reviewer, pair_affinity = pairs
    return Instance(
        case_ids=tuple(c.id for c in cases),
        reviewer_ids=tuple(r.id for r in reviewers),
        panel_size=labels.panel_size,
        min_load=labels.min_load,
        max_load=labels.max_load,
        pair_case=pair_case,
        pair_reviewer=pair_reviewer,
        pair_affinity=pair_affinity,
        pair_start=_starts(pair_case, len(cases)),
        regions=labels.regions,
        case_region=labels.case_region,
        reviewer_region=labels.reviewer_region,
        genders=labels.genders,
        reviewer_gender=labels.reviewer_gender,
        reviewer_senior=labels.reviewer_senior,
        case_topics=tuple(tuple(c.topics) for c in cases),
        reviewer_covers=labels.covers,
        conflicts_by_reason={r: by_reason[r] for r in REASONS if by_reason[r]},
        conflicted_pairs=len(rows.conflicts),
        excluded_by_policy=read.excluded,
        eligible_pairs=read.eligible,
        rows=rows,
        best_panels=read.best_panels,
        **_reviewer_applicants(problem),
        start=made,
        forced_case=pairs_data.forced_case,
        forced_reviewer=pairs_data.forced_reviewer,
        disjoint=pairs_data.disjoint,
        linked=pairs_data.linked,
        reviewer_new=labels.new,
        panel_rules=panel_rules,
        **_history_and_bands(problem, policy),
    )


class _HistoryAndBands(TypedDict):
    """The instance fields of the ``[history]`` rules and the attribute bands."""

    past_pairs: IntArray
    past_panels: tuple[IntArray, ...]
    band_attributes: Mapping[str, Coded]


def _history_and_bands(problem: Problem, policy: Policy) -> _HistoryAndBands:
    """The instance's past pairs and panels (``[history]``) and coded band attributes."""
    bands = {b.attribute: _coded(problem, b.attribute, None) for b in policy.representation.bands}
    return {
        "past_pairs": past_pairs(problem, policy),
        "past_panels": past_panels(problem, policy),
        "band_attributes": MappingProxyType(bands),
    }


@dataclass(frozen=True, slots=True)
class _PairData:
    """The forced pairs, disjoint reviewers and linked cases of an instance, as indices."""

    forced_case: IntArray
    forced_reviewer: IntArray
    by_case: dict[int, list[int]]
    """Per case index, the reviewer indices forced on it."""
    disjoint: IntArray
    linked: tuple[tuple[tuple[int, ...], int], ...]


def _pair_data(
    problem: Problem, panel_size: IntArray, forced: Iterable[tuple[str, str]]
) -> _PairData:
    """Index the pair data; an :class:`InputError` for identical panels of unequal sizes."""
    case_pos = {c.id: i for i, c in enumerate(problem.cases)}
    rev_pos = {r.id: i for i, r in enumerate(problem.reviewers)}
    pairs = sorted({(case_pos[c], rev_pos[r]) for c, r in forced})
    by_case: dict[int, list[int]] = {}
    for c, r in pairs:
        by_case.setdefault(c, []).append(r)
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    disjoint = sorted({tuple(sorted((rev_pos[d.a], rev_pos[d.b]))) for d in problem.disjoint})
    linked = []
    for i, group in enumerate(problem.linked):
        members = tuple(case_pos[c] for c in group.cases)
        sizes = {int(panel_size[c]) for c in members}
        if group.shared is None and len(sizes) > 1:
            raise InputError(
                f"linked cases {', '.join(group.cases)} share one panel (no shared count), "
                f"but their panel sizes differ: {sorted(sizes)}",
                field=f"linked[{i}].shared",
            )
        linked.append((members, 0 if group.shared is None else group.shared))
    return _PairData(
        forced_case=arr[:, 0].copy(),
        forced_reviewer=arr[:, 1].copy(),
        by_case=by_case,
        disjoint=np.array(disjoint, dtype=np.int64).reshape(-1, 2),
        linked=tuple(linked),
    )


def _complete_start(
    builder: StartBuilder,
    rows: Rows,
    seconds: float,
    pairs: tuple[IntArray, IntArray, FloatArray],
) -> tuple[Start, tuple[IntArray, IntArray, FloatArray]]:
    """The start, once its short cases had their exchanges, and the candidate pairs.

    Exchanges may use any eligible pair; those they take join the candidates (case,
    reviewer and affinity arrays, sorted by case then reviewer).
    """
    t0 = time.perf_counter()
    read: dict[int, tuple[IntArray, FloatArray]] = {}

    def full_row(c: int) -> tuple[IntArray, FloatArray]:
        if c not in read:
            idx, aff, _ = rows.row(c)
            read[c] = idx, aff
        return read[c]

    builder.exchange(full_row)
    made = builder.start(seconds + time.perf_counter() - t0)
    pair_case, pair_reviewer, pair_affinity = pairs
    n_r = len(builder.left)
    new = ~np.isin(made.case * n_r + made.reviewer, pair_case * n_r + pair_reviewer)
    if not np.any(new):
        return made, pairs
    more_case, more_reviewer = made.case[new], made.reviewer[new]
    more_affinity = np.array(
        [
            full_row(c)[1][np.searchsorted(full_row(c)[0], r)]
            for c, r in zip(more_case.tolist(), more_reviewer.tolist(), strict=True)
        ]
    )
    pair_case = np.concatenate([pair_case, more_case])
    pair_reviewer = np.concatenate([pair_reviewer, more_reviewer])
    pair_affinity = np.concatenate([pair_affinity, more_affinity])
    order = np.lexsort((pair_reviewer, pair_case))
    return made, (pair_case[order], pair_reviewer[order], pair_affinity[order])


def _reviewer_applicants(problem: Problem) -> dict[str, IntArray]:
    """The (case, reviewer) index pairs where the reviewer is an applicant of the case."""
    rev_pos = {r.id: i for i, r in enumerate(problem.reviewers)}
    found = [
        (c, rev_pos[person])
        for c, case in enumerate(problem.cases)
        for person in case.applicants
        if person in rev_pos
    ]
    arr = np.array(found, dtype=np.int64).reshape(-1, 2)
    return {"applicant_case": arr[:, 0].copy(), "applicant_reviewer": arr[:, 1].copy()}
