"""The canteen for staff, from chat: set a meal's menu and price, and the subsidy tiers.

``/setmenu 明天 午餐 15元 红烧鱼 炒青菜 米饭`` publishes (or replaces) a menu; a price alone
or dishes alone change that part of a published one; ``删除`` withdraws a menu nobody ordered.
``/subsidy 60 2 80 4`` gives the community its own tiers (60+ pay 2 元 less, 80+ 4 元 less);
``/subsidy 无`` turns subsidies off, ``/subsidy 默认`` goes back to the config's.
"""

from __future__ import annotations

import re
from datetime import date

from handlers import texts
from handlers.canteen.ordering import day_label
from handlers.canteen.rules import MEAL_NAMES
from handlers.context import Context
from handlers.router import Router
from handlers.texts import yuan
from handlers.types import Reply
from nlp.dates import find_date
from storage import audit
from storage import canteen as store

router = Router("canteen_setup")

MENU_USAGE = (
    "用法:/setmenu 日期 午餐|晚餐 价格 菜品\n"
    "例如:/setmenu 明天 午餐 15元 红烧鱼 炒青菜 米饭\n"
    "只改价格:/setmenu 明天 午餐 16元;撤下菜单:/setmenu 明天 午餐 删除"
)
SUBSIDY_USAGE = (
    "用法:/subsidy 年龄 每餐减的元数 …,例如 /subsidy 60 2 80 4(60 岁以上减 2 元,80 岁以上减 4 元);"
    "/subsidy 无:不补贴;/subsidy 默认:用系统配置"
)
MEALS = {"午餐": "lunch", "午饭": "lunch", "中午": "lunch", "中饭": "lunch", "lunch": "lunch"}
MEALS |= {"晚餐": "dinner", "晚饭": "dinner", "晚上": "dinner", "dinner": "dinner"}
_PRICE = re.compile(r"(\d{1,4}(?:\.\d{1,2})?)\s*元?")
MAX_PRICE_CENTS = 100_000  # 1000 元: anything above is a typo
MAX_DISHES_CHARS = 200


def _day(word: str, today: date) -> date | None:
    try:
        return date.fromisoformat(word)
    except ValueError:
        return find_date(word, today)


@router.command("/setmenu", "设置菜单", staff=True, args=True)
async def set_menu(ctx: Context) -> list[Reply]:
    """Publish, change or withdraw the menu of one meal of one day."""
    community_id = ctx.working_community()
    if community_id is None:
        return [Reply(texts.PICK_COMMUNITY)]
    words = ctx.args.split()
    if len(words) < 3:
        return [Reply(MENU_USAGE)]
    today = ctx.local_now().date()
    day, meal = _day(words[0], today), MEALS.get(words[1].lower())
    if day is None:
        return [Reply(f"看不懂日期“{words[0]}”:请写 明天、周五、11月26日 或 2026-11-26。")]
    if meal is None:
        return [Reply(f"看不懂“{words[1]}”:请写 午餐 或 晚餐。")]
    if day < today:
        return [Reply(f"{day_label(day)}已经过去了,不能再设菜单。")]
    year = f"{day.year}年" if day.year != today.year else ""  # 11月20日 said after it: next year
    label = f"{year}{day_label(day)}{MEAL_NAMES[meal]}"
    rest = words[2:]
    if rest == ["删除"] or rest == ["撤下"]:
        return [await _withdraw(ctx, community_id, day, meal, label)]
    price_cents = None
    if found := _PRICE.fullmatch(rest[0]):
        price_cents = round(float(found.group(1)) * 100)
        rest = rest[1:]
    if price_cents is not None and price_cents > MAX_PRICE_CENTS:
        return [Reply(f"价格 {yuan(price_cents)} 太高了,请检查。")]
    dishes = "、".join(rest)
    if len(dishes) > MAX_DISHES_CHARS:
        return [Reply(f"菜品写得太长了(最多 {MAX_DISHES_CHARS} 字)。")]
    published = (await store.menus_of(ctx.session, community_id, day)).get(meal)
    if published is None and (price_cents is None or not dishes):
        return [Reply(f"{label}还没有菜单:请写上价格和菜品。\n{MENU_USAGE}")]
    dishes = dishes or (published.dishes if published else "")
    price = price_cents if price_cents is not None else published.price_cents if published else 0
    await store.set_menu(ctx.session, community_id, day, meal, dishes, price)
    await audit.record(
        ctx.session, ctx.actor, "meal.menu_set", target=f"{day}:{meal}", community_id=community_id
    )
    lines = [f"已设置 {label}:{dishes} — {yuan(price)}。"]
    if published is not None and price != published.price_cents:
        lines.append("已下的订单仍按下单时的价格。")
    if not ctx.settings.canteen.open_on(day)[0]:
        lines.append("注意:按日历这天食堂不开门,居民订不了;要开门请在配置里加 extra_open_days。")
    return [Reply("\n".join(lines))]


