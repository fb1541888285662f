"""A constructive assignment: a quick start that meets the hard rules, before any search.

Case by case, in the problem's order, each case takes its best reviewers by affinity
among those with seats left, searching depth first (best first, a bounded number of
steps) for a panel that meets every rule of one panel: its size, the region and gender
caps and minimums, the case's own region, seniors, topic coverage and the panel-affinity
floor. Reviewers' load caps and weak-match caps are kept as it goes. A case that finds no
panel among reviewers with seats left then takes one whose full reviewers each pass one of
their cases on: to a reviewer with a seat left, or to a full one who passes one of theirs
on in turn (chains of up to three exchanges, each keeping its panel valid). Everything is
deterministic: the same instance and policy give the same start.

Rules it does not look at (minimum loads, review cycles, representation bands) are left to
the search: the start is CP-SAT's hint, and it is returned on its own only once ``check``
has passed it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .._data.policy import WEAK_EPS, Policy
from .._data.rules import region_cap

__all__ = ["Start", "StartBuilder"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Row = Callable[[int], tuple[IntArray, FloatArray]]
"""Case -> its candidate reviewers (ascending) and their affinities."""

_LOOKS_PER_SEAT = (4, 16)
"""A case looks at its best ``4 * panel_size`` reviewers with seats left, then its best
``16 * panel_size``, then at all of them."""

_STEPS = 2_000
"""Search steps a case may take in each attempt (bounds the time of a hopeless case)."""

_EXCHANGE_PANELS = 8
"""Panels a case left short tries to free seats for, by exchanges, before giving up."""

_CHAIN = 3
"""The longest chain of exchanges that frees a seat (each passes one case on)."""

_CHAIN_WIDTH = 24
"""Within a chain, the best reviewers a passed-on case looks at, full ones included."""

_PASS_WIDTH = 128
"""At a chain's end, the best reviewers with seats left a passed-on case looks at."""

_EXCHANGE_STEPS = 20_000
"""Reviewers a short case may look at, over all its exchanges."""


@dataclass(frozen=True, slots=True)
class Start:
    """A constructive assignment as ``(case, reviewer)`` index pairs, and what it missed."""

    case: IntArray
    reviewer: IntArray
    """The seats, sorted by case then reviewer."""
    short: int
    """Cases without a full panel (0: every case has one)."""
    seconds: float
    """Time spent making it."""

    @property
    def complete(self) -> bool:
        """Whether every case has a full panel."""
        return self.short == 0


class _Seat(NamedTuple):
    """A candidate reviewer of one case, with what the panel rules read of them.

    A named tuple: thousands are made per second, and a tuple is the cheapest record.
    """

    pos: int
    """Position in the candidate row the seat was made from."""
    reviewer: int
    region: int
    gender: int
    senior: bool
    topics: int
    """Bit ``i`` set: the reviewer covers the case's ``i``-th topic."""
    affinity: float
    weak: bool


_Move = tuple[int, "_Seat", "_Seat"]
"""A case, the seat it gave up and the seat that took its place."""


