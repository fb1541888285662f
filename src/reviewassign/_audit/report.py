"""The audit report for an award board: one self-contained HTML page, or markdown.

The report restates the policy in words, says for every hard rule whether and where it
binds, shows the conflicts avoided, the panel composition, loads and affinities, and the
reproducibility record. Its figures are computed from the problem, the policy and the
assignment (with :func:`check`, :func:`evaluate` and, for where each rule binds, the
measures of ``_spec.binding``), not read from the solver.

The page is self-contained: inline CSS only, no JavaScript, no external resource, and
every user string is escaped.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from .._data.model import Problem
from .._data.policy import AttributeBand, Policy
from .._data.result import Assignment, Result, Stats, Status
from .._data.rules import RULES, Rule
from .._errors import InputError
from .._files.io import PathLike, _read_json, load_assignment, write_atomic
from .._reduce.conflicts import conflicts
from .._spec.binding import SHOWN, assigned, bands, binding, panel_sizes, panels
from .._spec.check import Metrics, check, evaluate
from .._workflows.explain import Relaxation, explain

__all__ = ["read_result", "render_report", "report_format", "write_report"]

Format = Literal["html", "md"]

_DASH = "\u2013"  # an en dash: no figure

_REASON_WORDS = {
    "declared": "declared conflict (conflicts file)",
    "applicant": "reviewer is an applicant of the case",
    "same_institution": "same institution",
    "same_country": "same country",
    "relation": "relation to an applicant (co-author, colleague, ...)",
}


# ----------------------------------------------------------------------- the content


@dataclass(frozen=True, slots=True)
class _Table:
    """A table of the report: its header, rows of cells and caption."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class _Section:
    """A section of the report: its title, paragraphs, tables and list items."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[_Table, ...] = ()
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Rule:
    """A rule as the report lists it: key, words, whether it binds, and where."""

    key: str
    words: str
    binds: str
    where: str


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``count word``, in the plural (``word + "s"`` unless given) unless ``count`` is 1."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


_AHEAD = frozenset({"load.max", "conflicts.declared", "conflicts.applicant"})
"""Rules the report lists first in their family: the load cap before the minimum, and the
conflicts that always apply before those the policy switches on."""


def _listed() -> tuple[Rule, ...]:
    """The rules the report lists, in check order but with :data:`_AHEAD` first in its family.

    A family is the part of the key before the dot (``load``, ``conflicts``). The rules of
    the assignment's own consistency (unknown ids, duplicates) bind nowhere and are left out.
    """
    rules = [r for r in RULES if r.scope != "assignment"]
    first: dict[str, int] = {}
    for i, r in enumerate(rules):
        first.setdefault(r.key.split(".")[0], i)
    return tuple(sorted(rules, key=lambda r: (first[r.key.split(".")[0]], r.key not in _AHEAD)))


def _words(r: Rule, problem: Problem, policy: Policy) -> str:
    """The rule in the registry's words; panel sizes end with a word on a case's own size."""
    said = r.says(policy)  # the bands are shown soft too (with a weight): objective terms
    if r.key != "panel_size":
        return said
    own = len(panel_sizes(problem, policy)) > 1
    return said + (" (a case's own panel size overrides)." if own else ".")


def _rules(
    problem: Problem,
    policy: Policy,
    assignment: Assignment,
    forced: Sequence[tuple[str, str]] = (),
) -> list[_Rule]:
    """Every hard rule that is on, in words, and whether and where it binds (``_spec.binding``)."""
    reasons = Counter(reason for pair in conflicts(problem, policy) for reason in pair.reasons)
    seen = assigned(problem, policy, assignment, reasons, forced)
    rules: list[_Rule] = []
    for r in _listed():
        found = binding(r.key, seen)
        if found is not None:
            binds = "yes" if found.binds else "no"
            rules.append(_Rule(r.key, _words(r, problem, policy), binds, found.where))
    return rules


def _objective_words(policy: Policy) -> list[str]:
    """What the solver maximises, and what costs, in sentences."""
    o = policy.objective
    words = {
        "coverage": "the covered topics",
        "worst_case": "the worst panel's affinity",
        "leximin": "the worst panel's affinity, then the next worst, and so on (leximin)",
        "affinity": "the total affinity",
        "load_spread": "the evenness of loads (the smallest spread)",
        "objective": "the total affinity",
    }
    levels = o.levels
    order = [words[level] for level in levels]
    out = ["The solver maximises " + ", then ".join(order) + "."]
    if o.load_spread:
        out.append(
            f"Each unit of load spread (largest minus smallest load) costs {o.load_spread:g}."
        )
    if policy.representation.weight:
        out.append(
            f"Each seat outside a representation band costs {policy.representation.weight:g}."
        )
    if o.prefers_not:
        out.append(
            f"Each assigned pair a reviewer would rather not review (prefers_not) costs "
            f"{o.prefers_not:g}, unless its row gives its own weight."
        )
    q = policy.random.max_probability
    if q < 1:
        out.append(
            f"The assignment is one random draw of a lottery in which no case-reviewer pair "
            f"has a probability above {q:g}."
        )
    return out


# ------------------------------------------------------------------------ sections


def _f(value: float | None, spec: str = ".4f") -> str:
    """``value`` formatted by ``spec``, a dash for None."""
    return _DASH if value is None else format(value, spec)


def _pct(value: float | None) -> str:
    """``value`` as a percentage, a dash for None."""
    return _DASH if value is None else f"{100 * value:.1f} %"


_RECHECK = "reviewassign verify PROBLEM RESULT.json --time-limit S re-proves them"


_VERDICTS = {
    Status.OPTIMAL: "The assignment is proven optimal.",
    Status.FEASIBLE: "The assignment meets every hard rule; optimality is not proven "
    "(see the gap).",
    Status.INFEASIBLE: "No assignment meets every hard rule of the policy: there is no "
    "assignment to report on.",
    Status.NO_SOLUTION: "The time limit was reached before any assignment was found: "
    "there is no assignment to report on.",
}
"""The summary's verdict for each status."""


