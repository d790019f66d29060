"""The outbox: messages written with the change they report, delivered later by a sender."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    String,
    bindparam,
    delete,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, OutboxMessage, OutboxStatus, StaffMember
from storage.types import UTCDateTime, rows_changed, table_of, utcnow

# The columns an INSERT … SELECT of outbox rows fills, in order (staff alerts, broadcasts).
FAN_OUT_COLUMNS = [
    "channel",
    "recipient",
    "kind",
    "payload",
    "community_id",
    "urgent",
    "status",
    "attempts",
    "not_before",
    "created_at",
]
# A message that keeps failing is retried, at most every five minutes, for a day.
RETRY_FOR = timedelta(hours=24)
MAX_DELAY = timedelta(minutes=5)


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    recipient: str,
    kind: str,
    payload: dict[str, Any],
    community_id: int | None = None,
    urgent: bool = False,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Add a message to deliver; with a ``dedupe_key`` seen before, add nothing."""
    row = OutboxMessage(
        channel=channel,
        recipient=recipient,
        kind=kind,
        payload=payload,
        community_id=community_id,
        urgent=urgent,
        dedupe_key=dedupe_key,
    )
    if not_before is not None:
        row.not_before = not_before
    if dedupe_key is None:
        session.add(row)
        await session.flush()
        return row
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


async def enqueue_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Add several messages in one statement (each dict holds OutboxMessage fields)."""
    if rows:
        now = utcnow()
        await session.execute(
            insert(OutboxMessage), [{"not_before": now, "created_at": now, **r} for r in rows]
        )


@cache
def _to_staff(operator_count: int) -> Any:
    """Build ``INSERT INTO outbox … SELECT`` over a community's staff (once per shape)."""
    who = (StaffMember.community_id == bindparam("community_id")) | StaffMember.community_id.is_(
        None
    )
    for i in range(operator_count):
        who &= ~(
            (StaffMember.channel == bindparam(f"op_channel_{i}"))
            & (StaffMember.external_id == bindparam(f"op_id_{i}"))
        )
    recipients = (
        select(StaffMember.channel, StaffMember.external_id).where(who).distinct().subquery()
    )
    rows = select(
        recipients.c.channel,
        recipients.c.external_id,
        bindparam("kind", type_=String()),
        bindparam("payload", type_=JSON()),
        bindparam("community_id"),
        bindparam("urgent", type_=Boolean()),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        bindparam("now", type_=UTCDateTime()),
        bindparam("now", type_=UTCDateTime()),
    ).select_from(recipients)
    return insert(table_of(OutboxMessage)).from_select(FAN_OUT_COLUMNS, rows)


async def enqueue_for_staff(
    session: AsyncSession,
    community_id: int,
    operators: list[tuple[str, str]],
    *,
    kind: str,
    payloads: list[dict[str, Any]],
    urgent: bool = False,
) -> int:
    """Queue messages to every staff member of a community, one statement per message.

    ``operators`` are operator-wide accounts from the config (not in the staff table).
    Returns how many people were addressed.
    """
    params: dict[str, Any] = {
        "community_id": community_id,
        "kind": kind,
        "urgent": urgent,
        "now": utcnow(),
    }
    for i, (channel, external_id) in enumerate(operators):
        params[f"op_channel_{i}"] = channel
        params[f"op_id_{i}"] = external_id
    addressed = len(operators)
    for payload in payloads:
        result = await session.execute(_to_staff(len(operators)), {**params, "payload": payload})
        addressed = len(operators) + rows_changed(result)
    await enqueue_many(
        session,
        [
            {
                "channel": channel,
                "recipient": external_id,
                "kind": kind,
                "payload": payload,
                "community_id": community_id,
                "urgent": urgent,
            }
            for channel, external_id in operators
            for payload in payloads
        ],
    )
    return addressed


