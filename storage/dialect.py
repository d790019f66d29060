"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert_for(session: AsyncSession, model: type[Any]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def insert_ignoring_conflicts(session: AsyncSession, model: type[Any]) -> Any:
    """Return ``INSERT … ON CONFLICT DO NOTHING`` for a model on the session's database."""
    return _insert_for(session, model).on_conflict_do_nothing()


def upsert(session: AsyncSession, model: type[Any], keys: list[str], values: dict[str, Any]) -> Any:
    """Return ``INSERT … ON CONFLICT (keys) DO UPDATE`` setting every non-key value."""
    stmt = _insert_for(session, model).values(**values)
    changes = {k: stmt.excluded[k] for k in values if k not in keys}
    return stmt.on_conflict_do_update(index_elements=keys, set_=changes)
