"""``repair``: after declines, withdrawals and new cases, the fewest changes that fix it.

The pipeline: the events are applied to the problem (:func:`apply_events`) -> the
updated problem is indexed (every eligible pair) -> the least-change CP-SAT re-solve
(``solvers._least_change``): the locked pairs fixed, the fewest changed pairs first, then
the policy's objective among the assignments with that few -> the independent ``check``
-> a :class:`Repair` with the diff and a full :class:`~reviewassign.Result`.

What each event does to the problem, stated once here:

- ``decline`` (case, reviewer) and ``conflict`` (case, reviewer): a declared conflict on
  the pair, with reason ``"declined"`` or ``"declared"``.
- ``withdraw`` (reviewer): the reviewer's ``min_load`` and ``max_load`` become 0. The
  reviewer stays in the problem, so that the relation graph (and every conflict it
  makes) is unchanged; under ``objective.load_spread`` the withdrawn reviewer counts
  with load 0, as every idle reviewer does.
- ``add_case`` (case): the case, already in the problem, needs a panel; it must have
  none in the current assignment.
- ``withdraw_case`` (case): the case, its declared conflicts and given affinities leave
  the problem, and its pairs the assignment. Relations that named only its applicants
  leave too; a conflict they made between another case and a reviewer (under
  ``relation_distance`` 2 or more) is kept as a declared conflict.
- ``load`` (reviewer, value): the reviewer's ``max_load`` becomes ``value``, and its
  ``min_load`` at most ``value``.

Events apply in their order. Every current pair whose case stays counts: pairs that are
no longer eligible (a declined pair, a withdrawn reviewer's) are removed, and the others
move only if the rules require it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .._data.events import Event
from .._data.model import Conflict, Issue, Linked, Problem, Relation, Reviewer
from .._data.options import SolveOptions
from .._data.policy import Policy
from .._data.result import Assignment, Phase, Result, Status
from .._data.table import AffinityTable
from .._errors import InputError
from .._pipeline.finish import RunContext, checked, finish, phases_of
from .._reduce.conflicts import conflicts
from .._reduce.eligible import Instance, build_instance

if TYPE_CHECKING:
    from .._backends import solvers

__all__ = ["Repair", "apply_events", "repair", "repair_issues"]

Pair = tuple[str, str]


# ------------------------------------------------------------------------ validation


def repair_issues(
    problem: Problem,
    current: Mapping[str, Sequence[str]],
    events: Sequence[Event],
    locked: Iterable[Pair] = (),
) -> list[Issue]:
    """Every mistake in a repair's input, as :class:`Issue` rows.

    Collections are ``"current"`` (index: the pair's position in sorted order),
    ``"events"`` and ``"locked"``. Checked: ids the problem does not know; events on a
    case that an earlier event withdrew; ``add_case`` of a case that has a panel; a case
    of the problem without a panel and without an ``add_case`` event; locked pairs that
    an event removes (a decline or conflict of the pair, a withdrawal of its reviewer or
    case, a load below the reviewer's locked pairs).
    """
    known = _Known(
        frozenset(c.id for c in problem.cases), frozenset(r.id for r in problem.reviewers)
    )
    pairs = list(Assignment(current).pairs())
    issues: list[Issue] = []
    for i, (c, r) in enumerate(pairs):
        issues += known.unknown("current", i, c, r)
    panels = {c for c, _ in pairs}
    effects = _Effects()
    for i, e in enumerate(events):
        issues += _event_issues(i, e, known, panels, effects)
        effects.record(i, e)
    unplanned = known.cases - panels - effects.added - set(effects.withdrawn_case)
    for k, c in enumerate(sorted(unplanned)):
        if k == 3:
            break  # enough to see the point
        message = f"case {c!r} has no panel in the current assignment and no add_case event"
        issues.append(Issue("current", len(pairs), "case", message))
    issues += _locked_issues(locked, events, known, effects)
    return issues


@dataclass(frozen=True, slots=True)
class _Known:
    """The case and reviewer ids of the problem a repair's input must name."""

    cases: frozenset[str]
    reviewers: frozenset[str]

    def unknown(self, collection: str, index: int, case: str, reviewer: str) -> list[Issue]:
        """The issues of a ``(case, reviewer)`` pair that names an id the problem lacks."""
        issues = []
        if case not in self.cases:
            issues.append(Issue(collection, index, "case", f"unknown case id {case!r}"))
        if reviewer not in self.reviewers:
            issues.append(Issue(collection, index, "reviewer", f"unknown reviewer id {reviewer!r}"))
        return issues


@dataclass(slots=True)
class _Effects:
    """What the events seen so far do, each by the index of the event that does it.

    A case or reviewer withdrawn and a pair removed keep their first event; a reviewer's
    load keeps its last (with that event's index).
    """

    added: set[str] = field(default_factory=set)
    withdrawn_case: dict[str, int] = field(default_factory=dict)
    withdrawn_reviewer: dict[str, int] = field(default_factory=dict)
    removed_pair: dict[Pair, int] = field(default_factory=dict)
    final_load: dict[str, tuple[int, int]] = field(default_factory=dict)

    def record(self, i: int, e: Event) -> None:
        """Note what event ``i`` does."""
        if e.kind == "add_case" and e.case is not None:
            self.added.add(e.case)
        if e.kind == "withdraw_case" and e.case is not None:
            self.withdrawn_case.setdefault(e.case, i)
        if e.kind == "withdraw" and e.reviewer is not None:
            self.withdrawn_reviewer.setdefault(e.reviewer, i)
        if e.kind in ("decline", "conflict") and e.case is not None and e.reviewer is not None:
            self.removed_pair.setdefault((e.case, e.reviewer), i)
        if e.kind == "load" and e.reviewer is not None and e.value is not None:
            self.final_load[e.reviewer] = (e.value, i)


def _event_issues(
    i: int, e: Event, known: _Known, panels: set[str], effects: _Effects
) -> list[Issue]:
    """The issues of event ``i``, given what the events before it did."""
    issues = []
    if e.case is not None:
        if e.case not in known.cases:
            issues.append(Issue("events", i, "case", f"unknown case id {e.case!r}"))
        elif e.case in effects.withdrawn_case:
            message = f"case {e.case!r} was withdrawn by events[{effects.withdrawn_case[e.case]}]"
            issues.append(Issue("events", i, "case", message))
    if e.reviewer is not None and e.reviewer not in known.reviewers:
        issues.append(Issue("events", i, "reviewer", f"unknown reviewer id {e.reviewer!r}"))
    if e.kind == "add_case" and e.case in panels:
        message = f"case {e.case!r} has a panel in the current assignment already"
        issues.append(Issue("events", i, "case", message))
    return issues


def _locked_issues(
    locked: Iterable[Pair], events: Sequence[Event], known: _Known, effects: _Effects
) -> list[Issue]:
    """The issues of the locked pairs: unknown ids, and the events that remove them."""
    issues: list[Issue] = []
    locked_by_reviewer: dict[str, int] = {}
    for j, (c, r) in enumerate(locked):
        issues += known.unknown("locked", j, c, r)
        locked_by_reviewer[r] = locked_by_reviewer.get(r, 0) + 1
        contradiction = _removed_by(c, r, events, effects)
        if contradiction is not None:
            i, which, what = contradiction
            issues.append(Issue("events", i, which, what + f" (locked[{j}])"))
    for r, (value, i) in effects.final_load.items():
        if locked_by_reviewer.get(r, 0) > value:
            message = (
                f"load {value} for {r!r} is below the {locked_by_reviewer[r]} locked pairs of {r!r}"
            )
            issues.append(Issue("events", i, "value", message))
    return issues


def _removed_by(
    c: str, r: str, events: Sequence[Event], effects: _Effects
) -> tuple[int, str, str] | None:
    """The event that removes the locked pair ``(c, r)``: its index, field and what it does."""
    if (c, r) in effects.removed_pair:
        i = effects.removed_pair[(c, r)]
        return (i, "reviewer", f"a {events[i].kind} of the locked pair ({c}, {r})")
    if r in effects.withdrawn_reviewer:
        i = effects.withdrawn_reviewer[r]
        return (i, "reviewer", f"withdraws {r!r}, who holds the locked pair ({c}, {r})")
    if c in effects.withdrawn_case:
        i = effects.withdrawn_case[c]
        return (i, "case", f"withdraws {c!r}, which holds the locked pair ({c}, {r})")
    return None


# --------------------------------------------------------------------- the new problem


def _without_cases(table: AffinityTable, gone: set[str]) -> AffinityTable:
    """The table without the rows of the cases ``gone``."""
    keep = [c for c in table.case_ids if c not in gone]
    pos = {c: i for i, c in enumerate(keep)}
    remap = np.array([pos.get(c, -1) for c in table.case_ids], dtype=np.int64)
    codes = remap[table.case] if len(table) else np.zeros(0, dtype=np.int64)
    rows = codes >= 0
    return AffinityTable(
        keep, table.reviewer_ids, codes[rows], table.reviewer[rows], table.score[rows]
    )


def apply_events(
    problem: Problem, events: Sequence[Event], policy: Policy | None = None
) -> Problem:
    """The problem after the events, in their order (see the module's notes).

    ``policy`` is needed only for a ``load`` event below the policy's ``load.min`` and
    for the relation conflicts a ``withdraw_case`` keeps; ``None`` is ``Policy()``.
    Ids are not checked here (:func:`repair_issues` does): an unknown id raises
    ``KeyError``.

    Examples
    --------
    >>> import reviewassign as ra
    >>> p = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="R1")])
    >>> q = apply_events(p, [ra.Event.decline("C1", "R1"), ra.Event.load("R1", 2)])
    >>> q.conflicts[0].reason, q.reviewer("R1").max_load
    ('declined', 2)
    """
    policy = Policy.coerce(policy)
    reviewers = {r.id: r for r in problem.reviewers}
    declared = list(problem.conflicts)
    known = {(c.case, c.reviewer) for c in declared}
    gone: set[str] = set()

    def update(reviewer_id: str, **changes: int) -> None:
        data = reviewers[reviewer_id].model_dump()
        data.update(changes)
        reviewers[reviewer_id] = Reviewer.model_validate(data)

    for e in events:
        if e.kind in ("decline", "conflict"):
            assert e.case is not None and e.reviewer is not None
            problem.case(e.case), problem.reviewer(e.reviewer)  # KeyError if unknown
            if (e.case, e.reviewer) not in known:
                reason = "declined" if e.kind == "decline" else "declared"
                declared.append(Conflict(case=e.case, reviewer=e.reviewer, reason=reason))
                known.add((e.case, e.reviewer))
        elif e.kind == "withdraw":
            assert e.reviewer is not None
            update(e.reviewer, min_load=0, max_load=0)
        elif e.kind == "load":
            assert e.reviewer is not None and e.value is not None
            who = reviewers[e.reviewer]
            low = policy.load.min if who.min_load is None else who.min_load
            update(e.reviewer, min_load=min(low, e.value), max_load=e.value)
        elif e.kind == "withdraw_case":
            assert e.case is not None
            problem.case(e.case)
            gone.add(e.case)
        else:  # add_case: the case is in the problem already
            assert e.case is not None
            problem.case(e.case)

    cases = tuple(c for c in problem.cases if c.id not in gone)
    people = set(reviewers) | {p for c in cases for p in c.applicants}
    relations = tuple(r for r in problem.relations if r.a in people and r.b in people)
    if len(relations) < len(problem.relations) and policy.conflicts.relation_distance >= 2:
        # Paths through the withdrawn applicants made conflicts of other cases: keep them.
        declared += _relation_conflicts_kept(problem, policy, relations, gone, known)
    return Problem(
        cases=cases,
        reviewers=tuple(reviewers[r.id] for r in problem.reviewers),
        conflicts=tuple(c for c in declared if c.case not in gone),
        relations=relations,
        affinity=_without_cases(problem.affinity, gone) if gone else problem.affinity,
        disjoint=problem.disjoint,
        linked=_linked_kept(problem.linked, gone),
        prefers_not=tuple(x for x in problem.prefers_not if x.case not in gone),
        history=problem.history,
    )


def _linked_kept(groups: Sequence[Linked], gone: set[str]) -> tuple[Linked, ...]:
    """The linked groups without the withdrawn cases (a group keeps two cases or goes)."""
    kept = []
    for group in groups:
        left = tuple(c for c in group.cases if c not in gone)
        if len(left) == len(group.cases):
            kept.append(group)
        elif len(left) >= 2:
            kept.append(Linked(cases=left, shared=group.shared))
    return tuple(kept)


def _relation_conflicts_kept(
    problem: Problem,
    policy: Policy,
    relations: tuple[Relation, ...],
    gone: set[str],
    known: set[Pair],
) -> list[Conflict]:
    """The relation conflicts of the cases that stay, lost with the ``relations`` left out.

    Paths through a withdrawn case's applicants made them; they become declared conflicts
    (sorted), except the pairs in conflict already (``known``).
    """
    before = {
        (cp.case, cp.reviewer)
        for cp in conflicts(problem, policy)
        if "relation" in cp.reasons and cp.case not in gone
    }
    trimmed = problem.model_copy(update={"relations": relations})
    after = {
        (cp.case, cp.reviewer) for cp in conflicts(trimmed, policy) if "relation" in cp.reasons
    }
    return [
        Conflict(case=c, reviewer=r, reason="relation via a withdrawn case")
        for c, r in sorted(before - after - known)
    ]


# ------------------------------------------------------------------------- the result


@dataclass(frozen=True, slots=True)
class Repair:
    """The outcome of :func:`repair`: the repaired assignment and how it differs.

    ``added`` and ``removed`` are the sorted ``(case, reviewer)`` pairs that the repaired
    assignment has and the current one has not, and the other way round (the pairs of a
    withdrawn case, of a declined pair and of a withdrawn reviewer are among ``removed``);
    ``changes`` counts both. ``problem`` is the problem after the events: check the
    assignment against it. ``result`` is a full :class:`~reviewassign.Result` of the
    repaired assignment (stats, metrics, bound; the bound is over the assignments with
    ``changes`` changes or fewer). Unless ``status`` is OPTIMAL or FEASIBLE, the
    assignment is empty and so are ``added`` and ``removed``.
    """

    status: Status
    assignment: Assignment
    added: tuple[Pair, ...]
    removed: tuple[Pair, ...]
    objective: float | None
    problem: Problem
    current: Assignment
    result: Result

    @property
    def changes(self) -> int:
        """Changed pairs: ``len(added) + len(removed)``."""
        return len(self.added) + len(self.removed)

    @property
    def ok(self) -> bool:
        """Whether the repair holds an assignment (OPTIMAL or FEASIBLE)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def by_case(self) -> dict[str, dict[str, list[str]]]:
        """Per changed case, sorted: ``{"added": [reviewers], "removed": [reviewers]}``."""
        out: dict[str, dict[str, list[str]]] = {}
        for key, pairs in (("added", self.added), ("removed", self.removed)):
            for c, r in pairs:
                out.setdefault(c, {"added": [], "removed": []})[key].append(r)
        return {c: {k: sorted(v) for k, v in out[c].items()} for c in sorted(out)}

    def by_reviewer(self) -> dict[str, dict[str, list[str]]]:
        """Per changed reviewer, sorted: ``{"added": [cases], "removed": [cases]}``."""
        out: dict[str, dict[str, list[str]]] = {}
        for key, pairs in (("added", self.added), ("removed", self.removed)):
            for c, r in pairs:
                out.setdefault(r, {"added": [], "removed": []})[key].append(c)
        return {r: {k: sorted(v) for k, v in out[r].items()} for r in sorted(out)}

    def __str__(self) -> str:
        if not self.ok:
            return f"no repair: {self.status.value}"
        lines = []
        for case, diff in self.by_case().items():
            moves = [f"-{r}" for r in diff["removed"]] + [f"+{r}" for r in diff["added"]]
            lines.append(f"{case}: {' '.join(moves)}")
        objective = "" if self.objective is None else f"; objective {self.objective:.6f}"
        lines.append(
            f"{self.changes} change(s): {len(self.removed)} removed, {len(self.added)} added"
            f"{objective} ({self.status.value})"
        )
        return "\n".join(lines)


def _pair_index(inst: Instance, pairs: Sequence[Pair]) -> np.ndarray:
    """Per pair, its index among the instance's pairs, or -1 if it is not eligible."""
    if not pairs:
        return np.zeros(0, dtype=np.int64)
    case_pos = {c: i for i, c in enumerate(inst.case_ids)}
    rev_pos = {r: i for i, r in enumerate(inst.reviewer_ids)}
    n_r = max(1, inst.n_reviewers)
    keys = inst.pair_case * n_r + inst.pair_reviewer  # ascending: pairs sort by case, reviewer
    wanted = np.array([case_pos[c] * n_r + rev_pos[r] for c, r in pairs], dtype=np.int64)
    at = np.searchsorted(keys, wanted)
    found = (at < len(keys)) & (keys[np.minimum(at, max(0, len(keys) - 1))] == wanted)
    return np.where(found, at, -1).astype(np.int64)


def repair(
    problem: Problem,
    policy: Policy | None,
    current: Mapping[str, Sequence[str]],
    events: Sequence[Event],
    *,
    locked: Iterable[Pair] = (),
    time_limit: float | None = None,
    seed: int = 0,
    workers: int = 1,
) -> Repair:
    """Repair an assignment after events with the fewest changed pairs.

    The events are applied to the problem (:func:`apply_events`); then, among the
    assignments that meet every hard rule of the policy on the updated problem and keep
    every locked pair, the repair has the fewest changed pairs (a pair of ``current``
    dropped, or a pair added) and, among those, the best objective of the policy (under
    the fairness objective: the best worst panel, then the best total).

    Parameters
    ----------
    problem
        The problem the current assignment was made for; a case of an ``add_case``
        event is in it already.
    policy
        The rules and the objective; ``None`` is the neutral ``Policy()``.
    current
        The current assignment: case id -> reviewer ids (an :class:`Assignment`, the
        ``assignment`` of a result, or :func:`load_assignment`'s).
    events
        The :class:`Event` rows, applied in order.
    locked
        ``(case, reviewer)`` pairs that must be in the repaired assignment (typically
        reviews already under way). A locked pair not in ``current`` is added.
    time_limit
        Seconds for the whole repair, shared by its solver runs; when reached, the best
        repair found is returned with status FEASIBLE (NO_SOLUTION if none was found).
    seed, workers
        CP-SAT's random seed and search workers, as for :func:`solve`.

    Returns
    -------
    Repair
        Status, repaired assignment, the diff, the updated problem and a full
        :class:`Result`. Every repaired assignment has passed :func:`check` against the
        updated problem. Infeasible after the events: status INFEASIBLE, no exception.

    Raises
    ------
    InputError
        An id the problem does not know, or a locked pair that an event removes or that
        is not eligible (a conflict of interest, or a single-pair rule excludes it),
        named as ``events[i]``, ``locked[j]`` or ``current[k]`` with the field.

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(
    ...     cases=[ra.Case(id="C1", topics={"t1": 1}), ra.Case(id="C2", topics={"t2": 1})],
    ...     reviewers=[ra.Reviewer(id="R1", expertise={"t1": 3}),
    ...                ra.Reviewer(id="R2", expertise={"t2": 3}),
    ...                ra.Reviewer(id="R3", expertise={"t1": 2, "t2": 1})],
    ... )
    >>> policy = ra.Policy(panel_size=1, load={"max": 1})
    >>> result = ra.solve(problem, policy)
    >>> dict(result.assignment)
    {'C1': ('R1',), 'C2': ('R2',)}
    >>> fixed = ra.repair(problem, policy, result.assignment, [ra.Event.decline("C1", "R1")])
    >>> print(fixed)
    C1: -R1 +R3
    2 change(s): 1 removed, 1 added; objective 1.666667 (optimal)
    >>> fixed.added, fixed.removed
    ((('C1', 'R3'),), (('C1', 'R1'),))
    >>> ra.check(fixed.problem, policy, fixed.assignment)
    []
    """
    start = time.perf_counter()  # the time limit counts from the call
    policy = Policy.coerce(policy)
    options = SolveOptions.checked(seed=seed, workers=workers, time_limit=time_limit, start=start)
    events = [e if isinstance(e, Event) else Event.model_validate(e) for e in events]
    locked = [(str(c), str(r)) for c, r in locked]
    current = Assignment(current)
    _raise_first(repair_issues(problem, current, events, locked))

    t0 = time.perf_counter()
    updated = apply_events(problem, events, policy)
    inst = build_instance(updated, policy)
    cases = set(inst.case_ids)
    before = [(c, r) for c, r in current.pairs()]
    at = _pair_index(inst, [(c, r) for c, r in before if c in cases])
    lock_at = _pair_index(inst, locked)
    _check_locked(inst, locked, lock_at)
    ctx = RunContext(updated, policy, options)
    ctx.phases.append(Phase(name="prepare", seconds=time.perf_counter() - t0, status="done"))
    outcome = _least_change(ctx, inst, np.unique(at[at >= 0]), np.unique(lock_at))
    ctx.phases.extend(phases_of(outcome))
    status = outcome.status.public
    assignment = inst.assignment(outcome.chosen)
    bound = None
    metrics = None
    added: tuple[Pair, ...] = ()
    removed: tuple[Pair, ...] = ()
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        # The locked pairs are checked as forced pairs (pairs.forced), independently.
        metrics, _ = checked(updated, policy, assignment, ctx.phases, forced=locked)
        bound = metrics.objective if status is Status.OPTIMAL else outcome.bound
        new, old = set(assignment.pairs()), set(before)
        added, removed = tuple(sorted(new - old)), tuple(sorted(old - new))
    ctx.notes.extend(outcome.notes)
    result = finish(
        ctx, inst, outcome, status=status, assignment=assignment, metrics=metrics, bound=bound
    )
    return Repair(
        status=status,
        assignment=assignment,
        added=added,
        removed=removed,
        objective=result.objective,
        problem=updated,
        current=current,
        result=result,
    )


def _raise_first(issues: Sequence[Issue]) -> None:
    """Raise the first issue of a repair's input as an :class:`InputError` (with a count)."""
    if issues:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise InputError(
            first.message + more, field=f"{first.collection}[{first.index}].{first.field}"
        )


def _check_locked(inst: Instance, locked: Sequence[Pair], lock_at: np.ndarray) -> None:
    """Raise :class:`InputError` for the first locked pair that is not eligible, and why."""
    for j in np.flatnonzero(lock_at < 0).tolist():
        c, r = locked[j]
        why = {(cp.case, cp.reviewer): cp.details for cp in inst.rows.conflicts}.get((c, r))
        reason = (
            "; ".join(why) if why else "a single-pair rule of the policy (language, own region)"
        )
        raise InputError(
            f"the locked pair ({c}, {r}) is not eligible after the events: {reason}",
            field=f"locked[{j}]",
        )


def _least_change(
    ctx: RunContext, inst: Instance, current: np.ndarray, locked: np.ndarray
) -> solvers.Outcome:
    """The least-change backend's outcome, or infeasible at once for too few reviews."""
    from .._backends import solvers  # ortools is imported on the first solve, not with the package

    if int(inst.max_load.sum()) < int(inst.panel_size.sum()):
        # Fewer reviews than seats: no solver needed (and a large one is slow to see it).
        return solvers.Outcome(
            solvers.BackendStatus.INFEASIBLE,
            notes=(
                f"capacity: the reviewers' maximum loads sum to {int(inst.max_load.sum())}, "
                f"below the {int(inst.panel_size.sum())} seats of the panels",
            ),
        )
    left = None if ctx.options.time_limit is None else max(0.0, ctx.options.left())
    return solvers.solve_least_change(
        inst, ctx.policy, ctx.options, current=current, locked=locked, time_limit=left
    )
