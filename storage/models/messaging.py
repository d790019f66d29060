"""Messages in and out: conversation state, processed messages, the outbox, inbound updates."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


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
    # The worker (storage.models.broadcasts.Worker) sending it; released if that one stops.
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    # A broadcast's delivery: the text is the broadcast's (payload stays empty).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    resident_id: Mapped[int | None] = mapped_column(Integer)


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
