"""删除我的信息: erasing what the promise says — name, phone, address, the chat — everywhere.

Places and meals go back the way cancelling does (the waitlist is promoted; a meal still
before its cut-off is cancelled, one after it stays with the kitchen without a name). What the
resident wrote stays, anonymised: phone and door numbers and their name are taken out of their
suggestions, notes and poll answers, and out of every message to staff that quoted them; the
audit log keeps a stable pseudonym instead of their account.
"""

from __future__ import annotations

from handlers import activity_rules
from handlers.activities import tell_promoted
from handlers.context import Context
from handlers.profile import address_of
from nlp import similarity
from nlp.redact import redact
from storage import activities, audit, privacy, residents
from storage import canteen as canteen_store
from storage.canteen_models import OrderStatus


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
