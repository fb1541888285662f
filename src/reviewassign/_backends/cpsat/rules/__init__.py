"""The CP-SAT encodings of the rules, one module per rule family, hard and soft side by side.

- ``loads``: ``panel_size``, ``load.min``, ``load.max`` (always on; the builders call
  them first, themselves);
- ``groups``: the region and gender caps and minimums;
- ``panel``: ``panel.own_region``, ``panel.min_senior``, ``panel.language``;
- ``expertise``: ``expertise.coverage``, ``expertise.min_panel_affinity``;
- ``whole``: ``integrity.forbid_cycles``, ``load.max_weak_matches`` and the
  ``representation`` bands, one encoding shared by both models (hard in the soft one);
- ``attributes``: ``panel.rules`` (the ``[[panel.rules]]`` entries) and
  ``representation.bands`` (a whole-assignment rule, in :data:`WHOLE`);
- ``pairs``: ``pairs.disjoint`` (per case), ``pairs.linked`` (whole) and the fixing of
  forced pairs (``pairs.fix_forced``, called by both builders);
- ``history``: ``history.min_new_share`` (per case) and ``history.max_repeat_pairs``
  (over the whole assignment, after ``whole``'s).

Each family module declares its ``HARD`` and ``SOFT`` tables (rule key to encoding);
the builders loop over the merged tables below, keeping the rules the policy turns on
(``_data.rules.active``). A table's order is the order in which the model receives its
constraints: CP-SAT's search depends on it, and a fixed seed gives the same assignment
only if it stays. The per-case rules go in check order; the whole-assignment rules in
``whole.HARD``'s own order. Every rule of the registry is in :data:`HARD` or
:data:`WHOLE`, or in :data:`ELSEWHERE` with the reason (``tests/test_registry.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

from ...._data.rules import keys
from . import attributes, expertise, groups, history, loads, pairs, panel, whole
from ._common import HardEncoding, RuleInstance, SoftBuilder, SoftEncoding

T = TypeVar("T")

__all__ = [
    "ELSEWHERE",
    "HARD",
    "SOFT",
    "WHOLE",
    "HardEncoding",
    "RuleInstance",
    "SoftBuilder",
    "SoftEncoding",
    "loads",
    "pairs",
]


def _in_check_order(*tables: Mapping[str, T]) -> Mapping[str, T]:
    """The families' tables as one, in the registry's (check) order."""
    merged = {key: encode for table in tables for key, encode in table.items()}
    return MappingProxyType({key: merged[key] for key in keys() if key in merged})


HARD: Mapping[str, HardEncoding] = _in_check_order(
    groups.HARD, panel.HARD, attributes.HARD, expertise.HARD, pairs.HARD, history.HARD
)
"""The per-case rules of the hard model, after panel sizes and loads."""

SOFT: Mapping[str, SoftEncoding] = _in_check_order(
    groups.SOFT, panel.SOFT, attributes.SOFT, expertise.SOFT, pairs.SOFT, history.SOFT
)
"""The per-case rules of the soft model, case by case, after panel sizes and loads."""

WHOLE: Mapping[str, HardEncoding] = MappingProxyType(
    {**whole.HARD, **attributes.WHOLE, **pairs.WHOLE, **history.WHOLE}
)
"""The rules over the whole assignment, in both models, after the per-case rules."""

_ELIGIBILITY = "a single-pair rule: the pairs it excludes get no variable (``_reduce.eligible``)"

ELSEWHERE: Mapping[str, str] = MappingProxyType(
    {
        "assignment.unknown_case": "the model assigns only the problem's cases",
        "assignment.unknown_reviewer": "the model assigns only the problem's reviewers",
        "assignment.duplicate": "one Boolean per pair: a reviewer sits once on a panel",
        "panel_size": "always on: loads.hard_panel_size and loads.soft_panel_size",
        "load.min": "always on: loads.hard_loads and loads.soft_loads",
        "load.max": "always on: loads.hard_loads and loads.soft_loads",
        "conflicts.declared": _ELIGIBILITY + ", in both models",
        "conflicts.same_institution": _ELIGIBILITY + ", in both models",
        "conflicts.same_country": _ELIGIBILITY + ", in both models",
        "conflicts.relation_distance": _ELIGIBILITY + ", in both models",
        "conflicts.applicant": _ELIGIBILITY + ", in both models",
        "panel.language": _ELIGIBILITY + " in the hard model; SOFT in the soft one",
        "pairs.forced": "fixed on in both models: pairs.fix_forced (never relaxed)",
        "history.institution_years": _ELIGIBILITY + ", in both models",
    }
)
"""Rules without an entry in the tables above, and where they are encoded instead."""
