"""The core of ``explain`` and the relaxations are honest, whatever the objective.

An independent feasibility oracle, written from SPEC.md and sharing no code with the
model builders (nor with ``check``): a small MIP (OR-Tools' linear solver with SCIP) over
the (case, reviewer) pairs that are not conflicts of interest, with each panel's size and
the rule instances named. A *rule instance* is one rule on one case, one topic of one case
(``coverage = "all"``) or one reviewer, as ``explain`` names them.

On random small problems under policies with every objective kind, load spread, a panel
floor and soft representation bands:

- every core that ``explain`` reports cannot be met on its own (its rule instances, panel
  sizes and conflicts of interest: nothing else is held), and every member is necessary
  (dropping any one leaves rule instances that some assignment meets);
- an empty core means that panel sizes and conflicts alone cannot be met;
- a relaxation said to restore feasibility does, and one said not to be enough alone is
  not (every other rule instance of the policy held);
- ``relax="minimal"`` with loads relaxable breaks the fewest rule instances there are.

The objective is irrelevant to all of these: they are about feasibility.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

import reviewassign as ra
from conftest import shared_root
from strategies import policies, problems

EXAMPLES = int(os.environ.get("REVIEWASSIGN_CORE_EXAMPLES", "40"))
"""Examples per property; raise it locally to hunt harder."""

Key = tuple[str, str, str, str]
"""A rule instance: (rule, case id or "", reviewer id or "", topic or "")."""

_TOPIC = re.compile(r"needs topic (\S+) covered")


# --------------------------------------------------------------------------------------
# the oracle, from SPEC.md


def _eligible(problem: ra.Problem, policy: ra.Policy) -> set[tuple[str, str]]:
    """The (case, reviewer) pairs that are no conflict of interest (SPEC.md, [conflicts])."""
    rules = policy.conflicts
    graph: dict[str, set[str]] = {}
    for rel in problem.relations:
        graph.setdefault(rel.a, set()).add(rel.b)
        graph.setdefault(rel.b, set()).add(rel.a)

    def near(person: str, d: int) -> set[str]:
        seen, todo = {person: 0}, deque([person])
        while todo:
            p = todo.popleft()
            if seen[p] < d:
                for q in graph.get(p, ()):
                    if q not in seen:
                        seen[q] = seen[p] + 1
                        todo.append(q)
        return set(seen)

    declared = {(c.case, c.reviewer) for c in problem.conflicts}
    pairs = set()
    for case in problem.cases:
        close: set[str] = set(case.applicants)
        if rules.relation_distance > 0:
            for applicant in case.applicants:
                close |= near(applicant, rules.relation_distance)
        for r in problem.reviewers:
            if (case.id, r.id) in declared or r.id in close:
                continue
            if rules.same_institution and r.institution and r.institution in case.institution:
                continue
            if rules.same_country and r.country and r.country == case.country:
                continue
            pairs.add((case.id, r.id))
    return pairs


def _affinity(problem: ra.Problem, case: ra.Case, reviewer: ra.Reviewer) -> float:
    """SPEC.md's affinity: the given score, else the weighted mean level / 3."""
    for row in problem.affinity:
        if row.case == case.id and row.reviewer == reviewer.id:
            return row.score
    total = sum(case.topics.values())
    if total == 0:
        return 0.0
    return sum(w * reviewer.expertise.get(t, 0) for t, w in case.topics.items()) / (3 * total)


def every_instance(problem: ra.Problem, policy: ra.Policy) -> list[Key]:
    """Every rule instance of ``policy`` (SPEC.md's per-case and per-reviewer rules)."""
    panel, keys = policy.panel, []
    for r in problem.reviewers:
        keys.append(("load.max", "", r.id, ""))
        if (r.min_load if r.min_load is not None else policy.load.min) > 0:
            keys.append(("load.min", "", r.id, ""))
    for c in problem.cases:
        on = {
            "panel.max_per_region": panel.max_per_region is not None,
            "panel.min_regions": panel.min_regions > 0,
            "panel.own_region": panel.own_region != "any",
            "panel.max_per_gender": panel.max_per_gender is not None,
            "panel.min_genders": panel.min_genders > 0,
            "panel.min_senior": panel.min_senior > 0,
            "panel.language": panel.language and bool(c.language),
            "expertise.coverage": policy.expertise.coverage == "any" and bool(c.topics),
            "expertise.min_panel_affinity": policy.expertise.min_panel_affinity > 0,
        }
        keys += [(rule, c.id, "", "") for rule, yes in on.items() if yes]
        if policy.expertise.coverage == "all":
            keys += [("expertise.coverage", c.id, "", t) for t in c.topics]
    return keys


