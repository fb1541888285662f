"""Randomised assignment: a lottery over assignments with every pair's probability capped.

A reviewer who bids falsely to get a case (their friend's, or a rival's) wins it at most
with probability ``q = policy.random.max_probability`` (Jecmen et al., NeurIPS 2020).
:func:`randomize` computes the best such lottery (the largest expected objective) and
:class:`Lottery` draws assignments from it; every draw meets every hard rule.

Two methods (see ``docs/model.md``): ``"flow"`` when the policy's rules fit a flow
network (the capped flow LP, sampled by dependent rounding on the network), and
``"columns"`` otherwise (column generation over assignments of the full model, each of
which has passed the model, so that every draw is one of them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .._data.model import Problem
from .._data.options import SolveOptions
from .._data.policy import Policy
from .._data.result import Assignment, Phase, Result, Status, relative_gap
from .._data.rules import active
from .._errors import InfeasibleError, InputError, NoSolutionError, SolverError
from .._pipeline.exact import solve_exact
from .._pipeline.finish import RunContext, checked, finish
from .._reduce.eligible import Instance, build_instance, prefers_not_costs
from .._spec.check import check, pair_affinity

if TYPE_CHECKING:  # pragma: no cover
    from .._backends.lottery import ColumnSampler, FlowSampler

__all__ = ["Lottery", "lottery", "randomize"]

IntArray = npt.NDArray[np.int64]

_START_SAMPLES = 32
"""Column path: draws of the flow relaxation's lottery tried as starting columns."""

_PRICE_SECONDS = 1.0
_PRICE_FACTOR = 3.0
"""Column path: a pricing round's time limit, at least 1 s or 3 times the optimum's solve."""

_SHOWN = 1e-12
"""Marginals at or below this are not listed (the LP's zeros)."""


