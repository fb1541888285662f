"""Lexicographic objectives: every level before the policy objective, in turn.

Each level is maximised, then held (its expression kept at what it reached) while the
next one is maximised: ``worst_case`` and ``coverage`` as one CP-SAT solve each,
``leximin`` as rounds of two solves (``_Rounds`` says what each holds and why the result
is the leximin at the solver's resolution). Every solve is hinted with the whole solution
of the one before it, which meets every constraint added since; so each level starts from
a feasible assignment and, under a time limit, never ends with less than it started with.
Panels and totals are held within the rounding of affinities to solver units (panels
equal in exact arithmetic may differ by a unit a seat), and every bound leaves the solver
widened by that rounding and rounded up (``bound_up``), so that it bounds the exact value.

The last level, the policy objective, is left to the caller (``_run.solve_cpsat``), which
may hand it to the LP-guided path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ..._data.policy import Policy
from ..._errors import SolverError
from ..._reduce.eligible import Instance
from ..outcome import LevelRecord, PhaseRecord
from ..scale import SCALE, bound_up, to_int, to_ints
from .model import LinearExpr, Model, panel_value
from .runner import _run, _Search

__all__ = ["Levels", "run_levels"]

# Under a time limit, the share of a max-min solve spent finding an incumbent before the
# proving (objective lower-bound) search.
_INCUMBENT_SHARE = 0.2
_INCUMBENT_MAX = 10.0
# Leximin: the share of the solve's time limit its rounds may use, when the policy sets
# no budget of its own.
_LEXIMIN_SHARE = 0.6
# Levels other than leximin, under a time limit: the share of the time left each may use
# (the policy objective keeps the rest).
_LEVEL_SHARE = 0.6


@dataclass(slots=True)
class Levels:
    """What the levels before the policy objective reached."""

    records: list[LevelRecord] = field(default_factory=list)
    chosen: npt.NDArray[np.int64] | None = None
    """The pairs of the last level's solution (it meets every level's hold)."""
    proven: bool = True
    """Whether every level was proven optimal."""
    infeasible: bool = False
    worst: float | None = None
    worst_bound: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Solved:
    """One solve of a level: its status, value and bound (solver units), and seconds."""

    status: str
    value: int | None  # solver units of the level
    bound: float | None  # solver units of the level
    seconds: float


class _Session:
    """Solves of one model that hint each other with complete solutions."""

    def __init__(self, built: Model, search: _Search, phases: list[PhaseRecord]) -> None:
        self.built = built
        self.search = search
        self.phases = phases
        self.values: list[int] | None = None
        self.extra: dict[int, int] = {}

    def remember(self, var: cp_model.IntVar, value: int) -> None:
        """The value a variable added after the last solve takes in its solution."""
        self.extra[var.index] = value

    def value(self, var: cp_model.IntVar) -> int:
        """The variable's value in the last solution (or as remembered since)."""
        assert self.values is not None
        if var.index < len(self.values):
            return self.values[var.index]
        return self.extra[var.index]

    def set(self, var: cp_model.IntVar, value: int) -> None:
        """Change the variable's value in the solution to hint (it must stay feasible)."""
        assert self.values is not None
        if var.index < len(self.values):
            self.values[var.index] = value
        else:
            self.extra[var.index] = value

    def x(self) -> npt.NDArray[np.bool_]:
        """The pairs chosen in the kept solution, as a mask over the pair variables."""
        assert self.values is not None
        return np.asarray(self.values[: len(self.built.x)], dtype=np.int64) > 0

    def hint(self) -> None:
        """Hint the model with the kept solution, every variable (none kept: no hint)."""
        m = self.built.model
        m.clear_hints()  # type: ignore[no-untyped-call]  # ortools leaves it unannotated
        if self.values is None:
            return
        n = len(m.proto.variables)
        values = self.values + [self.extra.get(i, 0) for i in range(len(self.values), n)]
        m.proto.solution_hint.vars.extend(range(n))
        m.proto.solution_hint.values.extend(values)

    def maximise(
        self,
        expr: cp_model.LinearExprT,
        phase: str,
        *,
        time_limit: float | None,
        prove: bool = False,
        unit: float = SCALE,
        start: int | None = None,
    ) -> _Solved:
        """Maximise ``expr``; with ``prove``, by the lower-bound search (max-min objectives).

        ``start`` is the value of ``expr`` in the hinted solution, when there is one. The
        lower-bound search finds no solution before its proof: under a time limit, and
        without a hinted solution to fall back on, a default search first looks for an
        incumbent (a fifth of the time, at most ``_INCUMBENT_MAX`` seconds).
        """
        m = self.built.model
        m.maximize(expr)
        t0 = time.perf_counter()
        if prove and time_limit is not None:
            if start is None:
                self.hint()
                status, solver, _ = _run(
                    self.built,
                    phase,
                    self.search,
                    time_limit=min(time_limit * _INCUMBENT_SHARE, _INCUMBENT_MAX),
                    unit=unit,
                )
                if status in ("optimal", "infeasible"):
                    return self._keep(status, solver, t0)
                first = self._keep(status, solver, t0)
            else:
                first = _Solved("feasible", start, None, 0.0)
            left = time_limit - (time.perf_counter() - t0)
            self.hint()
            status, solver, _ = _run(
                self.built, phase, self.search, time_limit=left, lb_search=True, unit=unit
            )
            better = status == "feasible" and (
                first.value is None or round(solver.objective_value) > first.value
            )
            if status in ("optimal", "infeasible") or first.value is None or better:
                return self._keep(status, solver, t0)
            # The proof did not finish: the incumbent stays, with the tighter bound.
            bound = solver.best_objective_bound
            if first.bound is not None:
                bound = min(first.bound, bound)
            return _Solved("feasible", first.value, bound, time.perf_counter() - t0)
        self.hint()
        status, solver, _ = _run(
            self.built, phase, self.search, time_limit=time_limit, lb_search=prove, unit=unit
        )
        return self._keep(status, solver, t0)

    def _keep(self, status: str, solver: cp_model.CpSolver, t0: float) -> _Solved:
        """The solve as :class:`_Solved`; with a solution, keep its values for the hints."""
        seconds = time.perf_counter() - t0
        if status not in ("optimal", "feasible"):
            # Without a solution, CP-SAT's bound still bounds every solution once its
            # search has begun; stopped before (a short time limit), it reports 0.
            searched = solver.num_branches > 0 or solver.num_conflicts > 0
            bound = solver.best_objective_bound if status == "unknown" and searched else None
            return _Solved(status, None, bound, seconds)
        self.values = list(solver.response_proto.solution)
        self.extra = {}
        return _Solved(status, round(solver.objective_value), solver.best_objective_bound, seconds)

    def limit(self, share: float) -> float | None:
        """The time limit of a solve given ``share`` of the seconds left (None: no limit)."""
        left = self.search.remaining()
        return None if left is None else max(0.0, left) * share


