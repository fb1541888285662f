"""The optimum is right: on tiny random problems, the solver agrees with brute force.

The brute force knows nothing of the solver: it enumerates every combination of panels,
keeps those that ``check`` passes and ranks them by ``evaluate``. So this is a test of the
model builders and backends against the executable specification.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import reviewassign as ra
from reviewassign._data.rules import rule

REGIONS = ("A", "B", "C")
GENDERS = ("female", "male", "")
SENIORITY = ("senior", "junior", "")
TOPICS = ("t1", "t2", "t3")
APPLICANTS = ("P1", "P2", "P3")
SECTORS = ("academia", "practice", "")
DISCIPLINES = ("law", "medicine", "")

EXAMPLES = int(os.environ.get("BRUTEFORCE_EXAMPLES", "40"))
"""Examples per property; raise it locally to hunt harder."""


# --------------------------------------------------------------------------------------
# strategies


def _sometimes(draw: st.DrawFn, value: st.SearchStrategy[Any], chance: int = 3) -> Any:
    """``None`` most of the time, a drawn value one time in ``chance``."""
    return draw(value) if draw(st.integers(1, chance)) == 1 else None


@st.composite
def _history(draw: st.DrawFn, cids: Sequence[str], rids: Sequence[str]) -> list[ra.HistorySeat]:
    """One or two past panels of two or three seats: last year's or the year before's, of
    a current or a past case, with its institutions, now and then a reviewer who has left
    (``R9``)."""
    seats: list[ra.HistorySeat] = []
    for _ in range(draw(st.integers(1, 2))):
        year = draw(st.sampled_from((2024, 2025)))
        case = draw(st.sampled_from((*cids, "X1", "X2")))
        institution = draw(st.sampled_from(((), ("U1",), ("U2",), ("U1", "U2"))))
        members = draw(
            st.lists(st.sampled_from((*rids, *rids, "R9")), min_size=2, max_size=3, unique=True)
        )
        seats.extend(
            ra.HistorySeat(year=year, case=case, reviewer=r, institution=institution)
            for r in members
            if (year, case, r) not in {(h.year, h.case, h.reviewer) for h in seats}
        )
    return seats


@st.composite
def problems(draw: st.DrawFn, history: bool = False) -> ra.Problem:
    """A tiny problem; ``history``: with a few ``history.csv`` rows."""
    n_cases = draw(st.integers(2, 3))
    n_reviewers = draw(st.integers(3, 5))
    rids = [f"R{j}" for j in range(n_reviewers)]
    cids = [f"C{i}" for i in range(n_cases)]

    reviewers = []
    for j, rid in enumerate(rids):
        lo = _sometimes(draw, st.integers(0, 1), 8)
        hi = _sometimes(draw, st.integers(1, 2), 8)
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        reviewers.append(
            ra.Reviewer(
                id=rid,
                region=draw(st.sampled_from(REGIONS)),
                country=draw(st.sampled_from(("KE", "FR"))),
                institution=draw(st.sampled_from(("U1", "U2", "U3", ""))),
                gender=draw(st.sampled_from(GENDERS)),
                seniority=draw(st.sampled_from(SENIORITY)),
                expertise=draw(
                    st.dictionaries(st.sampled_from(TOPICS), st.integers(1, 3), max_size=3)
                ),
                languages=draw(st.sampled_from((("en",), ("en", "fr"), ("en", "fr"), ("fr",)))),
                min_load=lo,
                max_load=hi,
                # R0 and R1 carry every label the policies name (else a rule is bad input).
                attributes={
                    "sector": SECTORS[j] if j < 2 else draw(st.sampled_from(SECTORS)),
                    "discipline": DISCIPLINES[j] if j < 2 else draw(st.sampled_from(DISCIPLINES)),
                },
            )
        )

    # Applicants are outside people, and now and then a reviewer.
    people = st.sampled_from(APPLICANTS + tuple(rids[:1]))
    cases = [
        ra.Case(
            id=cid,
            region=draw(st.sampled_from(REGIONS)),
            country=draw(st.sampled_from(("KE", "FR", "", ""))),
            institution=draw(st.sampled_from(((), ("U1",), ("U2",), ("U1", "U2")))),
            topics=draw(
                st.dictionaries(
                    st.sampled_from(TOPICS), st.sampled_from((1.0, 2.0)), min_size=0, max_size=2
                )
            ),
            language=draw(st.sampled_from(("", "", "en", "fr"))),
            applicants=tuple(draw(st.lists(people, unique=True, max_size=2))),
            panel_size=_sometimes(draw, st.integers(1, 2), 4),
            attributes={"discipline": "law" if i == 0 else draw(st.sampled_from(DISCIPLINES))},
        )
        for i, cid in enumerate(cids)
    ]

    pairs = st.tuples(st.sampled_from(cids), st.sampled_from(rids))
    declared = draw(st.lists(pairs, unique=True, max_size=2))
    known = sorted({p for c in cases for p in c.applicants} | set(rids))
    edges = draw(
        st.lists(st.sampled_from(list(itertools.combinations(known, 2))), unique=True, max_size=3)
    )
    given_scores = draw(
        st.lists(
            st.tuples(pairs, st.sampled_from((0.0, 0.25, 0.5, 1.0))),
            max_size=2,
            unique_by=lambda x: x[0],
        )
    )
    disjoint = draw(
        st.lists(st.sampled_from(list(itertools.combinations(rids, 2))), unique=True, max_size=2)
    )
    return ra.Problem(
        cases=cases,
        reviewers=reviewers,
        conflicts=[ra.Conflict(case=c, reviewer=r) for c, r in declared],
        relations=[ra.Relation(a=a, b=b, kind="coauthor") for a, b in edges],
        affinity=[ra.Affinity(case=c, reviewer=r, score=s) for (c, r), s in given_scores],
        # With a history, no disjoint pairs (tiny problems are tight; the history rules
        # then bind more often, and the other properties hold the disjoint pairs).
        disjoint=[] if history else [ra.Disjoint(a=a, b=b) for a, b in disjoint],
        history=draw(_history(cids, rids)) if history else (),
    )


RULES = (
    "load.min",
    "load.max",
    "conflicts.same_country",
    "panel.max_per_region",
    "panel.min_regions",
    "panel.own_region",
    "panel.max_per_gender",
    "panel.min_genders",
    "panel.min_senior",
    "expertise.coverage",
    "expertise.min_panel_affinity",
    "panel.rules",
)
"""Rules a policy may turn on (beyond same_institution, relation_distance and language;
``pairs.disjoint`` applies to the disjoint pairs a problem lists)."""

ATTRIBUTE_RULES: tuple[dict[str, Any], ...] = (
    {"attribute": "sector", "values": ["practice"], "at_least": 1},
    {"attribute": "sector", "values": ["academia"], "at_most": 0},
    {"attribute": "sector", "min_distinct": 2},
    {"attribute": "sector", "max_per_value": 1},
    {"attribute": "discipline", "different_from": "discipline", "at_least": 1},
    {"attribute": "discipline", "same_as": "discipline", "at_most": 0},
    {
        "attribute": "sector",
        "values": ["practice"],
        "at_least": 1,
        "cases": {"discipline": ["law"]},
    },
)
"""The ``[[panel.rules]]`` entries a policy may hold: every kind of count, once each."""


BOARD_RULES = (
    "representation.bands",
    "history.institution_years",
    "history.max_repeat_pairs",
    "history.min_new_share",
)
"""The whole-assignment band over a user attribute and the history rules (issue 14)."""

BANDS: tuple[dict[str, Any], ...] = (
    {"attribute": "sector", "tolerance": 0.25},
    {"attribute": "sector", "tolerance": 0.2, "targets": {"practice": 0.5}},
    {"attribute": "discipline", "tolerance": 0.4},
)
"""The ``[[representation.bands]]`` entries a policy may hold (hard: weight 0)."""


def _board(draw: st.DrawFn, on: set[str]) -> dict[str, Any]:
    """The ``[representation]`` bands and ``[history]`` settings of the board rules in ``on``
    (and panels of two under ``history.max_repeat_pairs``)."""
    sections: dict[str, Any] = {}
    if "representation.bands" in on:
        sections["representation"] = {"bands": [draw(st.sampled_from(BANDS))]}
    history: dict[str, Any] = {}
    if "history.institution_years" in on:
        history["institution_years"] = draw(st.integers(1, 2))
    if "history.max_repeat_pairs" in on:  # on panels of two, where past pairs can meet
        sections["panel_size"] = 2
        history["max_repeat_pairs"] = draw(st.sampled_from((0, 0, 1)))
        history["pair_years"] = draw(st.sampled_from((None, None, 1)))
    if "history.min_new_share" in on:
        history["min_new_share"] = draw(st.sampled_from((0.5, 1.0)))
        history["new_years"] = draw(st.sampled_from((None, 1)))
    if history:
        history["year"] = draw(st.sampled_from((None, 2026)))
        sections["history"] = history
    return sections


@st.composite
def policies(draw: st.DrawFn, attribute_rules: bool = False, board: bool = False) -> ra.Policy:
    """A policy with a few rules on; ``attribute_rules``: always ``[[panel.rules]]``;
    ``board``: always one or two of ``BOARD_RULES`` (a band, the history rules)."""
    # A few rules at a time: with all of them on, tiny problems are nearly always infeasible.
    on = draw(st.sets(st.sampled_from(RULES), max_size=3))
    if attribute_rules:
        on.add("panel.rules")
    if "panel.rules" in on:  # with one other rule at most: tiny problems are tight
        on = {"panel.rules", *sorted(on - {"panel.rules"})[:1]}
    if board:  # now and then with one other rule: tiny problems are tight
        other = set(sorted(on)[:1]) if draw(st.integers(1, 3)) == 1 else set()
        on = other | draw(st.sets(st.sampled_from(BOARD_RULES), min_size=1, max_size=2))
    rules: dict[str, Any] = {
        "panel_size": draw(st.integers(1, 2)),
        "load": {
            "min": 1 if "load.min" in on else 0,
            "max": draw(st.integers(1, 2)) if "load.max" in on else 6,
        },
        "conflicts": {
            "same_institution": draw(st.booleans()),
            "same_country": "conflicts.same_country" in on,
            "relation_distance": draw(st.integers(0, 2)),
        },
        "panel": {"language": draw(st.booleans())},
        "expertise": {"min_level": draw(st.integers(1, 3))},
        "objective": {
            "kind": draw(st.sampled_from(("affinity", "fairness", "leximin"))),
            "load_spread": draw(st.sampled_from((0.0, 0.5))),
        },
    }
    if draw(st.integers(1, 4)) == 1:  # an explicit order of levels instead of a kind
        levels = ("coverage", "worst_case", "leximin", "affinity", "load_spread")
        order = draw(st.permutations(levels))
        rules["objective"]["kind"] = "affinity"
        rules["objective"]["priorities"] = order[: draw(st.integers(1, 3))]
    panel = rules["panel"]
    if board and panel["language"]:  # on one time in six: tiny problems are tight
        panel["language"] = draw(st.integers(1, 3)) == 1
    if "panel.max_per_region" in on:
        panel["max_per_region"] = draw(st.integers(1, 2))
    if "panel.min_regions" in on:
        panel["min_regions"] = draw(st.integers(1, 2))
    if "panel.own_region" in on:
        panel["own_region"] = draw(st.sampled_from(("exclude", "at_least_one")))
    if "panel.max_per_gender" in on:
        panel["max_per_gender"] = draw(st.integers(1, 2))
    if "panel.min_genders" in on:
        panel["min_genders"] = draw(st.integers(1, 2))
    if "panel.min_senior" in on:
        panel["min_senior"] = draw(st.integers(1, 2))
    if "expertise.coverage" in on:
        rules["expertise"]["coverage"] = draw(st.sampled_from(("any", "all")))
    if "expertise.min_panel_affinity" in on:
        rules["expertise"]["min_panel_affinity"] = draw(st.sampled_from((0.25, 0.5, 1.0)))
    if "panel.rules" in on:
        panel["rules"] = draw(
            st.lists(st.sampled_from(ATTRIBUTE_RULES), min_size=1, max_size=2, unique_by=str)
        )
    rules.update(_board(draw, on))
    return ra.Policy(**rules)


# --------------------------------------------------------------------------------------
# brute force


@dataclass(frozen=True)
class Best:
    objective: float
    worst_case: float
    assignment: dict[str, tuple[str, ...]]
    levels: dict[str, Any]


def _level(name: str, m: ra.Metrics) -> Any:
    """An assignment's figure at one level of the objective, larger is better."""
    if name == "leximin":
        return m.profile()
    figures = {
        "coverage": m.covered_topics,
        "worst_case": m.worst_case,
        "affinity": m.total_affinity,
        "load_spread": -m.load_spread,
        "objective": m.objective,
    }
    return figures[name]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        return all(abs(x - y) <= 1e-6 for x, y in zip(a, b, strict=True))
    return bool(abs(a - b) <= 1e-6)


