"""The canteen: menus, orders in words with a read-back, cut-offs, cancelling, the kitchen list."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from storage.engine import transaction
from storage.models import MealOrder, Resident
from tests.support.canteen import MONDAY, at, orders, publish
from tests.support.chat import Chat, make_staff


async def test_order_in_words_read_back_and_confirm(app) -> None:
    await publish(app, MONDAY, MONDAY + timedelta(days=1))
    chat = Chat(app, "张奶奶")
    morning = at(MONDAY, 8)
    await chat.say("你好", received_at=morning)
    async with transaction(app.maker) as session:
        me = await session.scalar(select(Resident))
        me.birth_year, me.delivery_eligible = 1944, True  # 82: the 80+ subsidy
    menu = await chat.text("今天吃什么", received_at=morning)
    assert "午餐:红烧肉、青菜、米饭 — 10 元(您 6 元)" in menu and "10:00" in menu
    ask = await chat.text("明天中午订两份饭送到家", received_at=morning)
    assert "送餐地址" in ask and "只用于送餐" in ask
    read_back = await chat.text("3栋2单元502", received_at=morning)
    assert "11月24日(周二)午餐 2 份,共 12 元,送餐到 3栋2单元502" in read_back
    assert await orders(app) == []  # nothing until the yes
    assert "已订好" in await chat.text("1", received_at=morning)
    [placed] = await orders(app)
    assert (placed.day, placed.meal, placed.quantity, placed.delivery) == (
        MONDAY + timedelta(days=1),
        "lunch",
        2,
        True,
    )
    assert "11月24日(周二)午餐 2 份,送餐,12 元" in await chat.text(
        "查一下我订的饭", received_at=morning
    )
    assert "已经订了" in await chat.text("明天中午订一份", received_at=morning)


async def test_kind_answers_to_bad_orders(app) -> None:
    await publish(app, MONDAY)
    chat = Chat(app, "李爷爷")
    morning = at(MONDAY, 8)
    assert "至少是 1 份" in await chat.text("订0份午饭", received_at=morning)
    assert "最多订 10 份" in await chat.text("订100份午饭", received_at=morning)
    assert "至少是 1 份" in await chat.text("订-2份午饭", received_at=morning)
    assert "菜单还没公布" in await chat.text("明天中午订一份", received_at=morning)
    assert "食堂不开门" in await chat.text("周六订饭", received_at=morning)
    assert "最近的开放日是 11月30日(周一)" in await chat.text("周六订饭", received_at=morning)
    assert "已过订餐截止时间(10:00)" in await chat.text(
        "今天中午订一份", received_at=at(MONDAY, 11)
    )
    assert "没有找到您要取消的订餐" in await chat.text("取消订餐", received_at=morning)
    read_back = await chat.text("订一份午饭送上门", received_at=morning)
    assert "送餐服务只面向" in read_back and "到食堂取餐" in read_back  # not eligible
    assert await orders(app) == []


async def test_cancel_until_the_cut_off(app) -> None:
    await publish(app, MONDAY)
    chat = Chat(app, "王阿姨")
    await chat.say("今天中午订一份", received_at=at(MONDAY, 8))
    await chat.say("确认", received_at=at(MONDAY, 8))
    await chat.say("今天晚饭订一份", received_at=at(MONDAY, 8))
    await chat.say("1", received_at=at(MONDAY, 8))
    assert "已过截止时间" in await chat.text("今天中午的饭不要了", received_at=at(MONDAY, 11))
    assert "已取消:11月23日(周一)晚餐" in await chat.text(
        "今天晚饭不要了", received_at=at(MONDAY, 11)
    )
    assert [o.status for o in await orders(app)] == ["confirmed", "cancelled"]


async def test_the_kitchen_list(app) -> None:
    await publish(app, MONDAY)
    await make_staff(app, "食堂小刘")
    worker = Chat(app, "食堂小刘")
    await worker.say("你好")
    for name, text, where in (
        ("甲", "订两份午饭", None),
        ("乙", "订一份午饭送到家", "5栋1单元101"),
    ):
        chat = Chat(app, name)
        await chat.say("你好", received_at=at(MONDAY, 8))
        if where:
            assert "已登记" in await worker.text(f"/eligible {name}")
            await chat.say("饮食备注 低盐", received_at=at(MONDAY, 8))
        await chat.say(text, received_at=at(MONDAY, 8))
        if where:
            await chat.say(where, received_at=at(MONDAY, 8))
        await chat.say("1", received_at=at(MONDAY, 8))
    summary = await worker.text("/orders 今天", received_at=at(MONDAY, 10, 30))
    assert "午餐:共 3 份(堂食/自取 2,送餐 1)" in summary
    assert "5栋1单元101 乙 ×1 [低盐]" in summary


async def test_two_hundred_confirmations_around_the_cut_off(app) -> None:
    await publish(app, MONDAY)
    chats = [Chat(app, f"居民{i}") for i in range(200)]
    for chat in chats:
        await chat.say("今天中午订一份", received_at=at(MONDAY, 9, 59))
    cutoff = at(MONDAY, 10)
    # Confirmations spread over the two seconds around 10:00, all handled at once.
    moments = [cutoff + timedelta(milliseconds=10 * i - 1000) for i in range(200)]
    answers = await asyncio.gather(
        *(chat.text("1", received_at=when) for chat, when in zip(chats, moments, strict=True))
    )
    before = sum(when < cutoff for when in moments)
    assert sum("已订好" in a for a in answers) == before == 100
    assert sum("已过订餐截止时间" in a for a in answers) == 100
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(MealOrder)) == before


async def test_the_kitchen_list_goes_to_staff_once_at_the_cut_off(app) -> None:
    from bot.jobs.canteen import kitchen_lists
    from storage.models import OutboxMessage

    await publish(app, MONDAY)
    await make_staff(app, "食堂小刘")
    chat = Chat(app, "甲")
    await chat.say("今天中午订两份", received_at=at(MONDAY, 8))
    await chat.say("1", received_at=at(MONDAY, 8))
    rules, tz = app.dispatcher.settings.canteen, "Asia/Shanghai"
    assert await kitchen_lists(app.maker, rules, tz, (), at(MONDAY, 9, 59)) == 0  # not yet
    # A minute's grace: confirmations that arrived before 10:00 may still be in hand.
    assert await kitchen_lists(app.maker, rules, tz, (), at(MONDAY, 10, 0, 30)) == 0
    assert await kitchen_lists(app.maker, rules, tz, (), at(MONDAY, 10, 1, 30)) == 1
    assert await kitchen_lists(app.maker, rules, tz, (), at(MONDAY, 10, 5)) == 0  # once
    # One that arrived at 09:59:59 but was handled after the list still counts, and the
    # kitchen hears of it.
    late = Chat(app, "乙")
    await late.say("今天中午订一份", received_at=at(MONDAY, 9, 59))
    assert "已订好" in await late.text("1", received_at=at(MONDAY, 9, 59, 59))
    assert await kitchen_lists(app.maker, rules, tz, (), at(MONDAY, 15, 1, 30)) == 1  # dinner
    async with app.read_maker() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    lunch, extra, _ = [r for r in rows if r.kind == "kitchen_list"]
    assert lunch.recipient == "食堂小刘" and "午餐:共 2 份" in lunch.payload["text"]
    assert "【补订】11月23日(周一)午餐:乙 ×1,堂食/自取" in extra.payload["text"]
    saturday = MONDAY + timedelta(days=5)
    assert await kitchen_lists(app.maker, rules, tz, (), at(saturday, 10, 1)) == 0  # closed


async def test_standing_order_every_open_day_until_paused(app) -> None:
    from bot.jobs.canteen import place_standing_orders
    from storage.models import OutboxMessage

    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    await publish(app, MONDAY, tuesday, wednesday)
    chat = Chat(app, "赵爷爷")
    assert "先订一次" in await chat.text("照旧", received_at=at(MONDAY, 7))
    await chat.say("今天中午订两份", received_at=at(MONDAY, 7))
    await chat.say("1", received_at=at(MONDAY, 7))
    assert "午餐 2 份,到食堂取" in await chat.text("每天都订", received_at=at(MONDAY, 7))
    assert "每个开放日都为您订好" in await chat.text("1", received_at=at(MONDAY, 7))
    rules, tz = app.dispatcher.settings.canteen, "Asia/Shanghai"
    assert await place_standing_orders(app.maker, rules, tz, at(tuesday, 6)) == 1
    assert await place_standing_orders(app.maker, rules, tz, at(tuesday, 7)) == 0  # once a day
    assert "已暂停" in await chat.text("明天起暂停一周", received_at=at(tuesday, 8))
    assert await place_standing_orders(app.maker, rules, tz, at(wednesday, 6)) == 0  # paused
    assert "已恢复" in await chat.text("恢复订餐", received_at=at(tuesday, 9))
    days = [(o.day, o.quantity) for o in await orders(app)]
    assert days == [(MONDAY, 2), (tuesday, 2)]
    async with app.read_maker() as session:
        told = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "meal_standing")
        )
    assert "今天已照旧为您订了午餐 2 份" in told.payload["text"]


async def test_the_daily_menu_goes_once_to_those_who_asked(app) -> None:
    from bot.jobs.canteen import daily_prompts
    from storage.models import OutboxMessage

    await publish(app, MONDAY)
    asked, other = Chat(app, "孙奶奶"), Chat(app, "周叔叔")
    assert "每天 09:00" in await asked.text("每天提醒我订餐", received_at=at(MONDAY, 7))
    await other.say("你好", received_at=at(MONDAY, 7))
    rules, tz = app.dispatcher.settings.canteen, "Asia/Shanghai"
    assert await daily_prompts(app.maker, rules, tz, at(MONDAY, 8, 59)) == 0  # too early
    assert await daily_prompts(app.maker, rules, tz, at(MONDAY, 9, 1)) == 1
    assert await daily_prompts(app.maker, rules, tz, at(MONDAY, 9, 2)) == 0  # once a day
    async with app.read_maker() as session:
        [prompt] = list(await session.scalars(select(OutboxMessage)))
    assert prompt.recipient == "孙奶奶" and "回复“订餐”即可" in prompt.payload["text"]
    assert "不再每天发菜单" in await asked.text("不要提醒了", received_at=at(MONDAY, 9, 5))
    tuesday = MONDAY + timedelta(days=1)
    await publish(app, tuesday)
    assert await daily_prompts(app.maker, rules, tz, at(tuesday, 9, 1)) == 0
