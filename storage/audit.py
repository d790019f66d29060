"""The staff audit log."""

from __future__ import annotations

from typing import Any

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
