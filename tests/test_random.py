"""Randomised assignment: the cap, the marginals, the draws and their checks.

Both methods are tested on one small award-like instance: ``flow`` (region cap only)
and ``columns`` (a gender rule and topic coverage, which no flow network expresses).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples
from reviewassign._lab.synthetic import award_problem
from reviewassign.cli import main
from strategies import flow_policies, policies, problems

Q = 0.5
SAMPLES = 1000
Z = 4.5  # standard errors: with ~100 pairs a false alarm is about 1 in 10,000 runs

POLICIES = {
    "flow": ra.Policy(
        panel_size=2, load={"max": 4}, panel={"max_per_region": 1}, random={"max_probability": Q}
    ),
    "columns": ra.Policy(
        panel_size=2,
        load={"max": 4},
        panel={"max_per_region": 1, "min_genders": 2},
        expertise={"coverage": "any"},
        random={"max_probability": Q},
    ),
}


@pytest.fixture(scope="module")
def problem() -> ra.Problem:
    return award_problem(10, 12, seed=1)


@pytest.fixture(scope="module", params=sorted(POLICIES))
def lottery(request: pytest.FixtureRequest, problem: ra.Problem) -> ra.Lottery:
    policy = POLICIES[request.param]
    found = ra.randomize(problem, policy, seed=0, workers=1)
    assert found.method == request.param
    return found


def _frequencies(
    lottery: ra.Lottery, n: int, seed: int
) -> tuple[dict[tuple[str, str], int], list[ra.Assignment]]:
    counts: dict[tuple[str, str], int] = {}
    draws = list(lottery.samples(n, seed))
    for a in draws:
        for pair in a.pairs():
            counts[pair] = counts.get(pair, 0) + 1
    return counts, draws


def test_marginals_meet_the_cap_and_fill_every_panel(
    lottery: ra.Lottery, problem: ra.Problem
) -> None:
    assert lottery.marginals
    assert max(lottery.marginals.values()) <= Q + 1e-9
    assert min(lottery.marginals.values()) > 0
    assert list(lottery.marginals) == sorted(lottery.marginals)
    per_case: dict[str, float] = {}
    for (case, _), p in lottery.marginals.items():
        per_case[case] = per_case.get(case, 0.0) + p
    assert per_case == pytest.approx({c.id: 2.0 for c in problem.cases}, abs=1e-9)
    expected = sum(
        p * a
        for (c, r), p in lottery.marginals.items()
        for a in [ra.evaluate(problem, ra.Assignment({c: [r]})).total_affinity]
    )
    assert lottery.expected_objective == pytest.approx(expected, abs=1e-6)


def test_expected_objective_is_below_bound_and_optimum(lottery: ra.Lottery) -> None:
    assert lottery.expected_objective <= lottery.bound + 1e-6
    assert lottery.expected_objective <= lottery.optimum + 1e-6
    assert lottery.share == pytest.approx(lottery.expected_objective / lottery.optimum)
    assert 0.5 < lottery.share < 1.0  # the cap binds on this instance
    assert lottery.status is ra.Status.OPTIMAL
    assert lottery.gap <= 1e-5


def test_empirical_frequencies_match_the_marginals(lottery: ra.Lottery) -> None:
    counts, _ = _frequencies(lottery, SAMPLES, seed=12345)
    assert set(counts) <= set(lottery.marginals)  # a pair of probability 0 is never drawn
    for pair, p in lottery.marginals.items():
        freq = counts.get(pair, 0) / SAMPLES
        se = math.sqrt(p * (1 - p) / SAMPLES)
        assert abs(freq - p) <= Z * se + 1e-9, (pair, p, freq)
        assert freq <= Q + Z * math.sqrt(Q * (1 - Q) / SAMPLES)


def test_every_draw_passes_check(lottery: ra.Lottery, problem: ra.Problem) -> None:
    policy = POLICIES[lottery.method]
    _, draws = _frequencies(lottery, SAMPLES, seed=7)
    bad = [a for a in draws if ra.check(problem, policy, a)]
    assert bad == []


def test_sample_is_a_checked_result_with_the_lottery(
    lottery: ra.Lottery, problem: ra.Problem
) -> None:
    policy = POLICIES[lottery.method]
    result = lottery.sample(seed=3)
    assert result.status is ra.Status.FEASIBLE
    assert ra.check(problem, policy, result.assignment) == []
    assert result.assignment == next(lottery.samples(1, seed=3))
    assert result.lottery is lottery
    assert result.objective == pytest.approx(
        ra.evaluate(problem, result.assignment, policy).objective
    )
    assert any(n.startswith("random: a sample (seed 3)") for n in result.stats.notes)
    block = result.to_dict()["random"]
    assert block["max_probability"] == Q
    assert block["expected_objective"] == lottery.expected_objective
    assert block["share"] == lottery.share


def test_solve_under_a_cap_returns_a_sample(problem: ra.Problem) -> None:
    policy = POLICIES["flow"]
    result = ra.solve(problem, policy, seed=5)
    assert result.lottery is not None
    assert result.assignment == result.lottery.sample(5).assignment
    assert ra.check(problem, policy, result.assignment) == []


@pytest.mark.parametrize("method", sorted(POLICIES))
def test_cap_one_is_the_deterministic_optimum(problem: ra.Problem, method: str) -> None:
    policy = POLICIES[method].model_copy(update={"random": ra.RandomPolicy()})
    lottery = ra.randomize(problem, policy)
    best = ra.solve(problem, policy)
    assert dict(lottery.marginals) == dict.fromkeys(best.assignment.pairs(), 1.0)
    assert lottery.expected_objective == best.objective == lottery.optimum
    assert lottery.share == 1.0
    assert all(a == best.assignment for a in lottery.samples(5, seed=1))


@pytest.mark.parametrize("method", sorted(POLICIES))
def test_same_seed_same_lottery_and_draw(problem: ra.Problem, method: str) -> None:
    first = ra.randomize(problem, POLICIES[method], seed=0)
    second = ra.randomize(problem, POLICIES[method], seed=0)
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    assert first.sample(11).assignment == second.sample(11).assignment
    draws = {a for a in first.samples(20, seed=2)}
    assert len(draws) > 1  # different draws differ
    assert first.sample(1).assignment != first.sample(2).assignment or len(draws) > 1


def test_a_cap_no_lottery_can_meet_is_infeasible() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id=f"R{i}") for i in range(3)]
    )
    with pytest.raises(ra.InfeasibleError, match="case C1 has 3 eligible reviewers"):
        ra.randomize(problem, ra.Policy(panel_size=2, random={"max_probability": 0.5}))
    # At 2/3 each reviewer sits on the panel two times in three.
    lottery = ra.randomize(problem, ra.Policy(panel_size=2, random={"max_probability": 2 / 3}))
    assert list(lottery.marginals.values()) == pytest.approx([2 / 3] * 3)


def test_fairness_is_refused() -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    policy = ra.Policy(
        panel_size=1, objective={"kind": "fairness"}, random={"max_probability": 0.5}
    )
    with pytest.raises(ra.InputError, match="affinity"):
        ra.randomize(problem, policy)
    for objective in ({"kind": "leximin"}, {"priorities": ("coverage",)}):
        policy = ra.Policy(panel_size=1, objective=objective, random={"max_probability": 0.5})
        with pytest.raises(ra.InputError, match="not linear"):
            ra.randomize(problem, policy)
    weighted = ra.Policy(
        panel_size=1,
        representation={"region_tolerance": 0.1, "weight": 1.0},
        random={"max_probability": 0.5},
    )
    with pytest.raises(ra.InputError, match="hard representation bands"):
        ra.randomize(problem, weighted)


def test_random_policy_validates() -> None:
    assert ra.Policy().random.max_probability == 1.0
    for bad in (0, -0.1, 1.5, math.nan, math.inf):
        with pytest.raises(ValueError):
            ra.RandomPolicy(max_probability=bad)


_PROPERTY = settings(max_examples=examples(0.25))  # a lottery (many solves) per example


def _holds(problem: ra.Problem, policy: ra.Policy) -> None:
    try:
        lottery = ra.randomize(problem, policy, seed=0)
    except ra.InfeasibleError:
        # Infeasible policies are common on tiny instances: then the capped problem is too.
        event("infeasible")
        return
    event(lottery.method)
    q = policy.random.max_probability
    assert lottery.max_marginal <= q + 1e-9
    sizes = {c.id: c.panel_size or policy.panel_size for c in problem.cases}
    per_case = dict.fromkeys(sizes, 0.0)
    for (case, _), p in lottery.marginals.items():
        per_case[case] += p
    assert per_case == pytest.approx(sizes, abs=1e-7)
    assert lottery.expected_objective <= min(lottery.bound, lottery.optimum) + 1e-6
    for a in lottery.samples(20, seed=1):
        assert ra.check(problem, policy, a) == []


@_PROPERTY
@given(problems(), flow_policies(), st.sampled_from([0.34, 0.5, 0.75, 0.9]))
def test_property_flow_lotteries(problem: ra.Problem, policy: ra.Policy, q: float) -> None:
    _holds(problem, policy.model_copy(update={"random": ra.RandomPolicy(max_probability=q)}))


@settings(max_examples=examples(0.6))  # a lottery per example, on smaller problems
@given(problems(max_cases=6, max_reviewers=9), policies(), st.sampled_from([0.5, 0.75]))
def test_property_any_policy(problem: ra.Problem, policy: ra.Policy, q: float) -> None:
    policy = policy.model_copy(update={"objective": ra.ObjectivePolicy()})
    _holds(problem, policy.model_copy(update={"random": ra.RandomPolicy(max_probability=q)}))


def test_cli_solve_writes_a_sample_and_the_marginals(
    tmp_path: Path, problem: ra.Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "p"
    ra.save_problem(problem, folder)
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "panel_size = 2\n[load]\nmax = 4\n[panel]\nmax_per_region = 1\n"
        "[random]\nmax_probability = 0.5\n"
    )
    out, marg = tmp_path / "out.json", tmp_path / "m.csv"
    args = ["solve", str(folder), "--policy", str(policy), "--out", str(out)]
    assert main([*args, "--marginals", str(marg), "--seed", "4"]) == 0
    err = capsys.readouterr().err
    assert "random     max_probability 0.5" in err and "share" in err
    data = json.loads(out.read_text())
    assert data["random"]["max_probability"] == 0.5
    lines = marg.read_text().splitlines()
    assert lines[0] == "case,reviewer,probability"
    rows = [line.split(",") for line in lines[1:]]
    assert rows == sorted(rows, key=lambda r: (r[0], r[1]))
    assert max(float(r[2]) for r in rows) <= 0.5
    lottery = ra.randomize(problem, POLICIES["flow"])
    assert len(rows) == len(lottery.marginals)
    assert data["assignment"] == lottery.sample(4).assignment.to_dict()
    # The same seed writes the same sample.
    again = tmp_path / "again.json"
    assert (
        main(["solve", str(folder), "--policy", str(policy), "--out", str(again), "--seed", "4"])
        == 0
    )
    assert json.loads(again.read_text())["assignment"] == data["assignment"]


def test_cli_bad_marginals_file_exits_2(tmp_path: Path, problem: ra.Problem) -> None:
    folder = tmp_path / "p"
    ra.save_problem(problem, folder)
    assert main(["solve", str(folder), "--marginals", str(tmp_path / "m.txt")]) == 2
    policy = tmp_path / "policy.toml"
    policy.write_text("[random]\nmax_probability = 1.5\n")
    assert main(["solve", str(folder), "--policy", str(policy)]) == 2


@pytest.mark.parametrize(("flows", "units"), [((1, 1, 1, 1), 2), ((1, 2, 2, 1), 3)])
def test_dependent_rounding_keeps_every_arc_expectation(flows: tuple[int, ...], units: int) -> None:
    from reviewassign._backends.lottery import dependent_round

    # Two cases (nodes 0, 1) each sending one unit to two reviewers (nodes 2, 3): a 4-cycle.
    # In thirds the two shifts of a step differ, so a wrong coin shows.
    tails, heads = (0, 0, 1, 1), (2, 3, 2, 3)
    p = np.asarray(flows) / units
    rng = np.random.default_rng(0)
    total = np.zeros(4)
    n = 4000
    for _ in range(n):
        out = dependent_round(tails, heads, flows, units, 4, rng.random(5))
        assert all(v in (0, units) for v in out)
        assert out[0] + out[1] == units and out[0] + out[2] == units  # balances kept
        total += np.asarray(out) / units
    assert np.all(np.abs(total / n - p) <= Z * np.sqrt(p * (1 - p) / n))


def test_frequencies_at_an_uneven_cap(problem: ra.Problem) -> None:
    # At q = 0.4 flows are in fifths: the two shifts of a rounding step differ.
    policy = POLICIES["flow"].model_copy(update={"random": ra.RandomPolicy(max_probability=0.4)})
    lottery = ra.randomize(problem, policy)
    assert lottery.max_marginal <= 0.4 + 1e-9
    counts, draws = _frequencies(lottery, SAMPLES, seed=99)
    for pair, p in lottery.marginals.items():
        se = math.sqrt(p * (1 - p) / SAMPLES)
        assert abs(counts.get(pair, 0) / SAMPLES - p) <= Z * se + 1e-9, (pair, p)
    assert all(ra.check(problem, policy, a) == [] for a in draws[:200])
