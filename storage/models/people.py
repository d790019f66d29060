"""Communities and the people in them: residents, their channel accounts, staff and invites."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.types import utcnow


class Community(Base):
    """A housing estate served by this deployment."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    duty_phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Resident(Base):
    """A person who talks to linli; profile fields stay empty until a feature needs them."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(100))
    building: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(20))
    room: Mapped[str | None] = mapped_column(String(20))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    # Who they live with, as they said it (老伴, 女儿); an empty list: they live alone.
    household: Mapped[list[Any] | None] = mapped_column(JSON)
    # Only with the resident's consent (recorded in ``consents``), for their own staff.
    phone: Mapped[str | None] = mapped_column(String(20))
    # Canteen: staff mark who may have meals delivered; a diet note the kitchen sees.
    delivery_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    diet_note: Mapped[str | None] = mapped_column(String(100))
    consents: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    privacy_noticed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list[ChannelAccount]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", passive_deletes=True
    )


class ChannelAccount(Base):
    """The platform identity (channel, external id) of a resident."""

    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="accounts")


class StaffMember(Base):
    """A staff grant: one platform identity, one community (or operator-wide when NULL)."""

    __tablename__ = "staff_members"
    __table_args__ = (UniqueConstraint("channel", "external_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(128))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffPreference(Base):
    """Which community a staff member of several is currently working in."""

    __tablename__ = "staff_preferences"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL")
    )


class StaffInvite(Base):
    """A single-use code that makes whoever opens it staff (of a community, or operator-wide)."""

    __tablename__ = "staff_invites"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(160))
