"""删除我的信息 erases what it promises, everywhere; places and meals go back the right way;
every staff action and every refusal is on record."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

from sqlalchemy import inspect, select, text

from storage.models import AuditLog, MealOrder, OutboxMessage, Registration
from tests.support.activities import add, coming, statuses
from tests.support.canteen import MONDAY, at, publish
from tests.support.chat import make_staff, resident, suggestions

NAME, PHONE, DOOR = "王五乙", "13800138000", "3栋2单元502"


async def _everything_stored(app) -> list[str]:
    """Return every value of every column of every table, JSON decoded, as text."""
    values: list[str] = []
    async with app.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        for table in tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).all()
            for row in rows:
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, (dict, list)):
                        values.append(f"{table}:{json.dumps(value, ensure_ascii=False)}")
                        continue
                    shown = str(value)
                    if shown[:1] in "[{":
                        with contextlib.suppress(ValueError):
                            shown = json.dumps(json.loads(shown), ensure_ascii=False)
                    values.append(f"{table}:{shown}")
    return values


async def test_forgetting_leaves_no_name_phone_address_or_account_anywhere(app) -> None:
    await publish(app, MONDAY, MONDAY + timedelta(days=1))
    staff = await make_staff(app, "小王")
    me = await resident(app, NAME, phone=PHONE, building="3", unit="2", room="502")
    await me.say(f"我家漏水了,住{DOOR},电话{PHONE},找{NAME}就行")
    await staff.say("/open")  # staff's screen (kept for replays) shows the resident
    await staff.say("/reply 1 师傅下午来")
    await staff.say("/resolve 1 已修好")
    await me.say(f"没解决 还是漏 电话{PHONE}")
    await me.say("转人工")
    await me.say(f"我是{NAME},住{DOOR}")
    await me.say("0")
    await me.say("电梯困人了")
    await me.say(f"在{DOOR} 电话{PHONE}")
    await me.say("0")
    await me.say("删除我的信息")
    assert "已删除您的个人信息" in await me.text("确认删除")
    found = [v for v in await _everything_stored(app) if any(
        s in v for s in (NAME, PHONE, DOOR, f"console:{NAME}")
    )]  # fmt: skip
    assert found == []
    # What they wrote is kept, anonymised.
    kept = await suggestions(app)
    assert kept and all(s.resident_id is None for s in kept)
    assert "[电话已删除]" in kept[0].text and "[门牌已删除]" in kept[0].text
    async with app.read_maker() as session:
        actors = set(await session.scalars(select(AuditLog.actor)))
    assert any(a.startswith("resident~") for a in actors)


async def test_the_same_pseudonym_for_the_same_account(app) -> None:
    from storage import privacy
    from storage.engine import transaction

    async with transaction(app.maker) as session:
        first = await privacy.pseudonym(session, "wechat:oX1")
        again = await privacy.pseudonym(session, "wechat:oX1")
        other = await privacy.pseudonym(session, "wechat:oX2")
    assert first == again != other and "oX1" not in first


async def test_forgetting_a_confirmed_participant_promotes_the_waitlist(app) -> None:
    clinic = await add(app, title="义诊", keywords="义诊", starts_at=coming(3), capacity=1)
    first = await resident(app, "甲")
    await first.say("报名义诊")
    second = await resident(app, "乙")
    await second.say("报名义诊")
    assert await statuses(app, clinic.id) == ["confirmed", "waitlisted"]
    await first.say("删除我的信息")
    await first.say("确认删除")
    async with app.read_maker() as session:
        rows = list(await session.scalars(select(Registration)))
    assert [r.status for r in rows] == ["confirmed"]  # 乙 moved up; 甲's row went with them
    async with app.read_maker() as session:
        told = [m.payload["text"] for m in await session.scalars(select(OutboxMessage))]
    assert any("有空位了" in t for t in told)


async def test_forgetting_cancels_meals_before_the_cut_off_and_keeps_later_ones(app) -> None:
    await publish(app, MONDAY, MONDAY + timedelta(days=1))
    me = await resident(app, "丙", birth_year=1940, building="3", unit="1", room="101")
    eight = at(MONDAY, 8)
    for words in ("今天中午订一份 送到家", "明天中午订一份"):
        await me.say(words, received_at=eight)
        await me.say("确认", received_at=eight)
    await me.say("删除我的信息", received_at=at(MONDAY, 11))
    await me.say("确认删除", received_at=at(MONDAY, 11))
    async with app.read_maker() as session:
        orders = list(await session.scalars(select(MealOrder).order_by(MealOrder.day)))
    # Today's lunch (past its cut-off) stays for the kitchen without a name; tomorrow's goes.
    assert [(o.status, o.resident_id) for o in orders] == [("confirmed", None)]
    staff = await make_staff(app, "小王")
    listing = await staff.text("/orders 今天", received_at=at(MONDAY, 11))
    assert "已删除资料的居民" in listing


async def test_refusals_and_staff_actions_are_audited(app) -> None:
    from storage import communities
    from storage.engine import transaction

    staff = await make_staff(app, "小王")
    await staff.say("/tag 不存在 老人")
    await (await resident(app, "丁")).say("/stats")
    elsewhere = await resident(app, "戊")
    async with transaction(app.maker) as session:
        other = await communities.add(session, "other", "别的小区", None)
    async with transaction(app.maker) as session:
        from storage.models import Resident

        who = await session.scalar(select(Resident).where(Resident.display_name == "戊"))
        who.community_id = other.id
    await elsewhere.say("别的小区的楼道灯坏了,请尽快修一下")
    await staff.say("/reply 1 好的")
    async with app.read_maker() as session:
        entries = list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))
    actions = [(e.action, e.actor, e.community_id, e.target) for e in entries]
    assert ("staff.command /tag", "console:小王", 1, "不存在 老人") in actions
    assert any(a == "refused.staff_only" and t == "/stats" for a, _, _, t in actions)
    refused = [t for a, _, _, t in actions if a == "refused.suggestion.other_community"]
    assert refused == ["suggestion:1"]


async def test_an_anonymous_poll_keeps_no_one_s_door_or_id_once_it_is_over(app) -> None:
    from bot.jobs.polls import poll_tick
    from storage.models import PollResponse
    from tests.support.polls import NOW, RATING, WEEK, make_poll
    from tests.support.polls import resident as poll_resident

    poll_id, _ = await make_poll(
        app, [RATING], title="物业满意度", anonymous=True, per_household=True
    )
    me = await poll_resident(app, "己", building="3", unit="2", room="502")
    await me.say("问卷")
    await me.say("5")
    async with app.read_maker() as session:
        [open_response] = list(await session.scalars(select(PollResponse)))
    assert open_response.respondent == "h3-2-502"  # the one-per-household rule, while open
    await poll_tick(app.maker, "Asia/Shanghai", None, now=NOW + WEEK + timedelta(minutes=1))
    async with app.read_maker() as session:
        [closed] = list(
            await session.scalars(select(PollResponse).where(PollResponse.poll_id == poll_id))
        )
    assert closed.resident_id is None and closed.respondent == f"x{closed.id}"
