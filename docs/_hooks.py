"""mkdocs hooks: links to repository files outside ``docs/``; Sphinx roles in docstrings.

The pages link to files such as ``../README.md`` or ``../examples/pioneer_award/policy.toml``
so that they work when read in the repository (``tests/test_docs.py`` checks that these
links resolve). The site holds only ``docs/``, so mkdocs would report those links as
missing. This hook rewrites each one, before mkdocs validates links: to the file on the
repository host when ``repo_url`` is set, else to the path in code font. Links inside
``docs/`` are left alone, so mkdocs still validates them (and their anchors) strictly.

The docstrings name other objects with Sphinx roles (``:class:`~reviewassign.Problem```),
which the numpy style allows but mkdocstrings renders as text: the role is dropped, and a
``~`` keeps the last part of the name, as Sphinx shows it.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")
_FENCE = re.compile(r"^ *(`{3,}|~{3,})")
_ROLE = re.compile(
    r":(?:class|func|meth|attr|data|exc|mod|obj):<code>(?P<tilde>~)?(?P<name>[^<]*)</code>"
)


def _outside(page_uri: str, target: str) -> str | None:
    """The repository path of a link that leaves ``docs/``, else None."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("/"):
        return None
    path = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page_uri), target))
    return None if path.startswith("docs/") else path


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Rewrite the links of one page that point outside ``docs/``."""
    repo_url = (config.get("repo_url") or "").rstrip("/")
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if match and fence is None:
            fence = match[1]
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:

            def repl(m: re.Match[str]) -> str:
                path = _outside(page.file.src_uri, m["target"])
                if path is None:
                    return m[0]
                if repo_url:
                    return f"[{m['text']}]({repo_url}/blob/main/{path}{m['anchor'] or ''})"
                return f"{m['text']} (`{path}` in the repository)"

            line = _LINK.sub(repl, line)
        out.append(line)
    return "\n".join(out)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Render the Sphinx roles of the docstrings as code, without the role."""

    def repl(m: re.Match[str]) -> str:
        name = m["name"].rsplit(".", 1)[-1] if m["tilde"] else m["name"]
        return f"<code>{name}</code>"

    return _ROLE.sub(repl, html)
