"""SQLite for asyncio with one thread hop per statement.

SQLAlchemy's stock aiosqlite adapter makes four trips to aiosqlite's worker thread for each
statement (open a cursor, execute, fetch, close), each costing an event-loop wake-up; here
the whole statement runs in one trip. Everything else (connections, commits, the dialect)
is the stock ``sqlite+aiosqlite`` one, so behaviour and SQL are unchanged.
"""

from __future__ import annotations

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


def _run_one(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """Execute one statement in aiosqlite's thread and collect everything SQLAlchemy reads."""
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


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose execute is a single round trip to the worker thread."""

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
    def lastrowid(self) -> int | None:
        """Return the rowid of the last inserted row."""
        return self._lastrowid  # type: ignore[return-value]

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        conn = self._connection._conn
        try:
            result = await_(self._connection._execute(_run_one, conn, operation, parameters, many))
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


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The stock adapted connection, handing out one-hop cursors."""

    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The stock aiosqlite DBAPI shim, wrapping connections in OneHopConnection."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        """Open an aiosqlite connection."""
        stock = super().connect(*arg, **kw)
        return OneHopConnection(self, stock._connection)


class SQLiteDialect_linli(SQLiteDialect_aiosqlite):
    """``sqlite+aiosqlite`` with one-hop cursors."""

    driver = "linli_aiosqlite"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDBAPI:  # type: ignore[override]
        """Return the DBAPI shim."""
        return OneHopDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register("sqlite.linli_aiosqlite", __name__, "SQLiteDialect_linli")
