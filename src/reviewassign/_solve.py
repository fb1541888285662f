"""``solve``: from a problem and a policy to a checked result.

The pipeline: conflicts and eligible pairs (``_instance``) -> a backend (an exact min-cost
flow when the policy fits one, CP-SAT otherwise; ``_cpsat``) -> the assignment -> the
independent ``check`` -> metrics, objective, bound and stats -> ``Result``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from ._bound import lagrangian_bound
from ._finish import STATUS, checked, finish, input_hash, phases_of
from ._instance import Instance, build_instance
from ._model import Problem
from ._policy import Policy
from ._result import Phase, Progress, Result, Status

if TYPE_CHECKING:
    from . import _cpsat

__all__ = ["check_options", "input_hash", "solve"]

Method = Literal["auto", "flow", "lp", "cpsat"]

# Below this many eligible pairs plain CP-SAT proves optima fast and the LP is overhead.
_LP_MIN_PAIRS = 5_000

# candidates="auto": from this many cases x reviewers on, each case keeps its best
# max(_AUTO_CANDIDATES_MIN, _AUTO_CANDIDATES_PER_SEAT * panel size) eligible reviewers.
_AUTO_PRUNE_PAIRS = 2_000_000
_AUTO_CANDIDATES_MIN = 30
_AUTO_CANDIDATES_PER_SEAT = 10
# Candidates that give no assignment are widened fourfold when there are more eligible
# pairs than this, and dropped (every eligible pair) otherwise.
_FULL_RETRY_PAIRS = 20_000_000

_SEED_MIN, _SEED_MAX = -(2**31), 2**31 - 1


def check_options(*, seed: int, workers: int, time_limit: float | None) -> None:
    """Raise ``ValueError`` for a seed, worker count or time limit CP-SAT cannot take."""
    if not _SEED_MIN <= seed <= _SEED_MAX:
        raise ValueError(f"seed must be a 32-bit integer (CP-SAT's random_seed), got {seed}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if time_limit is not None and not 0 <= time_limit < math.inf:
        raise ValueError(f"time_limit must be non-negative, got {time_limit}")


def _candidate_count(
    candidates: int | Literal["auto"] | None, problem: Problem, policy: Policy
) -> int | None:
    """Candidates a case under ``solve(..., candidates=...)``; None: every eligible pair."""
    if candidates is None:
        return None
    if candidates == "auto":
        if len(problem.cases) * len(
            problem.reviewers
        ) < _AUTO_PRUNE_PAIRS or policy.objective.levels != ("objective",):
            return None
        sizes = [c.panel_size for c in problem.cases if c.panel_size is not None]
        seats = max([policy.panel_size, *sizes])
        return max(_AUTO_CANDIDATES_MIN, _AUTO_CANDIDATES_PER_SEAT * seats)
    if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
        raise ValueError(
            f"candidates must be a positive integer, 'auto' or None, got {candidates!r}"
        )
    return candidates


def _backend(
    inst: Instance,
    problem: Problem,
    policy: Policy,
    method: Method,
    start: float,
    time_limit: float | None,
    seed: int,
    workers: int,
    progress: Callable[[Progress], None] | None,
) -> _cpsat.Outcome:
    """Run the backend that fits: a min-cost flow, or CP-SAT (LP-guided when large)."""
    from . import _cpsat

    use_flow = _cpsat.flow_applicable(inst, policy)
    if method == "flow" and not use_flow:
        raise ValueError("method='flow': the policy has rules a flow network cannot express")
    if method in ("cpsat", "lp"):
        use_flow = False
    if use_flow:
        return _cpsat.solve_flow(inst, policy)
    left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - start))
    use_lp = method == "lp" or (method == "auto" and inst.n_pairs >= _LP_MIN_PAIRS)
    return _cpsat.solve_cpsat(
        inst,
        policy,
        time_limit=left,
        seed=seed,
        workers=workers,
        progress=progress,
        use_lp=use_lp,
    )


def _over_every_pair(
    progress: Callable[[Progress], None], bound: float
) -> Callable[[Progress], None]:
    """Progress whose bound holds over every eligible pair, not only the candidates."""

    def report(event: Progress) -> None:
        if event.phase == "worst_case":  # the fairness objective is never pruned
            progress(event)
        else:
            progress(replace(event, bound=max(event.objective, bound)))

    return report


def solve(
    problem: Problem,
    policy: Policy | None = None,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    progress: Callable[[Progress], None] | None = None,
    workers: int = 1,
    method: Method = "auto",
    candidates: int | Literal["auto"] | None = "auto",
    relax: Literal["none", "minimal"] = "none",
) -> Result:
    """Assign every case a panel that meets every hard rule and maximises the objective.

    Parameters
    ----------
    problem
        Cases, reviewers, conflicts, relations and given affinities.
    policy
        The rules and the objective; ``None`` is the neutral ``Policy()``.
    time_limit
        Seconds; when reached, the best assignment found so far is returned with status
        ``FEASIBLE`` (or ``NO_SOLUTION`` if none was found). ``None``: no limit.
    seed
        CP-SAT's random seed. The same input, policy, seed and ``workers`` give the same
        assignment when the solve finishes within the time limit.
    progress
        Called with a :class:`Progress` on every new incumbent of the CP-SAT backend.
    workers
        CP-SAT search workers. One worker is deterministic and, with the LP-heavy
        parameters used here, the fastest on small machines.
    method
        ``"auto"``: a min-cost flow when the policy fits one; else, from 5,000 eligible
        pairs on, the LP relaxation leads CP-SAT (``"lp"``); else plain CP-SAT.
        ``"flow"`` fails with ``ValueError`` if the policy does not fit a flow; ``"lp"``
        and ``"cpsat"`` force those paths.
    candidates
        Prune each case to its best eligible reviewers. An integer ``K`` keeps each
        case's ``K`` best, plus the best ``panel_size`` of every group a panel rule reads
        (each region, gender, covering topic...); ``None`` keeps every eligible pair;
        ``"auto"`` prunes from 2,000,000 cases x reviewers on, to
        ``max(30, 10 * panel_size)``, under the affinity objective only. The bound stays
        a bound over every eligible pair: the flow path prices the pruned pairs with its
        node potentials and adds those that could improve the optimum until none can
        (so ``OPTIMAL`` is the optimum of the whole problem); CP-SAT paths report a
        Lagrangian bound over every eligible pair. If the candidates cannot meet the
        rules, the solve is repeated with every eligible pair.
    relax
        ``"minimal"``: when the policy cannot be met in full, return the best assignment
        that breaks the fewest rule instances (one rule on one case, topic or reviewer),
        weighted by ``policy.relax.priority``; rules in ``policy.relax.keep`` (default:
        reviewers' maximum loads), panel sizes and conflicts of interest are never
        broken. The broken rules are listed in ``Result.broken``, as
        :func:`reviewassign.check` reports them. Three CP-SAT steps share the time
        limit (least breach, fewest broken, best objective); under a time limit the
        count may not be proven the least (status ``FEASIBLE`` and a note say so).
        Always over every eligible pair, with one worker.

    Returns
    -------
    Result
        Status, assignment, objective, bound, gap, stats and metrics. Every returned
        assignment has passed :func:`reviewassign.check`.

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", topics={"t1": 1}), ra.Case(id="C2", topics={"t2": 1})],
    ...     reviewers=[ra.Reviewer(id="R1", expertise={"t1": 3}),
    ...                ra.Reviewer(id="R2", expertise={"t2": 3}),
    ...                ra.Reviewer(id="R3", expertise={"t1": 1, "t2": 1})],
    ... )
    >>> result = ra.solve(problem, ra.Policy(panel_size=1, load={"max": 1}))
    >>> result.status, result.objective
    (<Status.OPTIMAL: 'optimal'>, 2.0)
    >>> dict(result.assignment)
    {'C1': ('R1',), 'C2': ('R2',)}
    """
    from . import _cpsat  # ortools is imported on the first solve, not with the package

    policy = Policy.coerce(policy)
    check_options(seed=seed, workers=workers, time_limit=time_limit)
    if relax not in ("none", "minimal"):
        raise ValueError(f'relax must be "none" or "minimal", got {relax!r}')
    if policy.random.max_probability < 1:
        if relax != "none":
            raise ValueError('relax="minimal" does not combine with [random] max_probability < 1')
        from ._random import randomize

        lottery = randomize(problem, policy, time_limit=time_limit, seed=seed, workers=workers)
        return lottery.sample(seed)
    if relax == "minimal":
        from ._relax import solve_relaxed

        return solve_relaxed(
            problem,
            policy,
            time_limit=time_limit,
            seed=seed,
        )
    start = time.perf_counter()
    keep = _candidate_count(candidates, problem, policy)
    t0 = time.perf_counter()
    inst = build_instance(problem, policy, candidates=keep)
    phases = [Phase(name="prepare", seconds=time.perf_counter() - t0, status="done")]
    if inst.pruned and progress is not None:
        progress = _over_every_pair(progress, lagrangian_bound(inst, policy))
    outcome = _backend(inst, problem, policy, method, start, time_limit, seed, workers, progress)
    notes = list(outcome.notes)
    if inst.pruned and outcome.status in ("infeasible", "unknown"):
        # The candidates may lack what the rules need: more of them, then every pair.
        phases.extend(phases_of(outcome))
        wider = None if keep is None or inst.eligible_pairs <= _FULL_RETRY_PAIRS else 4 * keep
        what = "all" if wider is None else f"{wider} candidates a case of"
        notes.append(
            f"pruning: the {inst.n_pairs} candidate pairs gave no assignment "
            f"({outcome.status}); solved again with {what} {inst.eligible_pairs} eligible pairs"
        )
        t0 = time.perf_counter()
        inst = build_instance(problem, policy, candidates=wider)
        phases.append(Phase(name="prepare", seconds=time.perf_counter() - t0, status="done"))
        outcome = _backend(
            inst, problem, policy, method, start, time_limit, seed, workers, progress
        )
        notes.extend(outcome.notes)
        if inst.pruned and outcome.status == "infeasible":
            # Infeasible candidates do not make an infeasible problem.
            outcome = replace(outcome, status="unknown")
    phases.extend(phases_of(outcome))
    if outcome.instance is not None:
        inst = outcome.instance

    status = STATUS[outcome.status]
    assignment = inst.assignment(outcome.chosen)
    bound = None
    metrics = None
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        metrics, _ = checked(problem, policy, assignment, phases)
        objective = metrics.objective
        if inst.pruned and not outcome.priced:
            # The backend's status and bound speak of the candidates only.
            t0 = time.perf_counter()
            # Any prices give a bound: the LP's (tight when the dropped rules are slack)
            # and none (tight when they are not); the lower is kept.
            bound = lagrangian_bound(inst, policy)
            if outcome.prices is not None:
                bound = min(bound, lagrangian_bound(inst, policy, outcome.prices))
            bound = max(objective, bound)
            seats = int(inst.panel_size.sum())
            proven = bound - objective <= seats * _cpsat.RESOLUTION
            status = Status.OPTIMAL if proven else Status.FEASIBLE
            phases.append(
                Phase(
                    name="bound",
                    seconds=time.perf_counter() - t0,
                    status="optimal" if proven else "done",
                    objective=objective,
                    bound=bound,
                )
            )
            notes.append(
                f"pruning: {inst.n_pairs} of {inst.eligible_pairs} eligible pairs were "
                "candidates; the bound is Lagrangian over every eligible pair"
            )
        elif status is Status.OPTIMAL:
            bound = objective
        else:
            bound = lagrangian_bound(inst, policy) if outcome.bound is None else outcome.bound
    return finish(
        problem,
        policy,
        inst,
        status=status,
        assignment=assignment,
        metrics=metrics,
        bound=bound,
        start=start,
        phases=phases,
        seed=seed,
        workers=workers,
        time_limit=time_limit,
        notes=notes,
        worst=outcome.worst,
        worst_bound=outcome.worst_bound,
        levels=outcome.levels,
    )
