"""Files in and out: CSV folders, JSON and TOML, atomic writes.

Readers are strict and name the file, row and field of a mistake; writers refuse to
overwrite an input.

See docs/contributing.md for the layers and the life of a solve.
"""
