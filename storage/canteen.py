"""Queries for menus and meal orders (each takes the session)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_once, upsert
from storage.models import (
    CanteenSettings,
    JobMark,
    MealOrder,
    Menu,
    OrderStatus,
    Resident,
    StandingOrder,
)
from storage.types import rows_changed, utcnow


async def menus_of(session: AsyncSession, community_id: int, day: date) -> dict[str, Menu]:
    """Return a day's menus by meal."""
    stmt = select(Menu).where(Menu.community_id == community_id, Menu.day == day)
    return {m.meal: m for m in await session.scalars(stmt)}


async def set_menu(
    session: AsyncSession, community_id: int, day: date, meal: str, dishes: str, price_cents: int
) -> None:
    """Publish (or replace) the menu of one meal."""
    values = {
        "community_id": community_id,
        "day": day,
        "meal": meal,
        "dishes": dishes,
        "price_cents": price_cents,
    }
    await upsert(session, Menu, ("community_id", "day", "meal"), values)


async def remove_menu(session: AsyncSession, community_id: int, day: date, meal: str) -> int:
    """Withdraw a meal's menu unless orders were placed for it; return how many there are."""
    stmt = select(func.count()).where(
        MealOrder.community_id == community_id,
        MealOrder.day == day,
        MealOrder.meal == meal,
        MealOrder.status == OrderStatus.CONFIRMED,
    )
    placed = int(await session.scalar(stmt) or 0)
    if not placed:
        await session.execute(
            delete(Menu).where(
                Menu.community_id == community_id, Menu.day == day, Menu.meal == meal
            )
        )
    return placed


async def subsidy_tiers(
    session: AsyncSession, community_id: int
) -> tuple[tuple[int, int], ...] | None:
    """Return a community's own subsidy tiers ((min age, cents off), ...), None if it has none."""
    own = await session.get(CanteenSettings, community_id)
    return None if own is None else tuple((int(a), int(c)) for a, c in own.subsidies)


async def set_subsidy_tiers(
    session: AsyncSession, community_id: int, tiers: tuple[tuple[int, int], ...] | None
) -> None:
    """Set a community's subsidy tiers (an empty tuple: no subsidy; None: back to the config)."""
    if tiers is None:
        await session.execute(
            delete(CanteenSettings).where(CanteenSettings.community_id == community_id)
        )
        return
    values = {
        "community_id": community_id,
        "subsidies": [list(t) for t in tiers],
        "updated_at": utcnow(),
    }
    await upsert(session, CanteenSettings, ("community_id",), values)


async def orders_of(
    session: AsyncSession,
    resident_id: int,
    since: date,
    day: date | None = None,
    *,
    until: date | None = None,
) -> list[MealOrder]:
    """Return a resident's confirmed orders from ``since`` on (of one day, or up to ``until``)."""
    stmt = select(MealOrder).where(
        MealOrder.resident_id == resident_id,
        MealOrder.status == OrderStatus.CONFIRMED,
        MealOrder.day >= since,
    )
    if day is not None:
        stmt = stmt.where(MealOrder.day == day)
    if until is not None:
        stmt = stmt.where(MealOrder.day <= until)
    return list(await session.scalars(stmt.order_by(MealOrder.day, MealOrder.meal.desc())))


async def kitchen_list(
    session: AsyncSession, community_id: int, day: date
) -> list[tuple[MealOrder, Resident | None]]:
    """Return a day's confirmed orders with their residents, by meal, building, unit, room.

    An order whose resident deleted their data after the cut-off comes with None.
    """
    stmt = (
        select(MealOrder, Resident)
        .outerjoin(Resident, Resident.id == MealOrder.resident_id)
        .where(
            MealOrder.community_id == community_id,
            MealOrder.day == day,
            MealOrder.status == OrderStatus.CONFIRMED,
        )
        .order_by(MealOrder.meal.desc(), Resident.building, Resident.unit, Resident.room)
    )
    return [(o, r) for o, r in await session.execute(stmt)]


async def place_order(session: AsyncSession, order: MealOrder) -> bool:
    """Store a confirmed order; False (nothing stored) if that meal is already ordered."""
    try:
        async with session.begin_nested():
            session.add(order)
    except IntegrityError:
        return False
    return True


async def job_done(session: AsyncSession, name: str) -> bool:
    """Tell whether a piece of scheduled work was marked done."""
    return await session.get(JobMark, name) is not None


async def forget_jobs(session: AsyncSession, before: datetime) -> int:
    """Delete the marks of work done before ``before`` (no job looks that far back)."""
    result = await session.execute(delete(JobMark).where(JobMark.done_at < before))
    return rows_changed(result)


async def claim_job(session: AsyncSession, name: str) -> bool:
    """Mark a piece of scheduled work done; False if it was done before.

    The mark commits with the work it stands for, so the work is done exactly once.
    """
    return await insert_once(session, JobMark, {"name": name, "done_at": utcnow()})


async def standing_for(session: AsyncSession, meal: str) -> list[tuple[StandingOrder, Resident]]:
    """Return the standing orders of a meal with their residents."""
    stmt = (
        select(StandingOrder, Resident)
        .join(Resident, Resident.id == StandingOrder.resident_id)
        .where(StandingOrder.meal == meal)
    )
    return [(s, r) for s, r in await session.execute(stmt)]


async def drop_cancelled_orders(session: AsyncSession, resident_id: int) -> None:
    """Delete a resident's cancelled orders (nothing is left to cook: no need to keep them)."""
    await session.execute(
        delete(MealOrder).where(
            MealOrder.resident_id == resident_id, MealOrder.status == OrderStatus.CANCELLED
        )
    )
