"""The ``reviewassign`` command line: a thin layer over the Python API.

Exit codes: 0 done (``check``, ``verify``: valid; ``repair``: repaired), 1 ``check``
or ``verify`` found violations (``verify``: or a hash or objective mismatch, a refuted
status or bound, or no problem or policy hash without ``--allow-unhashed``), 2 bad
input or usage, 3 infeasible, 4 time limit reached with no solution.

An output (``--out``, ``--marginals``) that would replace a file the run reads, or another
output of the run, is refused with exit 2 before anything is read (see ``_files.outputs``);
``repair --overwrite-current`` lets ``--out`` replace ``CURRENT`` on purpose.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, NoReturn, TextIO

from ._audit.report import read_result, report_format, write_report
from ._audit.verify import EXPORT_COLUMNS, export_anonymous, load_secret, verify
from ._data.model import Issue, Problem
from ._data.policy import Policy
from ._data.result import Assignment, Progress, Result, Status
from ._errors import InputError, ReviewAssignError, SolverError
from ._files.io import (
    csv_text,
    load_assignment,
    load_policy,
    load_problem,
    read_disjoint,
    read_events,
    read_locked,
    save_result,
    write_atomic,
)
from ._files.outputs import problem_inputs, refuse_overwrite
from ._spec.check import Metrics, check
from ._version import __version__
from ._workflows.explain import Explanation, explain
from ._workflows.repair import Repair, repair, repair_issues
from ._workflows.solve import solve

__all__ = ["main", "run"]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4

_EXIT_BY_STATUS = {
    Status.OPTIMAL: EXIT_OK,
    Status.FEASIBLE: EXIT_OK,
    Status.INFEASIBLE: EXIT_INFEASIBLE,
    Status.NO_SOLUTION: EXIT_NO_SOLUTION,
}

# Progress lines start once a solve has run this long, so quick solves stay quiet.
_PROGRESS_AFTER_SECONDS = 1.0

_IMPORTED = time.perf_counter()


def _process_age() -> float:
    """Seconds since this process started (from ``/proc``; elsewhere, since this import)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            after_name = f.read().rsplit(b")", 1)[1].split()
        started = int(after_name[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, IndexError, AttributeError):
        age = -1.0
    return age if 0.0 <= age < 600.0 else time.perf_counter() - _IMPORTED


class _Clock:
    """When the command started: its ``--time-limit`` counts from there.

    Run as a program (``main()`` without arguments), from the start of the process, so
    that starting Python and importing the library count too; called with arguments
    (tests, scripts), from the call.
    """

    origin = time.perf_counter()

    @classmethod
    def reset(cls, argv: Sequence[str] | None) -> None:
        """Start the clock: at process start from the shell, at the call otherwise."""
        now = time.perf_counter()
        cls.origin = now - _process_age() if argv is None else now

    @classmethod
    def left(cls, limit: float | None) -> float | None:
        """The part of ``limit`` (seconds from the command's start) not spent yet."""
        if limit is None:
            return None
        return max(0.0, limit - (time.perf_counter() - cls.origin))


def _example_dir() -> Path:
    """The bundled example: inside the installed package, or in the source checkout."""
    packaged = Path(__file__).parent / "_examples" / "pioneer_award"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "examples" / "pioneer_award"


def _percent(shares: dict[str, float], pool: dict[str, float]) -> list[str]:
    """Summary lines of shares of seats next to shares of the pool."""
    return [
        f"    {name or '(none)':<34} {100 * share:5.1f} % of seats"
        f"  ({100 * pool.get(name, 0.0):5.1f} % of pool)"
        for name, share in shares.items()
    ]


def summary(result: Result, out: TextIO) -> None:
    """Write a secretariat's summary of a result."""
    s = result.stats
    print(f"status     {result.status.value}", file=out)
    print(
        f"size       {s.cases} cases, {s.reviewers} reviewers, {s.eligible_pairs} eligible pairs",
        file=out,
    )
    if result.objective is not None and result.bound is not None and result.gap is not None:
        print(
            f"objective  {result.objective:.6f}   bound {result.bound:.6f}"
            f"   gap {100 * result.gap:.4f} %",
            file=out,
        )
    if len(result.levels) > 1:  # a lexicographic objective: what each level reached
        for i, level in enumerate(result.levels, 1):
            reached = "none" if level.value is None else f"{level.value:.6g}"
            bound = "" if level.bound is None else f", bound {level.bound:.6g}"
            detail = f"; {level.detail}" if level.detail else ""
            print(f"level {i}    {level.name}: {reached} ({level.status}{bound}){detail}", file=out)
    lottery = result.lottery
    if lottery is not None:
        print(
            f"random     max_probability {lottery.max_probability:g}: expected objective "
            f"{lottery.expected_objective:.6f}, optimum {lottery.optimum:.6f}, share "
            f"{100 * lottery.share:.2f} %, bound {lottery.bound:.6f} ({lottery.method}); "
            "the assignment is one draw (--seed chooses it)",
            file=out,
        )
    for note in s.notes:
        print(f"note       {note}", file=out)
    for v in result.broken:
        print(f"broken     {v}", file=out)
    phases = ", ".join(f"{p.name} {p.seconds:.2f} s" for p in s.phases)
    print(f"time       {s.wall_time:.2f} s  ({phases})", file=out)
    avoided = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.conflicts_avoided.items())
    print(
        f"conflicts  {s.conflicts} pairs avoided" + (f" ({avoided})" if avoided else ""), file=out
    )
    m: Metrics | None = result.metrics
    if m is None:
        return
    if m.worst_case is not None and m.mean_case is not None:
        print(
            f"affinity   total {m.total_affinity:.4f}, worst panel {m.worst_case:.4f}, "
            f"mean panel {m.mean_case:.4f}",
            file=out,
        )
    print(
        f"loads      {m.min_load} to {m.max_load} (spread {m.load_spread}, mean {m.mean_load:.2f},"
        f" {m.idle_reviewers} idle)",
        file=out,
    )
    print(f"coverage   {100 * m.coverage_rate:.1f} % of case topics covered", file=out)
    print("seats by region", file=out)
    for line in _percent(m.region_shares, m.region_pool_shares):
        print(line, file=out)
    print("seats by gender", file=out)
    for line in _percent(m.gender_shares, m.gender_pool_shares):
        print(line, file=out)


