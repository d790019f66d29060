"""The canteen in the ways residents really answer: yes-words, bare 取消, odd dates, races."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import CanteenConfig
from bot.files.activities import write_roster
from bot.files.menus import ORDER_FIELDS, order_rows
from bot.jobs.canteen import place_standing_orders
from storage import canteen, communities
from storage.engine import transaction
from storage.models import MealOrder, OutboxMessage, Resident, StandingOrder
from tests.support.canteen import MONDAY, at, orders, publish
from tests.support.chat import Chat

TUESDAY = MONDAY + timedelta(days=1)
TZ = "Asia/Shanghai"
EIGHT = at(MONDAY, 8)


async def resident(app, name: str, **fields: object) -> Chat:
    chat = Chat(app, name)
    await chat.say("你好", received_at=EIGHT)
    if fields:
        async with transaction(app.maker) as session:
            me = await session.scalar(select(Resident).where(Resident.display_name == name))
            for key, value in fields.items():
                setattr(me, key, value)
    return chat


@pytest.mark.parametrize("yes", ["好的", "确定", "可以。", "嗯", "确认订餐", "OK"])
async def test_everyday_yes_words_place_the_order(app, yes: str) -> None:
    await publish(app, MONDAY)
    chat = await resident(app, "吴奶奶")
    await chat.say("订一份午饭", received_at=EIGHT)
    assert "已订好" in await chat.text(yes, received_at=EIGHT)
    assert len(await orders(app)) == 1


async def test_no_words_place_nothing(app) -> None:
    await publish(app, MONDAY)
    chat = await resident(app, "郑爷爷")
    await chat.say("订一份午饭", received_at=EIGHT)
    assert "没有下单" in await chat.text("算了", received_at=EIGHT)
    assert await orders(app) == []


async def test_impossible_dates_are_questioned_not_guessed(app) -> None:
    await publish(app, MONDAY, TUESDAY)
    chat = await resident(app, "冯奶奶")
    await chat.say("订一份午饭", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    for text in ("2月30号订午饭", "取消2月30号的饭", "13月5号的菜单"):
        assert "不是有效的日期" in await chat.text(text, received_at=EIGHT), text
    [kept] = await orders(app)
    assert kept.status == "confirmed"


async def test_a_bare_cancel_is_asked_about_first(app) -> None:
    await publish(app, MONDAY, TUESDAY)
    chat = await resident(app, "陈爷爷")
    for text in ("今天中午订一份", "明天中午订一份"):
        await chat.say(text, received_at=EIGHT)
        await chat.say("1", received_at=EIGHT)
    ask = await chat.text("取消", received_at=at(MONDAY, 11))  # today's lunch is past its cut-off
    assert "要取消11月24日(周二)午餐的订餐吗" in ask
    assert [o.status for o in await orders(app)] == ["confirmed", "confirmed"]
    assert "订餐保留" in await chat.text("2", received_at=at(MONDAY, 11))
    await chat.say("不要了", received_at=at(MONDAY, 11))
    assert "已取消:11月24日(周二)午餐" in await chat.text("确认取消", received_at=at(MONDAY, 11))
    assert [o.status for o in await orders(app)] == ["confirmed", "cancelled"]


async def test_cancel_without_a_day_takes_the_next_order_still_open(app) -> None:
    await publish(app, MONDAY, TUESDAY)
    chat = await resident(app, "褚奶奶")
    for text in ("今天中午订一份", "明天中午订一份"):
        await chat.say(text, received_at=EIGHT)
        await chat.say("1", received_at=EIGHT)
    said = await chat.text("取消订餐", received_at=at(MONDAY, 11))
    assert "已取消:11月24日(周二)午餐" in said and "截止" not in said


async def test_standing_orders_wait_for_a_late_menu_and_mind_the_meal(app) -> None:
    await publish(app, MONDAY)
    chat = await resident(app, "卫爷爷")
    await chat.say("今天晚饭订一份", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    await chat.say("照旧", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    rules = app.dispatcher.settings.canteen
    assert await place_standing_orders(app.maker, rules, TZ, at(TUESDAY, 0, 1)) == 0  # no menu
    await publish(app, TUESDAY)
    await chat.say("明天中午订一份", received_at=EIGHT)  # a lunch does not stand for the dinner
    await chat.say("1", received_at=EIGHT)
    assert await place_standing_orders(app.maker, rules, TZ, at(TUESDAY, 8)) == 1
    tuesday = [(o.meal, o.status) for o in await orders(app) if o.day == TUESDAY]
    assert sorted(tuesday) == [("dinner", "confirmed"), ("lunch", "confirmed")]
    # Cancelled by the resident: not placed again at the next run.
    await chat.say("明天晚饭不要了", received_at=EIGHT)
    assert await place_standing_orders(app.maker, rules, TZ, at(TUESDAY, 9)) == 0


async def test_a_standing_delivery_without_an_address_becomes_pick_up(app) -> None:
    await publish(app, MONDAY, TUESDAY)
    chat = await resident(app, "蒋奶奶", delivery_eligible=True)
    await chat.say("今天中午订一份送到家", received_at=EIGHT)
    await chat.say("3栋2单元502", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    await chat.say("每天都订", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    assert "已删除" in await chat.text("删除地址", received_at=EIGHT)
    rules = app.dispatcher.settings.canteen
    assert await place_standing_orders(app.maker, rules, TZ, at(TUESDAY, 7)) == 1
    placed = [o for o in await orders(app) if o.day == TUESDAY]
    assert [(o.delivery, o.note) for o in placed] == [(False, "")]
    async with app.read_maker() as session:
        told = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "meal_standing")
        )
    assert "没有送餐地址,这次请到食堂取餐" in told.payload["text"]


async def test_one_confirmed_order_per_meal_even_when_two_race(app) -> None:
    await publish(app, MONDAY)
    await resident(app, "沈爷爷")
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        me = await session.scalar(select(Resident))
        fields = {"community_id": community.id, "resident_id": me.id, "day": MONDAY}
        fields |= {"meal": "lunch", "quantity": 1, "unit_price_cents": 1000}
        assert await canteen.place_order(session, MealOrder(**fields))
        assert not await canteen.place_order(session, MealOrder(**fields))
        assert await canteen.place_order(session, MealOrder(**{**fields, "meal": "dinner"}))
    assert len(await orders(app)) == 2


async def test_the_address_written_in_the_order_is_used_and_kept(app) -> None:
    await publish(app, MONDAY)
    chat = await resident(app, "韩奶奶", delivery_eligible=True)
    read_back = await chat.text("要俩份午饭送到3栋", received_at=EIGHT)
    assert "送餐到 3栋" in read_back and "只用于送餐" in read_back
    await chat.say("1", received_at=EIGHT)
    [placed] = await orders(app)
    assert (placed.delivery, placed.note, placed.quantity) == (True, "3栋", 2)
    assert "已记下送餐地址:5栋1单元101" in await chat.text("修改地址 5栋1单元101")
    async with app.read_maker() as session:
        me = await session.scalar(select(Resident))
    assert (me.building, me.unit, me.room) == ("5", "1", "101")


@pytest.mark.parametrize(
    "text", ["下周一起暂停两周", "从下周一起暂停两周", "今天起暂停一周", "暂停三十天"]
)
async def test_pause_in_other_words(app, text: str) -> None:
    await publish(app, MONDAY)
    chat = await resident(app, "杨爷爷")
    await chat.say("今天中午订一份", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    await chat.say("照旧", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    assert "已暂停" in await chat.text(text, received_at=EIGHT)
    async with app.read_maker() as session:
        usual = await session.scalar(select(StandingOrder))
    assert usual.paused_from is not None and usual.paused_until >= usual.paused_from


async def test_unreasonable_pauses_change_nothing(app) -> None:
    await publish(app, MONDAY)
    chat = await resident(app, "朱奶奶")
    await chat.say("今天中午订一份", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    await chat.say("照旧", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    for text in ("暂停订餐 99999999天", "暂停订餐 0天", "暂停订餐 91天"):
        assert "1 到 90 天" in await chat.text(text, received_at=EIGHT), text
    assert "已收到您的建议" in await chat.text("电梯暂停使用了", received_at=EIGHT)
    async with app.read_maker() as session:
        usual = await session.scalar(select(StandingOrder))
    assert usual.paused_from is None


async def test_the_order_export_is_safe_to_open_and_shows_the_order_address(app) -> None:
    await publish(app, MONDAY)
    chat = await resident(app, "=HYPERLINK(1)", delivery_eligible=True)
    await chat.say("饮食备注 @SUM(1)", received_at=EIGHT)
    await chat.say("今天中午订一份送到家", received_at=EIGHT)
    await chat.say("3栋2单元502", received_at=EIGHT)
    await chat.say("1", received_at=EIGHT)
    await chat.say("删除地址", received_at=EIGHT)  # the order keeps the address it was placed for
    async with app.read_maker() as session:
        community = await communities.ensure_default(session)
        rows = await order_rows(session, community.id, MONDAY)
    text = write_roster(rows, "csv", None, ORDER_FIELDS)
    assert isinstance(text, str)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["address"] == "3栋2单元502"
    assert row["name"] == "'=HYPERLINK(1)" and row["diet_note"] == "'@SUM(1)"


def test_the_prompt_must_come_before_the_lunch_cut_off() -> None:
    with pytest.raises(ValueError, match="prompt_time must come before lunch_cutoff"):
        CanteenConfig.model_validate({"prompt_time": "10:30"})
    with pytest.raises(ValueError, match="lunch_cutoff must come before dinner_cutoff"):
        CanteenConfig.model_validate({"lunch_cutoff": "16:00", "prompt_time": None})
