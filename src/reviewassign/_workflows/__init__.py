"""What users run on top of the exact path: solve, lotteries, relax, repair, explain.

``solve`` is the public router; alternates and conflict cores live here too.

See docs/contributing.md for the layers and the life of a solve.
"""
