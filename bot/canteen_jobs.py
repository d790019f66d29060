"""Scheduled canteen work: the kitchen list to staff when each meal's orders close.

Runs every minute and looks for due work in the database, so each list goes out once per
community, day and meal, however often (or late) the job runs and across restarts: the outbox
dedupe key carries the community, day and meal.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.canteen import address_of
from handlers.canteen_rules import MEAL_NAMES, CanteenRules
from handlers.canteen_staff import kitchen_summary
from handlers.canteen_standing import PROMPT, paused_on
from handlers.types import Reply
from storage import canteen, communities, outbox, residents
from storage import staff as staff_store
from storage.canteen_models import MealOrder
from storage.engine import transaction
from storage.types import utcnow

# A list is not sent for a cut-off more than this long ago (a server that was down for a day
# does not send yesterday's lists in the morning).
LATE_MINUTES = 120


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
            cutoff = rules.cutoff(day, meal, zone)
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
            if not await canteen.claim_job(session, f"standing:{day}:{meal}"):
                continue
            for usual, resident in await canteen.standing_for(session, meal):
                if paused_on(usual, day) or not resident.active:
                    continue
                menus = await canteen.menus_of(session, usual.community_id, day)
                if meal not in menus or await canteen.orders_of(session, resident.id, day, day):
                    continue
                deliver = usual.delivery and rules.may_deliver(resident, day.year)
                tiers = await canteen.subsidy_tiers(session, usual.community_id)
                own = rules.with_subsidies(tiers)
                unit = own.price_for(resident, menus[meal].price_cents, day.year)
                session.add(
                    MealOrder(
                        community_id=usual.community_id,
                        resident_id=resident.id,
                        day=day,
                        meal=meal,
                        quantity=usual.quantity,
                        delivery=deliver,
                        unit_price_cents=unit,
                        diet_note=resident.diet_note or "",
                        note=address_of(resident) if deliver else "",
                    )
                )
                text = (
                    f"今天已照旧为您订了{MEAL_NAMES[meal]} {usual.quantity} 份。"
                    f"不要的话,{rules.cutoff(day, meal, zone):%H:%M} 前发“取消订餐”。"
                )
                await _tell(session, resident.id, text, f"standing:{day}:{meal}:{resident.id}")
                placed += 1
    return placed


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
            if not await canteen.claim_job(session, f"prompt:{community.id}:{day}"):
                continue
            menus = await canteen.menus_of(session, community.id, day)
            if not menus:
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
