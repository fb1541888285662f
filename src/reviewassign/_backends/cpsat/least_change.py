"""The least-change re-solve behind ``repair``: fewest changed pairs, then the objective.

The model is that of every hard rule (``build_model``), with the locked pairs fixed on.
A pair *changes* when it is in the current assignment and not in the new one, or the
other way round; over the model's pairs their number is ``sum(x[p] for p not current) +
sum(1 - x[p] for p current)``. Two (under the fairness objective, three) CP-SAT runs
decide the levels one after the other: the fewest changes, hinted with the current
assignment; then, with the changes capped at that minimum, the policy's objective (the
worst panel, then the total), each hinted with the run before it.

A repair after a few events touches a few cases: the runs go first to the model of the
current pairs and every pair of those cases (then also of the reviewers with seats to
spare), a few thousand pairs where the whole model may hold half a million. A counting
bound (``fewest_changes_bound``) tells when that answer is exact; only when it is not
does the whole model run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ..._data.options import SolveOptions
from ..._data.policy import Policy
from ..._reduce.eligible import Instance
from ..outcome import BackendStatus, Outcome, PhaseRecord
from ..scale import SCALE
from .model import Model, build_model
from .runner import _chosen, _record, _run, _Search

__all__ = ["Bound", "fewest_changes_bound", "solve_least_change"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The share of the time left that the fewest-changes run may use; under the fairness
# objective the worst-case run then takes this share of what is left after it.
_CHANGES_SHARE = 0.5
_WORST_SHARE = 0.5
# The share of the time left each neighbourhood may use before the whole model.
_NEIGHBOURHOOD_SHARE = 0.4


def _set_hint(built: Model, chosen: IntArray) -> None:
    """Hint the pairs ``chosen`` on and every other pair off (variable index = pair)."""
    on = np.zeros(len(built.x), dtype=np.int64)
    on[chosen] = 1
    built.model.clear_hints()  # type: ignore[no-untyped-call]  # ortools leaves it unannotated
    hint = built.model.proto.solution_hint
    hint.vars.extend(range(len(built.x)))
    hint.values.extend(on.tolist())


@dataclass(frozen=True, slots=True)
class Bound:
    """A lower bound of the changes and what an assignment that meets it must look like.

    With ``K_c`` current pairs kept by case ``c`` of ``n_c`` seats and ``D`` current
    pairs dropped in all, the panels add ``sum_c (n_c - K_c) + D`` pairs, so the changes
    are ``sum_c (n_c - K_c) + 2 D``. ``D`` is at least each of: the seats over the
    reviewers' caps (``over_cap``); the pairs over the panels' sizes (``over_full``);
    and the seats the short cases lack (``H``) less an upper bound ``M`` of those that
    reviewers with seats to spare can fill without a drop (``unfilled``): each other
    filling takes a seat some drop freed.
    """

    value: int
    drops: int
    """The fewest drops ``D`` the bound counts."""
    over_cap: int
    over_full: int
    touched: BoolArray
    """Cases short of seats, over-full, or holding an over-capped reviewer's pair."""
    spare: BoolArray
    """Reviewers with seats to spare."""

    def within(self, *, spare_reviewers: bool) -> bool:
        """Whether every assignment that meets the bound lies in the neighbourhood.

        The neighbourhood holds the current pairs and every pair of a touched case (and
        with ``spare_reviewers``, of a reviewer with seats to spare). When the drops are
        those the caps or the panel sizes force, they are pairs of touched cases, so
        every added pair is a touched case's. With a single drop forced otherwise, the
        only chain is: a short case takes some reviewer, who leaves a case, which takes
        a reviewer with a seat to spare.
        """
        if self.drops in (self.over_cap, self.over_full):
            return True
        return spare_reviewers and self.drops <= 1


def fewest_changes_bound(inst: Instance, current: IntArray) -> Bound:
    """A lower bound of the changes over the instance's pairs (see :class:`Bound`)."""
    case_kept = np.bincount(inst.pair_case[current], minlength=inst.n_cases)
    reviewer_kept = np.bincount(inst.pair_reviewer[current], minlength=inst.n_reviewers)
    over_cap = np.maximum(reviewer_kept - inst.max_load, 0)
    over_full = np.maximum(case_kept - inst.panel_size, 0)
    short = np.maximum(inst.panel_size - case_kept, 0)
    spare = np.maximum(inst.max_load - reviewer_kept, 0)
    is_current = np.zeros(inst.n_pairs, dtype=np.bool_)
    is_current[current] = True
    open_ = (short[inst.pair_case] > 0) & ~is_current
    reachable = np.bincount(
        inst.pair_case[open_], weights=spare[inst.pair_reviewer[open_]], minlength=inst.n_cases
    )
    fillable = min(int(np.minimum(short, reachable).sum()), int(spare.sum()))
    unfilled = int(short.sum()) - fillable
    drops = max(int(over_cap.sum()), int(over_full.sum()), unfilled)
    touched = case_kept != inst.panel_size
    touched[inst.pair_case[current[over_cap[inst.pair_reviewer[current]] > 0]]] = True
    return Bound(
        value=int((inst.panel_size - case_kept).sum()) + 2 * drops,
        drops=drops,
        over_cap=int(over_cap.sum()),
        over_full=int(over_full.sum()),
        touched=touched,
        spare=spare > 0,
    )