class ProgressPrinter:
    """Prints incumbent, bound, gap and elapsed time once a solve is no longer quick."""

    def __init__(self, out: TextIO) -> None:
        self._out: TextIO | None = out

    def __call__(self, event: Progress) -> None:
        if self._out is None or event.elapsed < _PROGRESS_AFTER_SECONDS:
            return
        try:
            print(str(event), file=self._out, flush=True)
        except OSError:
            # The terminal or pipe has gone: keep solving, stop reporting.
            self._out = None


def _problem_and_policy(problem_path: str, path: str | None) -> tuple[Problem, Policy]:
    """The problem, and the policy of ``--policy`` (or the default) checked against it.

    The policy is read first: its ``[attributes]`` declare the problem's extra columns.
    """
    policy = Policy() if path is None else load_policy(path)
    problem = load_problem(problem_path, policy=policy)
    policy.check_targets(problem, path)
    return problem, policy


def _warn(problem: Problem) -> None:
    """Print the problem's warnings (look-alike labels) on stderr.

    For the commands that make no result: a solve puts them in the result's notes,
    which its summary prints.
    """
    for warning in problem.warnings:
        print(f"reviewassign: warning: {warning}", file=sys.stderr)


def _check_out(out: str | None) -> None:
    """Refuse an ``--out`` that is not a ``.json`` or ``.csv`` file."""
    if out is not None and Path(out).suffix.lower() not in (".json", ".csv"):
        raise InputError("--out must end in .json or .csv", path=out)
    if out is not None and Path(out).is_dir():
        raise InputError("--out names a folder; give a file ending in .json or .csv", path=out)


