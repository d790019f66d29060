"""The community canteen: menus per day and meal, and residents' meal orders."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


class OrderStatus(enum.StrEnum):
    """Where a meal order stands."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Menu(Base):
    """What the canteen serves at one meal of one day, and its price."""

    __tablename__ = "menus"
    __table_args__ = (
        UniqueConstraint("community_id", "day", "meal", name="uq_menus_community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(10))  # "lunch" | "dinner"
    dishes: Mapped[str] = mapped_column(Text)
    price_cents: Mapped[int] = mapped_column(Integer)


class MealOrder(Base):
    """A confirmed order (it counts from the moment its confirmation arrived)."""

    __tablename__ = "meal_orders"
    __table_args__ = (
        Index("ix_meal_orders_day", "community_id", "day", "meal", "status"),
        # One confirmed order per resident and meal: a standing order and a typed one may race.
        Index(
            "uq_meal_orders_one_per_meal",
            "resident_id",
            "day",
            "meal",
            unique=True,
            postgresql_where=text("status = 'confirmed'"),
            sqlite_where=text("status = 'confirmed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    # None once the resident's data was deleted after the cut-off: the kitchen still cooks it.
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)
    delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    diet_note: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.CONFIRMED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")


class StandingOrder(Base):
    """A resident's usual order, placed on every open day until paused (照旧 / 每天都订)."""

    __tablename__ = "standing_orders"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    meal: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)
    delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_from: Mapped[date | None] = mapped_column(Date)
    paused_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CanteenSettings(Base):
    """A community's own canteen settings set by its staff (they override the config's)."""

    __tablename__ = "canteen_settings"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    # [[min age, cents off], ...]; an empty list means no subsidy at all.
    subsidies: Mapped[list[Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
