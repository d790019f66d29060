"""One profile every feature uses: age, address and household, said in any flow or asked once.

``我今年八十二了`` is kept wherever it is said (the canteen prices by it, activities check it,
announcements to 80岁以上 reach them), with a note on who sees it; ``我的资料`` shows it and
how to change it; ``删除我的信息`` deletes it with the rest.
"""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.router import PROFILE_FACT, Router
from handlers.texts import yuan
from handlers.types import Reply
from nlp.profile import Facts, facts
from storage import canteen as canteen_store
from storage.models import Resident

router = Router("profile")

PRIVACY = "这些只给本社区工作人员看,用于食堂补贴、送餐和活动报名;发“我的资料”可以查看和修改。"
NOTHING_KEPT = "(未登记)"
# An address as residents write it: 3栋2单元502, 5号楼301, 12幢.
ADDRESS_PATTERN = re.compile(r"(\d{1,3})\s*(?:栋|号楼|幢)\s*(?:(\d{1,2})\s*单元)?\s*(\d{2,5})?")


def address_of(resident: Resident | None) -> str | None:
    """Return a resident's address as written (3栋2单元502), if kept."""
    if resident is None or not resident.building:
        return None
    unit = f"{resident.unit}单元" if resident.unit else ""
    return f"{resident.building}栋{unit}{resident.room or ''}"


def keep_address(ctx: Context, found: re.Match[str] | list[str | None]) -> None:
    """Keep the resident's address (building, unit, room), with their consent recorded."""
    assert ctx.resident is not None
    parts = found.groups() if isinstance(found, re.Match) else found
    ctx.resident.building, ctx.resident.unit, ctx.resident.room = parts
    ctx.resident.consents = {**ctx.resident.consents, "address": ctx.now.isoformat()}


def household_label(resident: Resident) -> str | None:
    """Return who a resident lives with, for staff (独居, 与老伴同住), if known."""
    if resident.household is None:
        return None
    if not resident.household:
        return "独居"
    return "与" + "、".join(resident.household) + "同住"


def age_of(ctx: Context, resident: Resident) -> int | None:
    """Return a resident's age this year in the community, if their birth year is known."""
    return None if resident.birth_year is None else ctx.local_year() - resident.birth_year


@router.intent(PROFILE_FACT)
async def learn(ctx: Context) -> list[Reply] | None:
    """Keep what the speaker tells about themselves; answer only if that was all they said.

    Otherwise the note goes before the answer to the rest of the message, which routes on
    without the fact ("我八十二了 订一份饭" orders a meal at the price for 82).
    """
    assert ctx.resident is not None
    found = facts(ctx.text, ctx.local_year())
    if found is None:
        return None
    changes = _keep(ctx, found)
    if not changes:
        if found.only_facts:
            return [Reply("好的,这些我都记着呢。")]
        ctx.text = found.rest
        return None
    note = "已记下:" + ",".join(changes) + "。\n" + PRIVACY
    if found.only_facts:
        return [Reply(note), *await _what_it_means(ctx, found)]
    ctx.replies_prefix.append(Reply(note))
    ctx.text = found.rest
    return None


def _keep(ctx: Context, found: Facts) -> list[str]:
    """Store the facts on the resident; return what changed, in words."""
    resident = ctx.resident
    assert resident is not None
    changes: list[str] = []
    if found.birth_year is not None and found.birth_year != resident.birth_year:
        resident.birth_year = found.birth_year
        age = ctx.local_year() - found.birth_year
        changes.append(
            f"您今年 {age}{'多' if found.approximate else ''} 岁({found.birth_year}年生)"
        )
    if found.building is not None:
        parts = (found.building, found.unit, found.room)
        if parts != (resident.building, resident.unit, resident.room):
            resident.building, resident.unit, resident.room = parts
            resident.consents = {**resident.consents, "address": ctx.now.isoformat()}
            changes.append(f"住址 {address_of(resident)}")
    if found.household is not None and list(found.household) != resident.household:
        resident.household = list(found.household)
        changes.append(household_label(resident) or "")
    return [c for c in changes if c]


async def _what_it_means(ctx: Context, found: Facts) -> list[Reply]:
    """Tell what a new age changes for the resident: their canteen price and delivery."""
    if found.birth_year is None or ctx.community is None or ctx.resident is None:
        return []
    tiers = await canteen_store.subsidy_tiers(ctx.session, ctx.community.id)
    rules = ctx.settings.canteen.with_subsidies(tiers)
    year = ctx.local_year()
    lines = []
    off = 100 * 100 - rules.price_for(ctx.resident, 100 * 100, year)
    if off:
        lines.append(f"按您的年龄,幸福食堂每份饭补贴 {yuan(off)}。")
    if rules.may_deliver(ctx.resident, year):
        lines.append("您可以让食堂送餐到家,订餐时说“送到家”就行。")
    return [Reply("\n".join(lines))] if lines else []


@router.command("我的资料", "我的信息", "个人资料", "/profile")
async def show(ctx: Context) -> list[Reply]:
    """Show what linli keeps about the resident, and how to change or delete it."""
    resident = ctx.resident
    assert resident is not None
    age = age_of(ctx, resident)
    lines = [
        "您在邻里的资料:",
        f"称呼:{resident.display_name or NOTHING_KEPT}",
        f"年龄:{f'{age} 岁({resident.birth_year}年生)' if age is not None else NOTHING_KEPT}",
        f"住址:{address_of(resident) or NOTHING_KEPT}",
        f"家里:{household_label(resident) or NOTHING_KEPT}",
        f"电话:{resident.phone or NOTHING_KEPT}",
        f"饮食备注:{resident.diet_note or NOTHING_KEPT}",
        "",
        "改年龄:发“修改年龄 1944”;改住址:发“修改地址 3栋2单元502”。",
        "全部删除:发“删除我的信息”。",
    ]
    return [Reply("\n".join(lines))]


_YEAR = re.compile(r"(19\d\d|20\d\d)")


@router.command("修改年龄", "改年龄", "修改出生年份", "出生年份", words=True)
async def change_age(ctx: Context) -> list[Reply]:
    """Set the birth year (修改年龄 1944, 修改年龄 82岁)."""
    assert ctx.resident is not None
    said = ctx.args.strip()
    found = facts(f"我是{said}年生的", ctx.local_year()) if _YEAR.search(said) else None
    if found is None and said:
        found = facts(f"我今年{said.removesuffix('岁')}岁", ctx.local_year())
    if found is None or found.birth_year is None:
        return [Reply("请写出生年份或年龄,例如“修改年龄 1944”或“修改年龄 82岁”。")]
    ctx.resident.birth_year = found.birth_year
    age = ctx.local_year() - found.birth_year
    return [Reply(f"已改为:{age} 岁({found.birth_year}年生)。\n{PRIVACY}")]


@router.command("删除年龄")
async def forget_age(ctx: Context) -> list[Reply]:
    """Delete the birth year kept for the resident."""
    assert ctx.resident is not None
    ctx.resident.birth_year = None
    return [Reply("已删除您的年龄。食堂按原价收费;有年龄要求的活动报名时会再问。")]