def key_of(reason: ra.Reason) -> Key:
    """The rule instance a core member names."""
    if reason.rule.startswith("load."):
        (who,) = reason.reviewers
        return (reason.rule, "", who, "")
    (case,) = reason.cases
    topic = _TOPIC.search(reason.message)
    return (reason.rule, case, "", topic.group(1) if topic else "")


def least_broken(
    problem: ra.Problem,
    policy: ra.Policy,
    held: Iterable[Key],
    soft: Iterable[Key] = (),
) -> int | None:
    """The fewest ``soft`` instances broken with every ``held`` one met; None: infeasible.

    Only panel sizes and conflicts of interest are held besides ``held``. With no
    ``soft``, this is whether ``held`` can be met: 0 or None.
    """
    solver = pywraplp.Solver.CreateSolver("SCIP")
    assert solver is not None
    inf = solver.infinity()
    cases = {c.id: c for c in problem.cases}
    reviewers = {r.id: r for r in problem.reviewers}
    pairs = sorted(_eligible(problem, policy))
    x = {p: solver.BoolVar(f"x{i}") for i, p in enumerate(pairs)}
    of_case: dict[str, list[str]] = {c: [] for c in cases}
    of_reviewer: dict[str, list[str]] = {r: [] for r in reviewers}
    for c, r in pairs:
        of_case[c].append(r)
        of_reviewer[r].append(c)

    def size(c: str) -> int:
        own = cases[c].panel_size
        return own if own is not None else policy.panel_size

    for c in cases:
        solver.Add(sum(x[c, r] for r in of_case[c]) == size(c))
    big = len(pairs) + 1
    penalty = []

    def add(key: Key, expr: Any, lo: float, hi: float, slack: Any) -> None:
        """``lo <= expr <= hi``, loosened by ``big`` when ``slack`` is 1."""
        if slack is None:
            solver.Add(expr >= lo) if hi == inf else solver.Add(expr <= hi)
        elif hi == inf:
            solver.Add(expr >= lo - big * slack)
        else:
            solver.Add(expr <= hi + big * slack)

    def seats(c: str, who: Iterable[str]) -> Any:
        return sum(x[c, r] for r in who)

    def rule(key: Key, slack: Any) -> None:
        name, c, who, topic = key
        panel = policy.panel
        if name == "load.max":
            r = reviewers[who]
            most = r.max_load if r.max_load is not None else policy.load.max
            add(key, sum(x[k, who] for k in of_reviewer[who]), -inf, most, slack)
            return
        if name == "load.min":
            r = reviewers[who]
            least = r.min_load if r.min_load is not None else policy.load.min
            add(key, sum(x[k, who] for k in of_reviewer[who]), least, inf, slack)
            return
        case, revs = cases[c], [reviewers[r] for r in of_case[c]]
        if name in ("panel.max_per_region", "panel.max_per_gender"):
            attr, cap = (
                ("region", panel.max_per_region)
                if name == "panel.max_per_region"
                else ("gender", panel.max_per_gender)
            )
            assert cap is not None
            for label in {getattr(r, attr) for r in revs}:
                if attr == "gender" and not label:
                    continue  # an undisclosed gender counts for no gender
                group = [r.id for r in revs if getattr(r, attr) == label]
                add(key, seats(c, group), -inf, cap, slack)
        elif name in ("panel.min_regions", "panel.min_genders"):
            attr, least = (
                ("region", panel.min_regions)
                if name == "panel.min_regions"
                else ("gender", panel.min_genders)
            )
            present = []
            for label in {getattr(r, attr) for r in revs}:
                if attr == "gender" and not label:
                    continue
                y = solver.BoolVar("")
                solver.Add(y <= seats(c, [r.id for r in revs if getattr(r, attr) == label]))
                present.append(y)
            add(key, sum(present), least, inf, slack)
        elif name == "panel.own_region":
            own = seats(c, [r.id for r in revs if r.region == case.region])
            if panel.own_region == "exclude":
                add(key, own, -inf, 0, slack)
            else:
                add(key, own, 1, inf, slack)
        elif name == "panel.min_senior":
            senior = [r.id for r in revs if r.seniority == "senior"]
            add(key, seats(c, senior), panel.min_senior, inf, slack)
        elif name == "panel.language":
            foreign = [r.id for r in revs if case.language not in r.languages]
            add(key, seats(c, foreign), -inf, 0, slack)
        elif name == "expertise.coverage":
            level = policy.expertise.min_level
            topics = [topic] if topic else list(case.topics)
            covering = [r.id for r in revs if any(r.expertise.get(t, 0) >= level for t in topics)]
            add(key, seats(c, covering), 1, inf, slack)
        elif name == "expertise.min_panel_affinity":
            value = sum(_affinity(problem, case, r) * x[c, r.id] for r in revs)
            floor = policy.expertise.min_panel_affinity - 1e-6 * (size(c) + 1)
            if slack is None:
                solver.Add(value >= floor)
            else:
                solver.Add(value >= floor - (floor + 3 * size(c) + 1) * slack)
        else:  # pragma: no cover - a rule the oracle does not know
            raise AssertionError(f"unknown rule instance {key}")

    for key in held:
        rule(key, None)
    for key in soft:
        z = solver.BoolVar("")
        rule(key, z)
        penalty.append(z)
    solver.Minimize(sum(penalty) if penalty else 0)
    status = solver.Solve()
    if status == pywraplp.Solver.INFEASIBLE:
        return None
    assert status == pywraplp.Solver.OPTIMAL, status
    return round(solver.Objective().Value())


