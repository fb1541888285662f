"""Conflicts of interest: which (case, reviewer) pairs may never be assigned, and why.

A pair is a conflict when any of these holds (SPEC.md, ``[conflicts]``):

- it is declared in ``problem.conflicts`` (always);
- the reviewer is an applicant of the case (always);
- ``same_institution``: the reviewer's institution is among the case's institutions;
- ``same_country``: the reviewer's country is the case's country;
- ``relation_distance = d > 0``: the reviewer is within distance ``d`` of another applicant
  of the case in the relation graph (undirected, unweighted).

The solver never creates a decision variable for a conflicted pair.

Relation distances come from a bounded breadth-first search over the graph held as numpy
arrays (:class:`_RelationGraph`), one search from each reviewer in the graph or from each
applicant of each case, whichever side needs fewer: never one search per pair. Chains of
people with two relations each are contracted into weighted edges, and the distances
inside a chain follow from the distances of its two ends, so that a search costs the
branching part of the graph it reaches, not its length: a million relations take seconds,
and a path of 50,000 people with ``relation_distance = 100000`` is as fast as a short one.
"""

from __future__ import annotations

import gc
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from typing import Literal

import numpy as np
import numpy.typing as npt

from .._data.model import Case, Problem, Relation
from .._data.policy import Policy

__all__ = ["REASONS", "ConflictPair", "conflicts"]

REASONS = ("declared", "applicant", "same_institution", "same_country", "relation")
"""Reason codes, in the order they are reported."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_RELATION_ONLY = ("relation",)

_FAR = 1 << 40
"""The distance of a person the search has not reached: above any distance, and a sum of
two stays far inside 64 bits."""


@dataclass(frozen=True, slots=True)
class ConflictPair:
    """A conflicted (case, reviewer) pair with every reason that makes it one.

    Attributes
    ----------
    case, reviewer
        The ids of the pair.
    reasons
        Reason codes from :data:`REASONS`, in that order.
    details
        One human-readable line per reason, e.g. ``"relation: coauthor of applicant P7"``.
    """

    case: str
    reviewer: str
    reasons: tuple[str, ...]
    details: tuple[str, ...]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many acyclic objects are made.

    Each full collection walks every live object, a problem's million relations among
    them; making a million conflict pairs would set off one after another. Nothing made
    here forms a reference cycle, so nothing waits on the collector meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """``arange(s, s + n)`` for each start ``s`` and count ``n``, concatenated."""
    total = int(counts.sum())
    first = np.cumsum(counts) - counts  # where each range begins in the output
    shift: IntArray = np.repeat(starts - first, counts)
    return np.arange(total, dtype=np.int64) + shift


def _distinct(values: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct values ascending and the position of each value among them.

    ``np.unique``, sorting (its hash tables cost milliseconds on small arrays).
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.ones(len(values), dtype=np.bool_)
    new[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _csr(src: IntArray, n: int) -> IntArray:
    """Row pointers of rows ``0..n-1`` for entries sorted by ``src``."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
    return ptr


@dataclass(frozen=True, slots=True)
class _Chains:
    """The segments walked through chains of people with two relations.

    Segment ``i`` runs from junction ``seg_u[i]`` through ``inner[i]`` (in order) to
    junction ``seg_v[i]``.
    """

    seg_u: list[int]
    seg_v: list[int]
    inner: list[list[int]]


