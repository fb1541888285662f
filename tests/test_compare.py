"""ra.compare and ra.Comparison: rows, prices, changes, tables and HTML."""

from __future__ import annotations

import json
import pickle
import sys
from html.parser import HTMLParser

import pytest

import reviewassign as ra

REGIONS = ("Africa", "Asia", "Europe")


def small_problem(case_prefix: str = "C") -> ra.Problem:
    """Six cases and nine reviewers over three regions, two genders and three topics."""
    topics = ("a", "b", "c")
    cases = [
        ra.Case(id=f"{case_prefix}{i}", region=REGIONS[i % 3], topics={topics[i % 3]: 1})
        for i in range(6)
    ]
    reviewers = [
        ra.Reviewer(
            id=f"R{j}",
            region=REGIONS[j // 3],
            gender=("female", "male", "")[j % 3],
            # Each region's experts are strongest in their own region's topic, so that
            # excluding the own region costs affinity.
            expertise={topics[j // 3]: 3, topics[(j // 3 + 1) % 3]: 1 + j % 2},
        )
        for j in range(9)
    ]
    return ra.Problem(cases=cases, reviewers=reviewers)


POLICIES = {
    "neutral": ra.Policy(panel_size=2),
    "own_region": ra.Policy(panel_size=2, panel={"own_region": "exclude"}),
    "max_per_region": ra.Policy(panel_size=2, panel={"max_per_region": 1}),
}


@pytest.fixture(scope="module")
def problem() -> ra.Problem:
    return small_problem()


@pytest.fixture(scope="module")
def comparison(problem: ra.Problem) -> ra.Comparison:
    return ra.compare(problem, POLICIES, seed=0, workers=1)


def test_rows_follow_the_input_order_and_match_the_results(
    problem: ra.Problem, comparison: ra.Comparison
) -> None:
    assert comparison.policies == tuple(POLICIES)
    assert comparison.baseline == "neutral"
    assert set(comparison.results) == set(POLICIES)
    base = comparison.results["neutral"]
    assert base.objective is not None
    for row in comparison.rows:
        result = comparison.results[row.policy]
        assert result.ok and result.objective is not None
        assert row.status == result.status.value
        assert row.objective == result.objective
        assert row.bound == result.bound
        assert row.gap == result.gap
        assert row.price == pytest.approx(base.objective - result.objective)
        assert row.price_pct == pytest.approx(100 * row.price / abs(base.objective))
        assert row.seconds == result.stats.wall_time
        assert row.error is None
        metrics = ra.evaluate(problem, result.assignment)
        assert row.region_shares == metrics.region_shares
        assert row.gender_shares == metrics.gender_shares
        assert row.worst_case == pytest.approx(metrics.worst_case)
        assert row.mean_case == pytest.approx(metrics.mean_case)
        assert (row.min_load, row.max_load, row.load_spread) == (
            metrics.min_load,
            metrics.max_load,
            metrics.load_spread,
        )
        assert row.coverage_rate == metrics.coverage_rate
    # The rules cost something on this instance, and never gain (the baseline is neutral).
    assert comparison.row("neutral").price == 0
    assert comparison.row("own_region").price is not None
    assert comparison.row("own_region").price > 0


def test_changes_count_the_pairs_not_in_the_baseline(comparison: ra.Comparison) -> None:
    base = {
        (case, reviewer)
        for case, panel in comparison.results["neutral"].assignment.items()
        for reviewer in panel
    }
    for row in comparison.rows:
        assignment = comparison.results[row.policy].assignment
        brute = 0
        for case, panel in assignment.items():
            for reviewer in panel:
                brute += (case, reviewer) not in base
        assert row.changes == brute
    assert comparison.row("neutral").changes == 0
    assert comparison.row("own_region").changes > 0


def test_another_baseline(problem: ra.Problem, comparison: ra.Comparison) -> None:
    other = ra.Comparison.from_results(problem, comparison.results, baseline="own_region")
    assert other.baseline == "own_region"
    assert other.row("own_region").price == 0
    assert other.row("own_region").changes == 0
    assert other.row("neutral").price == pytest.approx(-comparison.row("own_region").price)


def test_infeasible_and_invalid_policies_keep_the_others(problem: ra.Problem) -> None:
    policies: dict[str, object] = {
        "neutral": POLICIES["neutral"],
        "too big": ra.Policy(panel_size=20),
        "not a policy": "own_region",
        "bad key": {"panel_size": 0},
        "mapping": {"panel_size": 2, "panel": {"max_per_region": 1}},
    }
    comparison = ra.compare(problem, policies)  # type: ignore[arg-type]
    assert comparison.policies == tuple(policies)
    infeasible = comparison.row("too big")
    assert infeasible.status == "infeasible"
    for name in NONE_FIGURES:
        assert getattr(infeasible, name) is None, name
    assert infeasible.region_shares == {} and infeasible.gender_shares == {}
    for name in ("not a policy", "bad key"):
        row = comparison.row(name)
        assert row.status == "error"
        assert row.error
        assert row.objective is None and row.changes is None
        assert name not in comparison.results
    assert "TypeError" in (comparison.row("not a policy").error or "")
    assert "panel_size" in (comparison.row("bad key").error or "")
    assert comparison.row("mapping").status == "optimal"
    assert comparison.row("mapping").objective == pytest.approx(
        ra.solve(problem, POLICIES["max_per_region"]).objective
    )
    text = str(comparison)
    assert "bad key: error:" in text and "infeasible" in text


NONE_FIGURES = (
    "objective",
    "bound",
    "gap",
    "price",
    "price_pct",
    "worst_case",
    "mean_case",
    "min_load",
    "max_load",
    "load_spread",
    "coverage_rate",
    "changes",
)


def test_an_infeasible_baseline_leaves_prices_empty(problem: ra.Problem) -> None:
    comparison = ra.compare(
        problem, {"too big": ra.Policy(panel_size=20), "neutral": POLICIES["neutral"]}
    )
    assert comparison.baseline == "too big"
    row = comparison.row("neutral")
    assert row.objective is not None
    assert row.price is None and row.changes is None


def test_bad_arguments(problem: ra.Problem, comparison: ra.Comparison) -> None:
    with pytest.raises(ValueError, match="at least one policy"):
        ra.compare(problem, {})
    with pytest.raises(ValueError, match="baseline"):
        ra.compare(problem, POLICIES, baseline="nope")
    for options in ({"seed": 2**40}, {"workers": 0}, {"time_limit": -1.0}):
        with pytest.raises(ValueError):
            ra.compare(problem, POLICIES, **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="both"):
        ra.Comparison.from_results(problem, comparison.results, errors={"neutral": "x"})
    with pytest.raises(KeyError):
        comparison.row("nope")


def test_from_results_equals_compare(problem: ra.Problem, comparison: ra.Comparison) -> None:
    again = ra.Comparison.from_results(problem, comparison.results)
    assert again == comparison
    seconds = ra.Comparison.from_results(
        problem, comparison.results, seconds={"neutral": 12.5}, errors={"late": "timed out"}
    )
    assert seconds.row("neutral").seconds == 12.5
    assert seconds.policies == (*POLICIES, "late")
    assert seconds.row("late").status == "error" and seconds.row("late").error == "timed out"


def test_records_and_dict_are_json(comparison: ra.Comparison) -> None:
    records = comparison.to_records()
    assert [r["policy"] for r in records] == list(POLICIES)
    assert all(list(r) == comparison.columns() for r in records)
    assert "region:Africa" in records[0] and "gender:undisclosed" in records[0]
    json.dumps(records, allow_nan=False)
    data = comparison.to_dict()
    assert data["baseline"] == "neutral"
    assert [r["policy"] for r in data["rows"]] == list(POLICIES)
    json.dumps(data, allow_nan=False)


def test_to_frame(comparison: ra.Comparison) -> None:
    pd = pytest.importorskip("pandas")
    frame = comparison.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert frame.index.name == "policy"
    assert list(frame.index) == list(POLICIES)
    for column in (
        "status",
        "objective",
        "bound",
        "gap",
        "price",
        "price_pct",
        "worst_case",
        "mean_case",
        "min_load",
        "max_load",
        "load_spread",
        "coverage_rate",
        "changes",
        "seconds",
        "region:Africa",
        "region:Asia",
        "region:Europe",
        "gender:female",
        "gender:male",
        "gender:undisclosed",
    ):
        assert column in frame.columns, column
    assert frame.loc["own_region", "objective"] == comparison.row("own_region").objective
    assert frame.loc["neutral", "changes"] == 0


def test_to_frame_without_pandas(
    comparison: ra.Comparison, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install reviewassign\[lab\]"):
        comparison.to_frame()
    assert comparison.to_records()  # the rest needs no pandas


def test_str_is_a_table(comparison: ra.Comparison) -> None:
    lines = str(comparison).splitlines()
    assert lines[0].split()[:3] == ["policy", "status", "objective"]
    assert lines[2].startswith("neutral *")
    assert len(lines) == 2 + len(POLICIES) + 1


# --------------------------------------------------------------------------------------
# HTML


class _Balanced(HTMLParser):
    """Checks that every opened tag is closed, in order, and collects the text."""

    VOID = frozenset({"br", "hr", "img", "meta", "col"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> _Balanced:
    parser = _Balanced()
    parser.feed(markup)
    parser.close()
    assert parser.stack == []
    assert "script" not in parser.tags and "style" not in parser.tags
    return parser


def test_problem_html(problem: ra.Problem) -> None:
    parsed = parse(problem._repr_html_())
    text = " ".join(parsed.text)
    for label in ("cases", "reviewers", "regions", "topics", "conflicts", "relations"):
        assert label in text
    assert "table" in parsed.tags
    # Still a normal pydantic model.
    assert ra.Problem.model_validate(problem.model_dump()) == problem


def test_result_html(comparison: ra.Comparison) -> None:
    result = comparison.results["own_region"]
    parsed = parse(result._repr_html_())
    text = " ".join(parsed.text)
    assert "OPTIMAL" in text
    assert f"{result.objective:.4g}" in text
    assert "Africa" in text and "female" in text
    assert "C0" in text and "Panels" in text


def test_result_html_without_assignment(problem: ra.Problem) -> None:
    result = ra.solve(problem, ra.Policy(panel_size=20))
    text = " ".join(parse(result._repr_html_()).text)
    assert "INFEASIBLE" in text


def test_comparison_html(comparison: ra.Comparison) -> None:
    parsed = parse(comparison._repr_html_())
    text = " ".join(parsed.text)
    for name in POLICIES:
        assert name in text
    assert f"{comparison.row('own_region').price:.4g}" in text
    assert parsed.tags.count("tr") == 1 + len(POLICIES)


def test_html_escapes_user_strings() -> None:
    evil = "<script>alert(1)</script>"
    problem = small_problem(case_prefix=evil)
    comparison = ra.compare(problem, {evil: ra.Policy(panel_size=2), "bad": {"panel_size": evil}})
    for markup in (
        problem._repr_html_(),
        comparison.results[evil]._repr_html_(),
        comparison._repr_html_(),
    ):
        assert "<script>" not in markup
        parse(markup)
    assert "&lt;script&gt;" in comparison._repr_html_()
    assert "&lt;script&gt;" in comparison.results[evil]._repr_html_()


def test_a_comparison_pickles(comparison: ra.Comparison) -> None:
    # ra.sweep and notebooks move comparisons between processes.
    again = pickle.loads(pickle.dumps(comparison))
    assert again == comparison
    assert again.to_records() == comparison.to_records()


def test_result_html_lists_the_levels(problem: ra.Problem) -> None:
    result = ra.solve(problem, ra.Policy(panel_size=2, objective={"kind": "fairness"}))
    assert len(result.levels) > 1
    text = " ".join(parse(result._repr_html_()).text)
    assert "Levels" in text
    for level in result.levels:
        assert level.name in text


# --------------------------------------------------------------------------------------
# policies that differ in [[panel.rules]] or [history] (issue 14)


def attributed_problem() -> ra.Problem:
    """The small problem with a sector per reviewer and a history of last year's panels."""
    base = small_problem()
    reviewers = [
        ra.Reviewer.model_validate(
            {
                **{k: getattr(r, k) for k in ra.Reviewer.model_fields},
                "attributes": {"sector": "practice" if j % 3 == 0 else "academia"},
            }
        )
        for j, r in enumerate(base.reviewers)
    ]
    history = tuple(
        ra.HistorySeat(year=2025, case=f"P{j % 2}", reviewer=f"R{j}") for j in range(0, 9, 2)
    )
    return ra.Problem(cases=base.cases, reviewers=reviewers, history=history)


RULE_POLICIES = {
    "neutral": ra.Policy(panel_size=2),
    "practice": ra.Policy(
        panel_size=2,
        panel={
            "rules": [
                {"name": "practice", "attribute": "sector", "values": ["practice"], "at_least": 1}
            ]
        },
    ),
    "new": ra.Policy(panel_size=2, history={"min_new_share": 1.0}),
}


def test_a_comparison_of_panel_rules_and_history_shows_the_attribute_shares() -> None:
    problem = attributed_problem()
    comparison = ra.compare(problem, RULE_POLICIES, seed=0, workers=1)
    assert [r.status for r in comparison.rows] == ["optimal"] * 3
    for row in comparison.rows:
        result = comparison.results[row.policy]
        assert ra.check(problem, RULE_POLICIES[row.policy], result.assignment) == []
        m = ra.evaluate(problem, result.assignment, RULE_POLICIES[row.policy])
        assert row.attribute_shares == {
            f"sector:{k}": v for k, v in m.attribute_shares["sector"].items()
        }
        assert row.new_seats_share == m.new_seats_share
    # Every panel seats a practitioner: at least 6 of 12 seats; every seat new: 100 %.
    assert comparison.row("practice").attribute_shares["sector:practice"] >= 0.5
    assert comparison.row("new").new_seats_share == 1.0
    assert comparison.row("neutral").new_seats_share is not None
    assert comparison.row("practice").price is not None
    columns = comparison.columns()
    assert {"sector:practice", "sector:academia", "new_seats_share"} <= set(columns)
    records = comparison.to_records()
    assert all(set(r) == set(columns) for r in records)
    assert records[2]["new_seats_share"] == 1.0
    assert comparison.to_dict()["rows"][2]["new_seats_share"] == 1.0
    text = " ".join(parse(comparison._repr_html_()).text)
    assert "sector:practice" in text and "new reviewers' seats" in text


def test_without_attributes_or_history_the_rows_are_as_before(comparison: ra.Comparison) -> None:
    assert all(r.new_seats_share is None and not r.attribute_shares for r in comparison.rows)
    assert "new_seats_share" not in comparison.columns()
    assert all("new_seats_share" not in row for row in comparison.to_dict()["rows"])
    assert "new reviewers" not in comparison._repr_html_()


def test_str_shows_the_attribute_shares_and_new_seats_under_the_table() -> None:
    comparison = ra.compare(attributed_problem(), RULE_POLICIES, seed=0, workers=1)
    lines = str(comparison).splitlines()
    n = len(RULE_POLICIES)
    assert lines[0].split()[:3] == ["policy", "status", "objective"]  # the table as before
    assert lines[2 + n].startswith("* baseline")
    assert lines[3 + n] == ""
    assert lines[4 + n].split() == [
        "seat",
        "shares",
        "new",
        "seats",
        "sector:academia",
        "sector:practice",
    ]
    shares = {line.split()[0]: line.split()[-3:] for line in lines[6 + n : 6 + 2 * n]}
    assert shares["new"][0] == "100.0%"
    practice = comparison.row("practice").attribute_shares["sector:practice"]
    assert shares["practice"][2] == f"{100 * practice:.1f}%"
    assert len(lines) == 6 + 2 * n


def test_str_without_attributes_or_history_has_no_share_lines(comparison: ra.Comparison) -> None:
    assert "seat shares" not in str(comparison)
    assert str(comparison).splitlines()[-1].startswith("* baseline")


def test_to_frame_carries_the_attribute_shares_and_new_seats() -> None:
    pytest.importorskip("pandas")
    comparison = ra.compare(attributed_problem(), RULE_POLICIES, seed=0, workers=1)
    frame = comparison.to_frame()
    assert list(frame.columns) == comparison.columns()[1:]
    assert frame.loc["new", "new_seats_share"] == 1.0
    assert frame.loc["practice", "sector:practice"] >= 0.5
