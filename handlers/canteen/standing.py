"""Standing orders: 照旧 / 每天都订 repeats the usual order on every open day until paused."""

from __future__ import annotations

import re
from datetime import date, timedelta

from handlers.canteen.ordering import day_label
from handlers.canteen.rules import MEAL_NAMES
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons
from handlers.yes_no import typed_answer
from nlp.dates import find_date
from nlp.meals import chinese_number, meal_of, quantity, wants_delivery
from storage import canteen as store
from storage.models import OrderStatus, StandingOrder

router = Router("canteen_standing")

CONFIRM = "meal.standing"
NO_USUAL = "您还没有订过饭,先订一次(例如“明天中午订一份”),以后说“照旧”就按这一份每天订。"


@router.command("照旧", "每天都订", "天天订", "每天订饭")
async def standing(ctx: Context) -> list[Reply]:
    """Offer to repeat the resident's last order on every open day."""
    assert ctx.resident is not None
    since = ctx.local_now().date() - timedelta(days=60)
    earlier = await store.orders_of(ctx.session, ctx.resident.id, since)
    if not earlier:
        return [Reply(NO_USUAL)]
    last = earlier[-1]
    where = "送餐" if last.delivery else "到食堂取"
    text = f"以后每个开放日都为您订:{MEAL_NAMES[last.meal]} {last.quantity} 份,{where}。"
    plan = {"meal": last.meal, "quantity": last.quantity, "delivery": last.delivery}
    choices = buttons(("确认", "standing:yes"), ("取消", "standing:no"))
    return await ctx.ask(CONFIRM, [Reply(text, choices)], plan)


# 每天中午给我送一份饭, 以后天天给我留两份午饭: a standing order said in full.
STANDING_PHRASE = (
    r".{0,6}(?:每天|天天|每个工作日|每日|以后每天).{0,10}(?:订|送|要|来|留).{0,8}(?:饭|餐|份).{0,8}"
)


@router.phrase(STANDING_PHRASE)
async def standing_in_words(ctx: Context) -> list[Reply] | None:
    """Offer a standing order with the meal, portions and delivery the resident said."""
    if "提醒" in ctx.text:
        return None  # 每天提醒我订餐 is the daily menu
    meal, portions = meal_of(ctx.text) or "lunch", quantity(ctx.text)
    plan = {"meal": meal, "quantity": portions, "delivery": wants_delivery(ctx.text)}
    if not 1 <= portions <= ctx.settings.canteen.max_quantity:
        return [Reply(f"份数请在 1 到 {ctx.settings.canteen.max_quantity} 份之间。")]
    where = "送餐到家" if plan["delivery"] else "到食堂取"
    text = f"以后每个开放日都为您订:{MEAL_NAMES[meal]} {portions} 份,{where}。"
    choices = buttons(("确认", "standing:yes"), ("取消", "standing:no"))
    return await ctx.ask(CONFIRM, [Reply(text, choices)], plan)


@router.state(CONFIRM, hint="请回复 1 确认 或 2 取消")
@router.button("standing")
async def standing_answer(ctx: Context) -> list[Reply] | None:
    """Keep the standing order on a yes."""
    assert ctx.resident is not None and ctx.community is not None
    if ctx.state is None or ctx.state.state != CONFIRM:
        return None
    choice = ctx.choice or typed_answer(ctx.text, "standing")
    if choice not in ("standing:yes", "standing:no"):
        return None
    plan = dict(ctx.state.data)
    await ctx.done()
    if choice == "standing:no":
        return [Reply("好的,不每天订。")]
    existing = await ctx.session.get(StandingOrder, ctx.resident.id)
    if existing is not None:
        await ctx.session.delete(existing)
        await ctx.session.flush()
    ctx.session.add(
        StandingOrder(resident_id=ctx.resident.id, community_id=ctx.community.id, **plan)
    )
    return [
        Reply("好的,每个开放日都为您订好,订了会告诉您。要停说“明天起暂停一周”,恢复说“恢复订餐”。")
    ]


MAX_PAUSE_DAYS = 90
_COUNT = r"(\d+|[一二两三四五六七八九十]+)"
_WEEKDAY = r"下{0,2}(?:周|星期|礼拜)[一二三四五六日天1-7]"
_DAY = rf"(?:今天|明天|后天|大后天|{_WEEKDAY}|\d{{1,2}}月\d{{1,2}}[号日]|\d{{1,2}}[号日])"
_SPAN = rf"{_COUNT}\s*(?:天|周|个星期|星期)"
# 明天起暂停一周, 从下周一起暂停两周, 今天起暂停, 暂停三十天 (but not 电梯暂停使用了)
_FROM_DAY = rf"(?:从)?{_DAY}(?:开始)?起?暂停(?:订餐|订饭)?\s*(?:{_SPAN})?"
PAUSE = rf"(?:{_FROM_DAY}|暂停(?:订餐|订饭)?\s*{_SPAN})[。!!]*"