def _check_marginals(path: str | None) -> None:
    """Refuse a ``--marginals`` that is not a ``.csv`` file."""
    if path is not None and Path(path).suffix.lower() != ".csv":
        raise InputError("--marginals must end in .csv", path=path)
    if path is not None and Path(path).is_dir():
        raise InputError("--marginals names a folder; give a file ending in .csv", path=path)


def _save_marginals(result: Result, path: str) -> None:
    """``case,reviewer,probability`` rows, sorted; a deterministic result's pairs at 1."""
    if result.lottery is not None:
        rows = [[c, r, repr(p)] for (c, r), p in result.lottery.marginals.items()]
    else:
        rows = [[c, r, "1.0"] for c, r in result.assignment.pairs()]
    write_atomic(path, csv_text(["case", "reviewer", "probability"], rows))


def _explained(
    problem: Problem,
    policy: Policy,
    limit: float | None,
    forced: Sequence[tuple[str, str]] = (),
) -> Explanation:
    """Why the policy cannot be met, within what is left of the command's time limit."""
    left = _Clock.left(limit)
    if left is None:
        return explain(problem, policy, forced=forced)
    return explain(problem, policy, time_limit=left, forced=forced)


def _as_given(result: Result, limit: float | None) -> Result:
    """The result with the time limit as given: the call had what was left of it."""
    if limit is None:
        return result
    return replace(result, stats=result.stats.model_copy(update={"time_limit": limit}))


def _solve_and_report(
    problem: Problem,
    policy: Policy,
    args: argparse.Namespace,
    forced: _Forced | None = None,
) -> int:
    """Solve, write the outputs and the summary; the exit code."""
    out = args.out
    _check_out(out)
    marginals = getattr(args, "marginals", None)
    _check_marginals(marginals)
    relax: Literal["none", "minimal"] = getattr(args, "relax", "none")
    if relax != "none" and policy.random.max_probability < 1:
        raise InputError(
            f"--relax {relax} does not combine with a lottery ([random] max_probability < 1)",
            path=args.policy,
            field="random.max_probability",
        )
    try:
        result = solve(
            problem,
            policy,
            time_limit=_Clock.left(args.time_limit),
            seed=args.seed,
            workers=args.workers,
            candidates=args.candidates,
            progress=ProgressPrinter(sys.stderr),
            relax=relax,
            forced=() if forced is None else forced.pairs,
        )
    except InputError as exc:
        raise exc if forced is None else forced.located(exc) from None
    result = _as_given(result, args.time_limit)
    # Save before printing anything more, so that a closed terminal pipe loses no result.
    if out is not None and result.ok:
        save_result(result, out)
    if marginals is not None and result.ok:
        _save_marginals(result, marginals)
    summary(result, sys.stderr)
    if out is not None and result.ok:
        print(f"wrote      {out}", file=sys.stderr)
    if marginals is not None and result.ok:
        print(f"wrote      {marginals}", file=sys.stderr)
    if result.status is Status.INFEASIBLE:
        pairs = () if forced is None else result.forced
        print(_explained(problem, policy, args.time_limit, pairs), file=sys.stderr)
    return _EXIT_BY_STATUS[result.status]


@dataclass(frozen=True, slots=True)
class _Forced:
    """The forced pairs of ``solve --forced FILE``, and the file and line of each."""

    path: str
    pairs: list[tuple[str, str]]
    rows: list[int | None]

    def located(self, exc: InputError) -> InputError:
        """``exc`` in the forced-pairs file when it names a forced pair (``forced[j]``)."""
        field = exc.field or ""
        if not field.startswith("forced"):
            return exc
        row = None
        if field.startswith("forced["):
            row = self.rows[int(field[len("forced[") : field.index("]")])]
        return InputError(exc.message, path=self.path, row=row, field=field)