def meets(problem: ra.Problem, policy: ra.Policy, held: Iterable[Key]) -> bool:
    """Whether some assignment meets panel sizes, conflicts and the rule instances ``held``."""
    return least_broken(problem, policy, held) is not None


# --------------------------------------------------------------------------------------
# strategies: small problems, tight loads, every kind of objective


OBJECTIVES: tuple[dict[str, Any], ...] = (
    {"kind": "affinity", "load_spread": 0.25},
    {"kind": "affinity", "load_spread": 0.0},
    {"kind": "fairness", "load_spread": 0.05},
    {"kind": "leximin", "load_spread": 1.0},
    {"kind": "leximin", "load_spread": 0.0},
    {"priorities": ("coverage", "leximin", "affinity", "load_spread"), "load_spread": 0.1},
    {"priorities": ("load_spread", "worst_case"), "load_spread": 0.5},
)


@st.composite
def spread_policies(draw: st.DrawFn) -> ra.Policy:
    """A random policy with tight loads, under one of :data:`OBJECTIVES`.

    Some have a panel floor (``expertise.min_panel_affinity``) or soft representation bands
    (a weight): neither may hold anything hard in the core search.
    """
    data = draw(policies()).model_dump()
    data["load"]["max"] = draw(st.sampled_from((1, 2, 2, 3)))
    data["load"]["min"] = min(data["load"]["min"], data["load"]["max"])
    data["objective"] = draw(st.sampled_from(OBJECTIVES))
    if draw(st.integers(0, 3)) == 0:
        data["expertise"]["min_panel_affinity"] = draw(st.sampled_from((0.45, 0.95)))
    if draw(st.integers(0, 3)) == 0:
        data["representation"] = {"region_tolerance": 0.1, "gender_tolerance": 0.2, "weight": 0.5}
    return ra.Policy.model_validate(data)


def _small(draw: st.DrawFn) -> ra.Problem:
    return draw(problems(min_cases=2, max_cases=5, min_reviewers=3, max_reviewers=6))


_SETTINGS = settings(max_examples=EXAMPLES)


# --------------------------------------------------------------------------------------
# the properties


def assert_core_is_honest(problem: ra.Problem, policy: ra.Policy, why: ra.Explanation) -> None:
    """The core alone cannot be met and, when claimed irreducible, each member is needed."""
    members = [key_of(r) for r in why.core]
    assert len(set(members)) == len(members), why.core
    assert not meets(problem, policy, members), (
        f"the core can be met on its own (with panel sizes and conflicts):\n{why}"
    )
    if why.irreducible:
        for k, reason in enumerate(why.core):
            rest = members[:k] + members[k + 1 :]
            assert meets(problem, policy, rest), (
                f"the core is claimed irreducible, but without {reason} it still cannot be met"
            )


