"""The audit report for an award board: one self-contained HTML page, or markdown.

The report restates the policy in words, says for every hard rule whether and where it
binds, shows the conflicts avoided, the panel composition, loads and affinities, and the
reproducibility record. Its figures are computed here from the problem, the policy and the
assignment (with :func:`check` and :func:`evaluate`), not read from the solver.

The page is self-contained: inline CSS only, no JavaScript, no external resource, and
every user string is escaped.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from .._data.model import Problem, Reviewer
from .._data.policy import SHARE_EPS, WEAK_EPS, Policy
from .._data.result import Assignment, Result, Stats, Status
from .._data.rules import active, region_cap, rule
from .._errors import InputError
from .._files.io import PathLike, load_assignment, write_atomic
from .._reduce.conflicts import conflicts
from .._spec.check import Metrics, check, evaluate, pair_affinity

__all__ = ["read_result", "render_report", "report_format", "write_report"]

SHOWN = 10
"""Case or reviewer ids listed where a rule binds (the first, in problem order)."""

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


def _ids(ids: Sequence[str]) -> str:
    """The first ids, joined, and how many more there are."""
    shown = ", ".join(ids[:SHOWN])
    more = len(ids) - SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``count word``, in the plural (``word + "s"`` unless given) unless ``count`` is 1."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _at(count: int, total: int, noun: str, what: str, ids: Sequence[str]) -> tuple[str, str]:
    """``(binds, where)`` for a rule met exactly by ``count`` of ``total`` ``noun``s."""
    if not count:
        return "no", f"no {noun} is {what}"
    return "yes", f"{count} of {_n(total, noun)} {what}: {_ids(ids)}"


def _max_load(r: Reviewer, policy: Policy) -> int:
    """The reviewer's maximum load: their own, else ``load.max``."""
    return policy.load.max if r.max_load is None else r.max_load


def _min_load(r: Reviewer, policy: Policy) -> int:
    """The reviewer's minimum load: their own, else ``load.min``."""
    return policy.load.min if r.min_load is None else r.min_load


Panels = Mapping[str, list[Reviewer]]
Binds = Callable[[Problem, Policy, Panels], tuple[str, str]]
"""``(binds, where)`` of a per-case rule over the assignment's panels."""


def _tight(
    problem: Problem, panels: Panels, what: str, hit: Callable[..., bool]
) -> tuple[str, str]:
    """``(binds, where)`` of a rule that binds on the panels where ``hit`` holds."""
    ids = [c.id for c in problem.cases if hit(c, panels[c.id])]
    return _at(len(ids), len(problem.cases), "panel", what, ids)


def _regions(panel: list[Reviewer]) -> Counter[str]:
    """A panel's seats by region."""
    return Counter(r.region for r in panel)


def _genders(panel: list[Reviewer]) -> Counter[str]:
    """A panel's seats by disclosed gender."""
    return Counter(r.gender for r in panel if r.gender)


def _excluded(count: int) -> tuple[str, str]:
    """``(binds, where)`` of a single-pair rule that excluded ``count`` pairs."""
    return "yes" if count else "no", f"{_n(count, 'case-reviewer pair')} excluded"