def _panels_of(problem: ra.Problem, policy: ra.Policy, case: ra.Case) -> list[tuple[str, ...]]:
    """Every panel of ``case`` that breaks no rule of that case (loads are judged later)."""
    size = case.panel_size if case.panel_size is not None else policy.panel_size
    ids = [r.id for r in problem.reviewers]
    return [
        panel
        for panel in itertools.combinations(ids, size)
        if not [v for v in ra.check(problem, policy, {case.id: panel}) if v.case == case.id]
    ]


def brute_force(problem: ra.Problem, policy: ra.Policy) -> Best | None:
    """The best valid assignment by enumeration, or ``None`` if there is none.

    Each level of the policy's objective (``ObjectivePolicy.levels``) is maximised in
    turn: "fairness" is (worst case, objective), "leximin" (sorted profile, objective).
    """
    per_case = [_panels_of(problem, policy, c) for c in problem.cases]
    ids = [c.id for c in problem.cases]
    valid: list[tuple[ra.Metrics, dict[str, tuple[str, ...]]]] = []
    for panels in itertools.product(*per_case):
        assignment = dict(zip(ids, panels, strict=True))
        if ra.check(problem, policy, assignment) == []:
            valid.append((ra.evaluate(problem, assignment, policy), assignment))
    if not valid:
        return None
    for name in policy.objective.levels:
        top = max(_level(name, m) for m, _ in valid)
        valid = [(m, a) for m, a in valid if _same(_level(name, m), top)]
    m, assignment = valid[0]
    assert m.worst_case is not None
    levels = {name: _level(name, m) for name in policy.objective.levels}
    return Best(m.objective, m.worst_case, assignment, levels)


