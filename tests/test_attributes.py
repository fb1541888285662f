"""Attributes of reviewers and cases, the rules over them, and the bands over them.

Files in and out (an ``attributes`` column, declared columns, JSON), the accessor, the
policy's ``[[panel.rules]]`` and ``[[representation.bands]]`` (validation, misspellings),
each rule kind binding and infeasible (the per-kind cases are in ``test_rules.py``; the
bands here), brute force on tiny instances, and a property: every solution passes
``check`` and meets every attribute rule, as counted here by hand.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples
from reviewassign._data.model import values
from reviewassign._data.rules import active
from reviewassign._spec.binding import assigned, binding

T = "t"


def rev(rid: str, level: int = 0, **kw: Any) -> ra.Reviewer:
    """A reviewer with ``level`` in topic ``t``."""
    return ra.Reviewer(id=rid, expertise={T: level} if level else {}, **kw)


def case(cid: str, **kw: Any) -> ra.Case:
    """A case about topic ``t``."""
    return ra.Case(id=cid, topics={T: 1}, **kw)


def solve(p: ra.Problem, policy: ra.Policy, **kw: Any) -> ra.Result:
    """One worker, seed 0."""
    return ra.solve(p, policy, workers=1, seed=0, **kw)


def rules(*entries: dict[str, Any], panel_size: int = 1, **sections: Any) -> ra.Policy:
    """A policy of ``panel_size`` with these ``[[panel.rules]]`` entries."""
    return ra.Policy(panel_size=panel_size, panel={"rules": list(entries)}, **sections)


# --------------------------------------------------------------------------------------
# the records and the accessor


def test_values_reads_built_in_and_user_attributes_alike() -> None:
    r = ra.Reviewer(
        id="R1",
        region="Africa",
        gender="",
        seniority="senior",
        languages=("en", "fr"),
        attributes={"sector": "practice", "disciplines": ("law", "medicine"), "stage": ""},
    )
    assert values(r, "region") == ("Africa",)
    assert values(r, "gender") == ()  # empty: unknown
    assert values(r, "seniority") == ("senior",)
    assert values(r, "languages") == ("en", "fr")
    assert values(r, "sector") == ("practice",)
    assert values(r, "disciplines") == ("law", "medicine")
    assert values(r, "stage") == ()
    assert values(r, "nothing") == ()
    c = ra.Case(id="C1", institution=("U1", "U2"), language="fr", attributes={"d": ("x",)})
    assert values(c, "institution") == ("U1", "U2")
    assert values(c, "language") == ("fr",)
    assert c.attributes == {"d": "x"}  # one label in a list is that label


def test_attribute_labels_follow_the_label_rules() -> None:
    r = ra.Reviewer(id="R1", attributes={" sector ": " Jose\u0301 ", "d": ("a", "", "a", "b")})
    assert r.attributes == {"sector": "Jos\u00e9", "d": ("a", "b")}
    with pytest.raises(ValueError, match="invisible"):
        ra.Reviewer(id="R1", attributes={"sector": "prac\u200btice"})
    with pytest.raises(ValueError, match="listed twice"):
        ra.Reviewer(id="R1", attributes={"Jos\u00e9": "a", "Jose\u0301": "b"})
    with pytest.raises(ValueError, match="built-in attribute of every reviewer"):
        ra.Reviewer(id="R1", attributes={"region": "Asia"})
    with pytest.raises(ValueError, match="built-in attribute of every case"):
        ra.Case(id="C1", attributes={"language": "fr"})
    # A case may carry a "gender" (the applicant's); a reviewer's is built in.
    assert ra.Case(id="C1", attributes={"gender": "f"}).attributes == {"gender": "f"}
    with pytest.raises(ValueError, match="may not hold"):
        ra.Reviewer(id="R1", attributes={"a=b": "x"})


def test_attribute_labels_that_look_alike_are_a_warning() -> None:
    p = ra.Problem(
        cases=[case("C1", attributes={"sector": "Practice"})],
        reviewers=[rev("R1", attributes={"sector": "practice"}), rev("R2")],
    )
    assert p.warnings == (
        "attribute sector labels 'Practice' and 'practice' look alike (they differ only in "
        "letter case, Unicode form or spacing) but count as 2 different values of attribute "
        "sector",
    )


# --------------------------------------------------------------------------------------
# files


def _write(folder: Path, cases: str, reviewers: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.csv").write_text(cases, encoding="utf-8")
    (folder / "reviewers.csv").write_text(reviewers, encoding="utf-8")
    return folder


def test_the_attributes_column_reads_key_value_lists(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        "id,attributes\nC1,discipline=law\nC2,\n",
        "id,attributes\nR1,sector=practice;d=law;d=medicine\nR2,sector=\n",
    )
    p = ra.load_problem(folder)
    assert p.reviewers[0].attributes == {"sector": "practice", "d": ("law", "medicine")}
    assert p.reviewers[1].attributes == {"sector": ""}
    assert p.cases[0].attributes == {"discipline": "law"}
    assert p.cases[1].attributes == {}


def test_declared_columns_are_read_as_attributes(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        "id,discipline\nC1,law\nC2,law;medicine\n",
        "id,sector,first_time,attributes\nR1,practice,yes,stage=early\nR2,,no,\n",
    )
    policy = ra.Policy(attributes={"reviewers": ["sector", "first_time"], "cases": ["discipline"]})
    p = ra.load_problem(folder, policy=policy)
    assert p.reviewers[0].attributes == {
        "stage": "early",
        "sector": "practice",
        "first_time": "yes",
    }
    assert p.reviewers[1].attributes == {"first_time": "no"}
    assert p.cases[1].attributes == {"discipline": ("law", "medicine")}


def test_an_undeclared_column_is_an_error_that_says_how_to_declare_it(tmp_path: Path) -> None:
    folder = _write(tmp_path, "id\nC1\n", "id,sector\nR1,practice\n")
    with pytest.raises(ra.InputError) as err:
        ra.load_problem(folder)
    assert err.value.field == "sector"
    assert "reviewers.csv" in str(err.value)
    assert '[attributes] reviewers = ["sector"]' in str(err.value)


@pytest.mark.parametrize(
    ("cell", "field", "words"),
    [
        ("sector", "attributes", "is not name=value"),
        ("=practice", "attributes", "is not name=value"),
        ("region=Asia", "attributes", "built-in attribute"),
    ],
)
def test_bad_attribute_cells_name_file_row_and_field(
    tmp_path: Path, cell: str, field: str, words: str
) -> None:
    folder = _write(tmp_path, "id\nC1\n", f"id,attributes\nR1,\nR2,{cell}\n")
    with pytest.raises(ra.InputError) as err:
        ra.load_problem(folder)
    assert (err.value.row, err.value.field) == (3, field)
    assert "reviewers.csv" in str(err.value) and words in str(err.value)


def test_an_attribute_in_its_column_and_in_attributes_is_an_error(tmp_path: Path) -> None:
    folder = _write(tmp_path, "id\nC1\n", "id,sector,attributes\nR1,practice,sector=academia\n")
    policy = ra.Policy(attributes={"reviewers": ["sector"]})
    with pytest.raises(ra.InputError, match="given twice") as err:
        ra.load_problem(folder, policy=policy)
    assert (err.value.row, err.value.field) == (2, "sector")


def test_attributes_round_trip_through_csv_and_json(tmp_path: Path) -> None:
    p = ra.Problem(
        cases=[case("C1", attributes={"discipline": ("law", "medicine")}), case("C2")],
        reviewers=[rev("R1", 3, attributes={"sector": "practice", "stage": ""}), rev("R2")],
    )
    ra.save_problem(p, tmp_path / "csv")
    assert ra.load_problem(tmp_path / "csv") == p
    ra.save_problem(p, tmp_path / "p.json")
    assert ra.load_problem(tmp_path / "p.json") == p


def test_a_problem_without_attributes_is_saved_as_before(tmp_path: Path) -> None:
    p = ra.Problem(cases=[case("C1")], reviewers=[rev("R1", 3)])
    ra.save_problem(p, tmp_path / "csv")
    assert "attributes" not in (tmp_path / "csv" / "reviewers.csv").read_text()
    assert "attributes" not in (tmp_path / "csv" / "cases.csv").read_text()
    ra.save_problem(p, tmp_path / "p.json")
    assert "attributes" not in (tmp_path / "p.json").read_text()


def test_policy_files_read_rules_and_bands(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text(
        """
