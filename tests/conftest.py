"""Shared fixtures: where ../shared (conformance instances, data sets) lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    """``$REVIEWASSIGN_SHARED`` if set, else ``../shared`` beside the repository."""
    return Path(os.environ.get("REVIEWASSIGN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    path = shared_root() / "conformance"
    if not (path / "expected.json").is_file():
        pytest.skip(f"conformance instances not found at {path}; set REVIEWASSIGN_SHARED")
    return path