def _with_disjoint(problem: Problem, path: str) -> Problem:
    """The problem with the disjoint pairs of ``path`` added (``solve --disjoint FILE``)."""
    pairs, lines = read_disjoint(path)
    known = {r.id for r in problem.reviewers}
    for pair, line in zip(pairs, lines, strict=True):
        for end in ("a", "b"):
            who = getattr(pair, end)
            if who not in known:
                raise InputError(f"unknown reviewer id {who!r}", path=path, row=line, field=end)
        if pair.a == pair.b:
            message = f"reviewer {pair.a!r} is paired with itself"
            raise InputError(message, path=path, row=line, field="b")
    return problem.model_copy(update={"disjoint": (*problem.disjoint, *pairs)})


def _cmd_solve(args: argparse.Namespace) -> int:
    """``reviewassign solve``."""
    refuse_overwrite(
        [("--out", args.out), ("--marginals", args.marginals)],
        [
            *problem_inputs(args.problem),
            ("the policy", args.policy),
            ("the forced pairs", args.forced),
            ("the disjoint pairs", args.disjoint),
        ],
    )
    problem, policy = _problem_and_policy(args.problem, args.policy)
    if args.disjoint is not None:
        problem = _with_disjoint(problem, args.disjoint)
    forced = None
    if args.forced is not None:
        forced = _Forced(args.forced, *read_locked(args.forced))
    return _solve_and_report(problem, policy, args, forced)


def _cmd_demo(args: argparse.Namespace) -> int:
    """``reviewassign demo``: solve the bundled example under its policy."""
    folder = _example_dir()
    if not folder.is_dir():
        raise InputError("the bundled example is not installed", path=folder)
    args.policy = str(folder / "policy.toml")  # for errors that name a policy key
    refuse_overwrite([("--out", args.out)], [*problem_inputs(folder), ("the policy", args.policy)])
    print(f"Solving the bundled example {folder.name} under its award policy", file=sys.stderr)
    policy = load_policy(args.policy)
    return _solve_and_report(load_problem(folder, policy=policy), policy, args)


def _cmd_explain(args: argparse.Namespace) -> int:
    """``reviewassign explain``."""
    problem, policy = _problem_and_policy(args.problem, args.policy)
    _warn(problem)
    core: bool | Literal["auto"] = "auto" if args.core == "auto" else args.core == "always"
    why = explain(
        problem, policy, core=core, time_limit=_Clock.left(args.time_limit), seed=args.seed
    )
    print(why)
    if why.infeasible:
        return EXIT_INFEASIBLE
    return 0 if why.status == "feasible" else EXIT_NO_SOLUTION


def _cmd_check(args: argparse.Namespace) -> int:
    """``reviewassign check``."""
    problem, policy = _problem_and_policy(args.problem, args.policy)
    _warn(problem)
    assignment = load_assignment(args.assignment)
    forced = [] if args.forced is None else read_locked(args.forced)[0]
    violations = check(problem, policy, assignment, forced=forced)
    if not violations:
        pairs = sum(len(p) for p in assignment.values())
        print(f"valid: {len(assignment)} cases, {pairs} pairs meet every hard rule")
        return EXIT_OK
    for v in violations:
        print(f"{v.rule}: {v.message}")
    print(f"{len(violations)} violation(s)", file=sys.stderr)
    return EXIT_VIOLATIONS


def _cmd_verify(args: argparse.Namespace) -> int:
    """``reviewassign verify``."""
    problem, policy = _problem_and_policy(args.problem, args.policy)
    _warn(problem)
    found = verify(
        problem,
        policy,
        args.result,
        allow_unhashed=args.allow_unhashed,
        time_limit=args.time_limit,
    )
    print(found)
    return EXIT_OK if found.valid else EXIT_VIOLATIONS


