"""The CP-SAT model: one Boolean per eligible pair and one builder per policy rule.

Conflicted pairs and pairs excluded by single-pair rules (language, own region excluded)
have no variable at all (see ``_instance``). Each builder below adds exactly one rule of
SPEC.md; the objective builders return their share of the objective.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from .._errors import InputError
from .._instance import Instance, seat_bands
from .._policy import WEAK_EPS, Policy, RepresentationPolicy
from ._scale import to_int, to_ints

__all__ = [
    "MAX_CYCLE_CUTS",
    "Model",
    "build_model",
    "floor_units",
    "panel_value",
    "whole_assignment",
]

MAX_CYCLE_CUTS = 200_000
"""The most potential review cycles ``integrity.forbid_cycles`` enumerates into the model."""

LinearExpr = cp_model.LinearExpr


@dataclass(slots=True)
class Model:
    """A built CP-SAT model and the handles the solve needs."""

    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    """One Boolean per eligible pair, in the instance's pair order (variable index = pair)."""
    objective: cp_model.LinearExpr
    """Total scaled affinity minus the scaled load-spread term."""
    worst: cp_model.IntVar | None
    """The worst panel affinity (scaled), for the fairness objective; else None."""
    load_rows: npt.NDArray[np.int64]
    """Per reviewer, the index of its load-cap constraint (-1 if its pairs cannot exceed it)."""
    loads: list[cp_model.LinearExprT]
    """Per reviewer, its load."""


