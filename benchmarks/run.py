"""The benchmark runner: ``python -m benchmarks.run --suite {ci,full}`` (``make bench``).

Every benchmark row runs in a fresh Python process (``--one NAME``), so that its peak
memory is that process's own ``ru_maxrss`` and nothing one row allocates is counted in
the next. The child builds the problem, solves it with :func:`reviewassign.solve` (one
worker, seed 0), records its peak memory, then measures a reference in the same process:

* a bare OR-Tools ``SimpleMinCostFlow`` written here on the score matrix (independent of
  the library's flow code) for max-sum instances and for policies without panel rules;
* HiGHS through OR-Tools MathOpt on the library's own CP-SAT model otherwise (the model
  is read back with ``mathopt_from``; exact optimality: no relative MIP gap).

It returns its row as one JSON line on stdout. The parent collects the rows, judges
them, and writes ``results.json`` and ``results.md`` to the output folder. Quality
regressions (an optimum that disagrees with a reference, a bound below a proven optimum,
a gap above the row's target, a status short of a required proof) make the exit code 1;
speed is reported in the "time target" column and never fails the run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

import reviewassign as ra

from .datasets import ALL, DATA_ENV, MatrixInstance, data_candidate, data_root

__all__ = [
    "SEED",
    "Bench",
    "FlowReference",
    "Row",
    "Target",
    "bare_min_cost_flow",
    "benchmarks",
    "judge",
    "machine_info",
    "main",
    "render_markdown",
    "run_isolated",
    "run_row",
]

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = REPO / "examples" / "pioneer_award"
AWARD_POLICY_FILE = EXAMPLE_DIR / "policy.toml"
DEFAULT_OUT = REPO / "benchmarks" / "results"

SEED = 2026
"""Seed of every synthetic instance (award problems, the CVPR 2018 shape's scores)."""

REL_TOL = 1e-6
"""Relative tolerance between an objective and a proven optimum of a reference."""

WORST_TOL = 1e-5
"""Absolute slack on a worst panel: both solvers optimise it with affinities rounded to 1e-6."""

README_TOL = 5e-4
"""Absolute tolerance against the shared README's optima, printed with up to 3 decimals."""

DEFAULT_REF_TIME_LIMIT = 120.0
"""Seconds for a HiGHS reference solve (both stages together under the fairness objective)."""

_ROW_MARK = "BENCH-ROW "

Suite = Literal["ci", "full"]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------------------
# What to run


@dataclass(frozen=True)
class Target:
    """What a row must reach (quality) and should reach (speed, memory: reported only).

    ``gap`` 0 means a proven optimum (status OPTIMAL). ``min_ratio`` is on reference time
    over our solve time: 3 means at least 3x faster than the reference, 1/1.5 at most 1.5x
    its time. ``enforced`` False reports a missed quality target without failing the run;
    disagreement with a proven reference fails in every row.
    """

    gap: float = 0.0
    seconds: float | None = None
    min_ratio: float | None = None
    memory_mb: float | None = None
    enforced: bool = True
    readme: bool = False
    infeasible: bool = False
    """The row's policy cannot be met: ``explain`` must prove it."""
    keys: tuple[str, ...] = ()
    """Explain rows: the policy keys the first reason (checks) or the key core must name."""
    share: tuple[float, float] | None = None
    """Randomised rows: the range the lottery's share of the optimum must fall in."""
    wall: float | None = None
    """Time-limit rows: the most seconds the command may take, from process start to exit
    (a quality target: it fails the row)."""
    answer: bool = False
    """Time-limit rows: an assignment is required (feasible or optimal, passing ``check``);
    otherwise the status is reported."""
    conflicts: bool = False
    """Relation rows: ``seconds`` and ``memory_mb`` are the conflict phase's
    (``ra.conflicts`` alone, its peak over the built problem), and a quality check."""

    def text(self) -> str:
        parts = ["README optimum, proven" if self.readme else ""]
        if self.wall is not None:
            parts = ["feasible, checked, bound" if self.answer else "status reported"]
            parts.append(f"wall <= {self.wall:g} s from process start")
        elif self.share is not None:
            lo, hi = self.share
            parts = [f"share in [{lo:g}, {hi:g}], draws checked"]
            if self.gap > 0:
                parts.append(f"gap <= {100 * self.gap:g} %")
        elif self.infeasible:
            parts = ["proven infeasible"]
            if self.keys:
                parts.append("names " + " + ".join(self.keys))
        elif not self.readme:
            parts = ["proven optimal" if self.gap == 0 else f"gap <= {100 * self.gap:g} %"]
        scope = "conflicts " if self.conflicts else ""
        if self.seconds is not None:
            parts.append(f"{scope}<= {self.seconds:g} s")
        if self.min_ratio is not None:
            if self.min_ratio >= 1:
                parts.append(f">= {self.min_ratio:g}x faster than ref")
            else:
                parts.append(f"<= {1 / self.min_ratio:g}x ref time")
        if self.memory_mb is not None:
            parts.append(f"{scope}<= {self.memory_mb / 1024:g} GB")
        text = "; ".join(parts)
        return text if self.enforced else text + " (report only)"

    @property
    def has_speed(self) -> bool:
        limits = (self.seconds, self.min_ratio, self.memory_mb, self.wall)
        return any(x is not None for x in limits)


@dataclass(frozen=True)
class Bench:
    """One benchmark row: an instance, a policy, a time limit and a target."""

    name: str
    kind: Literal["award", "matrix", "cvpr2018", "example"]
    policy: str
    target: Target
    time_limit: float | None
    size: tuple[int, int] | None = None
    """``(cases, reviewers)`` when known before loading (synthetic and CVPR rows)."""
    dataset: str | None = None
    """Key in :data:`benchmarks.datasets.ALL` for real-data rows."""
    repair: bool = False
    """Time ``ra.repair`` after one decline, on the assignment a solve (untimed) made."""
    explain: bool = False
    """Time ``ra.explain`` (an infeasible policy) instead of a solve."""
    family: str | None = None
    """Explain rows (issue 15): the :data:`EXPLAIN_FAMILIES` instance, made from the award
    problem and policy."""
    keys_core: bool = False
    """Explain rows: time the key core and its priced changes (``ra.explain`` as it runs by
    default) rather than the necessary checks alone (``core=False``)."""
    price: str | None = None
    """The policy without this rule (``"cycles"``, ``"bands"``, ``"fairness"``: the
    levels before the objective and the panel floor) is solved too (untimed): its
    objective, the price of the rule, and the review cycles of its optimum."""
    random: float | None = None
    """Time ``ra.randomize`` with this ``max_probability`` instead of a solve."""
    sweep: int | None = None
    """Time ``ra.sweep`` of this many policies (:data:`SWEEP_AXES`) instead of a solve,
    against the same sweep on a process pool of one worker (the reference: the ratio
    column is the speed-up)."""
    executor: Literal["process", "dask"] = "process"
    """Sweep rows: a ``ProcessPoolExecutor`` or a Dask ``LocalCluster``'s executor."""
    executor_workers: int = 2
    """Sweep rows: worker processes of the executor (one CP-SAT worker a solve)."""
    command: bool = False
    """Time ``reviewassign solve --time-limit`` as a fresh process, from its start to its
    exit, instead of ``ra.solve`` (the problem is written to a folder first, untimed)."""
    board: bool = False
    """Board rows (issue 14): the award problem with reviewer attributes and disjoint pairs
    (:func:`board_problem`); the plain award policy is solved too, timed, on the same
    cases and reviewers without the disjoint pairs: the speed reference (its optimum
    bounds the board's, a relaxation of it)."""
    relations: tuple[int, int] | None = None
    """Relation rows: ``(people, relations)`` of ``relation_graph_problem`` on the award
    problem of ``size`` (0 relations: one path through the people); ``ra.conflicts`` is
    timed alone, then ``load_problem`` of the problem's files and ``ra.solve``."""

    @property
    def instance(self) -> str:
        if self.kind == "award" and self.size is not None and self.sweep is not None:
            return f"award {self.size[0]}x{self.size[1]}, {self.sweep} policies"
        if self.kind == "award" and self.size is not None and self.relations is not None:
            people, relations = self.relations
            graph = f"{relations:,} random relations" if relations else "one path"
            return f"award {self.size[0]}x{self.size[1]}, {people:,} people, {graph}"
        if self.kind == "award" and self.size is not None and self.family is not None:
            return f"award {self.size[0]}x{self.size[1]}, {self.family}"
        if self.kind == "award" and self.size is not None and self.board:
            return f"award {self.size[0]}x{self.size[1]}, attributes, {BOARD_DISJOINT} disjoint"
        if self.kind == "award" and self.size is not None:
            return f"award {self.size[0]}x{self.size[1]}"
        if self.kind == "cvpr2018":
            return "CVPR 2018 shape"
        if self.kind == "example":
            return "pioneer_award example"
        return _DATASET_NAMES.get(self.dataset or "", self.dataset or "?")


_DATASET_NAMES = {
    "midl": "MIDL",
    "preflib1": "PrefLib 1",
    "preflib2": "PrefLib 2",
    "preflib3": "PrefLib 3",
    "sigir_query": "SIGIR query",
    "aamas2015": "AAMAS 2015",
    "aamas2016": "AAMAS 2016",
    "aamas2021_pc": "AAMAS 2021 PC",
    "malicious_honest": "malicious honest",
}

CVPR2018_SIZE = (5062, 2840)
"""Papers and reviewers of the CVPR 2018 coverage and load vectors."""

_CI_DATASETS = (
    "midl",
    "preflib1",
    "preflib2",
    "preflib3",
    "sigir_query",
    "malicious_honest",
    "aamas2016",
)


def _award(
    n_c: int, n_r: int, policy: str, target: Target, time_limit: float | None = 60.0
) -> Bench:
    return Bench(f"award-{n_c}x{n_r}/{policy}", "award", policy, target, time_limit, (n_c, n_r))


def _real(key: str) -> Bench:
    target = Target(seconds=1.0, readme=True)
    return Bench(f"real/{key}", "matrix", "max-sum", target, 60.0, dataset=key)


def _cycles(k: int) -> Bench:
    # Each participant of the malicious-bidding set authored a paper: the reviewers are
    # its applicants, and the plain optimum has review cycles among them.
    name = f"integrity/malicious_honest/forbid_cycles={k}"
    policy = f"max-sum+forbid_cycles={k}"
    return Bench(
        name,
        "matrix",
        policy,
        Target(seconds=5.0),
        60.0,
        dataset="malicious_honest",
        price="cycles",
    )


def _bands(tolerance: float) -> Bench:
    policy = f"award+bands={tolerance:g}"
    return Bench(
        f"representation/example/{policy}", "example", policy, Target(), 60.0, price="bands"
    )


def _fair(instance: str, policy: str, target: Target, time_limit: float = 60.0) -> Bench:
    """A fairness row (leximin, max-min, panel floors), priced against the plain optimum."""
    name = f"fairness/{instance}/{policy}"
    if instance == "example":
        return Bench(name, "example", policy, target, time_limit, price="fairness")
    return Bench(name, "matrix", policy, target, time_limit, dataset=instance, price="fairness")


RANDOM_Q = 0.5
"""The cap of the randomised rows (Jecmen et al.'s published figures are at 0.5)."""

RANDOM_DRAWS = 1000
"""Draws of each randomised row: all timed, the first ``RANDOM_CHECKED`` checked."""

RANDOM_CHECKED = 200

# The share of the optimum a lottery capped at 0.5 keeps: about 0.83-0.85 on PrefLib 1-3
# and 0.94 on SIGIR (Jecmen et al.'s LP, re-run for the shared README).
_RANDOM_SHARE = {
    "preflib1": (0.80, 0.88),
    "preflib2": (0.80, 0.88),
    "preflib3": (0.80, 0.88),
    "sigir_query": (0.91, 0.97),
}


def _random(key: str) -> Bench:
    target = Target(seconds=5.0, share=_RANDOM_SHARE[key])
    return Bench(
        f"random/{key}/q={RANDOM_Q:g}",
        "matrix",
        "max-sum",
        target,
        60.0,
        dataset=key,
        random=RANDOM_Q,
    )


def _random_award() -> Bench:
    # The column path on the bundled example: the share is reported, the gap judged.
    target = Target(gap=0.01, share=(0.5, 1.0), enforced=False)
    return Bench(
        f"random/pioneer_award/q={RANDOM_Q:g}",
        "example",
        "award",
        target,
        60.0,
        random=RANDOM_Q,
    )


SWEEP_AXES: dict[int, dict[str, list[Any]]] = {
    12: {
        "panel.max_per_region": [1, 2],
        "panel.own_region": ["any", "exclude"],
        "load.max": [5, 6, 7],
    },
    100: {
        "panel.max_per_region": [1, 2],
        "panel.own_region": ["any", "exclude"],
        "load.max": [5, 6, 7, 8, 9],
        "objective.load_spread": [0.0, 0.05, 0.1, 0.2, 0.5],
    },
}
"""The grids of the sweep rows, by their number of policies, over the award policy."""


def _sweep(n_policies: int, executor: Literal["process", "dask"], workers: int = 2) -> Bench:
    # Every solve is proven (quality) and each sweep's objectives must equal the
    # one-worker sweep's (determinism); the speed-up is reported only.
    return Bench(
        f"sweep/award-120x80/{n_policies}-policies/{executor}-{workers}",
        "award",
        "award",
        Target(min_ratio=1.5),
        60.0,
        (120, 80),
        sweep=n_policies,
        executor=executor,
        executor_workers=workers,
    )


def _time_limit(n_c: int, n_r: int, limit: float, *, answer: bool) -> Bench:
    """The command line under a time limit: its wall time from process start to exit.

    Issue 20 (item 10): the limit covers every phase, reading and checking included, and
    the process ends within a second of it; with ``answer``, the limit suffices for an
    assignment that passes ``check``, with its bound.
    """
    target = Target(wall=limit + 1.0, answer=answer)
    name = f"timelimit-{n_c}x{n_r}-{limit:g}s"
    return Bench(name, "award", "award", target, limit, (n_c, n_r), command=True)


def _relation_graph(
    n_c: int, n_r: int, people: int, relations: int, distance: int, target: Target
) -> Bench:
    """A relation-conflict row: a large graph over an award problem's people (issue 20)."""
    graph = f"{relations // 1000}k-relations" if relations else f"chain-{people // 1000}k"
    return Bench(
        f"relations/award-{n_c}x{n_r}/{graph}/d={distance}",
        "award",
        f"neutral+relation_distance={distance}",
        target,
        60.0,
        (n_c, n_r),
        relations=(people, relations),
    )


def benchmarks(suite: Suite) -> list[Bench]:
    """The rows of a suite, in the order they run."""
    optimal = Target()
    if suite == "ci":
        return [
            _time_limit(1200, 700, 1.0, answer=False),
            _random("preflib1"),
            _award(120, 80, "award", optimal),
            _award(120, 80, "neutral", optimal),
            _award(300, 150, "award", Target(seconds=2.0, min_ratio=3.0, enforced=False), 60.0),
            *(_real(key) for key in _CI_DATASETS),
            _cycles(2),
            _fair("example", "award+floor=1.5", optimal),
            _sweep(12, "process"),
            _relation_graph(120, 80, 20_000, 50_000, 3, Target(seconds=2.0, conflicts=True)),
            *(_explain(family, keys=False) for family in EXPLAIN_FAMILIES),
            _explain("language", keys=True),
        ]
    half_percent = Target(gap=0.005, seconds=30.0)
    return [
        *(_award(120, 80, p, optimal) for p in ("award", "award+exclude", "neutral", "fairness")),
        _award(300, 150, "award", Target(seconds=2.0, min_ratio=3.0), 120.0),
        _award(300, 150, "award+exclude", optimal, 120.0),
        _award(300, 150, "neutral", optimal, 120.0),
        Bench(
            "award-300x150/award+board",
            "award",
            "award+board",
            # Issue 14: three attribute rules and 20 disjoint pairs, proven optimal, in at
            # most 1.5 times the plain award policy's time on the same problem.
            Target(min_ratio=1 / 1.5),
            120.0,
            (300, 150),
            board=True,
        ),
        _award(1000, 500, "award", half_percent),
        _award(1000, 500, "award+exclude", half_percent),
        _award(1000, 500, "neutral", optimal),
        # Issue 15: per rule family, the necessary checks name the key without a solver
        # (<= 2 s), and the key core with its priced changes (<= 15 s).
        *(_explain(family, keys) for family in EXPLAIN_FAMILIES for keys in (False, True)),
        Bench(
            "award-1000x500/award/repair-decline",
            "award",
            "award",
            # The repair of one decline is exact through its neighbourhood: proven, fast.
            Target(seconds=10.0),
            60.0,
            (1000, 500),
            repair=True,
        ),
        _award(
            10_000,
            10_000,
            "region+gender",
            Target(gap=0.01, seconds=300.0, memory_mb=12 * 1024),
            # The first incumbent comes after the LP (about 2 minutes) within 0.02 %; the
            # proof would take far longer. 240 s leaves room for the final bound.
            240.0,
        ),
        *(_real(key) for key in ALL),
        _cycles(2),
        _cycles(3),
        _bands(0.05),
        _bands(0.01),
        _fair("example", "fairness", optimal, 120.0),
        _fair("example", "award+floor=1.5", optimal),
        # Leximin rounds stop at 60 % of the time limit: FEASIBLE, reported only.
        _fair("example", "award+leximin", Target(enforced=False), 120.0),
        # Datasets README: every paper at the max-min optimum (0.9448) costs 0.06 %.
        _fair("midl", "max-sum+floor=0.9448", optimal, 120.0),
        _fair("preflib1", "max-sum+leximin", Target(enforced=False), 60.0),
        Bench(
            "cvpr2018-shape/max-sum",
            "cvpr2018",
            "max-sum",
            Target(min_ratio=1 / 1.5, memory_mb=3 * 1024),
            600.0,
            size=CVPR2018_SIZE,
        ),
        *(_random(key) for key in ("preflib1", "preflib2", "preflib3", "sigir_query")),
        _random_award(),
        _sweep(100, "process"),
        _sweep(100, "dask"),
        _time_limit(1200, 700, 1.0, answer=False),
        _time_limit(1200, 700, 15.0, answer=True),
        _time_limit(2000, 1000, 1.0, answer=False),
        # Issue 20: a million relations at distance 3, a 50,000-step path at any distance.
        *(
            _relation_graph(*size, Target(seconds=10.0, memory_mb=1024, conflicts=True))
            for size in ((2000, 1000, 200_000, 1_000_000, 3), (1000, 1000, 50_001, 0, 100_000))
        ),
    ]


def find(suite: Suite, name: str) -> Bench:
    """The row of ``suite`` called ``name``; ``KeyError`` if none."""
    for bench in benchmarks(suite):
        if bench.name == name:
            return bench
    raise KeyError(f"no benchmark {name!r} in the {suite} suite")


def policy_named(name: str) -> ra.Policy:
    """The benchmark policies by name (``max-sum`` comes from the matrix instance)."""
    award = ra.load_policy(AWARD_POLICY_FILE)
    data = award.model_dump()
    if name == "award":
        return award
    if name == "award+exclude":
        return ra.Policy.model_validate(
            {**data, "panel": {**data["panel"], "own_region": "exclude"}}
        )
    if name == "fairness":
        return ra.Policy.model_validate(
            {**data, "objective": {**data["objective"], "kind": "fairness"}}
        )
    if name == "neutral":
        return ra.Policy()
    if name.startswith("neutral+relation_distance="):
        return ra.Policy(conflicts={"relation_distance": int(name.partition("=")[2])})
    if name == "award+leximin":
        return ra.Policy.model_validate(
            {**data, "objective": {**data["objective"], "kind": "leximin"}}
        )
    if name.startswith("award+floor="):
        floor = float(name.partition("=")[2])
        return ra.Policy.model_validate(
            {**data, "expertise": {**data["expertise"], "min_panel_affinity": floor}}
        )
    if name.startswith("award+bands="):
        # Each region's and each disclosed gender's share of all seats within this of its
        # share of the reviewer pool.
        tolerance = float(name.partition("=")[2])
        return ra.Policy.model_validate(
            {
                **data,
                "representation": {"region_tolerance": tolerance, "gender_tolerance": tolerance},
            }
        )
    if name == "award+board":
        # Three [[panel.rules]] entries on the attributes of board_problem.
        rules = [
            {"name": "practice", "attribute": "sector", "values": "practice", "at_least": 1},
            {"name": "first-time", "attribute": "first_time", "values": "yes", "at_most": 1},
            {"name": "stages", "attribute": "career_stage", "min_distinct": 2},
        ]
        return ra.Policy.model_validate({**data, "panel": {**data["panel"], "rules": rules}})
    if name == "region+gender":
        # Issue 3's 10,000 x 10,000 target: 3 per case, at most 6 per reviewer, one seat
        # per region and both disclosed genders on every panel.
        return ra.Policy(
            panel_size=3,
            load=ra.LoadPolicy(max=6),
            panel=ra.PanelPolicy(max_per_region=1, min_genders=2),
        )
    raise KeyError(f"unknown benchmark policy {name!r}")


def cvpr2018_shape(seed: int = SEED) -> MatrixInstance:
    """The CVPR 2018 coverage and load vectors with seeded synthetic scores.

    The real affinities are not public in the shared folder; the scores here are drawn
    from Beta(2, 5) and rounded to 0.001, like a text-similarity score.
    """
    root = data_root()
    if root is None:
        raise FileNotFoundError(f"real data sets not found at {data_candidate()}")
    folder = root / "fairmatching_cvpr_meta" / "cvpr2018"
    covs = np.load(folder / "covs.npy")
    loads = np.load(folder / "loads.npy").astype(np.int64)
    if np.unique(covs).size != 1:
        raise ValueError("cvpr2018/covs.npy: papers need different numbers of reviewers")
    rng = np.random.default_rng(seed)
    scores = np.round(rng.beta(2.0, 5.0, size=(covs.size, loads.size)), 3)
    return MatrixInstance(
        name="cvpr2018_shape",
        scores=scores,
        conflicts=None,
        panel_size=int(covs[0]),
        max_load=loads,
        reference_max_sum=None,
        note=f"CVPR 2018 coverage and loads (iesl/fair-matching); scores Beta(2, 5), seed {seed}",
    )


def skip_reason(bench: Bench) -> str | None:
    """Why ``bench`` cannot run here, or None."""
    if bench.kind in ("matrix", "cvpr2018") and data_root() is None:
        return f"real data sets not found at {data_candidate()}; set {DATA_ENV}"
    return None


# --------------------------------------------------------------------------------------
# The bare min-cost-flow reference


@dataclass(frozen=True)
class FlowReference:
    """The max-sum optimum of a score matrix by a bare min-cost flow."""

    status: str
    objective: float | None
    seconds: float


def bare_min_cost_flow(
    scores: npt.ArrayLike,
    conflicts: npt.ArrayLike | None,
    panel_size: int | npt.ArrayLike,
    max_load: int | npt.ArrayLike,
) -> FlowReference:
    """Max-sum assignment of a ``cases x reviewers`` matrix as an OR-Tools min-cost flow.

    Source -> case (capacity ``panel_size``) -> reviewer (capacity 1, cost ``-score``
    in units of 1e-6, one arc per pair not in ``conflicts``) -> sink (capacity
    ``max_load``); the source supplies every seat. Written apart from the library's flow
    code on purpose: it is the reference the library is checked against. The objective
    is summed from the chosen pairs' float scores.

    Examples
    --------
    >>> ref = bare_min_cost_flow([[3.0, 1.0], [2.0, 2.0]], None, 1, 1)
    >>> ref.status, ref.objective
    ('optimal', 5.0)
    """
    from ortools.graph.python import min_cost_flow

    start = time.perf_counter()
    s = np.asarray(scores, dtype=np.float64)
    n_c, n_r = s.shape
    eligible = np.ones(s.shape, dtype=bool)
    if conflicts is not None:
        eligible &= ~np.asarray(conflicts, dtype=bool)
    k = np.broadcast_to(np.asarray(panel_size, dtype=np.int64), (n_c,))
    cap = np.broadcast_to(np.asarray(max_load, dtype=np.int64), (n_r,))
    case, reviewer = np.nonzero(eligible)
    source, sink = n_c + n_r, n_c + n_r + 1
    case_node = np.arange(n_c, dtype=np.int64)
    reviewer_node = n_c + np.arange(n_r, dtype=np.int64)
    tails = np.concatenate([np.full(n_c, source), case_node[case], reviewer_node])
    heads = np.concatenate([case_node, reviewer_node[reviewer], np.full(n_r, sink)])
    caps = np.concatenate([k, np.ones(case.size, dtype=np.int64), cap])
    gain = np.rint(s[case, reviewer] * 1e6).astype(np.int64)
    costs = np.concatenate([np.zeros(n_c, np.int64), -gain, np.zeros(n_r, np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    seats = int(k.sum())
    flow.set_nodes_supplies(np.array([source, sink]), np.array([seats, -seats]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        name = "infeasible" if status == flow.INFEASIBLE else f"error {status}"
        return FlowReference(name, None, time.perf_counter() - start)
    used = np.asarray(flow.flows(arcs[n_c : n_c + case.size])) > 0
    objective = float(s[case[used], reviewer[used]].sum())
    return FlowReference("optimal", objective, time.perf_counter() - start)


# --------------------------------------------------------------------------------------
# A row


@dataclass
class Row:
    """One benchmark's measurements, judgement and notes (a ``results.json`` row)."""

    name: str
    instance: str
    policy: str
    keys: tuple[str, ...] = ()
    """Explain rows: the keys the first reason (checks) or the key core named."""
    cases: int | None = None
    reviewers: int | None = None
    eligible_pairs: int | None = None
    candidate_pairs: int | None = None
    """Pairs the solver held, when it pruned the eligible pairs (``solve(candidates=...)``)."""
    method: str = ""
    """``flow`` or ``cpsat``, from the result's phases."""
    phases: list[str] = field(default_factory=list)
    status: str = ""
    """optimal, feasible, infeasible, no_solution; or skipped, error."""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    worst_case: float | None = None
    time_limit: float | None = None
    build_s: float | None = None
    """Making the Problem: the generator, or reading files and ``Problem.from_matrix``."""
    solve_s: float | None = None
    """``result.stats.wall_time``: the time judged and compared."""
    total_s: float | None = None
    """End to end: building the Problem and the whole ``ra.solve`` call."""
    peak_mb: float | None = None
    """Peak resident memory of the row's process after our solve, before the reference."""
    peak_mb_with_reference: float | None = None
    reference: str = ""
    reference_status: str = ""
    reference_objective: float | None = None
    reference_bound: float | None = None
    reference_worst_case: float | None = None
    reference_s: float | None = None
    reference_time_limit: float | None = None
    readme_optimum: float | None = None
    plain_objective: float | None = None
    """Rows with ``Bench.price``: the optimum without the priced rule."""
    price: float | None = None
    """``plain_objective - objective``: what the rule costs."""
    ratio: float | None = None
    """Reference time / our solve time (a lower bound when the reference did not finish)."""
    ratio_text: str = "-"
    target: str = ""
    time_to_target_s: float | None = None
    time_target_met: bool | None = None
    """Speed and memory targets: reported, never failing the run. None: no such target."""
    share: float | None = None
    """Randomised rows: expected objective / deterministic optimum."""
    draws_failed: int | None = None
    """Randomised rows: checked draws that ``ra.check`` rejected (must be 0)."""
    violations: int | None = None
    """Time-limit rows: what ``ra.check`` finds in the returned assignment (must be 0)."""
    conflicts_s: float | None = None
    """Relation rows: ``ra.conflicts`` alone, the time judged."""
    conflicts_mb: float | None = None
    """Relation rows: the memory ``ra.conflicts`` added at its peak to the built problem."""
    load_s: float | None = None
    """Relation rows: ``ra.load_problem`` of the problem written as CSV files."""
    quality_ok: bool = True
    passed: bool = True
    reason: str = ""
    note: str = ""


ROW_FIELDS = tuple(f.name for f in fields(Row))


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _peak_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, else KiB


def _status_mb(key: str) -> float | None:
    """``VmRSS`` or ``VmHWM`` (the peak) of this process in MB; None off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _phase_start() -> float | None:
    """Collect garbage, start a fresh peak (Linux: ``clear_refs``); the resident MB now."""
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM, the peak resident set, to the current one
    except OSError:
        return None
    return _status_mb("VmRSS")


def _phase_peak(start: float | None) -> float | None:
    """The MB a phase added at its peak to the resident memory at ``_phase_start``."""
    peak = _status_mb("VmHWM")
    return None if start is None or peak is None else max(0.0, peak - start)


def _method(phases: Sequence[str]) -> str:
    if "flow" in phases:
        return "flow"
    return "cpsat" if any(p.startswith("cpsat.") for p in phases) else ""


def _make_problem(bench: Bench) -> tuple[ra.Problem, ra.Policy, MatrixInstance | None, str]:
    """The problem, policy, matrix (for matrix rows) and a note on where the data are from."""
    if bench.kind == "award":
        from reviewassign._lab.synthetic import award_problem

        assert bench.size is not None
        problem = award_problem(*bench.size, seed=SEED)
        note = f"synthetic award, seed {SEED}: attributes and affinities are seeded"
        if bench.board:
            problem = board_problem(problem, BOARD_DISJOINT)
            note += (
                f"; board: sector, first_time and career_stage drawn (seed {SEED}), and "
                f"{BOARD_DISJOINT} disjoint pairs that sit together in the plain optimum"
            )
        return problem, policy_named(bench.policy), None, note
    if bench.kind == "example":
        note = f"the bundled example {EXAMPLE_DIR.name}, its award policy"
        return ra.load_problem(EXAMPLE_DIR), policy_named(bench.policy), None, note
    matrix = cvpr2018_shape() if bench.kind == "cvpr2018" else ALL[bench.dataset or ""]()
    if bench.policy.startswith("max-sum+forbid_cycles="):
        k = int(bench.policy.partition("=")[2])
        policy = matrix.policy().model_copy(
            update={"integrity": ra.IntegrityPolicy(forbid_cycles=k)}
        )
        note = matrix.note + "; each author is an applicant of their paper"
        return authors_as_applicants(matrix.problem()), policy, matrix, note
    if bench.policy.startswith("max-sum+floor="):
        floor = float(bench.policy.partition("=")[2])
        policy = matrix.policy().model_copy(
            update={"expertise": ra.ExpertisePolicy(min_panel_affinity=floor)}
        )
        return matrix.problem(), policy, matrix, matrix.note
    if bench.policy == "max-sum+leximin":
        policy = matrix.policy().model_copy(
            update={"objective": ra.ObjectivePolicy(kind="leximin")}
        )
        return matrix.problem(), policy, matrix, matrix.note
    return matrix.problem(), matrix.policy(), matrix, matrix.note


@dataclass(frozen=True)
class Family:
    """An infeasible instance of one rule family, made from the award problem and policy."""

    words: str
    make: Any  # (problem, policy) -> (problem, policy)


def _with_reviewers(problem: ra.Problem, reviewers: Sequence[ra.Reviewer]) -> ra.Problem:
    """``problem`` with other reviewers (same ids)."""
    data = problem.model_dump(exclude={"affinity"})
    data["reviewers"] = [r.model_dump() for r in reviewers]
    return ra.Problem.model_validate({**data, "affinity": problem.affinity})


def _with_cases(problem: ra.Problem, cases: Sequence[ra.Case]) -> ra.Problem:
    """``problem`` with other cases (same ids)."""
    data = problem.model_dump(exclude={"affinity"})
    data["cases"] = [c.model_dump() for c in cases]
    return ra.Problem.model_validate({**data, "affinity": problem.affinity})


def _rare_language(problem: ra.Problem, policy: ra.Policy) -> tuple[ra.Problem, ra.Policy]:
    """Three cases in ten in French, which 42 of the 150 reviewers read."""
    cases = [
        c.model_copy(update={"language": "fr"}) if i % 10 < 3 else c
        for i, c in enumerate(problem.cases)
    ]
    return _with_cases(problem, cases), policy


def _rare_topic(problem: ra.Problem, policy: ra.Policy) -> tuple[ra.Problem, ra.Policy]:
    """A topic on two cases in fifteen, which one reviewer in 25 covers."""
    cases = [
        c.model_copy(update={"topics": {**c.topics, "rare-topic": 1}}) if i % 15 < 2 else c
        for i, c in enumerate(problem.cases)
    ]
    reviewers = [
        r.model_copy(update={"expertise": {**r.expertise, "rare-topic": 3}}) if i % 25 == 0 else r
        for i, r in enumerate(problem.reviewers)
    ]
    return _with_reviewers(_with_cases(problem, cases), reviewers), policy


def _small_region(problem: ra.Problem, policy: ra.Policy) -> tuple[ra.Problem, ra.Policy]:
    """Five of the Arab States' 27 reviewers stay (the rest move to Europe), and each case
    needs a reviewer from its own region."""
    reviewers = [
        r.model_copy(update={"region": "Europe and North America"})
        if r.region == "Arab States" and i % 6 != 0
        else r
        for i, r in enumerate(problem.reviewers)
    ]
    policy = policy.with_settings({"panel.own_region": "at_least_one"})
    return _with_reviewers(problem, reviewers), policy


def _setting(key: str, value: object) -> Any:
    """A family made by one policy setting."""
    return lambda problem, policy: (problem, policy.with_settings({key: value}))


EXPLAIN_FAMILIES: dict[str, Family] = {
    "genders": Family(
        "max_per_gender = 1: 9 undisclosed reviewers", _setting("panel.max_per_gender", 1)
    ),
    "seniors": Family("min_senior = 2: 51 seniors", _setting("panel.min_senior", 2)),
    "language": Family("90 cases in French, 42 readers", _rare_language),
    "topic": Family("coverage all; a topic on 40 cases, 6 experts", _rare_topic),
    "loads": Family("load.max = 5: 750 of 900 seats", _setting("load.max", 5)),
    "own-region": Family(
        "own_region = at_least_one; 5 reviewers from the Arab States' 33 cases", _small_region
    ),
}
"""Issue 15's infeasible instances, one per rule family, on the 300 x 150 award."""

_FAMILY_KEYS = {
    "genders": ("panel.max_per_gender",),
    "seniors": ("panel.min_senior",),
    "language": ("panel.language",),
    "topic": ("expertise.coverage",),
    "loads": ("load.max",),
    "own-region": ("panel.own_region",),
}
"""The key each family's first reason must name (its key core adds ``load.max``)."""


def _explain(family: str, keys: bool) -> Bench:
    """An explain row of a family: the checks (2 s) or the key core and changes (15 s)."""
    named = _FAMILY_KEYS[family]
    core = tuple(sorted({"load.max", *named}))
    target = (
        Target(seconds=15.0, infeasible=True, keys=core)
        if keys
        else Target(seconds=2.0, infeasible=True, keys=named)
    )
    return Bench(
        f"explain/award-300x150/{family}/{'keys' if keys else 'checks'}",
        "award",
        "award",
        target,
        60.0,
        (300, 150),
        explain=True,
        family=family,
        keys_core=keys,
    )


BOARD_DISJOINT = 20
"""Disjoint reviewer pairs of a board row."""


def board_problem(problem: ra.Problem, n_disjoint: int) -> ra.Problem:
    """``problem`` with the reviewer attributes of ``award+board`` and disjoint pairs.

    Each reviewer draws (seeded) ``sector`` (practice with probability 0.4, else academia),
    ``first_time`` (yes with probability 0.15) and ``career_stage`` (early, mid or late).
    The disjoint pairs are ``n_disjoint`` pairs of reviewers who sit on one panel of the
    plain award optimum (solved here, untimed), so that each of them binds.
    """
    rng = random.Random(SEED)
    reviewers = [
        r.model_copy(
            update={
                "attributes": {
                    "sector": "practice" if rng.random() < 0.4 else "academia",
                    "first_time": "yes" if rng.random() < 0.15 else "no",
                    "career_stage": rng.choice(("early", "mid", "late")),
                }
            }
        )
        for r in problem.reviewers
    ]
    plain = ra.solve(problem, policy_named("award"), seed=0, workers=1)
    together = sorted({(p[0], p[1]) for p in plain.assignment.values() if len(p) > 1})
    pairs = rng.sample(together, min(n_disjoint, len(together)))
    disjoint = [ra.Disjoint(a=a, b=b, reason="benchmark") for a, b in sorted(pairs)]
    return ra.Problem.model_validate(
        {
            **problem.model_dump(exclude={"affinity"}),
            "reviewers": [r.model_dump() for r in reviewers],
            "affinity": problem.affinity,
            "disjoint": [d.model_dump() for d in disjoint],
        }
    )


def authors_as_applicants(problem: ra.Problem) -> ra.Problem:
    """The problem with each declared conflict's reviewer an applicant of its case.

    In the malicious-bidding set the declared conflicts are exactly the authorships.
    """
    authors: dict[str, list[str]] = {}
    for conflict in problem.conflicts:
        authors.setdefault(conflict.case, []).append(conflict.reviewer)
    cases = [
        c.model_copy(update={"applicants": tuple(authors.get(c.id, ()))}) for c in problem.cases
    ]
    return ra.Problem(
        cases=cases,
        reviewers=problem.reviewers,
        conflicts=problem.conflicts,
        relations=problem.relations,
        affinity=problem.affinity,
    )


def _without_rule(policy: ra.Policy, rule: str) -> ra.Policy:
    """``policy`` without the rule a row prices (``Bench.price``)."""
    if rule == "cycles":
        return policy.model_copy(update={"integrity": ra.IntegrityPolicy()})
    if rule == "fairness":
        return policy.model_copy(
            update={
                "objective": policy.objective.model_copy(
                    update={"kind": "affinity", "priorities": ()}
                ),
                "expertise": policy.expertise.model_copy(update={"min_panel_affinity": 0.0}),
            }
        )
    return policy.model_copy(update={"representation": ra.RepresentationPolicy()})


def _measure_price(bench: Bench, row: Row, problem: ra.Problem, policy: ra.Policy) -> None:
    """Solve without the row's rule (untimed): the price and what the rule forbids there."""
    assert bench.price is not None
    plain = ra.solve(problem, _without_rule(policy, bench.price), seed=0, workers=1)
    if plain.objective is None or plain.metrics is None:
        row.note += f"; without the rule: {plain.status.value}"
        return
    row.plain_objective = plain.objective
    if row.objective is not None:
        row.price = plain.objective - row.objective
    broken = [v for v in ra.check(problem, policy, plain.assignment)]
    cycles = plain.metrics.review_cycles
    row.note += (
        f"; without the rule: {plain.status.value}, objective {plain.objective:.4f}, "
        f"{cycles['2']} review cycle(s) of length 2 and {cycles['3']} of length 3, "
        f"{len(broken)} violation(s) of this policy"
    )
    if row.price is not None:
        row.note += (
            f"; price of the rule {row.price:.4f} "
            f"({100 * row.price / max(abs(plain.objective), 1e-9):.2f} %)"
        )


def _flow_on_instance(problem: ra.Problem, policy: ra.Policy) -> FlowReference:
    """The bare flow on the eligible pairs the library derives (rules acting on pairs only)."""
    from reviewassign._reduce.eligible import build_instance

    inst = build_instance(problem, policy)
    if np.any(inst.min_load > 0):
        raise ValueError("the bare flow reference handles no minimum loads")
    scores = np.zeros((inst.n_cases, inst.n_reviewers))
    blocked = np.ones(scores.shape, dtype=bool)
    scores[inst.pair_case, inst.pair_reviewer] = inst.pair_affinity
    blocked[inst.pair_case, inst.pair_reviewer] = False
    return bare_min_cost_flow(scores, blocked, inst.panel_size, inst.max_load)


@dataclass
class _Highs:
    status: str
    objective: float | None
    bound: float | None
    worst: float | None
    seconds: float


_HIGHS_STATUS = {
    "OPTIMAL": "optimal",
    "FEASIBLE": "feasible",
    "NO_SOLUTION_FOUND": "no_solution",
    "INFEASIBLE": "infeasible",
}


def highs_reference(problem: ra.Problem, policy: ra.Policy, time_limit: float) -> _Highs:
    """HiGHS MIP on the library's CP-SAT model (read back by ``mathopt_from``).

    Exact optimality (absolute gap below one solver unit, no relative gap). Under the
    fairness objective: the worst panel first, then the total with the worst fixed.
    The time is that of the HiGHS solves only (not of building the model).
    """
    from datetime import timedelta

    from ortools.math_opt.python import mathopt

    from reviewassign._backends.cpsat.model import _worst_case, build_model
    from reviewassign._backends.lp import mathopt_from
    from reviewassign._backends.solvers import SCALE
    from reviewassign._pipeline.exact import _candidate_count
    from reviewassign._reduce.eligible import build_instance

    # The model the library solves: on huge instances, that of the same candidates.
    inst = build_instance(problem, policy, candidates=_candidate_count("auto", problem, policy))
    built = build_model(inst, policy)
    spent = 0.0

    def run(objective: Any) -> Any:
        nonlocal spent
        built.model.maximize(objective)
        model = mathopt_from(built, integer=True)
        params = mathopt.SolveParameters(
            time_limit=timedelta(seconds=max(0.0, time_limit - spent)),
            relative_gap_tolerance=0.0,
            absolute_gap_tolerance=0.5,  # solver units are integers: below 1 is exact
        )
        t0 = time.perf_counter()
        result = mathopt.solve(model, mathopt.SolverType.HIGHS, params=params)
        spent += time.perf_counter() - t0
        return model, result

    def status_of(result: Any) -> str:
        reason = str(result.termination.reason.name)
        return _HIGHS_STATUS.get(reason, reason.lower())

    worst: float | None = None
    if {"worst_case", "leximin"} & set(policy.objective.levels):
        # Leximin's first level is the max-min: the reference checks that level.
        if built.worst is None:
            built.worst = _worst_case(built.model, inst, built.x)
        _, first = run(built.worst)
        if status_of(first) != "optimal":
            status = status_of(first)
            return _Highs(f"{status} (max-min stage)", None, None, None, spent)
        best_worst = round(first.objective_value())
        worst = best_worst / SCALE
        built.model.add(built.worst >= best_worst)
    model, result = run(built.objective)
    status = status_of(result)
    bound = _finite(result.termination.objective_bounds.dual_bound / SCALE)
    objective: float | None = None
    if status in ("optimal", "feasible"):
        objective = float(result.objective_value()) / SCALE
        if policy.objective.load_spread == 0:
            # The pair variables come first (variable index = pair): the float total of the
            # chosen pairs, free of the solver's rounding of affinities.
            values = result.variable_values(list(model.variables())[: inst.n_pairs])
            chosen = np.asarray(values, dtype=np.float64) > 0.5
            objective = float(inst.pair_affinity[chosen].sum())
            if worst is not None:
                panels = np.bincount(
                    inst.pair_case[chosen],
                    weights=inst.pair_affinity[chosen],
                    minlength=inst.n_cases,
                )
                worst = float(panels.min())
    return _Highs(status, objective, bound, worst, spent)


def run_row(
    bench: Bench,
    *,
    time_limit: float | None = None,
    ref_time_limit: float = DEFAULT_REF_TIME_LIMIT,
) -> Row:
    """Measure one row in this process (``run_isolated`` runs it in a fresh one).

    ``time_limit`` overrides the row's own solve time limit.
    """
    limit = bench.time_limit if time_limit is None else time_limit
    row = Row(
        name=bench.name,
        instance=bench.instance,
        policy=bench.policy,
        time_limit=limit,
        target=bench.target.text(),
    )
    if bench.size is not None:
        row.cases, row.reviewers = bench.size
    reason = skip_reason(bench)
    if reason is not None:
        row.status, row.reason = "skipped", reason
        return judge(row, bench.target)
    try:
        _measure(bench, row, limit, ref_time_limit)
    except Exception as exc:  # a crash is a row of the table, not the end of the run
        row.status = "error"
        row.reason = f"{type(exc).__name__}: {exc}"
        row.note = (row.note + " " + traceback.format_exc(limit=-3)).strip()
    return judge(row, bench.target)


def _measure_repair(bench: Bench, row: Row, limit: float | None) -> None:
    """Solve (within the row's time limit, untimed), decline one pair, time the repair.

    The declined pair is the first seat of the 18th case in id order; the repair's own
    time limit is the row's. No reference: the repair's status says whether it is proven.
    """
    problem, policy, _, row.note = _make_problem(bench)
    t0 = time.perf_counter()
    solved = ra.solve(problem, policy, time_limit=limit, seed=0, workers=1)
    setup_s = time.perf_counter() - t0
    if not solved.ok:
        row.status = solved.status.value
        row.note += f"; the solve before the repair found no assignment ({solved.status.value})"
        return
    case = sorted(solved.assignment)[17]
    declined = solved.assignment[case][0]
    t1 = time.perf_counter()
    fixed = ra.repair(
        problem,
        policy,
        solved.assignment,
        [ra.Event.decline(case, declined)],
        time_limit=limit,
        seed=0,
        workers=1,
    )
    row.total_s = time.perf_counter() - t1
    row.peak_mb = _peak_mb()
    stats = fixed.result.stats
    row.cases, row.reviewers = stats.cases, stats.reviewers
    row.eligible_pairs = stats.eligible_pairs
    row.phases = [p.name for p in stats.phases]
    row.method = "cpsat"
    row.status = fixed.status.value
    row.objective, row.bound, row.gap = fixed.objective, fixed.result.bound, fixed.result.gap
    row.solve_s = stats.wall_time
    if fixed.status is ra.Status.OPTIMAL:
        row.time_to_target_s = stats.wall_time
    row.note += (
        f"; repair of the decline ({case}, {declined}): {fixed.changes} changed pairs "
        f"({str(fixed).splitlines()[0] if fixed.changes else 'none'}); the solve before it "
        f"({solved.status.value}, objective {solved.objective:.4f}) took {setup_s:.1f} s"
    )
    if stats.notes:
        row.note += "; " + " ".join(stats.notes)


def _measure_explain(bench: Bench, row: Row, limit: float | None) -> None:
    """Time ``ra.explain`` on an infeasible policy; the reasons and changes go in the note.

    Without ``keys_core``, the necessary checks alone (``core=False``): the keys of the
    first reason are the row's. With it, ``explain`` as it runs by default: the key core's.
    """
    problem, policy, _, row.note = _make_problem(bench)
    if bench.family is not None:
        family = EXPLAIN_FAMILIES[bench.family]
        problem, policy = family.make(problem, policy)
        row.note += f"; {family.words}"
    core: bool | Literal["auto"] = "auto" if bench.keys_core else False
    t0 = time.perf_counter()
    why = ra.explain(problem, policy, core=core, time_limit=limit, seed=0)
    row.total_s = row.solve_s = time.perf_counter() - t0
    row.time_to_target_s = row.total_s if why.infeasible else None
    row.peak_mb = _peak_mb()
    row.cases, row.reviewers = len(problem.cases), len(problem.reviewers)
    row.method = "explain" + (" (keys)" if bench.keys_core else " (checks)")
    row.status = "infeasible" if why.infeasible else why.status
    first = why.reasons[0] if why.reasons else None
    row.keys = why.keys if bench.keys_core else (first.keys if first is not None else ())
    row.note += f"; explain: {len(why.reasons)} failing check(s)" + (
        f"; first: {first}" if first is not None else ""
    )
    if bench.keys_core:
        proven = "proven minimal" if why.keys_irreducible else "not proven minimal"
        row.note += f"; keys {', '.join(why.keys)} ({proven}); changes: " + "; ".join(
            str(r) for r in why.relaxations if r.scope == "policy"
        )


def _measure_random(bench: Bench, row: Row, limit: float | None) -> None:
    """Time ``ra.randomize`` at the row's cap and 1,000 draws; check 200 of them.

    The reference is the deterministic optimum (``Lottery.optimum``, from ``ra.solve``);
    the objective is the lottery's expected objective, the bound its LP bound.
    """
    assert bench.random is not None
    t0 = time.perf_counter()
    problem, base, _, row.note = _make_problem(bench)
    policy = ra.Policy.model_validate(
        {**base.model_dump(), "random": {"max_probability": bench.random}}
    )
    row.build_s = time.perf_counter() - t0
    lottery = ra.randomize(problem, policy, time_limit=limit, seed=0, workers=1)
    t1 = time.perf_counter()
    draws = list(lottery.samples(RANDOM_DRAWS, seed=0))
    draw_s = time.perf_counter() - t1
    row.total_s = row.build_s + lottery.seconds + draw_s
    row.peak_mb = row.peak_mb_with_reference = _peak_mb()
    row.draws_failed = sum(1 for a in draws[:RANDOM_CHECKED] if ra.check(problem, policy, a))
    counts: dict[tuple[str, str], int] = {}
    for a in draws:
        for pair in a.pairs():
            counts[pair] = counts.get(pair, 0) + 1
    q = bench.random
    worst = max(
        (
            abs(counts.get(pair, 0) / RANDOM_DRAWS - p)
            / max(math.sqrt(p * (1 - p) / RANDOM_DRAWS), 1e-12)
            for pair, p in lottery.marginals.items()
        ),
        default=0.0,
    )
    stray = sum(1 for pair in counts if pair not in lottery.marginals)
    stats = lottery.sample(0).stats
    row.cases, row.reviewers = stats.cases, stats.reviewers
    row.eligible_pairs = stats.eligible_pairs
    row.method = f"random/{lottery.method}"
    row.phases = ["randomize", "samples"]
    row.status = lottery.status.value
    row.objective, row.bound, row.gap = lottery.expected_objective, lottery.bound, lottery.gap
    row.solve_s = lottery.seconds
    row.share = lottery.share
    row.reference = "deterministic optimum"
    row.reference_status = lottery.optimum_status.value
    row.reference_objective = lottery.optimum
    if lottery.status is ra.Status.OPTIMAL or lottery.gap <= bench.target.gap:
        row.time_to_target_s = lottery.seconds
    row.note += (
        f"; q = {q:g}: expected objective {lottery.expected_objective:.4f} of the optimum "
        f"{lottery.optimum:.4f} (share {100 * lottery.share:.2f} %), bound {lottery.bound:.4f}, "
        f"largest marginal {lottery.max_marginal:.6f}; {RANDOM_DRAWS} draws in {draw_s:.2f} s, "
        f"the worst pair's frequency {worst:.2f} standard errors from its marginal, "
        f"{stray} pairs of probability 0 drawn; {RANDOM_CHECKED} draws checked, "
        f"{row.draws_failed} failed"
    )
    if stray or worst > 5.0 or lottery.max_marginal > q + 1e-9:
        row.draws_failed = (row.draws_failed or 0) + 1
        row.note += "; THE DRAWS DO NOT MATCH THE MARGINALS OR THE CAP"
    if lottery.notes:
        row.note += "; " + " ".join(lottery.notes)


def sweep_policies(base: ra.Policy, n_policies: int) -> dict[str, ra.Policy]:
    """The named policies of a sweep row: :data:`SWEEP_AXES` over ``base``."""
    return ra.grid(base, SWEEP_AXES[n_policies])


def _timed_sweep(
    problem: ra.Problem,
    policies: dict[str, ra.Policy],
    executor: Literal["process", "dask"],
    workers: int,
    limit: float | None,
) -> tuple[ra.SweepResult, float, str]:
    """A sweep on a fresh executor: the result, its wall time, and a note.

    Process pools are timed from their creation (their workers start on the first
    tasks, as a user's would); a Dask cluster is started first, untimed, and its start
    is reported in the note.
    """
    from concurrent.futures import ProcessPoolExecutor

    if executor == "process":
        t0 = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            swept = ra.sweep(problem, policies, executor=pool, time_limit=limit, progress=False)
        return swept, time.perf_counter() - t0, f"process pool of {workers}"
    import importlib
    import logging

    # Untyped: bound to Any rather than silencing mypy on every call.
    distributed: Any = importlib.import_module("distributed")
    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    started = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        swept = ra.sweep(
            problem, policies, executor=client.get_executor(), time_limit=limit, progress=False
        )
        seconds = time.perf_counter() - t1
    finally:
        client.close()
        cluster.close()
    return swept, seconds, f"Dask LocalCluster of {workers} (started in {started:.1f} s, untimed)"


def _sweep_totals(swept: ra.SweepResult) -> tuple[str, float | None, float | None, str]:
    """Status (optimal if every solve is), summed objective and bound, and failures."""
    results = [t.result for t in swept if t.result is not None]
    failed = "; ".join(f"{t.name}: {t.error}" for t in swept.failed[:3])
    if swept.failed:
        return "error", None, None, f"{len(swept.failed)} task(s) failed: {failed}"
    statuses = {r.status for r in results}
    status = "optimal" if statuses == {ra.Status.OPTIMAL} else "feasible"
    if statuses - {ra.Status.OPTIMAL, ra.Status.FEASIBLE}:
        status = "no_solution"
    objective = sum(r.objective for r in results if r.objective is not None)
    bound = sum(r.bound for r in results if r.bound is not None)
    return status, objective, bound, ""


def _measure_sweep(bench: Bench, row: Row, limit: float | None) -> None:
    """Time ``ra.sweep`` of the row's grid; the same sweep on one worker is the reference.

    The objective is the sum of every policy's optimum: it must equal the reference's
    (the same assignments on any executor). The ratio is the speed-up over one worker.
    """
    assert bench.sweep is not None
    t0 = time.perf_counter()
    problem, base, _, row.note = _make_problem(bench)
    policies = sweep_policies(base, bench.sweep)
    row.build_s = time.perf_counter() - t0
    row.cases, row.reviewers = len(problem.cases), len(problem.reviewers)
    load_before = os.getloadavg()[0]
    swept, seconds, how = _timed_sweep(
        problem, policies, bench.executor, bench.executor_workers, limit
    )
    row.peak_mb = _peak_mb()
    row.method = f"sweep/{bench.executor} x{bench.executor_workers}"
    row.phases = ["sweep"]
    row.status, row.objective, row.bound, failures = _sweep_totals(swept)
    if failures:
        row.reason = failures
    if row.objective is not None and row.bound is not None:
        row.gap = (row.bound - row.objective) / max(abs(row.objective), 1e-9)
    row.solve_s = seconds
    row.total_s = row.build_s + seconds
    if row.status == "optimal":
        row.time_to_target_s = seconds
    ref, ref_s, ref_how = _timed_sweep(problem, policies, "process", 1, limit)
    row.peak_mb_with_reference = _peak_mb()
    row.reference = "the same sweep, process pool of 1"
    row.reference_status, row.reference_objective, row.reference_bound, ref_failures = (
        _sweep_totals(ref)
    )
    row.reference_s = ref_s
    same = sum(
        1
        for a, b in zip(swept, ref, strict=True)
        if a.result is not None
        and b.result is not None
        and a.result.assignment == b.result.assignment
    )
    if same != len(policies) and not failures:
        row.status = "error"
        row.reason = f"{len(policies) - same} policies' assignments differ from the reference"
    row.ratio = ref_s / seconds if seconds > 0 else None
    row.ratio_text = "-" if row.ratio is None else f"{row.ratio:.2f}"
    solve_sum = sum(t.seconds for t in swept)
    axes = ", ".join(SWEEP_AXES[bench.sweep])
    row.note += (
        f"; {len(policies)} policies of the award policy's grid ({axes}),"
        f" seed 0, one CP-SAT worker a solve, on a {how}: {seconds:.2f} s wall"
        f" ({solve_sum:.2f} s of tasks, {solve_sum / max(seconds, 1e-9):.2f} busy workers);"
        f" on a {ref_how}: {ref_s:.2f} s; speed-up {row.ratio_text}x; {same} of"
        f" {len(policies)} assignments identical to the reference's; peak MB is this"
        " process's (the workers are not counted)"
    )
    # Other work on the machine slows the parallel sweep most: say how busy it was.
    row.note += f"; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    if ref_failures:
        row.note += f"; reference: {ref_failures}"


_EXIT_STATUS = {3: "infeasible", 4: "no_solution"}


def _measure_command(bench: Bench, row: Row, limit: float | None) -> None:
    """Time ``reviewassign solve --time-limit`` in a fresh process; check what it wrote.

    The wall time runs from before the process is started to its exit: starting Python
    and importing the library count, as for a user. Peak memory is the child's.
    """
    import tempfile

    problem, policy, _, row.note = _make_problem(bench)
    row.cases, row.reviewers = len(problem.cases), len(problem.reviewers)
    row.method = "command line"
    with tempfile.TemporaryDirectory() as tmp:
        folder, policy_file, out = (
            Path(tmp) / "problem",
            Path(tmp) / "policy.json",
            Path(tmp) / "r.json",
        )
        ra.save_problem(problem, folder)
        policy_file.write_text(policy.model_dump_json())
        cmd = [sys.executable, "-m", "reviewassign", "solve", str(folder)]
        cmd += ["--policy", str(policy_file), "--out", str(out)]
        if limit is not None:
            cmd += ["--time-limit", f"{limit:g}"]
        # The child runs the library this process imported.
        path = os.pathsep.join([str(Path(ra.__file__).parents[1]), *sys.path])
        t0 = time.perf_counter()
        done = subprocess.run(
            cmd, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": path}
        )
        row.total_s = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        row.peak_mb = rss / 2**20 if sys.platform == "darwin" else rss / 1024
        row.note += "; " + " ".join(
            line.strip() for line in done.stderr.splitlines() if line.startswith(("time ", "note "))
        )
        if done.returncode != 0:
            row.status = _EXIT_STATUS.get(done.returncode, "error")
            if row.status == "error":
                row.reason = f"exit {done.returncode}: " + " | ".join(done.stderr.splitlines()[-3:])
            return
        data = json.loads(out.read_text())
        row.violations = len(ra.check(problem, policy, ra.load_assignment(out)))
    stats = data["stats"]
    row.status = data["status"]
    row.objective, row.bound, row.gap = data["objective"], data["bound"], data["gap"]
    row.solve_s = stats["wall_time"]
    row.eligible_pairs = stats["eligible_pairs"]
    if stats["candidate_pairs"] < stats["eligible_pairs"]:
        row.candidate_pairs = stats["candidate_pairs"]
    row.phases = [p["name"] for p in stats["phases"]]
    row.method = "command line: " + stats["method"]


def _measure_relations(bench: Bench, row: Row, limit: float | None) -> None:
    """Time ``ra.conflicts`` alone on a large relation graph, with its own peak memory.

    Then, reported: ``ra.load_problem`` of the problem written as CSV files, and
    ``ra.solve`` (its status is the row's; its prepare phase holds the conflicts, its
    check phase the independent relation check).
    """
    import tempfile

    from reviewassign._lab.synthetic import relation_graph_problem

    assert bench.size is not None and bench.relations is not None
    people, relations = bench.relations
    t0 = time.perf_counter()
    problem = relation_graph_problem(
        *bench.size, people, relations, seed=SEED, chain=relations == 0
    )
    row.build_s = time.perf_counter() - t0
    policy = policy_named(bench.policy)
    start = _phase_start()
    t1 = time.perf_counter()
    pairs = ra.conflicts(problem, policy)
    row.conflicts_s = time.perf_counter() - t1
    row.conflicts_mb = _phase_peak(start)
    related = sum(1 for p in pairs if "relation" in p.reasons)
    n_pairs = len(pairs)
    del pairs
    t2 = time.perf_counter()
    result = ra.solve(problem, policy, time_limit=limit, seed=0, workers=1)
    row.total_s = row.build_s + (time.perf_counter() - t2)
    row.peak_mb = _peak_mb()
    stats = result.stats
    row.cases, row.reviewers = stats.cases, stats.reviewers
    row.eligible_pairs = stats.eligible_pairs
    row.phases = [p.name for p in stats.phases]
    row.method = _method(row.phases)
    row.status = result.status.value
    row.objective, row.bound, row.gap = result.objective, result.bound, result.gap
    row.solve_s = stats.wall_time
    with tempfile.TemporaryDirectory() as tmp:
        ra.save_problem(problem, Path(tmp) / "problem")
        t3 = time.perf_counter()
        ra.load_problem(Path(tmp) / "problem")
        row.load_s = time.perf_counter() - t3
    seconds = {p.name: p.seconds for p in stats.phases}
    graph = f"{len(problem.relations):,} relations" if relations else "a path of every applicant"
    row.note = (
        f"synthetic award, seed {SEED}, with {people:,} people and {graph}"
        f" (relation_graph_problem); ra.conflicts: {row.conflicts_s:.2f} s,"
        f" {_num(row.conflicts_mb, 0)} MB over the problem, {n_pairs:,} pairs ({related:,} by"
        f" relation); ra.solve: prepare {seconds.get('prepare', math.nan):.2f} s, check"
        f" {seconds.get('check', math.nan):.2f} s; load_problem of the CSV files: "
        f"{row.load_s:.2f} s"
    )


def _measure_plain(row: Row, problem: ra.Problem, limit: float | None) -> None:
    """A board row's reference: the plain award policy on the problem without its disjoint
    pairs (its attributes are read by no rule of it), timed.

    Its optimum bounds the board's (the board only adds rules), and its time is the speed
    reference (the issue's target: the board's at most 1.5 times it).
    """
    without = problem.model_copy(update={"disjoint": ()})
    plain = ra.solve(without, policy_named("award"), time_limit=limit, seed=0, workers=1)
    row.reference = "plain award policy (same cases and reviewers, same run)"
    row.reference_status = plain.status.value
    row.reference_s = plain.stats.wall_time
    if plain.status is ra.Status.OPTIMAL:
        row.reference_bound = plain.objective
    row.note += (
        f"; plain award policy: {plain.status.value} {plain.objective:.4f} in "
        f"{plain.stats.wall_time:.2f} s; the board's time is "
        f"{(row.solve_s or 0) / max(plain.stats.wall_time, 1e-9):.2f}x it"
    )


def _measure(bench: Bench, row: Row, limit: float | None, ref_time_limit: float) -> None:
    if bench.command:
        _measure_command(bench, row, limit)
        return
    if bench.relations is not None:
        _measure_relations(bench, row, limit)
        return
    if bench.sweep is not None:
        _measure_sweep(bench, row, limit)
        return
    if bench.random is not None:
        _measure_random(bench, row, limit)
        return
    if bench.explain:
        _measure_explain(bench, row, limit)
        return
    if bench.repair:
        _measure_repair(bench, row, limit)
        return
    import reviewassign._backends.solvers  # noqa: F401 - ortools is loaded by the first solve anyway

    t0 = time.perf_counter()
    problem, policy, matrix, row.note = _make_problem(bench)
    row.build_s = time.perf_counter() - t0
    target_gap = bench.target.gap
    reached: list[float] = []

    def progress(p: ra.Progress) -> None:
        if not reached and p.phase != "worst_case" and p.gap <= target_gap:
            reached.append(time.perf_counter() - t1)

    t1 = time.perf_counter()
    result = ra.solve(problem, policy, time_limit=limit, seed=0, workers=1, progress=progress)
    row.total_s = row.build_s + (time.perf_counter() - t1)
    row.peak_mb = _peak_mb()

    stats = result.stats
    row.cases, row.reviewers = stats.cases, stats.reviewers
    row.eligible_pairs = stats.eligible_pairs
    if stats.candidate_pairs < stats.eligible_pairs:
        row.candidate_pairs = stats.candidate_pairs
    row.phases = [p.name for p in stats.phases]
    row.method = _method(row.phases)
    row.status = result.status.value
    row.objective, row.bound, row.gap = result.objective, result.bound, result.gap
    row.worst_case = stats.worst_case
    row.solve_s = stats.wall_time
    if result.status is ra.Status.OPTIMAL or (result.gap is not None and result.gap <= target_gap):
        row.time_to_target_s = min([stats.wall_time, *reached])
    if stats.notes:
        row.note += "; " + " ".join(stats.notes)

    if bench.price is not None:
        _measure_price(bench, row, problem, policy)
    if matrix is not None and bench.policy == "max-sum":
        row.readme_optimum = matrix.reference_max_sum
        flow = bare_min_cost_flow(
            matrix.scores, matrix.conflicts, matrix.panel_size, matrix.max_load
        )
        row.reference = "min-cost flow"
        row.reference_status, row.reference_objective = flow.status, flow.objective
        row.reference_bound, row.reference_s = flow.objective, flow.seconds
    elif bench.board:
        _measure_plain(row, problem, limit)
    elif bench.policy == "neutral":
        flow = _flow_on_instance(problem, policy)
        row.reference = "min-cost flow"
        row.reference_status, row.reference_objective = flow.status, flow.objective
        row.reference_bound, row.reference_s = flow.objective, flow.seconds
    else:
        ref = highs_reference(problem, policy, ref_time_limit)
        row.reference = "HiGHS MIP"
        if row.candidate_pairs is not None:
            row.reference += " (same candidates)"
        if policy.objective.kind == "fairness":
            row.reference += " (max-min, then total)"
        if policy.objective.kind == "leximin":
            # Leximin holds more than the max-min: the reference's total only bounds ours.
            row.reference += " (max-min, then total: leximin's first level)"
            if ref.objective is not None:
                row.note += f"; {row.reference}: total {ref.objective:.4f}"
            ref = replace(ref, objective=None)
        row.reference_time_limit = ref_time_limit
        row.reference_status, row.reference_objective = ref.status, ref.objective
        row.reference_bound, row.reference_worst_case = ref.bound, ref.worst
        row.reference_s = ref.seconds
    row.peak_mb_with_reference = _peak_mb()

    if row.reference_s is not None and row.solve_s and result.status is ra.Status.OPTIMAL:
        row.ratio = row.reference_s / row.solve_s
        finished = row.reference_status in ("optimal", "infeasible")
        row.ratio_text = f"{row.ratio:.2f}" if finished else f">= {row.ratio:.2f}"


# --------------------------------------------------------------------------------------
# Judging a row


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol


def _rel(value: float) -> float:
    return REL_TOL * max(1.0, abs(value))


def judge(row: Row, target: Target) -> Row:
    """Set ``quality_ok``, ``passed``, ``time_target_met`` and ``reason`` of ``row``.

    Always failing: a crash, INFEASIBLE (every instance here is feasible), an objective
    that differs from a proven reference optimum (README, flow, HiGHS) by more than the
    tolerance, an objective above or a bound below a proven optimum, a reference's
    solution above our proven optimum. Failing when the target is enforced: no assignment
    in the time limit, a status other than OPTIMAL where the target is a proof, a gap
    above the target gap. Speed and memory set ``time_target_met`` only.
    """
    if row.status == "skipped":
        row.quality_ok = row.passed = True
        row.time_target_met = None
        return row
    if target.share is not None:
        return _judge_random(row, target)
    if target.wall is not None:
        return _judge_time_limit(row, target)
    wrong: list[str] = []  # always fails
    short: list[str] = []  # misses the target: fails when enforced
    if row.status == "error":
        wrong.append("the row crashed: " + row.reason)
    elif target.infeasible:
        if row.status != "infeasible":
            wrong.append(f"not proven infeasible (status {row.status})")
        elif not set(target.keys) <= set(row.keys):
            wrong.append(f"names {', '.join(row.keys) or 'no key'}, not {', '.join(target.keys)}")
    elif row.status == "infeasible":  # every other benchmark instance is feasible
        wrong.append("reported infeasible")
    elif row.status != "optimal" and row.status != "feasible":
        short.append(f"no assignment (status {row.status})")
    obj = row.objective
    proven: list[tuple[str, float, float]] = []
    if row.readme_optimum is not None:
        proven.append(("the README optimum", row.readme_optimum, README_TOL))
    if row.reference_status == "optimal" and row.reference_objective is not None:
        proven.append((row.reference, row.reference_objective, _rel(row.reference_objective)))
    if obj is not None:
        for name, value, tol in proven:
            if row.status == "optimal" and not _close(obj, value, tol):
                wrong.append(f"optimum {obj:.6f} differs from {name} {value:.6f}")
            elif obj > value + tol:
                wrong.append(f"objective {obj:.6f} above {name} {value:.6f}")
            if row.bound is not None and row.bound < value - tol:
                wrong.append(f"bound {row.bound:.6f} below {name} {value:.6f}")
        if row.reference_bound is not None and obj > row.reference_bound + _rel(obj):
            wrong.append(f"objective {obj:.6f} above the {row.reference} bound")
        ref_obj = row.reference_objective
        if row.status == "optimal" and ref_obj is not None and ref_obj > obj + _rel(obj):
            wrong.append(f"{row.reference} found {ref_obj:.6f} > our proven optimum {obj:.6f}")
        worst, ref_worst = row.worst_case, row.reference_worst_case
        if (
            row.status == "optimal"
            and worst is not None
            and ref_worst is not None
            and not _close(worst, ref_worst, _rel(ref_worst) + WORST_TOL)
        ):
            wrong.append(f"worst case {worst:.6f} differs from {row.reference} {ref_worst:.6f}")
        if target.gap == 0 and row.status != "optimal":
            gap = "-" if row.gap is None else f"{100 * row.gap:.4f} %"
            short.append(f"not proven optimal (status {row.status}, gap {gap})")
        elif target.gap > 0 and (row.gap is None or row.gap > target.gap):
            short.append(f"gap {100 * (row.gap or math.inf):.3f} % above {100 * target.gap:g} %")
    if target.conflicts:
        short.extend(f"conflict phase: {miss}" for miss in _speed_failures(row, target))

    return _conclude(row, target, wrong, short)


def _conclude(row: Row, target: Target, wrong: list[str], short: list[str]) -> Row:
    """Set the verdict of ``row``: ``wrong`` always fails, ``short`` when enforced."""
    row.quality_ok = not wrong and not short
    row.passed = not wrong and (not short or not target.enforced)
    row.time_target_met = _speed(row, target) if target.has_speed else None
    reasons = wrong + [s + ("" if target.enforced else " (report only)") for s in short]
    if row.time_target_met is False:
        reasons.append("speed: " + _speed_miss(row, target))
    if row.share is not None:  # the figure a randomised row is about, in the table's notes
        reasons.insert(0, f"share {100 * row.share:.2f} % of the optimum")
    if row.conflicts_s is not None:  # and a relation row's
        mb = "-" if row.conflicts_mb is None else f"{row.conflicts_mb:.0f}"
        reasons.insert(0, f"conflicts {row.conflicts_s:.2f} s, +{mb} MB")
    row.reason = "; ".join(reasons)
    return row


def _judge_random(row: Row, target: Target) -> Row:
    """A randomised row: every checked draw valid, expected objective within its bounds.

    Always failing: a crash, no lottery, a draw that fails ``check`` (or frequencies that
    stray from the marginals), an expected objective above the bound or above the
    deterministic optimum. Failing when enforced: a share outside the target range, a
    gap above the target gap.
    """
    assert target.share is not None
    wrong: list[str] = []
    short: list[str] = []
    if row.status == "error":
        wrong.append("the row crashed: " + row.reason)
    elif row.status not in ("optimal", "feasible"):
        wrong.append(f"no lottery (status {row.status})")
    if row.draws_failed:
        wrong.append(f"{row.draws_failed} draw check(s) failed")
    obj = row.objective
    if obj is not None:
        if row.bound is not None and obj > row.bound + _rel(row.bound):
            wrong.append(f"expected objective {obj:.6f} above its bound {row.bound:.6f}")
        ref = row.reference_objective
        if ref is not None and obj > ref + _rel(ref):
            wrong.append(f"expected objective {obj:.6f} above the optimum {ref:.6f}")
        lo, hi = target.share
        if row.share is None or not lo <= row.share <= hi:
            share = "-" if row.share is None else f"{row.share:.4f}"
            short.append(f"share {share} outside [{lo:g}, {hi:g}]")
        if target.gap > 0 and (row.gap is None or row.gap > target.gap):
            short.append(f"gap {100 * (row.gap or math.inf):.3f} % above {100 * target.gap:g} %")
        elif target.gap == 0 and row.status != "optimal":
            short.append(f"lottery not proven the best (status {row.status})")
    return _conclude(row, target, wrong, short)


def _judge_time_limit(row: Row, target: Target) -> Row:
    """A time-limit row: within its wall time, and an honest answer when there is one.

    Always failing: a crash, an assignment that fails ``check``, a bound below the
    objective, INFEASIBLE (every instance here is feasible). Failing when enforced: a
    wall time above the target; no assignment where one is required.
    """
    assert target.wall is not None
    wrong: list[str] = []
    short: list[str] = []
    if row.status == "error":
        wrong.append("the row crashed: " + row.reason)
    elif row.status == "infeasible":
        wrong.append("reported infeasible")
    if row.violations:
        wrong.append(f"the assignment fails check: {row.violations} violation(s)")
    if row.objective is not None and row.bound is not None and row.bound < row.objective:
        wrong.append(f"bound {row.bound:.6f} below the objective {row.objective:.6f}")
    if row.total_s is None or row.total_s > target.wall:
        got = "-" if row.total_s is None else f"{row.total_s:.2f} s"
        short.append(f"wall {got} > {target.wall:g} s")
    if target.answer and row.status not in ("optimal", "feasible"):
        short.append(f"no assignment (status {row.status})")
    if row.status in ("optimal", "feasible"):
        row.time_to_target_s = row.total_s
    return _conclude(row, target, wrong, short)


def _speed_failures(row: Row, target: Target) -> list[str]:
    out: list[str] = []
    if target.wall is not None and (row.total_s is None or row.total_s > target.wall):
        out.append(f"wall {row.total_s or math.nan:.2f} s > {target.wall:g} s")
    t = row.conflicts_s if target.conflicts else row.time_to_target_s
    if target.seconds is not None and (t is None or t > target.seconds):
        got = "target not reached" if t is None else f"{t:.2f} s"
        out.append(f"{got} > {target.seconds:g} s")
    if target.min_ratio is not None:
        ref_done = row.reference_status in ("optimal", "infeasible")
        if row.ratio is None or (row.ratio < target.min_ratio and ref_done):
            out.append(f"ratio {row.ratio_text} < {target.min_ratio:.2f}")
        elif row.ratio < target.min_ratio:
            out.append(f"ratio {row.ratio_text} (reference unfinished) < {target.min_ratio:.2f}")
    # A conflict phase's own peak is read on Linux only; elsewhere it is not judged.
    peak = row.conflicts_mb if target.conflicts else row.peak_mb
    unknown = peak is None and not target.conflicts
    if target.memory_mb is not None and (unknown or (peak or 0.0) > target.memory_mb):
        out.append(f"peak {peak or math.nan:.0f} MB > {target.memory_mb:.0f} MB")
    return out


def _speed(row: Row, target: Target) -> bool:
    if target.wall is not None:
        return row.total_s is not None and row.total_s <= target.wall
    done = ("infeasible",) if target.infeasible else ("optimal", "feasible")
    return row.status in done and not _speed_failures(row, target)


def _speed_miss(row: Row, target: Target) -> str:
    return ", ".join(_speed_failures(row, target)) or f"status {row.status}"


# --------------------------------------------------------------------------------------
# Running rows in fresh processes


def run_isolated(
    bench: Bench,
    suite: Suite,
    *,
    time_limit: float | None = None,
    ref_time_limit: float = DEFAULT_REF_TIME_LIMIT,
) -> Row:
    """Run ``bench`` in a fresh ``python -m benchmarks.run --one`` and read its row."""
    if skip_reason(bench) is not None:  # no process needed to say so
        return run_row(bench, time_limit=time_limit, ref_time_limit=ref_time_limit)
    limit = bench.time_limit if time_limit is None else time_limit
    cmd = [sys.executable, "-m", "benchmarks.run", "--suite", suite, "--one", bench.name]
    cmd += ["--ref-time-limit", str(ref_time_limit)]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
    timeout = (limit if limit is not None else 3600.0) + 2 * ref_time_limit + 600.0
    failed = Row(
        name=bench.name,
        instance=bench.instance,
        policy=bench.policy,
        time_limit=limit,
        target=bench.target.text(),
        status="error",
    )
    try:
        done = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        failed.reason = f"the row's process did not end within {timeout:.0f} s"
        return judge(failed, bench.target)
    lines = [x for x in done.stdout.splitlines() if x.startswith(_ROW_MARK)]
    if not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        failed.reason = f"the row's process exited {done.returncode} without a row: {tail}"
        return judge(failed, bench.target)
    data = json.loads(lines[-1][len(_ROW_MARK) :])
    return Row(**{k: v for k, v in data.items() if k in ROW_FIELDS})


# --------------------------------------------------------------------------------------
# Reports


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (modified)" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine_info(suite: str) -> dict[str, Any]:
    """Where and with what the suite ran."""
    from importlib.metadata import version

    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "suite": suite,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity(0)) if affinity is not None else os.cpu_count(),
        "memory_gb": _memory_gb(),
        "python": platform.python_version(),
        "ortools": version("ortools"),
        "numpy": np.__version__,
        "reviewassign": ra.__version__,
        "commit": _git_commit(),
        "seed": SEED,
        "solve_seed": 0,
        "workers": 1,
    }


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.3f} %"


def _yes(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _check(row: Row) -> str:
    if row.status == "skipped":
        return "skipped"
    if not row.passed:
        return "FAIL"
    return "ok" if row.quality_ok else "ok (report)"


_HEADER = (
    "instance",
    "cases x reviewers (pairs)",
    "policy",
    "method",
    "status",
    "objective",
    "bound",
    "gap",
    "price",
    "solve s",
    "total s",
    "peak MB",
    "reference",
    "ref objective",
    "ref s",
    "ratio",
    "target",
    "time target met",
    "check",
)


def _price(row: Row) -> str:
    """The objective a priced rule costs against the plain optimum, and its share."""
    if row.price is None or row.plain_objective is None:
        return "-"
    share = 100 * row.price / max(abs(row.plain_objective), 1e-9)
    return f"{row.price:.3f} ({share:.2f} %)"


def _cells(row: Row) -> list[str]:
    size = "-"
    if row.cases is not None and row.reviewers is not None:
        size = f"{row.cases} x {row.reviewers}"
        if row.eligible_pairs is not None:
            size += f" ({row.eligible_pairs}"
            if row.candidate_pairs is not None:
                size += f"; {row.candidate_pairs} candidates"
            size += ")"
    ref = row.reference or "-"
    if row.reference_status and row.reference_status != "optimal":
        ref += f" ({row.reference_status})"
    return [
        row.instance,
        size,
        row.policy,
        row.method or "-",
        row.status,
        _num(row.objective),
        _num(row.bound),
        _pct(row.gap),
        _price(row),
        _num(row.solve_s, 2),
        _num(row.total_s, 2),
        _num(row.peak_mb, 0),
        ref,
        _num(row.reference_objective),
        _num(row.reference_s, 2),
        row.ratio_text,
        row.target,
        _yes(row.time_target_met),
        _check(row),
    ]


def render_markdown(rows: Sequence[Row], machine: dict[str, Any]) -> str:
    """The results as a markdown page: header, table, then a note per row that has one."""
    lines = [
        f"# reviewassign benchmarks ({machine.get('suite', '?')} suite)",
        "",
        f"{machine.get('date', '')}; {machine.get('cpu', '?')}, {machine.get('cpus_usable', '?')}"
        f" usable of {machine.get('cpu_count', '?')} CPUs, {machine.get('memory_gb', '?')} GB;"
        f" Python {machine.get('python', '?')}, OR-Tools {machine.get('ortools', '?')},"
        f" reviewassign {machine.get('reviewassign', '?')} at {machine.get('commit', '?')}.",
        "",
        f"Synthetic instances (award problems, the CVPR 2018 shape's scores) are drawn with seed"
        f" {machine.get('seed', SEED)}: their attributes and affinities are made up, not real."
        " Solves use one worker and seed 0. Ratio = reference time / our solve time (`>=` when"
        " the reference did not finish). Price = the objective a rule costs against the plain"
        " optimum of the same instance (rows that price a rule). Speed targets are reported,"
        " never failing the run.",
        "",
        "| " + " | ".join(_HEADER) + " |",
        "|" + "|".join("---" for _ in _HEADER) + "|",
    ]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in _cells(r)) + " |" for r in rows]
    notes = [f"- `{r.name}`: {r.reason}" for r in rows if r.reason]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"


def write_results(rows: Sequence[Row], machine: dict[str, Any], out_dir: Path) -> str:
    """Write ``results.json`` and ``results.md`` in ``out_dir``; return the markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clean = [{k: _json_safe(v) for k, v in asdict(r).items()} for r in rows]
    payload = {"machine": machine, "rows": clean}
    (out_dir / "results.json").write_text(json.dumps(payload, indent=1, allow_nan=False) + "\n")
    text = render_markdown(rows, machine)
    (out_dir / "results.md").write_text(text)
    return text


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------------------
# The command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description="Run the reviewassign benchmarks."
    )
    p.add_argument("--suite", choices=("ci", "full"), default="full")
    p.add_argument("--only", default="", metavar="SUBSTRING", help="rows whose name has this")
    p.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, metavar="DIR")
    p.add_argument(
        "--time-limit", type=float, default=None, metavar="S", help="every row's solve limit"
    )
    p.add_argument(
        "--ref-time-limit",
        type=float,
        default=DEFAULT_REF_TIME_LIMIT,
        metavar="S",
        help="seconds for a HiGHS reference solve",
    )
    p.add_argument("--list", action="store_true", help="print the rows' names and exit")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # the child process
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run a suite; exit code 1 if a row failed its quality check."""
    args = _parser().parse_args(argv)
    suite: Suite = args.suite
    if args.one is not None:
        row = run_row(
            find(suite, args.one), time_limit=args.time_limit, ref_time_limit=args.ref_time_limit
        )
        print(_ROW_MARK + json.dumps({k: _json_safe(v) for k, v in asdict(row).items()}))
        return 0
    chosen = [b for b in benchmarks(suite) if args.only in b.name]
    if args.list:
        print("\n".join(b.name for b in chosen))
        return 0
    if not chosen:
        print(f"no benchmark of the {suite} suite matches {args.only!r}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    start = time.perf_counter()
    for i, bench in enumerate(chosen, 1):
        t0 = time.perf_counter()
        row = run_isolated(
            bench, suite, time_limit=args.time_limit, ref_time_limit=args.ref_time_limit
        )
        rows.append(row)
        print(
            f"[{i}/{len(chosen)}] {bench.name}: {row.status}, {_check(row)}"
            f" ({time.perf_counter() - t0:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
    machine = machine_info(suite)
    machine["run_seconds"] = round(time.perf_counter() - start, 1)
    text = write_results(rows, machine, args.out_dir)
    print(text)
    print(f"{len(rows)} rows in {machine['run_seconds']} s; results in {args.out_dir}")
    failed = [r.name for r in rows if not r.passed]
    if failed:
        print("FAILED: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
