"""``explain``: why a policy cannot be met, in the secretariat's terms.

Each check below is a necessary condition of feasibility, read off the eligible pairs
(conflicts and single-pair rules already applied): when one fails, no assignment can
exist, and the reason names the rule, the cases and the reviewers involved. The checks
are cheap (no solver): seats against capacity, each case's eligible reviewers against
each panel rule, and the reviewers who read a language or cover a topic against the
seats that need them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .._data.model import Case, Problem, values
from .._data.policy import Policy
from .._data.rules import Pool, active, listed
from .._reduce.eligible import Instance, build_instance, seat_bands
from .._reduce.forced import checked_forced
from .._reduce.history import excluded_by_history
from .conflict_core import Relaxation, find_core
from .demands import needs, shortfalls
from .policy_core import KeyCore, PolicyStep, key_core

__all__ = ["Explanation", "Reason", "Relaxation", "explain"]

_HELD_HARD = "held hard:"


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that cannot hold, with the ids involved.

    ``rule`` is the policy key (e.g. ``"panel.min_genders"``, ``"load.max"``); ``message``
    says why in the secretariat's terms.
    """

    rule: str
    message: str
    cases: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    """The other policy keys of a reason that takes several rules together."""
    scope: Literal["policy", "case"] = "case"
    """``"policy"``: a count over the whole assignment (seats a group must hold against
    what it can hold); ``"case"``: one case's eligible reviewers against one rule."""

    @property
    def keys(self) -> tuple[str, ...]:
        """Every policy key the reason takes: ``rule`` first."""
        return (self.rule, *self.also)

    def __str__(self) -> str:
        return f"{' + '.join(self.keys)}: {self.message}"


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a policy cannot be met: failing checks, a minimal core, ranked relaxations.

    ``reasons`` are the necessary checks that fail, each a proof on its own. ``core`` is
    a set of rule instances that cannot hold together (with every panel's size and the
    conflicts of interest, nothing else), whatever the objective; when ``irreducible``,
    dropping any one of them leaves rules that some assignment meets (else the time ran
    out before that was proven). ``relaxations`` say, for each member of an irreducible
    core, what breaking it by the least amount would take, best first, each verified by
    a solve.
    """

    reasons: tuple[Reason, ...]
    core: tuple[Reason, ...] = ()
    relaxations: tuple[Relaxation, ...] = ()
    status: Literal["infeasible", "feasible", "unknown", "unchecked"] = "unchecked"
    """``"infeasible"``: proven by a check or a core; ``"feasible"``: an assignment exists;
    ``"unknown"``: the time ran out; ``"unchecked"``: only the checks ran and all passed."""
    notes: tuple[str, ...] = ()
    irreducible: bool = False
    """Whether the core search finished: the core (perhaps empty) is proven irreducible."""
    keys: tuple[str, ...] = ()
    """The policy keys that cannot hold together: with every other key at its loosest
    (off where it can be), the policy still cannot be met. Empty when not searched."""
    keys_irreducible: bool = False
    """Whether ``keys`` is proven minimal: loosening any one of them fully makes the rest
    feasible (every test was decided within the time)."""

    @property
    def infeasible(self) -> bool:
        """Whether no assignment meets the policy (a check failed or a core was found)."""
        return self.status == "infeasible"

    def __str__(self) -> str:
        lines = []
        if self.reasons:
            n = len(self.reasons)
            lines.append(f"the policy cannot be met ({n} reason{'' if n == 1 else 's'}):")
            lines.extend(f"- {r}" for r in self.reasons)
        elif self.status == "feasible":
            lines.append("the policy can be met: an assignment meets every rule")
        elif self.status == "unknown":
            lines.append("every necessary check passes; the time ran out before a core was found")
        elif self.status == "unchecked":
            lines.append(
                "no necessary check fails: seats, capacity and every panel rule can be met"
            )
        if self.keys:
            proven = (
                "proven minimal: loosening any one of them fully leaves keys that can hold"
                if self.keys_irreducible
                else "a conflicting set, not proven minimal"
            )
            lines.append(
                f"policy keys that cannot hold together: {', '.join(self.keys)} ({proven})"
            )
        if self.core:
            n = len(self.core)
            lines.append(
                f"these {n} rules cannot hold together (with panel sizes and conflicts of "
                "interest); "
                + (
                    "dropping any one of them leaves rules that can:"
                    if self.irreducible
                    else "a conflicting set, not proven minimal (the time ran out):"
                )
            )
            lines.extend(f"- {r}" for r in self.core)
        elif self.status == "infeasible" and not self.reasons:
            if any(n.startswith(_HELD_HARD) for n in self.notes):
                lines.append(
                    "panel sizes, conflicts of interest and the rules held hard (see the "
                    "note) cannot be met together"
                )
            else:
                lines.append("panel sizes and conflicts of interest alone cannot be met")
        policy = [r for r in self.relaxations if r.scope == "policy"]
        single = [r for r in self.relaxations if r.scope == "instance"]
        if policy:
            lines.append("policy-wide changes, cheapest first:")
            lines.extend(f"- {r}" for r in policy)
        if single:
            lines.append("relaxations of single rule instances, best first:")
            lines.extend(f"- {r}" for r in single)
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def _capacity(inst: Instance, problem: Problem) -> list[Reason]:
    """Why the loads cannot fill the seats: maximum loads too low, minimum too high or crossed."""
    seats, cap = int(inst.panel_size.sum()), int(inst.max_load.sum())
    reasons = []
    if seats > cap:
        reasons.append(
            Reason(
                "load.max",
                f"{inst.n_cases} cases need {seats} seats but the {inst.n_reviewers} reviewers "
                f"offer at most {cap} (their maximum loads)",
            )
        )
    if int(inst.min_load.sum()) > seats:
        reasons.append(
            Reason(
                "load.min",
                f"the reviewers' minimum loads add up to {int(inst.min_load.sum())} but there "
                f"are only {seats} seats",
            )
        )
    crossed = [problem.reviewers[r].id for r in np.flatnonzero(inst.min_load > inst.max_load)]
    if crossed:
        reasons.append(
            Reason(
                "load.min",
                f"reviewers {listed(crossed)} have a minimum load above their maximum load",
                reviewers=tuple(crossed),
            )
        )
    return reasons


def _who(case: Case, policy: Policy) -> tuple[str, bool]:
    """A case's eligible reviewers in words, and whether a single-pair rule narrowed them."""
    where = []
    if policy.panel.language and case.language:
        where.append(f"read {case.language}")
    if policy.panel.own_region == "exclude":
        where.append(f"are not from {case.region or 'its region'}")
    where.extend(f'fit panel rule "{name}"' for name in _excluding(case, policy))
    narrowed = bool(where)
    if policy.history.institution_years > 0:
        years = policy.history.institution_years
        where.append(f"no case of its institutions reviewed within {years} year(s)")
    return f"eligible reviewers (no conflict{''.join('; ' + w for w in where)})", narrowed


