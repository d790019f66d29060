"""What residents choose to hear: opting out of (and back into) kinds of announcements.

Urgent notices (a water cut now, safety) reach everyone; activity news and ordinary notices
can be turned off. The daily menu (每天提醒我订餐) is opt-in, in handlers.canteen.standing.
"""

from __future__ import annotations

from handlers.canteen.standing import PROMPT
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons
from storage import tags
from storage.models import BroadcastKind

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


async def _off(ctx: Context, kind: BroadcastKind) -> list[Reply]:
    assert ctx.resident is not None
    await tags.opt_out(ctx.session, ctx.resident.id, kind)
    back = "订阅" + NAMES[kind]
    return [Reply(f"好的,不再给您发{NAMES[kind]}(紧急通知仍会发)。想再收,发“{back}”。")]


async def _on(ctx: Context, kind: BroadcastKind) -> list[Reply]:
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


STOP = "subscriptions.stop"
# 不要再给我发通知了, 别发消息了, 通知太多了 不想收: the resident chooses which to stop.
STOP_PHRASE = (
    r".*(?:不要|别|不用|不想)再?(?:给我)?(?:发|推|收)(?:送)?(?:了)?(?:这些|那么多)?(?:通知|消息|信息)"
    r".*|.*(?:通知|消息)太多.*|.*(?:退订|取消订阅|不想收(?:到)?)(?:通知|消息)?.*"
)
_ALL = "all"
_MENU_OFF = "menu"


@router.phrase(STOP_PHRASE)
async def stop_which(ctx: Context) -> list[Reply] | None:
    """Ask which notices to stop (urgent ones always come)."""
    if ctx.text.startswith(("退订", "订阅")) and ctx.text in ctx.command_names:
        return None
    choices = [(name, f"unsub:{kind}") for kind, name in NAMES.items()]
    choices += [("每天的菜单提醒", f"unsub:{_MENU_OFF}"), ("以上全部", f"unsub:{_ALL}")]
    text = "不想收哪种通知?紧急通知(停水停电、安全)总会发给您。"
    return await ctx.ask(STOP, [Reply(text, buttons(*choices, per_row=2))])


@router.state(STOP, hint="请回复 1 到 5 选一种通知")
@router.button("unsub")
async def stop_chosen(ctx: Context) -> list[Reply] | None:
    """Stop the kind of notice chosen."""
    assert ctx.resident is not None
    choice = (ctx.choice or "").partition(":")[2]
    if not choice:
        return None
    await ctx.done()
    if choice == _MENU_OFF:
        consents = dict(ctx.resident.consents or {})
        consents.pop(PROMPT, None)
        ctx.resident.consents = consents
        return [Reply("好的,不再每天发食堂菜单。想再收,发“每天提醒我订餐”。")]
    if choice == _ALL:
        for kind in NAMES:
            await tags.opt_out(ctx.session, ctx.resident.id, kind)
        consents = dict(ctx.resident.consents or {})
        consents.pop(PROMPT, None)
        ctx.resident.consents = consents
        return [Reply("好的,除了紧急通知,其他通知都不再发给您。想再收,发“我的订阅”看看怎么开。")]
    if choice not in NAMES:
        return None
    return await _off(ctx, BroadcastKind(choice))
