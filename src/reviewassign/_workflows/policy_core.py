"""Cores over policy keys, and the policy-wide change of each key that restores feasibility.

A handful of keys is on in a policy (``load.max``, ``panel.max_per_gender``,
``expertise.coverage``...). A *key core* is a set of them that cannot hold together: the
policy with every other key at its loosest (its last :attr:`Rule.loosen
<reviewassign._data.rules.Rule.loosen>` step, off where it can be) is infeasible. It is
shrunk by deletion, one key at a time, and called irreducible only when every test was
decided.

Each test asks: is this policy infeasible? The necessary checks of ``explain`` answer at
once when one fails (each is a proof); otherwise a solve with the time left decides
(``OPTIMAL``/``FEASIBLE``: feasible; ``INFEASIBLE``: proven infeasible; else unknown).

For each key of the core, the smallest policy-wide change that restores feasibility with
every other key as it is: its loosening steps are searched by halving (feasibility only
grows along them), the first feasible step is solved, and its price is the objective it
loses against the least restrictive policy (every key of the core at its loosest).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .._data.model import Problem
from .._data.options import SolveOptions
from .._data.policy import Policy
from .._data.result import Result, Status
from .._data.rules import Steps, active
from .._pipeline.exact import solve_exact

__all__ = ["KeyCore", "PolicyStep", "key_core", "loosest"]

Verdict = Literal["infeasible", "feasible", "unknown"]

_TEST_LIMIT = 5.0
"""Seconds at most for one solve of the key search (each test of a key set, each step). A
test needs an assignment, not an optimum: a solve cut short with one is decided (its
objective, and so a price, is then marked not proven)."""


@dataclass(frozen=True, slots=True)
class PolicyStep:
    """The smallest policy-wide change of one key that restores feasibility, verified.

    ``restores``: True when a solve found an assignment under the change (``objective``
    its best, ``proven`` whether optimal); False when no step of the key does (every
    step was proven infeasible, the key off included); None when the time ran out.
    ``price``: the objective lost against the least restrictive policy (every key of the
    core at its loosest), when both are known.
    """

    key: str
    settings: Mapping[str, object]
    change: str
    restores: bool | None
    objective: float | None = None
    proven: bool = False
    price: float | None = None
    reference: float | None = None


@dataclass(frozen=True, slots=True)
class KeyCore:
    """The keys that cannot hold together, whether that is proven minimal, and the steps."""

    status: Verdict
    """``"infeasible"``: the keys cannot hold together (a proof); ``"feasible"``; or
    ``"unknown"`` (the first test was not decided within the time)."""
    keys: tuple[str, ...]
    irreducible: bool
    steps: tuple[PolicyStep, ...]
    seconds: float
    tests: int
    considered: tuple[str, ...] = ()
    """Every key the policy turns on that a policy-wide change can loosen."""


@dataclass(slots=True)
class _Oracle:
    """Decides whether a policy can be met: the checks first, then a solve."""

    problem: Problem
    seed: int
    deadline: float | None
    forced: tuple[tuple[str, str], ...]
    checks: Callable[[Problem, Policy], bool]
    """Whether a necessary check fails (a proof of infeasibility)."""
    tests: int = 0
    seen: dict[str, tuple[Verdict, Result | None]] = field(default_factory=dict)

    def left(self) -> float | None:
        """Seconds left (None: no deadline)."""
        return None if self.deadline is None else max(0.0, self.deadline - time.perf_counter())

    def solve(self, policy: Policy, limit: float = _TEST_LIMIT) -> Result | None:
        """A solve of ``policy`` within ``limit`` and the time left; None when no time is left."""
        left = self.left()
        if left is not None and left <= 0.05:
            return None
        seconds = limit if left is None else min(limit, left)
        options = SolveOptions.checked(seed=self.seed, time_limit=seconds, forced=self.forced)
        return solve_exact(self.problem, policy, options)

    def verdict(self, policy: Policy) -> tuple[Verdict, Result | None]:
        """Whether ``policy`` can be met, and the solve that says so (None after a check).

        Decided verdicts are kept: a policy met twice is tested once.
        """
        key = policy.model_dump_json()
        if key in self.seen:
            return self.seen[key]
        self.tests += 1
        found: tuple[Verdict, Result | None]
        if self.checks(self.problem, policy):
            found = "infeasible", None
        else:
            result = self.solve(policy)
            if result is None:
                return "unknown", None
            if result.status is Status.INFEASIBLE:
                found = "infeasible", result
            else:
                found = ("feasible" if result.ok else "unknown"), result
        if found[0] != "unknown":
            self.seen[key] = found
        return found


def _keys(policy: Policy) -> list[str]:
    """The keys the policy turns on that a policy-wide change can loosen, in check order."""
    return [r.key for r in active(policy) if r.loosen(policy)]


def loosest(policy: Policy, keys: Sequence[str]) -> Policy:
    """``policy`` with each of ``keys`` at its last loosening step."""
    settings: dict[str, object] = {}
    for rule in active(policy):
        if rule.key in keys:
            steps = rule.loosen(policy)
            if steps:
                settings.update(steps[-1])
    return policy.with_settings(settings)


def _shrink(oracle: _Oracle, policy: Policy, keys: list[str]) -> tuple[list[str], bool]:
    """Deletion over keys: those whose loosening leaves the rest infeasible are dropped."""
    core, necessary = list(keys), list[str]()
    while core:
        candidate, rest = core[0], core[1:]
        verdict, _ = oracle.verdict(loosest(policy, [k for k in keys if k not in necessary + rest]))
        if verdict == "infeasible":
            core = rest
        elif verdict == "feasible":
            necessary.append(candidate)
            core = rest
        else:
            return necessary + core, False
    return necessary, True


def _words(policy: Policy, settings: Mapping[str, object]) -> str:
    """A change of settings in words: ``set panel.max_per_gender from 1 to 2``."""
    data = policy.model_dump(warnings=False)
    said = []
    for dotted, value in settings.items():
        section, _, name = dotted.partition(".")
        now = data[section][name] if name else data[section]
        if dotted == "panel.rules":
            said.append(_rules_words(policy, value))
        else:
            said.append(f"set {dotted} from {_value(now)} to {_value(value)}")
    return "; ".join(said)


def _value(value: object) -> str:
    """A setting's value as the policy file writes it."""
    if value is None:
        return "none (off)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value}"


