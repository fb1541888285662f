"""Trust in a result: verify it against its problem and policy; export panels anonymously.

:func:`verify` re-checks a result file as a third party would: every hard rule through
:func:`check`, the objective through :func:`evaluate`, the problem and policy hashes of
its reproducibility record, and (given a time limit) the claimed status and bound by a
re-solve; it says item by item what it confirmed. :func:`export_anonymous` gives
applicants their panels with keyed pseudonyms in place of reviewer ids.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import platform
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from .._data.model import Problem
from .._data.policy import Policy
from .._data.result import Assignment, Result, Status
from .._errors import InputError
from .._files.io import _read_json, csv_text
from .._pipeline.finish import input_hash, policy_hash, problem_hash
from .._spec.check import Metrics, Violation, check, evaluate
from .._version import __version__
from .._workflows.solve import check_options, solve

__all__ = [
    "EXPORT_COLUMNS",
    "ITEMS",
    "MIN_SECRET_BYTES",
    "Finding",
    "Verdict",
    "Verification",
    "export_anonymous",
    "load_secret",
    "reviewer_labels",
    "verify",
]

MIN_SECRET_BYTES = 16
"""The shortest secret :func:`export_anonymous` accepts (128 bits)."""
EXPORT_COLUMNS = ("region", "gender")
"""The opt-in columns of :func:`export_anonymous`: attributes of the reviewer in a seat."""
_RELATIVE_TOLERANCE = 1e-9


Verdict = Literal["confirmed", "refuted", "not verified", "absent"]
"""What :func:`verify` concluded about one item of a result."""

ITEMS = ("hard rules", "problem hash", "policy hash", "objective", "status", "bound")
"""The items :func:`verify` reports on, in order."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One item of a result that :func:`verify` examined: its verdict and what it rests on.

    ``item`` is one of :data:`ITEMS`; ``verdict`` is ``"confirmed"``, ``"refuted"``,
    ``"not verified"`` (claimed, neither confirmed nor refuted) or ``"absent"`` (not in
    the result).
    """

    item: str
    verdict: Verdict
    detail: str

    def __str__(self) -> str:
        return f"{self.item:<13} {self.verdict:<13} {self.detail}"


@dataclass(frozen=True, slots=True)
class Verification:
    """What :func:`verify` found.

    ``findings`` say, item by item (:data:`ITEMS`), what was confirmed, refuted, not
    verified or absent. ``valid`` is true when the assignment meets every hard rule, the
    result was made from this problem and policy (by their hashes; a result without them
    only with ``allow_unhashed``), its stored objective is the one recomputed and no
    claimed status or bound is refuted. A status or bound that was not re-proven is
    ``"not verified"`` and does not make a result invalid. ``violations`` lists the
    broken rules, ``mismatches`` every other failure in words; ``notes`` are differences
    that are not failures (e.g. another library version made the result).
    """

    violations: tuple[Violation, ...]
    mismatches: tuple[str, ...]
    notes: tuple[str, ...]
    objective: float | None
    """The objective recomputed from the assignment (``None`` if it names unknown ids)."""
    findings: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        """No violation and no mismatch."""
        return not self.violations and not self.mismatches

    def verdict(self, item: str) -> Verdict:
        """The verdict on one of :data:`ITEMS`.

        Raises
        ------
        KeyError
            If ``item`` was not examined.
        """
        for finding in self.findings:
            if finding.item == item:
                return finding.verdict
        raise KeyError(item)

    def __str__(self) -> str:
        lines = [str(v) for v in self.violations]
        lines += [str(f) for f in self.findings]
        said = {f.detail for f in self.findings}
        lines += [f"mismatch: {m}" for m in self.mismatches if m not in said]
        lines += [f"note: {n}" for n in self.notes]
        lines.append(self._summary())
        return "\n".join(lines)

    def _summary(self) -> str:
        """The verdict, then the items by verdict."""
        parts = ["valid." if self.valid else "not valid."]
        for verdict in ("refuted", "absent", "confirmed", "not verified"):
            items = [f.item for f in self.findings if f.verdict == verdict]
            if items:
                parts.append(f"{verdict.capitalize()}: {', '.join(items)}.")
        return " ".join(parts)


_PANELS: TypeAdapter[dict[str, list[str]]] = TypeAdapter(dict[str, list[str]])


def _record(
    result: Result | Mapping[str, Any] | str | os.PathLike[str],
) -> tuple[dict[str, Any], str | None]:
    """The result as a JSON-like dictionary, and the file it came from."""
    if isinstance(result, Result):
        return result.to_dict(), None
    if isinstance(result, Mapping):
        return dict(result), None
    path = Path(result)
    if path.suffix.lower() != ".json":
        raise InputError("a result to verify is a .json file written by solve", path=path)
    data = _read_json(path)
    if not isinstance(data, dict):
        raise InputError("a result file holds a JSON object", path=path)
    return data, str(path)


def _field(
    data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str | None
) -> Any:
    """``data[key]`` if absent or of type ``kind``, else an :class:`InputError`."""
    value = data.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise InputError(f"{key} has the wrong type: {type(value).__name__}", path=where, field=key)
    return value


def _assignment(data: Mapping[str, Any], where: str | None) -> Assignment:
    """The assignment a result file holds."""
    panels = data.get("assignment")
    if not isinstance(panels, dict):
        message = "a result needs an 'assignment' object mapping case ids to reviewer ids"
        raise InputError(message, path=where, field="assignment")
    try:
        return Assignment(_PANELS.validate_python(panels))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in ("assignment", *error["loc"]))
        raise InputError(str(error["msg"]), path=where, field=loc) from None


def _status(data: Mapping[str, Any], where: str | None) -> Status | None:
    """The status a result file claims, if any."""
    value = data.get("status")
    if value is None:
        return None
    try:
        return Status(value)
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InputError(
            f"unknown status {value!r}; one of {known}", path=where, field="status"
        ) from None


def _seed(stats: Mapping[str, Any], where: str | None) -> int:
    """The seed of the reproducibility record (0 if it has none), for a re-solve."""
    seed = _field(stats, "seed", int, where)
    if seed is None:
        return 0
    try:
        check_options(seed=seed, workers=1, time_limit=None)
    except InputError as exc:
        raise InputError(exc.message, path=where, field="stats.seed") from None
    return int(seed)


def _rules(violations: Sequence[Violation], assignment: Assignment) -> Finding:
    """The hard-rules finding: refuted by ``violations``, else confirmed."""
    if violations:
        return Finding("hard rules", "refuted", f"{len(violations)} violation(s), listed above")
    pairs = sum(len(p) for p in assignment.values())
    return Finding(
        "hard rules",
        "confirmed",
        f"every hard rule of the policy is met: {len(assignment)} cases, {pairs} pairs",
    )


def _hashes(
    problem: Problem, policy: Policy, stats: Mapping[str, Any], allow_unhashed: bool
) -> list[Finding]:
    """The problem and policy hashes of the record (or, in older files, the input hash)."""
    older = stats.get("input_hash")
    found: list[Finding] = []
    for name, stored, actual in (
        ("problem", stats.get("problem_hash"), problem_hash(problem)),
        ("policy", stats.get("policy_hash"), policy_hash(policy)),
    ):
        item = f"{name} hash"
        if stored:
            if stored == actual:
                found.append(Finding(item, "confirmed", f"the result was made from this {name}"))
            else:
                why = f"the result was made from another {name} ({name} hash differs)"
                found.append(Finding(item, "refuted", why))
        elif older:
            if older == input_hash(problem, policy):
                why = f"the result was made from this {name} (the input hash of an older record)"
                found.append(Finding(item, "confirmed", why))
            else:
                why = "the result was made from another problem or policy (input hash differs)"
                found.append(Finding(item, "refuted", why))
        elif allow_unhashed:
            why = f"the result records none; allowed, but it may come from another {name}"
            found.append(Finding(item, "absent", why))
        else:
            why = (
                f"the result records none: it may come from another {name} "
                "(--allow-unhashed accepts that)"
            )
            found.append(Finding(item, "absent", why))
    return found


def _objective(stored: float | None, metrics: Metrics | None, unknown: str) -> Finding:
    """The objective finding: the stored objective against the one recomputed."""
    if metrics is None:
        return Finding("objective", "refuted", unknown)
    objective = metrics.objective
    if stored is None:
        return Finding("objective", "absent", "the result stores no objective")
    if not math.isclose(float(stored), objective, rel_tol=_RELATIVE_TOLERANCE, abs_tol=1e-12):
        why = f"stored objective {stored!r} but the assignment gives {objective!r}"
        return Finding("objective", "refuted", why)
    return Finding("objective", "confirmed", f"{objective:.6f}, recomputed from the assignment")


_NOT_REPROVEN = "not re-proven (--time-limit S re-proves it)"


def _claims(
    status: Status | None, bound: float | None, metrics: Metrics | None, broken: bool
) -> tuple[Finding, Finding]:
    """The claimed status and bound, as far as the assignment alone confirms them."""
    if status is None:
        said = Finding("status", "absent", "the result claims no status")
    elif broken or metrics is None:
        why = f"{status.value} is claimed; not examined: the assignment "
        why += "breaks hard rules" if broken else "names ids not in the problem"
        said = Finding("status", "not verified", why)
    elif status is Status.FEASIBLE:
        why = "feasible is claimed: every hard rule is met; optimality is not claimed"
        said = Finding("status", "confirmed", why)
    else:
        said = Finding("status", "not verified", f"{status.value} is claimed; {_NOT_REPROVEN}")
    if bound is None:
        return said, Finding("bound", "absent", "the result claims no bound")
    if metrics is None:
        return said, Finding("bound", "not verified", f"{bound!r} is claimed; not examined")
    value = metrics.objective
    if bound < value and not math.isclose(bound, value, rel_tol=_RELATIVE_TOLERANCE):
        why = f"the bound {bound!r} is below the objective {value!r} of the assignment itself"
        return said, Finding("bound", "refuted", why)
    why = f"{bound:.6f} is claimed, not below the objective; {_NOT_REPROVEN}"
    return said, Finding("bound", "not verified", why)


# A level's value, signed so that higher is better.
_LEVEL_KEYS: dict[str, Callable[[Metrics], float]] = {
    "coverage": lambda m: float(m.covered_topics),
    "worst_case": lambda m: -math.inf if m.worst_case is None else m.worst_case,
    "affinity": lambda m: m.total_affinity,
    "load_spread": lambda m: -float(m.load_spread),
    "objective": lambda m: m.objective,
}


def _tolerances(
    problem: Problem, policy: Policy, claimed: Metrics, ours: Metrics
) -> dict[str, float]:
    """How far apart two optima of the solver's integer model may be, level by level.

    Inside the solver every pair affinity and every weight is rounded to its resolution:
    an assignment's integer value is within half a unit per seat, per unit of load
    spread and per seat outside a representation band of its float value. Two
    assignments with the same integer value are within the sum of both of those (a
    panel: of its seats). Counts are exact.
    """
    from .._backends import solvers  # ortools is imported on the first solve, not with the package

    scale = max(abs(claimed.objective), abs(ours.objective), 1.0)
    seats = claimed.seats + ours.seats
    units = seats + claimed.load_spread + ours.load_spread
    units += claimed.representation_outside + ours.representation_outside
    panel = max([policy.panel_size, *(c.panel_size or 0 for c in problem.cases)])
    return {
        "coverage": 0.5,
        "worst_case": solvers.RESOLUTION * (panel + 1) + 1e-9 * scale,
        "affinity": 0.5 * solvers.RESOLUTION * seats + 1e-9 * scale,
        "load_spread": 0.5,
        "objective": 0.5 * solvers.RESOLUTION * units + 1e-9 * scale,
    }


def _first_difference(
    levels: Sequence[str], ours: Metrics, claimed: Metrics, tol: Mapping[str, float]
) -> tuple[str, float, float, bool] | None:
    """The first level at which two assignments differ beyond its tolerance.

    ``(level, ours, claimed, ahead)``: ``ahead`` when ours is at least as good (but for
    float noise) at every level before; ``None`` when they are equal at every level.
    """
    ahead = True
    for level in levels:
        a, b = _LEVEL_KEYS[level](ours), _LEVEL_KEYS[level](claimed)
        if abs(a - b) > tol[level]:
            return level, a, b, ahead
        ahead = ahead and a >= b - 1e-9 * max(1.0, abs(b))
    return None


def _reproved(
    problem: Problem,
    policy: Policy,
    status: Status | None,
    bound: float | None,
    claimed: Metrics,
    found: Result,
) -> tuple[Finding | None, Finding | None]:
    """The claimed status and bound against a re-solve; ``None``: no verdict from it.

    A claimed optimum is refuted by an assignment that is better at the first level
    where the two differ and no worse before it, and confirmed when the re-solve proves
    an optimum equal to it at every level. A claimed bound is refuted by a better
    objective at the same levels, and confirmed when it is at least a bound the
    re-solve proves; under several levels, only when the re-solve proves them all.
    """
    levels = policy.objective.levels
    if "leximin" in levels:
        why = "verify does not re-prove leximin optima"
        return Finding("status", "not verified", why), Finding("bound", "not verified", why)
    ours = found.metrics
    if ours is None or found.objective is None:
        why = f"the re-solve found no assignment ({found.status.value})"
        return Finding("status", "not verified", why), Finding("bound", "not verified", why)
    tolerances = _tolerances(problem, policy, claimed, ours)
    tol = tolerances["objective"]
    differ = _first_difference(levels, ours, claimed, tolerances)
    proven = found.status is Status.OPTIMAL
    said: Finding | None = None
    if status is Status.OPTIMAL:
        if differ is not None and differ[3] and differ[1] > differ[2]:
            level, a, b, _ = differ
            why = f"optimal is claimed, but the re-solve found a better {level}: {a:.6f} > {b:.6f}"
            said = Finding("status", "refuted", why)
        elif differ is not None:
            level, a, b, _ = differ
            why = f"optimal is claimed; the re-solve reached {level} {a:.6f}, not {b:.6f}"
            said = Finding("status", "not verified", why)
        elif proven:
            why = f"optimal: the re-solve proves the optimum {found.objective:.6f}, equal"
            said = Finding("status", "confirmed", f"{why} within {tol:.1e}")
        else:
            why = f"optimal is claimed; the re-solve found {found.objective:.6f}, proved no optimum"
            said = Finding("status", "not verified", why)
    if bound is None:
        return said, None
    same_levels = differ is None or (differ[0] == "objective" and differ[3])
    if levels != ("objective",) and not (proven and same_levels):
        why = f"{bound:.6f} is claimed; the re-solve proved no optimum at the same levels"
        return said, Finding("bound", "not verified", why)
    if bound < found.objective - tol:
        why = f"{bound:.6f} is claimed, below {found.objective:.6f} that the re-solve reached"
        return said, Finding("bound", "refuted", why)
    if found.bound is not None and bound >= found.bound - tol:
        why = f"{bound:.6f} is at least the re-solve's proven bound {found.bound:.6f}"
        return said, Finding("bound", "confirmed", f"{why} (within {tol:.1e})")
    why = f"{bound:.6f} is claimed; the re-solve proves only the bound {found.bound}"
    return said, Finding("bound", "not verified", why)


def verify(
    problem: Problem,
    policy: Policy | None,
    result: Result | Mapping[str, Any] | str | os.PathLike[str],
    *,
    allow_unhashed: bool = False,
    time_limit: float | None = None,
) -> Verification:
    """Re-check a result: its rules, its objective, that it was made from these inputs.

    Each item of :data:`ITEMS` gets a :class:`Finding`: ``"confirmed"``, ``"refuted"``,
    ``"not verified"`` or ``"absent"``. Only what was checked is confirmed.

    Parameters
    ----------
    problem, policy
        The inputs the result claims to come from (``policy=None``: the neutral policy).
    result
        A :class:`Result`, its :meth:`~Result.to_dict`, or the path of a result ``.json``.
    allow_unhashed
        Accept a result that records no problem or policy hash (and no older input
        hash): those hashes are then ``"absent"``, not failures. Such a result may have
        been made from another problem or policy.
    time_limit
        Seconds to re-prove the claimed status and bound by solving the problem under
        the policy again (one worker, the seed of the record). ``None``: no re-solve; a
        claimed ``optimal`` and a claimed bound are ``"not verified"``.

    Returns
    -------
    Verification
        ``valid`` when :func:`check` finds no violation, the stored problem and policy
        hashes (or, in older files, ``input_hash``) match the recomputed ones (or are
        absent and ``allow_unhashed``), the stored objective equals the one
        :func:`evaluate` recomputes (relative tolerance 1e-9), and no claim is refuted.
        A bound below the assignment's own objective is refuted. With ``time_limit``, a
        claimed ``optimal`` is confirmed when the re-solve proves an optimum equal to
        it at every level of the objective, within the solver's rounding (half of 1e-6
        a seat, a unit of load spread and a seat outside a representation band, for
        each of the two assignments), and refuted when the re-solve finds a better
        assignment; a claimed bound is confirmed when it is at least the re-solve's
        proven bound and refuted when below an objective the re-solve reaches, within
        the same tolerance. Leximin optima are not re-proven. Versions that differ from
        the running ones are ``notes``, not failures.

    Raises
    ------
    InputError
        A result file that cannot be read or lacks ``assignment``, or whose
        ``status``, ``objective``, ``bound`` or ``stats.seed`` has the wrong type,
        naming the file and field.

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(cases=[ra.Case(id="C1", topics={"t": 1})],
    ...                      reviewers=[ra.Reviewer(id="R1", expertise={"t": 3})])
    >>> policy = ra.Policy(panel_size=1)
    >>> found = ra.verify(problem, policy, ra.solve(problem, policy))
    >>> found.valid, found.verdict("policy hash"), found.verdict("status")
    (True, 'confirmed', 'not verified')
    >>> ra.verify(problem, policy, ra.solve(problem, policy), time_limit=10).verdict("status")
    'confirmed'
    >>> other = ra.Policy(panel_size=1, load={"max": 2})
    >>> ra.verify(problem, other, ra.solve(problem, policy)).mismatches
    ('the result was made from another policy (policy hash differs)',)
    """
    policy = Policy() if policy is None else policy
    if time_limit is not None:
        check_options(seed=0, workers=1, time_limit=time_limit)
    claimed = _claimed(result)
    violations, metrics, unknown = _measured(problem, policy, claimed.assignment, claimed.forced)
    findings = [
        _rules(violations, claimed.assignment),
        *_hashes(problem, policy, claimed.stats, allow_unhashed),
        _objective(claimed.objective, metrics, unknown),
    ]
    said, bounded = _claims(claimed.status, claimed.bound, metrics, bool(violations))
    notes: list[str] = []
    if time_limit is not None and metrics is not None and not violations and claimed.reprovable:
        said, bounded, note = _resolve(
            problem, policy, claimed, metrics, (said, bounded), time_limit
        )
        notes.append(note)
    findings += [said, bounded]
    mismatches = _mismatches(findings, claimed, allow_unhashed)
    notes += _version_notes(claimed.stats)
    objective = None if metrics is None else metrics.objective
    return Verification(violations, tuple(mismatches), tuple(notes), objective, tuple(findings))


@dataclass(frozen=True, slots=True)
class _Claimed:
    """What a result claims, read and type-checked: its assignment, record and claims."""

    assignment: Assignment
    stats: Mapping[str, Any]
    """The reproducibility record (``{}`` when the result has none)."""
    objective: float | None
    bound: float | None
    status: Status | None
    seed: int
    """The record's seed (0 if none), for a re-solve."""
    forced: tuple[tuple[str, str], ...] = ()
    """The forced pairs the result records (``"forced"``), checked and re-solved with."""

    @property
    def reprovable(self) -> bool:
        """Whether a re-solve could confirm or refute a claim: an optimum, or a bound."""
        return self.status is Status.OPTIMAL or (
            self.status is Status.FEASIBLE and self.bound is not None
        )