def _excluding(case: Case, policy: Policy) -> list[str]:
    """The ``[[panel.rules]]`` entries that remove single pairs of ``case`` (``at_most = 0``)."""
    return [
        r.name
        for r in policy.panel.rules
        if r.excludes_pairs and r.applies(lambda name: values(case, name))
    ]


def _pool(inst: Instance, problem: Problem, policy: Policy, c: int) -> Pool:
    """Case ``c``'s eligible reviewers, as the registry's explain tests read them."""
    pairs = inst.case_pairs(c)
    revs = inst.pair_reviewer[pairs.start : pairs.stop]
    case = problem.cases[c]
    topics = inst.case_topics[c]
    rules = policy.panel.rules
    names = {r.attribute for r in rules}
    case_names = {n for r in rules for n in (r.same_as, r.different_from, *r.cases) if n}
    return Pool(
        policy=policy,
        case=case.id,
        size=int(inst.panel_size[c]),
        who=_who(case, policy)[0],
        reviewers=tuple(problem.reviewers[r].id for r in revs),
        region=case.region,
        region_code=int(inst.case_region[c]),
        regions=inst.reviewer_region[revs],
        region_labels=inst.regions,
        genders=inst.reviewer_gender[revs],
        gender_labels=inst.genders,
        senior=inst.reviewer_senior[revs],
        topics=topics,
        uncovered=tuple(t for t in topics if not inst.reviewer_covers[t][revs].any()),
        affinities=inst.pair_affinity[pairs.start : pairs.stop],
        new=inst.reviewer_new[revs],
        attributes={
            name: tuple(values(problem.reviewers[r], name) for r in revs.tolist()) for name in names
        },
        case_attributes={name: values(case, name) for name in case_names},
    )


