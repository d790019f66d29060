"""The pure rules of polls: reading answers, skip rules, definitions, results in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.polls.results import chart_of, group_texts, results_text, tally
from handlers.polls.rules import (
    Answer,
    Kept,
    Problem,
    applies,
    next_question,
    no_longer_asked,
    read_answer,
)
from handlers.polls.specs import SpecError, read_spec, to_rows
from storage import polls, residents
from storage.engine import transaction
from storage.models import PollQuestion, PollResponse, QuestionKind

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


def choice(options: list[str], max_choices: int = 1, other: bool = False, **kw) -> PollQuestion:
    return PollQuestion(
        id=kw.pop("id", 1),
        position=kw.pop("position", 1),
        kind=QuestionKind.CHOICE,
        text="?",
        options=options,
        max_choices=max_choices,
        other=other,
        required=kw.pop("required", True),
        skip_if=kw.pop("skip_if", None),
    )


def test_numbers_words_and_buttons_read_as_choices() -> None:
    q = choice(["老年食堂", "儿童托管", "健身房"], max_choices=2, other=True)
    assert read_answer(q, "1 3") == Answer(choices=(1, 3))
    assert read_answer(q, "1、3") == Answer(choices=(1, 3))
    assert read_answer(q, "健身房") == Answer(choices=(3,))
    assert read_answer(q, "我想要健身房") == Answer(choices=(3,))
    assert read_answer(q, "老年食堂和健身房") == Answer(choices=(1, 3))
    assert read_answer(q, "4") == Answer(choices=(4,), needs_other_text=True)  # 其他


@pytest.mark.parametrize(
    ("said", "words"),
    [
        ("7", "没有第 7 项"),
        ("0", "没有第 0 项"),
        ("1 1 3", "写了两次"),
        ("1 2 3", "最多选 2 项"),
        ("", "需要回答"),
        ("   ", "需要回答"),
        ("电影院", "没看懂"),
        ("123456789012", "没看懂"),
    ],
)
def test_bad_choices_are_explained(said: str, words: str) -> None:
    q = choice(["老年食堂", "儿童托管", "健身房"], max_choices=2, other=True)
    found = read_answer(q, said)
    assert isinstance(found, Problem) and words in found.message, found


def test_nine_choices_on_a_max_three_question() -> None:
    q = choice([f"选项{i}" for i in range(1, 10)], max_choices=3)
    found = read_answer(q, "1 2 3 4 5 6 7 8 9")
    assert isinstance(found, Problem) and "最多选 3 项,您选了 9 项" in found.message


def test_ratings() -> None:
    q = PollQuestion(id=1, position=1, kind=QuestionKind.RATING, text="?", required=True)
    assert read_answer(q, "4") == Answer(rating=4)
    assert read_answer(q, "4分") == Answer(rating=4)
    assert read_answer(q, "五星") == Answer(rating=5)
    assert read_answer(q, "★★★") == Answer(rating=3)
    for bad in ("0", "6", "很好", "4.5"):
        assert isinstance(read_answer(q, bad), Problem), bad


def test_optional_questions_may_be_skipped_and_required_ones_not() -> None:
    optional = PollQuestion(id=1, position=1, kind=QuestionKind.TEXT, text="?", required=False)
    required = PollQuestion(id=1, position=1, kind=QuestionKind.TEXT, text="?", required=True)
    assert read_answer(optional, "跳过") == Answer(skipped=True)
    assert read_answer(required, "跳过") == Answer(text="跳过")  # words, like any other
    assert isinstance(read_answer(required, " "), Problem)
    assert isinstance(read_answer(required, "长" * 501), Problem)


def test_skip_rules_decide_what_comes_next() -> None:
    q1 = choice(["是", "否"], id=1, position=1)
    q2 = choice(["a", "b"], id=2, position=2, skip_if={"question": 1, "option": 2})
    q3 = choice(["a", "b"], id=3, position=3)
    questions = [q1, q2, q3]
    assert next_question(questions, {}) is q1
    assert next_question(questions, {1: Kept([1])}) is q2
    assert next_question(questions, {1: Kept([2])}) is q3  # Q2 skipped
    assert not applies(q2, {1: Kept([2])})
    # Q1 changed to 否 later: the answer to Q2 no longer applies.
    assert no_longer_asked(questions, {1: Kept([2]), 2: Kept([1]), 3: Kept([1])}) == [2]
    assert next_question(questions, {1: Kept([2]), 3: Kept([1])}) is None


def spec(**changes) -> dict:
    raw = {
        "title": "二楼做什么",
        "closes": "2026-12-20T18:00:00",
        "question": [
            {"text": "要什么?", "options": ["食堂", "托管", "其他"], "max": 2},
            {"text": "满意吗?", "kind": "rating"},
        ],
    }
    raw.update(changes)
    return raw


def test_a_definition_becomes_rows_in_local_time() -> None:
    poll, questions = to_rows(read_spec(spec()), 1, ZONE, NOW, "console:staff")
    assert poll.closes_at == datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    assert poll.opens_at == NOW and poll.audience == {"kind": "all"}
    assert [q.position for q in questions] == [1, 2]
    assert questions[0].options == ["食堂", "托管"] and questions[0].other  # 其他 takes words


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": ""}, "title"),
        ({"audience": "火星人"}, "看不懂的对象"),
        ({"question": []}, "question"),
        ({"question": [{"text": "?", "options": ["只有一个"]}]}, "2–9 个选项"),
        ({"question": [{"text": "?", "options": ["a", "a"]}]}, "重复"),
        ({"question": [{"text": "?", "options": ["a", "b"], "max": 3}]}, "最多可选 3 项"),
        ({"question": [{"text": "?", "kind": "rating", "options": ["a"]}]}, "只有选择题"),
        (
            {
                "question": [
                    {"text": "?", "options": ["a", "b"], "skip_if": {"question": 1, "option": 1}}
                ]
            },
            "前面的题目",
        ),
        ({"question": [{"text": "?", "kind": "essay"}]}, "第 1 题"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_definitions_name_their_mistake(changes: dict, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        read_spec(spec(**changes))
    assert words in str(caught.value), str(caught.value)


def test_times_that_cannot_be() -> None:
    with pytest.raises(SpecError, match="已经过去"):
        to_rows(read_spec(spec(closes="2026-11-01T18:00:00")), 1, ZONE, NOW, "")
    with pytest.raises(SpecError, match="之后"):
        later = spec(opens="2026-12-25T08:00:00")
        to_rows(read_spec(later), 1, ZONE, NOW, "")


def test_results_count_percent_mean_and_group_free_text() -> None:
    poll, questions = to_rows(read_spec(spec()), 1, ZONE, NOW, "")
    for i, q in enumerate(questions, 1):
        q.id = i
    rows = [
        (1, [1], None, "", False),
        (1, [1, 3], None, "电影院", False),
        (1, [2], None, "", False),
        (2, [], 5, "", False),
        (2, [], 4, "", False),
        (2, [], None, "", True),  # skipped: not counted
    ]
    results = tally(questions, rows)
    assert results[0].counts == [2, 1, 1] and results[0].answered == 3
    assert results[1].ratings == [0, 0, 0, 1, 1] and results[1].mean == 4.5
    text = results_text(poll, results, completed=3, audience=4)
    assert "应答率 75%(3/4 人)" in text
    assert "· 食堂:2(67%)" in text and "电影院" in text and "平均 4.5 分" in text
    chart = chart_of(poll, results, 3, 4)
    assert chart is not None and [b.value for b in chart.panels[0].bars] == [2, 1, 1]
    groups, words = group_texts(["小区停车位太少", "停车难", "希望多种树"])
    assert groups[0][0] == "停车" and len(groups[0][1]) == 2 and "停车" in " ".join(words)


async def test_forgetting_a_resident_keeps_their_answers_anonymously(app) -> None:
    async with transaction(app.maker) as session:
        resident = await residents.create(session, "console", "u1", display_name="张阿姨")
        resident.building, resident.room = "3", "502"
        poll, questions = to_rows(
            read_spec(spec(per_household=True)), resident.community_id or 1, ZONE, NOW, ""
        )
        poll.closes_at = NOW + timedelta(days=300)
        await polls.create(session, poll, questions)
        key = polls.respondent_key(poll, resident)
        await polls.start(session, poll.id, resident.id, key or "", NOW)
    async with transaction(app.maker) as session:
        found = await session.get(type(resident), resident.id)
        await residents.forget(session, found)
    async with transaction(app.maker) as session:
        kept = list(await session.scalars(select(PollResponse)))
    assert len(kept) == 1 and kept[0].resident_id is None
    assert kept[0].respondent == f"x{kept[0].id}"  # no address left
