"""Queries for the processes that send: their heartbeats, and pauses they share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.models import SendPause, Worker
from storage.types import rows_changed


async def register(session: AsyncSession, worker: Worker) -> None:
    """Announce a starting worker."""
    session.add(worker)


async def beat(session: AsyncSession, worker_id: str, now: datetime) -> bool:
    """Record that a worker is alive; False if its row is gone (it was taken for dead)."""
    result = await session.execute(update(Worker).where(Worker.id == worker_id).values(seen_at=now))
    return bool(rows_changed(result))


async def leave(session: AsyncSession, worker_id: str) -> None:
    """Remove a worker that stops cleanly."""
    await session.execute(delete(Worker).where(Worker.id == worker_id))


def live(since: datetime) -> Any:
    """Return a subquery of the ids of workers seen since ``since``."""
    return select(Worker.id).where(Worker.seen_at >= since).scalar_subquery()


async def forget_dead(session: AsyncSession, before: datetime) -> int:
    """Delete workers not seen for long (their rows were released long ago)."""
    result = await session.execute(delete(Worker).where(Worker.seen_at < before))
    return rows_changed(result)


async def live_senders(session: AsyncSession, since: datetime) -> int:
    """Return how many sending workers were seen since ``since`` (at least 1)."""
    stmt = select(func.count()).where(Worker.seen_at >= since, Worker.role.in_(("worker", "all")))
    return max(1, int(await session.scalar(stmt) or 0))


async def pause(session: AsyncSession, channel: str, until: datetime, reason: str) -> None:
    """Stop every process sending on ``channel`` until ``until`` (kept if one lasts longer)."""
    current = await session.get(SendPause, channel)
    if current is not None and current.until >= until:
        return
    values = {"channel": channel, "until": until, "reason": reason}
    await upsert(session, SendPause, ("channel",), values)


async def paused(session: AsyncSession, now: datetime) -> dict[str, datetime]:
    """Return the channels paused at ``now`` and until when."""
    stmt = select(SendPause.channel, SendPause.until).where(SendPause.until > now)
    return {channel: until for channel, until in await session.execute(stmt)}