def _describe(problem: ra.Problem, policy: ra.Policy, result: ra.Result, best: Best | None) -> str:
    return (
        f"\nproblem = {problem.model_dump(exclude_defaults=True)}"
        f"\npolicy = {policy.model_dump(exclude_defaults=True)}"
        f"\nsolver: {result.status} {result.objective} {dict(result.assignment)}"
        f"\nbrute force: {best}"
    )


def assert_matches_brute_force(problem: ra.Problem, policy: ra.Policy, method: str) -> None:
    best = brute_force(problem, policy)
    result = ra.solve(problem, policy, workers=1, seed=0, method=method)  # type: ignore[arg-type]
    with contextlib.suppress(InvalidArgument):  # raised when called outside hypothesis
        event(f"{'infeasible' if best is None else 'feasible'}, {policy.objective.kind}")
        event(
            f"{'feasible' if best else 'infeasible'} with panel.rules {bool(policy.panel.rules)}, "
            f"disjoint pairs {bool(problem.disjoint)}"
        )
        board = [r for r in BOARD_RULES if rule(r).on(policy)]
        if board:
            event(f"{'feasible' if best else 'infeasible'} with {', '.join(board)}")
    why = _describe(problem, policy, result, best)
    if best is None:
        assert result.status is ra.Status.INFEASIBLE, why
        assert len(result.assignment) == 0
        assert result.objective is None
        return
    assert result.status is ra.Status.OPTIMAL, why
    assert ra.check(problem, policy, result.assignment) == [], why
    assert result.objective == pytest.approx(best.objective, abs=1e-5), why
    assert result.metrics is not None
    for name, figure in best.levels.items():
        assert _same(_level(name, result.metrics), figure), f"level {name}: {why}"
    assert [level.name for level in result.levels] == list(policy.objective.levels), why
    if policy.objective.kind == "fairness":
        assert result.metrics.worst_case == pytest.approx(best.worst_case, abs=1e-5), why
        assert result.stats.worst_case == pytest.approx(best.worst_case, abs=1e-5), why


