"""Every rule instance as a soft constraint: one slack and one literal per instance.

A *rule instance* is one rule of the policy applied to one case (``panel.min_genders``
on case C0019), one topic of one case (``expertise.coverage`` of t07 on C0019) or one
reviewer (``load.max`` of R0003). Each gets an integer slack ``s`` by which it may be
broken (a cap becomes ``cap + s``, a need ``need - s``) and a literal ``holds`` that forces
``s == 0``. Panel sizes and conflicts of interest stay hard.

Three uses, all over every eligible pair:

- a minimal conflicting core: the ``holds`` literals as CP-SAT assumptions; CP-SAT
  returns a sufficient subset, shrunk here by deletion until it is irreducible;
- a relaxation: every other instance holds, the slack of one is minimised, then the
  objective maximised;
- the soft solve (``solve(..., relax="minimal")``): the fewest broken instances, weighted
  by the policy's priorities, then the best objective.

Language, own-region exclusion and panel rules of ``at_most = 0`` act on single pairs
in the hard model; here they are
rule instances too (a seat that does not read the case's language counts against the
case's language rule), so that they can appear in a core and be relaxed.

The rules over the whole assignment (``integrity.forbid_cycles``,
``load.max_weak_matches``, the ``representation`` bands) stay hard here, like panel sizes
and conflicts: they are never relaxed and never a member of a core.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ..._data.model import Problem
from ..._data.policy import Policy
from ..._data.rules import active
from ..._reduce.eligible import Instance, build_instance
from ..outcome import BackendStatus
from ..scale import SCALE
from .model import _worst_case, whole_assignment
from .rules import SOFT, RuleInstance, SoftBuilder, loads, pairs
from .rules._common import LinearExpr
from .runner import _parameters, solved

__all__ = [
    "RuleInstance",
    "SoftModel",
    "SoftRun",
    "SoftSolver",
    "build_soft",
    "soft_instance",
    "soft_policy",
]


@dataclass(slots=True)
class SoftModel:
    """The soft CP-SAT model and its handles."""

    inst: Instance
    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    objective: cp_model.LinearExpr
    worst: cp_model.IntVar | None
    rules: list[RuleInstance]
    slack: list[cp_model.IntVar]
    holds: list[cp_model.IntVar]
    """Per rule instance, the literal that forces its slack to 0."""


def soft_policy(policy: Policy) -> Policy:
    """``policy`` with its single-pair rules (language, own region excluded) lifted."""
    panel = policy.panel.model_copy(
        update={
            "language": False,
            "own_region": "any"
            if policy.panel.own_region == "exclude"
            else policy.panel.own_region,
        }
    )
    return policy.model_copy(update={"panel": panel})


def soft_instance(
    problem: Problem, policy: Policy, forced: Sequence[tuple[str, str]] = ()
) -> Instance:
    """The instance of the soft model: every pair that is not a conflict of interest.

    Panel rules of ``at_most = 0`` keep their pairs too: here a seat on one breaks it.
    """
    return build_instance(problem, soft_policy(policy), forced=forced, exclude=False)


def build_soft(
    inst: Instance, problem: Problem, policy: Policy, hard: frozenset[str] = frozenset()
) -> SoftModel:
    """Build the soft model of ``policy`` on ``inst`` (from :func:`soft_instance`).

    Rules named in ``hard`` stay hard constraints, with no slack. Panel sizes and loads
    first, then case by case each per-case rule the policy turns on, in the order of
    ``rules.SOFT``, then the rules over the whole assignment (hard) and the objective.
    """
    b = SoftBuilder(inst, problem, hard)
    pairs.fix_forced(b.m, inst, b.x)  # a forced pair is never broken
    loads.soft_panel_size(b)
    load_exprs = loads.soft_loads(b)
    on = {r.key for r in active(policy)}
    per_case = [encode for key, encode in SOFT.items() if key in on]
    for c in range(inst.n_cases):
        for encode in per_case:
            encode(b, c, policy)
    # Rules over the whole assignment stay hard here (never relaxed, never in a core).
    objective = whole_assignment(b.m, inst, b.x, load_exprs, policy)
    # Relax mode keeps the first fairness level of the policy: the worst panel.
    fair = {"worst_case", "leximin"} & set(policy.objective.levels)
    worst = _worst_case(b.m, inst, b.x) if fair else None
    return SoftModel(inst, b.m, b.x, objective, worst, b.rules, b.slack, b.holds)


@dataclass(frozen=True, slots=True)
class SoftRun:
    """One solve of the soft model."""

    status: BackendStatus
    chosen: np.ndarray
    """The eligible pairs chosen (empty without a solution)."""
    broken: tuple[int, ...]
    """Rule instances whose slack is positive."""
    slack: tuple[int, ...]
    """Per broken instance, by how much."""
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0


class SoftSolver:
    """Solves of one soft model, sharing seed and deadline.

    Which rule instances must hold is set on the slacks' domains (``{0}`` for those that
    hold), not with assumptions: presolve and the LP then see the whole subproblem, and a
    capacity argument is found at the root (0.2 s instead of over 25 s on the 150-case
    example). Assumptions are used once, for CP-SAT's first sufficient core.
    """

    def __init__(self, sm: SoftModel, *, seed: int, time_limit: float | None) -> None:
        self.sm = sm
        self.seed = seed
        self.deadline = None if time_limit is None else time.perf_counter() + time_limit
        self._spans = [int(v.proto.domain[len(v.proto.domain) - 1]) for v in sm.slack]

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        return None if self.deadline is None else max(0.0, self.deadline - time.perf_counter())

    def _hold(self, held: Collection[int]) -> None:
        """Rule instances in ``held`` must hold; the others may be broken."""
        keep = set(held)
        for i, v in enumerate(self.sm.slack):
            v.proto.domain[0] = 0
            v.proto.domain[1] = 0 if i in keep else self._spans[i]

    def _solve(self, time_limit: float | None = None) -> tuple[BackendStatus, cp_model.CpSolver]:
        """Solve the soft model within the time left and ``time_limit``: status and solver."""
        solver = cp_model.CpSolver()
        left = self.remaining()
        if time_limit is not None:
            left = time_limit if left is None else min(left, time_limit)
        _parameters(solver, seed=self.seed, workers=1, time_limit=left)
        return solved(solver, solver.solve(self.sm.model)), solver

    def _run(
        self, status: BackendStatus, solver: cp_model.CpSolver, t0: float, *, scaled: bool = False
    ) -> SoftRun:
        """The run's pairs and broken rule instances; with ``scaled``, the policy objective."""
        seconds = time.perf_counter() - t0
        if status not in ("optimal", "feasible"):
            return SoftRun(status, np.zeros(0, np.int64), (), (), seconds=seconds)
        sm = self.sm
        values = np.array([solver.boolean_value(v) for v in sm.x], dtype=np.bool_)
        slack = [int(solver.value(s)) for s in sm.slack]
        broken = tuple(i for i, s in enumerate(slack) if s > 0)
        objective = bound = None
        if scaled:
            objective = solver.objective_value / SCALE
            bound = solver.best_objective_bound / SCALE
        return SoftRun(
            status,
            np.flatnonzero(values),
            broken,
            tuple(slack[i] for i in broken),
            objective,
            bound,
            seconds,
        )

    def _hint(self, solver: cp_model.CpSolver) -> None:
        """Hint the whole of ``solver``'s solution: a complete hint is taken as is."""
        m = self.sm.model
        m.clear_hints()  # type: ignore[no-untyped-call]
        values = list(solver.response_proto.solution)
        for s, h in zip(self.sm.slack, self.sm.holds, strict=True):
            # A rule instance whose slack is 0 holds, whatever its literal in that run.
            values[h.index] = int(values[s.index] == 0)
        for i, value in enumerate(values):
            m.add_hint(m.get_int_var_from_proto_index(i), value)

    def core(self, among: Collection[int] | None = None) -> tuple[str, list[int]]:
        """An irreducible set of rule instances that cannot hold together.

        Returns ``("infeasible", core)``, ``("feasible", [])``, or ``("unknown", core so
        far)`` when the time ran out. CP-SAT's sufficient assumptions are shrunk by
        :meth:`shrink`. Dropping any member of the result leaves rules that some
        assignment meets. An empty core means that panel sizes and conflicts alone cannot
        be met. ``among``: the instances a core may hold (the others are free throughout).
        """
        sm, m = self.sm, self.sm.model
        every = range(len(sm.holds)) if among is None else sorted(among)
        m.clear_objective()  # type: ignore[no-untyped-call]
        self._hold(every)
        status, _ = self._solve()
        if status != "infeasible":
            return ("feasible" if status in ("optimal", "feasible") else "unknown"), []
        self._hold(())
        m.add_assumptions([sm.holds[i] for i in every])
        status, solver = self._solve()
        m.clear_assumptions()
        if status == "infeasible":
            position = {h.index: i for i, h in enumerate(sm.holds)}
            core = sorted(position[v] for v in solver.sufficient_assumptions_for_infeasibility())
        else:  # no core within the time: shrink every instance
            core = list(every)
        return self.shrink(core)

    def shrink(self, members: Sequence[int]) -> tuple[str, list[int]]:
        """Shrink rule instances that cannot hold together to an irreducible subset.

        Deletion: each member is dropped in turn; if the rest still cannot hold, it stays
        dropped, else it is necessary. Returns ``("infeasible", core)``, or ``("unknown",
        core so far)`` when the time ran out.
        """
        self.sm.model.clear_objective()  # type: ignore[no-untyped-call]
        core = sorted(members)
        necessary: list[int] = []
        while core:
            candidate, rest = core[0], core[1:]
            self._hold(necessary + rest)
            status, _ = self._solve()
            if status == "infeasible":
                core = rest
            elif status in ("optimal", "feasible"):
                necessary.append(candidate)
                core = rest
            else:
                return "unknown", sorted(necessary + core)
        return "infeasible", sorted(necessary)

    def relax(self, i: int, limit: float | None = None) -> SoftRun:
        """Every rule instance but ``i`` holds; the least breach of ``i`` that allows it.

        Within ``limit`` seconds; a breach found but not proven the least is returned
        with status ``"feasible"``.
        """
        t0 = time.perf_counter()
        sm, m = self.sm, self.sm.model
        self._hold([j for j in range(len(sm.holds)) if j != i])
        m.minimize(sm.slack[i])
        status, solver = self._solve(limit)
        return self._run(status, solver, t0)

    def minimal(
        self, weights: Sequence[int], hint: npt.NDArray[np.int64] | None = None, floor: int = 0
    ) -> tuple[SoftRun, bool]:
        """The fewest broken rule instances (weighted), then the best objective.

        ``hint``: pairs of an assignment that meets panel sizes, conflicts and every rule
        kept hard; without one, the search starts from the least weighted breach (seats
        by which rules are broken, whose LP bound is strong). Then the fewest weighted
        broken instances are sought, then the objective with that count capped. Returns
        the run and whether the count is proven the least. ``floor``: a lower bound on
        the weighted count, proven elsewhere; reaching it proves the count the least.
        """
        t0 = time.perf_counter()
        sm, m = self.sm, self.sm.model
        self._hold(())
        if hint is not None:
            self._hint_pairs(hint)
        else:
            left = self.remaining()
            m.minimize(LinearExpr.weighted_sum(sm.slack, list(weights)))
            status, solver = self._solve(None if left is None else left / 3)
            if status not in ("optimal", "feasible"):
                return self._run(status, solver, t0), False
            self._hint(solver)
        broken = LinearExpr.weighted_sum([h.Not() for h in sm.holds], list(weights))
        if floor > 0:  # a proven lower bound (a count over the policy): a floor to reach
            m.add(broken >= floor)
        m.minimize(broken)
        left = self.remaining()
        status, solver = self._solve(None if left is None else left / 2)
        if status not in ("optimal", "feasible"):  # pragma: no cover - the hint is a solution
            return self._run(status, solver, t0), False
        m.add(broken <= round(solver.objective_value))
        self._hint(solver)
        return self._maximise(t0), status == "optimal"

    def _hint_pairs(self, pairs: npt.NDArray[np.int64]) -> None:
        """Complete an assignment (pairs) into a whole hint: the slacks it needs."""
        sm, m = self.sm, self.sm.model
        on = np.zeros(len(sm.x), dtype=np.bool_)
        on[pairs] = True
        for v, value in zip(sm.x, on.tolist(), strict=True):
            v.proto.domain[0] = v.proto.domain[1] = int(value)
        m.minimize(LinearExpr.sum(sm.slack))
        status, solver = self._solve()
        for v in sm.x:
            v.proto.domain[0], v.proto.domain[1] = 0, 1
        if status in ("optimal", "feasible"):
            self._hint(solver)

    def _maximise(self, t0: float, limit: float | None = None) -> SoftRun:
        """Maximise the policy's objective (the worst panel first, under fairness)."""
        sm, m = self.sm, self.sm.model
        floor = None
        if sm.worst is not None:
            floor = int(sm.worst.proto.domain[0])
            m.maximize(sm.worst)
            left = self.remaining()
            status, solver = self._solve(_least(left if left is None else left / 2, limit))
            if status in ("optimal", "feasible"):
                sm.worst.proto.domain[0] = int(solver.value(sm.worst))
                self._hint(solver)
        m.maximize(sm.objective)
        status, solver = self._solve(limit)
        run = self._run(status, solver, t0, scaled=True)
        if sm.worst is not None and floor is not None:
            sm.worst.proto.domain[0] = floor
        return run


def _least(a: float | None, b: float | None) -> float | None:
    """The smaller of two time limits, None being no limit."""
    return b if a is None else a if b is None else min(a, b)
