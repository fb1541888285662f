"""Lexicographic objectives (leximin, priorities) and per-panel affinity floors.

Leximin is checked against brute force: every assignment of a small problem is
enumerated, and the one whose sorted panel profile is lexicographically largest must be
the solver's profile. Priorities are checked level by level in the same way in
``test_bruteforce.py``; here are the cases that show what each one is for.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples
from reviewassign.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pioneer_award"


def _scored(
    scores: dict[tuple[str, str], float], *, cases: int, reviewers: int, max_load: int = 1
) -> ra.Problem:
    """Cases C0.. and reviewers R0.. whose pair affinities are ``scores`` (0 otherwise)."""
    return ra.Problem(
        cases=[ra.Case(id=f"C{i}") for i in range(cases)],
        reviewers=[ra.Reviewer(id=f"R{j}", max_load=max_load) for j in range(reviewers)],
        affinity=[ra.Affinity(case=c, reviewer=r, score=s) for (c, r), s in scores.items()],
    )


def _best_profile(problem: ra.Problem, policy: ra.Policy) -> tuple[float, ...] | None:
    """The lexicographically largest sorted profile of any valid assignment (brute force)."""
    ids = [r.id for r in problem.reviewers]
    best: tuple[float, ...] | None = None
    for combo in itertools.product(
        itertools.combinations(ids, policy.panel_size), repeat=len(problem.cases)
    ):
        assignment = {c.id: panel for c, panel in zip(problem.cases, combo, strict=True)}
        if ra.check(problem, policy, assignment):
            continue
        profile = tuple(round(v, 9) for v in ra.evaluate(problem, assignment).profile())
        if best is None or profile > best:
            best = profile
    return best


LEXIMIN = ra.Policy(panel_size=1, objective={"kind": "leximin", "leximin_tolerance": 0.0})


def test_leximin_keeps_choosing_which_panels_rise() -> None:
    # C0 can only have 0. C1 and C2 share R1 and R2: either C1 0.1 and C2 0.5 (R1, R2),
    # or C1 0.9 and C2 0.1 (R2, R1). Both lift two panels above 0 and one above 0.1;
    # only the second lifts the best one to 0.9. Fixing which panels rose after the
    # second round would keep the first.
    scores = {("C1", "R1"): 0.1, ("C2", "R2"): 0.5, ("C1", "R2"): 0.9, ("C2", "R1"): 0.1}
    problem = _scored(scores, cases=3, reviewers=3)
    result = ra.solve(problem, LEXIMIN)
    assert result.status is ra.Status.OPTIMAL
    assert result.metrics is not None
    assert result.metrics.profile() == pytest.approx((0.0, 0.1, 0.9))
    assert result.assignment["C1"] == ("R2",)


def test_leximin_beats_the_total_where_they_disagree() -> None:
    # The best total (1.0 + 0.2) leaves C1 at 0.2; leximin gives both 0.5.
    scores = {("C0", "R0"): 1.0, ("C1", "R1"): 0.2, ("C0", "R1"): 0.5, ("C1", "R0"): 0.5}
    problem = _scored(scores, cases=2, reviewers=2)
    plain = ra.solve(problem, ra.Policy(panel_size=1))
    fair = ra.solve(problem, LEXIMIN)
    assert plain.objective == pytest.approx(1.2)
    assert fair.metrics is not None and fair.metrics.profile() == pytest.approx((0.5, 0.5))
    assert [level.name for level in fair.levels] == ["leximin", "objective"]
    assert fair.levels[0].value == pytest.approx(0.5)
    assert fair.levels[0].status == "optimal"
    assert "0.5 (2)" in fair.levels[0].detail
    assert fair.stats.worst_case == pytest.approx(0.5)


@st.composite
def scored_problems(draw: st.DrawFn) -> tuple[ra.Problem, ra.Policy]:
    n_cases = draw(st.integers(2, 5))
    n_reviewers = draw(st.integers(n_cases, 5))
    grid = st.sampled_from((0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0))
    scores = {(f"C{i}", f"R{j}"): draw(grid) for i in range(n_cases) for j in range(n_reviewers)}
    max_load = draw(st.integers(1, 2))
    problem = _scored(scores, cases=n_cases, reviewers=n_reviewers, max_load=max_load)
    panel = draw(st.integers(1, 2)) if n_cases <= 3 else 1
    policy = ra.Policy(panel_size=panel, objective={"kind": "leximin", "leximin_tolerance": 0.0})
    return problem, policy


@settings(max_examples=examples(0.6))  # a brute force per example
@given(scored_problems())
def test_leximin_matches_brute_force(example: tuple[ra.Problem, ra.Policy]) -> None:
    problem, policy = example
    best = _best_profile(problem, policy)
    result = ra.solve(problem, policy)
    if best is None:
        assert result.status is ra.Status.INFEASIBLE
        return
    assert result.status is ra.Status.OPTIMAL
    assert ra.check(problem, policy, result.assignment) == []
    assert result.metrics is not None
    assert result.metrics.profile() == pytest.approx(best, abs=1e-6)


def test_leximin_tolerance_counts_close_panels_as_equal() -> None:
    # C0 sits at 0.2 whatever happens (only R0 suits it). Then either C1 0.21 and C2 0.9,
    # or C1 0.22 and C2 0.3. Exact leximin takes the second (0.22 > 0.21); with a
    # tolerance of 0.05, 0.21 and 0.22 both count as the floor 0.2, and 0.9 wins.
    scores = {
        ("C0", "R0"): 0.2,
        ("C1", "R1"): 0.21,
        ("C2", "R2"): 0.9,
        ("C1", "R2"): 0.22,
        ("C2", "R1"): 0.3,
    }
    problem = _scored(scores, cases=3, reviewers=3)
    exact = ra.solve(problem, LEXIMIN)
    assert exact.metrics is not None
    assert exact.metrics.profile() == pytest.approx((0.2, 0.22, 0.3))
    loose = ra.Policy(panel_size=1, objective={"kind": "leximin", "leximin_tolerance": 0.05})
    result = ra.solve(problem, loose)
    assert result.metrics is not None
    assert result.metrics.profile() == pytest.approx((0.2, 0.21, 0.9))


def test_leximin_budget_ends_the_rounds_and_says_so() -> None:
    problem = ra.load_problem(EXAMPLE)
    policy = ra.load_policy(EXAMPLE / "policy.toml")
    lex = policy.model_copy(
        update={"objective": ra.ObjectivePolicy(kind="leximin", leximin_time_limit=2)}
    )
    result = ra.solve(problem, lex, time_limit=15)
    assert result.status is ra.Status.FEASIBLE
    assert ra.check(problem, lex, result.assignment) == []
    assert any(note.startswith("leximin:") for note in result.stats.notes)
    assert result.levels[0].name == "leximin"
    assert result.levels[0].status in ("feasible", "unknown")  # not proven: it ran out


# --------------------------------------------------------------------------------------
# priorities


def test_coverage_first_trades_affinity_for_covered_topics() -> None:
    # R0 is an expert in t1 and knows nothing of t2; R1 is familiar with both. With one
    # seat, the best affinity takes R0 (1/2 against 1/3) and covers one topic of two;
    # coverage first takes R1 and covers both.
    problem = ra.Problem(
        cases=[ra.Case(id="C0", topics={"t1": 1, "t2": 1})],
        reviewers=[
            ra.Reviewer(id="R0", expertise={"t1": 3}),
            ra.Reviewer(id="R1", expertise={"t1": 1, "t2": 1}),
        ],
    )
    by_affinity = ra.solve(problem, ra.Policy(panel_size=1, expertise={"min_level": 1}))
    assert by_affinity.assignment["C0"] == ("R0",)
    covering = ra.Policy(
        panel_size=1,
        expertise={"min_level": 1},
        objective={"priorities": ("coverage", "affinity")},
    )
    result = ra.solve(problem, covering)
    assert result.assignment["C0"] == ("R1",)
    assert [(level.name, level.value) for level in result.levels] == [
        ("coverage", 2.0),
        ("affinity", pytest.approx(1 / 3)),
        ("objective", pytest.approx(1 / 3)),
    ]
    assert all(level.status == "optimal" for level in result.levels)


def test_load_spread_level_spreads_the_work() -> None:
    # Two cases, two equal reviewers: every assignment has the same total; the spread
    # level puts one case on each.
    problem = _scored({}, cases=2, reviewers=2, max_load=2)
    policy = ra.Policy(panel_size=1, objective={"priorities": ("affinity", "load_spread")})
    result = ra.solve(problem, policy)
    assert result.metrics is not None and result.metrics.load_spread == 0
    assert result.levels[1].name == "load_spread" and result.levels[1].value == 0.0


def test_priorities_are_validated() -> None:
    with pytest.raises(ValueError, match=r"replaces objective\.kind"):
        ra.Policy(objective={"kind": "fairness", "priorities": ("coverage",)})
    with pytest.raises(ValueError, match="twice"):
        ra.Policy(objective={"priorities": ("coverage", "coverage")})
    with pytest.raises(ValueError, match="last"):
        ra.Policy(objective={"priorities": ("objective", "coverage")})
    with pytest.raises(ValueError):
        ra.Policy(objective={"priorities": ("speed",)})


def test_every_result_lists_its_levels() -> None:
    problem = _scored({("C0", "R0"): 1.0}, cases=1, reviewers=1)
    result = ra.solve(problem, ra.Policy(panel_size=1))
    assert [(level.name, level.value) for level in result.levels] == [("objective", 1.0)]
    assert json.loads(result.to_json())["levels"][0]["name"] == "objective"


# --------------------------------------------------------------------------------------
# expertise.min_panel_affinity


def test_floor_lifts_the_weak_panel() -> None:
    scores = {("C0", "R0"): 1.0, ("C1", "R1"): 0.2, ("C0", "R1"): 0.5, ("C1", "R0"): 0.5}
    problem = _scored(scores, cases=2, reviewers=2)
    plain = ra.Policy(panel_size=1)
    floored = ra.Policy(panel_size=1, expertise={"min_panel_affinity": 0.4})
    assert ra.solve(problem, plain).assignment["C1"] == ("R1",)
    result = ra.solve(problem, floored)
    assert result.assignment["C1"] == ("R0",)
    (v,) = ra.check(problem, floored, {"C0": ["R0"], "C1": ["R1"]})
    assert v.rule == "expertise.min_panel_affinity" and v.case == "C1"
    assert "0.2" in v.message and "0.4" in v.message


def test_floor_at_a_panels_exact_value_holds() -> None:
    # Thirds add up to the floor only up to rounding: the rule accepts the panel.
    problem = ra.Problem(
        cases=[ra.Case(id="C0", topics={"t": 1})],
        reviewers=[ra.Reviewer(id=f"R{j}", expertise={"t": 1}) for j in range(3)],
    )
    policy = ra.Policy(panel_size=3, expertise={"min_panel_affinity": 1.0})
    result = ra.solve(problem, policy)
    assert result.status is ra.Status.OPTIMAL
    assert ra.check(problem, policy, result.assignment) == []


def test_floor_out_of_reach_is_explained() -> None:
    scores = {("C0", "R0"): 0.3, ("C1", "R1"): 0.9}
    problem = _scored(scores, cases=2, reviewers=2)
    policy = ra.Policy(panel_size=1, expertise={"min_panel_affinity": 0.5})
    assert ra.solve(problem, policy).status is ra.Status.INFEASIBLE
    why = ra.explain(problem, policy)
    assert why.status == "infeasible"
    assert any(
        r.rule == "expertise.min_panel_affinity" and r.cases == ("C0",) for r in why.reasons
    ), why


def test_floor_core_and_relaxation() -> None:
    # Either case can have R0 (0.9) but not both; the other gets 0.3 < 0.5.
    scores = {("C0", "R0"): 0.9, ("C1", "R0"): 0.9, ("C0", "R1"): 0.3, ("C1", "R1"): 0.3}
    problem = _scored(scores, cases=2, reviewers=2)
    policy = ra.Policy(panel_size=1, expertise={"min_panel_affinity": 0.5})
    why = ra.explain(problem, policy)
    assert why.status == "infeasible"
    assert {r.rule for r in why.core} >= {"expertise.min_panel_affinity"}
    changes = [x.change for x in why.relaxations if x.restores]
    assert "accept a panel affinity of 0.3 on case C0" in changes, changes
    relaxed = ra.solve(problem, policy, relax="minimal")
    assert [v.rule for v in relaxed.broken] == ["expertise.min_panel_affinity"]


def test_cli_prints_each_level(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scores = {("C0", "R0"): 1.0, ("C1", "R1"): 0.2, ("C0", "R1"): 0.5, ("C1", "R0"): 0.5}
    path = tmp_path / "problem.json"
    ra.save_problem(_scored(scores, cases=2, reviewers=2), path)
    policy = tmp_path / "policy.toml"
    policy.write_text('panel_size = 1\n[objective]\nkind = "leximin"\n', encoding="utf-8")
    assert main(["solve", str(path), "--policy", str(policy)]) == 0
    out = capsys.readouterr().err
    assert "level 1    leximin: 0.5 (optimal" in out
    assert "level 2    objective: 1 (optimal" in out