def run_levels(
    built: Model, inst: Instance, policy: Policy, search: _Search, phases: list[PhaseRecord]
) -> Levels:
    """Maximise and hold each level before the policy objective; see the module."""
    out = Levels()
    session = _Session(built, search, phases)
    # Rounding each affinity to the solver's resolution moves a panel's value by at most
    # half a unit a seat: panels equal in real numbers may differ by that much.
    panel_slack = int(inst.panel_size.max(initial=0))
    for name in policy.objective.levels[:-1]:
        if name == "leximin":
            ok = _leximin(session, inst, policy, out, panel_slack)
        elif name == "worst_case":
            ok = _worst_case(session, inst, out, panel_slack)
        else:
            ok = _plain(session, inst, name, out)
        if not ok:
            break
    if session.values is not None:
        out.chosen = np.flatnonzero(session.x()).astype(np.int64)
        session.hint()  # the policy objective starts from the last level's solution
    return out


def _panels(session: _Session, inst: Instance) -> npt.NDArray[np.int64]:
    """Each case's panel affinity in the last solution (solver units)."""
    coeffs = to_ints(inst.pair_affinity)
    x = session.x()
    values = np.bincount(inst.pair_case[x], weights=coeffs[x], minlength=inst.n_cases)
    return np.rint(values).astype(np.int64)


