"""HTML tables for Jupyter (``_repr_html_``) of problems, results and comparisons.

Plain ``<table>`` markup only: no JavaScript, no style sheet, no colours, so that the
notebook's own theme (light or dark) styles it. Every user string is escaped.

The problem view names no one: it gives counts, and tables of labels (attribute values,
reasons, years) with counts, as it does for conflicts; never a reviewer or case id.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .._data.model import values

if TYPE_CHECKING:  # pragma: no cover
    from .._data.model import Problem
    from .._data.result import Result
    from .._lab.compare import Comparison
    from .._spec.check import Metrics

__all__ = ["comparison_html", "problem_html", "result_html"]

PANELS_SHOWN = 10
"""Panels listed in a result's HTML table (the first, in case order)."""

_RIGHT = ' style="text-align:right"'


def _e(value: object) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value), quote=True)


def _num(value: float | int | None, spec: str = ".4g", suffix: str = "") -> str:
    """A number formatted by ``spec`` with ``suffix``, or a dash for ``None``."""
    if value is None:
        return "&ndash;"
    return _e(f"{value:{spec}}{suffix}")


def _pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage with ``digits`` decimals, or a dash for ``None``."""
    return _num(None if value is None else 100 * value, f".{digits}f", "%")


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    caption: str | None = None,
    numeric_from: int = 1,
) -> str:
    """An HTML table; ``header`` and ``caption`` are escaped here, cells must be already.

    Columns from ``numeric_from`` on are right-aligned.
    """
    out = ["<table>"]
    if caption is not None:
        out.append(f'<caption style="text-align:left"><b>{_e(caption)}</b></caption>')
    out.append(
        "<thead><tr>"
        + "".join(
            f"<th{_RIGHT if i >= numeric_from else ''}>{_e(h)}</th>" for i, h in enumerate(header)
        )
        + "</tr></thead>"
    )
    out.append("<tbody>")
    for row in rows:
        out.append(
            "<tr>"
            + "".join(
                f"<td{_RIGHT if i >= numeric_from else ''}>{cell}</td>"
                for i, cell in enumerate(row)
            )
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _label(key: str, empty: str) -> str:
    """A label as HTML, or ``empty`` in italics when it is empty."""
    return _e(key) if key else f"<i>{_e(empty)}</i>"


def problem_html(problem: Problem) -> str:
    """The size of a problem: cases, reviewers, labels, conflicts, relations, affinities."""
    regions = {r.region for r in problem.reviewers} | {c.region for c in problem.cases}
    genders = {r.gender for r in problem.reviewers if r.gender}
    topics = {t for c in problem.cases for t in c.topics} | {
        t for r in problem.reviewers for t in r.expertise
    }
    figures = [
        ("cases", len(problem.cases)),
        ("reviewers", len(problem.reviewers)),
        ("regions", len(regions - {""})),
        ("disclosed genders", len(genders)),
        ("topics", len(topics)),
        ("declared conflicts", len(problem.conflicts)),
        ("relations", len(problem.relations)),
        ("given affinities", len(problem.affinity)),
    ]
    # The data added since 0.1.0, each shown only when the problem has some (a problem
    # without them shows as before).
    added = [
        ("disjoint pairs", len(problem.disjoint)),
        ("linked groups", len(problem.linked)),
        ("prefers-not pairs", len(problem.prefers_not)),
        ("history seats", len(problem.history)),
    ]
    figures.extend((name, n) for name, n in added if n)
    parts = [
        table(
            ["", "count"],
            ([_e(name), _num(n, "d")] for name, n in figures),
            caption="Problem",
        )
    ]
    parts.extend(_attributes_html(problem))
    parts.extend(_pairs_html(problem))
    parts.extend(_history_html(problem))
    return parts[0] if len(parts) == 1 else "<div>" + "".join(parts) + "</div>"


def _attributes_html(problem: Problem) -> list[str]:
    """The user attributes of reviewers and cases: who holds one, and each value's count."""
    rows: list[list[str]] = []
    for whose, records in (("reviewers", problem.reviewers), ("cases", problem.cases)):
        names = sorted({name for r in records for name in r.attributes})
        for name in names:
            held = Counter(x for r in records for x in set(values(r, name)))
            known = sum(1 for r in records if values(r, name))
            listed = ", ".join(f"{x} ({n})" for x, n in sorted(held.items()))
            rows.append(
                [_e(name), _e(whose), _num(known, "d"), _num(len(records) - known, "d"), _e(listed)]
            )
    if not rows:
        return []
    return [
        table(
            ["attribute", "of", "known", "unknown", "values (count)"],
            rows,
            caption="Attributes",
            numeric_from=2,
        )
    ]


