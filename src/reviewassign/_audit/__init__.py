"""The audit outputs: the report, HTML views, verification and anonymised exports.

See docs/contributing.md for the layers and the life of a solve.
"""
