"""Numbers as residents say them: 一, 十一, 第三个, 两, 俩, 一九四四, 三零二, 一三八一二三四….

Seniors type and speak numbers in Chinese as often as in digits, and speech recognition writes
what it hears. Each reader here takes the words of one slot (a choice, a year, a phone number, a
door number, a time) and gives digits, or None when the words are not such a number.
"""

from __future__ import annotations

import re
import unicodedata

DIGIT_OF = {"零": 0, "〇": 0, "○": 0, "洞": 0, "一": 1, "幺": 1, "壹": 1, "二": 2, "两": 2,
            "俩": 2, "贰": 2, "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6,
            "陆": 6, "七": 7, "柒": 7, "拐": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}  # fmt: skip
UNIT_OF = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
NUMERAL_CHARS = "".join(DIGIT_OF) + "".join(UNIT_OF)
# A run of digits or numeral characters (the unit of every reader below).
NUMBER_RUN = re.compile(rf"[0-9{NUMERAL_CHARS}]+")
_CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)}  # ① … ⑳

# Words around a number that say "the Nth" or "number N" without changing it.
_ORDINAL = re.compile(
    r"^(?:我?选|选择|要|就|是|回复|第|编号|号码?|No\.?|#)*\s*"
    r"(?P<n>[0-9" + NUMERAL_CHARS + r"]+)\s*"
    r"(?:个|项|条|号|种|位|次|吧|啊|呀|哈|的|。|\.|!|！|、)*$",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Fold full-width digits and circled numbers to ASCII digits."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(_CIRCLED.get(c, c) for c in text)


def value(words: str) -> int | None:
    """Read one number said in digits or Chinese: 12, 十二, 二十一, 一百零五, 两千, 一九四四.

    A run of numeral characters without 十/百/千 is read digit by digit (一九四四 is 1944,
    三零二 is 302); a single one is its value (三 is 3).
    """
    words = fold(words).strip()
    if not words:
        return None
    if words.isdigit():
        return int(words)
    if any(c not in DIGIT_OF and c not in UNIT_OF and not c.isdigit() for c in words):
        return None
    if not any(c in UNIT_OF for c in words):
        return int("".join(str(DIGIT_OF.get(c, c)) for c in words))
    return _positional(words)


def _positional(words: str) -> int | None:
    """Read 十一, 二十, 一百零五, 三千二百 (units descending, each used once)."""
    total, digit, last_unit = 0, None, 10_000
    for c in words:
        if c in UNIT_OF:
            unit = UNIT_OF[c]
            if unit >= last_unit:
                return None  # 十十, 十百: no number
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            found = DIGIT_OF[c] if c in DIGIT_OF else int(c)
            if found == 0 and digit is None:
                continue  # 一百零五: 零 only holds a place
            if digit is not None:
                return None  # 二三十: two digits in a row beside units
            digit = found
    return total + (digit or 0)


def choice_number(text: str) -> int | None:
    """Read a typed choice: 1, 一, 第一个, 第1个, 选1, 1号, ①, 十一 (None otherwise)."""
    said = fold(text).strip().rstrip("。.!！~～")
    match = _ORDINAL.match(said)
    if not match:
        return None
    found = value(match.group("n"))
    return found if found is not None and 0 <= found <= 999 else None


def phone_digits(text: str) -> str:
    """Return the digits of a phone number said in any mix of digits and Chinese digits.

    一三八 一二三四 五六七八 → 13812345678; spaces, dashes and words around are dropped.
    """
    said = fold(text)
    return "".join(
        str(DIGIT_OF[c]) if c in DIGIT_OF else c for c in said if c.isdigit() or c in DIGIT_OF
    )


def arabic(text: str) -> str:
    """Rewrite every run of Chinese numerals in ``text`` as digits (五栋一单元三零二 → 5栋1单元302).

    For slot words only (addresses, times, years), never for a whole free-text message:
    一起, 一下 and 万一 would be rewritten too.
    """

    def rewrite(match: re.Match[str]) -> str:
        found = value(match.group())
        return match.group() if found is None else str(found)

    return NUMBER_RUN.sub(rewrite, fold(text))


_CLOCK = re.compile(
    rf"^(?:上午|早上|下午|晚上|中午)?\s*([0-9{NUMERAL_CHARS}]{{1,3}})\s*(?:点|时|:|：)\s*"
    rf"(半|一刻|三刻|[0-9{NUMERAL_CHARS}]{{1,3}})?\s*(?:分)?(?:的|那个)?$"
)


def clock(text: str) -> str | None:
    """Read a time of day said in words (九点半, 9点15, 下午两点, 10:45) as ``HH:MM``."""
    said = fold(text).strip()
    match = _CLOCK.match(said)
    if not match:
        return None
    hour = value(match.group(1))
    minute_words = match.group(2)
    minute = {"半": 30, "一刻": 15, "三刻": 45}.get(minute_words or "")
    if minute is None:
        minute = value(minute_words) if minute_words else 0
    if hour is None or minute is None:
        return None
    if said.startswith(("下午", "晚上")) and hour < 12:
        hour += 12
    return f"{hour:02d}:{minute:02d}" if 0 <= hour <= 23 and 0 <= minute <= 59 else None
