"""The panel relaxation (``_backends.cpsat.panels``): its bound is a bound, its proof exact.

On tiny random problems with attribute rules and disjoint pairs (the brute force's
strategies), the column generation's Lagrangian bound is never below the brute-force
optimum, and the whole phase, when it proves, proves the brute-force optimum.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings

import reviewassign as ra
from reviewassign._backends.cpsat.model import build_model
from reviewassign._backends.cpsat.panels import generate, panel_phase, price, split
from reviewassign._backends.cpsat.runner import _Search
from reviewassign._backends.lp import _rows
from reviewassign._backends.outcome import PhaseRecord
from reviewassign._backends.scale import SCALE
from reviewassign._reduce.eligible import build_instance
from test_bruteforce import EXAMPLES, brute_force, policies, problems


def _built(problem: ra.Problem, policy: ra.Policy):  # type: ignore[no-untyped-def]
    """The instance and the built model (maximising) of the solver's exact path."""
    inst = build_instance(problem, policy)
    built = build_model(inst, policy)
    built.model.maximize(built.objective)
    return inst, built


@settings(max_examples=EXAMPLES)
@given(problems(), policies(attribute_rules=True))
def test_panel_bound_is_never_below_the_optimum(problem: ra.Problem, policy: ra.Policy) -> None:
    inst, built = _built(problem, policy)
    if inst.n_pairs == 0:
        return
    try:
        rows = _rows(built, booleans=inst.n_pairs)
    except ValueError:
        return
    blocks = split(rows, inst)
    if blocks is None:
        event("panels: not applicable")
        return
    gen = generate(blocks, np.zeros(len(blocks.coupling)), deadline=None)
    best = brute_force(problem, policy)
    if gen is None:
        event("panels: a case without a feasible panel")
        assert best is None  # no panel for a case: no assignment at all
        return
    event("panels: generated")
    if best is not None and gen.duals is not None:
        slack = 0.5 * (int(inst.panel_size.sum()) + int(inst.max_load.max(initial=0)))
        assert gen.bound + slack >= best.objective * SCALE - 1e-6 * SCALE


@settings(max_examples=EXAMPLES)
@given(problems(), policies(attribute_rules=True))
def test_panel_phase_proves_the_optimum(problem: ra.Problem, policy: ra.Policy) -> None:
    if len(policy.objective.levels) > 1:
        return  # the phase serves the policy objective alone (no levels before it)
    inst, built = _built(problem, policy)
    if inst.n_pairs == 0:
        return
    search = _Search(0, 1, None, 0.0, None)
    phases: list[PhaseRecord] = []
    duals = np.zeros(len(built.model.proto.constraints))
    found = panel_phase(built, inst, search, duals=duals, phases=phases, slack=0.0)
    best = brute_force(problem, policy)
    if found is None or found.chosen is None:
        event("panel phase: no assignment")
        return
    assignment = inst.assignment(found.chosen)
    assert ra.check(problem, policy, assignment) == []
    if found.proven:
        event("panel phase: proven")
        assert best is not None
        metrics = ra.evaluate(problem, assignment, policy)
        assert metrics.objective == pytest.approx(best.objective, abs=1e-5)


def test_pricing_finds_the_best_feasible_panel() -> None:
    # Two candidates of one value, the rule "at least one practice" forces the third best.
    reviewers = [
        ra.Reviewer(id=f"R{j}", attributes={"sector": s})
        for j, s in enumerate(("academia", "academia", "academia", "practice"))
    ]
    problem = ra.Problem(
        cases=[ra.Case(id="C0")],
        reviewers=reviewers,
        affinity=[
            ra.Affinity(case="C0", reviewer=f"R{j}", score=score)
            for j, score in enumerate((0.9, 0.8, 0.7, 0.1))
        ],
    )
    rules = [{"name": "p", "attribute": "sector", "values": "practice", "at_least": 1}]
    policy = ra.Policy.model_validate({"panel": {"rules": rules}})
    inst, built = _built(problem, policy)
    blocks = split(_rows(built, booleans=inst.n_pairs), inst)
    assert blocks is not None
    values = blocks.values(np.zeros(len(blocks.coupling)))
    value, panel, exact = price(blocks.cases[0], values)
    assert exact
    assert sorted(inst.reviewer_ids[inst.pair_reviewer[p]] for p in panel) == ["R0", "R1", "R3"]
    assert value == pytest.approx((0.9 + 0.8 + 0.1) * SCALE)
