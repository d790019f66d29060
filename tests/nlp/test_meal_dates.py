"""Dates and meals in meal orders: bad dates, Chinese numerals, addresses, zones, the past."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from nlp.dates import DEFAULT_ZONE, BadDate, find_date, local_time, said_date
from nlp.intents import understand
from nlp.meals import chinese_number, date_slot, meal_of, order_slots, quantity

# Monday 2026-11-23, 08:00 in Beijing: lunch (cut-off 10:00) and dinner (15:00) still open.
NOW = datetime(2026, 11, 23, 8, tzinfo=DEFAULT_ZONE)
TODAY = NOW.date()


def slots(text: str, now: datetime = NOW) -> dict[str, object]:
    return order_slots(text, now)


# 1. A day said that is no real date is told apart from no day said.


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("取消2月30号的饭", "2月30号"),
        ("2月30号订午饭", "2月30号"),
        ("13月5号订饭", "13月5号"),
        ("32号订饭", "32号"),
        ("4月31日的菜单", "4月31日"),
        ("二月三十号订饭", "二月三十号"),
        ("2月29号订饭", "2月29号"),  # neither 2026 nor 2027 has one
    ],
)
def test_a_day_that_is_no_date_is_reported_as_said(text: str, words: str) -> None:
    assert said_date(text, TODAY) == BadDate(words)
    assert find_date(text, TODAY) is None
    assert date_slot(text, NOW) == {"bad_date": words}
    got = slots(text)
    assert got["bad_date"] == words
    assert got["date"] == "2026-11-23"  # the default, which the handler must not use


def test_no_day_said_and_a_real_day_said() -> None:
    assert said_date("订一份午饭", TODAY) is None
    assert date_slot("订一份午饭", NOW) == {}
    assert "bad_date" not in slots("订一份午饭")
    assert date_slot("26号订午饭", NOW) == {"date": "2026-11-26"}
    assert "bad_date" not in slots("26号订午饭")


def test_a_leap_day_is_real_in_a_leap_year() -> None:
    assert find_date("2月29号", date(2027, 11, 23)) == date(2028, 2, 29)


# 2. Chinese numerals in dates, and not read as quantities.


def test_chinese_numeral_dates() -> None:
    got = slots("订十二月一号的午饭")
    assert (got["date"], got["meal"], got["quantity"]) == ("2026-12-01", "lunch", 1)
    assert date_slot("十二月一号的饭不要了", NOW) == {"date": "2026-12-01"}
    assert find_date("一月二十一日", TODAY) == date(2027, 1, 21)
    assert find_date("12月十五号", TODAY) == date(2026, 12, 15)
    assert find_date("二十号订饭", TODAY) == date(2026, 12, 20)
    assert find_date("三十一号", TODAY) == date(2026, 12, 31)
    assert find_date("一号", TODAY) == date(2026, 12, 1)


def test_chinese_words_that_are_no_dates() -> None:
    assert find_date("一日三餐", TODAY) is None  # a Chinese day alone needs 号
    assert find_date("送到一号楼", TODAY) is None
    assert find_date("三个月", TODAY) is None


def test_a_date_is_not_a_quantity() -> None:
    assert quantity("订十二月一号的午饭") == 1
    assert quantity("订25号的饭") == 1
    assert quantity("订三十一号的午饭") == 1
    assert quantity("订十二份") == 12
    assert quantity("订十二月一号的午饭两份") == 2
    assert chinese_number("三十一") == 31
    assert chinese_number("十十") is None


# 3. Door numbers are not days.


@pytest.mark.parametrize(
    "text", ["订饭送到3栋5号", "订两份饭 我住8号", "我住在8号 订饭", "送到2单元6号", "3号楼5号订饭"]
)
def test_a_door_number_is_no_date(text: str) -> None:
    assert said_date(text, TODAY) is None
    assert slots(text)["date"] == "2026-11-23"


def test_days_next_to_addresses_still_count() -> None:
    assert slots("26号订午饭")["date"] == "2026-11-26"
    assert slots("12月1号订午饭")["date"] == "2026-12-01"
    assert slots("26号订午饭送到3栋5号")["date"] == "2026-11-26"


# 4. 明晚, 明早, 今晚, 今早, 明儿, 今儿.


def test_short_day_words() -> None:
    assert (slots("明晚订一份")["date"], slots("明晚订一份")["meal"]) == ("2026-11-24", "dinner")
    assert (slots("明早订饭")["date"], slots("明早订饭")["meal"]) == ("2026-11-24", "lunch")
    assert (slots("今晚订饭")["date"], slots("今晚订饭")["meal"]) == ("2026-11-23", "dinner")
    assert slots("今早订饭")["date"] == "2026-11-23"
    assert slots("明儿中午订饭")["date"] == "2026-11-24"
    assert slots("今儿订饭")["date"] == "2026-11-23"
    assert slots("明晚点一份")["meal"] == "dinner"  # 明晚 + 点一份, not 晚点


# 5. The first day said wins.


def test_the_first_day_said_wins() -> None:
    assert slots("明天中午订两份 今天的不要")["date"] == "2026-11-24"
    assert find_date("今天不要了,改成明天", TODAY) == TODAY
    assert find_date("周五或者明天", TODAY) == date(2026, 11, 27)
    assert find_date("26号,不是周五", TODAY) == date(2026, 11, 26)


# 6. 晚一点 is when, not dinner.


def test_later_is_not_dinner() -> None:
    got = slots("明天中午订两份饭晚一点送过来")
    assert (got["date"], got["meal"], got["quantity"]) == ("2026-11-24", "lunch", 2)
    assert meal_of("午饭晚点送") == "lunch"
    assert meal_of("午饭晚些送来") == "lunch"
    assert meal_of("今晚订明天中午的饭") == "lunch"
    assert meal_of("晚上订一份") == "dinner"
    assert meal_of("中午订晚饭") == "dinner"
    assert meal_of("下午订一份晚餐") == "dinner"


# 7. A UTC reference time is read in Beijing.


def test_a_utc_now_is_read_in_beijing() -> None:
    utc = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # 07:30 on the 26th in Beijing
    assert date_slot("明天的饭不要了", utc) == {"date": "2026-11-27"}
    got = order_slots("订一份", utc)
    assert (got["date"], got["meal"]) == ("2026-11-26", "lunch")
    assert understand("明天的菜单", now=utc).slots == {"date": "2026-11-27"}
    offset = datetime(2026, 11, 25, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert date_slot("明天", offset) == {"date": "2026-11-27"}  # 12:30 on the 26th in Beijing


def test_a_named_zone_or_an_explicit_zone_is_kept() -> None:
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    late = datetime(2026, 11, 25, 23, 30, tzinfo=tokyo)  # a handler's local time
    assert local_time(late) == late
    assert date_slot("明天", late) == {"date": "2026-11-26"}
    utc = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo, 22:30 in Beijing
    assert date_slot("明天", utc, zone=tokyo) == {"date": "2026-11-26"}
    assert local_time(datetime(2026, 11, 25, 8)).tzinfo is None  # naive: local already
    assert date_slot("明天", datetime(2026, 11, 25, 8)) == {"date": "2026-11-26"}


# 8. A day that passed lately is that past day.


def test_a_month_day_lately_passed_is_in_the_past() -> None:
    december = datetime(2026, 12, 5, 8, tzinfo=DEFAULT_ZONE)
    assert slots("12月1号订午饭", december)["date"] == "2026-12-01"
    assert date_slot("十二月一号的饭不要了", december) == {"date": "2026-12-01"}
    assert find_date("11月20日", date(2026, 12, 5)) == date(2026, 11, 20)
    assert find_date("1月3号", date(2026, 12, 28)) == date(2027, 1, 3)
    assert find_date("3月1号", date(2026, 11, 25)) == date(2027, 3, 1)
    assert find_date("12月20号", date(2027, 1, 5)) == date(2026, 12, 20)
    assert find_date("2027年1月3号", TODAY) == date(2027, 1, 3)


def test_this_week_is_this_week() -> None:
    wednesday = date(2026, 11, 25)
    assert find_date("这周一", wednesday) == date(2026, 11, 23)
    assert find_date("本周五", wednesday) == date(2026, 11, 27)
    assert find_date("周一", wednesday) == date(2026, 11, 30)
    late = datetime(2026, 11, 25, 16, tzinfo=DEFAULT_ZONE)  # Wednesday, both meals closed
    assert slots("这周三的晚饭", late)["date"] == "2026-11-25"
    assert slots("周三的晚饭", late)["date"] == "2026-12-02"


# What worked before keeps working.


def test_day_words_that_worked_before() -> None:
    sunday = date(2026, 11, 29)
    assert find_date("下周一", sunday) == date(2026, 11, 30)
    assert find_date("周日", TODAY) == date(2026, 11, 29)
    assert find_date("星期天", TODAY) == date(2026, 11, 29)
    assert find_date("礼拜三", TODAY) == date(2026, 11, 25)
    assert find_date("大后天", TODAY) == date(2026, 11, 26)
    assert find_date("下下周一", TODAY) == date(2026, 12, 7)
    assert find_date("下礼拜一", TODAY) == date(2026, 11, 30)
    assert find_date("订一下周五", TODAY) == date(2026, 11, 27)
    assert find_date("每周三", TODAY) is None
    assert find_date("10号楼", TODAY) is None
    assert find_date("明天", TODAY) == date(2026, 11, 24)
    assert find_date("11月26日", TODAY) == date(2026, 11, 26)
    got = slots("后天晚上订两份")
    assert (got["date"], got["meal"], got["quantity"]) == ("2026-11-25", "dinner", 2)
