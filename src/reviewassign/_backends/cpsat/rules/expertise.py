"""What a panel knows: ``expertise.coverage`` and ``expertise.min_panel_affinity``.

A topic is covered by a seat whose level in it is at least ``expertise.min_level``
(``Instance.reviewer_covers``). A panel's affinity is compared with the floor at the
solver's resolution: each pair's affinity is rounded to a whole unit, so the floor is
lowered by half a unit a seat (:func:`floor_units`).
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from ...._data.policy import Policy
from ...._reduce.eligible import Instance
from ...scale import to_int, to_ints
from ._common import (
    HardEncoding,
    RuleInstance,
    SoftBuilder,
    SoftEncoding,
    at_least_one_of,
    floor_units,
    panel_value,
)

__all__ = [
    "HARD",
    "SOFT",
    "hard_coverage",
    "hard_min_panel_affinity",
    "soft_coverage",
    "soft_min_panel_affinity",
]


def hard_coverage(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """``"all"``: each case topic has a covering seat; ``"any"``: one topic does."""
    mode = policy.expertise.coverage
    for c in range(inst.n_cases):
        topics = inst.case_topics[c]
        if not topics:
            continue
        pairs = inst.case_pairs(c)
        revs = inst.pair_reviewer[pairs.start : pairs.stop]
        covered = [inst.reviewer_covers[t][revs] for t in topics]
        if mode == "all":
            for mask in covered:
                at_least_one_of(m, x, [pairs.start + int(i) for i in np.flatnonzero(mask)])
        else:
            mask = np.logical_or.reduce(covered)
            at_least_one_of(m, x, [pairs.start + int(i) for i in np.flatnonzero(mask)])


def hard_min_panel_affinity(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Every panel's affinity at least ``expertise.min_panel_affinity``, at the solver's resolution.

    Each pair's affinity is rounded to a whole solver unit, so a panel of ``k`` seats
    that meets the floor in real numbers may fall up to ``k / 2`` units short (three
    thirds sum to 999,999): the floor is lowered by that much (see ``floor_units``).
    """
    floor = policy.expertise.min_panel_affinity
    coeffs = to_ints(inst.pair_affinity)
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        m.add(panel_value(x, coeffs, pairs) >= floor_units(floor, int(inst.panel_size[c])))


def soft_coverage(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s coverage, soft: one instance per topic (``"all"``) or one (``"any"``)."""
    topics = b.inst.case_topics[c]
    revs = b.reviewers(c)
    if policy.expertise.coverage == "all":
        for t in topics:
            covering = b.case_seats(c, b.inst.reviewer_covers[t][revs])
            rule = RuleInstance("expertise.coverage", c, topic=t, limit=1, at_most=False)
            b.soft(rule, [b.seats(covering)], 1)
    elif policy.expertise.coverage == "any" and topics:
        mask = np.logical_or.reduce([b.inst.reviewer_covers[t][revs] for t in topics])
        rule = RuleInstance("expertise.coverage", c, limit=1, at_most=False)
        b.soft(rule, [b.seats(b.case_seats(c, mask))], 1)


def soft_min_panel_affinity(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s panel-affinity floor, soft (a floor below the resolution: no instance)."""
    floor = policy.expertise.min_panel_affinity
    if to_int(floor) <= 0:
        return
    size = int(b.inst.panel_size[c])
    need = floor_units(floor, size)
    rule = RuleInstance("expertise.min_panel_affinity", c, limit=need, at_most=False)
    lowest = min(0, int(b.coeffs.min(initial=0))) * size
    b.soft(rule, [panel_value(b.x, b.coeffs, b.inst.case_pairs(c))], need - lowest)


HARD: dict[str, HardEncoding] = {
    "expertise.coverage": hard_coverage,
    "expertise.min_panel_affinity": hard_min_panel_affinity,
}
SOFT: dict[str, SoftEncoding] = {
    "expertise.coverage": soft_coverage,
    "expertise.min_panel_affinity": soft_min_panel_affinity,
}