def _cmd_export(args: argparse.Namespace) -> int:
    """``reviewassign export``: anonymised panels only.

    ``--policy`` is read first, as by ``solve``: its ``[attributes]`` declare the extra
    columns of the problem's CSV files.
    """
    if not args.anonymous:
        raise InputError("export writes anonymised panels only: give --anonymous")
    if Path(args.out).suffix.lower() != ".csv" or Path(args.out).is_dir():
        raise InputError("--out must be a file ending in .csv", path=args.out)
    refuse_overwrite(
        [("--out", args.out)],
        [
            *problem_inputs(args.problem),
            ("the result", args.result),
            ("the secret file", args.secret_file),
            ("the policy", args.policy),
        ],
    )
    problem, _ = _problem_and_policy(args.problem, args.policy)
    _warn(problem)
    secret = load_secret(args.secret_file)
    assignment = load_assignment(args.result)
    try:
        text = export_anonymous(
            problem, assignment, secret, columns=args.columns, cases=args.cases or None
        )
    except ValueError as exc:
        raise InputError(str(exc), path=args.result) from None
    write_atomic(args.out, text)
    print(f"wrote      {args.out} ({len(args.cases or assignment)} cases)", file=sys.stderr)
    return EXIT_OK


_CURRENT = "the current assignment"


def _cmd_repair(args: argparse.Namespace) -> int:
    """``reviewassign repair``."""
    _refuse_repair_overwrite(args)
    problem, policy = _problem_and_policy(args.problem, args.policy)
    current = load_assignment(args.current)
    events, event_rows = read_events(args.events)
    locked, locked_rows = ([], []) if args.locked is None else read_locked(args.locked)
    _check_out(args.out)
    files = _RepairFiles(
        args.current,
        {"events": (args.events, event_rows), "locked": (args.locked, locked_rows)},
    )
    issues = repair_issues(problem, current, events, locked)
    if issues:
        raise files.located(issues[0])
    try:
        fixed = repair(
            problem,
            policy,
            current,
            events,
            locked=locked,
            time_limit=_Clock.left(args.time_limit),
            seed=args.seed,
            workers=args.workers,
        )
    except InputError as exc:
        if exc.field is not None and exc.field.startswith("locked["):
            index = int(exc.field[len("locked[") : exc.field.index("]")])
            raise files.located(Issue("locked", index, "reviewer", exc.message)) from None
        raise
    fixed = replace(fixed, result=_as_given(fixed.result, args.time_limit))
    if args.out is not None and fixed.ok:
        save_result(fixed.result, args.out)
    _print_repair(fixed, policy, args)
    return _EXIT_BY_STATUS[fixed.status]


def _refuse_repair_overwrite(args: argparse.Namespace) -> None:
    """Refuse an ``--out`` that would replace an input (``CURRENT`` only on purpose)."""
    refuse_overwrite(
        [("--out", args.out)],
        [
            *problem_inputs(args.problem),
            *([] if args.overwrite_current else [(_CURRENT, args.current)]),
            ("the events", args.events),
            ("the locked pairs", args.locked),
            ("the policy", args.policy),
        ],
        hint={
            _CURRENT: "give --overwrite-current to replace it with the repaired assignment, "
            "or write the output to another file"
        },
    )


@dataclass(frozen=True, slots=True)
class _RepairFiles:
    """The files of a repair's input, to name where an :class:`Issue` came from."""

    current: str
    rows: dict[str, tuple[str, list[int] | list[int | None]]]
    """Per collection with rows (``events``, ``locked``): its file and each row's line."""

    def located(self, issue: Issue) -> InputError:
        """The issue in the file it came from: row and column where there are rows."""
        if issue.collection in self.rows:
            path, lines = self.rows[issue.collection]
            return InputError(issue.message, path=path, row=lines[issue.index], field=issue.field)
        return InputError(issue.message, path=self.current, field=issue.field)


