"""``solve``: from a problem and a policy to a checked result, routed by the policy.

:func:`solve` checks its options into one :class:`SolveOptions` and routes: a lottery
(``[random] max_probability < 1``, ``_workflows/random.py``), ``relax="minimal"``
(``_workflows/relax.py``), or the exact path (``_pipeline/exact.py``), whose module says
its steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Literal

from .._data.model import Problem
from .._data.options import Method, SolveOptions, check_options
from .._data.policy import Policy
from .._data.result import Progress, Result
from .._errors import InputError
from .._pipeline.exact import input_hash, solve_exact
from .._reduce.forced import checked_forced
from .random import lottery
from .relax import solve_relaxed

__all__ = ["check_options", "input_hash", "solve", "solve_exact"]


def solve(
    problem: Problem,
    policy: Policy | None = None,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    progress: Callable[[Progress], None] | None = None,
    workers: int = 1,
    method: Method = "auto",
    candidates: int | Literal["auto"] | None = "auto",
    relax: Literal["none", "minimal"] = "none",
    forced: Iterable[tuple[str, str]] = (),
) -> Result:
    """Assign every case a panel that meets every hard rule and maximises the objective.

    Parameters
    ----------
    problem
        Cases, reviewers, conflicts, relations and given affinities.
    policy
        The rules and the objective; ``None`` is the neutral ``Policy()``.
    time_limit
        Seconds, counted from the call and covering every phase (reading the instance,
        building the model, the LP, the search, the final check); when reached, the best
        assignment found so far is returned with status ``FEASIBLE``: the search's, else
        a constructive start that meets the hard rules (checked, with a bound), else
        ``NO_SOLUTION``. A step that cannot be interrupted starts only if its estimate
        fits in what is left. ``None``: no limit.
    seed
        CP-SAT's random seed. The same input, policy, seed and ``workers`` give the same
        assignment when the solve finishes within the time limit.
    progress
        Called with a :class:`Progress` on every new incumbent of the CP-SAT backend.
    workers
        CP-SAT search workers. One worker is deterministic and, with the LP-heavy
        parameters used here, the fastest on small machines.
    method
        ``"auto"``: a min-cost flow when the policy fits one; else, from 5,000 eligible
        pairs on, the LP relaxation leads CP-SAT (``"lp"``); else plain CP-SAT.
        ``"flow"`` fails with :class:`InputError` (a ``ValueError``) if the policy does not
        fit a flow; ``"lp"`` and ``"cpsat"`` force those paths.
    candidates
        Prune each case to its best eligible reviewers. An integer ``K`` keeps each
        case's ``K`` best, plus the best ``panel_size`` of every group a panel rule reads
        (each region, gender, covering topic...); ``None`` keeps every eligible pair;
        ``"auto"`` prunes from 2,000,000 cases x reviewers on (under a time limit, from
        10,000 a second of it), to ``max(30, 10 * panel_size)``, under the affinity
        objective only. The bound stays
        a bound over every eligible pair: the flow path prices the pruned pairs with its
        node potentials and adds those that could improve the optimum until none can
        (so ``OPTIMAL`` is the optimum of the whole problem); CP-SAT paths report a
        Lagrangian bound over every eligible pair. If the candidates cannot meet the
        rules, the solve is repeated with every eligible pair.
    relax
        ``"minimal"``: when the policy cannot be met in full, return the best assignment
        that breaks the fewest rule instances (one rule on one case, topic or reviewer),
        weighted by ``policy.relax.priority``; rules in ``policy.relax.keep`` (default:
        reviewers' maximum loads), panel sizes and conflicts of interest are never
        broken. The broken rules are listed in ``Result.broken``, as
        :func:`reviewassign.check` reports them. Three CP-SAT steps share the time
        limit (least breach, fewest broken, best objective); under a time limit the
        count may not be proven the least (status ``FEASIBLE`` and a note say so).
        Always over every eligible pair, with one worker.
    forced
        ``(case, reviewer)`` pairs every returned assignment holds (chairs, required
        experts): fixed on in every mode (``relax="minimal"`` never breaks one) and
        recorded in ``Result.forced``. A forced pair that is not eligible (a conflict of
        interest, language, own region excluded) or forced pairs that alone exceed a
        panel size, a maximum load, the region or gender cap or a disjoint pair raise
        :class:`InputError` naming the pair and the rule; any other infeasibility they
        cause is an ``INFEASIBLE`` result. A lottery refuses forced pairs.

    Returns
    -------
    Result
        Status, assignment, objective, bound, gap, stats and metrics. Every returned
        assignment has passed :func:`reviewassign.check`.

    Raises
    ------
    InputError
        An option out of range (``seed``, ``workers``, ``time_limit``, ``candidates``,
        ``method``, ``relax``), or one that cannot apply: ``relax="minimal"`` or an
        integer ``candidates`` under ``[random] max_probability < 1`` (a lottery is over
        every eligible pair), ``method="flow"`` for a policy a flow cannot express (the
        message names what it cannot take); a forced pair that breaks a hard rule
        (``field`` ``forced[j]``, or ``forced`` for a cap they exceed together).

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", topics={"t1": 1}), ra.Case(id="C2", topics={"t2": 1})],
    ...     reviewers=[ra.Reviewer(id="R1", expertise={"t1": 3}),
    ...                ra.Reviewer(id="R2", expertise={"t2": 3}),
    ...                ra.Reviewer(id="R3", expertise={"t1": 1, "t2": 1})],
    ... )
    >>> result = ra.solve(problem, ra.Policy(panel_size=1, load={"max": 1}))
    >>> result.status, result.objective
    (<Status.OPTIMAL: 'optimal'>, 2.0)
    >>> dict(result.assignment)
    {'C1': ('R1',), 'C2': ('R2',)}
    """
    start = time.perf_counter()  # the time limit counts from the call
    policy = Policy.coerce(policy)
    options = SolveOptions.checked(
        seed=seed,
        workers=workers,
        time_limit=time_limit,
        progress=progress,
        method=method,
        candidates=candidates,
        start=start,
        forced=checked_forced(problem, policy, forced),
    )
    if relax not in ("none", "minimal"):
        raise InputError(f'relax must be "none" or "minimal", got {relax!r}', field="relax")
    if policy.random.max_probability < 1:
        if relax != "none":
            raise InputError(
                'relax="minimal" does not combine with [random] max_probability < 1',
                field="relax",
            )
        return lottery(problem, policy, options).sample(seed)
    if relax == "minimal":
        return solve_relaxed(problem, policy, options)
    return solve_exact(problem, policy, options)
