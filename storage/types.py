"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Result, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def rows_changed(result: Result[Any]) -> int:
    """Return how many rows an INSERT, UPDATE or DELETE changed (0 when the driver cannot say)."""
    return cast(CursorResult[Any], result).rowcount or 0


def table_of(model: type[Any]) -> Table:
    """Return a model's Table (``__table__`` is typed as the wider FromClause)."""
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store datetimes as UTC; always hand back timezone-aware values.

    SQLite has no time zone type, so values are stored as naive UTC there and
    made aware again on the way out; PostgreSQL uses ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Convert an aware datetime to UTC; refuse naive ones (their zone is unknown)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; linli stores only timezone-aware times")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