def _worst_case(session: _Session, inst: Instance, out: Levels, panel_slack: int) -> bool:
    """Maximise the worst panel, then keep every panel that ties with it at full precision."""
    built = session.built
    assert built.worst is not None
    start = None
    if session.values is not None:  # the last level's solution, at its worst panel
        start = int(_panels(session, inst).min(initial=0))
        session.set(built.worst, start)
    solved = session.maximise(
        built.worst, "worst_case", time_limit=session.limit(_LEVEL_SHARE), prove=True, start=start
    )
    # A panel's exact value is within half a unit a seat of its value in solver units: the
    # bound, widened by that and rounded up, bounds the exact worst panel (even when optimal).
    bound = None if solved.bound is None else bound_up(solved.bound, panel_slack / 2)
    value = None if solved.value is None else solved.value / SCALE
    if value is not None and bound is not None:
        bound = max(value, bound)
    session.phases.append(PhaseRecord("worst_case", solved.seconds, solved.status, value, bound))
    out.records.append(LevelRecord("worst_case", solved.status, value, bound))
    out.worst, out.worst_bound = value, bound
    if solved.status == "infeasible":
        out.infeasible = True
        return False
    if solved.value is None:
        out.proven = False
        out.notes.append(
            "fairness: no assignment was found for the worst case within its share of the "
            "time limit; the assignment maximises the total only"
        )
        return False
    if solved.status != "optimal":
        out.proven = False
        out.notes.append(
            "fairness: the worst case is not proven optimal within the time limit "
            "(see worst_case and worst_case_bound)"
        )
    built.model.add(built.worst >= solved.value - panel_slack)
    return True


def _plain(session: _Session, inst: Instance, name: str, out: Levels) -> bool:
    """``coverage``, ``affinity`` or ``load_spread``: one solve, then held."""
    built, m = session.built, session.built.model
    unit: float = 1.0
    expr: cp_model.LinearExprT
    if name == "coverage":
        expr = _covered_topics(session, inst)
    elif name == "affinity":
        coeffs = to_ints(inst.pair_affinity)
        expr = LinearExpr.weighted_sum(built.x, [int(v) for v in coeffs])
        unit = SCALE
    else:  # load_spread, maximised as its negative
        expr = _minus_spread(session, inst)
    solved = session.maximise(expr, name, time_limit=session.limit(_LEVEL_SHARE), unit=unit)
    value = None if solved.value is None else solved.value / unit
    # The total of rounded affinities is within half a unit a seat of the exact total.
    widen = 0.5 * int(inst.panel_size.sum()) if name == "affinity" else 0.0
    bound = None if solved.bound is None else bound_up(solved.bound, widen, unit)
    if name == "load_spread":  # reported as the spread itself; the bound is a lower bound
        value = None if value is None else -value
        bound = None if bound is None else -bound
    session.phases.append(PhaseRecord(name, solved.seconds, solved.status, value, bound))
    out.records.append(LevelRecord(name, solved.status, value, bound))
    if solved.status == "infeasible":
        out.infeasible = True
        return False
    if solved.value is None:
        out.proven = False
        out.notes.append(f"{name}: no assignment was found within its share of the time limit")
        return False
    if solved.status != "optimal":
        out.proven = False
        out.notes.append(f"{name}: not proven optimal within the time limit")
    # Totals of rounded affinities may differ by half a unit a seat from equal real ones.
    slack = int(inst.panel_size.sum()) if name == "affinity" else 0
    m.add(expr >= solved.value - slack)
    return True


