"""Regions and genders on a panel, hard and soft.

The rules ``panel.max_per_region``, ``panel.min_regions``, ``panel.max_per_gender`` and
``panel.min_genders``.
A cap bounds the seats of each group (region, disclosed gender) of a case's eligible
reviewers; a minimum counts the groups present. The hard minimum keeps the LP
strengthening of :func:`_min_distinct`, and skips a region minimum that the region cap
and the panel sizes already imply (it would add only weaker rows).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ...._data.policy import Policy
from ...._data.rules import region_cap
from ...._reduce.eligible import Instance
from ._common import (
    HardEncoding,
    LinearExpr,
    RuleInstance,
    SoftBuilder,
    SoftEncoding,
    at_least_distinct,
    case_keys,
    groups,
)

__all__ = [
    "HARD",
    "SOFT",
    "hard_max_per_gender",
    "hard_max_per_region",
    "hard_min_genders",
    "hard_min_regions",
    "soft_max_per_gender",
    "soft_max_per_region",
    "soft_min_genders",
    "soft_min_regions",
]

Keys = npt.NDArray[np.int64]


def _max_per_group(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], reviewer_key: Keys, cap: int
) -> None:
    """Per case, at most ``cap`` seats share one key (region or disclosed gender)."""
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        for _, group in groups(case_keys(inst, c, reviewer_key), pairs):
            if len(group) > cap:
                m.add(LinearExpr.sum([x[p] for p in group]) <= cap)


def _min_distinct(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], reviewer_key: Keys, minimum: int
) -> None:
    """Per case, at least ``minimum`` distinct keys among the seats (negative keys count for none).

    A reviewer has one key, so the groups never share a pair (see
    :func:`._common.at_least_distinct` for the encodings).
    """
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        found = [group for _, group in groups(case_keys(inst, c, reviewer_key), pairs)]
        at_least_distinct(m, x, found, minimum)


def hard_max_per_region(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """At most the region cap of seats from one region on every panel."""
    cap = region_cap(policy)
    assert cap is not None  # the rule is on
    _max_per_group(m, inst, x, inst.reviewer_region, cap)


def hard_min_regions(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """At least ``panel.min_regions`` distinct regions on every panel.

    Skipped when every panel meets it anyway: a minimum of 1 (every panel has a seat), or
    one that the region cap implies on the smallest panel (``ceil(size / cap)`` regions).
    """
    cap = region_cap(policy)
    implied = 0 if cap is None else -(-int(inst.panel_size.min(initial=0)) // cap)
    if policy.panel.min_regions > max(1, implied):
        _min_distinct(m, inst, x, inst.reviewer_region, policy.panel.min_regions)


def hard_max_per_gender(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """At most ``panel.max_per_gender`` seats of one disclosed gender on every panel."""
    cap = policy.panel.max_per_gender
    assert cap is not None  # the rule is on
    _max_per_group(m, inst, x, inst.reviewer_gender, cap)


def hard_min_genders(
    m: cp_model.CpModel, inst: Instance, x: list[cp_model.IntVar], policy: Policy
) -> None:
    """At least ``panel.min_genders`` distinct disclosed genders on every panel."""
    _min_distinct(m, inst, x, inst.reviewer_gender, policy.panel.min_genders)


def _soft_max_per_group(b: SoftBuilder, c: int, keys: Keys, cap: int, rule: str) -> None:
    """At most ``cap`` seats share one key (negative keys: no group), give or take the slack."""
    pairs = b.inst.case_pairs(c)
    sums = [b.seats(group) for _, group in groups(keys, pairs)]
    seats = int(b.inst.panel_size[c])
    if cap >= seats:  # never binds (and a huge cap would overflow the solver's integers)
        return
    b.soft(RuleInstance(rule, c, limit=cap), sums, seats)


def _soft_min_distinct(b: SoftBuilder, c: int, keys: Keys, minimum: int, rule: str) -> None:
    """At least ``minimum`` distinct keys among the seats, give or take the slack."""
    pairs = b.inst.case_pairs(c)
    present = []
    for _, group in groups(keys, pairs):
        y = b.m.new_bool_var("")
        b.m.add(b.seats(group) >= y)
        present.append(y)
    b.soft(RuleInstance(rule, c, limit=minimum, at_most=False), [LinearExpr.sum(present)], minimum)


def soft_max_per_region(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s region cap, soft."""
    cap = region_cap(policy)
    assert cap is not None  # the rule is on
    region = b.inst.reviewer_region[b.reviewers(c)]
    _soft_max_per_group(b, c, region, cap, "panel.max_per_region")


def soft_min_regions(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s minimum of regions, soft (1 needs no instance: every panel has a seat)."""
    if policy.panel.min_regions > 1:
        region = b.inst.reviewer_region[b.reviewers(c)]
        _soft_min_distinct(b, c, region, policy.panel.min_regions, "panel.min_regions")


def soft_max_per_gender(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s cap per disclosed gender, soft."""
    cap = policy.panel.max_per_gender
    assert cap is not None  # the rule is on
    gender = b.inst.reviewer_gender[b.reviewers(c)]
    _soft_max_per_group(b, c, gender, cap, "panel.max_per_gender")


def soft_min_genders(b: SoftBuilder, c: int, policy: Policy) -> None:
    """Case ``c``'s minimum of disclosed genders, soft."""
    gender = b.inst.reviewer_gender[b.reviewers(c)]
    _soft_min_distinct(b, c, gender, policy.panel.min_genders, "panel.min_genders")


HARD: dict[str, HardEncoding] = {
    "panel.max_per_region": hard_max_per_region,
    "panel.min_regions": hard_min_regions,
    "panel.max_per_gender": hard_max_per_gender,
    "panel.min_genders": hard_min_genders,
}
SOFT: dict[str, SoftEncoding] = {
    "panel.max_per_region": soft_max_per_region,
    "panel.min_regions": soft_min_regions,
    "panel.max_per_gender": soft_max_per_gender,
    "panel.min_genders": soft_min_genders,
}
