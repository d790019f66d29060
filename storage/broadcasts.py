"""Queries for broadcasts: the recipients of an audience, the fan-out, progress and reports."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    Select,
    String,
    bindparam,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audience as audiences
from storage.models import (
    Broadcast,
    BroadcastStatus,
    ChannelAccount,
    OutboxMessage,
    OutboxStatus,
    Resident,
)
from storage.outbox import FAN_OUT_COLUMNS
from storage.scoping import Scope
from storage.types import UTCDateTime, rows_changed

KIND = "broadcast"  # the outbox kind of a broadcast's deliveries


def recipients(
    scope: Scope, audience: dict[str, Any], kind: str, urgent: bool, year: int
) -> Select[str, str, int, int | None]:
    """Return the SELECT of (channel, external id, resident id, community id) to address.

    Active residents of the scope in the audience, on every account they have, except those
    who opted out of this kind (urgent notices reach everyone).
    """
    stmt = (
        select(
            ChannelAccount.channel,
            ChannelAccount.external_id,
            Resident.id,
            Resident.community_id,
        )
        .join(ChannelAccount, ChannelAccount.resident_id == Resident.id)
        .where(Resident.active.is_(True), audiences.condition(audience, year))
    )
    if not urgent:
        stmt = stmt.where(audiences.not_opted_out(kind))
    return scope.apply(stmt, Resident.community_id)


async def preview(
    session: AsyncSession,
    scope: Scope,
    audience: dict[str, Any],
    kind: str,
    urgent: bool,
    year: int,
) -> dict[str, int]:
    """Return how many deliveries an audience means now, per channel."""
    chosen = recipients(scope, audience, kind, urgent, year).subquery()
    stmt = select(chosen.c.channel, func.count()).group_by(chosen.c.channel)
    return {channel: count for channel, count in await session.execute(stmt)}


async def fan_out(
    session: AsyncSession,
    broadcast: Broadcast,
    scope: Scope,
    now: datetime,
    not_before: datetime,
    year: int | None = None,
) -> int:
    """Write one delivery row per recipient and channel in one statement; return how many.

    The unique (broadcast, resident, channel) key makes a second run add nothing.
    """
    chosen = recipients(
        scope, broadcast.audience, broadcast.kind, broadcast.urgent, year or now.year
    ).subquery()
    rows = select(
        chosen.c.channel,
        chosen.c.external_id,
        literal(KIND, String()),
        bindparam("payload", {}, type_=JSON()),
        chosen.c.community_id,
        literal(broadcast.urgent, Boolean()),
        literal(OutboxStatus.PENDING.value, String()),
        literal(0, Integer()),
        literal(not_before, UTCDateTime()),
        literal(now, UTCDateTime()),
        literal(broadcast.id, Integer()),
        chosen.c.id,
    ).where(true())  # SQLite parses INSERT … SELECT … ON CONFLICT only after a WHERE
    columns = [*FAN_OUT_COLUMNS, "broadcast_id", "resident_id"]
    # A resident with two accounts on one channel gets it once: the unique key keeps one.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(OutboxMessage).from_select(columns, rows).on_conflict_do_nothing()
    result = await session.execute(stmt)
    written = rows_changed(result)
    broadcast.status = BroadcastStatus.SENDING
    broadcast.fanned_out_at = now
    broadcast.recipients = written
    return written


async def due(session: AsyncSession, now: datetime) -> list[int]:
    """Return the ids of scheduled broadcasts whose time has come (each locked by due_one)."""
    stmt = select(Broadcast.id).where(
        Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now
    )
    return list(await session.scalars(stmt.order_by(Broadcast.send_at)))


async def due_one(session: AsyncSession, broadcast_id: int, now: datetime) -> Broadcast | None:
    """Return one broadcast locked for its fan-out, if it is still scheduled and due."""
    stmt = select(Broadcast).where(
        Broadcast.id == broadcast_id,
        Broadcast.status == BroadcastStatus.SCHEDULED,
        Broadcast.send_at <= now,
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return await session.scalar(stmt)


async def unfinished(session: AsyncSession) -> list[Broadcast]:
    """Return the broadcasts under way, and those called off that were not reported yet."""
    stmt = select(Broadcast).where(
        Broadcast.done_at.is_(None),
        Broadcast.fanned_out_at.is_not(None),
        Broadcast.status.in_((BroadcastStatus.SENDING, BroadcastStatus.CANCELLED)),
    )
    return list(await session.scalars(stmt.order_by(Broadcast.id)))


async def progress(session: AsyncSession, broadcast_id: int) -> Counter[tuple[str, str]]:
    """Return the count of deliveries per (channel, status)."""
    stmt = (
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    )
    return Counter({(channel, status): n for channel, status, n in await session.execute(stmt)})


async def get(session: AsyncSession, broadcast_id: int, scope: Scope) -> Broadcast | None:
    """Return a broadcast visible in a staff scope."""
    found = await session.get(Broadcast, broadcast_id)
    if found is None or not scope.allows(found.community_id):
        return None
    if found.community_id is None and scope.community_ids is not None:
        return None  # an operator-wide one is the operators' business
    return found


async def recent(session: AsyncSession, scope: Scope, limit: int = 10) -> list[Broadcast]:
    """Return the latest broadcasts in a scope, newest first."""
    stmt = scope.apply(select(Broadcast), Broadcast.community_id)
    return list(await session.scalars(stmt.order_by(Broadcast.id.desc()).limit(limit)))


async def stop_pending(session: AsyncSession, broadcast_id: int) -> int:
    """Withdraw the deliveries not sent yet (a broadcast called off while sending)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.UNKNOWN)),
        )
        .values(status=OutboxStatus.CANCELLED, error="called off by staff")
    )
    return rows_changed(result)


