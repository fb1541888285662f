"""The audit report (``Result.report`` and ``reviewassign report``), without a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import reviewassign as ra
from reviewassign._audit.report import read_result, render_report
from reviewassign.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pioneer_award"


@pytest.fixture(scope="module")
def award() -> tuple[ra.Problem, ra.Policy, ra.Result]:
    problem = ra.load_problem(EXAMPLE)
    policy = ra.load_policy(EXAMPLE / "policy.toml")
    return problem, policy, ra.solve(problem, policy, seed=0, workers=1)


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_report_holds_the_figures(
    award: tuple[ra.Problem, ra.Policy, ra.Result], tmp_path: Path, suffix: str
) -> None:
    _, _, result = award
    out = tmp_path / "sub" / f"report{suffix}"
    result.report(out)
    text = out.read_text(encoding="utf-8")
    shown = _text(text) if suffix == ".html" else text
    m = result.metrics
    assert m is not None and result.objective is not None
    assert "OPTIMAL" in shown
    assert f"{result.objective:.4f}" in shown
    assert "At most 1 reviewer per region on every panel." in shown
    assert "All 12 rules hold, verified by an independent check" in shown
    for reason, count in result.conflicts_avoided.items():
        assert re.search(rf"{reason} \|? ?{count}\b", shown), reason
    africa = f"{100 * m.region_shares['Africa']:.1f} %"
    assert africa in shown
    assert f"mean {m.mean_load:.2f}" in shown
    assert f"worst panel {m.worst_case:.4f}" in shown
    assert result.stats.input_hash in shown
    assert result.stats.ortools_version in shown
    assert "cpsat.build" in shown
    if suffix == ".html":
        assert "<script" not in text.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert not list(tmp_path.glob("sub/.*.tmp"))  # written atomically, no leftovers


def test_every_rule_that_is_on_appears(tmp_path: Path) -> None:
    problem = ra.Problem(
        cases=[
            ra.Case(id=f"C{i}", region=["A", "B"][i % 2], topics={"t": 1}, applicants=(f"P{i}",))
            for i in range(4)
        ],
        reviewers=[
            ra.Reviewer(
                id=f"R{i}",
                region=["A", "B", "C"][i % 3],
                gender=["f", "m"][i % 2],
                seniority="senior" if i % 2 else "junior",
                expertise={"t": 1 + i % 3},
            )
            for i in range(9)
        ],
    )
    policy = ra.Policy(
        panel_size=2,
        load={"min": 0, "max": 2, "max_weak_matches": 2, "weak_match_below": 0.1},
        conflicts={"same_country": True, "relation_distance": 2},
        panel={
            "max_per_region": 1,
            "min_regions": 2,
            "own_region": "at_least_one",
            "max_per_gender": 1,
            "min_genders": 2,
            "min_senior": 1,
        },
        expertise={"coverage": "any", "min_level": 1, "min_panel_affinity": 0.1},
        integrity={"forbid_cycles": 2},
        representation={"region_tolerance": 0.5, "gender_tolerance": 0.5},
        objective={"kind": "fairness", "load_spread": 0.5},
    )
    result = ra.solve(problem, policy, seed=0, workers=1)
    assert result.ok
    text = render_report(result, problem, policy, "md")
    keys = [
        "panel_size",
        "load.max",
        "load.max_weak_matches",
        "conflicts.declared",
        "conflicts.applicant",
        "conflicts.same_institution",
        "conflicts.same_country",
        "conflicts.relation_distance",
        "panel.max_per_region",
        "panel.min_regions",
        "panel.own_region",
        "panel.max_per_gender",
        "panel.min_genders",
        "panel.min_senior",
        "panel.language",
        "expertise.coverage",
        "expertise.min_panel_affinity",
        "representation.region_tolerance",
        "representation.gender_tolerance",
        "integrity.forbid_cycles",
    ]
    for key in keys:
        assert f"| {key} |" in text, key
    assert f"All {len(keys)} rules hold" in text
    assert "At least one reviewer from the case's own region" in text
    assert "within 2 relation steps" in text
    assert "the worst panel's affinity, then the total affinity" in text
    assert "load spread" in text


def test_policy_words_of_exclusion_and_lottery() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1", region="A", topics={"t": 1})],
        reviewers=[
            ra.Reviewer(id=f"R{i}", region="AB"[i % 2], expertise={"t": 2}) for i in range(6)
        ],
    )
    policy = ra.Policy(
        panel_size=1, panel={"own_region": "exclude"}, random={"max_probability": 0.5}
    )
    result = ra.solve(problem, policy, seed=1, workers=1)
    text = render_report(result, problem, policy, "md")
    assert "No reviewer from the case's own region." in text
    assert "no case-reviewer pair has a probability above 0.5" in text


def test_malicious_ids_are_escaped(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>|'
    problem = ra.Problem(
        cases=[ra.Case(id=evil, region="<b>A</b>", topics={"t": 1})],
        reviewers=[
            ra.Reviewer(id=f"R{i}<img src=x>", region="<i>B</i>", expertise={"t": 2})
            for i in range(2)
        ],
    )
    result = ra.solve(problem, ra.Policy(panel_size=2), seed=0, workers=1)
    page = tmp_path / "r.html"
    result.report(page)
    text = page.read_text()
    assert "<script" not in text and "<img" not in text and "<b>A" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;|" in text
    md = tmp_path / "r.md"
    result.report(md)
    body = md.read_text()
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;" in body and "\\|" in body


@pytest.mark.parametrize("status", [ra.Status.INFEASIBLE, ra.Status.NO_SOLUTION])
def test_no_assignment_says_so(tmp_path: Path, status: ra.Status) -> None:
    problem = ra.Problem(
        cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1"), ra.Reviewer(id="R2")]
    )
    result = ra.Result(status, ra.Assignment(), None, None, None, ra.Stats(wall_time=0.1))
    for suffix in (".html", ".md"):
        out = tmp_path / f"r{suffix}"
        result.report(out, problem=problem, policy=ra.Policy())
        text = _text(out.read_text())
        assert status.name in text
        assert "there is no assignment to report on" in text
        assert "Every case gets a panel of 3 reviewers." in text


def test_infeasible_solve_reports(tmp_path: Path) -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    result = ra.solve(problem, ra.Policy(panel_size=2), seed=0, workers=1)
    assert result.status is ra.Status.INFEASIBLE
    result.report(tmp_path / "r.md")
    assert "No assignment meets every hard rule" in (tmp_path / "r.md").read_text()


def test_broken_assignment_lists_violations(
    award: tuple[ra.Problem, ra.Policy, ra.Result],
) -> None:
    problem, policy, result = award
    panels = result.assignment.to_dict()
    first = next(iter(panels))
    panels[first] = panels[first][:1]
    broken = ra.Result(ra.Status.FEASIBLE, ra.Assignment(panels), 1.0, 2.0, 1.0, result.stats)
    text = render_report(broken, problem, policy, "md")
    assert "found by the independent check" in text
    assert f"panel_size: case {first} has 1 reviewer" in text


def test_report_needs_problem_and_policy(
    award: tuple[ra.Problem, ra.Policy, ra.Result], tmp_path: Path
) -> None:
    _, _, result = award
    bare = ra.Result(result.status, result.assignment, None, None, None, result.stats)
    with pytest.raises(ValueError, match="problem= and policy="):
        bare.report(tmp_path / "r.html")
    with pytest.raises(ValueError, match=r"\.html or \.md"):
        result.report(tmp_path / "r.txt")
    with pytest.raises(ValueError, match="format"):
        result.report(tmp_path / "r.txt", format="pdf")
    result.report(tmp_path / "r.txt", format="md")
    assert (tmp_path / "r.txt").read_text().startswith("# Audit report")


def test_read_result_round_trip(
    award: tuple[ra.Problem, ra.Policy, ra.Result], tmp_path: Path
) -> None:
    problem, policy, result = award
    ra.save_result(result, tmp_path / "r.json")
    back = read_result(tmp_path / "r.json")
    assert back.assignment == result.assignment
    assert back.stats == result.stats
    assert back.objective == result.objective
    from_file = render_report(back, problem, policy, "md")
    from_memory = render_report(result, problem, policy, "md")
    # A status read from a file is a claim: the report says it re-checked the rules only.
    assert "proven optimal" in from_memory
    assert "proven optimal" not in from_file
    assert "records this status" in from_file
    assert "not the status or the bound" in from_file
    claim = "The assignment is proven optimal."
    unproven = next(line for line in from_file.splitlines() if "records this status" in line)
    assert from_file.replace(unproven, "") == from_memory.replace(
        next(line for line in from_memory.splitlines() if claim in line), ""
    )


def test_cli_report(
    award: tuple[ra.Problem, ra.Policy, ra.Result],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, result = award
    saved = tmp_path / "r.json"
    ra.save_result(result, saved)
    policy = str(EXAMPLE / "policy.toml")
    args = ["report", str(EXAMPLE), str(saved), "--policy", policy]
    assert main([*args, "--out", str(tmp_path / "out" / "r.html")]) == 0
    assert main([*args, "--out", str(tmp_path / "r.md")]) == 0
    assert "All 12 rules hold" in (tmp_path / "r.md").read_text()
    assert "wrote" in capsys.readouterr().err

    assert main([*args, "--out", str(tmp_path / "r.txt")]) == 2
    assert "--out must end in .html or .md" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"status": "optimal", "objective": "high", "assignment": {}}))
    assert main(["report", str(EXAMPLE), str(bad), "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "objective" in err and "Traceback" not in err
    bad.write_text(json.dumps({"status": "done"}))
    assert main(["report", str(EXAMPLE), str(bad), "--out", str(tmp_path / "x.md")]) == 2
    assert "field 'status'" in capsys.readouterr().err
    bad.write_text("{")
    assert main(["report", str(EXAMPLE), str(bad), "--out", str(tmp_path / "x.md")]) == 2
    assert main(["report", str(EXAMPLE), str(tmp_path / "none.json"), "--out", "x.md"]) == 2
    assert not (tmp_path / "x.md").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(EXAMPLE), str(saved)])  # --out is required
    assert exit_info.value.code == 2


# --------------------------------------------------------------------------------------
# the data of issue 14 in the views: attributes, pairs, linked cases, history


def _issue14_problem(*, linked: bool = True, disjoint: bool = True) -> ra.Problem:
    """Two cases, four reviewers with a sector, a case discipline, and every new collection."""
    return ra.Problem(
        cases=[
            ra.Case(id="CaseOne", topics={"t": 1}, attributes={"discipline": "law"}),
            ra.Case(id="CaseTwo", topics={"t": 1}, attributes={"discipline": ""}),
        ],
        reviewers=[
            ra.Reviewer(
                id=f"Person{j}",
                expertise={"t": 1 + j % 3},
                attributes={"sector": ("practice", "academia", "practice", "")[j]},
            )
            for j in range(4)
        ],
        disjoint=[ra.Disjoint(a="Person0", b="Person1", reason="married to Person1")]
        if disjoint
        else [],
        linked=[ra.Linked(cases=("CaseOne", "CaseTwo"), shared=1)] if linked else [],
        prefers_not=[ra.PrefersNot(case="CaseOne", reviewer="Person2", reason="rival")],
        history=[
            ra.HistorySeat(year=2024, case="Old1", reviewer="Person0", institution=("U1",)),
            ra.HistorySeat(year=2025, case="Old2", reviewer="Person0", institution=("U2",)),
            ra.HistorySeat(year=2025, case="Old2", reviewer="Gone", institution=("U2",)),
        ],
    )


def _cells(markup: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", markup)]


def test_the_problem_view_shows_the_new_data_and_names_no_one() -> None:
    problem = _issue14_problem()
    markup = problem._repr_html_()
    text = _text(markup)
    for caption in ("Attributes", "Pairs and linked cases", "History (past rounds)"):
        assert caption in text
    for label in ("disjoint pairs", "linked groups", "prefers-not pairs", "history seats"):
        assert label in text
    # Attributes: of reviewers and cases, known and unknown counts, values with counts.
    cells = _cells(markup)
    row = cells.index("sector")
    assert cells[row : row + 5] == ["sector", "reviewers", "3", "1", "academia (1), practice (2)"]
    row = cells.index("discipline")
    assert cells[row : row + 5] == ["discipline", "cases", "1", "1", "law (1)"]
    # The history by year, latest first: seats, panels, reviewers, current ones, institutions.
    row = cells.index("2025")
    assert cells[row : row + 6] == ["2025", "2", "1", "2", "1", "1"]
    # Anonymisation, as for conflicts: no reviewer or case id, no free-text reason.
    for name in ("Person", "CaseOne", "Old1", "Gone", "married", "rival"):
        assert name not in markup
    assert markup.count("<table>") == 4


def test_the_problem_view_without_the_new_data_is_as_before() -> None:
    problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    markup = problem._repr_html_()
    assert markup.startswith("<table>") and markup.count("<table>") == 1
    for label in ("disjoint", "linked", "prefers-not", "history", "Attributes"):
        assert label not in markup


def test_new_seats_share_in_evaluate_the_summary_the_views_and_the_report(tmp_path: Path) -> None:
    problem = _issue14_problem(linked=False)
    panels = {"CaseOne": ["Person0", "Person1"], "CaseTwo": ["Person1", "Person3"]}
    m = ra.evaluate(problem, panels)
    assert m.new_seats_share == 0.75  # Person0 held a seat in 2025 (and 2024)
    # Within one year (2025 only, this round being 2026), the same; Person0 sat in 2025.
    assert ra.evaluate(problem, panels, ra.Policy(history={"new_years": 1})).new_seats_share == 0.75
    # In a round of 2027, within one year: 2026 and later, so everyone is new.
    later = ra.Policy(history={"year": 2027, "new_years": 1})
    assert ra.evaluate(problem, panels, later).new_seats_share == 1.0
    assert "new reviewers (no seat in the history): 75% of seats" in m.summary()
    assert ra.evaluate(problem, {}).new_seats_share == 0.0  # no seats
    without = ra.Problem.model_validate(
        {**{k: getattr(problem, k) for k in ra.Problem.model_fields}, "history": ()}
    )
    m0 = ra.evaluate(without, panels)
    assert m0.new_seats_share is None and "new reviewers" not in m0.summary()

    policy = ra.Policy(panel_size=2, history={"new_years": 1})
    result = ra.solve(problem, policy, seed=0, workers=1)
    assert result.metrics is not None and result.metrics.new_seats_share is not None
    assert "seats of new reviewers (history)" in _text(result._repr_html_())
    assert "new_seats_share" in result.to_dict()["metrics"]
    plain = ra.solve(without, policy, seed=0, workers=1)
    assert "new_seats_share" not in plain.to_dict()["metrics"]
    assert "new reviewers" not in plain._repr_html_()
    page = render_report(result, problem, policy, "md")
    share = f"{100 * result.metrics.new_seats_share:.1f} %"
    assert (
        f"{share} of seats are held by new reviewers, with no seat in the history within "
        "1 year (history.new_years)." in page
    )
    assert "new reviewers" not in render_report(plain, without, policy, "md")


def test_the_result_view_counts_forced_pairs() -> None:
    problem = _issue14_problem(linked=False, disjoint=False)
    result = ra.solve(problem, ra.Policy(panel_size=1), forced=[("CaseTwo", "Person3")])
    assert "forced pairs" in _text(result._repr_html_())
    plain = ra.solve(problem, ra.Policy(panel_size=1))
    assert "forced pairs" not in plain._repr_html_()


def test_an_infeasible_policy_is_explained_in_the_report(tmp_path: Path) -> None:
    # Two seniors a panel, three seniors of two reviews each for four cases: the report
    # says why (the policy-level count), which keys conflict, and the priced changes.
    reviewers = [ra.Reviewer(id=f"S{i}", seniority="senior", max_load=2) for i in range(3)]
    reviewers += [ra.Reviewer(id=f"J{i}", seniority="junior") for i in range(6)]
    problem = ra.Problem(cases=[ra.Case(id=f"C{i}") for i in range(4)], reviewers=reviewers)
    policy = ra.Policy(panel_size=3, panel={"min_senior": 2})
    result = ra.solve(problem, policy, seed=0, workers=1)
    assert result.status is ra.Status.INFEASIBLE
    text = _text(render_report(result, problem, policy, "md"))
    assert "Why the policy cannot be met" in text
    assert "panel.min_senior + load.max: every panel needs 2 senior reviewers" in text
    assert "4 cases need 8 such seats, the 3 senior reviewers offer at most 6" in text
    assert "The policy keys that cannot hold together (proven minimal): panel.min_senior." in text
    assert "set panel.min_senior from 2 to 1" in text and "yes, verified by a solve" in text
