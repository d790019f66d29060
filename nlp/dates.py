"""Dates said in words: 今天, 明晚, 后天, 周六 / 星期六 / 礼拜六, 下周三, 6月21日, 十二月一号, 21号.

Pure functions of the text and today's date (no clock is read here). "周六" means the coming
Saturday (today if today is Saturday); "这周六" the Saturday of this week, even if it has passed;
"下周六" the Saturday of next week, "上周六" that of last week; 昨天 and 前天 are past days (a
caller refuses them where only a coming day makes sense). When a text names several days,
the first one said counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

# The zone dates are counted in when a caller gives a bare instant (a UTC time) and no zone.
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
# A month-day that passed no longer ago than this is meant as that past day (so the resident
# can be told it has passed), not as the same day next year.
RECENT_PAST = timedelta(days=61)

_DAY_NAMES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE = {"今天": 0, "今儿": 0, "今日": 0, "今晚": 0, "今早": 0,
             "明天": 1, "明儿": 1, "明日": 1, "明晚": 1, "明早": 1,
             "后天": 2, "大后天": 3,
             "昨天": -1, "昨儿": -1, "昨日": -1, "昨晚": -1, "前天": -2, "大前天": -3}  # fmt: skip
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}  # fmt: skip

_CN = "[一二三四五六七八九十]{1,3}"
# Longest first, so that 大后天 is not read as 后天.
_RELATIVE_WORD = re.compile("|".join(sorted(_RELATIVE, key=len, reverse=True)))
_WEEKDAY = re.compile(r"(?<!每)(下下|下|这|本|上上|上个?|上)?(?:周|星期|礼拜)([一二三四五六日天])")
# A Chinese day needs its 号 / 日 ("十二月一份" is no date); a digit day may leave it out.
_MONTH_DAY = re.compile(
    rf"(?:(\d{{4}})\s*年\s*)?(?<!\d)(\d{{1,2}}|{_CN})\s*月\s*(?:(\d{{1,2}})\s*[日号]?|({_CN})\s*[日号])"
)
# "一日三餐" is no date, so a Chinese day alone needs 号. "10号楼", "3号床" are places.
_DAY_ONLY = re.compile(
    rf"(?<![\d月零一二三四五六七八九十两])(\d{{1,2}}\s*[日号]|{_CN}号)(?![楼栋幢床线院门房室窗单])"
)
# "3栋5号", "2单元6号", "我住8号": a door number right after an address word, not a day.
_ADDRESS_BEFORE = re.compile(r"(?:栋|幢|单元|楼|住|住在)$")
# A time of day written with digits, as staff write it: 9:00, 14：30, 9点半.
_TIME = re.compile(r"(\d{1,2})\s*[:：点时]\s*(\d{1,2}|半)?")
_HALF_DAY = re.compile(r"上午|早上|中午|下午|晚上|傍晚")
# Further ahead than this, a date is a slip of the keyboard (9999年), not a plan.
MAX_AHEAD = timedelta(days=731)


@dataclass(frozen=True)
class BadDate:
    """A day said in words that is not a real date (2月30号, 13月5号, 32号), as it was said."""

    words: str


def chinese_number(text: str) -> int | None:
    """Read 3, 十二, 二十, 三十一, 两, 俩 as a number (None if it is not one)."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if not text or any(c not in _DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            return None  # "二十二十" or "十十" are no numbers
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    if len(text) == 1:
        return _DIGITS[text]
    return None


def local_time(now: datetime, zone: tzinfo | None = None) -> datetime:
    """Return ``now`` as the wall-clock time in which "today" and "明天" are counted.

    With ``zone``, ``now`` is read in that zone (a naive ``now`` is taken to be in it). Without,
    a naive ``now`` or one in a named zone (a handler's local time) is already local; one with
    only a UTC offset (the dispatcher's UTC instant, ``--now 2026-11-25T23:30Z``) says nothing
    of where the resident is, so it is read in DEFAULT_ZONE.
    """
    if now.tzinfo is None:
        return now if zone is None else now.replace(tzinfo=zone)
    if zone is None and isinstance(now.tzinfo, ZoneInfo):
        return now
    return now.astimezone(zone or DEFAULT_ZONE)


def said_date(text: str, today: date) -> date | BadDate | None:
    """Return the first day a text names, BadDate if it is no real date, None if none is said."""
    found = [
        hit
        for hit in (
            _relative(text, today),
            _weekday(text, today),
            _month_day(text, today),
            _day_only(text, today),
        )
        if hit is not None
    ]
    return min(found, key=lambda hit: hit[0])[1] if found else None


def find_date(text: str, today: date) -> date | None:
    """Return the date a text names, or None if it names none or no real one."""
    said = said_date(text, today)
    return said if isinstance(said, date) else None


def _relative(text: str, today: date) -> tuple[int, date] | None:
    match = _RELATIVE_WORD.search(text)
    if not match:
        return None
    return match.start(), today + timedelta(days=_RELATIVE[match.group()])


