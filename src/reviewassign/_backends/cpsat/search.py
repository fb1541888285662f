"""Running CP-SAT on a built model: parameters, phases, progress and time limits."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ..._data.options import SolveOptions
from ..._data.policy import Policy
from ..._reduce.eligible import Instance
from .. import budget as _budget
from ..lp import solve_relaxation
from ..outcome import BackendStatus, LevelRecord, Outcome, PhaseRecord
from ..scale import SCALE, bound_up
from .lexicographic import Levels, run_levels
from .model import Model, build_model
from .panels import panel_phase
from .runner import _chosen, _hint_pairs, _record, _run, _Search

__all__ = ["solve_cpsat"]

# The LP-guided path: a value within this of 0 or 1 counts as integral; the first fixing
# threshold, relative to the LP optimum; how many restricted solves before falling back.
_INTEGRAL = 1e-6
_DELTA_MIN = 1e-4
_FIXING_ROUNDS = 4

# The LP-guided incumbent: the panels the LP leaves fractional are re-solved over their
# LP support and this many other pairs of least reduced cost each, within this share of
# the time left.
_REPAIR_PER_CASE = 10
_REPAIR_SHARE = 0.5

# A restricted solve runs with CP-SAT's cuts when the incumbent is further than this share
# of the LP optimum below it (or there is none): an integrality gap that only cuts close.
# Attribute rules and disjoint pairs leave such gaps (on the 300 x 150 award: 0.3 % with
# the board's rules, 0.065 % with 20 disjoint pairs); a plain award's LP is nearly
# integral (0.018 %) and proves faster without cuts.
_CUTS_GAP = 3e-4


@dataclass(frozen=True, slots=True)
class _Sub:
    """A solve of a restricted model, in the full instance's pairs."""

    record: PhaseRecord
    chosen: npt.NDArray[np.int64] | None
    value: float | None  # solver units


def _solve_restricted(
    inst: Instance,
    policy: Policy,
    search: _Search,
    *,
    pairs: np.ndarray,
    fixed_on: np.ndarray,
    hint: np.ndarray,
    phase: str,
    time_limit: float | None,
    bound: float,
    slack: float,
    cuts: bool,
) -> _Sub:
    """Solve with only ``pairs`` eligible, the pairs of the mask ``fixed_on`` assigned.

    ``hint`` is a mask over all pairs; ``bound`` (float units) is what progress reports
    show as the bound. ``time_limit`` counts from the call: building the model takes
    part of it. ``cuts``: whether CP-SAT generates cuts.
    """
    t0 = time.perf_counter()
    forced = inst.forced_pairs()
    pairs = np.union1d(pairs, forced[forced >= 0])  # a forced pair is in every sub-model
    built = build_model(inst.restricted(pairs), policy)
    built.model.maximize(built.objective)
    variables = built.model.proto.variables
    for k in np.flatnonzero(fixed_on[pairs]):
        domain = variables[int(k)].domain  # pair k of the restricted model is variable k
        domain[0] = domain[1] = 1
    built.model.proto.solution_hint.vars.extend(range(len(pairs)))
    built.model.proto.solution_hint.values.extend(hint[pairs].astype(np.int64).tolist())
    if time_limit is not None:
        time_limit -= time.perf_counter() - t0
    status, solver, _ = _run(built, phase, search, time_limit=time_limit, bound=bound, cuts=cuts)
    record = _record(phase, status, solver, time.perf_counter() - t0, slack)
    if not status.found:
        return _Sub(record, None, None)
    return _Sub(record, pairs[_chosen(built, solver)], solver.objective_value)


