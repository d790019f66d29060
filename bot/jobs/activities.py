"""Scheduled work for activities: reminders before the start, and the waitlist told at it.

The due state lives in the database (activity_reminders, activities.waitlist_closed_at), and the
reminder rows are written in the same transaction as the messages they queue, so each reminder
goes out exactly once, however often or late the job runs and across restarts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.activities import texts as activity_texts
from handlers.types import Reply
from storage import activities, outbox, residents
from storage.engine import transaction
from storage.models import Activity, RegistrationStatus, Resident
from storage.types import utcnow

HORIZON_HOURS = 72  # the longest reminder offset looked for


async def activity_tick(
    maker: async_sessionmaker[AsyncSession], timezone: str, now: datetime | None = None
) -> int:
    """Queue due reminders and waitlist notices; return how many messages were queued."""
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    queued = 0
    async with transaction(maker) as session:
        for activity in await activities.due_reminders(session, now, HORIZON_HOURS):
            queued += await _remind(session, activity, now, zone)
        for activity in await activities.started_with_waitlist(session, now):
            queued += await _close_waitlist(session, activity, now)
    return queued


async def _remind(session: AsyncSession, activity: Activity, now: datetime, zone: ZoneInfo) -> int:
    sent = await activities.reminded(session, activity.id)
    hours = [int(h) for h in activity.reminder_hours or []]
    due = [h for h in hours if h not in sent and activity.starts_at - timedelta(hours=h) <= now]
    if not due:
        return 0
    for h in due:  # an activity published late gets one reminder, not one per offset
        await activities.mark_reminded(session, activity.id, h)
    queued = 0
    for registration, _name in await activities.roster(session, activity.id):
        if registration.status != RegistrationStatus.CONFIRMED or registration.companion_of_id:
            continue  # a family member's own slot: the one who signed up hears for both
        if registration.created_at > activity.starts_at - timedelta(hours=min(due)):
            continue  # signed up after this reminder was due: the confirmation said it all
        text = activity_texts.REMINDER.format(
            title=activity.title,
            when=activity_texts.when(activity.starts_at, zone),
            place=activity.place or "见活动通知",
            code=registration.code,
        )
        # The start is in the key: a moved activity is reminded again for its new time.
        key = f"remind:{registration.id}:{min(due)}:{int(activity.starts_at.timestamp())}"
        queued += await _to_resident(session, registration.resident_id, text, "reminder", key)
    return queued


async def _close_waitlist(session: AsyncSession, activity: Activity, now: datetime) -> int:
    activity.waitlist_closed_at = now
    if activity.cancelled:
        return 0
    queued = 0
    for registration in await activities.waitlist(session, activity.id):
        text = activity_texts.NO_PLACE.format(title=activity.title)
        key = f"noplace:{registration.id}"
        queued += await _to_resident(session, registration.resident_id, text, "reminder", key)
    return queued


async def _to_resident(
    session: AsyncSession, resident_id: int, text: str, kind: str, key: str
) -> int:
    """Queue a message to every account of an active resident; return how many."""
    resident = await session.get(Resident, resident_id)
    if resident is None or not resident.active:
        return 0
    queued = 0
    for account in await residents.accounts(session, resident_id):
        row = await outbox.enqueue(
            session,
            channel=account.channel,
            recipient=account.external_id,
            kind=kind,
            payload=Reply(text).to_dict(),
            community_id=resident.community_id,
            dedupe_key=f"{key}:{account.id}",
        )
        queued += row is not None
    return queued
