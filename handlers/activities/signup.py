"""Activities for residents: see what is on, sign up (by button, number or words), cancel.

Buttons all start with ``act:``: ``act:show:ID``, ``act:join:ID[:PARTY]``,
``act:slot:ID:SLOT|next:PARTY``, ``act:drop:REGISTRATION``, ``act:keep``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.activities import rules
from handlers.activities import texts as activity_texts
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons
from nlp.dates import find_date, party_size
from nlp.numbers import arabic
from storage import activities as store
from storage.models import Activity, ActivitySlot, Registration, RegistrationStatus

router = Router("activities")

_PARTY = re.compile(r"\d+\s*(?:个)?[人位口]|[一二两三四五六七八九十]\s*(?:个)?[人位口]")
_DATE_WORDS = re.compile(
    r"(?:下下|下|这|本)?(?:周|星期|礼拜)[一二三四五六日天]|大?后天|今天|明天|今儿|明儿"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|\d{1,2}\s*[日号](?![楼栋])|上午|下午|晚上"
)

BIRTH = "activity.birth"
BUILDING = "activity.building"
# Words that say "sign me up", not which activity.
_FILLER = re.compile(
    r"报名|报个名|参加|我想|我要|想去|给我|帮我|一下|那个|这个|活动|的|了|吧|呢|啊|[,。!?、 ]"
)


async def _places_left(ctx: Context, activities: list[Activity]) -> dict[int, int | None]:
    ids = [a.id for a in activities]
    taken = await store.taken_by_activity(ctx.session, ids)
    slot_total = await store.slot_capacity(ctx.session, ids)
    left: dict[int, int | None] = {}
    for a in activities:
        total = slot_total.get(a.id, a.capacity)
        left[a.id] = None if total is None else max(0, total - taken.get(a.id, 0))
    return left


@router.command("活动", "/events", "社区活动", "最近有什么活动", "有什么活动")
@router.intent("event_list")
async def list_activities(ctx: Context) -> list[Reply]:
    """List upcoming activities, soonest first; choosing one shows its details."""
    assert ctx.community is not None
    found = await store.upcoming(ctx.session, ctx.community.id, ctx.now)
    if not found:
        return [Reply(activity_texts.NONE_OPEN)]
    return await _offer(ctx, activity_texts.LIST_HEAD, found, "show")


async def _offer(
    ctx: Context, head: str, found: list[Activity], action: str, party: int = 1
) -> list[Reply]:
    left = await _places_left(ctx, found)
    zone = ctx.zone
    lines = [head] + [
        f"{i}. {activity_texts.summary(a, left[a.id], zone)}" for i, a in enumerate(found, 1)
    ]
    extra = f":{party}" if party != 1 else ""
    choices = [(a.title, f"act:{action}:{a.id}{extra}") for a in found]
    return await ctx.ask("activity.pick", [Reply("\n".join(lines), buttons(*choices, per_row=1))])


@router.button("act")
async def pressed(ctx: Context) -> list[Reply] | None:
    """Act on an activity button (pressed, or its number typed)."""
    parts = (ctx.choice or "").split(":")
    action, args = parts[1] if len(parts) > 1 else "", parts[2:]
    # Payloads come back from a platform: a stale or forged one is "expired", never a crash.
    numbers = [int(a) if a.isdigit() else None for a in args]
    if not args or numbers[0] is None:
        return None if action != "keep" else await _keep(ctx)
    first = numbers[0]
    if action == "show":
        return await _show(ctx, first)
    if action == "join":
        party = numbers[1] if len(args) > 1 else 1
        return await _join(ctx, first, party) if party else None
    if action == "slot" and len(args) == 3 and numbers[2]:
        slot = rules.NEXT_SLOT if args[1] == rules.NEXT_SLOT else numbers[1]
        return await _join(ctx, first, numbers[2], slot) if slot else None
    if action == "drop":
        return await _drop(ctx, first)
    return None


async def _keep(ctx: Context) -> list[Reply]:
    await ctx.done()
    return [Reply(activity_texts.KEPT)]


async def _show(ctx: Context, activity_id: int) -> list[Reply]:
    activity = await store.get(ctx.session, activity_id)
    if activity is None or activity.community_id != getattr(ctx.community, "id", None):
        return [Reply(activity_texts.CLOSED["gone"])]
    left = (await _places_left(ctx, [activity]))[activity.id]
    text = activity_texts.details(activity, left, ctx.zone)
    if rules.closed_because(activity, ctx.now):
        return [Reply(text)]
    label = "报名" if left is None or left > 0 else "排队报名"
    offer = Reply(text, buttons((label, f"act:join:{activity.id}")))
    return await ctx.ask("activity.pick", [offer])


@router.intent("event_signup")
async def sign_up_in_words(ctx: Context) -> list[Reply]:
    """Sign up from words ("报名义诊", "周六那个健康讲座 2人"): find the activity meant."""
    assert ctx.community is not None
    found = await store.upcoming(ctx.session, ctx.community.id, ctx.now, limit=50)
    if not found:
        return [Reply(activity_texts.NONE_OPEN)]
    party = party_size(ctx.text) or 1
    meant = match(ctx.text, found, ctx.local_now().date(), ctx.zone)
    if len(meant) == 1:
        return await _join(ctx, meant[0].id, party)
    if meant:
        return await _offer(ctx, activity_texts.WHICH, meant[:9], "join", party)
    return await _offer(ctx, activity_texts.NO_MATCH + activity_texts.LIST_HEAD, found[:9], "show")


def match(text: str, found: list[Activity], today: date, zone: ZoneInfo) -> list[Activity]:
    """Return the activities a text most likely means (several when it is not clear)."""
    day = find_date(text, today)
    if day is not None:
        on_day = [a for a in found if a.starts_at.astimezone(zone).date() == day]
        if not on_day and day == today:
            # "周六那个" said on a Saturday with nothing on today: next Saturday's.
            later = day + timedelta(days=7)
            on_day = [a for a in found if a.starts_at.astimezone(zone).date() == later]
        found = on_day
    words = _FILLER.sub("", _DATE_WORDS.sub("", _PARTY.sub("", text)))
    if not words:
        # "我要报名", "周六那个": whatever is open (on that day); the resident picks.
        return found
    scored = []
    for activity in found:
        score = sum(2.0 for k in activity.keywords.split() if k and k in words)
        pairs = {activity.title[i : i + 2] for i in range(len(activity.title) - 1)}
        if pairs:
            score += 2.0 * sum(p in words for p in pairs) / len(pairs)
        scored.append((score, activity))
    best = max((s for s, _ in scored), default=0.0)
    if best <= 0:
        return []
    # Close scores are a real choice: ask rather than guess.
    return [a for s, a in scored if s > 0 and s >= best - 0.5]


async def _join(
    ctx: Context, activity_id: int, party: int, slot: int | str | None = None
) -> list[Reply]:
    """Check, ask what is missing, then take places or a waitlist position."""
    assert ctx.resident is not None
    activity = await store.get(ctx.session, activity_id)
    if activity is None or activity.community_id != getattr(ctx.community, "id", None):
        return [Reply(activity_texts.CLOSED["gone"])]
    if problem := await _closed(ctx, activity):
        return problem
    fact = rules.missing_fact(activity, ctx.resident)
    if fact is not None:
        ask = activity_texts.ASK_BIRTH if fact == "birth_year" else activity_texts.ASK_BUILDING
        text = ask.format(title=activity.title, audience=activity.audience)
        state = BIRTH if fact == "birth_year" else BUILDING
        return await ctx.ask(state, [Reply(text)], {"id": activity.id, "party": party})
    if rules.ineligible(activity, ctx.resident, ctx.now):
        return [
            Reply(
                activity_texts.NOT_FOR_YOU.format(title=activity.title, audience=activity.audience)
            )
        ]
    if slot is None and (slots := await store.slots(ctx.session, activity.id)):
        taken = await store.taken(ctx.session, activity.id)
        most = rules.largest_party(slots, activity.capacity) or rules.MAX_PARTY
        if party > most:
            return [Reply(activity_texts.TOO_MANY.format(title=activity.title, most=most))]
        if rules.per_person(slots) and party > 1:
            # Each person needs a slot: offer the times from which enough free slots follow.
            free = [s for s in slots if rules.person_slots(slots, taken, party, s.id) is not None]
        else:
            free = [s for s in slots if s.capacity - taken.get(s.id, 0) >= party]
        if free:
            zone = ctx.zone
            # Every free slot is offered: a resident who can only come at 11:00 must see it.
            choices = [("最早的空位", f"act:slot:{activity.id}:next:{party}")] + [
                (activity_texts.slot_label(s, zone), f"act:slot:{activity.id}:{s.id}:{party}")
                for s in free[: activity_texts.MAX_SLOTS_SHOWN]
            ]
            text = activity_texts.PICK_SLOT.format(title=activity.title)
            if party > 1 and rules.per_person(slots):
                text += activity_texts.PICK_SLOT_PARTY.format(party=party)
            return await ctx.ask("activity.pick", [Reply(text, buttons(*choices, per_row=3))])
        else:  # every slot is taken: ask before queueing
            wait = buttons(("排队", f"act:slot:{activity.id}:next:{party}"))
            text = activity_texts.ALL_SLOTS_TAKEN.format(title=activity.title)
            if party > 1 and any(s.capacity > taken.get(s.id, 0) for s in slots):
                text = activity_texts.NOT_ENOUGH_SLOTS.format(title=activity.title, party=party)
            return await ctx.ask("activity.pick", [Reply(text, wait)])
    outcome = await rules.sign_up(ctx.session, activity.id, ctx.resident, party, slot, ctx.now)
    await ctx.done()
    if outcome.problem == "slot_taken":
        return [Reply(activity_texts.SLOT_TAKEN), *await _join(ctx, activity.id, party)]
    if outcome.problem == "too_many":
        slots = await store.slots(ctx.session, activity.id)
        largest = rules.largest_party(slots, activity.capacity)
        most = min(rules.MAX_PARTY, largest or rules.MAX_PARTY)
        return [Reply(activity_texts.TOO_MANY.format(title=activity.title, most=most))]
    if outcome.problem or outcome.registration is None:
        return await _closed(ctx, activity) or [Reply(activity_texts.CLOSED["gone"])]
    registration = outcome.registration
    if registration.status == RegistrationStatus.WAITLISTED:
        position = await rules.waitlist_position(ctx.session, registration)
        return [Reply(activity_texts.WAITLISTED.format(title=activity.title, position=position))]
    start = outcome.slot.starts_at if outcome.slot else activity.starts_at
    zone = ctx.zone
    when = activity_texts.when(start, zone)
    if outcome.companion_slots:
        others = "、".join(activity_texts.slot_label(s, zone) for s in outcome.companion_slots)
        when += activity_texts.ALSO_AT.format(times=others)
    text = activity_texts.CONFIRMED.format(
        title=activity.title,
        when=when,
        place=activity.place or "见活动通知",
        party=registration.party_size + len(outcome.companion_slots),
        code=registration.code,
    )
    return [Reply(text)]


async def _closed(ctx: Context, activity: Activity) -> list[Reply] | None:
    """Say why this resident cannot sign up now (closed, or already signed up)."""
    assert ctx.resident is not None
    reason = rules.closed_because(activity, ctx.now)
    if reason:
        deadline = (
            activity_texts.when(activity.signup_deadline, ctx.zone)
            if activity.signup_deadline
            else ""
        )
        return [
            Reply(activity_texts.CLOSED[reason].format(title=activity.title, deadline=deadline))
        ]
    existing = await store.active_registration(ctx.session, activity.id, ctx.resident.id)
    if existing is not None:
        status = activity_texts.STATUS.get(existing.status, existing.status)
        return [Reply(activity_texts.TWICE.format(title=activity.title, status=status))]
    return None


@router.state(BIRTH, hint="请告诉我出生年份,例如 1952")
async def birth_year(ctx: Context) -> list[Reply] | None:
    """Remember the year of birth asked for (or an age), then go on signing up."""
    assert ctx.resident is not None and ctx.state is not None
    year = None
    text = arabic(ctx.text.strip()).removeprefix("我").removeprefix("是")
    if found := re.search(r"(19\d\d|20[0-2]\d)", text):
        year = int(found.group(1))
    elif found := re.fullmatch(r"(\d{1,3})\s*岁", text):
        year = ctx.now.year - int(found.group(1))
    elif found := re.fullmatch(r"(\d{2})\s*年?(?:的|生的?)?", text):
        year = 1900 + int(found.group(1))  # asked for a year: "52" is 1952, not an age
    if year is None or not 1900 <= year <= ctx.now.year:
        # A number that is no year gets help; anything else is routed as usual.
        return [Reply(activity_texts.BAD_BIRTH)] if re.search(r"\d", ctx.text) else None
    ctx.resident.birth_year = year
    data = ctx.state.data
    return await _join(ctx, int(data["id"]), int(data.get("party", 1)))


@router.state(BUILDING, hint="请告诉我楼号,例如 3号楼")
async def building(ctx: Context) -> list[Reply] | None:
    """Remember the building asked for, then go on signing up."""
    assert ctx.resident is not None and ctx.state is not None
    said = arabic(ctx.text).removeprefix("我住").removeprefix("住")
    found = re.fullmatch(r"\s*(\d{1,3})\s*(?:号楼|栋|幢|号|座)?(?:的)?\s*", said)
    if not found:
        return [Reply(activity_texts.BAD_BUILDING)] if re.search(r"\d", ctx.text) else None
    ctx.resident.building = found.group(1)
    data = ctx.state.data
    return await _join(ctx, int(data["id"]), int(data.get("party", 1)))


@router.command("我的报名", "/signups")
async def my_signups(ctx: Context) -> list[Reply]:
    """List the resident's sign-ups with their status (and waitlist positions)."""
    assert ctx.resident is not None
    mine = await store.of_resident(ctx.session, ctx.resident.id, ctx.now)
    if not mine:
        return [Reply(activity_texts.NO_SIGNUPS)]
    zone = ctx.zone
    lines = [activity_texts.MINE_HEAD]
    for registration, activity in mine:
        status = activity_texts.STATUS[registration.status]
        if registration.status == RegistrationStatus.WAITLISTED:
            status += f"第 {await rules.waitlist_position(ctx.session, registration)} 位"
        else:
            status += f",签到码 {registration.code}"
        start = await _start_of(ctx, registration, activity)
        when = activity_texts.when(start, zone)
        family = await store.companions(ctx.session, registration.id)
        if family:
            times = []
            for companion in family:
                times.append(
                    activity_texts.slot_label_at(await _start_of(ctx, companion, activity), zone)
                )
            when += activity_texts.ALSO_AT.format(times="、".join(times))
        party = registration.party_size + len(family)
        people = f"{party} 人," if party > 1 else ""
        lines.append(f"· {activity.title} {when}:{people}{status}")
    return [Reply("\n".join(lines))]


