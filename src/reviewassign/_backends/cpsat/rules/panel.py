"""Who sits on a panel: ``panel.own_region``, ``panel.min_senior`` and ``panel.language``.

``own_region = "exclude"`` and ``language`` act on single pairs: the hard model gives
the pairs they exclude no variable at all (``_reduce.eligible``), so only their soft encodings
live here (the soft instance keeps those pairs, and a seat on one breaks the rule).
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from ...._data.policy import Policy
from ...._reduce.eligible import Instance
from ._common import HardEncoding, RuleInstance, SoftBuilder, SoftEncoding, at_least_one_of

__all__ = [
    "HARD",
    "SOFT",
    "hard_min_senior",
    "hard_own_region",
    "soft_language",
    "soft_min_senior",
    "soft_own_region",
]


def hard_own_region(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """``own_region = "at_least_one"``: a seat from the case's region.

    ("exclude" acts on single pairs and is applied before the model, in ``_reduce.eligible``.)
    """
    if policy.panel.own_region != "at_least_one":
        return
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        regions = inst.reviewer_region[inst.pair_reviewer[pairs.start : pairs.stop]]
        own = [pairs.start + int(i) for i in np.flatnonzero(regions == inst.case_region[c])]
        at_least_one_of(m, x, own)


def hard_min_senior(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """At least ``panel.min_senior`` senior seats on every panel."""
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        senior = inst.reviewer_senior[inst.pair_reviewer[pairs.start : pairs.stop]]
        seats = [pairs.start + int(i) for i in np.flatnonzero(senior)]
        at_least_one_of(m, x, seats, policy.panel.min_senior)


def soft_own_region(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s own-region rule, soft: a seat from it, or none."""
    own = b.inst.reviewer_region[b.reviewers(c)] == b.inst.case_region[c]
    seats = [b.seats(b.case_seats(c, own))]
    if policy.panel.own_region == "at_least_one":
        b.soft(RuleInstance("panel.own_region", c, limit=1, at_most=False), seats, 1)
    elif policy.panel.own_region == "exclude":
        size = int(b.inst.panel_size[c])
        b.soft(RuleInstance("panel.own_region", c, limit=0), seats, size)


def soft_min_senior(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s minimum of senior seats, soft."""
    senior = b.case_seats(c, b.inst.reviewer_senior[b.reviewers(c)])
    k = policy.panel.min_senior
    b.soft(RuleInstance("panel.min_senior", c, limit=k, at_most=False), [b.seats(senior)], k)


def soft_language(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s language rule, soft: seats that do not read it break it (no language: none)."""
    lang = b.problem.cases[c].language
    if lang:
        others = b.case_seats(c, ~b.speaks[lang][b.reviewers(c)])
        size = int(b.inst.panel_size[c])
        b.soft(RuleInstance("panel.language", c, limit=0), [b.seats(others)], size)


HARD: dict[str, HardEncoding] = {
    "panel.own_region": hard_own_region,
    "panel.min_senior": hard_min_senior,
}
SOFT: dict[str, SoftEncoding] = {
    "panel.own_region": soft_own_region,
    "panel.min_senior": soft_min_senior,
    "panel.language": soft_language,
}
