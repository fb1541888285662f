"""Plots of results and comparisons, with matplotlib (the ``lab`` extra).

Every function draws on the ``ax`` it is given (a new figure's axes when ``None``) and
returns that ``Axes``, so that plots compose into subplots and can be styled further.
matplotlib is imported on the first plot, not with the package.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import reviewassign as ra
>>> from reviewassign import plot
>>> problem = ra.Problem(
...     cases=[ra.Case(id="C1", topics={"t": 1}), ra.Case(id="C2", topics={"t": 1})],
...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i}) for i in range(3)],
... )
>>> result = ra.solve(problem, ra.Policy(panel_size=1, load={"max": 1}))
>>> ax = plot.loads(result)
>>> [int(p.get_height()) for p in ax.patches]  # one reviewer idle, two with one review
[1, 2]
>>> import matplotlib.pyplot as plt
>>> plt.close(ax.figure)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from ._data.result import Result
from ._lab.compare import NUMERIC_COLUMNS, Comparison
from ._spec.check import Metrics, evaluate

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ._data.model import Problem

__all__ = ["comparison", "composition", "loads", "profile"]

_HINT = "pip install reviewassign[lab]"


def _axes(ax: Axes | None) -> Axes:
    """``ax``, or the axes of a new pyplot figure (shown inline in a notebook)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(f"reviewassign.plot needs matplotlib: {_HINT}") from exc
    if ax is not None:
        return ax
    _, new = plt.subplots()
    return new


def _metrics(result: Result, problem: Problem | None = None) -> Metrics:
    """The metrics to plot: the result's, else computed from ``problem``."""
    if not result.ok:
        raise ValueError(
            f"the result holds no assignment (status {result.status.name}): nothing to plot"
        )
    if result.metrics is not None:
        return result.metrics
    if problem is None:
        raise ValueError("this result carries no metrics: pass the problem")
    return evaluate(problem, result.assignment)


def loads(result: Result, *, ax: Axes | None = None) -> Axes:
    """Bar chart of how many reviewers have each load, with the smallest and largest load.

    One bar per load from the smallest to the largest (idle reviewers at 0), and two
    dashed vertical lines at the smallest and largest load.

    Raises
    ------
    ValueError
        If the result holds no assignment.
    ImportError
        If matplotlib is not installed.
    """
    metrics = _metrics(result)
    ax = _axes(ax)
    counts = [0] * (metrics.max_load - metrics.min_load + 1)
    for load in metrics.loads.values():
        counts[load - metrics.min_load] += 1
    values = list(range(metrics.min_load, metrics.max_load + 1))
    ax.bar(values, counts, width=0.8)
    ax.axvline(metrics.min_load, linestyle="--", color="grey", label=f"min {metrics.min_load}")
    ax.axvline(metrics.max_load, linestyle=":", color="grey", label=f"max {metrics.max_load}")
    ax.set_xticks(values)
    ax.set_xlabel("reviews per reviewer")
    ax.set_ylabel("reviewers")
    ax.set_title(f"Loads (mean {metrics.mean_load:.2f}, {metrics.idle_reviewers} idle)")
    ax.legend()
    return ax


def profile(result_or_comparison: Result | Comparison, *, ax: Axes | None = None) -> Axes:
    """Every case's panel affinity, lowest first: one line per result or policy.

    For a comparison, one line per policy that gave an assignment (policies without one
    are left out), labelled with the policy's name. The left end of each line is the
    worst panel; a line that lies higher everywhere is better for every applicant.

    Raises
    ------
    ValueError
        If no result holds an assignment.
    ImportError
        If matplotlib is not installed.
    """
    if isinstance(result_or_comparison, Comparison):
        comparison = result_or_comparison
        lines = [
            (name, _metrics(r, comparison.problem).profile())
            for name, r in comparison.results.items()
            if r.ok
        ]
    else:
        lines = [("result", _metrics(result_or_comparison).profile())]
    if not lines:
        raise ValueError("no policy of the comparison gave an assignment: nothing to plot")
    ax = _axes(ax)
    for name, values in lines:
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.set_xlabel("cases, by panel affinity")
    ax.set_ylabel("panel affinity")
    ax.set_title("Panel affinity profile")
    if len(lines) > 1:
        ax.legend()
    return ax


def composition(
    result: Result,
    problem: Problem,
    *,
    by: Literal["region", "gender"] = "region",
    ax: Axes | None = None,
) -> Axes:
    """Seat shares by region or gender, beside each group's share of the reviewer pool.

    Two bars per group (seats, pool), groups in sorted order; an empty region is shown as
    "(no region)".

    Raises
    ------
    ValueError
        If ``by`` is neither ``"region"`` nor ``"gender"``, or the result holds no
        assignment.
    ImportError
        If matplotlib is not installed.
    """
    if by not in ("region", "gender"):
        raise ValueError(f'by must be "region" or "gender", got {by!r}')
    metrics = _metrics(result, problem)
    if by == "region":
        shares, pool = metrics.region_shares, metrics.region_pool_shares
    else:
        shares, pool = metrics.gender_shares, metrics.gender_pool_shares
    ax = _axes(ax)
    keys = list(shares)
    positions = list(range(len(keys)))
    width = 0.4
    ax.bar([p - width / 2 for p in positions], [shares[k] for k in keys], width, label="seats")
    ax.bar([p + width / 2 for p in positions], [pool[k] for k in keys], width, label="pool")
    ax.set_xticks(positions, [k or "(no region)" for k in keys], rotation=30, ha="right")
    ax.set_ylabel("share")
    ax.set_title(f"Panel composition by {by}")
    ax.legend()
    return ax


def comparison(comparison: Comparison, *, metric: str = "price", ax: Axes | None = None) -> Axes:
    """Bar chart of one figure per policy: by default the price of each rule.

    ``metric`` is any numeric column of :meth:`Comparison.to_records`: ``price`` (the
    baseline's objective minus the policy's), ``price_pct``, ``objective``,
    ``worst_case``, ``coverage_rate``, ``changes``, ``seconds``..., or a share column such
    as ``"region:Africa"`` or ``"sector:practice"`` (an attribute), or ``new_seats_share``
    (with a history). Policies without the figure (no assignment, an error) are left out.

    Raises
    ------
    ValueError
        If ``metric`` is not a numeric column, or no policy has it.
    ImportError
        If matplotlib is not installed.
    """
    columns = [
        c
        for c in comparison.columns()
        if c in NUMERIC_COLUMNS or ":" in c or c == "new_seats_share"
    ]
    if metric not in columns:
        raise ValueError(f"metric must be one of {', '.join(columns)}; got {metric!r}")
    values: Sequence[tuple[str, float]] = [
        (record["policy"], float(record[metric]))
        for record in comparison.to_records()
        if record[metric] is not None
    ]
    if not values:
        raise ValueError(f"no policy of the comparison has a {metric}")
    ax = _axes(ax)
    names = [name for name, _ in values]
    ax.bar(names, [v for _, v in values])
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylabel(metric)
    if metric in ("price", "price_pct"):
        ax.set_title(f"Price of each policy against {comparison.baseline}")
    else:
        ax.set_title(f"{metric} by policy")
    ax.tick_params(axis="x", labelrotation=30)
    return ax
