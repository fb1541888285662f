"""What a backend is: a name, what of a policy it refuses, and a solve.

This is cvxpy's solver capabilities (``SUPPORTED_CONSTRAINTS``, ``can_solve``) in this
library's terms. A backend says which rules and objective terms of a policy it cannot
take (:meth:`Backend.refuses`), and the exact pipeline runs one that refuses nothing: the
first of the table in ``_backends.table`` under ``method="auto"``, the one named
otherwise (an :class:`~reviewassign.InputError` naming what it refuses if it refuses
anything).

Choices made here:

- What a backend takes is derived from the rule registry (``Rule.flow`` for the flow
  network), never listed beside it, so that a new rule is refused by every backend but
  CP-SAT until its record says otherwise. CP-SAT takes every rule: each has its encoding
  in ``cpsat/rules/``, and ``tests/test_registry.py`` holds it to that.
- A refusal is a tuple of words a user can act on: the keys of the rules that are on
  (``"panel.min_regions"``) and objective terms as their policy key with the value
  (``"objective.levels (leximin)"``). Empty means the backend takes the policy.
- A ``Protocol``, not a base class: the backends are small frozen records wrapping their
  solve functions (whose signatures stay theirs), and the tests' brute-force fake
  satisfies it without importing anything of this package.

This module imports no solver, so that the protocol can be read without ortools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import numpy.typing as npt

    from .._data.options import SolveOptions
    from .._data.policy import Policy
    from .._reduce.eligible import Instance
    from .outcome import Outcome

__all__ = ["Backend"]


class Backend(Protocol):
    """A solver of eligible pairs: its name, what it refuses, and its solve.

    ``name`` is its ``method`` (``"flow"``, ``"cpsat"``, ``"lp"``); ``label`` names it in
    a sentence (``"a flow network"``).
    """

    @property
    def name(self) -> str:
        """The ``method`` that names this backend."""
        ...

    @property
    def label(self) -> str:
        """The backend in words, as a refusal's message names it."""
        ...

    def refuses(self, inst: Instance, policy: Policy) -> tuple[str, ...]:
        """The rule keys and objective terms of ``policy`` this backend cannot take on ``inst``.

        Empty when it takes the policy; then :meth:`solve` gives the exact optimum (time
        permitting).
        """
        ...

    def solve(
        self,
        inst: Instance,
        policy: Policy,
        options: SolveOptions,
        *,
        time_limit: float | None,
        hint: npt.NDArray[np.int64] | None,
        pace: float,
    ) -> Outcome:
        """Solve ``inst`` under ``policy``, which it does not refuse.

        ``options`` give the seed, workers and progress; ``time_limit`` is this backend's
        share of the call's time limit from now (None: none); ``hint`` holds pairs of a
        constructive start (-1 entries are skipped); ``pace`` scales the estimates of the
        steps that cannot be interrupted. A backend may ignore what it has no use for.
        """
        ...
