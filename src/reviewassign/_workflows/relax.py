"""``solve(..., relax="minimal")``: the best assignment that breaks the fewest rules.

The soft model (``_backends.cpsat.soft``) gives every rule instance a slack. Three CP-SAT steps
share the time limit: the least weighted breach (how many seats, reviews or regions the
rules are broken by, whose LP bound is strong), then from there the fewest weighted
broken rule instances, then the policy's objective with that count capped. The broken
rules listed in the result are what :func:`check` reports of the returned assignment,
not what the model believes.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from .._data.model import Problem
from .._data.options import Candidates, SolveOptions
from .._data.policy import RELAXABLE, Policy
from .._data.result import Assignment, Phase, Result, Status
from .._data.rules import rule as registry_rule
from .._errors import InputError
from .._pipeline.exact import solve_exact
from .._pipeline.finish import RunContext, checked, finish
from .._reduce.eligible import Instance
from .._spec.check import Violation, check
from .demands import broken_floor, needs

__all__ = ["solve_relaxed"]


def _kept_only(policy: Policy) -> Policy:
    """``policy`` with every relaxable rule off except those it keeps hard, and no priorities."""
    keep = set(policy.relax.keep)
    off = policy.without(r for r in RELAXABLE if r not in keep)
    objective = policy.objective.model_copy(update={"kind": "affinity", "priorities": ()})
    return Policy.coerce(off.model_copy(update={"objective": objective}))


def _options(
    time_limit: float | None,
    seed: int,
    candidates: Candidates,
    forced: tuple[tuple[str, str], ...] = (),
) -> SolveOptions:
    """The options of one of the start's sub-solves, as the public ``solve`` would make them."""
    return SolveOptions.checked(
        seed=seed, time_limit=time_limit, candidates=candidates, forced=forced
    )


def _start(
    problem: Problem,
    policy: Policy,
    *,
    sm_rules: set[str],
    time_limit: float | None,
    seed: int,
    forced: tuple[tuple[str, str], ...] = (),
) -> Assignment | None:
    """A good first assignment: the best of the policy with one rule off at a time.

    Each such solve meets every other rule, so its assignment breaks one rule only; the
    one that breaks the fewest instances (weighted) starts the search. Falls back to the
    policy with every relaxable rule off but those kept hard.
    """
    candidates = [r for r in RELAXABLE if r in sm_rules and r not in policy.relax.keep]
    share = None if time_limit is None else time_limit / (3 * max(1, len(candidates)))
    best: tuple[int, Assignment] | None = None
    for rule in candidates:
        if not registry_rule(rule).off:  # load.max, pairs.disjoint: the policy cannot turn
            continue  # them off (see their registry records)
        options = _options(share, seed, "auto", forced)
        result = solve_exact(problem, policy.without([rule]), options)
        if not result.ok:
            continue
        weight = policy.relax.priority.get(rule, 1)
        broken = {
            (v.rule, v.case, v.reviewer if v.case is None else None)
            for v in check(problem, policy, result.assignment)
        }
        cost = weight * len(broken)
        if best is None or cost < best[0]:
            best = (cost, result.assignment)
    if best is not None:
        return best[1]
    flat = solve_exact(problem, _kept_only(policy), _options(share, seed, None, forced))
    return flat.assignment if flat.ok else None


def _refuse(options: SolveOptions) -> None:
    """Raise :class:`InputError` for an option ``relax="minimal"`` cannot honour.

    The soft model is CP-SAT's, over every eligible pair, with one worker (as documented);
    a flow or an LP lead, or pruned candidates, cannot be given to it.
    """
    if options.method in ("flow", "lp"):
        message = f'relax="minimal" solves with CP-SAT only, not method={options.method!r}'
        raise InputError(message, field="method")
    if options.candidates not in ("auto", None):
        message = (
            'relax="minimal" is solved over every eligible pair, not '
            f"candidates={options.candidates!r}"
        )
        raise InputError(message, field="candidates")


