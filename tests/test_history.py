"""History and rotation: ``history.csv``, ``[history]`` and its three rules.

``history.institution_years`` (no reviewer on a case of an institution they reviewed
within n years), ``history.min_new_share`` (a share of every panel for new reviewers)
and ``history.max_repeat_pairs`` (a cap on past pairs sitting together again). The
registry's tables (``test_registry``, ``test_rules``, ``test_check``) hold one binding,
one infeasible and one check case of each; here are the files, the year, each rule in
detail, the brute force and a property through ``check``.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reviewassign as ra
from reviewassign._audit.report import _rules
from reviewassign._data.rules import active
from reviewassign._pipeline.finish import input_hash
from reviewassign._reduce.eligible import build_instance
from reviewassign._reduce.history import (
    excluded_by_history,
    new_reviewers,
    past_pairs,
    past_panels,
    round_year,
)
from test_bruteforce import EXAMPLES, assert_matches_brute_force, problems
from test_rules import case, problem, rev, seat, solve

# --------------------------------------------------------------------------------------
# files


AWARD = problem(
    [case("C1", institution=("U1", "U2")), case("C2", institution=("U3",))],
    [rev("R1", 3), rev("R2", 2), rev("R3", 1), rev("R4", 1)],
    history=[
        seat(2025, "P7", "R1", "U1"),
        seat(2025, "P7", "R2", "U1"),
        seat(2024, "P3", "R2", "U3", "U4"),
        seat(2024, "P3", "Gone", "U3"),  # a reviewer who left
    ],
)


@pytest.mark.parametrize("where", ["folder", "award.json"])
def test_history_round_trips(tmp_path: Path, where: str) -> None:
    path = tmp_path / where
    ra.save_problem(AWARD, path)
    if where == "folder":
        text = (path / "history.csv").read_text()
        assert text.splitlines()[:2] == ["year,case,reviewer,institution", "2025,P7,R1,U1"]
        assert "2024,P3,R2,U3;U4" in text
    assert ra.load_problem(path) == AWARD


def test_a_problem_without_history_writes_no_history_file(tmp_path: Path) -> None:
    ra.save_problem(AWARD, tmp_path)
    plain = AWARD.model_copy(update={"history": ()})
    ra.save_problem(plain, tmp_path)
    assert not (tmp_path / "history.csv").exists()
    assert ra.load_problem(tmp_path).history == ()


def test_inputs_without_history_hash_and_save_as_before(tmp_path: Path) -> None:
    # The figures of 0.1.0: a result written before the history still verifies.
    p = ra.Problem(cases=[ra.Case(id="C1", institution=("U1",))], reviewers=[ra.Reviewer(id="R1")])
    assert input_hash(p, ra.Policy()) == (
        "61f6bf746c527f00dc7542f9d92a0be25765a6bcb3e6278499197700300615a5"
    )
    ra.save_problem(p, tmp_path / "p.json")
    assert '"history"' not in (tmp_path / "p.json").read_text()
    with_history = p.model_copy(update={"history": (seat(2025, "P", "R1"),)})
    assert input_hash(with_history, ra.Policy()) != input_hash(p, ra.Policy())
    pol = ra.Policy(history={"min_new_share": 0.5})
    assert input_hash(p, pol) != input_hash(p, ra.Policy())


def _folder(tmp_path: Path, history: str) -> Path:
    (tmp_path / "cases.csv").write_text("id,institution\nC1,U1\n")
    (tmp_path / "reviewers.csv").write_text("id\nR1\nR2\n")
    (tmp_path / "history.csv").write_text(history)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "row", "field", "words"),
    [
        ("year,case,reviewer\n2025,P1,R1\n20x5,P1,R2\n", 3, "year", "not an integer"),
        ("year,case,reviewer\n0,P1,R1\n", 2, "year", "greater than or equal to 1"),
        ("year,case,reviewer\n2025,,R1\n", 2, "case", "a value is required"),
        ("year,case\n2025,P1\n", 1, "reviewer", "missing required column"),
        ("year,case,reviewer,institutions\n", 1, "institutions", "did you mean 'institution'"),
        ("year,case,reviewer\n2025,P1,R1\n2025,P1,R1\n", 3, "reviewer", "listed twice"),
        ("year,case,reviewer\n2025,P1,r1\n", 2, "reviewer", "did you mean 'R1'"),
    ],
    ids=["year-text", "year-zero", "case-empty", "no-reviewer", "unknown-column", "twice", "alike"],
)
def test_history_csv_errors_name_file_row_and_field(
    tmp_path: Path, text: str, row: int, field: str, words: str
) -> None:
    with pytest.raises(ra.InputError, match=words) as info:
        ra.load_problem(_folder(tmp_path, text))
    assert Path(str(info.value.path)).name == "history.csv"
    assert (info.value.row, info.value.field) == (row, field)


def test_json_history_errors_name_the_field(tmp_path: Path) -> None:
    file = tmp_path / "p.json"
    file.write_text(
        '{"cases": [{"id": "C1"}], "reviewers": [{"id": "R1"}],'
        ' "history": [{"year": "2025", "case": "P1", "reviewer": "R1"}]}'
    )
    with pytest.raises(ra.InputError) as info:
        ra.load_problem(file)
    assert info.value.field == "history[0].year"
    file.write_text(
        '{"cases": [{"id": "C1"}], "reviewers": [{"id": "R1"}],'
        ' "history": [{"year": 2025, "case": "P1", "reviewer": "R1"},'
        ' {"year": 2025, "case": "P1", "reviewer": "R1"}]}'
    )
    with pytest.raises(ra.InputError, match="listed twice") as info:
        ra.load_problem(file)
    assert info.value.field == "history[1].reviewer"


def test_history_policy_reads_from_toml_and_refuses_unknown_keys(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text("[history]\nyear = 2026\ninstitution_years = 2\nmin_new_share = 0.34\n")
    got = ra.load_policy(file).history
    assert (got.year, got.institution_years, got.min_new_share) == (2026, 2, 0.34)
    assert got.max_repeat_pairs is None
    file.write_text("[history]\ninstitution_yeras = 2\n")
    with pytest.raises(ra.InputError, match="did you mean 'institution_years'") as info:
        ra.load_policy(file)
    assert info.value.field == "history.institution_yeras"
    file.write_text("[history]\nmin_new_share = 1.5\n")
    with pytest.raises(ra.InputError) as info:
        ra.load_policy(file)
    assert info.value.field == "history.min_new_share"


def test_the_neutral_policy_has_no_history_rule() -> None:
    assert not [r.key for r in active(ra.Policy()) if r.key.startswith("history.")]


# --------------------------------------------------------------------------------------
# the year


def test_round_year_is_one_after_the_latest_unless_given() -> None:
    assert round_year(AWARD, ra.Policy()) == 2026
    assert round_year(AWARD, ra.Policy(history={"year": 2030})) == 2030
    assert round_year(AWARD.model_copy(update={"history": ()}), ra.Policy()) is None


@pytest.mark.parametrize(
    ("year", "n", "excluded"),
    [
        (None, 1, {("C1", "R1"), ("C1", "R2")}),  # 2026: the seats of 2025
        (None, 2, {("C1", "R1"), ("C1", "R2"), ("C2", "R2")}),  # and of 2024
        (2027, 1, set()),  # 2026 on: nothing
        (2027, 2, {("C1", "R1"), ("C1", "R2")}),
        (2025, 1, {("C1", "R1"), ("C1", "R2"), ("C2", "R2")}),  # 2024 on, 2025 counts too
    ],
)
def test_a_seat_counts_within_n_years_when_its_year_is_at_least_year_minus_n(
    year: int | None, n: int, excluded: set[tuple[str, str]]
) -> None:
    pol = ra.Policy(panel_size=1, history={"year": year, "institution_years": n})
    found = excluded_by_history(AWARD, pol)
    ids = {(AWARD.cases[c].id, AWARD.reviewers[r].id) for c, rs in found.items() for r in rs}
    assert ids == excluded
    # check agrees, pair by pair
    for c in AWARD.cases:
        for r in AWARD.reviewers:
            broken = ra.check(AWARD, pol, {c.id: [r.id]})
            assert any(v.rule == "history.institution_years" for v in broken) == (
                (c.id, r.id) in excluded
            )


# --------------------------------------------------------------------------------------
# history.institution_years


def test_institution_years_names_the_past_year_case_and_institution() -> None:
    pol = ra.Policy(panel_size=1, history={"institution_years": 2})
    (v,) = [x for x in ra.check(AWARD, pol, {"C2": ["R2"]}) if x.rule.startswith("history")]
    assert (v.case, v.reviewer) == ("C2", "R2")
    assert v.message == (
        "reviewer R2 reviewed case P3 in 2024, of institution U3, an institution of case C2; "
        "history.institution_years is 2"
    )


def test_institution_years_removes_pairs_counted_as_excluded_and_the_flow_takes_it() -> None:
    pol = ra.Policy(panel_size=1, history={"institution_years": 2})
    inst = build_instance(AWARD, pol)
    plain = build_instance(AWARD, ra.Policy(panel_size=1))
    assert inst.excluded_by_policy == plain.excluded_by_policy + 3
    assert inst.eligible_pairs == plain.eligible_pairs - 3
    result = solve(AWARD, pol)
    assert result.status is ra.Status.OPTIMAL
    assert result.stats.phases[1].name == "flow"
    assert result.stats.excluded_by_policy == 3
    assert ra.check(AWARD, pol, result.assignment) == []
    assert result.assignment["C2"] == ("R1",)  # C1 takes R3 or R4: 1/3 either way
    assert result.objective == pytest.approx(1 + 1 / 3)


def test_a_reviewer_who_left_matches_no_one() -> None:
    p = problem(
        [case("C1", institution=("U3",))], [rev("R1", 3)], history=[seat(2025, "P", "Gone", "U3")]
    )
    pol = ra.Policy(panel_size=1, history={"institution_years": 5, "min_new_share": 1.0})
    result = solve(p, pol)
    assert result.status is ra.Status.OPTIMAL
    assert result.assignment["C1"] == ("R1",)


def test_explain_names_the_past_institution_that_empties_a_pool() -> None:
    p = problem(
        [case("C1", institution=("U1",)), case("C2")],
        [rev("R1", 3), rev("R2", 1)],
        history=[seat(2024, "P7", "R1", "U1"), seat(2025, "P8", "R2", "U2", "U1")],
    )
    why = ra.explain(p, ra.Policy(panel_size=1, history={"institution_years": 2}), core=False)
    assert why.infeasible
    (reason,) = why.reasons
    assert (reason.rule, reason.cases) == ("history.institution_years", ("C1",))
    assert reason.message.endswith("none (a past institution excludes R1, R2)")


# --------------------------------------------------------------------------------------
# history.min_new_share


@pytest.mark.parametrize(
    ("share", "size", "need"),
    [(0.0, 3, 0), (0.01, 3, 1), (1 / 3, 3, 1), (0.34, 3, 2), (0.5, 2, 1), (0.5, 3, 2), (1, 4, 4)],
)
def test_min_new_share_rounds_up(share: float, size: int, need: int) -> None:
    veterans = [f"V{i}" for i in range(size)]
    new = [f"N{i}" for i in range(size)]
    p = problem(
        [case("C1", panel_size=size)],
        [rev(r) for r in veterans + new],
        history=[seat(2025, "P", r) for r in veterans],
    )
    pol = ra.Policy(history={"min_new_share": share})
    enough = new[:need] + veterans[: size - need]
    assert ra.check(p, pol, {"C1": enough}) == []
    if need:
        short = new[: need - 1] + veterans[: size - need + 1]
        assert [v.rule for v in ra.check(p, pol, {"C1": short})] == ["history.min_new_share"]


def test_new_years_sets_who_is_new() -> None:
    p = problem(
        [case("C1")],
        [rev("R1"), rev("R2"), rev("R3")],
        history=[seat(2025, "P", "R1"), seat(2020, "Q", "R2")],
    )
    assert new_reviewers(p, ra.Policy(history={"min_new_share": 0.5})).tolist() == [
        False,
        False,
        True,
    ]
    recent = ra.Policy(history={"min_new_share": 0.5, "new_years": 3})
    assert new_reviewers(p, recent).tolist() == [False, True, True]


def test_min_new_share_explain_names_the_case_and_its_pool() -> None:
    p = problem(
        [case("C1"), case("C2")],
        [rev("R1"), rev("R2"), rev("R3")],
        history=[seat(2025, "P", "R1"), seat(2025, "P", "R2")],
    )
    pol = ra.Policy(panel_size=2, history={"min_new_share": 1.0})
    why = ra.explain(p, pol, core=False)
    assert why.infeasible
    reasons = [r for r in why.reasons if r.rule == "history.min_new_share"]
    assert [r.cases for r in reasons] == [("C1",), ("C2",)]
    assert reasons[0].message.startswith("case C1 needs 2 seats held by new reviewers")
    assert "include 1: R3" in reasons[0].message


def test_min_new_share_core_and_minimal_relaxation() -> None:
    # Each case alone can seat its new reviewer; with R3's load of 1, only one case can.
    p = problem(
        [case("C1"), case("C2")],
        [rev("R1", 3), rev("R2", 3), rev("R3", 1, max_load=1)],
        history=[seat(2025, "P", "R1"), seat(2025, "P", "R2")],
    )
    pol = ra.Policy(panel_size=2, history={"min_new_share": 0.5})
    assert solve(p, pol).status is ra.Status.INFEASIBLE
    why = ra.explain(p, pol, time_limit=30)
    assert why.infeasible and not why.reasons
    assert {r.rule for r in why.core} == {"history.min_new_share", "load.max"}
    relaxed = ra.solve(p, pol, relax="minimal", workers=1, seed=0)
    assert [v.rule for v in relaxed.broken] == ["history.min_new_share"]
    assert relaxed.objective == pytest.approx(2 + 4 / 3)


def test_pruning_keeps_the_new_reviewers_a_panel_needs() -> None:
    # 40 veterans of affinity 1 and 6 new reviewers of affinity 1/3: pruned to 4
    # candidates a case by affinity alone, no case could seat a new reviewer.
    reviewers = [rev(f"V{i}", 3) for i in range(40)] + [rev(f"N{i}", 1) for i in range(6)]
    p = problem(
        [case(f"C{i}") for i in range(6)],
        reviewers,
        history=[seat(2025, "P", f"V{i}") for i in range(40)],
    )
    pol = ra.Policy(panel_size=3, load={"max": 2}, history={"min_new_share": 0.5})  # 2 of 3
    inst = build_instance(p, pol, candidates=4)
    assert inst.pruned
    for c in range(inst.n_cases):
        kept = inst.pair_reviewer[inst.case_pairs(c).start : inst.case_pairs(c).stop]
        assert int(inst.reviewer_new[kept].sum()) >= 3  # the case's best panel_size of them
    result = ra.solve(p, pol, workers=1, seed=0, candidates=4)
    assert result.status is ra.Status.OPTIMAL
    assert ra.check(p, pol, result.assignment) == []
    assert result.objective == pytest.approx(6 * (1 + 2 / 3))
    assert result.bound == pytest.approx(result.objective)  # the bound counts the new seats


# --------------------------------------------------------------------------------------
# history.max_repeat_pairs


def test_past_pairs_are_the_current_reviewers_of_one_past_panel() -> None:
    pol = ra.Policy(history={"max_repeat_pairs": 0})
    assert past_pairs(AWARD, pol).tolist() == [[0, 1]]  # R1 and R2 on P7 in 2025
    assert past_pairs(AWARD, ra.Policy()).shape == (0, 2)
    # 2024's panel P3 held R2 and Gone: no pair of current reviewers
    assert [m.tolist() for m in past_panels(AWARD, pol)] == [[0, 1]]
    trio = AWARD.model_copy(
        update={"history": (*AWARD.history, seat(2023, "P1", "R3"), seat(2023, "P1", "R1"))}
    )
    three = ra.Policy(history={"max_repeat_pairs": 1, "pair_years": 5})
    assert [m.tolist() for m in past_panels(trio, three)] == [[0, 1], [0, 2]]
    assert past_pairs(trio, three).tolist() == [[0, 1], [0, 2]]


def test_pair_years_sets_the_window_of_past_panels() -> None:
    p = problem(
        [case("C1")],
        [rev("R1", 3), rev("R2", 3), rev("R3", 1)],
        history=[seat(2020, "P", "R1"), seat(2020, "P", "R2"), seat(2025, "Q", "R3")],
    )
    every = ra.Policy(panel_size=2, history={"max_repeat_pairs": 0})
    recent = ra.Policy(panel_size=2, history={"max_repeat_pairs": 0, "pair_years": 3})
    assert solve(p, every).objective == pytest.approx(4 / 3)
    assert solve(p, recent).objective == pytest.approx(2.0)
    (v,) = ra.check(p, every, {"C1": ["R1", "R2"]})
    assert v.message == (
        "reviewers R1 and R2, who sat together on case P in 2020, sit together on 1 panel "
        "(C1); at most 0 allowed (history.max_repeat_pairs)"
    )


def test_the_report_says_each_history_rule_and_where_it_binds() -> None:
    pol = ra.Policy(
        panel_size=1,
        history={"institution_years": 1, "min_new_share": 0.5, "max_repeat_pairs": 0},
    )
    result = solve(AWARD, pol)
    assert result.status is ra.Status.OPTIMAL
    lines = {line.key: line for line in _rules(AWARD, pol, result.assignment)}
    years = lines["history.institution_years"]
    assert years.words.startswith("No reviewer reviews a case from an institution of a case")
    assert (years.binds, years.where) == ("yes", "2 case-reviewer pairs excluded")
    share = lines["history.min_new_share"]
    assert share.words.startswith("At least 50 % of the seats of every panel")
    assert (share.binds, share.where) == ("yes", "2 of 2 panels exactly at the minimum: C1, C2")
    pairs = lines["history.max_repeat_pairs"]
    assert pairs.words == "No two reviewers who sat on one panel sit together again."
    assert (pairs.binds, pairs.where) == ("yes", "1 past pair kept apart")


# --------------------------------------------------------------------------------------
# everywhere a rule goes: repair and the lottery


ROTATION = ra.Policy(
    panel_size=2,
    load={"max": 2},
    history={"institution_years": 1, "min_new_share": 0.5, "max_repeat_pairs": 0},
)
"""Every history rule on: a new reviewer on every panel, last year's pairs apart."""


