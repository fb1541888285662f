"""``python -m reviewassign``: the command line."""

from .cli import run

run()
