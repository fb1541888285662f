"""Policies side by side: :func:`compare` solves each, :class:`Comparison` lines them up.

A comparison answers the policy analyst's question "what does this rule cost?": per
policy, the objective and its bound, the *price* of the policy against a baseline
(``baseline objective - objective``), the worst and mean panel, the balance of seats by
region and gender, the loads, the coverage, how many reviewer seats differ from the
baseline's assignment, and the solve time.

pandas is optional (the ``lab`` extra): :meth:`Comparison.to_frame` imports it on use;
everything else works without it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from .._audit.html import comparison_html
from .._data.model import Problem
from .._data.policy import Policy
from .._data.result import Result
from .._errors import ReviewAssignError
from .._spec.check import Metrics, evaluate
from .._workflows.solve import check_options, solve

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ERROR", "NUMERIC_COLUMNS", "Comparison", "ComparisonRow", "compare"]

ERROR = "error"
"""The status of a row whose policy could not be solved (an invalid policy, say)."""

NUMERIC_COLUMNS: tuple[str, ...] = (
    "objective",
    "bound",
    "gap",
    "price",
    "price_pct",
    "worst_case",
    "mean_case",
    "min_load",
    "max_load",
    "load_spread",
    "coverage_rate",
    "changes",
    "seconds",
)
"""The numeric columns of :meth:`Comparison.to_frame`, before the share columns."""

INTEGER_COLUMNS: tuple[str, ...] = ("min_load", "max_load", "load_spread", "changes")

LAB_HINT = "pip install reviewassign[lab]"


class ComparisonRow(BaseModel):
    """One policy of a :class:`Comparison`: how its solve ended and what its assignment is like.

    Figures of the assignment are ``None`` when the policy gave none (status
    ``"infeasible"``, ``"no_solution"`` or ``"error"``); ``price`` and ``changes`` are
    ``None`` too when the baseline gave none.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str
    """The policy's name, as given to :func:`compare`."""
    status: str
    """A :class:`Status` value (``"optimal"``, ``"feasible"``, ``"infeasible"``,
    ``"no_solution"``) or ``"error"``."""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    price: float | None = None
    """The price of the policy: the baseline's objective minus this one's (0 for the
    baseline; positive when the policy costs objective)."""
    price_pct: float | None = None
    """``price`` in percent of the baseline's objective (None when that is 0)."""
    worst_case: float | None = None
    """The lowest panel affinity."""
    mean_case: float | None = None
    """The mean panel affinity."""
    region_shares: dict[str, float] = {}
    """Region -> its share of all seats (``Metrics.region_shares``)."""
    gender_shares: dict[str, float] = {}
    """Gender -> its share of all seats (``Metrics.gender_shares``)."""
    attribute_shares: dict[str, float] = {}
    """``attribute:value`` -> its share of all seats (``Metrics.attribute_shares``)."""
    min_load: int | None = None
    max_load: int | None = None
    load_spread: int | None = None
    coverage_rate: float | None = None
    """Covered (case, topic) pairs over all (``Metrics.coverage_rate``)."""
    changes: int | None = None
    """The (case, reviewer) pairs of this assignment that are not in the baseline's (0 for
    the baseline)."""
    seconds: float | None = None
    """Solve wall time (``result.stats.wall_time`` unless given)."""
    error: str | None = None
    """Why the policy could not be solved (status ``"error"``), else None."""
    new_seats_share: float | None = None
    """With a history: the share of seats held by new reviewers
    (``Metrics.new_seats_share``, under this row's ``history.new_years``), else None."""

    @property
    def ok(self) -> bool:
        """Whether the policy gave an assignment."""
        return self.status in ("optimal", "feasible")

    def flat(self) -> dict[str, Any]:
        """The row as one flat dictionary.

        The shares become ``region:<name>``, ``gender:<name>`` and ``<attribute>:<value>``
        keys; ``new_seats_share`` is a key only when the row has one.
        """
        out: dict[str, Any] = {"policy": self.policy, "status": self.status}
        out.update({name: getattr(self, name) for name in NUMERIC_COLUMNS})
        out["error"] = self.error
        if self.new_seats_share is not None:
            out["new_seats_share"] = self.new_seats_share
        out.update({f"region:{k}": v for k, v in self.region_shares.items()})
        out.update({f"gender:{k}": v for k, v in self.gender_shares.items()})
        out.update(self.attribute_shares)
        return out


