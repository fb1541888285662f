"""The package version (hatch reads it from here when it builds: pyproject.toml)."""

__version__ = "0.1.0"
