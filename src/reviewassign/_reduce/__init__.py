"""From a problem and a policy to eligible pairs: conflicts, ``Instance``, a start.

Every backend takes the indexed ``Instance`` built here.

See docs/contributing.md for the layers and the life of a solve.
"""
