"""What the encodings of every rule family share: the soft builder, rule instances, groups.

A hard encoding adds its rule to a CP-SAT model over one Boolean per eligible pair
(:data:`HardEncoding`). A soft encoding adds one case's instances of its rule to the soft
model (:data:`SoftEncoding`), each through :meth:`SoftBuilder.soft`: an integer slack by
which the instance may be broken and a literal that forces the slack to 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ...._data.model import Problem
from ...._data.policy import Policy
from ...._reduce.eligible import Instance
from ...scale import to_int, to_ints

__all__ = [
    "HardEncoding",
    "LinearExpr",
    "RuleInstance",
    "SoftBuilder",
    "SoftEncoding",
    "at_least_distinct",
    "at_least_one_of",
    "case_keys",
    "floor_units",
    "groups",
    "panel_value",
]

LinearExpr = cp_model.LinearExpr

HardEncoding = Callable[[cp_model.CpModel, Instance, list[cp_model.IntVar], Policy], None]
"""``encode(m, inst, x, policy)``: add the rule, as the policy sets it, to the hard model."""


@dataclass(frozen=True, slots=True)
class RuleInstance:
    """One rule on one case, topic of a case, or reviewer, with the number it sets."""

    rule: str
    """The policy key (``"panel.min_genders"``, ``"load.max"``...)."""
    case: int = -1
    reviewer: int = -1
    topic: str = ""
    limit: int = 0
    """The cap (``at_most``) or the need the rule sets."""
    at_most: bool = True
    pair: tuple[int, int] | None = None
    """The two reviewers of an instance about a pair of them (``pairs.disjoint``)."""
    entry: str = ""
    """The name of the ``[[panel.rules]]`` entry (``panel.rules`` only)."""


class SoftBuilder:
    """The soft model being built: its pair Booleans and its rule instances so far."""

    def __init__(self, inst: Instance, problem: Problem, hard: frozenset[str]) -> None:
        self.inst = inst
        self.problem = problem
        self.hard = hard
        self.m = cp_model.CpModel()
        self.x = [self.m.new_bool_var("") for _ in range(inst.n_pairs)]
        self.rules: list[RuleInstance] = []
        self.slack: list[cp_model.IntVar] = []
        self.holds: list[cp_model.IntVar] = []
        self.coeffs = to_ints(inst.pair_affinity)
        """Each pair's affinity in solver units."""
        self.speaks = {
            lang: np.array([lang in r.languages for r in problem.reviewers], dtype=np.bool_)
            for lang in {c.language for c in problem.cases if c.language}
        }
        """Per case language, which reviewers read it."""

    def seats(self, pairs: Sequence[int]) -> cp_model.LinearExpr:
        """The seats taken among ``pairs``."""
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

    def reviewers(self, c: int) -> npt.NDArray[np.int64]:
        """The eligible reviewers of case ``c``, in pair order."""
        pairs = self.inst.case_pairs(c)
        return self.inst.pair_reviewer[pairs.start : pairs.stop]

    def case_seats(self, c: int, mask: np.ndarray) -> list[int]:
        """The pairs of case ``c`` where ``mask`` (over its eligible reviewers) holds."""
        pairs = self.inst.case_pairs(c)
        return [pairs.start + int(i) for i in np.flatnonzero(mask)]


SoftEncoding = Callable[[SoftBuilder, int, Policy], None]
"""``encode(b, c, policy)``: add case ``c``'s instances of the rule to the soft model."""


def groups(keys: npt.NDArray[np.int64], pairs: range) -> Iterator[tuple[int, list[int]]]:
    """Split ``pairs`` by ``keys`` (one key per pair in ``pairs``), skipping negative keys."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(np.diff(sorted_keys)) + 1
    for chunk in np.split(order, bounds):
        if len(chunk) and keys[chunk[0]] >= 0:
            yield int(keys[chunk[0]]), [pairs.start + int(i) for i in chunk]


def case_keys(inst: Instance, c: int, reviewer_key: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per eligible pair of case ``c``, its reviewer's key (region, gender...)."""
    pairs = inst.case_pairs(c)
    return reviewer_key[inst.pair_reviewer[pairs.start : pairs.stop]]


def at_least_one_of(
    m: cp_model.CpModel, x: list[cp_model.IntVar], pairs: list[int], minimum: int = 1
) -> None:
    """At least ``minimum`` seats among ``pairs``."""
    m.add(LinearExpr.sum([x[p] for p in pairs]) >= minimum)


def at_least_distinct(
    m: cp_model.CpModel, x: list[cp_model.IntVar], groups: list[list[int]], minimum: int
) -> None:
    """At least ``minimum`` of ``groups`` (one case's pairs, per value) hold a seat.

    Two cases need no auxiliary variable, and their LP relaxation is much tighter: when
    there are exactly ``minimum`` groups, each must have a seat; when ``minimum`` is 2 and
    no pair is in two groups, every group must leave a seat to the others. Otherwise a
    Boolean per group may be true only if some seat is in it. A hint on the pairs is then
    a whole solution in the first two cases, which CP-SAT takes at once.
    """
    if len(groups) < minimum:
        m.add(LinearExpr.sum([]) >= 1)  # fewer values than needed: infeasible, as it must be
    elif len(groups) == minimum:
        for group in groups:
            at_least_one_of(m, x, group)
    elif minimum == 2 and sum(map(len, groups)) == len({p for g in groups for p in g}):
        total = {p for group in groups for p in group}
        for group in groups:
            at_least_one_of(m, x, sorted(total - set(group)))
    else:
        present = []
        for group in groups:
            y = m.new_bool_var("")
            m.add(LinearExpr.sum([x[p] for p in group]) >= y)
            present.append(y)
        m.add(LinearExpr.sum(present) >= minimum)


def floor_units(floor: float, seats: int) -> int:
    """A panel floor in solver units, lowered by the rounding of ``seats`` pairs."""
    return to_int(floor) - seats // 2


def panel_value(
    x: list[cp_model.IntVar], coeffs: npt.NDArray[np.int64], pairs: range
) -> cp_model.LinearExpr:
    """The scaled affinity of the panel over ``pairs``."""
    return LinearExpr.weighted_sum(
        [x[p] for p in pairs], [int(v) for v in coeffs[pairs.start : pairs.stop]]
    )