def _walk_chains(
    n: int, junction: BoolArray, chain: IntArray, ptr: IntArray, src: IntArray, dst: IntArray
) -> _Chains:
    """Walk each segment from a junction, then each junction-free cycle from its first person.

    In the order of the edges: deterministic. ``junction`` marks the people with other than
    two relations, ``chain`` lists the others; ``ptr``, ``src`` and ``dst`` are the edges
    sorted by ``src`` (both ways).
    """
    side_a = np.full(n, -1, dtype=np.int64)
    side_b = np.full(n, -1, dtype=np.int64)
    side_a[chain], side_b[chain] = dst[ptr[chain]], dst[ptr[chain] + 1]
    is_junction: list[bool] = junction.tolist()
    one, two = side_a.tolist(), side_b.tolist()
    done = bytearray(n)
    walked = _Chains([], [], [])

    def walk(u: int, x: int) -> None:
        """Walk from junction ``u`` through ``x`` to the next junction: one segment."""
        path: list[int] = []
        prev, cur = u, x
        while not is_junction[cur]:
            done[cur] = 1
            path.append(cur)
            prev, cur = cur, (one[cur] if one[cur] != prev else two[cur])
        walked.seg_u.append(u)
        walked.seg_v.append(cur)
        walked.inner.append(path)

    into_chain = np.flatnonzero(junction[src] & ~junction[dst])
    for u, x in zip(src[into_chain].tolist(), dst[into_chain].tolist(), strict=True):
        if not done[x]:
            walk(u, x)
    for x in chain.tolist():
        if not done[x]:  # a cycle with no junction: its first person becomes one
            is_junction[x] = True
            done[x] = 1
            walk(x, one[x])
    return walked


class _Pending:
    """People reached but not settled, by level: a heap of levels, each with its batches."""

    __slots__ = ("_heap", "_waiting")

    def __init__(self) -> None:
        self._heap: list[int] = []
        self._waiting: dict[int, list[IntArray]] = {}

    def __bool__(self) -> bool:
        """Whether a level is waiting."""
        return bool(self._heap)

    def arrive(self, level: int, people: IntArray) -> None:
        """Add ``people``, reached at ``level``."""
        if level not in self._waiting:
            self._waiting[level] = []
            heapq.heappush(self._heap, level)
        self._waiting[level].append(people)

    def pop(self) -> tuple[int, IntArray]:
        """The lowest level waiting and everyone who reached it (repeats included)."""
        level = heapq.heappop(self._heap)
        batch = self._waiting.pop(level)
        return level, np.concatenate(batch) if len(batch) > 1 else batch[0]


