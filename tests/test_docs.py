"""The documentation runs: README.md and docs/*.md are executed and their links resolve.

Every fenced ```python block of a page runs, in order, in one namespace per page, from a
temporary folder that links ``examples`` to the repository's, so that the pages can use
the same relative paths as a reader in the repository and write into ``out/`` without
touching it. Output, shell sessions and pseudo-code are fenced as ``text``, ``console``,
``sh`` or ``toml`` and are not run.

A block preceded by the line ``<!-- docs-test: needs-datasets -->`` runs only when the real
public data sets are present (see ``benchmarks/datasets.py``); the others always run.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import reviewassign as ra
from reviewassign._reduce.conflicts import REASONS
from reviewassign._spec.check import RULES

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
REFERENCE = REPO / "docs" / "reference.md"
NEEDS_DATASETS = "<!-- docs-test: needs-datasets -->"

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    language: str
    code: str
    line: int
    """The line of the opening fence, 1-based."""
    needs_datasets: bool


def parse_blocks(text: str) -> list[Block]:
    """Every fenced code block of a markdown text, in order."""
    lines = text.splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        language = info.split()[0].lower() if info else ""
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(match["indent"]) :])
            i += 1
        before = lines[start - 1].strip() if start > 0 else ""
        found.append(Block(language, "\n".join(body) + "\n", start + 1, before == NEEDS_DATASETS))
        i += 1  # the closing fence
    return found


def blocks(page: Path) -> list[Block]:
    """Every fenced code block of a markdown page, in order."""
    return parse_blocks(page.read_text(encoding="utf-8"))


def prose(page: Path) -> str:
    """The page without its fenced code blocks (links in code are not links)."""
    out: list[str] = []
    fence: str | None = None
    for line in page.read_text(encoding="utf-8").splitlines():
        match = _FENCE.match(line)
        if fence is None and match is not None:
            fence = match["fence"]
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            out.append(line)
    return "\n".join(out)


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings (a repeated heading gets ``-1``, ``-2``, ...)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in prose(page).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match is None:
            continue
        slug = _slug(match[1])
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _id(page: Path) -> str:
    return str(page.relative_to(REPO))


def _runnable(page: Path) -> list[Block]:
    return [b for b in blocks(page) if b.language in ("python", "py")]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with ``examples`` from the repository and room for ``out/``."""
    try:
        (tmp_path / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    except OSError:  # no symlinks (e.g. some Windows setups): copy instead
        shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("page", [p for p in PAGES if _runnable(p)], ids=_id)
def test_python_blocks_run(page: Path, sandbox: Path) -> None:
    from benchmarks.datasets import data_root

    namespace: dict[str, object] = {"__name__": f"docs:{page.name}"}
    skipped = 0
    for block in _runnable(page):
        if block.needs_datasets and data_root() is None:
            skipped += 1
            continue
        code = compile(block.code, f"{_id(page)}:{block.line}", "exec")
        try:
            exec(code, namespace)
        except Exception as exc:
            raise AssertionError(
                f"the python block at {_id(page)} line {block.line} failed: {exc!r}"
            ) from exc
    if skipped:
        pytest.skip(f"{skipped} block(s) of {_id(page)} need the real data sets")


def test_the_pages_that_teach_have_code() -> None:
    for name in ("README.md", "docs/tutorial.md", "docs/howto.md"):
        assert _runnable(REPO / name), f"{name} has no python block"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_python_blocks_are_valid_python(page: Path) -> None:
    # Compiles every block up front, datasets ones included, so a typo is caught even
    # where the block is skipped.
    for block in _runnable(page):
        compile(block.code, f"{_id(page)}:{block.line}", "exec")


def broken_links(page: Path) -> list[str]:
    """The relative links of a page whose file, or heading anchor, does not exist."""
    broken = []
    for match in _LINK.finditer(prose(page)):
        target = match["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, mailto:, ...
            continue
        path, _, fragment = target.partition("#")
        file = page if not path else (page.parent / path).resolve()
        if not file.exists():
            broken.append(f"{target} (no such file)")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(f"{target} (no heading #{fragment} in {file.name})")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_relative_links_resolve(page: Path) -> None:
    broken = broken_links(page)
    assert not broken, f"{_id(page)} links to: " + "; ".join(broken)


def test_link_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# A `ra.load_problem` heading\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Top\n[ok](other.md) [ok](other.md#a-raload_problem-heading) [ok](#top)\n"
        "[web](https://example.org/x) ![img](https://example.org/i.png)\n"
        "[gone](missing.md) [bad anchor](other.md#nope) [bad](#bottom)\n"
        "```text\n[in code](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md (no such file)",
        "other.md#nope (no heading #nope in other.md)",
        "#bottom (no heading #bottom in page.md)",
    ]


def test_reference_names_every_public_name() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    missing = [name for name in ra.__all__ if not re.search(rf"`ra\.{name}\b", text)]
    assert not missing, f"docs/reference.md does not document: {missing}"


def test_reference_names_every_plot() -> None:
    from reviewassign import plot

    text = REFERENCE.read_text(encoding="utf-8")
    assert [name for name in plot.__all__ if f"`plot.{name}(" not in text] == []


def test_reference_names_every_rule_and_reason() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in text] == []
    assert [reason for reason in REASONS if f"`{reason}`" not in text] == []


@pytest.mark.parametrize(
    "model",
    [
        ra.Result,
        ra.Alternate,
        ra.Stats,
        ra.Metrics,
        ra.Phase,
        ra.Progress,
        ra.Violation,
        ra.Comparison,
        ra.ComparisonRow,
        ra.SweepResult,
        ra.SweepTask,
    ],
)
def test_reference_names_every_field(model: type) -> None:
    fields = getattr(model, "model_fields", None) or getattr(model, "__dataclass_fields__", {})
    text = REFERENCE.read_text(encoding="utf-8")
    assert fields
    assert [name for name in fields if f"`{name}`" not in text] == []


def test_reference_names_every_command_and_exit_code() -> None:
    from reviewassign.cli import _parser

    text = REFERENCE.read_text(encoding="utf-8")
    parser = _parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # the subcommands
    assert commands is not None
    assert [c for c in commands if f"reviewassign {c}" not in text] == []
    for option in ("--policy", "--out", "--time-limit", "--seed", "--workers"):
        assert f"`{option}" in text
    for code in range(5):
        assert f"| {code} |" in text


def test_block_parser() -> None:
    text = (
        "Intro\n```python\nx = 1\n```\n\n```text\nout\n```\n"
        "<!-- docs-test: needs-datasets -->\n```py\n  y = 2\n```\n"
        "- item\n\n  ```python\n  z = 3\n  ```\n"
    )
    found = parse_blocks(text)
    assert [(b.language, b.code, b.line, b.needs_datasets) for b in found] == [
        ("python", "x = 1\n", 2, False),
        ("text", "out\n", 6, False),
        ("py", "  y = 2\n", 10, True),
        ("python", "z = 3\n", 15, False),
    ]
    assert _slug("9. The same on the `command` line") == "9-the-same-on-the-command-line"
    assert _slug("`ra.load_problem`") == "raload_problem"