@settings(max_examples=EXAMPLES)
@given(problems(), policies())
def test_solve_matches_brute_force(problem: ra.Problem, policy: ra.Policy) -> None:
    assert_matches_brute_force(problem, policy, "auto")


@settings(max_examples=EXAMPLES)
@given(problems(), policies())
def test_cpsat_matches_brute_force(problem: ra.Problem, policy: ra.Policy) -> None:
    # "auto" takes the flow path whenever it can; this runs the CP-SAT model on those too.
    assert_matches_brute_force(problem, policy, "cpsat")


@settings(max_examples=EXAMPLES)
@given(problems(), policies())
def test_lp_guided_matches_brute_force(problem: ra.Problem, policy: ra.Policy) -> None:
    # The LP relaxation, reduced-cost fixing and restricted CP-SAT solves ("auto" takes
    # this path only on larger instances).
    assert_matches_brute_force(problem, policy, "lp")


@settings(max_examples=EXAMPLES)
@given(problems(), policies(attribute_rules=True), st.sampled_from(["auto", "cpsat", "lp"]))
def test_attribute_rules_and_disjoint_pairs_match_brute_force(
    problem: ra.Problem, policy: ra.Policy, method: str
) -> None:
    # Every policy holds [[panel.rules]] entries, most problems disjoint pairs (issue 14).
    assert_matches_brute_force(problem, policy, method)


