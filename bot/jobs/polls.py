"""The poll job (every minute): invite when a poll opens, remind once, report at closing.

Each step is marked on the poll in the transaction that writes what it sends (an
announcement to the audience, a message to the staff member who made it), so running the job
twice, or on two instances after a takeover, sends nothing twice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.charts import DrawChart
from handlers.polls import notices
from storage import outbox, polls
from storage import staff as staff_store
from storage.engine import transaction
from storage.models import Poll
from storage.types import utcnow

log = logging.getLogger(__name__)

Step = Callable[[AsyncSession, Poll, datetime], Awaitable[None]]


async def poll_tick(
    maker: async_sessionmaker[AsyncSession],
    timezone: str,
    draw: DrawChart | None = None,
    now: datetime | None = None,
) -> int:
    """Do every poll step that is due; return how many were done."""
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    year = now.astimezone(zone).year

    async def invite(session: AsyncSession, poll: Poll, at: datetime) -> None:
        if poll.invited_at is None and poll.opens_at <= at < poll.closes_at:
            await notices.invite(session, poll, at, zone)

    async def remind(session: AsyncSession, poll: Poll, at: datetime) -> None:
        if poll.reminded_at is None and at < poll.closes_at:
            await notices.remind(session, poll, at, zone)

    async def report(session: AsyncSession, poll: Poll, at: datetime) -> None:
        if poll.reported_at is not None or poll.closes_at > at:
            return
        poll.reported_at = at
        if poll.anonymous:
            await polls.anonymise(session, poll.id)
        # Results go to an audience that was invited (not if it closed before the job did).
        if poll.publish_at_close and poll.published_at is None and poll.invited_at is not None:
            await notices.publish(session, poll, at, year, draw)
        await _tell_creator(session, poll, year, draw)

    done = 0
    async with transaction(maker) as session:
        due = [
            *((i, invite) for i in await polls.to_invite(session, now)),
            *((i, remind) for i in await polls.to_remind(session, now)),
            *((i, report) for i in await polls.to_report(session, now)),
        ]
    for poll_id, step in due:  # each in its own transaction: one failing blocks no other
        try:
            async with transaction(maker) as session:
                poll = await polls.for_update(session, poll_id)  # re-read under the lock
                if poll is not None:
                    await step(session, poll, now)
                    done += 1
        except Exception:
            log.exception("poll %s: %s failed; trying again next minute", poll_id, step.__name__)
    return done


async def _tell_creator(
    session: AsyncSession, poll: Poll, year: int, draw: DrawChart | None
) -> None:
    """Send the results to the staff member who made the poll (text, and the chart)."""
    if ":" not in poll.created_by:  # imported from the command line: nobody to tell
        return
    channel, external_id = staff_store.split_account(poll.created_by)
    replies = await notices.results_replies(session, poll, year, draw, for_staff=True)
    head = f"问卷 #{poll.id}“{poll.title}”已截止。"
    replies[0] = dataclasses.replace(replies[0], text=head + "\n" + replies[0].text)
    for i, reply in enumerate(replies):
        await outbox.enqueue(
            session,
            channel=channel,
            recipient=external_id,
            kind="poll_report",
            payload=reply.to_dict(),
            community_id=poll.community_id,
            dedupe_key=f"poll-report:{poll.id}:{i}",
        )
