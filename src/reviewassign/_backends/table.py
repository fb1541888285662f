"""The backend table: the backends ``solve(method=...)`` names, and the order ``"auto"`` tries.

Each backend wraps its solve function (``solve_flow``, ``solve_cpsat``) behind the
:class:`~reviewassign._backends.protocol.Backend` protocol and says what it refuses:

- ``"flow"``: the exact min-cost flow, refusing what ``flow_refuses`` names (derived
  from the registry's ``Rule.flow``, plus objective terms);
- ``"cpsat"``: the CP-SAT model, which takes every rule;
- ``"lp"``: CP-SAT led by the LP relaxation (reduced-cost fixing, restricted solves),
  which takes every rule too (under an objective in levels it runs as plain CP-SAT).

:func:`choose` picks one: under ``method="auto"`` the first of :func:`auto_order` that
refuses nothing (the flow, else CP-SAT, LP-guided from ``LP_MIN_PAIRS`` eligible pairs
on); under a named method that backend, or an ``InputError`` naming what it refuses.

To add a backend, write a record with ``name``, ``label``, ``refuses`` and ``solve``, enter it in
:data:`BACKENDS` (and in ``Method``, ``_data/options.py``, if users may name it), and
in :func:`auto_order` if ``"auto"`` should try it; ``tests/test_backends.py`` runs its
conformance suite over every backend of the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from .._errors import InputError
from .cpsat.search import solve_cpsat
from .flow import flow_refuses, solve_flow

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import numpy.typing as npt

    from .._data.options import SolveOptions
    from .._data.policy import Policy
    from .._reduce.eligible import Instance
    from .outcome import Outcome
    from .protocol import Backend

__all__ = ["BACKENDS", "CPSAT", "FLOW", "LP", "LP_MIN_PAIRS", "auto_order", "choose"]

LP_MIN_PAIRS = 5_000
"""From this many eligible pairs on, ``"auto"`` leads CP-SAT by the LP: below, plain
CP-SAT proves optima fast and the LP is overhead."""


@dataclass(frozen=True, slots=True)
class FlowBackend:
    """The exact min-cost flow (``_backends/flow.py``): the policies a network expresses."""

    name: str = "flow"
    label: str = "a flow network"

    def refuses(self, inst: Instance, policy: Policy) -> tuple[str, ...]:
        """What a network cannot take: see ``flow_refuses``."""
        return flow_refuses(inst, policy)

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
        """The flow optimum; a network needs no seed, time limit, hint or pace."""
        return solve_flow(inst, policy)


@dataclass(frozen=True, slots=True)
class CpSatBackend:
    """CP-SAT (``_backends/cpsat/``), plain or led by the LP relaxation: every rule."""

    name: str
    label: str
    use_lp: bool

    def refuses(self, inst: Instance, policy: Policy) -> tuple[str, ...]:
        """Nothing: every rule of the registry has its CP-SAT encoding."""
        return ()

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
        """The CP-SAT search of ``solve_cpsat``, with or without the LP."""
        return solve_cpsat(
            inst, policy, options, time_limit=time_limit, use_lp=self.use_lp, hint=hint, pace=pace
        )


FLOW = FlowBackend()
CPSAT = CpSatBackend("cpsat", "CP-SAT", use_lp=False)
LP = CpSatBackend("lp", "CP-SAT led by the LP relaxation", use_lp=True)

BACKENDS: Mapping[str, Backend] = MappingProxyType({b.name: b for b in (FLOW, CPSAT, LP)})
"""Every backend by the ``method`` that names it."""


def auto_order(inst: Instance) -> tuple[Backend, ...]:
    """The backends ``method="auto"`` tries in turn on ``inst``; the last refuses nothing.

    The flow first (it is exact and fastest where it fits), then CP-SAT: LP-guided from
    :data:`LP_MIN_PAIRS` eligible pairs on, plain below.
    """
    return (FLOW, LP if inst.n_pairs >= LP_MIN_PAIRS else CPSAT)


def choose(inst: Instance, policy: Policy, method: str) -> Backend:
    """The backend that solves ``inst`` under ``policy`` for ``solve(method=...)``.

    ``"auto"``: the first of :func:`auto_order` that refuses nothing. A backend's name:
    that backend, or :class:`InputError` (``field="method"``) naming what it refuses.

    Examples
    --------
    >>> from reviewassign import Case, Policy, Problem, Reviewer
    >>> from reviewassign._reduce.eligible import build_instance
    >>> problem = Problem(cases=[Case(id="C1")], reviewers=[Reviewer(id="R1")])
    >>> policy = Policy(panel_size=1, panel={"min_senior": 1})
    >>> inst = build_instance(problem, policy)
    >>> choose(inst, policy, "auto").name
    'cpsat'
    >>> choose(inst, policy, "flow")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reviewassign._errors.InputError: field 'method': method='flow': a flow network cannot take ...
    """
    if method == "auto":
        return next(b for b in auto_order(inst) if not b.refuses(inst, policy))
    backend = BACKENDS[method]
    refused = backend.refuses(inst, policy)
    if refused:
        raise InputError(
            f"method={method!r}: {backend.label} cannot take {', '.join(refused)}; "
            "use method='auto' or 'cpsat'",
            field="method",
        )
    return backend
