"""Write exported rows as CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FIELDS = [
    "id",
    "community",
    "created_at",
    "topic",
    "confidence",
    "status",
    "text",
    "supporters",
    "rating",
]


def spreadsheet_safe(value: Any) -> Any:
    """Keep text such as "=HYPERLINK(...)" text in a spreadsheet, never a formula.

    Residents write the names, notes and suggestions exported here; a cell starting with one of
    these characters would run as a formula when staff open the file.
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def safe_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return a row with every text cell made spreadsheet-safe."""
    return {key: spreadsheet_safe(value) for key, value in row.items()}


def write_rows(rows: Sequence[dict[str, Any]], fmt: str, out: Path | None) -> None:
    """Write rows to ``out`` (stdout when None) in ``csv`` or ``jsonl``."""
    fields = FIELDS + (["resident"] if rows and "resident" in rows[0] else [])
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "csv":
            writer = csv.writer(handle)
            writer.writerow(fields)
            writer.writerows([spreadsheet_safe(row.get(f)) for f in fields] for row in rows)
        else:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out:
            handle.close()
