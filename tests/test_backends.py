"""One conformance suite over every backend: each refuses a policy, naming what, or is exact.

The backends are the table's (``_backends/table.py``: flow, cpsat, lp) and a fake,
:class:`BruteForceBackend` (httpx's ``MockTransport``): it enumerates every assignment
of a tiny problem with ``test_bruteforce.brute_force`` and keeps the best that ``check``
passes, so it knows nothing of the solvers. Every backend meets the same problems, the
shared conformance instances (optima of an independent MIP model) and tiny random ones
(the brute force's optimum), through the ``Backend`` protocol alone: refused, the
refusal names rules that are on or objective terms of the policy; taken, the answer
passes ``check``, reaches the optimum level by level, and is within the backend's bound.

The registry half: a rule whose ``Rule.flow`` is false is refused by the flow backend by
name, and a new rule with the default ``flow`` is refused until its record says a
network takes it, so that it falls to CP-SAT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples, shared_root
from reviewassign._backends import table
from reviewassign._backends.outcome import BackendStatus, Outcome
from reviewassign._backends.protocol import Backend
from reviewassign._data import rules as registry
from reviewassign._data.options import SolveOptions
from reviewassign._reduce.eligible import Instance, build_instance
from test_bruteforce import Best, _level, _same, brute_force, policies, problems
from test_registry import ON
from test_rules import random_problem

EXPECTED = shared_root() / "conformance" / "expected.json"
CONFORMANCE = json.loads(EXPECTED.read_text()) if EXPECTED.is_file() else {}

NAMES = (*table.BACKENDS, "brute")
"""Every backend of the table, and the fake."""

OPTIONS = SolveOptions(seed=0, workers=1)


@dataclass(frozen=True, slots=True)
class BruteForceBackend:
    """The fake backend: the brute force's best assignment of the problem, as pair indices.

    It takes every rule (it is ``check`` itself); ``problem`` is what it enumerates, since
    an ``Instance`` holds only the eligible pairs.
    """

    problem: ra.Problem
    name: str = "brute"
    label: str = "brute force"

    def refuses(self, inst: Instance, policy: ra.Policy) -> tuple[str, ...]:
        """Nothing: the enumeration judges every rule by ``check``."""
        return ()

    def solve(
        self,
        inst: Instance,
        policy: ra.Policy,
        options: SolveOptions,
        *,
        time_limit: float | None,
        hint: npt.NDArray[np.int64] | None,
        pace: float,
    ) -> Outcome:
        """The enumeration's optimum, proven by enumerating: its bound is its objective."""
        best = brute_force(self.problem, policy)
        if best is None:
            return Outcome(BackendStatus.INFEASIBLE)
        case = {c: i for i, c in enumerate(inst.case_ids)}
        reviewer = {r: j for j, r in enumerate(inst.reviewer_ids)}
        pairs = [(case[c], reviewer[r]) for c, panel in best.assignment.items() for r in panel]
        cases, reviewers = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
        chosen = inst.pair_indices(cases, reviewers)
        assert (chosen >= 0).all(), "the brute force chose a pair that is not eligible"
        return Outcome(BackendStatus.OPTIMAL, chosen=chosen, bound=best.objective)


def backend(name: str, problem: ra.Problem) -> Backend:
    """The backend ``name`` (the fake enumerates ``problem``)."""
    return BruteForceBackend(problem) if name == "brute" else table.BACKENDS[name]


@dataclass(frozen=True)
class Answer:
    """What a backend that took the policy returned, as the public types read it."""

    status: BackendStatus
    assignment: ra.Assignment
    metrics: ra.Metrics | None
    bound: float | None


def run(name: str, problem: ra.Problem, policy: ra.Policy) -> Answer | None:
    """The backend's answer over every eligible pair; None when it refuses the policy.

    A refusal must name only rules that are on and objective terms of the policy.
    """
    b = backend(name, problem)
    inst = build_instance(problem, policy)
    refused = b.refuses(inst, policy)
    if refused:
        assert_names_what_is_on(refused, policy)
        assert name not in ("cpsat", "lp", "brute"), f"{name} refused {refused}"
        return None
    outcome = b.solve(inst, policy, OPTIONS, time_limit=None, hint=None, pace=1.0)
    inst = outcome.instance or inst
    assignment = inst.assignment(outcome.chosen)
    metrics = ra.evaluate(problem, assignment, policy) if outcome.status.found else None
    return Answer(outcome.status, assignment, metrics, outcome.bound)


