"""Readers for the real public data sets in ``../shared/datasets``.

The data sets are never copied into this repository: they are read from the folder named
by ``$REVIEWASSIGN_DATA`` or, failing that, from ``<repo>/../shared/datasets``. Every data
set here is a score matrix without reviewer or case attributes, so each loader returns a
:class:`MatrixInstance`: the scores as ``cases x reviewers`` (the source files are
``reviewers x papers``; we transpose), the declared conflicts, the panel size ``k``, the
load cap ``L`` and the max-sum optimum measured for the shared README's table.

Only numpy and the standard library are used to parse the files (``.npy``, ``.npz``,
PrefLib ``.toi`` and ``.cat``, CSV).

Examples
--------
>>> from benchmarks.datasets import ALL, data_root
>>> if data_root() is not None:  # doctest: +SKIP
...     inst = ALL["preflib1"]()
...     inst.scores.shape, int(inst.conflicts.sum())
((54, 31), 45)
"""

from __future__ import annotations

import csv
import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

import reviewassign as ra

__all__ = [
    "AAMAS_BIDS",
    "ALL",
    "DATA_ENV",
    "MALICIOUS_BIDS",
    "PREFLIB_BIDS",
    "MatrixInstance",
    "aamas",
    "aamas_2021_roles",
    "data_candidate",
    "data_root",
    "malicious_honest",
    "midl",
    "preflib",
    "read_cat",
    "read_toi",
    "require_root",
    "sigir_query",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

DATA_ENV = "REVIEWASSIGN_DATA"
"""Environment variable naming the data folder; it overrides ``<repo>/../shared/datasets``."""

PREFLIB_BIDS = (4.0, 2.0, 1.0)
"""Scores of the three PrefLib MD-00002 bid sets: yes, maybe, no response (Jecmen et al.)."""

AAMAS_BIDS: Mapping[str, float] = {"yes": 1.0, "maybe": 0.5, "no answer": 0.25, "no": 0.0}
"""Scores of the AAMAS bid categories by lower-cased name; "conflict" is a conflict."""

MALICIOUS_BIDS: Mapping[str, float] = {
    "Not willing to review": -1.0,
    "Indifferent": 0.0,
    "Eager to review": 1.0,
    # The bidding form says that not bidding on a paper counts as "Indifferent".
    "": 0.0,
}
"""Scores of the malicious-bidding data set's bids."""


# --------------------------------------------------------------------------------------
# Where the data live


def data_candidate() -> Path:
    """The folder the data sets are looked for in, whether or not it exists.

    ``$REVIEWASSIGN_DATA`` when set, else ``<repo>/../shared/datasets`` (``<repo>`` is the
    parent of ``benchmarks/``).
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def data_root() -> Path | None:
    """The data folder, or ``None`` when it does not exist."""
    path = data_candidate()
    return path if path.is_dir() else None


def require_root() -> Path:
    """The data folder; ``FileNotFoundError`` naming the path tried when it is absent."""
    root = data_root()
    if root is None:
        raise FileNotFoundError(f"real data sets not found at {data_candidate()}; set {DATA_ENV}")
    return root


# --------------------------------------------------------------------------------------
# The instance


@dataclass(frozen=True, eq=False)
class MatrixInstance:
    """A score-matrix assignment instance from a real data set.

    Parameters
    ----------
    name
        Short name, the key in :data:`ALL`.
    scores
        ``(n_cases, n_reviewers)`` scores; a conflicted pair's score is meaningless.
    conflicts
        ``(n_cases, n_reviewers)`` booleans, ``True`` for a declared conflict; ``None``
        when the data set declares none.
    panel_size
        Reviewers per case, ``k``.
    max_load
        Most cases per reviewer, ``L``: one value, or one per reviewer.
    reference_max_sum
        The max-sum optimum of the shared README's table (``None`` if not measured).
    note
        Source, scoring and anything else a report should say about the instance.
    """

    name: str
    scores: FloatArray
    conflicts: BoolArray | None
    panel_size: int
    max_load: int | IntArray
    reference_max_sum: float | None
    note: str

    @property
    def n_cases(self) -> int:
        """Number of cases (papers), the rows of :attr:`scores`."""
        return int(self.scores.shape[0])

    @property
    def n_reviewers(self) -> int:
        """Number of reviewers, the columns of :attr:`scores`."""
        return int(self.scores.shape[1])

    @property
    def n_conflicts(self) -> int:
        """Number of declared conflicts."""
        return 0 if self.conflicts is None else int(self.conflicts.sum())

    @property
    def load_cap(self) -> int:
        """The largest load cap of any reviewer (the policy's ``load.max``)."""
        if isinstance(self.max_load, int):
            return self.max_load
        return int(self.max_load.max(initial=0))

    def problem(self) -> ra.Problem:
        """The :class:`reviewassign.Problem` of this matrix (default ids ``C0``, ``R0``, ...)."""
        max_load: int | list[int] = (
            self.max_load if isinstance(self.max_load, int) else [int(v) for v in self.max_load]
        )
        return ra.Problem.from_matrix(
            self.scores,
            conflicts=self.conflicts,
            panel_size=self.panel_size,
            max_load=max_load,
        )

    def policy(self) -> ra.Policy:
        """Panel size ``k``, load at most ``L``, and every attribute rule off.

        The matrices have no institutions, relations or languages, so only the declared
        conflicts remain.
        """
        return ra.Policy(
            panel_size=self.panel_size,
            load=ra.LoadPolicy(max=self.load_cap),
            conflicts=ra.ConflictPolicy(same_institution=False, relation_distance=0),
            panel=ra.PanelPolicy(language=False),
        )


def _instance(
    name: str,
    reviewers_by_papers: FloatArray,
    conflicts: BoolArray | None,
    *,
    panel_size: int,
    max_load: int | IntArray,
    reference: float | None,
    note: str,
) -> MatrixInstance:
    # The sources are reviewers x papers; ours are cases x reviewers. Copies are made
    # read-only so that a frozen instance is immutable all the way down.
    scores = np.ascontiguousarray(reviewers_by_papers.T, dtype=np.float64)
    scores.setflags(write=False)
    mask: BoolArray | None = None
    if conflicts is not None:
        mask = np.ascontiguousarray(conflicts.T, dtype=np.bool_)
        mask.setflags(write=False)
    if isinstance(max_load, np.ndarray):
        max_load = max_load.astype(np.int64)
        max_load.setflags(write=False)
    return MatrixInstance(name, scores, mask, panel_size, max_load, reference, note)


# --------------------------------------------------------------------------------------
# File formats


def _int_set(text: str) -> list[int]:
    return [int(x) for x in text.strip().strip("{}").split(",") if x.strip()]


def _split_top_level(text: str) -> list[str]:
    """Split ``'{1,2},3,{},{4}'`` at the commas outside braces."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text.strip():
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def read_toi(path: Path, n_sets: int = 3) -> tuple[IntArray, int]:
    """Read an old-format PrefLib ``.toi`` file of bid sets.

    The file has the number of papers, one ``id,name`` line per paper (ids 0-based), a
    ``voters,sum,unique`` line, then one ``multiplicity,{..},{..},{..},`` line per unique
    reviewer with the sets in order of preference.

    Returns
    -------
    bids, n_papers
        ``bids[r, p]`` is the index of the set reviewer ``r`` put paper ``p`` in, ``-1``
        if in none (a conflict).
    """
    lines = path.read_text().splitlines()
    n_pap = int(lines[0])
    n_voters = int(lines[n_pap + 1].split(",")[0])
    rows: list[list[list[int]]] = []
    for line in lines[n_pap + 2 :]:
        if not line.strip():
            continue
        mult, rest = line.split(",", 1)
        sets = re.findall(r"\{([^}]*)\}", rest)
        if len(sets) != n_sets:
            raise ValueError(f"{path.name}: expected {n_sets} sets in line {line[:40]!r}...")
        rows.extend([[_int_set(s) for s in sets]] * int(mult))
    if len(rows) != n_voters:
        raise ValueError(f"{path.name}: {len(rows)} reviewers, header says {n_voters}")
    bids = np.full((n_voters, n_pap), -1, dtype=np.int64)
    for r, sets_of_r in enumerate(rows):
        for c, ids in enumerate(sets_of_r):
            bids[r, ids] = c
    return bids, n_pap


def read_cat(path: Path) -> tuple[IntArray, list[str]]:
    """Read a PrefLib categorical-preferences ``.cat`` file.

    Header lines start with ``#`` (``NUMBER ALTERNATIVES``, ``CATEGORY NAME i``); each
    data line is ``multiplicity: {a,b},{c},d,{}`` with one group per category, where a
    group of one may be written without braces and alternatives are 1-based.

    Returns
    -------
    bids, categories
        ``bids[r, p]`` is the category index reviewer ``r`` put paper ``p`` in, ``-1`` if
        in none; ``categories`` are the category names in order.
    """
    n_alt: int | None = None
    names: dict[int, str] = {}
    rows: list[list[list[int]]] = []
    with path.open() as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("#"):
                if m := re.match(r"# NUMBER ALTERNATIVES: (\d+)", line):
                    n_alt = int(m.group(1))
                elif m := re.match(r"# CATEGORY NAME (\d+): (.*)", line):
                    names[int(m.group(1))] = m.group(2).strip()
                continue
            if not line:
                continue
            mult, prefs = line.split(":", 1)
            groups = [_int_set(g) for g in _split_top_level(prefs)]
            rows.extend([groups] * int(mult))
    if n_alt is None:
        raise ValueError(f"{path.name}: no '# NUMBER ALTERNATIVES' header")
    categories = [names[i] for i in sorted(names)]
    bids = np.full((len(rows), n_alt), -1, dtype=np.int64)
    for r, groups in enumerate(rows):
        if len(groups) != len(categories):
            raise ValueError(
                f"{path.name}: row {r} has {len(groups)} groups, not {len(categories)}"
            )
        for c, alts in enumerate(groups):
            bids[r, np.asarray(alts, dtype=np.int64) - 1] = c
    return bids, categories


# --------------------------------------------------------------------------------------
# The data sets


def midl() -> MatrixInstance:
    """MIDL (Kobren et al., KDD 2019): 118 papers, 177 reviewers, k = 3, L = 4.

    The affinities are used as given, including the 462 entries of exactly -1 that the
    source does not explain (they are not treated as conflicts).
    """
    folder = require_root() / "fairmatching_midl"
    scores = np.load(folder / "scores.npy")
    covs = np.load(folder / "covs.npy")
    loads = np.load(folder / "loads.npy")
    if np.unique(covs).size != 1:
        raise ValueError("fairmatching_midl/covs.npy: papers need different numbers of reviewers")
    return _instance(
        "midl",
        scores,
        None,
        panel_size=int(covs[0]),
        max_load=loads,
        reference=201.885,
        note="iesl/fair-matching data/midl; affinities in [-1, 1] as given, -1 included (the "
        "README rounds the optimum to 201.885)",
    )


def preflib(index: int) -> MatrixInstance:
    """PrefLib MD-00002 instance 1, 2 or 3 (Jecmen et al.'s packaging).

    Bids score yes 4, maybe 2, no response 1; a paper in none of a reviewer's sets is a
    declared conflict. Parsed from the ``.toi`` file (the ``.npz`` holds the same).
    """
    loads = {1: 6, 2: 7, 3: 6}
    refs = {1: 497.0, 2: 566.0, 3: 1817.0}
    if index not in loads:
        raise ValueError(f"PrefLib MD-00002 instance must be 1, 2 or 3, got {index}")
    path = require_root() / "preflib_md00002_jecmen" / f"MD-00002-{index:08d}.toi"
    bids, _ = read_toi(path, n_sets=len(PREFLIB_BIDS))
    value = np.asarray(PREFLIB_BIDS, dtype=np.float64)
    conflict = bids < 0
    scores = np.where(conflict, 0.0, value[np.clip(bids, 0, None)])
    return _instance(
        f"preflib{index}",
        scores,
        conflict,
        panel_size=3,
        max_load=loads[index],
        reference=refs[index],
        note=f"PrefLib MD-00002-{index:08d}; bids yes 4, maybe 2, none 1; unlisted = conflict",
    )


def sigir_query() -> MatrixInstance:
    """The UIUC/SIGIR topic-overlap similarities (73 papers, 189 reviewers), no conflicts."""
    with np.load(require_root() / "sigir_query" / "query.npz") as z:
        scores = np.asarray(z["similarity_matrix"], dtype=np.float64)
        mask = np.asarray(z["mask_matrix"]).astype(bool)
    return _instance(
        "sigir_query",
        scores,
        mask,
        panel_size=3,
        max_load=10,
        reference=134.0,
        note="sjecmen/multistage_reviewing_bounds query.npz; similarity in {0, .25, .5, .75, 1}",
    )


_AAMAS_FILES = {2015: "00037-00000001.cat", 2016: "00037-00000002.cat", 2021: "00037-00000003.cat"}


def aamas_2021_roles() -> list[str]:
    """The role (``"spc"`` or ``"pc"``) of each row of the AAMAS 2021 ``.cat`` file.

    The ``.csv`` names each bidder ``spc-i`` or ``pc-i``; the ``.cat`` rows are in the
    order ``spc-1 .. spc-n, pc-1 .. pc-m`` (the test suite checks that the bids of the two
    files agree in that order).
    """
    path = require_root() / "preflib_aamas" / "00037-00000003.csv"
    with path.open(newline="") as fh:
        bidders = {row["Bidder"] for row in csv.DictReader(fh)}
    numbers: dict[str, list[int]] = {"spc": [], "pc": []}
    for b in bidders:
        role, _, number = b.partition("-")
        numbers[role].append(int(number))
    for role, got in numbers.items():
        if sorted(got) != list(range(1, len(got) + 1)):
            raise ValueError(f"{path.name}: the {role} bidders are not numbered 1..{len(got)}")
    return ["spc"] * len(numbers["spc"]) + ["pc"] * len(numbers["pc"])


def aamas(year: int) -> MatrixInstance:
    """AAMAS 2015, 2016 or 2021 bids (PrefLib 00037); for 2021 the PC members only.

    Bids score yes 1, maybe 0.5, no answer 0.25, no 0; the "conflict" category and papers
    a reviewer did not list are declared conflicts. k = 3 and L = 10, 9, 3.
    """
    params = {2015: (10, 1310.0), 2016: (9, 918.75), 2021: (3, 1514.0)}
    if year not in params:
        raise ValueError(f"AAMAS year must be 2015, 2016 or 2021, got {year}")
    bids, categories = read_cat(require_root() / "preflib_aamas" / _AAMAS_FILES[year])
    scores = np.zeros(bids.shape, dtype=np.float64)
    conflict = bids < 0
    for c, name in enumerate(categories):
        key = name.lower()
        if key == "conflict":
            conflict |= bids == c
        elif key in AAMAS_BIDS:
            scores[bids == c] = AAMAS_BIDS[key]
        else:
            raise ValueError(f"AAMAS {year}: unknown bid category {name!r}")
    scores[conflict] = 0.0
    note = f"PrefLib 00037 AAMAS {year}; bids yes 1, maybe 0.5, no answer 0.25, no 0"
    if year == 2021:
        roles = np.asarray(aamas_2021_roles())
        if roles.size != bids.shape[0]:
            raise ValueError(f"AAMAS 2021: {roles.size} roles for {bids.shape[0]} rows")
        pc = roles == "pc"
        scores, conflict = scores[pc], conflict[pc]
        note += "; PC members only (senior PC dropped)"
    load, reference = params[year]
    return _instance(
        f"aamas{year}_pc" if year == 2021 else f"aamas{year}",
        scores,
        conflict,
        panel_size=3,
        max_load=load,
        reference=reference,
        note=note,
    )


def malicious_honest() -> MatrixInstance:
    """The honest bids of Jecmen et al.'s malicious-bidding data set (28 papers, 35 people).

    Bids score eager 1, indifferent (or none) 0, not willing -1; each participant's own
    ("authored") paper is a declared conflict. k = 3, L = 3.
    """
    folder = require_root() / "malicious_bidding_jecmen"
    titles = [t.strip() for t in (folder / "papers.txt").read_text().splitlines() if t.strip()]
    with (folder / "setup.csv").open(newline="") as fh:
        authored = {row["name"]: int(row["authored_id"]) for row in csv.DictReader(fh)}
    with (folder / "honest_bidding.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    n_pap = len(titles)
    # Row 0 holds question codes, row 1 the question texts ending in ": - <paper title>";
    # the titles' capitalisation differs from papers.txt (Non-convex vs Non-Convex).
    header = rows[1][1 : 1 + n_pap]
    column = {h[h.find(": -") + 3 :].strip().lower(): j for j, h in enumerate(header)}
    scores = np.zeros((len(rows) - 2, n_pap), dtype=np.float64)
    conflict = np.zeros(scores.shape, dtype=bool)
    for r, row in enumerate(rows[2:]):
        scores[r] = [MALICIOUS_BIDS[x] for x in row[1 : 1 + n_pap]]
        if row[0] in authored:
            conflict[r, column[titles[authored[row[0]]].lower()]] = True
    return _instance(
        "malicious_honest",
        scores,
        conflict,
        panel_size=3,
        max_load=3,
        reference=84.0,
        note="sjecmen/malicious_bidding_dataset honest bids -1/0/1; own paper = conflict",
    )


ALL: dict[str, Callable[[], MatrixInstance]] = {
    "midl": midl,
    "preflib1": functools.partial(preflib, 1),
    "preflib2": functools.partial(preflib, 2),
    "preflib3": functools.partial(preflib, 3),
    "sigir_query": sigir_query,
    "aamas2015": functools.partial(aamas, 2015),
    "aamas2016": functools.partial(aamas, 2016),
    "aamas2021_pc": functools.partial(aamas, 2021),
    "malicious_honest": malicious_honest,
}
"""Every real-data instance by name, as a zero-argument loader."""
