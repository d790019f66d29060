"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.types import rows_changed, table_of


@cache
def _upsert(dialect: str, model: Any, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    changes = {c: stmt.excluded[c] for c in columns if c not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=changes)


async def insert_once(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same unique key exists; return whether it was new."""
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table_of(model))
    result = await session.execute(stmt.values(**values).on_conflict_do_nothing())
    return bool(rows_changed(result))


async def upsert(
    session: AsyncSession, model: Any, keys: tuple[str, ...], values: dict[str, Any]
) -> None:
    """Insert a row, or update every non-key value of the row with the same keys."""
    stmt = _upsert(session.get_bind().dialect.name, model, keys, tuple(values))
    await session.execute(stmt, values)


async def quick_commit(session: AsyncSession) -> None:
    """Let this transaction commit without waiting for the disk (PostgreSQL; no-op elsewhere).

    Only for records that may be lost in a crash of the database server itself: the last
    fraction of a second of them may then be forgotten, never mixed up.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
