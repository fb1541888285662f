"""The least-change re-solve behind ``repair``: fewest changed pairs, then the objective.

The model is that of every hard rule (``build_model``), with the locked pairs fixed on.
A pair *changes* when it is in the current assignment and not in the new one, or the
other way round; over the model's pairs their number is ``sum(x[p] for p not current) +
sum(1 - x[p] for p current)``. Two (under the fairness objective, three) CP-SAT runs
decide the levels one after the other: the fewest changes, hinted with the current
assignment; then, with the changes capped at that minimum, the policy's objective (the
worst panel, then the total), each hinted with the run before it.

A repair after a few events touches a few cases: the runs go first to the model of the
current pairs and every pair of those cases, a few thousand pairs where the whole model
may hold half a million. A counting bound (``fewest_changes_bound``) tells when that
answer is exact; only when it is not does the whole model run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from .._instance import Instance
from .._policy import Policy
from ._builders import Model, build_model
from ._outcome import Outcome, PhaseRecord
from ._run import _chosen, _record, _run, _Search
from ._scale import SCALE

__all__ = ["fewest_changes_bound", "solve_least_change"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The share of the time left that the fewest-changes run may use; under the fairness
# objective the worst-case run then takes this share of what is left after it.
_CHANGES_SHARE = 0.5
_WORST_SHARE = 0.5
# The share of the time limit the neighbourhood may use before the whole model.
_NEIGHBOURHOOD_SHARE = 0.5


def _set_hint(built: Model, chosen: IntArray) -> None:
    """Hint the pairs ``chosen`` on and every other pair off (variable index = pair)."""
    on = np.zeros(len(built.x), dtype=np.int64)
    on[chosen] = 1
    built.model.clear_hints()  # type: ignore[no-untyped-call]  # ortools leaves it unannotated
    hint = built.model.proto.solution_hint
    hint.vars.extend(range(len(built.x)))
    hint.values.extend(on.tolist())


def fewest_changes_bound(inst: Instance, current: IntArray) -> tuple[int, BoolArray]:
    """A lower bound of the changes over the instance's pairs, and the cases it touches.

    With ``K_c`` current pairs kept by case ``c`` of ``n_c`` seats, ``D_c`` of them
    dropped, its panel adds ``n_c - K_c + D_c`` pairs, so the changes are
    ``sum_c (n_c - K_c) + 2 * sum_c D_c``. The drops are at least the seats over each
    reviewer's cap (``E``) and at least the pairs over each panel's size (``S``): the
    bound is ``sum_c (n_c - K_c) + 2 * max(E, S)``. An assignment that meets it drops
    only pairs of over-capped reviewers or over-full panels, so it adds pairs only to the
    *touched* cases: those short of seats, over-full, or holding an over-capped
    reviewer's pair.
    """
    case_kept = np.bincount(inst.pair_case[current], minlength=inst.n_cases)
    reviewer_kept = np.bincount(inst.pair_reviewer[current], minlength=inst.n_reviewers)
    over_cap = np.maximum(reviewer_kept - inst.max_load, 0)
    over_full = np.maximum(case_kept - inst.panel_size, 0)
    bound = int((inst.panel_size - case_kept).sum()) + 2 * max(
        int(over_cap.sum()), int(over_full.sum())
    )
    touched = case_kept != inst.panel_size
    touched[inst.pair_case[current[over_cap[inst.pair_reviewer[current]] > 0]]] = True
    return bound, touched


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
    lower, _ = fewest_changes_bound(inst, current)
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
    if status not in ("optimal", "feasible"):
        phases.append(PhaseRecord("changes", seconds, status))
        return _Levels(Outcome(status, phases=phases), None, status == "infeasible")
    fewest = round(solver.objective_value)
    at_least = round(solver.best_objective_bound)
    phases.append(PhaseRecord("changes", seconds, status, float(fewest), float(at_least)))
    proven = status == "optimal"
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
        if status in ("optimal", "feasible"):
            value = round(solver.objective_value)
            worst, worst_bound = value / SCALE, record.bound
            objective_proven = status == "optimal"
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
    if status in ("optimal", "feasible"):
        chosen = _chosen(built, solver)
        objective_proven = objective_proven and status == "optimal"
        bound = record.bound
    else:
        objective_proven = False
        notes.append("repair: the objective was not improved within the time limit")
    outcome = Outcome(
        "optimal" if proven and objective_proven else "feasible",
        chosen=chosen,
        bound=bound,
        worst=worst,
        worst_bound=worst_bound,
        phases=phases,
        notes=tuple(notes),
    )
    return _Levels(outcome, fewest, proven)


def _renamed(phases: list[PhaseRecord], prefix: str) -> list[PhaseRecord]:
    return [replace(r, name=f"{prefix}{r.name}") for r in phases]


def solve_least_change(
    inst: Instance,
    policy: Policy,
    *,
    current: IntArray,
    locked: IntArray,
    time_limit: float | None,
    seed: int,
    workers: int,
) -> Outcome:
    """The assignment nearest ``current`` that meets every rule, best under the policy.

    First the *neighbourhood*: the model of the current pairs and every eligible pair of
    the cases ``fewest_changes_bound`` touches (and of the locked pairs' cases). If its
    fewest changes meet that bound, they are the fewest of the whole model, and every
    assignment with that few lies in the neighbourhood: its answer is exact at every
    level. Otherwise the whole model is solved, hinted with the neighbourhood's repair
    and its changes capped at that repair's.

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
    time_limit, seed, workers
        As for ``solve_cpsat``; the time is shared between the runs.

    Returns
    -------
    Outcome
        ``"optimal"`` only when every level is proven. Phases are prefixed
        ``neighbourhood.`` or ``full.``; the ``changes`` phase's objective is the fewest
        changes over the model's pairs.
    """
    search = _Search(seed, workers, None, time.perf_counter(), time_limit)
    lower, touched = fewest_changes_bound(inst, current)
    touched[inst.pair_case[locked]] = True
    near = np.union1d(np.union1d(current, locked), np.flatnonzero(touched[inst.pair_case]))
    position = np.full(inst.n_pairs, -1, dtype=np.int64)
    position[near] = np.arange(len(near))
    sub = _levels(
        inst.restricted(near),
        policy,
        search,
        current=position[current],
        locked=position[locked],
        hint=position[current],
        cap=None,
        deadline_share=_NEIGHBOURHOOD_SHARE,
    )
    phases = _renamed(sub.outcome.phases, "neighbourhood.")
    if sub.fewest is not None and sub.fewest <= lower:
        return replace(sub.outcome, chosen=near[sub.outcome.chosen], phases=phases)

    hint = current if sub.fewest is None else near[sub.outcome.chosen]
    full = _levels(
        inst,
        policy,
        search,
        current=current,
        locked=locked,
        hint=hint,
        cap=sub.fewest,
        deadline_share=1.0,
    )
    phases += _renamed(full.outcome.phases, "full.")
    notes = list(full.outcome.notes)
    if full.fewest is None:
        if sub.fewest is not None:
            # No time left to better the neighbourhood's repair on the whole model.
            notes.append(
                "repair: the fewest changes were searched in the neighbourhood of the "
                "changed cases only; the time limit ended the search over every pair"
            )
            return replace(
                sub.outcome,
                status="feasible",
                chosen=near[sub.outcome.chosen],
                phases=phases,
                notes=tuple(notes),
            )
        return replace(full.outcome, phases=phases)
    if not full.proven:
        notes.insert(
            0, f"repair: {full.fewest} changes are not proven the fewest within the time limit"
        )
    return replace(full.outcome, phases=phases, notes=tuple(notes))
