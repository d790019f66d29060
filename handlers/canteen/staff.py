"""The canteen for staff: the kitchen list of a day, and who may have meals delivered."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import texts
from handlers.canteen.ordering import bad_date, day_label
from handlers.canteen.rules import MEAL_NAMES
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply
from nlp.meals import date_slot
from storage import audit
from storage import canteen as store
from storage.models import Resident

router = Router("canteen_staff")


async def kitchen_summary(session: AsyncSession, community_id: int, day: date) -> str:
    """Return the kitchen list: counts per meal (dine-in / delivery), then deliveries in order."""
    rows = await store.kitchen_list(session, community_id, day)
    if not rows:
        return f"{day_label(day)}还没有人订餐。"
    counts: Counter[tuple[str, bool]] = Counter()
    for order, _ in rows:
        counts[(order.meal, order.delivery)] += order.quantity
    lines = [f"{day_label(day)}订餐:"]
    for meal in ("lunch", "dinner"):
        dine, deliver = counts[(meal, False)], counts[(meal, True)]
        if dine or deliver:
            lines.append(
                f"{MEAL_NAMES[meal]}:共 {dine + deliver} 份(堂食/自取 {dine},送餐 {deliver})"
            )
    deliveries = [(o, r) for o, r in rows if o.delivery]
    if deliveries:
        lines.append("送餐名单:")
        for order, resident in deliveries:
            who = _name(resident)
            diet = f" [{order.diet_note}]" if order.diet_note else ""
            where = order.note or "未留地址"
            lines.append(f"  {MEAL_NAMES[order.meal]} {where} {who} ×{order.quantity}{diet}")
    notes = [(o, r) for o, r in rows if o.diet_note and not o.delivery]
    for order, resident in notes:
        lines.append(f"  备注({MEAL_NAMES[order.meal]}):{_name(resident)} {order.diet_note}")
    return "\n".join(lines)


def _name(resident: Resident | None) -> str:
    if resident is None:
        return "(已删除资料的居民)"
    return resident.display_name or f"居民#{resident.id}"


@router.command("/orders", "订餐统计", staff=True, args=True)
async def orders(ctx: Context) -> list[Reply]:
    """Show the kitchen list of a day (today unless one is named: /orders 明天)."""
    community_id = ctx.working_community()
    if community_id is None:
        return [Reply(texts.PICK_COMMUNITY)]
    now = ctx.local_now()
    slot = date_slot(ctx.args, now)
    if "bad_date" in slot:
        return [Reply(bad_date(slot))]
    said = slot.get("date")
    day = date.fromisoformat(str(said)) if said else now.date()
    text = await kitchen_summary(ctx.session, community_id, day)
    if not ctx.settings.canteen.open_on(day)[1]:
        text += "\n(节假日日历不含这一年:按工作日和配置的休息日判断开门。)"
    return [Reply(text)]


@router.command("/eligible", "送餐登记", staff=True, args=True)
async def eligible(ctx: Context) -> list[Reply]:
    """Mark a resident (by name) as one whose meals may be delivered; "取消" unmarks."""
    name, _, flag = ctx.args.partition(" ")
    if not name:
        return [Reply("用法:/eligible 居民称呼 [取消]")]
    resident, problem = await ctx.staff_pick(name)
    if resident is None:
        return problem
    resident.delivery_eligible = flag.strip() != "取消"
    await audit.record(
        ctx.session,
        ctx.actor,
        "meal.delivery_eligible",
        community_id=resident.community_id,
        target=str(resident.id),
    )
    state = "可以送餐" if resident.delivery_eligible else "不再送餐"
    return [Reply(f"已登记:{name} {state}。")]
