"""``linli nlp``: language understanding on stdin lines, one JSON line out per line in, flushed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, BinaryIO, TextIO
from zoneinfo import ZoneInfo

import typer

from bot.cli.common import fail

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
nlp_app = typer.Typer(help="Language understanding on stdin lines (one JSON line out per line).")


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


@nlp_app.command("classify")
def nlp_classify() -> None:
    """Read lines on stdin; write {"text","topic","confidence","keywords"} per line."""
    classify_lines(sys.stdin.buffer, sys.stdout)


@nlp_app.command("understand")
def nlp_understand(
    now: Annotated[str | None, typer.Option(help="reference time, e.g. 2026-11-25T08:00")] = None,
) -> None:
    """Read lines on stdin; write {"text","intent","confidence","slots"} per line."""
    try:
        reference = parse_now(now)
    except ValueError as exc:
        fail(str(exc))
        return
    understand_lines(sys.stdin.buffer, sys.stdout, reference)