@settings(max_examples=EXAMPLES)
@given(problems(history=True), policies(board=True), st.sampled_from(["auto", "cpsat", "lp"]))
def test_bands_and_history_rules_match_brute_force(
    problem: ra.Problem, policy: ra.Policy, method: str
) -> None:
    # Every policy holds a [[representation.bands]] entry or [history] rules, every
    # problem a few history.csv rows (issue 14).
    assert_matches_brute_force(problem, policy, method)


# --------------------------------------------------------------------------------------
# the brute force itself, on instances solved by hand


def _tiny(reviewers: Sequence[ra.Reviewer]) -> ra.Problem:
    return ra.Problem(
        cases=[ra.Case(id="C1", topics={"t": 1}), ra.Case(id="C2", topics={"t": 1})],
        reviewers=reviewers,
    )


def test_brute_force_by_hand() -> None:
    p = _tiny([ra.Reviewer(id="R1", expertise={"t": 3}), ra.Reviewer(id="R2", expertise={"t": 1})])
    best = brute_force(p, ra.Policy(panel_size=1, load={"max": 1}))
    assert best is not None
    assert best.objective == pytest.approx(4 / 3)
    assert brute_force(p, ra.Policy(panel_size=2, load={"max": 1})) is None


def _resolution_tie() -> ra.Problem:
    # C1 seats one reviewer, C2 two. Exactly, the best worst panel is 2/3, reached two ways:
    # C1 = {R1} (2/3) or C2 = {R3, R4} (1/3 + 1/3); the second has the larger total (5/3 against
    # 3/2). Rounded pair by pair to 1e-6, 2/3 is 666667 units but 1/3 + 1/3 only 666666.
    return ra.Problem(
        cases=[
            ra.Case(id="C1", topics={"a": 1}, panel_size=1),
            ra.Case(id="C2", topics={"b": 1, "c": 1}, panel_size=2),
        ],
        reviewers=[
            ra.Reviewer(id="R1", expertise={"a": 2}),  # C1: 2/3
            ra.Reviewer(id="R2", expertise={"a": 3, "b": 3}),  # C1: 1, C2: 1/2
            ra.Reviewer(id="R3", expertise={"b": 2}),  # C2: 1/3
            ra.Reviewer(id="R4", expertise={"c": 2}),  # C2: 1/3
        ],
    )


def test_brute_force_of_the_resolution_tie() -> None:
    best = brute_force(
        _resolution_tie(), ra.Policy(load={"max": 1}, objective={"kind": "fairness"})
    )
    assert best is not None
    assert best.worst_case == pytest.approx(2 / 3)
    assert best.objective == pytest.approx(5 / 3)
    assert best.assignment == {"C1": ("R2",), "C2": ("R3", "R4")}


@pytest.mark.parametrize("method", ["auto", "cpsat"])
def test_fairness_tie_at_the_solver_resolution(method: str) -> None:
    problem = _resolution_tie()
    policy = ra.Policy(load={"max": 1}, objective={"kind": "fairness"})
    assert_matches_brute_force(problem, policy, method)