def _too_few(pool: Pool, case: Case, policy: Policy, past: Sequence[str] = ()) -> Reason | None:
    """A case with fewer eligible reviewers than seats: named under the rule that narrowed them.

    That is ``panel.language`` when a single-pair rule narrowed the pool and the case has a
    language, else ``panel.rules`` when a panel rule of ``at_most = 0`` narrowed it, else
    ``history.institution_years`` when a past institution excluded the reviewers ``past``,
    else ``panel_size``.
    """
    if len(pool.reviewers) >= pool.size:
        return None
    narrowed = _who(case, policy)[1]
    key = "panel.language" if narrowed and case.language else "panel_size"
    excluded = ""
    if key == "panel_size" and narrowed and _excluding(case, policy):
        key = "panel.rules"
    elif key == "panel_size" and past:
        key = "history.institution_years"
        excluded = f" (a past institution excludes {listed(past)})"
    return Reason(
        key,
        f"case {case.id} needs {pool.size} reviewers; it has {len(pool.reviewers)} {pool.who}: "
        f"{listed(pool.reviewers) or 'none'}{excluded}",
        (case.id,),
        pool.reviewers,
    )


def _case_rules(inst: Instance, problem: Problem, policy: Policy) -> list[Reason]:
    """Each case's eligible reviewers against each panel rule, one case at a time.

    A case with too few eligible reviewers is named for that alone: the panel rules ask
    which of them to seat. Otherwise each rule that is on is asked its test
    (:attr:`Rule.alone <reviewassign._data.rules.Rule.alone>`), in check order.
    """
    tests = [(r.key, r.alone) for r in active(policy) if r.alone is not None]
    reasons: list[Reason] = []
    past = excluded_by_history(problem, policy)
    for c, case in enumerate(problem.cases):
        pool = _pool(inst, problem, policy, c)
        gone = [problem.reviewers[r].id for r in sorted(past.get(c, {}))]
        too_few = _too_few(pool, case, policy, gone)
        if too_few is not None:
            reasons.append(too_few)
            continue
        for key, alone in tests:
            short = alone(pool)
            if short is not None:
                reasons.append(Reason(key, short.message, (case.id,), short.reviewers))
    return reasons


def _policy_level(
    inst: Instance, problem: Problem, policy: Policy, named: set[str]
) -> list[Reason]:
    """Seats a group of reviewers must hold against what it can hold, rules alone and in pairs.

    See :mod:`.demands`. The cases ``named`` by their own pool's test are left out (their
    reason is more precise). Each reason's keys are the rules that make the need and
    ``load.max``, which bounds what the group can hold.
    """
    out = np.array([c in named for c in inst.case_ids], dtype=np.bool_)
    asked = [replace(n, seats=np.where(out, 0, n.seats)) for n in needs(inst, problem, policy)]
    found = shortfalls(inst, [n for n in asked if n.seats.any()])
    if int(inst.panel_size.sum()) > int(inst.max_load.sum()):  # said by _capacity
        found = [s for s in found if s.need.keys != ("panel_size",)]
    return [
        Reason(
            s.need.keys[0],
            s.message,
            s.cases,
            s.reviewers,
            tuple(k for k in (*s.need.keys[1:], "load.max") if k != s.need.keys[0]),
            "policy",
        )
        for s in found
    ]