class StartBuilder:
    """Builds the constructive assignment one case at a time (see the module docstring).

    Parameters are the instance's arrays (``_reduce.eligible.Instance`` has the same names), so
    that the start can be made while the instance's rows are read, before it exists.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        panel_size: IntArray,
        max_load: IntArray,
        case_region: IntArray,
        case_topics: Sequence[Sequence[str]],
        reviewer_region: IntArray,
        reviewer_gender: IntArray,
        reviewer_senior: BoolArray,
        reviewer_covers: dict[str, BoolArray],
    ) -> None:
        panel = policy.panel
        self.region_cap = region_cap(policy)
        self.gender_cap = panel.max_per_gender
        self.min_regions = panel.min_regions
        self.min_genders = panel.min_genders
        self.min_senior = panel.min_senior
        self.own_region = panel.own_region == "at_least_one"
        self.coverage = policy.expertise.coverage
        self.floor = policy.expertise.min_panel_affinity
        self.weak_cap = policy.load.max_weak_matches
        self.weak_below = policy.load.weak_match_below
        self.panel_size = panel_size
        self.case_region = case_region
        self.case_topics = case_topics
        self.region = reviewer_region
        self.gender = reviewer_gender
        self.senior = reviewer_senior
        self.covers = reviewer_covers
        self.left = max_load.astype(np.int64).copy()
        # Weak matches each reviewer may still take (read only under a weak-match cap).
        self.weak_left = np.full(len(max_load), self.weak_cap or 0, dtype=np.int64)
        self.panels: dict[int, list[_Seat]] = {}
        self.held: dict[int, list[int]] = {}  # reviewer -> the cases they sit on
        self.short: list[int] = []

    # -- candidates ---------------------------------------------------------------------

    def _seats(self, c: int, rev: IntArray, aff: FloatArray, *, open_only: bool) -> _Seats:
        """Case ``c``'s candidates, best affinity first (ties: lower reviewer index).

        ``open_only``: only reviewers with a seat (and a weak-match slot for a weak pair)
        left.
        """
        weak = np.zeros(len(rev), dtype=np.bool_)
        if self.weak_cap is not None:
            weak = aff < self.weak_below - WEAK_EPS
        keep = np.arange(len(rev))
        if open_only:
            ok = self.left[rev] > 0
            if self.weak_cap is not None:
                ok &= ~weak | (self.weak_left[rev] > 0)
            keep = np.flatnonzero(ok)
        return _Seats(self, c, keep, rev[keep], aff[keep], weak[keep])

    def blocked(self, s: _Seat) -> bool:
        """Whether ``s``'s reviewer has no seat, or no weak-match slot for it, left."""
        return bool(self.left[s.reviewer] <= 0) or (
            s.weak and bool(self.weak_left[s.reviewer] <= 0)
        )

    # -- one panel ----------------------------------------------------------------------

    def valid(self, c: int, panel: list[_Seat]) -> bool:
        """Whether ``panel`` meets every rule of one panel for case ``c``."""
        if len(panel) != int(self.panel_size[c]):
            return False
        regions: dict[int, int] = {}
        genders: dict[int, int] = {}
        for s in panel:
            regions[s.region] = regions.get(s.region, 0) + 1
            if s.gender >= 0:
                genders[s.gender] = genders.get(s.gender, 0) + 1
        if self.region_cap is not None and max(regions.values(), default=0) > self.region_cap:
            return False
        if self.gender_cap is not None and max(genders.values(), default=0) > self.gender_cap:
            return False
        return self._complete(c, panel, regions, genders)

    def _complete(
        self, c: int, panel: list[_Seat], regions: dict[int, int], genders: dict[int, int]
    ) -> bool:
        """The minimums, coverage and floor of a full panel (the caps are kept as it grows)."""
        if len(regions) < self.min_regions or len(genders) < self.min_genders:
            return False
        if sum(s.senior for s in panel) < self.min_senior:
            return False
        if self.own_region and int(self.case_region[c]) not in regions:
            return False
        n_topics = len(self.case_topics[c])
        covered = 0
        for s in panel:
            covered |= s.topics
        if self.coverage == "all" and covered != (1 << n_topics) - 1:
            return False
        if self.coverage == "any" and n_topics and not covered:
            return False
        return self.floor <= 0 or sum(s.affinity for s in panel) >= self.floor

    def search(self, c: int, cands: list[_Seat], tries: int = 1) -> list[list[_Seat]]:
        """Up to ``tries`` valid panels of ``cands``, best first, within ``_STEPS`` steps."""
        panels = _PanelSearch(self, c, cands, tries)
        panels.grow(0, int(self.panel_size[c]), 0, 0.0)
        return panels.found

    # -- assigning ----------------------------------------------------------------------

    def _seat(self, c: int, s: _Seat, sign: int) -> None:
        """Add (``sign`` +1) or remove (-1) seat ``s`` on case ``c``'s panel in the counts."""
        self.left[s.reviewer] -= sign
        if s.weak:
            self.weak_left[s.reviewer] -= sign
        held = self.held.setdefault(s.reviewer, [])
        if sign > 0:
            held.append(c)
        else:
            held.remove(c)

    def _take(self, c: int, panel: list[_Seat]) -> None:
        """Give case ``c`` the panel ``panel``."""
        self.panels[c] = panel
        for s in panel:
            self._seat(c, s, +1)

    def place(self, c: int, rev: IntArray, aff: FloatArray) -> IntArray:
        """Give case ``c`` a panel of its reviewers ``rev`` with seats left.

        Returns the positions in ``rev`` of the panel; none if no panel was found (the
        case is then left for :meth:`exchange`).
        """
        seats = self._seats(c, rev, aff, open_only=True)
        size = max(1, int(self.panel_size[c]))
        looks = [n * size for n in _LOOKS_PER_SEAT if n * size < len(seats)] + [len(seats)]
        for n in looks:
            found = self.search(c, seats.first(n))
            if found:
                self._take(c, found[0])
                return np.array(sorted(s.pos for s in found[0]), dtype=np.int64)
        self.short.append(c)
        return np.zeros(0, dtype=np.int64)

    def exchange(self, row: Row) -> None:
        """Give each case left short a panel whose full reviewers each pass a case on.

        ``row`` gives a case's candidate reviewers and affinities.
        """
        short = self.short
        self.short = []
        for c in short:
            if c in self.panels or not self._exchange(c, row):
                self.short.append(c)

    def _exchange(self, c: int, row: Row) -> bool:
        """Seat a panel for case ``c`` by moving reviewers of other panels; whether it worked."""
        rev, aff = row(c)
        every = self._seats(c, rev, aff, open_only=False)
        budget = [_EXCHANGE_STEPS]
        for panel in self.search(c, every.first(len(every)), tries=_EXCHANGE_PANELS):
            mine = {s.reviewer for s in panel}
            undo: list[_Move] = []
            for s in panel:
                if self.blocked(s):
                    moved = self._pass_on(s, mine, {c}, row, _CHAIN - 1, budget)
                    if moved is None:
                        break
                    undo.extend(moved)
            if not any(self.blocked(s) for s in panel):
                self._take(c, panel)
                return True
            self._undo(undo)
        return False

    def _pass_on(
        self,
        seat: _Seat,
        avoid: set[int],
        busy: set[int],
        row: Row,
        depth: int,
        budget: list[int],
    ) -> list[_Move] | None:
        """Free what ``seat`` needs of its reviewer: one of their cases goes to another.

        The other reviewer is not in ``avoid`` (the panel being made) and keeps the case's
        panel valid; with ``depth`` left, a full one passes a case of theirs on in turn
        (a chain of exchanges, never through a case in ``busy``). Returns the moves made,
        or None (and nothing moved). ``budget``: steps left to the whole exchange.
        """
        r = seat.reviewer
        need_weak = seat.weak and self.weak_left[r] <= 0
        for other in list(self.held.get(r, [])):
            if other in busy:
                continue
            panel = self.panels[other]
            old = next(s for s in panel if s.reviewer == r)
            if need_weak and not old.weak:
                continue  # only a weak seat frees a weak-match slot
            present = {s.reviewer for s in panel}
            rev, aff = row(other)
            seats = self._seats(other, rev, aff, open_only=depth == 0)
            for new in seats.first(_PASS_WIDTH if depth == 0 else _CHAIN_WIDTH):
                budget[0] -= 1
                if budget[0] < 0:
                    return None
                if new.reviewer in present or new.reviewer in avoid:
                    continue
                if not self.valid(other, [new if s is old else s for s in panel]):
                    continue
                moves: list[_Move] = []
                if self.blocked(new):
                    sub = self._pass_on(new, avoid | {r}, busy | {other}, row, depth - 1, budget)
                    if sub is None:
                        continue
                    if self.blocked(new):
                        self._undo(sub)
                        continue
                    moves = sub
                self._swap(other, old, new)
                return [*moves, (other, old, new)]
        return None

    def _undo(self, moves: list[_Move]) -> None:
        """Take back ``moves``, the last one first."""
        for other, old, new in reversed(moves):
            self._swap(other, new, old)

    def _swap(self, c: int, old: _Seat, new: _Seat) -> None:
        """Replace seat ``old`` by ``new`` on case ``c``'s panel."""
        self._seat(c, old, -1)
        self._seat(c, new, +1)
        self.panels[c] = [new if s is old else s for s in self.panels[c]]

    def start(self, seconds: float) -> Start:
        """The assignment made so far, with the time it took."""
        found = sorted((c, s.reviewer) for c, panel in self.panels.items() for s in panel)
        arr = np.array(found, dtype=np.int64).reshape(-1, 2)
        return Start(arr[:, 0].copy(), arr[:, 1].copy(), len(self.short), seconds)


