"""The solvers, each taking an ``Instance``: flow, LP, CP-SAT and the lotteries.

CP-SAT lives in ``cpsat/``, with one module per rule family in ``cpsat/rules/``. Only
this package imports ortools; ``solvers`` is the entry point callers import inside
functions, so that ``import reviewassign`` does not load ortools.

See docs/contributing.md for the layers and the life of a solve.
"""
