"""One options record per call: every keyword of ``solve`` is carried whole, honoured or refused.

Under ``[random] max_probability < 1`` ``solve`` once forwarded only the time limit, the
seed and the workers to the lottery; ``method``, ``candidates`` and ``progress`` were
dropped without a word. These tests hold each option to one of two answers in every mode:
it is used, or an :class:`InputError` (a ``ValueError``) names it.
"""

from __future__ import annotations

import dataclasses
import inspect
import math

import pytest

import reviewassign as ra
from reviewassign._data.options import SolveOptions


def _problem() -> ra.Problem:
    return ra.Problem(
        cases=[ra.Case(id=f"C{i}", topics={"t": 1}) for i in range(4)],
        reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i % 3}) for i in range(8)],
    )


_LOTTERY = ra.Policy(panel_size=2, load={"max": 2}, random={"max_probability": 0.5})


def test_every_keyword_of_solve_is_an_option() -> None:
    # A keyword added to solve but not to SolveOptions could be dropped on a mode switch.
    keywords = set(inspect.signature(ra.solve).parameters) - {"problem", "policy", "relax"}
    fields = {f.name for f in dataclasses.fields(SolveOptions)} - {"start"}
    assert keywords == fields


def test_a_lottery_reports_the_progress_of_its_optimum() -> None:
    events: list[ra.Progress] = []
    result = ra.solve(_problem(), _LOTTERY, method="cpsat", progress=events.append)
    assert result.lottery is not None and result.status is ra.Status.FEASIBLE
    assert events, "progress was dropped under [random] max_probability < 1"
    assert all(math.isfinite(e.objective) for e in events)


def test_a_lottery_honours_the_method_of_its_optimum() -> None:
    # Gender minimums are not a flow's: method="flow" is refused, not ignored.
    problem = ra.Problem(
        cases=[ra.Case(id="C1")],
        reviewers=[ra.Reviewer(id=f"R{i}", gender="fm"[i % 2]) for i in range(6)],
    )
    policy = _LOTTERY.model_copy(update={"panel": ra.PanelPolicy(min_genders=2)})
    with pytest.raises(ra.InputError, match="flow network") as info:
        ra.solve(problem, policy, method="flow")
    assert info.value.field == "method"
    assert ra.solve(problem, policy, method="cpsat").lottery is not None


def test_a_lottery_refuses_pruned_candidates() -> None:
    with pytest.raises(ra.InputError, match="every eligible pair") as info:
        ra.solve(_problem(), _LOTTERY, candidates=3)
    assert info.value.field == "candidates"
    for kept in ("auto", None):  # what a lottery does anyway
        assert ra.solve(_problem(), _LOTTERY, candidates=kept).lottery is not None


def test_relax_refuses_what_its_soft_model_cannot_take() -> None:
    policy = ra.Policy(panel_size=2, load={"max": 2})
    for option, value in (("method", "flow"), ("method", "lp"), ("candidates", 3)):
        with pytest.raises(ra.InputError, match=option) as info:
            ra.solve(_problem(), policy, relax="minimal", **{option: value})
        assert info.value.field == option
    assert ra.solve(_problem(), policy, relax="minimal", method="cpsat").ok


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"seed": 2**31}, "seed"),
        ({"workers": 0}, "workers"),
        ({"time_limit": -1.0}, "time_limit"),
        ({"time_limit": math.inf}, "time_limit"),
        ({"candidates": 0}, "candidates"),
        ({"candidates": True}, "candidates"),
        ({"method": "simplex"}, "method"),
        ({"relax": "all"}, "relax"),
    ],
)
def test_a_bad_option_is_an_input_error_naming_it(keywords: dict[str, object], field: str) -> None:
    with pytest.raises(ra.InputError) as info:
        ra.solve(_problem(), ra.Policy(panel_size=1), **keywords)  # type: ignore[arg-type]
    assert info.value.field == field
    assert isinstance(info.value, ValueError)  # what solve raised before


def test_solve_and_randomize_report_misuse_alike() -> None:
    combined = ra.Policy(random={"max_probability": 0.5})
    with pytest.raises(ra.InputError, match="does not combine") as info:
        ra.solve(_problem(), combined, relax="minimal")
    assert info.value.field == "relax"
    with pytest.raises(ra.InputError) as bad_seed:
        ra.randomize(_problem(), combined, seed=-(2**31) - 1)
    assert bad_seed.value.field == "seed"


def test_options_count_the_time_limit_from_the_call() -> None:
    options = SolveOptions.checked(time_limit=5.0)
    assert options.deadline == options.start + 5.0
    assert 0 < options.left() <= 5.0
    assert SolveOptions.checked().deadline is None and SolveOptions().left() == math.inf
