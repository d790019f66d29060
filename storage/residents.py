"""Queries about residents and their platform accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, bindparam, cast, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import inbound
from storage.models import (
    ChannelAccount,
    Community,
    ConversationState,
    Handoff,
    OutboxMessage,
    PollResponse,
    ProcessedMessage,
    Resident,
    StaffMember,
    SuggestionEvent,
)
from storage.scoping import Scope
from storage.types import UTCDateTime, utcnow


async def find_by_account(session: AsyncSession, channel: str, external_id: str) -> Resident | None:
    """Return the resident behind a platform account, if known."""
    return await session.scalar(
        select(Resident)
        .join(ChannelAccount, ChannelAccount.resident_id == Resident.id)
        .where(ChannelAccount.channel == channel, ChannelAccount.external_id == external_id)
    )


@dataclass(frozen=True)
class Speaker:
    """Who sent a message: resident, community, pending step, and whether they hold staff rights."""

    resident: Resident
    community: Community | None
    state: ConversationState | None
    has_staff_grant: bool


# Built once: this runs for every message, and building a statement costs more than running it.
_LOAD_SPEAKER = (
    select(
        Resident,
        Community,
        ConversationState,
        select(StaffMember.id)
        .where(
            StaffMember.channel == bindparam("channel"),
            StaffMember.external_id == bindparam("external_id"),
        )
        .exists(),
    )
    .select_from(ChannelAccount)
    .join(Resident, Resident.id == ChannelAccount.resident_id)
    .outerjoin(Community, Community.id == Resident.community_id)
    .outerjoin(
        ConversationState,
        (ConversationState.channel == bindparam("channel"))
        & (ConversationState.external_id == bindparam("external_id"))
        & (ConversationState.expires_at > bindparam("now", type_=UTCDateTime())),
    )
    .where(
        ChannelAccount.channel == bindparam("channel"),
        ChannelAccount.external_id == bindparam("external_id"),
    )
)


async def load_speaker(
    session: AsyncSession, channel: str, external_id: str, now: datetime
) -> Speaker | None:
    """Return everything about the sender of a message in one query (None if unknown)."""
    params = {"channel": channel, "external_id": external_id, "now": now}
    row = (await session.execute(_LOAD_SPEAKER, params)).first()
    if row is None:
        return None
    return Speaker(row[0], row[1], row[2], bool(row[3]))


async def create(
    session: AsyncSession,
    channel: str,
    external_id: str,
    *,
    display_name: str | None = None,
    community_id: int | None = None,
) -> Resident:
    """Create a resident with one platform account."""
    resident = Resident(display_name=display_name, community_id=community_id, consents={})
    session.add(resident)
    await session.flush()
    session.add(ChannelAccount(resident_id=resident.id, channel=channel, external_id=external_id))
    await session.flush()
    return resident


async def accounts(session: AsyncSession, resident_id: int) -> list[ChannelAccount]:
    """Return the platform accounts of a resident."""
    return list(
        await session.scalars(
            select(ChannelAccount)
            .where(ChannelAccount.resident_id == resident_id)
            .order_by(ChannelAccount.id)
        )
    )


async def forget(session: AsyncSession, resident: Resident) -> None:
    """Delete a resident's personal data; what they wrote stays, no longer linked to them.

    Suggestions, supporters, ratings, poll answers and handoffs keep their rows with ``resident_id``
    set to NULL by their foreign keys; messages to them and the raw updates they sent are
    deleted, handoffs closed, and their platform id removed from suggestion histories. Staff
    alerts that quoted them are deleted with the rest of the delivered outbox after 30 days.
    """
    for account in await accounts(session, resident.id):
        key = (ConversationState.channel == account.channel) & (
            ConversationState.external_id == account.external_id
        )
        await session.execute(delete(ConversationState).where(key))
        await session.execute(
            delete(ProcessedMessage).where(
                ProcessedMessage.channel == account.channel,
                ProcessedMessage.external_id == account.external_id,
            )
        )
        await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.channel == account.channel,
                OutboxMessage.recipient == account.external_id,
            )
        )
        await session.execute(
            update(Handoff)
            .where(Handoff.channel == account.channel, Handoff.external_id == account.external_id)
            .values(external_id="", closed_at=utcnow())
        )
        await session.execute(
            update(SuggestionEvent)
            .where(SuggestionEvent.actor == f"{account.channel}:{account.external_id}")
            .values(actor="resident")
        )
        await inbound.forget_sender(session, account.channel, account.external_id)
    # Poll answers still count, anonymously: the household key held their address.
    await session.execute(
        update(PollResponse)
        .where(PollResponse.resident_id == resident.id)
        .values(respondent="x" + cast(PollResponse.id, String), resident_id=None)
    )
    await session.delete(resident)
    await session.flush()


async def set_active(session: AsyncSession, resident_id: int, active: bool) -> None:
    """Mark a resident as reachable or not (e.g. they blocked the bot)."""
    await session.execute(update(Resident).where(Resident.id == resident_id).values(active=active))


async def in_community(session: AsyncSession, community_id: int) -> list[Resident]:
    """Return the residents of a community."""
    stmt = select(Resident).where(Resident.community_id == community_id).order_by(Resident.id)
    return list(await session.scalars(stmt))


async def named(session: AsyncSession, scope: Scope, name: str) -> list[Resident]:
    """Return the residents in a staff scope called exactly ``name``."""
    stmt = scope.apply(select(Resident), Resident.community_id)
    return list(await session.scalars(stmt.where(Resident.display_name == name)))
