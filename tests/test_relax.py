"""``solve(..., relax="minimal")``: the fewest broken rule instances, then the best
objective, with the broken rules listed as ``check`` reports them.

The property test enumerates every assignment of small random problems that meets panel
sizes, conflicts and maximum loads, counts the rule instances each breaks with ``check``
(independent of the model), and compares the least count and its best objective with
the solver's answer.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reviewassign as ra
from reviewassign.cli import main
from strategies import policies, problems

AFRICA, EUROPE = "Africa", "Europe and North America"
EXAMPLES = int(os.environ.get("REVIEWASSIGN_RELAX_EXAMPLES", "60"))


def _count(problem: ra.Problem, policy: ra.Policy, broken: list[ra.Violation]) -> int:
    keys = set()
    for v in broken:
        topic = v.message.split("topic ", 1)[1].split()[0] if "topic " in v.message else ""
        keys.add((v.rule, v.case, v.reviewer if v.case is None else None, topic))
    return len(keys)


def _small_problem() -> tuple[ra.Problem, ra.Policy]:
    problem = ra.Problem(
        cases=[ra.Case(id="C1", region=AFRICA), ra.Case(id="C2", region=AFRICA)],
        reviewers=[
            ra.Reviewer(id="R1", region=AFRICA, max_load=1),
            ra.Reviewer(id="R2", region=EUROPE),
        ],
    )
    return problem, ra.Policy(panel_size=1, panel={"own_region": "at_least_one"})


def test_breaks_the_one_rule_that_must_break() -> None:
    problem, policy = _small_problem()
    assert ra.solve(problem, policy).status is ra.Status.INFEASIBLE
    result = ra.solve(problem, policy, relax="minimal")
    assert result.status is ra.Status.OPTIMAL
    # R1 (Africa, one review) serves one case; the other breaks its own-region rule.
    assert [v.rule for v in result.broken] == ["panel.own_region"]
    assert result.broken == tuple(ra.check(problem, policy, result.assignment))
    assert result.to_dict()["broken"][0]["rule"] == "panel.own_region"
    assert "1 rule instance(s) broken" in result.stats.notes[0]


def test_a_feasible_policy_breaks_nothing_and_keeps_the_optimum() -> None:
    problem = ra.load_problem(Path(__file__).parents[1] / "examples" / "pioneer_award")
    policy = ra.Policy(panel_size=2, panel={"max_per_region": 1})
    plain = ra.solve(problem, policy)
    relaxed = ra.solve(problem, policy, relax="minimal")
    assert relaxed.broken == () and relaxed.status is ra.Status.OPTIMAL
    assert relaxed.objective == pytest.approx(plain.objective, abs=1e-4)


def test_priority_chooses_which_rule_breaks() -> None:
    # One reviewer from Africa who reads only en; the case is in Africa and in es.
    problem = ra.Problem(
        cases=[ra.Case(id="C1", region=AFRICA, language="es")],
        reviewers=[
            ra.Reviewer(id="R1", region=AFRICA, languages=("en",)),
            ra.Reviewer(id="R2", region=EUROPE, languages=("es",)),
        ],
    )
    base = {"panel_size": 1, "panel": {"own_region": "at_least_one"}}
    cheap_language = ra.Policy(**base, relax={"priority": {"panel.own_region": 3}})  # type: ignore[arg-type]
    cheap_region = ra.Policy(**base, relax={"priority": {"panel.language": 3}})  # type: ignore[arg-type]
    assert [v.rule for v in ra.solve(problem, cheap_language, relax="minimal").broken] == [
        "panel.language"
    ]
    assert [v.rule for v in ra.solve(problem, cheap_region, relax="minimal").broken] == [
        "panel.own_region"
    ]
    kept = ra.Policy(**base, relax={"keep": ["panel.language", "panel.own_region"]})  # type: ignore[arg-type]
    assert ra.solve(problem, kept, relax="minimal").status is ra.Status.INFEASIBLE


def test_maximum_loads_are_kept_by_default() -> None:
    problem, policy = _small_problem()
    result = ra.solve(problem, policy, relax="minimal")
    assert result.assignment.loads()["R1"] <= 1
    loose = policy.model_copy(update={"relax": ra.RelaxPolicy(keep=())})
    assert ra.solve(problem, ra.Policy.coerce(loose), relax="minimal").ok


def test_unknown_rule_in_relax_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        ra.Policy(relax={"keep": ["panel_size"]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="relax must be"):
        ra.solve(_small_problem()[0], relax="some")  # type: ignore[arg-type]


def test_cli_relax(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem, _ = _small_problem()
    ra.save_problem(problem, tmp_path / "p.json")
    (tmp_path / "policy.toml").write_text('panel_size = 1\n[panel]\nown_region = "at_least_one"\n')
    args = ["solve", str(tmp_path / "p.json"), "--policy", str(tmp_path / "policy.toml")]
    assert main(args) == 3
    capsys.readouterr()
    assert main([*args, "--relax", "minimal", "--out", str(tmp_path / "r.json")]) == 0
    err = capsys.readouterr().err
    assert "broken     panel.own_region: case C" in err
    assert '"broken": [' in (tmp_path / "r.json").read_text()


def _brute_force(problem: ra.Problem, policy: ra.Policy) -> tuple[int, float, float] | None:
    """Least count of broken rule instances, then the best (worst case, objective) under
    the fairness objective or the best objective otherwise: (count, worst, objective)."""
    blocked = {(c.case, c.reviewer) for c in ra.conflicts(problem, policy)}
    per_case = []
    for case in problem.cases:
        size = case.panel_size or policy.panel_size
        ok = [r.id for r in problem.reviewers if (case.id, r.id) not in blocked]
        per_case.append([(case.id, panel) for panel in itertools.combinations(ok, size)])
    found: list[tuple[int, float, float]] = []
    for choice in itertools.product(*per_case):
        assignment = ra.Assignment(dict(choice))
        violations = ra.check(problem, policy, assignment)
        if any(v.rule in ("load.max", "panel_size") or "conflict" in v.rule for v in violations):
            continue
        m = ra.evaluate(problem, assignment, policy)
        assert m.worst_case is not None
        found.append((_count(problem, policy, violations), m.worst_case, m.objective))
    if not found:
        return None
    least = min(count for count, _, _ in found)
    found = [f for f in found if f[0] == least]
    if policy.objective.kind == "fairness":
        top = max(worst for _, worst, _ in found)
        found = [f for f in found if f[1] >= top - 1e-9]
    return max(found, key=lambda f: f[2])


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_fewest_broken_then_best_objective_against_brute_force(data: st.DataObject) -> None:
    problem = data.draw(problems(min_cases=1, max_cases=3, min_reviewers=2, max_reviewers=4))
    policy = data.draw(policies())
    policy = ra.Policy.coerce(policy.model_copy(update={"panel_size": min(policy.panel_size, 2)}))
    expected = _brute_force(problem, policy)
    result = ra.solve(problem, policy, relax="minimal", seed=0)
    if expected is None:
        assert result.status is ra.Status.INFEASIBLE
        return
    assert result.status is ra.Status.OPTIMAL
    broken = ra.check(problem, policy, result.assignment)
    assert tuple(broken) == result.broken
    assert not [v for v in broken if v.rule in ("load.max", "panel_size") or "conflict" in v.rule]
    assert _count(problem, policy, broken) == expected[0]
    if policy.objective.kind == "fairness":
        assert result.metrics is not None
        assert result.metrics.worst_case == pytest.approx(expected[1], abs=1e-4)
    assert result.objective == pytest.approx(expected[2], abs=1e-4)


def test_relaxable_rules_are_rules_check_reports() -> None:
    # Relax compares check's violations with these names: they must not drift apart.
    from reviewassign._data.policy import RELAXABLE
    from reviewassign._spec.check import RULES

    assert set(RELAXABLE) <= set(RULES)
    assert not {"panel_size", "assignment.duplicate"} & set(RELAXABLE)
    assert not [rule for rule in RELAXABLE if rule.startswith("conflicts.")]
