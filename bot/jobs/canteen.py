"""Scheduled canteen work: the kitchen list to staff when each meal's orders close.

Runs every minute and looks for due work in the database, so each list goes out once per
community, day and meal, however often (or late) the job runs and across restarts: the outbox
dedupe key carries the community, day and meal.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.canteen.rules import MEAL_NAMES, CanteenRules
from handlers.canteen.staff import kitchen_summary
from handlers.canteen.standing import PROMPT, paused_on
from handlers.residents.profile import address_of
from handlers.types import Reply
from storage import canteen, communities, outbox, residents
from storage import staff as staff_store
from storage.engine import transaction
from storage.models import MealOrder, Menu, Resident, StandingOrder
from storage.types import utcnow

# A list is not sent for a cut-off more than this long ago (a server that was down for a day
# does not send yesterday's lists in the morning).
LATE_MINUTES = 120
# The list waits this long after the cut-off: a confirmation that arrived just before it may
# still be in hand. One handled later still counts and reaches the kitchen as an addition.
LIST_GRACE = timedelta(minutes=1)


def _today(timezone: str, now: datetime | None) -> tuple[ZoneInfo, datetime, date]:
    """Return the community's zone, the local time and today's date."""
    zone = ZoneInfo(timezone)
    local = (now or utcnow()).astimezone(zone)
    return zone, local, local.date()


async def kitchen_lists(
    maker: async_sessionmaker[AsyncSession],
    rules: CanteenRules,
    timezone: str,
    operators: tuple[str, ...],
    now: datetime | None = None,
) -> int:
    """Queue the kitchen list of every meal whose cut-off just passed; return how many."""
    zone, now, day = _today(timezone, now)
    if not rules.open_on(day)[0]:
        return 0
    queued = 0
    async with transaction(maker) as session:
        for meal in ("lunch", "dinner"):
            cutoff = rules.cutoff(day, meal, zone) + LIST_GRACE
            if not 0 <= (now - cutoff).total_seconds() <= LATE_MINUTES * 60:
                continue
            for community in await communities.list_all(session):
                if not await canteen.claim_job(session, f"kitchen:{community.id}:{day}:{meal}"):
                    continue  # sent before
                summary = await kitchen_summary(session, community.id, day)
                text = f"【{MEAL_NAMES[meal]}订餐已截止】\n{summary}"
                queued += await outbox.enqueue_for_staff(
                    session,
                    community.id,
                    [staff_store.split_account(a) for a in operators],
                    kind="kitchen_list",
                    payloads=[Reply(text).to_dict()],
                )
    return queued


async def place_standing_orders(
    maker: async_sessionmaker[AsyncSession],
    rules: CanteenRules,
    timezone: str,
    now: datetime | None = None,
) -> int:
    """Place today's standing orders (once per day and meal, before its cut-off); tell each."""
    zone, now, day = _today(timezone, now)
    if not rules.open_on(day)[0]:
        return 0
    placed = 0
    async with transaction(maker) as session:
        for meal in ("lunch", "dinner"):
            if now >= rules.cutoff(day, meal, zone):
                continue
            menus_of: dict[int, dict[str, Menu]] = {}
            for usual, resident in await canteen.standing_for(session, meal):
                if paused_on(usual, day) or not resident.active:
                    continue
                if usual.community_id not in menus_of:
                    menus_of[usual.community_id] = await canteen.menus_of(
                        session, usual.community_id, day
                    )
                menus = menus_of[usual.community_id]
                if meal not in menus:
                    continue  # looked for again at the next run: the menu may come later
                ordered = await canteen.orders_of(session, resident.id, day, day)
                if any(o.meal == meal for o in ordered):
                    continue
                # Once per resident, day and meal: an order they cancel is not placed again.
                if not await canteen.claim_job(session, f"standing:{day}:{meal}:{resident.id}"):
                    continue
                tiers = await canteen.subsidy_tiers(session, usual.community_id)
                text = await _place_usual(
                    session, rules.with_subsidies(tiers), usual, resident, day, meal, menus[meal]
                )
                if text:
                    cutoff = rules.cutoff(day, meal, zone)
                    text += f"不要的话,{cutoff:%H:%M} 前发“取消订餐”。"
                    await _tell(session, resident.id, text, f"standing:{day}:{meal}:{resident.id}")
                    placed += 1
    return placed


async def _place_usual(
    session: AsyncSession,
    rules: CanteenRules,
    usual: StandingOrder,
    resident: Resident,
    day: date,
    meal: str,
    menu: Menu,
) -> str | None:
    """Place one standing order; return what to tell the resident (None if it was ordered)."""
    address = address_of(resident)
    deliver = usual.delivery and rules.may_deliver(resident, day.year) and address is not None
    order = MealOrder(
        community_id=usual.community_id,
        resident_id=resident.id,
        day=day,
        meal=meal,
        quantity=usual.quantity,
        delivery=deliver,
        unit_price_cents=rules.price_for(resident, menu.price_cents, day.year),
        diet_note=resident.diet_note or "",
        note=address if deliver and address else "",
    )
    if not await canteen.place_order(session, order):
        return None  # the resident ordered it themselves a moment ago
    text = f"今天已照旧为您订了{MEAL_NAMES[meal]} {usual.quantity} 份。"
    if usual.delivery and not deliver:
        why = "没有送餐地址" if address is None else "送餐登记已取消"
        text += f"因为{why},这次请到食堂取餐。"
    return text


async def _tell(session: AsyncSession, resident_id: int, text: str, key: str) -> None:
    for account in await residents.accounts(session, resident_id):
        await outbox.enqueue(
            session,
            channel=account.channel,
            recipient=account.external_id,
            kind="meal_standing",
            payload=Reply(text).to_dict(),
            dedupe_key=f"{key}:{account.id}",
        )


async def daily_prompts(
    maker: async_sessionmaker[AsyncSession],
    rules: CanteenRules,
    timezone: str,
    now: datetime | None = None,
) -> int:
    """Send the day's menu to residents who asked for it, once per open day; return how many."""
    zone, now, day = _today(timezone, now)
    if rules.prompt_time is None or not rules.open_on(day)[0]:
        return 0
    start = datetime.combine(day, rules.prompt_time, zone)
    if not start <= now < rules.cutoff(day, "lunch", zone):
        return 0  # after the lunch cut-off a "order now" prompt would mislead
    sent = 0
    async with transaction(maker) as session:
        for community in await communities.list_all(session):
            menus = await canteen.menus_of(session, community.id, day)
            if not menus:
                continue  # looked for again at the next run: the menu may come later
            if not await canteen.claim_job(session, f"prompt:{community.id}:{day}"):
                continue
            lines = ["今天幸福食堂:"] + [
                f"{MEAL_NAMES[m]}:{menus[m].dishes}" for m in ("lunch", "dinner") if m in menus
            ]
            lines.append(f"回复“订餐”即可(午餐 {rules.lunch_cutoff:%H:%M} 前)。")
            for resident in await residents.in_community(session, community.id):
                if resident.active and PROMPT in (resident.consents or {}):
                    key = f"prompt:{day}:{resident.id}"
                    await _tell(session, resident.id, "\n".join(lines), key)
                    sent += 1
    return sent
