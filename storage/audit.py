"""The staff audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    *,
    community_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Note who did what, where."""
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            community_id=community_id,
            target=target,
            detail=detail or {},
        )
    )
    await session.flush()


async def entries(
    session: AsyncSession,
    *,
    actor: str | None = None,
    community_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditLog]:
    """Return audit entries, newest first, filtered by actor, community, action prefix, time."""
    stmt = select(AuditLog)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if community_id is not None:
        stmt = stmt.where(AuditLog.community_id == community_id)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action, autoescape=True))
    if since is not None:
        stmt = stmt.where(AuditLog.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditLog.created_at < until)
    stmt = stmt.order_by(AuditLog.id.desc()).limit(limit)
    return list(await session.scalars(stmt))
