"""reviewassign.plot: each chart draws what it says on a tiny instance."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("matplotlib")

import matplotlib

matplotlib.use("Agg")  # no window: tests only draw into memory

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

import reviewassign as ra
from reviewassign import plot
from test_compare import (
    POLICIES,
    RULE_POLICIES,
    attributed_problem,
    small_problem,
)  # tests/ is on sys.path, like strategies


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def problem() -> ra.Problem:
    return small_problem()


@pytest.fixture(scope="module")
def comparison(problem: ra.Problem) -> ra.Comparison:
    return ra.compare(problem, {**POLICIES, "too big": ra.Policy(panel_size=20)})


def test_loads(comparison: ra.Comparison) -> None:
    result = comparison.results["neutral"]
    assert result.metrics is not None
    ax = plot.loads(result)
    assert isinstance(ax, Axes)
    m = result.metrics
    heights = [int(p.get_height()) for p in ax.patches]
    assert len(heights) == m.max_load - m.min_load + 1
    assert sum(heights) == len(m.loads)  # every reviewer, idle ones included
    assert len(ax.lines) == 2  # the smallest and the largest load
    assert {line.get_xdata()[0] for line in ax.lines} == {m.min_load, m.max_load}  # type: ignore[index]


def test_loads_on_given_axes(comparison: ra.Comparison) -> None:
    _, (left, right) = plt.subplots(1, 2)
    assert plot.loads(comparison.results["neutral"], ax=right) is right
    assert not left.patches


def test_profile_of_a_result_and_a_comparison(comparison: ra.Comparison) -> None:
    result = comparison.results["neutral"]
    ax = plot.profile(result)
    assert len(ax.lines) == 1
    ys = list(ax.lines[0].get_ydata())  # type: ignore[arg-type]
    assert ys == sorted(ys) and len(ys) == 6
    ax = plot.profile(comparison)
    assert [line.get_label() for line in ax.lines] == list(POLICIES)  # not the infeasible one
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == list(POLICIES)


@pytest.mark.parametrize(("by", "groups"), [("region", 3), ("gender", 3)])
def test_composition(comparison: ra.Comparison, problem: ra.Problem, by: str, groups: int) -> None:
    ax = plot.composition(comparison.results["max_per_region"], problem, by=by)  # type: ignore[arg-type]
    assert len(ax.patches) == 2 * groups  # seats and pool, per group
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == groups
    if by == "region":
        assert labels == ["Africa", "Asia", "Europe"]
        # max_per_region 1 on panels of 2 from 3 equal regions.
        assert all(abs(p.get_height() - 1 / 3) < 0.34 for p in ax.patches)
    with pytest.raises(ValueError, match="by must be"):
        plot.composition(comparison.results["neutral"], problem, by="country")  # type: ignore[arg-type]


def test_comparison_chart(comparison: ra.Comparison) -> None:
    ax = plot.comparison(comparison)
    # One bar per policy with a price: the infeasible one has none.
    assert len(ax.patches) == len(POLICIES)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(POLICIES)
    prices = [p.get_height() for p in ax.patches]
    assert prices == pytest.approx([comparison.row(n).price for n in POLICIES])
    ax = plot.comparison(comparison, metric="region:Africa")
    assert len(ax.patches) == len(POLICIES)
    with pytest.raises(ValueError, match="metric must be one of"):
        plot.comparison(comparison, metric="status")


def test_nothing_to_plot(comparison: ra.Comparison, problem: ra.Problem) -> None:
    with pytest.raises(ValueError, match="no assignment"):
        plot.loads(comparison.results["too big"])
    only_bad = ra.Comparison.from_results(problem, {"too big": comparison.results["too big"]})
    with pytest.raises(ValueError, match="nothing to plot"):
        plot.profile(only_bad)


def test_without_matplotlib(comparison: ra.Comparison, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install reviewassign\[lab\]"):
        plot.loads(comparison.results["neutral"])
    with pytest.raises(ImportError, match=r"reviewassign\[lab\]"):
        plot.comparison(comparison)


def test_comparison_chart_of_an_attribute_share_and_new_seats() -> None:
    comparison = ra.compare(attributed_problem(), RULE_POLICIES, seed=0, workers=1)
    for metric in ("sector:practice", "new_seats_share"):
        ax = plot.comparison(comparison, metric=metric)
        assert len(ax.patches) == len(RULE_POLICIES)
        assert ax.get_ylabel() == metric