def _sections(result: Result, problem: Problem, policy: Policy) -> tuple[str, list[_Section]]:
    """The report's title and its sections, in order."""
    assignment = result.assignment
    title = (
        f"Audit report: {_n(len(problem.cases), 'case')} and "
        f"{_n(len(problem.reviewers), 'reviewer')}"
    )
    rules = _rules(problem, policy, assignment, result.forced)
    sections = [_summary(result, problem), _in_words(policy, rules)]
    if not result.ok:
        if result.status is Status.INFEASIBLE:
            sections.append(_why(result, problem, policy))
        sections.append(_record(result))
        return title, sections
    sections.append(_hard_rules(problem, policy, assignment, rules, result.forced))
    sections.append(_avoided(result, problem, policy))
    m = evaluate(problem, assignment, policy)
    sections.append(_composition(problem, policy, m, assignment))
    sections.append(_loads(m))
    sections.append(_affinity(m))
    sections.append(_record(result))
    return title, sections


_EXPLAIN_SECONDS = 60.0
"""Seconds the report of an infeasible result gives ``explain`` (its key core and changes)."""


def _why(result: Result, problem: Problem, policy: Policy) -> _Section:
    """Why the policy cannot be met: the failing checks, the keys in conflict, the changes.

    ``explain`` is run with the result's forced pairs and seed 0 (its instance core only
    when no check fails), within :data:`_EXPLAIN_SECONDS`.
    """
    why = explain(problem, policy, time_limit=_EXPLAIN_SECONDS, forced=result.forced)
    paragraphs = []
    if why.keys:
        proven = "proven minimal" if why.keys_irreducible else _NOT_MINIMAL
        paragraphs.append(
            f"The policy keys that cannot hold together ({proven}): {', '.join(why.keys)}."
        )
    if why.core:
        paragraphs.append(
            f"{_n(len(why.core), 'rule instance')} cannot hold together"
            + ("." if why.irreducible else f" ({_NOT_MINIMAL}).")
        )
    paragraphs.extend(why.notes)
    steps = [r for r in why.relaxations if r.scope == "policy"]
    tables = (_Table(_STEP_HEADER, tuple(map(_step_row, steps)), _STEP_CAPTION),) if steps else ()
    items = tuple(f"{' + '.join(r.keys)}: {r.message}" for r in why.reasons)
    items += tuple(f"{r.rule}: {r.message}" for r in why.core)
    return _Section("Why the policy cannot be met", tuple(paragraphs), tables, items)


_NOT_MINIMAL = "a conflicting set, not proven minimal"
_STEP_HEADER = ("key", "change", "restores", "objective", "price")
_STEP_CAPTION = (
    "Policy-wide changes, cheapest first: the smallest change of each key that restores "
    "feasibility, its best objective, and its price against the key turned off."
)
_RESTORES = {True: "yes, verified by a solve", False: "no", None: "undecided"}


def _step_row(r: Relaxation) -> tuple[str, ...]:
    """One policy-wide change as a row of the report's table."""
    unproven = "" if r.proven or r.objective is None else " (not proven optimal)"
    return (
        r.rule,
        r.change,
        _RESTORES[r.restores],
        _f(r.objective, ".3f") + unproven,
        _f(r.price, ".3f"),
    )


