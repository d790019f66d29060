"""What residents choose to hear: opting out of (and back into) kinds of announcements.

Urgent notices (a water cut now, safety) reach everyone; activity news and ordinary notices
can be turned off. The daily menu (每天提醒我订餐) is opt-in, in handlers.canteen_standing.
"""

from __future__ import annotations

from handlers.canteen_standing import PROMPT
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply
from storage import tags
from storage.broadcast_models import BroadcastKind

router = Router("subscriptions")

NAMES = {
    BroadcastKind.ACTIVITY: "活动通知",
    BroadcastKind.NOTICE: "社区通知",
    BroadcastKind.POLL: "问卷通知",
}


@router.command("退订活动通知", "不要活动通知")
async def activity_off(ctx: Context) -> list[Reply]:
    """Stop activity news."""
    return await _off(ctx, BroadcastKind.ACTIVITY)


@router.command("退订社区通知", "退订通知")
async def notice_off(ctx: Context) -> list[Reply]:
    """Stop ordinary (non-urgent) notices."""
    return await _off(ctx, BroadcastKind.NOTICE)


@router.command("订阅活动通知", "恢复活动通知")
async def activity_on(ctx: Context) -> list[Reply]:
    """Hear activity news again."""
    return await _on(ctx, BroadcastKind.ACTIVITY)


@router.command("订阅社区通知", "恢复社区通知", "订阅通知")
async def notice_on(ctx: Context) -> list[Reply]:
    """Hear ordinary notices again."""
    return await _on(ctx, BroadcastKind.NOTICE)


@router.command("退订问卷通知", "不要问卷通知")
async def poll_off(ctx: Context) -> list[Reply]:
    """Stop invitations to polls, their reminders and results."""
    return await _off(ctx, BroadcastKind.POLL)


@router.command("订阅问卷通知", "恢复问卷通知")
async def poll_on(ctx: Context) -> list[Reply]:
    """Hear of polls again."""
    return await _on(ctx, BroadcastKind.POLL)


async def _off(ctx: Context, kind: str) -> list[Reply]:
    assert ctx.resident is not None
    await tags.opt_out(ctx.session, ctx.resident.id, kind)
    back = "订阅" + NAMES[kind]
    return [Reply(f"好的,不再给您发{NAMES[kind]}(紧急通知仍会发)。想再收,发“{back}”。")]


async def _on(ctx: Context, kind: str) -> list[Reply]:
    assert ctx.resident is not None
    await tags.opt_in(ctx.session, ctx.resident.id, kind)
    return [Reply(f"好的,{NAMES[kind]}会照常发给您。")]


@router.command("我的订阅", "通知设置")
async def mine(ctx: Context) -> list[Reply]:
    """Show which announcements the resident gets."""
    assert ctx.resident is not None
    off = await tags.opted_out(ctx.session, ctx.resident.id)
    lines = ["您收到的通知:", "· 紧急通知:总是发"]
    for kind, name in NAMES.items():
        verb = "不收" if kind in off else "收"
        switch = ("订阅" if kind in off else "退订") + name
        lines.append(f"· {name}:{verb}(发“{switch}”更改)")
    menu = "收" if PROMPT in (ctx.resident.consents or {}) else "不收"
    lines.append(f"· 每天的食堂菜单:{menu}(“每天提醒我订餐” / “不要提醒了”)")
    return [Reply("\n".join(lines))]
