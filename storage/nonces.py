"""Signed callbacks seen: a (timestamp, nonce) pair is accepted once, by every process alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_once
from storage.models import CallbackNonce
from storage.types import rows_changed


async def fresh(
    session: AsyncSession, channel: str, timestamp: str, nonce: str, key: str, now: datetime
) -> bool:
    """Record a callback's (timestamp, nonce) with the message it carried.

    False if the pair was seen before with another message: a signed query replayed with a
    body of someone's choosing. The same pair with the same message is WeChat's retry.
    """
    values = {
        "channel": channel,
        "timestamp": timestamp[:20],
        "nonce": nonce[:64],
        "message_key": key[:200],
        "seen_at": now,
    }
    if await insert_once(session, CallbackNonce, values):
        return True
    seen = await session.get(CallbackNonce, (channel, timestamp[:20], nonce[:64]))
    return seen is not None and seen.message_key == key[:200]


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Delete pairs seen before ``before`` (refused by their timestamp anyway); return how many."""
    result = await session.execute(delete(CallbackNonce).where(CallbackNonce.seen_at < before))
    return rows_changed(result)