def _representation(inst: Instance, problem: Problem, policy: Policy) -> list[Reason]:
    """Hard ``representation`` bands against what the label's reviewers can hold.

    A band needs at least ``lo`` seats of its label: its reviewers offer at most, each, the
    lesser of their maximum load and their eligible pairs. It allows at most ``hi``: their
    minimum loads must fit, and the other reviewers must be able to take the rest.
    """
    if policy.representation.weight > 0:
        return []  # soft bands cannot make a policy infeasible
    rid = [r.id for r in problem.reviewers]
    seats = int(inst.panel_size.sum())
    offer = np.minimum(inst.max_load, np.bincount(inst.pair_reviewer, minlength=inst.n_reviewers))
    reasons = []
    for band in seat_bands(inst, policy.representation):
        mine = band.key == band.code if band.code >= 0 else np.zeros(inst.n_reviewers, bool)
        who = [rid[i] for i in np.flatnonzero(mine)]
        name = f"{band.kind} {band.label or 'no region'}"
        held = int(offer[mine].sum())
        if held < band.lo:
            reasons.append(
                Reason(
                    band.rule,
                    f"{name} needs at least {band.lo} of the {seats} seats ({band.rule}); "
                    f"its {len(who)} reviewers ({listed(who) or 'none'}) can hold at most "
                    f"{held} (their maximum loads and eligible pairs)",
                    reviewers=tuple(who),
                )
            )
        forced = int(inst.min_load[mine].sum())
        if forced > band.hi:
            reasons.append(
                Reason(
                    band.rule,
                    f"{name} may hold at most {band.hi} of the {seats} seats ({band.rule}); "
                    f"the minimum loads of its reviewers ({listed(who)}) add up to {forced}",
                    reviewers=tuple(who),
                )
            )
        others = int(offer[~mine].sum())
        if others < seats - band.hi:
            reasons.append(
                Reason(
                    band.rule,
                    f"{name} may hold at most {band.hi} of the {seats} seats ({band.rule}); "
                    f"the other reviewers can hold at most {others} of the other "
                    f"{seats - band.hi} (their maximum loads and eligible pairs)",
                )
            )
    return reasons


def _whole_rules_on(policy: Policy, problem: Problem) -> list[str]:
    """The rules over the whole assignment that are on (hard in the core's soft model).

    Listed as the model adds them: cycles first, then the others in check order.
    ``pairs.linked`` only when the problem links cases.
    """
    on = [
        r.key
        for r in active(policy)
        if r.scope == "whole" and (r.key != "pairs.linked" or problem.linked)
    ]
    return sorted(on, key=lambda key: key != "integrity.forbid_cycles")


