"""Changing an order in words before its cut-off: 改成三份, 明天中午的饭改成一份, 改成晚饭.

The order meant is the one the words name (a day, a meal), else the one placed last that can
still change. The change is read back and made on a yes, checked again then (the cut-off, the
menu of a new meal, a second order of that meal).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from handlers.canteen.ordering import day_label, rules_of
from handlers.canteen.rules import MEAL_NAMES
from handlers.context import Context
from handlers.residents.profile import address_of
from handlers.router import Router
from handlers.texts import yuan
from handlers.types import Reply, buttons
from handlers.yes_no import typed_answer
from nlp.meals import date_slot, meal_of, quantity, wants_delivery
from storage import canteen as store
from storage.models import MealOrder

router = Router("canteen_change")

CHANGE = "meal.change"
# 改成三份, 明天中午的饭改成一份, 午饭换成晚饭, 改成送到家, 不用送了 改成自己拿.
CHANGE_PHRASE = r".{0,16}(?:改成|改为|换成|改到|变成|改一下|加到|减到|减成).{0,12}"
_SAYS_QUANTITY = re.compile(r"[0-9零一二两俩三四五六七八九十]+\s*(?:份|个人|口人|位|人|盒|碗)|俩")
_SAYS_MEAL = re.compile(r"(?:改成|改为|换成|改到|变成).{0,3}(?:午饭|午餐|中饭|中午|晚饭|晚餐|晚上)")
_SAYS_DELIVERY = re.compile(r"送|自己(?:去|来)?(?:拿|取)|自取|堂食|不用送|不要送")
_ABOUT_MEALS = re.compile(r"份|饭|餐|午|晚|送|拿|取|吃")


@router.phrase(CHANGE_PHRASE)
async def change(ctx: Context) -> list[Reply] | None:
    """Read back a change to an order the resident names (or placed last)."""
    assert ctx.resident is not None
    if not _ABOUT_MEALS.search(ctx.text):
        return None  # 把花坛改成停车位 is a suggestion
    now = ctx.local_now()
    open_orders = await _changeable(ctx)
    if not open_orders:
        return None if not _SAYS_QUANTITY.search(ctx.text) else [Reply(NOTHING_TO_CHANGE)]
    target = _named(ctx, open_orders) or max(open_orders, key=lambda o: o.created_at)
    plan: dict[str, Any] = {
        "id": target.id,
        "quantity": target.quantity,
        "meal": target.meal,
        "delivery": target.delivery,
    }
    if _SAYS_QUANTITY.search(ctx.text):
        plan["quantity"] = quantity(ctx.text)
    if _SAYS_MEAL.search(ctx.text) and (meal := meal_of(_after_change_word(ctx.text))):
        plan["meal"] = meal
    if _SAYS_DELIVERY.search(_after_change_word(ctx.text)) or "不用送" in ctx.text:
        plan["delivery"] = wants_delivery(_after_change_word(ctx.text))
    rules = ctx.settings.canteen
    if not 1 <= plan["quantity"] <= rules.max_quantity:
        return [Reply(f"份数请在 1 到 {rules.max_quantity} 份之间。")]
    if (plan["quantity"], plan["meal"], plan["delivery"]) == (
        target.quantity,
        target.meal,
        target.delivery,
    ):
        return [Reply(f"{_label(target)}已经是这样了,不用改。")]
    if problem := await _problem(ctx, target, plan, now.date()):
        return problem
    return await ctx.ask(CHANGE, [await _read_back(ctx, target, plan)], plan)


NOTHING_TO_CHANGE = "没有找到还能改的订餐(截止前才能改)。发“我的订餐”看看订了什么。"


def _after_change_word(text: str) -> str:
    """Return what comes after 改成 / 换成: the new meal or delivery, not the old one."""
    match = re.search(r"改成|改为|换成|改到|变成|加到|减到|减成", text)
    return text[match.end() :] if match else text


async def _changeable(ctx: Context) -> list[MealOrder]:
    """Return the resident's confirmed orders still before their cut-off."""
    assert ctx.resident is not None
    now, zone = ctx.local_now(), ctx.zone
    orders = await store.orders_of(ctx.session, ctx.resident.id, now.date())
    rules = ctx.settings.canteen
    return [o for o in orders if now < rules.cutoff(o.day, o.meal, zone)]


