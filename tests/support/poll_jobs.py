"""A poll's life in time for tests: made, opened, reminded and closed by the real job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.jobs.broadcasts import MassSend, broadcast_tick
from bot.jobs.polls import poll_tick
from handlers.polls.specs import read_spec, to_rows
from storage import communities, polls, staff
from storage.engine import transaction
from storage.models import Broadcast, Resident
from tests.support import ZONE
from tests.support.broadcasts import QUIET, town

TZ = "Asia/Shanghai"


CREATED = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)  # a Monday morning


OPENS = datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)


CLOSES = datetime(2026, 11, 27, 10, 0, tzinfo=ZONE)  # the reminder is due at 11-26 10:00


REMIND_AT = CLOSES - timedelta(days=1)


MINUTE = timedelta(minutes=1)


CREATOR = "console:staff1"


SPEC: dict[str, Any] = {
    "title": "加装电梯意见征集",
    "audience": "3栋",
    "opens": OPENS,
    "closes": CLOSES,
    "results": "publish",
    "question": [
        {"text": "您支持加装电梯吗?", "options": ["支持", "反对", "无所谓"]},
        {"text": "您家需要哪些服务?", "options": ["助餐", "理发", "体检"], "max": 2},
        {"text": "您对物业满意吗?", "kind": "rating"},
    ],
}


# Complete answers (question 1 choice, question 2 choices, question 3 rating).
YES = ([1], [1, 3], 5)


NO = ([2], [2, 3], 3)


async def make_poll(app, created_by: str = CREATOR, **changes: Any) -> int:
    """Store a poll written like SPEC (with changes) as staff make one; return its id."""
    spec = read_spec({**SPEC, **changes})
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        poll, questions = to_rows(spec, community.id, ZONE, CREATED, created_by)
        await polls.create(session, poll, questions)
        return poll.id


async def setup(app) -> dict[str, int]:
    """town(), the poll's creator as staff, and households for 3栋 (居民5's room unknown)."""
    ids = await town(app)
    rooms = {"居民0": "101", "居民1": "101", "居民2": "102", "居民3": "102", "居民4": "201"}
    async with transaction(app.maker) as session:
        await staff.add(session, "console", "staff1", 1)
        for name, room in rooms.items():
            person = await session.get(Resident, ids[name])
            person.unit, person.room = "1", room
    return ids


async def all_broadcasts(app) -> list[Broadcast]:
    async with app.read_maker() as session:
        return list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))


async def tick(app, at: datetime, draw=None, mass: MassSend | None = None) -> None:
    """One minute of the scheduler: the poll job, then the broadcast job."""
    await poll_tick(app.maker, TZ, draw, now=at)
    await broadcast_tick(app.maker, TZ, QUIET, at, mass)
