"""Staff publish activities by a guided chat, see who signed up, check in, cancel, notify."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.engine import transaction
from storage.models import Activity, ActivitySlot, OutboxMessage, Registration
from tests.support.activities import ZONE, add, coming, statuses
from tests.support.chat import Chat, make_staff


async def test_guided_creation_with_slots_and_an_age_limit(app) -> None:
    worker = await make_staff(app, greet=True)
    assert "活动叫什么名字" in await worker.text("/newevent")
    assert "什么时候" in await worker.text("老年人义务理发")
    assert "没看懂时间" in await worker.text("过几天吧")
    assert "在哪里" in await worker.text("周六 9:00-11:30")
    assert "名额多少" in await worker.text("社区服务站")
    assert "面向谁" in await worker.text("每15分钟1人")
    assert "报名截止" in await worker.text("60岁以上")
    preview = await worker.text("开始前")
    assert "【老年人义务理发】" in preview and "(周六)09:00 至 11:30" in preview
    assert "每 15 分钟 1 人" in preview and "60岁以上居民" in preview
    assert "已发布活动 #1" in await worker.text("1")
    async with app.read_maker() as session:
        activity = await session.scalar(select(Activity))
        slots = list(await session.scalars(select(ActivitySlot)))
    assert activity.min_age == 60 and len(slots) == 10
    assert activity.starts_at.astimezone(ZONE).weekday() == 5


async def test_leaving_the_guided_creation_publishes_nothing(app) -> None:
    worker = await make_staff(app, greet=True)
    await worker.say("/newevent")
    await worker.say("插花课")
    await worker.say("0")
    async with app.read_maker() as session:
        assert await session.scalar(select(Activity)) is None
    assert "只有社区工作人员" in await Chat(app, "居民").text("/newevent")


async def test_roster_check_in_edit_notify_and_cancel(app) -> None:
    worker = await make_staff(app, greet=True)
    talk = await add(app, title="恳谈会", keywords="恳谈会", starts_at=coming(1, 19), capacity=1)
    await Chat(app, "甲").say("报名恳谈会")
    await Chat(app, "乙").say("报名恳谈会")
    async with app.read_maker() as session:
        code = await session.scalar(
            select(Registration.code).where(Registration.status == "confirmed")
        )
    roster = await worker.text(f"/roster {talk.id}")
    assert code in roster and "甲" in roster and "排队:乙" in roster
    assert "签到成功" in await worker.text(f"/checkin {talk.id} {code.lower()}")
    assert "已经签到过" in await worker.text(f"/checkin {talk.id} {code}")
    assert "不在" in await worker.text(f"/checkin {talk.id} ZZZZZZ")
    assert "已修改" in await worker.text(f"/editevent {talk.id} 名额 2")
    assert await statuses(app, talk.id) == ["confirmed", "confirmed"]  # 乙 promoted
    assert "已发给 2 位" in await worker.text(f"/notifyevent {talk.id} 请带上笔记本")
    assert "已修改" in await worker.text(f"/editevent {talk.id} 时间 下周二 20:00")
    assert "没看懂时间" in await worker.text(f"/editevent {talk.id} 时间 改天")
    assert "已通知 2 位" in await worker.text(f"/cancelevent {talk.id} 场地维修")
    assert "已取消" in await Chat(app, "丙").text(button=f"act:join:{talk.id}")
    async with app.read_maker() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert kinds.count("activity_notice") == 4 and kinds.count("activity_cancelled") == 2
    assert "没有找到活动 #99" in await worker.text("/roster 99")
    assert "用法" in await worker.text("/checkin")


async def test_a_staff_member_sees_only_their_communities(app) -> None:
    from storage import communities

    async with transaction(app.maker) as session:
        other = await communities.add(session, "other", "别的小区")
        elsewhere = Activity(
            community_id=other.id, title="外区活动", starts_at=coming(2) + timedelta(hours=1)
        )
        session.add(elsewhere)
        await session.flush()
    worker = await make_staff(app, greet=True)
    assert "没有找到活动" in await worker.text(f"/roster {elsewhere.id}")


async def test_moving_an_activity_moves_its_slots_and_its_reminders(app) -> None:
    from bot.jobs.activities import activity_tick

    worker = await make_staff(app, greet=True)
    start = coming(3)
    haircut = await add(app, title="义务理发", keywords="理发", starts_at=start, capacity=None)
    async with transaction(app.maker) as session:
        session.add(ActivitySlot(activity_id=haircut.id, starts_at=start, capacity=1))
    resident = Chat(app, "甲")
    await resident.say("报名理发")
    await resident.say("1")
    day_before = start - timedelta(hours=24) + timedelta(minutes=1)
    assert await activity_tick(app.maker, "Asia/Shanghai", day_before) == 1
    assert "已修改" in await worker.text(f"/editevent {haircut.id} 时间 下下周四 10:00")
    async with app.read_maker() as session:
        moved = await session.get(Activity, haircut.id)
        slot = await session.scalar(select(ActivitySlot))
    assert slot.starts_at == moved.starts_at  # the slot moved with it
    again = moved.starts_at - timedelta(hours=24) + timedelta(minutes=1)
    assert await activity_tick(app.maker, "Asia/Shanghai", again) == 1  # reminded anew
    assert "名额请写 1 到 10000" in await worker.text(f"/editevent {haircut.id} 名额 5")
    assert "已修改" in await worker.text(f"/editevent {haircut.id} 提醒 48 3")
    async with app.read_maker() as session:
        assert (await session.get(Activity, haircut.id)).reminder_hours == [48, 3]


async def test_a_cancelled_activity_leaves_my_signups(app) -> None:
    worker = await make_staff(app, greet=True)
    clinic = await add(app, title="义诊", keywords="义诊", starts_at=coming(2), capacity=5)
    resident = Chat(app, "甲")
    await resident.say("报名义诊")
    await worker.say(f"/cancelevent {clinic.id}")
    assert "没有报名任何活动" in await resident.text("我的报名")


async def test_slots_must_fit_the_time(app) -> None:
    worker = await make_staff(app, greet=True)
    await worker.say("/newevent")
    await worker.say("量血压")
    await worker.say("周六 9:00-9:10")
    await worker.say("活动中心")
    assert "请回复数字" in await worker.text("每15分钟1人")
    await worker.say("20")
    await worker.say("所有居民")
    assert "截止时间要在" in await worker.text("下下周六 9:00")  # after the start