def _rotation_problem() -> ra.Problem:
    """Four cases, three veterans (two of last year's panel P7), three new reviewers."""
    return problem(
        [case(f"C{i}", institution=(f"U{i}",)) for i in range(4)],
        [rev("V1", 3), rev("V2", 3), rev("V3", 3), rev("N1", 2), rev("N2", 1), rev("N3", 1)],
        history=[
            seat(2025, "P7", "V1", "U0"),
            seat(2025, "P7", "V2", "U0"),
            seat(2024, "P2", "V3"),
        ],
    )


def test_repair_keeps_the_history_rules() -> None:
    p = _rotation_problem()
    first = solve(p, ROTATION)
    assert first.status is ra.Status.OPTIMAL
    assert ra.check(p, ROTATION, first.assignment) == []
    new_on_c1 = next(r for r in first.assignment["C1"] if r.startswith("N"))
    fixed = ra.repair(
        p, ROTATION, first.assignment, [ra.Event(kind="decline", case="C1", reviewer=new_on_c1)]
    )
    assert fixed.status is ra.Status.OPTIMAL
    assert new_on_c1 not in fixed.assignment["C1"]
    assert ra.check(fixed.problem, ROTATION, fixed.assignment) == []
    assert any(r.startswith("N") for r in fixed.assignment["C1"])


