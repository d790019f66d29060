"""A rating of how a problem was handled, in residents' words: 5, 五星, 满意, 给四分吧, 没解决.

Returns 1–5, or 0 for "not solved" (没解决, 还是没修好, 6), or None when the words are no
rating. Negations are read before what they negate (不满意 is not 满意). Pure.
"""

from __future__ import annotations

import re

from nlp.numbers import NUMERAL_CHARS, choice_number, value

UNSOLVED = 0
_UNSOLVED = re.compile(
    r"没有?(?:解决|修好|弄好|处理好|搞好|办好|管|人管|人来|效果|用)|还是(?:没|不|老样子)|又(?:坏|不行)|"
    r"问题还在|依旧|照旧没|根本没|等于没|白弄"
)
_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"很不满意|非常不满意|特别不满意|太差|很差|极差|差劲|糟糕|一点都不满意"), 1),
    (re.compile(r"不太满意|不满意|不怎么样|不好|不行|差"), 2),
    (
        re.compile(r"很满意|非常满意|特别满意|太满意|十分满意|太好了|非常好|特别好|完美|五星|满分"),
        5,
    ),
    (re.compile(r"一般|还行|凑合|马马虎虎|过得去|中等|一般般|还可以吧"), 3),
    (re.compile(r"满意|挺好|不错|好|可以|行|谢谢|感谢|辛苦"), 4),
)
_SCORE = re.compile(rf"([0-9{NUMERAL_CHARS}]+)\s*(?:分|星|颗星)")


def rating_of(text: str) -> int | None:
    """Return the rating the words give (0 = not solved), or None if they give none."""
    said = text.strip()
    if not said:
        return None
    number = choice_number(said)
    if number is not None:
        return _from_number(number)
    if (scored := _SCORE.search(said)) is not None:
        found = value(scored.group(1))
        return found if found is not None and 1 <= found <= 5 else None
    if _UNSOLVED.search(said):
        return UNSOLVED
    for pattern, score in _WORDS:
        if pattern.search(said):
            return score
    return None


def _from_number(number: int) -> int | None:
    """Read a typed number: 1–5 is the score, 6 (the last choice) is not solved."""
    if 1 <= number <= 5:
        return number
    return UNSOLVED if number == 6 else None
