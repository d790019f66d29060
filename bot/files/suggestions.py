"""Residents' suggestions exported as CSV or JSON lines, streamed from the database."""

from __future__ import annotations

import codecs
import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.files.spreadsheet import spreadsheet_safe
from storage import suggestion_export as store

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.scoping import Scope


@contextmanager
def _output(out: Path | None) -> Iterator[TextIO]:
    """Open ``out`` for writing (stdout when None); remove a file left half-written by an error.

    Rows are written as they arrive from the database, so a failure midway would leave a
    file that looks like a whole export.
    """
    if out is None:
        yield sys.stdout
        return
    handle = out.open("w", encoding="utf-8", newline="")
    try:
        with handle:
            yield handle
    except BaseException:
        out.unlink(missing_ok=True)
        raise


async def export_suggestions(
    session: AsyncSession, scope: Scope, fmt: str, out: Path | None, *, with_names: bool = False
) -> int:
    """Write a scope's suggestions to ``out`` (stdout when None) as ``csv`` or ``jsonl``.

    CSV cells are spreadsheet-safe; JSON lines keep the text as written. PostgreSQL writes the
    file itself (COPY); elsewhere rows are streamed through Python, to the same bytes. Return
    the number of rows written.
    """
    with _output(out) as handle:
        if session.get_bind().dialect.name == "postgresql":
            decoder = codecs.getincrementaldecoder("utf-8")()

            def write(data: bytes) -> None:
                handle.write(decoder.decode(data))

            written = await store.copy_export(session, scope, fmt, write, with_names=with_names)
            handle.write(decoder.decode(b"", final=True))  # fails on a cut-off character
            return written
        fields = store.export_fields(with_names)
        rows = store.stream_export_rows(session, scope, with_names)
        written = 0
        if fmt == "csv":
            writer = csv.writer(handle)
            writer.writerow(fields)
            async for part in rows:
                writer.writerows([spreadsheet_safe(value) for value in row] for row in part)
                written += len(part)
        else:
            async for part in rows:
                handle.writelines(
                    json.dumps(dict(zip(fields, row, strict=True)), ensure_ascii=False) + "\n"
                    for row in part
                )
                written += len(part)
        return written
