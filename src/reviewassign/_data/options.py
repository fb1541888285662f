"""The options of one public call, made once and passed whole through the layers below it.

``solve``, ``randomize`` and ``repair`` take their options as flat keywords (SPEC.md's
signatures); each makes one :class:`SolveOptions` at its start, which checks every value,
and hands it down whole. A layer that switches mode (``solve`` to a lottery or to
``relax="minimal"``) then passes every option on, and must honour each or refuse it with
an :class:`InputError` naming it: none can be dropped on the way unnoticed, as ``method``,
``candidates`` and ``progress`` once were under ``[random] max_probability < 1``.

The time limit counts from ``start``, the moment the public call began; the budgets of the
steps below (a backend's share, what is kept for the final check) are computed from it
where they are spent, with the estimates of ``_backends.budget``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from .._errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .result import Progress

__all__ = ["Candidates", "Method", "SolveOptions", "check_options"]

Method = Literal["auto", "flow", "lp", "cpsat"]
Candidates = int | Literal["auto"] | None

_SEED_MIN, _SEED_MAX = -(2**31), 2**31 - 1


def check_options(*, seed: int, workers: int, time_limit: float | None) -> None:
    """Raise :class:`InputError` for a seed, worker count or time limit CP-SAT cannot take.

    An ``InputError`` is a ``ValueError``; its ``field`` is the keyword's name.
    """
    if not _SEED_MIN <= seed <= _SEED_MAX:
        message = f"seed must be a 32-bit integer (CP-SAT's random_seed), got {seed}"
        raise InputError(message, field="seed")
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}", field="workers")
    if time_limit is not None and not 0 <= time_limit < math.inf:
        raise InputError(f"time_limit must be non-negative, got {time_limit}", field="time_limit")


def _positive(value: object) -> bool:
    """Whether ``value`` is a positive ``int`` (``True`` is not)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """How one public call searches: seed, workers, time limit, backend, forced pairs...

    Also the progress callback and pruning; the forced pairs are kept by every mode.

    Made once per call (``start`` is then), by :meth:`checked` from the keywords a user
    gave; see the module doc. (A lottery's draw records its numpy seed here unchecked.)

    Examples
    --------
    >>> options = SolveOptions.checked(seed=1, time_limit=10.0)
    >>> options.deadline == options.start + 10.0, options.workers
    (True, 1)
    >>> SolveOptions.checked(workers=0)
    Traceback (most recent call last):
    ...
    reviewassign._errors.InputError: field 'workers': workers must be at least 1, got 0
    """

    seed: int = 0
    workers: int = 1
    time_limit: float | None = None
    progress: Callable[[Progress], None] | None = None
    method: Method = "auto"
    candidates: Candidates = "auto"
    start: float = field(default_factory=time.perf_counter)
    """``time.perf_counter()`` when the call began: the time limit counts from it."""
    forced: tuple[tuple[str, str], ...] = ()
    """``(case, reviewer)`` pairs every assignment must hold (``solve(..., forced=...)``),
    checked against the problem by ``_reduce.forced`` before any solve."""

    @classmethod
    def checked(cls, **options: Any) -> SolveOptions:
        """The options, each checked: :class:`InputError` (a ``ValueError``) names a bad one."""
        made = cls(**options)
        made._check()
        return made

    def _check(self) -> None:
        """Raise :class:`InputError` naming the first option out of its domain."""
        check_options(seed=self.seed, workers=self.workers, time_limit=self.time_limit)
        if self.method not in get_args(Method):
            message = f"method must be one of {list(get_args(Method))}, got {self.method!r}"
            raise InputError(message, field="method")
        candidates = self.candidates
        if candidates is not None and candidates != "auto" and not _positive(candidates):
            raise InputError(
                f"candidates must be a positive integer, 'auto' or None, got {candidates!r}",
                field="candidates",
            )

    @property
    def deadline(self) -> float | None:
        """When the time limit ends (``time.perf_counter()`` time), None without one."""
        return None if self.time_limit is None else self.start + self.time_limit

    def left(self) -> float:
        """Seconds left of the time limit (``inf`` without one)."""
        if self.time_limit is None:
            return math.inf
        return self.time_limit - (time.perf_counter() - self.start)
