"""The rule registry (``_data.rules``) and what every rule of it must have.

For every rule: a policy that turns it on and whose ``off`` turns it off again; a case
in ``check``'s tests; a hard and a soft encoding, or a stated place where it is encoded
instead; a ``Binding`` and an ``Infeasible`` case in ``test_rules.py`` (or a stated
exemption); its sentences for explanations and reports; its measure of where it binds
(``_spec/binding.py``); for a panel rule, explain's test of one case's pool
(``Rule.alone``); a flow-agreement case when a flow network takes it. Adding a rule
without one of these fails here, by name.
"""

from __future__ import annotations

import numpy as np
import pytest

import reviewassign as ra
from reviewassign._audit.report import _rules
from reviewassign._backends.cpsat import rules as encodings
from reviewassign._data.policy import RELAXABLE
from reviewassign._data.rules import RULES, Pool, Said, active, keys, rule
from reviewassign._spec.binding import MEASURES
from reviewassign._spec.check import RULES as CHECK_RULES
from test_check import RULE_CASES
from test_rules import BINDINGS, FLOW_POLICIES, INFEASIBLE, random_problem

KEYS = keys()

ON: dict[str, ra.Policy] = {
    "assignment.unknown_case": ra.Policy(),
    "assignment.unknown_reviewer": ra.Policy(),
    "assignment.duplicate": ra.Policy(),
    "panel_size": ra.Policy(),
    "load.min": ra.Policy(load={"min": 1}),
    "load.max": ra.Policy(),
    "load.max_weak_matches": ra.Policy(load={"max_weak_matches": 1}),
    "conflicts.declared": ra.Policy(),
    "conflicts.same_institution": ra.Policy(),
    "conflicts.same_country": ra.Policy(conflicts={"same_country": True}),
    "conflicts.relation_distance": ra.Policy(),
    "conflicts.applicant": ra.Policy(),
    "panel.max_per_region": ra.Policy(panel={"max_per_region": 1}),
    "panel.min_regions": ra.Policy(panel={"min_regions": 2}),
    "panel.own_region": ra.Policy(panel={"own_region": "exclude"}),
    "panel.max_per_gender": ra.Policy(panel={"max_per_gender": 1}),
    "panel.min_genders": ra.Policy(panel={"min_genders": 2}),
    "panel.min_senior": ra.Policy(panel={"min_senior": 1}),
    "panel.language": ra.Policy(),
    "expertise.coverage": ra.Policy(expertise={"coverage": "all"}),
    "expertise.min_panel_affinity": ra.Policy(expertise={"min_panel_affinity": 0.5}),
    "representation.region_tolerance": ra.Policy(
        representation={"region_tolerance": 0.1, "region_targets": {"A": 0.5}}
    ),
    "representation.gender_tolerance": ra.Policy(representation={"gender_tolerance": 0.1}),
    "integrity.forbid_cycles": ra.Policy(integrity={"forbid_cycles": 2}),
    "pairs.forced": ra.Policy(),
    "pairs.disjoint": ra.Policy(),
    "pairs.linked": ra.Policy(),
    "history.institution_years": ra.Policy(history={"institution_years": 1}),
    "history.min_new_share": ra.Policy(history={"min_new_share": 0.5}),
    "history.max_repeat_pairs": ra.Policy(history={"max_repeat_pairs": 0}),
    "panel.rules": ra.Policy(
        panel={"rules": [{"attribute": "seniority", "values": "senior", "at_least": 1}]}
    ),
    "representation.bands": ra.Policy(
        representation={"bands": [{"attribute": "seniority", "tolerance": 0.2}]}
    ),
}
"""Per rule, a policy that turns it on (the default one for rules that are always on)."""

EVERY = ra.Policy(
    panel_size=3,
    load={"min": 1, "max_weak_matches": 2},
    conflicts={"same_country": True},
    panel={
        "max_per_region": 2,
        "min_regions": 2,
        "own_region": "at_least_one",
        "max_per_gender": 2,
        "min_genders": 2,
        "min_senior": 1,
        "rules": [{"name": "senior", "attribute": "seniority", "values": "senior", "at_least": 1}],
    },
    expertise={"coverage": "any", "min_panel_affinity": 0.1},
    integrity={"forbid_cycles": 2},
    representation={
        "region_tolerance": 0.5,
        "gender_tolerance": 0.5,
        "bands": [{"attribute": "seniority", "tolerance": 0.5}],
    },
    history={"institution_years": 1, "min_new_share": 0.34, "max_repeat_pairs": 1},
)
"""A policy that turns every rule on."""