def _print_repair(fixed: Repair, policy: Policy, args: argparse.Namespace) -> None:
    """The diff on stdout; status, notes, times, outputs and an explanation on stderr."""
    print(fixed)
    s = fixed.result.stats
    print(f"status     {fixed.status.value}", file=sys.stderr)
    for note in s.notes:
        print(f"note       {note}", file=sys.stderr)
    phases = ", ".join(f"{p.name} {p.seconds:.2f} s" for p in s.phases)
    print(f"time       {s.wall_time:.2f} s  ({phases})", file=sys.stderr)
    if args.out is not None and fixed.ok:
        print(f"wrote      {args.out}", file=sys.stderr)
    if fixed.status is Status.INFEASIBLE:
        print(_explained(fixed.problem, policy, args.time_limit), file=sys.stderr)


def _check_ids(problem: Problem, assignment: Assignment, path: str) -> None:
    """Refuse a result for another problem: its loads and shares would mean nothing."""
    cases = {c.id for c in problem.cases}
    reviewers = {r.id for r in problem.reviewers}
    named = {r for panel in assignment.values() for r in panel}
    unknown = [f"case {c!r}" for c in assignment if c not in cases]
    unknown += [f"reviewer {r!r}" for r in sorted(named - reviewers)]
    if unknown:
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise InputError(
            f"names ids that are not in the problem: {', '.join(unknown[:3])}{more} "
            "(a result of another problem?)",
            path=path,
            field="assignment",
        )


def _cmd_report(args: argparse.Namespace) -> int:
    """``reviewassign report``."""
    try:
        fmt = report_format(args.out, None)
    except ValueError:
        raise InputError("--out must end in .html or .md", path=args.out) from None
    if Path(args.out).is_dir():
        raise InputError("--out names a folder; give a file ending in .html or .md", path=args.out)
    refuse_overwrite(
        [("--out", args.out)],
        [*problem_inputs(args.problem), ("the result", args.result), ("the policy", args.policy)],
    )
    problem, policy = _problem_and_policy(args.problem, args.policy)
    _warn(problem)
    result = read_result(args.result)
    _check_ids(problem, result.assignment, args.result)
    write_report(result, args.out, problem, policy, fmt)
    print(f"wrote      {args.out}", file=sys.stderr)
    return EXIT_OK


_MAX_SECONDS = 1e9
"""The longest ``--time-limit`` (about 31 years): the LP solver's clock cannot hold 1e40 s."""


