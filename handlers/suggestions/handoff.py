"""转人工: a resident talks to staff on duty through linli; staff answer with /answer."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, record_number
from storage import conversations, handoffs
from storage import staff as staff_store
from storage.models import Handoff
from storage.scoping import Scope

router = Router("handoff")

TALKING = "handoff.talking"
TTL = timedelta(hours=2)

OPENED = (
    "已为您转接社区工作人员。请直接发消息说明情况,工作人员会在这里回复您。\n发送 0 结束人工服务。"
)
NO_STAFF = "现在没有值班的工作人员在线。{phone}您也可以直接留言,我们会记录下来。"
PHONE = "请拨打社区值班电话 {phone}。"
RELAYED = "(已转给工作人员)"
ENDED = "人工服务已结束。有事随时发消息给我。"
STAFF_OPENED = "居民 {who} 请求人工服务(会话 {id})。\n回复居民:/answer {id} 内容;结束:/endchat {id}"
STAFF_MESSAGE = "【会话 {id}】{who}:{text}"
STAFF_ENDED = "会话 {id} 已由居民结束。"
TO_RESIDENT = "工作人员:{text}"
ANSWER_USAGE = "用法:/answer 会话号 内容,例如 /answer 3 您好,我马上过来看看。"
NO_SUCH = "没有找到进行中的会话 {id}(或不在您负责的社区)。"
ANSWERED = "已发给居民(会话 {id})。"
CLOSED_BY_STAFF = "会话 {id} 已结束。"
NONE_OPEN = "没有进行中的人工会话。"


@router.command("转人工", "人工", "/human")
async def start(ctx: Context) -> list[Reply]:
    """Hand the conversation to staff on duty."""
    assert ctx.resident is not None and ctx.community is not None
    staff = await staff_store.alert_recipients(
        ctx.session, ctx.community.id, ctx.settings.operators
    )
    if not staff:
        phone = ctx.community.duty_phone or ctx.settings.default_duty_phone
        return [Reply(NO_STAFF.format(phone=PHONE.format(phone=phone) if phone else ""))]
    handoff = await handoffs.open_for(
        ctx.session, ctx.community.id, ctx.resident.id, ctx.incoming.channel, ctx.incoming.user_id
    )
    note = Reply(STAFF_OPENED.format(who=ctx.speaker, id=handoff.id))
    await ctx.alert_staff(ctx.community.id, [note], "handoff", urgent=True)
    return await ctx.ask(TALKING, [Reply(OPENED)], {"id": handoff.id}, ttl=TTL)


@router.state(TALKING)
async def relay(ctx: Context) -> list[Reply] | None:
    """Pass the resident's message to staff."""
    if not ctx.text or ctx.state is None or ctx.community is None:
        return None
    if ctx.text.startswith("/") or ctx.text == "删除我的信息":
        return None  # commands still work while talking to staff
    handoff_id = ctx.state.data["id"]
    note = Reply(STAFF_MESSAGE.format(id=handoff_id, who=ctx.speaker, text=ctx.text))
    await ctx.alert_staff(ctx.community.id, [note], "handoff", urgent=True)
    return await ctx.ask(TALKING, [Reply(RELAYED)], {"id": handoff_id}, ttl=TTL)


@router.on_leave(TALKING)
async def leave(ctx: Context) -> list[Reply]:
    """Close the handoff when the resident ends it."""
    assert ctx.state is not None and ctx.community is not None
    handoff_id = int(ctx.state.data["id"])
    found = await handoffs.get_scoped(ctx.session, Scope.of(ctx.community.id), handoff_id)
    if found is not None:
        await handoffs.close(ctx.session, found, ctx.now)
        note = Reply(STAFF_ENDED.format(id=handoff_id))
        await ctx.alert_staff(ctx.community.id, [note], "handoff")
    return [Reply(ENDED)]


@router.command("/answer", "答复", staff=True, args=True)
async def answer(ctx: Context) -> list[Reply]:
    """Send a staff answer to the resident of an open handoff."""
    head, _, text = ctx.args.partition(" ")
    number = record_number(head)
    if number is None or not text.strip():
        return [Reply(ANSWER_USAGE)]
    assert ctx.staff_scope is not None
    handoff = await _scoped(ctx, number)
    if handoff is None:
        return [Reply(NO_SUCH.format(id=head))]
    # Staff answering keeps the resident's side of the conversation open.
    await conversations.save(
        ctx.session,
        handoff.channel,
        handoff.external_id,
        TALKING,
        {"id": handoff.id},
        [],
        ctx.now,
        TTL,
    )
    await ctx.push(
        handoff.channel,
        handoff.external_id,
        [Reply(TO_RESIDENT.format(text=text.strip()))],
        "handoff",
        community_id=handoff.community_id,
        urgent=True,
    )
    return [Reply(ANSWERED.format(id=handoff.id))]


@router.command("/endchat", "结束会话", staff=True, args=True)
async def end(ctx: Context) -> list[Reply]:
    """Close an open handoff from the staff side."""
    assert ctx.staff_scope is not None
    number = record_number(ctx.args)
    if number is None:
        return [Reply("用法:/endchat 会话号")]
    handoff = await _scoped(ctx, number)
    if handoff is None:
        return [Reply(NO_SUCH.format(id=ctx.args))]
    await handoffs.close(ctx.session, handoff, ctx.now)
    await ctx.push(
        handoff.channel,
        handoff.external_id,
        [Reply(ENDED)],
        "handoff",
        community_id=handoff.community_id,
    )
    await conversations.clear(ctx.session, handoff.channel, handoff.external_id)
    return [Reply(CLOSED_BY_STAFF.format(id=handoff.id))]


@router.command("/handoffs", "人工会话", staff=True)
async def list_handoffs(ctx: Context) -> list[Reply]:
    """List open handoffs."""
    found = await handoffs.list_open(ctx.session, ctx.working_scope())
    if not found:
        return [Reply(NONE_OPEN)]
    lines = ["进行中的人工会话:"]
    lines += [f"会话 {h.id}(居民#{h.resident_id},{h.channel})" for h in found]
    return [Reply("\n".join(lines))]


async def _scoped(ctx: Context, number: int) -> Handoff | None:
    """Return a handoff in the staff member's scope; audit an attempt on another's."""
    assert ctx.staff_scope is not None
    found = await handoffs.get_scoped(ctx.session, ctx.staff_scope, number)
    if found is None:
        elsewhere = await handoffs.get_scoped(ctx.session, Scope.operator(), number)
        if elsewhere is not None:
            await ctx.refuse_elsewhere("handoff", number, elsewhere.community_id)
    return found
