"""Conversations handed to staff on duty (转人工)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState, Handoff
from storage.scoping import Scope
from storage.types import rows_changed


async def open_for(
    session: AsyncSession, community_id: int, resident_id: int, channel: str, external_id: str
) -> Handoff:
    """Return the resident's open handoff, opening one if needed."""
    existing = await session.scalar(
        select(Handoff).where(
            Handoff.channel == channel,
            Handoff.external_id == external_id,
            Handoff.closed_at.is_(None),
        )
    )
    if existing is not None:
        return existing
    handoff = Handoff(
        community_id=community_id, resident_id=resident_id, channel=channel, external_id=external_id
    )
    session.add(handoff)
    await session.flush()
    return handoff


async def get_scoped(session: AsyncSession, scope: Scope, handoff_id: int) -> Handoff | None:
    """Return an open handoff within a staff scope."""
    stmt = scope.apply(
        select(Handoff).where(Handoff.id == handoff_id, Handoff.closed_at.is_(None)),
        Handoff.community_id,
    )
    return await session.scalar(stmt)


async def list_open(session: AsyncSession, scope: Scope) -> list[Handoff]:
    """Return the open handoffs in a scope, oldest first."""
    stmt = scope.apply(
        select(Handoff).where(Handoff.closed_at.is_(None)).order_by(Handoff.id),
        Handoff.community_id,
    )
    return list(await session.scalars(stmt))


async def close(session: AsyncSession, handoff: Handoff, now: datetime) -> None:
    """End a handoff."""
    handoff.closed_at = now
    await session.flush()


async def close_abandoned(session: AsyncSession, talking_state: str, now: datetime) -> int:
    """Close open handoffs whose resident is no longer in the conversation (it expired)."""
    still_talking = (
        select(ConversationState.channel)
        .where(
            ConversationState.channel == Handoff.channel,
            ConversationState.external_id == Handoff.external_id,
            ConversationState.state == talking_state,
            ConversationState.expires_at > now,
        )
        .exists()
    )
    result = await session.execute(
        update(Handoff).where(Handoff.closed_at.is_(None), ~still_talking).values(closed_at=now)
    )
    return rows_changed(result)