def _named(ctx: Context, orders: list[MealOrder]) -> MealOrder | None:
    """Return the order the words name by day and meal (before 改成), if they name one."""
    before = re.split(r"改成|改为|换成|改到|变成|加到|减到|减成", ctx.text, maxsplit=1)[0]
    said = date_slot(before, ctx.local_now())
    day = date.fromisoformat(str(said["date"])) if "date" in said else None
    meal = meal_of(before)
    if day is None and meal is None:
        return None
    found = [
        o for o in orders if (day is None or o.day == day) and (meal is None or o.meal == meal)
    ]
    return found[0] if len(found) == 1 else None


async def _problem(
    ctx: Context, order: MealOrder, plan: dict[str, Any], today: date
) -> list[Reply] | None:
    """Say why the change cannot be made (no menu for the new meal, one already ordered)."""
    assert ctx.community is not None and ctx.resident is not None
    if plan["meal"] != order.meal:
        menus = await store.menus_of(ctx.session, ctx.community.id, order.day)
        if plan["meal"] not in menus:
            return [
                Reply(f"{day_label(order.day)}{MEAL_NAMES[plan['meal']]}的菜单还没公布,改不了。")
            ]
        others = await store.orders_of(ctx.session, ctx.resident.id, order.day, order.day)
        if any(o.meal == plan["meal"] for o in others):
            return [Reply(f"您已经订了{day_label(order.day)}{MEAL_NAMES[plan['meal']]}。")]
    year = order.day.year
    if plan["delivery"] and not ctx.settings.canteen.may_deliver(ctx.resident, year):
        return [Reply("送餐服务只面向行动不便和高龄的居民(需工作人员登记)。")]
    if plan["delivery"] and address_of(ctx.resident) is None and not order.note:
        return [Reply("还没有您的送餐地址,请先发“修改地址 3栋2单元502”。")]
    return None


async def _read_back(ctx: Context, order: MealOrder, plan: dict[str, Any]) -> Reply:
    assert ctx.community is not None and ctx.resident is not None
    menus = await store.menus_of(ctx.session, ctx.community.id, order.day)
    unit = order.unit_price_cents
    if plan["meal"] != order.meal:
        rules = await rules_of(ctx)
        unit = rules.price_for(ctx.resident, menus[plan["meal"]].price_cents, order.day.year)
    where = "送餐" if plan["delivery"] else "到食堂取"
    text = (
        f"把{_label(order)} {order.quantity} 份\n"
        f"改成:{day_label(order.day)}{MEAL_NAMES[plan['meal']]} {plan['quantity']} 份,{where},"
        f"共 {yuan(unit * plan['quantity'])}。"
    )
    return Reply(text, buttons(("确认修改", "mealchange:yes"), ("不改了", "mealchange:no")))


@router.state(CHANGE, hint="请回复 1 确认修改 或 2 不改了")
@router.button("mealchange")
async def change_answer(ctx: Context) -> list[Reply] | None:
    """Make the change on a yes, checked again now."""
    assert ctx.resident is not None and ctx.community is not None
    if ctx.state is None or ctx.state.state != CHANGE:
        return None
    choice = ctx.choice or typed_answer(ctx.text, "mealchange", frozenset({"确认修改", "改吧"}))
    if choice not in ("mealchange:yes", "mealchange:no"):
        return None
    plan = dict(ctx.state.data)
    await ctx.done()
    if choice == "mealchange:no":
        return [Reply("好的,订餐不变。")]
    order = next((o for o in await _changeable(ctx) if o.id == plan.get("id")), None)
    if order is None:
        return [Reply("这份订餐已经过了截止时间或取消了,改不了。有事请发“转人工”。")]
    if problem := await _problem(ctx, order, plan, ctx.local_now().date()):
        return problem
    if plan["meal"] != order.meal:
        menus = await store.menus_of(ctx.session, ctx.community.id, order.day)
        rules = await rules_of(ctx)
        order.unit_price_cents = rules.price_for(
            ctx.resident, menus[plan["meal"]].price_cents, order.day.year
        )
    order.quantity, order.meal, order.delivery = plan["quantity"], plan["meal"], plan["delivery"]
    if order.delivery and not order.note:
        order.note = address_of(ctx.resident) or ""
    where = "送餐" if order.delivery else "到食堂取"
    return [Reply(f"已改好:{_label(order)} {order.quantity} 份,{where}。")]


def _label(order: MealOrder) -> str:
    return f"{day_label(order.day)}{MEAL_NAMES[order.meal]}"
