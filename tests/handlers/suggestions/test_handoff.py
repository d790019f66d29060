"""/forget deletes a resident's personal data; 转人工 hands the chat to staff."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.types import Incoming
from storage.engine import transaction
from storage.models import (
    ChannelAccount,
    Community,
    OutboxMessage,
    ProcessedMessage,
    Resident,
    Suggestion,
)
from tests.support.chat import Chat, make_staff


async def test_forget_after_confirmation_keeps_suggestions_anonymised(app) -> None:
    chat = Chat(app, "张阿姨")
    await app.dispatcher.handle(
        Incoming("console", "张阿姨", "楼道灯坏了", message_id="x1", display_name="张阿姨")
    )
    assert "确定要删除" in await chat.text("删除我的信息")
    assert "没有删除" in await chat.text("2")
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 1
    await chat.say("/forget")
    assert "已删除您的个人信息" in await chat.text("1")
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 0
        assert await session.scalar(select(func.count()).select_from(ChannelAccount)) == 0
        assert await session.scalar(select(func.count()).select_from(ProcessedMessage)) == 0
        [kept] = list(await session.scalars(select(Suggestion)))
    assert kept.text == "楼道灯坏了" and kept.resident_id is None
    # Coming back starts afresh, with the privacy notice again.
    assert "隐私说明" in await chat.text("你好")


async def test_handoff_to_staff_and_back(app) -> None:
    await make_staff(app, "小王")
    resident = Chat(app, "王阿姨")
    await resident.say("你好")
    assert "已为您转接社区工作人员" in await resident.text("转人工")
    assert "已转给工作人员" in await resident.text("我家水管老是滴水,能不能派人来看看")
    async with app.read_maker() as session:
        staff_texts = [
            m.payload["text"]
            for m in await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == "小王")
                .order_by(OutboxMessage.id)
            )
        ]
        assert await session.scalar(select(func.count()).select_from(Suggestion)) == 0
    assert "请求人工服务(会话 1)" in staff_texts[0]
    assert "【会话 1】王阿姨:我家水管老是滴水" in staff_texts[1]

    staff_chat = Chat(app, "小王")
    assert "会话 1" in await staff_chat.text("/handoffs")
    assert "已发给居民" in await staff_chat.text("/answer 1 马上派师傅过去")
    assert "没有找到进行中的会话 9" in await staff_chat.text("/answer 9 你好")
    assert "用法" in await staff_chat.text("/answer")
    async with app.read_maker() as session:
        to_resident = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "王阿姨"))
        )
    assert to_resident[-1].payload["text"] == "工作人员:马上派师傅过去"

    assert "人工服务已结束" in await resident.text("0")
    assert "没有进行中的人工会话" in await staff_chat.text("/handoffs")
    # After the handoff, messages are suggestions again.
    assert "已收到您的建议" in await resident.text("楼下的垃圾桶满了没人清")


async def test_handoff_without_staff_gives_the_duty_phone(app) -> None:
    async with transaction(app.maker) as session:
        community = await session.get(Community, 1)
        community.duty_phone = "0571-12345678"
    assert "0571-12345678" in await Chat(app, "王阿姨").text("人工")
