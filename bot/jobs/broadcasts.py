"""Scheduled broadcast work: fan out those whose time came, report those that finished.

Everything due is state in the database (broadcasts.status and send_at), so a restart or a new
scheduler instance picks up where the last one stopped, and the unique delivery key makes a
repeated fan-out add nothing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.broadcasts.rules import WAITING, QuietHours, mass_line, report_text
from handlers.types import Reply
from storage import broadcasts, outbox
from storage import staff as staff_store
from storage.engine import transaction
from storage.models import Broadcast, BroadcastStatus
from storage.scoping import Scope
from storage.types import utcnow

log = logging.getLogger(__name__)

# Deliveries still untried this long after the fan-out are given up (the outbox's own limit).
GIVE_UP_AFTER = outbox.RETRY_FOR + timedelta(hours=1)
WECHAT = "wechat"
# WeChat rows of a broadcast to a tag wait this long for its mass send, then go one by one.
MASS_HOLD = timedelta(minutes=10)


@dataclass(frozen=True)
class MassSend:
    """WeChat's mass send by tag, when the account allows it: the channel and its quota."""

    channel: Any  # bot.channels.wechat.channel.WeChatChannel (imported only where WeChat runs)
    quota: int = 4
    quota_days: int = 30


async def broadcast_tick(
    maker: async_sessionmaker[AsyncSession],
    timezone: str,
    quiet: QuietHours,
    now: datetime | None = None,
    mass: MassSend | None = None,
) -> int:
    """Fan out every due broadcast, then report the finished ones; return how many rows."""
    now = now or utcnow()
    written = 0
    async with transaction(maker) as session:
        due = await broadcasts.due(session, now)
    for broadcast_id in due:  # each in its own transaction: one failing blocks no other
        try:
            async with transaction(maker) as session:
                found = await broadcasts.due_one(session, broadcast_id, now)
                if found is not None:
                    written += await fan_out(session, found, timezone, quiet, now, bool(mass))
        except Exception:
            log.exception("broadcast %s could not be fanned out; trying again later", broadcast_id)
    if mass is not None:
        await _mass_sends(maker, mass, timezone, quiet, now)
    async with transaction(maker) as session:
        for broadcast in await broadcasts.unfinished(session):
            await _finish_if_done(session, broadcast, now)
    return written


def _local(image: str | None) -> bool:
    """Tell whether a broadcast's picture is a file here (one stat: not worth a thread)."""
    return bool(image) and os.path.isfile(image or "")


async def fan_out(
    session: AsyncSession,
    broadcast: Broadcast,
    timezone: str,
    quiet: QuietHours,
    now: datetime,
    mass: bool = False,
) -> int:
    """Write a broadcast's delivery rows, due now or (not urgent, in quiet hours) at morning.

    With ``mass``, a broadcast to a tag keeps its WeChat rows back for a mass send by tag;
    whatever that does not cover goes out one by one after MASS_HOLD.
    """
    local = now.astimezone(ZoneInfo(timezone))
    not_before = now if broadcast.urgent else quiet.next_allowed(local)
    only = broadcast.community_id
    scope = Scope(None if only is None else frozenset({only}))  # None: every community
    # Ages count by the community's year (the preview did the same).
    written = await broadcasts.fan_out(session, broadcast, scope, now, not_before, local.year)
    # A mass send is text only: a picture WeChat can be sent (a local file, such as a poll's
    # results chart) goes one by one instead. (A Telegram photo never reaches WeChat.)
    to_tag = mass and broadcast.audience.get("kind") == "tag" and not _local(broadcast.image)
    if to_tag and await broadcasts.hold(session, broadcast.id, WECHAT, not_before + MASS_HOLD):
        broadcast.wechat_mass = "waiting"
    log.info("broadcast %s: %s deliveries written", broadcast.id, written)
    return written


async def _mass_sends(
    maker: async_sessionmaker[AsyncSession],
    mass: MassSend,
    timezone: str,
    quiet: QuietHours,
    now: datetime,
) -> None:
    """Make the WeChat mass sends that are due, within the quota; release what they cannot."""
    local = now.astimezone(ZoneInfo(timezone))
    async with transaction(maker) as session:
        waiting = [
            (b.id, b.text, str(b.audience.get("tag", "")))
            for b in await broadcasts.waiting_for_mass(session)
            if b.urgent or not quiet.holds(local)
        ]
    for broadcast_id, text, tag in waiting:
        async with transaction(maker) as session:
            item = await session.get(Broadcast, broadcast_id)
            assert item is not None
            used = await broadcasts.mass_sends_since(session, now - timedelta(days=mass.quota_days))
            rows = await broadcasts.take(session, broadcast_id, WECHAT, now)
            if used >= mass.quota:
                item.wechat_mass = "refused: the account's mass-send quota is used up"
                await outbox.release_untried(session, [i for i, _ in rows], now)
                continue
            item.wechat_mass = "sending"
        try:
            msg_id = await mass.channel.mass_send(
                f"linli:{tag}"[:30], [r for _, r in rows], text, f"linli-broadcast-{broadcast_id}"
            )
            outcome = "sent"
        except Exception as exc:  # refused, or the tag could not be synced: one by one instead
            log.warning("broadcast %s: no mass send (%s)", broadcast_id, exc)
            msg_id, outcome = None, f"refused: {exc}"
        async with transaction(maker) as session:
            item = await session.get(Broadcast, broadcast_id)
            assert item is not None
            item.wechat_mass = outcome
            if msg_id is None:
                await outbox.release_untried(session, [i for i, _ in rows], now)
                continue
            item.wechat_mass_msg_id, item.wechat_mass_at = msg_id or None, now
            await outbox.mark_sent(session, [(i, msg_id or None) for i, _ in rows], now)


async def _finish_if_done(session: AsyncSession, broadcast: Broadcast, now: datetime) -> None:
    called_off = broadcast.status == BroadcastStatus.CANCELLED
    if called_off:  # rows a 429 or a failure put back after the cancel go no further
        await broadcasts.stop_pending(session, broadcast.id)
    counts = await broadcasts.progress(session, broadcast.id)
    waiting = sum(n for (_, status), n in counts.items() if status in WAITING)
    fanned = broadcast.fanned_out_at or now
    if waiting and now - fanned < GIVE_UP_AFTER:
        return
    if not called_off:
        broadcast.status = BroadcastStatus.DONE
    broadcast.done_at = now
    broadcast.report = {**broadcast.report, **{f"{c}:{s}": n for (c, s), n in counts.items()}}
    if not broadcast.created_by:
        return
    channel, external_id = staff_store.split_account(broadcast.created_by)
    text = report_text(broadcast.id, broadcast.text, counts, mass=mass_line(broadcast))
    await outbox.enqueue(
        session,
        channel=channel,
        recipient=external_id,
        kind="broadcast_report",
        payload=Reply(text).to_dict(),
        community_id=broadcast.community_id,
        dedupe_key=f"broadcast-report:{broadcast.id}",
    )
