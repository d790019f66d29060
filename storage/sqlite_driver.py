"""SQLite for asyncio, run on the event loop's own thread.

SQLAlchemy's stock aiosqlite adapter sends every statement to aiosqlite's worker thread in
four trips (open a cursor, execute, fetch, close), each costing a thread switch and an
event-loop wake-up: about 0.3 ms for a statement SQLite itself runs in microseconds. Here a
statement runs directly on the sqlite3 connection (opened by aiosqlite, with
``check_same_thread`` off), after yielding to the event loop once so other tasks keep moving.

Why blocking the loop is acceptable: writers in this process queue on an asyncio lock
(``storage.engine.transaction``), so a statement never waits for another writer here; readers
never wait in WAL mode. Only a write from another process (a CLI command) can make a
statement wait, up to ``busy_timeout``, and those writes last milliseconds. PostgreSQL, for
larger deployments, uses asyncpg as usual.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

DRIVER = "sqlite+linli_aiosqlite"


async def _yield() -> None:
    # SQLAlchemy's asyncio layer expects each operation to await something; this await is
    # also what lets other tasks run between statements.
    await asyncio.sleep(0)


def _run_one(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """Execute one statement and collect everything SQLAlchemy reads from the cursor."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor that runs its statement on the calling thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        """Start empty; nothing is opened until a statement runs."""
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._rows = collections.deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        """Return the result's column description (None for statements without rows)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Return the number of rows the last statement changed."""
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:  # type: ignore[override]  # sqlite3 may say None
        """Return the rowid of the last inserted row."""
        return self._lastrowid

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        try:
            await_(_yield())
            result = _run_one(self._connection._conn, operation, parameters, many)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, self._rowcount, self._lastrowid, rows = result
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        """Run one statement."""
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        """Run one statement for many parameter sets."""
        self._run(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        """Drop buffered rows (there is no cursor left open)."""
        self._rows.clear()


class InlineConnection(AsyncAdapt_aiosqlite_connection):
    """The stock adapted connection, with inline cursors, commits and rollbacks."""

    __slots__ = ()
    _cursor_cls = InlineCursor  # type: ignore[assignment]  # a cursor of its own kind

    def commit(self) -> None:
        """Commit on the calling thread."""
        try:
            await_(_yield())
            self._connection._conn.commit()
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        """Roll back on the calling thread."""
        if not self._connection._connection:
            return
        try:
            await_(_yield())
            self._connection._conn.rollback()
        except Exception as error:
            self._handle_exception(error)


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The stock aiosqlite DBAPI shim, wrapping connections in InlineConnection."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        """Open an aiosqlite connection usable from the event loop's thread."""
        kw["check_same_thread"] = False
        stock = super().connect(*arg, **kw)
        return InlineConnection(self, stock._connection)


class SQLiteDialect_linli(SQLiteDialect_aiosqlite):
    """``sqlite+aiosqlite`` with statements run inline."""

    driver = "linli_aiosqlite"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> InlineDBAPI:
        """Return the DBAPI shim."""
        return InlineDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register("sqlite.linli_aiosqlite", __name__, "SQLiteDialect_linli")
