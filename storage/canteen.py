"""Queries for menus and meal orders (each takes the session)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.canteen_models import JobMark, MealOrder, Menu, OrderStatus, StandingOrder
from storage.dialect import insert_once, upsert
from storage.models import Resident
from storage.types import utcnow


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


async def orders_of(
    session: AsyncSession, resident_id: int, since: date, day: date | None = None
) -> list[MealOrder]:
    """Return a resident's confirmed orders from ``since`` on (or of one day), in order."""
    stmt = select(MealOrder).where(
        MealOrder.resident_id == resident_id,
        MealOrder.status == OrderStatus.CONFIRMED,
        MealOrder.day >= since,
    )
    if day is not None:
        stmt = stmt.where(MealOrder.day == day)
    return list(await session.scalars(stmt.order_by(MealOrder.day, MealOrder.meal.desc())))


async def kitchen_list(
    session: AsyncSession, community_id: int, day: date
) -> list[tuple[MealOrder, Resident]]:
    """Return a day's confirmed orders with their residents, by meal, building, unit, room."""
    stmt = (
        select(MealOrder, Resident)
        .join(Resident, Resident.id == MealOrder.resident_id)
        .where(
            MealOrder.community_id == community_id,
            MealOrder.day == day,
            MealOrder.status == OrderStatus.CONFIRMED,
        )
        .order_by(MealOrder.meal.desc(), Resident.building, Resident.unit, Resident.room)
    )
    return [(o, r) for o, r in await session.execute(stmt)]


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
