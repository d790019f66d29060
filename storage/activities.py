"""Queries for activities, their slots and sign-ups (each takes the session)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_once
from storage.models import (
    Activity,
    ActivityReminder,
    ActivitySlot,
    Registration,
    RegistrationStatus,
    Resident,
)

ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


async def upcoming(
    session: AsyncSession, community_id: int, now: datetime, limit: int = 9
) -> list[Activity]:
    """Return activities not yet started and not cancelled, soonest first."""
    stmt = (
        select(Activity)
        .where(
            Activity.community_id == community_id,
            Activity.starts_at > now,
            Activity.cancelled.is_(False),
        )
        .order_by(Activity.starts_at, Activity.id)
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def get(session: AsyncSession, activity_id: int, lock: bool = False) -> Activity | None:
    """Return an activity; with ``lock``, hold its row until the transaction ends.

    Sign-ups lock the activity so that places are counted and taken as one step (PostgreSQL
    row lock; on SQLite the write transaction already runs alone).
    """
    stmt = select(Activity).where(Activity.id == activity_id)
    if lock:
        # Reload under the lock: what was read before it (cancelled? places?) may be stale.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def slots(session: AsyncSession, activity_id: int) -> list[ActivitySlot]:
    """Return an activity's time slots in order."""
    stmt = select(ActivitySlot).where(ActivitySlot.activity_id == activity_id)
    return list(await session.scalars(stmt.order_by(ActivitySlot.starts_at, ActivitySlot.id)))


async def taken(session: AsyncSession, activity_id: int) -> dict[int | None, int]:
    """Return confirmed places per slot (key None: the activity without slots)."""
    stmt = (
        select(Registration.slot_id, func.sum(Registration.party_size))
        .where(
            Registration.activity_id == activity_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(Registration.slot_id)
    )
    return {slot: int(n or 0) for slot, n in await session.execute(stmt)}


async def taken_by_activity(session: AsyncSession, activity_ids: list[int]) -> dict[int, int]:
    """Return confirmed places of several activities at once (for lists)."""
    if not activity_ids:
        return {}
    stmt = (
        select(Registration.activity_id, func.sum(Registration.party_size))
        .where(
            Registration.activity_id.in_(activity_ids),
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(Registration.activity_id)
    )
    return {activity: int(n or 0) for activity, n in await session.execute(stmt)}


async def slot_capacity(session: AsyncSession, activity_ids: list[int]) -> dict[int, int]:
    """Return the total places in the slots of activities that have slots."""
    if not activity_ids:
        return {}
    stmt = (
        select(ActivitySlot.activity_id, func.sum(ActivitySlot.capacity))
        .where(ActivitySlot.activity_id.in_(activity_ids))
        .group_by(ActivitySlot.activity_id)
    )
    return {activity: int(n or 0) for activity, n in await session.execute(stmt)}


async def active_registration(
    session: AsyncSession, activity_id: int, resident_id: int
) -> Registration | None:
    """Return the resident's confirmed or waitlisted sign-up for an activity."""
    stmt = select(Registration).where(
        Registration.activity_id == activity_id,
        Registration.resident_id == resident_id,
        Registration.status.in_(ACTIVE),
        Registration.companion_of_id.is_(None),
    )
    return await session.scalar(stmt)


async def companions(session: AsyncSession, registration_id: int) -> list[Registration]:
    """Return the family members' own rows of a sign-up (per-person time slots), in order."""
    stmt = select(Registration).where(
        Registration.companion_of_id == registration_id,
        Registration.status.in_(ACTIVE),
    )
    return list(await session.scalars(stmt.order_by(Registration.id)))


async def waitlist(session: AsyncSession, activity_id: int) -> list[Registration]:
    """Return the waitlist of an activity, first come first.

    "First" is the order sign-ups took the activity's lock (their ids), not the time each
    message arrived: a position told under the lock then never disagrees with the list.
    """
    stmt = (
        select(Registration)
        .where(
            Registration.activity_id == activity_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.companion_of_id.is_(None),
        )
        .order_by(Registration.id)
    )
    return list(await session.scalars(stmt))


async def of_resident(
    session: AsyncSession, resident_id: int, now: datetime
) -> list[tuple[Registration, Activity]]:
    """Return a resident's sign-ups for activities not yet over, soonest first."""
    stmt = (
        select(Registration, Activity)
        .join(Activity, Activity.id == Registration.activity_id)
        .where(
            Registration.resident_id == resident_id,
            Registration.status.in_(ACTIVE),
            Registration.companion_of_id.is_(None),
            Activity.starts_at > now,
            Activity.cancelled.is_(False),
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    return [(r, a) for r, a in await session.execute(stmt)]


async def roster(session: AsyncSession, activity_id: int) -> list[tuple[Registration, str | None]]:
    """Return an activity's sign-ups (not cancelled) with the residents' names, in order."""
    stmt = (
        select(Registration, Resident.display_name)
        .join(Resident, Resident.id == Registration.resident_id)
        .where(Registration.activity_id == activity_id, Registration.status.in_(ACTIVE))
        .order_by(Registration.created_at, Registration.id)
    )
    return [(r, name) for r, name in await session.execute(stmt)]


async def by_code(session: AsyncSession, activity_id: int, code: str) -> Registration | None:
    """Return the sign-up with a check-in code."""
    stmt = select(Registration).where(
        Registration.activity_id == activity_id, Registration.code == code.upper()
    )
    return await session.scalar(stmt)


async def due_reminders(
    session: AsyncSession, now: datetime, horizon_hours: int = 48
) -> list[Activity]:
    """Return activities starting soon (reminders are decided per activity by the caller)."""
    stmt = select(Activity).where(
        Activity.cancelled.is_(False),
        Activity.starts_at > now,
        Activity.starts_at <= now + timedelta(hours=horizon_hours),
    )
    return list(await session.scalars(stmt))


async def mark_reminded(session: AsyncSession, activity_id: int, hours: int) -> bool:
    """Note that a reminder went out; False if it had been noted before."""
    values = {"activity_id": activity_id, "hours": hours}
    return await insert_once(session, ActivityReminder, values)


async def forget_reminders(session: AsyncSession, activity_id: int) -> None:
    """Forget the reminders sent for an activity (its time changed: they are due again)."""
    await session.execute(
        delete(ActivityReminder).where(ActivityReminder.activity_id == activity_id)
    )


async def reminded(session: AsyncSession, activity_id: int) -> set[int]:
    """Return the reminder offsets already sent for an activity."""
    stmt = select(ActivityReminder.hours).where(ActivityReminder.activity_id == activity_id)
    return set(await session.scalars(stmt))


async def started_with_waitlist(session: AsyncSession, now: datetime) -> list[Activity]:
    """Return activities that have started and whose waitlist has not been told yet."""
    stmt = select(Activity).where(Activity.starts_at <= now, Activity.waitlist_closed_at.is_(None))
    return list(await session.scalars(stmt))


async def add_slots(
    session: AsyncSession,
    activity_id: int,
    start: datetime,
    end: datetime,
    minutes: int,
    capacity: int,
) -> int:
    """Split start..end into slots of ``minutes`` with ``capacity`` places each; return how many."""
    step, moment, added = timedelta(minutes=minutes), start, 0
    while moment + step <= end:
        session.add(ActivitySlot(activity_id=activity_id, starts_at=moment, capacity=capacity))
        moment += step
        added += 1
    await session.flush()
    return added