def _non_negative_float(text: str) -> float:
    """An argparse type: seconds from 0 to the largest limit taken."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= _MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0 to {_MAX_SECONDS:g} "
            f"(leave the option out for no limit): {text!r}"
        )
    return value


def _int_between(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}: {text!r}")
        return value

    return parse


_seed = _int_between(-(2**31), 2**31 - 1)  # CP-SAT's random_seed is a 32-bit integer
_workers = _int_between(1, 256)


def _candidates(text: str) -> int | Literal["auto"] | None:
    """``--candidates``: a positive integer, ``auto`` or ``all``."""
    if text in ("auto", "all"):
        return "auto" if text == "auto" else None
    try:
        return _int_between(1, 1_000_000)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, 'auto' or 'all': {text!r}"
        ) from None


def _parser() -> argparse.ArgumentParser:
    """The command line's parser: every command and option."""
    parser = argparse.ArgumentParser(
        prog="reviewassign",
        description="Assign cases to reviewer panels under a policy, with a proven bound.",
        epilog=(
            "exit codes: 0 done (check, verify: valid), 1 check or verify found violations "
            "(verify: or a mismatch, a refuted claim, no hash), "
            "2 bad input or "
            "usage, 3 infeasible, 4 time limit reached with no solution"
        ),
    )
    parser.add_argument("--version", action="version", version=f"reviewassign {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def solve_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--out", metavar="FILE", help="write the result: .json (full) or .csv (pairs)"
        )
        p.add_argument("--time-limit", metavar="S", type=_non_negative_float, help="seconds")
        p.add_argument("--seed", metavar="N", type=_seed, default=0, help="solver seed (default 0)")
        p.add_argument(
            "--workers",
            metavar="N",
            type=_workers,
            default=1,
            help="CP-SAT workers (default 1)",
        )
        p.add_argument(
            "--candidates",
            metavar="K",
            type=_candidates,
            default="auto",
            help=(
                "keep each case's K best reviewers as candidates; 'all' keeps every pair "
                "(default auto: prune from 2,000,000 cases x reviewers on)"
            ),
        )

    p = sub.add_parser("solve", help="solve a problem under a policy")
    p.add_argument("problem", metavar="PROBLEM", help="a folder of CSV files or a .json file")
    p.add_argument("--policy", metavar="FILE", help="a .toml or .json policy (default: neutral)")
    solve_options(p)
    p.add_argument(
        "--relax",
        choices=("none", "minimal"),
        default="none",
        help="minimal: break the fewest rules when the policy cannot be met in full",
    )
    p.add_argument(
        "--forced",
        metavar="FILE",
        help="pairs every assignment must hold (chairs, required experts): case,reviewer .csv",
    )
    p.add_argument(
        "--disjoint",
        metavar="FILE",
        help="reviewer pairs who never sit on one panel, added to the problem's: a,b,reason .csv",
    )
    p.add_argument(
        "--marginals",
        metavar="FILE.csv",
        help=(
            "write each pair's probability (case,reviewer,probability) of the lottery that "
            "[random] max_probability < 1 draws from; 1 for every pair of a deterministic result"
        ),
    )
    p.set_defaults(run=_cmd_solve)

    p = sub.add_parser("check", help="check an assignment against every hard rule")
    p.add_argument("problem", metavar="PROBLEM")
    p.add_argument(
        "assignment", metavar="ASSIGNMENT", help="a result .json or a case,reviewer .csv"
    )
    p.add_argument("--policy", metavar="FILE")
    p.add_argument("--forced", metavar="FILE", help="pairs the assignment must hold (pairs.forced)")
    p.set_defaults(run=_cmd_check)

    p = sub.add_parser("explain", help="say why a policy cannot be met (exit 3), if it cannot")
    p.add_argument("problem", metavar="PROBLEM")
    p.add_argument("--policy", metavar="FILE")
    p.add_argument(
        "--time-limit",
        metavar="S",
        type=_non_negative_float,
        default=60.0,
        help="seconds for the core search when every check passes (default 60)",
    )
    p.add_argument("--seed", metavar="N", type=_seed, default=0, help="solver seed (default 0)")
    p.add_argument(
        "--core",
        choices=("auto", "always", "never"),
        default="auto",
        help="search a conflicting core: when every check passes (auto, the default), "
        "also when a check fails (always), or never",
    )
    p.set_defaults(run=_cmd_explain)

    p = sub.add_parser(
        "repair", help="repair an assignment after events with the fewest changed pairs"
    )
    p.add_argument("problem", metavar="PROBLEM", help="a folder of CSV files or a .json file")
    p.add_argument(
        "current", metavar="CURRENT", help="the current assignment: a result .json or a .csv"
    )
    p.add_argument("events", metavar="EVENTS", help="events.csv: event,case,reviewer,value")
    p.add_argument("--locked", metavar="FILE", help="pairs that must stay: case,reviewer .csv")
    p.add_argument("--policy", metavar="FILE", help="a .toml or .json policy (default: neutral)")
    p.add_argument(
        "--out", metavar="FILE", help="write the repaired result: .json (full) or .csv (pairs)"
    )
    p.add_argument(
        "--overwrite-current",
        action="store_true",
        help="let --out name CURRENT itself, replacing it (atomically) with the repaired result",
    )
    p.add_argument("--time-limit", metavar="S", type=_non_negative_float, help="seconds")
    p.add_argument("--seed", metavar="N", type=_seed, default=0, help="solver seed (default 0)")
    p.add_argument(
        "--workers", metavar="N", type=_workers, default=1, help="CP-SAT workers (default 1)"
    )
    p.set_defaults(run=_cmd_repair)

    p = sub.add_parser("report", help="write the audit report of a result: .html or .md")
    p.add_argument("problem", metavar="PROBLEM", help="a folder of CSV files or a .json file")
    p.add_argument("result", metavar="RESULT.json", help="a result written by solve --out")
    p.add_argument("--policy", metavar="FILE", help="a .toml or .json policy (default: neutral)")
    p.add_argument(
        "--out", metavar="FILE", required=True, help="the report: .html (one page) or .md"
    )
    p.set_defaults(run=_cmd_report)

    p = sub.add_parser(
        "verify", help="verify a result file: rules, objective, and the inputs it came from"
    )
    p.add_argument("problem", metavar="PROBLEM")
    p.add_argument("result", metavar="RESULT.json", help="a result .json written by solve")
    p.add_argument("--policy", metavar="FILE")
    p.add_argument(
        "--allow-unhashed",
        action="store_true",
        help=(
            "accept a result that records no problem or policy hash (it may come from "
            "another problem or policy); without it such a result exits 1"
        ),
    )
    p.add_argument(
        "--time-limit",
        metavar="S",
        type=_non_negative_float,
        help=(
            "re-prove the claimed status and bound by solving again within S seconds "
            "(1 worker, the seed of the record); default: they are reported 'not verified'"
        ),
    )
    p.set_defaults(run=_cmd_verify)

    p = sub.add_parser("export", help="export panels for applicants with pseudonymous reviewers")
    p.add_argument("problem", metavar="PROBLEM")
    p.add_argument("result", metavar="RESULT.json", help="a result .json or a .csv of pairs")
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="a .toml or .json policy: its [attributes] declare the problem's extra CSV columns",
    )
    p.add_argument(
        "--anonymous", action="store_true", help="reviewer labels in place of ids (required)"
    )
    p.add_argument(
        "--secret-file",
        metavar="FILE",
        required=True,
        help="the key of the labels: a file of at least 16 bytes, kept secret",
    )
    p.add_argument("--out", metavar="FILE.csv", required=True)
    p.add_argument(
        "--column",
        dest="columns",
        action="append",
        choices=EXPORT_COLUMNS,
        default=[],
        help="add the seat's region or gender (opt in; may identify reviewers of small pools)",
    )
    p.add_argument(
        "--case",
        dest="cases",
        action="append",
        default=[],
        metavar="ID",
        help="export only this case's panel (repeat for several; default: every case)",
    )
    p.set_defaults(run=_cmd_export)

    p = sub.add_parser("demo", help="solve the bundled example award and print a summary")
    solve_options(p)
    p.set_defaults(run=_cmd_demo)
    return parser


