"""The suggestions export (``linli suggestions export``): its rows, streamed or COPYed.

On SQLite rows are streamed to Python writers (bot/files/suggestions.py); on PostgreSQL the database
writes the file itself (COPY … TO STDOUT), in exactly the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Community,
    Resident,
    Suggestion,
    SuggestionRating,
    SuggestionSupporter,
)
from storage.scoping import Scope

# The columns of ``linli suggestions export``, in order; "resident" follows with --with-names.
EXPORT_FIELDS = (
    "id",
    "community",
    "created_at",
    "topic",
    "confidence",
    "status",
    "text",
    "supporters",
    "rating",
)
NAME_FIELD = "resident"
_CENT = Decimal("0.01")
_DECIMAL = Context(prec=28)


def export_fields(with_names: bool = False) -> list[str]:
    """Return the export's column names (the CSV header, the keys of a JSON line)."""
    return [*EXPORT_FIELDS, NAME_FIELD] if with_names else list(EXPORT_FIELDS)


def _export_query(scope: Scope, with_names: bool) -> Select[Any]:
    """Return the raw export columns of a scope's suggestions, by number.

    Supporters and ratings are counted once per table (GROUP BY), then joined. As correlated
    subqueries they were two index probes per exported row, and estimated costly enough that
    PostgreSQL JIT-compiled the query, slower still. Grouping only the scope's ratings would
    read the scope's suggestions twice (they lie scattered over the table), which costs more
    than grouping every rating.
    """
    supporters = (
        select(SuggestionSupporter.suggestion_id, func.count().label("n"))
        .group_by(SuggestionSupporter.suggestion_id)
        .subquery("supporters")
    )
    # Sum and count, not avg(): the rating is rounded exactly from them, alike on both
    # databases (avg() is a float on SQLite and a 16-digit numeric on PostgreSQL).
    ratings = (
        select(
            SuggestionRating.suggestion_id,
            func.sum(SuggestionRating.score).label("total"),
            func.count(SuggestionRating.score).label("n"),
        )
        .group_by(SuggestionRating.suggestion_id)
        .subquery("ratings")
    )
    stmt = (
        select(
            Suggestion.id.label("id"),
            Community.slug.label("community"),
            Suggestion.created_at.label("created_at"),
            Suggestion.topic.label("topic"),
            Suggestion.confidence.label("confidence"),
            Suggestion.status.label("status"),
            Suggestion.text.label("text"),
            func.coalesce(supporters.c.n, 0).label("supporters"),
            ratings.c.total.label("rating_total"),
            ratings.c.n.label("rating_count"),
        )
        .join(Community, Community.id == Suggestion.community_id)
        .outerjoin(supporters, supporters.c.suggestion_id == Suggestion.id)
        .outerjoin(ratings, ratings.c.suggestion_id == Suggestion.id)
    )
    if with_names:
        stmt = stmt.add_columns(Resident.display_name.label(NAME_FIELD)).outerjoin(
            Resident, Resident.id == Suggestion.resident_id
        )
    return scope.apply(stmt.order_by(Suggestion.id), Suggestion.community_id)


def _rating(total: int | None, count: int | None) -> float | None:
    """Return the mean score rounded half up to 2 decimals, as the PostgreSQL export does."""
    if not count:
        return None
    mean = _DECIMAL.divide(Decimal(total or 0), Decimal(count))
    return float(mean.quantize(_CENT, rounding=ROUND_HALF_UP))


