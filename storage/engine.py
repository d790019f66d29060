"""Engine and session setup for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver

# Readers take a deferred transaction; everything else takes the write lock up front so two
# writers never deadlock on a lock upgrade (SQLite's "database is locked" on COMMIT).
READ_ONLY = "linli_read_only"


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or opened."""


def normalize_url(url: str) -> str:
    """Return the async driver URL for a configured database URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not shown back: a URL that does not parse may still hold a password.
        raise DatabaseUnavailable(
            "database.url is not a valid database URL"
            " (like postgresql://user@host/linli or sqlite:///var/linli.db)"
        ) from None
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"):
        parsed = parsed.set(drivername=sqlite_driver.DRIVER)
    elif driver in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver not in (sqlite_driver.DRIVER, "postgresql+asyncpg", "postgresql+psycopg"):
        raise DatabaseUnavailable(
            f"database.url uses {driver!r}; linli supports sqlite:// and postgresql:// URLs"
        )
    return parsed.render_as_string(hide_password=False)


def _install_sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN out of the driver's hands so we can emit BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, so that switching a new file to WAL waits for another process doing the same.
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine for ``url``, with SQLite's pragmas and locking set up."""
    url = normalize_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        # JIT compilation pays off for long analytics queries, not for linli's: on an export of
        # 40,000 suggestions it spent more time compiling than the query took.
        if parsed.drivername.endswith("asyncpg"):
            kwargs["connect_args"] = {"server_settings": {"jit": "off"}}
        else:
            kwargs["connect_args"] = {"options": "-c jit=off"}
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _install_sqlite_pragmas(engine)
    return engine


def session_factory(
    engine: AsyncEngine, *, read_only: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Return a session maker; ``read_only`` sessions don't take SQLite's write lock."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return async_sessionmaker(bind, expire_on_commit=False)


# SQLite has one writer at a time. Queueing this process's writers on an asyncio lock keeps
# them from spinning in SQLite's busy handler (which sleeps in steps of up to 100 ms).
_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _write_lock(maker: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    bind = maker.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return None
    if bind.sync_engine.get_execution_options().get(READ_ONLY):
        return None
    key = bind.sync_engine.pool  # shared by an engine and its execution-option copies
    lock = _write_locks.get(key)
    if lock is None:
        lock = _write_locks[key] = asyncio.Lock()
    return lock


@asynccontextmanager
async def transaction(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Open a session in a transaction that commits on success and rolls back on error."""
    lock = _write_lock(maker)
    if lock is None:
        async with maker() as session, session.begin():
            yield session
        return
    async with lock, maker() as session, session.begin():
        yield session


async def check_connection(engine: AsyncEngine, seconds: float = 10.0) -> None:
    """Connect once, raising DatabaseUnavailable with a readable reason on failure."""
    try:
        async with asyncio.timeout(seconds), engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # the driver's own exception types vary
        url = engine.url.render_as_string(hide_password=True)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach the database {url}: {reason}") from exc