def _claimed(result: Result | Mapping[str, Any] | str | os.PathLike[str]) -> _Claimed:
    """The claims of ``result``; an :class:`InputError` names a field of the wrong type."""
    data, where = _record(result)
    assignment = _assignment(data, where)
    stats = data.get("stats") or {}
    if not isinstance(stats, dict):
        raise InputError("stats is not an object", path=where, field="stats")
    stored = _field(data, "objective", (int, float), where)
    bound = _field(data, "bound", (int, float), where)
    status = _status(data, where)
    seed = _seed(stats, where)
    return _Claimed(
        assignment,
        stats,
        stored,
        None if bound is None else float(bound),
        status,
        seed,
        _forced(data, where),
    )


def _forced(data: Mapping[str, Any], where: str | None) -> tuple[tuple[str, str], ...]:
    """The forced pairs a result records; an :class:`InputError` for another shape."""
    pairs = data.get("forced") or []
    ok = isinstance(pairs, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
    )
    if not ok:
        raise InputError(
            "forced is not a list of [case, reviewer] pairs", path=where, field="forced"
        )
    return tuple((c, r) for c, r in pairs)


def _measured(
    problem: Problem,
    policy: Policy,
    assignment: Assignment,
    forced: tuple[tuple[str, str], ...] = (),
) -> tuple[tuple[Violation, ...], Metrics | None, str]:
    """The assignment's violations, and its metrics (None, and why, when it names unknown ids)."""
    violations = tuple(check(problem, policy, assignment, forced=forced))
    try:
        return violations, evaluate(problem, assignment, policy), ""
    except ValueError as exc:  # ids not in the problem: the objective is undefined
        return violations, None, str(exc)


