"""Rules over the whole assignment: review cycles, weak matches, representation bands.

The rules ``integrity.forbid_cycles``, ``load.max_weak_matches`` and the
``representation`` bands.

One encoding each, shared by both models: the soft model holds them hard (never relaxed,
never in a core), through ``_builders.whole_assignment``. The bands are rules only with
``representation.weight = 0``; with a weight, the seats outside them are an objective
term (``_builders``), counted over the same :func:`band_seats`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import networkx as nx
import numpy as np
from ortools.sat.python import cp_model

from ...._data.policy import WEAK_EPS, Policy, RepresentationPolicy
from ...._errors import InputError
from ...._reduce.eligible import Instance, SeatBand, seat_bands
from ._common import HardEncoding, LinearExpr

__all__ = [
    "HARD",
    "MAX_CYCLE_CUTS",
    "band_seats",
    "hard_forbid_cycles",
    "hard_gender_bands",
    "hard_region_bands",
    "hard_weak_matches",
]

MAX_CYCLE_CUTS = 200_000
"""The most potential review cycles ``integrity.forbid_cycles`` enumerates into the model."""


def hard_forbid_cycles(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """No review cycle of length ``k`` or less among reviewer-applicants.

    The *potential* review graph has an edge ``A -> B`` for every eligible pair (case,
    ``A``) of a case with applicant ``B`` (a reviewer). A Boolean ``y[A, B]`` is implied
    by each such pair (``y >= x``; it need only be pushed up: every cut below caps it).
    Every simple cycle of length ``j <= k`` of that graph gets ``sum y <= j - 1``. An edge
    with a single pair uses that pair's ``x`` itself. The cycles are enumerated once
    (networkx, ``length_bound=k``); more than :data:`MAX_CYCLE_CUTS` is an
    :class:`~reviewassign.InputError` whose ``field`` is the policy key (a ``ValueError``
    too), rather than a model too large to build.
    """
    k = policy.integrity.forbid_cycles
    if not len(inst.applicant_case):
        return
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


def hard_weak_matches(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Each reviewer has at most ``max_weak_matches`` pairs below ``weak_match_below``."""
    most, below = policy.load.max_weak_matches, policy.load.weak_match_below
    assert most is not None  # the rule is on
    weak = np.flatnonzero(inst.pair_affinity < below - WEAK_EPS)
    reviewers = inst.pair_reviewer[weak]
    order = np.argsort(reviewers, kind="stable")
    starts = np.searchsorted(reviewers[order], np.arange(inst.n_reviewers + 1))
    for r in range(inst.n_reviewers):
        mine = weak[order[starts[r] : starts[r + 1]]]
        if len(mine) > most:
            m.add(LinearExpr.sum([x[int(p)] for p in mine]) <= most)


def band_seats(
    inst: Instance, x: list[cp_model.IntVar], rep: RepresentationPolicy
) -> Iterator[tuple[SeatBand, cp_model.LinearExpr, int]]:
    """Every band that is on (see ``seat_bands``), its seats, and how many pairs can fill it."""
    for band in seat_bands(inst, rep):
        pairs = np.zeros(0, dtype=np.int64)
        if band.code >= 0:  # -1 (a target no reviewer has) must not match undisclosed genders
            pairs = np.flatnonzero(band.key[inst.pair_reviewer] == band.code)
        yield band, LinearExpr.sum([x[int(p)] for p in pairs]), len(pairs)


def _hard_bands(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy, rule: str
) -> None:
    """Each band of ``rule``: its label's seats within ``[lo, hi]``."""
    for band, seats, fillable in band_seats(inst, x, policy.representation):
        if band.rule != rule:
            continue
        if band.lo > 0:
            m.add(seats >= band.lo)
        if band.hi < fillable:
            m.add(seats <= band.hi)


def hard_region_bands(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Each region's seats within its band (``representation.region_tolerance``)."""
    _hard_bands(m, inst, x, policy, "representation.region_tolerance")


def hard_gender_bands(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Each disclosed gender's seats within its band (``representation.gender_tolerance``)."""
    _hard_bands(m, inst, x, policy, "representation.gender_tolerance")


HARD: dict[str, HardEncoding] = {
    "integrity.forbid_cycles": hard_forbid_cycles,
    "load.max_weak_matches": hard_weak_matches,
    "representation.region_tolerance": hard_region_bands,
    "representation.gender_tolerance": hard_gender_bands,
}
"""In the order the models add them (cycles first, as they always have been)."""
