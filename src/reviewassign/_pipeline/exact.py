"""The exact solve path: from a problem, a policy and options to a checked result.

The pipeline: conflicts and eligible pairs (``_reduce.eligible``) -> a backend (an exact min-cost
flow when the policy fits one, CP-SAT otherwise; ``_backends.solvers``) -> the assignment -> the
independent ``check`` -> metrics, objective, bound and stats -> ``Result``.

:func:`solve_exact` is what the public ``solve`` (``_workflows/solve.py``) runs when
there is no lottery and no relaxation, and what the lottery, relax, compare, sweep and
verify call from above. Its steps are :func:`_solve_candidates` (read the instance, run
the backend, widen pruned candidates that gave nothing), :func:`_conclude` (check the
answer, or the constructive start, and bound it) and ``finish``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .._backends import budget as _budget
from .._data.model import Problem
from .._data.options import Candidates, SolveOptions, check_options
from .._data.policy import Policy
from .._data.result import Assignment, Phase, Progress, Result, Status
from .._pipeline.finish import RunContext, checked, finish, input_hash, phases_of
from .._pipeline.lagrangian import lagrangian_bound
from .._reduce.eligible import Instance, build_instance
from .._spec.check import Metrics, check, evaluate

if TYPE_CHECKING:
    from .._backends import solvers

__all__ = ["check_options", "input_hash", "solve_exact"]

# candidates="auto": from this many cases x reviewers on, each case keeps its best
# max(_AUTO_CANDIDATES_MIN, _AUTO_CANDIDATES_PER_SEAT * panel size) eligible reviewers.
_AUTO_PRUNE_PAIRS = 2_000_000
_AUTO_CANDIDATES_MIN = 30
_AUTO_CANDIDATES_PER_SEAT = 10
# Candidates that give no assignment are widened fourfold when there are more eligible
# pairs than this, and dropped (every eligible pair) otherwise.
_FULL_RETRY_PAIRS = 20_000_000

# Under a time limit, candidates="auto" also prunes when cases x reviewers exceed this many
# pairs a second of the limit: a model of every pair would not be built in time, let alone
# solved (building takes about 20 us a pair, reading it for the LP as much again).
_TIMED_PAIRS_PER_SECOND = 10_000


def _candidate_count(
    candidates: Candidates,
    problem: Problem,
    policy: Policy,
    time_limit: float | None = None,
) -> int | None:
    """Candidates a case under ``solve(..., candidates=...)``; None: every eligible pair.

    ``candidates`` has been checked by :class:`SolveOptions`.
    """
    if candidates is None:
        return None
    if candidates == "auto":
        pairs = len(problem.cases) * len(problem.reviewers)
        large = pairs >= _AUTO_PRUNE_PAIRS or (
            time_limit is not None and pairs > _TIMED_PAIRS_PER_SECOND * time_limit
        )
        if (
            not large
            or policy.objective.levels != ("objective",)
            or _needs_every_pair(policy)
            or problem.linked  # linked cases need their shared reviewers
        ):
            return None
        sizes = [c.panel_size for c in problem.cases if c.panel_size is not None]
        seats = max([policy.panel_size, *sizes])
        return max(_AUTO_CANDIDATES_MIN, _AUTO_CANDIDATES_PER_SEAT * seats)
    return candidates


def _needs_every_pair(policy: Policy) -> bool:
    """Whether ``candidates="auto"`` keeps every pair: attribute rules and bands are on.

    The pruner keeps each group a panel rule reads, but not the seats an attribute rule
    counts; a pruned solve would stay exact (bounded, widened when infeasible), often at the
    price of a second solve, so these policies are not pruned at all.
    """
    rules = policy.panel.rules
    return any(not r.excludes_pairs for r in rules) or policy.representation.bands_on


@dataclass(frozen=True, slots=True)
class _Unread:
    """The counts of a solve that ran out of time before it read the instance."""

    n_cases: int
    n_reviewers: int
    n_pairs: int = 0
    eligible_pairs: int = 0
    conflicted_pairs: int = 0
    excluded_by_policy: int = 0
    conflicts_by_reason: dict[str, int] = field(default_factory=dict)


def _seats(problem: Problem, policy: Policy) -> int:
    """The seats of all panels: each case's panel size, summed."""
    return sum(policy.panel_size if c.panel_size is None else c.panel_size for c in problem.cases)


