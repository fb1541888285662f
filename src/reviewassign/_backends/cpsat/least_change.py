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
from .rules.pairs import fix_on
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


@dataclass(frozen=True, slots=True)
class _Share:
    """A share of the time left, counted from when it was taken."""

    start: float
    limit: float | None

    @classmethod
    def of(cls, search: _Search, share: float) -> _Share:
        """``share`` of what ``search`` has left, from now."""
        start = time.perf_counter()
        left = search.remaining()
        return cls(start, None if left is None else left * share)

    def remaining(self) -> float | None:
        """Seconds left of the share (None: no limit)."""
        if self.limit is None:
            return None
        return max(0.0, self.limit - (time.perf_counter() - self.start))


def _locked_model(inst: Instance, policy: Policy, locked: IntArray) -> Model:
    """The model of every hard rule with the ``locked`` pairs fixed on."""
    built = build_model(inst, policy)
    fix_on(built.model, locked.tolist())  # pair p is variable p
    return built


def _count_changes(
    built: Model, inst: Instance, current: IntArray, cap: int | None
) -> cp_model.LinearExpr:
    """The changed pairs of ``built`` against ``current``, bounded by the counting bound."""
    is_current = np.zeros(inst.n_pairs, dtype=np.bool_)
    is_current[current] = True
    coeffs = np.where(is_current, -1, 1).astype(np.int64)
    changes = cp_model.LinearExpr.weighted_sum(built.x, coeffs.tolist()) + len(current)
    lower = fewest_changes_bound(inst, current).value
    built.model.add(changes >= lower)  # valid, and lets the first run stop when it is met
    if cap is not None:
        built.model.add(changes <= cap)
    return changes


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
    share = _Share.of(search, deadline_share)
    built = _locked_model(inst, policy, locked)
    phases = [PhaseRecord("build", time.perf_counter() - share.start, "done")]
    changes = _count_changes(built, inst, current, cap)

    # 1. The fewest changes.
    built.model.minimize(changes)
    left = share.remaining()
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
    outcome = _objective(built, inst, search, share, chosen=chosen, phases=phases)
    if not proven:
        outcome = replace(outcome, status=BackendStatus.FEASIBLE)
    return _Levels(outcome, fewest, proven)


@dataclass(frozen=True, slots=True)
class _Worst:
    """The worst-case run: the panels it leaves, its value and bound, whether proven."""

    chosen: IntArray
    worst: float | None = None
    worst_bound: float | None = None
    proven: bool = True


def _worst_case(
    built: Model,
    inst: Instance,
    search: _Search,
    share: _Share,
    *,
    chosen: IntArray,
    phases: list[PhaseRecord],
    notes: list[str],
) -> _Worst:
    """The fairness objective's worst panel, hinted with ``chosen``; held for the total."""
    panel_slack = 0.5 * int(inst.panel_size.max(initial=0))
    assert built.worst is not None
    built.model.maximize(built.worst)
    _set_hint(built, chosen)
    left = share.remaining()
    status, solver, seconds = _run(
        built, "worst_case", search, time_limit=None if left is None else left * _WORST_SHARE
    )
    record = _record("worst_case", status, solver, seconds, 2 * panel_slack)
    phases.append(record)
    if not status.found:
        notes.append("repair: the worst case was not improved within the time limit")
        return _Worst(chosen, proven=False)
    value = round(solver.objective_value)
    found = _Worst(
        _chosen(built, solver), value / SCALE, record.bound, status is BackendStatus.OPTIMAL
    )
    # Keep every panel that ties with the worst at full precision (as ``solve``).
    built.model.add(built.worst >= value - int(2 * panel_slack))
    return found


def _objective(
    built: Model,
    inst: Instance,
    search: _Search,
    share: _Share,
    *,
    chosen: IntArray,
    phases: list[PhaseRecord],
) -> Outcome:
    """The policy's objective (the worst case first, if any) from ``chosen``.

    ``OPTIMAL`` when every run of the objective is proven.
    """
    total_slack = 0.5 * (int(inst.panel_size.sum()) + int(inst.max_load.max(initial=0)))
    notes: list[str] = []
    worst = _Worst(chosen)
    if built.worst is not None:
        worst = _worst_case(built, inst, search, share, chosen=chosen, phases=phases, notes=notes)
    chosen = worst.chosen
    objective_proven = worst.proven
    built.model.maximize(built.objective)
    _set_hint(built, chosen)
    status, solver, seconds = _run(built, "total", search, time_limit=share.remaining())
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
    return Outcome(
        BackendStatus.OPTIMAL if objective_proven else BackendStatus.FEASIBLE,
        chosen=chosen,
        bound=bound,
        worst=worst.worst,
        worst_bound=worst.worst_bound,
        phases=phases,
        notes=tuple(notes),
    )


