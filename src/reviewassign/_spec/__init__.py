"""The executable specification: ``check`` and ``evaluate``, written from SPEC.md.

Beside them, ``binding`` measures where each rule binds on an assignment (the audit
report's column). It shares no code with the model builders; ``check`` reads the rule
registry for key order only.

See docs/contributing.md for the layers and the life of a solve.
"""
