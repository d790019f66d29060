"""A phone number is kept only after the resident agrees, and only their staff see it."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditLog, OutboxMessage, Resident
from tests.support.chat import Chat, make_staff


async def resident(app) -> Resident:
    async with app.read_maker() as session:
        return await session.scalar(select(Resident))


async def test_a_contact_shared_unasked_is_not_kept_until_the_resident_agrees(app) -> None:
    chat = Chat(app, "张阿姨")
    await chat.say("你好")
    replies = await chat.say(contact_phone="13812345678")
    assert "同意留下电话吗" in replies[0].text
    assert [b.label for row in replies[0].buttons for b in row] == ["同意", "不用了"]
    assert (await resident(app)).phone is None
    replies = await chat.say(button="phone:yes")
    [share] = [b for row in replies[0].buttons for b in row]
    assert share.kind == "request_contact"
    assert (await resident(app)).phone is None  # still nothing: the card must come now
    assert "138****5678" in await chat.text(contact_phone="+86 138 1234 5678")
    kept = await resident(app)
    assert kept.phone == "13812345678" and "phone" in kept.consents


async def test_typing_the_number_and_checking_it(app) -> None:
    chat = Chat(app, "李叔叔")
    await chat.say("你好")
    assert "同意留下电话吗" in await chat.text("留电话")
    await chat.say("1")  # the first choice, typed
    assert "号码好像不对" in await chat.text("12345678901")
    assert (await resident(app)).phone is None
    assert "已保存" in await chat.text("139-0000-1111")
    assert (await resident(app)).phone == "13900001111"
    assert "139****1111" in await chat.text("我的电话")


async def test_someone_elses_card_is_refused(app) -> None:
    chat = Chat(app, "王阿姨")
    await chat.say("/phone")
    await chat.say(button="phone:yes")
    assert "您自己的电话" in await chat.text(contact_phone="13800000000", contact_is_own=False)
    assert (await resident(app)).phone is None


async def test_declining_and_deleting(app) -> None:
    chat = Chat(app, "赵大爷")
    await chat.say("/phone")
    assert "不留电话也没关系" in await chat.text("不用了")
    assert (await resident(app)).phone is None
    assert "没有留过电话" in await chat.text("删除电话")
    await chat.say("/phone")
    await chat.say("同意")
    await chat.say("13700001234")
    assert "已删除您的电话" in await chat.text("删除电话")
    gone = await resident(app)
    assert gone.phone is None and "phone" not in gone.consents
    async with app.read_maker() as session:
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[-2:] == ["resident.phone.saved", "resident.phone.deleted"]


async def test_staff_see_the_phone_with_a_suggestion(app) -> None:
    await make_staff(app, "小王")
    chat = Chat(app, "张阿姨")
    await chat.say("/phone")
    await chat.say("同意")
    await chat.say("13812345678")
    await chat.say("楼道灯坏了好几天了")
    async with app.read_maker() as session:
        alert = await session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "小王"))
    assert "张阿姨(电话 13812345678)" in alert.payload["text"]


async def test_leaving_the_question_keeps_nothing(app) -> None:
    chat = Chat(app, "钱阿姨")
    await chat.say("/phone")
    await chat.say("同意")
    await chat.say("0")
    assert "已收到您的建议" in await chat.text("小区停车位太少了")
    assert (await resident(app)).phone is None