def _groups(keys: npt.NDArray[np.int64], pairs: range) -> Iterator[tuple[int, list[int]]]:
    """Split ``pairs`` by ``keys`` (one key per pair in ``pairs``), skipping negative keys."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(np.diff(sorted_keys)) + 1
    for chunk in np.split(order, bounds):
        if len(chunk) and keys[chunk[0]] >= 0:
            yield int(keys[chunk[0]]), [pairs.start + int(i) for i in chunk]


def _panel_size(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]) -> None:
    """Each case gets exactly its panel size."""
    for c in range(inst.n_cases):
        m.add(LinearExpr.sum([x[p] for p in inst.case_pairs(c)]) == int(inst.panel_size[c]))


def _loads(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]
) -> tuple[list[cp_model.LinearExprT], npt.NDArray[np.int64]]:
    """Each reviewer's load within [min_load, max_load].

    Returns the load expressions and, per reviewer, the index of its cap's constraint.
    """
    order = np.argsort(inst.pair_reviewer, kind="stable")
    starts = np.searchsorted(inst.pair_reviewer[order], np.arange(inst.n_reviewers + 1))
    loads: list[cp_model.LinearExprT] = []
    rows = np.full(inst.n_reviewers, -1, dtype=np.int64)
    for r in range(inst.n_reviewers):
        load = LinearExpr.sum([x[int(p)] for p in order[starts[r] : starts[r + 1]]])
        lo, hi = int(inst.min_load[r]), int(inst.max_load[r])
        if lo > 0:
            m.add(load >= lo)
        if starts[r + 1] - starts[r] > hi:
            rows[r] = m.add(load <= hi).index
        loads.append(load)
    return loads, rows


def _max_per_group(
    m: cp_model.CpModel,
    inst: Instance,
    x: list[cp_model.IntVar],
    reviewer_key: npt.NDArray[np.int64],
    cap: int,
) -> None:
    """Per case, at most ``cap`` seats share one key (region or disclosed gender)."""
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        keys = reviewer_key[inst.pair_reviewer[pairs.start : pairs.stop]]
        for _, group in _groups(keys, pairs):
            if len(group) > cap:
                m.add(LinearExpr.sum([x[p] for p in group]) <= cap)


def _min_distinct(
    m: cp_model.CpModel,
    inst: Instance,
    x: list[cp_model.IntVar],
    reviewer_key: npt.NDArray[np.int64],
    minimum: int,
) -> None:
    """Per case, at least ``minimum`` distinct keys among the seats (negative keys count for none).

    Two cases need no auxiliary variable, and their LP relaxation is much tighter:
    when the case's eligible reviewers show exactly ``minimum`` keys, each must have a
    seat; when ``minimum`` is 2, every key must leave a seat to some other key. Otherwise
    a Boolean per (case, key) may be true only if some seat has that key.
    """
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        keys = reviewer_key[inst.pair_reviewer[pairs.start : pairs.stop]]
        groups = [group for _, group in _groups(keys, pairs)]
        if len(groups) < minimum:
            m.add(LinearExpr.sum([]) >= 1)  # fewer keys than needed: infeasible, as it must be
        elif len(groups) == minimum:
            for group in groups:
                _at_least_one_of(m, x, group)
        elif minimum == 2:
            total = [p for group in groups for p in group]
            for group in groups:
                others = sorted(set(total) - set(group))
                _at_least_one_of(m, x, others)
        else:
            present = []
            for group in groups:
                y = m.new_bool_var("")
                m.add(LinearExpr.sum([x[p] for p in group]) >= y)
                present.append(y)
            m.add(LinearExpr.sum(present) >= minimum)


def _at_least_one_of(
    m: cp_model.CpModel, x: list[cp_model.IntVar], pairs: list[int], minimum: int = 1
) -> None:
    m.add(LinearExpr.sum([x[p] for p in pairs]) >= minimum)


def _own_region(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]) -> None:
    """``own_region = "at_least_one"``: a seat from the case's region.

    ("exclude" acts on single pairs and is applied before the model, in ``_instance``.)
    """
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        regions = inst.reviewer_region[inst.pair_reviewer[pairs.start : pairs.stop]]
        own = [pairs.start + int(i) for i in np.flatnonzero(regions == inst.case_region[c])]
        _at_least_one_of(m, x, own)


def _min_senior(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], k: int) -> None:
    """At least ``k`` senior seats on every panel."""
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        senior = inst.reviewer_senior[inst.pair_reviewer[pairs.start : pairs.stop]]
        _at_least_one_of(m, x, [pairs.start + int(i) for i in np.flatnonzero(senior)], k)


def _coverage(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], mode: str) -> None:
    """``"all"``: each case topic has a covering seat; ``"any"``: one topic does."""
    for c in range(inst.n_cases):
        topics = inst.case_topics[c]
        if not topics:
            continue
        pairs = inst.case_pairs(c)
        revs = inst.pair_reviewer[pairs.start : pairs.stop]
        covered = [inst.reviewer_covers[t][revs] for t in topics]
        if mode == "all":
            for mask in covered:
                _at_least_one_of(m, x, [pairs.start + int(i) for i in np.flatnonzero(mask)])
        else:
            mask = np.logical_or.reduce(covered)
            _at_least_one_of(m, x, [pairs.start + int(i) for i in np.flatnonzero(mask)])


def _min_panel_affinity(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], floor: float
) -> None:
    """Every panel's affinity at least ``floor``, at the solver's resolution.

    Each pair's affinity is rounded to a whole solver unit, so a panel of ``k`` seats
    that meets the floor in real numbers may fall up to ``k / 2`` units short (three
    thirds sum to 999,999): the floor is lowered by that much (see ``floor_units``).
    """
    coeffs = to_ints(inst.pair_affinity)
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        m.add(panel_value(x, coeffs, pairs) >= floor_units(floor, int(inst.panel_size[c])))


def floor_units(floor: float, seats: int) -> int:
    """A panel floor in solver units, lowered by the rounding of ``seats`` pairs."""
    return to_int(floor) - seats // 2


def panel_value(
    x: list[cp_model.IntVar], coeffs: npt.NDArray[np.int64], pairs: range
) -> cp_model.LinearExpr:
    """The scaled affinity of the panel over ``pairs``."""
    return LinearExpr.weighted_sum(
        [x[p] for p in pairs], [int(v) for v in coeffs[pairs.start : pairs.stop]]
    )


def _affinity_objective(inst: Instance, x: list[cp_model.IntVar]) -> cp_model.LinearExpr:
    """Total affinity of the assignment, scaled."""
    coeffs = to_ints(inst.pair_affinity)
    return LinearExpr.weighted_sum(x, [int(v) for v in coeffs])


def _load_spread(
    m: cp_model.CpModel, inst: Instance, loads: list[cp_model.LinearExprT], weight: float
) -> cp_model.LinearExpr:
    """``weight * (largest load - smallest load)`` over all reviewers, scaled (to subtract).

    The two ends range up to the most eligible pairs of a reviewer, not up to the largest
    ``max_load``: the soft model (``_soft``) may break maximum loads, and an objective term
    must never hold a load that its rule instance leaves free.
    """
    pairs = np.bincount(inst.pair_reviewer, minlength=inst.n_reviewers)
    top = int(pairs.max(initial=0))
    hi = m.new_int_var(0, top, "max_load")
    lo = m.new_int_var(0, top, "min_load")
    for load in loads:
        m.add(hi >= load)
        m.add(lo <= load)
    spread: cp_model.LinearExpr = hi - lo
    return to_int(weight) * spread


def _worst_case(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar]) -> cp_model.IntVar:
    """A variable bounded by every case's panel affinity (scaled): maximising it is max-min."""
    coeffs = to_ints(inst.pair_affinity)
    k = int(inst.panel_size.max(initial=0))
    lo = min(0, k * int(coeffs.min(initial=0)))
    hi = max(0, k * int(coeffs.max(initial=0)))
    worst = m.new_int_var(lo, hi, "worst_case")
    for c in range(inst.n_cases):
        m.add(worst <= panel_value(x, coeffs, inst.case_pairs(c)))
    return worst


