"""Relation-distance conflicts: the bounded search against networkx, and its speed.

``ra.conflicts`` and ``ra.check`` each find the reviewers within ``relation_distance`` of
another applicant of a case with their own search (SPEC.md, ``[conflicts]``). Both are
compared here with the plainest reference there is, networkx's shortest path lengths
with a cutoff from every reviewer, on generated graphs of every shape the contraction of
chains must get right: paths, cycles with and without a branching person, repeated
pairs, people in no relation, reviewers who apply, and relation ends who are neither a
reviewer nor an applicant (only through ``model_construct``: a validated problem refuses
them). The speed test runs a 50,000-step chain in a fresh process with a deadline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reviewassign as ra
from conftest import examples

# No solve here, only graph searches: three times the profile's examples.
SETTINGS = settings(max_examples=examples(3))

FAR = 100_000
"""The largest relation distance a policy takes: beyond every graph here."""


@st.composite
def relation_problems(draw: st.DrawFn) -> ra.Problem:
    """A small problem whose relation graph has paths, cycles and loose ends."""
    n_reviewers = draw(st.integers(0, 7))
    reviewers = [f"R{i}" for i in range(n_reviewers)]
    people = [f"P{i}" for i in range(draw(st.integers(0, 10)))]
    outsiders = draw(st.booleans())
    others = [f"X{i}" for i in range(draw(st.integers(1, 4)))] if outsiders else []
    pool = reviewers + people
    cases = []
    for i in range(draw(st.integers(0, 6))):
        applicants = draw(st.lists(st.sampled_from(pool), unique=True, max_size=4)) if pool else []
        cases.append(ra.Case(id=f"C{i}", applicants=tuple(applicants)))
    applying = sorted({a for c in cases for a in c.applicants})
    # A validated problem relates reviewers and applicants only; outsiders need not be.
    ends = [*reviewers, *applying, *others] if not outsiders else [*pool, *others]
    pairs: list[tuple[str, str]] = []
    if len(ends) >= 2:
        for _ in range(draw(st.integers(0, 3))):  # paths, some closed into cycles
            walk = draw(st.lists(st.sampled_from(ends), min_size=2, max_size=12, unique=True))
            pairs.extend(pairwise(walk))
            if len(walk) > 2 and draw(st.booleans()):
                pairs.append((walk[-1], walk[0]))
        pairs.extend(
            draw(
                st.lists(
                    st.tuples(st.sampled_from(ends), st.sampled_from(ends)).filter(
                        lambda ab: ab[0] != ab[1]
                    ),
                    max_size=12,
                )
            )
        )
    kinds = st.sampled_from(("coauthor", "colleague", ""))
    relations = [ra.Relation(a=a, b=b, kind=draw(kinds)) for a, b in pairs]
    reviewer_rows = [ra.Reviewer(id=r) for r in reviewers]
    if outsiders:
        return ra.Problem.model_construct(
            cases=tuple(cases), reviewers=tuple(reviewer_rows), relations=tuple(relations)
        )
    return ra.Problem(cases=cases, reviewers=reviewer_rows, relations=relations)


def _graph(problem: ra.Problem) -> nx.Graph[str]:
    graph: nx.Graph[str] = nx.Graph()
    for rel in problem.relations:
        graph.add_edge(rel.a, rel.b, kind=rel.kind)  # a pair related again: its last kind
    return graph


def reference(problem: ra.Problem, d: int) -> dict[tuple[str, str], str]:
    """(case, reviewer) -> detail, from networkx: the nearest other applicant within d,
    the first in the case's order among the nearest."""
    graph = _graph(problem)
    out: dict[tuple[str, str], str] = {}
    for r in problem.reviewers:
        if d == 0 or r.id not in graph:
            continue
        lengths = nx.single_source_shortest_path_length(graph, r.id, cutoff=d)
        for case in problem.cases:
            near = [
                (lengths[a], k, a)
                for k, a in enumerate(case.applicants)
                if a != r.id and a in lengths
            ]
            if near:
                dist, _, a = min(near)
                if dist == 1:
                    kind = graph.edges[a, r.id]["kind"] or "related"
                    out[case.id, r.id] = f"relation: {kind} of applicant {a}"
                else:
                    out[case.id, r.id] = f"relation: distance {dist} from applicant {a}"
    return out


def found(problem: ra.Problem, d: int) -> dict[tuple[str, str], str]:
    policy = ra.Policy(conflicts={"relation_distance": d})
    return {
        (cp.case, cp.reviewer): cp.details[cp.reasons.index("relation")]
        for cp in ra.conflicts(problem, policy)
        if "relation" in cp.reasons
    }


distances = st.sampled_from((0, 1, 2, 3, 5, FAR))


@SETTINGS
@given(relation_problems(), distances)
def test_conflicts_match_networkx(problem: ra.Problem, d: int) -> None:
    assert found(problem, d) == reference(problem, d)


@SETTINGS
@given(relation_problems(), st.sampled_from((1, 2, 3, FAR)))
def test_both_search_sides_agree(problem: ra.Problem, d: int) -> None:
    from reviewassign._reduce.conflicts import (
        _relation_hits,  # private: the side is a test's choice
    )

    expected = reference(problem, d)
    for side in ("reviewers", "applicants"):
        hits = _relation_hits(problem, d, side=side)
        got = {
            (problem.cases[i].id, problem.reviewers[j].id): line
            for i, j, line in zip(
                hits.case.tolist(), hits.reviewer.tolist(), hits.lines.tolist(), strict=True
            )
        }
        assert got == expected, side