@pytest.mark.parametrize("rules", [{"institution_years": 1}, dict(ROTATION.history)])
def test_every_draw_of_a_lottery_meets_the_history_rules(rules: dict[str, Any]) -> None:
    p = _rotation_problem()
    pol = ra.Policy(panel_size=2, load={"max": 2}, history=rules, random={"max_probability": 0.6})
    lottery = ra.randomize(p, pol, seed=0)
    assert lottery.max_marginal <= 0.6 + 1e-9
    for drawn in lottery.samples(20, seed=1):
        assert ra.check(p, pol, drawn) == []


# --------------------------------------------------------------------------------------
# brute force and a property through check


@st.composite
def with_history(draw: st.DrawFn) -> tuple[ra.Problem, ra.Policy]:
    """A tiny problem of ``test_bruteforce`` with a drawn history and ``[history]`` rules."""
    p = draw(problems())
    people = [r.id for r in p.reviewers] + ["Gone"]
    seats = draw(
        st.lists(
            st.tuples(
                st.sampled_from((2024, 2025, 2025)),
                st.sampled_from(("P1", "P1", "P2")),
                st.sampled_from(people),
                st.sampled_from(((), ("U1",), ("U2",), ("U1", "U3"))),
            ),
            max_size=8,
            unique_by=lambda s: s[:3],
        )
    )
    history = tuple(seat(y, c, r, *names) for y, c, r, names in seats)
    rules: dict[str, Any] = {
        "institution_years": draw(st.sampled_from((0, 0, 1, 2))),
        "min_new_share": draw(st.sampled_from((0.0, 0.0, 0.5, 1.0))),
        "max_repeat_pairs": draw(st.sampled_from((None, 0, 0, 1))),
    }
    if draw(st.booleans()):
        rules["year"] = draw(st.sampled_from((2025, 2026)))
    if rules["max_repeat_pairs"] is not None and draw(st.booleans()):
        rules["pair_years"] = 1
    if rules["min_new_share"] and draw(st.booleans()):
        rules["new_years"] = 1
    pol = ra.Policy(panel_size=draw(st.sampled_from((1, 2, 2))), history=rules)
    return p.model_copy(update={"history": history}), pol


