"""Replies as plain text, for channels without buttons (console, WeChat), and long-text splits."""

from __future__ import annotations

from collections.abc import Callable

from handlers.types import Reply
from storage.broadcasts import KIND as BROADCAST_KIND


def render(reply: Reply, pictures: bool = True, kind: str = "") -> str:
    """Render a reply as text: its words, then its choices as numbers to type back.

    ``回复 1 分类不对,2 撤回``: the dispatcher maps a typed number (or label) to the choice;
    more than three choices are listed one per line.
    A picture is shown as a ``[图片] path`` line, unless ``pictures`` is False (a channel that
    sends the picture itself). An announcement (outbox ``kind`` broadcast) shows no choices:
    nobody's pending question holds them, so a typed number could not reach them; its text
    says what to send instead (回复“问卷”).
    """
    lines = [reply.text]
    labels = [b.label for row in reply.buttons for b in row if b.kind == "callback" and b.data]
    if kind == BROADCAST_KIND:
        labels = []
    if len(labels) > 3:
        # A longer list is easier to read (and to find the right number in) one per line.
        lines.append("回复数字:")
        lines += [f"{i} {label}" for i, label in enumerate(labels, 1)]
    elif labels:
        choices = ",".join(f"{i} {label}" for i, label in enumerate(labels, 1))
        lines.append(f"回复 {choices}")
    links = [f"{b.label}:{b.url}" for row in reply.buttons for b in row if b.kind == "url"]
    lines += links
    if reply.image and pictures:
        lines.append(f"[图片] {reply.image}")
    return "\n".join(lines)


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Split a text into parts of at most ``limit`` (as ``size`` measures), at line breaks.

    A single line longer than the limit is cut hard. Blank lines are kept.
    """
    if size(text) <= limit:
        return [text]
    parts: list[str] = []
    current: str | None = None  # None: nothing gathered yet ("" is a blank line)
    for line in text.split("\n"):
        while size(line) > limit:  # one enormous line: cut it hard
            if current is not None:
                parts.append(current)
                current = None
            cut = _fitting(line, limit, size)
            parts.append(line[:cut])
            line = line[cut:]
        candidate = line if current is None else f"{current}\n{line}"
        if size(candidate) > limit:
            parts.append(current or "")
            current = line
        else:
            current = candidate
    if current is not None:
        parts.append(current)
    return parts


def _fitting(line: str, limit: int, size: Callable[[str], int]) -> int:
    """Return how many characters of ``line`` fit in ``limit``."""
    used = 0
    for count, char in enumerate(line):
        used += size(char)
        if used > limit:
            return count
    return len(line)


def utf8_bytes(text: str) -> int:
    """Return a text's size in UTF-8 bytes (WeChat's measure)."""
    return len(text.encode("utf-8"))


def utf16_units(text: str) -> int:
    """Return a text's length in UTF-16 code units (Telegram's measure; an emoji may be 2)."""
    return len(text.encode("utf-16-le")) // 2