def _repair(
    inst: Instance,
    policy: Policy,
    search: _Search,
    *,
    x: np.ndarray,
    penalty: np.ndarray,
    bound: float,
    slack: float,
    every: bool = False,
) -> _Sub:
    """An incumbent near the LP point: keep its integral panels, re-solve the others.

    The panels the LP leaves fractional may take their LP support and the
    ``_REPAIR_PER_CASE`` pairs of least ``penalty`` among reviewers with seats left.
    With ``every``, every panel is re-solved so (none is kept).
    """
    on = x > 1.0 - _INTEGRAL
    split = np.full(inst.n_cases, every, dtype=np.bool_)
    split[inst.pair_case[(x > _INTEGRAL) & ~on]] = True
    kept = on & ~split[inst.pair_case]
    load = np.bincount(inst.pair_reviewer[kept], minlength=inst.n_reviewers)
    open_ = np.flatnonzero(split[inst.pair_case] & (load < inst.max_load)[inst.pair_reviewer])
    open_ = open_[np.lexsort((penalty[open_], inst.pair_case[open_]))]
    case = inst.pair_case[open_]
    rank = np.arange(len(open_)) - np.searchsorted(case, case)
    free = split[inst.pair_case] & (x > _INTEGRAL)
    free[open_[rank < _REPAIR_PER_CASE]] = True
    left = search.remaining()
    pairs = np.flatnonzero(kept | free)
    if (
        left is not None
        and left * _REPAIR_SHARE < _budget.BUILD_PER_PAIR * len(pairs) * search.pace
    ):
        return _Sub(PhaseRecord("repair", 0.0, "skipped"), None, None)
    return _solve_restricted(
        inst,
        policy,
        search,
        pairs=pairs,
        fixed_on=kept,
        hint=x > 0.5,
        phase="repair",
        time_limit=None if left is None else left * _REPAIR_SHARE,
        bound=bound,
        slack=slack,
        cuts=True,  # the LP's fractional panels: cuts are what close their gap
    )


@dataclass(frozen=True, slots=True)
class _Guide:
    """What the steps of the LP-guided path share: the run, and the LP's point and bound."""

    inst: Instance
    policy: Policy
    search: _Search
    phases: list[PhaseRecord]
    slack: float
    value: float
    """The LP optimum (solver units)."""
    x: npt.NDArray[np.float64]
    """The LP point over the pairs."""
    penalty: npt.NDArray[np.float64]
    """Per pair, what flipping it from its LP side costs at least (its reduced cost)."""
    margin: float
    """Solver units that cover the LP's tolerances."""
    bound: float
    """The LP bound (float units)."""
    prices: npt.NDArray[np.float64]
    """Per reviewer, the LP dual of its load cap (float units)."""
    integral: bool
    """Whether the LP point is integral and the optimum."""
    duals: npt.NDArray[np.float64]
    """One per row of the model: the LP's duals (solver units)."""

    def outcome(
        self, status: BackendStatus, chosen: npt.NDArray[np.int64] | None = None
    ) -> Outcome:
        """An outcome with the LP's bound, prices and the phases so far."""
        if chosen is None:
            return Outcome(status, bound=self.bound, phases=self.phases, prices=self.prices)
        return Outcome(
            status, chosen=chosen, bound=self.bound, phases=self.phases, prices=self.prices
        )


def _relax(
    built: Model,
    inst: Instance,
    policy: Policy,
    search: _Search,
    *,
    phases: list[PhaseRecord],
    slack: float,
) -> _Guide | None:
    """Step 1: the LP relaxation (HiGHS), its bound and prices; None if it does not solve."""
    setup = _budget.LP_SETUP_PER_PAIR * inst.n_pairs
    if not search.fits(_budget.LP_ROWS_PER_CONSTRAINT * len(built.model.proto.constraints) + setup):
        phases.append(PhaseRecord("lp", 0.0, "skipped"))
        return None
    t0 = time.perf_counter()
    lp = solve_relaxation(
        built,
        time_limit=search.remaining(),
        pairs=inst.n_pairs,
        min_seconds=0.0 if search.time_limit is None else setup * search.pace,
    )
    if lp is None:
        phases.append(PhaseRecord("lp", time.perf_counter() - t0, "unknown"))
        return None
    n = inst.n_pairs
    x, rc = lp.x[:n], lp.reduced_cost[:n]
    bound = bound_up(lp.value, slack)
    # Load-cap duals as prices: a Lagrangian bound over pairs the instance pruned.
    has_row = built.load_rows >= 0
    prices = np.zeros(inst.n_reviewers)
    prices[has_row] = np.maximum(lp.dual[built.load_rows[has_row]], 0.0) / SCALE
    phases.append(PhaseRecord("lp", lp.seconds, "optimal", lp.objective / SCALE, bound))
    margin = 1.0 + 1e-7 * abs(lp.value)  # solver units; covers the LP's tolerances
    integral = bool(
        np.all(np.minimum(x, 1.0 - x) < _INTEGRAL) and lp.objective >= lp.value - margin
    )
    # For a maximisation, rc <= 0 at 0 and rc >= 0 at 1: flipping costs at least |rc|.
    penalty = np.where(x < _INTEGRAL, -rc, np.where(x > 1.0 - _INTEGRAL, rc, 0.0))
    return _Guide(
        inst,
        policy,
        search,
        phases,
        slack,
        lp.value,
        x,
        penalty,
        margin,
        bound,
        prices,
        integral,
        lp.dual,
    )


