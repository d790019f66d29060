"""Conversation state: one pending step per (channel, user), stored with an expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.models import ConversationState
from storage.types import rows_changed


async def save(
    session: AsyncSession,
    channel: str,
    external_id: str,
    state: str,
    data: dict[str, Any],
    choices: list[Any],
    now: datetime,
    ttl: timedelta,
) -> None:
    """Set the user's pending step (replacing any earlier one)."""
    values = {
        "channel": channel,
        "external_id": external_id,
        "state": state,
        "data": data,
        "choices": choices,
        "expires_at": now + ttl,
    }
    await upsert(session, ConversationState, ("channel", "external_id"), values)


async def busy(
    session: AsyncSession,
    channel: str,
    external_id: str,
    replaceable: tuple[str, ...],
    now: datetime,
) -> bool:
    """Tell whether the user has an unexpired pending step that is not one of ``replaceable``."""
    current = await session.get(ConversationState, (channel, external_id))
    return current is not None and current.expires_at > now and current.state not in replaceable


async def pending(
    session: AsyncSession, channel: str, external_id: str, now: datetime
) -> ConversationState | None:
    """Return the user's unexpired pending step, if any."""
    current = await session.get(ConversationState, (channel, external_id))
    return current if current is not None and current.expires_at > now else None


async def clear(session: AsyncSession, channel: str, external_id: str) -> None:
    """Forget the user's pending step."""
    await session.execute(
        delete(ConversationState).where(
            ConversationState.channel == channel, ConversationState.external_id == external_id
        )
    )


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete expired steps; return how many."""
    result = await session.execute(
        delete(ConversationState).where(ConversationState.expires_at <= now)
    )
    return rows_changed(result)