@dataclass(frozen=True, slots=True, eq=False)
class Lottery:
    """A lottery over assignments in which no (case, reviewer) pair exceeds a probability.

    Returned by :func:`reviewassign.randomize`. Every assignment it draws meets every hard
    rule of the policy (:func:`reviewassign.check` finds nothing), and the probability
    that a pair is drawn is its entry in :attr:`marginals`, at most
    :attr:`max_probability`.

    Attributes
    ----------
    max_probability
        The cap ``q`` (``policy.random.max_probability``).
    method
        ``"flow"``: the exact capped flow LP, sampled by dependent rounding on the flow
        network. ``"columns"``: a mix of assignments of the full model found by column
        generation.
    marginals
        Read-only ``(case, reviewer) -> probability`` of every pair drawn with a
        positive probability, sorted by case id, then reviewer id.
    expected_objective
        The expected objective of a draw, in the policy's units.
    optimum
        The deterministic optimum (``ra.solve`` under the same policy with
        ``max_probability = 1``).
    optimum_status
        That solve's status (``OPTIMAL`` when the optimum is proven).
    bound
        An upper bound on the expected objective of any lottery that meets the cap: the
        LP value (flow path: the capped flow LP, which this lottery attains; column path:
        the smaller of the capped LP relaxation and the column generation's Lagrangian
        bound).
    support
        Assignments the lottery draws from with positive probability (column path; 0 on
        the flow path, which draws from its fractional flow directly).
    status
        ``OPTIMAL`` when the expected objective is proven the best under the cap (flow
        path; column path when no assignment prices in); ``FEASIBLE`` when the column
        generation stopped at its time limit (the cap is met, :attr:`gap` says how far
        from the bound).
    notes
        What the computation did or could not do, in words.
    seconds
        Wall time of :func:`randomize` (not part of :meth:`to_dict`).

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id=f"C{i}", topics={"t": 1}) for i in range(2)],
    ...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 3 - i % 2}) for i in range(4)],
    ... )
    >>> policy = ra.Policy(panel_size=1, load={"max": 1}, random={"max_probability": 0.5})
    >>> lottery = ra.randomize(problem, policy)
    >>> lottery.method, lottery.max_marginal, round(lottery.share, 4)
    ('flow', 0.5, 1.0)
    >>> sample = lottery.sample(seed=7)
    >>> sample.status, ra.check(problem, policy, sample.assignment)
    (<Status.FEASIBLE: 'feasible'>, [])
    """

    max_probability: float
    method: Literal["flow", "columns"]
    marginals: Mapping[tuple[str, str], float]
    expected_objective: float
    optimum: float
    optimum_status: Status
    bound: float
    support: int
    status: Status
    notes: tuple[str, ...]
    seconds: float
    _sampler: FlowSampler | ColumnSampler = field(repr=False)
    _inst: Instance = field(repr=False)
    _source: tuple[Problem, Policy] = field(repr=False)
    _optimum_bound: float | None = field(repr=False)
    _workers: int = field(repr=False)

    @property
    def share(self) -> float:
        """``expected_objective / optimum``: the share of the optimum the lottery keeps."""
        return self.expected_objective / self.optimum if self.optimum else 1.0

    @property
    def gap(self) -> float:
        """``(bound - expected_objective) / max(|expected_objective|, 1e-9)``, never negative."""
        return relative_gap(self.expected_objective, self.bound)

    @property
    def max_marginal(self) -> float:
        """The largest probability of any pair (at most :attr:`max_probability`)."""
        return max(self.marginals.values(), default=0.0)

    def _draw(self, rng: np.random.Generator) -> IntArray:
        """The pairs of one draw of the lottery (increasing pair indices)."""
        return self._sampler.draw(rng)

    def samples(self, n: int, seed: int = 0) -> Iterator[Assignment]:
        """``n`` independent draws from one ``numpy.random.default_rng(seed)``.

        Fast: the draws are not re-checked (:meth:`sample` checks its draw). The first
        draw is the one :meth:`sample` returns for the same seed.

        Examples
        --------
        >>> import reviewassign as ra
        >>> problem = ra.Problem(
        ...     cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id=f"R{i}") for i in range(4)]
        ... )
        >>> policy = ra.Policy(panel_size=2, random={"max_probability": 0.5})
        >>> lottery = ra.randomize(problem, policy)
        >>> [len(a["C1"]) for a in lottery.samples(3, seed=1)]
        [2, 2, 2]
        """
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        rng = np.random.default_rng(seed)
        for _ in range(n):
            yield self._inst.assignment(self._draw(rng))

    def sample(self, seed: int = 0) -> Result:
        """One draw as a checked :class:`Result` (status ``FEASIBLE``).

        Its ``objective`` is the draw's own; its ``bound`` is the deterministic
        optimum's bound; a note in ``stats.notes`` gives the lottery's ``q`` and expected
        objective, and ``result.lottery`` is this lottery.
        """
        start = time.perf_counter()
        problem, policy = self._source
        chosen = self._draw(np.random.default_rng(seed))
        assignment = self._inst.assignment(chosen)
        phases = [
            # The lottery's own computation (shared by every draw), then this draw.
            Phase(name="random.lottery", seconds=self.seconds, status=self.status.value),
            Phase(name="random.sample", seconds=time.perf_counter() - start, status="done"),
        ]
        metrics, _ = checked(problem, policy, assignment, phases)
        note = (
            f"random: a sample (seed {seed}) of a lottery with max_probability "
            f"{self.max_probability:g} per pair; expected objective "
            f"{self.expected_objective:.6f}, optimum {self.optimum:.6f} "
            f"(share {100 * self.share:.2f} %)"
        )
        ctx = RunContext(
            problem, policy, SolveOptions(seed=seed, workers=self._workers, start=start), phases
        )
        ctx.notes.extend((note, *self.notes))
        # ortools is imported on the first solve, not with the package
        from .._backends.solvers import (
            BackendStatus,
            Outcome,
        )

        drawn = Outcome(BackendStatus.FEASIBLE, chosen=chosen)  # the lottery backend's answer
        result = finish(
            ctx,
            self._inst,
            drawn,
            status=Status.FEASIBLE,
            assignment=assignment,
            metrics=metrics,
            bound=self._optimum_bound,
        )
        return replace(result, lottery=self)

    def summary(self) -> dict[str, Any]:
        """The figures without the marginals: what ``Result.to_dict()["random"]`` holds."""
        return {
            "max_probability": self.max_probability,
            "method": self.method,
            "status": self.status.value,
            "expected_objective": self.expected_objective,
            "optimum": self.optimum,
            "optimum_status": self.optimum_status.value,
            "share": self.share,
            "bound": self.bound,
            "gap": self.gap,
            "max_marginal": self.max_marginal,
            "support": self.support,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: :meth:`summary`, the notes and the marginals (sorted).

        Deterministic: equal lotteries give equal dictionaries (no wall time).
        """
        return {
            **self.summary(),
            "notes": list(self.notes),
            "marginals": [[c, r, p] for (c, r), p in self.marginals.items()],
        }


def _pair_indices(inst: Instance, assignment: Assignment) -> IntArray:
    """The instance's pair indices of an assignment's pairs (every pair must be eligible)."""
    case_pos = {c: i for i, c in enumerate(inst.case_ids)}
    rev_pos = {r: i for i, r in enumerate(inst.reviewer_ids)}
    keys = np.array(
        [case_pos[c] * inst.n_reviewers + rev_pos[r] for c, r in assignment.pairs()],
        dtype=np.int64,
    )
    pair_keys = inst.pair_case * inst.n_reviewers + inst.pair_reviewer
    at = np.searchsorted(pair_keys, keys)
    if len(keys) and (
        np.any(at >= len(pair_keys))
        or np.any(pair_keys[np.minimum(at, len(pair_keys) - 1)] != keys)
    ):
        raise SolverError("the optimum holds a pair that is not eligible")  # pragma: no cover
    return np.sort(at).astype(np.int64)


def _spec_affinity(problem: Problem, inst: Instance, pairs: IntArray) -> npt.NDArray[np.float64]:
    """The affinity of each pair as :func:`reviewassign.evaluate` counts it."""
    return np.array(
        [
            pair_affinity(
                problem,
                problem.cases[int(inst.pair_case[p])],
                problem.reviewers[int(inst.pair_reviewer[p])],
            )
            for p in pairs
        ],
        dtype=np.float64,
    )


def _flow_relaxation(policy: Policy) -> Policy:
    """The policy with every rule a flow network cannot express turned off."""
    return policy.without(r.key for r in active(policy) if not r.flow(policy)).model_copy(
        update={
            "objective": policy.objective.model_copy(
                update={"kind": "affinity", "load_spread": 0.0}
            ),
        }
    )


def randomize(
    problem: Problem,
    policy: Policy | None = None,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    workers: int = 1,
) -> Lottery:
    """The best lottery over assignments with no pair above ``policy.random.max_probability``.

    Every assignment the lottery draws meets every hard rule of ``policy``; each
    (case, reviewer) pair is drawn with probability at most ``q``; among such lotteries
    the expected objective is the largest (``status`` OPTIMAL) or, when a time limit cut
    the column generation short, within :attr:`Lottery.gap` of the bound.

    Parameters
    ----------
    problem, policy
        As for :func:`reviewassign.solve`. ``policy.random.max_probability`` is ``q``; at
        1 the lottery always draws the deterministic optimum.
    time_limit
        Seconds for the whole computation (the deterministic optimum first); ``None``:
        until the lottery is proven the best.
    seed
        CP-SAT's seed for the solves (the draws take theirs in :meth:`Lottery.sample`).
    workers
        CP-SAT workers; one is deterministic.

    Returns
    -------
    Lottery

    Raises
    ------
    InfeasibleError
        If no assignment meets the policy, or no lottery meets the cap (a case whose
        eligible reviewers are too few: panel size over ``q``).
    NoSolutionError
        If the time limit ran out before an assignment, or a mix of assignments meeting
        the cap, was found.
    InputError
        Under an objective other than ``"affinity"`` (a lottery's expected worst case is
        not linear in its probabilities).

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id=f"C{i}", topics={"t": 1}) for i in range(3)],
    ...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i % 3}) for i in range(6)],
    ... )
    >>> lottery = ra.randomize(problem, ra.Policy(panel_size=2, random={"max_probability": 0.5}))
    >>> lottery.method, round(lottery.optimum, 4), round(lottery.expected_objective, 4)
    ('flow', 6.0, 5.0)
    >>> all(p <= 0.5 for p in lottery.marginals.values())
    True
    """
    start = time.perf_counter()  # the time limit counts from the call
    policy = Policy.coerce(policy)
    options = SolveOptions.checked(seed=seed, workers=workers, time_limit=time_limit, start=start)
    return lottery(problem, policy, options)


def lottery(problem: Problem, policy: Policy, options: SolveOptions) -> Lottery:
    """:func:`randomize` with its options checked; ``solve`` calls it for a lottery.

    Every option is honoured or refused: the seed, the workers, the time limit, the
    method and the progress go to the deterministic optimum (progress reports its
    incumbents); ``candidates`` may be ``"auto"`` or None (a lottery is over every
    eligible pair), an integer raises :class:`InputError`.
    """
    from .._backends import solvers  # ortools is imported on the first solve, not with the package

    _refuse(policy, options)
    if policy.random.max_probability < 1 and prefers_not_costs(problem, policy):
        raise InputError(
            "a lottery does not take prefers_not costs yet (its expected objective counts "
            "affinities as evaluate does); set their weights to 0 or max_probability = 1",
            field="objective.prefers_not",
        )
    q = policy.random.max_probability
    opt = _optimum(problem, policy, options)
    assert opt.objective is not None  # _optimum raises otherwise
    inst = build_instance(problem, policy)
    best = _pair_indices(inst, opt.assignment)
    use_flow = not solvers.FLOW.refuses(inst, policy)  # the flow backend's, as in solve
    if q >= 1.0:
        mix = _Mix.of_optimum(inst, best, opt)
    elif use_flow:
        mix = _flow_mix(inst, policy, q)
    else:
        mix = _column_mix(problem, policy, inst, best, opt, options)
    notes = list(mix.notes)
    if opt.status is not Status.OPTIMAL:
        notes.append(f"random: the deterministic optimum is not proven ({opt.status.value})")
    marginals, expected, bound = mix.marginals, mix.expected, mix.bound
    pairs = np.flatnonzero(marginals > _SHOWN)
    # In the objective's own units, as evaluate() counts each pair (it computes affinities
    # apart from the solver, e.g. for tiny topic weights); the load-spread term as solved.
    if q < 1.0:  # at 1, the optimum's own objective
        spread = float(np.dot(marginals, inst.pair_affinity)) - expected
        expected = float(np.dot(marginals[pairs], _spec_affinity(problem, inst, pairs))) - spread
        bound = max(bound, expected)
    shown = sorted(
        (
            (inst.case_ids[int(inst.pair_case[p])], inst.reviewer_ids[int(inst.pair_reviewer[p])]),
            float(marginals[p]),
        )
        for p in pairs
    )
    return Lottery(
        max_probability=q,
        method="flow" if use_flow else "columns",
        marginals=MappingProxyType(dict(shown)),
        expected_objective=float(expected),
        optimum=float(opt.objective),
        optimum_status=opt.status,
        bound=float(bound),
        support=mix.support,
        status=mix.status,
        notes=tuple(notes),
        seconds=time.perf_counter() - options.start,
        _sampler=mix.sampler,
        _inst=inst,
        _source=(problem, policy),
        _optimum_bound=opt.bound,
        _workers=options.workers,
    )


def _refuse(policy: Policy, options: SolveOptions) -> None:
    """Raise :class:`InputError` for an option or a policy a lottery cannot honour."""
    if options.forced:
        raise InputError(
            "a lottery cannot keep forced pairs (each would need probability 1, above "
            "random.max_probability); solve without forced pairs, or with max_probability = 1",
            field="forced",
        )
    if options.candidates not in ("auto", None):
        raise InputError(
            f"a lottery is over every eligible pair, not candidates={options.candidates!r}",
            field="candidates",
        )
    if policy.objective.levels != ("objective",):
        raise InputError(
            f'randomised assignment needs objective.kind = "affinity" and no priorities, not '
            f"{policy.objective.kind!r} {list(policy.objective.priorities)}: the expected "
            "worst case (or profile) of a lottery is not linear in its probabilities",
            field="random.max_probability",
        )
    rep = policy.representation
    if rep.weight > 0 and (rep.region_on or rep.gender_on or rep.bands_on):
        raise InputError(
            "randomised assignment needs hard representation bands (representation.weight "
            "= 0): the expected seats outside weighted bands are not linear",
            field="random.max_probability",
        )


def _optimum(problem: Problem, policy: Policy, options: SolveOptions) -> Result:
    """The deterministic optimum over every eligible pair, with the call's options."""
    deterministic = policy.model_copy(
        update={"random": policy.random.model_copy(update={"max_probability": 1.0})}
    )
    opt = solve_exact(problem, deterministic, replace(options, candidates=None))
    if opt.status is Status.INFEASIBLE:
        raise InfeasibleError(
            "no assignment meets every hard rule of the policy", status=Status.INFEASIBLE
        )
    if opt.status is Status.NO_SOLUTION or opt.objective is None:
        raise NoSolutionError("the time limit was reached before any assignment was found")
    return opt


