"""Meal-order details in words: which day, lunch or dinner, how many, delivered or not.

``明天中午订两份饭`` → 2026-11-26, lunch, 2, not delivered; ``要俩份午饭送到3栋`` → the next
lunch still open, 2, delivered. Pure: the reference time and the cut-offs are given. Dates are
counted in the resident's local time: see ``nlp.dates.local_time`` for how ``now`` is read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from nlp.dates import BadDate, chinese_number, local_time, said_date

__all__ = ["MEALS", "chinese_number", "date_slot", "meal_of", "order_slots", "quantity"]

MEALS = ("lunch", "dinner")
DEFAULT_CUTOFFS = {"lunch": time(10, 0), "dinner": time(15, 0)}

# A dinner by name beats a lunch word ("中午订晚饭"); a lunch word beats any other 晚, which is
# often the time of speaking ("今晚订明天中午的饭").
_DINNER_NAME = re.compile(r"晚饭|晚餐|夜饭")
_LUNCH = re.compile(r"午饭|午餐|中饭|中午|午市|(?<!下)午")
_DINNER = re.compile(r"晚")
# "晚一点送" is about when, not which meal; "明晚点一份" is 明晚 + 点一份.
_LATER = re.compile(r"(?<![今明昨傍])晚(?:一点|一些|点|些)")
_NUMERAL = "零一二两俩三四五六七八九十"
# Possessive (++): a long run of digits is read once, not backtracked into (quadratic).
_NUMBER = rf"-?\d++|[{_NUMERAL}]++"
_QUANTITY = re.compile(rf"(?<![\d{_NUMERAL}])({_NUMBER})\s*(?:份|个人|口人|位|人|盒|个|碗)")
# The lookahead also refuses a shorter number: "订十二月" must not be read as 订十 + 二月.
_BARE_QUANTITY = re.compile(rf"订\s*({_NUMBER})(?![\d{_NUMERAL}]|\s*[月号日点])")
_COUPLE = re.compile(r"我和老伴|我跟老伴|老两口|我们俩|我俩|咱俩|和老伴")
# Only a bare weekday rolls on to next week: "这周三" means this week's, open or not.
_BARE_WEEKDAY = re.compile(r"(?<![这本])(?:周|星期|礼拜)[一二三四五六日天]")
_DELIVER = re.compile(r"送到|送上门|送家|送餐|送过来|送来|送一下|配送|外送|送")
_PICK_UP = re.compile(
    r"自己(去|来|过去)?(拿|取|吃)|自取|堂食|去食堂吃|过去吃|来吃|到食堂|不用送|不要送|不送|别送"
)


def quantity(text: str) -> int:
    """Return how many meals a message asks for (1 when it does not say)."""
    for match in _QUANTITY.finditer(text):
        value = chinese_number(match.group(1))
        if value is not None:
            return value
    bare = _BARE_QUANTITY.search(text)
    if bare and (value := chinese_number(bare.group(1))) is not None:
        return value
    # "来俩", "午饭 俩": 俩 is two of whatever is ordered.
    return 2 if _COUPLE.search(text) or "俩" in text else 1


def meal_of(text: str) -> str | None:
    """Return "lunch" or "dinner" if the message names one."""
    text = _LATER.sub("", text)
    if _DINNER_NAME.search(text):
        return "dinner"
    if _LUNCH.search(text):
        return "lunch"
    if _DINNER.search(text):
        return "dinner"
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
    text: str,
    now: datetime,
    cutoffs: dict[str, time] | None = None,
    zone: tzinfo | None = None,
) -> dict[str, object]:
    """Return {"date", "meal", "quantity", "delivery"} for a meal order, and "bad_date" if said.

    No day and no meal: the next meal still open (today's lunch before its cut-off, else
    today's dinner, else tomorrow's lunch). A meal without a day: the next day it is open. A
    weekday said on that very day means today if that meal is still open, else next week. A day
    said that is no real date (2月30号) adds "bad_date" with the words as said; "date" is then
    the default, as if no day had been said, and the caller should ask again.
    """
    cutoffs = cutoffs or DEFAULT_CUTOFFS
    now = local_time(now, zone)
    today = now.date()
    meal = meal_of(text)
    said = said_date(text, today)
    day = said if isinstance(said, date) else None
    weekday_named = day == today and _BARE_WEEKDAY.search(text)
    if day is None:
        if meal is None:
            meal = next((m for m in MEALS if _open(today, m, now, cutoffs)), "lunch")
        day = today if _open(today, meal, now, cutoffs) else today + timedelta(days=1)
    elif meal is None:  # a day without a meal: its lunch, or its dinner once lunch is closed
        meal = next((m for m in MEALS if _open(day, m, now, cutoffs)), "lunch")
    if weekday_named and not _open(day, meal, now, cutoffs):
        day += timedelta(days=7)
    slots: dict[str, object] = {
        "date": day.isoformat(),
        "meal": meal,
        "quantity": quantity(text),
        "delivery": wants_delivery(text),
    }
    if isinstance(said, BadDate):
        slots["bad_date"] = said.words
    return slots


def date_slot(text: str, now: datetime, zone: tzinfo | None = None) -> dict[str, object]:
    """Return the day a message names (menus, cancellations) as a slot.

    {} when no day is said, {"date": "2026-12-01"} for a real day, {"bad_date": "2月30号"}
    (the words as said) when the day said is not a real date.
    """
    said = said_date(text, local_time(now, zone).date())
    if isinstance(said, BadDate):
        return {"bad_date": said.words}
    return {"date": said.isoformat()} if said else {}
