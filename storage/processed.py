"""Processed platform messages: the record that makes a replay have no second effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedMessage


async def claim(session: AsyncSession, channel: str, message_id: str, external_id: str) -> bool:
    """Record a message as being handled; False if it was handled (or is being) already.

    A concurrent duplicate waits on the primary key until the first transaction ends,
    then fails here, so only one of them ever acts.
    """
    try:
        async with session.begin_nested():
            session.add(
                ProcessedMessage(
                    channel=channel, message_id=message_id, external_id=external_id, replies=[]
                )
            )
    except IntegrityError:
        return False
    return True


async def store_replies(
    session: AsyncSession, channel: str, message_id: str, replies: list[dict[str, Any]]
) -> None:
    """Keep the replies a message got, to answer a replay the same way."""
    row = await session.get(ProcessedMessage, (channel, message_id))
    if row is not None:
        row.replies = replies
        await session.flush()


async def replies_of(session: AsyncSession, channel: str, message_id: str) -> list[dict[str, Any]]:
    """Return the replies recorded for a processed message."""
    replies = await session.scalar(
        select(ProcessedMessage.replies).where(
            ProcessedMessage.channel == channel, ProcessedMessage.message_id == message_id
        )
    )
    return list(replies or [])


async def purge_before(session: AsyncSession, before: datetime) -> int:
    """Forget processed-message records older than ``before``; return how many."""
    result = await session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.created_at < before)
    )
    return result.rowcount or 0