class _RelationGraph:
    """The relation graph as arrays, with chains of degree-2 people contracted.

    People are numbered ``0..n-1`` in the order they first appear in the relations.
    Self-relations are ignored and a pair related twice is one edge (the kind of its last
    row is reported). *Junctions* are the people with other than two relations; every
    other person lies on one *segment*: a path between two junctions (the same one for a
    loop) whose inner people all have two relations. A cycle of such people with no
    junction gets one, its first person. An edge between two junctions is a segment
    without inner people. The search runs over junctions and segments weighted by their
    length; the distance to an inner person is the shorter way in from either end.
    """

    def __init__(self, relations: Sequence[Relation]) -> None:
        index: dict[str, int] = {}
        ends = np.fromiter(
            (index.setdefault(who, len(index)) for rel in relations for who in (rel.a, rel.b)),
            dtype=np.int64,
            count=2 * len(relations),
        )
        self.index = index
        n = self.n = len(index)
        a, b = ends[0::2], ends[1::2]
        rows = np.flatnonzero(a != b)
        lo, hi = np.minimum(a, b)[rows], np.maximum(a, b)[rows]
        key = lo * n + hi
        order = np.argsort(key, kind="stable")
        key, rows = key[order], rows[order]
        last = np.ones(len(key), dtype=np.bool_)  # stable: the last row of each pair
        last[:-1] = key[1:] != key[:-1]
        self.edge_key, self.edge_row = key[last], rows[last]
        lo, hi = self.edge_key // n, self.edge_key % n
        src, dst = np.concatenate([lo, hi]), np.concatenate([hi, lo])
        order = np.argsort(src, kind="stable")
        src, dst = src[order], dst[order]
        ptr = _csr(src, n)
        self._contract(ptr, src, dst)
        self._dist = np.full(n, _FAR, dtype=np.int64)
        self._mark = np.zeros(n, dtype=np.int64)

    def _contract(self, ptr: IntArray, src: IntArray, dst: IntArray) -> None:
        """Contract each chain of people with two relations into one weighted edge."""
        degree = np.diff(ptr)
        junction = degree != 2
        chain = np.flatnonzero(~junction)
        walked = _walk_chains(self.n, junction, chain, ptr, src, dst)
        # Edges between people of other than two relations (a junction-free cycle's new
        # junction has two, both in its loop).
        direct = np.flatnonzero((degree[src] != 2) & (degree[dst] != 2) & (src < dst))
        sizes = np.array([len(p) for p in walked.inner], dtype=np.int64)
        self.seg_u = np.concatenate([src[direct], np.array(walked.seg_u, dtype=np.int64)])
        self.seg_v = np.concatenate([dst[direct], np.array(walked.seg_v, dtype=np.int64)])
        self.seg_len = np.concatenate([np.ones(len(direct), dtype=np.int64), sizes + 1])
        self._place_inner(walked.inner, len(direct), sizes)
        loop = self.seg_u == self.seg_v
        self._contracted_edges(loop)
        self._junction_segments(loop, len(direct), sizes)

    def _place_inner(self, inner: list[list[int]], n_direct: int, sizes: IntArray) -> None:
        """Each segment's inner people in order, and each inner person's segment and offset."""
        n = self.n
        self.inner_ptr = np.zeros(len(self.seg_u) + 1, dtype=np.int64)
        np.cumsum(
            np.concatenate([np.zeros(n_direct, dtype=np.int64), sizes]), out=self.inner_ptr[1:]
        )
        self.inner = np.array([x for p in inner for x in p], dtype=np.int64)
        self.segment = np.full(n, -1, dtype=np.int64)
        self.offset = np.zeros(n, dtype=np.int64)
        self.segment[self.inner] = np.repeat(np.arange(len(self.seg_u)), np.diff(self.inner_ptr))
        self.offset[self.inner] = (
            np.arange(len(self.inner)) - self.inner_ptr[self.segment[self.inner]] + 1
        )

    def _contracted_edges(self, loop: BoolArray) -> None:
        """The contracted graph: each segment an edge of its length both ways (a loop once)."""
        segs = np.arange(len(self.seg_u), dtype=np.int64)
        k_src = np.concatenate([self.seg_u, self.seg_v[~loop]])
        k_dst = np.concatenate([self.seg_v, self.seg_u[~loop]])
        k_seg = np.concatenate([segs, segs[~loop]])
        order = np.argsort(k_src, kind="stable")
        self.k_ptr = _csr(k_src[order], self.n)
        self.k_dst, self.k_seg = k_dst[order], k_seg[order]
        self.k_len = self.seg_len[self.k_seg]
        self.k_deg = np.diff(self.k_ptr)

    def _junction_segments(self, loop: BoolArray, n_direct: int, sizes: IntArray) -> None:
        """Junction -> the segments with inner people at it: all a search must look into."""
        inside = np.flatnonzero(sizes > 0) + n_direct
        j_src = np.concatenate([self.seg_u[inside], self.seg_v[inside][~loop[inside]]])
        j_seg = np.concatenate([inside, inside[~loop[inside]]])
        order = np.argsort(j_src, kind="stable")
        self.j_ptr, self.j_seg = _csr(j_src[order], self.n), j_seg[order]
        self.j_deg = np.diff(self.j_ptr)

    def reach(self, source: int, d: int) -> tuple[IntArray, IntArray]:
        """The people within distance ``d`` of person ``source`` and their distances.

        The source is among them, at distance 0. Junctions are settled level by level
        (levels are distances; a level is a batch of array operations), inner people of
        the segments the search touched are computed from both ends at once.
        """
        own = int(self.segment[source])
        at = int(self.offset[source])
        pending = _Pending()
        if own < 0:
            pending.arrive(0, np.array([source], dtype=np.int64))
        else:  # an inner person: the search starts at both ends of its segment
            for end, level in ((self.seg_u[own], at), (self.seg_v[own], self.seg_len[own] - at)):
                if level <= d:
                    pending.arrive(int(level), np.array([end], dtype=np.int64))
        junctions = self._settle(pending, d)
        near = self._dist[junctions]
        inner, far = self._inner_near(junctions, own, at)
        within = far <= d
        self._dist[junctions] = _FAR
        return (
            np.concatenate([junctions, inner[within]]),
            np.concatenate([near, far[within]]),
        )

    def _settle(self, pending: _Pending, d: int) -> IntArray:
        """Settle the junctions within ``d``, level by level; their distances in ``_dist``."""
        dist = self._dist
        settled: list[IntArray] = []
        while pending:
            level, people = pending.pop()
            if level > d:
                break
            people = self._first_arrivals(people)
            if not people.size:
                continue
            dist[people] = level
            settled.append(people)
            if level < d:  # from the last level, every step goes too far
                self._step(pending, people, level, d)
        return np.concatenate(settled) if settled else np.zeros(0, dtype=np.int64)

    def _first_arrivals(self, people: IntArray) -> IntArray:
        """The people not settled yet, each once (of equal entries, the one left in ``_mark``)."""
        people = people[self._dist[people] == _FAR]
        order = np.arange(len(people), dtype=np.int64)
        self._mark[people] = order
        first: IntArray = people[self._mark[people] == order]
        return first

    def _step(self, pending: _Pending, people: IntArray, level: int, d: int) -> None:
        """Send the junctions one segment away from ``people`` (at ``level``) to their levels."""
        edges = _ranges(self.k_ptr[people], self.k_deg[people])
        nxt, when = self.k_dst[edges], level + self.k_len[edges]
        keep = (when <= d) & (self._dist[nxt] == _FAR)
        nxt, when = nxt[keep], when[keep]
        if not nxt.size:
            return
        if when.min() == when.max():
            pending.arrive(int(when[0]), nxt)
        else:
            for lv in _distinct(when)[0].tolist():
                pending.arrive(lv, nxt[when == lv])

    def _inner_near(self, junctions: IntArray, own: int, at: int) -> tuple[IntArray, IntArray]:
        """The inner people of the segments the search entered and their distances.

        The segments are those at a settled junction and the source's own: ``own`` (-1 for
        a junction) at offset ``at``. A distance is the shorter way in from either end,
        and along the source's own segment, from the source.
        """
        dist = self._dist
        segs = self.j_seg[_ranges(self.j_ptr[junctions], self.j_deg[junctions])]
        if own >= 0:
            segs = np.append(segs, own)
        segs = _distinct(segs)[0]
        sizes = self.inner_ptr[segs + 1] - self.inner_ptr[segs]
        inner = self.inner[_ranges(self.inner_ptr[segs], sizes)]
        seg = np.repeat(segs, sizes)
        off = self.offset[inner]
        far = np.minimum(
            dist[self.seg_u[seg]] + off, dist[self.seg_v[seg]] + self.seg_len[seg] - off
        )
        if own >= 0:
            mine = seg == own
            far[mine] = np.minimum(far[mine], np.abs(off[mine] - at))
        return inner, far


