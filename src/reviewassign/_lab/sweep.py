"""``sweep`` and ``grid``: many solves of one problem, in parallel, on any executor.

A sweep is one task per (policy, seed). Each task is a call of the module-level
:func:`_run_task` with plain picklable arguments (the problem pickled once, as bytes; the
policy; the seed), so that a ``concurrent.futures.ProcessPoolExecutor``, a
``ThreadPoolExecutor`` and the executor of a Dask ``distributed.Client``
(``client.get_executor()``) all run it unchanged. A task that raises returns its error
instead of a result; a future that fails (a dead worker, a broken pool) is recorded on its
task; no failure loses the other tasks.
"""

from __future__ import annotations

import copy
import itertools
import os
import pickle
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from .._data.model import Problem
from .._data.policy import Policy
from .._data.result import Result
from .._workflows.solve import solve
from .compare import Comparison

__all__ = ["SweepResult", "SweepTask", "grid", "sweep"]

ProgressCallback = Callable[[int, int, int], None]
"""Called as ``(done, total, failed)`` each time a task completes."""

_BAR_WIDTH = 30


# --------------------------------------------------------------------------------------
# grid


def _format_value(value: Any) -> str:
    """A swept value as text: a string as it is, anything else as its repr."""
    return value if isinstance(value, str) else repr(value)


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``data[a][b]...`` for the dotted ``key`` ``"a.b..."``; ``ValueError`` if absent."""
    parts = key.split(".")
    node = data
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(parts[: depth + 1])
            raise ValueError(f"grid: {key!r} is not a policy key ({where!r} does not exist)")
        if depth == len(parts) - 1:
            node[part] = value
        else:
            node = node[part]


def grid(base: Policy, axes: Mapping[str, Sequence[Any]]) -> dict[str, Policy]:
    """Every combination of the values of some policy keys, as named policies.

    Parameters
    ----------
    base
        The policy every combination starts from.
    axes
        Dotted policy keys (``"panel_size"``, ``"load.max"``,
        ``"panel.min_genders"``...) and the values each takes. The first key varies
        slowest (``itertools.product`` order).

    Returns
    -------
    dict of str to Policy
        In product order, each named ``"key=value, key=value"``; every policy validated.

    Raises
    ------
    ValueError
        If there is no axis, an axis has no values, a key is not a policy key, or a
        value (or a combination, e.g. ``load.min`` above ``load.max``) is invalid: the
        message names the key and the value.

    Examples
    --------
    >>> import reviewassign as ra
    >>> policies = ra.grid(ra.Policy(), {"panel_size": [2, 3], "load.max": [4, 5]})
    >>> list(policies)
    ['panel_size=2, load.max=4', 'panel_size=2, load.max=5', 'panel_size=3, load.max=4', 'panel_size=3, load.max=5']
    >>> policies["panel_size=3, load.max=4"].load.max
    4
    """  # noqa: E501 - a doctest's output is one line
    if not axes:
        raise ValueError("grid: give at least one axis (a dotted policy key and its values)")
    keys = list(axes)
    values: list[list[Any]] = []
    for key in keys:
        if isinstance(axes[key], str | bytes):
            raise ValueError(f"grid: the values of {key!r} must be a sequence, not a string")
        values.append(list(axes[key]))
        if not values[-1]:
            raise ValueError(f"grid: the axis {key!r} has no values")
    base_data = base.model_dump()
    # Each value alone first, so that an invalid one is named by its own key.
    for key, options in zip(keys, values, strict=True):
        for value in options:
            _validated(base_data, {key: value})
    out: dict[str, Policy] = {}
    for combo in itertools.product(*values):
        chosen = dict(zip(keys, combo, strict=True))
        name = ", ".join(f"{k}={_format_value(v)}" for k, v in chosen.items())
        if name in out:
            raise ValueError(f"grid: the combination {name!r} appears twice (repeated values)")
        out[name] = _validated(base_data, chosen)
    return out


def _validated(base_data: dict[str, Any], chosen: Mapping[str, Any]) -> Policy:
    """The policy of ``base_data`` with the ``chosen`` dotted keys set, validated."""
    data = copy.deepcopy(base_data)
    for key, value in chosen.items():
        _set_dotted(data, key, value)
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        what = ", ".join(f"{k}={_format_value(v)!s}" for k, v in chosen.items())
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"grid: invalid policy at {what}: {errors}") from exc


# --------------------------------------------------------------------------------------
# The task, run in a worker


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a task sends back: a result (without its source) or an error."""

    result: Result | None
    error: str | None
    traceback: str | None
    seconds: float


