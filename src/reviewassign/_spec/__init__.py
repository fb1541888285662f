"""The executable specification: ``check`` and ``evaluate``, written from SPEC.md.

It shares no code with the model builders; it reads the rule registry for key order
only.

See docs/contributing.md for the layers and the life of a solve.
"""
