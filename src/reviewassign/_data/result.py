"""What a solve returns: the status, the assignment, the objective, its bound and stats."""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from .._errors import InfeasibleError, NoSolutionError

if TYPE_CHECKING:  # pragma: no cover
    from .._spec.check import Metrics, Violation
    from .._workflows.alternates import Alternate
    from .._workflows.random import Lottery
    from .model import Problem
    from .policy import Policy

__all__ = ["Assignment", "Level", "Phase", "Progress", "Result", "Stats", "Status", "relative_gap"]


class Status(enum.Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    """The assignment is proven optimal (at the resolution recorded in the stats)."""
    FEASIBLE = "feasible"
    """The assignment meets every hard rule; optimality is not proven (see ``gap``)."""
    INFEASIBLE = "infeasible"
    """No assignment meets every hard rule."""
    NO_SOLUTION = "no_solution"
    """The time limit was reached before any assignment was found."""


class Assignment(Mapping[str, tuple[str, ...]]):
    """A read-only mapping of case id to the sorted tuple of its reviewer ids.

    Examples
    --------
    >>> a = Assignment({"C2": ["R3", "R1"], "C1": ["R2"]})
    >>> a["C2"]
    ('R1', 'R3')
    >>> list(a.pairs())
    [('C1', 'R2'), ('C2', 'R1'), ('C2', 'R3')]
    >>> a.loads()
    {'R1': 1, 'R2': 1, 'R3': 1}
    """

    __slots__ = ("_panels",)

    def __init__(self, panels: Mapping[str, Iterable[str]] | None = None) -> None:
        items = {} if panels is None else panels
        self._panels: dict[str, tuple[str, ...]] = {
            c: tuple(sorted(items[c])) for c in sorted(items)
        }

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Assignment:
        """Build an assignment from ``(case, reviewer)`` pairs."""
        panels: dict[str, list[str]] = {}
        for case, reviewer in pairs:
            panels.setdefault(case, []).append(reviewer)
        return cls(panels)

    def __getitem__(self, case: str) -> tuple[str, ...]:
        return self._panels[case]

    def __iter__(self) -> Iterator[str]:
        return iter(self._panels)

    def __len__(self) -> int:
        return len(self._panels)

    def __repr__(self) -> str:
        return f"Assignment({self._panels!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Assignment):
            return self._panels == other._panels
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(tuple(self._panels.items()))

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every ``(case, reviewer)`` pair, sorted by case then reviewer."""
        for case, panel in self._panels.items():
            for reviewer in panel:
                yield case, reviewer

    def loads(self) -> dict[str, int]:
        """Reviews per assigned reviewer, sorted by reviewer id."""
        counts: dict[str, int] = {}
        for _, reviewer in self.pairs():
            counts[reviewer] = counts.get(reviewer, 0) + 1
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, list[str]]:
        """A plain ``{case: [reviewer, ...]}`` dictionary (sorted), for JSON."""
        return {c: list(p) for c, p in self._panels.items()}


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress report handed to ``solve(..., progress=callback)`` on each new incumbent.

    ``objective`` and ``bound`` are in the policy's units (under the fairness objective,
    the ``"worst_case"`` phase reports the worst panel affinity).
    """

    phase: str
    elapsed: float
    objective: float
    bound: float

    @property
    def gap(self) -> float:
        """Relative distance from the incumbent to the bound."""
        return relative_gap(self.objective, self.bound)

    def __str__(self) -> str:
        return (
            f"[{self.elapsed:7.2f} s] {self.phase}: incumbent {self.objective:.4f}, "
            f"bound {self.bound:.4f}, gap {100 * self.gap:.3f} %"
        )


def relative_gap(objective: float, bound: float) -> float:
    """``(bound - objective) / max(|objective|, 1e-9)``, never negative.

    Examples
    --------
    >>> relative_gap(99.0, 100.0)
    0.010101010101010102
    """
    return max(0.0, bound - objective) / max(abs(objective), 1e-9)


class Phase(BaseModel):
    """One phase of a solve: its name, wall time and what it ended with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    seconds: float
    status: str = ""
    objective: float | None = None
    bound: float | None = None


class Level(BaseModel):
    """One level of the objective (see ``ObjectivePolicy.levels``).

    What the returned assignment reaches there, the solver's proven bound, and how that
    level's solve ended.
    ``value`` is computed from the assignment: affinities for ``worst_case``, ``leximin``
    (its worst panel; ``Metrics.profile()`` gives the rest), ``affinity`` and
    ``objective``; covered (case, topic) pairs for ``coverage``; the load spread for
    ``load_spread``, which is minimised, so its ``bound`` is a lower bound.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    value: float | None
    bound: float | None
    status: str
    detail: str = ""


class Stats(BaseModel):
    """How a result was obtained: enough to reproduce it and to judge its cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wall_time: float
    phases: tuple[Phase, ...] = ()
    seed: int = 0
    workers: int = 1
    time_limit: float | None = None
    library_version: str = ""
    ortools_version: str = ""
    input_hash: str = ""
    """SHA-256 of the problem and the policy together (see ``problem_hash``, ``policy_hash``)."""
    problem_hash: str = ""
    """SHA-256 of the canonical JSON of the problem alone."""
    policy_hash: str = ""
    """SHA-256 of the canonical JSON of the policy alone."""
    python_version: str = ""
    method: str = ""
    """The backend path taken, e.g. ``"flow"`` or ``"cpsat"`` (``+`` joins several)."""
    resolution: float = 1e-6
    """Affinities are scaled to integer multiples of this inside the solver."""
    cases: int = 0
    reviewers: int = 0
    eligible_pairs: int = 0
    """Pairs neither conflicted nor excluded by a single-pair rule."""
    candidate_pairs: int = 0
    """Eligible pairs the solver held (fewer than ``eligible_pairs`` when pruned)."""
    conflicts: int = 0
    """Pairs excluded as conflicts of interest."""
    excluded_by_policy: int = 0
    """Further pairs excluded by panel rules that act on single pairs (language, own region)."""
    worst_case: float | None = None
    """Fairness objective: the worst panel affinity reached."""
    worst_case_bound: float | None = None
    """Fairness objective: the proven upper bound of the worst panel affinity."""
    notes: tuple[str, ...] = ()
    """What a time limit cut short, in words (e.g. a fairness phase that did not finish)."""


def _metrics_data(metrics: Metrics) -> dict[str, Any]:
    """The metrics as JSON data, the figures of unused inputs left out.

    The attribute shares when no reviewer has an attribute, the history figure without a
    history.
    """
    empty = {k for k in ("attribute_shares", "attribute_pool_shares") if not getattr(metrics, k)}
    if metrics.new_seats_share is None:
        empty.add("new_seats_share")
    return metrics.model_dump(mode="json", exclude=empty)


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of :func:`reviewassign.solve`.

    ``objective`` is computed from the returned assignment in the policy's units: total
    affinity minus ``load_spread`` times the load spread. Under the fairness objective,
    the worst panel affinity is maximised first; it is in ``metrics.worst_case`` and,
    with its bound, in ``stats``. ``bound`` is a proven upper bound of ``objective``
    and ``gap`` is ``(bound - objective) / max(|objective|, 1e-9)``.
    """

    status: Status
    assignment: Assignment
    objective: float | None
    bound: float | None
    gap: float | None
    stats: Stats
    metrics: Metrics | None = None
    conflicts_avoided: Mapping[str, int] = field(default_factory=dict)
    """Conflicted pairs by reason (a pair with several reasons counts under each)."""
    broken: tuple[Violation, ...] = ()
    """Under ``solve(..., relax="minimal")``: the rules the assignment breaks, as
    :func:`reviewassign.check` reports them. Empty otherwise."""
    levels: tuple[Level, ...] = ()
    """Each level of the objective in the order solved, the policy objective last."""
    forced: tuple[tuple[str, str], ...] = ()
    """The forced ``(case, reviewer)`` pairs of ``solve(..., forced=...)``, each held by
    the assignment; ``to_dict`` lists them (``"forced"``) when there are any, so that
    ``verify`` checks them again."""
    _source: tuple[Problem, Policy] | None = field(default=None, compare=False, repr=False)
    """The problem and policy :func:`reviewassign.solve` solved (private: not compared, not
    serialised), so that :meth:`alternates` needs no arguments."""
    lottery: Lottery | None = field(default=None, compare=False, repr=False)
    """Under ``[random] max_probability < 1``: the lottery this assignment was drawn from
    (:func:`reviewassign.randomize`); ``to_dict`` then adds a ``"random"`` block."""

    @property
    def ok(self) -> bool:
        """Whether the result holds an assignment (OPTIMAL or FEASIBLE)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def raise_for_status(self) -> Result:
        """Return ``self`` if it holds an assignment, else raise the matching error."""
        if self.status is Status.INFEASIBLE:
            raise InfeasibleError(
                "no assignment meets every hard rule of the policy", status=self.status
            )
        if self.status is Status.NO_SOLUTION:
            raise NoSolutionError("the time limit was reached before any assignment was found")
        return self

    def alternates(
        self,
        case: str,
        k: int = 5,
        *,
        member: str | None = None,
        problem: Problem | None = None,
        policy: Policy | None = None,
    ) -> tuple[Alternate, ...]:
        """The best ``k`` reviewers who could take a panel member's seat, every rule still met.

        For a reviewer who declines: each alternate is a swap (``replaces`` leaves the
        panel of ``case``, ``reviewer`` joins it) after which the whole assignment passes
        :func:`reviewassign.check`, except that a ``load.min`` violation of the reviewer
        who leaves is ignored (they are leaving that panel), and the forced pairs of
        :attr:`forced` stay held (a forced member's seat is never offered). Swaps are ranked by
        ``delta``, the change of :attr:`objective` (affinity gained, less
        ``load_spread`` times the change of the load spread), then by reviewer id; see
        :class:`reviewassign.Alternate`.

        Parameters
        ----------
        case
            The case whose panel loses a member.
        k
            At most this many alternates, in total.
        member
            The reviewer whose seat is to be filled; ``None`` considers every seat of
            the panel.
        problem, policy
            Default to those the result was solved from. A result built by hand (or read
            from a file) has none: pass both.

        Returns
        -------
        tuple of Alternate
            Best first; fewer than ``k`` (or none) when fewer swaps meet every rule.

        Raises
        ------
        ValueError
            If the result holds no assignment, ``member`` is not on the panel, ``k`` is
            not a positive integer, or the problem or policy is unknown.
        KeyError
            If ``case`` is not a case of the problem.

        Examples
        --------
        >>> import reviewassign as ra
        >>> problem = ra.Problem(
        ...     cases=[ra.Case(id="C1", topics={"t": 1})],
        ...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i % 3}) for i in range(4)],
        ... )
        >>> result = ra.solve(problem, ra.Policy(panel_size=2))
        >>> result.assignment["C1"]
        ('R1', 'R2')
        >>> [(a.reviewer, a.replaces, round(a.delta, 3)) for a in result.alternates("C1")]
        [('R0', 'R1', -0.333), ('R3', 'R1', -0.333), ('R0', 'R2', -0.667), ('R3', 'R2', -0.667)]
        """
        from .._workflows.alternates import alternates  # presentation: an upper layer (workflows)

        if problem is None and self._source is not None:
            problem = self._source[0]
        if policy is None and self._source is not None:
            policy = self._source[1]
        if problem is None or policy is None:
            raise ValueError(
                "this result does not know its problem and policy (it was not returned by "
                "solve): pass problem= and policy="
            )
        if not self.ok:
            raise ValueError(
                f"the result holds no assignment (status {self.status.name}): there is no "
                "panel to find alternates for"
            )
        return alternates(
            problem, policy, self.assignment, case, k, member=member, forced=self.forced
        )

    def report(
        self,
        path: str | os.PathLike[str],
        *,
        problem: Problem | None = None,
        policy: Policy | None = None,
        format: str | None = None,
    ) -> None:
        """Write the audit report for an award board: ``.html`` (one page) or ``.md``.

        The report states the policy in words; every hard rule that is on, whether it
        binds and where (panels at a cap or exactly at a minimum, reviewers at their
        maximum load, shares at the edge of a representation band), with the verdict of
        :func:`reviewassign.check`; the conflicts avoided by reason; seats by region and
        gender against the pool; loads; affinities; and the reproducibility record
        (versions, seed, workers, time limit, input hash, phases). A result without an
        assignment gets a report that says so. The HTML page is self-contained (inline
        CSS, no script, no external resource) and escapes every user string. The file is
        written atomically; missing folders are created.

        Parameters
        ----------
        path
            The file to write; its suffix (``.html``, ``.htm``, ``.md``) names the format
            unless ``format`` does.
        problem, policy
            Default to those the result was solved from. A result read from a file has
            none: pass both.
        format
            ``"html"`` or ``"md"``; ``None`` reads it from ``path``.

        Raises
        ------
        ValueError
            If the problem or policy is unknown, or the format is neither HTML nor markdown.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import reviewassign as ra
        >>> problem = ra.Problem(
        ...     cases=[ra.Case(id="C1", topics={"t": 1})],
        ...     reviewers=[ra.Reviewer(id=f"R{i}", expertise={"t": 1 + i % 3}) for i in range(4)],
        ... )
        >>> result = ra.solve(problem, ra.Policy(panel_size=2))
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.md"
        >>> result.report(out)
        >>> "All 7 rules hold" in out.read_text()
        True
        """
        from .._audit.report import (  # presentation: an upper layer (audit)
            report_format,
            write_report,
        )

        if problem is None and self._source is not None:
            problem = self._source[0]
        if policy is None and self._source is not None:
            policy = self._source[1]
        if problem is None or policy is None:
            raise ValueError(
                "this result does not know its problem and policy (it was not returned by "
                "solve): pass problem= and policy="
            )
        write_report(self, path, problem, policy, report_format(path, format))

    def _repr_html_(self) -> str:
        """An HTML summary for Jupyter: figures, levels, metrics and the first panels."""
        from .._audit.html import result_html  # presentation: an upper layer (audit)

        return result_html(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: status, objective, bound, gap, assignment, stats, metrics."""
        data: dict[str, Any] = {
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "assignment": self.assignment.to_dict(),
            "stats": self.stats.model_dump(mode="json"),
            "metrics": None if self.metrics is None else _metrics_data(self.metrics),
            "conflicts_avoided": dict(self.conflicts_avoided),
            "broken": [v.model_dump(mode="json") for v in self.broken],
            "levels": [level.model_dump(mode="json") for level in self.levels],
        }
        if self.forced:
            data["forced"] = [list(p) for p in self.forced]
        return data | ({} if self.lottery is None else {"random": self.lottery.summary()})

    def to_json(self, *, indent: int | None = 1, timings: bool = True) -> str:
        """The result as JSON text (keys in a fixed order, so equal results give equal text).

        ``timings=False`` leaves out the wall-clock fields (``stats.wall_time`` and each
        phase's ``seconds``), the only fields that differ between two runs of the same
        problem, policy, seed and worker count: what is left is byte-identical.
        """
        data = self.to_dict()
        if not timings:
            data["stats"].pop("wall_time")
            for phase in data["stats"]["phases"]:
                phase.pop("seconds")
        text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
        return text + "\n"

    def to_csv(self) -> str:
        """The assignment as ``case,reviewer`` CSV rows, sorted, with a header."""
        return assignment_to_csv(self.assignment)


def assignment_to_csv(assignment: Mapping[str, Sequence[str]]) -> str:
    """CSV text of an assignment: a ``case,reviewer`` header, then one sorted row per pair."""
    from .._files.io import csv_text  # presentation: an upper layer (files)

    pairs = Assignment(assignment).pairs()
    return csv_text(["case", "reviewer"], ([c, r] for c, r in pairs))