@dataclass(frozen=True, slots=True)
class _Levels:
    """The runs on one model, in its own pair indices."""

    outcome: Outcome
    fewest: int | None
    proven: bool
    """Whether ``fewest`` is proven the fewest changes of this model."""


def _levels(
    inst: Instance,
    policy: Policy,
    search: _Search,
    *,
    current: IntArray,
    locked: IntArray,
    hint: IntArray,
    cap: int | None,
    deadline_share: float,
) -> _Levels:
    """The fewest changes, then the objective (worst, then total) on the instance's model.

    ``cap``, when given, bounds the changes from above (a repair found before); the
    first run then stops at the lower bound ``fewest_changes_bound``, which it cannot
    beat. ``deadline_share`` is the share of the time left this call may use.
    """
    t0 = time.perf_counter()
    left = search.remaining()
    limit = None if left is None else left * deadline_share

    def remaining() -> float | None:
        return None if limit is None else max(0.0, limit - (time.perf_counter() - t0))

    built = build_model(inst, policy)
    variables = built.model.proto.variables
    for p in locked.tolist():
        domain = variables[p].domain  # pair p is variable p
        domain[0] = domain[1] = 1
    phases = [PhaseRecord("build", time.perf_counter() - t0, "done")]
    notes: list[str] = []

    is_current = np.zeros(inst.n_pairs, dtype=np.bool_)
    is_current[current] = True
    coeffs = np.where(is_current, -1, 1).astype(np.int64)
    changes = cp_model.LinearExpr.weighted_sum(built.x, coeffs.tolist()) + len(current)
    lower = fewest_changes_bound(inst, current).value
    built.model.add(changes >= lower)  # valid, and lets the first run stop when it is met
    if cap is not None:
        built.model.add(changes <= cap)

    # 1. The fewest changes.
    built.model.minimize(changes)
    left = remaining()
    _set_hint(built, hint)
    status, solver, seconds = _run(
        built, "changes", search, time_limit=None if left is None else left * _CHANGES_SHARE
    )
    if not status.found:
        phases.append(PhaseRecord("changes", seconds, status.value))
        return _Levels(Outcome(status, phases=phases), None, status is BackendStatus.INFEASIBLE)
    fewest = round(solver.objective_value)
    at_least = round(solver.best_objective_bound)
    phases.append(PhaseRecord("changes", seconds, status.value, float(fewest), float(at_least)))
    proven = status is BackendStatus.OPTIMAL
    chosen = _chosen(built, solver)
    built.model.add(changes <= fewest)

    # 2. The objective, the changes capped at the fewest found.
    panel_slack = 0.5 * int(inst.panel_size.max(initial=0))
    total_slack = 0.5 * (int(inst.panel_size.sum()) + int(inst.max_load.max(initial=0)))
    worst = worst_bound = None
    objective_proven = True
    if built.worst is not None:
        built.model.maximize(built.worst)
        _set_hint(built, chosen)
        left = remaining()
        status, solver, seconds = _run(
            built, "worst_case", search, time_limit=None if left is None else left * _WORST_SHARE
        )
        record = _record("worst_case", status, solver, seconds, 2 * panel_slack)
        phases.append(record)
        if status.found:
            value = round(solver.objective_value)
            worst, worst_bound = value / SCALE, record.bound
            objective_proven = status is BackendStatus.OPTIMAL
            chosen = _chosen(built, solver)
            # Keep every panel that ties with the worst at full precision (as ``solve``).
            built.model.add(built.worst >= value - int(2 * panel_slack))
        else:
            objective_proven = False
            notes.append("repair: the worst case was not improved within the time limit")
    built.model.maximize(built.objective)
    _set_hint(built, chosen)
    status, solver, seconds = _run(built, "total", search, time_limit=remaining())
    record = _record("total", status, solver, seconds, total_slack)
    phases.append(record)
    bound = None
    if status.found:
        chosen = _chosen(built, solver)
        objective_proven = objective_proven and status is BackendStatus.OPTIMAL
        bound = record.bound
    else:
        objective_proven = False
        notes.append("repair: the objective was not improved within the time limit")
    outcome = Outcome(
        BackendStatus.OPTIMAL if proven and objective_proven else BackendStatus.FEASIBLE,
        chosen=chosen,
        bound=bound,
        worst=worst,
        worst_bound=worst_bound,
        phases=phases,
        notes=tuple(notes),
    )
    return _Levels(outcome, fewest, proven)