def _reserve(problem: Problem, policy: Policy, pruned: bool) -> float:
    """Seconds to keep for what follows the search: check, bound, stats."""
    bound = _budget.BOUND_PER_CASE * len(problem.cases) if pruned else 0.0
    return _budget.FINISH + _budget.FINISH_PER_SEAT * _seats(problem, policy) + bound


@dataclass(frozen=True, slots=True)
class _Plan:
    """Under a time limit: the candidates to read, the estimated seconds, whether they fit."""

    keep: int | None
    seconds: float
    fits: bool


def _plan(
    problem: Problem,
    policy: Policy,
    candidates: Candidates,
    keep: int | None,
    options: SolveOptions,
) -> _Plan:
    """The instance to read under a time limit, and whether reading it fits at all.

    When no search could follow the candidates' instance, the instance of every pair is
    read instead if it is quicker: the constructive start is then all there is.
    """
    n_cases = len(problem.cases)
    pairs = n_cases * len(problem.reviewers)
    start = n_cases * _budget.START_PER_CASE
    full = pairs * _budget.READ_PER_PAIR + start
    if keep is not None:
        pruned = pairs * _budget.READ_PRUNED_PER_PAIR + start
        reserve = _reserve(problem, policy, pruned=True)
        model_pairs = n_cases * keep + 2 * policy.load.max * len(problem.reviewers)  # about
        model = _budget.BUILD_PER_PAIR * model_pairs
        quicker = full < pruned and pairs <= _AUTO_PRUNE_PAIRS  # not too large to hold
        if not (candidates == "auto" and quicker and pruned + reserve + model > options.left()):
            return _Plan(keep, pruned, pruned + reserve <= options.left() + _budget.GRACE)
    reserve = _reserve(problem, policy, pruned=False)
    return _Plan(None, full, full + reserve <= options.left() + _budget.GRACE)


def _pace(seconds: float, estimate: float) -> float:
    """How much slower than the estimates the instance was read (1 to 10).

    Other work on the machine slows every phase alike: the later estimates are scaled
    by this much.
    """
    return min(10.0, max(1.0, seconds / max(estimate, 1e-3)))


def _backend(
    inst: Instance,
    policy: Policy,
    options: SolveOptions,
    left: float | None,
    pace: float = 1.0,
) -> solvers.Outcome:
    """Run the backend ``options.method`` chooses from the table (``_backends/table.py``).

    ``"auto"`` takes a min-cost flow when the policy fits one, else CP-SAT (LP-guided when
    large); a named backend that refuses the policy raises :class:`InputError` naming
    what it refuses. ``left``: the seconds it may take (None: no limit); ``pace`` scales
    the estimates of the steps that cannot be interrupted. The constructive start of the
    instance, if any, is the hint.
    """
    from .._backends import solvers  # ortools is imported on the first solve, not with the package

    backend = solvers.choose(inst, policy, options.method)
    if left is not None and left <= 0:
        unknown = solvers.BackendStatus.UNKNOWN
        return solvers.Outcome(unknown, notes=("time limit: no time left for a search",))
    hint = None
    if inst.start is not None:
        hint = inst.pair_indices(inst.start.case, inst.start.reviewer)
    return backend.solve(inst, policy, options, time_limit=left, hint=hint, pace=pace)


def _prepared(inst: Instance, seconds: float) -> list[Phase]:
    """The phases of reading the instance: ``prepare``, and ``construct`` if it was made."""
    if inst.start is None:
        return [Phase(name="prepare", seconds=seconds, status="done")]
    made = inst.start
    short = "complete" if made.complete else f"{made.short} case(s) short"
    return [
        Phase(name="prepare", seconds=max(0.0, seconds - made.seconds), status="done"),
        Phase(name="construct", seconds=made.seconds, status=short),
    ]


def _from_start(
    problem: Problem,
    policy: Policy,
    inst: Instance,
    phases: list[Phase],
    forced: tuple[tuple[str, str], ...] = (),
) -> tuple[Assignment, Metrics] | None:
    """The constructive start if ``check`` passes it (a ``check`` phase is appended)."""
    made = inst.start
    if made is None or not made.complete:
        return None
    assignment = Assignment.from_pairs(
        (inst.case_ids[c], inst.reviewer_ids[r])
        for c, r in zip(made.case.tolist(), made.reviewer.tolist(), strict=True)
    )
    t0 = time.perf_counter()
    violations = check(problem, policy, assignment, forced=forced)
    if violations:
        # Rules the start does not look at (minimum loads, cycles, bands) are not met.
        status = f"start: {len(violations)} violation(s)"
        phases.append(Phase(name="check", seconds=time.perf_counter() - t0, status=status))
        return None
    metrics = evaluate(problem, assignment, policy)
    phases.append(Phase(name="check", seconds=time.perf_counter() - t0, status="passed"))
    return assignment, metrics


