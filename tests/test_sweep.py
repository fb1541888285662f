"""``ra.sweep`` and ``ra.grid``: many solves on a thread pool, a process pool and Dask.

The Dask test runs a real ``distributed.LocalCluster`` of two worker processes; it is
skipped only when ``distributed`` (the ``lab`` extra) is not installed.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

import reviewassign as ra
from reviewassign._lab.synthetic import award_problem

BASE = ra.Policy(panel={"max_per_region": 1, "min_genders": 2}, expertise={"coverage": "any"})
AXES = {"panel.max_per_region": [1, 2], "load.max": [4, 5, 6]}
SEEDS = (0, 1)


@pytest.fixture(scope="module")
def problem() -> ra.Problem:
    return award_problem(24, 16, seed=3)


@pytest.fixture(scope="module")
def policies() -> dict[str, ra.Policy]:
    policies = ra.grid(BASE, AXES)
    # Invalid (panel_size 0): model_copy skips validation, solve's Policy.coerce refuses it.
    policies["broken"] = BASE.model_copy(update={"panel_size": 0})
    return policies


@pytest.fixture(scope="module")
def sequential(problem: ra.Problem, policies: dict[str, ra.Policy]) -> dict[tuple[str, int], Any]:
    out: dict[tuple[str, int], Any] = {}
    for name, policy in policies.items():
        if name != "broken":
            for seed in SEEDS:
                out[name, seed] = ra.solve(problem, policy, seed=seed, workers=1)
    return out


def assert_matches_sequential(
    swept: ra.SweepResult,
    policies: dict[str, ra.Policy],
    sequential: dict[tuple[str, int], ra.Result],
) -> None:
    assert [(t.name, t.seed) for t in swept] == [(n, s) for n in policies for s in SEEDS]
    assert len(swept) == len(policies) * len(SEEDS)
    for task in swept:
        if task.name == "broken":
            assert task.result is None
            assert task.error is not None and task.error.startswith("ValidationError")
            assert "panel_size" in task.error
            assert task.traceback is not None
            continue
        assert task.error is None, task.error
        assert task.result is not None
        want = sequential[task.name, task.seed]
        assert task.result.status is want.status
        assert task.result.assignment == want.assignment
        assert task.result.objective == want.objective
        assert task.policy is policies[task.name]
    assert [t.name for t in swept.failed] == ["broken", "broken"]
    assert len(swept.ok) == len(swept) - 2
    results = swept.results()
    assert list(results) == [n for n in policies if n != "broken"]
    assert all(results[n] is swept.tasks[2 * i].result for i, n in enumerate(results))


# --------------------------------------------------------------------------------------
# grid


def test_grid_is_the_product_in_order_with_names() -> None:
    policies = ra.grid(BASE, AXES)
    assert list(policies) == [
        "panel.max_per_region=1, load.max=4",
        "panel.max_per_region=1, load.max=5",
        "panel.max_per_region=1, load.max=6",
        "panel.max_per_region=2, load.max=4",
        "panel.max_per_region=2, load.max=5",
        "panel.max_per_region=2, load.max=6",
    ]
    chosen = policies["panel.max_per_region=2, load.max=5"]
    assert chosen.panel.max_per_region == 2 and chosen.load.max == 5
    assert chosen.panel.min_genders == 2  # the rest comes from the base
    assert chosen.expertise == BASE.expertise


def test_grid_names_strings_plainly() -> None:
    policies = ra.grid(ra.Policy(), {"panel.own_region": ["any", "exclude"], "panel_size": [2]})
    assert list(policies) == [
        "panel.own_region=any, panel_size=2",
        "panel.own_region=exclude, panel_size=2",
    ]


@pytest.mark.parametrize(
    ("axes", "named"),
    [
        ({"load.max": [4, -1]}, "load.max=-1"),
        ({"panel_size": [0]}, "panel_size=0"),
        ({"panel.own_region": ["nowhere"]}, "panel.own_region=nowhere"),
        ({"panel.colour": [1]}, "'panel.colour'"),
        ({"panel_size.x": [1]}, "'panel_size.x'"),
    ],
)
def test_grid_invalid_value_names_the_key(axes: dict[str, list[Any]], named: str) -> None:
    with pytest.raises(ValueError, match="grid") as info:
        ra.grid(ra.Policy(), axes)
    assert named in str(info.value)


def test_grid_invalid_combination_names_both_keys() -> None:
    with pytest.raises(ValueError, match=r"load\.min=5, load\.max=4"):
        ra.grid(ra.Policy(), {"load.min": [0, 5], "load.max": [4, 6]})


@pytest.mark.parametrize("axes", [{}, {"load.max": []}, {"panel.own_region": "any"}])
def test_grid_refuses_empty_or_string_axes(axes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="grid"):
        ra.grid(ra.Policy(), axes)


# --------------------------------------------------------------------------------------
# sweep on local executors


def test_sweep_on_threads_matches_sequential_solves(
    problem: ra.Problem,
    policies: dict[str, ra.Policy],
    sequential: dict[tuple[str, int], ra.Result],
) -> None:
    calls: list[tuple[int, int, int]] = []
    with ThreadPoolExecutor(2) as pool:
        swept = ra.sweep(
            problem,
            policies,
            executor=pool,
            seeds=SEEDS,
            progress=lambda *args: calls.append(args),
        )
    assert_matches_sequential(swept, policies, sequential)
    total = len(swept)
    assert calls[-1] == (total, total, 2)
    assert [c[0] for c in calls] == list(range(1, total + 1))
    assert "2 failed" in str(swept) and "broken" in str(swept)


def test_sweep_on_the_default_process_pool(
    problem: ra.Problem,
    policies: dict[str, ra.Policy],
    sequential: dict[tuple[str, int], ra.Result],
    capsys: pytest.CaptureFixture[str],
) -> None:
    swept = ra.sweep(problem, policies, seeds=SEEDS)
    assert_matches_sequential(swept, policies, sequential)
    bar = capsys.readouterr().err
    assert f"] {len(swept)}/{len(swept)} tasks, 2 failed" in bar
    assert bar.endswith("\n")


def test_a_sequence_of_policies_is_named_by_position(problem: ra.Problem) -> None:
    swept = ra.sweep(
        problem,
        [ra.Policy(), ra.Policy(panel_size=2)],
        executor=ThreadPoolExecutor(1),
        progress=False,
    )
    assert list(swept.results()) == ["policy 0", "policy 1"]
    assert swept.seconds > 0


def test_results_default_to_seed_zero_else_the_first(problem: ra.Problem) -> None:
    with ThreadPoolExecutor(2) as pool:
        swept = ra.sweep(problem, [ra.Policy()], executor=pool, seeds=(5, 0), progress=False)
        later = ra.sweep(problem, [ra.Policy()], executor=pool, seeds=(5, 7), progress=False)
    assert swept.results()["policy 0"] is swept.tasks[1].result
    assert later.results()["policy 0"] is later.tasks[0].result
    assert later.results(seed=7)["policy 0"] is later.tasks[1].result


def test_the_swept_result_finds_alternates(problem: ra.Problem) -> None:
    with ThreadPoolExecutor(1) as pool:
        swept = ra.sweep(problem, [BASE], executor=pool, progress=False)
    result = swept.tasks[0].result
    assert result is not None
    case = next(iter(result.assignment))
    assert result.alternates(case) == ra.solve(problem, BASE).alternates(case)


class _Broken(Executor):
    """An executor whose every other future fails, as if its worker died."""

    def __init__(self) -> None:
        self.count = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.count += 1
        future: Future[Any] = Future()
        if self.count % 2:
            future.set_exception(RuntimeError("worker died"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_a_failed_future_is_reported_on_its_task(problem: ra.Problem) -> None:
    swept = ra.sweep(problem, [ra.Policy()] * 4, executor=_Broken(), progress=False)
    assert [t.error for t in swept] == ["RuntimeError: worker died", None] * 2
    assert [t.ok for t in swept] == [False, True] * 2


def test_a_shut_down_executor_fails_every_task(problem: ra.Problem) -> None:
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    swept = ra.sweep(problem, [ra.Policy()] * 2, executor=pool, progress=False)
    assert len(swept.failed) == 2
    assert all("RuntimeError" in (t.error or "") for t in swept)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"seeds": ()}, ValueError),
        ({"seeds": (1, 1)}, ValueError),
        ({"workers_per_solve": 0}, ValueError),
    ],
)
def test_sweep_refuses_bad_arguments(
    problem: ra.Problem, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        ra.sweep(problem, [ra.Policy()], executor=ThreadPoolExecutor(1), **kwargs)


def test_sweep_refuses_what_is_not_a_policy(problem: ra.Problem) -> None:
    with pytest.raises(TypeError, match="not a Policy"):
        ra.sweep(problem, {"x": "award"}, executor=ThreadPoolExecutor(1))  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        ra.sweep(problem, ra.Policy(), executor=ThreadPoolExecutor(1))  # type: ignore[arg-type]


def test_a_broken_process_pool_is_reported_on_every_task(problem: ra.Problem) -> None:
    # Every worker process exits at start: the pool breaks, each future fails.
    with ProcessPoolExecutor(1, initializer=os._exit, initargs=(3,)) as pool:
        swept = ra.sweep(problem, [ra.Policy()] * 3, executor=pool, progress=False)
    assert len(swept.failed) == 3
    assert all((t.error or "").startswith("BrokenProcessPool") for t in swept)


# --------------------------------------------------------------------------------------
# Result pickling


def test_result_pickles_and_keeps_alternates(problem: ra.Problem) -> None:
    result = ra.solve(problem, BASE)
    back = pickle.loads(pickle.dumps(result))
    assert back == result
    assert back.assignment == result.assignment and back.stats == result.stats
    assert back.metrics == result.metrics
    case = next(iter(result.assignment))
    assert back.alternates(case) == result.alternates(case)


# --------------------------------------------------------------------------------------
# A real Dask cluster (last: the module-scoped cluster's threads live until the module ends,
# and no process pool should fork while they do)


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Executor]:
    distributed = pytest.importorskip(
        "distributed", reason="dask distributed (the lab extra) is not installed"
    )
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


def test_sweep_on_a_dask_cluster_matches_sequential_solves(
    dask_executor: Executor,
    problem: ra.Problem,
    policies: dict[str, ra.Policy],
    sequential: dict[tuple[str, int], ra.Result],
) -> None:
    calls: list[tuple[int, int, int]] = []
    swept = ra.sweep(
        problem,
        policies,
        executor=dask_executor,
        seeds=SEEDS,
        progress=lambda *args: calls.append(args),
    )
    assert_matches_sequential(swept, policies, sequential)
    assert calls[-1] == (len(swept), len(swept), 2)


def test_sweep_compares_like_compare() -> None:
    problem = ra.Problem(
        cases=[ra.Case(id=f"C{i}", region="A", topics={"t": 1}) for i in range(3)],
        reviewers=[
            ra.Reviewer(id=f"R{i}", region="AB"[i % 2], expertise={"t": 1 + i % 3})
            for i in range(6)
        ],
    )
    policies = {
        "plain": ra.Policy(panel_size=2),
        "exclude": ra.Policy(panel_size=2, panel={"own_region": "exclude"}),
        "broken": ra.Policy().model_copy(update={"panel_size": 0}),
    }
    with ThreadPoolExecutor(2) as pool:
        swept = ra.sweep(problem, policies, executor=pool, progress=False)
    table = swept.compare()
    direct = ra.compare(problem, policies)
    assert [r.policy for r in table.rows] == ["plain", "exclude", "broken"]
    for mine, theirs in zip(table.rows, direct.rows, strict=True):
        assert (mine.status, mine.objective, mine.price, mine.changes) == (
            theirs.status,
            theirs.objective,
            theirs.price,
            theirs.changes,
        )
    assert table.rows[2].status == "error" and table.rows[2].error
