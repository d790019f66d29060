"""The canteen for tests: a week's menus published, a local time, the orders kept."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from storage import canteen, communities
from storage.engine import transaction
from storage.models import MealOrder
from tests.support import ZONE

MONDAY = date(2026, 11, 23)  # a working day; Tuesday 24 and Wednesday 25 too


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), ZONE)


async def publish(app, *days: date) -> None:
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        for day in days:
            await canteen.set_menu(session, community.id, day, "lunch", "红烧肉、青菜、米饭", 1000)
            await canteen.set_menu(session, community.id, day, "dinner", "鱼、豆腐、粥", 800)


async def orders(app) -> list[MealOrder]:
    async with app.read_maker() as session:
        return list(await session.scalars(select(MealOrder).order_by(MealOrder.id)))
