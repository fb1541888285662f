"""Every rule instance as a soft constraint: one slack and one literal per instance.

A *rule instance* is one rule of the policy applied to one case (``panel.max_per_region``
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

Language and own-region exclusion act on single pairs in the hard model; here they are
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

from .._instance import Instance, build_instance
from .._model import Problem
from .._policy import Policy
from ._builders import (
    LinearExpr,
    _groups,
    _worst_case,
    floor_units,
    panel_value,
    whole_assignment,
)
from ._outcome import BackendStatus
from ._run import _parameters, solved
from ._scale import SCALE, to_int, to_ints

__all__ = [
    "RuleInstance",
    "SoftModel",
    "SoftRun",
    "SoftSolver",
    "build_soft",
    "soft_instance",
    "soft_policy",
]


@dataclass(frozen=True, slots=True)
class RuleInstance:
    """One rule on one case, topic of a case, or reviewer, with the number it sets."""

    rule: str
    """The policy key (``"panel.max_per_region"``, ``"load.max"``...)."""
    case: int = -1
    reviewer: int = -1
    topic: str = ""
    limit: int = 0
    """The cap (``at_most``) or the need the rule sets."""
    at_most: bool = True


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


def soft_instance(problem: Problem, policy: Policy) -> Instance:
    """The instance of the soft model: every pair that is not a conflict of interest."""
    return build_instance(problem, soft_policy(policy))


class _Builder:
    def __init__(self, inst: Instance, hard: frozenset[str]) -> None:
        self.inst = inst
        self.hard = hard
        self.m = cp_model.CpModel()
        self.x = [self.m.new_bool_var("") for _ in range(inst.n_pairs)]
        self.rules: list[RuleInstance] = []
        self.slack: list[cp_model.IntVar] = []
        self.holds: list[cp_model.IntVar] = []

    def seats(self, pairs: Sequence[int]) -> cp_model.LinearExpr:
        return LinearExpr.sum([self.x[p] for p in pairs])

    def soft(self, rule: RuleInstance, exprs: Sequence[cp_model.LinearExprT], span: int) -> None:
        """Each of ``exprs`` at most (or at least) ``rule.limit``, give or take the slack."""
        if rule.rule in self.hard:
            for e in exprs:
                self.m.add(e <= rule.limit if rule.at_most else e >= rule.limit)
            return
        s = self.m.new_int_var(0, max(0, span), "")
        h = self.m.new_bool_var("")
        self.m.add(s == 0).only_enforce_if(h)
        for e in exprs:
            self.m.add(e <= rule.limit + s if rule.at_most else e >= rule.limit - s)
        self.rules.append(rule)
        self.slack.append(s)
        self.holds.append(h)

    def case_seats(self, c: int, mask: np.ndarray) -> list[int]:
        pairs = self.inst.case_pairs(c)
        return [pairs.start + int(i) for i in np.flatnonzero(mask)]


def build_soft(
    inst: Instance, problem: Problem, policy: Policy, hard: frozenset[str] = frozenset()
) -> SoftModel:
    """Build the soft model of ``policy`` on ``inst`` (from :func:`soft_instance`).

    Rules named in ``hard`` stay hard constraints, with no slack.
    """
    b = _Builder(inst, hard)
    m, x, panel = b.m, b.x, policy.panel
    for c in range(inst.n_cases):
        m.add(b.seats(inst.case_pairs(c)) == int(inst.panel_size[c]))

    order = np.argsort(inst.pair_reviewer, kind="stable")
    starts = np.searchsorted(inst.pair_reviewer[order], np.arange(inst.n_reviewers + 1))
    loads: list[cp_model.LinearExprT] = []
    for r in range(inst.n_reviewers):
        mine = [int(p) for p in order[starts[r] : starts[r + 1]]]
        load = b.seats(mine)
        lo, hi = int(inst.min_load[r]), int(inst.max_load[r])
        if len(mine) > hi:
            b.soft(RuleInstance("load.max", reviewer=r, limit=hi), [load], len(mine) - hi)
        if lo > 0:
            b.soft(RuleInstance("load.min", reviewer=r, limit=lo, at_most=False), [load], lo)
        loads.append(load)

    coeffs = to_ints(inst.pair_affinity)
    floor = to_int(policy.expertise.min_panel_affinity)
    speaks = {
        lang: np.array([lang in r.languages for r in problem.reviewers], dtype=np.bool_)
        for lang in {c.language for c in problem.cases if c.language}
    }
    for c in range(inst.n_cases):
        pairs = inst.case_pairs(c)
        size = int(inst.panel_size[c])
        revs = inst.pair_reviewer[pairs.start : pairs.stop]
        region, gender = inst.reviewer_region[revs], inst.reviewer_gender[revs]
        if panel.max_per_region is not None:
            _max_per_group(b, c, region, panel.max_per_region, "panel.max_per_region")
        if panel.min_regions > 1:
            _min_distinct(b, c, region, panel.min_regions, "panel.min_regions")
        own = region == inst.case_region[c]
        if policy.panel.own_region == "at_least_one":
            b.soft(
                RuleInstance("panel.own_region", c, limit=1, at_most=False),
                [b.seats(b.case_seats(c, own))],
                1,
            )
        elif policy.panel.own_region == "exclude":
            b.soft(
                RuleInstance("panel.own_region", c, limit=0), [b.seats(b.case_seats(c, own))], size
            )
        if panel.max_per_gender is not None:
            _max_per_group(b, c, gender, panel.max_per_gender, "panel.max_per_gender")
        if panel.min_genders > 0:
            _min_distinct(b, c, gender, panel.min_genders, "panel.min_genders")
        if panel.min_senior > 0:
            senior = b.case_seats(c, inst.reviewer_senior[revs])
            k = panel.min_senior
            b.soft(
                RuleInstance("panel.min_senior", c, limit=k, at_most=False), [b.seats(senior)], k
            )
        lang = problem.cases[c].language
        if panel.language and lang:
            others = b.case_seats(c, ~speaks[lang][revs])
            b.soft(RuleInstance("panel.language", c, limit=0), [b.seats(others)], size)
        topics = inst.case_topics[c]
        if policy.expertise.coverage == "all":
            for t in topics:
                covering = b.case_seats(c, inst.reviewer_covers[t][revs])
                rule = RuleInstance("expertise.coverage", c, topic=t, limit=1, at_most=False)
                b.soft(rule, [b.seats(covering)], 1)
        elif policy.expertise.coverage == "any" and topics:
            mask = np.logical_or.reduce([inst.reviewer_covers[t][revs] for t in topics])
            rule = RuleInstance("expertise.coverage", c, limit=1, at_most=False)
            b.soft(rule, [b.seats(b.case_seats(c, mask))], 1)
        if floor > 0:
            need = floor_units(policy.expertise.min_panel_affinity, size)
            rule = RuleInstance("expertise.min_panel_affinity", c, limit=need, at_most=False)
            lowest = min(0, int(coeffs.min(initial=0))) * size
            b.soft(rule, [panel_value(x, coeffs, pairs)], need - lowest)

    # Rules over the whole assignment stay hard here (never relaxed, never in a core).
    objective = whole_assignment(m, inst, x, loads, policy)
    # Relax mode keeps the first fairness level of the policy: the worst panel.
    fair = {"worst_case", "leximin"} & set(policy.objective.levels)
    worst = _worst_case(m, inst, x) if fair else None
    return SoftModel(inst, m, x, objective, worst, b.rules, b.slack, b.holds)


def _max_per_group(b: _Builder, c: int, keys: np.ndarray, cap: int, rule: str) -> None:
    """At most ``cap`` seats share one key (negative keys: no group), give or take the slack."""
    pairs = b.inst.case_pairs(c)
    groups = [b.seats(group) for _, group in _groups(keys, pairs)]
    seats = int(b.inst.panel_size[c])
    if cap >= seats:  # never binds (and a huge cap would overflow the solver's integers)
        return
    b.soft(RuleInstance(rule, c, limit=cap), groups, seats)


def _min_distinct(b: _Builder, c: int, keys: np.ndarray, minimum: int, rule: str) -> None:
    pairs = b.inst.case_pairs(c)
    present = []
    for _, group in _groups(keys, pairs):
        y = b.m.new_bool_var("")
        b.m.add(b.seats(group) >= y)
        present.append(y)
    b.soft(RuleInstance(rule, c, limit=minimum, at_most=False), [LinearExpr.sum(present)], minimum)


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
        return None if self.deadline is None else max(0.0, self.deadline - time.perf_counter())

    def _hold(self, held: Collection[int]) -> None:
        """Rule instances in ``held`` must hold; the others may be broken."""
        keep = set(held)
        for i, v in enumerate(self.sm.slack):
            v.proto.domain[0] = 0
            v.proto.domain[1] = 0 if i in keep else self._spans[i]

    def _solve(self, time_limit: float | None = None) -> tuple[BackendStatus, cp_model.CpSolver]:
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

    def core(self) -> tuple[str, list[int]]:
        """An irreducible set of rule instances that cannot hold together.

        Returns ``("infeasible", core)``, ``("feasible", [])``, or ``("unknown", core so
        far)`` when the time ran out. CP-SAT's sufficient assumptions are shrunk by
        :meth:`shrink`. Dropping any member of the result leaves rules that some
        assignment meets. An empty core means that panel sizes and conflicts alone cannot
        be met.
        """
        sm, m = self.sm, self.sm.model
        every = range(len(sm.holds))
        m.clear_objective()  # type: ignore[no-untyped-call]
        self._hold(every)
        status, _ = self._solve()
        if status != "infeasible":
            return ("feasible" if status in ("optimal", "feasible") else "unknown"), []
        self._hold(())
        m.add_assumptions(sm.holds)
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
        self, weights: Sequence[int], hint: npt.NDArray[np.int64] | None = None
    ) -> tuple[SoftRun, bool]:
        """The fewest broken rule instances (weighted), then the best objective.

        ``hint``: pairs of an assignment that meets panel sizes, conflicts and every rule
        kept hard; without one, the search starts from the least weighted breach (seats
        by which rules are broken, whose LP bound is strong). Then the fewest weighted
        broken instances are sought, then the objective with that count capped. Returns
        the run and whether the count is proven the least.
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
    return b if a is None else a if b is None else min(a, b)