def _summary(result: Result, problem: Problem) -> _Section:
    """The summary section: the status, the verdict, the problem's warnings, the figures."""
    head = _Table(
        ("figure", "value"),
        (
            ("status", result.status.name),
            ("objective", _f(result.objective)),
            ("bound", _f(result.bound)),
            ("gap", _DASH if result.gap is None else f"{100 * result.gap:.3f} %"),
            ("cases", str(len(problem.cases))),
            ("reviewers", str(len(problem.reviewers))),
            ("seats", str(sum(len(p) for p in result.assignment.values()))),
        ),
    )
    verdict = _VERDICTS[result.status]
    if result._source is None and result.status in (Status.OPTIMAL, Status.FEASIBLE):
        # A result read from a file: its status and bound are what the file claims, and
        # this report re-checks the rules only (``reviewassign verify --time-limit``).
        verdict = (
            f"The result file records this status; this report re-checks the hard rules "
            f"but not the status or the bound ({_RECHECK})."
        )
    warnings = tuple(f"Warning: {w}." for w in problem.warnings)  # look-alike labels
    return _Section("Summary", (f"Status: {result.status.name}. {verdict}", *warnings), (head,))


def _in_words(policy: Policy, rules: Sequence[_Rule]) -> _Section:
    """The policy in words: every rule that is on, then the objective."""
    return _Section(
        "The policy in words",
        items=tuple(r.words for r in rules) + tuple(_objective_words(policy)),
    )


def _hard_rules(
    problem: Problem,
    policy: Policy,
    assignment: Assignment,
    rules: Sequence[_Rule],
    forced: Sequence[tuple[str, str]] = (),
) -> _Section:
    """The hard rules section: the independent check's verdict, and where each rule binds."""
    violations = check(problem, policy, assignment, forced=forced)
    if violations:
        held = (
            f"{_n(len(violations), 'violation')} found by the independent check "
            "(reviewassign.check):",
        )
        listed = tuple(str(v) for v in violations[:50])
    else:
        held = (
            f"All {len(rules)} rules hold, verified by an independent check "
            "(reviewassign.check, which shares no code with the solver).",
        )
        listed = ()
    return _Section(
        "Hard rules: whether and where they bind",
        held,
        (
            _Table(
                ("rule", "in words", "binds", "where"),
                tuple((r.key, r.words, r.binds, r.where) for r in rules),
            ),
        ),
        listed,
    )


def _avoided(result: Result, problem: Problem, policy: Policy) -> _Section:
    """The conflicts section: the conflicted pairs by reason (the result's, else counted)."""
    avoided = dict(result.conflicts_avoided) or dict(
        Counter(reason for pair in conflicts(problem, policy) for reason in pair.reasons)
    )
    return _Section(
        "Conflicts of interest avoided",
        (
            f"{_n(sum(avoided.values()), 'conflicted pair')} by reason "
            "(a pair with several reasons counts under each); none of them is assigned.",
        ),
        (
            _Table(
                ("reason", "code", "pairs"),
                tuple((_REASON_WORDS.get(k, k), k, str(v)) for k, v in sorted(avoided.items())),
            ),
        ),
    )


def _attribute_tables(policy: Policy, m: Metrics) -> list[_Table]:
    """Seats by each user attribute of the reviewers, with its band when one is set."""
    tables = []
    for name, shares in m.attribute_shares.items():
        pool = m.attribute_pool_shares[name]
        entry = next((b for b in policy.representation.bands if b.attribute == name), None)

        def band(k: str, entry: AttributeBand | None = entry, pool: dict[str, float] = pool) -> str:
            if entry is None:
                return _DASH
            t, tol = entry.targets.get(k, pool[k]), entry.tolerance
            return f"{100 * max(0.0, t - tol):.1f} {_DASH} {100 * min(1.0, t + tol):.1f} %"

        tables.append(
            _Table(
                (name, "seats", "share of seats", "share of pool", "band"),
                tuple(
                    (k, str(round(share * m.seats)), _pct(share), _pct(pool[k]), band(k))
                    for k, share in shares.items()
                ),
                f"Seats by {name}",
            )
        )
    return tables