@_SETTINGS
@given(data=st.data())
def test_every_core_is_infeasible_alone_and_irreducible(data: st.DataObject) -> None:
    problem, policy = _small(data.draw), data.draw(spread_policies())
    why = ra.explain(problem, policy, core=True, relaxations=False, time_limit=60)
    whole = every_instance(problem, policy)
    event(f"status {why.status}, core {'empty' if not why.core else 'named'}")
    if why.status == "feasible":
        assert meets(problem, policy, whole), "explain found the policy feasible; it is not"
        return
    assert why.status == "infeasible", str(why)
    assert not meets(problem, policy, whole), "explain found the policy infeasible; it is not"
    assert why.irreducible, str(why)  # small problems: the deletion finishes in time
    assert_core_is_honest(problem, policy, why)


@_SETTINGS
@given(data=st.data())
def test_relaxations_are_what_they_claim(data: st.DataObject) -> None:
    problem, policy = _small(data.draw), data.draw(spread_policies())
    why = ra.explain(problem, policy, core=True, time_limit=60)
    whole = every_instance(problem, policy)
    event(f"status {why.status}, {len(why.relaxations)} relaxation(s)")
    for relax in why.relaxations:
        if relax.scope == "policy":
            changed = policy.with_settings(relax.settings)
            if relax.restores is True:
                assert meets(problem, changed, every_instance(problem, changed)), relax
            elif relax.restores is False:
                assert not meets(problem, changed, every_instance(problem, changed)), relax
            continue
        (key,) = [key_of(r) for r in why.core if r.rule == relax.rule and _same(r, relax)]
        others = [k for k in whole if k != key]
        if relax.restores is True:
            assert meets(problem, policy, others), relax
        elif relax.restores is False:
            assert not meets(problem, policy, others), f"{relax}: it is enough alone"


def _same(reason: ra.Reason, relax: ra.Relaxation) -> bool:
    """Whether ``relax`` relaxes the core member ``reason``."""
    if reason.cases != relax.cases or reason.reviewers != relax.reviewers:
        return False
    topic = _TOPIC.search(reason.message)
    return topic is None or f"topic {topic.group(1)} " in relax.change


@_SETTINGS
@given(data=st.data())
def test_relax_minimal_breaks_the_fewest_rule_instances(data: st.DataObject) -> None:
    problem, policy = _small(data.draw), data.draw(spread_policies())
    policy = ra.Policy.coerce(policy.model_copy(update={"relax": ra.RelaxPolicy(keep=())}))
    least = least_broken(problem, policy, (), every_instance(problem, policy))
    result = ra.solve(problem, policy, relax="minimal", time_limit=60)
    if least is None:
        assert result.status is ra.Status.INFEASIBLE
        return
    event(f"{least} broken at least")
    assert result.status is ra.Status.OPTIMAL, result.stats.notes
    broken = {
        (v.rule, v.case or "", v.reviewer if v.case is None else "", _topic_of(v))
        for v in result.broken
    }
    assert len(broken) == least, result.broken


def _topic_of(v: ra.Violation) -> str:
    found = re.search(r"topic (\S+) of case", v.message)
    return found.group(1) if found and v.rule == "expertise.coverage" else ""


# --------------------------------------------------------------------------------------
# the regression of issue 20


REGRESSION = shared_root() / "regressions" / "explain-load-spread"


def _regression() -> tuple[ra.Problem, ra.Policy]:
    if not (REGRESSION / "policy.toml").is_file():
        pytest.skip(f"the regression instance is absent ({REGRESSION} not found)")
    return ra.load_problem(REGRESSION / "problem"), ra.load_policy(REGRESSION / "policy.toml")


@pytest.mark.parametrize("spread", [0.25, 0.0])
def test_load_spread_regression_core_names_the_loads(spread: float) -> None:
    problem, policy = _regression()
    policy = ra.Policy.coerce(
        policy.model_copy(
            update={"objective": policy.objective.model_copy(update={"load_spread": spread})}
        )
    )
    why = ra.explain(problem, policy, core=True, relaxations=False, time_limit=120)
    assert why.status == "infeasible" and why.irreducible, str(why)
    assert "load.max" in {r.rule for r in why.core}, str(why)
    assert_core_is_honest(problem, policy, why)