@dataclass(frozen=True, slots=True)
class _Mix:
    """A lottery as computed: its sampler, marginals, value and bound (solver units)."""

    sampler: FlowSampler | ColumnSampler
    marginals: npt.NDArray[np.float64]
    expected: float
    bound: float
    support: int = 0
    status: Status = Status.OPTIMAL
    notes: tuple[str, ...] = ()

    @classmethod
    def of_optimum(cls, inst: Instance, best: IntArray, opt: Result) -> _Mix:
        """At ``q = 1``: the deterministic optimum, always."""
        from .._backends.lottery import (
            ColumnSampler,  # ortools is imported on the first solve, not with the package
        )

        assert opt.objective is not None
        marginals = np.zeros(inst.n_pairs)
        marginals[best] = 1.0
        bound = opt.bound if opt.bound is not None else opt.objective
        sampler = ColumnSampler((best,), np.ones(1))
        return cls(sampler, marginals, opt.objective, bound, 1, opt.status)


def _flow_mix(inst: Instance, policy: Policy, q: float) -> _Mix:
    """The exact capped flow LP, sampled by dependent rounding on the network."""
    from .._backends.lottery import (
        capped_flow,  # ortools is imported on the first solve, not with the package
    )

    flow = capped_flow(inst, policy, q)
    if flow is None:
        raise InfeasibleError(_no_lottery(inst, q), status=Status.INFEASIBLE)
    return _Mix(flow.sampler, flow.marginals, flow.value, flow.value)