def _composition(problem: Problem, policy: Policy, m: Metrics, assignment: Assignment) -> _Section:
    """The panel composition section: seats, coverage, and seats by region and gender."""
    seated = panels(problem, assignment)
    on: dict[tuple[str, str], tuple[float, float]] = {
        (b.kind, b.label): (b.target, b.tolerance) for b in bands(problem, policy, seated)
    }

    def band(kind: str, label: str) -> str:
        if (kind, label) not in on:
            return _DASH
        t, tol = on[kind, label]
        return f"{100 * max(0.0, t - tol):.1f} {_DASH} {100 * min(1.0, t + tol):.1f} %"

    tables = []
    for kind, seats, shares, pool, empty in (
        ("region", m.region_seats, m.region_shares, m.region_pool_shares, "no region"),
        ("gender", m.gender_seats, m.gender_shares, m.gender_pool_shares, "undisclosed"),
    ):
        tables.append(
            _Table(
                (kind, "seats", "share of seats", "share of pool", "band"),
                tuple(
                    (
                        k or empty,
                        str(seats[k]),
                        _pct(shares[k]),
                        _pct(pool.get(k)),
                        band(kind, "" if kind == "gender" and k == "undisclosed" else k),
                    )
                    for k in seats
                ),
                f"Seats by {kind}",
            )
        )
    tables.extend(_attribute_tables(policy, m))
    new = (
        ()
        if m.new_seats_share is None
        else (
            f"{_pct(m.new_seats_share)} of seats are held by new reviewers, with no seat in "
            f"the history{_within(policy.history.new_years)}.",
        )
    )
    return _Section(
        "Panel composition",
        (
            f"{_n(m.seats, 'seat')}; {_n(m.senior_seats, 'senior seat')}; "
            f"{_pct(m.coverage_rate)} of case topics covered, "
            f"{m.fully_covered_cases} cases fully covered.",
            *new,
        ),
        tuple(tables),
    )


def _within(years: int | None) -> str:
    """`` within the last n years`` (``history.new_years``), or nothing for every year."""
    return "" if years is None else f" within {_n(years, 'year')} (history.new_years)"


def _loads(m: Metrics) -> _Section:
    """The loads section: their range, spread and mean, and reviewers by load."""
    dist = Counter(m.loads.values())
    return _Section(
        "Loads",
        (
            f"Loads run from {m.min_load} to {m.max_load} (spread {m.load_spread}), mean "
            f"{m.mean_load:.2f}; {_n(m.idle_reviewers, 'reviewer')} idle.",
        ),
        (
            _Table(
                ("reviews", "reviewers"),
                tuple((str(k), str(v)) for k, v in sorted(dist.items())),
                "Reviewers by load",
            ),
        ),
    )


def _affinity(m: Metrics) -> _Section:
    """The affinity section: total, worst and mean panel, and the weakest panels."""
    worst = sorted(m.case_affinity.items(), key=lambda kv: (kv[1], kv[0]))[:SHOWN]
    return _Section(
        "Affinity",
        (
            f"Total affinity {m.total_affinity:.4f}; worst panel {_f(m.worst_case)}, mean "
            f"panel {_f(m.mean_case)}.",
            *(
                [
                    f"{_n(m.prefers_not_pairs, 'assigned pair')} a reviewer would rather not "
                    f"review (prefers_not), costing {m.prefers_not_cost:.4f} in the objective."
                ]
                if m.prefers_not_pairs
                else []
            ),
        ),
        (
            _Table(
                ("case", "panel affinity"),
                tuple((c, f"{a:.4f}") for c, a in worst),
                f"The {len(worst)} weakest panels",
            ),
        ),
    )


def _record(result: Result) -> _Section:
    """The reproducibility section: versions, seed, hashes, times and phases."""
    s: Stats = result.stats
    rows = (
        ("reviewassign", s.library_version or _DASH),
        ("OR-Tools", s.ortools_version or _DASH),
        ("seed", str(s.seed)),
        ("workers", str(s.workers)),
        ("time limit", "none" if s.time_limit is None else f"{s.time_limit:g} s"),
        ("input hash", s.input_hash or _DASH),
        ("resolution", f"{s.resolution:g}"),
        ("wall time", f"{s.wall_time:.3f} s"),
    )
    phases = tuple(
        (p.name, f"{p.seconds:.3f}", p.status or _DASH, _f(p.objective), _f(p.bound))
        for p in s.phases
    )
    tables = [_Table(("item", "value"), rows, "Reproducibility record")]
    if phases:
        tables.append(
            _Table(("phase", "seconds", "status", "objective", "bound"), phases, "Phases")
        )
    return _Section(
        "Reproducibility",
        (
            "The same inputs (same input hash), versions, seed and workers give the same result.",
            # The warnings of the problem are in the summary already.
            *(n for n in s.notes if not n.startswith("warning: ")),
        ),
        tuple(tables),
    )