@router.command("取消报名", "/unsign")
@router.intent("event_cancel")
async def cancel(ctx: Context) -> list[Reply]:
    """Ask which sign-up to cancel (if not clear) and to confirm."""
    assert ctx.resident is not None
    mine = await store.of_resident(ctx.session, ctx.resident.id, ctx.now)
    if not mine:
        return [Reply(activity_texts.NO_SIGNUPS)]
    zone = ctx.zone
    if len(mine) > 1:
        meant = match(ctx.text, [a for _, a in mine], ctx.now.astimezone(zone).date(), zone)
        mine = [(r, a) for r, a in mine if a in meant] or mine
    if len(mine) == 1:
        registration, activity = mine[0]
        text = activity_texts.ASK_CANCEL.format(
            title=activity.title, when=activity_texts.when(activity.starts_at, zone)
        )
        choices = buttons(("确定取消", f"act:drop:{registration.id}"), ("不取消", "act:keep"))
        return await ctx.ask("activity.pick", [Reply(text, choices)])
    which = [(a.title, f"act:drop:{r.id}") for r, a in mine]
    return await ctx.ask(
        "activity.pick", [Reply(activity_texts.WHICH_CANCEL, buttons(*which, per_row=1))]
    )


async def _drop(ctx: Context, registration_id: int) -> list[Reply]:
    """Cancel a sign-up; whoever its places now fit is promoted and told."""
    assert ctx.resident is not None
    await ctx.done()
    mine = await store.of_resident(ctx.session, ctx.resident.id, ctx.now)
    found = next(((r, a) for r, a in mine if r.id == registration_id), None)
    if found is None:
        return [Reply(activity_texts.NO_SIGNUPS)]
    registration, activity = found
    promoted = await rules.cancel(ctx.session, registration, ctx.now)
    await tell_promoted(ctx, activity, promoted)
    return [Reply(activity_texts.CANCELLED.format(title=activity.title))]


