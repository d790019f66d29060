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


def write_rows(rows: Sequence[dict[str, Any]], fmt: str, out: Path | None) -> None:
    """Write rows to ``out`` (stdout when None) in ``csv`` or ``jsonl``."""
    fields = FIELDS + (["resident"] if rows and "resident" in rows[0] else [])
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "csv":
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out:
            handle.close()