@router.command("暂停订餐", "明天起暂停", "暂停一周", "暂停两周", words=True)
@router.phrase(PAUSE)
async def pause(ctx: Context) -> list[Reply]:
    """Pause the standing order (from the day said, for the weeks or days said; default a week)."""
    assert ctx.resident is not None
    usual = await ctx.session.get(StandingOrder, ctx.resident.id)
    if usual is None:
        return [Reply("您没有每天订餐,不用暂停。")]
    today = ctx.local_now().date()
    start = find_date(ctx.text, today) or today + timedelta(days=1)
    length = _length(ctx.text)
    if not 1 <= length <= MAX_PAUSE_DAYS or start < today:
        return [Reply(f"暂停请说从哪天起、多久(1 到 {MAX_PAUSE_DAYS} 天),例如“明天起暂停一周”。")]
    usual.paused_from, usual.paused_until = start, start + timedelta(days=length - 1)
    lines = [f"已暂停:{day_label(start)} 到 {day_label(usual.paused_until)} 不订。"]
    # Orders already placed in those days go too (before their cut-off), and the resident hears.
    cancelled, late = [], []
    now, zone, rules = ctx.local_now(), ctx.zone, ctx.settings.canteen
    for order in await store.orders_of(
        ctx.session, ctx.resident.id, start, until=usual.paused_until
    ):
        label = f"{day_label(order.day)}{MEAL_NAMES[order.meal]}"
        if now >= rules.cutoff(order.day, order.meal, zone):
            late.append(label)
            continue
        order.status, order.cancelled_at = OrderStatus.CANCELLED, ctx.now
        cancelled.append(label)
    if cancelled:
        lines.append(f"这几天已订的也取消了:{'、'.join(cancelled)}。")
    if late:
        lines.append(f"{'、'.join(late)}已过截止时间,照常供应。")
    return [Reply("\n".join(lines))]


def _length(text: str) -> int:
    """Return the days a pause lasts (0 if none could be read; a week if none is said)."""
    days = re.search(_COUNT + r"\s*天", text)
    weeks = re.search(_COUNT + r"\s*(?:周|个星期|星期)", text)
    for found, unit in ((days, 1), (weeks, 7)):
        if found:
            count = int(found[1]) if found[1].isdigit() else chinese_number(found[1])
            return min(unit * (count or 0), 10_000)
    return 7


@router.command("恢复订餐", "取消暂停")
async def resume(ctx: Context) -> list[Reply]:
    """End a pause of the standing order."""
    assert ctx.resident is not None
    usual = await ctx.session.get(StandingOrder, ctx.resident.id)
    if usual is None:
        return [Reply("您没有每天订餐。说“照旧”可以按上次的订法每天订。")]
    usual.paused_from = usual.paused_until = None
    return [Reply("已恢复,每个开放日照常为您订。")]


@router.command("不要每天订了", "停止每天订餐")
async def stop(ctx: Context) -> list[Reply]:
    """End the standing order."""
    assert ctx.resident is not None
    usual = await ctx.session.get(StandingOrder, ctx.resident.id)
    if usual is not None:
        await ctx.session.delete(usual)
    return [Reply("好的,不再每天为您订餐。")]


def paused_on(usual: StandingOrder, day: date) -> bool:
    """Tell whether a standing order is paused on a day."""
    return bool(usual.paused_from and usual.paused_until) and (
        usual.paused_from <= day <= usual.paused_until  # type: ignore[operator]
    )


PROMPT = "meal_prompt"


@router.command("每天提醒我订餐", "提醒我订餐", "订餐提醒")
async def prompts_on(ctx: Context) -> list[Reply]:
    """Send the day's menu every open morning (the resident asked for it)."""
    assert ctx.resident is not None
    ctx.resident.consents = {**ctx.resident.consents, PROMPT: ctx.now.isoformat()}
    when = ctx.settings.canteen.prompt_time
    at = f"每天 {when:%H:%M} " if when else ""
    return [Reply(f"好的,开放日{at}把当天菜单发给您。不想收了,发“不要提醒了”。")]


@router.command("不要提醒了", "取消订餐提醒", "关闭订餐提醒")
async def prompts_off(ctx: Context) -> list[Reply]:
    """Stop the daily menu."""
    assert ctx.resident is not None
    ctx.resident.consents = {k: v for k, v in ctx.resident.consents.items() if k != PROMPT}
    return [Reply("好的,不再每天发菜单。")]
