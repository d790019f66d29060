"""Announcements to many residents, who they reach, and the processes that send them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


class BroadcastStatus(enum.StrEnum):
    """Where a broadcast stands."""

    SCHEDULED = "scheduled"  # waits for send_at (now, or a time staff chose)
    SENDING = "sending"  # its delivery rows are written; the senders work through them
    DONE = "done"  # nothing left to try; the report went to whoever sent it
    CANCELLED = "cancelled"


class BroadcastKind(enum.StrEnum):
    """What a broadcast is about: residents may opt out of a kind, never out of urgent ones."""

    NOTICE = "notice"
    ACTIVITY = "activity"
    POLL = "poll"  # invitations to polls and questionnaires, their reminders and results


class Broadcast(Base):
    """An announcement to an audience of residents, sent now or at a chosen time."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_due", "status", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: every community the sender may address (an operator's announcement).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(500))
    # Buttons under the text, as in Reply.to_dict (a poll's invitation: 开始填写).
    buttons: Mapped[list[Any] | None]
    kind: Mapped[str] = mapped_column(String(20), default=BroadcastKind.NOTICE)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"kind": "all" | "building" | "tag" | "age" | "activity", ...}: see storage.audience.
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=BroadcastStatus.SCHEDULED)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The staff account ("channel:id") that sent it: the report goes there.
    created_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int | None] = mapped_column(Integer)
    fanned_out_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    # The final counts per channel and outcome, kept after the delivery rows are purged.
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # WeChat mass send by tag: None (not tried), "waiting", "sent" or "refused: <reason>".
    wechat_mass: Mapped[str | None] = mapped_column(String(200))
    wechat_mass_msg_id: Mapped[str | None] = mapped_column(String(40))
    wechat_mass_at: Mapped[datetime | None]


class ResidentTag(Base):
    """A tag staff gave a resident (老人, 志愿者, 业委会), for choosing audiences."""

    __tablename__ = "resident_tags"
    __table_args__ = (Index("ix_resident_tags_tag", "tag"),)

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)


class OptOut(Base):
    """A kind of announcement a resident asked not to receive (退订活动通知)."""

    __tablename__ = "resident_opt_outs"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Worker(Base):
    """A running linli process that sends: rows it claimed are released when it stops beating."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(100), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendPause(Base):
    """A platform said "retry after": no process sends on that channel until ``until``."""

    __tablename__ = "send_pauses"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
