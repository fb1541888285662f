"""Architecture figures for a package under a ``src`` folder, and the function-length gate.

``python scripts/architecture.py [SRC]`` prints what the issue 13 closing note compares
before and after (``docs``: ARCHITECTURE.md, "how the figures were taken"):

* the internal import graph. Every ``from . import x``, ``from .x import y`` or absolute
  ``reviewassign.x`` import is an edge, classed *top-level*, *lazy* (inside a function) or
  *TYPE_CHECKING* (under ``if TYPE_CHECKING:``, never run). ``from . import x`` points to
  the submodule ``x`` when there is one, else to the package. Importing a submodule also
  runs its package's ``__init__``; those implied edges are left out, as in the design
  review, or every module would sit in one cycle with the top ``__init__``;
* the strongly connected components (Tarjan) of the runtime graph: top-level plus lazy
  edges, since a lazy import runs as soon as its function does;
* every lazy internal import (``file:line -> target``), marked ``commented`` when a
  comment sits on its lines or the line before: the sanctioned ones will carry one;
* functions by code lines: ``end_lineno - lineno + 1`` minus the docstring's lines
  (decorators excluded, nested functions counted on their own and inside their parent);
* with ``--mentions WORD``, the files that use the whole word (like ``grep -rlw``);
* module and line counts.

``--check`` turns it into the gate ``make lint`` runs: exit 1, one line per offence, when
a function is over the limit and not in the allowlist (``scripts/long_functions.txt``),
or when a listed function no longer exists or is no longer over the limit, so the list
stays true and can only shrink. ``--max-scc N`` also fails when the largest import cycle
has more than ``N`` modules, and ``--lazy`` on an import made inside a function that is
neither a presentation method's (``# presentation:``) nor a ``_backends`` import whose
comment names ortools (the solver library is imported on the first solve). Only the
standard library is used, so the gate needs no
install.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import statistics
import sys
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["top-level", "lazy", "TYPE_CHECKING"]

LIMIT = 60
"""Code lines a function may have before the gate asks for a split or an allowlist line."""

HERE = Path(__file__).resolve().parent
ALLOWLIST = HERE / "long_functions.txt"


@dataclass(frozen=True, slots=True)
class Module:
    """One source file of the package, named relative to it (``_cpsat._run``)."""

    name: str
    path: Path
    is_package: bool


@dataclass(frozen=True, slots=True)
class Edge:
    """One internal import: who imports what, where, and when it runs."""

    source: str
    target: str
    line: int
    kind: Kind
    commented: bool
    sanctioned: bool = False
    """A lazy import whose comment says ``presentation:`` (a ``Result`` or ``Problem``
    method rendering itself through an upper layer): left out of :func:`check_cycles`."""
    deferred: bool = False
    """A lazy import of a ``_backends`` module whose comment names ortools: the solver
    library is imported on the first solve, not with the package."""


@dataclass(frozen=True, slots=True)
class Function:
    """A function or method with its code-line count (docstring left out)."""

    name: str
    path: Path
    line: int
    lines: int


@dataclass(slots=True)
class Package:
    """Everything read from one package: modules, import edges, functions, sources."""

    name: str
    root: Path
    modules: dict[str, Module] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------ reading


def find_package(src: Path, name: str | None) -> Path:
    """The package folder under ``src``: ``name`` if given, else the only one there."""
    if name is not None:
        return src / name
    found = sorted(p.parent for p in src.glob("*/__init__.py"))
    if len(found) != 1:
        raise SystemExit(f"{src}: expected one package, found {[p.name for p in found]}")
    return found[0]


def read_package(root: Path) -> Package:
    """Parse every module of the package at ``root``."""
    package = Package(name=root.name, root=root)
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts) or "__init__"
        package.modules[name] = Module(name, path, is_package)
        package.sources[name] = path.read_text(encoding="utf-8")
    for module in package.modules.values():
        source = package.sources[module.name]
        tree = ast.parse(source, filename=str(module.path))
        comments = comment_lines(source)
        package.edges.extend(_imports(package, module, tree, comments))
        package.functions.extend(_functions(module, tree))
    return package


def comment_lines(source: str) -> dict[int, str]:
    """The ``#`` comments, by line number."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0]: tok.string for tok in tokens if tok.type == tokenize.COMMENT}


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(
    nodes: Iterable[ast.AST], in_function: bool, in_tc: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, Kind]]:
    """Every import statement among ``nodes`` and below, with the moment it runs."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, "TYPE_CHECKING" if in_tc else "lazy" if in_function else "top-level"
        elif isinstance(node, ast.If) and _is_type_checking(node):
            # Only the body of `if TYPE_CHECKING:` never runs; its else branch does.
            yield from _walk(node.body, in_function, True)
            yield from _walk(node.orelse, in_function, in_tc)
        else:
            nested = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from _walk(ast.iter_child_nodes(node), in_function or nested, in_tc)


def _targets(package: Package, module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The internal modules an import statement names (none for external imports)."""
    here = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    if module.name == "__init__":
        here = []
    prefix = package.name + "."
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names if a.name.startswith(prefix)]
        return [_known(package, n.removeprefix(prefix).split(".")) for n in names]
    if node.level == 0:
        if node.module is None or not (node.module + ".").startswith(prefix):
            return []
        base = node.module.removeprefix(package.name).lstrip(".").split(".")
        base = [p for p in base if p]
    else:
        base = here[: len(here) - (node.level - 1)]
        base += node.module.split(".") if node.module else []
    return [_known(package, [*base, alias.name], fallback=base) for alias in node.names]