def _forbid_cycles(m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], k: int) -> int:
    """No review cycle of length ``k`` or less among reviewer-applicants.

    The *potential* review graph has an edge ``A -> B`` for every eligible pair (case,
    ``A``) of a case with applicant ``B`` (a reviewer). A Boolean ``y[A, B]`` is implied
    by each such pair (``y >= x``; it need only be pushed up: every cut below caps it).
    Every simple cycle of length ``j <= k`` of that graph gets ``sum y <= j - 1``. An edge
    with a single pair uses that pair's ``x`` itself. The cycles are enumerated once
    (networkx, ``length_bound=k``); more than :data:`MAX_CYCLE_CUTS` is an
    :class:`~reviewassign.InputError` whose ``field`` is the policy key (a ``ValueError``
    too), rather than a model too large to build. Returns the number of cuts.
    """
    if not len(inst.applicant_case):
        return 0
    applicants: dict[int, list[int]] = {}
    for c, r in zip(inst.applicant_case.tolist(), inst.applicant_reviewer.tolist(), strict=True):
        applicants.setdefault(c, []).append(r)
    pairs_of: dict[tuple[int, int], list[int]] = {}
    for c, of in applicants.items():
        for p in inst.case_pairs(c):
            a = int(inst.pair_reviewer[p])
            for b in of:
                if b != a:  # never eligible anyway: a reviewer is no applicant of their case
                    pairs_of.setdefault((a, b), []).append(p)
    graph: nx.DiGraph[int] = nx.DiGraph()
    graph.add_edges_from(pairs_of)
    cycles = list(itertools.islice(nx.simple_cycles(graph, length_bound=k), MAX_CYCLE_CUTS + 1))
    if len(cycles) > MAX_CYCLE_CUTS:
        raise InputError(
            f"forbid_cycles = {k} would forbid more than {MAX_CYCLE_CUTS:,} potential review "
            f"cycles among the reviewer-applicants (of length {k} or less), more than the "
            "model can hold; lower it",
            field="integrity.forbid_cycles",
        )
    edge: dict[tuple[int, int], cp_model.IntVar] = {}
    for cycle in cycles:
        ys = []
        for a, b in itertools.pairwise([*cycle, cycle[0]]):
            if (a, b) not in edge:
                pairs = pairs_of[a, b]
                if len(pairs) == 1:
                    edge[a, b] = x[pairs[0]]
                else:
                    y = m.new_bool_var("")
                    for p in pairs:
                        m.add(y >= x[p])  # linear, so the LP path (_lp) can read it
                    edge[a, b] = y
            ys.append(edge[a, b])
        m.add(LinearExpr.sum(ys) <= len(cycle) - 1)
    return len(cycles)