def _lp_guided(
    built: Model,
    inst: Instance,
    policy: Policy,
    search: _Search,
    *,
    phases: list[PhaseRecord],
    slack: float,
) -> Outcome | None:
    """Solve through the LP relaxation; None when it cannot decide (the caller falls back).

    1. Solve the LP relaxation (HiGHS; by column generation on large instances). If its
       optimum is integral, it is the optimum.
    2. Otherwise keep the panels the LP decides and re-solve the others (CP-SAT): an
       incumbent ``z0``, reported as soon as found. If the kept panels leave the others
       no solution, every panel is re-solved near the LP point.
    3. Fix every pair whose reduced cost shows that flipping it would cost more than
       ``delta`` (at most ``LP - z0``): any assignment that flips one is worth less than
       ``LP - delta``. Solve the rest with CP-SAT, hinted with the incumbent (or the
       rounded LP point). If the restricted optimum ``z`` is at least ``LP - delta``, it
       is the optimum; if it is lower, ``z`` is an incumbent and one more restricted
       solve with ``delta = LP - z`` decides.

    Under a time limit, the best incumbent is returned with the LP bound.
    """
    guide = _relax(built, inst, policy, search, phases=phases, slack=slack)
    if guide is None:
        return None
    if guide.integral:
        return guide.outcome(BackendStatus.OPTIMAL, np.flatnonzero(guide.x > 0.5).astype(np.int64))
    if _panel_rules(inst):
        panels = panel_phase(built, inst, search, duals=guide.duals, phases=phases, slack=slack)
        if panels is not None:
            if panels.proven:
                assert panels.chosen is not None
                return guide.outcome(BackendStatus.OPTIMAL, panels.chosen)
            guide = replace(guide, bound=min(guide.bound, bound_up(panels.bound, slack)))
            if panels.chosen is not None:
                found = _Sub(PhaseRecord("panels", 0.0, "feasible"), panels.chosen, panels.value)
                return _fix_and_solve(guide, found)
    for every in (False, True):
        best = _repair(
            inst,
            policy,
            search,
            x=guide.x,
            penalty=guide.penalty,
            bound=guide.bound,
            slack=slack,
            every=every,
        )
        phases.append(best.record)
        if best.record.status != "infeasible":
            break
        # The LP's integral panels leave no room for the others (disjoint pairs and
        # attribute rules can): re-solve every panel near the LP point instead.
    return _fix_and_solve(guide, best)


def _panel_rules(inst: Instance) -> bool:
    """Whether the panel relaxation may pay: per-case rules the pair LP is weak on.

    Attribute rules (``[[panel.rules]]``) and disjoint pairs leave the pair LP an
    integrality gap that the panel relaxation closes; a plain award's pair LP is nearly
    integral, and its path stays as it was.
    """
    return bool(inst.panel_rules) or len(inst.disjoint) > 0