def _covered_topics(session: _Session, inst: Instance) -> cp_model.LinearExpr:
    """The number of (case, topic) pairs some seat covers (a Boolean per pair)."""
    built, m = session.built, session.built.model
    x = session.x() if session.values is not None else None
    covered = []
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        revs = inst.pair_reviewer[pairs.start : pairs.stop]
        for t in inst.case_topics[c]:
            seats = [pairs.start + int(i) for i in np.flatnonzero(inst.reviewer_covers[t][revs])]
            if not seats:
                continue
            y = m.new_bool_var("")
            m.add(LinearExpr.sum([built.x[p] for p in seats]) >= y)
            covered.append(y)
            if x is not None:
                session.remember(y, int(x[seats].any()))
    return LinearExpr.sum(covered)


def _minus_spread(session: _Session, inst: Instance) -> cp_model.LinearExpr:
    """Minus (largest load - smallest load), with a variable for each end."""
    m = session.built.model
    top = int(inst.max_load.max(initial=0))
    hi = m.new_int_var(0, top, "")
    lo = m.new_int_var(0, top, "")
    for load in session.built.loads:
        m.add(hi >= load)
        m.add(lo <= load)
    if session.values is not None:
        loads = np.bincount(inst.pair_reviewer[session.x()], minlength=inst.n_reviewers)
        session.remember(hi, int(loads.max(initial=0)))
        session.remember(lo, int(loads.min(initial=0)))
    return lo - hi


def _leximin(
    session: _Session, inst: Instance, policy: Policy, out: Levels, panel_slack: int
) -> bool:
    """Leximin in rounds (see ``_Rounds``): each raises a floor, then lifts what it can."""
    rounds = _Rounds(session, inst, policy, panel_slack)
    lifted: list[Any] | None = None  # the panels the next floor applies to (None: all)
    while rounds.rest > 0:
        if rounds.deadline is not None and rounds.left() == 0:
            rounds.status = "feasible"
            break
        solved = rounds.raise_floor(lifted)
        if solved.status == "infeasible":
            out.infeasible = True
            session.phases.append(PhaseRecord("leximin", solved.seconds, "infeasible"))
            out.records.append(LevelRecord("leximin", "infeasible", None, None))
            return False
        if solved.value is None:  # no assignment within the budget
            rounds.status = "unknown" if session.values is None else "feasible"
            break
        lifted = rounds.lift(solved.value)
    return rounds.report(out)


