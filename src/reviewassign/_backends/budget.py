"""Time estimates of the steps a time limit cannot interrupt.

Under a time limit, a step that cannot be interrupted (reading the instance, building a
model, reading it for the LP, the final check) starts only if its estimate fits in what
is left. Seconds, measured on one core of a shared 2-core machine on the synthetic awards
(600 x 350 to 2,000 x 1,000), with some margin; a solve scales them by how much slower
than estimated it read its instance (its *pace*). No solver is imported here: a solve out
of time before it reads its instance never loads OR-Tools.
"""

from __future__ import annotations

__all__ = [
    "BOUND_PER_CASE",
    "BUILD_PER_PAIR",
    "FINISH",
    "FINISH_PER_SEAT",
    "GRACE",
    "LP_ROWS_PER_CONSTRAINT",
    "LP_SETUP_PER_PAIR",
    "READ_PER_PAIR",
    "READ_PRUNED_PER_PAIR",
    "START_PER_CASE",
]

READ_PER_PAIR = 0.3e-6
"""Reading the instance of every eligible pair, per case x reviewer."""
READ_PRUNED_PER_PAIR = 1.2e-6
"""Reading the instance of the candidates, per case x reviewer."""
START_PER_CASE = 0.5e-3
"""The constructive start, per case."""
BUILD_PER_PAIR = 30e-6
"""Building a CP-SAT model (and CP-SAT loading it), per pair."""
LP_ROWS_PER_CONSTRAINT = 60e-6
"""Reading a model's constraints into arrays for the LP, per constraint."""
LP_SETUP_PER_PAIR = 15e-6
"""HiGHS's setup (presolve, first factorisation), per pair: it overran a time limit it
was started with by that much."""
FINISH = 0.1
"""The final check, evaluation and the stats' hashes: a fixed part..."""
FINISH_PER_SEAT = 40e-6
"""...and one per seat."""
BOUND_PER_CASE = 0.25e-3
"""A Lagrangian bound at the LP's prices over every eligible pair, per case."""
GRACE = 0.25
"""The constructive start may overrun the time left by this much: an answer is worth it."""
