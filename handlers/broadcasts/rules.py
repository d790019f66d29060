"""Broadcast rules handlers and jobs share: quiet hours, and the delivery report in words."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

CHANNEL_NAMES = {"telegram": "Telegram", "wechat": "微信", "console": "终端"}
OUTCOMES = (
    ("sent", "已送达"),
    ("failed", "失败"),
    ("blocked", "已屏蔽"),
    ("undeliverable", "无法送达"),
)
CANCELLED = ("cancelled", "已撤回")
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
    number: int,
    text: str,
    counts: Counter[tuple[str, str]],
    finished: bool = True,
    mass: str | None = None,
) -> str:
    """Return the delivery report of broadcast ``number``: totals, then per channel.

    ``mass`` is a line on WeChat's mass send by tag, when one was made or tried.
    """
    title = text.replace("\n", " ")
    title = title if len(title) <= 20 else title[:20] + "…"
    total = sum(counts.values())
    head = "【通知发送报告】" if finished else "【通知发送进度】"
    lines = [f"{head}#{number}“{title}”:共 {total} 条"]
    lines.append(_outcomes(counts, None))
    channels = sorted({channel for channel, _ in counts})
    if len(channels) > 1:
        lines += [f"  {CHANNEL_NAMES.get(c, c)}:{_outcomes(counts, c)}" for c in channels]
    if mass:
        lines.append(mass)
    return "\n".join(lines)


def mass_line(broadcast: Any) -> str | None:
    """Describe a broadcast's WeChat mass send by tag (None if it had none)."""
    state = broadcast.wechat_mass
    if not state or state == "waiting":
        return None
    if state.startswith("refused"):
        return f"微信群发未用(逐条发送):{state.removeprefix('refused: ')}"
    done = (broadcast.report or {}).get("wechat_mass")
    if not done:
        return "微信按标签群发:已提交,微信的送达统计稍后到"
    return (
        f"微信按标签群发:送达 {done['sent']},失败 {done['errors']},"
        f"被过滤 {done['filtered']}(共 {done['total']})"
    )


def _outcomes(counts: Counter[tuple[str, str]], channel: str | None) -> str:
    def count(status: str) -> int:
        return sum(n for (c, s), n in counts.items() if s == status and channel in (None, c))

    parts = [f"{label} {count(status)}" for status, label in OUTCOMES]
    if count(CANCELLED[0]):
        parts.append(f"{CANCELLED[1]} {count(CANCELLED[0])}")
    waiting = sum(count(status) for status in WAITING)
    if waiting:
        parts.append(f"发送中 {waiting}")
    return ",".join(parts)
