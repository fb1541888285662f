"""The events of a repair: what changed in a problem after it was solved.

An :class:`Event` is a row of ``events.csv``; it is a record of the data layer, read by the
file readers and applied by the repair workflow (``_workflows/repair.py``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .fields import Count, Id

__all__ = ["Event", "EventKind"]

EventKind = Literal["decline", "withdraw", "conflict", "add_case", "withdraw_case", "load"]

_NEEDS: dict[str, frozenset[str]] = {
    "decline": frozenset({"case", "reviewer"}),
    "withdraw": frozenset({"reviewer"}),
    "conflict": frozenset({"case", "reviewer"}),
    "add_case": frozenset({"case"}),
    "withdraw_case": frozenset({"case"}),
    "load": frozenset({"reviewer", "value"}),
}
"""The fields each kind of event uses; it must leave the others empty."""


class Event(BaseModel):
    """One change to a problem after it was solved: a row of ``events.csv``.

    ``kind`` (the ``event`` column of the file) is one of ``decline`` (the reviewer drops
    that case), ``withdraw`` (the reviewer drops out), ``conflict`` (a new conflict on
    that pair), ``add_case`` (the case, now in the problem, needs a panel),
    ``withdraw_case`` and ``load`` (the reviewer's maximum load becomes ``value``). Each
    kind takes exactly the fields it uses. A constructor per kind spells them out.

    Examples
    --------
    >>> Event.decline("C1", "R2")
    Event(kind='decline', case='C1', reviewer='R2', value=None)
    >>> str(Event.load("R2", 3))
    'load R2 3'
    >>> Event(kind="withdraw", case="C1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Event
      Value error, reviewer is required by a 'withdraw' event ...
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, populate_by_name=True
    )

    kind: EventKind = Field(alias="event")
    case: Id | None = None
    reviewer: Id | None = None
    value: Count | None = Field(None, description="The new maximum load of a 'load' event.")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Event:
        """Refuse an event missing a field its kind needs, or filling one it does not."""
        needs = _NEEDS[self.kind]
        fields = ("case", "reviewer", "value")
        for name in fields:
            if name in needs and getattr(self, name) is None:
                raise ValueError(f"{name} is required by a {self.kind!r} event")
        for name in fields:
            if name not in needs and getattr(self, name) is not None:
                raise ValueError(f"{name} must be empty in a {self.kind!r} event")
        return self

    @classmethod
    def decline(cls, case: str, reviewer: str) -> Event:
        """The reviewer declines the case."""
        return cls(kind="decline", case=case, reviewer=reviewer)

    @classmethod
    def withdraw(cls, reviewer: str) -> Event:
        """The reviewer drops out."""
        return cls(kind="withdraw", reviewer=reviewer)

    @classmethod
    def conflict(cls, case: str, reviewer: str) -> Event:
        """A new conflict of interest on the pair."""
        return cls(kind="conflict", case=case, reviewer=reviewer)

    @classmethod
    def add_case(cls, case: str) -> Event:
        """The case, now in the problem, needs a panel."""
        return cls(kind="add_case", case=case)

    @classmethod
    def withdraw_case(cls, case: str) -> Event:
        """The case leaves the problem."""
        return cls(kind="withdraw_case", case=case)

    @classmethod
    def load(cls, reviewer: str, value: int) -> Event:
        """The reviewer's maximum load becomes ``value``."""
        return cls(kind="load", reviewer=reviewer, value=value)

    def __repr__(self) -> str:
        return (
            f"Event(kind={self.kind!r}, case={self.case!r}, reviewer={self.reviewer!r}, "
            f"value={self.value!r})"
        )

    def __str__(self) -> str:
        parts = [self.kind, self.case, self.reviewer, self.value]
        return " ".join(str(p) for p in parts if p is not None)
