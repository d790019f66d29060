"""The same platform message processed twice has one effect and one answer."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from handlers.types import Incoming
from storage.models import Suggestion


async def _count(app) -> int:
    async with app.read_maker() as session:
        return await session.scalar(select(func.count()).select_from(Suggestion)) or 0


def _message(mid: str) -> Incoming:
    return Incoming("telegram", "1001", "小区门口的路灯坏了三盏", message_id=mid)


async def test_replay_one_after_the_other(app) -> None:
    first = await app.dispatcher.handle(_message("m-1"))
    again = await app.dispatcher.handle(_message("m-1"))
    assert again == first
    assert await _count(app) == 1
    assert "编号 1" in first[-1].text


async def test_replay_at_the_same_moment(app) -> None:
    results = await asyncio.gather(*(app.dispatcher.handle(_message("m-2")) for _ in range(4)))
    assert all(r == results[0] for r in results)
    assert await _count(app) == 1


async def test_distinct_messages_are_not_deduplicated(app) -> None:
    await app.dispatcher.handle(_message("m-3"))
    await app.dispatcher.handle(_message("m-4"))
    assert await _count(app) == 2