def explain(
    problem: Problem,
    policy: Policy | None = None,
    *,
    core: bool | Literal["auto"] = "auto",
    relaxations: bool = True,
    time_limit: float | None = 60.0,
    seed: int = 0,
    forced: Iterable[tuple[str, str]] = (),
) -> Explanation:
    """Why ``policy`` cannot be met on ``problem``.

    Parameters
    ----------
    problem, policy
        As for :func:`reviewassign.solve`.
    core
        Whether to search for the policy keys that cannot hold together (and each one's
        smallest policy-wide change that restores feasibility, with ``relaxations``) and
        for a minimal conflicting core of rule instances among those keys' instances.
        ``"auto"``: the keys always, the instance core only when every necessary check
        passes (a failing check already names the rule and the ids). ``True``: both.
        ``False``: checks only.
    relaxations
        Whether to find the policy-wide changes (a solve each, ranked by price) and to
        rank relaxations of the instance core's members (one solve each, at most 5 s).
    time_limit
        Seconds for the keys, the changes, the core and the relaxations together
        (``None``: no limit).
    seed
        CP-SAT's random seed.
    forced
        Forced pairs, as for :func:`reviewassign.solve` (checked the same way): fixed on
        in the core's model, never in the core.

    Returns
    -------
    Explanation
        The failing checks (each proves infeasibility on its own), the core, the
        relaxations and the status.

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", language="es")],
    ...     reviewers=[ra.Reviewer(id="R1", languages=("es",), gender="f"),
    ...                ra.Reviewer(id="R2", languages=("en",), gender="m")],
    ... )
    >>> why = explain(problem, ra.Policy(panel_size=2))
    >>> why.infeasible, why.reasons[0].rule, why.reasons[0].reviewers
    (True, 'panel.language', ('R1',))
    >>> print(why.reasons[0].message)
    case C1 needs 2 reviewers; it has 1 eligible reviewers (no conflict; read es): R1

    Two cases, one reviewer from Africa who takes one review, and a rule that each panel
    has a reviewer from Africa: a count over the whole policy proves it cannot hold (a
    policy-level reason, naming every key it takes). The own-region rule is the policy key
    in conflict, and turning it off is the verified policy-wide way out. With
    ``core=True`` the core names the three rule instances, and raising R1's load is the
    verified way out for one instance.

    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", region="Africa"), ra.Case(id="C2", region="Africa")],
    ...     reviewers=[ra.Reviewer(id="R1", region="Africa", max_load=1),
    ...                ra.Reviewer(id="R2", region="Europe and North America")],
    ... )
    >>> policy = ra.Policy(panel_size=1, panel={"own_region": "at_least_one"})
    >>> why = explain(problem, policy, core=True)
    >>> reason = why.reasons[0]
    >>> reason.scope, reason.keys
    ('policy', ('panel.own_region', 'load.max'))
    >>> print(reason.message)  # doctest: +NORMALIZE_WHITESPACE
    every case from Africa needs a reviewer from Africa (panel.own_region = "at_least_one"):
    2 cases need 2 such seats, the 1 reviewer from Africa offers at most 1 (their maximum
    loads, one seat a panel); cases C1, C2; reviewers R1
    >>> for reason in why.core:
    ...     print(reason)
    load.max: reviewer R1 takes at most 1 review
    panel.own_region: case C1 needs a reviewer from its own region (Africa)
    panel.own_region: case C2 needs a reviewer from its own region (Africa)
    >>> why.keys  # R1's own max_load is no policy key: the own-region rule is the key
    ('panel.own_region',)
    >>> for relaxation in why.relaxations[:2]:
    ...     print(relaxation)  # doctest: +NORMALIZE_WHITESPACE
    panel.own_region: set panel.own_region from "at_least_one" to "any" (verified by a
    solve, objective 0.000, price 0.000 (0.0 %))
    load.max: raise R1's maximum load from 1 to 2 (verified by a solve, objective 0.000)
    """
    policy = Policy.coerce(policy)
    pairs = tuple(checked_forced(problem, policy, forced))
    reasons = necessary(problem, policy)
    if core is False:
        return Explanation(tuple(reasons), status="infeasible" if reasons else "unchecked")
    t0 = time.perf_counter()
    keyed = key_core(
        problem,
        policy,
        checks=lambda pr, po: bool(necessary(pr, po)),
        time_limit=time_limit,
        seed=seed,
        forced=pairs,
        steps=relaxations,
    )
    steps = tuple(_policy_relaxation(step) for step in keyed.steps)
    if keyed.status == "feasible":
        return Explanation(tuple(reasons), status="feasible")
    if core == "auto" and reasons:
        return _keyed(Explanation(tuple(reasons), relaxations=steps, status="infeasible"), keyed)
    left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0))
    search = _Instances(problem, policy, seed, relaxations, pairs)
    return _keyed(_with_instances(search, keyed, reasons, steps, left), keyed)