def _representation(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], rep: RepresentationPolicy
) -> cp_model.LinearExpr | None:
    """Each region's and disclosed gender's seats within its band (see ``seat_bands``).

    Hard when ``rep.weight`` is 0; else returns ``weight * seats outside the bands``,
    scaled, to subtract from the objective.
    """
    outside: list[cp_model.LinearExprT] = []
    seats_total = int(inst.panel_size.sum())
    for band in seat_bands(inst, rep):
        lo, hi = band.lo, band.hi
        pairs = np.zeros(0, dtype=np.int64)
        if band.code >= 0:  # -1 (a target no reviewer has) must not match undisclosed genders
            pairs = np.flatnonzero(band.key[inst.pair_reviewer] == band.code)
        seats = LinearExpr.sum([x[int(p)] for p in pairs])
        if rep.weight == 0:
            if lo > 0:
                m.add(seats >= lo)
            if hi < len(pairs):
                m.add(seats <= hi)
            continue
        excess = m.new_int_var(0, seats_total, "")
        m.add(excess >= seats - hi)
        m.add(excess >= lo - seats)
        outside.append(excess)
    if rep.weight == 0 or not outside:
        return None
    return to_int(rep.weight) * LinearExpr.sum(outside)


def _weak_matches(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], most: int, below: float
) -> None:
    """Each reviewer has at most ``most`` pairs of affinity below ``below`` (``WEAK_EPS``)."""
    weak = np.flatnonzero(inst.pair_affinity < below - WEAK_EPS)
    reviewers = inst.pair_reviewer[weak]
    order = np.argsort(reviewers, kind="stable")
    starts = np.searchsorted(reviewers[order], np.arange(inst.n_reviewers + 1))
    for r in range(inst.n_reviewers):
        mine = weak[order[starts[r] : starts[r + 1]]]
        if len(mine) > most:
            m.add(LinearExpr.sum([x[int(p)] for p in mine]) <= most)


def build_model(inst: Instance, policy: Policy) -> Model:
    """Build the CP-SAT model of every hard rule and the objective of ``policy``."""
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in range(inst.n_pairs)]
    panel = policy.panel
    _panel_size(m, inst, x)
    loads, load_rows = _loads(m, inst, x)
    if panel.max_per_region is not None:
        _max_per_group(m, inst, x, inst.reviewer_region, panel.max_per_region)
    implied_regions = (
        0
        if panel.max_per_region is None
        else -(-int(inst.panel_size.min(initial=0)) // panel.max_per_region)
    )
    if panel.min_regions > max(1, implied_regions):
        _min_distinct(m, inst, x, inst.reviewer_region, panel.min_regions)
    if panel.own_region == "at_least_one":
        _own_region(m, inst, x)
    if panel.max_per_gender is not None:
        _max_per_group(m, inst, x, inst.reviewer_gender, panel.max_per_gender)
    if panel.min_genders > 0:
        _min_distinct(m, inst, x, inst.reviewer_gender, panel.min_genders)
    if panel.min_senior > 0:
        _min_senior(m, inst, x, panel.min_senior)
    if policy.expertise.coverage != "none":
        _coverage(m, inst, x, policy.expertise.coverage)
    if policy.expertise.min_panel_affinity > 0:
        _min_panel_affinity(m, inst, x, policy.expertise.min_panel_affinity)
    objective = whole_assignment(m, inst, x, loads, policy)
    worst = _worst_case(m, inst, x) if "worst_case" in policy.objective.levels else None
    return Model(m, x, objective, worst, load_rows, loads)


def whole_assignment(
    m: cp_model.CpModel,
    inst: Instance,
    x: list[cp_model.IntVar],
    loads: list[cp_model.LinearExprT],
    policy: Policy,
) -> cp_model.LinearExpr:
    """Add the rules over the whole assignment; return the policy objective.

    The rules are cycles, weak matches and representation bands; the objective is the
    total affinity less the load-spread and band penalties. Shared by this model and the
    soft model of ``_soft``, where these rules stay hard.
    """
    if policy.integrity.forbid_cycles:
        _forbid_cycles(m, inst, x, policy.integrity.forbid_cycles)
    if policy.load.max_weak_matches is not None:
        _weak_matches(m, inst, x, policy.load.max_weak_matches, policy.load.weak_match_below)
    outside = _representation(m, inst, x, policy.representation)
    objective = _affinity_objective(inst, x)
    if policy.objective.load_spread > 0:
        objective = objective - _load_spread(m, inst, loads, policy.objective.load_spread)
    if outside is not None:
        objective = objective - outside
    return objective