def _weekday(text: str, today: date) -> tuple[int, date] | None:
    match = _WEEKDAY.search(text)
    if not match:
        return None
    prefix, name = match.groups()
    if prefix == "下" and text[max(0, match.start() - 1) : match.start()] == "一":
        prefix = None  # "订一下周五" is 订一下 + 周五, not 下周五
    target = _DAY_NAMES[name]
    monday = today - timedelta(days=today.weekday())
    if prefix is None:
        return match.start(), today + timedelta(days=(target - today.weekday()) % 7)
    weeks = {"这": 0, "本": 0, "下": 1, "下下": 2, "上": -1, "上个": -1, "上上": -2}[prefix]
    return match.start(), monday + timedelta(weeks=weeks, days=target)


def _month_day(text: str, today: date) -> tuple[int, date | BadDate] | None:
    match = _MONTH_DAY.search(text)
    if not match:
        return None
    year, month_word, day_digits, day_chinese = match.groups()
    month, day = chinese_number(month_word), chinese_number(day_digits or day_chinese)
    bad = BadDate(re.sub(r"\s+", "", match.group()))
    if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
        return match.start(), bad
    if year:
        try:
            return match.start(), date(int(year), month, day)
        except ValueError:
            return match.start(), bad
    return match.start(), _near_year(today, month, day) or bad


def _day_only(text: str, today: date) -> tuple[int, date | BadDate] | None:
    for match in _DAY_ONLY.finditer(text):
        if _ADDRESS_BEFORE.search(text[: match.start()]):
            continue
        words = re.sub(r"\s+", "", match.group())
        day = chinese_number(words[:-1])
        if day is None or not 1 <= day <= 31:
            return match.start(), BadDate(words)
        return match.start(), _next_day_of_month(today, day)
    return None


def _next_day_of_month(today: date, day: int) -> date:
    """Return the next date with this day of the month ("31号" skips months without a 31st)."""
    year, month = today.year, today.month
    while True:  # ends within 13 months: every day 1..31 comes round by then
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _near_year(today: date, month: int, day: int) -> date | None:
    """Return the first such date from RECENT_PAST ago on (last, this or next year), if real."""
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue  # 2月29日 in a year that has none
        if candidate >= today - RECENT_PAST:
            return candidate
    return None


_COUNTED = re.compile(r"(?<![0-9])([0-9]++|[一二两三四五六七八九十])\s*(?:个)?(?:人|位|口)(?!制)")
# 我们两个, 大人小孩两个, 我俩: a count of the party without 人.
_WE_COUNTED = re.compile(
    r"(?:我们|咱们|大人小孩|一家)\s*([两三四五六七八九十2-9])\s*个|([两三四2-4])\s*个\s*$"
)
_PAIR = re.compile(r"我俩|咱俩|我们俩|咱们俩|老两口|两口子|俩人|大人小孩|一大一小")
# 我和老伴, 给我跟孙子, 我和老伴和孙女: the speaker and the people named with them.
_KIN = (
    r"(?:老伴|老头子?|老太婆|老婆|老公|爱人|媳妇|对象|孩子|小孩|宝宝|孙子|孙女|外孙女?|儿子|女儿|"
    r"闺女|儿媳|女婿|妈妈?|爸爸?|母亲|父亲|奶奶|爷爷|外婆|外公|姥姥|姥爷|朋友|邻居|同事|姐姐|"
    r"妹妹|哥哥|弟弟|家人|老姐妹|老伙计)"
)
_WITH = re.compile(rf"我(?:和|跟|同|带着?)((?:{_KIN}[和跟、]?){{1,4}})")


def party_size(text: str) -> int | None:
    """Return how many people a sign-up is for, if said.

    "2 人", "两个人", "我和孩子两个", "我们两个", "给我和老伴报名" (2), "我和老伴和孙子" (3),
    "大人小孩两个" (2). "五人制足球" names a game, not a party.
    """
    if match := _COUNTED.search(text):
        return chinese_number(match.group(1))
    if match := _WE_COUNTED.search(text):
        return chinese_number(match.group(1) or match.group(2))
    if _PAIR.search(text):
        return 2
    if match := _WITH.search(text):
        return 1 + min(len(re.findall(_KIN, match.group(1))), 5)
    return None


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime | None] | None:
    """Read "12月3日 9:00-11:30" or "明天上午9点到下午1点半" as a local start (and end).

    None if there is no date and time, or the end is not after the start.
    """
    day = find_date(text, now.astimezone(zone).date())
    times = []
    for match in _TIME.finditer(text):
        hour, minute = int(match[1]), 30 if match[2] == "半" else int(match[2] or 0)
        markers = _HALF_DAY.findall(text[: match.start()])
        if markers and markers[-1] in ("下午", "晚上", "傍晚") and hour < 12:
            hour += 12  # 下午2点 is 14:00; a later 上午 resets it
        times.append((hour, minute))
    if day is None or not times or any(h > 23 or m > 59 for h, m in times):
        return None
    start = datetime.combine(day, time(*times[0]), zone)
    end = datetime.combine(day, time(*times[1]), zone) if len(times) > 1 else None
    if end is not None and end <= start:
        return None
    if start > now + MAX_AHEAD:
        return None  # 9999年12月31日 is a slip of the keyboard, not a plan
    return start, end
