"""Regenerate the Pioneer Award example: a synthetic award of 150 cases and 90 reviewers.

Run from anywhere: ``python examples/pioneer_award/generate.py``. It writes cases.csv,
reviewers.csv, conflicts.csv and relations.csv next to this script; policy.toml and
README.md are written by hand and left alone. The output depends only on the seed.
"""

from __future__ import annotations

from pathlib import Path

from reviewassign._files.io import save_problem
from reviewassign._lab.synthetic import award_problem

N_CASES = 150
N_REVIEWERS = 90
SEED = 2026

HERE = Path(__file__).resolve().parent


def main() -> None:
    problem = award_problem(N_CASES, N_REVIEWERS, seed=SEED)
    save_problem(problem, HERE)
    print(
        f"wrote {len(problem.cases)} cases, {len(problem.reviewers)} reviewers, "
        f"{len(problem.conflicts)} conflicts, {len(problem.relations)} relations to {HERE}"
    )


if __name__ == "__main__":
    main()