def _rules_words(policy: Policy, value: object) -> str:
    """A loosening of the ``[[panel.rules]]`` entries in words."""
    if not value:
        return "drop every [[panel.rules]] entry"
    entries = value if isinstance(value, tuple) else ()
    return "loosen the [[panel.rules]] entries to: " + "; ".join(
        f'"{r.name}" {r.words()}' for r in entries
    )


def _first_feasible(
    oracle: _Oracle, policy: Policy, steps: Steps
) -> tuple[int | None, bool, Result | None]:
    """The first step that can be met, whether every test was decided, and its solve.

    Feasibility only grows along the steps, and the smallest changes are the likely ones:
    steps 0, 1, 3, 7, 15... are tried until one can be met (the last step at the end),
    then the range below it is halved. A failing necessary check answers most of the
    infeasible tests at once.
    """
    below, at = -1, 0
    while True:
        verdict, result = oracle.verdict(policy.with_settings(steps[at]))
        if verdict == "unknown":
            return None, False, None
        if verdict == "feasible":
            break
        if at == len(steps) - 1:
            return None, True, None
        below, at = at, min(2 * at + 1, len(steps) - 1)
    lo, hi, best = below + 1, at, result
    while lo < hi:
        mid = (lo + hi) // 2
        verdict, found = oracle.verdict(policy.with_settings(steps[mid]))
        if verdict == "feasible":
            hi, best = mid, found
        elif verdict == "infeasible":
            lo = mid + 1
        else:
            return hi, False, best
    return hi, True, best


def _step(oracle: _Oracle, policy: Policy, key: str) -> PolicyStep:
    """The smallest change of ``key`` that restores feasibility, and its price.

    The price is the objective lost against the policy with ``key`` at its loosest (every
    other key as it is): what keeping the key at this step costs.
    """
    steps = next(r for r in active(policy) if r.key == key).loosen(policy)
    found, decided, result = _first_feasible(oracle, policy, steps)
    if found is None:
        return PolicyStep(key, steps[-1], _words(policy, steps[-1]), False if decided else None)
    settings = steps[found]
    change = _words(policy, settings)
    if not decided:
        change += " (a smaller change may do: the time ran out before it was tested)"
    if result is None or not result.ok:  # pragma: no cover - a feasible verdict has a solve
        return PolicyStep(key, settings, change, True)
    loosest = oracle.verdict(policy.with_settings(steps[-1]))[1]
    reference = loosest.objective if loosest is not None and loosest.ok else None
    proven = result.status is Status.OPTIMAL and (
        loosest is not None and loosest.status is Status.OPTIMAL
    )
    objective = result.objective
    price = None if reference is None or objective is None else max(0.0, reference - objective)
    return PolicyStep(key, settings, change, True, objective, proven, price, reference)


def key_core(
    problem: Problem,
    policy: Policy,
    *,
    checks: Callable[[Problem, Policy], bool],
    time_limit: float | None,
    seed: int = 0,
    forced: tuple[tuple[str, str], ...] = (),
    steps: bool = True,
) -> KeyCore:
    """The policy keys that cannot hold together, and each one's restoring change.

    ``checks(problem, policy)`` says whether a necessary check fails. With ``steps``, each
    key of the core gets its smallest restoring change, ranked by price.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    oracle = _Oracle(problem, seed, deadline, forced, checks)
    keys = _keys(policy)
    verdict, _ = oracle.verdict(policy)
    if verdict != "infeasible":
        seconds = time.perf_counter() - t0
        return KeyCore(verdict, (), False, (), seconds, oracle.tests, tuple(keys))
    core, irreducible = _shrink(oracle, policy, keys)
    found: list[PolicyStep] = []
    if steps:
        found = sorted((_step(oracle, policy, key) for key in core), key=_rank)
    seconds = time.perf_counter() - t0
    return KeyCore(
        "infeasible", tuple(core), irreducible, tuple(found), seconds, oracle.tests, tuple(keys)
    )


def _rank(step: PolicyStep) -> tuple[int, float, str]:
    """Restoring steps first, cheapest first; then undecided; then those that do not."""
    order = {True: 0, None: 1, False: 2}[step.restores]
    return order, step.price if step.price is not None else float("inf"), step.key
