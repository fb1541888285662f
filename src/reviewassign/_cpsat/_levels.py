"""Lexicographic objectives: every level before the policy objective, in turn.

Each level is maximised, then held (its expression kept at what it reached) while the
next one is maximised: ``worst_case`` and ``coverage`` as one CP-SAT solve each,
``leximin`` as rounds of two solves. Every solve is hinted with the whole solution of the
one before it, which meets every constraint added since; so each level starts from a
feasible assignment and, under a time limit, never ends with less than it started with.

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

from .._instance import Instance
from .._policy import Policy
from ._builders import LinearExpr, Model, panel_value
from ._outcome import LevelRecord, PhaseRecord
from ._run import _run, _Search
from ._scale import SCALE, to_int, to_ints

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
        assert self.values is not None
        return np.asarray(self.values[: len(self.built.x)], dtype=np.int64) > 0

    def hint(self) -> None:
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
    bound = None if solved.bound is None else (solved.bound + panel_slack) / SCALE
    value = None if solved.value is None else solved.value / SCALE
    if value is not None and bound is not None:
        bound = value if solved.status == "optimal" else max(value, bound)
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
    bound = None if solved.bound is None else solved.bound / unit
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
    """Leximin in rounds: the lowest panel, then how many panels can rise above it, ...

    Round 1 maximises ``t``, the lowest panel, and holds every panel at ``t`` or more.
    Each round then maximises the number ``L`` of panels at ``t + step`` or more and
    holds that count (not which panels: the later rounds may still choose them). The
    next round maximises ``t``, the lowest of the best ``L`` panels, again holding it.
    Together this maximises the sorted profile lexicographically, with panels closer
    than ``step`` counted as equal.
    """
    built, m = session.built, session.built.model
    objective = policy.objective
    coeffs = to_ints(inst.pair_affinity)
    value_of = [panel_value(built.x, coeffs, inst.case_pairs(c)) for c in range(inst.n_cases)]
    # Steps below the rounding noise would split panels equal in real numbers.
    step = max(to_int(objective.leximin_tolerance), panel_slack + 1)
    budget = objective.leximin_time_limit
    if budget is None:
        rest = session.search.remaining()
        budget = None if rest is None else max(0.0, rest) * _LEXIMIN_SHARE
    deadline = None if budget is None else time.perf_counter() + budget
    k = int(inst.panel_size.max(initial=0))
    lo = min(0, k * int(coeffs.min(initial=0)))
    hi = max(0, k * int(coeffs.max(initial=0)))

    def left() -> float | None:
        return None if deadline is None else max(0.0, deadline - time.perf_counter())

    def panels() -> npt.NDArray[np.int64]:
        return _panels(session, inst)

    def at_least(threshold: cp_model.LinearExprT, hint: npt.NDArray[np.bool_]) -> list[Any]:
        """Per case, a literal that implies its panel is at ``threshold`` or more."""
        lits = []
        for c in range(inst.n_cases):
            z = m.new_bool_var("")
            m.add(value_of[c] >= threshold).only_enforce_if(z)
            session.remember(z, int(hint[c]))
            lits.append(z)
        return lits

    rest_count = inst.n_cases  # how many panels the next floor applies to
    lifted: list[Any] = []  # per case, the last round's "at the floor + step or more"
    previous: int | None = None  # the last round's floor
    steps: list[tuple[float, int]] = []  # (floor, panels at it)
    t0 = time.perf_counter()
    first_bound: float | None = None
    status = "optimal"
    while rest_count > 0 and inst.n_cases > 0:
        if deadline is not None and left() == 0:
            status = "feasible"
            break
        t = m.new_int_var(lo, hi, "")
        start = None
        if rest_count == inst.n_cases:
            for c in range(inst.n_cases):
                m.add(t <= value_of[c])
            if session.values is not None:
                start = int(panels().min())
                session.remember(t, start)
        else:
            # The lowest of the best rest_count panels: the panels the last round lifted
            # (at least rest_count of them, still free to change) all reach t.
            assert session.values is not None
            now = panels()
            on = np.array([session.value(z) for z in lifted], dtype=np.bool_)
            start = int(now[on].min())
            session.remember(t, start)
            for c, z in enumerate(lifted):
                m.add(value_of[c] >= t).only_enforce_if(z)
        solved = session.maximise(t, "leximin", time_limit=left(), prove=True, start=start)
        session.phases.append(
            PhaseRecord(
                "leximin.round",
                solved.seconds,
                solved.status,
                None if solved.value is None else solved.value / SCALE,
                None if solved.bound is None else (solved.bound + panel_slack) / SCALE,
            )
        )
        if solved.status == "infeasible":
            out.infeasible = True
            session.phases.append(PhaseRecord("leximin", solved.seconds, "infeasible"))
            out.records.append(LevelRecord("leximin", "infeasible", None, None))
            return False
        if solved.value is None:  # no assignment within the budget
            status = "unknown" if session.values is None else "feasible"
            break
        if first_bound is None and solved.bound is not None:
            first_bound = (solved.bound + panel_slack) / SCALE
        if solved.status != "optimal":
            status = "feasible"
        floor = solved.value
        if previous is not None and floor < previous + step:  # pragma: no cover
            # Each round's panels all reached the last floor plus a step in the hint, so
            # the floor rises by a step a round and the rounds end; this guards that.
            raise RuntimeError("leximin: a round did not raise its floor")
        t.proto.domain[0] = t.proto.domain[1] = previous = floor

        lifted = at_least(floor + step, panels() >= floor + step)
        count = LinearExpr.sum(lifted)
        solved = session.maximise(count, "leximin.lift", time_limit=left(), unit=1.0)
        session.phases.append(
            PhaseRecord(
                "leximin.lift",
                solved.seconds,
                solved.status,
                solved.value,
                solved.bound,
            )
        )
        if solved.status != "optimal":  # without a solution, the hint's count stands
            status = "feasible"
        up = int(np.count_nonzero(panels() >= floor + step))
        m.add(count >= up)
        steps.append((floor / SCALE, rest_count - up))
        rest_count = up
    seconds = time.perf_counter() - t0
    if session.values is None:
        out.proven = False
        session.phases.append(PhaseRecord("leximin", seconds, "unknown"))
        out.records.append(LevelRecord("leximin", "unknown", None, None))
        out.notes.append("leximin: no assignment was found within its time budget")
        return False
    worst = float(panels().min()) / SCALE if inst.n_cases else 0.0
    shown = ", ".join(f"{floor:.4g} ({n})" for floor, n in steps[:8])
    more = f", ... ({len(steps)} rounds)" if len(steps) > 8 else ""
    detail = f"floors (panels at each): {shown}{more}"
    if rest_count > 0:
        detail += f"; {rest_count} panel(s) above the last floor when the budget ran out"
        out.notes.append(
            f"leximin: the time budget ran out after {len(steps)} round(s); "
            f"{rest_count} panel(s) are held only at the last floor"
        )
    if status != "optimal":
        out.proven = False
    bound = worst if status == "optimal" or first_bound is None else max(worst, first_bound)
    session.phases.append(PhaseRecord("leximin", seconds, status, worst, bound))
    out.records.append(LevelRecord("leximin", status, worst, bound, detail))
    out.worst, out.worst_bound = worst, bound
    return True