def _start_bound(
    inst: Instance, policy: Policy, outcome: solvers.Outcome, options: SolveOptions
) -> float:
    """A bound for the constructive start: the LP's, else a Lagrangian one."""
    if not inst.pruned and outcome.bound is not None:
        return outcome.bound  # the LP over every pair
    bound = lagrangian_bound(inst, policy)
    if outcome.prices is not None and options.left() > _budget.BOUND_PER_CASE * inst.n_cases:
        bound = min(bound, lagrangian_bound(inst, policy, outcome.prices))
    return bound


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


def _worst_bound(inst: Instance, policy: Policy, outcome: solvers.Outcome) -> float | None:
    """The bound of the worst panel: the backend's, else no panel beats its case's best."""
    levels = policy.objective.levels
    if outcome.worst_bound is not None or inst.best_panels is None or not inst.n_cases:
        return outcome.worst_bound
    if "worst_case" not in levels and "leximin" not in levels:
        return None
    worst = float(inst.best_panels.min())
    return worst + 1e-9 * (1.0 + abs(worst))  # rounded outward


def _out_of_time(ctx: RunContext) -> Result:
    """``NO_SOLUTION`` before reading the instance: the time left could not cover it."""
    problem = ctx.problem
    ctx.phases.append(Phase(name="prepare", seconds=0.0, status="skipped"))
    ctx.notes.append(
        "time limit: too little time to read the instance (eligible pairs and "
        "conflicts are not counted)"
    )
    return finish(
        ctx,
        _Unread(len(problem.cases), len(problem.reviewers)),
        None,
        status=Status.NO_SOLUTION,
        assignment=Assignment(),
        metrics=None,
        bound=None,
    )


def solve_exact(problem: Problem, policy: Policy, options: SolveOptions) -> Result:
    """The exact pipeline of :func:`solve` (no lottery, no relaxation), every option used.

    Under a time limit, the instance is read only if reading it fits (else
    ``NO_SOLUTION`` at once); see :func:`_solve_candidates` and :func:`_conclude`.
    """
    ctx = RunContext(problem, policy, options)
    keep = _candidate_count(options.candidates, problem, policy, options.time_limit)
    estimate = 0.0
    if options.time_limit is not None:
        plan = _plan(problem, policy, options.candidates, keep, options)
        if not plan.fits:
            return _out_of_time(ctx)
        keep, estimate = plan.keep, plan.seconds
    inst, outcome = _solve_candidates(ctx, keep, estimate)
    return _conclude(ctx, inst, outcome)


@dataclass(slots=True)
class _Reading:
    """The instance a solve reads, and the seconds it keeps for what follows the search."""

    inst: Instance
    pace: float
    reserve: float

    def budget(self, options: SolveOptions) -> float | None:
        """Seconds the search may take: what is left but the reserve."""
        return None if options.time_limit is None else options.left() - self.reserve


def _read(ctx: RunContext, keep: int | None, pace: float | None, estimate: float) -> _Reading:
    """Read the instance of ``keep`` candidates a case (None: every eligible pair).

    ``pace`` None: measure it on this reading (the first), against ``estimate``.
    """
    problem, policy, timed = ctx.problem, ctx.policy, ctx.options.time_limit is not None
    t0 = time.perf_counter()
    inst = build_instance(problem, policy, candidates=keep, start=timed, forced=ctx.options.forced)
    ctx.phases.extend(_prepared(inst, time.perf_counter() - t0))
    if pace is None:
        pace = 1.0
        if timed:  # the conflicts' time depends on the relation graph, not on the machine
            pace = _pace(time.perf_counter() - t0 - inst.rows.conflict_seconds, estimate)
    reserve = _reserve(problem, policy, inst.pruned) * pace if timed else 0.0
    return _Reading(inst, pace, reserve)


