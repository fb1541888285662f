"""Regenerate the Pioneer Award example: a synthetic award of 150 cases and 90 reviewers.

Run from anywhere: ``python examples/pioneer_award/generate.py``. It writes cases.csv,
reviewers.csv, conflicts.csv and relations.csv next to this script; policy.toml and
README.md are written by hand and left alone. The output depends only on the seed.

The reviewers' ``sector`` and ``first_time`` attributes are drawn by ``award_attributes``
to fit the optimum of the award policy (``policy.toml``; one solve, one worker, seed 0):
the board's rules on them (``board.toml``) then hold at that optimum, whose value they
keep.
"""

from __future__ import annotations

from pathlib import Path

import reviewassign as ra
from reviewassign._files.io import save_problem
from reviewassign._lab.synthetic import award_attributes, award_problem

N_CASES = 150
N_REVIEWERS = 90
SEED = 2026

HERE = Path(__file__).resolve().parent


def main() -> None:
    problem = award_problem(N_CASES, N_REVIEWERS, seed=SEED)
    optimum = ra.solve(problem, ra.load_policy(HERE / "policy.toml"), workers=1, seed=0)
    problem = award_attributes(problem, optimum.assignment, seed=SEED)
    save_problem(problem, HERE)
    print(
        f"wrote {len(problem.cases)} cases, {len(problem.reviewers)} reviewers, "
        f"{len(problem.conflicts)} conflicts, {len(problem.relations)} relations to {HERE}"
    )


if __name__ == "__main__":
    main()
