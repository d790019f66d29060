"""What every table linli writes for staff shares: cells that stay text, and what .xlsx can hold."""

from __future__ import annotations

from typing import Any


def spreadsheet_safe(value: Any) -> Any:
    """Keep text such as "=HYPERLINK(...)" text in a spreadsheet, never a formula.

    Residents write the names, notes and suggestions exported here; a cell starting with one of
    these characters would run as a formula when staff open the file. (The PostgreSQL export
    does the same in SQL: storage.suggestion_export._FORMULA_STARTS.)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def safe_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return a row with every text cell made spreadsheet-safe."""
    return {key: spreadsheet_safe(value) for key, value in row.items()}


def xlsx_text(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return rows without the control characters an .xlsx file cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Residents' messages may carry them (pasted text); openpyxl refuses the whole file.
    return [
        {k: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for k, v in row.items()}
        for row in rows
    ]
