"""Resident-style lines for benchmarks: the labelled messages shipped with the project."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def resident_lines() -> list[str]:
    """Return the texts of the blind test sets (never used for training)."""
    lines = []
    for name in ("blind-topics.tsv", "blind-topics-2.tsv", "blind-intents.tsv"):
        for row in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            if "\t" in row:
                lines.append(row.split("\t", 1)[1])
    return lines
