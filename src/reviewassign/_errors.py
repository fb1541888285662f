"""The exception tree of reviewassign.

::

    ReviewAssignError
     ├── InputError          bad input; names the file, row and field (also a ValueError)
     ├── InfeasibleError     the policy cannot be met; carries the status (see ``ra.explain``)
     ├── NoSolutionError     the time limit ran out before any assignment was found
     ├── ViolationsError     an assignment breaks hard rules; carries every violation
     └── SolverError         a backend failed (a bug, never the user's input)

Malformed models raise pydantic's ``ValidationError`` when built in Python; the file
readers turn every such error into an :class:`InputError` naming the file, row and field.

The first branches are the user's to handle: their input, their policy, their time limit.
:class:`SolverError` (cvxpy's name) is ours: a backend that fails, rejects the model it was
built, or returns an assignment the independent ``check`` refuses. ``ViolationsError``
stays what the API documents it for, an assignment (the user's, or one read from a file)
that breaks hard rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ._data.result import Status
    from ._spec.check import Violation

__all__ = [
    "InfeasibleError",
    "InputError",
    "NoSolutionError",
    "ReviewAssignError",
    "SolverError",
    "ViolationsError",
]


class ReviewAssignError(Exception):
    """Base class of every error raised by reviewassign."""


class InputError(ReviewAssignError, ValueError):
    """Bad input: a file, row or field that does not hold what it must.

    Parameters
    ----------
    message
        What is wrong, naming the offending ids or values.
    path
        The file (or folder) read, if any.
    row
        The 1-based line number in a CSV file (the header is line 1), if any.
    field
        The column or key, e.g. ``"max_load"`` or ``"panel.min_genders"``.

    Examples
    --------
    >>> str(InputError("not an integer: 'x'", path="reviewers.csv", row=4, field="max_load"))
    "reviewers.csv, row 4, field 'max_load': not an integer: 'x'"
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {_cut(repr(self.field), 80)}")
        return (", ".join(where) + ": " if where else "") + _cut(self.message, MAX_MESSAGE)


MAX_MESSAGE = 1_000
"""The longest message shown: a 1 MB cell or key in a file must not flood the screen."""


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``" ..."`` when cut."""
    return text if len(text) <= limit else text[: limit - 4] + " ..."


class InfeasibleError(ReviewAssignError):
    """No assignment satisfies every hard rule of the policy.

    Parameters
    ----------
    message
        What cannot be met; a pointer to :func:`reviewassign.explain` is added.
    status
        The status of the solve that proved it (``Status.INFEASIBLE``), if any.

    Examples
    --------
    >>> str(InfeasibleError("no assignment meets every hard rule of the policy"))
    'no assignment meets every hard rule of the policy (ra.explain(problem, policy) says why)'
    """

    def __init__(self, message: str, *, status: Status | None = None) -> None:
        self.message = message
        self.status = status
        super().__init__(f"{message} ({_EXPLAIN})")

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the message as given (``args`` holds it with the pointer added).
        return type(self), (self.message,), self.__dict__


_EXPLAIN = "ra.explain(problem, policy) says why"


class NoSolutionError(ReviewAssignError):
    """The time limit was reached before any assignment was found."""


class ViolationsError(ReviewAssignError):
    """An assignment breaks hard rules.

    Parameters
    ----------
    violations
        Every violation found, as returned by :func:`reviewassign.check`.
    """

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        head = "; ".join(v.message for v in self.violations[:3])
        more = len(self.violations) - 3
        super().__init__(
            f"{len(self.violations)} violation(s): {head}"
            + (f"; and {more} more" if more > 0 else "")
        )


class SolverError(ReviewAssignError):
    """A backend failed: a bug in reviewassign or OR-Tools, never the user's input.

    Raised when a solver reports a status it must never reach (a model it rejects, a flow
    that is neither optimal nor infeasible), or when a backend returns an assignment that
    the independent :func:`reviewassign.check` refuses; ``violations`` then holds what it
    found (empty otherwise).
    """

    def __init__(self, message: str, violations: Sequence[Violation] = ()) -> None:
        self.violations = tuple(violations)
        super().__init__(message)