def _in_policy_file(exc: ReviewAssignError, args: argparse.Namespace) -> ReviewAssignError:
    """An error about a policy key found while solving, located in the policy file.

    Some limits are known only once the problem is read (e.g. the review cycles that
    ``integrity.forbid_cycles`` would enumerate): the library names the key, the command
    line adds the file that set it.
    """
    policy = getattr(args, "policy", None)
    if (
        isinstance(exc, InputError)
        and exc.path is None
        and exc.field is not None
        and policy is not None
        and exc.field.split(".")[0] in Policy.model_fields
    ):
        return InputError(exc.message, path=policy, field=exc.field)
    return exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _Clock.reset(argv)
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: stop writing, quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_VIOLATIONS
    except SolverError:
        raise  # a bug, not the user's mistake: the traceback is what a report needs
    except ReviewAssignError as exc:
        print(f"reviewassign: error: {_in_policy_file(exc, args)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"reviewassign: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("reviewassign: interrupted", file=sys.stderr)
        return 130
    return code


def run() -> NoReturn:
    """The program (``python -m reviewassign``, ``reviewassign``): :func:`main`, then exit.

    The process ends without tearing the interpreter down: freeing the solver's model
    objects at exit took 0.4 s of CPU after a solve of the 1,200 x 700 award (a second
    on a busy machine), past any ``--time-limit``. Nothing is lost: the output is
    flushed here, and every file a command writes is closed before it returns.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
