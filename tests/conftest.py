"""Shared fixtures: where ../shared (conformance instances, data sets) lives; Hypothesis profiles.

The profiles hold what every property test shares; a test's own ``settings(...)`` keeps
only what is specific to it, with its reason, and states its example count relative to
the profile's (:func:`examples`), so one profile scales them all.
``$HYPOTHESIS_PROFILE`` picks the profile (``dev`` when unset; ``.ci/run`` sets ``ci``):

* ``dev``: no deadline (a solve's time depends on the machine's load, and a timing
  failure says nothing about correctness), and the ``too_slow`` and ``data_too_large``
  health checks off (the strategies draw whole problems: large and slow to draw by
  nature). Hypothesis's default 100 examples.
* ``ci``: ``dev`` without an example database (a clean clone has none to replay and
  keeps none) and printing the ``@reproduce_failure`` blob of a failure, so that a
  failure seen only in CI replays locally. The counts stay those of ``dev``: the suite
  takes about 12 minutes of the 20 CI allows. Not derandomized: each CI run tries new
  examples.
* ``hunt``: ``dev`` with ten times the examples, to look for bugs locally.

The modules with their own ``*_EXAMPLES`` environment variable (``test_bounds``,
``test_bruteforce``, ``test_core_oracle``, ``test_leximin``, ``test_relax``) keep that
absolute count.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]

settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", parent=settings.get_profile("dev"), database=None, print_blob=True)
settings.register_profile("hunt", parent=settings.get_profile("dev"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(share: float) -> int:
    """``share`` of the profile's ``max_examples`` (at least one): a test's own count."""
    return max(1, round(settings.default.max_examples * share))


def shared_root() -> Path:
    """``$REVIEWASSIGN_SHARED`` if set, else ``../shared`` beside the repository."""
    return Path(os.environ.get("REVIEWASSIGN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    path = shared_root() / "conformance"
    if not (path / "expected.json").is_file():
        pytest.skip(f"conformance instances not found at {path}; set REVIEWASSIGN_SHARED")
    return path