def _pairs_html(problem: Problem) -> list[str]:
    """Disjoint pairs, prefers-not pairs and linked groups: counts of pairs, people, cases.

    Their reasons are free text that may name people, so they are not shown.
    """
    dash = "&ndash;"
    rows: list[list[str]] = []
    if problem.disjoint:
        people = {x for d in problem.disjoint for x in (d.a, d.b)}
        rows.append(
            [
                "disjoint reviewer pairs",
                *(_num(n, "d") for n in (len(problem.disjoint), len(people))),
                dash,
            ]
        )
    if problem.prefers_not:
        rows.append(
            [
                "prefers-not pairs",
                _num(len(problem.prefers_not), "d"),
                _num(len({p.reviewer for p in problem.prefers_not}), "d"),
                _num(len({p.case for p in problem.prefers_not}), "d"),
            ]
        )
    for words, groups in (
        ("linked groups: the same panel", [g for g in problem.linked if g.shared is None]),
        ("linked groups: shared reviewers", [g for g in problem.linked if g.shared is not None]),
    ):
        if groups:
            cases = {c for g in groups for c in g.cases}
            rows.append([words, _num(len(groups), "d"), dash, _num(len(cases), "d")])
    if not rows:
        return []
    return [table(["", "count", "reviewers", "cases"], rows, caption="Pairs and linked cases")]


def _history_html(problem: Problem) -> list[str]:
    """The history by year: seats, past panels, reviewers (current ones), institutions."""
    if not problem.history:
        return []
    current = {r.id for r in problem.reviewers}
    rows = []
    for year in sorted({s.year for s in problem.history}, reverse=True):
        seats = [s for s in problem.history if s.year == year]
        who = {s.reviewer for s in seats}
        rows.append(
            [
                _e(year),
                _num(len(seats), "d"),
                _num(len({s.case for s in seats}), "d"),
                _num(len(who), "d"),
                _num(len(who & current), "d"),
                _num(len({x for s in seats for x in s.institution}), "d"),
            ]
        )
    return [
        table(
            ["year", "seats", "panels", "reviewers", "current reviewers", "institutions"],
            rows,
            caption="History (past rounds)",
        )
    ]


def _metrics_html(metrics: Metrics) -> str:
    """The figures of ``metrics`` as an HTML table."""
    figures = [
        ("total affinity", _num(metrics.total_affinity)),
        ("worst panel", _num(metrics.worst_case)),
        ("worst panels", _e(", ".join(metrics.worst_cases))),
        ("mean panel", _num(metrics.mean_case)),
        ("seats", _num(metrics.seats, "d")),
        ("loads", _e(f"{metrics.min_load} to {metrics.max_load} (mean {metrics.mean_load:.2f})")),
        ("idle reviewers", _num(metrics.idle_reviewers, "d")),
        ("topic coverage", _pct(metrics.coverage_rate)),
        ("fully covered cases", _num(metrics.fully_covered_cases, "d")),
        ("senior seats", _num(metrics.senior_seats, "d")),
    ]
    if metrics.prefers_not_pairs:
        figures.append(("prefers-not pairs assigned", _num(metrics.prefers_not_pairs, "d")))
    if metrics.new_seats_share is not None:
        figures.append(("seats of new reviewers (history)", _pct(metrics.new_seats_share)))
    parts = [table(["", "value"], ([_e(k), v] for k, v in figures), caption="Metrics")]
    for title, empty, seats, shares, pool in (
        (
            "Seats by region",
            "no region",
            metrics.region_seats,
            metrics.region_shares,
            metrics.region_pool_shares,
        ),
        (
            "Seats by gender",
            "undisclosed",
            metrics.gender_seats,
            metrics.gender_shares,
            metrics.gender_pool_shares,
        ),
    ):
        parts.append(
            table(
                ["", "seats", "share", "pool share"],
                (
                    [_label(k, empty), _num(seats[k], "d"), _pct(shares[k]), _pct(pool[k])]
                    for k in seats
                ),
                caption=title,
            )
        )
    for name, shares in metrics.attribute_shares.items():
        pool = metrics.attribute_pool_shares[name]
        parts.append(
            table(
                ["", "share", "pool share"],
                ([_e(k), _pct(share), _pct(pool[k])] for k, share in shares.items()),
                caption=f"Seats by {name}",
            )
        )
    return "".join(parts)


