"""The audit report as a real headless browser shows it (Chromium).

``chromium --headless=new --dump-dom`` prints the DOM after the page has loaded; the test
asserts on its text, and on a screenshot that is not blank. Skips when no Chromium is on
PATH (Debian: ``apt-get install --no-install-recommends chromium``).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import reviewassign as ra

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pioneer_award"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no chromium or chromium-browser on PATH to load the report in"
)
FLAGS = ["--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run"]


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    profile = tmp_path / "profile"  # a fresh profile: no state shared between runs
    return subprocess.run(
        [BROWSER, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[ra.Result, Path]:
    problem = ra.load_problem(EXAMPLE)
    policy = ra.load_policy(EXAMPLE / "policy.toml")
    result = ra.solve(problem, policy, seed=0, workers=1)
    page = tmp_path_factory.mktemp("report") / "report.html"
    result.report(page)
    return result, page


def test_the_browser_shows_the_report(report: tuple[ra.Result, Path], tmp_path: Path) -> None:
    result, page = report
    dom = _browser(tmp_path, "--dump-dom", page.as_uri()).stdout
    body = dom[dom.index("<body") :]
    shown = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))
    m = result.metrics
    assert m is not None and result.objective is not None
    assert "Audit report: 150 cases and 90 reviewers" in shown
    assert "Status: OPTIMAL" in shown
    assert re.search(rf"objective {re.escape(f'{result.objective:.4f}')}\b", shown)
    assert "At most 1 reviewer per region on every panel." in shown
    assert "All 12 rules hold, verified by an independent check" in shown
    assert re.search(r"panel\.max_per_region .* yes \d+ of 150 panels at the cap", shown)
    count = result.conflicts_avoided["same_institution"]
    assert f"same institution same_institution {count}" in shown
    share = 100 * m.region_shares["Africa"]
    pool = 100 * m.region_pool_shares["Africa"]
    assert f"Africa {m.region_seats['Africa']} {share:.1f} % {pool:.1f} %" in shown
    assert result.stats.input_hash in shown
    # Nothing was fetched or run: the DOM holds no script and no external reference.
    assert "<script" not in dom
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", dom)


def test_the_report_renders_non_blank(report: tuple[ra.Result, Path], tmp_path: Path) -> None:
    _, page = report
    shot = tmp_path / "shot.png"
    _browser(tmp_path, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # A blank white 1200x900 PNG compresses to a few kilobytes; text and tables do not.
    assert len(data) > 20_000, len(data)