async def claim_due(
    session: AsyncSession,
    channels: list[str],
    now: datetime,
    limit: int = 50,
    recipient: str | None = None,
    worker_id: str | None = None,
    hold_broadcasts: bool = False,
) -> list[OutboxMessage]:
    """Claim due rows for the given channels, marking them ``sending``.

    On PostgreSQL rows are locked with SKIP LOCKED so several senders never claim the same
    row; SQLite's write lock (BEGIN IMMEDIATE) gives the same guarantee to its one sender.
    """
    stmt = (
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.status == OutboxStatus.PENDING,
                # A send whose outcome is unknown may have arrived: retry it once only.
                (OutboxMessage.status == OutboxStatus.UNKNOWN) & (OutboxMessage.attempts < 2),
            ),
            OutboxMessage.channel.in_(channels),
            OutboxMessage.not_before <= now,
        )
        # Replies and alerts first: they must not wait behind a broadcast to thousands.
        .order_by(
            OutboxMessage.broadcast_id.is_not(None), OutboxMessage.urgent.desc(), OutboxMessage.id
        )
        .limit(limit)
    )
    if recipient is not None:
        stmt = stmt.where(OutboxMessage.recipient == recipient)
    if hold_broadcasts:  # quiet hours: only urgent announcements go now
        stmt = stmt.where(OutboxMessage.broadcast_id.is_(None) | OutboxMessage.urgent)
    called_off = select(Broadcast.id).where(Broadcast.status == "cancelled").scalar_subquery()
    stmt = stmt.where(
        OutboxMessage.broadcast_id.is_(None) | OutboxMessage.broadcast_id.not_in(called_off)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(await session.scalars(stmt))
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.attempts += 1
        row.claimed_at = now
        row.claimed_by = worker_id
    await session.flush()
    return rows


async def mark(
    session: AsyncSession,
    row_id: int,
    status: OutboxStatus,
    *,
    now: datetime,
    error: str | None = None,
    platform_message_id: str | None = None,
) -> None:
    """Record the outcome of one delivery."""
    values: dict[str, Any] = {"status": status}
    if status == OutboxStatus.SENT:
        # An earlier error stays: "outcome unknown" explains a possible duplicate.
        values.update(sent_at=now, platform_message_id=platform_message_id)
    else:
        values["error"] = error
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


async def mark_sent(
    session: AsyncSession, rows: list[tuple[int, str | None]], now: datetime
) -> None:
    """Record many deliveries at once: (row id, platform message id) pairs.

    A row another worker took over meanwhile (this one was taken for dead) is left to it.
    """
    if not rows:
        return
    table = table_of(OutboxMessage)
    stmt = (
        update(table)
        .where(
            table.c.id == bindparam("row_id"),
            # (no IN list: an expanding parameter cannot go into executemany)
            or_(
                table.c.status == OutboxStatus.SENDING.value,
                table.c.status == OutboxStatus.UNKNOWN.value,
            ),
        )
        .values(status=OutboxStatus.SENT.value, sent_at=now, platform_message_id=bindparam("pid"))
    )
    connection = await session.connection()
    await connection.execute(stmt, [{"row_id": i, "pid": pid} for i, pid in rows])


async def get(session: AsyncSession, row_id: int) -> OutboxMessage | None:
    """Return one outbox row."""
    return await session.get(OutboxMessage, row_id)


async def replace_payload(session: AsyncSession, row_id: int, payload: dict[str, Any]) -> None:
    """Keep only what is still to be sent of a row's message."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(payload=payload)
    )


async def postpone(session: AsyncSession, row_id: int, until: datetime) -> None:
    """Put a row back, due again at ``until`` (the platform asked to wait)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        # Waiting is not a try: the attempt is given back (only unknown outcomes use them up).
        .values(status=OutboxStatus.PENDING, not_before=until, attempts=OutboxMessage.attempts - 1)
    )


async def retry_later(
    session: AsyncSession, row: OutboxMessage, now: datetime, error: str
) -> OutboxStatus:
    """Put a failed row back with growing delays, or fail it once it is a day old."""
    if now - row.created_at > RETRY_FOR:
        status = OutboxStatus.FAILED
        values: dict[str, Any] = {"status": status, "error": error}
    else:
        status = OutboxStatus.PENDING
        delay = min(MAX_DELAY, timedelta(seconds=5 * 2 ** min(row.attempts, 10)))
        values = {"status": status, "error": error, "not_before": now + delay}
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
    return status


async def release_untried(
    session: AsyncSession, row_ids: list[int], now: datetime, claimed_by: str | None = None
) -> None:
    """Give claimed, untried deliveries back to the senders, due now.

    With ``claimed_by``, only rows that worker still holds (another may have taken them over).
    """
    if row_ids:
        stmt = update(OutboxMessage).where(
            OutboxMessage.id.in_(row_ids), OutboxMessage.status == OutboxStatus.SENDING
        )
        if claimed_by is not None:
            stmt = stmt.where(OutboxMessage.claimed_by == claimed_by)
        await session.execute(
            stmt.values(status=OutboxStatus.PENDING, not_before=now, claimed_by=None)
        )


async def release_stale(session: AsyncSession, before: datetime, live_workers: Any = None) -> int:
    """Mark rows stuck in ``sending`` (their sender died) for one retry, or failed after two.

    A row is stuck when it was claimed before ``before``, or by a worker that is not among
    ``live_workers`` (a subquery of the ids still beating). Whether such a message arrived is
    unknown: retrying once may send it twice, and is the price of not losing it.
    """
    # A row a live worker holds stays its own however long it waits (a long 429 pause).
    stuck = OutboxMessage.claimed_at < before
    if live_workers is not None:
        unowned = OutboxMessage.claimed_by.is_(None) & stuck
        orphaned = OutboxMessage.claimed_by.is_not(None) & OutboxMessage.claimed_by.not_in(
            live_workers
        )
        stuck = unowned | orphaned
    stuck = (OutboxMessage.status == OutboxStatus.SENDING) & stuck
    await session.execute(
        update(OutboxMessage)
        .where(stuck, OutboxMessage.attempts >= 2)
        .values(status=OutboxStatus.FAILED, error="sender stopped twice while sending")
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(stuck)
        .values(status=OutboxStatus.UNKNOWN, error="outcome unknown: its sender stopped")
    )
    return rows_changed(result)


async def purge_finished(session: AsyncSession, before: datetime) -> int:
    """Delete delivered (or given-up) rows older than ``before``; return how many."""
    finished = (
        OutboxStatus.SENT,
        OutboxStatus.FAILED,
        OutboxStatus.BLOCKED,
        OutboxStatus.UNDELIVERABLE,
        OutboxStatus.CANCELLED,
    )
    result = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(finished), OutboxMessage.created_at < before
        )
    )
    return rows_changed(result)