async def stream_export_rows(
    session: AsyncSession, scope: Scope, with_names: bool = False, batch: int = 1000
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Yield a scope's export rows in batches: tuples of values in ``export_fields`` order.

    ``created_at`` is an ISO string and ``rating`` a float or None; text is as written.
    """
    stmt = _export_query(scope, with_names).execution_options(yield_per=batch)
    result = await session.stream(stmt)
    async for part in result.partitions():
        # Plain tuples, not ORM objects or dicts: building objects was most of an export's time.
        yield [
            (
                number,
                slug,
                created.isoformat(),
                topic,
                confidence,
                status,
                body,
                supporters,
                _rating(total, count),
                *name,
            )
            for (
                number,
                slug,
                created,
                topic,
                confidence,
                status,
                body,
                supporters,
                total,
                count,
                *name,
            ) in part
        ]


async def export_rows(
    session: AsyncSession, scope: Scope, with_names: bool = False, batch: int = 1000
) -> Sequence[dict[str, Any]]:
    """Return the export fields of every suggestion in a scope, by number, all in memory.

    To write a scope's file, use ``bot.files.suggestions.export_suggestions``: it streams.
    """
    fields = export_fields(with_names)
    return [
        dict(zip(fields, row, strict=True))
        async for part in stream_export_rows(session, scope, with_names, batch)
        for row in part
    ]


# On PostgreSQL the database writes the export itself (COPY), in exactly the bytes that the
# Python writers in bot/files/suggestions.py make of ``stream_export_rows``
# (tests/cli/test_suggestions_export.py compares them). The SQL below spells out, value by
# value, how Python prints each one.
# As bot.files.spreadsheet.spreadsheet_safe:
_FORMULA_STARTS = "('=', '+', '-', '@', E'\\t', E'\\r')"
_MEAN = "round(s.rating_total::numeric / nullif(s.rating_count, 0), 2)"
# Numbers as text, as str() prints them in Python (the CSV cell, the JSON number).
_PG_NUMBERS = {
    "id": "s.id::text",
    # float8 prints 1.0 as "1": add the ".0" of Python's repr. Exponents start at 1e15 in
    # PostgreSQL and at 1e16 in Python, which a confidence (0 to 1) never reaches.
    "confidence": "s.confidence::text || CASE WHEN s.confidence = trunc(s.confidence) "
    "AND abs(s.confidence) < 1e15 THEN '.0' ELSE '' END",
    "supporters": "s.supporters::text",
    # The numeric "4.50" or "4.00" as Python prints the float: "4.5", "4.0".
    "rating": f"rtrim({_MEAN}::text, '0') "
    f"|| CASE WHEN {_MEAN} = trunc({_MEAN}) THEN '0' ELSE '' END",
}
_PG_TEXTS = {
    "community": "s.community",
    # datetime.isoformat() of a UTC time: microseconds only when there are some.
    "created_at": "replace(to_char(s.created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), '.000000+', '+')",
    "topic": "s.topic",
    "status": "s.status",
    "text": "s.text",
    NAME_FIELD: f"s.{NAME_FIELD}",
}


def _pg_csv_cell(field: str) -> str:
    """Return the SQL of one CSV cell: the value as csv.writer gets it, spreadsheet-safe."""
    if field in _PG_NUMBERS:
        return _PG_NUMBERS[field]
    value = _PG_TEXTS[field]
    safe = f"CASE WHEN left({value}, 1) IN {_FORMULA_STARTS} THEN '''' || {value} ELSE {value} END"
    # COPY quotes an empty string ("") to tell it from NULL; csv.writer writes nothing for both.
    return f"nullif({safe}, '')"


def _pg_json_line(fields: list[str]) -> str:
    """Return the SQL of one JSON line, as ``json.dumps(row, ensure_ascii=False)`` writes it.

    to_json escapes a string as Python's json module does: the same short escapes, a
    six-character escape for other control characters, the rest as it is. JSON lines keep
    the raw text.
    """
    parts = []
    for i, field in enumerate(fields):
        if field in _PG_NUMBERS:
            value = f"coalesce({_PG_NUMBERS[field]}, 'null')"
        else:
            value = f"coalesce(to_json({_PG_TEXTS[field]})::text, 'null')"
        key = ("{" if i == 0 else ", ") + json.dumps(field) + ": "
        parts += [f"'{key}'", value]
    return " || ".join([*parts, "'}'"])


class _CsvLineEnds:
    """Turn COPY's row ends (LF) into csv.writer's (CRLF), leaving line breaks inside quotes.

    COPY quotes every value that holds a quote or a line break and doubles inner quotes, so
    counting quotes tells which newlines end rows; the count carries over between chunks.
    """

    def __init__(self) -> None:
        self.quoted = False

    def __call__(self, data: bytes) -> bytes:
        parts = data.split(b'"')
        for i in range(1 if self.quoted else 0, len(parts), 2):
            parts[i] = parts[i].replace(b"\n", b"\r\n")
        if len(parts) % 2 == 0:  # an odd number of quotes
            self.quoted = not self.quoted
        return b'"'.join(parts)


async def copy_export(
    session: AsyncSession,
    scope: Scope,
    fmt: str,
    write: Callable[[bytes], object],
    with_names: bool = False,
) -> int:
    """Pass a scope's export (``csv`` or ``jsonl``, UTF-8) to ``write``; PostgreSQL only.

    The database formats the file and sends it in chunks (COPY … TO STDOUT), each handed on
    as it comes: no Python object per row, and memory stays bounded. Return the row count.
    """
    fields = export_fields(with_names)
    connection = await session.connection()
    # COPY takes no parameters; the only values bound here are community ids (integers).
    source = _export_query(scope, with_names).compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}
    )
    convert: Callable[[bytes], bytes]
    if fmt == "csv":
        columns = ", ".join(f'{_pg_csv_cell(f)} AS "{f}"' for f in fields)
        options: dict[str, Any] = {"format": "csv", "header": True}
        convert = _CsvLineEnds()
    else:
        columns = _pg_json_line(fields)
        # One column of JSON, in which every control character is escaped: with these quote
        # and delimiter bytes COPY never quotes it, and each line is the JSON and a newline.
        options = {"format": "csv", "quote": "\x01", "delimiter": "\x02"}
        convert = bytes
    query = f"SELECT {columns} FROM ({source}) AS s ORDER BY s.id"

    # For this transaction: floats print in their shortest exact form (as in Python) only
    # with extra_float_digits above 0; and a one-pass export gains less from JIT compiling
    # than the compiling costs (130 ms of 380 on the largest community, with the old query).
    await connection.exec_driver_sql(
        "SELECT set_config('extra_float_digits', '1', true), set_config('jit', 'off', true)"
    )
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # an open connection, of asyncpg or psycopg

    if hasattr(driver, "copy_from_query"):  # asyncpg

        async def sink(data: bytes) -> None:
            write(convert(data))

        status = await driver.copy_from_query(query, output=sink, **options)
        return int(status.split()[-1])
    # psycopg 3: the same COPY through a cursor, its options spelled out in SQL.
    spelled = ", ".join(f"{k.upper()} {_copy_option(v)}" for k, v in options.items())
    async with driver.cursor() as cursor:
        async with cursor.copy(f"COPY ({query}) TO STDOUT WITH ({spelled})") as copy:
            async for data in copy:
                write(convert(bytes(data)))
        return int(cursor.rowcount)


def _copy_option(value: object) -> str:
    """Spell a COPY option's value in SQL: true, 'csv', or a control character escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if len(text) == 1 and not text.isprintable():
        return f"E'\\x{ord(text):02x}'"
    return f"'{text}'"