@dataclass(frozen=True)
class Comparison:
    """Policies solved on one problem, side by side (see :func:`compare`).

    ``rows`` are in the order the policies were given; ``results`` maps each policy
    that was solved to its :class:`Result`; ``baseline`` names the policy every price
    and change count refers to.
    """

    rows: tuple[ComparisonRow, ...]
    results: Mapping[str, Result]
    baseline: str
    problem: Problem | None = field(default=None, compare=False, repr=False)
    """The problem solved (for plots against the reviewer pool)."""

    @classmethod
    def from_results(
        cls,
        problem: Problem,
        results: Mapping[str, Result],
        *,
        baseline: str | None = None,
        seconds: Mapping[str, float] | None = None,
        errors: Mapping[str, str] | None = None,
        order: Sequence[str] | None = None,
    ) -> Comparison:
        """A comparison of results already solved (``ra.sweep`` builds one this way).

        Parameters
        ----------
        problem
            The problem every result was solved from.
        results
            Policy name -> its result.
        baseline
            The policy prices and changes refer to; default the first name.
        seconds
            Policy name -> solve seconds, overriding ``result.stats.wall_time`` (e.g. a
            sweep's wall time per task, queueing included or not, as it sees fit).
        errors
            Policy name -> why it could not be solved; such a policy gets a row with
            status ``"error"``. A name may not be both a result and an error.
        order
            The row order; default the names of ``results``, then those of ``errors``.

        Raises
        ------
        ValueError
            If there are no policies, the baseline or an ``order`` name is unknown, or a
            name is both a result and an error.
        """
        errors = {} if errors is None else dict(errors)
        seconds = {} if seconds is None else dict(seconds)
        both = sorted(set(results) & set(errors))
        if both:
            raise ValueError(f"policies both solved and failed: {', '.join(both)}")
        known = [*results, *errors]
        if order is None:
            names = known
        else:
            names = list(order)
            if sorted(names) != sorted(known):
                raise ValueError(
                    "order must name every result and error once: "
                    f"got {names}, expected the names {sorted(known)}"
                )
        if not names:
            raise ValueError("a comparison needs at least one policy")
        if baseline is None:
            baseline = names[0]
        elif baseline not in names:
            raise ValueError(f"the baseline {baseline!r} is not one of the policies: {names}")

        metrics = {name: _metrics(problem, result) for name, result in results.items()}
        base = results.get(baseline)
        base_pairs = set(base.assignment.pairs()) if base is not None and base.ok else None
        base_objective = base.objective if base is not None and base.ok else None
        rows = []
        for name in names:
            if name in errors:
                rows.append(
                    ComparisonRow(
                        policy=name, status=ERROR, error=errors[name], seconds=seconds.get(name)
                    )
                )
                continue
            result = results[name]
            rows.append(
                _row(name, result, metrics[name], base_objective, base_pairs, seconds.get(name))
            )
        return cls(
            rows=tuple(rows),
            results=dict(results),  # a copy; a plain dict so that a comparison pickles
            baseline=baseline,
            problem=problem,
        )

    def row(self, policy: str) -> ComparisonRow:
        """The row of a policy (``KeyError`` if there is none)."""
        for row in self.rows:
            if row.policy == policy:
                return row
        raise KeyError(policy)

    @property
    def policies(self) -> tuple[str, ...]:
        """The policy names, in row order."""
        return tuple(row.policy for row in self.rows)

    def columns(self) -> list[str]:
        """The flat column names of :meth:`to_records` and :meth:`to_frame`, ``policy`` first.

        ``new_seats_share`` and the ``<attribute>:<value>`` shares are columns only when
        some row has them (a problem with a history, reviewers with user attributes).
        """
        regions = sorted({k for row in self.rows for k in row.region_shares})
        genders = sorted({k for row in self.rows for k in row.gender_shares})
        attributes = sorted({k for row in self.rows for k in row.attribute_shares})
        history = any(row.new_seats_share is not None for row in self.rows)
        return [
            "policy",
            "status",
            *NUMERIC_COLUMNS,
            "error",
            *(["new_seats_share"] if history else []),
            *(f"region:{k}" for k in regions),
            *(f"gender:{k}" for k in genders),
            *attributes,
        ]

    def to_records(self) -> list[dict[str, Any]]:
        """One flat, JSON-ready dictionary per row; works without pandas.

        Every row has every column of :meth:`columns` (None where it has no figure).
        """
        columns = self.columns()
        return [dict.fromkeys(columns) | row.flat() for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of ``baseline`` and ``rows``.

        Each row holds its fields, the shares as nested dictionaries.
        """
        return {
            "baseline": self.baseline,
            "rows": [
                row.model_dump(
                    mode="json",
                    exclude={"new_seats_share"} if row.new_seats_share is None else None,
                )
                for row in self.rows
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame indexed by policy name, with flat columns.

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install reviewassign[lab]``).
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                f"Comparison.to_frame needs pandas: {LAB_HINT} (or pip install pandas)"
            ) from exc
        records = self.to_records()
        columns = self.columns()
        frame = pd.DataFrame.from_records(records, columns=columns).set_index("policy")
        for name in INTEGER_COLUMNS:  # counts stay integers where some rows have none
            frame[name] = frame[name].astype("Int64")
        return frame

    def __str__(self) -> str:
        """A plain-text table for a terminal: one line per policy, then any errors."""
        header = [
            "policy",
            "status",
            "objective",
            "bound",
            "gap",
            "price",
            "price %",
            "worst",
            "mean",
            "loads",
            "coverage",
            "changes",
            "seconds",
        ]
        lines = [header]
        for r in self.rows:
            loads = "" if r.min_load is None else f"{r.min_load}-{r.max_load}"
            name = r.policy + (" *" if r.policy == self.baseline else "")
            lines.append(
                [
                    name,
                    r.status,
                    _fmt(r.objective, ".3f"),
                    _fmt(r.bound, ".3f"),
                    _fmt(None if r.gap is None else 100 * r.gap, ".2f", "%"),
                    _fmt(r.price, ".3f"),
                    _fmt(r.price_pct, ".2f", "%"),
                    _fmt(r.worst_case, ".3f"),
                    _fmt(r.mean_case, ".3f"),
                    loads,
                    _fmt(None if r.coverage_rate is None else 100 * r.coverage_rate, ".1f", "%"),
                    _fmt(r.changes, "d"),
                    _fmt(r.seconds, ".2f"),
                ]
            )
        text = _table(lines, 2)
        text.append(f"* baseline: price and changes are against {self.baseline}")
        text.extend(self._shares())
        text.extend(f"{r.policy}: error: {r.error}" for r in self.rows if r.error is not None)
        return "\n".join(text)

    def _shares(self) -> list[str]:
        """The seat shares under :meth:`__str__`: new seats and user attributes, when present.

        A blank line, then one line per policy: the share of seats held by new reviewers
        (with a history) and each ``<attribute>:<value>``'s share of all seats, as
        :meth:`columns` names them. Empty without such figures.
        """
        history = any(row.new_seats_share is not None for row in self.rows)
        attributes = sorted({k for row in self.rows for k in row.attribute_shares})
        if not history and not attributes:
            return []
        lines = [["seat shares", *(["new seats"] if history else []), *attributes]]
        for r in self.rows:
            new = [_fmt(_pct(r.new_seats_share), ".1f", "%")] if history else []
            shares = [_fmt(_pct(r.attribute_shares.get(k)), ".1f", "%") for k in attributes]
            lines.append([r.policy + (" *" if r.policy == self.baseline else ""), *new, *shares])
        return ["", *_table(lines, 1)]

    def _repr_html_(self) -> str:
        """The comparison as an HTML table, for Jupyter."""
        return comparison_html(self)


def _pct(share: float | None) -> float | None:
    """A share as a percentage; None stays None."""
    return None if share is None else 100 * share


def _table(lines: list[list[str]], left: int) -> list[str]:
    """Rows of cells as aligned text, a rule of dashes under the header.

    The first ``left`` columns are aligned left, the others right.
    """
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = [
        "  ".join(
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    return text


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    """``value`` formatted by ``spec`` with ``suffix``, or an empty cell for ``None``."""
    return "" if value is None else f"{value:{spec}}{suffix}"


def _metrics(problem: Problem, result: Result) -> Metrics | None:
    """The metrics of a result with an assignment, computed if it carries none."""
    if not result.ok:
        return None
    if result.metrics is not None:
        return result.metrics
    return evaluate(problem, result.assignment)  # a result built by hand or read from a file


def _row(
    name: str,
    result: Result,
    metrics: Metrics | None,
    base_objective: float | None,
    base_pairs: set[tuple[str, str]] | None,
    seconds: float | None,
) -> ComparisonRow:
    """One row of a comparison: a policy's result against the base policy's."""
    wall = result.stats.wall_time if seconds is None else seconds
    if not result.ok or metrics is None:
        return ComparisonRow(policy=name, status=result.status.value, seconds=wall)
    objective = result.objective
    price = price_pct = None
    if base_objective is not None and objective is not None:
        price = base_objective - objective
        if base_objective != 0:
            price_pct = 100 * price / abs(base_objective)
    changes = None
    if base_pairs is not None:
        changes = sum(1 for pair in result.assignment.pairs() if pair not in base_pairs)
    return ComparisonRow(
        policy=name,
        status=result.status.value,
        objective=objective,
        bound=result.bound,
        gap=result.gap,
        price=price,
        price_pct=price_pct,
        worst_case=metrics.worst_case,
        mean_case=metrics.mean_case,
        region_shares=dict(metrics.region_shares),
        gender_shares=dict(metrics.gender_shares),
        attribute_shares={
            f"{name}:{value}": share
            for name, shares in metrics.attribute_shares.items()
            for value, share in shares.items()
        },
        min_load=metrics.min_load,
        max_load=metrics.max_load,
        load_spread=metrics.load_spread,
        coverage_rate=metrics.coverage_rate,
        changes=changes,
        seconds=wall,
        new_seats_share=metrics.new_seats_share,
    )


def compare(
    problem: Problem,
    policies: Mapping[str, Policy | Mapping[str, Any] | None],
    *,
    baseline: str | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    workers: int = 1,
) -> Comparison:
    """Solve one problem under each policy and line the results up.

    Parameters
    ----------
    problem
        The cases and reviewers.
    policies
        Name -> policy, solved one after the other in this order (``ra.sweep`` solves in
        parallel). A policy may also be a mapping of policy keys (validated as a
        ``Policy``) or ``None`` (the neutral ``Policy()``).
    baseline
        The name of the policy that prices and changes refer to; default the first.
    time_limit, seed, workers
        Passed to :func:`reviewassign.solve` for every policy.

    Returns
    -------
    Comparison
        A row per policy, in the given order. A policy that cannot be solved (an invalid
        policy, an option it does not combine with: a ``ValueError`` or
        ``ReviewAssignError``) gets a row with status ``"error"`` and the message; the
        others are still solved.

    Raises
    ------
    ValueError
        If ``policies`` is empty, ``baseline`` is not one of its names, or ``seed``,
        ``workers`` or ``time_limit`` is out of range.

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", region="Asia", topics={"t": 1})],
    ...     reviewers=[ra.Reviewer(id="R1", region="Asia", expertise={"t": 3}),
    ...                ra.Reviewer(id="R2", region="Africa", expertise={"t": 2})],
    ... )
    >>> comparison = ra.compare(problem, {
    ...     "neutral": ra.Policy(panel_size=1),
    ...     "no own region": ra.Policy(panel_size=1, panel={"own_region": "exclude"}),
    ... })
    >>> [(r.policy, r.objective, round(r.price, 3), r.changes) for r in comparison.rows]
    [('neutral', 1.0, 0.0, 0), ('no own region', 0.6666666666666666, 0.333, 1)]
    """
    names = list(policies)
    if not names:
        raise ValueError("compare needs at least one policy")
    if baseline is not None and baseline not in policies:
        raise ValueError(f"the baseline {baseline!r} is not one of the policies: {names}")
    # The solve options are the caller's, not a policy's: a mistake there is raised, not
    # turned into an "error" row for every policy.
    check_options(seed=seed, workers=workers, time_limit=time_limit)
    results: dict[str, Result] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for name, given in policies.items():
        start = time.perf_counter()
        try:
            policy = _policy(given)
            results[name] = solve(
                problem, policy, time_limit=time_limit, seed=seed, workers=workers
            )
        except (ValueError, TypeError, ReviewAssignError) as exc:
            errors[name] = _message(exc)
            seconds[name] = time.perf_counter() - start
    return Comparison.from_results(
        problem, results, baseline=baseline, seconds=seconds, errors=errors, order=names
    )


def _policy(given: object) -> Policy:
    """A policy from a ``Policy``, a mapping of policy keys or ``None``."""
    if given is None or isinstance(given, Policy):
        return Policy.coerce(given)
    if isinstance(given, Mapping):
        return Policy.model_validate(dict(given))
    raise TypeError(
        f"a policy must be a Policy, a mapping of policy keys or None, not {type(given).__name__}"
    )


def _message(exc: Exception) -> str:
    """An exception as one line: its type and its message."""
    text = " ".join(str(exc).split())  # one line: pydantic's messages span several
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
