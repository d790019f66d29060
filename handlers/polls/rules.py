"""The rules of answering: reading an answer, checking it, skip rules, what comes next.

Pure functions over questions and answers: no session, no sending. An answer is read from
numbers (``1 3``, ``1、3``), an option's words (``健身房``), a rating (``4``, ``4分``, ``四``) or
free text; anything that cannot be taken comes back as a kind sentence saying what to send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nlp.numbers import choice_number
from storage.models import PollQuestion, QuestionKind

MAX_TEXT = 500
OTHER_LABEL = "其他"
SKIP_WORDS = {"跳过", "不答", "不填", "略过", "没有", "无"}
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_NEGATIONS = ("不", "没", "别", "非", "无", "未")
_SEPARATORS = re.compile(r"[\s,,、;;/和及]+")


@dataclass(frozen=True)
class Answer:
    """An answer as read from a message, ready to keep."""

    choices: tuple[int, ...] = ()
    rating: int | None = None
    text: str = ""
    skipped: bool = False
    # The "其他" option was chosen without its words: ask for them next.
    needs_other_text: bool = False


@dataclass(frozen=True)
class Problem:
    """Why a message cannot be taken as the answer, said kindly, with what to send instead."""

    message: str


@dataclass
class Kept:
    """A kept answer in the plain form the rules read (from storage's PollAnswer)."""

    choices: list[int] = field(default_factory=list)
    rating: int | None = None
    text: str = ""
    skipped: bool = False


def labels(question: PollQuestion) -> list[str]:
    """Return the options as residents see them, "其他" last when it is offered."""
    return [*map(str, question.options), *([OTHER_LABEL] if question.other else [])]


def other_number(question: PollQuestion) -> int | None:
    """Return the option number of "其他" (None if not offered)."""
    return len(question.options) + 1 if question.other else None


def how_to_answer(question: PollQuestion) -> str:
    """Return the line that tells a resident how to answer this question."""
    if question.kind == QuestionKind.RATING:
        line = "请回复 1 到 5 的分数(5 分最满意)。"
    elif question.kind == QuestionKind.TEXT:
        line = "请直接写下您的想法。"
    elif question.max_choices > 1:
        n = min(question.max_choices, len(labels(question)))
        line = f"可多选,最多 {n} 项:回复编号,用空格隔开,例如“1 3”。"
    else:
        line = f"请回复 1 到 {len(labels(question))} 中的一个编号,或直接写选项。"
    return line if question.required else line + "这题可以不答,回复“跳过”。"


def read_answer(question: PollQuestion, text: str) -> Answer | Problem:
    """Read a message as the answer to ``question``."""
    said = text.strip()
    if not said:
        return Problem("这道题需要回答。" + how_to_answer(question))
    if not question.required and said in SKIP_WORDS:
        return Answer(skipped=True)
    if question.kind == QuestionKind.RATING:
        return _read_rating(question, said)
    if question.kind == QuestionKind.TEXT:
        if len(said) > MAX_TEXT:
            return Problem(f"写得太长了(最多 {MAX_TEXT} 字),请精简一下再发。")
        return Answer(text=said)
    return _read_choices(question, said)


def _read_rating(question: PollQuestion, said: str) -> Answer | Problem:
    found = re.fullmatch(r"([0-9]{1,3}|[一二两三四五六七八九十])\s*(?:分|星|颗星)?", said)
    stars = said.count("★") or said.count("⭐")
    if stars and set(said) <= {"★", "⭐", "☆", " "}:
        return Answer(rating=stars) if 1 <= stars <= 5 else Problem(how_to_answer(question))
    if not found:
        return Problem(f"没看懂“{said[:20]}”。" + how_to_answer(question))
    value = _CHINESE_DIGITS.get(found[1]) or (int(found[1]) if found[1].isdigit() else 0)
    if not 1 <= value <= 5:
        return Problem(f"分数只能是 1 到 5,您写的是“{found[1]}”。" + how_to_answer(question))
    return Answer(rating=value)


def _read_choices(question: PollQuestion, said: str) -> Answer | Problem:
    names = labels(question)
    picked = _numbers(said) if re.fullmatch(r"[\d\s,,、;;/]+", said) else None
    if picked is None:
        picked = _chinese_numbers(said)  # 一, 一 三, 第二个
    if picked is None:
        picked = _words(names, said)
    if picked is None:
        return Problem(f"没看懂“{said[:20]}”。" + how_to_answer(question))
    if not picked:
        return Problem("请至少选一项。" + how_to_answer(question))
    outside = [n for n in picked if not 1 <= n <= len(names)]
    if outside:
        return Problem(f"没有第 {outside[0]} 项:请回复 1 到 {len(names)} 之间的编号。")
    if len(set(picked)) != len(picked):
        twice = next(n for n in picked if picked.count(n) > 1)
        return Problem(f"第 {twice} 项写了两次;每个编号写一次就好。请重新回复。")
    limit = question.max_choices
    if len(picked) > limit:
        if limit == 1:
            return Problem(f"这题只能选一项。{how_to_answer(question)}")
        return Problem(f"这题最多选 {limit} 项,您选了 {len(picked)} 项。请重新回复。")
    other = other_number(question)
    return Answer(choices=tuple(picked), needs_other_text=other is not None and other in picked)


def _chinese_numbers(said: str) -> list[int] | None:
    """Read choices said as Chinese numbers (一, 一 三, 一、三, 第二个), or None."""
    parts = [p for p in _SEPARATORS.split(said) if p]
    found = [choice_number(p) for p in parts]
    if not parts or any(n is None for n in found):
        return None
    return [n for n in found if n is not None]


def _numbers(said: str) -> list[int] | None:
    parts = [n for n in _SEPARATORS.split(said) if n]
    # Nine digits keep a typed number inside every integer range; more is no option number.
    if any(not n.isdigit() or len(n) > 9 for n in parts):
        return None
    return [int(n) for n in parts]


def _words(names: Sequence[str], said: str) -> list[int] | None:
    """Match options by their words: the whole message, or each part of a list of them.

    A part names an option if it is the option, or holds it ("我想要健身房"); of options held
    one inside another (满意, 不满意) the longest counts. A negation the option lacks ("不太满意"
    holds 满意) is no match: guessing would record the opposite of what was meant.
    """
    exact = [i for i, name in enumerate(names, 1) if said == name]
    if exact:
        return exact
    picked = []
    for part in (p for p in _SEPARATORS.split(said) if p):
        hits = [i for i, name in enumerate(names, 1) if part == name]
        if not hits:
            held = [i for i, name in enumerate(names, 1) if name in part or part in name]
            longest = [
                i for i in held if not any(names[i - 1] in names[j - 1] for j in held if j != i)
            ]
            hits = [i for i in longest if not _negates(part, names[i - 1])]
        if len(hits) != 1:
            return None
        picked.append(hits[0])
    return picked


def _negates(said: str, option: str) -> bool:
    """Tell whether the words say "not" where the option does not (不太满意 vs 满意)."""
    return any(word in said and word not in option for word in _NEGATIONS)


def applies(question: PollQuestion, by_position: Mapping[int, Kept]) -> bool:
    """Tell whether a question is asked, given the answers before it (its skip rule)."""
    rule: dict[str, Any] | None = question.skip_if
    if not rule:
        return True
    earlier = by_position.get(int(rule["question"]))
    return earlier is None or int(rule["option"]) not in earlier.choices


def next_question(
    questions: Sequence[PollQuestion], by_position: Mapping[int, Kept]
) -> PollQuestion | None:
    """Return the first question still to answer (None: the response is complete)."""
    for question in questions:
        if question.position not in by_position and applies(question, by_position):
            return question
    return None


def no_longer_asked(
    questions: Sequence[PollQuestion], by_position: Mapping[int, Kept]
) -> list[int]:
    """Return the ids of answered questions that a changed answer now skips."""
    return [q.id for q in questions if q.position in by_position and not applies(q, by_position)]


def describe_answer(question: PollQuestion, kept: Kept) -> str:
    """Return an answer in words, as a resident reads it back."""
    if kept.skipped:
        return "(未答)"
    if question.kind == QuestionKind.RATING:
        return f"{kept.rating} 分" if kept.rating is not None else ""
    if question.kind == QuestionKind.TEXT:
        return kept.text
    names = labels(question)
    other = other_number(question)
    return "、".join(
        f"{OTHER_LABEL}:{kept.text}" if n == other and kept.text else names[n - 1]
        for n in sorted(kept.choices)
        if 1 <= n <= len(names)
    )


def check_skip_rule(rule: Mapping[str, Any], position: int, earlier: Sequence[PollQuestion]) -> str:
    """Return what is wrong with a skip rule for the question at ``position`` ("" if nothing)."""
    target = next((q for q in earlier if q.position == int(rule.get("question", 0))), None)
    if target is None or target.position >= position:
        return "跳题规则只能看前面的题目"
    if target.kind != QuestionKind.CHOICE:
        return f"第 {target.position} 题不是选择题,不能按它跳题"
    if not 1 <= int(rule.get("option", 0)) <= len(labels(target)):
        return f"第 {target.position} 题没有第 {rule.get('option')} 个选项"
    return ""