def assert_names_what_is_on(refused: tuple[str, ...], policy: ra.Policy) -> None:
    """Each word of a refusal is a rule that is on, or ``section.key (value)`` of the policy."""
    on = {r.key for r in registry.active(policy)}
    for word in refused:
        key, _, detail = word.partition(" (")
        if not detail:
            assert key in on, f"{key!r} is refused but is not a rule the policy turns on"
            continue
        section, _, field = key.partition(".")
        assert hasattr(getattr(policy, section), field), f"{key!r} is no key of the policy"


def assert_exact(problem: ra.Problem, policy: ra.Policy, answer: Answer, best: Best) -> None:
    """The answer reaches the brute force's optimum, level by level, within its bound."""
    assert answer.status is BackendStatus.OPTIMAL
    assert ra.check(problem, policy, answer.assignment) == []
    assert answer.metrics is not None
    assert answer.metrics.objective == pytest.approx(best.objective, abs=1e-5)
    for level, figure in best.levels.items():
        assert _same(_level(level, answer.metrics), figure), f"level {level}"
    if answer.bound is not None:
        assert answer.metrics.objective <= answer.bound + 1e-5


# ------------------------------------------------------------------ the conformance suite


def fitting(policy: ra.Policy) -> ra.Policy:
    """``policy`` with every rule a flow network cannot take off, under the plain objective.

    Half the drawn policies are made to fit, so that the flow meets the brute force too.
    """
    cannot = [r.key for r in registry.active(policy) if not r.flow(policy)]
    return policy.without(cannot).model_copy(update={"objective": ra.ObjectivePolicy()})


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=examples(0.5))  # a backend and an enumeration per example
@given(problem=problems(), policy=st.one_of(policies(), policies().map(fitting)))
def test_every_backend_refuses_or_finds_the_brute_force_optimum(
    name: str, problem: ra.Problem, policy: ra.Policy
) -> None:
    answer = run(name, problem, policy)
    if answer is None:
        event(f"{name}: refused")
        return
    best = brute_force(problem, policy)
    event(f"{name}: {'infeasible' if best is None else 'optimal'}")
    if best is None:
        assert answer.status is BackendStatus.INFEASIBLE
        assert len(answer.assignment) == 0
        return
    assert_exact(problem, policy, answer, best)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("key", sorted(CONFORMANCE) or ["(conformance instances absent)"])
def test_every_backend_on_the_conformance_instances(
    name: str, key: str, conformance_dir: Path
) -> None:
    if name == "brute":
        pytest.skip("the conformance instances are too large to enumerate (60 cases and more)")
    expected = CONFORMANCE[key]
    instance, policy_file = key.split(" + ")
    problem = ra.load_problem(conformance_dir / instance)
    policy = ra.load_policy(conformance_dir / policy_file)
    answer = run(name, problem, policy)
    if answer is None:
        return
    if expected["status"] == "infeasible":
        assert answer.status is BackendStatus.INFEASIBLE
        return
    best = Best(expected["objective"], expected["worst_case"], {}, {})
    if policy.objective.kind == "fairness":  # unique under the fairness objective
        best = replace(best, levels={"worst_case": expected["worst_case"]})
    assert_exact(problem, policy, answer, best)


def test_the_fake_satisfies_the_protocol() -> None:
    # Statically, `mypy --strict tests/test_backends.py` checks the annotated assignment
    # (make typecheck leaves tests out); at run time, the fake answers like the table's.
    problem = random_problem(0)
    fake: Backend = BruteForceBackend(problem)
    assert (fake.name, fake.refuses(build_instance(problem, ra.Policy()), ra.Policy())) == (
        "brute",
        (),
    )


# ------------------------------------------------------------------ the table and "auto"