async def tell_promoted(ctx: Context, activity: Activity, promoted: list[Registration]) -> None:
    """Tell residents moved from the waitlist that they have a place."""
    zone = ctx.zone
    for registration in promoted:
        start = await _start_of(ctx, registration, activity)
        text = activity_texts.PROMOTED.format(
            title=activity.title,
            when=activity_texts.when(start, zone),
            place=activity.place or "见活动通知",
            code=registration.code,
        )
        await ctx.push_to_resident(
            registration.resident_id,
            [Reply(text)],
            "activity_promoted",
            dedupe_key=f"promoted:{registration.id}",
        )


async def _start_of(ctx: Context, registration: Registration, activity: Activity) -> datetime:
    """Return when a sign-up starts: its time slot's start, or the activity's."""
    if registration.slot_id is not None:
        slot = await ctx.session.get(ActivitySlot, registration.slot_id)
        if slot is not None:
            return slot.starts_at
    return activity.starts_at


# 报名做灯笼 大人小孩两个, 给我和老伴报名冬季义诊, 我们都要报名: a sign-up, whatever nlp makes of
# the rest.
SIGN_UP_PHRASE = (
    r"(?:给我|帮我|我要|我想|我们|咱们|俺|我和.{1,4}|我跟.{1,4})?(?:都要|都想|想|要)?报个?名.{0,40}"
)


@router.phrase(SIGN_UP_PHRASE)
async def sign_up_phrase(ctx: Context) -> list[Reply] | None:
    """Sign up from words that start with 报名."""
    if ctx.text in ("报名名单",) or "报名费" in ctx.text:
        return None
    return await sign_up_in_words(ctx)
