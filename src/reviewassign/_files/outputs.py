"""Output files that would replace an input: refused before a command reads anything.

A command's outputs (``--out``, ``--marginals``) are written atomically, by renaming a
new file onto the path. Aimed at a file the same run reads (``solve P --out
P/cases.csv``, ``--policy p.json --out p.json``) that rename replaces the user's input
with a result; aimed at another output of the run, one output replaces the other.
:func:`refuse_overwrite` compares every output with every input and every other output,
by the resolved path (through symbolic links and ``..``) and, when both files exist, by
device and inode (hard links), and raises an :class:`InputError` naming both.

A problem folder stands for every file :func:`~reviewassign.load_problem` reads in it
(``cases.csv``, ``reviewers.csv``, ``conflicts.csv``, ``relations.csv``,
``affinity.csv``), present or not: a result written as ``P/conflicts.csv`` would be read
back as the problem's conflicts. Those names are compared ignoring case, as a
case-insensitive file system (macOS, Windows) would open them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .._errors import InputError
from .io import _TABLES, PathLike

__all__ = ["Named", "problem_inputs", "refuse_overwrite"]

Named = tuple[str, PathLike]
"""What a path is to the command (``"--out"``, ``"the policy"``) and the path."""


def problem_inputs(path: PathLike) -> list[Named]:
    """The files :func:`~reviewassign.load_problem` reads for ``path``.

    A folder stands for each table file in it (present or not); a file for itself.

    Examples
    --------
    >>> [name for name, _ in problem_inputs("/no/such/file.json")]
    ['the problem']
    """
    where = Path(path)
    if not where.is_dir():
        return [("the problem", where)]
    return [(f"the problem's {table.file}", where / table.file) for table in _TABLES.values()]


def _real(path: Path) -> str:
    """``path`` absolute with its links resolved (never raises)."""
    # os.path.realpath never raises (a link loop stays unresolved), unlike Path.resolve.
    return os.path.realpath(os.path.abspath(path))


def _inode(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of ``path``, or ``None`` if it cannot be read."""
    try:
        info = path.stat()
    except (OSError, ValueError):  # missing, unreadable, or a NUL byte in the name
        return None
    return info.st_dev, info.st_ino


def _same(a: Path, b: Path, *, fold: bool) -> bool:
    """Whether writing ``a`` replaces ``b``: one resolved path, or one file (device, inode)."""
    real_a, real_b = _real(a), _real(b)
    if real_a == real_b:
        return True
    if fold:  # a problem table: the same name ignoring case, in the same folder
        head_a, name_a = os.path.split(real_a)
        head_b, name_b = os.path.split(real_b)
        if name_a.casefold() == name_b.casefold():
            folder = _inode(Path(head_a))
            if head_a == head_b or (folder is not None and folder == _inode(Path(head_b))):
                return True
    inode_a = _inode(a)
    return inode_a is not None and inode_a == _inode(b)


def refuse_overwrite(
    outputs: Sequence[tuple[str, PathLike | None]],
    inputs: Sequence[tuple[str, PathLike | None]],
    *,
    hint: dict[str, str] | None = None,
) -> None:
    """Raise :class:`InputError` if an output is an input or another output of the run.

    Parameters
    ----------
    outputs
        ``(option, path)`` for each output the command writes; ``None`` paths are skipped.
    inputs
        ``(what, path)`` for each file the command reads; ``None`` paths are skipped. A
        ``what`` starting with ``"the problem's "`` is a problem table (compared ignoring
        case in the same folder).
    hint
        A sentence to add when an output meets the input named by the key.

    Examples
    --------
    >>> refuse_overwrite([("--out", "p.json")], [("the policy", "p.json")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reviewassign._errors.InputError: p.json: --out is the same file as the policy (p.json), ...
    """
    given = [(name, Path(path)) for name, path in outputs if path is not None]
    read = [(name, Path(path)) for name, path in inputs if path is not None]
    for i, (option, out) in enumerate(given):
        for what, source in read:
            if _same(out, source, fold=what.startswith("the problem's ")):
                extra = (hint or {}).get(what)
                raise InputError(
                    f"{option} is the same file as {what} ({source}), which this run reads; "
                    + (extra or "write the output to another file"),
                    path=out,
                )
        for other, earlier in given[:i]:
            if _same(out, earlier, fold=False):
                raise InputError(
                    f"{option} is the same file as {other} ({earlier}); "
                    "give each output its own file",
                    path=out,
                )