def test_auto_takes_the_flow_where_it_fits_and_cpsat_by_size_otherwise() -> None:
    policy = ra.Policy(panel_size=2)
    leximin = ra.Policy(panel_size=2, objective={"kind": "leximin"})
    inst = build_instance(random_problem(0), policy)
    assert inst.n_pairs < table.LP_MIN_PAIRS
    assert table.choose(inst, policy, "auto") is table.FLOW
    assert table.choose(inst, leximin, "auto") is table.CPSAT
    large = ra.Problem(
        cases=[ra.Case(id=f"C{i}") for i in range(100)],
        reviewers=[ra.Reviewer(id=f"R{j}") for j in range(60)],
    )
    inst = build_instance(large, leximin)
    assert inst.n_pairs >= table.LP_MIN_PAIRS
    assert table.choose(inst, policy, "auto") is table.FLOW
    assert table.choose(inst, leximin, "auto") is table.LP
    for name in ("flow", "cpsat", "lp"):
        assert table.choose(inst, policy, name) is table.BACKENDS[name]


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        (ra.Policy(panel={"min_regions": 2}), "panel.min_regions"),
        (
            ra.Policy(panel={"min_genders": 2, "min_senior": 1}),
            "panel.min_genders, panel.min_senior",
        ),
        (ra.Policy(objective={"kind": "leximin"}), r"objective.levels \(leximin\)"),
        (
            ra.Policy(panel={"min_regions": 2}, objective={"kind": "fairness"}),
            r"panel.min_regions, objective.levels \(worst_case\)",
        ),
        (ra.Policy(objective={"load_spread": 0.5}), r"objective.load_spread \(0.5\)"),
        (
            ra.Policy(representation={"region_tolerance": 0.2, "weight": 1.0}),
            r"representation.weight \(soft region bands\)",
        ),
        (ra.Policy(representation={"gender_tolerance": 0.2}), "representation.gender_tolerance"),
    ],
)
def test_method_flow_names_what_a_network_cannot_take(policy: ra.Policy, named: str) -> None:
    with pytest.raises(ra.InputError, match=f"a flow network cannot take {named}; use") as info:
        ra.solve(random_problem(0), policy, method="flow")
    assert info.value.field == "method"
    assert str(info.value).startswith("field 'method': method='flow': a flow network")


def test_a_region_minimum_the_cap_implies_is_taken_by_the_flow() -> None:
    # A cap of 1 a region on panels of 2 forces two regions: the network holds it.
    implied = ra.Policy(panel_size=2, panel={"max_per_region": 1, "min_regions": 2})
    problem = random_problem(0)
    assert table.FLOW.refuses(build_instance(problem, implied), implied) == ()
    wider = implied.model_copy(update={"panel": ra.PanelPolicy(max_per_region=2, min_regions=2)})
    assert table.FLOW.refuses(build_instance(problem, wider), wider) == ("panel.min_regions",)


def test_flow_pricing_that_adds_every_pair_left_out_keeps_the_instance() -> None:
    # Found by a search: with one candidate a case, the first priced round adds every
    # eligible pair left out, so the instance is no longer pruned; the answer must carry
    # the instance its pairs index (solve raised IndexError here).
    problem = ra.Problem(
        cases=[
            ra.Case(id="C0", topics={"t1": 1.0, "t2": 1.0}),
            ra.Case(id="C1", topics={"t1": 1.0}),
            ra.Case(id="C2", topics={"t1": 1.0}),
        ],
        reviewers=[
            ra.Reviewer(id="R0"),
            ra.Reviewer(id="R1", expertise={"t1": 1}),
            ra.Reviewer(id="R2", expertise={"t1": 2}),
        ],
    )
    policy = ra.Policy(panel_size=1, load={"max": 1})
    result = ra.solve(problem, policy, candidates=1, method="flow", workers=1)
    assert [p.name for p in result.stats.phases][1:3] == ["flow", "flow.priced1"]
    assert result.status is ra.Status.OPTIMAL
    assert ra.check(problem, policy, result.assignment) == []
    assert result.objective == pytest.approx(ra.solve(problem, policy, candidates=None).objective)


# ------------------------------------------------------------------ the registry's half


@pytest.mark.parametrize("key", registry.keys())
def test_every_rule_is_taken_by_the_flow_or_refused_by_name(key: str) -> None:
    policy = ON[key]
    r = registry.rule(key)
    assert r.on(policy)
    problem = random_problem(0).model_copy(  # data for the rules that apply to what is listed
        update={
            "disjoint": (ra.Disjoint(a="R0", b="R1"),),
            "linked": (ra.Linked(cases=("C0", "C1"), shared=1),),
        }
    )
    inst = build_instance(problem, policy, forced=[("C0", "R2")])
    refused = table.FLOW.refuses(inst, policy)
    if r.flow(policy):
        assert key not in refused
    else:
        assert key in refused, f"{key}: Rule.flow is false, but the flow backend takes it"


def test_a_new_rule_is_refused_by_the_flow_until_its_record_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new = registry.Rule(
        "panel.new_rule", "case", lambda p: True, {}, True, lambda p: "A rule added later."
    )
    monkeypatch.setattr(registry, "RULES", (*registry.RULES, new))
    policy = ra.Policy(panel_size=2)
    inst = build_instance(random_problem(0), policy)
    assert table.FLOW.refuses(inst, policy) == ("panel.new_rule",)
    assert table.choose(inst, policy, "auto").name == "cpsat"
    said = replace(new, flow=lambda p: True)
    monkeypatch.setattr(registry, "RULES", (*registry.RULES[:-1], said))
    assert table.FLOW.refuses(inst, policy) == ()
