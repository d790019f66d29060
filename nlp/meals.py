"""Meal-order details in words: which day, lunch or dinner, how many, delivered or not.

``明天中午订两份饭`` → 2026-11-26, lunch, 2, not delivered; ``要俩份午饭送到3栋`` → the next
lunch still open, 2, delivered. Pure: the reference time and the cut-offs are given.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from nlp.dates import find_date

MEALS = ("lunch", "dinner")
DEFAULT_CUTOFFS = {"lunch": time(10, 0), "dinner": time(15, 0)}

_LUNCH = re.compile(r"午饭|午餐|中饭|中午|午市|(?<!下)午")
_DINNER = re.compile(r"晚饭|晚餐|晚上|夜饭|晚")
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}  # fmt: skip
_NUMBER = r"-?\d+|[零一二两俩三四五六七八九十]+"
_QUANTITY = re.compile(rf"({_NUMBER})\s*(?:份|个人|口人|位|人|盒|个|碗)")
_BARE_QUANTITY = re.compile(rf"订\s*({_NUMBER})(?![月号日点])")
_COUPLE = re.compile(r"我和老伴|我跟老伴|老两口|我们俩|我俩|咱俩|和老伴")
_DELIVER = re.compile(r"送到|送上门|送家|送餐|送过来|送来|送一下|配送|外送|送")
_PICK_UP = re.compile(
    r"自己(去|来|过去)?(拿|取|吃)|自取|堂食|去食堂吃|过去吃|来吃|到食堂|不用送|不要送|不送|别送"
)


def chinese_number(text: str) -> int | None:
    """Read 3, 十二, 二十, 两, 俩 as a number (None if it is not one)."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if not text or any(c not in _DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    if len(text) == 1:
        return _DIGITS[text]
    return None


def quantity(text: str) -> int:
    """Return how many meals a message asks for (1 when it does not say)."""
    for match in _QUANTITY.finditer(text):
        value = chinese_number(match.group(1))
        if value is not None:
            return value
    match = _BARE_QUANTITY.search(text)
    if match and (value := chinese_number(match.group(1))) is not None:
        return value
    # "来俩", "午饭 俩": 俩 is two of whatever is ordered.
    return 2 if _COUPLE.search(text) or "俩" in text else 1


def meal_of(text: str) -> str | None:
    """Return "lunch" or "dinner" if the message names one."""
    if _DINNER.search(text):
        return "dinner"
    if _LUNCH.search(text):
        return "lunch"
    return None


def wants_delivery(text: str) -> bool:
    """Tell whether the message asks for the meal to be delivered."""
    if _PICK_UP.search(text):
        return False
    return bool(_DELIVER.search(text))


def _open(day: date, meal: str, now: datetime, cutoffs: dict[str, time]) -> bool:
    """Tell whether orders for that meal of that day are still taken at ``now``."""
    return datetime.combine(day, cutoffs[meal], now.tzinfo) > now


def order_slots(
    text: str, now: datetime, cutoffs: dict[str, time] | None = None
) -> dict[str, object]:
    """Return {"date", "meal", "quantity", "delivery"} for a meal order.

    No day and no meal: the next meal still open (today's lunch before its cut-off, else
    today's dinner, else tomorrow's lunch). A meal without a day: the next day it is open. A
    weekday said on that very day means today if that meal is still open, else next week.
    """
    cutoffs = cutoffs or DEFAULT_CUTOFFS
    today = now.date()
    meal = meal_of(text)
    day = find_date(text, today)
    weekday_named = day == today and re.search(r"(?:周|星期|礼拜)[一二三四五六日天]", text)
    if day is None:
        if meal is None:
            meal = next((m for m in MEALS if _open(today, m, now, cutoffs)), "lunch")
            day = today if _open(today, meal, now, cutoffs) else today + timedelta(days=1)
        else:
            day = today if _open(today, meal, now, cutoffs) else today + timedelta(days=1)
    elif meal is None:  # a day without a meal: its lunch, or its dinner once lunch is closed
        meal = next((m for m in MEALS if _open(day, m, now, cutoffs)), "lunch")
    meal = meal or "lunch"
    if weekday_named and not _open(day, meal, now, cutoffs):
        day += timedelta(days=7)
    return {
        "date": day.isoformat(),
        "meal": meal,
        "quantity": quantity(text),
        "delivery": wants_delivery(text),
    }


def date_slot(text: str, now: datetime) -> dict[str, object]:
    """Return {"date": ...} when a message names a day (menus, cancellations), else {}."""
    day = find_date(text, now.date())
    return {"date": day.isoformat()} if day else {}