@SETTINGS
@given(relation_problems(), distances, st.data())
def test_check_matches_networkx(problem: ra.Problem, d: int, data: st.DataObject) -> None:
    reviewers = [r.id for r in problem.reviewers]
    assignment = {
        c.id: data.draw(st.lists(st.sampled_from(reviewers), unique=True, max_size=3))
        if reviewers
        else []
        for c in problem.cases
    }
    policy = ra.Policy(panel_size=1, conflicts={"relation_distance": d})
    graph = _graph(problem)
    expected = set()
    for case in problem.cases:
        for r in assignment[case.id]:
            if d == 0 or r not in graph:
                continue
            lengths = nx.single_source_shortest_path_length(graph, r, cutoff=d)
            near = [(lengths[a], a) for a in case.applicants if a != r and a in lengths]
            if near:
                dist, a = min(near)  # check names the smallest id among the nearest
                expected.add(
                    f"reviewer {r} is at relation distance {dist} from applicant {a} "
                    f"of case {case.id}"
                )
    got = {
        v.message.split(";")[0]
        for v in ra.check(problem, policy, assignment)
        if v.rule == "conflicts.relation_distance"
    }
    assert got == expected


def test_shapes_the_contraction_must_get_right() -> None:
    # A cycle hanging on a branching person, a junction-free cycle, a path through a
    # reviewer, and a reviewer who applies to a case with a related co-applicant.
    relations = [
        ("R1", "P1"),
        ("P1", "P2"),
        ("P2", "P3"),
        ("P3", "P1"),  # a loop at P1 (which has three relations)
        ("P1", "P4"),
        ("P5", "P6"),
        ("P6", "R2"),
        ("R2", "P5"),  # a cycle with no branching person
        ("P7", "R3"),
        ("R3", "P8"),  # a path through R3
    ]
    problem = ra.Problem(
        cases=[
            ra.Case(id="C1", applicants=("P3", "P4")),
            ra.Case(id="C2", applicants=("P5",)),
            ra.Case(id="C3", applicants=("P8", "R3", "P7")),
            ra.Case(id="C4", applicants=("P9",)),
            ra.Case(id="C5", applicants=("P1", "P2", "P6")),
        ],
        reviewers=[ra.Reviewer(id=r) for r in ("R1", "R2", "R3", "R4")],
        relations=[ra.Relation(a=a, b=b) for a, b in relations],
    )
    for d in (1, 2, 3, FAR):
        assert found(problem, d) == reference(problem, d)
    near = found(problem, 2)
    assert near["C1", "R1"] == "relation: distance 2 from applicant P3"  # P3 before P4
    assert near["C3", "R3"] == "relation: related of applicant P8"  # not themselves
    assert ("C4", "R4") not in found(problem, FAR)  # P9 and R4 are in no relation


# ------------------------------------------------------------------ speed

CHAIN = """
import json, sys, time
import reviewassign as ra

steps, n_cases, gap = 50_000, 10, 2_500
seat = {k * gap: f"R{k:02d}" for k in range(20)}  # reviewers all along the path
person = [seat.get(i, f"P{i:05d}") for i in range(steps + 1)]
applicants = [[f"P{i:05d}" for i in range(steps + 1) if i not in seat and i % n_cases == c]
              for c in range(n_cases)]
problem = ra.Problem(
    cases=[ra.Case(id=f"C{c}", applicants=tuple(a)) for c, a in enumerate(applicants)],
    reviewers=[ra.Reviewer(id=r) for r in seat.values()],
    relations=[ra.Relation(a=a, b=b) for a, b in zip(person, person[1:])],
)
policy = ra.Policy(panel_size=2, conflicts={"relation_distance": 100_000})
start = time.perf_counter()
pairs = ra.conflicts(problem, policy)
conflicts_s = time.perf_counter() - start
start = time.perf_counter()
violations = ra.check(problem, policy, {c.id: ["R00", "R19"] for c in problem.cases})
check_s = time.perf_counter() - start
json.dump({
    "pairs": {f"{p.case} {p.reviewer}": p.details[-1] for p in pairs},
    "violations": sorted(f"{v.case} {v.reviewer}" for v in violations
                         if v.rule == "conflicts.relation_distance"),
    "conflicts_s": conflicts_s, "check_s": check_s,
}, sys.stdout)
"""


def test_a_50000_step_chain_with_distance_100000_is_fast() -> None:
    # 2dff862 searched once from each of the 49,980 applicants, each search walking the
    # whole path: hours. Searches from the 20 reviewers over the contracted path take
    # well under a second; the deadline leaves room for a slow machine.
    src = Path(ra.__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]),
    }
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(CHAIN)],
            capture_output=True,
            text=True,
            timeout=20,
            env=env,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"conflicts and check on the chain took more than 20 s ({src})")
    wall = time.perf_counter() - start
    out = json.loads(done.stdout)
    # Every reviewer lies on the path, every case has applicants all along it: each
    # pair is a conflict, through the nearest applicant (the lower one on a tie).
    steps, n_cases, gap = 50_000, 10, 2_500
    seats = {k * gap for k in range(20)}
    expected = {}
    for k in range(20):
        at = k * gap
        for c in range(n_cases):
            dist, where = min(
                (abs(i - at), i) for i in range(c, steps + 1, n_cases) if i not in seats
            )
            line = "related of" if dist == 1 else f"distance {dist} from"
            expected[f"C{c} R{k:02d}"] = f"relation: {line} applicant P{where:05d}"
    assert out["pairs"] == expected
    assert out["violations"] == sorted(f"C{c} R{k}" for c in range(n_cases) for k in ("00", "19"))
    assert out["conflicts_s"] < 5 and out["check_s"] < 5, (out["conflicts_s"], out["check_s"], wall)
