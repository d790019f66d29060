"""Facts residents tell about themselves in passing: age or birth year, address, household.

``我今年八十二了 吃饭有没有优惠`` → age 82, and the rest, ``吃饭有没有优惠``, is what they ask.
``我是1944年生的`` → born 1944. ``我住五栋一单元三零二`` → 5栋1单元302. ``家里就我和老伴`` →
lives with 老伴; ``我一个人住`` → alone. Only the speaker's own facts count: ``我孙子今年五岁``
says nothing about the speaker. Pure: the current year is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.numbers import NUMERAL_CHARS, arabic, value

_N = rf"[0-9{NUMERAL_CHARS}]"
_ME = r"(?:我|俺|本人|老身|咱)"
# 我今年八十二了, 我82岁, 我都快九十了, 今年八十有二 (the last: not read), 我七十多岁了.
_AGE = re.compile(
    rf"(?:^|(?<=[,，。 !！?？]))(?:{_ME}(?:今年|已经|都|快|也)*|今年(?:我)?)(?:有|是)?"
    rf"(?P<age>{_N}{{1,4}}?)(?P<more>多)?(?:岁|周岁)?(?:了|啦|咯)?(?=$|[,，。 !！?？]|岁|"
    r"吃|订|能|可以|有|想|要|还|腿|身体|一个)"
)
# 我是1944年生的, 1944年出生, 我四四年的, 出生于1950年, 我是一九四四年生人.
_BIRTH = re.compile(
    rf"(?:{_ME}(?:是)?)?(?:出生于|出生在)?(?P<year>(?:19|20)\d\d|\d\d|[一][九零〇]{_N}{_N}|"
    rf"[零〇一二三四五六七八九]{{2}})年?(?:出生|生|生人|出生的|生的|的人)(?:的|人)?"
    rf"|{_ME}(?:是)?(?P<year2>(?:19|20)\d\d|\d\d|[一][九零〇]{_N}{_N}|[零〇一二三四五六七八九]{{2}})年的"
)
# 我住3栋2单元502, 我家在五栋一单元三零二, 我是3栋502的.
_ADDRESS = re.compile(
    rf"{_ME}(?:家)?(?:住|住在|在|是)(?:在)?\s*(?P<building>\d{{1,3}})\s*(?:栋|号楼|幢|座|号)"
    r"\s*(?:(?P<unit>\d{1,2})\s*单元)?\s*(?P<room>\d{2,5})?\s*(?:室|号|房)?(?:的)?"
)
_MEMBERS = (
    r"老伴|老头子?|老太婆|老婆|老公|爱人|媳妇|儿子|女儿|闺女|孙子|孙女|外孙|外孙女|保姆|"
    r"儿媳|女婿|老母亲|老父亲|妈|爸|母亲|父亲|孩子"
)
_ALONE = re.compile(rf"{_ME}(?:一个人|自己|独自|单独)(?:住|过|生活)|独居|就{_ME}一个人|孤寡")
_WITH = re.compile(
    rf"(?:{_ME}|家里(?:就|只有)?{_ME}?)(?:和|跟|同)(?P<members>(?:(?:{_MEMBERS})[、和跟]?)+)"
    rf"(?:两个人|三个人|俩|两口子|一起|两个)?(?:住|过|生活|在家)"
    rf"|家里(?:就|只有)(?:{_ME})?(?:和|跟)?(?P<members2>(?:(?:{_MEMBERS})[、和跟]?)+)"
    r"(?:两个人|三个人|俩|两口子|两个)?(?:住|过|生活|在家)?"
)
_FILLER = re.compile(r"^[\s,，。!！?？~～、.哦呢啊呀吧哈嘛了的]*$")


@dataclass(frozen=True)
class Facts:
    """What a message says about its sender, and the rest of the message."""

    birth_year: int | None = None
    # True when the age was given as "七十多": the birth year is the latest it can be.
    approximate: bool = False
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    # Who they live with; () when they live alone; None when not said.
    household: tuple[str, ...] | None = None
    rest: str = ""
    said: tuple[str, ...] = field(default_factory=tuple)

    @property
    def only_facts(self) -> bool:
        """Tell whether the message said nothing but these facts."""
        return bool(_FILLER.match(self.rest))


def facts(text: str, year: int) -> Facts | None:
    """Return the facts ``text`` tells about its sender, or None when it tells none."""
    found: dict[str, object] = {}
    spans: list[tuple[int, int]] = []
    if (birth := _birth(text, year)) is not None:
        found["birth_year"], span = birth
        spans.append(span)
    elif (age := _AGE.search(text)) is not None:
        years = value(age.group("age"))
        if years is not None and 40 <= years <= 115:
            found["birth_year"] = year - years
            found["approximate"] = bool(age.group("more"))
            spans.append(age.span())
    digits = arabic(text)
    if len(digits) == len(text) and (address := _ADDRESS.search(digits)) is not None:
        found["building"] = address.group("building")
        found["unit"] = address.group("unit")
        found["room"] = address.group("room")
        spans.append(address.span())
    if (alone := _ALONE.search(text)) is not None:
        found["household"] = ()
        spans.append(alone.span())
    elif (together := _WITH.search(text)) is not None:
        members = together.group("members") or together.group("members2") or ""
        found["household"] = tuple(dict.fromkeys(re.findall(_MEMBERS, members)))
        spans.append(together.span())
    if not found:
        return None
    rest = text
    for start, end in sorted(spans, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    said = tuple(text[a:b] for a, b in sorted(spans))
    return Facts(**found, rest=" ".join(rest.split()), said=said)  # type: ignore[arg-type]


def _birth(text: str, year: int) -> tuple[int, tuple[int, int]] | None:
    """Return a birth year said (1944, 四四年, 一九四四) and where it was said."""
    match = _BIRTH.search(text)
    if match is None:
        return None
    words = match.group("year") or match.group("year2")
    number = value(words)
    if number is None:
        return None
    if number < 100:  # 四四年 / 44年: the century that makes a plausible age
        number += 1900 if number > year % 100 else 2000
    if not year - 115 <= number <= year - 10:
        return None
    return number, match.span()
