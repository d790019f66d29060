"""Broadcast rules handlers and jobs share: quiet hours, and the delivery report in words."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

CHANNEL_NAMES = {"telegram": "Telegram", "wechat": "微信", "console": "终端"}
OUTCOMES = (
    ("sent", "已送达"),
    ("failed", "失败"),
    ("blocked", "已屏蔽"),
    ("undeliverable", "无法送达"),
)
WAITING = ("pending", "sending", "unknown")


@dataclass(frozen=True)
class QuietHours:
    """Hours when non-urgent pushes wait (21:00–08:00 by default); start == end: none."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def holds(self, local: datetime) -> bool:
        """Tell whether a local time falls in the quiet hours."""
        now = local.time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_allowed(self, local: datetime) -> datetime:
        """Return ``local`` itself, or the end of the quiet hours it falls in."""
        if not self.holds(local):
            return local
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


def report_text(
    number: int, text: str, counts: Counter[tuple[str, str]], finished: bool = True
) -> str:
    """Return the delivery report of broadcast ``number``: totals, then per channel."""
    title = text.replace("\n", " ")
    title = title if len(title) <= 20 else title[:20] + "…"
    total = sum(counts.values())
    head = "【通知发送报告】" if finished else "【通知发送进度】"
    lines = [f"{head}#{number}“{title}”:共 {total} 条"]
    lines.append(_outcomes(counts, None))
    channels = sorted({channel for channel, _ in counts})
    if len(channels) > 1:
        lines += [f"  {CHANNEL_NAMES.get(c, c)}:{_outcomes(counts, c)}" for c in channels]
    return "\n".join(lines)


def _outcomes(counts: Counter[tuple[str, str]], channel: str | None) -> str:
    def count(status: str) -> int:
        return sum(n for (c, s), n in counts.items() if s == status and channel in (None, c))

    parts = [f"{label} {count(status)}" for status, label in OUTCOMES]
    waiting = sum(count(status) for status in WAITING)
    if waiting:
        parts.append(f"发送中 {waiting}")
    return ",".join(parts)