class _Seats:
    """A case's candidates, best affinity first (ties: lower reviewer index).

    They are sorted, and made into :class:`_Seat` records, only as far as they are read.
    ``rev`` ascends (a case's row does); ``pos`` are the candidates' positions in it.
    """

    def __init__(
        self,
        builder: StartBuilder,
        c: int,
        pos: IntArray,
        rev: IntArray,
        aff: FloatArray,
        weak: BoolArray,
    ) -> None:
        self._b, self._c = builder, c
        self._pos, self._rev, self._aff, self._weak = pos, rev, aff, weak
        self._ranked = np.zeros(0, dtype=np.int64)
        self._made: list[_Seat] = []

    def __len__(self) -> int:
        return len(self._rev)

    def _rank(self, n: int) -> IntArray:
        """Indices of the best ``n`` candidates, in order (a partial sort when few)."""
        aff = self._aff
        if n >= len(aff):
            return np.lexsort((self._rev, -aff))
        threshold = -np.partition(-aff, n - 1)[n - 1]  # the n-th largest affinity
        above = np.flatnonzero(aff > threshold)
        ties = np.flatnonzero(aff == threshold)[: n - len(above)]  # lower reviewers first
        best = np.concatenate([above, ties])
        return best[np.lexsort((self._rev[best], -aff[best]))]

    def first(self, n: int) -> list[_Seat]:
        """The best ``n`` candidates."""
        n = min(n, len(self))
        if n > len(self._made):
            if n > len(self._ranked):
                self._ranked = self._rank(n)
            b = self._b
            at = self._ranked[len(self._made) : n]
            r = self._rev[at]
            topics = np.zeros(len(r), dtype=np.int64)
            if b.coverage != "none":
                for i, t in enumerate(b.case_topics[self._c]):
                    topics |= b.covers[t][r].astype(np.int64) << i
            columns = zip(
                self._pos[at].tolist(),
                r.tolist(),
                b.region[r].tolist(),
                b.gender[r].tolist(),
                b.senior[r].tolist(),
                topics.tolist(),
                self._aff[at].tolist(),
                self._weak[at].tolist(),
                strict=True,
            )
            self._made.extend(_Seat._make(column) for column in columns)
        return self._made[:n]


