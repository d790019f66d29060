"""Orders and sign-ups in words: changing an order, standing orders, pauses that cancel, past
days refused, parties counted from who is named, which activity is meant, every slot shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from nlp.dates import party_size
from nlp.intents import understand
from storage.engine import transaction
from storage.models import ActivitySlot, Registration, StandingOrder
from tests.support.activities import add, coming, statuses
from tests.support.canteen import MONDAY, at, orders, publish
from tests.support.chat import resident, shown

TUESDAY = MONDAY + timedelta(days=1)
EIGHT = at(MONDAY, 8)


async def _ordered(app, name: str, words: str = "明天中午订两份饭") -> object:
    await publish(app, MONDAY, TUESDAY, TUESDAY + timedelta(days=1))
    me = await resident(app, name, birth_year=1950)
    await me.say(words, received_at=EIGHT)
    assert "已订好" in await me.text("确认", received_at=EIGHT)
    return me


async def test_changing_the_portions_of_the_order_just_placed(app) -> None:
    me = await _ordered(app, "吴奶奶")
    read_back = await me.text("改成三份", received_at=EIGHT)
    assert "11月24日(周二)午餐 2 份" in read_back and "改成:11月24日(周二)午餐 3 份" in read_back
    assert "已改好:11月24日(周二)午餐 3 份" in await me.text("好的", received_at=EIGHT)
    [order] = await orders(app)
    assert order.quantity == 3 and order.status == "confirmed"


async def test_changing_an_order_named_by_day_and_meal(app) -> None:
    me = await _ordered(app, "郑奶奶")
    read_back = await me.text("明天中午的饭改成一份", received_at=EIGHT)
    assert "改成:11月24日(周二)午餐 1 份" in read_back
    await me.say("1", received_at=EIGHT)
    assert (await orders(app))[0].quantity == 1


async def test_changing_the_meal_and_delivery(app) -> None:
    me = await _ordered(app, "周奶奶")
    assert "晚餐 2 份" in await me.text("改成晚饭", received_at=EIGHT)
    await me.say("确认修改", received_at=EIGHT)
    [order] = await orders(app)
    assert order.meal == "dinner" and order.unit_price_cents == 800 - 200  # her 70s price


async def test_no_change_after_the_cut_off(app) -> None:
    me = await _ordered(app, "冯奶奶", "今天中午订一份")
    answer = await me.text("改成两份", received_at=at(MONDAY, 11))
    assert "截止" in answer and (await orders(app))[0].quantity == 1


async def test_every_day_at_noon_is_a_standing_order(app) -> None:
    await publish(app, MONDAY)
    me = await resident(app, "陈爷爷", birth_year=1940)
    ask = await me.text("每天中午给我送一份饭", received_at=EIGHT)
    assert "以后每个开放日都为您订:午餐 1 份,送餐到家" in ask
    await me.say("确认", received_at=EIGHT)
    async with app.read_maker() as session:
        usual = await session.get(StandingOrder, 1)
    assert usual is not None and usual.meal == "lunch" and usual.delivery


async def test_a_pause_also_cancels_orders_already_placed_in_it(app) -> None:
    me = await _ordered(app, "褚奶奶")
    await me.say("照旧", received_at=EIGHT)
    await me.say("确认", received_at=EIGHT)
    answer = await me.text("明天起暂停一周", received_at=EIGHT)
    assert "已暂停" in answer and "这几天已订的也取消了:11月24日(周二)午餐" in answer
    assert [o.status for o in await orders(app)] == ["cancelled"]


@pytest.mark.parametrize("words", ["昨天中午订一份饭", "前天订两份午饭", "上周五订一份"])
async def test_a_past_day_said_relatively_is_refused(app, words: str) -> None:
    await publish(app, MONDAY - timedelta(days=3), MONDAY - timedelta(days=2), MONDAY)
    me = await resident(app, "卫奶奶")
    assert "那天已经过去了" in await me.text(words, received_at=EIGHT)
    assert await orders(app) == []


def test_past_days_in_nlp_understand() -> None:
    found = understand("昨天中午订一份饭", now=EIGHT)
    assert found.slots["date"] == "2026-11-22"
    assert understand("上周五订两份", now=EIGHT).slots["date"] == "2026-11-20"


@pytest.mark.parametrize(
    ("words", "party"),
    [
        ("给我和老伴报名冬季义诊", 2),
        ("我和老伴都要理发 周六的", 2),
        ("报名做灯笼 大人小孩两个", 2),
        ("报名义诊", None),
        ("我和老伴和孙子报名", 3),
    ],
)
def test_party_size_from_who_is_named(words: str, party: int | None) -> None:
    assert party_size(words) == party


async def test_signing_up_with_a_spouse(app) -> None:
    clinic = await add(
        app, title="冬季义诊", keywords="义诊", starts_at=coming(2), capacity=20, place="活动中心"
    )
    me = await resident(app, "蒋大爷")
    assert "人数:2 人" in await me.text("给我和老伴报名冬季义诊")
    async with app.read_maker() as session:
        [registration] = await session.scalars(
            select(Registration).where(Registration.activity_id == clinic.id)
        )
    assert registration.party_size == 2


async def test_making_lanterns_grown_up_and_child(app) -> None:
    await add(app, title="做灯笼", keywords="灯笼 手工", starts_at=coming(5), capacity=10)
    me = await resident(app, "沈阿姨")
    assert "人数:2 人" in await me.text("报名做灯笼 大人小孩两个")


async def test_two_haircuts_ask_which(app) -> None:
    await add(app, title="老人理发", keywords="理发 剪头", starts_at=coming(5), capacity=10)
    await add(app, title="义剪理发", keywords="理发", starts_at=coming(6), capacity=10)
    me = await resident(app, "韩爷爷")
    ask = await shown(me, "报名理发")
    assert "您说的是哪一个活动" in ask and "老人理发" in ask and "义剪理发" in ask


async def _haircuts(app, slots: int = 10) -> int:
    start = coming(5, 9)
    haircut = await add(app, title="老人理发", keywords="理发 剪头", starts_at=start)
    async with transaction(app.maker) as session:
        for i in range(slots):
            session.add(
                ActivitySlot(
                    activity_id=haircut.id, starts_at=start + timedelta(minutes=15 * i), capacity=1
                )
            )
    return haircut.id


async def test_every_slot_is_shown(app) -> None:
    await _haircuts(app, 10)
    me = await resident(app, "杨奶奶")
    offer = await shown(me, "报名理发")
    assert "11 11:15" in offer  # all ten slots, after 最早的空位


async def test_a_couple_takes_a_slot_each(app) -> None:
    haircut = await _haircuts(app, 4)
    me = await resident(app, "朱爷爷")
    offer = await shown(me, "我和老伴都要理发 周六的")
    assert "2 位每人一个时段" in offer
    confirmed = await me.text("最早的空位")
    assert "人数:2 人" in confirmed and "同行的在" in confirmed
    assert await statuses(app, haircut) == ["confirmed", "confirmed"]
    mine = await me.text("我的报名")
    assert "2 人" in mine and mine.count("老人理发") == 1
    # Cancelling frees both slots.
    await me.say("取消报名")
    await me.say("确定取消")
    assert await statuses(app, haircut) == ["cancelled", "cancelled"]


async def test_a_couple_waits_for_two_slots_and_is_promoted_together(app) -> None:
    haircut = await _haircuts(app, 2)
    first = await resident(app, "秦奶奶")
    await first.say("报名理发")
    await first.say("最早的空位")
    couple = await resident(app, "尤爷爷")
    assert "不够 2 位" in await couple.text("我和老伴都要理发")
    assert "第 1 位" in await couple.text("排队")
    assert await statuses(app, haircut) == ["confirmed", "waitlisted"]
    await first.say("取消报名")
    await first.say("确定取消")
    assert await statuses(app, haircut) == ["cancelled", "confirmed", "confirmed"]
