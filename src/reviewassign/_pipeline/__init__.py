"""The exact solve path: a backend's outcome, checked and finished into a ``Result``.

``exact`` runs it, ``finish`` builds the result, ``lagrangian`` bounds pruned solves
over every eligible pair.

See docs/contributing.md for the layers and the life of a solve.
"""