def _solve_candidates(
    ctx: RunContext, keep: int | None, estimate: float
) -> tuple[Instance, solvers.Outcome]:
    """Read the instance and run the backend; pruned candidates that gave nothing widen.

    If the candidates gave no assignment, they may lack what the rules need: the solve is
    repeated with four times as many (on very large instances) or every eligible pair,
    time permitting. Returns the instance the outcome indexes and the outcome.
    """
    from .._backends import solvers  # ortools is imported on the first solve, not with the package

    problem, policy, options = ctx.problem, ctx.policy, ctx.options
    read = _read(ctx, keep, None, estimate)
    inst = read.inst
    if inst.pruned and options.progress is not None:
        progress = _over_every_pair(options.progress, lagrangian_bound(inst, policy))
        options = replace(options, progress=progress)
    outcome = _backend(inst, policy, options, read.budget(options), read.pace)
    ctx.notes.extend(outcome.notes)
    if not inst.pruned or outcome.status.found:
        return inst, outcome
    unknown = solvers.BackendStatus.UNKNOWN
    wider = None if keep is None or inst.eligible_pairs <= _FULL_RETRY_PAIRS else 4 * keep
    pairs = len(problem.cases) * len(problem.reviewers)
    retry = pairs * _budget.READ_PRUNED_PER_PAIR * read.pace
    if options.time_limit is not None and options.left() - read.reserve <= retry:
        # No time to read more candidates; infeasible candidates do not make an
        # infeasible problem.
        return inst, replace(outcome, status=unknown)
    ctx.phases.extend(phases_of(outcome))
    what = "all" if wider is None else f"{wider} candidates a case of"
    ctx.notes.append(
        f"pruning: the {inst.n_pairs} candidate pairs gave no assignment "
        f"({outcome.status}); solved again with {what} {inst.eligible_pairs} "
        "eligible pairs"
    )
    read = _read(ctx, wider, read.pace, estimate)
    outcome = _backend(read.inst, policy, options, read.budget(options), read.pace)
    ctx.notes.extend(outcome.notes)
    if read.inst.pruned and outcome.status is solvers.BackendStatus.INFEASIBLE:
        outcome = replace(outcome, status=unknown)
    return read.inst, outcome


def _conclude(ctx: RunContext, inst: Instance, outcome: solvers.Outcome) -> Result:
    """Check the backend's answer (or the constructive start), bound it, and finish."""
    problem, policy = ctx.problem, ctx.policy
    ctx.phases.extend(phases_of(outcome))
    if outcome.instance is not None:
        inst = outcome.instance
    status = outcome.status.public
    assignment = inst.assignment(outcome.chosen)
    bound = None
    metrics = None
    if status is Status.NO_SOLUTION:
        started = _from_start(problem, policy, inst, ctx.phases, ctx.options.forced)
        if started is not None:
            # No search result in time: the constructive start, checked, is the answer.
            assignment, metrics = started
            status = Status.FEASIBLE
            bound = _start_bound(inst, policy, outcome, ctx.options)
            ctx.notes.append(
                "time limit: no search result in time; the constructive start is returned"
            )
    elif status in (Status.OPTIMAL, Status.FEASIBLE):
        metrics, _ = checked(problem, policy, assignment, ctx.phases, forced=ctx.options.forced)
        if inst.pruned and not outcome.priced:
            # The backend's status and bound speak of the candidates only.
            status, bound = _bound_over_every_pair(ctx, inst, outcome, metrics.objective)
        elif status is Status.OPTIMAL:
            bound = metrics.objective
        else:
            bound = lagrangian_bound(inst, policy) if outcome.bound is None else outcome.bound
    outcome = replace(outcome, worst_bound=_worst_bound(inst, policy, outcome))
    return finish(
        ctx, inst, outcome, status=status, assignment=assignment, metrics=metrics, bound=bound
    )


def _bound_over_every_pair(
    ctx: RunContext, inst: Instance, outcome: solvers.Outcome, objective: float
) -> tuple[Status, float]:
    """The status and bound over every eligible pair of an answer over the candidates.

    Any prices give a Lagrangian bound: the LP's (tight when the dropped rules are
    slack) and none (tight when they are not); the lower is kept. ``OPTIMAL`` when it
    meets the objective at the solver's resolution.
    """
    t0 = time.perf_counter()
    bound = lagrangian_bound(inst, ctx.policy)
    if outcome.prices is not None:
        bound = min(bound, lagrangian_bound(inst, ctx.policy, outcome.prices))
    bound = max(objective, bound)
    seats = int(inst.panel_size.sum())
    proven = bound - objective <= seats * outcome.resolution
    ctx.phases.append(
        Phase(
            name="bound",
            seconds=time.perf_counter() - t0,
            status="optimal" if proven else "done",
            objective=objective,
            bound=bound,
        )
    )
    ctx.notes.append(
        f"pruning: {inst.n_pairs} of {inst.eligible_pairs} eligible pairs were "
        "candidates; the bound is Lagrangian over every eligible pair"
    )
    return (Status.OPTIMAL if proven else Status.FEASIBLE), bound
