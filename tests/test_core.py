"""The minimal conflicting core and the ranked relaxations of ``explain``.

Each instance below passes every necessary check yet cannot be met: two rules compete
for the same scarce reviewers. The core must name the rule family and the ids, be
infeasible, and be irreducible: for each member, an assignment exists that meets every
other member, which :func:`check` (independent of the model) confirms. Relaxations that
claim to restore feasibility are checked the same way, and load relaxations by a plain
``solve`` of the changed problem.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import reviewassign as ra
from reviewassign._backends.cpsat.soft import SoftSolver, build_soft, soft_instance

AFRICA, ARAB, EUROPE = "Africa", "Arab States", "Europe and North America"


def _scarce(
    need: dict[str, object], scarce: dict[str, object], plain: dict[str, object], n_cases: int = 3
) -> ra.Problem:
    """``n_cases`` cases; two scarce reviewers (load 1) hold what every case needs."""
    cases = [ra.Case(id=f"C{i}", region=AFRICA, **need) for i in range(n_cases)]  # type: ignore[arg-type]
    reviewers = [
        ra.Reviewer(id=f"S{i}", max_load=1, **scarce)  # type: ignore[arg-type]
        for i in range(2)
    ] + [ra.Reviewer(id=f"P{i}", **plain) for i in range(4)]  # type: ignore[arg-type]
    return ra.Problem(cases=cases, reviewers=reviewers)


FAMILIES: dict[str, Callable[[], tuple[ra.Problem, ra.Policy]]] = {
    "panel.own_region": lambda: (
        _scarce({}, {"region": AFRICA}, {"region": EUROPE}),
        ra.Policy(panel_size=1, panel={"own_region": "at_least_one"}),
    ),
    "panel.min_senior": lambda: (
        _scarce({}, {"seniority": "senior"}, {}),
        ra.Policy(panel_size=1, panel={"min_senior": 1}),
    ),
    "expertise.coverage": lambda: (
        _scarce({"topics": {"t07": 1.0}}, {"expertise": {"t07": 3}}, {"expertise": {"t01": 3}}),
        ra.Policy(panel_size=1, expertise={"coverage": "all"}),
    ),
    "panel.language": lambda: (
        _scarce({"language": "es"}, {"languages": ("es",)}, {"languages": ("en",)}),
        ra.Policy(panel_size=1, panel={"language": True}),
    ),
    "panel.min_genders": lambda: (
        _scarce({}, {"gender": "f"}, {"gender": "m"}),
        ra.Policy(panel_size=2, panel={"min_genders": 2}),
    ),
    "panel.min_regions": lambda: (
        _scarce({}, {"region": ARAB}, {"region": EUROPE}),
        ra.Policy(panel_size=2, panel={"min_regions": 2}),
    ),
    "panel.max_per_gender": lambda: (
        _scarce({}, {"gender": "f"}, {"gender": "m"}),
        ra.Policy(panel_size=2, panel={"max_per_gender": 1}),
    ),
    "panel.max_per_region": lambda: (
        _scarce({}, {"region": ARAB}, {"region": EUROPE}),
        ra.Policy(panel_size=2, panel={"max_per_region": 1}),
    ),
}


def _held(problem: ra.Problem, policy: ra.Policy, keep: list[int]) -> ra.Assignment | None:
    """An assignment meeting the rule instances ``keep`` (others free), if one exists."""
    inst = soft_instance(problem, policy)
    sm = build_soft(inst, problem, policy)
    solver = SoftSolver(sm, seed=0, time_limit=20)
    solver._hold(keep)
    status, cp = solver._solve()
    if status not in ("optimal", "feasible"):
        assert status == "infeasible"
        return None
    run = solver._run(status, cp, 0.0)
    return ra.Assignment.from_pairs(
        (inst.case_ids[int(inst.pair_case[p])], inst.reviewer_ids[int(inst.pair_reviewer[p])])
        for p in run.chosen
    )


def _members(problem: ra.Problem, policy: ra.Policy, core: tuple[ra.Reason, ...]) -> list[int]:
    """The soft model's indices of the core's rule instances (matched by statement)."""
    from reviewassign._workflows.conflict_core import rule_text

    inst = soft_instance(problem, policy)
    sm = build_soft(inst, problem, policy)
    texts = [rule_text(r, inst, problem, policy) for r in sm.rules]
    return [texts.index(reason.message) for reason in core]


def _breaks(v: ra.Violation, reason: ra.Reason) -> bool:
    return v.rule == reason.rule and (
        v.case in reason.cases if reason.cases else v.reviewer in reason.reviewers
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_core_is_infeasible_irreducible_and_names_the_rule(family: str) -> None:
    problem, policy = FAMILIES[family]()
    why = ra.explain(problem, policy, core=True)
    assert why.infeasible and why.status == "infeasible", str(why)
    assert ra.solve(problem, policy, time_limit=20).status is ra.Status.INFEASIBLE
    rules = {r.rule for r in why.core}
    assert family in rules, str(why)
    assert "load.max" in rules  # the scarce reviewers' loads are the other side
    assert {"S0", "S1"} <= {rid for r in why.core for rid in r.reviewers}
    # The core alone cannot be met...
    members = _members(problem, policy, why.core)
    assert _held(problem, policy, members) is None
    # ...and without any one member it can: check confirms the rest all hold.
    for k, reason in enumerate(why.core):
        rest = members[:k] + members[k + 1 :]
        found = _held(problem, policy, rest)
        assert found is not None, f"dropping {reason} leaves an infeasible set"
        violations = ra.check(problem, policy, found)
        others = why.core[:k] + why.core[k + 1 :]
        assert not [v for v in violations if any(_breaks(v, o) for o in others)]
        assert not [v for v in violations if v.rule in ("panel_size",) or "conflicts" in v.rule]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_shrinking_every_rule_instance_gives_an_irreducible_core(family: str) -> None:
    # CP-SAT's first core is often irreducible already on small instances: shrink from
    # every rule instance, so that the deletion itself is what the test checks.
    problem, policy = FAMILIES[family]()
    # Plain reviewers at two reviews each: rule instances that no core needs.
    reviewers = [
        r if r.id.startswith("S") else r.model_copy(update={"max_load": 2})
        for r in problem.reviewers
    ]
    problem = ra.Problem(cases=problem.cases, reviewers=reviewers)
    inst = soft_instance(problem, policy)
    sm = build_soft(inst, problem, policy)
    status, core = SoftSolver(sm, seed=0, time_limit=30).shrink(range(len(sm.rules)))
    assert status == "infeasible" and len(core) < len(sm.rules)
    assert _held(problem, policy, core) is None
    for k in range(len(core)):
        assert _held(problem, policy, core[:k] + core[k + 1 :]) is not None, sm.rules[core[k]]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_relaxations_restore_feasibility(family: str) -> None:
    problem, policy = FAMILIES[family]()
    why = ra.explain(problem, policy, core=True)
    restoring = [r for r in why.relaxations if r.restores]
    assert restoring, str(why)
    # Best first: every restoring relaxation before any that is not enough alone.
    flags = [r.restores is True for r in why.relaxations]
    assert flags == sorted(flags, reverse=True)
    for relax in restoring:
        if relax.scope == "policy":  # a policy-wide step: the changed policy can be met
            assert ra.solve(problem, policy.with_settings(relax.settings)).ok, relax
            continue
        assert relax.violations, relax
        assert all(v.rule == relax.rule for v in relax.violations)
        if relax.rule == "load.max":
            # Independently: raise that reviewer's load in the problem and solve.
            (who,) = relax.reviewers
            new_max = int(relax.change.rsplit(" ", 1)[1])
            reviewers = [
                r.model_copy(update={"max_load": new_max}) if r.id == who else r
                for r in problem.reviewers
            ]
            changed = ra.Problem(cases=problem.cases, reviewers=reviewers)
            assert ra.solve(changed, policy).ok


def test_explanation_text_in_domain_terms() -> None:
    problem, policy = FAMILIES["panel.own_region"]()
    text = str(ra.explain(problem, policy, core=True))
    assert "cannot hold together" in text
    assert "case C0 needs a reviewer from its own region (Africa)" in text
    assert "reviewer S0 takes at most 1 review" in text
    assert "raise S0's maximum load from 1 to 2" in text


def test_auto_core_only_when_the_checks_pass() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1", language="es")],
        reviewers=[ra.Reviewer(id="R1", languages=("en",))],
    )
    policy = ra.Policy(panel_size=1)
    assert ra.explain(problem, policy).core == ()
    forced = ra.explain(problem, policy, core=True)
    assert [r.rule for r in forced.core] == ["panel.language"]


def test_hard_rules_alone_give_an_empty_core() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1", institution=("U",))],
        reviewers=[ra.Reviewer(id="R1", institution="U")],
    )
    why = ra.explain(problem, ra.Policy(panel_size=1), core=True)
    assert why.infeasible and why.core == ()


def test_cli_explain_prints_the_core(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    from reviewassign.cli import main

    problem, _ = FAMILIES["panel.min_senior"]()
    folder = Path(str(tmp_path))
    ra.save_problem(problem, folder / "p.json")
    (folder / "policy.toml").write_text("panel_size = 1\n[panel]\nmin_senior = 1\n")
    code = main(["explain", str(folder / "p.json"), "--policy", str(folder / "policy.toml")])
    out = capsys.readouterr().out
    assert code == 3
    assert "panel.min_senior" in out
