"""Inbound platform updates, stored before they are acted on; long button payloads."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_once
from storage.models import ButtonPayload, InboundUpdate
from storage.types import utcnow


async def store(
    session: AsyncSession,
    channel: str,
    update_id: str,
    payload: dict[str, Any],
    sender: str | None = None,
) -> bool:
    """Keep an update from ``sender`` (their platform id); False if stored before."""
    values = {
        "channel": channel,
        "update_id": update_id,
        "sender": sender,
        "payload": payload,
        "received_at": utcnow(),
    }
    return await insert_once(session, InboundUpdate, values)


async def pending(
    session: AsyncSession, channel: str, limit: int | None = None
) -> list[InboundUpdate]:
    """Return stored updates not yet handled, in the order they arrived."""
    stmt = (
        select(InboundUpdate)
        .where(InboundUpdate.channel == channel, InboundUpdate.processed_at.is_(None))
        .order_by(
            InboundUpdate.received_at,
            func.length(InboundUpdate.update_id),
            InboundUpdate.update_id,
        )
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def mark_processed(
    session: AsyncSession, channel: str, update_ids: list[str], now: datetime
) -> None:
    """Note that updates have been handled."""
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.channel == channel, InboundUpdate.update_id.in_(update_ids))
        .values(processed_at=now)
    )


async def forget_sender(session: AsyncSession, channel: str, sender: str) -> None:
    """Delete every stored update a person sent (they asked linli to forget them)."""
    await session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.channel == channel, InboundUpdate.sender == sender
        )
    )


async def keep_payload(session: AsyncSession, data: str) -> str:
    """Store a long button payload; return the short key that stands for it."""
    key = secrets.token_urlsafe(12)
    session.add(ButtonPayload(key=key, data=data))
    await session.flush()
    return key


async def payload_of(session: AsyncSession, key: str) -> str | None:
    """Return the payload a short key stands for."""
    row = await session.get(ButtonPayload, key)
    return row.data if row else None


async def purge(session: AsyncSession, before: datetime) -> None:
    """Forget handled updates and long button payloads older than ``before``."""
    await session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.processed_at.is_not(None), InboundUpdate.received_at < before
        )
    )
    await session.execute(delete(ButtonPayload).where(ButtonPayload.created_at < before))
