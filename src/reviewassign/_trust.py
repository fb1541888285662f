"""Trust in a result: verify it against its problem and policy; export panels anonymously.

:func:`verify` re-checks a result file as a third party would: every hard rule through
:func:`check`, the objective through :func:`evaluate`, and the problem and policy hashes
of its reproducibility record. :func:`export_anonymous` gives applicants their panels
with keyed pseudonyms in place of reviewer ids.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import platform
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ._check import Violation, check, evaluate
from ._errors import InputError
from ._finish import input_hash, policy_hash, problem_hash
from ._model import Problem
from ._policy import Policy
from ._result import Assignment, Result
from ._version import __version__

__all__ = [
    "EXPORT_COLUMNS",
    "MIN_SECRET_BYTES",
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


@dataclass(frozen=True, slots=True)
class Verification:
    """What :func:`verify` found.

    ``valid`` is true when the assignment meets every hard rule, the result was made from
    this problem and policy (by their hashes) and its stored objective is the one
    recomputed. ``violations`` lists the broken rules, ``mismatches`` every other failure
    in words; ``notes`` are differences that are not failures (e.g. another library
    version made the result).
    """

    violations: tuple[Violation, ...]
    mismatches: tuple[str, ...]
    notes: tuple[str, ...]
    objective: float | None
    """The objective recomputed from the assignment (``None`` if it names unknown ids)."""

    @property
    def valid(self) -> bool:
        """No violation and no mismatch."""
        return not self.violations and not self.mismatches

    def __str__(self) -> str:
        lines = [str(v) for v in self.violations]
        lines += [f"mismatch: {m}" for m in self.mismatches]
        lines += [f"note: {n}" for n in self.notes]
        lines.append(
            "valid: every hard rule is met, the hashes and the objective match"
            if self.valid
            else f"not valid: {len(self.violations)} violation(s), "
            f"{len(self.mismatches)} mismatch(es)"
        )
        return "\n".join(lines)


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
    from ._io import _read_json  # local: _io imports the modules this one does

    data = _read_json(path)
    if not isinstance(data, dict):
        raise InputError("a result file holds a JSON object", path=path)
    return data, str(path)


def _field(
    data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str | None
) -> Any:
    value = data.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise InputError(f"{key} has the wrong type: {type(value).__name__}", path=where, field=key)
    return value


def verify(
    problem: Problem,
    policy: Policy | None,
    result: Result | Mapping[str, Any] | str | os.PathLike[str],
) -> Verification:
    """Re-check a result: its rules, its objective, and that it was made from these inputs.

    Parameters
    ----------
    problem, policy
        The inputs the result claims to come from (``policy=None``: the neutral policy).
    result
        A :class:`Result`, its :meth:`~Result.to_dict`, or the path of a result ``.json``.

    Returns
    -------
    Verification
        ``valid`` when :func:`check` finds no violation, the stored problem and policy
        hashes (or, in older files, ``input_hash``) match the recomputed ones, and the
        stored objective equals the one :func:`evaluate` recomputes (relative tolerance
        1e-9). Versions that differ from the running ones are ``notes``, not failures.

    Raises
    ------
    InputError
        A result file that cannot be read or lacks ``assignment``, naming the file and
        field.

    Examples
    --------
    >>> import reviewassign as ra
    >>> problem = ra.Problem(cases=[ra.Case(id="C1", topics={"t": 1})],
    ...                      reviewers=[ra.Reviewer(id="R1", expertise={"t": 3})])
    >>> policy = ra.Policy(panel_size=1)
    >>> ra.verify(problem, policy, ra.solve(problem, policy)).valid
    True
    >>> other = ra.Policy(panel_size=1, load={"max": 2})
    >>> ra.verify(problem, other, ra.solve(problem, policy)).mismatches
    ('the result was made from another policy (policy hash differs)',)
    """
    policy = Policy() if policy is None else policy
    data, where = _record(result)
    panels = data.get("assignment")
    if not isinstance(panels, dict):
        message = "a result needs an 'assignment' object mapping case ids to reviewer ids"
        raise InputError(message, path=where, field="assignment")
    try:
        assignment = Assignment(_PANELS.validate_python(panels))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in ("assignment", *error["loc"]))
        raise InputError(str(error["msg"]), path=where, field=loc) from None
    stats = data.get("stats") or {}
    if not isinstance(stats, dict):
        raise InputError("stats is not an object", path=where, field="stats")
    stored = _field(data, "objective", (int, float), where)

    violations = tuple(check(problem, policy, assignment))
    mismatches: list[str] = []
    notes: list[str] = []
    objective: float | None = None
    try:
        objective = evaluate(problem, assignment, policy).objective
    except ValueError as exc:  # ids not in the problem: the objective is undefined
        mismatches.append(str(exc))

    hashes = [
        ("problem", stats.get("problem_hash"), problem_hash(problem)),
        ("policy", stats.get("policy_hash"), policy_hash(policy)),
    ]
    if any(stored_hash for _, stored_hash, _ in hashes):
        for name, stored_hash, actual in hashes:
            if stored_hash != actual:
                mismatches.append(f"the result was made from another {name} ({name} hash differs)")
    elif stats.get("input_hash"):
        if stats["input_hash"] != input_hash(problem, policy):
            mismatches.append(
                "the result was made from another problem or policy (input hash differs)"
            )
    else:
        notes.append("the result records no input hash: its inputs cannot be confirmed")

    if stored is None:
        mismatches.append("the result stores no objective")
    elif objective is None:
        pass
    elif not math.isclose(float(stored), objective, rel_tol=_RELATIVE_TOLERANCE, abs_tol=1e-12):
        mismatches.append(f"stored objective {stored!r} but the assignment gives {objective!r}")

    from . import _cpsat

    running = {
        "library_version": __version__,
        "python_version": platform.python_version(),
        "ortools_version": _cpsat.ortools_version(),
    }
    for key, now in running.items():
        then = stats.get(key)
        if then and then != now:
            notes.append(f"{key.replace('_', ' ')} {then} made the result; this is {now}")
    return Verification(violations, tuple(mismatches), tuple(notes), objective)


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
    from ._io import csv_text  # local: _io imports the modules this one does

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