@settings(max_examples=EXAMPLES)
@given(with_history())
def test_history_rules_match_brute_force(drawn: tuple[ra.Problem, ra.Policy]) -> None:
    assert_matches_brute_force(*drawn, "auto")


@settings(max_examples=EXAMPLES // 2)
@given(with_history())
def test_history_rules_match_brute_force_on_cpsat(drawn: tuple[ra.Problem, ra.Policy]) -> None:
    assert_matches_brute_force(*drawn, "cpsat")


def _window(p: ra.Problem, pol: ra.Policy, n: int | None) -> list[ra.HistorySeat]:
    """The seats within ``n`` years of this round (every seat for None), read again."""
    latest = max((s.year for s in p.history), default=0)
    year = pol.history.year if pol.history.year is not None else latest + 1
    return [s for s in p.history if n is None or year - s.year <= n]


def _oracle(p: ra.Problem, pol: ra.Policy, panels: dict[str, list[str]]) -> set[tuple[Any, ...]]:
    """The history violations, by a third reading of the rules."""
    h = pol.history
    out: set[tuple[Any, ...]] = set()
    for c in p.cases:
        panel = panels.get(c.id, [])
        if h.institution_years:
            for r in panel:
                if any(
                    s.reviewer == r and set(s.institution) & set(c.institution)
                    for s in _window(p, pol, h.institution_years)
                ):
                    out.add(("history.institution_years", c.id, r))
        size = pol.panel_size if c.panel_size is None else c.panel_size
        old = {s.reviewer for s in _window(p, pol, h.new_years)}
        if h.min_new_share and len(set(panel) - old) < math.ceil(round(h.min_new_share * size, 9)):
            out.add(("history.min_new_share", c.id, None))
    if h.max_repeat_pairs is not None:
        counts = [sum(pair <= set(panel) for panel in panels.values()) for pair in _pairs(p, pol)]
        if any(n > h.max_repeat_pairs for n in counts):
            out.add(("history.max_repeat_pairs", None, None))
    return out


def _pairs(p: ra.Problem, pol: ra.Policy) -> set[frozenset[str]]:
    """The pairs of ids (current or not) on one past panel within ``pair_years``."""
    by_panel = sorted(_window(p, pol, pol.history.pair_years), key=lambda s: (s.year, s.case))
    past: set[frozenset[str]] = set()
    for _, group in itertools.groupby(by_panel, lambda s: (s.year, s.case)):
        past |= {frozenset(x) for x in itertools.combinations([s.reviewer for s in group], 2)}
    return past


@settings(max_examples=200)
@given(with_history(), st.data())
def test_check_agrees_with_an_oracle_on_history_rules(
    drawn: tuple[ra.Problem, ra.Policy], data: st.DataObject
) -> None:
    p, pol = drawn
    ids = [r.id for r in p.reviewers]
    panels = {
        c.id: data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3)) for c in p.cases
    }
    found = {
        (v.rule, v.case, v.reviewer)
        for v in ra.check(p, pol, panels)
        if v.rule.startswith("history.")
    }
    assert found == _oracle(p, pol, panels)
    # the model's reading of the history (``_reduce.history``) agrees with the oracle's
    blocked = excluded_by_history(p, pol)
    for c, case_ in enumerate(p.cases):
        for r, who in enumerate(ids):
            hit = ("history.institution_years", case_.id, who) in _oracle(p, pol, {case_.id: [who]})
            assert (r in blocked.get(c, {})) == hit
    old = {s.reviewer for s in _window(p, pol, pol.history.new_years)}
    assert build_instance(p, pol).reviewer_new.tolist() == [who not in old for who in ids]
    if pol.history.max_repeat_pairs is not None:
        pairs = {frozenset((ids[a], ids[b])) for a, b in past_pairs(p, pol).tolist()}
        assert pairs == {pair for pair in _pairs(p, pol) if pair <= set(ids)}
