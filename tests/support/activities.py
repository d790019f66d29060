"""Activities for tests: add one as staff would, a date coming soon, who holds which place."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from storage.engine import transaction
from storage.models import Activity, Registration
from tests.support import ZONE


def coming(weekday: int, hour: int = 9, minute: int = 0) -> datetime:
    """The coming such weekday (0 = Monday) at a local time, at least a day away."""
    today = datetime.now(ZONE).date()
    ahead = (weekday - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=ahead), time(hour, minute), ZONE)


async def add(app, **fields) -> Activity:
    from storage import communities

    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        activity = Activity(community_id=community.id, **fields)
        session.add(activity)
        await session.flush()
        return activity


async def statuses(app, activity_id: int) -> list[str]:
    async with app.read_maker() as session:
        rows = await session.scalars(
            select(Registration.status)
            .where(Registration.activity_id == activity_id)
            .order_by(Registration.id)
        )
        return list(rows)
