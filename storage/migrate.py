"""Run Alembic migrations from code, on the async engine linli already uses."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed number, the same in every process: the advisory lock held while migrating.
MIGRATION_LOCK = 0x6C696E6C6D  # "linlm"


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config pointing at linli's migrations (and a live connection)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (the newest by default), one process at a time.

    Several processes starting at once take turns: on PostgreSQL a transaction-scoped
    advisory lock, on SQLite the write lock that every write transaction takes at BEGIN
    IMMEDIATE (storage.engine). The one that comes second finds the work done.
    """
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


async def is_current(engine: AsyncEngine) -> bool:
    """Tell whether the database is at the newest revision (nothing left to migrate)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    def current(sync_conn: Connection) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(current) == head


async def is_empty(engine: AsyncEngine) -> bool:
    """Tell whether the database has no linli tables yet."""
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    return "communities" not in names
