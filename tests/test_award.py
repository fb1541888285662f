"""The done-when of the core library: a 120-case, 80-reviewer award instance under the
award policy of SPEC.md is solved to a proven optimum through the command line, and the
command-line checker accepts the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reviewassign as ra
from reviewassign._lab.synthetic import award_problem
from reviewassign.cli import main

REPO = Path(__file__).resolve().parents[1]
AWARD_POLICY = REPO / "examples" / "pioneer_award" / "policy.toml"


def test_award_policy_is_the_one_of_the_spec() -> None:
    policy = ra.load_policy(AWARD_POLICY)
    assert policy.panel_size == 3
    assert (policy.load.min, policy.load.max) == (0, 6)
    assert policy.conflicts == ra.ConflictPolicy(
        same_institution=True, same_country=False, relation_distance=1
    )
    assert policy.panel == ra.PanelPolicy(
        max_per_region=1,
        min_regions=2,
        own_region="any",
        max_per_gender=2,
        min_genders=2,
        min_senior=0,
        language=True,
    )
    assert policy.expertise == ra.ExpertisePolicy(min_level=2, coverage="all")
    assert policy.objective == ra.ObjectivePolicy(kind="affinity", load_spread=0.0)


def test_award_120x80_is_solved_optimally_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "award"
    ra.save_problem(award_problem(120, 80, seed=0), folder)
    out = tmp_path / "result.json"

    code = main(["solve", str(folder), "--policy", str(AWARD_POLICY), "--out", str(out)])

    assert code == 0
    result = json.loads(out.read_text())
    assert result["status"] == "optimal"
    assert result["gap"] == 0
    assert result["objective"] == pytest.approx(result["bound"])
    assert len(result["assignment"]) == 120
    assert all(len(panel) == 3 for panel in result["assignment"].values())
    assert main(["check", str(folder), str(out), "--policy", str(AWARD_POLICY)]) == 0
    assert "valid: 120 cases, 360 pairs" in capsys.readouterr().out


@pytest.mark.parametrize("seed", [1, 2, 3])  # integral LP, one and two restricted solves
@pytest.mark.parametrize("variant", ["award", "exclude", "spread"])
def test_lp_guided_and_plain_cpsat_agree(seed: int, variant: str) -> None:
    policy = ra.load_policy(AWARD_POLICY)
    if variant == "exclude":
        policy = policy.model_copy(
            update={"panel": policy.panel.model_copy(update={"own_region": "exclude"})}
        )
    if variant == "spread":
        policy = policy.model_copy(update={"objective": ra.ObjectivePolicy(load_spread=0.25)})
    problem = award_problem(60, 40, seed=seed)
    guided = ra.solve(problem, policy, method="lp", workers=1, seed=0, time_limit=120)
    plain = ra.solve(problem, policy, method="cpsat", workers=1, seed=0, time_limit=120)
    assert guided.status is plain.status is ra.Status.OPTIMAL
    assert guided.objective == pytest.approx(plain.objective, abs=1e-4)
    assert ra.check(problem, policy, guided.assignment) == []
    assert any(p.name == "cpsat.lp" for p in guided.stats.phases)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("variant", ["award", "exclude"])
def test_column_generated_lp_gives_the_same_optimum(
    seed: int, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Column generation runs from 100,000 pairs on; here it starts from 2 pairs per
    # constraint on 60 x 40 (infeasible at first: widened), and must end at the optimum.
    from reviewassign._backends import lp as _lp

    monkeypatch.setattr(_lp, "_ALL_COLUMNS_BELOW", 0)
    monkeypatch.setattr(_lp, "_PER_CONSTRAINT", 2)
    calls: list[int] = []
    solve_proto = _lp._solve_proto

    def counted(model: object, n_vars: int, *args: object) -> object:
        calls.append(n_vars)
        return solve_proto(model, n_vars, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_lp, "_solve_proto", counted)
    policy = ra.load_policy(AWARD_POLICY)
    if variant == "exclude":
        policy = policy.model_copy(
            update={"panel": policy.panel.model_copy(update={"own_region": "exclude"})}
        )
    problem = award_problem(60, 40, seed=seed)
    guided = ra.solve(problem, policy, method="lp", workers=1, seed=0, time_limit=120)
    plain = ra.solve(problem, policy, method="cpsat", workers=1, seed=0, time_limit=120)
    assert len(calls) >= 2 and calls[0] < guided.stats.eligible_pairs  # it generated
    assert guided.status is plain.status is ra.Status.OPTIMAL
    assert guided.objective == pytest.approx(plain.objective, abs=1e-4)
    assert guided.bound is not None and guided.bound >= plain.objective - 1e-4
    assert ra.check(problem, policy, guided.assignment) == []


def test_pruned_award_reports_a_bound_over_every_pair() -> None:
    # CP-SAT path with candidates: the Lagrangian bound covers the pairs left out.
    policy = ra.load_policy(AWARD_POLICY)
    problem = award_problem(60, 40, seed=4)
    full = ra.solve(problem, policy, workers=1, seed=0, time_limit=120, candidates=None)
    events: list[ra.Progress] = []
    pruned = ra.solve(
        problem, policy, workers=1, seed=0, time_limit=120, candidates=6, progress=events.append
    )
    assert full.status is ra.Status.OPTIMAL and full.objective is not None
    assert events and all(e.bound >= full.objective - 1e-6 for e in events)
    assert pruned.stats.candidate_pairs < pruned.stats.eligible_pairs == full.stats.eligible_pairs
    assert pruned.objective is not None and pruned.bound is not None
    assert pruned.objective <= full.objective + 1e-6 <= pruned.bound + 2e-6
    assert any(p.name == "bound" for p in pruned.stats.phases)
    assert any("Lagrangian" in n for n in pruned.stats.notes)
    assert ra.check(problem, policy, pruned.assignment) == []
