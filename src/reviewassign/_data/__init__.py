"""The data layer: problems, policies, the rule registry, options, events, results.

It imports nothing above it. ``Result`` and ``Problem`` render themselves through upper
layers only inside their presentation methods (the sanctioned lazy imports).

See docs/contributing.md for the layers and the life of a solve.
"""
