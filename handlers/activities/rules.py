"""The rules of signing up: places, time slots, waitlists, promotion, check-in codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import activities as store
from storage.models import Activity, ActivitySlot, Registration, RegistrationStatus, Resident

# Check-in codes avoid characters that are easy to misread (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NEXT_SLOT = "next"
MAX_PARTY = 6
# Bounds on what staff and files may give: a community hall, not a stadium (dates: nlp.dates).
MAX_CAPACITY = 10_000
MAX_SLOT_CAPACITY = 100


@dataclass(frozen=True)
class SignUp:
    """What a sign-up attempt came to: a registration, or why there is none."""

    registration: Registration | None = None
    problem: str | None = None
    slot: ActivitySlot | None = None
    # The slots of family members who need a slot each (a haircut every 15 minutes).
    companion_slots: tuple[ActivitySlot, ...] = ()


def per_person(slots: list[ActivitySlot]) -> bool:
    """Tell whether each person needs a time slot of their own (every slot holds one)."""
    return bool(slots) and all(s.capacity == 1 for s in slots)


def largest_party(slots: list[ActivitySlot], capacity: int | None) -> int | None:
    """Return the most people one sign-up can bring (None: as many as MAX_PARTY)."""
    if per_person(slots):
        return min(MAX_PARTY, len(slots))
    if slots:
        return max(s.capacity for s in slots)
    return capacity


def person_slots(
    slots: list[ActivitySlot], taken: dict[int | None, int], party: int, first: int | str | None
) -> list[ActivitySlot] | None:
    """Return one free slot per person, from the slot chosen (or the earliest) on, if enough."""
    free = [s for s in slots if s.capacity - taken.get(s.id, 0) >= 1]
    if first not in (None, NEXT_SLOT):
        start = next((i for i, s in enumerate(free) if s.id == first), None)
        if start is None:
            return None
        free = free[start:]
    return free[:party] if len(free) >= party else None


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
    largest = largest_party(slots, activity.capacity)
    if not 1 <= party <= MAX_PARTY or (largest is not None and party > largest):
        return SignUp(problem="too_many")
    taken = await store.taken(session, activity.id)
    slot: ActivitySlot | None = None
    status = RegistrationStatus.CONFIRMED
    # Places freed are offered to the waitlist first (promote), so free places here are free.
    if per_person(slots) and party > 1:
        chosen = person_slots(slots, taken, party, slot_choice)
        if chosen is None and slot_choice not in (None, NEXT_SLOT):
            return SignUp(problem="slot_taken")
        if chosen is None:
            status = RegistrationStatus.WAITLISTED
        else:
            registration = _new(activity.id, chosen[0], resident, 1, status, now)
            session.add(registration)
            await session.flush()
            await _add_companions(session, registration, chosen[1:], now)
            return SignUp(registration, slot=chosen[0], companion_slots=tuple(chosen[1:]))
    elif slots:
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
    registration = _new(activity.id, slot, resident, party, status, now)
    session.add(registration)
    await session.flush()
    return SignUp(registration, slot=slot)


def _new(
    activity_id: int,
    slot: ActivitySlot | None,
    resident: Resident,
    party: int,
    status: str,
    now: datetime,
) -> Registration:
    return Registration(
        activity_id=activity_id,
        slot_id=slot.id if slot else None,
        resident_id=resident.id,
        party_size=party,
        status=status,
        code=new_code(),
        created_at=now,
    )


async def _add_companions(
    session: AsyncSession, main: Registration, slots: list[ActivitySlot], now: datetime
) -> None:
    """Hold one more slot for each family member signed up with ``main``."""
    for slot in slots:
        session.add(
            Registration(
                activity_id=main.activity_id,
                slot_id=slot.id,
                resident_id=main.resident_id,
                party_size=1,
                status=RegistrationStatus.CONFIRMED,
                code=new_code(),
                created_at=now,
                companion_of_id=main.id,
            )
        )
    await session.flush()


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
    for companion in await store.companions(session, registration.id):
        companion.status = RegistrationStatus.CANCELLED
        companion.cancelled_at = now
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
        if per_person(slots) and waiting.party_size > 1:
            chosen = person_slots(slots, taken, waiting.party_size, None)
            if chosen is None:
                continue
            waiting.slot_id, waiting.party_size = chosen[0].id, 1
            for slot in chosen:
                taken[slot.id] = taken.get(slot.id, 0) + 1
            await _add_companions(session, waiting, chosen[1:], now)
        elif slots:
            free = next(
                (s for s in slots if s.capacity - taken.get(s.id, 0) >= waiting.party_size), None
            )
            if free is None:
                continue
            waiting.slot_id = free.id
            taken[free.id] = taken.get(free.id, 0) + waiting.party_size
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