def _starting_columns(
    problem: Problem, policy: Policy, inst: Instance, best: IntArray, seed: int
) -> list[IntArray]:
    """The optimum, then the draws of the flow relaxation's lottery that meet every rule."""
    from .._backends.lottery import (
        capped_flow,  # ortools is imported on the first solve, not with the package
    )

    q = policy.random.max_probability
    starts = [best]
    first = capped_flow(inst, _flow_relaxation(policy), q)
    if first is None:
        raise InfeasibleError(_no_lottery(inst, q), status=Status.INFEASIBLE)
    rng = np.random.default_rng(seed)
    for _ in range(_START_SAMPLES):
        chosen = first.sampler.draw(rng)
        if not check(problem, policy, inst.assignment(chosen)):
            starts.append(chosen)
    return starts


def _column_mix(
    problem: Problem,
    policy: Policy,
    inst: Instance,
    best: IntArray,
    opt: Result,
    options: SolveOptions,
) -> _Mix:
    """Column generation over assignments of the full model, from the optimum and draws.

    The draws of the flow relaxation's lottery that meet every rule join the optimum
    as starting columns.
    """
    # ortools is imported on the first solve, not with the package
    from .._backends.lottery import (
        capped_relaxation,
        column_lottery,
    )

    q = policy.random.max_probability
    starts = _starting_columns(problem, policy, inst, best, options.seed)
    kept = len(starts) - 1
    lp = capped_relaxation(inst, policy, q)
    if lp is None:
        raise InfeasibleError(
            _no_lottery(inst, q) + " (the capped LP relaxation is infeasible)",
            status=Status.INFEASIBLE,
        )
    found = column_lottery(
        inst,
        policy,
        q,
        starts,
        options,
        upper=lp,
        # A round's pricing gets a few times the deterministic solve: any assignment
        # that prices in will do until the last round, which must be proven.
        price_seconds=max(_PRICE_SECONDS, _PRICE_FACTOR * opt.stats.wall_time),
    )
    if found.status == "infeasible":
        raise InfeasibleError(
            f"no lottery over assignments meeting every rule keeps every pair at or below "
            f"probability {q:g}: the least achievable largest probability is about "
            f"{found.least_cap:.4f}",
            status=Status.INFEASIBLE,
        )
    if found.sampler is None:
        raise NoSolutionError(
            f"the time limit was reached before a mix of assignments keeping every pair at or "
            f"below probability {q:g} was found (the best found reaches {found.least_cap:.4f})"
        )
    support = len(found.sampler.columns)
    status = Status.OPTIMAL if found.status == "optimal" else Status.FEASIBLE
    notes = [
        f"random: column generation, {found.rounds} rounds, {found.columns} assignments "
        f"({kept} of {_START_SAMPLES} flow-relaxation draws met every rule), "
        f"{support} in the lottery; capped LP relaxation {lp:.6f}"
    ]
    if status is Status.FEASIBLE:
        notes.append("random: the time limit stopped the column generation; see the gap")
    bound = max(found.value, min(lp, found.lagrangian))
    return _Mix(found.sampler, found.marginals, found.value, bound, support, status, tuple(notes))


def _no_lottery(inst: Instance, q: float) -> str:
    """Why no lottery meets the cap, naming the first case with too few reviewers."""
    counts = np.diff(inst.pair_start)
    short = np.flatnonzero(counts * q < inst.panel_size - 1e-9)
    if len(short):
        c = int(short[0])
        return (
            f"no lottery keeps every pair at or below probability {q:g}: case "
            f"{inst.case_ids[c]} has {int(counts[c])} eligible reviewers for "
            f"{int(inst.panel_size[c])} seats, so some pair has probability at least "
            f"{int(inst.panel_size[c]) / max(1, int(counts[c])):.4f}"
        )
    return (
        f"no lottery keeps every pair at or below probability {q:g} under the policy's "
        "loads and panel rules (the capped LP is infeasible)"
    )
