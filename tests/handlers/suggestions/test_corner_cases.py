"""Sequences found in review: each once went wrong for a resident or staff member."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.delivery.sender import deliver_due
from bot.jobs import suggestions as suggestion_jobs
from handlers.types import Incoming
from storage import outbox
from storage.engine import transaction
from storage.models import (
    ConversationState,
    Handoff,
    OutboxMessage,
    Suggestion,
    SuggestionEvent,
    SuggestionSupporter,
)
from storage.types import utcnow
from tests.support.chat import Chat, make_staff


async def _suggestion(app, number: int) -> Suggestion:
    async with app.read_maker() as session:
        return await session.get(Suggestion, number)


async def test_a_resolution_does_not_interrupt_a_handoff(app) -> None:
    staff_chat = await make_staff(app)
    resident = Chat(app, "王阿姨")
    await resident.say("楼道灯坏了")
    await resident.say("转人工")
    await staff_chat.say("/resolve 1 已修好")
    assert "已转给工作人员" in await resident.text("还有一件事想问")
    assert "人工服务已结束" in await resident.text("0")
    # The rating buttons still work when pressed.
    assert "谢谢您的评价(4 分)" in await resident.text(button="rate:1:4")


async def test_a_command_at_the_reply_prompt_is_not_sent_to_residents(app) -> None:
    staff_chat = await make_staff(app)
    await Chat(app, "居民").say("楼道灯坏了")
    await staff_chat.say("/reply 1")
    assert "待处理建议" in await staff_chat.text("/open")
    async with app.read_maker() as session:
        sent = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "居民"))
        )
    assert sent == []
    assert "已回复编号 1" in await staff_chat.text("师傅下午来")


async def test_supported_suggestion_cannot_be_withdrawn_and_merging_moves_supporters(app) -> None:
    await Chat(app, "甲").say("小区停车位太少了,晚上回来没地方停车")  # 1
    second = Chat(app, "乙")
    await second.say("停车位不够用,晚上回家找不到地方停车")  # 2
    await second.say("1")  # 2 merged into 1
    assert "不能撤回" in await Chat(app, "甲").text("撤回 1")
    assert (await _suggestion(app, 1)).status == "open"
    # 丙 kept 3 separate and 丁 joined 3; then 丙 merges 3 into 1 after all: 丁 comes along.
    third = Chat(app, "丙")
    await third.say("晚上停车位不够,车没地方停")  # 3
    await third.say("2")  # keep separate
    fourth = Chat(app, "丁")
    await fourth.say("停车位太少,晚上车没地方停")  # 4, offered 1 or 3
    async with transaction(app.maker) as session:
        await session.execute(
            SuggestionSupporter.__table__.insert().values(
                suggestion_id=3, resident_id=4, created_at=utcnow()
            )
        )
    await third.say(button="merge:3:1")
    async with app.read_maker() as session:
        on_one = sorted(
            await session.scalars(
                select(SuggestionSupporter.resident_id).where(
                    SuggestionSupporter.suggestion_id == 1
                )
            )
        )
    assert on_one == [2, 3, 4]


async def test_rating_again_after_a_reopen(app) -> None:
    staff_chat = await make_staff(app)
    resident = Chat(app, "甲")
    await resident.say("楼道灯坏了")
    await staff_chat.say("/resolve 1")
    assert "重新打开" in await resident.text(button="rate:1:1")
    await staff_chat.say("/resolve 1 换了新灯")
    assert "谢谢您的评价(5 分)" in await resident.text(button="rate:1:5")
    assert (await _suggestion(app, 1)).status == "closed"


async def test_close_tells_the_residents(app) -> None:
    staff_chat = await make_staff(app)
    await Chat(app, "甲").say("希望建个游泳池")
    assert "已告知" in await staff_chat.text("/close 1 暂无条件建设")
    async with app.read_maker() as session:
        [told] = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "甲"))
        )
    assert "已完结:暂无条件建设" in told.payload["text"]
    assert "不能这样操作" in await staff_chat.text("/close 1")


async def test_forget_during_a_handoff_closes_it_and_leaves_no_trace(app) -> None:
    staff_chat = await make_staff(app)
    resident = Chat(app, "王阿姨")
    await resident.say("楼道灯坏了")
    await resident.say("转人工")
    await staff_chat.say("/answer 1 您好")
    assert "确定要删除" in await resident.text("删除我的信息")
    assert "已删除" in await resident.text("确认")
    async with app.read_maker() as session:
        [handoff] = list(await session.scalars(select(Handoff)))
        to_her = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "王阿姨"))
        )
        actors = set(await session.scalars(select(SuggestionEvent.actor)))
    assert handoff.closed_at is not None and handoff.external_id == ""
    assert to_her == [] and "console:王阿姨" not in actors
    assert "没有找到进行中的会话 1" in await staff_chat.text("/answer 1 还在吗")


async def test_huge_numbers_get_a_kind_answer(app) -> None:
    staff_chat = await make_staff(app)
    assert "用法" in await staff_chat.text("/reply 99999999999999999999 你好")
    assert "没有找到您的编号" in await Chat(app, "甲").text("撤回 99999999999999999999")


async def test_moving_with_a_single_community(app) -> None:
    chat = Chat(app, "甲")
    await chat.say("你好")
    ask = await chat.say("切换小区")
    assert "请选择您住的小区" in ask[-1].text
    assert "欢迎" in await chat.text("1")


async def test_open_shows_the_true_count_in_local_time(app) -> None:
    staff_chat = await make_staff(app)
    for i in range(23):
        await app.dispatcher.handle(Incoming("console", f"r{i}", f"第{i}号楼的路灯坏了"))
    async with transaction(app.maker) as session:
        first = await session.get(Suggestion, 1)
        first.created_at = first.created_at.replace(hour=20, minute=30)  # 20:30 UTC
    listing = (await staff_chat.say("/open"))[-1].text
    assert "共 23 条(第 1/2 页)" in listing and "下一页:/open 第2页" in listing
    assert "04:30" in listing.splitlines()[1]  # Asia/Shanghai, the next morning


async def test_failed_sends_are_retried_for_a_day(app) -> None:
    class Down:
        name = "console"

        async def send(self, recipient, reply, kind=""):
            raise ConnectionError("down")

    async with transaction(app.maker) as session:
        await outbox.enqueue(
            session, channel="console", recipient="x", kind="t", payload={"text": "hi"}
        )
    for _ in range(8):
        async with transaction(app.maker) as session:
            row = await session.scalar(select(OutboxMessage))
            row.not_before = utcnow() - timedelta(seconds=1)
        await deliver_due(app.maker, {"console": Down()})
    async with app.read_maker() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row.status == "pending" and row.attempts == 8
    assert row.not_before - utcnow() <= timedelta(minutes=5)
    async with transaction(app.maker) as session:
        row = await session.scalar(select(OutboxMessage))
        row.created_at -= timedelta(days=2)
        row.not_before = utcnow() - timedelta(seconds=1)
    await deliver_due(app.maker, {"console": Down()})
    async with app.read_maker() as session:
        assert (await session.scalar(select(OutboxMessage))).status == "failed"


async def test_idle_handoffs_are_closed_by_housekeeping(app) -> None:
    await make_staff(app)
    resident = Chat(app, "甲")
    await resident.say("转人工")
    async with transaction(app.maker) as session:
        state = await session.get(ConversationState, ("console", "甲"))
        state.expires_at -= timedelta(hours=3)
    await suggestion_jobs.housekeeping(app.maker)
    async with app.read_maker() as session:
        [handoff] = list(await session.scalars(select(Handoff)))
    assert handoff.closed_at is not None