def _renamed(phases: list[PhaseRecord], prefix: str) -> list[PhaseRecord]:
    """``phases`` with each name prefixed by ``prefix``."""
    return [replace(r, name=f"{prefix}{r.name}") for r in phases]


@dataclass(frozen=True, slots=True)
class _Repaired:
    """The runs on a neighbourhood that found a repair, and the neighbourhood's pairs."""

    levels: _Levels
    pairs: IntArray
    """The instance's pairs of the neighbourhood (its model's pair ``k`` is ``pairs[k]``)."""

    @property
    def chosen(self) -> IntArray:
        """The repair's pairs, in the instance's pair indices."""
        return self.pairs[self.levels.outcome.chosen]


def _neighbourhoods(
    inst: Instance, bound: Bound, current: IntArray, locked: IntArray
) -> tuple[tuple[str, IntArray, bool], ...]:
    """The neighbourhoods, narrow to wide: name, pairs, and whether spare reviewers are in.

    ``near``: the current and locked pairs, and every pair of the cases the bound touches
    or a lock holds; ``wider``: those and every pair of a reviewer with seats to spare.
    """
    touched = bound.touched.copy()
    touched[inst.pair_case[locked]] = True
    base = np.union1d(np.union1d(current, locked), np.flatnonzero(touched[inst.pair_case]))
    wider = np.union1d(base, np.flatnonzero(bound.spare[inst.pair_reviewer]))
    return (("near", base, False), ("wider", wider, True))


def _in_neighbourhood(
    inst: Instance,
    policy: Policy,
    search: _Search,
    near: IntArray,
    current: IntArray,
    locked: IntArray,
    best: _Repaired | None,
) -> _Levels:
    """The runs on the model of the pairs ``near``, from the best repair so far if any."""
    position = np.full(inst.n_pairs, -1, dtype=np.int64)
    position[near] = np.arange(len(near))
    return _levels(
        inst.restricted(near),
        policy,
        search,
        current=position[current],
        locked=position[locked],
        hint=position[current] if best is None else position[best.chosen],
        cap=None if best is None else best.levels.fewest,
        deadline_share=_NEIGHBOURHOOD_SHARE,
    )


def _on_every_pair(
    inst: Instance,
    policy: Policy,
    search: _Search,
    current: IntArray,
    locked: IntArray,
    best: _Repaired | None,
    phases: list[PhaseRecord],
) -> Outcome:
    """The runs on the whole model, hinted with the best repair found and capped by it.

    Without time to better it there, the neighbourhood's repair is the answer (feasible).
    """
    full = _levels(
        inst,
        policy,
        search,
        current=current,
        locked=locked,
        hint=current if best is None else best.chosen,
        cap=None if best is None else best.levels.fewest,
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
                best.levels.outcome,
                status=BackendStatus.FEASIBLE,
                chosen=best.chosen,
                phases=phases,
                notes=tuple(notes),
            )
        return replace(full.outcome, phases=phases)
    if not full.proven:
        notes.insert(
            0, f"repair: {full.fewest} changes are not proven the fewest within the time limit"
        )
    return replace(full.outcome, phases=phases, notes=tuple(notes))


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
    phases: list[PhaseRecord] = []
    best: _Repaired | None = None
    for name, near, spare_reviewers in _neighbourhoods(inst, bound, current, locked):
        if best is not None and len(near) == len(best.pairs):
            continue  # no wider than the last
        sub = _in_neighbourhood(inst, policy, search, near, current, locked, best)
        phases += _renamed(sub.outcome.phases, f"{name}.")
        if sub.fewest is None:
            continue
        best = _Repaired(sub, near)
        if sub.fewest <= bound.value and bound.within(spare_reviewers=spare_reviewers):
            return replace(sub.outcome, chosen=best.chosen, phases=phases)
    return _on_every_pair(inst, policy, search, current, locked, best, phases)
