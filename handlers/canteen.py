"""The canteen for residents: menus, ordering in words with a read-back, cancelling, addresses.

An order is placed only when the resident confirms the read-back, and it counts from the moment
that confirmation arrives: the cut-off is checked again then.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.canteen_rules import MEAL_NAMES, CanteenRules, yuan
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons
from nlp.meals import date_slot, order_slots
from storage import audit
from storage import canteen as store
from storage.canteen_models import MealOrder, OrderStatus
from storage.models import Resident

router = Router("canteen")

CONFIRM = "meal.confirm"
ADDRESS = "meal.address"
WEEKDAYS = "一二三四五六日"
ADDRESS_NOTE = "地址只用于送餐,只给食堂和社区工作人员看;发送“删除地址”随时可删。"
_ADDRESS = re.compile(r"(\d{1,3})\s*(?:栋|号楼|幢)\s*(?:(\d{1,2})\s*单元)?\s*(\d{2,5})?")


def _zone(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.settings.timezone)


def local_now(ctx: Context) -> datetime:
    """Return the message's time in the community's time zone."""
    return ctx.now.astimezone(_zone(ctx))


def day_label(day: date) -> str:
    """Return 11月26日(周四)."""
    return f"{day.month}月{day.day}日(周{WEEKDAYS[day.weekday()]})"


def address_of(resident: Resident | None) -> str | None:
    """Return a resident's delivery address as written (3栋2单元502), if kept."""
    if resident is None or not resident.building:
        return None
    unit = f"{resident.unit}单元" if resident.unit else ""
    return f"{resident.building}栋{unit}{resident.room or ''}"


def _address(ctx: Context) -> str | None:
    return address_of(ctx.resident)


async def rules_of(ctx: Context) -> CanteenRules:
    """Return the canteen rules of the resident's community (its own subsidy tiers, if set)."""
    assert ctx.community is not None
    tiers = await store.subsidy_tiers(ctx.session, ctx.community.id)
    return ctx.settings.canteen.with_subsidies(tiers)


async def _closed_day(ctx: Context, day: date) -> list[Reply] | None:
    rules = ctx.settings.canteen
    if rules.open_on(day)[0]:
        return None
    following = rules.next_open_day(day)
    hint = f"最近的开放日是 {day_label(following)}。" if following else ""
    return [Reply(f"{day_label(day)}食堂不开门。{hint}")]


@router.command("菜单", "/menu", "今天吃什么", "明天吃什么")
@router.intent("meal_menu")
async def menu(ctx: Context) -> list[Reply]:
    """Show a day's menu with prices (the resident's own after subsidy) and the cut-offs."""
    assert ctx.community is not None and ctx.resident is not None
    now = local_now(ctx)
    rules = await rules_of(ctx)
    said = date_slot(ctx.text, now).get("date")
    day = date.fromisoformat(str(said)) if said else now.date()
    if not said and now >= rules.cutoff(day, "dinner", _zone(ctx)):
        day += timedelta(days=1)
    if closed := await _closed_day(ctx, day):
        return closed
    menus = await store.menus_of(ctx.session, ctx.community.id, day)
    if not menus:
        return [Reply(f"{day_label(day)}的菜单还没公布。")]
    lines = [f"{day_label(day)}幸福食堂菜单:"]
    for meal in ("lunch", "dinner"):
        if meal in menus:
            item = menus[meal]
            own = rules.price_for(ctx.resident, item.price_cents, day.year)
            price = yuan(item.price_cents) + (
                f"(您 {yuan(own)})" if own != item.price_cents else ""
            )
            lines.append(f"{MEAL_NAMES[meal]}:{item.dishes} — {price}")
    lines.append(
        f"订餐截止:午餐当天 {rules.lunch_cutoff:%H:%M},晚餐当天 {rules.dinner_cutoff:%H:%M}。"
        "回复“订餐”即可。"
    )
    return [Reply("\n".join(lines))]


@router.command("订餐", "/order")
@router.intent("meal_order")
async def order(ctx: Context) -> list[Reply]:
    """Understand an order in words, check it, and read it back for a yes."""
    rules = ctx.settings.canteen
    cutoffs = {"lunch": rules.lunch_cutoff, "dinner": rules.dinner_cutoff}
    slots = order_slots(ctx.text, local_now(ctx), cutoffs)
    quantity = int(str(slots["quantity"]))
    if quantity < 1:
        return [Reply("份数至少是 1 份哦。请再说一次,例如“订一份午饭”。")]
    if quantity > rules.max_quantity:
        return [Reply(f"一次最多订 {rules.max_quantity} 份;要订更多,请发“转人工”联系食堂。")]
    plan = {
        "day": str(slots["date"]),
        "meal": str(slots["meal"]),
        "quantity": quantity,
        "delivery": bool(slots["delivery"]),
    }
    return await _check_and_read_back(ctx, plan)


