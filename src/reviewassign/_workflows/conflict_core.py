"""The minimal conflicting core of a policy and the relaxations that would lift it.

Built on the soft model of ``_backends.cpsat.soft``: each rule instance (a rule on one case, one
topic of a case, or one reviewer) may be broken by a slack. The core is an irreducible
set of rule instances that no assignment meets together; each relaxation breaks one of
them by the least amount with every other rule instance held, and is verified twice: by
the solve that finds it, and by :func:`check`, which must report exactly the relaxed
rule and nothing else.

A core is about feasibility: the soft model is built without the policy's objective
(:func:`_rules_only`), so that no objective term can hold a rule instance (a reviewer's
load, say) that the core search must be free to name.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from .._data.model import Problem
from .._data.policy import ObjectivePolicy, Policy, RepresentationPolicy
from .._data.rules import Said
from .._data.rules import rule as registry_rule
from .._reduce.eligible import Instance
from .._spec.check import Violation, check, evaluate

if TYPE_CHECKING:
    from .._backends.cpsat.soft import RuleInstance, SoftModel, SoftSolver

__all__ = ["CoreReport", "Relaxation", "find_core", "rule_text"]

# Seconds each relaxation may search for its least breach; past it, the breach found
# (verified, perhaps not the least) is reported.
_RELAX_LIMIT = 5.0


@dataclass(frozen=True, slots=True)
class Relaxation:
    """One way to lift a conflicting core, verified by a solve.

    ``change`` says what to allow, in the secretariat's terms (e.g. ``"allow 2 reviewers
    from one region on case C0019"``). ``restores`` tells whether the problem becomes
    feasible with this one change and every other rule kept; ``objective`` is then the
    best objective found under it, and ``violations`` what :func:`check` reports of that
    assignment against the unchanged policy: the relaxed rule alone.
    """

    rule: str
    change: str
    cases: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    restores: bool | None = False
    """True: verified; False: proven not enough alone; None: undecided within the time."""
    objective: float | None = None
    violations: tuple[Violation, ...] = ()
    amount: int = 0
    """By how much the rule is relaxed (seats, reviews, regions...); 0 for a policy step."""
    scope: Literal["policy", "instance"] = "instance"
    """``"policy"``: a change of the policy key for every case and reviewer (``change``
    says the setting); ``"instance"``: one rule instance broken by ``amount``."""
    price: float | None = None
    """A policy step's cost: the objective lost against the policy with its key at its
    loosest (every other key as it is); None when unknown or for an instance."""
    proven: bool = False
    """Whether ``objective`` (and ``price``) come from solves proven optimal."""
    settings: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    """A policy step's settings (dotted keys and values): ``policy.with_settings(settings)``
    is the changed policy. Empty for an instance."""

    def __str__(self) -> str:
        if self.restores is None:
            return f"{self.rule}: {self.change} (undecided within the time limit)"
        if not self.restores:
            return f"{self.rule}: {self.change} (not enough alone: other rules still conflict)"
        value = "" if self.objective is None else f", objective {self.objective:.3f}"
        if self.scope == "policy" and self.objective is not None:
            if self.price is not None:
                reference = self.objective + self.price
                share = self.price / reference if reference else 0.0
                value += f", price {self.price:.3f} ({100 * share:.1f} %)"
            value += "" if self.proven else ", not proven optimal"
        return f"{self.rule}: {self.change} (verified by a solve{value})"


@dataclass(frozen=True, slots=True)
class CoreReport:
    """What the core search found."""

    status: str
    """``"infeasible"`` (a core was found), ``"feasible"`` or ``"unknown"`` (time ran out)."""
    core: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]
    """Per core member: rule, statement, cases, reviewers."""
    relaxations: tuple[Relaxation, ...]
    seconds: float
    notes: tuple[str, ...] = ()
    irreducible: bool = False
    """Whether the core is proven irreducible (the deletion finished within the time)."""


def _said(rule: RuleInstance, inst: Instance, problem: Problem, policy: Policy) -> Said:
    """The rule instance as its registry sentences need it."""
    from .._backends import solvers  # ortools is imported on the first solve, not with the package

    said = Said(
        policy, rule.limit, rule.at_most, topic=rule.topic, scale=solvers.SCALE, entry=rule.entry
    )
    if rule.reviewer >= 0:
        return replace(said, reviewer=inst.reviewer_ids[rule.reviewer])
    case = problem.cases[rule.case]
    pairs = inst.case_pairs(rule.case)
    revs = inst.pair_reviewer[pairs.start : pairs.stop]
    if rule.pair is not None:  # two reviewers on the case (pairs.disjoint)
        a, b = rule.pair
        said = replace(said, reviewer=inst.reviewer_ids[a], other=inst.reviewer_ids[b])
    return replace(
        said,
        case=case.id,
        region=case.region,
        language=case.language,
        eligible=len(revs),
        regions=len(set(inst.reviewer_region[revs].tolist())),
        genders=len({g for g in inst.reviewer_gender[revs].tolist() if g >= 0}),
    )


def rule_text(rule: RuleInstance, inst: Instance, problem: Problem, policy: Policy) -> str:
    """The rule instance as a statement: what it requires of its case or reviewer.

    The words are the registry's (``Rule.states``); a rule without them is a ``KeyError``.
    """
    states = registry_rule(rule.rule).states
    if states is None:
        raise KeyError(f"{rule.rule} has no statement in the rule registry")
    return states(_said(rule, inst, problem, policy))


def _change(
    rule: RuleInstance, inst: Instance, problem: Problem, policy: Policy, slack: int
) -> str:
    """What relaxing the rule instance by ``slack`` means, as an instruction (``Rule.lifts``)."""
    lifts = registry_rule(rule.rule).lifts
    if lifts is None:
        raise KeyError(f"{rule.rule} has no relaxation words in the rule registry")
    return lifts(_said(rule, inst, problem, policy), slack)


def _rules_only(policy: Policy) -> Policy:
    """``policy`` without an objective: its rules alone, for the core and its relaxations.

    The objective (its kind, priorities, load spread, soft representation bands) changes
    which assignment is best, never which exist; left in the soft model, its terms could
    hold what a rule instance leaves free.
    """
    update: dict[str, object] = {"objective": ObjectivePolicy()}
    if policy.representation.weight > 0:  # soft bands: objective terms, not rules
        update["representation"] = RepresentationPolicy()
    return Policy.coerce(policy.model_copy(update=update))


def _matches(v: Violation, rule: str, case: str | None, reviewer: str | None) -> bool:
    """Whether ``v`` is a violation of ``rule`` on ``case`` (given), else on ``reviewer``."""
    if v.rule != rule:
        return False
    return (v.case == case) if case is not None else (v.reviewer == reviewer)


@dataclass(frozen=True, slots=True)
class _Search:
    """What the steps of :func:`find_core` share: the soft model, its solver and the inputs."""

    problem: Problem
    policy: Policy
    inst: Instance
    model: SoftModel
    solver: SoftSolver


def find_core(
    problem: Problem,
    policy: Policy,
    *,
    time_limit: float | None = 60.0,
    seed: int = 0,
    relaxations: bool = True,
    forced: Sequence[tuple[str, str]] = (),
    within: Collection[str] | None = None,
) -> CoreReport:
    """An irreducible conflicting core of ``policy`` on ``problem`` and its relaxations.

    The core is searched among the policy's rules alone, whatever its objective. When the
    time runs out while the core is shrunk, the rule instances kept so far are returned:
    they cannot hold together, but are not proven irreducible (``irreducible`` False,
    status ``"infeasible"``). Each relaxation is found by a solve with every other rule
    instance held; its assignment is checked against the unchanged policy, and
    :func:`check` must report the relaxed rule instance and nothing else. ``within``: the
    rule keys whose instances a core may hold (a key core's); the others are free in the
    core search, and held, as the policy sets them, in each relaxation.
    """
    from .._backends.cpsat.soft import (
        SoftSolver,
        build_soft,
        soft_instance,  # ortools is imported on the first solve, not with the package
    )

    start = time.perf_counter()
    inst = soft_instance(problem, policy, forced)  # forced pairs fixed on, never in a core
    sm = build_soft(inst, problem, _rules_only(policy))
    search = _Search(problem, policy, inst, sm, SoftSolver(sm, seed=seed, time_limit=time_limit))
    among = None if within is None else [i for i, r in enumerate(sm.rules) if r.rule in within]
    status, members = search.solver.core(among)
    # "unknown" with members: the deletion was cut short; what it kept cannot hold.
    irreducible = status == "infeasible"
    if status == "unknown" and members:
        status = "infeasible"
    notes: list[str] = []
    core = _core(search, members)
    found: list[Relaxation] = []
    if status == "infeasible" and not irreducible:
        notes.append(
            "the time ran out before the core was shrunk: its rules cannot hold together, "
            "but some of them may not be needed (a conflicting set, not proven minimal)"
        )
    if relaxations and irreducible:
        found, cut_short = _relaxations(search, members)
        if cut_short:
            notes.append("the time ran out before every relaxation was tried")
    found.sort(key=_rank)
    seconds = time.perf_counter() - start
    return CoreReport(status, core, tuple(found), seconds, tuple(notes), irreducible)


def _core(
    search: _Search, members: list[int]
) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """Per core member: its rule, its statement, its case and its reviewer (if any)."""
    inst = search.inst
    core = []
    for i in members:
        r = search.model.rules[i]
        cases = () if r.case < 0 else (inst.case_ids[r.case],)
        reviewers: tuple[str, ...] = () if r.reviewer < 0 else (inst.reviewer_ids[r.reviewer],)
        if r.pair is not None:  # the two reviewers of a disjoint pair
            reviewers = tuple(inst.reviewer_ids[x] for x in r.pair)
        core.append((r.rule, rule_text(r, inst, search.problem, search.policy), cases, reviewers))
    return tuple(core)


def _relaxations(search: _Search, members: list[int]) -> tuple[list[Relaxation], bool]:
    """A relaxation per core member, in turn while time is left; and whether it ran out."""
    found: list[Relaxation] = []
    for i in members:
        if search.solver.remaining() == 0.0:
            return found, True
        found.append(_relax(search, i))
    return found, False


def _relax(search: _Search, i: int) -> Relaxation:
    """Core member ``i`` relaxed by the least amount, every other rule instance held.

    The assignment found is checked against the unchanged policy: :func:`check` must
    report the relaxed rule instance and nothing else.
    """
    inst, problem, policy = search.inst, search.problem, search.policy
    r = search.model.rules[i]
    case = None if r.case < 0 else inst.case_ids[r.case]
    reviewer = None if r.reviewer < 0 else inst.reviewer_ids[r.reviewer]
    run = search.solver.relax(i, _RELAX_LIMIT)
    if run.status not in ("optimal", "feasible"):
        return Relaxation(
            r.rule,
            f"drop: {rule_text(r, inst, problem, policy)}",
            (case,) if case else (),
            (reviewer,) if reviewer else (),
            False if run.status == "infeasible" else None,
        )
    slack = dict(zip(run.broken, run.slack, strict=True)).get(i, 0)
    assignment = inst.assignment(run.chosen)
    violations = tuple(check(problem, policy, assignment))
    objective = evaluate(problem, assignment, policy).objective
    if not all(_matches(v, r.rule, case, reviewer) for v in violations):
        raise AssertionError(  # pragma: no cover - a bug in the soft model
            f"relaxing {r.rule} broke other rules: {violations}"
        )
    return Relaxation(
        r.rule,
        _change(r, inst, problem, policy, slack),
        (case,) if case else (),
        (reviewer,) if reviewer else (),
        True,
        objective,
        violations,
        slack,
    )


def _rank(x: Relaxation) -> tuple[int, int, float, str, str]:
    """The order of relaxations: verified first, then undecided; small, then best; by name."""
    return (
        {True: 0, None: 1, False: 2}[x.restores],
        x.amount,
        -(x.objective or 0.0),
        x.rule,
        x.change,
    )
