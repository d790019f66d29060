"""The rules of signing up: places, time slots, waitlists, promotion, check-in codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import activities as store
from storage.activity_models import Activity, ActivitySlot, Registration, RegistrationStatus
from storage.models import Resident

# Check-in codes avoid characters that are easy to misread (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NEXT_SLOT = "next"
MAX_PARTY = 6


@dataclass(frozen=True)
class SignUp:
    """What a sign-up attempt came to: a registration, or why there is none."""

    registration: Registration | None = None
    problem: str | None = None
    slot: ActivitySlot | None = None


def new_code() -> str:
    """Return a short check-in code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def places_left(
    activity: Activity, taken: dict[int | None, int], slots: list[ActivitySlot]
) -> int | None:
    """Return the free places (None: unlimited)."""
    if slots:
        return sum(max(0, s.capacity - taken.get(s.id, 0)) for s in slots)
    if activity.capacity is None:
        return None
    return max(0, activity.capacity - taken.get(None, 0))


def closed_because(activity: Activity, now: datetime) -> str | None:
    """Return why sign-up is closed, or None while it is open."""
    if activity.cancelled:
        return "cancelled"
    if activity.starts_at <= now:
        return "started"
    if activity.signup_deadline is not None and now > activity.signup_deadline:
        return "deadline"
    return None


def missing_fact(activity: Activity, resident: Resident) -> str | None:
    """Return the fact linli must ask before it can check eligibility ("birth_year"…)."""
    if activity.min_age is not None and resident.birth_year is None:
        return "birth_year"
    if activity.buildings and not resident.building:
        return "building"
    return None


def ineligible(activity: Activity, resident: Resident, now: datetime) -> bool:
    """Tell whether a resident (with the facts known) may not take part."""
    # By year (birthdays are not asked), in the year the activity takes place.
    year = activity.starts_at.year
    age = year - resident.birth_year if resident.birth_year is not None else None
    if activity.min_age is not None and age is not None and age < activity.min_age:
        return True
    if activity.buildings and resident.building:
        return resident.building not in [str(b) for b in activity.buildings]
    return False


async def sign_up(
    session: AsyncSession,
    activity_id: int,
    resident: Resident,
    party: int,
    slot_choice: int | str | None,
    now: datetime,
) -> SignUp:
    """Take places (or a waitlist position) as one step under the activity's row lock."""
    activity = await store.get(session, activity_id, lock=True)
    if activity is None:
        return SignUp(problem="gone")
    reason = closed_because(activity, now)
    if reason:
        return SignUp(problem=reason)
    if await store.active_registration(session, activity.id, resident.id) is not None:
        return SignUp(problem="twice")
    slots = await store.slots(session, activity.id)
    largest = max((s.capacity for s in slots), default=None) if slots else activity.capacity
    if not 1 <= party <= MAX_PARTY or (largest is not None and party > largest):
        return SignUp(problem="too_many")
    taken = await store.taken(session, activity.id)
    slot: ActivitySlot | None = None
    status = RegistrationStatus.CONFIRMED
    # Places freed are offered to the waitlist first (promote), so free places here are free.
    if slots:
        free = [s for s in slots if s.capacity - taken.get(s.id, 0) >= party]
        if slot_choice in (None, NEXT_SLOT):
            slot = free[0] if free else None
        else:
            slot = next((s for s in free if s.id == slot_choice), None)
            if slot is None:
                return SignUp(problem="slot_taken")
        if slot is None:
            status = RegistrationStatus.WAITLISTED
    elif activity.capacity is not None and activity.capacity - taken.get(None, 0) < party:
        status = RegistrationStatus.WAITLISTED
    registration = Registration(
        activity_id=activity.id,
        slot_id=slot.id if slot else None,
        resident_id=resident.id,
        party_size=party,
        status=status,
        code=new_code(),
        created_at=now,
    )
    session.add(registration)
    await session.flush()
    return SignUp(registration, slot=slot)


async def cancel(
    session: AsyncSession, registration: Registration, now: datetime
) -> list[Registration]:
    """Cancel a sign-up and promote whoever its places now fit; return the promoted.

    The activity is locked first, as sign-ups and promotions do, so two cancellations at once
    queue instead of deadlocking.
    """
    await store.get(session, registration.activity_id, lock=True)
    await session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        return []
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    await session.flush()
    return await promote(session, registration.activity_id, now)


async def promote(session: AsyncSession, activity_id: int, now: datetime) -> list[Registration]:
    """Confirm waitlisted sign-ups in the order they came, each whose places now fit.

    A family that does not fit the place freed stays first in line, and a single person behind
    it may take that place: a free place is never left empty while someone it fits waits
    (new sign-ups take free places the same way).
    """
    activity = await store.get(session, activity_id, lock=True)
    if activity is None or closed_because(activity, now) in ("cancelled", "started"):
        return []
    slots = await store.slots(session, activity.id)
    taken = await store.taken(session, activity.id)
    promoted = []
    for waiting in await store.waitlist(session, activity.id):
        if slots:
            slot = next(
                (s for s in slots if s.capacity - taken.get(s.id, 0) >= waiting.party_size), None
            )
            if slot is None:
                continue
            waiting.slot_id = slot.id
            taken[slot.id] = taken.get(slot.id, 0) + waiting.party_size
        else:
            left = None if activity.capacity is None else activity.capacity - taken.get(None, 0)
            if left is not None and left < waiting.party_size:
                continue
            taken[None] = taken.get(None, 0) + waiting.party_size
        waiting.status = RegistrationStatus.CONFIRMED
        promoted.append(waiting)
    await session.flush()
    return promoted


async def waitlist_position(session: AsyncSession, registration: Registration) -> int:
    """Return a waitlisted sign-up's place in the queue (1 = next)."""
    queue = await store.waitlist(session, registration.activity_id)
    return next((i for i, r in enumerate(queue, 1) if r.id == registration.id), len(queue))