@dataclass(frozen=True, slots=True)
class _Applicants:
    """Every applicant of every case as one flat list, in the problem's order."""

    start: IntArray
    """Case position -> its first entry (and the end of the last)."""
    ids: list[str]
    person: IntArray
    """Entry -> the applicant's number in the relation graph, -1 if not in it."""
    case: IntArray
    pos: IntArray
    """Entry -> the applicant's position among its case's applicants."""

    @classmethod
    def of(cls, cases: Sequence[Case], graph: _RelationGraph) -> _Applicants:
        """The applicants of ``cases`` by case, with their people in ``graph``."""
        sizes = np.array([len(c.applicants) for c in cases], dtype=np.int64)
        start = _csr(np.repeat(np.arange(len(cases), dtype=np.int64), sizes), len(cases))
        ids = [p for c in cases for p in c.applicants]
        person = np.fromiter(map(graph.index.get, ids, repeat(-1)), dtype=np.int64, count=len(ids))
        case = np.repeat(np.arange(len(cases), dtype=np.int64), sizes)
        return cls(start, ids, person, case, np.arange(len(ids), dtype=np.int64) - start[case])


class _Nearest:
    """The smallest key of each group in a batch, through one scratch array of groups."""

    _NONE = np.iinfo(np.int64).max

    def __init__(self, groups: int) -> None:
        self._best = np.full(groups, self._NONE, dtype=np.int64)

    def __call__(self, group: IntArray, key: IntArray) -> tuple[IntArray, IntArray]:
        """The groups present, ascending, and the smallest key of each."""
        best = self._best
        np.minimum.at(best, group, key)
        found = np.flatnonzero(best != self._NONE)
        smallest = best[found]
        best[found] = self._NONE
        return found, smallest


