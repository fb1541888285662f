"""Rules by any attribute: ``panel.rules`` (per panel) and ``representation.bands`` (whole).

Each ``[[panel.rules]]`` entry is indexed once in the instance (``_reduce.eligible.PanelRule``:
the cases it applies to, which seats it counts, the values of each seat). A counting entry
(``values``, ``same_as``, ``different_from``) bounds the counted seats of every panel it
applies to; ``min_distinct`` needs a Boolean per value present, ``max_per_value`` caps the
seats of each value (a reviewer with several values sits in several groups). Entries of
``at_most = 0`` alone remove their pairs before the hard model (``_reduce.eligible``); the
soft model keeps those pairs and counts a seat on one against the entry.

The attribute bands share the region and gender bands' seat bounds (``seat_bands``) and
their objective term under a ``representation.weight`` (``model._band_penalty``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ...._data.policy import Policy
from ...._reduce.eligible import Instance, PanelRule
from ._common import (
    HardEncoding,
    LinearExpr,
    RuleInstance,
    SoftBuilder,
    SoftEncoding,
    at_least_distinct,
    at_least_one_of,
)
from .whole import band_seats

__all__ = [
    "HARD",
    "SOFT",
    "WHOLE",
    "hard_attribute_bands",
    "hard_panel_rules",
    "soft_panel_rules",
]


def _value_groups(
    rule: PanelRule, pairs: range, reviewers: npt.NDArray[np.int64]
) -> list[list[int]]:
    """The pairs of one case grouped by the value of their reviewer (several, or none)."""
    has = rule.coded.has[reviewers]
    return [
        [pairs.start + int(i) for i in np.flatnonzero(has[:, k])]
        for k in range(has.shape[1])
        if has[:, k].any()
    ]


def _counted(rule: PanelRule, c: int, pairs: range, reviewers: npt.NDArray[np.int64]) -> list[int]:
    """The pairs of case ``c`` whose seats the counting entry counts."""
    return [pairs.start + int(i) for i in np.flatnonzero(rule.counted(c, reviewers))]


def _hard_entry(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], rule: PanelRule, c: int
) -> None:
    """One entry on case ``c``'s panel."""
    pairs = inst.case_pairs(c)
    reviewers = inst.pair_reviewer[pairs.start : pairs.stop]
    if rule.kind == "min_distinct":
        at_least_distinct(m, x, _value_groups(rule, pairs, reviewers), rule.limit)
        return
    if rule.kind == "max_per_value":
        for group in _value_groups(rule, pairs, reviewers):
            if len(group) > rule.limit:
                m.add(LinearExpr.sum([x[p] for p in group]) <= rule.limit)
        return
    counted = _counted(rule, c, pairs, reviewers)
    if rule.at_least:
        at_least_one_of(m, x, counted, rule.at_least)
    if rule.at_most is not None and len(counted) > rule.at_most:
        m.add(LinearExpr.sum([x[p] for p in counted]) <= rule.at_most)


def hard_panel_rules(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Every ``[[panel.rules]]`` entry on every panel it applies to, in the policy's order."""
    for rule in inst.panel_rules:
        for c in np.flatnonzero(rule.applies).tolist():
            _hard_entry(m, inst, x, rule, c)


def _soft_entry(b: SoftBuilder, rule: PanelRule, c: int) -> None:
    """One entry on case ``c``'s panel, soft: each bound an instance of ``panel.rules``."""
    pairs = b.inst.case_pairs(c)
    reviewers = b.reviewers(c)
    size = int(b.inst.panel_size[c])
    if rule.kind == "max_per_value":
        if rule.limit < size:  # else it never binds
            sums = [b.seats(g) for g in _value_groups(rule, pairs, reviewers)]
            b.soft(RuleInstance("panel.rules", c, limit=rule.limit, entry=rule.name), sums, size)
        return
    if rule.kind == "min_distinct":
        present = []
        for group in _value_groups(rule, pairs, reviewers):
            y = b.m.new_bool_var("")
            b.m.add(b.seats(group) >= y)
            present.append(y)
        need = RuleInstance("panel.rules", c, limit=rule.limit, at_most=False, entry=rule.name)
        b.soft(need, [LinearExpr.sum(present)], rule.limit)
        return
    seats = [b.seats(_counted(rule, c, pairs, reviewers))]
    if rule.at_least:
        need = RuleInstance("panel.rules", c, limit=rule.at_least, at_most=False, entry=rule.name)
        b.soft(need, seats, rule.at_least)
    if rule.at_most is not None and rule.at_most < size:
        b.soft(RuleInstance("panel.rules", c, limit=rule.at_most, entry=rule.name), seats, size)


def soft_panel_rules(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s instances of every ``[[panel.rules]]`` entry that applies to it."""
    for rule in b.inst.panel_rules:
        if rule.applies[c]:
            _soft_entry(b, rule, c)


def hard_attribute_bands(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """Each value of each ``[[representation.bands]]`` attribute within its band."""
    for band, seats, fillable in band_seats(inst, x, policy.representation):
        if band.rule != "representation.bands":
            continue
        if band.lo > 0:
            m.add(seats >= band.lo)
        if band.hi < fillable:
            m.add(seats <= band.hi)


HARD: dict[str, HardEncoding] = {"panel.rules": hard_panel_rules}
SOFT: dict[str, SoftEncoding] = {"panel.rules": soft_panel_rules}
WHOLE: dict[str, HardEncoding] = {"representation.bands": hard_attribute_bands}
"""Added after the rules of ``whole.HARD``, in both models."""