def _renamed(phases: list[PhaseRecord], prefix: str) -> list[PhaseRecord]:
    """``phases`` with each name prefixed by ``prefix``."""
    return [replace(r, name=f"{prefix}{r.name}") for r in phases]


def solve_least_change(
    inst: Instance,
    policy: Policy,
    options: SolveOptions,
    *,
    current: IntArray,
    locked: IntArray,
    time_limit: float | None,
) -> Outcome:
    """The assignment nearest ``current`` that meets every rule, best under the policy.

    First two *neighbourhoods*: the model of the current pairs and every eligible pair
    of the cases ``fewest_changes_bound`` touches (and of the locked pairs' cases); then
    that and every pair of the reviewers with seats to spare. When a neighbourhood's
    fewest changes meet the bound and :meth:`Bound.within` holds, every assignment with
    that few changes lies in it: its answer is exact at every level. Otherwise the
    whole model is solved, hinted with the best repair found and its changes capped.

    Parameters
    ----------
    inst
        The instance of the updated problem (every eligible pair a candidate).
    policy
        The rules and the objective.
    current
        Pair indices (ascending, unique) of the current pairs that are still eligible.
    locked
        Pair indices (ascending, unique) fixed on.
    options, time_limit
        As for ``solve_cpsat`` (no progress is reported); the time is shared between the
        runs.

    Returns
    -------
    Outcome
        ``"optimal"`` only when every level is proven. Phases are prefixed ``near.``,
        ``wider.`` or ``full.``; a ``changes`` phase's objective is the fewest changes
        over the model's pairs.
    """
    search = _Search(options.seed, options.workers, None, time.perf_counter(), time_limit)
    bound = fewest_changes_bound(inst, current)
    touched = bound.touched.copy()
    touched[inst.pair_case[locked]] = True
    base = np.union1d(np.union1d(current, locked), np.flatnonzero(touched[inst.pair_case]))
    wider = np.union1d(base, np.flatnonzero(bound.spare[inst.pair_reviewer]))
    phases: list[PhaseRecord] = []
    best: tuple[_Levels, IntArray] | None = None
    for name, near, spare_reviewers in (("near", base, False), ("wider", wider, True)):
        if best is not None and len(near) == len(best[1]):
            continue  # no wider than the last
        position = np.full(inst.n_pairs, -1, dtype=np.int64)
        position[near] = np.arange(len(near))
        sub = _levels(
            inst.restricted(near),
            policy,
            search,
            current=position[current],
            locked=position[locked],
            hint=position[current] if best is None else position[best[1][best[0].outcome.chosen]],
            cap=None if best is None else best[0].fewest,
            deadline_share=_NEIGHBOURHOOD_SHARE,
        )
        phases += _renamed(sub.outcome.phases, f"{name}.")
        if sub.fewest is None:
            continue
        best = (sub, near)
        if sub.fewest <= bound.value and bound.within(spare_reviewers=spare_reviewers):
            return replace(sub.outcome, chosen=near[sub.outcome.chosen], phases=phases)

    hint = current if best is None else best[1][best[0].outcome.chosen]
    full = _levels(
        inst,
        policy,
        search,
        current=current,
        locked=locked,
        hint=hint,
        cap=None if best is None else best[0].fewest,
        deadline_share=1.0,
    )
    phases += _renamed(full.outcome.phases, "full.")
    notes = list(full.outcome.notes)
    if full.fewest is None:
        if best is not None:
            # No time left to better a neighbourhood's repair on the whole model.
            notes.append(
                "repair: the fewest changes were searched among the pairs of the changed "
                "cases and of reviewers with seats to spare; the time limit ended the "
                "search over every pair"
            )
            return replace(
                best[0].outcome,
                status=BackendStatus.FEASIBLE,
                chosen=best[1][best[0].outcome.chosen],
                phases=phases,
                notes=tuple(notes),
            )
        return replace(full.outcome, phases=phases)
    if not full.proven:
        notes.insert(
            0, f"repair: {full.fewest} changes are not proven the fewest within the time limit"
        )
    return replace(full.outcome, phases=phases, notes=tuple(notes))
