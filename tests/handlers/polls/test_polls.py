"""Polls and questionnaires residents answer in chat, and staff create, close and count."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage import polls as store
from storage.models import Poll, PollAnswer, PollQuestion, PollResponse
from tests.support import ZONE
from tests.support.chat import make_staff
from tests.support.polls import (
    NOW,
    RATING,
    SKIPPING,
    Person,
    answers_of,
    community,
    make_poll,
    resident,
)

SINGLE = {"text": "二楼最想先做成什么?", "options": ["健身房", "图书室", "老年食堂", "儿童游乐室"]}
MULTI = {
    "text": "您家平时会用到哪些服务?",
    "options": ["快递代收", "家电维修", "理发"],
    "other": True,
    "max": 2,
}
QUESTIONNAIRE = [SINGLE, MULTI, RATING]


async def staff_member(app, name: str = "小王", community_id: int | None = None) -> Person:

    if community_id is None:
        community_id = await community(app)
    await make_staff(app, name, community_id=community_id)
    person = Person(app, name)
    await person.say("你好")
    return person


async def stored(app, poll_id: int | None = None) -> tuple[list[tuple], list[tuple]]:
    """Every response and answer (of one poll, or all), to compare before and after."""
    async with app.read_maker() as session:
        responses = select(PollResponse).order_by(PollResponse.id)
        answers = select(PollAnswer).join(PollResponse).order_by(PollAnswer.id)
        if poll_id is not None:
            responses = responses.where(PollResponse.poll_id == poll_id)
            answers = answers.where(PollResponse.poll_id == poll_id)
        return (
            [
                (r.id, r.resident_id, r.respondent, r.completed_at is not None)
                for r in await session.scalars(responses)
            ],
            [
                (a.response_id, a.question_id, list(a.choices), a.rating, a.text, a.skipped)
                for a in await session.scalars(answers)
            ],
        )


async def responses(app, poll_id: int) -> list[tuple[str, bool]]:
    """(respondent, complete) of each response to a poll."""
    return [(who, done) for _, _, who, done in (await stored(app, poll_id))[0]]


async def count(app, model: type) -> int:
    async with app.read_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# Listing and audience -----------------------------------------------------------------------


async def test_polls_lists_starts_the_only_one_or_says_none(app) -> None:
    me = await resident(app, "张阿姨")
    assert "现在没有需要您填写的问卷" in await me.text("问卷")
    await make_poll(app, QUESTIONNAIRE)
    first = await me.shown("问卷")
    assert "“服务中心二楼做什么”" in first and "共 3 题" in first
    assert (
        "第 1/3 题" in first
        and "二楼最想先做成什么" in first
        and "回复数字:\n1 健身房\n2 图书室" in first
    )
    await me.say("0")
    await make_poll(app, [RATING], title="物业服务评分", closes=NOW + timedelta(days=2))
    listing = await me.shown("/polls")
    assert "现在可以填写的问卷" in listing
    assert "1. 物业服务评分(未填" in listing  # closing soonest first
    assert "2. 服务中心二楼做什么(未填" in listing  # opened, nothing answered yet
    assert "第 1/1 题" in await me.text("1")


async def test_a_poll_for_another_building_is_not_offered_nor_opened(app) -> None:
    poll, _ = await make_poll(app, [SINGLE], title="3栋电梯加装投票", audience="3栋")
    five = await resident(app, "五栋李叔", "telegram", building="5", unit="1", room="101")
    three = await resident(app, "三栋王姐", "telegram", building="3", unit="1", room="101")
    assert "现在没有需要您填写的问卷" in await five.text("问卷")
    refused = await five.text(button=f"poll:open:{poll}")
    assert "是请3栋的居民填写的,这次不用您填" in refused
    assert await count(app, PollResponse) == 0
    assert "第 1/1 题" in await three.text("问卷")


async def test_an_age_poll_and_a_poll_not_open_yet(app) -> None:
    seniors, _ = await make_poll(app, [RATING], title="助老服务评分", audience="60岁以上")
    later, _ = await make_poll(app, [SINGLE], title="明天的投票", opens=NOW + timedelta(days=1))
    old = await resident(app, "赵大爷", "telegram", birth_year=1950)
    young = await resident(app, "小刘", "telegram", birth_year=1995)
    assert "第 1/1 题(评分)" in await old.text("问卷")
    assert "现在没有需要您填写的问卷" in await young.text("问卷")
    assert "是请60 岁以上的居民填写的" in await young.text(button=f"poll:open:{seniors}")
    assert "11月4日(周二)10:00 才开始,到时会通知您" in await young.text(button=f"poll:open:{later}")
    assert await responses(app, later) == [] and await responses(app, seniors) == [("r1", False)]


# Answering ----------------------------------------------------------------------------------


async def test_answering_by_numbers_on_console(app) -> None:
    poll, _ = await make_poll(app, QUESTIONNAIRE)
    me = await resident(app, "张阿姨")
    await me.say("问卷")
    second = await me.shown("1")
    assert "第 2/3 题(可多选,最多 2 项)" in second and "4. 其他" in second
    assert "请写下具体内容" in await me.text("1 4")
    third = await me.shown("帮忙取药")
    assert "第 3/3 题(评分)" in third and "回复数字:\n1 1分\n2 2分" in third
    done = await me.text("4")
    assert "已提交,谢谢您!" in done and "11月10日(周一)10:00 截止前可以发送“修改答案”" in done
    assert "1. 二楼最想先做成什么? → 健身房" in done
    assert "2. 您家平时会用到哪些服务? → 快递代收、其他:帮忙取药" in done
    assert "3. 您对现在的服务中心满意吗? → 4 分" in done
    assert await answers_of(app, poll, "张阿姨") == {
        1: ([1], None, "", False),
        2: ([1, 4], None, "帮忙取药", False),
        3: ([], 4, "", False),
    }
    assert await responses(app, poll) == [("r1", True)]


async def test_answering_in_words(app) -> None:
    poll, _ = await make_poll(app, QUESTIONNAIRE)
    me = await resident(app, "李叔叔")
    await me.say("问卷")
    assert "第 2/3 题" in await me.text("健身房")
    assert "第 3/3 题" in await me.text("家电维修、理发")
    assert "已提交" in await me.text("五星")
    assert await answers_of(app, poll, "李叔叔") == {
        1: ([1], None, "", False),
        2: ([2, 3], None, "", False),
        3: ([], 5, "", False),
    }


async def test_answering_by_buttons_on_telegram(app) -> None:
    poll, (q1, q2, q3) = await make_poll(app, QUESTIONNAIRE)
    me = await resident(app, "王妈妈", "telegram")
    text, data = await me.buttons("问卷")
    assert "第 1/3 题(单选)" in text
    assert data == [f"pa:{poll}:{q1}:{n}" for n in range(1, 5)]
    text, data = await me.buttons(button=f"pa:{poll}:{q1}:3")
    assert "第 2/3 题(可多选,最多 2 项)" in text
    assert data == [*(f"pt:{poll}:{q2}:{n}" for n in range(1, 5)), f"pd:{poll}:{q2}"]
    await me.say(button=f"pt:{poll}:{q2}:2")
    await me.say(button=f"pt:{poll}:{q2}:4")
    text, _ = await me.buttons(button=f"pt:{poll}:{q2}:2")  # ticked again: unticked
    assert "已选:其他" in text
    ticked = await me.say(button=f"pt:{poll}:{q2}:1")
    assert "已选:其他、快递代收" in ticked[0].text
    assert [b.label for row in ticked[0].buttons for b in row][:4] == [
        "✓ 快递代收",
        "家电维修",
        "理发",
        "✓ 其他",
    ]
    assert "请写下具体内容" in await me.text(button=f"pd:{poll}:{q2}")
    text, data = await me.buttons("陪老人看病")
    assert "第 3/3 题(评分)" in text and data == [f"pa:{poll}:{q3}:{n}" for n in range(1, 6)]
    assert "已提交" in await me.text(button=f"pa:{poll}:{q3}:2")
    assert await answers_of(app, poll, "王妈妈") == {
        1: ([3], None, "", False),
        2: ([4, 1], None, "陪老人看病", False),
        3: ([], 2, "", False),
    }


async def test_typing_numbers_on_telegram(app) -> None:
    poll, _ = await make_poll(app, QUESTIONNAIRE)
    me = await resident(app, "王爸爸", "telegram")
    await me.say("问卷")
    assert "第 2/3 题" in await me.text("2")  # the typed number of a button
    assert "第 3/3 题" in await me.text("1 3")
    assert "已提交" in await me.text("4分")
    assert await answers_of(app, poll, "王爸爸") == {
        1: ([2], None, "", False),
        2: ([1, 3], None, "", False),
        3: ([], 4, "", False),
    }


async def test_pause_then_resume_at_the_next_question(app) -> None:
    poll, _ = await make_poll(app, QUESTIONNAIRE)
    me = await resident(app, "赵大爷")
    await me.say("问卷")
    await me.say("2")
    assert "先停在这里,已答的都保存着" in await me.text("0")
    me.at = NOW + timedelta(hours=5)
    again = await me.text("继续问卷")
    assert "第 2/3 题" in again and "第 1/3 题" not in again
    await me.say("1")
    assert "已提交" in await me.text("3")
    assert await answers_of(app, poll, "赵大爷") == {
        1: ([2], None, "", False),
        2: ([1], None, "", False),
        3: ([], 3, "", False),
    }
    assert "没有填到一半的问卷" in await me.text("继续问卷")


async def test_change_an_answer_after_completing(app) -> None:
    poll, _ = await make_poll(app, QUESTIONNAIRE)
    me = await resident(app, "孙奶奶")
    for said in ("问卷", "1", "2", "5"):
        await me.say(said)
    menu = await me.shown("修改答案")
    assert "您的回答" in menu and "1. 二楼最想先做成什么? → 健身房" in menu
    assert "回复 1 第 1 题,2 第 2 题,3 第 3 题" in menu
    asked = await me.text("1")
    assert "第 1/3 题" in asked and "(原来的回答:健身房)" in asked
    changed = await me.text("图书室")
    assert (await answers_of(app, poll, "孙奶奶"))[1] == ([2], None, "", False)
    assert "已修改,谢谢!" in changed and "1. 二楼最想先做成什么? → 图书室" in changed
    assert await responses(app, poll) == [("r1", True)]


async def test_asking_again_after_completing_keeps_one_response(app) -> None:
    poll, _ = await make_poll(app, [SINGLE])
    me = await resident(app, "钱先生")
    await me.say("问卷")
    await me.say("1")
    again = await me.text("问卷")
    assert "第 1/1 题" not in again and "→ 健身房" in again
    assert await responses(app, poll) == [("r1", True)]
    assert await count(app, PollAnswer) == 1


# Skip rules ---------------------------------------------------------------------------------


async def test_a_skip_rule_goes_straight_past_the_question(app) -> None:
    poll, _ = await make_poll(app, SKIPPING)
    me = await resident(app, "周阿姨")
    await me.say("问卷")
    assert "第 3/3 题" in await me.text("2")
    done = await me.text("4")
    assert "已提交" in done and "车停在哪里" not in done
    assert await answers_of(app, poll, "周阿姨") == {
        1: ([2], None, "", False),
        3: ([], 4, "", False),
    }
    assert await responses(app, poll) == [("r1", True)]


async def test_changing_to_the_skipping_option_forgets_the_skipped_answer(app) -> None:
    poll, _ = await make_poll(app, SKIPPING)
    me = await resident(app, "吴叔叔")
    for said in ("问卷", "1", "1", "4"):
        await me.say(said)
    assert 2 in await answers_of(app, poll, "吴叔叔")
    await me.say("修改答案")
    await me.say("1")
    changed = await me.text("没有")
    assert await answers_of(app, poll, "吴叔叔") == {
        1: ([2], None, "", False),
        3: ([], 4, "", False),
    }
    assert "已修改" in changed and "车停在哪里" not in changed
    assert await responses(app, poll) == [("r1", True)]


async def test_changing_away_from_the_skipping_option_asks_the_question_first(app) -> None:
    poll, _ = await make_poll(app, SKIPPING)
    me = await resident(app, "郑大姐")
    for said in ("问卷", "2", "4"):
        await me.say(said)
    await me.say("修改答案")
    await me.say("1")
    asked = await me.text("有")
    assert "第 2/3 题" in asked and "车停在哪里" in asked
    assert await responses(app, poll) == [("r1", False)]  # not counted with a gap
    async with app.read_maker() as session:
        assert await store.completed(session, poll) == 0
    done = await me.text("路边")
    assert "已修改" in done and "2. 车停在哪里? → 路边" in done
    assert await responses(app, poll) == [("r1", True)]
    assert (await answers_of(app, poll, "郑大姐"))[2] == ([2], None, "", False)


# One response per resident, or per household --------------------------------------------------


async def test_a_household_poll_asks_the_door_number_and_takes_one_answer(app) -> None:
    poll, _ = await make_poll(app, [SINGLE], per_household=True)
    me = await resident(app, "冯先生")
    assert "每户填一份。请告诉我您家的门牌" in await me.text("问卷")
    assert "请写楼号、单元和门牌" in await me.text("3栋")  # no room number yet
    assert "第 1/1 题" in await me.text("3栋2单元502")
    assert "已提交" in await me.text("2")
    spouse = await resident(app, "冯太太", building="3", unit="2", room="502")
    told = await spouse.text("问卷")
    assert "您家(3栋2单元502)已经有家人填写了“服务中心二楼做什么”" in told
    before = await stored(app)
    assert "已经有家人填写了" in await spouse.text(button=f"poll:open:{poll}")
    assert await stored(app) == before
    assert await responses(app, poll) == [("h3-2-502", True)]
    neighbour = await resident(app, "陈阿姨", building="3", unit="2", room="503")
    await neighbour.say("问卷")
    await neighbour.say("1")
    assert await responses(app, poll) == [("h3-2-502", True), ("h3-2-503", True)]


async def test_a_household_member_cannot_change_the_household_answer_by_button(app) -> None:
    poll, (q1,) = await make_poll(app, [SINGLE], per_household=True)
    home = {"building": "3", "unit": "2", "room": "502"}
    first = await resident(app, "冯先生", "telegram", **home)
    second = await resident(app, "冯太太", "telegram", **home)
    _, offered = await first.buttons("问卷")  # the question on screen (or a copy of it)
    assert f"pa:{poll}:{q1}:2" in offered
    assert "已经有家人在填写" in await second.text("问卷")
    assert "已提交" in await first.text(button=f"pa:{poll}:{q1}:1")
    before = await stored(app)
    told = await second.text(button=f"pa:{poll}:{q1}:2")
    assert await answers_of(app, poll, "冯先生") == {1: ([1], None, "", False)}
    assert await stored(app) == before
    assert "已经有家人填写了" in told


async def test_a_household_member_is_told_someone_at_home_is_answering(app) -> None:
    await make_poll(app, QUESTIONNAIRE, per_household=True)
    home = {"building": "3", "unit": "2", "room": "502"}
    first = await resident(app, "冯先生", **home)
    second = await resident(app, "冯太太", **home)
    await first.say("问卷")
    await first.say("1")  # half-way
    before = await stored(app)
    told = await second.text("问卷")
    assert "家人" in told and "第 2/3 题" not in told
    await second.say("2")
    assert await stored(app) == before


# Bad input: a kind answer, and nothing stored changes --------------------------------------------


async def test_answering_after_closing_is_refused(app) -> None:
    closes = NOW + timedelta(minutes=10)
    poll, (q1, _) = await make_poll(app, [SINGLE, RATING], closes=closes)
    typed = await resident(app, "甲")
    pressed = await resident(app, "乙", "telegram")
    await typed.say("问卷")
    await pressed.say("问卷")
    before = await stored(app)
    typed.at = pressed.at = closes + timedelta(minutes=1)
    for said in (await typed.text("1"), await pressed.text(button=f"pa:{poll}:{q1}:1")):
        assert "“服务中心二楼做什么”已于 11月3日(周一)10:10 截止,不能再填写或修改了" in said
        assert "结果" in said
    assert "现在没有需要您填写的问卷" in await typed.text("问卷")
    assert "没有可以修改的答案" in await typed.text("修改答案")
    assert await stored(app) == before


async def test_out_of_range_duplicate_and_too_many_choices(app) -> None:
    many = {"text": "想要哪些课程?", "options": list("一二三四五六七八九"), "max": 3}
    await make_poll(app, [SINGLE, MULTI, many])
    me = await resident(app, "丙")
    await me.say("问卷")
    before = await stored(app)
    assert "没有第 7 项:请回复 1 到 4 之间的编号" in await me.text("7")
    assert "没看懂“游泳池”" in await me.text("游泳池")
    assert await stored(app) == before
    await me.say("1")
    before = await stored(app)
    assert "第 1 项写了两次" in await me.text("1 1 3")
    assert "这题最多选 2 项,您选了 3 项" in await me.text("1 2 3")
    assert await stored(app) == before
    await me.say("1 2")
    before = await stored(app)
    assert "这题最多选 3 项,您选了 9 项" in await me.text("1 2 3 4 5 6 7 8 9")
    assert await stored(app) == before
    assert "已提交" in await me.text("1 2 3")


async def test_empty_free_text_and_empty_other_words(app) -> None:
    free = {"text": "还有什么想说的?", "kind": "text"}
    await make_poll(app, [MULTI, free])
    me = await resident(app, "丁")
    await me.say("问卷")
    assert "请写下具体内容" in await me.text("4")
    before = await stored(app)
    assert "请写几个字说明“其他”是什么" in await me.text("   ")
    assert await stored(app) == before
    assert "第 2/2 题" in await me.text("送菜上门")
    before = await stored(app)
    assert "这道题需要回答" in await me.text("  \n ")
    assert "这道题需要回答" in await me.text("")
    assert await stored(app) == before
    assert "已提交" in await me.text("希望多办活动")


async def test_ratings_out_of_range_or_in_words(app) -> None:
    poll, (question,) = await make_poll(app, [RATING])
    typed = await resident(app, "戊")
    pressed = await resident(app, "己", "telegram")
    await typed.say("问卷")
    await pressed.say("问卷")
    before = await stored(app)
    assert "分数只能是 1 到 5,您写的是“6”" in await typed.text("6")
    assert "没看懂“很好”" in await typed.text("很好")
    assert "分数只能是 1 到 5,您写的是“0”" in await pressed.text(button=f"pa:{poll}:{question}:0")
    assert "分数只能是 1 到 5" in await pressed.text(button=f"pa:{poll}:{question}:6")
    assert await stored(app) == before
    assert "先停在这里" in await typed.text("0")  # a typed 0 pauses, as every step's hint says
    assert await stored(app) == before


async def test_forged_buttons_change_nothing(app) -> None:
    poll, (q1, q2, _) = await make_poll(app, QUESTIONNAIRE)
    other, (theirs,) = await make_poll(app, [SINGLE], title="3栋投票", audience="3栋")
    me = await resident(app, "庚", "telegram", building="5", unit="1", room="101")
    await me.say("问卷")
    await me.say(button=f"pa:{poll}:{q1}:1")
    before = await stored(app)
    assert "这份问卷已经不在了" in await me.text(button="pa:999:1:1")
    for forged in (f"pa:{poll}:abc:1", f"pt:{poll}:{q2}:-3", f"pd:{poll}", "pa::::"):
        assert "这个选项已经过期了" in await me.text(button=forged), forged
    assert "没有第 9 项" in await me.text(button=f"pa:{poll}:{q1}:9")
    assert "这次不用您填" in await me.text(button=f"pa:{other}:{theirs}:1")
    assert "这次不用您填" in await me.text(button=f"poll:open:{other}")
    assert await stored(app) == before


async def test_a_forged_edit_button_completes_nothing(app) -> None:
    poll, _ = await make_poll(app, QUESTIONNAIRE)
    _, (elsewhere,) = await make_poll(app, [RATING], title="物业服务评分")
    me = await resident(app, "壬", "telegram")
    await me.say(button=f"poll:open:{poll}")
    await me.say("1")  # one of three answered
    before = await stored(app)
    for forged in (f"poll:edit:{poll}:999", f"poll:edit:{poll}:{elsewhere}"):
        said = await me.text(button=forged)
        assert "已提交" not in said and "这个选项已经过期了" in said, forged
    assert await stored(app) == before
    async with app.read_maker() as session:
        assert await store.completed(session, poll) == 0


@pytest.mark.parametrize("number", [7, 0])
async def test_ticking_an_option_that_does_not_exist(app, number: int) -> None:
    poll, (_, q2, _) = await make_poll(app, QUESTIONNAIRE)
    me = await resident(app, "辛", "telegram")
    await me.say("问卷")
    await me.say("1")
    before = await stored(app)
    ticked = await me.text(button=f"pt:{poll}:{q2}:{number}")
    assert f"没有第 {number} 项" in ticked and "已选" not in ticked
    assert await stored(app) == before


# Results ------------------------------------------------------------------------------------

FREE = {"text": "还有什么想说的?", "kind": "text"}


async def answer_all(person: Person, *said: str) -> str:
    """Open the only poll and give each answer in turn; return the last reply."""
    last = await person.text("问卷")
    for text in said:
        last = await person.text(text)
    return last


async def test_staff_results_match_the_stored_answers(app) -> None:
    poll, (q1, q2, q3, q4) = await make_poll(app, [*QUESTIONNAIRE, FREE])
    worker = await staff_member(app)
    a, b, c, d = [await resident(app, name) for name in ("甲", "乙", "丙", "丁")]
    await answer_all(a, "1", "1 2", "5", "停车位太少,晚上车没地方停")
    await answer_all(b, "1", "4", "帮忙取药", "4", "电梯经常坏,希望尽快维修")
    await answer_all(c, "3", "2", "3", "小区停车太难了,车位不够")
    await answer_all(d, "2")  # half-way: not counted
    shown = await worker.text(f"/pollresults {poll}")
    assert "【结果】服务中心二楼做什么" in shown and "共 3 人填写" in shown
    assert "· 健身房:2(67%)\n· 图书室:0(0%)\n· 老年食堂:1(33%)\n· 儿童游乐室:0(0%)" in shown
    assert "(可多选,3 人作答)\n· 快递代收:1(33%)\n· 家电维修:2(67%)\n· 理发:0(0%)" in shown
    assert "· 其他:1(33%)\n  “其他”写的:帮忙取药" in shown
    assert "平均 4.0 分,3 人评分\n1分:0 2分:0 3分:1 4分:1 5分:1" in shown
    assert "3 条意见,按话题:" in shown and "· 停车(2 条)" in shown
    assert "linli polls export" in shown
    from handlers.polls.results import tally

    async with app.read_maker() as session:
        questions = await store.questions(session, poll)
        results = tally(questions, await store.completed_answers(session, poll))
    assert [r.counts for r in results[:2]] == [[2, 0, 1, 0], [1, 2, 0, 1]]
    assert results[2].ratings == [0, 0, 1, 1, 1] and results[2].mean == 4.0
    assert sorted(results[3].texts) == sorted(
        ["停车位太少,晚上车没地方停", "电梯经常坏,希望尽快维修", "小区停车太难了,车位不够"]
    )
    assert [q.id for q in questions] == [q1, q2, q3, q4]


async def test_residents_see_results_only_after_closing(app) -> None:
    closes = NOW + timedelta(days=1)
    await make_poll(app, [SINGLE], closes=closes)
    me = await resident(app, "甲")
    done = await answer_all(me, "2")
    assert "结果会在截止后公布" in done and "【结果】" not in done
    assert "结果会在问卷截止后公布" in await me.text("问卷结果")
    me.at = closes + timedelta(hours=1)
    shown = await me.text("问卷结果")
    assert "【结果】服务中心二楼做什么" in shown and "· 图书室:1(100%)" in shown


async def test_staff_only_results_stay_with_staff(app) -> None:
    closes = NOW + timedelta(days=1)
    await make_poll(app, [SINGLE], closes=closes, results="staff_only")
    me = await resident(app, "甲")
    await answer_all(me, "2")
    me.at = closes + timedelta(hours=1)
    shown = await me.text("问卷结果")
    assert "结果由社区工作人员汇总,不对外公布" in shown and "【结果】" not in shown


async def test_live_results_are_shown_after_completing(app) -> None:
    await make_poll(app, [SINGLE], results="live")
    first = await resident(app, "甲")
    done = await answer_all(first, "2")
    assert "下面是目前的结果" in done and "· 图书室:1(100%)" in done
    second = await resident(app, "乙")
    assert "【结果】" not in await second.text("问卷")  # not before answering
    done = await second.text("1")
    assert "· 健身房:1(50%)" in done and "· 图书室:1(50%)" in done
    assert "共 2 人填写" in await second.text("问卷结果")


# Staff --------------------------------------------------------------------------------------


async def test_newpoll_guided_creation_on_console(app) -> None:
    worker = await staff_member(app)
    steps = [
        ("/newpoll", "问卷的标题是什么"),
        ("服务中心二楼做什么", "回复 1 投票(一道题),2 问卷(几道题)"),
        ("问卷", "第 1 题的题目是什么"),
        ("二楼最想先做成什么?", "回复数字:\n1 单选\n2 多选\n3 评分\n4 填空"),
        ("单选", "请发送选项"),
        ("健身房、图书室、老年食堂", "这道题必须回答吗"),
        ("必答", "第 2 题的题目是什么?(题目出完了就回复“完成”)"),
        ("您家平时会用到哪些服务?", "这道题怎么答"),
        ("2", "请发送选项"),
        ("快递代收\n家电维修\n理发\n其他", "最多可以选几项"),
        ("2", "这道题必须回答吗"),
        ("1", "要在前面某题选了某项时跳过吗"),
        ("第1题选3时跳过", "第 3 题的题目是什么"),
        ("完成", "请问发给谁填"),
        ("全体", "每人填一份,还是每户填一份"),
        ("每户一份", "实名还是匿名"),
        ("实名", "什么时候开始"),
        ("现在", "什么时候截止"),
        ("12月31日 18:00", "结果怎么公布"),
    ]
    for said, expected in steps:
        assert expected in await worker.shown(said), said
    preview = await worker.shown("截止后可查看")
    assert "【预览】" in preview and "【服务中心二楼做什么】" in preview
    assert "2. 您家平时会用到哪些服务?(多选(最多 2 项))" in preview
    assert "快递代收 / 家电维修 / 理发 / 其他" in preview and "第 1 题选第 3 项时跳过" in preview
    assert "每户一份,实名" in preview and "12月31日(周三)18:00" in preview
    assert await count(app, Poll) == 0
    assert "问卷 #1“服务中心二楼做什么”已发布,现在开始" in await worker.text("发布")
    async with app.read_maker() as session:
        poll = await session.scalar(select(Poll))
        questions = await store.questions(session, poll.id)
    assert poll.title == "服务中心二楼做什么" and poll.audience == {"kind": "all"}
    assert poll.per_household and not poll.anonymous
    assert (poll.results_shown, poll.publish_at_close) == ("after_close", False)
    assert poll.opens_at == NOW and poll.closes_at == datetime(2025, 12, 31, 18, tzinfo=ZONE)
    assert poll.created_by == "console:小王"
    assert [
        (q.position, q.kind, q.options, q.max_choices, q.other, q.required, q.skip_if)
        for q in questions
    ] == [
        (1, "choice", ["健身房", "图书室", "老年食堂"], 1, False, True, None),
        (
            2,
            "choice",
            ["快递代收", "家电维修", "理发"],
            2,
            True,
            True,
            {"question": 1, "option": 3},
        ),
    ]


async def test_newpoll_says_what_is_wrong_with_the_options(app) -> None:
    worker = await staff_member(app)
    for said in ("/newpoll", "测试问卷", "问卷", "第一题?", "单选"):
        await worker.say(said)
    one = await worker.text("健身房")
    assert "选择题要有 2–9 个选项(含“其他”),现在是 1 个" in one and "请发送选项" in one
    assert "errors.pydantic.dev" not in one
    assert "有重复的选项" in await worker.text("健身房、健身房")
    assert "这道题必须回答吗" in await worker.text("健身房、图书室")
    assert await count(app, Poll) == 0


async def test_newpoll_refuses_bad_answers_and_stores_nothing(app) -> None:
    worker = await staff_member(app)
    for said in ("/newpoll", "测试问卷", "问卷", "第一题?", "单选"):
        await worker.say(said)
    assert "请发送选项" in await worker.text("健身房")  # one option: asked again
    assert await count(app, Poll) == 0
    await worker.say("健身房、图书室")
    await worker.say("必答")
    await worker.say("第二题?")
    await worker.say("多选")
    await worker.say("快递、维修、理发")
    assert "请回复 2 到 3 之间的数字" in await worker.text("5")
    assert "请回复 2 到 3 之间的数字" in await worker.text("1")
    await worker.say("2")
    await worker.say("必答")
    assert "跳题规则只能看前面的题目" in await worker.text("第3题选1时跳过")
    assert "跳题规则只能看前面的题目" in await worker.text("第2题选1时跳过")
    assert "第 1 题没有第 5 个选项" in await worker.text("第1题选5时跳过")
    await worker.say("不用")
    for said in ("完成", "全体", "每人一份", "匿名"):
        await worker.say(said)
    assert "已经过去了" in await worker.text("今天 8:00")
    await worker.say("现在")
    assert "不在开始时间之后" in await worker.text("今天 8:00")
    assert "不在开始时间之后" in await worker.text("下周吧")
    assert await count(app, Poll) == 0
    await worker.say("12月31日 18:00")
    await worker.say("随时可看(实时)")
    assert "这份问卷不发了" in await worker.text("放弃")
    assert await count(app, Poll) == 0 and await count(app, PollQuestion) == 0


async def test_close_early_then_extend(app) -> None:
    poll, _ = await make_poll(app, [SINGLE, RATING])
    worker = await staff_member(app)
    me = await resident(app, "甲")
    await me.say("问卷")
    before = await stored(app)
    worker.at = NOW + timedelta(minutes=1)
    assert f"问卷 #{poll}“服务中心二楼做什么”已结束" in await worker.text(f"/pollclose {poll}")
    me.at = NOW + timedelta(minutes=2)
    assert "已于 11月3日(周一)10:01 截止,不能再填写或修改了" in await me.text("1")
    assert "现在没有需要您填写的问卷" in await me.text("问卷")
    assert await stored(app) == before
    worker.at = NOW + timedelta(minutes=3)
    assert "请写一个比现在的截止时间更晚的时间" in await worker.text(
        f"/pollextend {poll} 今天 8:00"
    )
    extended = await worker.text(f"/pollextend {poll} 12月20日 18:00")
    assert f"问卷 #{poll} 延期到 12月20日(周六)18:00" in extended
    me.at = NOW + timedelta(minutes=4)
    assert "第 1/2 题" in await me.text("问卷")
    await me.say("1")
    assert "已提交" in await me.text("5")
    assert await responses(app, poll) == [("r2", True)]


async def test_staff_of_another_community_cannot_see_or_close_a_poll(app) -> None:
    poll, _ = await make_poll(app, [SINGLE])
    me = await resident(app, "甲")
    await answer_all(me, "1")
    elsewhere = await community(app, "other", "别的小区")
    stranger = await staff_member(app, "老李", elsewhere)
    assert f"没有找到编号为 {poll} 的问卷" in await stranger.text(f"/pollresults {poll}")
    assert f"没有找到编号为 {poll} 的问卷" in await stranger.text(f"/pollclose {poll}")
    assert "还没有问卷" in await stranger.text("/polllist")
    async with app.read_maker() as session:
        assert not (await session.get(Poll, poll)).closed_early


# Many at once -------------------------------------------------------------------------------

CROWD = 1000


async def test_a_thousand_residents_answer_at_once(app) -> None:
    from handlers.polls.results import tally

    poll, _ = await make_poll(app, [SINGLE])
    crowd = [Person(app, f"居民{i}", "telegram" if i % 2 else "console") for i in range(CROWD)]

    async def answer(i: int, person: Person) -> str:
        asked = await person.text("问卷")
        assert "第 1/1 题" in asked, asked
        return await person.text(str(i % 3 + 1))

    said = await asyncio.gather(*(answer(i, p) for i, p in enumerate(crowd)))
    assert all("已提交" in s for s in said)
    async with app.read_maker() as session:
        questions = await store.questions(session, poll)
        (result,) = tally(questions, await store.completed_answers(session, poll))
        assert await store.completed(session, poll) == CROWD
    assert await count(app, PollResponse) == CROWD and await count(app, PollAnswer) == CROWD
    expected = [sum(1 for i in range(CROWD) if i % 3 == n) for n in range(3)]
    assert result.answered == CROWD and result.counts == [*expected, 0]
