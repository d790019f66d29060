"""删除我的信息: erasing what the promise says — name, phone, address, the chat — everywhere.

Places and meals go back the way cancelling does (the waitlist is promoted; a meal still
before its cut-off is cancelled, one after it stays with the kitchen without a name). What the
resident wrote stays, anonymised: phone and door numbers and their name are taken out of their
suggestions, notes and poll answers, and out of every message to staff that quoted them; the
audit log keeps a stable pseudonym instead of their account.
"""

from __future__ import annotations

from handlers.activities import rules as activity_rules
from handlers.activities.signup import tell_promoted
from handlers.context import Context
from handlers.residents.profile import address_of
from handlers.router import Router
from handlers.types import Reply, buttons
from nlp import similarity
from nlp.redact import redact
from storage import activities, audit, privacy, residents
from storage import canteen as canteen_store
from storage.models import OrderStatus

router = Router("forget")

FORGET = "forget.confirm"
YES = ("是", "是的", "确认", "确定", "删除", "删吧")
NO = ("不", "否", "不要", "不用", "算了", "取消", "不删")
FORGET_ASK = (
    "确定要删除您的个人信息吗?删除后您的称呼、住址和聊天记录都会清除,您提的建议会匿名保留。"
)
FORGOTTEN = "已删除您的个人信息。您提的建议会匿名保留,谢谢您为社区出力。再发消息就是重新开始。"
FORGOTTEN = "已删除您的个人信息。您提的建议会匿名保留,谢谢您为社区出力。再发消息就是重新开始。"
FORGET_KEPT = "好的,没有删除任何信息。"


async def forget_resident(ctx: Context) -> None:
    """Delete the speaker's personal data (the caller has asked and been told yes)."""
    resident = ctx.resident
    assert resident is not None
    await _give_back_places(ctx)
    await _cancel_meals(ctx)
    accounts = [
        f"{a.channel}:{a.external_id}" for a in await residents.accounts(ctx.session, resident.id)
    ]
    external = [a.split(":", 1)[1] for a in accounts]
    names = [n for n in (resident.display_name,) if n]
    door = address_of(resident)
    # Phone and door numbers are found by their shape too; these are the exact ones.
    ids = [*accounts, *external, *(p for p in (resident.phone, door) if p)]

    def rewrite(text: str) -> str:
        return redact(text, names=names, ids=ids)

    def terms(text: str) -> str:
        return " ".join(similarity.terms(text))

    media = await privacy.rewrite_suggestions(ctx.session, resident.id, rewrite, terms)
    if media and ctx.settings.forget_media is not None:
        await ctx.settings.forget_media([m.get("ref", "") for batch in media for m in batch])
    await privacy.rewrite_events(ctx.session, accounts, rewrite)
    await privacy.rewrite_poll_answers(ctx.session, resident.id, rewrite)
    needles = [*names, *ids]
    await privacy.rewrite_mentions(ctx.session, [n for n in needles if len(n) >= 2], rewrite)
    await privacy.pseudonymise_audit(ctx.session, accounts)
    stand_in = await privacy.pseudonym(ctx.session, ctx.actor)
    community_id = resident.community_id
    await canteen_store.drop_cancelled_orders(ctx.session, resident.id)
    await residents.forget(ctx.session, resident)
    await audit.record(ctx.session, stand_in, "resident.forget", community_id=community_id)


async def _give_back_places(ctx: Context) -> None:
    """Cancel the resident's sign-ups the way 取消报名 does, so the waitlist moves up."""
    assert ctx.resident is not None
    for registration, activity in await activities.of_resident(
        ctx.session, ctx.resident.id, ctx.now
    ):
        promoted = await activity_rules.cancel(ctx.session, registration, ctx.now)
        await tell_promoted(ctx, activity, promoted)


async def _cancel_meals(ctx: Context) -> None:
    """Cancel meals still before their cut-off; later ones stay for the kitchen, nameless."""
    assert ctx.resident is not None
    now, zone, rules = ctx.local_now(), ctx.zone, ctx.settings.canteen
    for order in await canteen_store.orders_of(ctx.session, ctx.resident.id, now.date()):
        if now < rules.cutoff(order.day, order.meal, zone):
            order.status, order.cancelled_at = OrderStatus.CANCELLED, ctx.now


UNVERIFIED = (
    "为了安全,这里暂时不能删除资料(公众号现在的设置无法确认是您本人)。"
    "请联系社区工作人员帮您删除,或发“转人工”。"
)


@router.command("/forget", "删除我的信息")
async def forget(ctx: Context) -> list[Reply]:
    """Ask before deleting the resident's personal data."""
    if not ctx.incoming.sender_verified:
        await ctx.audit("refused.forget.unverified_sender")
        return [Reply(UNVERIFIED)]
    return await ctx.ask(
        FORGET, [Reply(FORGET_ASK, buttons(("确认删除", "forget:yes"), ("不删除", "forget:no")))]
    )


@router.state(FORGET)
async def forget_answer(ctx: Context) -> list[Reply] | None:
    """Delete the resident's data on a yes; keep everything on a no."""
    typed = {**dict.fromkeys(YES, "forget:yes"), **dict.fromkeys(NO, "forget:no")}
    ctx.choice = ctx.choice or typed.get(ctx.text)
    if ctx.choice == "forget:no":
        await ctx.done()
        return [Reply(FORGET_KEPT)]
    if ctx.choice != "forget:yes" or ctx.resident is None:
        return None
    if not ctx.incoming.sender_verified:
        await ctx.done()
        return [Reply(UNVERIFIED)]
    await ctx.done()
    await forget_resident(ctx)
    ctx.resident = None
    ctx.record_message = False
    return [Reply(FORGOTTEN)]
