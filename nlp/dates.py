"""Dates said in words: 今天, 明天, 后天, 周六 / 星期六 / 礼拜六, 下周三, 6月21日, 21号.

Pure functions of the text and today's date (no clock is read here). "周六" means the coming
Saturday (today if today is Saturday); "下周六" the Saturday of next week.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_DAY_NAMES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE = {"今天": 0, "今儿": 0, "明天": 1, "明儿": 1, "后天": 2, "大后天": 3}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10}  # fmt: skip

_WEEKDAY = re.compile(r"(?<!每)(下下|下|这|本)?(?:周|星期|礼拜)([一二三四五六日天])")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
# "10号楼", "3号床" are places, not dates.
_DAY_ONLY = re.compile(r"(?<![\d月])(\d{1,2})\s*[日号](?![楼栋床线院门房室])")


def find_date(text: str, today: date) -> date | None:
    """Return the date a text names, or None if it names none."""
    for word in sorted(_RELATIVE, key=len, reverse=True):
        if word in text:
            return today + timedelta(days=_RELATIVE[word])
    match = _WEEKDAY.search(text)
    if match:
        prefix, name = match.groups()
        if prefix == "下" and text[max(0, match.start() - 1) : match.start()] == "一":
            prefix = None  # "订一下周五" is 订一下 + 周五, not 下周五
        target = _DAY_NAMES[name]
        if prefix in ("下", "下下"):
            monday = today - timedelta(days=today.weekday())
            weeks = 1 if prefix == "下" else 2
            return monday + timedelta(weeks=weeks, days=target)
        ahead = (target - today.weekday()) % 7
        return today + timedelta(days=ahead)
    match = _MONTH_DAY.search(text)
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        return _next(today, month, day)
    match = _DAY_ONLY.search(text)
    if match:
        return _next_day_of_month(today, int(match.group(1)))
    return None


def _next_day_of_month(today: date, day: int) -> date | None:
    """Return the next date with this day of the month ("31号" skips months without a 31st)."""
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next(today: date, month: int, day: int) -> date | None:
    """Return the next such date from today on (this year or the next), if it exists."""
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def party_size(text: str) -> int | None:
    """Return how many people a sign-up is for ("2 人", "两个人", "我和孩子两个"), if said."""
    # "五人制足球" names a game, not a party.
    match = re.search(r"([0-9]+|[一二两三四五六七八九十])\s*(?:个)?(?:人|位|口)(?!制)", text)
    if not match:
        return None
    raw = match.group(1)
    return int(raw) if raw.isdigit() else _CN_DIGITS.get(raw)
