"""The lab: comparing policies, sweeping grids on any executor, synthetic awards.

See docs/contributing.md for the layers and the life of a solve.
"""