def _known(package: Package, parts: list[str], fallback: list[str] | None = None) -> str:
    """The module ``parts`` names, else its ``fallback`` (the module an attribute is in)."""
    name = ".".join(parts)
    if name in package.modules:
        return name
    if fallback is not None:
        return ".".join(fallback) or "__init__"
    while parts and ".".join(parts) not in package.modules:
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


def _imports(
    package: Package, module: Module, tree: ast.Module, comments: dict[int, str]
) -> list[Edge]:
    edges: dict[tuple[str, int], Edge] = {}
    for node, kind in _walk(tree.body, False, False):
        end = node.end_lineno or node.lineno
        said = [comments[n] for n in range(node.lineno - 1, end + 1) if n in comments]
        sanctioned = kind == "lazy" and any("presentation:" in c for c in said)
        ortools = kind == "lazy" and any("ortools" in c for c in said)
        for target in _targets(package, module, node):
            if target != module.name:
                deferred = ortools and target.startswith("_backends")
                edges[(target, node.lineno)] = Edge(
                    module.name, target, node.lineno, kind, bool(said), sanctioned, deferred
                )
    return list(edges.values())


def _functions(module: Module, tree: ast.Module) -> list[Function]:
    found: list[Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found.append(Function(name, module.path, child.lineno, code_lines(child)))
                visit(child, f"{name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "" if module.name == "__init__" else f"{module.name}.")
    return found


def code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the end, less the docstring's lines."""
    total = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        total -= (first.end_lineno or first.lineno) - first.lineno + 1
    return total


# ------------------------------------------------------------------------ figures


def strongly_connected(nodes: Sequence[str], edges: Sequence[Edge]) -> list[list[str]]:
    """Tarjan's strongly connected components over ``edges`` (iterative), each sorted."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for e in edges:
        if e.target in succ and e.target not in succ[e.source]:
            succ[e.source].append(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(succ[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(succ[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(components, key=lambda c: (-len(c), c))


def mentions(package: Package, word: str) -> list[str]:
    """The files (relative to ``src``) that use ``word`` as a whole word."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    root = package.root.parent
    return sorted(
        str(m.path.relative_to(root))
        for name, m in package.modules.items()
        if pattern.search(package.sources[name])
    )


def runtime(package: Package, *, sanctioned: bool = True) -> list[Edge]:
    """The edges that run: top-level and lazy, not TYPE_CHECKING.

    ``sanctioned=False`` leaves out the sanctioned presentation imports.
    """
    return [
        e for e in package.edges if e.kind != "TYPE_CHECKING" and (sanctioned or not e.sanctioned)
    ]


def largest_cycle(package: Package, *, sanctioned: bool = True) -> list[str]:
    """The members of the largest runtime strongly connected component (one module: none)."""
    edges = runtime(package, sanctioned=sanctioned)
    components = strongly_connected(list(package.modules), edges)
    return components[0] if components and len(components[0]) > 1 else []


# ------------------------------------------------------------------------ report


def report(package: Package, limit: int, word: str | None) -> list[str]:
    """The figures as printable lines."""
    out: list[str] = []
    lines = sum(s.count("\n") for s in package.sources.values())
    out.append(f"package {package.name} ({package.root})")
    out.append(f"modules: {len(package.modules)}, lines: {lines}")
    kinds: dict[Kind, int] = {"top-level": 0, "lazy": 0, "TYPE_CHECKING": 0}
    for e in package.edges:
        kinds[e.kind] += 1
    out.append("internal imports: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    cycles = [c for c in strongly_connected(list(package.modules), runtime(package)) if len(c) > 1]
    out.append(f"import cycles (runtime SCCs over one module): {len(cycles)}")
    biggest = cycles[0] if cycles else []
    out.append(f"largest import cycle: {len(biggest)} modules")
    for c in cycles:
        out.append(f"  {len(c)}: {' '.join(c)}")
    beyond = largest_cycle(package, sanctioned=False)
    out.append(f"largest import cycle beyond the sanctioned presentation imports: {len(beyond)}")
    if beyond:
        out.append(f"  {' '.join(beyond)}")
    lazy = sorted((e for e in package.edges if e.kind == "lazy"), key=lambda e: (e.source, e.line))
    commented = sum(e.commented for e in lazy)
    sanctioned = sum(e.sanctioned for e in lazy)
    deferred = sum(e.deferred for e in lazy)
    out.append(
        f"lazy internal imports: {len(lazy)} ({commented} commented: {sanctioned} "
        f"presentation, {deferred} deferred ortools, {commented - sanctioned - deferred} other)"
    )
    root = package.root.parent
    for e in lazy:
        where = f"{package.modules[e.source].path.relative_to(root)}:{e.line}"
        mark = (
            "  presentation"
            if e.sanctioned
            else "  deferred ortools"
            if e.deferred
            else "  commented"
            if e.commented
            else ""
        )
        out.append(f"  {where} -> {e.target}{mark}")
    sizes = [f.lines for f in package.functions]
    over = {n: sum(s > n for s in sizes) for n in (50, 60, 100)}
    median = statistics.median(sizes) if sizes else 0
    out.append(
        f"functions: {len(sizes)}, median {median:g} code lines, "
        + ", ".join(f"over {n}: {k}" for n, k in over.items())
    )
    long = sorted((f for f in package.functions if f.lines > limit), key=lambda f: -f.lines)
    out.append(f"functions over {limit} code lines: {len(long)}")
    for f in long:
        out.append(f"  {f.lines:4d}  {f.name}  ({f.path.relative_to(root)}:{f.line})")
    if word is not None:
        files = mentions(package, word)
        out.append(f"files mentioning {word}: {len(files)}")
        out.extend(f"  {f}" for f in files)
    return out


# ------------------------------------------------------------------------ the gate


def read_allowlist(path: Path) -> tuple[dict[str, str], list[str]]:
    """Allowed long functions with their reasons, and the malformed lines.

    One function a line, its qualified name then its reason (``#`` starts a comment).
    """
    allowed: dict[str, str] = {}
    errors: list[str] = []
    if not path.is_file():
        return allowed, errors
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        name, _, reason = text.partition(" ")
        if not reason.strip():
            errors.append(f"{path.name}:{number}: {name} has no reason")
            continue
        if name in allowed:
            errors.append(f"{path.name}:{number}: {name} listed twice")
        allowed[name] = reason.strip()
    return allowed, errors


def check_lengths(package: Package, limit: int, allowlist: Path) -> list[str]:
    """The function-length offences against ``allowlist``, one line each."""
    allowed, errors = read_allowlist(allowlist)
    root = package.root.parent
    by_name = {f.name: f for f in package.functions}
    for f in sorted(package.functions, key=lambda f: (str(f.path), f.line)):
        if f.lines > limit and f.name not in allowed:
            where = f"{f.path.relative_to(root)}:{f.line}"
            errors.append(
                f"{where}: {f.name} has {f.lines} code lines (limit {limit}): split it, "
                f"or list it in {allowlist.name} with a reason"
            )
    for name in allowed:
        if name not in by_name:
            errors.append(f"{allowlist.name}: {name} no longer exists: remove its line")
        elif by_name[name].lines <= limit:
            lines = by_name[name].lines
            errors.append(
                f"{allowlist.name}: {name} has {lines} code lines, within the limit "
                f"{limit}: remove its line"
            )
    return errors


def check_cycles(package: Package, max_scc: int) -> list[str]:
    """One line when the largest runtime import cycle has more than ``max_scc`` modules.

    The sanctioned presentation imports are left out.
    """
    cycle = largest_cycle(package, sanctioned=False)
    if len(cycle) <= max_scc:
        return []
    members = " ".join(cycle)
    return [f"the largest import cycle has {len(cycle)} modules (at most {max_scc}): {members}"]


def check_lazy(package: Package) -> list[str]:
    """One line per lazy import that is neither a presentation method's nor ortools deferred."""
    root = package.root.parent
    return [
        f"{package.modules[e.source].path.relative_to(root)}:{e.line}: a lazy import of "
        f"{e.target}: import it at the top, or say why (presentation: / ortools)"
        for e in sorted(package.edges, key=lambda e: (e.source, e.line))
        if e.kind == "lazy" and not (e.sanctioned or e.deferred)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures, or with ``--check`` the offences (exit 1 if any)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("src", nargs="?", default="src", type=Path, help="the src folder")
    parser.add_argument("--package", help="the package under SRC (default: the only one)")
    parser.add_argument("--limit", type=int, default=LIMIT, help="code lines (default 60)")
    parser.add_argument("--mentions", metavar="WORD", help="list the files using WORD")
    parser.add_argument("--check", action="store_true", help="fail on unlisted long functions")
    parser.add_argument("--allowlist", type=Path, default=ALLOWLIST, help="for --check")
    parser.add_argument("--max-scc", type=int, help="fail when an import cycle is larger")
    parser.add_argument(
        "--lazy", action="store_true", help="fail on a lazy import neither sanctioned nor deferred"
    )
    args = parser.parse_args(argv)
    package = read_package(find_package(args.src, args.package))
    if not (args.check or args.max_scc is not None or args.lazy):
        print("\n".join(report(package, args.limit, args.mentions)))
        return 0
    errors = check_lengths(package, args.limit, args.allowlist) if args.check else []
    if args.max_scc is not None:
        errors += check_cycles(package, args.max_scc)
    if args.lazy:
        errors += check_lazy(package)
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
