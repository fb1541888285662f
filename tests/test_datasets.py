"""The real public data sets: our readers against the shared README, and the solver
against the README's measured max-sum optima.

Skipped as a whole when the data folder (``$REVIEWASSIGN_DATA`` or ``../shared/datasets``)
is absent.
"""

from __future__ import annotations

import csv
import functools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from benchmarks.datasets import (
    ALL,
    DATA_ENV,
    MatrixInstance,
    aamas_2021_roles,
    data_candidate,
    data_root,
    read_cat,
    require_root,
)

import reviewassign as ra

pytestmark = pytest.mark.datasets

if data_root() is None:
    pytest.skip(
        f"real data sets not found at {data_candidate()}; set {DATA_ENV}",
        allow_module_level=True,
    )

# (cases, reviewers, declared conflicts). Shapes and the PrefLib and malicious-bidding
# conflict counts are the README's; the AAMAS counts are the papers a reviewer left
# unlisted (2015, 2016) or marked "conflict" (2021, PC rows only).
SHAPES = {
    "midl": (118, 177, 0),
    "preflib1": (54, 31, 45),
    "preflib2": (52, 24, 98),
    "preflib3": (176, 146, 133),
    "sigir_query": (73, 189, 0),
    "aamas2015": (613, 201, 643),
    "aamas2016": (442, 161, 140),
    "aamas2021_pc": (526, 596, 2521),
    "malicious_honest": (28, 35, 35),
}

# The README gives the MIDL optimum rounded to three decimals.
TOLERANCE = {"midl": 5e-4}

# CP-SAT reaches these optima with one worker in under a second each (measured); the
# larger instances are left to the flow path and the benchmark runner.
CPSAT_SMALL = ["preflib1", "preflib2", "malicious_honest", "sigir_query"]


@functools.cache
def instance(name: str) -> MatrixInstance:
    return ALL[name]()


@functools.cache
def problem(name: str) -> ra.Problem:
    return instance(name).problem()


def test_every_instance_has_a_shape_and_a_reference() -> None:
    assert set(SHAPES) == set(ALL)
    assert all(instance(name).reference_max_sum is not None for name in ALL)


def test_data_root_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert data_root() == tmp_path
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "missing"))
    assert data_root() is None
    with pytest.raises(FileNotFoundError, match=DATA_ENV):
        require_root()


@pytest.mark.parametrize("name", list(ALL))
def test_loader_shape_and_conflicts(name: str) -> None:
    inst = instance(name)
    n_cases, n_reviewers, n_conflicts = SHAPES[name]
    assert inst.name == name
    assert inst.scores.shape == (n_cases, n_reviewers)
    assert inst.n_conflicts == n_conflicts
    if inst.conflicts is not None:
        assert inst.conflicts.shape == inst.scores.shape
        assert inst.conflicts.dtype == np.bool_
    assert np.isfinite(inst.scores).all()
    assert not inst.scores.flags.writeable
    assert inst.panel_size == 3


def test_midl_scores_are_as_given() -> None:
    inst = instance("midl")
    assert inst.conflicts is None
    assert inst.scores.min() == -1.0
    assert inst.scores.max() == pytest.approx(1.0)  # 1 + 3e-15 in the file
    assert int((inst.scores == -1.0).sum()) == 462
    assert isinstance(inst.max_load, np.ndarray)
    assert inst.max_load.shape == (177,) and set(inst.max_load.tolist()) == {4}


def test_sigir_similarities_are_quarters() -> None:
    assert set(np.unique(instance("sigir_query").scores)) == {0.0, 0.25, 0.5, 0.75, 1.0}


def test_malicious_honest_each_participant_has_one_own_paper() -> None:
    inst = instance("malicious_honest")
    assert inst.conflicts is not None
    assert inst.conflicts.sum(axis=0).tolist() == [1] * 35
    assert set(np.unique(inst.scores)) <= {-1.0, 0.0, 1.0}


@pytest.mark.parametrize("index", [1, 2, 3])
def test_preflib_toi_matches_the_npz(index: int) -> None:
    inst = instance(f"preflib{index}")
    with np.load(require_root() / "preflib_md00002_jecmen" / f"preflib{index}.npz") as z:
        scores = np.asarray(z["similarity_matrix"], dtype=float).T
        mask = np.asarray(z["mask_matrix"]).astype(bool).T
    assert inst.conflicts is not None
    np.testing.assert_array_equal(inst.conflicts, mask)
    np.testing.assert_array_equal(inst.scores, scores)


def test_aamas_2021_rows_follow_the_csv_bidders() -> None:
    folder = require_root() / "preflib_aamas"
    bids, categories = read_cat(folder / "00037-00000003.cat")
    roles = aamas_2021_roles()
    assert roles.count("spc") == 71 and roles.count("pc") == 596
    n_spc = roles.count("spc")
    with (folder / "00037-00000003.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        role, _, number = row["Bidder"].partition("-")
        r = int(number) - 1 + (n_spc if role == "pc" else 0)
        assert categories[bids[r, int(row["Submission"]) - 1]] == row["Bid"]
    # Every pair the csv does not list is "no" (no response) in the .cat file.
    assert int((bids != categories.index("no")).sum()) == len(rows)


@pytest.mark.parametrize("name", list(ALL))
def test_flow_solve_reaches_the_reference_optimum(
    name: str, record_property: Callable[[str, object], None]
) -> None:
    inst = instance(name)
    prob, policy = problem(name), inst.policy()
    start = time.perf_counter()
    result = ra.solve(prob, policy, workers=1, seed=0)
    record_property("solve_seconds", time.perf_counter() - start)
    assert result.status is ra.Status.OPTIMAL
    assert result.objective == pytest.approx(inst.reference_max_sum, abs=TOLERANCE.get(name, 1e-3))
    assert ra.check(prob, policy, result.assignment) == []
    for case in prob.cases:
        assert len(set(result.assignment[case.id])) == inst.panel_size


@pytest.mark.parametrize("name", CPSAT_SMALL)
def test_cpsat_reaches_the_same_optimum(name: str) -> None:
    inst = instance(name)
    prob, policy = problem(name), inst.policy()
    result = ra.solve(prob, policy, workers=1, seed=0, method="cpsat", time_limit=60)
    assert result.status is ra.Status.OPTIMAL
    assert result.objective == pytest.approx(inst.reference_max_sum, abs=TOLERANCE.get(name, 1e-3))
    assert ra.check(prob, policy, result.assignment) == []