def _resolve(
    problem: Problem,
    policy: Policy,
    claimed: _Claimed,
    metrics: Metrics,
    findings: tuple[Finding, Finding],
    time_limit: float,
) -> tuple[Finding, Finding, str]:
    """The status and bound ``findings`` after a re-solve, and a note of what it found."""
    seed = claimed.seed
    found = solve(
        problem, policy, time_limit=time_limit, seed=seed, workers=1, forced=claimed.forced
    )
    note = (
        f"re-solved within {time_limit:g} s (seed {seed}, 1 worker): "
        f"{found.status.value}, objective {found.objective}, bound {found.bound}"
    )
    said, bounded = findings
    again = _reproved(problem, policy, claimed.status, claimed.bound, metrics, found)
    said = again[0] or said
    if bounded.verdict != "refuted":  # below its own objective: no re-solve changes that
        bounded = again[1] or bounded
    return said, bounded, note


def _mismatches(findings: Sequence[Finding], claimed: _Claimed, allow_unhashed: bool) -> list[str]:
    """Every failure but the broken rules, in words: refuted items, absent hashes, no objective."""
    mismatches: list[str] = []
    for finding in findings[1:]:
        if finding.verdict == "refuted" and finding.detail not in mismatches:
            mismatches.append(finding.detail)
    if any(f.verdict == "absent" for f in findings[1:3]) and not allow_unhashed:
        mismatches.append(
            "the result records no problem or policy hash: the inputs it was made from "
            "cannot be confirmed"
        )
    if claimed.objective is None:
        mismatches.append("the result stores no objective")
    return mismatches