NOT_SOLVED = {
    "assignment.unknown_case": "about a listed assignment: the solver never writes one",
    "assignment.unknown_reviewer": "about a listed assignment: the solver never writes one",
    "assignment.duplicate": "about a listed assignment: the solver never writes one",
    "load.max_weak_matches": "test_integrity.py::test_weak_match_cap",
    "representation.region_tolerance": "test_integrity.py::test_region_band_hard",
    "representation.gender_tolerance": "test_integrity.py::test_gender_band_and_explicit_targets",
    "integrity.forbid_cycles": "test_integrity.py::test_two_cycle_optimum_by_hand and others",
    "representation.bands": "test_attributes.py (the representation.bands section)",
    "expertise.min_panel_affinity": "test_levels.py (the expertise.min_panel_affinity section)",
    "pairs.forced": "test_pairs.py: forced pairs are solve inputs, not problem data",
}
"""Rules without a ``Binding`` and an ``Infeasible`` case in test_rules.py, and where
they are solved instead."""


def _infeasible_rule(param: object) -> str:
    """The rule an ``Infeasible`` case is about: its id up to the first ``-``."""
    return str(getattr(param, "id", "")).split("-")[0]


def test_the_registry_is_check_order_and_the_copies_are_derived() -> None:
    assert KEYS == CHECK_RULES
    assert len(KEYS) == len(set(KEYS)) == 32
    assert tuple(r.key for r in RULES if r.relaxable) == RELAXABLE
    assert all(rule(key).key == key for key in KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_every_rule_has_an_on_policy_and_off_turns_it_off(key: str) -> None:
    r = rule(key)
    assert r.on(ON[key]), key
    assert r.on(EVERY), key
    if r.off and key != "load.min":  # a reviewer's own min_load keeps load.min on
        off = ra.Policy.coerce(ON[key].without([key]))
        assert not r.on(off), key
        assert not r.on(ra.Policy.coerce(EVERY.without([key]))), key
        others = [x.key for x in active(EVERY) if x.key != key]
        assert [x.key for x in active(EVERY.without([key]))] == others


# Rules no policy-wide change loosens: structural ones, conflicts of interest (never
# relaxed), and the pairs the problem lists (data, not policy).
_NOT_LOOSENED = {
    "conflicts.same_institution",
    "conflicts.same_country",
    "conflicts.relation_distance",
}


@pytest.mark.parametrize("key", KEYS)
def test_every_rule_the_policy_turns_off_has_its_loosening_steps(key: str) -> None:
    # explain's policy-wide changes search these steps: each a valid policy, the last one
    # turning the rule off where the policy can (load.max: raised, never off).
    r = rule(key)
    steps = r.loosen(ON[key])
    if not r.off or key in _NOT_LOOSENED or (key == "load.min" and ON[key].load.min == 0):
        assert key in _NOT_LOOSENED or not steps or key in ("load.max", "load.min"), key
        return
    assert steps, f"{key}: no loosening steps (Rule.loosen)"
    policies = [ON[key].with_settings(step) for step in steps]
    assert not r.on(policies[-1]) or key == "load.min", f"{key}: the last step leaves it on"
    assert len({p.model_dump_json() for p in policies}) == len(policies), key


def test_load_max_is_raised_step_by_step() -> None:
    steps = rule("load.max").loosen(ra.Policy(load={"max": 6}))
    assert [dict(s) for s in steps[:3]] == [{"load.max": 7}, {"load.max": 8}, {"load.max": 9}]
    top = rule("load.max").loosen(ra.Policy(load={"max": 100_000}))
    assert top == ()  # the field's limit: nothing looser


def test_default_policy_turns_on_only_the_rules_that_cannot_be_turned_off_and_a_few() -> None:
    on = {r.key for r in active(ra.Policy())}
    structural = {r.key for r in RULES if not r.off}
    assert structural <= on
    # The defaults that are on: language, same institution, relation distance 1, load.min
    # (a reviewer's own min_load applies under load.min = 0).
    assert on - structural == {
        "load.min",
        "conflicts.same_institution",
        "conflicts.relation_distance",
        "panel.language",
    }


def test_every_rule_has_a_check_case() -> None:
    assert set(KEYS) <= {rc.rule for rc in RULE_CASES}


@pytest.mark.parametrize("key", KEYS)
def test_every_rule_has_its_encodings_or_says_where_they_are(key: str) -> None:
    hard = [key in encodings.HARD, key in encodings.WHOLE, key in encodings.ELSEWHERE]
    assert hard.count(True) == 1, f"{key}: no hard encoding, or more than one home"
    soft = key in encodings.SOFT or key in encodings.WHOLE or key in encodings.ELSEWHERE
    assert soft, f"{key}: no soft encoding, and no word of where it is"
    assert (key in encodings.WHOLE) == (rule(key).scope == "whole"), key


def test_every_soft_encoding_is_of_a_relaxable_rule() -> None:
    soft = set(encodings.SOFT) | {"load.min", "load.max"}
    assert soft == set(RELAXABLE)


@pytest.mark.parametrize("key", KEYS)
def test_every_rule_has_a_binding_and_an_infeasible_case(key: str) -> None:
    if key in NOT_SOLVED:
        return
    bound = {b.values[0].rule for b in BINDINGS}
    infeasible = {_infeasible_rule(x) for x in INFEASIBLE}
    assert key in bound, f"{key}: no Binding case in test_rules.py"
    assert key in infeasible, f"{key}: no Infeasible case in test_rules.py"


def test_the_exemptions_are_of_rules_without_cases() -> None:
    bound = {b.values[0].rule for b in BINDINGS}
    assert not set(NOT_SOLVED) & bound  # an exemption no longer needed is dropped
    assert set(NOT_SOLVED) <= set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_every_rule_has_its_sentences(key: str) -> None:
    r = rule(key)
    said = r.says(ON[key])
    assert said.endswith(".") or key == "panel_size", said  # panel_size: the report ends it
    assert said[0].isupper(), said
    if r.relaxable:
        assert r.states is not None and r.lifts is not None, key
        instance = Said(EVERY, limit=2, at_most=True, reviewer="R1", case="C1", topic="t")
        assert r.states(instance) and r.lifts(instance, 1), key


def test_every_rule_has_a_report_line() -> None:
    p = random_problem(0).model_copy(
        update={
            "disjoint": (ra.Disjoint(a="R0", b="R1"),),
            "linked": (ra.Linked(cases=("C0", "C1"), shared=1),),
        }
    )
    reported = {line.key for line in _rules(p, EVERY, ra.Assignment({}), [("C0", "R2")])}
    assert reported == {r.key for r in RULES if r.scope != "assignment"}


@pytest.mark.parametrize("key", KEYS)
def test_every_rule_has_its_binding_measure(key: str) -> None:
    if rule(key).scope == "assignment":  # unknown ids and duplicates bind nowhere
        assert key not in MEASURES, key
        return
    assert key in MEASURES, f"{key}: no measure of where it binds (MEASURES, _spec/binding.py)"


POOL_TESTED = {
    "panel_size": "explain tests the size of every case's pool first (_too_few)",
    "panel.language": "a single-pair rule: it narrows the pool, whose size explain tests",
    "pairs.disjoint": "the disjoint pairs are not in a Pool; explain's core names them",
}
"""Panel rules without an explain test of their own (``Rule.alone``), and why."""

STARVED = Pool(
    policy=EVERY,
    case="C1",
    size=3,
    who="eligible reviewers (no conflict)",
    reviewers=("R1", "R2", "R3"),
    region="B",
    region_code=1,
    regions=np.zeros(3, np.int64),
    region_labels=("A", "B"),
    genders=np.zeros(3, np.int64),
    gender_labels=("f",),
    senior=np.zeros(3, np.bool_),
    topics=("t",),
    uncovered=("t",),
    affinities=np.zeros(3),
)
"""A case's pool that meets no panel rule of ``EVERY``: three juniors of one region and
one gender, from another region than the case's, none covering its topic, affinity 0,
none of them new (``new`` left out)."""


@pytest.mark.parametrize("key", KEYS)
def test_every_panel_rule_has_its_explain_test(key: str) -> None:
    r = rule(key)
    if r.scope != "case" or key in POOL_TESTED:
        assert r.alone is None, f"{key}: an explain test that explain never asks"
        return
    assert r.alone is not None, f"{key}: no explain test of one case's pool (Rule.alone)"
    short = r.alone(STARVED)
    assert short is not None, f"{key}: its explain test passes a pool that cannot meet it"
    assert short.message.startswith("case C1 needs "), short.message


@pytest.mark.parametrize("key", KEYS)
def test_every_rule_a_flow_network_takes_has_a_flow_agreement_case(key: str) -> None:
    r = rule(key)
    if r.scope == "assignment" or not r.flow(ON[key]):
        return
    flow_cases = {b.values[0].rule for b in BINDINGS if b.values[0].flow}
    flow_cases |= {_infeasible_rule(x) for x in INFEASIBLE if x.values[0].flow}
    flow_cases |= {x.key for policy in FLOW_POLICIES.values() for x in active(policy)}
    assert key in flow_cases, f"{key}: Rule.flow, but no case compares flow with CP-SAT"