async def _check_and_read_back(ctx: Context, plan: dict[str, Any]) -> list[Reply]:
    assert ctx.resident is not None
    if problem := await _problem(ctx, plan):
        return problem
    day = date.fromisoformat(plan["day"])
    lead = []
    if plan["delivery"] and not ctx.settings.canteen.may_deliver(ctx.resident, day.year):
        plan["delivery"] = False
        lead.append("送餐服务只面向行动不便和高龄的居民(需工作人员登记),这次按到食堂取餐为您订。")
    if plan["delivery"] and _address(ctx) is None:
        ask = "请告诉我送餐地址,例如“3栋2单元502”。只问这一次。\n" + ADDRESS_NOTE
        return await ctx.ask(ADDRESS, [Reply(ask)], plan)
    return await _read_back(ctx, plan, lead)


async def _problem(ctx: Context, plan: dict[str, Any]) -> list[Reply] | None:
    """Say why this order cannot be taken (closed day, no menu, cut-off, a duplicate)."""
    assert ctx.community is not None and ctx.resident is not None
    rules = ctx.settings.canteen
    day, meal = date.fromisoformat(plan["day"]), plan["meal"]
    now = local_now(ctx)
    if day < now.date():
        return [Reply("那天已经过去了。请说要订哪天的饭,例如“明天中午订一份”。")]
    if closed := await _closed_day(ctx, day):
        return closed
    menus = await store.menus_of(ctx.session, ctx.community.id, day)
    if meal not in menus:
        return [Reply(f"{day_label(day)}{MEAL_NAMES[meal]}的菜单还没公布,暂时不能订。")]
    if now >= rules.cutoff(day, meal, _zone(ctx)):
        cutoff = rules.lunch_cutoff if meal == "lunch" else rules.dinner_cutoff
        return [
            Reply(
                f"{day_label(day)}{MEAL_NAMES[meal]}已过订餐截止时间({cutoff:%H:%M})。"
                "可以订明天的,例如“明天中午订一份”。"
            )
        ]
    existing = await store.orders_of(ctx.session, ctx.resident.id, day, day)
    if any(o.meal == meal for o in existing):
        return [
            Reply(f"您已经订了{day_label(day)}{MEAL_NAMES[meal]}。要改份数,请先“取消订餐”再订。")
        ]
    return None


async def _read_back(ctx: Context, plan: dict[str, Any], lead: list[str]) -> list[Reply]:
    assert ctx.community is not None and ctx.resident is not None
    day = date.fromisoformat(plan["day"])
    menus = await store.menus_of(ctx.session, ctx.community.id, day)
    unit = (await rules_of(ctx)).price_for(ctx.resident, menus[plan["meal"]].price_cents, day.year)
    where = f"送餐到 {_address(ctx)}" if plan["delivery"] else "到食堂取餐"
    diet = f",备注:{ctx.resident.diet_note}" if ctx.resident.diet_note else ""
    text = (
        f"您要订:{day_label(day)}{MEAL_NAMES[plan['meal']]} {plan['quantity']} 份,"
        f"共 {yuan(unit * plan['quantity'])},{where}{diet}。"
    )
    choices = buttons(("确认", "meal:yes"), ("取消", "meal:no"))
    return await ctx.ask(CONFIRM, [Reply("\n".join([*lead, text]), choices)], plan)


@router.state(ADDRESS)
async def address_given(ctx: Context) -> list[Reply] | None:
    """Remember the delivery address asked for, then read the order back."""
    assert ctx.resident is not None and ctx.state is not None
    found = _ADDRESS.search(ctx.text)
    if not found:
        return [Reply("请写楼号、单元和门牌,例如“3栋2单元502”;发送 0 返回。")] if ctx.text else None
    ctx.resident.building, ctx.resident.unit, ctx.resident.room = found.groups()
    ctx.resident.consents = {**ctx.resident.consents, "address": ctx.now.isoformat()}
    return await _read_back(ctx, dict(ctx.state.data), [])