@dataclass(frozen=True, slots=True)
class _Instances:
    """What the instance core's search takes: the inputs and explain's options."""

    problem: Problem
    policy: Policy
    seed: int
    relaxations: bool
    forced: tuple[tuple[str, str], ...]


def _with_instances(
    search: _Instances,
    keyed: KeyCore,
    reasons: list[Reason],
    steps: tuple[Relaxation, ...],
    left: float | None,
) -> Explanation:
    """The instance core among the key core's rules (all rules without one), and the rest."""
    problem, policy = search.problem, search.policy
    within = None
    if keyed.status == "infeasible":  # a core among the key core's instances, others free
        within = {*keyed.keys, *_fixed(policy, problem)}
    found = find_core(
        problem,
        policy,
        time_limit=left,
        seed=search.seed,
        relaxations=search.relaxations,
        forced=search.forced,
        within=within,
    )
    members = tuple(
        Reason(rule, text, cases, reviewers) for rule, text, cases, reviewers in found.core
    )
    status: Literal["infeasible", "feasible", "unknown"]
    if reasons or keyed.status == "infeasible" or found.status == "infeasible":
        status = "infeasible"
    else:
        status = "feasible" if found.status == "feasible" else "unknown"
    notes = found.notes
    whole = _whole_rules_on(policy, problem)
    if whole:
        notes += (
            f"{_HELD_HARD} {', '.join(whole)} (rules over the whole assignment are held like "
            "panel sizes and conflicts of interest: never in the core, never relaxed)",
        )
    ranked = _ranked(steps, found.relaxations)
    return Explanation(tuple(reasons), members, ranked, status, notes, found.irreducible)


def _fixed(policy: Policy, problem: Problem) -> list[str]:
    """The keys whose instances a policy-wide change may leave as they are: kept in cores.

    Those no policy-wide change loosens (pairs the problem lists), and the loads when a
    reviewer's own ``max_load`` or ``min_load`` overrides the policy's.
    """
    fixed = [r.key for r in active(policy) if not r.loosen(policy)]
    if any(r.max_load is not None for r in problem.reviewers):
        fixed.append("load.max")
    if any(r.min_load is not None for r in problem.reviewers):
        fixed.append("load.min")
    return fixed


def necessary(problem: Problem, policy: Policy) -> list[Reason]:
    """The necessary checks that fail: capacity, policy-level counts, bands, each case's pool."""
    inst = build_instance(problem, policy)
    by_case = _case_rules(inst, problem, policy)
    reasons = _capacity(inst, problem)
    reasons += _policy_level(inst, problem, policy, {c for r in by_case for c in r.cases})
    reasons += _representation(inst, problem, policy)
    return reasons + by_case


def _policy_relaxation(step: PolicyStep) -> Relaxation:
    """A policy-wide step as a relaxation (scope ``"policy"``)."""
    return Relaxation(
        step.key,
        step.change,
        restores=step.restores,
        objective=step.objective,
        scope="policy",
        price=step.price,
        proven=step.proven,
        settings=step.settings,
    )


def _ranked(
    steps: tuple[Relaxation, ...], instances: tuple[Relaxation, ...]
) -> tuple[Relaxation, ...]:
    """Policy-wide steps that restore feasibility, then the instances', then the rest."""
    restoring = tuple(s for s in steps if s.restores)
    return restoring + instances + tuple(s for s in steps if not s.restores)


def _keyed(why: Explanation, keyed: KeyCore) -> Explanation:
    """``why`` with the key core's keys, whether they are proven minimal, and its note."""
    notes = why.notes
    if keyed.status == "unknown":
        notes += ("the time ran out before a policy key could be shown to conflict",)
    return replace(
        why,
        keys=keyed.keys,
        keys_irreducible=keyed.irreducible,
        notes=notes,
    )
