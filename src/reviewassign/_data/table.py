"""Given affinity scores as arrays: the form that scales to millions of pairs.

A conference's similarity matrix has one score per (paper, reviewer) pair: 14.4 million
for CVPR 2018. One pydantic object per pair would cost gigabytes; :class:`AffinityTable`
keeps the same rows as three numpy arrays (case index, reviewer index, score) over two
id vocabularies, and still reads as a sequence of :class:`~reviewassign.Affinity`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, overload

import numpy as np
import numpy.typing as npt
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from .fields import MAX_SCORE, Frozen, Id, Score

__all__ = ["Affinity", "AffinityTable"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class Affinity(Frozen):
    """A given affinity score of a (case, reviewer) pair; overrides the computed one."""

    case: Id
    reviewer: Id
    score: Score


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``array``, made read-only."""
    array.setflags(write=False)
    return array


class AffinityTable(Sequence[Affinity]):
    """Given affinity scores: rows of (case, reviewer, score) held as numpy arrays.

    Row ``i`` gives ``score[i]`` to the pair ``(case_ids[case[i]],
    reviewer_ids[reviewer[i]])``. Rows keep their given order. The table is immutable and
    reads as a sequence of :class:`~reviewassign.Affinity`, so it can stand wherever a
    list of affinities can; :class:`~reviewassign.Problem` keeps its ``affinity`` as one.
    Unknown ids and pairs given twice are reported by the problem that holds the table,
    with the row they are on.

    Parameters
    ----------
    case_ids, reviewer_ids
        The id vocabularies that the index arrays point into.
    case, reviewer
        Integer arrays of one length: indices into ``case_ids`` and ``reviewer_ids``.
    score
        Float array of the same length; finite, at most ``MAX_SCORE`` in magnitude.

    Examples
    --------
    >>> from reviewassign import AffinityTable
    >>> table = AffinityTable(["C1", "C2"], ["R1", "R2"], [0, 1], [1, 0], [0.9, 0.4])
    >>> len(table), table[0]
    (2, Affinity(case='C1', reviewer='R2', score=0.9))
    >>> table.get("C2", "R1"), table.get("C2", "R2")
    (0.4, None)
    >>> AffinityTable.from_ids(["C1", "C1"], ["R1", "R2"], [1.0, 0.5]).reviewer_ids
    ('R1', 'R2')
    """

    def __init__(
        self,
        case_ids: Sequence[str],
        reviewer_ids: Sequence[str],
        case: npt.ArrayLike,
        reviewer: npt.ArrayLike,
        score: npt.ArrayLike,
    ) -> None:
        self._case_ids = tuple(str(c) for c in case_ids)
        self._reviewer_ids = tuple(str(r) for r in reviewer_ids)
        columns = []
        for name, values, size in (
            ("case", case, len(self._case_ids)),
            ("reviewer", reviewer, len(self._reviewer_ids)),
        ):
            array = np.asarray(values)
            if array.size == 0:
                array = array.astype(np.int64)
            if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
                raise ValueError(f"{name} must be a 1-d array of integer indices")
            if array.size and (array.min() < 0 or array.max() >= size):
                i = int(np.flatnonzero((array < 0) | (array >= size))[0])
                raise ValueError(f"row {i}: {name} index {array[i]} is outside 0..{size - 1}")
            columns.append(array.astype(np.int64 if size > 2**31 - 1 else np.int32))
        scores = np.asarray(score, dtype=np.float64)
        if scores.ndim != 1 or not len(columns[0]) == len(columns[1]) == len(scores):
            raise ValueError("case, reviewer and score must be 1-d arrays of one length")
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(scores) <= MAX_SCORE)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"row {i}: score {scores[i]} is not a finite number within ±{MAX_SCORE:g}"
            )
        self._case, self._reviewer = (_frozen(c) for c in columns)
        self._score = _frozen(scores.copy() if scores is score else scores)

    @classmethod
    def from_ids(
        cls, case: Sequence[str], reviewer: Sequence[str], score: npt.ArrayLike
    ) -> AffinityTable:
        """A table from three columns of ids and scores (e.g. read from a CSV file).

        The vocabularies list the ids in order of first appearance.
        """
        case_codes, case_ids = _encode(case)
        reviewer_codes, reviewer_ids = _encode(reviewer)
        return cls(case_ids, reviewer_ids, case_codes, reviewer_codes, score)

    @classmethod
    def from_rows(cls, rows: Iterable[Affinity]) -> AffinityTable:
        """A table from :class:`~reviewassign.Affinity` rows, in their order."""
        rows = list(rows)
        return cls.from_ids(
            [a.case for a in rows], [a.reviewer for a in rows], [a.score for a in rows]
        )

    # ------------------------------------------------------------------ the columns

    @property
    def case_ids(self) -> tuple[str, ...]:
        """The case id vocabulary (``case`` indexes it)."""
        return self._case_ids

    @property
    def reviewer_ids(self) -> tuple[str, ...]:
        """The reviewer id vocabulary (``reviewer`` indexes it)."""
        return self._reviewer_ids

    @property
    def case(self) -> npt.NDArray[np.integer[Any]]:
        """Per row, the index of its case in ``case_ids`` (read-only)."""
        return self._case

    @property
    def reviewer(self) -> npt.NDArray[np.integer[Any]]:
        """Per row, the index of its reviewer in ``reviewer_ids`` (read-only)."""
        return self._reviewer

    @property
    def score(self) -> FloatArray:
        """Per row, its score (read-only)."""
        return self._score

    def recode(self, case_ids: Sequence[str], reviewer_ids: Sequence[str]) -> AffinityTable:
        """The same rows over other vocabularies, which must hold every id used.

        Raises ``KeyError`` naming an id missing from them.
        """
        case_ids, reviewer_ids = tuple(case_ids), tuple(reviewer_ids)
        if case_ids == self._case_ids and reviewer_ids == self._reviewer_ids:
            return self
        maps = []
        for old, new in ((self._case_ids, case_ids), (self._reviewer_ids, reviewer_ids)):
            pos = {x: i for i, x in enumerate(new)}
            maps.append(np.array([pos.get(x, -1) for x in old], dtype=np.int64))
        case_map, reviewer_map = maps
        case = case_map[self._case] if len(self._case) else self._case.astype(np.int64)
        reviewer = (
            reviewer_map[self._reviewer] if len(self._reviewer) else self._reviewer.astype(np.int64)
        )
        for codes, old in ((case, self._case_ids), (reviewer, self._reviewer_ids)):
            if len(codes) and codes.min() < 0:
                i = int(np.flatnonzero(codes < 0)[0])
                source = self._case if old is self._case_ids else self._reviewer
                raise KeyError(old[int(source[i])])
        return AffinityTable(case_ids, reviewer_ids, case, reviewer, self._score)

    def unknown(self, case_ids: set[str], reviewer_ids: set[str]) -> list[tuple[int, str, str]]:
        """``(row, field, id)`` of the first row using each id outside the given sets."""
        found: list[tuple[int, str, str]] = []
        for field, vocab, codes, known in (
            ("case", self._case_ids, self._case, case_ids),
            ("reviewer", self._reviewer_ids, self._reviewer, reviewer_ids),
        ):
            missing = [i for i, x in enumerate(vocab) if x not in known]
            if not missing:
                continue
            used = np.flatnonzero(np.isin(codes, missing))
            found.extend((int(i), field, vocab[int(codes[i])]) for i in used[:1000])
        return sorted(found)

    def duplicates(self) -> list[int]:
        """Rows that repeat the pair of an earlier row, in row order."""
        keys = self._keys
        order = np.argsort(keys, kind="stable")
        same = np.flatnonzero(keys[order][1:] == keys[order][:-1]) + 1
        return sorted(int(i) for i in order[same])

    @cached_property
    def _keys(self) -> IntArray:
        """Each row's (case, reviewer) pair as one integer key."""
        keys: IntArray = self._case.astype(np.int64) * max(1, len(self._reviewer_ids))
        keys += self._reviewer
        return keys

    @cached_property
    def _order(self) -> IntArray | None:
        """Rows by (case, reviewer) index, stable; None when they already are in that order."""
        keys = self._keys
        if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])):
            return None  # e.g. every table of Problem.from_matrix
        return np.argsort(keys, kind="stable")

    def by_pair(
        self,
    ) -> tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]], FloatArray]:
        """The case, reviewer and score columns sorted by (case, reviewer) index."""
        order = self._order
        if order is None:
            return self._case, self._reviewer, self._score
        return self._case[order], self._reviewer[order], self._score[order]

    @cached_property
    def _lookup(self) -> tuple[IntArray, IntArray, Mapping[str, int], Mapping[str, int]]:
        """The sorted keys, their rows and the id positions that :meth:`get` searches."""
        order = np.arange(len(self._keys)) if self._order is None else self._order
        case_pos = {c: i for i, c in enumerate(self._case_ids)}
        reviewer_pos = {r: i for i, r in enumerate(self._reviewer_ids)}
        return self._keys[order], order, case_pos, reviewer_pos

    def get(self, case: str, reviewer: str) -> float | None:
        """The score given to a pair, or ``None`` if the table has none (the first if twice)."""
        keys, order, case_pos, reviewer_pos = self._lookup
        c, r = case_pos.get(case), reviewer_pos.get(reviewer)
        if c is None or r is None:
            return None
        key = c * max(1, len(self._reviewer_ids)) + r
        i = int(np.searchsorted(keys, key))
        return float(self._score[order[i]]) if i < len(keys) and keys[i] == key else None

    def digest(self) -> str:
        """SHA-256 of the vocabularies and the rows sorted by (case, reviewer) index.

        Independent of the row order. (A problem's table uses the problem's own id order
        as vocabularies, so equal problems give equal digests.)
        """
        h = hashlib.sha256()
        for vocab in (self._case_ids, self._reviewer_ids):
            h.update("\x1f".join(vocab).encode("utf-8") + b"\x1e")
        for column, dtype in zip(self.by_pair(), (np.int64, np.int64, np.float64), strict=True):
            h.update(np.ascontiguousarray(column, dtype=dtype).tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ Sequence

    def __len__(self) -> int:
        return len(self._score)

    @overload
    def __getitem__(self, index: int) -> Affinity: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Affinity, ...]: ...

    def __getitem__(self, index: int | slice) -> Affinity | tuple[Affinity, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        i = range(len(self))[index]
        return Affinity.model_construct(
            case=self._case_ids[int(self._case[i])],
            reviewer=self._reviewer_ids[int(self._reviewer[i])],
            score=float(self._score[i]),
        )

    def __iter__(self) -> Iterator[Affinity]:
        cids, rids = self._case_ids, self._reviewer_ids
        for c, r, s in zip(
            self._case.tolist(), self._reviewer.tolist(), self._score.tolist(), strict=True
        ):
            yield Affinity.model_construct(case=cids[c], reviewer=rids[r], score=s)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AffinityTable):
            if len(self) != len(other):
                return False
            if self._case_ids == other._case_ids and self._reviewer_ids == other._reviewer_ids:
                return bool(
                    np.array_equal(self._case, other._case)
                    and np.array_equal(self._reviewer, other._reviewer)
                    and np.array_equal(self._score, other._score)
                )
            return list(self) == list(other)
        if isinstance(other, list | tuple):
            return list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((len(self), self._score.tobytes()[:4096]))

    def __repr__(self) -> str:
        return (
            f"AffinityTable({len(self)} rows, {len(self._case_ids)} cases, "
            f"{len(self._reviewer_ids)} reviewers)"
        )

    # ------------------------------------------------------------------ pydantic

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        rows = core_schema.no_info_after_validator_function(
            cls.from_rows, handler.generate_schema(tuple[Affinity, ...])
        )
        return core_schema.json_or_python_schema(
            json_schema=rows,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), rows]),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _dump, return_schema=core_schema.list_schema(core_schema.dict_schema())
            ),
        )


def _dump(table: AffinityTable) -> list[dict[str, object]]:
    """The rows as ``case``, ``reviewer``, ``score`` records."""
    cids, rids = table.case_ids, table.reviewer_ids
    return [
        {"case": cids[c], "reviewer": rids[r], "score": s}
        for c, r, s in zip(
            table.case.tolist(), table.reviewer.tolist(), table.score.tolist(), strict=True
        )
    ]


def _encode(ids: Sequence[str]) -> tuple[IntArray, tuple[str, ...]]:
    """Each id as the position of its first occurrence, and the distinct ids in order."""
    pos: dict[str, int] = {}
    codes = np.fromiter((pos.setdefault(str(x), len(pos)) for x in ids), np.int64, len(ids))
    return codes, tuple(pos)