class _Rounds:
    """The rounds of one leximin level: what each maximises and what it holds.

    All in solver units. ``v_c`` is case ``c``'s panel, ``k`` the largest panel size,
    ``step`` the tolerance (at least ``k + 1``) and ``slack = k``. Round 1 maximises the
    floor ``t_1 <= v_c`` for every case. Round ``i`` then *lifts*: it maximises the number
    ``L_i`` of panels at ``t_i + step`` or more (a literal per case; holds the count, not
    which panels). Round ``i + 1`` maximises ``t_{i+1}``, the lowest of the best ``L_i``
    panels (the lifted literals imply ``v_c >= t_{i+1}``), and so on until ``L_i = 0``.

    **What a round holds.** A floor ``t_i^*`` is held as ``t_i^* - slack``, never as
    ``t_i^*``: rounded pair by pair to a unit, two panels equal in exact arithmetic differ
    by up to ``k`` units, and the round's solution may have put every panel of the floor at
    the high side of that rounding (it is a maximisation). Held exactly, the floor shut out
    the panels equal to it but rounded lower, and with them the assignments whose next
    panels rise further (issue 20: a tie at 7/3 held at 2,333,334 units where one of the
    tied panels rounds to 2,333,333 lost 8/3 on the next panel).

    **Why the result is the leximin.** Let ``key(x) = (t_1, L_1, t_2, L_2, ...)`` for an
    assignment ``x``: ``t_1`` its lowest panel, ``L_i`` its panels at ``t_i + tolerance`` or
    more, ``t_{i+1}`` the lowest of its best ``L_i``. At tolerance 0 the key is the sorted
    profile (each floor and how many panels sit on it), so the largest key is the leximin;
    at a tolerance it is the documented meaning. Take the returned ``x`` and any ``y``:

    - ``y`` meets every hold: round by round its floor is in ``[t_i^* - k, t_i^*]`` (it is
      in the set round ``i`` maximised over) and it has exactly ``L_i^*`` panels at
      ``t_i^* + step`` or more (likewise), as ``x`` has: the keys are equal up to ``k``
      units on the floors;
    - or ``y`` breaks a hold, first in round ``j``: its ``j``-th floor is below
      ``t_j^* - k`` where ``x``'s is not, or it has fewer than ``L_j^*`` panels at
      ``t_j^* + step`` or more where ``x`` has ``L_j^*``: ``y`` is behind.

    A panel in solver units is within ``k / 2`` units of its exact value, so this is the
    order of keys in exact arithmetic except between panels within about ``2k`` units of
    each other or of a floor plus the tolerance: exact at the solver's resolution (and
    outright when differing panels differ by more). Floors rise by at least a step a
    round (the hint lifts ``L_i`` panels to ``t_i^* + step``), so the rounds end. The
    level is optimal only when every round and every lift was proven optimal.
    """

    def __init__(self, session: _Session, inst: Instance, policy: Policy, panel_slack: int) -> None:
        self.session = session
        self.inst = inst
        coeffs = to_ints(inst.pair_affinity)
        built = session.built
        self.value_of = [
            panel_value(built.x, coeffs, inst.case_pairs(c)) for c in range(inst.n_cases)
        ]
        self.slack = panel_slack
        # Steps below the rounding noise would split panels equal in real numbers.
        self.step = max(to_int(policy.objective.leximin_tolerance), panel_slack + 1)
        k = int(inst.panel_size.max(initial=0))
        self.lo = min(0, k * int(coeffs.min(initial=0)))
        self.hi = max(0, k * int(coeffs.max(initial=0)))
        budget = policy.objective.leximin_time_limit
        if budget is None:
            rest = session.search.remaining()
            budget = None if rest is None else max(0.0, rest) * _LEXIMIN_SHARE
        self.deadline = None if budget is None else time.perf_counter() + budget
        self.t0 = time.perf_counter()
        self.rest = inst.n_cases  # how many panels the next floor applies to
        self.status = "optimal"
        self.floors: list[tuple[float, int]] = []  # (floor, panels at it)
        self.first_bound: float | None = None  # round 1's bound on the lowest panel
        self.previous: int | None = None  # the last round's floor (solver units)

    def left(self) -> float | None:
        """Seconds left of the leximin budget (None: no budget)."""
        return None if self.deadline is None else max(0.0, self.deadline - time.perf_counter())

    def panels(self) -> npt.NDArray[np.int64]:
        """Each case's panel affinity in the last solution (solver units)."""
        return _panels(self.session, self.inst)

    def raise_floor(self, lifted: list[Any] | None) -> _Solved:
        """Maximise the lowest of the panels ``lifted`` (every panel: None), then hold it.

        The floor is held ``slack`` units below what the round reached (see the class).
        """
        session, m = self.session, self.session.built.model
        t = m.new_int_var(self.lo, self.hi, "")
        start = None
        if lifted is None:
            for v in self.value_of:
                m.add(t <= v)
            if session.values is not None:
                start = int(self.panels().min())
        else:
            # At least L of the lifted literals are on (held by the last lift), and each
            # puts its panel at t or more: t is the lowest of the best L panels.
            on = np.array([session.value(z) for z in lifted], dtype=np.bool_)
            start = int(self.panels()[on].min())
            for v, z in zip(self.value_of, lifted, strict=True):
                m.add(v >= t).only_enforce_if(z)
        if start is not None:
            session.remember(t, start)
        solved = session.maximise(t, "leximin", time_limit=self.left(), prove=True, start=start)
        bound = None if solved.bound is None else bound_up(solved.bound, self.slack / 2)
        value = None if solved.value is None else solved.value / SCALE
        session.phases.append(
            PhaseRecord("leximin.round", solved.seconds, solved.status, value, bound)
        )
        if lifted is None:  # round 1 bounds the lowest panel: the level's bound
            self.first_bound = bound
        if solved.value is None:
            return solved
        if solved.status != "optimal":
            self.status = "feasible"
        rose = self.previous is None or solved.value >= self.previous + self.step
        if not rose:  # pragma: no cover
            # The hint lifts every panel of this round to the last floor plus a step, so
            # floors rise by a step a round and the rounds end; this guards that.
            raise SolverError("leximin: a round did not raise its floor")
        self.previous = solved.value
        held = solved.value - self.slack
        t.proto.domain[0] = t.proto.domain[1] = held
        session.set(t, held)
        return solved

    def lift(self, floor: int) -> list[Any]:
        """Maximise the number of panels at ``floor + step`` or more, then hold that number.

        Returns the literals, one per case, that put a panel there (the next round's set).
        """
        session, m = self.session, self.session.built.model
        threshold = floor + self.step
        before = self.panels() >= threshold
        lifted = []
        for c, v in enumerate(self.value_of):
            z = m.new_bool_var("")
            m.add(v >= threshold).only_enforce_if(z)
            session.remember(z, int(before[c]))
            lifted.append(z)
        count = LinearExpr.sum(lifted)
        solved = session.maximise(count, "leximin.lift", time_limit=self.left(), unit=1.0)
        session.phases.append(
            PhaseRecord("leximin.lift", solved.seconds, solved.status, solved.value, solved.bound)
        )
        if solved.status != "optimal":  # without a solution, the hint's count stands
            self.status = "feasible"
        above = self.panels() >= threshold
        for z, on in zip(lifted, above, strict=True):  # the hint: every panel above is lifted
            session.set(z, int(on))
        up = int(np.count_nonzero(above))
        m.add(count >= up)
        self.floors.append((floor / SCALE, self.rest - up))
        self.rest = up
        return lifted

    def report(self, out: Levels) -> bool:
        """Record the level (status, worst panel, bound, floors) and its notes."""
        session, inst = self.session, self.inst
        seconds = time.perf_counter() - self.t0
        if session.values is None:
            out.proven = False
            session.phases.append(PhaseRecord("leximin", seconds, "unknown"))
            out.records.append(LevelRecord("leximin", "unknown", None, None))
            out.notes.append("leximin: no assignment was found within its time budget")
            return False
        worst = float(self.panels().min()) / SCALE if inst.n_cases else 0.0
        shown = ", ".join(f"{floor:.4g} ({n})" for floor, n in self.floors[:8])
        more = f", ... ({len(self.floors)} rounds)" if len(self.floors) > 8 else ""
        detail = f"floors (panels at each): {shown}{more}"
        if self.rest > 0:
            detail += f"; {self.rest} panel(s) above the last floor when the budget ran out"
            out.notes.append(
                f"leximin: the time budget ran out after {len(self.floors)} round(s); "
                f"{self.rest} panel(s) are held only at the last floor"
            )
        status = "feasible" if self.rest > 0 and self.status == "optimal" else self.status
        if status != "optimal":
            out.proven = False
        # Round 1's bound, widened by the rounding and rounded up (None if it never ran).
        bound = None if self.first_bound is None else max(worst, self.first_bound)
        if inst.n_cases == 0:
            bound = 0.0
        session.phases.append(PhaseRecord("leximin", seconds, status, worst, bound))
        out.records.append(LevelRecord("leximin", status, worst, bound, detail))
        out.worst, out.worst_bound = worst, bound
        return True
