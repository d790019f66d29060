"""The canteen for residents: menus, ordering in words with a read-back, cancelling, addresses.

An order is placed only when the resident confirms the read-back, and it counts from the moment
that confirmation arrives: the cut-off is checked again then.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from handlers.canteen.rules import MEAL_NAMES, CanteenRules
from handlers.context import Context
from handlers.residents.profile import ADDRESS_PATTERN, address_of, keep_address
from handlers.router import Router
from handlers.texts import yuan
from handlers.types import Reply, buttons
from handlers.yes_no import typed_answer
from nlp.meals import date_slot, order_slots
from nlp.numbers import arabic
from storage import audit
from storage import canteen as store
from storage.models import MealOrder

router = Router("canteen")

CONFIRM = "meal.confirm"
ORDER_YES = frozenset({"确认订餐", "订吧", "订", "要订"})
ORDER_NO = frozenset({"不订了", "不订"})
ADDRESS = "meal.address"
WEEKDAYS = "一二三四五六日"
ADDRESS_NOTE = "地址只用于送餐,只给食堂和社区工作人员看;发送“删除地址”随时可删。"


def day_label(day: date) -> str:
    """Return 11月26日(周四)."""
    return f"{day.month}月{day.day}日(周{WEEKDAYS[day.weekday()]})"


def _address(ctx: Context) -> str | None:
    return address_of(ctx.resident)


def bad_date(slots: dict[str, object]) -> str:
    """Return the kind answer to a day that cannot be (2月30号)."""
    return f"“{slots['bad_date']}”不是有效的日期。请换个说法,例如“明天”“周五”或“12月1号”。"


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
    now = ctx.local_now()
    rules = await rules_of(ctx)
    slot = date_slot(ctx.text, now)
    if "bad_date" in slot:
        return [Reply(bad_date(slot))]
    said = slot.get("date")
    day = date.fromisoformat(str(said)) if said else now.date()
    if not said and now >= rules.cutoff(day, "dinner", ctx.zone):
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
    slots = order_slots(ctx.text, ctx.local_now(), cutoffs)
    if "bad_date" in slots:
        return [Reply(bad_date(slots))]
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
    if plan["delivery"] and (written := ADDRESS_PATTERN.search(arabic(ctx.text))):
        plan["address"], plan["address_parts"] = _written_address(written), written.groups()
    return await _check_and_read_back(ctx, plan)


def _written_address(found: re.Match[str]) -> str:
    building, unit, room = found.groups()
    return f"{building}栋{f'{unit}单元' if unit else ''}{room or ''}"


async def _check_and_read_back(ctx: Context, plan: dict[str, Any]) -> list[Reply]:
    assert ctx.resident is not None
    if problem := await _problem(ctx, plan):
        return problem
    day = date.fromisoformat(plan["day"])
    lead = []
    if plan["delivery"] and not ctx.settings.canteen.may_deliver(ctx.resident, day.year):
        plan["delivery"] = False
        for key in ("address", "address_parts"):
            plan.pop(key, None)
        lead.append("送餐服务只面向行动不便和高龄的居民(需工作人员登记),这次按到食堂取餐为您订。")
    if plan["delivery"] and _address(ctx) is None and "address" not in plan:
        ask = "请告诉我送餐地址,例如“3栋2单元502”。只问这一次。\n" + ADDRESS_NOTE
        return await ctx.ask(ADDRESS, [Reply(ask)], plan)
    return await _read_back(ctx, plan, lead)


async def _problem(ctx: Context, plan: dict[str, Any]) -> list[Reply] | None:
    """Say why this order cannot be taken (closed day, no menu, cut-off, a duplicate)."""
    assert ctx.community is not None and ctx.resident is not None
    rules = ctx.settings.canteen
    day, meal = date.fromisoformat(plan["day"]), plan["meal"]
    now = ctx.local_now()
    if day < now.date():
        return [Reply("那天已经过去了。请说要订哪天的饭,例如“明天中午订一份”。")]
    if closed := await _closed_day(ctx, day):
        return closed
    menus = await store.menus_of(ctx.session, ctx.community.id, day)
    if meal not in menus:
        return [Reply(f"{day_label(day)}{MEAL_NAMES[meal]}的菜单还没公布,暂时不能订。")]
    if now >= rules.cutoff(day, meal, ctx.zone):
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
    where = f"送餐到 {plan.get('address') or _address(ctx)}" if plan["delivery"] else "到食堂取餐"
    diet = f",备注:{ctx.resident.diet_note}" if ctx.resident.diet_note else ""
    if plan.get("address") and _address(ctx) is None:
        lead = [*lead, f"这个地址会记下,以后送餐就用它。{ADDRESS_NOTE}"]
    text = (
        f"您要订:{day_label(day)}{MEAL_NAMES[plan['meal']]} {plan['quantity']} 份,"
        f"共 {yuan(unit * plan['quantity'])},{where}{diet}。"
    )
    choices = buttons(("确认", "meal:yes"), ("取消", "meal:no"))
    return await ctx.ask(CONFIRM, [Reply("\n".join([*lead, text]), choices)], plan)


@router.state(ADDRESS, hint="请写楼号、单元和门牌,例如“3栋2单元502”")
async def address_given(ctx: Context) -> list[Reply] | None:
    """Remember the delivery address asked for, then read the order back."""
    assert ctx.resident is not None and ctx.state is not None
    found = ADDRESS_PATTERN.search(arabic(ctx.text))
    if not found:
        return None  # asked again (or a new request goes its way)
    keep_address(ctx, found)
    if "day" not in ctx.state.data:  # 修改地址, not an order
        await ctx.done()
        return [Reply(f"已记下送餐地址:{_address(ctx)}。")]
    return await _read_back(ctx, dict(ctx.state.data), [])


@router.command("修改地址", "改地址", "送餐地址", words=True)
async def change_address(ctx: Context) -> list[Reply]:
    """Keep a new delivery address (written after the command, or asked for)."""
    if found := ADDRESS_PATTERN.search(arabic(ctx.args)):
        keep_address(ctx, found)
        return [Reply(f"已记下送餐地址:{_address(ctx)}。\n{ADDRESS_NOTE}")]
    ask = "请告诉我新的送餐地址,例如“3栋2单元502”。\n" + ADDRESS_NOTE
    return await ctx.ask(ADDRESS, [Reply(ask)], {})


@router.state(CONFIRM, hint="请回复 1 确认 或 2 取消")
@router.button("meal")
async def confirm(ctx: Context) -> list[Reply] | None:
    """Place the order on a yes (checked again now: its confirmation is what counts)."""
    assert ctx.community is not None and ctx.resident is not None
    if ctx.state is None or ctx.state.state != CONFIRM:
        return None
    choice = ctx.choice or typed_answer(ctx.text, "meal", ORDER_YES, ORDER_NO)
    if choice not in ("meal:yes", "meal:no"):
        return None
    plan = dict(ctx.state.data)
    await ctx.done()
    if choice == "meal:no":
        return [Reply("好的,没有下单。")]
    if problem := await _problem(ctx, plan):
        return problem
    day, meal = date.fromisoformat(plan["day"]), plan["meal"]
    menus = await store.menus_of(ctx.session, ctx.community.id, day)
    unit = (await rules_of(ctx)).price_for(ctx.resident, menus[meal].price_cents, day.year)
    if plan.get("address_parts") and _address(ctx) is None:
        keep_address(ctx, plan["address_parts"])
    where = (plan.get("address") or _address(ctx) or "") if plan["delivery"] else ""
    order = MealOrder(
        community_id=ctx.community.id,
        resident_id=ctx.resident.id,
        day=day,
        meal=meal,
        quantity=plan["quantity"],
        delivery=plan["delivery"],
        unit_price_cents=unit,
        diet_note=ctx.resident.diet_note or "",
        note=where,
        created_at=ctx.now,
    )
    if not await store.place_order(ctx.session, order):
        return [Reply(f"您已经订了{day_label(day)}{MEAL_NAMES[meal]},不会重复下单。")]
    await audit.record(ctx.session, ctx.actor, "meal.order", community_id=ctx.community.id)
    if await store.job_done(ctx.session, f"kitchen:{ctx.community.id}:{day}:{meal}"):
        # The kitchen list went out while this confirmation (sent in time) was in hand.
        extra = f"送餐 {where}" if plan["delivery"] else "堂食/自取"
        text = (
            f"【补订】{day_label(day)}{MEAL_NAMES[meal]}:{ctx.speaker} ×{plan['quantity']},{extra}"
        )
        await ctx.alert_staff(ctx.community.id, [Reply(text)], "kitchen_list")
    return [
        Reply(
            f"已订好:{day_label(day)}{MEAL_NAMES[meal]} {plan['quantity']} 份。"
            "截止前可以发“取消订餐”取消。"
        )
    ]


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


# 吃饭有没有优惠, 老人吃饭便宜吗, 食堂有补贴吗: what the resident pays, and why.
SUBSIDY_QUESTION = r".*(?:饭|餐|食堂|吃).*(?:优惠|补贴|便宜|打折|减免|半价|免费|老人价|敬老).*"


@router.phrase(SUBSIDY_QUESTION)
async def subsidy_answer(ctx: Context) -> list[Reply] | None:
    """Tell the resident their meal subsidy (by their age) and the tiers."""
    assert ctx.community is not None and ctx.resident is not None
    rules = await rules_of(ctx)
    if not rules.subsidies:
        return [Reply("幸福食堂现在没有年龄补贴,按菜单价格收费。发“菜单”看今天的菜和价格。")]
    tiers = "、".join(f"{age}岁以上每份少 {yuan(cents)}" for age, cents in rules.subsidies)
    lines = [f"幸福食堂的老人补贴:{tiers}。"]
    year = ctx.local_now().year
    if ctx.resident.birth_year is None:
        lines.append("告诉我您的年龄(例如“我今年75岁”),订餐时就按您的补贴算。")
    else:
        off = 10000 - rules.price_for(ctx.resident, 10000, year)
        age = year - ctx.resident.birth_year
        if off:
            lines.append(f"您今年 {age} 岁,每份饭少 {yuan(off)}。")
        else:
            lines.append(f"您今年 {age} 岁,还不到补贴的年龄。")
    if rules.may_deliver(ctx.resident, year):
        lines.append("您还可以让食堂送餐到家。")
    lines.append("发“菜单”看今天的菜和您的价格。")
    return [Reply("\n".join(lines))]
