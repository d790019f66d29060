"""SQLAlchemy 2.0 typed models. Every resident-owned record belongs to a community."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime, utcnow

# Named constraints keep Alembic batch migrations on SQLite predictable.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


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


class OutboxStatus(enum.StrEnum):
    """Delivery state of one outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"  # its broadcast was called off before it went


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


class ConversationState(Base):
    """A pending conversation step of one (channel, user), with its data and expiry."""

    __tablename__ = "conversation_states"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Button payloads last shown, so "1", "2"… typed on button-less channels map to them.
    choices: Mapped[list[Any]] = mapped_column(default=list)
    expires_at: Mapped[datetime]


class ProcessedMessage(Base):
    """A platform message already handled, with the replies it got (replays reuse them)."""

    __tablename__ = "processed_messages"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # Kept so that forgetting a resident also forgets the replies they were sent.
    external_id: Mapped[str] = mapped_column(String(128), index=True)
    replies: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxMessage(Base):
    """A message to deliver later, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "channel", "not_before"),
        UniqueConstraint("dedupe_key"),
        # One delivery per broadcast, resident and channel, however often the fan-out runs.
        UniqueConstraint("broadcast_id", "resident_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    # The worker (storage.broadcast_models.Worker) sending it; released if that one stops.
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    # A broadcast's delivery: the text is the broadcast's (payload stays empty).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    resident_id: Mapped[int | None] = mapped_column(Integer)


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


class AuditLog(Base):
    """What staff (and the CLI) did, for accountability."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundUpdate(Base):
    """A platform update stored before it is acted on, so a crash loses nothing."""

    __tablename__ = "inbound_updates"
    __table_args__ = (
        Index("ix_inbound_updates_pending", "channel", "processed_at"),
        Index("ix_inbound_updates_sender", "channel", "sender"),
    )

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Who sent it, so that /forget can delete what they sent at once.
    sender: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class ButtonPayload(Base):
    """A button payload too long for the platform, kept here behind a short key."""

    __tablename__ = "button_payloads"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


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


class AppSecret(Base):
    """A secret linli makes for itself once (the key of residents' pseudonyms)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class CallbackNonce(Base):
    """A signed callback's (timestamp, nonce), kept while its timestamp is acceptable."""

    __tablename__ = "callback_nonces"
    __table_args__ = (Index("ix_callback_nonces_seen_at", "seen_at"),)

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    timestamp: Mapped[str] = mapped_column(String(20), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The message it carried: WeChat's own retry repeats the pair with the same message.
    message_key: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