def _run_task(
    problem_blob: bytes,
    policy: Policy,
    seed: int,
    time_limit: float | None,
    workers: int,
) -> _Outcome:
    """Solve one (policy, seed) in a worker; an exception becomes the outcome's error.

    The result goes back without ``_source`` (the problem and policy): the caller has
    both, and the problem would be the largest part of the message.
    """
    t0 = time.perf_counter()
    try:
        problem = pickle.loads(problem_blob)
        result = solve(problem, policy, time_limit=time_limit, seed=seed, workers=workers)
    except Exception as exc:  # every failure is the task's outcome, not the sweep's end
        return _Outcome(None, _describe(exc), traceback.format_exc(), time.perf_counter() - t0)
    return _Outcome(replace(result, _source=None), None, None, time.perf_counter() - t0)


def _describe(exc: BaseException) -> str:
    """``"Type: message"`` on one line (a pydantic error: each field and its message)."""
    if isinstance(exc, ValidationError):
        found = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or exc.title}: {e['msg']}" for e in exc.errors()
        )
        return f"ValidationError: invalid {exc.title}: {found}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------------------
# What a sweep returns


@dataclass(frozen=True, slots=True)
class SweepTask:
    """One solve of a sweep: a named policy and a seed, and its result or error."""

    name: str
    """The policy's name: its key in the mapping given to ``sweep``, or ``"policy i"``."""
    seed: int
    policy: Policy
    result: Result | None
    """The result (whatever its status), or None if the task failed."""
    error: str | None = None
    """``"ExceptionType: message"`` when the task failed, else None."""
    seconds: float = 0.0
    """Wall time of the task in its worker (0 if it never ran)."""
    traceback: str | None = field(default=None, compare=False, repr=False)
    """The worker's traceback of a failed task, for debugging."""

    @property
    def ok(self) -> bool:
        """Whether the task returned a result (of any status)."""
        return self.result is not None


