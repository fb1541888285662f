"""The CP-SAT encodings of the rules, one module per rule family, hard and soft side by side.

- ``loads``: ``panel_size``, ``load.min``, ``load.max`` (always on; the builders call
  them first, themselves);
- ``groups``: ``panel.max_per_region``, ``panel.min_regions``, ``panel.max_per_gender``,
  ``panel.min_genders``;
- ``panel``: ``panel.own_region``, ``panel.min_senior``, ``panel.language``;
- ``expertise``: ``expertise.coverage``, ``expertise.min_panel_affinity``;
- ``whole``: ``integrity.forbid_cycles``, ``load.max_weak_matches`` and the
  ``representation`` bands, one encoding shared by both models (hard in the soft one).

The builders loop over the tables below, keeping the rules the policy turns on
(``_rules.active``). A table's order is the order in which the model receives its
constraints: CP-SAT's search depends on it, and a fixed seed gives the same assignment
only if it stays. Every rule of the registry is in :data:`HARD` or :data:`WHOLE`, or in
:data:`ELSEWHERE` with the reason (``tests/test_registry.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from . import expertise, groups, loads, panel, whole
from ._common import HardEncoding, RuleInstance, SoftBuilder, SoftEncoding

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
]

HARD: Mapping[str, HardEncoding] = MappingProxyType(
    {
        "panel.max_per_region": groups.hard_max_per_region,
        "panel.min_regions": groups.hard_min_regions,
        "panel.own_region": panel.hard_own_region,
        "panel.max_per_gender": groups.hard_max_per_gender,
        "panel.min_genders": groups.hard_min_genders,
        "panel.min_senior": panel.hard_min_senior,
        "expertise.coverage": expertise.hard_coverage,
        "expertise.min_panel_affinity": expertise.hard_min_panel_affinity,
    }
)
"""The per-case rules of the hard model, after panel sizes and loads."""

SOFT: Mapping[str, SoftEncoding] = MappingProxyType(
    {
        "panel.max_per_region": groups.soft_max_per_region,
        "panel.min_regions": groups.soft_min_regions,
        "panel.own_region": panel.soft_own_region,
        "panel.max_per_gender": groups.soft_max_per_gender,
        "panel.min_genders": groups.soft_min_genders,
        "panel.min_senior": panel.soft_min_senior,
        "panel.language": panel.soft_language,
        "expertise.coverage": expertise.soft_coverage,
        "expertise.min_panel_affinity": expertise.soft_min_panel_affinity,
    }
)
"""The per-case rules of the soft model, case by case, after panel sizes and loads."""

WHOLE: Mapping[str, HardEncoding] = MappingProxyType(
    {
        "integrity.forbid_cycles": whole.hard_forbid_cycles,
        "load.max_weak_matches": whole.hard_weak_matches,
        "representation.region_tolerance": whole.hard_region_bands,
        "representation.gender_tolerance": whole.hard_gender_bands,
    }
)
"""The rules over the whole assignment, in both models, after the per-case rules."""

_ELIGIBILITY = "a single-pair rule: the pairs it excludes get no variable (``_instance``)"

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
    }
)
"""Rules without an entry in the tables above, and where they are encoded instead."""