@router.state(CONFIRM)
@router.button("meal")
async def confirm(ctx: Context) -> list[Reply] | None:
    """Place the order on a yes (checked again now: its confirmation is what counts)."""
    assert ctx.community is not None and ctx.resident is not None
    if ctx.state is None or ctx.state.state != CONFIRM:
        return None
    typed = {
        "确认": "meal:yes",
        "是": "meal:yes",
        "好": "meal:yes",
        "取消": "meal:no",
        "不要": "meal:no",
    }
    choice = ctx.choice or typed.get(re.sub(r"[。!! ]+$", "", ctx.text))
    if choice not in ("meal:yes", "meal:no"):
        return None
    plan = dict(ctx.state.data)
    await ctx.done()
    if choice == "meal:no":
        return [Reply("好的,没有下单。")]
    if problem := await _problem(ctx, plan):
        return problem
    day = date.fromisoformat(plan["day"])
    menus = await store.menus_of(ctx.session, ctx.community.id, day)
    unit = (await rules_of(ctx)).price_for(ctx.resident, menus[plan["meal"]].price_cents, day.year)
    ctx.session.add(
        MealOrder(
            community_id=ctx.community.id,
            resident_id=ctx.resident.id,
            day=day,
            meal=plan["meal"],
            quantity=plan["quantity"],
            delivery=plan["delivery"],
            unit_price_cents=unit,
            diet_note=ctx.resident.diet_note or "",
            note=_address(ctx) or "" if plan["delivery"] else "",
            created_at=ctx.now,
        )
    )
    await audit.record(ctx.session, ctx.actor, "meal.order", community_id=ctx.community.id)
    return [
        Reply(
            f"已订好:{day_label(day)}{MEAL_NAMES[plan['meal']]} {plan['quantity']} 份。"
            "截止前可以发“取消订餐”取消。"
        )
    ]


@router.command("取消订餐", "/unorder")
@router.intent("meal_cancel")
async def cancel(ctx: Context) -> list[Reply]:
    """Cancel the resident's order(s) of the day named (or the next one) before the cut-off."""
    assert ctx.resident is not None
    now = local_now(ctx)
    said = date_slot(ctx.text, now).get("date")
    day = date.fromisoformat(str(said)) if said else None
    orders = await store.orders_of(ctx.session, ctx.resident.id, now.date(), day)
    if not orders:
        return [Reply("没有找到您要取消的订餐。发送“我的订餐”看看订了什么。")]
    meal = "dinner" if "晚" in ctx.text else "lunch" if re.search(r"午|中饭", ctx.text) else None
    chosen = [o for o in orders if meal is None or o.meal == meal][: 1 if day is None else 2]
    rules, zone, done, late = ctx.settings.canteen, _zone(ctx), [], []
    for item in chosen:
        label = f"{day_label(item.day)}{MEAL_NAMES[item.meal]}"
        if now >= rules.cutoff(item.day, item.meal, zone):
            late.append(label)
            continue
        item.status, item.cancelled_at = OrderStatus.CANCELLED, ctx.now
        done.append(label)
    lines = [f"已取消:{'、'.join(done)}。"] if done else []
    if late:
        lines.append(f"{'、'.join(late)}已过截止时间,取消不了;有事请发“转人工”。")
    return [Reply("\n".join(lines) or "没有找到您要取消的订餐。")]


@router.command("我的订餐", "查一下我订的饭", "/orders_mine")
async def my_orders(ctx: Context) -> list[Reply]:
    """List the resident's orders from today on."""
    assert ctx.resident is not None
    orders = await store.orders_of(ctx.session, ctx.resident.id, local_now(ctx).date())
    if not orders:
        return [Reply("您现在没有订餐。发送“菜单”看看吃什么,发送“订餐”即可订。")]
    lines = ["您的订餐:"]
    for o in orders:
        where = "送餐" if o.delivery else "到食堂取"
        total = yuan(o.unit_price_cents * o.quantity)
        lines.append(f"· {day_label(o.day)}{MEAL_NAMES[o.meal]} {o.quantity} 份,{where},{total}")
    return [Reply("\n".join(lines))]


@router.command("饮食备注", "忌口", words=True)
async def diet_note(ctx: Context) -> list[Reply]:
    """Keep a diet note (低盐, 软食, 不吃辣) the kitchen sees with every order."""
    assert ctx.resident is not None
    note = ctx.args.strip()[:100]
    if not note:
        current = ctx.resident.diet_note or "(没有)"
        return [Reply(f"您的饮食备注:{current}。设置请发“饮食备注 低盐 软食”。")]
    ctx.resident.diet_note = None if note in ("无", "删除", "没有") else note
    return [Reply(f"已记下饮食备注:{ctx.resident.diet_note or '无'}。食堂备餐时会看到。")]


@router.command("删除地址")
async def forget_address(ctx: Context) -> list[Reply]:
    """Delete the delivery address kept for the resident."""
    assert ctx.resident is not None
    ctx.resident.building = ctx.resident.unit = ctx.resident.room = None
    ctx.resident.consents = {k: v for k, v in ctx.resident.consents.items() if k != "address"}
    return [Reply("已删除您的送餐地址。")]
