"""Processed platform messages: the record that makes a replay have no second effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedMessage
from storage.types import rows_changed, table_of, utcnow

_RECORD = insert(table_of(ProcessedMessage))


async def record(
    session: AsyncSession,
    channel: str,
    message_id: str,
    external_id: str,
    replies: list[dict[str, Any]],
) -> None:
    """Record a handled message and its replies.

    Raises IntegrityError when the message was recorded already, which rolls back the
    whole transaction of the replay: its effects never happen twice. A concurrent duplicate
    waits on the primary key until the first transaction ends, then fails the same way.
    """
    await session.execute(
        _RECORD,
        {
            "channel": channel,
            "message_id": message_id,
            "external_id": external_id,
            "replies": replies,
            "created_at": utcnow(),
        },
    )


async def replies_of(
    session: AsyncSession, channel: str, message_id: str
) -> list[dict[str, Any]] | None:
    """Return the replies recorded for a processed message, or None if it is not recorded."""
    replies = await session.scalar(
        select(ProcessedMessage.replies).where(
            ProcessedMessage.channel == channel, ProcessedMessage.message_id == message_id
        )
    )
    return None if replies is None else list(replies)


async def purge_before(session: AsyncSession, before: datetime) -> int:
    """Forget processed-message records older than ``before``; return how many."""
    result = await session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.created_at < before)
    )
    return rows_changed(result)