class _PanelSearch:
    """One depth-first search for the valid panels of a case among its sorted candidates.

    The panel grows one seat at a time, best first, keeping the region and gender caps; a
    branch is cut as soon as the seats left cannot bring the minimums, the floor or the
    coverage. The search stops after ``tries`` panels or ``_STEPS`` steps.
    """

    __slots__ = (
        "builder",
        "c",
        "cands",
        "chosen",
        "found",
        "full",
        "genders",
        "own",
        "prefix",
        "reach",
        "regions",
        "steps",
        "tries",
    )

    def __init__(self, builder: StartBuilder, c: int, cands: list[_Seat], tries: int) -> None:
        self.builder, self.c, self.cands, self.tries = builder, c, cands, tries
        self.full = (1 << len(builder.case_topics[c])) - 1
        n = len(cands)
        self.reach = [0] * (n + 1)  # the topics that the candidates from i on cover
        for i in range(n - 1, -1, -1):
            self.reach[i] = self.reach[i + 1] | cands[i].topics
        # Sorted: the best k from j on sum to prefix[j+k] - prefix[j].
        self.prefix = [0.0] * (n + 1)
        for i, s in enumerate(cands):
            self.prefix[i + 1] = self.prefix[i] + s.affinity
        self.found: list[list[_Seat]] = []
        self.chosen: list[_Seat] = []
        self.regions: dict[int, int] = {}
        self.genders: dict[int, int] = {}
        self.steps = _STEPS
        self.own = int(builder.case_region[c])

    def possible(self, k: int) -> bool:
        """Whether ``k`` more seats could still bring the minimums (a necessary test)."""
        b = self.builder
        seniors = sum(s.senior for s in self.chosen)
        return (
            b.min_regions - len(self.regions) <= k
            and b.min_genders - len(self.genders) <= k
            and b.min_senior - seniors <= k
            and not (b.own_region and k == 0 and self.own not in self.regions)
        )

    def fits(self, s: _Seat) -> bool:
        """Whether seat ``s`` keeps the panel within the region and gender caps."""
        b = self.builder
        if b.region_cap is not None and self.regions.get(s.region, 0) >= b.region_cap:
            return False
        return not (
            b.gender_cap is not None
            and s.gender >= 0
            and self.genders.get(s.gender, 0) >= b.gender_cap
        )

    def grow(self, i: int, k: int, covered: int, total: float) -> bool:
        """Add ``k`` seats from ``cands[i:]``; True once the search is over."""
        b, cands, prefix = self.builder, self.cands, self.prefix
        if k == 0:
            if b._complete(self.c, self.chosen, self.regions, self.genders):
                self.found.append(list(self.chosen))
            return len(self.found) >= self.tries
        floor, cover_all = b.floor, b.coverage == "all"
        for j in range(i, len(cands) - k + 1):
            self.steps -= 1
            if self.steps < 0:
                return True
            s = cands[j]
            if floor > 0 and total + prefix[j + k] - prefix[j] < floor:
                return False  # sorted by affinity: no later choice reaches the floor
            if cover_all and (covered | self.reach[j]) != self.full:
                return False  # the candidates left cannot cover every topic
            if not self.fits(s):
                continue
            self._sit(s)
            if self.possible(k - 1) and self.grow(
                j + 1, k - 1, covered | s.topics, total + s.affinity
            ):
                return True
            self._stand(s)
        return False

    def _sit(self, s: _Seat) -> None:
        """Put seat ``s`` on the growing panel."""
        self.chosen.append(s)
        self.regions[s.region] = self.regions.get(s.region, 0) + 1
        if s.gender >= 0:
            self.genders[s.gender] = self.genders.get(s.gender, 0) + 1

    def _stand(self, s: _Seat) -> None:
        """Take seat ``s`` (the last one put) off the growing panel."""
        self.chosen.pop()
        _drop(self.regions, s.region)
        if s.gender >= 0:
            _drop(self.genders, s.gender)


def _drop(counts: dict[int, int], key: int) -> None:
    """Count one ``key`` less, removing it at zero."""
    counts[key] -= 1
    if counts[key] == 0:
        del counts[key]