panel_size = 2
[attributes]
reviewers = ["sector"]
[[panel.rules]]
name = "practice"
attribute = "sector"
values = ["practice"]
at_least = 1
cases = { discipline = "engineering" }
[[panel.rules]]
attribute = "stage"
min_distinct = 2
[[representation.bands]]
attribute = "sector"
tolerance = 0.1
targets = { practice = 0.3 }
""",
        encoding="utf-8",
    )
    policy = ra.load_policy(file)
    first, second = policy.panel.rules
    assert first.name == "practice" and first.cases == {"discipline": ("engineering",)}
    assert second.name == "rule 2" and second.kind == "min_distinct"
    assert policy.representation.bands[0].targets == {"practice": 0.3}
    assert ra.Policy.coerce(policy) == policy


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"attribute": "sector"}, "values: no way of counting"),
        ({"attribute": "s", "values": ["a"], "same_as": "s", "at_least": 1}, "same_as: a rule"),
        ({"attribute": "s", "values": ["a"]}, "at_least: values needs at_least"),
        ({"attribute": "s", "min_distinct": 2, "at_most": 1}, "at_most: min_distinct counts"),
        ({"attribute": "s", "values": ["a"], "at_least": 3, "at_most": 1}, "at_least: 3 exceeds"),
        ({"attribute": "s", "max_per_value": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_rules_are_validation_errors_naming_the_entry(
    tmp_path: Path, entry: dict[str, Any], words: str
) -> None:
    file = tmp_path / "policy.json"
    file.write_text(
        json.dumps({"panel": {"rules": [{"attribute": "x", "min_distinct": 1}, entry]}})
    )
    with pytest.raises(ra.InputError) as err:
        ra.load_policy(file)
    assert err.value.field is not None and err.value.field.startswith("panel.rules[1]")
    assert words in str(err.value)


def test_two_rules_of_one_name_and_built_in_declarations_are_refused() -> None:
    with pytest.raises(ValueError, match=r"panel.rules\[1\].name: 'x' names two rules"):
        rules(
            {"name": "x", "attribute": "s", "min_distinct": 1},
            {"name": "x", "attribute": "s", "min_distinct": 1},
        )
    with pytest.raises(ValueError, match="built-in column"):
        ra.Policy(attributes={"reviewers": ["gender"]})


def test_a_misspelt_attribute_or_value_is_an_input_error_naming_the_rule() -> None:
    p = ra.Problem(
        cases=[case("C1", attributes={"discipline": "law"})],
        reviewers=[rev("R1", attributes={"sector": "practice"}), rev("R2")],
    )
    bad = {
        "sectr": ({"attribute": "sectr", "values": "practice", "at_least": 1}, "'sector'"),
        "value": ({"attribute": "sector", "values": "practise", "at_least": 1}, "'practice'"),
        "case": ({"attribute": "sector", "different_from": "disciplin", "at_least": 1}, ""),
        "filter": (
            {
                "attribute": "sector",
                "values": "practice",
                "at_least": 1,
                "cases": {"discipline": "lw"},
            },
            "'law'",
        ),
    }
    for entry, hint in bad.values():
        with pytest.raises(ra.InputError, match='panel rule "rule 1"') as err:
            solve(p, rules(entry))
        assert hint in str(err.value)
        assert str(err.value.field).startswith("panel.rules[0]")
    with pytest.raises(ra.InputError, match="representation band"):
        ra.check(
            p, ra.Policy(representation={"bands": [{"attribute": "sectr", "tolerance": 0.1}]}), {}
        )


# --------------------------------------------------------------------------------------
# solving, explaining, relaxing

PRACTICE = {"name": "practice", "attribute": "sector", "values": "practice", "at_least": 1}

AWARD = ra.Problem(
    cases=[
        case("C1", attributes={"discipline": "law"}),
        case("C2", attributes={"discipline": "law"}),
    ],
    reviewers=[
        rev("R1", 3, attributes={"sector": "academia", "discipline": "law"}),
        rev("R2", 3, attributes={"sector": "academia", "discipline": "medicine"}),
        rev("R3", 1, attributes={"sector": "practice", "discipline": "law"}, max_load=1),
    ],
)


AWARD_OK = ra.Problem(
    cases=AWARD.cases,
    reviewers=(*AWARD.reviewers[:2], rev("R3", 1, attributes={"sector": "practice"})),
)
"""``AWARD`` with no maximum load on R3: feasible."""


def test_the_solution_meets_the_rule_and_the_metrics_report_attributes() -> None:
    policy = rules(PRACTICE, panel_size=2)
    result = solve(AWARD_OK, policy)
    assert result.status is ra.Status.OPTIMAL
    assert ra.check(AWARD_OK, policy, result.assignment) == []
    m = result.metrics
    assert m is not None
    assert m.attribute_shares["sector"]["practice"] == pytest.approx(0.5)
    assert set(m.attribute_shares) == {"sector", "discipline"}
    assert m.attribute_pool_shares["sector"] == pytest.approx(
        {"academia": 2 / 3, "practice": 1 / 3}
    )
    assert "seats by sector (share vs pool)" in m.summary()
    assert "attribute_shares" in result.to_json()


def test_a_result_without_attributes_has_no_attribute_keys() -> None:
    p = ra.Problem(cases=[case("C1")], reviewers=[rev("R1", 3)])
    assert "attribute" not in solve(p, ra.Policy(panel_size=1)).to_json()


def test_explain_names_the_entry_alone_and_in_a_core() -> None:
    policy = rules(PRACTICE, panel_size=2)
    # A conflict leaves C1 without a practice reviewer: explain's pool test names the rule.
    p = ra.Problem(
        cases=AWARD.cases,
        reviewers=AWARD.reviewers,
        conflicts=[ra.Conflict(case="C1", reviewer="R3")],
    )
    why = ra.explain(p, policy)
    assert why.infeasible
    assert why.reasons[0].rule == "panel.rules"
    assert why.reasons[0].message.startswith("case C1 needs at least 1 seat with sector = practice")
    assert '(panel rule "practice")' in why.reasons[0].message
    # Both cases need R3, who reviews one: the seats the rule needs exceed what R3 offers.
    why = ra.explain(AWARD, policy, core=False)
    assert [r.rule for r in why.reasons] == ["panel.rules"]
    assert why.reasons[0].message.startswith(
        'panel rule "practice" needs 1 seat counted on each of its cases: 2 cases need 2 such '
        'seats, the 1 reviewer whose seats count for panel rule "practice" offers at most 1'
    )
    assert why.reasons[0].keys == ("panel.rules", "load.max")
    assert why.reasons[0].reviewers == ("R3",)


def test_explain_finds_a_core_of_an_entry_and_another_rule() -> None:
    # One seat, which must be senior and from practice: each alone is possible, not both.
    p = ra.Problem(
        cases=[case("C1")],
        reviewers=[
            rev("R1", 3, seniority="senior", attributes={"sector": "academia"}),
            rev("R2", 1, seniority="junior", attributes={"sector": "practice"}),
        ],
    )
    policy = ra.Policy(panel_size=1, panel={"min_senior": 1, "rules": [PRACTICE]})
    why = ra.explain(p, policy, time_limit=20)
    assert why.infeasible and not why.reasons
    said = sorted(str(r) for r in why.core)
    assert said == [
        "panel.min_senior: case C1 needs 1 senior reviewer",
        'panel.rules: panel rule "practice": case C1 needs at least 1 seat with sector = practice',
    ]
    assert any(r.rule == "panel.rules" and r.restores for r in why.relaxations)
    assert any('(panel rule "practice")' in r.change for r in why.relaxations)


def test_relax_minimal_breaks_one_instance_of_the_entry() -> None:
    policy = rules(PRACTICE, panel_size=2, relax={"keep": ["load.max"]})
    result = solve(AWARD, policy, relax="minimal")
    assert result.status is ra.Status.OPTIMAL
    assert [v.rule for v in result.broken] == ["panel.rules"]


def test_a_rule_held_by_relax_keep_is_not_broken() -> None:
    policy = rules(PRACTICE, panel_size=2, relax={"keep": ["load.max", "panel.rules"]})
    result = solve(AWARD, policy, relax="minimal")
    assert result.status is ra.Status.INFEASIBLE


def test_the_audit_report_states_the_rule_and_where_it_binds(tmp_path: Path) -> None:
    policy = rules(PRACTICE, panel_size=2)
    p = AWARD_OK
    result = solve(p, policy)
    result.report(tmp_path / "report.md", problem=p, policy=policy)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert '"practice": at least 1 seat with sector = practice' in text
    assert '"practice": 2 of 2 panels at the bound' in text
    assert "Seats by sector" in text


def test_an_exclusion_only_rule_goes_to_the_flow_and_agrees_with_cpsat() -> None:
    p = ra.Problem(
        cases=[case("C1", attributes={"income": "low"}), case("C2", attributes={"income": "high"})],
        reviewers=[
            rev("R1", 3, attributes={"income": "low"}),
            rev("R2", 2, attributes={"income": "high"}),
            rev("R3", 1),
        ],
    )
    policy = rules({"attribute": "income", "same_as": "income", "at_most": 0})
    flow = solve(p, policy)
    assert flow.stats.phases[1].name == "flow"
    cpsat = solve(p, policy, method="cpsat")
    assert flow.objective == pytest.approx(cpsat.objective) == pytest.approx(2 / 3 + 1)
    assert ra.check(p, policy, flow.assignment) == []
    # A rule that needs a seat is not a flow's: auto falls to CP-SAT.
    needs = rules({"attribute": "income", "different_from": "income", "at_least": 1})
    assert solve(p, needs).stats.phases[1].name.startswith("cpsat")


def test_the_lottery_takes_attribute_rules_through_cpsat() -> None:
    policy = rules(PRACTICE, panel_size=1, random={"max_probability": 0.5})
    p = ra.Problem(
        cases=[case("C1"), case("C2")],
        reviewers=[
            rev("R1", 3, attributes={"sector": "practice"}),
            rev("R2", 3, attributes={"sector": "practice"}),
            rev("R3", 3, attributes={"sector": "academia"}),
            rev("R4", 2, attributes={"sector": "practice"}),
        ],
    )
    lottery = ra.randomize(p, policy, workers=1, seed=0)
    assert lottery.method == "columns"  # the flow refuses panel.rules: CP-SAT columns
    assert max(lottery.marginals.values()) <= 0.5 + 1e-6
    for seed in range(3):
        assert ra.check(p, policy, lottery.sample(seed=seed).assignment) == []


# --------------------------------------------------------------------------------------
# representation.bands

BANDED = ra.Problem(
    cases=[case("C1"), case("C2"), case("C3"), case("C4")],
    reviewers=[
        rev("R1", 3, attributes={"sector": "academia"}),
        rev("R2", 3, attributes={"sector": "academia"}),
        rev("R3", 1, attributes={"sector": "practice"}),
        rev("R4", 1, attributes={"sector": "practice"}),
    ],
)
BAND = {"attribute": "sector", "tolerance": 0.0, "targets": {"practice": 0.5}}


def test_a_band_binds() -> None:
    free = solve(BANDED, ra.Policy(panel_size=1))
    assert free.objective == pytest.approx(4.0)
    policy = ra.Policy(panel_size=1, representation={"bands": [BAND]})
    assert {v.rule for v in ra.check(BANDED, policy, free.assignment)} == {"representation.bands"}
    result = solve(BANDED, policy)
    assert result.status is ra.Status.OPTIMAL
    assert result.objective == pytest.approx(2 + 2 / 3)  # two seats of practice, at 1/3
    assert ra.check(BANDED, policy, result.assignment) == []


def test_a_band_makes_infeasible_and_explain_says_why() -> None:
    policy = ra.Policy(
        panel_size=1,
        load={"max": 1},
        representation={"bands": [{**BAND, "targets": {"practice": 0.75}}]},
    )
    result = solve(BANDED, policy)
    assert result.status is ra.Status.INFEASIBLE
    why = ra.explain(BANDED, policy, core=False)
    assert why.reasons[0].rule == "representation.bands"
    assert why.reasons[0].message.startswith("sector practice needs at least 3 of the 4 seats")


def test_a_soft_band_costs_its_weight_per_seat_and_the_flow_refuses_it() -> None:
    policy = ra.Policy(panel_size=1, representation={"bands": [BAND], "weight": 0.1})
    result = solve(BANDED, policy)
    assert result.status is ra.Status.OPTIMAL
    # Two practice seats would cost 4/3 of affinity; four seats outside the bands cost 0.4.
    assert result.objective == pytest.approx(4 - 0.4)
    assert result.metrics is not None and result.metrics.representation_outside == 4
    with pytest.raises(ra.InputError, match="soft attribute bands"):
        solve(BANDED, policy, method="flow")


# --------------------------------------------------------------------------------------
# brute force and a property

SECTORS = ("academia", "practice", "")
STAGES = ("early", "late", ("early", "late"), "")


@st.composite
def attribute_problems(draw: st.DrawFn) -> ra.Problem:
    n_cases, n_reviewers = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    reviewers = [
        ra.Reviewer(
            id=f"R{j}",
            expertise={T: draw(st.integers(1, 3))},
            max_load=draw(st.integers(1, 3)),
            attributes={
                "sector": draw(st.sampled_from(SECTORS)),
                "stage": draw(st.sampled_from(STAGES)),
                "discipline": draw(st.sampled_from(("law", "medicine", ""))),
            },
        )
        for j in range(n_reviewers)
    ]
    # Every value is somewhere, so that no rule names a value no one has.
    reviewers[0] = reviewers[0].model_copy(
        update={"attributes": {"sector": "practice", "stage": "early", "discipline": "law"}}
    )
    reviewers[1] = reviewers[1].model_copy(
        update={"attributes": {"sector": "academia", "stage": "late", "discipline": "medicine"}}
    )
    cases = [
        ra.Case(
            id=f"C{i}",
            topics={T: 1},
            attributes={"discipline": draw(st.sampled_from(("law", "medicine")))},
        )
        for i in range(n_cases)
    ]
    cases[0] = cases[0].model_copy(update={"attributes": {"discipline": "law"}})
    return ra.Problem(cases=cases, reviewers=reviewers)


ENTRIES = (
    {"attribute": "sector", "values": "practice", "at_least": 1},
    {"attribute": "sector", "values": "practice", "at_most": 1},
    {"attribute": "sector", "values": ["practice", "academia"], "at_least": 1, "at_most": 1},
    {"attribute": "discipline", "same_as": "discipline", "at_most": 0},
    {"attribute": "discipline", "same_as": "discipline", "at_least": 1},
    {"attribute": "discipline", "different_from": "discipline", "at_least": 1},
    {"attribute": "stage", "min_distinct": 2},
    {"attribute": "stage", "max_per_value": 1},
    {"attribute": "sector", "values": "practice", "at_least": 1, "cases": {"discipline": "law"}},
)


@st.composite
def attribute_policies(draw: st.DrawFn) -> ra.Policy:
    chosen = draw(
        st.lists(st.sampled_from(range(len(ENTRIES))), min_size=1, max_size=2, unique=True)
    )
    rep: dict[str, Any] = {}
    if draw(st.integers(1, 4)) == 1:
        rep = {"bands": [{"attribute": "sector", "tolerance": draw(st.sampled_from((0.2, 0.4)))}]}
    return ra.Policy(
        panel_size=draw(st.integers(1, 2)),
        panel={"rules": [ENTRIES[i] for i in chosen]},
        representation=rep,
    )


def _holds(p: ra.Problem, policy: ra.Policy, assignment: ra.Assignment) -> bool:
    """Every attribute rule counted by hand on every panel it applies to."""
    by_id = {r.id: r for r in p.reviewers}
    for c in p.cases:
        panel = [by_id[r] for r in assignment.get(c.id, ())]
        for e in policy.panel.rules:
            if any(not set(values(c, k)) & set(v) for k, v in e.cases.items()):
                continue
            labels = [set(values(r, e.attribute)) for r in panel]
            if e.min_distinct is not None:
                ok = len(set().union(*labels)) >= e.min_distinct
            elif e.max_per_value is not None:
                ok = all(
                    sum(x in mine for mine in labels) <= e.max_per_value
                    for x in set().union(*labels)
                )
            else:
                theirs = set(values(c, e.same_as or e.different_from or ""))
                if e.values:
                    n = sum(bool(mine & set(e.values)) for mine in labels)
                elif e.same_as:
                    n = sum(bool(mine & theirs) for mine in labels)
                else:
                    n = sum(bool(mine) and bool(theirs) and not mine & theirs for mine in labels)
                ok = (e.at_least is None or n >= e.at_least) and (
                    e.at_most is None or n <= e.at_most
                )
            if not ok:
                return False
    return True


def _brute_force(p: ra.Problem, policy: ra.Policy) -> float | None:
    """The best objective over every assignment that ``check`` passes (None: none does)."""
    ids = [r.id for r in p.reviewers]
    options = [list(itertools.combinations(ids, policy.panel_size)) for _ in p.cases]
    best = None
    for panels in itertools.product(*options):
        assignment = {c.id: panel for c, panel in zip(p.cases, panels, strict=True)}
        if not ra.check(p, policy, assignment):
            value = ra.evaluate(p, assignment, policy).objective
            best = value if best is None else max(best, value)
    return best


@settings(max_examples=examples(0.25))  # a brute force and a solve per example
@given(attribute_problems(), attribute_policies())
def test_solve_agrees_with_brute_force_and_its_solutions_hold(
    p: ra.Problem, policy: ra.Policy
) -> None:
    expected = _brute_force(p, policy)
    result = solve(p, policy, method="cpsat")
    if expected is None:
        assert result.status is ra.Status.INFEASIBLE
        return
    assert result.status is ra.Status.OPTIMAL
    assert result.objective == pytest.approx(expected, abs=1e-5)
    assert ra.check(p, policy, result.assignment) == []
    assert _holds(p, policy, result.assignment)


# --------------------------------------------------------------------------------------
# the command line


def test_the_command_line_reads_declared_columns_from_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reviewassign.cli import main

    folder = _write(
        tmp_path / "award",
        "id,topics\nC1,t\nC2,t\n",
        "id,expertise,sector\nR1,t:3,academia\nR2,t:1,practice\n",
    )
    policy = tmp_path / "policy.toml"
    policy.write_text(
        'panel_size = 1\n[attributes]\nreviewers = ["sector"]\n[[panel.rules]]\nname = "practice"\n'
        'attribute = "sector"\nvalues = "practice"\nat_least = 1\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    assert main(["solve", str(folder), "--policy", str(policy), "--out", str(out)]) == 0
    assert main(["check", str(folder), str(out), "--policy", str(policy)]) == 0
    # Without the policy's declaration, the column is an error (exit 2) saying how to declare it.
    assert main(["check", str(folder), str(out)]) == 2
    assert "[attributes] reviewers" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# the bundled example

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pioneer_award"


def test_the_board_policy_of_the_example_keeps_the_award_optimum() -> None:
    problem = ra.load_problem(EXAMPLE)
    board = ra.load_policy(EXAMPLE / "board.toml")
    result = solve(problem, board)
    assert result.status is ra.Status.OPTIMAL
    assert result.objective == pytest.approx(370.7777777, abs=1e-6)  # as under policy.toml
    assert ra.check(problem, board, result.assignment) == []
    assert [r.key for r in active(board) if r.key == "panel.rules"] == ["panel.rules"]
    where = binding("panel.rules", assigned(problem, board, result.assignment, {}))
    assert where is not None and where.binds  # panels with exactly one practice seat


# --------------------------------------------------------------------------------------
# neutral defaults: pruning, hashes


def test_auto_candidates_keep_every_pair_under_attribute_rules() -> None:
    from reviewassign._pipeline.exact import _candidate_count

    p = ra.Problem(
        cases=[case(f"C{i}") for i in range(30)],
        reviewers=[rev(f"R{j}", 1, attributes={"sector": "practice"}) for j in range(40)],
    )
    timed = 1e-3  # so small a time limit that "auto" prunes
    assert _candidate_count("auto", p, ra.Policy(), timed) is not None
    assert _candidate_count("auto", p, rules(PRACTICE), timed) is None
    exclusion = {"attribute": "sector", "values": "practice", "at_most": 0}
    assert _candidate_count("auto", p, rules(exclusion), timed) is not None  # pairs only
    banded = ra.Policy(representation={"bands": [{"attribute": "sector", "tolerance": 0.1}]})
    assert _candidate_count("auto", p, banded, timed) is None


def test_inputs_without_attributes_hash_as_before() -> None:
    from reviewassign._pipeline.finish import _policy_data, _problem_data

    p = ra.Problem(cases=[case("C1")], reviewers=[rev("R1", 3)])
    assert "attributes" not in str(_problem_data(p))
    data = _policy_data(ra.Policy())
    assert "attributes" not in data and "rules" not in data["panel"]
    assert "bands" not in data["representation"]
    assert "rules" in _policy_data(rules(PRACTICE))["panel"]
