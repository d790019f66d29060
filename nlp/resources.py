"""Files that ship with the package: dictionaries, lexicons, trained models."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Return the path of a data file shipped in ``nlp/data``."""
    return _HERE / "data" / name


def model_path(name: str) -> Path:
    """Return the path of a trained model shipped in ``nlp/models``."""
    return _HERE / "models" / name


def read_lines(name: str) -> list[str]:
    """Return the non-blank, non-comment lines of a shipped data file."""
    text = data_path(name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
