"""What linli keeps about its own work: the audit log, its secrets, scheduled work done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


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


class AppSecret(Base):
    """A secret linli makes for itself once (the key of residents' pseudonyms)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class JobMark(Base):
    """A piece of scheduled work that is done (its name says which), so it is done once."""

    __tablename__ = "job_marks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