def _region_cap(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``panel.max_per_region``: the panels at the cap."""
    cap = region_cap(policy)
    return _tight(
        problem,
        panels,
        "at the cap",
        lambda c, panel: bool(panel) and max(_regions(panel).values()) == cap,
    )


def _min_regions(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``panel.min_regions``: the panels at the minimum."""
    low = policy.panel.min_regions
    return _tight(
        problem, panels, "exactly at the minimum", lambda c, panel: len(_regions(panel)) == low
    )


def _own_region(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``panel.own_region``: the pairs excluded, or the panels with one."""
    if policy.panel.own_region == "exclude":
        cases, reviewers = problem.cases, problem.reviewers
        return _excluded(sum(1 for c in cases for r in reviewers if r.region == c.region))
    return _tight(
        problem,
        panels,
        "with exactly one",
        lambda c, panel: sum(r.region == c.region for r in panel) == 1,
    )


def _gender_cap(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``panel.max_per_gender``: the panels at the cap."""
    cap = policy.panel.max_per_gender
    return _tight(
        problem,
        panels,
        "at the cap",
        lambda c, panel: max(_genders(panel).values(), default=0) == cap,
    )


def _min_genders(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``panel.min_genders``: the panels at the minimum."""
    low = policy.panel.min_genders
    return _tight(
        problem, panels, "exactly at the minimum", lambda c, panel: len(_genders(panel)) == low
    )


def _min_senior(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``panel.min_senior``: the panels at the minimum."""
    low = policy.panel.min_senior
    return _tight(
        problem,
        panels,
        "exactly at the minimum",
        lambda c, panel: sum(r.seniority == "senior" for r in panel) == low,
    )


def _language(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``panel.language``: the pairs it excludes."""
    return _excluded(
        sum(
            1
            for c in problem.cases
            if c.language
            for r in problem.reviewers
            if c.language not in r.languages
        )
    )


def _coverage(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``expertise.coverage``: the panels where one member alone covers."""
    e = policy.expertise
    level = e.min_level

    def sole(c: Any, panel: list[Reviewer]) -> bool:
        counts = [sum(r.expertise.get(t, 0) >= level for r in panel) for t in c.topics]
        if e.coverage == "all":
            return 1 in counts
        return sum(1 for r in panel if any(r.expertise.get(t, 0) >= level for t in c.topics)) == 1

    return _tight(problem, panels, "covered by one member only", sole)


def _panel_floor(problem: Problem, policy: Policy, panels: Panels) -> tuple[str, str]:
    """``(binds, where)`` of ``expertise.min_panel_affinity``: the panels at the floor."""
    floor = policy.expertise.min_panel_affinity
    return _tight(
        problem,
        panels,
        "at the floor (within 1e-6 a seat)",
        lambda c, panel: (
            sum(pair_affinity(problem, c, r) for r in panel) <= floor + 1e-6 * max(len(panel), 1)
        ),
    )


_PANEL_BINDS: Mapping[str, Binds] = {
    "panel.max_per_region": _region_cap,
    "panel.min_regions": _min_regions,
    "panel.own_region": _own_region,
    "panel.max_per_gender": _gender_cap,
    "panel.min_genders": _min_genders,
    "panel.min_senior": _min_senior,
    "panel.language": _language,
    "expertise.coverage": _coverage,
    "expertise.min_panel_affinity": _panel_floor,
}
"""Where each per-case rule binds; every such rule of the registry has an entry."""


def _panel_rules(problem: Problem, policy: Policy, panels: Panels) -> list[_Rule]:
    """The per-case rules that are on (not panel sizes), in check order, in the registry's words."""
    rules: list[_Rule] = []
    for r in active(policy):
        if r.scope == "case" and r.key != "panel_size":
            binds, where = _PANEL_BINDS[r.key](problem, policy, panels)
            rules.append(_Rule(r.key, r.says(policy), binds, where))
    return rules


def _rules(problem: Problem, policy: Policy, assignment: Assignment) -> list[_Rule]:
    """Every hard rule that is on, in words, and whether and where it binds."""
    panels: dict[str, list[Reviewer]] = {c.id: [] for c in problem.cases}
    by_id = {r.id: r for r in problem.reviewers}
    for case, panel in assignment.items():
        if case in panels:
            panels[case] = [by_id[r] for r in panel if r in by_id]
    loads = Counter(r for panel in assignment.values() for r in panel)
    rules: list[_Rule] = []
    sizes = Counter(
        policy.panel_size if c.panel_size is None else c.panel_size for c in problem.cases
    )
    size_words = ", ".join(f"{_n(n, 'panel')} of {k}" for k, n in sorted(sizes.items()))
    rules.append(
        _Rule(
            "panel_size",
            rule("panel_size").says(policy)
            + (" (a case's own panel size overrides)." if len(sizes) > 1 else "."),
            "yes",
            size_words or "no case",
        )
    )
    reviewers = problem.reviewers
    at_max = [r.id for r in reviewers if loads[r.id] == _max_load(r, policy)]
    binds, where = _at(len(at_max), len(reviewers), "reviewer", "at their maximum load", at_max)
    rules.append(
        _Rule(
            "load.max",
            rule("load.max").says(policy),
            binds,
            where,
        )
    )
    if any(_min_load(r, policy) for r in reviewers):
        at_min = [
            r.id for r in reviewers if _min_load(r, policy) and loads[r.id] == _min_load(r, policy)
        ]
        binds, where = _at(len(at_min), len(reviewers), "reviewer", "at their minimum load", at_min)
        rules.append(
            _Rule(
                "load.min",
                rule("load.min").says(policy),
                binds,
                where,
            )
        )
    weak_matches = rule("load.max_weak_matches")
    if weak_matches.on(policy):
        cap, below = policy.load.max_weak_matches, policy.load.weak_match_below
        cases = {c.id: c for c in problem.cases}
        weak: Counter[str] = Counter()
        for case, panel in assignment.items():
            for r in panel:
                known = r in by_id and case in cases
                if known and pair_affinity(problem, cases[case], by_id[r]) < below - WEAK_EPS:
                    weak[r] += 1
        ids = [r.id for r in reviewers if weak[r.id] == cap]
        binds, where = _at(len(ids), len(reviewers), "reviewer", "at the cap", ids)
        rules.append(
            _Rule(
                "load.max_weak_matches",
                weak_matches.says(policy),
                binds,
                where,
            )
        )
    found = conflicts(problem, policy)
    reasons = Counter(reason for pair in found for reason in pair.reasons)
    # Declared and applicant first, as they always apply; then the switches.
    for key, reason in (
        ("conflicts.declared", "declared"),
        ("conflicts.applicant", "applicant"),
        ("conflicts.same_institution", "same_institution"),
        ("conflicts.same_country", "same_country"),
        ("conflicts.relation_distance", "relation"),
    ):
        if rule(key).on(policy):
            n = reasons[reason]
            said = rule(key).says(policy)
            rules.append(_Rule(key, said, "yes" if n else "no", f"{_n(n, 'pair')} avoided"))
    rules.extend(_panel_rules(problem, policy, panels))
    rules.extend(_band_rules(problem, policy, panels))
    cycles = rule("integrity.forbid_cycles")
    if cycles.on(policy):
        applicants = {a for case in problem.cases for a in case.applicants}
        both = sum(1 for r in reviewers if r.id in applicants)
        rules.append(
            _Rule(
                "integrity.forbid_cycles",
                cycles.says(policy),
                "yes" if both else "no",
                f"{_n(both, 'reviewer')} also applicant",
            )
        )
    return rules


def _bands(
    problem: Problem, policy: Policy, panels: Mapping[str, list[Reviewer]]
) -> list[tuple[str, str, int, int, float, float]]:
    """``(kind, label, seats, all seats, target, tolerance)`` of every band that is on."""
    rep = policy.representation
    seated = [r for panel in panels.values() for r in panel]
    n = len(problem.reviewers)
    out: list[tuple[str, str, int, int, float, float]] = []
    for kind, tolerance, targets in (
        ("region", rep.region_tolerance, rep.region_targets),
        ("gender", rep.gender_tolerance, rep.gender_targets),
    ):
        if tolerance >= 1 or not n:
            continue
        pool = Counter(getattr(r, kind) for r in problem.reviewers)
        seats = Counter(getattr(r, kind) for r in seated)
        labels = (set(pool) | set(targets)) - ({""} if kind == "gender" else set())
        for label in sorted(labels):
            target = targets.get(label, pool[label] / n)
            out.append((kind, label, seats[label], len(seated), target, tolerance))
    return out


def _band_rules(
    problem: Problem, policy: Policy, panels: Mapping[str, list[Reviewer]]
) -> list[_Rule]:
    """The representation bands that are on; one binds where a share is at its band's edge."""
    rules: list[_Rule] = []
    rep = policy.representation
    bands = _bands(problem, policy, panels)
    for kind, tolerance in (("region", rep.region_tolerance), ("gender", rep.gender_tolerance)):
        if tolerance >= 1:
            continue
        edges = []
        for k, label, seats, total, target, tol in bands:
            if k != kind or not total:
                continue
            top = math.floor(total * (target + tol + SHARE_EPS))
            bottom = math.ceil(total * (target - tol - SHARE_EPS))
            if seats in (top, bottom):
                edges.append(label or "no region")
        key = f"representation.{kind}_tolerance"
        rules.append(
            _Rule(
                key,
                rule(key).says(policy),  # shown soft too (with a weight): an objective term
                "yes" if edges else "no",
                (f"at the edge of the band: {_ids(edges)}" if edges else "every share inside"),
            )
        )
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


def _sections(result: Result, problem: Problem, policy: Policy) -> tuple[str, list[_Section]]:
    """The report's title and its sections, in order."""
    assignment = result.assignment
    title = (
        f"Audit report: {_n(len(problem.cases), 'case')} and "
        f"{_n(len(problem.reviewers), 'reviewer')}"
    )
    head = _Table(
        ("figure", "value"),
        (
            ("status", result.status.name),
            ("objective", _f(result.objective)),
            ("bound", _f(result.bound)),
            ("gap", _DASH if result.gap is None else f"{100 * result.gap:.3f} %"),
            ("cases", str(len(problem.cases))),
            ("reviewers", str(len(problem.reviewers))),
            ("seats", str(sum(len(p) for p in assignment.values()))),
        ),
    )
    verdict = {
        Status.OPTIMAL: "The assignment is proven optimal.",
        Status.FEASIBLE: "The assignment meets every hard rule; optimality is not proven "
        "(see the gap).",
        Status.INFEASIBLE: "No assignment meets every hard rule of the policy: there is no "
        "assignment to report on.",
        Status.NO_SOLUTION: "The time limit was reached before any assignment was found: "
        "there is no assignment to report on.",
    }[result.status]
    if result._source is None and result.status in (Status.OPTIMAL, Status.FEASIBLE):
        # A result read from a file: its status and bound are what the file claims, and
        # this report re-checks the rules only (``reviewassign verify --time-limit``).
        verdict = (
            f"The result file records this status; this report re-checks the hard rules "
            f"but not the status or the bound ({_RECHECK})."
        )
    warnings = tuple(f"Warning: {w}." for w in problem.warnings)  # look-alike labels
    sections = [
        _Section("Summary", (f"Status: {result.status.name}. {verdict}", *warnings), (head,))
    ]
    rules = _rules(problem, policy, assignment)
    sections.append(
        _Section(
            "The policy in words",
            items=tuple(r.words for r in rules) + tuple(_objective_words(policy)),
        )
    )
    if not result.ok:
        sections.append(_record(result))
        return title, sections

    violations = check(problem, policy, assignment)
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
    sections.append(
        _Section(
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
    )
    avoided = dict(result.conflicts_avoided) or dict(
        Counter(reason for pair in conflicts(problem, policy) for reason in pair.reasons)
    )
    sections.append(
        _Section(
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
    )
    m = evaluate(problem, assignment, policy)
    sections.append(_composition(problem, policy, m, assignment))
    sections.append(_loads(m))
    sections.append(_affinity(m))
    sections.append(_record(result))
    return title, sections


def _composition(problem: Problem, policy: Policy, m: Metrics, assignment: Assignment) -> _Section:
    """The panel composition section: seats, coverage, and seats by region and gender."""
    panels: dict[str, list[Reviewer]] = {c.id: [] for c in problem.cases}
    by_id = {r.id: r for r in problem.reviewers}
    for case, panel in assignment.items():
        if case in panels:
            panels[case] = [by_id[r] for r in panel if r in by_id]
    bands = {(k, label): (t, tol) for k, label, _, _, t, tol in _bands(problem, policy, panels)}

    def band(kind: str, label: str) -> str:
        if (kind, label) not in bands:
            return _DASH
        t, tol = bands[kind, label]
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
    return _Section(
        "Panel composition",
        (
            f"{_n(m.seats, 'seat')}; {_n(m.senior_seats, 'senior seat')}; "
            f"{_pct(m.coverage_rate)} of case topics covered, "
            f"{m.fully_covered_cases} cases fully covered.",
        ),
        tuple(tables),
    )


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
    from .._files.io import _read_json  # the JSON reader that names the file

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
    return Result(
        status,
        assignment,
        numbers["objective"],
        numbers["bound"],
        numbers["gap"],
        stats,
        conflicts_avoided=avoided,
    )
