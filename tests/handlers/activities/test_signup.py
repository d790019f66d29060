"""Activities: listing, signing up by button, number and words, eligibility, waitlists, slots."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.channels.plaintext import render
from storage.engine import transaction
from storage.models import ActivitySlot, OutboxMessage, Registration, Resident
from tests.support.activities import ZONE, add, coming, statuses
from tests.support.chat import Chat


async def shown(chat: Chat, text: str = "", **fields) -> str:
    """What the resident sees on a channel without buttons (choices as numbers)."""
    return "\n".join(render(r) for r in await chat.say(text, **fields))


async def test_list_details_and_sign_up_by_number(app) -> None:
    clinic = await add(
        app,
        title="社区义诊",
        keywords="义诊 体检",
        place="活动中心",
        starts_at=coming(2),
        capacity=30,
    )
    chat = Chat(app, "张阿姨")
    listing = await chat.text("最近有什么活动")
    assert "社区义诊" in listing and "(周三)09:00" in listing and "还剩 30 个名额" in listing
    details = await shown(chat, "1")
    assert "地点:活动中心" in details and "回复 1 报名" in details
    confirmed = await chat.text("1")
    assert "已为您报名:社区义诊" in confirmed and "签到码:" in confirmed
    assert "已经报名" in await chat.text("报名义诊")  # twice: no second sign-up
    assert await statuses(app, clinic.id) == ["confirmed"]
    assert "社区义诊" in await chat.text("我的报名")


async def test_sign_up_in_words(app) -> None:
    await add(app, title="社区义诊", keywords="义诊", starts_at=coming(2), capacity=30)
    await add(app, title="父亲节亲子绘画", keywords="亲子 画画 绘画", starts_at=coming(6, 14))
    await add(app, title="健康知识讲座", keywords="讲座 健康", starts_at=coming(5, 10))
    chat = Chat(app, "李叔叔")
    assert "已为您报名:社区义诊" in await chat.text("报名义诊")
    assert "已为您报名:父亲节亲子绘画" in await chat.text("我想参加亲子画画活动")
    assert "已为您报名:健康知识讲座" in await chat.text("给我报个名,周六那个健康讲座")
    nothing = await chat.text("报名参加广场舞比赛")
    assert "没有找到您说的活动" in nothing and "社区义诊" in nothing


async def test_eligibility_is_asked_once_and_remembered(app) -> None:
    await add(app, title="老年人理发", keywords="理发", starts_at=coming(3), min_age=60,
              audience="60岁以上居民")  # fmt: skip
    await add(app, title="量血压", keywords="血压", starts_at=coming(4), min_age=60,
              audience="60岁以上居民")  # fmt: skip
    senior = Chat(app, "赵大爷")
    assert "哪一年出生" in await senior.text("报名理发")
    assert "已为您报名:老年人理发" in await senior.text("1950")
    assert "已为您报名:量血压" in await senior.text("报名量血压")  # not asked again
    young = Chat(app, "小刘")
    await young.say("报名理发")
    assert "这次您不能报名" in await young.text("1995")
    async with app.read_maker() as session:
        years = dict(
            (await session.execute(select(Resident.display_name, Resident.birth_year))).all()
        )
    assert years["赵大爷"] == 1950 and years["小刘"] == 1995


async def test_full_waitlist_cancel_and_promotion(app) -> None:
    talk = await add(app, title="恳谈会", keywords="恳谈会", starts_at=coming(1, 19), capacity=2)
    first, second, third = Chat(app, "甲"), Chat(app, "乙"), Chat(app, "丙")
    await first.say("报名恳谈会")
    await second.say("报名恳谈会")
    assert "已为您排队:第 1 位" in await third.text("报名恳谈会")
    listing = await Chat(app, "丁").text("活动")
    assert "已满,可排队" in listing
    assert "确定取消" in await first.text("取消报名")
    assert "已取消“恳谈会”的报名" in await first.text("1")
    assert await statuses(app, talk.id) == ["cancelled", "confirmed", "confirmed"]
    async with app.read_maker() as session:
        told = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "activity_promoted")
        )
    assert told.recipient == "丙" and "有空位了" in told.payload["text"]


async def test_family_sign_up_counts_two_places(app) -> None:
    painting = await add(app, title="亲子绘画", keywords="亲子 画画", starts_at=coming(6),
                         capacity=3)  # fmt: skip
    assert "人数:2 人" in await Chat(app, "王妈妈").text("报名亲子画画 2人")
    assert "排队" in await Chat(app, "陈爸爸").text("我们两个人报名亲子画画")
    assert "已为您报名" in await Chat(app, "孙奶奶").text("报名亲子画画")
    assert await statuses(app, painting.id) == ["confirmed", "waitlisted", "confirmed"]


async def test_time_slots(app) -> None:
    haircut = await add(app, title="义务理发", keywords="理发", starts_at=coming(3))
    async with transaction(app.maker) as session:
        for n in range(2):
            start = haircut.starts_at + timedelta(minutes=15 * n)
            session.add(ActivitySlot(activity_id=haircut.id, starts_at=start, capacity=1))
    one, two, three = Chat(app, "一"), Chat(app, "二"), Chat(app, "三")
    offer = await shown(one, "报名理发")
    assert "回复 1 最早的空位,2 09:00,3 09:15" in offer
    assert "(周四)09:15" in await one.text("3")
    assert "09:15:已报名" in await one.text("我的报名")
    offer = await two.say("报名理发")
    await three.say("报名理发")
    await three.say("2")  # takes 09:00 while 二 is still choosing
    taken = await two.text("2")  # 09:00, now gone
    assert "刚刚被约满" in taken
    assert "排队" in await Chat(app, "四").text("报名理发")
    assert offer  # 二 was offered slots before they went


async def test_closed_activities_get_a_clear_answer_and_no_change(app) -> None:
    now = datetime.now(ZONE)
    late = await add(app, title="插花", keywords="插花", starts_at=coming(4),
                     signup_deadline=now - timedelta(hours=1))  # fmt: skip
    off = await add(app, title="书法", keywords="书法", starts_at=coming(4), cancelled=True)
    chat = Chat(app, "周阿姨")
    assert "报名已经截止" in await chat.text("报名插花")
    # A button kept from before the activity was cancelled.
    assert "“书法”已取消,不能报名了" in await chat.text(button=f"act:join:{off.id}")
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Registration)) == 0
    assert late.id


async def test_fifty_residents_for_the_last_ten_places(app) -> None:
    meeting = await add(app, title="居民恳谈会", keywords="恳谈会", starts_at=coming(1, 19),
                        capacity=12)  # fmt: skip
    await Chat(app, "早到一").say("报名恳谈会")
    await Chat(app, "早到二").say("报名恳谈会")
    chats = [Chat(app, f"居民{i}") for i in range(50)]
    for chat in chats:  # everyone is known first; then they press at the same moment
        await chat.say("你好")
    told = await asyncio.gather(*(chat.text(button=f"act:join:{meeting.id}") for chat in chats))
    found = await statuses(app, meeting.id)
    assert found.count("confirmed") == 12 and found.count("waitlisted") == 40
    # Each was told a different place in the queue, and the list agrees with what they heard.
    positions = sorted(int(t.split("第 ")[1].split(" 位")[0]) for t in told if "排队" in t)
    assert positions == list(range(1, 41))
    for chat, text in zip(chats, told, strict=True):
        if "排队" in text:
            assert f"第 {text.split('第 ')[1].split(' 位')[0]} 位" in await chat.text("我的报名")


async def test_reminders_go_once_and_the_waitlist_is_told_at_the_start(app) -> None:
    from bot.jobs.activities import activity_tick

    start = datetime.now(ZONE) + timedelta(hours=25)
    clinic = await add(app, title="义诊", keywords="义诊", starts_at=start, capacity=1)
    await Chat(app, "甲").say("报名义诊")
    await Chat(app, "乙").say("报名义诊")  # waitlisted

    async def queued(kind: str = "reminder") -> list[tuple[str, str]]:
        async with app.read_maker() as session:
            rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
            return [(r.recipient, r.payload["text"]) for r in rows]

    tz = "Asia/Shanghai"
    assert await activity_tick(app.maker, tz) == 0  # not yet due
    day_before = start - timedelta(hours=24) + timedelta(minutes=1)
    assert await activity_tick(app.maker, tz, day_before) == 1  # the 24 h reminder, to 甲 only
    assert await activity_tick(app.maker, tz, day_before) == 0  # run again: nothing new
    [(who, text)] = await queued()
    assert who == "甲" and "提醒" in text and "签到码" in text
    two_hours_before = start - timedelta(hours=2) + timedelta(minutes=1)
    assert await activity_tick(app.maker, tz, two_hours_before) == 1
    assert await activity_tick(app.maker, tz, two_hours_before) == 0
    at_start = start + timedelta(minutes=1)
    assert await activity_tick(app.maker, tz, at_start) == 1  # 乙 hears there was no place
    assert await activity_tick(app.maker, tz, at_start) == 0
    told = [who for who, text in await queued() if "没有空出名额" in text]
    assert told == ["乙"] and clinic.id


async def test_several_matches_ask_which_and_a_past_activity_is_closed(app) -> None:
    from bot.channels.plaintext import render

    await add(app, title="健康讲座:高血压", keywords="讲座", starts_at=coming(2, 10))
    await add(app, title="健康讲座:糖尿病", keywords="讲座", starts_at=coming(4, 10))
    chat = Chat(app, "吴阿姨")
    replies = await chat.say("我要报名讲座")
    assert "哪一个" in replies[-1].text
    shown = render(replies[-1])
    assert "高血压" in shown and "糖尿病" in shown
    assert "已为您报名:健康讲座:糖尿病" in await chat.text("健康讲座:糖尿病")
    past = await add(app, title="旧活动", starts_at=datetime.now(ZONE) - timedelta(days=1))
    assert "已经开始或结束了" in await chat.text(button=f"act:join:{past.id}")


def test_dates_in_words() -> None:
    from datetime import date

    from nlp.dates import find_date, party_size

    wednesday = date(2026, 11, 25)
    assert find_date("周六那个健康讲座", wednesday) == date(2026, 11, 28)
    assert find_date("星期三", wednesday) == wednesday  # today is the coming Wednesday
    assert find_date("下周三", wednesday) == date(2026, 12, 2)
    assert find_date("礼拜天", wednesday) == date(2026, 11, 29)
    assert find_date("后天", wednesday) == date(2026, 11, 27)
    assert find_date("12月3日", wednesday) == date(2026, 12, 3)
    assert find_date("3月1号", wednesday) == date(2027, 3, 1)  # past this year: next year
    assert find_date("30号", wednesday) == date(2026, 11, 30)
    assert find_date("2月30日", wednesday) is None
    assert find_date("报名义诊", wednesday) is None
    assert party_size("2人") == 2 and party_size("我们一家三口") == 3
    assert party_size("报名义诊") is None


async def test_buttons_from_elsewhere_and_party_sizes(app) -> None:
    a = await add(app, title="消防安全讲座", keywords="讲座", starts_at=coming(2, 10), capacity=5)
    b = await add(app, title="健康讲座", keywords="讲座", starts_at=coming(4, 10), capacity=5)
    chat = Chat(app, "郑叔叔")
    await chat.say("报名讲座 2人")  # two match: which one?
    assert "人数:2 人" in await chat.text("消防安全讲座")
    async with app.read_maker() as session:
        mine = await session.scalar(select(Registration).where(Registration.activity_id == a.id))
    assert mine.party_size == 2 and b.id
    for forged in (f"act:join:{b.id}:-10", f"act:join:{b.id}:0", "act:join:abc", "act:slot:1:x:1"):
        assert "过期" in await chat.text(button=forged), forged
    assert "最多能报 5 人" in await chat.text(button=f"act:join:{b.id}:50")
    assert "已为您报名:消防安全讲座" not in await Chat(app, "钱").text("报名消防 10人")
    assert await statuses(app, b.id) == []


async def test_a_family_too_big_for_a_slot_is_told_and_the_queue_moves(app) -> None:
    haircut = await add(app, title="义务理发", keywords="理发", starts_at=coming(3))
    async with transaction(app.maker) as session:
        session.add(ActivitySlot(activity_id=haircut.id, starts_at=haircut.starts_at, capacity=1))
    assert "最多能报 1 人" in await Chat(app, "一家").text("报名理发 2人")
    first, second = Chat(app, "甲"), Chat(app, "乙")
    await first.say("报名理发")
    await first.say("1")
    assert "都约满了" in await second.text("报名理发")
    assert "排队:第 1 位" in await second.text("1")
    await first.say("取消报名")
    await first.say("1")
    assert await statuses(app, haircut.id) == ["cancelled", "confirmed"]


async def test_words_that_are_not_what_they_seem(app) -> None:
    await add(app, title="社区义诊", keywords="义诊", starts_at=coming(2), capacity=9)
    await add(app, title="老年人理发", keywords="理发", starts_at=coming(3), min_age=60,
              audience="60岁以上居民")  # fmt: skip
    assert "已为您报名:社区义诊" in await Chat(app, "住10号楼的").text("我住10号楼,报名义诊")
    senior = Chat(app, "老吴")
    await senior.say("报名理发")
    assert "已为您报名" in await senior.text("52")  # a year asked for: 1952
    async with app.read_maker() as session:
        assert (
            await session.scalar(select(Resident).where(Resident.display_name == "老吴"))
        ).birth_year == 1952
