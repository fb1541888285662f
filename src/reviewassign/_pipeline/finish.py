"""From solver output to a :class:`Result`: shared by ``solve``, ``repair`` and relax.

Every path ends the same way: the chosen pairs become an assignment, the independent
checker re-checks it, :func:`evaluate` gives its objective, and the stats record the
instance, the phases and the reproducibility fields.

A workflow makes one :class:`RunContext` at its start (the problem, the policy, the
options of the call) and gathers its phases and notes in it; :func:`finish` reads the rest
from the backend's :class:`Outcome` (the levels, the worst panel, the solver's resolution
and version), so this module never imports the backend package.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from .._data.model import Problem, unset_added
from .._data.options import SolveOptions
from .._data.policy import Policy
from .._data.result import Assignment, Level, Phase, Result, Stats, Status, relative_gap
from .._errors import SolverError
from .._spec.check import Metrics, Violation, check, evaluate
from .._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .._backends.solvers import LevelRecord, Outcome

__all__ = [
    "Counts",
    "RunContext",
    "checked",
    "finish",
    "input_hash",
    "level_value",
    "method_of",
    "phases_of",
    "policy_hash",
    "problem_hash",
]


class Counts(Protocol):
    """What the stats read of an instance: an :class:`Instance`, or the counts of none."""

    @property
    def n_cases(self) -> int:
        """Number of cases."""
        ...

    @property
    def n_reviewers(self) -> int:
        """Number of reviewers."""
        ...

    @property
    def n_pairs(self) -> int:
        """Number of candidate pairs."""
        ...

    @property
    def eligible_pairs(self) -> int:
        """Number of eligible pairs."""
        ...

    @property
    def conflicted_pairs(self) -> int:
        """Number of pairs excluded by a conflict of interest."""
        ...

    @property
    def excluded_by_policy(self) -> int:
        """Number of pairs the policy's rules exclude."""
        ...

    @property
    def conflicts_by_reason(self) -> dict[str, int]:
        """Conflict reason -> the number of pairs it excludes."""
        ...


