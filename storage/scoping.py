"""Community scoping: the one place that decides which communities a staff member sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

Columns = TypeVarTuple("Columns")


@dataclass(frozen=True)
class Scope:
    """The communities a staff view covers; ``None`` means every community (operator-wide)."""

    community_ids: frozenset[int] | None

    @classmethod
    def operator(cls) -> Scope:
        """Return the scope of operator-wide staff."""
        return cls(None)

    @classmethod
    def of(cls, *community_ids: int) -> Scope:
        """Return the scope of the given communities."""
        return cls(frozenset(community_ids))

    def allows(self, community_id: int | None) -> bool:
        """Tell whether a record of ``community_id`` is visible in this scope."""
        return self.community_ids is None or community_id in self.community_ids

    def apply(self, stmt: Select[*Columns], column: InstrumentedAttribute[Any]) -> Select[*Columns]:
        """Restrict a SELECT to this scope by its ``community_id`` column."""
        if self.community_ids is None:
            return stmt
        return stmt.where(column.in_(sorted(self.community_ids)))
