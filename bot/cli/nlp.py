"""The nlp commands' loops: one JSON line out per line in, flushed each time."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, BinaryIO, TextIO
from zoneinfo import ZoneInfo

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


def parse_now(value: str | None) -> datetime:
    """Parse ``--now`` (ISO 8601; local Asia/Shanghai time when no offset is given)."""
    if value is None:
        return datetime.now(DEFAULT_ZONE)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--now must be an ISO time like 2026-11-25T08:00, not {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=DEFAULT_ZONE)


def _loop(stdin: BinaryIO, out: TextIO, answer: Callable[[str], dict[str, Any]]) -> None:
    for raw in stdin:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        out.write(json.dumps(answer(text), ensure_ascii=False) + "\n")
        out.flush()


def classify_lines(stdin: BinaryIO, out: TextIO) -> None:
    """Classify each line's topic."""
    from nlp.topics import classify

    def answer(text: str) -> dict[str, Any]:
        found = classify(text)
        return {
            "text": text,
            "topic": found.topic,
            "confidence": found.confidence,
            "keywords": list(found.keywords),
        }

    _loop(stdin, out, answer)


def understand_lines(stdin: BinaryIO, out: TextIO, now: datetime) -> None:
    """Find each line's intent and slots."""
    from nlp import urgent
    from nlp.intents import understand

    def answer(text: str) -> dict[str, Any]:
        found = understand(text, now=now)
        emergency = urgent.detect(text)
        return {
            "text": text,
            "intent": found.intent,
            "confidence": found.confidence,
            "slots": found.slots,
            "urgent": emergency.kind if emergency else None,
        }

    _loop(stdin, out, answer)