@dataclass(frozen=True, slots=True)
class RunContext:
    """One workflow's run, made once at its start: what its result records beside the answer.

    The record is frozen; its ``phases`` and ``notes`` lists grow as the run goes.
    """

    problem: Problem
    policy: Policy
    options: SolveOptions
    phases: list[Phase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _sha256(data: object) -> str:
    """The SHA-256 hex digest of ``data``'s canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


ADDED_POLICY_KEYS = (
    "attributes",
    "panel.rules",
    "representation.bands",
    "objective.prefers_not",
    "history",
)
"""The policy keys added after 0.1.0 (dotted), left out of the hashes while they hold
their defaults (the problem's are :func:`unset_added`). A problem or policy without them
hashes as it always did, and ``verify`` still confirms the results written before them."""


def _unset(model: BaseModel, dotted: Sequence[str]) -> dict[str, Any]:
    """A ``model_dump`` exclusion of the ``dotted`` keys that hold their defaults."""
    exclude: dict[str, Any] = {}
    for key in dotted:
        *path, name = key.split(".")
        owner, spec = model, exclude
        for step in path:
            owner = getattr(owner, step)
            spec = spec.setdefault(step, {})
        default = type(owner).model_fields[name].get_default(call_default_factory=True)
        if getattr(owner, name) == default:
            spec[name] = True
    return exclude


def _problem_data(problem: Problem) -> dict[str, object]:
    """The problem as JSON data to hash, its affinity as a digest."""
    exclude = {"affinity": True, **unset_added(problem)}
    return {
        "problem": problem.model_dump(mode="json", exclude=exclude),
        "affinity": problem.affinity.digest(),  # arrays: no JSON of millions of rows
    }


def _policy_data(policy: Policy) -> dict[str, object]:
    """The policy as JSON data to hash: every key with its value (the added ones if set)."""
    return policy.model_dump(mode="json", exclude=_unset(policy, ADDED_POLICY_KEYS))


def problem_hash(problem: Problem) -> str:
    """SHA-256 of the canonical JSON of a problem (its given affinity as a digest)."""
    return _sha256(_problem_data(problem))


def policy_hash(policy: Policy) -> str:
    """SHA-256 of the canonical JSON of a policy, every key with its value."""
    return _sha256(_policy_data(policy))


def method_of(phases: Sequence[Phase]) -> str:
    """The backend path of a solve, from its phase names: ``flow``, ``cpsat``, ...

    Examples
    --------
    >>> method_of([Phase(name="cpsat.objective", seconds=0.1), Phase(name="check", seconds=0)])
    'cpsat'

    The constructive start (``construct``) names the path only when no backend ran;
    phases skipped for want of time are not counted.
    """
    seen: list[str] = []
    for phase in phases:
        head = phase.name.split(".")[0]
        if phase.status == "skipped":
            continue
        if head not in ("prepare", "construct", "check") and head not in seen:
            seen.append(head)
    if not seen and any(p.name == "construct" for p in phases):
        return "construct"
    return "+".join(seen)


def input_hash(problem: Problem, policy: Policy) -> str:
    """SHA-256 of the canonical JSON of a problem and a policy.

    The given affinity enters as :meth:`AffinityTable.digest`, which ignores row order.

    Examples
    --------
    >>> import reviewassign as ra
    >>> p = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    >>> input_hash(p, ra.Policy()) == input_hash(p, ra.Policy())
    True
    """
    return _sha256(_problem_data(problem) | {"policy": _policy_data(policy)})


def phases_of(outcome: Outcome) -> list[Phase]:
    """A backend's phases as :class:`Phase` records (CP-SAT phases prefixed ``cpsat.``)."""
    return [
        Phase(
            name=(r.name if r.name.startswith("flow") else f"cpsat.{r.name}"),
            seconds=r.seconds,
            status=r.status,
            objective=r.objective,
            bound=r.bound,
        )
        for r in outcome.phases
    ]


def checked(
    problem: Problem,
    policy: Policy,
    assignment: Assignment,
    phases: list[Phase],
    *,
    allow: Collection[str] = (),
    forced: Sequence[tuple[str, str]] = (),
) -> tuple[Metrics, tuple[Violation, ...]]:
    """Re-check ``assignment`` (and the ``forced`` pairs) and evaluate it; add a ``check`` phase.

    Violations of a rule in ``allow`` are returned; any other violation is a bug in the
    backend (never the user's input) and raises :class:`SolverError` with them.
    """
    t0 = time.perf_counter()
    violations = check(problem, policy, assignment, forced=forced)
    wrong = [v for v in violations if v.rule not in allow]
    if wrong:  # pragma: no cover - a bug in a backend, never the user's input
        head = "; ".join(v.message for v in wrong[:3])
        raise SolverError(f"the backend's assignment fails check: {head}", wrong)
    metrics = evaluate(problem, assignment, policy)
    status = "passed" if not violations else f"{len(violations)} allowed violation(s)"
    phases.append(Phase(name="check", seconds=time.perf_counter() - t0, status=status))
    return metrics, tuple(violations)


def finish(
    ctx: RunContext,
    inst: Counts,
    outcome: Outcome | None,
    *,
    status: Status,
    assignment: Assignment,
    metrics: Metrics | None,
    bound: float | None,
    broken: tuple[Violation, ...] = (),
) -> Result:
    """The :class:`Result`: objective from ``metrics``, gap from ``bound``, full stats.

    ``outcome`` is the backend's answer the assignment comes from: its level records
    before the policy objective each become a :class:`Level` whose value is read from
    ``metrics``; its worst panel, resolution and solver version go into the stats.
    ``None``: no solver ran (a solve out of time before it read its instance), and
    OR-Tools is not loaded for the stats (its import alone takes half a second).
    """
    objective = None if metrics is None else metrics.objective
    if objective is not None and bound is not None:
        bound = max(bound, objective)
    worst_bound = None if outcome is None else outcome.worst_bound
    if metrics is not None and metrics.worst_case is not None and worst_bound is not None:
        worst_bound = max(worst_bound, metrics.worst_case)  # see ``_outward``
    gap = None if objective is None or bound is None else relative_gap(objective, bound)
    levels: Sequence[LevelRecord] = () if outcome is None else outcome.levels
    problem, policy = ctx.problem, ctx.policy
    stats = _stats(ctx, inst, outcome, worst_bound)
    return Result(
        status=status,
        assignment=assignment,
        objective=objective,
        bound=None if objective is None else bound,
        gap=gap,
        stats=stats,
        metrics=metrics,
        conflicts_avoided=dict(inst.conflicts_by_reason),
        broken=broken,
        forced=ctx.options.forced,
        levels=(
            *(_level(r, metrics) for r in levels),
            Level(
                name="objective",
                value=objective,
                bound=None if objective is None else bound,
                status=status.value,
            ),
        ),
        _source=(problem, policy),
    )


def _stats(
    ctx: RunContext, inst: Counts, outcome: Outcome | None, worst_bound: float | None
) -> Stats:
    """The stats of a run: its options, the phases, the hashes, the counts and the backend."""
    options, problem, policy = ctx.options, ctx.problem, ctx.policy
    backend: dict[str, Any] = {"ortools_version": version("ortools")}
    if outcome is not None:
        backend = {"ortools_version": outcome.backend_version, "resolution": outcome.resolution}
    return Stats(
        wall_time=time.perf_counter() - options.start,
        phases=tuple(ctx.phases),
        seed=options.seed,
        workers=options.workers,
        time_limit=options.time_limit,
        library_version=__version__,
        input_hash=input_hash(problem, policy),
        problem_hash=problem_hash(problem),
        policy_hash=policy_hash(policy),
        python_version=platform.python_version(),
        method=method_of(ctx.phases),
        cases=inst.n_cases,
        reviewers=inst.n_reviewers,
        eligible_pairs=inst.eligible_pairs,
        candidate_pairs=inst.n_pairs,
        conflicts=inst.conflicted_pairs,
        excluded_by_policy=inst.excluded_by_policy,
        worst_case=None if outcome is None else outcome.worst,
        worst_case_bound=worst_bound,
        notes=(*(f"warning: {w}" for w in problem.warnings), *ctx.notes),
        **backend,
    )


def _level(record: LevelRecord, metrics: Metrics | None) -> Level:
    """A backend's level record, with its value read from ``metrics``."""
    value = None if metrics is None else level_value(record.name, metrics)
    return Level(
        name=record.name,
        value=value,
        bound=_outward(record.name, record.bound, value),
        status=record.status,
        detail=record.detail,
    )


def _outward(name: str, bound: float | None, value: float | None) -> float | None:
    """A level's bound, never on the wrong side of the value the returned assignment has.

    The backends round bounds outward; this also covers the float sums of ``metrics``
    (an ulp or so). Moving a bound outward to a value that an assignment reaches keeps it
    a bound: ``load_spread`` is minimised (its bound is a lower bound), the others maximised.
    """
    if bound is None or value is None:
        return bound
    return min(bound, value) if name == "load_spread" else max(bound, value)


def level_value(name: str, metrics: Metrics) -> float | None:
    """What an assignment reaches at one level of the objective, from its metrics."""
    values: dict[str, float | None] = {
        "coverage": float(metrics.covered_topics),
        "worst_case": metrics.worst_case,
        "leximin": metrics.worst_case,
        "affinity": metrics.total_affinity,
        "load_spread": float(metrics.load_spread),
        "objective": metrics.objective,
    }
    return values[name]
