"""Scale: given scores as arrays, candidate pruning, and bounds over every eligible pair.

Pruning must never cost correctness: on the flow path the priced optimum equals the
optimum with every pair; on CP-SAT paths the reported bound is at least the true optimum;
candidates that cannot meet the rules fall back to every pair.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples
from reviewassign._lab.synthetic import award_problem
from reviewassign._reduce.eligible import build_instance
from strategies import flow_policies, policies, problems

SETTINGS = settings(max_examples=examples(0.6))  # full and pruned solves per example


def solve(problem: ra.Problem, policy: ra.Policy, **kw: object) -> ra.Result:
    return ra.solve(problem, policy, time_limit=20, seed=0, workers=1, **kw)  # type: ignore[arg-type]


def seats(problem: ra.Problem, policy: ra.Policy) -> int:
    return sum(c.panel_size or policy.panel_size for c in problem.cases)


# ------------------------------------------------------------------ AffinityTable


def test_table_reads_as_a_sequence_of_affinities() -> None:
    rows = [
        ra.Affinity(case="C2", reviewer="R1", score=0.5),
        ra.Affinity(case="C1", reviewer="R2", score=-1.0),
    ]
    table = ra.AffinityTable.from_rows(rows)
    assert list(table) == rows and table == rows and len(table) == 2
    assert table[-1] == rows[-1] and table[0:1] == (rows[0],)
    assert table.get("C1", "R2") == -1.0 and table.get("C1", "R1") is None
    assert ra.AffinityTable.from_ids(["C2", "C1"], ["R1", "R2"], [0.5, -1.0]) == table


def test_table_validates_its_columns() -> None:
    with pytest.raises(ValueError, match="row 1: score nan"):
        ra.AffinityTable(["C1"], ["R1", "R2"], [0, 0], [0, 1], [1.0, float("nan")])
    with pytest.raises(ValueError, match="row 0: reviewer index 5"):
        ra.AffinityTable(["C1"], ["R1"], [0], [5], [1.0])
    with pytest.raises(ValueError, match="one length"):
        ra.AffinityTable(["C1"], ["R1"], [0], [0], [1.0, 2.0])
    with pytest.raises(ValueError, match="integer indices"):
        ra.AffinityTable(["C1"], ["R1"], [0.5], [0], [1.0])


def test_problem_reports_table_rows_with_unknown_ids_and_duplicates() -> None:
    cases, reviewers = [ra.Case(id="C1")], [ra.Reviewer(id="R1")]
    table = ra.AffinityTable.from_ids(["C1", "C9"], ["R1", "R1"], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"affinity\[1\]\.case: unknown case id 'C9'"):
        ra.Problem(cases=cases, reviewers=reviewers, affinity=table)
    twice = ra.AffinityTable.from_ids(["C1", "C1"], ["R1", "R1"], [1.0, 0.5])
    with pytest.raises(
        ValueError, match=r"affinity\[1\]\.reviewer: pair \('C1', 'R1'\) given twice"
    ):
        ra.Problem(cases=cases, reviewers=reviewers, affinity=twice)


def test_table_and_rows_give_the_same_problem_hash_and_json() -> None:
    from reviewassign._pipeline.finish import input_hash

    scores = np.array([[0.9, 0.1, 0.4], [0.3, 0.8, 0.2]])
    from_matrix = ra.Problem.from_matrix(scores)
    rows = [
        ra.Affinity(case=f"C{i}", reviewer=f"R{j}", score=float(scores[i, j]))
        for i in range(2)
        for j in reversed(range(3))  # another row order: the hash ignores it
    ]
    from_rows = ra.Problem(cases=from_matrix.cases, reviewers=from_matrix.reviewers, affinity=rows)
    assert input_hash(from_matrix, ra.Policy()) == input_hash(from_rows, ra.Policy())
    again = ra.Problem.model_validate_json(from_matrix.model_dump_json())
    assert again == from_matrix
    assert again.affinity.get("C1", "R1") == 0.8


# ------------------------------------------------------------------ candidates


def test_candidates_keep_each_rule_group_possible() -> None:
    problem = award_problem(40, 60, seed=3)
    policy = ra.load_policy("examples/pioneer_award/policy.toml")
    full, pruned = build_instance(problem, policy), build_instance(problem, policy, candidates=4)
    assert pruned.pruned and pruned.n_pairs < full.n_pairs and pruned.eligible_pairs == full.n_pairs
    for c in range(full.n_cases):
        keep = set(
            pruned.pair_reviewer[pruned.case_pairs(c).start : pruned.case_pairs(c).stop].tolist()
        )
        pairs = full.case_pairs(c)
        revs, aff = (
            full.pair_reviewer[pairs.start : pairs.stop],
            full.pair_affinity[pairs.start : pairs.stop],
        )
        best = set(revs[np.argsort(-aff, kind="stable")[:4]].tolist())
        assert len(keep & best) >= min(4, len(best))  # the best 4 (up to ties)
        for key in (full.reviewer_region, full.reviewer_gender):
            for value in set(key[revs].tolist()) - {-1}:
                assert keep & set(revs[key[revs] == value].tolist())  # every group stays


@SETTINGS
@given(problem=problems(), policy=flow_policies(), k=st.integers(1, 3))
def test_flow_pricing_finds_the_optimum_of_every_pair(
    problem: ra.Problem, policy: ra.Policy, k: int
) -> None:
    full = solve(problem, policy, method="flow", candidates=None)
    pruned = solve(problem, policy, method="flow", candidates=k)
    assert pruned.status == full.status
    if full.status is ra.Status.OPTIMAL:
        assert pruned.objective == pytest.approx(
            full.objective, abs=seats(problem, policy) * 1e-6 + 1e-9
        )
        assert ra.check(problem, policy, pruned.assignment) == []


@SETTINGS
@given(problem=problems(), policy=policies(), k=st.integers(1, 3))
def test_pruned_bound_covers_the_optimum_of_every_pair(
    problem: ra.Problem, policy: ra.Policy, k: int
) -> None:
    full = solve(problem, policy, candidates=None)
    pruned = solve(problem, policy, candidates=k)
    if full.status is ra.Status.INFEASIBLE:
        assert pruned.status is ra.Status.INFEASIBLE
        return
    if full.status is not ra.Status.OPTIMAL or pruned.bound is None:
        return
    tol = seats(problem, policy) * 1e-6 + 1e-9
    assert full.objective is not None
    assert pruned.objective is not None and pruned.objective <= full.objective + tol
    assert pruned.bound >= full.objective - tol
    assert ra.check(problem, policy, pruned.assignment) == []
    if pruned.status is ra.Status.OPTIMAL:
        assert pruned.objective == pytest.approx(full.objective, abs=tol)


def test_flow_pricing_adds_pairs_the_candidates_missed() -> None:
    # Two candidates a case (and each reviewer's two best cases): C0 and C1 keep R0 and
    # R1, C2 keeps R0 and R2; R3's two best cases are C3 and C4, which R4 and R5 serve
    # better. The candidates' optimum gives C2 R2 (0.5); the pruned pair (C1, R3) frees
    # R0 for C2: 0.99 + 0.94 + 1.0, and C3, C4 keep R4, R5.
    scores = np.zeros((5, 6))
    scores[0, :2] = [1.0, 0.99]
    scores[1, [0, 1, 3]] = [1.0, 0.95, 0.94]
    scores[2, :3] = [1.0, 0.4, 0.5]
    scores[3, [3, 4]] = [0.95, 1.0]
    scores[4, [3, 5]] = [0.96, 1.0]
    problem = ra.Problem.from_matrix(scores, max_load=1, panel_size=1)
    result = solve(problem, ra.Policy(), candidates=2)
    assert result.status is ra.Status.OPTIMAL
    assert result.objective == pytest.approx(0.99 + 0.94 + 1.0 + 1.0 + 1.0)
    assert dict(result.assignment) == {
        "C0": ("R1",),
        "C1": ("R3",),
        "C2": ("R0",),
        "C3": ("R4",),
        "C4": ("R5",),
    }
    # Under a time limit a constructive start is made first, in case no search fits.
    names = [p.name for p in result.stats.phases]
    assert names[:3] == ["prepare", "construct", "flow"]
    assert any(p.name.startswith("flow.priced") for p in result.stats.phases)
    assert result.stats.candidate_pairs < result.stats.eligible_pairs == 30


def test_candidates_that_cannot_meet_the_rules_fall_back_to_every_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # R2 must review (min_load 1) but is no case's best: one candidate a case, and no
    # reviewer-side candidates, leave it out.
    monkeypatch.setattr("reviewassign._reduce.eligible._REVIEWER_SIDE", 0)
    scores = np.array([[1.0, 0.5, 0.2], [0.4, 1.0, 0.1]])
    problem = ra.Problem.from_matrix(scores, panel_size=1, min_load=[0, 0, 1], max_load=1)
    for method in ("flow", "cpsat"):
        result = solve(problem, ra.Policy(), candidates=1, method=method)
        assert result.status is ra.Status.OPTIMAL
        assert result.objective == pytest.approx(0.2 + 1.0)
        assert result.stats.candidate_pairs == result.stats.eligible_pairs == 6
        assert any("solved again with all 6 eligible pairs" in n for n in result.stats.notes)


def test_gender_groups_stay_candidates() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1", topics={"t": 1})],
        reviewers=[
            ra.Reviewer(id="R0", expertise={"t": 3}, gender="m"),
            ra.Reviewer(id="R1", expertise={"t": 3}, gender="m"),
            ra.Reviewer(id="R2", expertise={"t": 1}, gender="f"),
        ],
    )
    # One candidate, plus the best two of each gender: every reviewer stays.
    result = solve(problem, ra.Policy(panel_size=2, panel={"max_per_gender": 1}), candidates=1)
    assert result.status is ra.Status.OPTIMAL and "R2" in result.assignment["C1"]
    assert result.objective == pytest.approx(1.0 + 1 / 3)


def test_auto_candidates_prune_only_large_problems() -> None:
    problem = award_problem(60, 40, seed=5)
    policy = ra.load_policy("examples/pioneer_award/policy.toml")
    result = solve(problem, policy)
    assert result.stats.candidate_pairs == result.stats.eligible_pairs
    with pytest.raises(ValueError, match="candidates"):
        ra.solve(problem, policy, candidates=0)
