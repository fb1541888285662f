"""The indexed form of a problem under a policy: eligible pairs, their affinity, groups.

This is the bridge between the data model and any solver backend: plain integers and
numpy arrays, no pydantic objects, no solver imports. A pair is *eligible* when it is not
a conflict of interest and no single-pair panel rule excludes it (language, own region
excluded). Every other rule is left to the solver backend.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ._conflicts import REASONS, conflicts
from ._model import Problem
from ._policy import Policy

__all__ = ["Instance", "build_instance"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Instance:
    """A problem indexed for a solver.

    Cases and reviewers are numbered in the problem's order. Eligible pairs are sorted by
    case, then reviewer; the pairs of case ``c`` are ``pair_start[c]:pair_start[c + 1]``.
    Region and gender codes index ``regions`` and ``genders``; gender ``-1`` is undisclosed.
    """

    case_ids: tuple[str, ...]
    reviewer_ids: tuple[str, ...]
    panel_size: IntArray
    min_load: IntArray
    max_load: IntArray
    pair_case: IntArray
    pair_reviewer: IntArray
    pair_affinity: FloatArray
    pair_start: IntArray
    regions: tuple[str, ...]
    case_region: IntArray
    reviewer_region: IntArray
    genders: tuple[str, ...]
    reviewer_gender: IntArray
    reviewer_senior: BoolArray
    case_topics: tuple[tuple[str, ...], ...]
    reviewer_covers: dict[str, BoolArray]
    """Topic -> which reviewers cover it at the policy's ``expertise.min_level``."""
    conflicts_by_reason: dict[str, int]
    conflicted_pairs: int
    excluded_by_policy: int

    @property
    def n_cases(self) -> int:
        """Number of cases."""
        return len(self.case_ids)

    @property
    def n_reviewers(self) -> int:
        """Number of reviewers."""
        return len(self.reviewer_ids)

    @property
    def n_pairs(self) -> int:
        """Number of eligible pairs."""
        return len(self.pair_case)

    def case_pairs(self, c: int) -> range:
        """Indices of the eligible pairs of case ``c``."""
        return range(int(self.pair_start[c]), int(self.pair_start[c + 1]))

    def restricted(self, pairs: IntArray) -> Instance:
        """The instance in which only ``pairs`` (increasing pair indices) are eligible.

        Pair ``k`` of the result is pair ``pairs[k]`` of this instance.
        """
        case = self.pair_case[pairs]
        return replace(
            self,
            pair_case=case,
            pair_reviewer=self.pair_reviewer[pairs],
            pair_affinity=self.pair_affinity[pairs],
            pair_start=np.searchsorted(case, np.arange(self.n_cases + 1)).astype(np.int64),
        )


def _codes(labels: list[str]) -> tuple[tuple[str, ...], dict[str, int]]:
    names = tuple(sorted(set(labels)))
    return names, {name: i for i, name in enumerate(names)}


