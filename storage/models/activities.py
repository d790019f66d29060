"""Community activities: what staff publish, the time slots, who signed up, reminders sent."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


class RegistrationStatus(enum.StrEnum):
    """Where a sign-up stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Activity(Base):
    """An activity residents can sign up for (a free clinic, a haircut morning, a meeting)."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_upcoming", "community_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # Words residents may use for it besides the title ("义诊 看病 体检").
    keywords: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # Places in all (family members count); None: as many as come. Ignored with slots.
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Who it is for, in words, and the checks behind it.
    audience: Mapped[str] = mapped_column(String(100), default="所有居民")
    min_age: Mapped[int | None] = mapped_column(Integer)
    buildings: Mapped[list[Any]] = mapped_column(default=list)
    signup_deadline: Mapped[datetime | None]
    reminder_hours: Mapped[list[Any]] = mapped_column(default=lambda: [24, 2])
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the waitlist was told there was no place this time (at the start).
    waitlist_closed_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivitySlot(Base):
    """A time slot of an activity (a 15-minute haircut), with its own places."""

    __tablename__ = "activity_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer, default=1)


class Registration(Base):
    """A resident's sign-up (for themselves and family members), confirmed or waitlisted."""

    __tablename__ = "registrations"
    __table_args__ = (Index("ix_registrations_activity", "activity_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity_slots.id", ondelete="SET NULL")
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    # Where each person needs a time slot of their own (a haircut every 15 minutes), the
    # family members signed up with someone hold one row each, pointing at that sign-up.
    companion_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.CONFIRMED)
    code: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]


class ActivityReminder(Base):
    """A reminder of an activity that went out (each offset once, across restarts)."""

    __tablename__ = "activity_reminders"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    hours: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
