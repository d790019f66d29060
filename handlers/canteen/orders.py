"""The canteen for residents: their orders — listing and cancelling them before the cut-off."""

from __future__ import annotations

import re
from datetime import date

from handlers.canteen.ordering import day_label
from handlers.canteen.rules import MEAL_NAMES
from handlers.context import Context
from handlers.router import Router
from handlers.texts import yuan
from handlers.types import Reply, buttons
from handlers.yes_no import typed_answer
from nlp.meals import date_slot
from storage import canteen as store
from storage.models import MealOrder, OrderStatus

router = Router("canteen_orders")

CANCEL = "meal.cancel"


@router.command("取消订餐", "/unorder")
@router.intent("meal_cancel")
async def cancel(ctx: Context) -> list[Reply]:
    """Cancel the resident's order(s) of the day named (or the next one) before the cut-off.

    A bare 取消 / 不要了 (perhaps meant for a question that expired) is asked about first.
    """
    assert ctx.resident is not None
    now = ctx.local_now()
    said = date_slot(ctx.text, now)
    if "bad_date" in said:
        return [
            Reply(f"“{said['bad_date']}”不是有效的日期。请说哪天的饭不要了,例如“明天的饭不要了”。")
        ]
    day = date.fromisoformat(str(said["date"])) if "date" in said else None
    orders = await store.orders_of(ctx.session, ctx.resident.id, now.date(), day)
    if not orders:
        return [Reply("没有找到您要取消的订餐。发送“我的订餐”看看订了什么。")]
    meal = _meal_said(ctx.text)
    rules, zone = ctx.settings.canteen, ctx.zone
    wanted = [o for o in orders if meal is None or o.meal == meal]
    open_ = [o for o in wanted if now < rules.cutoff(o.day, o.meal, zone)]
    if day is None:  # the next order that can still be cancelled
        chosen = open_[:1]
        late = [] if chosen else wanted[:1]
    else:
        chosen, late = open_, [o for o in wanted if o not in open_]
    lines = []
    if chosen and day is None and meal is None and not _names_an_order(ctx.text):
        labels = "、".join(_label(o) for o in chosen)
        choices = buttons(("确认取消", "unorder:yes"), ("不取消", "unorder:no"))
        plan = {"ids": [o.id for o in chosen]}
        return await ctx.ask(CANCEL, [Reply(f"要取消{labels}的订餐吗?", choices)], plan)
    for item in chosen:
        item.status, item.cancelled_at = OrderStatus.CANCELLED, ctx.now
    if chosen:
        lines.append(f"已取消:{'、'.join(_label(o) for o in chosen)}。")
    if late:
        labels = "、".join(_label(o) for o in late)
        lines.append(f"{labels}已过截止时间,取消不了;有事请发“转人工”。")
    return [Reply("\n".join(lines) or "没有找到您要取消的订餐。")]


def _label(order: MealOrder) -> str:
    return f"{day_label(order.day)}{MEAL_NAMES[order.meal]}"


def _meal_said(text: str) -> str | None:
    if re.search(r"午|中饭", text):
        return "lunch"
    return "dinner" if re.search(r"晚(?:饭|餐|上)", text) else None


def _names_an_order(text: str) -> bool:
    """Tell whether a cancel message says what it cancels (订餐, 饭, 餐), not a bare 取消."""
    return text.strip() in ("取消订餐", "/unorder") or bool(re.search(r"订|饭|餐", text))


@router.state(CANCEL)
@router.button("unorder")
async def cancel_answer(ctx: Context) -> list[Reply] | None:
    """Cancel the orders asked about on a yes (if still before their cut-offs)."""
    assert ctx.resident is not None
    if ctx.state is None or ctx.state.state != CANCEL:
        return None
    choice = ctx.choice or typed_answer(ctx.text, "unorder")
    if choice not in ("unorder:yes", "unorder:no"):
        return None
    ids = list(ctx.state.data.get("ids", []))
    await ctx.done()
    if choice == "unorder:no":
        return [Reply("好的,订餐保留。")]
    now, rules, zone = ctx.local_now(), ctx.settings.canteen, ctx.zone
    orders = await store.orders_of(ctx.session, ctx.resident.id, now.date())
    done, late = [], []
    for item in (o for o in orders if o.id in ids):
        if now >= rules.cutoff(item.day, item.meal, zone):
            late.append(_label(item))
            continue
        item.status, item.cancelled_at = OrderStatus.CANCELLED, ctx.now
        done.append(_label(item))
    lines = [f"已取消:{'、'.join(done)}。"] if done else []
    if late:
        lines.append(f"{'、'.join(late)}已过截止时间,取消不了;有事请发“转人工”。")
    return [Reply("\n".join(lines) or "那份订餐已经取消了。")]


@router.command("我的订餐", "查一下我订的饭", "/orders_mine")
async def my_orders(ctx: Context) -> list[Reply]:
    """List the resident's orders from today on."""
    assert ctx.resident is not None
    orders = await store.orders_of(ctx.session, ctx.resident.id, ctx.local_now().date())
    if not orders:
        return [Reply("您现在没有订餐。发送“菜单”看看吃什么,发送“订餐”即可订。")]
    lines = ["您的订餐:"]
    for o in orders:
        where = "送餐" if o.delivery else "到食堂取"
        total = yuan(o.unit_price_cents * o.quantity)
        lines.append(f"· {day_label(o.day)}{MEAL_NAMES[o.meal]} {o.quantity} 份,{where},{total}")
    return [Reply("\n".join(lines))]