def result_html(result: Result) -> str:
    """A result: status and figures, levels, metrics, then the first panels."""
    head = [
        ("status", _e(result.status.name)),
        ("objective", _num(result.objective)),
        ("bound", _num(result.bound)),
        ("gap", _pct(result.gap, 3)),
        ("wall time", _num(result.stats.wall_time, ".3f", " s")),
    ]
    if result.forced:
        head.append(("forced pairs", _num(len(result.forced), "d")))
    parts = [table(["", "value"], ([_e(k), v] for k, v in head), caption="Result")]
    if len(result.levels) > 1:
        parts.append(
            table(
                ["level", "value", "bound", "status"],
                (
                    [_e(lv.name), _num(lv.value), _num(lv.bound), _e(lv.status)]
                    for lv in result.levels
                ),
                caption="Levels",
            )
        )
    if result.metrics is not None:
        parts.append(_metrics_html(result.metrics))
    if len(result.assignment):
        affinity = {} if result.metrics is None else result.metrics.case_affinity
        panels = list(result.assignment.items())
        shown = panels[:PANELS_SHOWN]
        more = len(panels) - len(shown)
        caption = "Panels" + (f" (first {len(shown)} of {len(panels)})" if more else "")
        parts.append(
            table(
                ["case", "reviewers", "affinity"],
                (
                    [_e(case), _e(", ".join(panel)), _num(affinity.get(case))]
                    for case, panel in shown
                ),
                caption=caption,
                numeric_from=2,
            )
        )
    return "<div>" + "".join(parts) + "</div>"


def comparison_html(comparison: Comparison) -> str:
    """A comparison: one row per policy, shares as percentages, errors spelled out."""
    regions = sorted({k for row in comparison.rows for k in row.region_shares})
    genders = sorted({k for row in comparison.rows for k in row.gender_shares})
    attributes = sorted({k for row in comparison.rows for k in row.attribute_shares})
    history = any(row.new_seats_share is not None for row in comparison.rows)
    header = [
        "policy",
        "status",
        "objective",
        "bound",
        "gap",
        "price",
        "price %",
        "worst panel",
        "mean panel",
        "loads",
        "coverage",
        "changes",
        "seconds",
        *(f"region: {k or 'no region'}" for k in regions),
        *(f"gender: {k}" for k in genders),
        *attributes,
        *(["new reviewers' seats"] if history else []),
    ]
    rows = []
    for r in comparison.rows:
        name = _e(r.policy)
        if r.policy == comparison.baseline:
            name = f"<b>{name}</b> (baseline)"
        loads = "&ndash;" if r.min_load is None else _e(f"{r.min_load}\u2013{r.max_load}")
        status = _e(r.status) if r.error is None else f"{_e(r.status)}: {_e(r.error)}"
        rows.append(
            [
                name,
                status,
                _num(r.objective),
                _num(r.bound),
                _pct(r.gap, 3),
                _num(r.price),
                _num(r.price_pct, ".2f", "%"),
                _num(r.worst_case),
                _num(r.mean_case),
                loads,
                _pct(r.coverage_rate),
                _num(r.changes, "d"),
                _num(r.seconds, ".2f"),
                *(_pct(r.region_shares.get(k)) if r.ok else "&ndash;" for k in regions),
                *(_pct(r.gender_shares.get(k)) if r.ok else "&ndash;" for k in genders),
                *(_pct(r.attribute_shares.get(k)) if r.ok else "&ndash;" for k in attributes),
                *([_pct(r.new_seats_share)] if history else []),
            ]
        )
    return table(header, rows, caption="Policy comparison", numeric_from=2)