@dataclass(frozen=True, slots=True)
class _Hits:
    """The pairs in relation conflict, sorted by case then reviewer, with their details."""

    case: IntArray
    reviewer: IntArray
    lines: npt.NDArray[np.object_]
    """One detail line (``str``) per pair; equal lines are one string."""


def _relation_hits(
    problem: Problem, distance: int, *, side: Literal["reviewers", "applicants"] | None = None
) -> _Hits:
    """The pairs whose reviewer is within ``distance`` of another applicant of the case.

    Each detail line names the nearest applicant, the first in the case's order among
    equally near ones. The searches start from the reviewers or from the applicants,
    whichever are fewer in the graph (``side`` chooses, for the tests).
    """
    cases, reviewers = problem.cases, problem.reviewers
    graph = _RelationGraph(problem.relations)
    d = min(distance, graph.n)  # no distance reaches the number of people
    app = _Applicants.of(cases, graph)
    width = 1 + int(np.diff(app.start).max(initial=0))
    # A hit's key is distance * width + the applicant's position in its case: the
    # smallest key is the nearest applicant, the first in the case's order on a tie.
    entries = np.flatnonzero(app.person >= 0)
    entries = entries[np.argsort(app.person[entries], kind="stable")]
    by_person = _csr(app.person[entries], graph.n)
    reviewer_at = np.full(graph.n, -1, dtype=np.int64)
    sources = [(j, graph.index[r.id]) for j, r in enumerate(reviewers) if r.id in graph.index]
    for j, x in sources:
        reviewer_at[x] = j
    hit_case: list[IntArray] = []
    hit_reviewer: list[IntArray] = []
    hit_key: list[IntArray] = []
    if side is None:
        side = "reviewers" if len(sources) <= len(entries) else "applicants"
    if side == "reviewers":  # one search from each reviewer
        nearest = _Nearest(len(cases))
        for j, x in sources:
            people, dist = graph.reach(x, d)
            people, dist = people[dist > 0], dist[dist > 0]
            counts = by_person[people + 1] - by_person[people]
            at = entries[_ranges(by_person[people], counts)]
            found, key = nearest(app.case[at], np.repeat(dist, counts) * width + app.pos[at])
            hit_case.append(found)
            hit_reviewer.append(np.full(len(found), j, dtype=np.int64))
            hit_key.append(key)
    else:  # one search from each applicant, case by case
        nearest = _Nearest(len(reviewers))
        for i in range(len(cases)):
            group_reviewer: list[IntArray] = []
            group_key: list[IntArray] = []
            for e in range(int(app.start[i]), int(app.start[i + 1])):
                if app.person[e] < 0:
                    continue
                people, dist = graph.reach(int(app.person[e]), d)
                who = reviewer_at[people]
                seen = (who >= 0) & (dist > 0)
                group_reviewer.append(who[seen])
                group_key.append(dist[seen] * width + app.pos[e])
            if group_reviewer:
                found, key = nearest(np.concatenate(group_reviewer), np.concatenate(group_key))
                hit_case.append(np.full(len(found), i, dtype=np.int64))
                hit_reviewer.append(found)
                hit_key.append(key)
    empty = np.zeros(0, dtype=np.int64)
    case_of = np.concatenate([empty, *hit_case])
    reviewer_of = np.concatenate([empty, *hit_reviewer])
    key = np.concatenate([empty, *hit_key])
    order = np.argsort(case_of * len(reviewers) + reviewer_of, kind="stable")
    case_of, reviewer_of, key = case_of[order], reviewer_of[order], key[order]
    entry = app.start[case_of] + key % width
    lines = _lines(problem, graph, app, reviewer_of, entry, key // width)
    return _Hits(case_of, reviewer_of, lines)


def _lines(
    problem: Problem,
    graph: _RelationGraph,
    app: _Applicants,
    reviewer_of: IntArray,
    entry: IntArray,
    dist: IntArray,
) -> npt.NDArray[np.object_]:
    """The detail line of each hit: the kind of a direct relation, else the distance."""
    lines = np.empty(len(entry), dtype=np.object_)
    far = np.flatnonzero(dist > 1)
    # One string for each (applicant entry, distance): many reviewers share it.
    span = int(dist.max(initial=0)) + 1
    code, inverse = _distinct(entry[far] * span + dist[far])
    made = [
        f"relation: distance {dd} from applicant {app.ids[e]}"
        for e, dd in zip((code // span).tolist(), (code % span).tolist(), strict=True)
    ]
    table = np.empty(len(made), dtype=np.object_)
    table[:] = made
    lines[far] = table[inverse]
    direct = np.flatnonzero(dist == 1)
    if direct.size:
        person = app.person[entry[direct]]
        reviewer = np.array(
            [graph.index[problem.reviewers[j].id] for j in reviewer_of[direct].tolist()],
            dtype=np.int64,
        )
        edge = np.minimum(person, reviewer) * graph.n + np.maximum(person, reviewer)
        rows = graph.edge_row[np.searchsorted(graph.edge_key, edge)]
        said: dict[tuple[int, str], str] = {}
        for h, e, r in zip(direct.tolist(), entry[direct].tolist(), rows.tolist(), strict=True):
            kind = problem.relations[r].kind or "related"
            if (e, kind) not in said:
                said[e, kind] = f"relation: {kind} of applicant {app.ids[e]}"
            lines[h] = said[e, kind]
    return lines


def conflicts(problem: Problem, policy: Policy | None = None) -> tuple[ConflictPair, ...]:
    """Every conflicted (case, reviewer) pair of a problem under a policy, with reasons.

    Parameters
    ----------
    problem
        The cases, reviewers, declared conflicts and relations.
    policy
        Which conflict rules are on (``policy.conflicts``); ``None`` is ``Policy()``.

    Returns
    -------
    tuple of ConflictPair
        Sorted by case then reviewer in the problem's order.

    Examples
    --------
    >>> import reviewassign as ra
    >>> p = ra.Problem(
    ...     cases=[ra.Case(id="C1", institution=("U1",), applicants=("P1",))],
    ...     reviewers=[ra.Reviewer(id="R1", institution="U1"), ra.Reviewer(id="R2"),
    ...                ra.Reviewer(id="R3")],
    ...     relations=[ra.Relation(a="P1", b="R2", kind="coauthor")],
    ... )
    >>> [(c.reviewer, c.reasons) for c in ra.conflicts(p)]
    [('R1', ('same_institution',)), ('R2', ('relation',))]
    """
    policy = Policy.coerce(policy)
    with _collector_paused():
        return _conflicts(problem, policy)


def _conflicts(problem: Problem, policy: Policy) -> tuple[ConflictPair, ...]:
    """Every conflicted pair of ``problem`` under ``policy``, with its reasons."""
    rules = policy.conflicts
    n_r = len(problem.reviewers)
    case_pos = {c.id: i for i, c in enumerate(problem.cases)}
    reviewer_pos = {r.id: i for i, r in enumerate(problem.reviewers)}
    # (case, reviewer) as case position * reviewers + reviewer position -> reason -> detail
    found: dict[int, dict[str, str]] = defaultdict(dict)

    def add(case: int, reviewers: Iterable[str], reason: str, detail: str) -> None:
        for r in reviewers:
            found[case * n_r + reviewer_pos[r]].setdefault(reason, detail)

    for c in problem.conflicts:
        detail = "declared" if c.reason in ("", "declared") else f"declared: {c.reason}"
        add(case_pos[c.case], (c.reviewer,), "declared", detail)
    by_institution: dict[str, list[str]] = defaultdict(list)
    by_country: dict[str, list[str]] = defaultdict(list)
    for r in problem.reviewers:
        if r.institution:
            by_institution[r.institution].append(r.id)
        if r.country:
            by_country[r.country].append(r.id)
    for i, case in enumerate(problem.cases):
        applicants = [p for p in case.applicants if p in reviewer_pos]
        add(i, applicants, "applicant", "applicant: reviewer is an applicant")
        if rules.same_institution:
            for inst in case.institution:
                add(
                    i, by_institution.get(inst, ()), "same_institution", f"same institution: {inst}"
                )
        if rules.same_country and case.country:
            add(
                i, by_country.get(case.country, ()), "same_country", f"same country: {case.country}"
            )
    hits = None
    if rules.relation_distance > 0 and problem.relations:
        hits = _relation_hits(problem, rules.relation_distance)
    return _assemble(problem, found, hits)


def _assemble(
    problem: Problem, found: dict[int, dict[str, str]], hits: _Hits | None
) -> tuple[ConflictPair, ...]:
    """The conflict pairs in the problem's order, with the relation hits merged in.

    ``found`` holds the other reasons of each pair, keyed ``case * reviewers + reviewer``
    (positions in the problem).
    """
    n_r = len(problem.reviewers)
    case_ids = np.array([c.id for c in problem.cases], dtype=np.object_)
    reviewer_ids = np.array([r.id for r in problem.reviewers], dtype=np.object_)
    known = np.array(sorted(found), dtype=np.int64)
    related = np.zeros(0, dtype=np.int64) if hits is None else hits.case * n_r + hits.reviewer
    # Pairs with a relation only (most, in a large graph), in bulk.
    alone = np.isin(related, known, invert=True)
    out = []
    if hits is not None:
        out = [
            ConflictPair(c, r, _RELATION_ONLY, (line,))
            for c, r, line in zip(
                case_ids[hits.case[alone]].tolist(),
                reviewer_ids[hits.reviewer[alone]].tolist(),
                hits.lines[alone].tolist(),
                strict=True,
            )
        ]
    at = np.searchsorted(related, known).tolist()
    related_keys = related.tolist()
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple for every equal reason list
    for key, h in zip(known.tolist(), at, strict=True):
        reasons = found[key]
        if hits is not None and h < len(related_keys) and related_keys[h] == key:
            reasons["relation"] = hits.lines[h]
        codes = tuple(r for r in REASONS if r in reasons)
        codes = shared.setdefault(codes, codes)
        i, j = divmod(key, n_r)
        details = tuple(reasons[r] for r in codes)
        out.append(ConflictPair(case_ids[i], reviewer_ids[j], codes, details))
    order = np.argsort(np.concatenate([related[alone], known]), kind="stable")
    return tuple(out[k] for k in order.tolist())