async def for_cancelling(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """Return a broadcast locked against a fan-out running at the same moment."""
    stmt = select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update()
    return await session.scalar(stmt)


async def payloads(session: AsyncSession, ids: set[int]) -> dict[int, dict[str, Any]]:
    """Return the message of each broadcast (for its delivery rows), by id."""
    if not ids:
        return {}
    stmt = select(Broadcast.id, Broadcast.text, Broadcast.image, Broadcast.buttons).where(
        Broadcast.id.in_(ids)
    )
    return {
        i: {"text": text, "buttons": buttons or [], "image": image, "edit_message_id": None}
        for i, text, image, buttons in await session.execute(stmt)
    }


async def hold(session: AsyncSession, broadcast_id: int, channel: str, until: datetime) -> int:
    """Keep a broadcast's deliveries on one channel from the senders until ``until``."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.channel == channel,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(not_before=until)
    )
    return rows_changed(result)


async def waiting_for_mass(session: AsyncSession) -> list[Broadcast]:
    """Return the broadcasts whose WeChat mass send is still to be tried."""
    stmt = select(Broadcast).where(
        Broadcast.status == BroadcastStatus.SENDING, Broadcast.wechat_mass == "waiting"
    )
    return list(await session.scalars(stmt.order_by(Broadcast.id)))


async def take(
    session: AsyncSession, broadcast_id: int, channel: str, now: datetime
) -> list[tuple[int, str]]:
    """Claim a broadcast's untried deliveries on a channel: (row id, recipient) pairs."""
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.channel == channel,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.SENDING, claimed_at=now)
        .returning(OutboxMessage.id, OutboxMessage.recipient)
    )
    return [(row_id, recipient) for row_id, recipient in await session.execute(stmt)]


async def mass_sends_since(session: AsyncSession, since: datetime) -> int:
    """Count the WeChat mass sends made since ``since`` (against the account's quota)."""
    stmt = select(func.count()).where(Broadcast.wechat_mass_at >= since)
    return int(await session.scalar(stmt) or 0)


async def record_mass_result(session: AsyncSession, msg_id: str, counts: dict[str, Any]) -> bool:
    """Keep WeChat's final counts of a mass send in its broadcast's report; False if unknown."""
    found = await session.scalar(select(Broadcast).where(Broadcast.wechat_mass_msg_id == msg_id))
    if found is None:
        return False
    found.report = {**found.report, "wechat_mass": counts}
    return True