def build_instance(problem: Problem, policy: Policy) -> Instance:
    """Index a problem under a policy: conflicts removed, affinities computed."""
    cases, reviewers = problem.cases, problem.reviewers
    n_c, n_r = len(cases), len(reviewers)
    case_pos = {c.id: i for i, c in enumerate(cases)}
    rev_pos = {r.id: i for i, r in enumerate(reviewers)}

    regions, region_code = _codes([c.region for c in cases] + [r.region for r in reviewers])
    genders, gender_code = _codes([r.gender for r in reviewers if r.gender])
    case_region = np.array([region_code[c.region] for c in cases], dtype=np.int64)
    reviewer_region = np.array([region_code[r.region] for r in reviewers], dtype=np.int64)
    reviewer_gender = np.array(
        [gender_code[r.gender] if r.gender else -1 for r in reviewers], dtype=np.int64
    )

    # Affinity: a(c, r) = sum_t w_t * level_r(t) / 3 / sum_t w_t, as a small dense
    # reviewer x topic matrix; given scores override it pair by pair.
    topics = sorted(
        {t for c in cases for t in c.topics} | {t for r in reviewers for t in r.expertise}
    )
    topic_pos = {t: i for i, t in enumerate(topics)}
    levels = np.zeros((n_r, len(topics)), dtype=np.float64)
    for i, r in enumerate(reviewers):
        for t, lvl in r.expertise.items():
            levels[i, topic_pos[t]] = lvl
    covers = {
        t: levels[:, topic_pos[t]] >= policy.expertise.min_level
        for t in sorted({t for c in cases for t in c.topics})
    }
    given: dict[int, dict[int, float]] = {}
    for a in problem.affinity:
        given.setdefault(case_pos[a.case], {})[rev_pos[a.reviewer]] = a.score

    conflict_list = conflicts(problem, policy)
    blocked: dict[int, list[int]] = {}
    by_reason: Counter[str] = Counter()
    for cp in conflict_list:
        blocked.setdefault(case_pos[cp.case], []).append(rev_pos[cp.reviewer])
        by_reason.update(cp.reasons)

    language_of: dict[str, BoolArray] = {}
    for lang in {c.language for c in cases if c.language}:
        language_of[lang] = np.array([lang in r.languages for r in reviewers], dtype=np.bool_)

    pair_case: list[IntArray] = []
    pair_rev: list[IntArray] = []
    pair_aff: list[FloatArray] = []
    starts = np.zeros(n_c + 1, dtype=np.int64)
    excluded = 0
    for ci, case in enumerate(cases):
        ok = np.ones(n_r, dtype=np.bool_)
        ok[blocked.get(ci, [])] = False
        allowed = int(ok.sum())
        if policy.panel.language and case.language:
            ok &= language_of[case.language]
        if policy.panel.own_region == "exclude":
            ok &= reviewer_region != case_region[ci]
        excluded += allowed - int(ok.sum())
        idx = np.flatnonzero(ok).astype(np.int64)
        total_w = sum(case.topics.values())
        if total_w > 0 and len(topics):
            w = np.zeros(len(topics))
            for t, wt in case.topics.items():
                w[topic_pos[t]] = wt
            aff = levels[idx] @ w / (3.0 * total_w)
        else:
            aff = np.zeros(len(idx))
        for j, score in given.get(ci, {}).items():
            k = np.searchsorted(idx, j)
            if k < len(idx) and idx[k] == j:
                aff[k] = score
        pair_case.append(np.full(len(idx), ci, dtype=np.int64))
        pair_rev.append(idx)
        pair_aff.append(aff.astype(np.float64))
        starts[ci + 1] = starts[ci] + len(idx)

    def cat(parts: list[npt.NDArray[np.generic]], dtype: type) -> npt.NDArray[np.generic]:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return Instance(
        case_ids=tuple(c.id for c in cases),
        reviewer_ids=tuple(r.id for r in reviewers),
        panel_size=np.array(
            [c.panel_size if c.panel_size is not None else policy.panel_size for c in cases],
            dtype=np.int64,
        ),
        min_load=np.array(
            [r.min_load if r.min_load is not None else policy.load.min for r in reviewers],
            dtype=np.int64,
        ),
        max_load=np.array(
            [r.max_load if r.max_load is not None else policy.load.max for r in reviewers],
            dtype=np.int64,
        ),
        pair_case=cat(pair_case, np.int64),  # type: ignore[arg-type]
        pair_reviewer=cat(pair_rev, np.int64),  # type: ignore[arg-type]
        pair_affinity=cat(pair_aff, np.float64),  # type: ignore[arg-type]
        pair_start=starts,
        regions=regions,
        case_region=case_region,
        reviewer_region=reviewer_region,
        genders=genders,
        reviewer_gender=reviewer_gender,
        reviewer_senior=np.array([r.seniority == "senior" for r in reviewers], dtype=np.bool_),
        case_topics=tuple(tuple(c.topics) for c in cases),
        reviewer_covers=covers,
        conflicts_by_reason={r: by_reason[r] for r in REASONS if by_reason[r]},
        conflicted_pairs=len(conflict_list),
        excluded_by_policy=excluded,
    )
