"""Spot messages about an emergency happening now (someone trapped, gas, fire, a fall)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.tokenizer import normalize

# (kind, pattern). Order matters: the first kind that matches is reported.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "elevator",
        re.compile(
            r"电梯.{0,6}(困|关|卡)(住|了)?.{0,4}(人|我|老人|孩子|小孩)|困在电梯|电梯困人|关在电梯"
            r"|电梯.{0,12}(出不去|出不来|门打不开)"
        ),
    ),
    (
        "gas",
        re.compile(r"煤气味|燃气味|天然气味|漏气|煤气泄漏|燃气泄漏|天然气泄漏|闻到煤气|闻到燃气"),
    ),
    ("fire", re.compile(r"着火|起火|失火|火灾了|烧起来|冒烟了|浓烟|火警")),
    ("fall", re.compile(r"摔倒|跌倒|摔了一跤|晕倒|昏倒|倒地|起不来了|不省人事|没有呼吸|心脏病发")),
    ("injury", re.compile(r"受伤|流血|出血|骨折|被咬伤|触电|溺水|救命|打架|持刀|砍人")),
)
# Words that put the danger in the past, in the future, or in a plan: a suggestion, not a
# call for help. Feelings (怕, 担心) and requests (能不能, 应该怎么办) do not count: people in
# danger say them too.
_NOT_NOW = re.compile(
    r"上次|之前|以前|去年|前几天|上个月|上周|曾经|以后|万一|防止|预防|避免|隐患|演练|讲座|培训|知识"
)
# How close (in characters) such a word must be to the danger to change its meaning.
_NEAR = 8


@dataclass(frozen=True)
class Urgency:
    """What kind of emergency a message reports."""

    kind: str


def detect(text: str) -> Urgency | None:
    """Return the emergency a message reports as happening now, if any.

    When in doubt it reports one: a needless 110/119/120 reminder costs little, a missed
    emergency a great deal.
    """
    norm = normalize(text)
    for kind, pattern in _KINDS:
        for match in pattern.finditer(norm):
            around = norm[max(0, match.start() - _NEAR) : match.end() + _NEAR]
            if not _NOT_NOW.search(around):
                return Urgency(kind)
    return None
