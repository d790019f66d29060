"""Staff set the canteen's menus, prices and subsidy tiers from chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs.canteen import place_standing_orders
from storage import canteen, communities
from storage.engine import transaction
from storage.models import Menu, Resident
from tests.support.canteen import MONDAY, at, orders
from tests.support.chat import Chat, make_staff

MORNING = at(MONDAY, 8)


async def kitchen_worker(app) -> Chat:
    await make_staff(app, "食堂小刘")
    worker = Chat(app, "食堂小刘")
    await worker.say("你好", received_at=MORNING)
    return worker


async def senior(app, name: str, birth_year: int) -> Chat:
    chat = Chat(app, name)
    await chat.say("你好", received_at=MORNING)
    async with transaction(app.maker) as session:
        me = await session.scalar(select(Resident).where(Resident.display_name == name))
        me.birth_year = birth_year
    return chat


async def menus(app) -> list[tuple[str, str, str, int]]:
    async with app.read_maker() as session:
        rows = await session.scalars(select(Menu).order_by(Menu.day, Menu.meal))
        return [(str(m.day), m.meal, m.dishes, m.price_cents) for m in rows]


async def test_staff_publish_change_and_withdraw_a_menu(app) -> None:
    worker = await kitchen_worker(app)
    said = await worker.text("/setmenu 明天 午餐 15元 红烧鱼 炒青菜 米饭", received_at=MORNING)
    assert "已设置 11月24日(周二)午餐:红烧鱼、炒青菜、米饭 — 15 元" in said
    resident = await senior(app, "王阿姨", 1990)
    assert "午餐:红烧鱼、炒青菜、米饭 — 15 元" in await resident.text(
        "明天的菜单", received_at=MORNING
    )
    assert "16.5 元" in await worker.text("/setmenu 11月24日 午餐 16.5", received_at=MORNING)
    await worker.say("设置菜单 2026-11-24 午饭 清蒸鱼 米饭", received_at=MORNING)
    assert await menus(app) == [("2026-11-24", "lunch", "清蒸鱼、米饭", 1650)]
    assert "已撤下" in await worker.text("/setmenu 明天 午餐 删除", received_at=MORNING)
    assert await menus(app) == []


async def test_a_menu_with_orders_stays_and_orders_keep_their_price(app) -> None:
    worker = await kitchen_worker(app)
    await worker.say("/setmenu 今天 午餐 10 红烧肉 米饭", received_at=MORNING)
    resident = await senior(app, "赵伯伯", 1990)
    await resident.say("订一份午饭", received_at=MORNING)
    assert "已订好" in await resident.text("1", received_at=MORNING)
    assert "不能撤下" in await worker.text("/setmenu 今天 午餐 删除", received_at=MORNING)
    said = await worker.text("/setmenu 今天 午餐 12元", received_at=MORNING)
    assert "已下的订单仍按下单时的价格" in said
    [placed] = await orders(app)
    assert placed.unit_price_cents == 1000
    assert await menus(app) == [(str(MONDAY), "lunch", "红烧肉、米饭", 1200)]


async def test_bad_menu_commands_are_explained_and_change_nothing(app) -> None:
    worker = await kitchen_worker(app)
    await worker.say("/setmenu 明天 晚餐 8 粥 包子", received_at=MORNING)
    before = await menus(app)
    for text, answer in (
        ("/setmenu", "用法"),
        ("/setmenu 明天 午餐", "用法"),
        ("/setmenu 某天 午餐 10 饭", "看不懂日期"),
        ("/setmenu 明天 早餐 10 饭", "请写 午餐 或 晚餐"),
        ("/setmenu 2026-11-20 午餐 10 饭", "已经过去了"),
        ("/setmenu 明天 午餐 5000 饭", "太高了"),
        ("/setmenu 明天 午餐 红烧肉", "还没有菜单:请写上价格和菜品"),
        ("/setmenu 明天 午餐 12", "还没有菜单"),
        ("/setmenu 明天 午餐 10 " + "菜" * 201, "太长了"),
    ):
        assert answer in await worker.text(text, received_at=MORNING), text
    assert "不开门" in await worker.text("/setmenu 周六 午餐 10 饭", received_at=MORNING)
    assert "已经过去了" in await worker.text("/setmenu 11月20日 午餐 9 饭", received_at=MORNING)
    next_year = await worker.text("/setmenu 1月4日 午餐 9 饭", received_at=MORNING)
    assert "2027年1月4日(周一)" in next_year  # a day long gone this year is next year's
    assert await menus(app) == [
        *before,
        ("2026-11-28", "lunch", "饭", 1000),
        ("2027-01-04", "lunch", "饭", 900),
    ]
    resident = await senior(app, "孙奶奶", 1950)
    assert "只有社区工作人员" in await resident.text("/setmenu 明天 午餐 1 饭", received_at=MORNING)
    assert len(await menus(app)) == 3


async def test_subsidy_tiers_set_by_staff(app) -> None:
    worker = await kitchen_worker(app)
    await worker.say("/setmenu 今天 午餐 10 红烧肉 米饭", received_at=MORNING)
    shown = await worker.text("/subsidy", received_at=MORNING)
    assert "系统配置" in shown and "60 岁以上每餐减 2 元;80 岁以上每餐减 4 元" in shown
    resident = await senior(app, "钱爷爷", 1956)  # 70
    assert "(您 8 元)" in await resident.text("今天吃什么", received_at=MORNING)
    said = await worker.text("/subsidy 65岁 3元, 75岁 5.5元", received_at=MORNING)
    assert "65 岁以上每餐减 3 元;75 岁以上每餐减 5.5 元" in said
    assert "(您 7 元)" in await resident.text("今天吃什么", received_at=MORNING)
    assert "共 7 元" in await resident.text("订一份午饭", received_at=MORNING)
    assert "已订好" in await resident.text("1", received_at=MORNING)
    assert "不补贴" in await worker.text("/subsidy 无", received_at=MORNING)
    assert "您" not in await resident.text("今天吃什么", received_at=MORNING)
    [placed] = await orders(app)
    assert placed.unit_price_cents == 700  # the price when it was ordered
    back = await worker.text("/subsidy 默认", received_at=MORNING)
    assert "60 岁以上每餐减 2 元" in back
    assert "(您 8 元)" in await resident.text("今天吃什么", received_at=MORNING)


async def test_bad_subsidy_tiers_change_nothing(app) -> None:
    worker = await kitchen_worker(app)
    await worker.say("/subsidy 60 1", received_at=MORNING)
    for text, answer in (
        ("/subsidy 60", "成对"),
        ("/subsidy 60 2 60 3", "写了两次"),
        ("/subsidy 200 2", "1 到 120"),
        ("/subsidy 60.5 2", "1 到 120"),
        ("/subsidy 60 2000", "不超过 1000 元"),
        ("/subsidy 60 0.123", "两位小数"),
        ("/subsidy 老人 2", "成对"),
        ("/subsidy 六十 2", "成对"),
    ):
        assert answer in await worker.text(text, received_at=MORNING), text
    async with app.read_maker() as session:
        community = await communities.ensure_default(session)
        assert await canteen.subsidy_tiers(session, community.id) == ((60, 100),)
    assert "60 岁以上每餐减 1 元" in await worker.text("/subsidy", received_at=MORNING)


async def test_standing_orders_use_the_community_tiers(app) -> None:
    worker = await kitchen_worker(app)
    for n in range(2):
        day = MONDAY + timedelta(days=n)
        await worker.say(f"/setmenu {day} 午餐 10 饭", received_at=MORNING)
    await worker.say("/subsidy 60 5", received_at=MORNING)
    resident = await senior(app, "周奶奶", 1950)
    await resident.say("订一份午饭", received_at=MORNING)
    await resident.say("1", received_at=MORNING)
    await resident.say("照旧", received_at=MORNING)
    await resident.say("1", received_at=MORNING)
    rules = app.dispatcher.settings.canteen
    tomorrow = at(MONDAY + timedelta(days=1), 8)
    assert await place_standing_orders(app.maker, rules, "Asia/Shanghai", tomorrow) == 1
    assert [o.unit_price_cents for o in await orders(app)] == [500, 500]