@dataclass(frozen=True, slots=True)
class SweepResult:
    """The tasks of a sweep, in input order (policies outer, seeds inner).

    Examples
    --------
    >>> import reviewassign as ra
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", topics={"t": 1})],
    ...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i % 3}) for i in range(4)],
    ... )
    >>> with ThreadPoolExecutor(2) as pool:
    ...     swept = ra.sweep(problem, ra.grid(ra.Policy(), {"panel_size": [1, 2]}),
    ...                      executor=pool, progress=False)
    >>> [(t.name, t.result.objective) for t in swept]
    [('panel_size=1', 1.0), ('panel_size=2', 1.6666666666666665)]
    """

    tasks: tuple[SweepTask, ...]
    seconds: float
    """Wall time of the whole sweep."""
    problem: Problem | None = field(default=None, compare=False, repr=False)
    """The problem swept (for :meth:`compare`)."""

    @property
    def ok(self) -> list[SweepTask]:
        """The tasks that returned a result (of any status), in input order."""
        return [t for t in self.tasks if t.result is not None]

    @property
    def failed(self) -> list[SweepTask]:
        """The tasks that failed, in input order."""
        return [t for t in self.tasks if t.result is None]

    def results(self, seed: int | None = None) -> dict[str, Result]:
        """``{policy name: result}`` of one seed's tasks that returned a result.

        ``seed`` defaults to 0 if the sweep ran it, else to the sweep's first seed.
        """
        seed = self._seed(seed)
        return {t.name: t.result for t in self.tasks if t.seed == seed and t.result is not None}

    def compare(self, *, baseline: str | None = None, seed: int | None = None) -> Comparison:
        """One seed's results side by side, as :func:`reviewassign.compare` shows them.

        Rows follow the sweep's policy order; a failed task is a row with status
        ``"error"`` and its message. ``baseline`` defaults to the first policy; ``seed``
        as in :meth:`results`.

        Examples
        --------
        >>> import reviewassign as ra
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> problem = ra.Problem(
        ...     cases=[ra.Case(id="C1", topics={"t": 1})],
        ...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i % 3}) for i in range(4)],
        ... )
        >>> with ThreadPoolExecutor(2) as pool:
        ...     swept = ra.sweep(problem, ra.grid(ra.Policy(), {"panel_size": [1, 2]}),
        ...                      executor=pool, progress=False)
        >>> [(row.policy, row.objective) for row in swept.compare().rows]
        [('panel_size=1', 1.0), ('panel_size=2', 1.6666666666666665)]
        """
        if self.problem is None:
            raise ValueError("this sweep result holds no problem; use Comparison.from_results")
        seed = self._seed(seed)
        mine = [t for t in self.tasks if t.seed == seed]
        return Comparison.from_results(
            self.problem,
            {t.name: t.result for t in mine if t.result is not None},
            baseline=baseline,
            seconds={t.name: t.seconds for t in mine},
            errors={t.name: t.error or "failed" for t in mine if t.result is None},
            order=[t.name for t in mine],
        )

    def _seed(self, seed: int | None) -> int:
        """``seed``, else the tasks' seed (0 when any task used 0)."""
        if seed is not None:
            return seed
        seeds = [t.seed for t in self.tasks]
        return 0 if 0 in seeds or not seeds else seeds[0]

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[SweepTask]:
        return iter(self.tasks)

    def __str__(self) -> str:
        lines = [
            f"sweep: {len(self.tasks)} tasks, {len(self.ok)} ok, {len(self.failed)} failed, "
            f"{self.seconds:.1f} s"
        ]
        lines += [f"  failed: {t.name} (seed {t.seed}): {t.error}" for t in self.failed[:10]]
        if len(self.failed) > 10:
            lines.append(f"  ... and {len(self.failed) - 10} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------
# sweep


def _cpu_count() -> int:
    """The CPUs this process may use."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counted is not None:
        return int(counted() or 1)
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0))
    return os.cpu_count() or 1


def _named(policies: Mapping[str, Policy] | Sequence[Policy]) -> list[tuple[str, Policy]]:
    """The policies with their names (``policy i`` for a sequence)."""
    if isinstance(policies, Mapping):
        named = [(str(k), v) for k, v in policies.items()]
    elif isinstance(policies, Policy | str | bytes):
        raise TypeError("policies must be a mapping of names to policies or a sequence of them")
    else:
        named = [(f"policy {i}", p) for i, p in enumerate(policies)]
    for name, policy in named:
        if not isinstance(policy, Policy):
            raise TypeError(f"policies: {name!r} is a {type(policy).__name__}, not a Policy")
    return named


class _Bar:
    """The text progress bar on stderr: ``[######    ] 37/100 tasks, 3 failed, 12.3 s``."""

    def __init__(self, total: int, start: float) -> None:
        self.total, self.start = total, start

    def __call__(self, done: int, total: int, failed: int) -> None:
        filled = _BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + " " * (_BAR_WIDTH - filled)
        elapsed = time.perf_counter() - self.start
        sys.stderr.write(
            f"\r[{bar}] {done}/{total} tasks, {failed} failed, {elapsed:.1f} s"
            + ("\n" if done == total else "")
        )
        sys.stderr.flush()


def sweep(
    problem: Problem,
    policies: Mapping[str, Policy] | Sequence[Policy],
    *,
    executor: Executor | None = None,
    seeds: Sequence[int] = (0,),
    time_limit: float | None = None,
    workers_per_solve: int = 1,
    progress: bool | ProgressCallback = True,
) -> SweepResult:
    """Solve ``problem`` under many policies (and seeds) in parallel.

    Parameters
    ----------
    problem
        The problem every task solves. It is pickled once and sent to each task as bytes.
    policies
        Named policies (e.g. from :func:`grid`), or a sequence of policies, named
        ``"policy 0"``, ``"policy 1"``...
    executor
        Any ``concurrent.futures.Executor``: a ``ProcessPoolExecutor``, a
        ``ThreadPoolExecutor``, or a Dask cluster's ``distributed.Client(...).get_executor()``.
        It is used as is and not shut down. ``None``: a process pool with one process per
        usable CPU, created and shut down here.
    seeds
        One task per policy and seed (policies outer, seeds inner).
    time_limit
        Each solve's time limit in seconds (``None``: none).
    workers_per_solve
        CP-SAT workers of each solve. One (the default) makes every solve deterministic:
        the same inputs give the same assignments on every executor.
    progress
        ``True``: a text progress bar of completed tasks on stderr; ``False``: nothing;
        a callable: called as ``(done, total, failed)`` each time a task completes.

    Returns
    -------
    SweepResult
        Every task, in input order, with its result or its error. A task that raises (an
        invalid policy, a bad argument) or whose future fails (a dead worker, a broken
        pool) is reported on that task; the others are unaffected.

    Raises
    ------
    ValueError
        If ``seeds`` is empty or repeats a seed, or ``workers_per_solve`` is below 1.
    TypeError
        If ``policies`` is not a mapping or sequence of :class:`Policy`.

    Examples
    --------
    >>> import reviewassign as ra
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", topics={"t": 1})],
    ...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i % 3}) for i in range(4)],
    ... )
    >>> bad = ra.Policy().model_copy(update={"panel_size": 9})  # more seats than reviewers
    >>> with ThreadPoolExecutor(2) as pool:
    ...     swept = ra.sweep(problem, [ra.Policy(panel_size=2), bad], executor=pool,
    ...                      seeds=(0, 1), progress=False)
    >>> [(t.name, t.seed, t.result.status.name) for t in swept]
    [('policy 0', 0, 'OPTIMAL'), ('policy 0', 1, 'OPTIMAL'), ('policy 1', 0, 'INFEASIBLE'), ('policy 1', 1, 'INFEASIBLE')]
    """  # noqa: E501 - a doctest's output is one line
    named = _named(policies)
    seed_list = [int(s) for s in seeds]
    if not seed_list:
        raise ValueError("seeds: give at least one seed")
    if len(set(seed_list)) != len(seed_list):
        raise ValueError(f"seeds: each seed once, got {seed_list}")
    if isinstance(workers_per_solve, bool) or workers_per_solve < 1:
        raise ValueError(f"workers_per_solve must be at least 1, got {workers_per_solve}")
    start = time.perf_counter()
    jobs = [(name, policy, seed) for name, policy in named for seed in seed_list]
    report: ProgressCallback | None
    if progress is True:
        report = _Bar(len(jobs), start)
    elif progress is False or progress is None:
        report = None
    else:
        report = progress
    # Pickled once, here: on the 120 x 80 award, 41 KB that load in under 1 ms, where the
    # JSON text (55 KB) takes about 4 ms to validate in each task.
    blob = pickle.dumps(problem, protocol=pickle.HIGHEST_PROTOCOL)
    own = executor is None
    pool: Executor = ProcessPoolExecutor(_cpu_count()) if executor is None else executor
    outcomes: list[_Outcome | None] = [None] * len(jobs)
    try:
        outcomes = _run_all(pool, blob, jobs, time_limit, workers_per_solve, report)
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    tasks = []
    for (name, policy, seed), outcome in zip(jobs, outcomes, strict=True):
        assert outcome is not None
        result = outcome.result
        if result is not None:
            # The worker sent the result without its source: give it back, so that
            # result.alternates() needs no arguments.
            result = replace(result, _source=(problem, Policy.coerce(policy)))
        tasks.append(
            SweepTask(name, seed, policy, result, outcome.error, outcome.seconds, outcome.traceback)
        )
    return SweepResult(tuple(tasks), time.perf_counter() - start, problem)


def _run_all(
    pool: Executor,
    blob: bytes,
    jobs: Sequence[tuple[str, Policy, int]],
    time_limit: float | None,
    workers: int,
    report: ProgressCallback | None,
) -> list[_Outcome | None]:
    """Run every job in ``pool``, reporting progress; an outcome per job, in order."""
    total = len(jobs)
    outcomes: list[_Outcome | None] = [None] * total
    index: dict[Future[_Outcome], int] = {}
    done = failed = 0

    def record(i: int, outcome: _Outcome) -> None:
        nonlocal done, failed
        outcomes[i] = outcome
        done += 1
        failed += outcome.result is None
        if report is not None:
            report(done, total, failed)

    for i, (_, policy, seed) in enumerate(jobs):
        try:
            future = pool.submit(_run_task, blob, policy, seed, time_limit, workers)
        except Exception as exc:  # a broken or shut-down executor: this task fails
            record(i, _Outcome(None, _describe(exc), traceback.format_exc(), 0.0))
            continue
        index[future] = i
    if report is not None and not index and not total:
        report(0, 0, 0)
    try:
        for future in as_completed(index):
            i = index[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the future itself failed: a dead worker, a lost task
                outcome = _Outcome(None, _describe(exc), _format(exc), 0.0)
            record(i, outcome)
    except BaseException:
        # Interrupted (Ctrl-C): leave no queued task behind on an executor we do not own.
        for future in index:
            future.cancel()
        raise
    return outcomes


def _format(exc: BaseException) -> str:
    """An exception with its traceback, as text."""
    return "".join(traceback.format_exception(exc))
