"""Scheduled broadcast work: fan out those whose time came, report those that finished.

Everything due is state in the database (broadcasts.status and send_at), so a restart or a new
scheduler instance picks up where the last one stopped, and the unique delivery key makes a
repeated fan-out add nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.broadcast_rules import WAITING, QuietHours, report_text
from handlers.types import Reply
from storage import broadcasts, outbox
from storage import staff as staff_store
from storage.broadcast_models import Broadcast, BroadcastStatus
from storage.engine import transaction
from storage.scoping import Scope
from storage.types import utcnow

log = logging.getLogger(__name__)

# Deliveries still untried this long after the fan-out are given up (the outbox's own limit).
GIVE_UP_AFTER = outbox.RETRY_FOR + timedelta(hours=1)


async def broadcast_tick(
    maker: async_sessionmaker[AsyncSession],
    timezone: str,
    quiet: QuietHours,
    now: datetime | None = None,
) -> int:
    """Fan out every due broadcast, then report the finished ones; return how many rows."""
    now = now or utcnow()
    written = 0
    async with transaction(maker) as session:
        for broadcast in await broadcasts.due(session, now):
            written += await fan_out(session, broadcast, timezone, quiet, now)
    async with transaction(maker) as session:
        for broadcast in await broadcasts.sending(session):
            await _finish_if_done(session, broadcast, now)
    return written


async def fan_out(
    session: AsyncSession, broadcast: Broadcast, timezone: str, quiet: QuietHours, now: datetime
) -> int:
    """Write a broadcast's delivery rows, due now or (not urgent, in quiet hours) at morning."""
    local = now.astimezone(ZoneInfo(timezone))
    not_before = now if broadcast.urgent else quiet.next_allowed(local)
    only = broadcast.community_id
    scope = Scope(None if only is None else frozenset({only}))  # None: every community
    written = await broadcasts.fan_out(session, broadcast, scope, now, not_before)
    log.info("broadcast %s: %s deliveries written", broadcast.id, written)
    return written


async def _finish_if_done(session: AsyncSession, broadcast: Broadcast, now: datetime) -> None:
    counts = await broadcasts.progress(session, broadcast.id)
    waiting = sum(n for (_, status), n in counts.items() if status in WAITING)
    fanned = broadcast.fanned_out_at or now
    if waiting and now - fanned < GIVE_UP_AFTER:
        return
    broadcast.status = BroadcastStatus.DONE
    broadcast.done_at = now
    broadcast.report = {f"{c}:{s}": n for (c, s), n in counts.items()}
    if not broadcast.created_by:
        return
    channel, external_id = staff_store.split_account(broadcast.created_by)
    text = report_text(broadcast.id, broadcast.text, counts)
    await outbox.enqueue(
        session,
        channel=channel,
        recipient=external_id,
        kind="broadcast_report",
        payload=Reply(text).to_dict(),
        community_id=broadcast.community_id,
        dedupe_key=f"broadcast-report:{broadcast.id}",
    )