def _version_notes(stats: Mapping[str, Any]) -> list[str]:
    """The versions of the record that differ from the running ones, as notes."""
    from .._backends import solvers  # ortools is imported on the first solve, not with the package

    running = {
        "library_version": __version__,
        "python_version": platform.python_version(),
        "ortools_version": solvers.ortools_version(),
    }
    notes = []
    for key, now in running.items():
        then = stats.get(key)
        if then and then != now:
            notes.append(f"{key.replace('_', ' ')} {then} made the result; this is {now}")
    return notes


def load_secret(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a secret file, at least :data:`MIN_SECRET_BYTES` long."""
    where = Path(path)
    try:
        secret = where.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=where) from None
    if len(secret) < MIN_SECRET_BYTES:
        raise InputError(
            f"the secret has {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed "
            "(e.g. head -c 32 /dev/urandom > secret.key)",
            path=where,
        )
    return secret


def reviewer_labels(reviewers: Sequence[str], secret: bytes) -> dict[str, str]:
    """Stable pseudonyms ``Reviewer-<hex>``: HMAC-SHA256 of each id keyed by ``secret``.

    Labels are 8 hex digits, lengthened for every reviewer only if two would collide.
    The same secret gives the same labels in every run; without the secret a label
    reveals nothing about the id.

    Examples
    --------
    >>> labels = reviewer_labels(["R1", "R2"], b"0123456789abcdef")
    >>> sorted(len(v) for v in labels.values())
    [17, 17]
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the secret must be at least {MIN_SECRET_BYTES} bytes")
    digests = {
        r: hmac.new(secret, r.encode("utf-8"), hashlib.sha256).hexdigest() for r in reviewers
    }
    for width in range(8, 65, 4):
        labels = {r: f"Reviewer-{d[:width]}" for r, d in digests.items()}
        if len(set(labels.values())) == len(labels):
            return labels
    raise ValueError("two reviewer ids have the same HMAC")  # pragma: no cover


def export_anonymous(
    problem: Problem,
    assignment: Mapping[str, Sequence[str]],
    secret: bytes,
    *,
    columns: Sequence[str] = (),
    cases: Collection[str] | None = None,
) -> str:
    """CSV text of every panel for applicants: ``case,seat,reviewer_label``, no ids.

    Each reviewer appears as a keyed pseudonym (:func:`reviewer_labels`): stable across
    exports with the same secret, unlinkable to the reviewer without it. Names, ids and
    institutions never appear. ``columns`` adds attributes of the reviewer in the seat,
    from :data:`EXPORT_COLUMNS` (``region``, ``gender``): opt in only where the pools
    are large enough that they do not identify a reviewer. Seats are numbered from 1 in
    the order of the labels, so that the order reveals nothing about the ids. ``cases``
    keeps only those cases' panels (an applicant's own), with the same labels.

    Raises
    ------
    ValueError
        A secret shorter than :data:`MIN_SECRET_BYTES`, an unknown column, or a case or
        reviewer that is not in the problem or the assignment.

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(cases=[ra.Case(id="C1")], reviewers=[ra.Reviewer(id="Ada")])
    >>> text = ra.export_anonymous(problem, {"C1": ["Ada"]}, b"0123456789abcdef")
    >>> text.splitlines()[0], "Ada" in text
    ('case,seat,reviewer_label', False)
    """
    unknown = [c for c in columns if c not in EXPORT_COLUMNS]
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}; the columns are {EXPORT_COLUMNS}")
    reviewers = {r.id: r for r in problem.reviewers}
    known = {c.id for c in problem.cases}
    labels = reviewer_labels(list(reviewers), secret)
    wanted = sorted(assignment)
    if cases is not None:
        absent = sorted(set(cases) - set(assignment))
        if absent:
            raise ValueError(f"case {absent[0]!r} has no panel in the assignment")
        wanted = sorted(set(cases))
    rows: list[list[object]] = []
    for case in wanted:
        if case not in known:
            raise ValueError(f"case {case!r} is not in the problem")
        missing = [r for r in assignment[case] if r not in reviewers]
        if missing:
            raise ValueError(f"reviewer {missing[0]!r} of case {case!r} is not in the problem")
        seats = sorted(assignment[case], key=lambda r: labels[r])
        for seat, r in enumerate(seats, 1):
            rows.append([case, seat, labels[r], *(getattr(reviewers[r], c) for c in columns)])
    return csv_text(["case", "seat", "reviewer_label", *columns], rows)
