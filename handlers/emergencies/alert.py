"""Emergencies: the numbers and what to do first, staff alerted at once with all linli knows.

The resident reads nothing about numbers or categories: short lines, the number to call
first, two or three things to do, and that staff were told. Staff get the words, the
resident's name, phone, address, age and household, so they can call or go at once. What the
resident writes next (where they are, that it is over) goes to staff too, for half an hour.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Context
from handlers.emergencies import texts as emergency_texts
from handlers.residents.onboarding import join
from handlers.residents.profile import address_of, household_label
from handlers.router import URGENT, Router
from handlers.texts import snippet
from handlers.types import Reply
from nlp import similarity
from nlp.topics import classify
from storage import suggestions as store
from storage.models import ACTIVE_STATUSES, Suggestion

router = Router("emergency")

FOLLOW = "emergency.follow"
# An emergency reported again within this time adds to the first record, not a new one.
SAME_EMERGENCY = timedelta(minutes=30)


@router.intent(URGENT)
async def emergency(ctx: Context) -> list[Reply]:
    """Give the numbers and first steps, record the emergency and alert staff."""
    assert ctx.urgency is not None and ctx.resident is not None
    kind = ctx.urgency.kind
    advice = Reply(advice_text(kind, _duty_phone(ctx)))
    if ctx.community is None:
        # Staff can only be told once the resident's community is known. With one community
        # linli joins it at once; otherwise it asks, and handles this message once chosen.
        asked = await join(ctx)
        if ctx.community is None:
            return [advice, Reply(emergency_texts.WHICH_COMMUNITY), *(asked or [])]
    record = await _open_emergency(ctx)
    if record is None:
        record = await store.create(
            ctx.session,
            community_id=ctx.community.id,
            resident_id=ctx.resident.id,
            channel=ctx.incoming.channel,
            text=ctx.text,
            topic=_topic(ctx.text),
            confidence=1.0,
            keywords=[ctx.urgency.words] if ctx.urgency.words else [],
            terms=" ".join(similarity.terms(ctx.text)),
            urgent=True,
            media=[],
            staff_alerted_at=ctx.now,
        )
        await store.add_event(ctx.session, record.id, "emergency", ctx.actor, kind)
        await _alert(ctx, record, kind, first=True)
    else:
        await store.add_event(ctx.session, record.id, "follow_up", ctx.actor, ctx.text)
        await _alert(ctx, record, kind, first=False)
    tail = Reply(
        emergency_texts.STAFF_TOLD
        if not _address_known(ctx)
        else emergency_texts.STAFF_TOLD_WITH_ADDRESS
    )
    return await ctx.ask(FOLLOW, [advice, tail], {"id": record.id}, ttl=SAME_EMERGENCY)


@router.state(FOLLOW, holds=False)
async def follow_up(ctx: Context) -> list[Reply] | None:
    """Pass what the resident adds (where, who, that it is over) to staff at once."""
    assert ctx.state is not None and ctx.resident is not None
    if not ctx.text or ctx.incoming.button or ctx.is_command(ctx.text):
        return None
    record = await store.get(ctx.session, int(ctx.state.data.get("id", 0)))
    if record is None or record.resident_id != ctx.resident.id:
        return None
    await store.add_event(ctx.session, record.id, "follow_up", ctx.actor, ctx.text)
    text = emergency_texts.STAFF_MORE.format(
        id=record.id, who=_who(ctx), text=snippet(ctx.text, 300)
    )
    await ctx.alert_staff(record.community_id, [Reply(text)], "staff_alert", urgent=True)
    # Keep listening for another half hour from now.
    return await ctx.ask(
        FOLLOW, [Reply(emergency_texts.PASSED_ON)], dict(ctx.state.data), ttl=SAME_EMERGENCY
    )


def advice_text(kind: str, duty_phone: str | None) -> str:
    """Return what a resident reads first in an emergency of this kind."""
    lines = [emergency_texts.HEAD, *emergency_texts.NUMBERS[kind]]
    said = "".join(lines)
    others = [label for number, label in emergency_texts.EVERY_NUMBER if number not in said]
    if others:
        lines.append(emergency_texts.OTHERS.format(numbers=" / ".join(others)))
    if duty_phone:
        lines.append(emergency_texts.DUTY.format(phone=duty_phone))
    lines += ["", *emergency_texts.ADVICE[kind]]
    return "\n".join(lines)


def _duty_phone(ctx: Context) -> str | None:
    return (ctx.community.duty_phone if ctx.community else None) or ctx.settings.default_duty_phone


def _topic(text: str) -> str:
    found = classify(text)
    return found.topic if found.topic != "other" else "safety"


async def _open_emergency(ctx: Context) -> Suggestion | None:
    """Return this resident's emergency of the last half hour still open, if any."""
    assert ctx.resident is not None
    since = ctx.now - SAME_EMERGENCY
    for suggestion in await store.list_by_resident(ctx.session, ctx.resident.id):
        if (
            suggestion.urgent
            and suggestion.created_at >= since
            and suggestion.status in ACTIVE_STATUSES
        ):
            return suggestion
    return None


def _address_known(ctx: Context) -> bool:
    return bool(ctx.resident and ctx.resident.building)


def _who(ctx: Context) -> str:
    """Return the resident as staff need them in an emergency: everything linli knows."""
    resident = ctx.resident
    assert resident is not None
    parts = [resident.display_name or f"居民#{resident.id}"]
    if resident.phone:
        parts.append(f"电话 {resident.phone}")
    address = address_of(resident)
    if address:
        parts.append(f"住 {address}")
    if resident.birth_year is not None:
        parts.append(f"{ctx.local_year() - resident.birth_year}岁")
    household = household_label(resident)
    if household:
        parts.append(household)
    return ",".join(parts)


async def _alert(ctx: Context, record: Suggestion, kind: str, *, first: bool) -> None:
    template = emergency_texts.STAFF_ALERT if first else emergency_texts.STAFF_AGAIN
    text = template.format(
        id=record.id,
        kind=emergency_texts.KIND_LABELS[kind],
        who=_who(ctx),
        text=snippet(ctx.text, 300),
        missing="" if _address_known(ctx) else emergency_texts.STAFF_NO_ADDRESS,
    )
    await ctx.alert_staff(record.community_id, [Reply(text)], "staff_alert", urgent=True)