# ----------------------------------------------------------------------- rendering

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:70em;margin:2em auto;
padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #444}h2{font-size:1.25em;margin-top:1.6em}
table{border-collapse:collapse;margin:.8em 0}th,td{border:1px solid #bbb;padding:.25em .6em;
vertical-align:top}th{background:#eee;text-align:left}caption{text-align:left;font-weight:bold}
td.n{text-align:right}
"""


def _html(title: str, sections: Sequence[_Section]) -> str:
    """The report as a standalone HTML page."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    for section in sections:
        out.append(f"<section><h2>{e(section.title)}</h2>")
        out.extend(f"<p>{e(p)}</p>" for p in section.paragraphs)
        if section.items:
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in section.items) + "</ul>")
        for t in section.tables:
            out.append("<table>")
            if t.caption:
                out.append(f"<caption>{e(t.caption)}</caption>")
            out.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in t.header) + "</tr>")
            out.append("</thead><tbody>")
            for row in t.rows:
                out.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
        out.append("</section>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    """``text`` escaped for a Markdown table cell."""
    # Markdown renders raw HTML: escape it, and the pipes and newlines of a table cell.
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def _md(title: str, sections: Sequence[_Section]) -> str:
    """The report as Markdown."""
    out = [f"# {_md_cell(title)}", ""]
    for section in sections:
        out += [f"## {_md_cell(section.title)}", ""]
        for p in section.paragraphs:
            out += [_md_cell(p), ""]
        if section.items:
            out += [f"- {_md_cell(i)}" for i in section.items] + [""]
        for t in section.tables:
            if t.caption:
                out += [f"**{_md_cell(t.caption)}**", ""]
            out.append("| " + " | ".join(_md_cell(h) for h in t.header) + " |")
            out.append("|" + "---|" * len(t.header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
            out.append("")
    return "\n".join(out)


def render_report(result: Result, problem: Problem, policy: Policy, fmt: Format) -> str:
    """The report as HTML or markdown text."""
    title, sections = _sections(result, problem, Policy.coerce(policy))
    return _html(title, sections) if fmt == "html" else _md(title, sections)


def report_format(path: PathLike, fmt: str | None) -> Format:
    """The format named, or the one the file name ends in (``.html``/``.htm``, ``.md``)."""
    if fmt is None:
        suffix = Path(path).suffix.lower()
        fmt = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}.get(suffix)
        if fmt is None:
            raise ValueError(f"a report file ends in .html or .md, not {suffix or 'nothing'!r}")
    if fmt not in ("html", "md"):
        raise ValueError(f"format must be 'html' or 'md', not {fmt!r}")
    return "html" if fmt == "html" else "md"


def write_report(
    result: Result, path: PathLike, problem: Problem, policy: Policy, fmt: str | None
) -> None:
    """Write the report atomically (see :meth:`Result.report`)."""
    text = render_report(result, problem, policy, report_format(path, fmt))
    write_atomic(path, text)


def read_result(path: PathLike) -> Result:
    """A result file (``to_json``) as a :class:`Result` without metrics, levels or source."""
    where = Path(path)
    if where.suffix.lower() != ".json":
        raise InputError("a result file ends in .json", path=where)
    data = _read_json(where)
    if not isinstance(data, dict):
        raise InputError("a result file holds a JSON object", path=where)
    try:
        status = Status(data.get("status"))
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InputError(
            f"unknown status {data.get('status')!r}; one of {known}", path=where, field="status"
        ) from None
    numbers: dict[str, float | None] = {}
    for key in ("objective", "bound", "gap"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(
                f"expected a number or null, got {json.dumps(value)[:60]}", path=where, field=key
            )
        numbers[key] = None if value is None else float(value)
    try:
        stats = Stats.model_validate(data.get("stats") or {"wall_time": 0.0})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = ".".join(str(x) for x in ("stats", *error["loc"]))
        raise InputError(error["msg"], path=where, field=loc) from None
    avoided = data.get("conflicts_avoided") or {}
    if not isinstance(avoided, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in avoided.items()
    ):
        raise InputError(
            "expected an object of reason -> count", path=where, field="conflicts_avoided"
        )
    assignment = load_assignment(where) if "assignment" in data else Assignment()
    forced = data.get("forced") or []
    if not isinstance(forced, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in forced
    ):
        raise InputError("expected a list of [case, reviewer] pairs", path=where, field="forced")
    return Result(
        status,
        assignment,
        numbers["objective"],
        numbers["bound"],
        numbers["gap"],
        stats,
        conflicts_avoided=avoided,
        forced=tuple((c, r) for c, r in forced),
    )
