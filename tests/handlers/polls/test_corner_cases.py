"""Cases a review of polls found: each failed before its fix."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from handlers.polls.create import _skip_rule
from handlers.polls.results import _text_lines
from handlers.polls.rules import Answer, Problem, read_answer
from storage.models import PollQuestion, QuestionKind, Resident
from tests.support import poll_jobs
from tests.support.chat import Chat
from tests.support.polls import SKIPPING, answers_of, make_poll, resident


def two(first: str, second: str) -> PollQuestion:
    return PollQuestion(
        id=1,
        position=1,
        kind=QuestionKind.CHOICE,
        text="?",
        options=[first, second],
        max_choices=1,
        other=False,
        required=True,
    )


def test_a_negation_is_never_read_as_the_option_it_negates() -> None:
    for options, said in (
        (("满意", "不满意"), "不太满意"),
        (("支持", "反对"), "不支持"),
        (("是", "否"), "不是"),
        (("需要", "不需要"), "不太需要"),
    ):
        found = read_answer(two(*options), said)
        assert isinstance(found, Problem), (options, said, found)
    assert read_answer(two("满意", "不满意"), "很不满意") == Answer(choices=(2,))
    assert read_answer(two("满意", "不满意"), "挺满意的") == Answer(choices=(1,))


def test_skip_rules_by_option_words() -> None:
    asked = [{"text": "有车吗?", "options": ["有", "没有"]}]
    assert _skip_rule("第1题选没有时跳过", asked) == {"question": 1, "option": 2}
    assert _skip_rule("第1题选2时跳过", asked) == {"question": 1, "option": 2}
    assert _skip_rule("第1题选自行车时跳过", asked) is None


def test_residents_see_only_words_several_people_wrote() -> None:
    alone = _text_lines(["楼上王建国家半夜装修太吵"], verbatim=False)
    assert not any("王建国" in line for line in alone)
    said = ["希望解决停车问题", "停车问题严重", "停车问题太多了", "多种树"]
    shared = _text_lines(said, verbatim=False)
    assert any("常见词" in line and "停车" in line for line in shared)


async def test_commands_pass_a_free_text_question(app) -> None:
    text = {"text": "还有什么建议?", "kind": "text"}
    await make_poll(app, [text])
    me = await resident(app, "甲")
    assert "第 1/1 题" in await me.text("问卷")
    assert "我是邻里小助手" in await me.text("帮助")  # not taken as the answer
    await me.say("删除我的信息")
    await me.say("1")  # yes, delete
    async with app.read_maker() as session:
        left = await session.scalar(select(Resident).where(Resident.display_name == "甲"))
    assert left is None


async def test_an_invitation_shows_no_number_to_type_on_the_console(app) -> None:
    from bot.channels.plaintext import render
    from handlers.types import Button, Reply

    invite = Reply("回复“问卷”开始填写。", ((Button("开始填写", "poll:open:1"),),))
    assert "回复 1" not in render(invite, kind="broadcast")
    assert "回复 1 开始填写" in render(invite)  # a reply in a conversation keeps its choices
    me = await resident(app, "乙")
    await make_poll(app, [{"text": "?", "options": ["甲", "乙"]}])
    assert "第 1/1 题" in await me.text("开始填写")  # its label works as a word


async def test_closing_before_it_opens_cancels_it(app) -> None:
    await poll_jobs.setup(app)
    poll_id = await poll_jobs.make_poll(app)  # opens at OPENS, results published at closing
    worker = Chat(app, "staff1")
    await worker.say("你好", received_at=poll_jobs.CREATED)
    said = await worker.text(f"/pollclose {poll_id}", received_at=poll_jobs.CREATED)
    assert "还没开始,已取消" in said
    for at in (
        poll_jobs.CREATED + poll_jobs.MINUTE,
        poll_jobs.OPENS,
        poll_jobs.OPENS + poll_jobs.MINUTE,
    ):
        await poll_jobs.tick(app, at)
    assert await poll_jobs.all_broadcasts(app) == []  # neither an invitation nor "results"


async def test_extending_after_the_reminder_reminds_again_with_the_new_time(app) -> None:
    await poll_jobs.setup(app)
    poll_id = await poll_jobs.make_poll(app)
    await poll_jobs.tick(app, poll_jobs.OPENS)
    await poll_jobs.tick(app, poll_jobs.REMIND_AT)
    worker = Chat(app, "staff1")
    when = poll_jobs.REMIND_AT + poll_jobs.MINUTE
    await worker.say("你好", received_at=when)
    said = await worker.text(f"/pollextend {poll_id} 12月4日 18:00", received_at=when)
    assert "延期到 12月4日" in said
    new_close = datetime(2026, 12, 4, 18, 0, tzinfo=poll_jobs.ZONE)
    for at in (new_close - timedelta(days=1), new_close - timedelta(hours=2)):
        await poll_jobs.tick(app, at)
    reminders = [
        b for b in await poll_jobs.all_broadcasts(app) if b.audience["kind"] == "poll_pending"
    ]
    assert len(reminders) == 2 and "12月4日" in reminders[1].text


async def test_two_taps_at_once_keep_no_answer_a_skip_rule_removes(app) -> None:
    for round_ in range(5):
        poll, (q1, q2, _) = await make_poll(app, SKIPPING, title=f"第{round_}份")
        me = await resident(app, f"丙{round_}", "telegram")
        await me.say(button=f"pa:{poll}:{q1}:1")  # 有车: Q2 asked
        # Q1 changed to 没有 (Q2 now skipped) while Q2 is answered from the screen.
        await asyncio.gather(me.say(button=f"pa:{poll}:{q1}:2"), me.say(button=f"pa:{poll}:{q2}:1"))
        got = await answers_of(app, poll, f"丙{round_}")
        assert not (got[1][0] == [2] and 2 in got), got