async def _withdraw(ctx: Context, community_id: int, day: date, meal: str, label: str) -> Reply:
    placed = await store.remove_menu(ctx.session, community_id, day, meal)
    if placed:
        return Reply(f"{label}已有 {placed} 位居民订餐,不能撤下菜单;可以改菜品或价格。")
    await audit.record(
        ctx.session,
        ctx.actor,
        "meal.menu_removed",
        target=f"{day}:{meal}",
        community_id=community_id,
    )
    return Reply(f"已撤下 {label}的菜单。")


def _tiers_text(tiers: tuple[tuple[int, int], ...]) -> str:
    if not tiers:
        return "不补贴"
    return ";".join(f"{age} 岁以上每餐减 {yuan(cents)}" for age, cents in sorted(tiers))


def parse_tiers(text: str) -> tuple[tuple[int, int], ...] | str:
    """Return tiers from "60 2 80 4" / "60岁2元,80岁4元", or what is wrong with the text."""
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    if not numbers or len(numbers) % 2 or re.search(r"[^\d.\s岁元,,;;::减以上]", text):
        return "请成对地写“年龄 元数”。"
    tiers = []
    for age_text, yuan_text in zip(numbers[::2], numbers[1::2], strict=True):
        if "." in age_text or not 1 <= int(age_text) <= 120:
            return f"年龄“{age_text}”不对:请写 1 到 120 的整数。"
        cents = round(float(yuan_text) * 100)
        if cents > MAX_PRICE_CENTS or float(yuan_text) * 100 != cents:
            return f"元数“{yuan_text}”不对:最多两位小数,不超过 1000 元。"
        tiers.append((int(age_text), cents))
    if len({age for age, _ in tiers}) != len(tiers):
        return "同一个年龄写了两次。"
    return tuple(sorted(tiers))


@router.command("/subsidy", "补贴", staff=True, args=True)
async def subsidy(ctx: Context) -> list[Reply]:
    """Show or set the community's subsidy tiers (what residents of an age pay less per meal)."""
    community_id = ctx.working_community()
    if community_id is None:
        return [Reply(texts.PICK_COMMUNITY)]
    said = ctx.args.strip()
    own = await store.subsidy_tiers(ctx.session, community_id)
    tiers: tuple[tuple[int, int], ...] | None
    if not said:
        tiers = ctx.settings.canteen.subsidies if own is None else own
        source = "系统配置" if own is None else "本社区设置"
        return [Reply(f"订餐补贴({source}):{_tiers_text(tiers)}。\n{SUBSIDY_USAGE}")]
    if said in ("默认", "恢复默认"):
        tiers = None
    elif said in ("无", "不补贴", "0"):
        tiers = ()
    elif isinstance(parsed := parse_tiers(said), str):
        return [Reply(f"{parsed}\n{SUBSIDY_USAGE}")]
    else:
        tiers = parsed
    await store.set_subsidy_tiers(ctx.session, community_id, tiers)
    await audit.record(
        ctx.session, ctx.actor, "meal.subsidy_set", target=str(tiers), community_id=community_id
    )
    shown = _tiers_text(ctx.settings.canteen.subsidies if tiers is None else tiers)
    return [Reply(f"已设置订餐补贴:{shown}。之后的订单按新的补贴算,已下的订单不变。")]