def _hint(ctx: RunContext, inst: Instance, sm_rules: set[str]) -> npt.NDArray[np.int64] | None:
    """The pair indices of :func:`_start`'s assignment, if any (a ``start`` phase is added)."""
    t0 = time.perf_counter()
    options = ctx.options
    first = _start(
        ctx.problem,
        ctx.policy,
        sm_rules=sm_rules,
        time_limit=options.time_limit,
        seed=options.seed,
        forced=options.forced,
    )
    hint = None
    if first is not None:
        position = {
            (inst.case_ids[int(c)], inst.reviewer_ids[int(r)]): p
            for p, (c, r) in enumerate(zip(inst.pair_case, inst.pair_reviewer, strict=True))
        }
        hint = np.array([position[pair] for pair in first.pairs()], dtype=np.int64)
    status = "done" if first else "none"
    ctx.phases.append(Phase(name="start", seconds=time.perf_counter() - t0, status=status))
    return hint


def _floor(inst: Instance, problem: Problem, policy: Policy, hard: frozenset[str]) -> int:
    """The fewest weighted rule instances any assignment breaks, by the policy-level counts.

    Only with the maximum loads held (``relax.keep``), which the counts rely on; 0 else.
    """
    if "load.max" not in hard:
        return 0
    priority = policy.relax.priority
    return broken_floor(inst, needs(inst, problem, policy), lambda key: priority.get(key, 1))


def solve_relaxed(problem: Problem, policy: Policy, options: SolveOptions) -> Result:
    """Solve with every rule soft but those ``policy.relax.keep``; see the module doc.

    ``options``: the seed and the time limit are used; one worker, always (the stats say
    so); no progress is reported; other methods and candidates are refused.
    """
    _refuse(options)
    start = options.start  # the time limit counts from the call
    time_limit, seed = options.time_limit, options.seed
    ctx = RunContext(problem, policy, replace(options, workers=1))
    from .._backends.cpsat.soft import SoftSolver, build_soft, soft_instance  # ortools: deferred
    from .._backends.solvers import (
        Outcome,  # ortools is imported on the first solve, not with the package
    )

    inst = soft_instance(problem, policy, options.forced)
    hard = frozenset(policy.relax.keep)
    sm = build_soft(inst, problem, policy, hard)
    weights = [policy.relax.priority.get(r.rule, 1) for r in sm.rules]
    phases = ctx.phases
    phases.append(Phase(name="prepare", seconds=time.perf_counter() - start, status="done"))
    hint = _hint(ctx, inst, {r.rule for r in sm.rules})
    left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - start))
    floor = _floor(inst, problem, policy, hard)
    run, proven = SoftSolver(sm, seed=seed, time_limit=left).minimal(weights, hint, floor)
    phases.append(Phase(name="relax", seconds=run.seconds, status=run.status))

    notes = ctx.notes
    bound = None
    metrics = None
    broken: tuple[Violation, ...] = ()
    assignment = inst.assignment(run.chosen)
    if run.status in ("optimal", "feasible"):
        allowed = [rule for rule in RELAXABLE if rule not in hard]
        metrics, broken = checked(
            problem, policy, assignment, phases, allow=allowed, forced=options.forced
        )
        bound = run.bound
        instances = {(v.rule, v.case or "", v.reviewer if v.case is None else "") for v in broken}
        notes.append(
            f"relax=minimal: {len(instances)} rule instance(s) broken"
            + ("" if proven else " (not proven the fewest within the time limit)")
            + "; the bound is that of the objective with that many broken"
        )
        status = Status.OPTIMAL if proven and run.status == "optimal" else Status.FEASIBLE
    else:
        status = Status.INFEASIBLE if run.status == "infeasible" else Status.NO_SOLUTION
        if status is Status.INFEASIBLE:
            notes.append(
                "relax=minimal: even with every rule but panel sizes, conflicts and "
                f"{', '.join(sorted(hard)) or 'nothing else'} relaxed, no assignment exists"
            )
    outcome = Outcome(run.status, chosen=run.chosen, bound=run.bound)
    return finish(
        ctx,
        inst,
        outcome,
        status=status,
        assignment=assignment,
        metrics=metrics,
        bound=bound,
        broken=broken,
    )
