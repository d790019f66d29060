"""Residents' suggestions, who supports and rates them, their history, and handoffs to staff."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
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


class SuggestionStatus(enum.StrEnum):
    """Lifecycle of a suggestion: open → replied → resolved → closed, plus side exits."""

    OPEN = "open"
    REPLIED = "replied"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"


# Statuses in which a suggestion still waits for staff.
ACTIVE_STATUSES = (SuggestionStatus.OPEN, SuggestionStatus.REPLIED, SuggestionStatus.REOPENED)


class Suggestion(Base):
    """A resident's suggestion or complaint, sorted into a topic."""

    __tablename__ = "suggestions"
    __table_args__ = (
        Index("ix_suggestions_community_status_topic", "community_id", "status", "topic"),
        Index("ix_suggestions_community_created", "community_id", "created_at"),
        # What waits for staff, operator-wide (/open over a million suggestions), and what was
        # not yet alerted (the digest job): both small slices of a large table.
        Index(
            "ix_suggestions_active",
            "urgent",
            "id",
            postgresql_where=text("status IN ('open', 'replied', 'reopened')"),
            sqlite_where=text("status IN ('open', 'replied', 'reopened')"),
        ),
        Index(
            "ix_suggestions_unalerted",
            "id",
            postgresql_where=text("staff_alerted_at IS NULL"),
            sqlite_where=text("staff_alerted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    # Content words (space-separated), to compare later suggestions with this one cheaply.
    terms: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=SuggestionStatus.OPEN)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestions.id", ondelete="SET NULL")
    )
    media: Mapped[list[Any]] = mapped_column(default=list)
    times_resolved: Mapped[int] = mapped_column(Integer, default=0)
    staff_alerted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SuggestionSupporter(Base):
    """A resident who joined an older suggestion by merging theirs into it."""

    __tablename__ = "suggestion_supporters"
    __table_args__ = (UniqueConstraint("suggestion_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestionRating(Base):
    """A resident's 1–5 rating of how a suggestion was resolved."""

    __tablename__ = "suggestion_ratings"
    __table_args__ = (UniqueConstraint("suggestion_id", "resident_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[int | None] = mapped_column(Integer)
    unresolved: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which resolution this rates: a reopened and resolved-again suggestion is rated anew.
    round: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestionEvent(Base):
    """One step in a suggestion's history: a staff reply, a status change, a re-topic."""

    __tablename__ = "suggestion_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(160))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Handoff(Base):
    """A resident's conversation handed to staff on duty (转人工)."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