@settings(max_examples=max(1, EXAMPLES // 2))  # two explains per example
@given(data=st.data())
def test_the_objective_does_not_change_the_core(data: st.DataObject) -> None:
    # A core is about feasibility: the same rules give the same core, whatever is maximised.
    problem, policy = _small(data.draw), data.draw(spread_policies())
    neutral = ra.Policy.coerce(policy.model_copy(update={"objective": ra.ObjectivePolicy()}))
    got = ra.explain(problem, policy, core=True, relaxations=False, time_limit=60)
    plain = ra.explain(problem, neutral, core=True, relaxations=False, time_limit=60)
    assert (got.status, got.core, got.irreducible) == (plain.status, plain.core, plain.irreducible)


# --------------------------------------------------------------------------------------
# loads are rule instances under load spread: relax="minimal" may break them too


def test_relax_minimal_may_break_a_load_under_load_spread() -> None:
    # Both cases' only eligible reviewer is R1 (R2 shares their institution): R1 must take
    # two reviews, one over its maximum, whatever the objective.
    problem = ra.Problem(
        cases=[ra.Case(id="C1", institution=("U",)), ra.Case(id="C2", institution=("U",))],
        reviewers=[ra.Reviewer(id="R1", institution="V"), ra.Reviewer(id="R2", institution="U")],
    )
    for objective in OBJECTIVES:
        policy = ra.Policy.model_validate(
            {"panel_size": 1, "load": {"max": 1}, "objective": objective, "relax": {"keep": []}}
        )
        result = ra.solve(problem, policy, relax="minimal", time_limit=30)
        assert result.status is ra.Status.OPTIMAL, (objective, result.stats.notes)
        assert [(v.rule, v.reviewer) for v in result.broken] == [("load.max", "R1")]
        why = ra.explain(problem, policy, core=True, time_limit=30)
        assert [key_of(r) for r in why.core] == [("load.max", "", "R1", "")], str(why)
        single = [r for r in why.relaxations if r.scope == "instance"]
        assert single[0].change == "raise R1's maximum load from 1 to 2"
        (step,) = [r for r in why.relaxations if r.scope == "policy"]
        assert (step.change, step.restores) == ("set load.max from 1 to 2", True)


def test_load_spread_regression_relaxations_raise_loads() -> None:
    problem, policy = _regression()
    why = ra.explain(problem, policy, core=True, time_limit=120)
    whole = every_instance(problem, policy)
    loads = [r for r in why.relaxations if r.rule == "load.max" and r.scope == "instance"]
    assert loads and all(r.restores for r in loads), str(why)
    for relax in loads:
        (who,) = relax.reviewers
        assert meets(problem, policy, [k for k in whole if k != ("load.max", "", who, "")])


# --------------------------------------------------------------------------------------
# a core cut short by the clock is not called irreducible


def test_a_core_cut_short_says_not_proven_irreducible(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from reviewassign._backends.cpsat.soft import SoftSolver
    from reviewassign.cli import main

    problem = ra.Problem(
        cases=[ra.Case(id="C1", region="Africa"), ra.Case(id="C2", region="Africa")],
        reviewers=[
            ra.Reviewer(id="R1", region="Africa", max_load=1),
            ra.Reviewer(id="R2", region="Europe and North America"),
        ],
    )
    policy = ra.Policy(
        panel_size=1, panel={"own_region": "at_least_one"}, objective={"load_spread": 0.5}
    )
    solve = SoftSolver._solve
    calls = {"n": 0}

    def clock_runs_out(self: SoftSolver, time_limit: float | None = None) -> Any:
        # Every rule held (infeasible), CP-SAT's first core, one deletion step; then time.
        calls["n"] += 1
        status, solver = solve(self, time_limit)
        return ("unknown" if calls["n"] > 3 else status), solver

    monkeypatch.setattr(SoftSolver, "_solve", clock_runs_out)
    why = ra.explain(problem, policy, core=True)
    assert why.status == "infeasible" and why.core and not why.irreducible, str(why)
    assert [r for r in why.relaxations if r.scope == "instance"] == []
    text = str(why)
    assert "not proven minimal" in text and "dropping any one" not in text, text
    assert not meets(problem, policy, [key_of(r) for r in why.core])  # infeasible, proven

    calls["n"] = 0
    ra.save_problem(problem, tmp_path / "p.json")
    (tmp_path / "policy.toml").write_text(
        'panel_size = 1\n[panel]\nown_region = "at_least_one"\n[objective]\nload_spread = 0.5\n'
    )
    args = ["explain", str(tmp_path / "p.json"), "--policy", str(tmp_path / "policy.toml")]
    code = main([*args, "--core", "always"])  # the counting check alone proves it
    out = capsys.readouterr().out
    assert code == 3 and "not proven minimal" in out, out