def _mask(n: int, chosen: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """The mask over ``n`` pairs of the pairs ``chosen``."""
    on = np.zeros(n, dtype=np.bool_)
    on[chosen] = True
    return on


def _fix_and_solve(guide: _Guide, best: _Sub) -> Outcome | None:
    """Step 3: fix the pairs the reduced costs decide and solve the rest, widening as needed.

    ``best`` is the incumbent of step 2 (it may hold no assignment).
    """
    n = guide.inst.n_pairs
    side = guide.x > 0.5
    delta = max(_DELTA_MIN * abs(guide.value), 1.0)
    hint = side
    if best.chosen is not None:
        assert best.value is not None
        hint = _mask(n, best.chosen)
        # Fixing at LP - z0 is exact (the incumbent meets every fixing): a smaller model.
        delta = max(min(delta, guide.value - best.value), 1.0)
        if _gapped(guide, best):
            # A wide gap: a first round at the smaller delta seldom reaches LP - delta,
            # and under a time limit its bound is no better than LP - delta. One round at
            # LP - z0 proves, or bounds the optimum by its restricted model's bound.
            delta = max(guide.value - best.value, 1.0)
    for _ in range(_FIXING_ROUNDS):
        fixed = guide.penalty > delta + guide.margin
        pairs = np.flatnonzero(~fixed | side)
        if not guide.search.fits(_budget.BUILD_PER_PAIR * len(pairs)):
            break
        sub = _solve_restricted(
            guide.inst,
            guide.policy,
            guide.search,
            pairs=pairs,
            fixed_on=fixed & side,
            hint=hint,
            phase="restricted",
            time_limit=guide.search.remaining(),
            bound=guide.bound,
            slack=guide.slack,
            cuts=_gapped(guide, best),
        )
        guide.phases.append(sub.record)
        if sub.record.status == "optimal":
            assert sub.chosen is not None and sub.value is not None
            # Every assignment that flips a fixed pair is worth less than LP - delta -
            # margin; the margin also absorbs the float rounding of delta = LP - z.
            if sub.value >= guide.value - delta - guide.margin:
                return guide.outcome(BackendStatus.OPTIMAL, sub.chosen)
            # An incumbent below LP - delta: fixing at delta = LP - z is exact.
            best = max(sub, best, key=_value)
            assert best.value is not None and best.chosen is not None
            delta = guide.value - best.value
            hint = _mask(n, best.chosen)
            continue
        if sub.record.status == "infeasible":
            delta *= 8  # every assignment flips a fixed pair: widen and retry
            continue
        return _done(_bounded(guide, sub, delta), sub, best)
    if guide.search.time_limit is None:
        # The rounds ran out (an integrality gap wider than the widened delta, as linked
        # cases and disjoint pairs can make): without a time limit, the whole model decides.
        return None
    return _done(guide, best, best)


def _gapped(guide: _Guide, best: _Sub) -> bool:
    """Whether the incumbent ``best`` (or its absence) leaves a gap only cuts close."""
    return best.value is None or guide.value - best.value > _CUTS_GAP * abs(guide.value)


def _bounded(guide: _Guide, sub: _Sub, delta: float) -> _Guide:
    """The guide with the bound a timed-out restricted solve with fixing ``delta`` proves.

    An assignment either flips a fixed pair, and is worth less than ``LP - delta``, or is
    one of the restricted model's, and is worth at most its bound.
    """
    if sub.record.bound is None:
        return guide
    bound = max(sub.record.bound, bound_up(guide.value - delta, guide.slack))
    return replace(guide, bound=min(guide.bound, bound))


def _done(guide: _Guide, sub: _Sub, best: _Sub) -> Outcome | None:
    """The better of the last restricted solve and the incumbent, as a feasible outcome.

    None when neither holds an assignment and the caller's search may still find one.
    """
    found = max((s for s in (sub, best) if s.chosen is not None), key=_value, default=None)
    if found is None or found.chosen is None:
        if guide.search.fits(_budget.BUILD_PER_PAIR * guide.inst.n_pairs):
            return None  # the caller's search may still find one
        # Out of time: no assignment, but the LP's bound and prices.
        return guide.outcome(BackendStatus.UNKNOWN)
    return guide.outcome(BackendStatus.FEASIBLE, found.chosen)


def _value(sub: _Sub) -> float:
    """The value of a restricted solve, ``-inf`` without a solution."""
    return -np.inf if sub.value is None else sub.value


@dataclass(frozen=True, slots=True)
class _Before:
    """What the levels before the total leave it: their panels, proof, worst case, records.

    Without levels (a single-level objective) every field is empty and ``optimal`` holds.
    """

    chosen: npt.NDArray[np.int64] | None = None
    optimal: bool = True
    worst: float | None = None
    worst_bound: float | None = None
    records: tuple[LevelRecord, ...] = ()

    @classmethod
    def of(cls, levels: Levels | None) -> _Before:
        """What ``levels`` (None: no levels ran) leave for the total."""
        if levels is None:
            return cls()
        return cls(
            levels.chosen, levels.proven, levels.worst, levels.worst_bound, tuple(levels.records)
        )


def _no_time_to_build(inst: Instance) -> Outcome:
    """The outcome when the time limit is too short to build the model."""
    return Outcome(
        BackendStatus.UNKNOWN,
        phases=[PhaseRecord("build", 0.0, "skipped")],
        notes=(f"time limit: no time to build the CP-SAT model of {inst.n_pairs} pairs",),
    )


def solve_cpsat(
    inst: Instance,
    policy: Policy,
    options: SolveOptions,
    *,
    time_limit: float | None,
    use_lp: bool = False,
    hint: npt.NDArray[np.int64] | None = None,
    pace: float = 1.0,
) -> Outcome:
    """Build and solve the CP-SAT model: each level of the objective, then the total.

    ``options`` give the seed, the workers and the progress callback; ``time_limit`` is
    this backend's share of the call's time limit, counted from now.

    With ``use_lp`` (the policy objective alone), the LP relaxation leads: see
    ``_lp_guided``. Levels before it (worst case, leximin, priorities) run in ``_levels``.
    ``hint``: pairs of an assignment (a constructive start; -1 entries are skipped) that
    the total's search starts from. Under a time limit too short to build the model, or
    to load it into CP-SAT after the LP, the outcome is ``UNKNOWN`` at once; ``pace``
    scales those estimates (the caller's measure of how busy the machine is).
    """
    start = time.perf_counter()
    if time_limit is not None and time_limit < _budget.BUILD_PER_PAIR * inst.n_pairs * pace:
        return _no_time_to_build(inst)
    built = build_model(inst, policy)
    if hint is not None:
        _hint_pairs(built, hint[hint >= 0])
    phases = [PhaseRecord("build", time.perf_counter() - start, "done")]
    # Rounding each affinity to the solver's resolution moves the objective by half a
    # unit per seat and per unit of spread: bounds are widened by that much to stay true
    # bounds of the float values.
    total_slack = 0.5 * (int(inst.panel_size.sum()) + int(inst.max_load.max(initial=0)))
    notes: list[str] = []
    search = _Search(options.seed, options.workers, options.progress, start, time_limit, pace)

    levels = None
    if len(policy.objective.levels) > 1:
        levels = run_levels(built, inst, policy, search, phases)
        notes.extend(levels.notes)
        if levels.infeasible:
            return Outcome(BackendStatus.INFEASIBLE, phases=phases, levels=tuple(levels.records))
    before = _Before.of(levels)

    built.model.maximize(built.objective)
    if use_lp and levels is None:
        guided = _lp_guided(built, inst, policy, search, phases=phases, slack=total_slack)
        if guided is not None:
            return guided
    if before.chosen is None and not search.fits(_budget.BUILD_PER_PAIR * inst.n_pairs):
        # CP-SAT's loading alone would overrun the limit.
        phases.append(PhaseRecord("total", 0.0, "skipped"))
        notes.append("time limit: no time left to search")
        return Outcome(
            BackendStatus.UNKNOWN,
            phases=phases,
            worst_bound=before.worst_bound,
            notes=tuple(notes),
            levels=before.records,
        )
    return _total(built, search, before, phases=phases, notes=notes, slack=total_slack)


def _total(
    built: Model,
    search: _Search,
    before: _Before,
    *,
    phases: list[PhaseRecord],
    notes: list[str],
    slack: float,
) -> Outcome:
    """The last level, the policy objective, over the whole model (after any levels)."""
    status, solver, seconds = _run(built, "total", search, time_limit=search.remaining())
    record = _record("total", status, solver, seconds, slack)
    phases.append(record)
    if not status.found:
        if before.chosen is not None:
            # The last phase ran out of time before it found a solution (it cannot be
            # infeasible: the levels' panels meet every hold). Keep those.
            notes.append("levels: the total was not improved within the time limit")
            return Outcome(
                BackendStatus.FEASIBLE,
                chosen=before.chosen,
                worst=before.worst,
                worst_bound=before.worst_bound,
                phases=phases,
                notes=tuple(notes),
                levels=before.records,
            )
        return Outcome(
            status,
            phases=phases,
            worst_bound=before.worst_bound,
            notes=tuple(notes),
            levels=before.records,
        )
    return Outcome(
        BackendStatus.OPTIMAL
        if status is BackendStatus.OPTIMAL and before.optimal
        else BackendStatus.FEASIBLE,
        chosen=_chosen(built, solver),
        bound=record.bound,
        worst=before.worst,
        worst_bound=before.worst_bound,
        phases=phases,
        notes=tuple(notes),
        levels=before.records,
    )
