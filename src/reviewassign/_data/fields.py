"""The field types and the frozen base the data model is built from.

They sit below both :mod:`.model` (cases, reviewers, the problem) and :mod:`.table` (the
affinity rows as columns), so that neither imports the other for them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["MAX_COUNT", "MAX_SCORE", "Count", "Frozen", "Id", "Score"]

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""An identifier: a non-empty string, surrounding white space removed, kept as given.

Its characters are checked where ids are declared, in
:func:`~reviewassign._data.model.cross_reference_issues` (once per id, not once per
mention: a million relation rows cost nothing more)."""

MAX_COUNT = 100_000
"""The largest panel size or load accepted (far beyond any real panel or reviewer)."""

MAX_SCORE = 10_000.0
"""The largest magnitude of a given affinity score or topic weight. Scores are scaled to
integers inside the solvers; this keeps every objective sum far inside 64 bits."""

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A panel size or a load: 0 to :data:`MAX_COUNT`."""

Score = Annotated[float, Field(ge=-MAX_SCORE, le=MAX_SCORE, allow_inf_nan=False)]
"""A given affinity score: finite, within ±:data:`MAX_SCORE`."""


class Frozen(BaseModel):
    """The base of the data model: frozen, no unknown field, strings stripped."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
